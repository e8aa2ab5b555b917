#!/usr/bin/env python3
"""What watching N jobs costs: drmaa.futures against a jobStatus polling loop.

    python3 benchmarks/watching.py [--counts 10,100,1000] [--idle SECONDS] [--json PATH] [--quick]

See benchmarks/README.rst ("Watching many jobs"). Runs under
``scripts/local-sge exec`` by itself when libdrmaa's environment is not set;
under ``scripts/local-slurm exec`` it measures Slurm, counting slurmctld's
requests with ``sdiag``. Every job it submits is named
``drmaabench_watch_<pid>`` and is deleted at the end, also on an error or
Ctrl-C.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOCAL_SGE = REPO / "scripts" / "local-sge"
#: Where each DRM's controller writes its pid.
CONTROLLER_PID = {
    "sge": Path("/var/spool/gridengine/qmaster/qmaster.pid"),
    "slurm": Path("/run/slurm/slurmctld.pid"),
}
#: slurmctld's RPCs of one slurm-drmaa poll of one job (``slurm_load_job``), as ``sdiag`` names them.
SLURM_POLL_RPCS = ("REQUEST_JOB_INFO_SINGLE", "REQUEST_FED_INFO")

if (
    "SGE_ROOT" not in os.environ
    and "DRMAA_LIBRARY_PATH" not in os.environ
    and os.environ.get("DRMAA_BENCH_REEXEC") != "1"
):
    os.environ["DRMAA_BENCH_REEXEC"] = "1"
    os.execv(str(LOCAL_SGE), [str(LOCAL_SGE), "exec", sys.executable, *sys.argv])

sys.path.insert(0, str(REPO))
sys.path.insert(1, str(HERE))
from waitcost import sdiag_rpcs  # noqa: E402

import drmaa  # noqa: E402
from drmaa import wrappers  # noqa: E402
from drmaa.futures import JobExecutor, JobFuture  # noqa: E402

TAG = f"drmaabench_watch_{os.getpid()}"
#: Seconds between two passes of the polling loop, and the executor's check interval.
INTERVAL = 5.0
#: Short jobs that really run, for the latency from a job's end to its result.
RUNNING = 8


class CountingLibrary:
    """Stands in for ``drmaa.wrappers.lib`` and counts every C function called through it."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._functions: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        function = self._functions.get(name)
        if function is None:
            real = getattr(self.lib, name)
            counts, lock = self.counts, self._lock

            def function(*args: Any) -> Any:
                with lock:
                    counts[name] += 1
                return real(*args)

            self._functions[name] = function
        return function

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)


def controller_cpu(drm: str) -> Optional[float]:
    """CPU seconds the controller (sge_qmaster, slurmctld) has used so far (user + system), or None."""
    try:
        pid = CONTROLLER_PID[drm].read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def slurm_polls() -> Optional[dict[str, int]]:
    """slurmctld's counts of the RPCs of job polls so far (all clients), by type, or None."""
    rpcs = sdiag_rpcs()
    return None if rpcs is None else {name: rpcs.get(name, 0) for name in SLURM_POLL_RPCS}


class Meter:
    """C calls, requests to the controller, this process's and the controller's CPU time over a stretch of time.

    Requests to the controller: on Grid Engine each ``drmaa_job_ps`` (its
    ``drmaa_wait`` is answered from the session's own job list); on Slurm
    the RPCs of job polls that slurmctld counted (``sdiag``; nobody else may
    use the cluster meanwhile).
    """

    def __init__(self, counting: CountingLibrary, drm: str) -> None:
        self.counting = counting
        self.drm = drm
        self.calls0 = counting.snapshot()
        self.polls0 = slurm_polls() if drm == "slurm" else None
        self.cpu0 = time.process_time()
        self.controller0 = controller_cpu(drm)
        self.wall0 = time.monotonic()

    def read(self) -> dict[str, Any]:
        seconds = time.monotonic() - self.wall0
        calls = self.counting.snapshot()
        calls.subtract(self.calls0)
        controller = controller_cpu(self.drm)
        by_rpc: Optional[dict[str, int]] = None
        if self.drm == "slurm":
            polls = slurm_polls()
            if polls is not None and self.polls0 is not None:
                by_rpc = {name: polls[name] - self.polls0[name] for name in SLURM_POLL_RPCS}
            requests = None if by_rpc is None else sum(by_rpc.values())
        else:
            requests = calls["drmaa_job_ps"]
        return {
            "seconds": round(seconds, 3),
            "c_calls": sum(calls.values()),
            "c_calls_per_s": round(sum(calls.values()) / seconds, 2),
            "job_ps_per_s": round(calls["drmaa_job_ps"] / seconds, 2),
            "requests": requests,
            "slurmctld_rpcs": by_rpc,
            "requests_per_s": None if requests is None else round(requests / seconds, 2),
            "cpu_ms_per_s": round(1000 * (time.process_time() - self.cpu0) / seconds, 2),
            "controller_cpu_ms_per_s": None
            if controller is None or self.controller0 is None
            else round(1000 * (controller - self.controller0) / seconds, 2),
            "by_function": dict(calls),
        }


