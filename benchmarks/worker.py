"""One Python contender of the benchmarks: the workloads of floor.c, through ``import drmaa``.

Which ``drmaa`` it measures is decided by PYTHONPATH (this repository, or
drmaa-python 0.7.9 installed by run.py); the code only uses the API the two
share. Command line and output are the same as floor.c's:

    worker.py batch TAG W1_CYCLES W2_POLLS W3_TASKS W4_JOBS IDS_FILE
    worker.py jobs TAG TEMPLATE_CYCLES JOB_CYCLES WAIT_JOBS IDS_FILE
        then reads "wait K" and "quit" lines on standard input
    worker.py count TAG W3_TASKS IDS_FILE
        foreign calls per operation of this repository's drmaa (not timed)
"""

from __future__ import annotations

import collections
import gc
import json
import os
import sys
import time

import drmaa

perf_ns = time.perf_counter_ns

ARGS5 = ["alpha", "bravo", "charlie", "delta", "echo"]
ENV5 = {"BENCH_A": "1", "BENCH_B": "two", "BENCH_C": "/tmp/three", "BENCH_D": "4 4", "BENCH_E": ""}
HOLD = "drmaa_hold"
ANY = drmaa.Session.JOB_IDS_SESSION_ANY
ALL = drmaa.Session.JOB_IDS_SESSION_ALL
FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER
# Job cycles and synchronize() give up after this long: a qmaster restarted meanwhile loses the events.
JOB_TIMEOUT = 60


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def template_cycle(s: drmaa.Session) -> None:
    """Workload 1: allocate, set six scalars and two vectors, read three back, delete."""
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sleep"
    jt.jobName = "bench"
    jt.workingDirectory = "/tmp"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    jt.jobSubmissionState = HOLD
    jt.args = ARGS5
    jt.jobEnvironment = ENV5
    jt.remoteCommand  # noqa: B018 - read back
    jt.jobName  # noqa: B018
    jt.args  # noqa: B018
    s.deleteJobTemplate(jt)


def job_template(s: drmaa.Session, tag: str, hold: bool):
    jt = s.createJobTemplate()
    if hold:
        jt.remoteCommand = "/bin/sleep"
        jt.args = ["3600"]
        jt.jobSubmissionState = HOLD
    else:
        jt.remoteCommand = "/bin/true"
    jt.jobName = tag
    jt.workingDirectory = "/tmp"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    return jt


def check_info(info) -> None:
    if not info.hasExited or int(info.exitStatus) != 0 or not info.resourceUsage:
        raise SystemExit(f"worker: job {info.jobId} did not exit 0 with usage: {info}")


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def identify() -> dict:
    version = getattr(drmaa, "__version__", None) or getattr(getattr(drmaa, "version", None), "__version__", "?")
    return {"impl": f"drmaa {version}", "module": os.path.dirname(drmaa.__file__)}


def batch(s: drmaa.Session, tag: str, w1: int, w2: int, w3: int, w4: int, ids) -> None:
    result = {**identify(), "drms": s.drmsInfo}

    for _ in range(200):
        template_cycle(s)
    gc.collect()
    t0 = perf_ns()
    for _ in range(w1):
        template_cycle(s)
    result["w1"] = {"n": w1, "total_ns": perf_ns() - t0}

    jt = job_template(s, tag, hold=True)

    job = s.runJob(jt)
    ids.write(job + "\n")
    ids.flush()
    for _ in range(5):
        s.jobStatus(job)
    times = [0] * w2
    for i in range(w2):
        t0 = perf_ns()
        state = s.jobStatus(job)
        times[i] = perf_ns() - t0
        if state != "user_on_hold":
            raise SystemExit(f"worker: job {job} is {state!r}, not on hold")
    result["w2"] = {"n": w2, "times_ns": times}

    ids.writelines(job + "\n" for job in s.runBulkJobs(jt, 1, 2, 1))
    ids.flush()
    t0 = perf_ns()
    bulk = s.runBulkJobs(jt, 1, w3, 1)
    total = perf_ns() - t0
    if len(bulk) != w3:
        raise SystemExit(f"worker: bulk gave {len(bulk)} ids")
    ids.write(bulk[0] + "\n")
    ids.flush()
    result["w3"] = {"n": w3, "total_ns": total}

    ids.writelines(s.runJob(jt) + "\n" for _ in range(3))
    ids.flush()
    times = [0] * w4
    jobs = [""] * w4
    for i in range(w4):
        t0 = perf_ns()
        jobs[i] = s.runJob(jt)
        times[i] = perf_ns() - t0
    ids.writelines(job + "\n" for job in jobs)
    ids.flush()
    result["w4"] = {"n": w4, "times_ns": times}
    s.deleteJobTemplate(jt)
    emit(result)


def jobs(s: drmaa.Session, tag: str, template_cycles: int, job_cycles: int, wait_jobs: int, ids) -> None:
    for _ in range(1000):
        template_cycle(s)
    gc.collect()
    before = rss_kib()
    for _ in range(template_cycles):
        template_cycle(s)
    gc.collect()
    emit({"mem_templates": {"n": template_cycles, "rss_before_kib": before, "rss_after_kib": rss_kib()}})

    jt = job_template(s, tag, hold=False)

    def cycle() -> None:
        job = s.runJob(jt)
        ids.write(job + "\n")
        ids.flush()
        check_info(s.wait(job, JOB_TIMEOUT))

    for _ in range(2):
        cycle()
    gc.collect()
    before = rss_kib()
    t0 = perf_ns()
    for _ in range(job_cycles):
        cycle()
    total = perf_ns() - t0
    gc.collect()
    emit({"mem_jobs": {"n": job_cycles, "rss_before_kib": before, "rss_after_kib": rss_kib(), "total_ns": total}})

    ids.writelines(s.runJob(jt) + "\n" for _ in range(wait_jobs))
    ids.flush()
    s.synchronize([ALL], 3 * JOB_TIMEOUT, False)
    s.deleteJobTemplate(jt)
    emit({"ready": True})

    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["wait"]:
            k = int(words[1])
            times = [0] * k
            info = None
            for i in range(k):
                t0 = perf_ns()
                info = s.wait(ANY, FOREVER)
                times[i] = perf_ns() - t0
                check_info(info)
            emit({"w5": {"n": k, "usage_items": len(info.resourceUsage) if info else 0, "times_ns": times}})
        elif words[:1] == ["quit"]:
            break


class CountingLibrary:
    """Stands in for ``drmaa.wrappers.lib`` and counts every C function called through it."""

    def __init__(self, library) -> None:
        self._library = library
        self.counts: collections.Counter[str] = collections.Counter()

    def __getattr__(self, name: str):
        function = getattr(self._library, name)
        counts = self.counts

        def counted(*args):
            counts[name] += 1
            return function(*args)

        return counted

    def total(self) -> int:
        return sum(self.counts.values())


def count(s: drmaa.Session, tag: str, tasks: int, ids) -> None:
    from drmaa import wrappers

    proxy = CountingLibrary(wrappers.lib)
    wrappers.lib = proxy
    result: dict = {}

    def measure(key: str, operation, repeat: int = 1) -> None:
        proxy.counts.clear()
        for _ in range(repeat):
            operation()
        result[key] = {"calls_per_op": proxy.total() / repeat, "by_function": dict(proxy.counts)}

    measure("w1", lambda: template_cycle(s), 10)
    jt = job_template(s, tag, hold=True)
    job = s.runJob(jt)
    ids.write(job + "\n")
    ids.flush()
    measure("w2", lambda: s.jobStatus(job), 10)
    bulk: list = []
    measure("w3", lambda: bulk.append(s.runBulkJobs(jt, 1, tasks, 1)))
    ids.write(bulk[0][0] + "\n")
    ids.flush()
    result["w3"]["ids"] = len(bulk[0])
    held: list = []
    measure("w4", lambda: held.append(s.runJob(jt)), 10)
    ids.writelines(job + "\n" for job in held)
    ids.flush()
    s.deleteJobTemplate(jt)

    jt = job_template(s, tag, hold=False)
    short = [s.runJob(jt) for _ in range(4)]
    ids.writelines(job + "\n" for job in short)
    ids.flush()
    s.synchronize(short, 3 * JOB_TIMEOUT, False)  # not ALL: the held jobs above never end
    # The session's first wait also reads drmaa_get_DRM_system() once (is the
    # library Grid Engine's?): a cost per session, not per wait.
    s.wait(ANY, FOREVER)
    infos: list = []
    measure("w5", lambda: infos.append(s.wait(ANY, FOREVER)), 3)
    for info in infos:
        check_info(info)
    result["w5"]["usage_items"] = len(infos[0].resourceUsage)
    s.deleteJobTemplate(jt)
    wrappers.lib = proxy._library
    emit({"counts": result, **identify()})


def main(argv: list[str]) -> int:
    mode, tag = argv[1], argv[2]
    s = drmaa.Session()
    s.initialize()
    try:
        with open(argv[-1], "a") as ids:
            if mode == "batch":
                batch(s, tag, *(int(a) for a in argv[3:7]), ids)
            elif mode == "jobs":
                jobs(s, tag, *(int(a) for a in argv[3:6]), ids)
            elif mode == "count":
                count(s, tag, int(argv[3]), ids)
            else:
                raise SystemExit(f"worker: unknown mode {mode!r}")
    finally:
        s.exit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