def templates(session: drmaa.Session, scratch: Path) -> tuple[Any, Any]:
    held = session.createJobTemplate()
    held.remoteCommand = "/bin/sleep"
    held.args = ["3600"]
    held.jobName = TAG
    held.outputPath = ":/dev/null"
    held.joinFiles = True
    held.workingDirectory = "/tmp"
    held.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    quick = session.createJobTemplate()
    quick.remoteCommand = "/bin/sh"
    quick.jobName = TAG
    quick.outputPath = ":/dev/null"
    quick.joinFiles = True
    quick.workingDirectory = "/tmp"
    return held, quick


def submit_held(drm: str, count: int, one: Callable[[], Any], bulk: Callable[[], list[Any]]) -> list[Any]:
    """The N held jobs: one array job on Grid Engine; separate jobs on Slurm, where slurm-drmaa
    never sees the tasks of a cancelled array end (they read 'undetermined' until slurmctld purges them)."""
    return [one() for _ in range(count)] if drm == "slurm" else bulk()


def submit_quick(session: drmaa.Session, quick: Any, scratch: Path, submit: Callable[[Any], str]) -> dict[str, Path]:
    """Start RUNNING short jobs; each writes the time it ends to its own file. Returns id -> file."""
    ends = {}
    for index in range(RUNNING):
        path = scratch / f"end.{os.getpid()}.{index}.{time.monotonic_ns()}"
        quick.args = ["-c", 'sleep 2; date +%s.%N > "$0"', str(path)]
        ends[submit(quick)] = path
    return ends


def latencies(ends: dict[str, Path], seen: dict[str, float]) -> list[float]:
    return [seen[job_id] - float(path.read_text()) for job_id, path in ends.items()]


def through_futures(
    session: drmaa.Session, counting: CountingLibrary, drm: str, count: int, idle: float, scratch: Path
) -> dict[str, Any]:
    held, quick = templates(session, scratch)
    seen: dict[str, float] = {}
    with JobExecutor(session, check_interval=INTERVAL) as executor:
        futures = submit_held(
            drm, count, lambda: executor.submit(held), lambda: executor.submit_bulk(held, 1, count, 1)
        )
        meter = Meter(counting, drm)
        time.sleep(idle)
        watching = meter.read()
        meter = Meter(counting, drm)
        running: list[JobFuture] = []

        def submit(jt: Any) -> str:
            future = executor.submit(jt)
            future.add_done_callback(lambda f: seen.setdefault(f.jobId, time.time()))
            running.append(future)
            return future.jobId

        ends = submit_quick(session, quick, scratch, submit)
        for future in running:
            future.result()
        ending = meter.read()
        meter = Meter(counting, drm)
        session.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
        concurrent.futures.wait(futures)
        all_end = meter.read()
    assert all(future.done() for future in futures)
    held.delete()
    quick.delete()
    return {"idle": watching, "ending": ending, "all_end": all_end, "latency_s": latencies(ends, seen)}


def status_pass(session: drmaa.Session, ids: list[str], seen: dict[str, float]) -> None:
    """One round of the usual loop: jobStatus of each job, and wait for those that are over."""
    for job_id in ids:
        try:
            if job_id not in seen and session.jobStatus(job_id) in (drmaa.JobState.DONE, drmaa.JobState.FAILED):
                session.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT)
                seen[job_id] = time.time()
        except (drmaa.NoResourceUsageException, drmaa.InvalidJobException):  # deleted before it ran, or gone
            seen[job_id] = time.time()


def wait_pass(session: drmaa.Session, ids: list[str], seen: dict[str, float]) -> None:
    """One round of reaping only one's own jobs: wait(jobId, TIMEOUT_NO_WAIT) of each."""
    for job_id in ids:
        if job_id not in seen:
            try:
                session.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT)
            except drmaa.ExitTimeoutException:
                continue
            except (drmaa.NoResourceUsageException, drmaa.InvalidJobException):
                pass
            seen[job_id] = time.time()


def polling_loop(
    session: drmaa.Session,
    counting: CountingLibrary,
    drm: str,
    count: int,
    idle: float,
    scratch: Path,
    each_pass: Callable[[drmaa.Session, list[str], dict[str, float]], None] = status_pass,
) -> dict[str, Any]:
    held, quick = templates(session, scratch)
    job_ids = submit_held(drm, count, lambda: session.runJob(held), lambda: session.runBulkJobs(held, 1, count, 1))
    seen: dict[str, float] = {}

    def one_pass(ids: list[str]) -> None:
        each_pass(session, ids, seen)

    meter = Meter(counting, drm)
    deadline = time.monotonic() + idle
    while time.monotonic() < deadline:
        started = time.monotonic()
        one_pass(job_ids)  # a pass starts every INTERVAL seconds, or at once after a longer pass
        time.sleep(max(0.0, min(INTERVAL - (time.monotonic() - started), deadline - time.monotonic())))
    watching = meter.read()
    meter = Meter(counting, drm)
    ends = submit_quick(session, quick, scratch, session.runJob)
    everything = job_ids + list(ends)
    while not all(job_id in seen for job_id in ends):
        started = time.monotonic()
        one_pass(everything)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))
    ending = meter.read()
    meter = Meter(counting, drm)
    session.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.TERMINATE)
    while not all(job_id in seen for job_id in job_ids):
        started = time.monotonic()
        one_pass(job_ids)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - started)))
    all_end = meter.read()
    session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 300, True)
    held.delete()
    quick.delete()
    return {"idle": watching, "ending": ending, "all_end": all_end, "latency_s": latencies(ends, seen)}


def wait_loop(
    session: drmaa.Session, counting: CountingLibrary, drm: str, count: int, idle: float, scratch: Path
) -> dict[str, Any]:
    return polling_loop(session, counting, drm, count, idle, scratch, wait_pass)


METHODS = {"futures": through_futures, "jobStatus loop": polling_loop, "wait(id, 0) loop": wait_loop}


def table(results: list[dict[str, Any]]) -> str:
    header = (
        "N",
        "method",
        "C calls/s",
        "job_ps/s",
        "requests/s",
        "CPU ms/s",
        "controller CPU ms/s",
        "latency p50",
        "latency max",
        "C calls, 8 jobs ending",
        "requests, 8 jobs ending",
        "all N end: s, requests",
    )
    rows = []
    for result in results:
        idle, lat = result["idle"], result["latency_s"]
        rows.append(
            (
                f"{result['count']:,}",
                result["method"],
                f"{idle['c_calls_per_s']:.1f}",
                f"{idle['job_ps_per_s']:.1f}",
                "?" if idle["requests_per_s"] is None else f"{idle['requests_per_s']:.1f}",
                f"{idle['cpu_ms_per_s']:.1f}",
                "?" if idle["controller_cpu_ms_per_s"] is None else f"{idle['controller_cpu_ms_per_s']:.1f}",
                f"{statistics.median(lat):.2f} s",
                f"{max(lat):.2f} s",
                f"{result['ending']['c_calls']:,}",
                "?" if result["ending"]["requests"] is None else f"{result['ending']['requests']:,}",
                f"{result['all_end']['seconds']:.0f} s, {result['all_end']['requests']}",
            )
        )
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    rule = "  ".join("=" * width for width in widths)
    lines = [rule, "  ".join(cell.ljust(width) for cell, width in zip(header, widths)), rule]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.append(rule)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="10,100,1000", help="numbers of watched jobs (default 10,100,1000)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of watching held jobs (default 20)")
    parser.add_argument("--quick", action="store_true", help="10 jobs and 3 s of idle watching: shows it still runs")
    parser.add_argument("--json", type=Path, help="write every number to this file")
    args = parser.parse_args()
    counts = [10] if args.quick else [int(item) for item in args.counts.split(",")]
    idle = 3.0 if args.quick else args.idle
    counting = CountingLibrary(wrappers.lib)
    wrappers.lib = counting
    results = []
    started = time.monotonic()
    drm = "sge"
    try:
        with drmaa.Session() as session, tempfile.TemporaryDirectory(prefix="drmaabench-") as scratch:
            drm = "slurm" if "slurm" in session.drmsInfo.lower() else "sge"
            for count in counts:
                for method, measure in METHODS.items():
                    print(f"[{time.strftime('%H:%M:%S')}] N={count} {method}", file=sys.stderr, flush=True)
                    result = measure(session, counting, drm, count, idle, Path(scratch))
                    results.append({"count": count, "method": method, **result})
    finally:
        delete = ["scancel", "--name", TAG] if drm == "slurm" else ["qdel", TAG]
        subprocess.run(delete, capture_output=True, check=False)
    text = table(results)
    print(text)
    print(f"({len(results)} runs in {time.monotonic() - started:.0f} s; idle watching {idle:.0f} s each)")
    if args.json:
        document = {"drm": drm, "idle_seconds": idle, "results": results, "table": text}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
