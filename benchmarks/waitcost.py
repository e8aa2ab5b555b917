#!/usr/bin/env python3
"""What waiting costs the scheduler: controller requests per waiting job per minute, and end-to-result latency.

    python3 benchmarks/waitcost.py [--drm sge,slurm] [--counts 1,10,100] [--window 60] [--json PATH]

For each DRM, each call (``wait`` with a thread per job, ``synchronize``,
``wait(JOB_IDS_SESSION_ANY)``) and each number of waiting jobs, one process
with this repository's drmaa and one with drmaa-python 0.7.9 run at the same
time, each under ``strace``, which logs every request the process sends to
the controller (see benchmarks/README.rst). Every job is submitted on hold,
so it waits as long as the window lasts; at the end of the window the
process terminates its jobs and times how long each result takes to come
back. The driver itself never loads libdrmaa, and deletes every job it
submitted at the end, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OURS, OLD, PREVIOUS = "ours", "0.7.9", "previous"
KINDS = ("wait", "synchronize", "any")
KIND_TITLES = {
    "wait": "wait, a thread per job",
    "synchronize": "synchronize(all)",
    "any": "wait(ANY) per job",
}
TAG_PREFIX = "drmaawaitcost_"

# How each DRM's controller is reached, and what one request is in an strace log:
# Slurm opens a new TCP connection to slurmctld for every RPC; Grid Engine keeps
# one connection to sge_qmaster and writes each message as a "<gmsh>" header
# write followed by the message's own writes.
CONTROLLER_PORT = {"sge": 6444, "slurm": 6817}

# --- the contender process -----------------------------------------------------------

#: The jobs' ends are spread over this many seconds after the window, one
#: TERMINATE at a time: slurm-drmaa's default poll interval, so that jobs end
#: at every phase of it, as real jobs do.
SPREAD = 10.0


def child(kind: str, count: int, window: float, tag: str) -> None:
    """``waitcost.py child KIND COUNT WINDOW TAG``: submit COUNT held jobs, wait, end them after WINDOW s."""
    import drmaa  # the contender: this repository's or 0.7.9, by PYTHONPATH

    s = drmaa.Session()
    s.initialize()
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sleep"
    jt.args = ["3600"]
    jt.jobName = tag
    jt.workingDirectory = "/tmp"
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    ids = [s.runJob(jt) for _ in range(count)]
    s.deleteJobTemplate(jt)
    print("IDS", " ".join(ids), flush=True)
    forever = drmaa.Session.TIMEOUT_WAIT_FOREVER
    returned: dict[str, float] = {}  # job (or call number) -> when its call returned
    terminated: dict[str, float] = {}  # job -> when its TERMINATE returned
    errors: list[str] = []

    def collect(key: str, call: Any, *args: Any) -> None:
        try:
            call(*args)
        except Exception as exc:  # noqa: BLE001 - a held job that never ran: code 24 on Grid Engine
            if "code 24" not in str(exc):
                errors.append(f"{type(exc).__name__}: {exc}")
        returned[key] = time.time()

    def end_window(start: float) -> None:
        time.sleep(max(0.0, start + window - time.time()))
        end = time.time()
        print("WINDOW_END", f"{end:.6f}", flush=True)
        for number, job in enumerate(ids):
            time.sleep(max(0.0, end + (number + 0.5) * SPREAD / count - time.time()))
            s.control(job, drmaa.JobControlAction.TERMINATE)
            terminated[job] = time.time()

    threads = [threading.Thread(target=collect, args=(job, s.wait, job, forever)) for job in ids[1:]]
    start = time.time()
    print("WINDOW_START", f"{start:.6f}", flush=True)  # every wait below starts in the window
    ender = threading.Thread(target=end_window, args=(start,))
    ender.start()
    if kind == "wait":  # a thread per job, and the first job in the main thread, where Ctrl-C must be answered
        for thread in threads:
            thread.start()
        collect(ids[0], s.wait, ids[0], forever)
        for thread in threads:
            thread.join()
    elif kind == "synchronize":
        collect("all", s.synchronize, ids, forever, True)
    else:
        for number in range(count):
            collect(str(number), s.wait, drmaa.Session.JOB_IDS_SESSION_ANY, forever)
    ender.join()
    if kind == "wait":
        latencies = [returned[job] - terminated[job] for job in ids]
    elif kind == "synchronize":
        latencies = [returned["all"] - max(terminated.values())]
    else:  # the k-th result to come back belongs to the k-th job to end
        latencies = [back - end for back, end in zip(sorted(returned.values()), sorted(terminated.values()))]
    print("RESULT", json.dumps({"latencies": latencies, "errors": errors, "module": drmaa.__file__}), flush=True)
    s.exit()


# --- the driver ----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cluster_environment(script: Path, slurm_conf: Optional[Path]) -> dict[str, str]:
    """The environment of a process that uses the cluster *script* (``scripts/local-sge`` or ``local-slurm``)."""
    done = subprocess.run([str(script), "env"], capture_output=True, text=True, timeout=60, check=True)
    env = dict(os.environ)
    for line in done.stdout.splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line.strip())
        if match:
            env[match.group(1)] = match.group(2).strip("'\"")
    if slurm_conf is not None:
        env["SLURM_DRMAA_CONF"] = str(slurm_conf)
    env.pop("PYTHONPATH", None)
    return env


class Contender:
    """One child process under strace."""

    def __init__(
        self, drm: str, impl: str, kind: str, count: int, options: Any, env: dict[str, str], workdir: Path
    ) -> None:
        self.drm, self.impl, self.kind, self.count = drm, impl, kind, count
        self.tag = f"{TAG_PREFIX}{os.getpid()}"
        self.trace = workdir / f"{drm}-{impl.replace('.', '')}-{kind}-{count}.strace"
        self.ids: list[str] = []
        self.lines: dict[str, str] = {}
        path = str({OURS: REPO, OLD: options.reference, PREVIOUS: options.previous}[impl])
        command = [
            "strace",
            "-f",
            "-qq",
            "--seccomp-bpf",
            "-ttt",
            "-e",
            "trace=connect,write,writev,sendto,sendmsg",
            "-e",
            "signal=none",
            "-o",
            str(self.trace),
            sys.executable,
            str(Path(__file__).resolve()),
            "child",
            kind,
            str(count),
            str(options.window),
            self.tag,
        ]
        self.proc = subprocess.Popen(
            command,
            env={**env, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            word, _, rest = line.rstrip("\n").partition(" ")
            if word == "IDS":
                self.ids = rest.split()
            self.lines.setdefault(word, rest)
            self.lines["_output"] = self.lines.get("_output", "") + line

    def finish(self, timeout: float) -> dict[str, Any]:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.reader.join(10)
        if "RESULT" not in self.lines:
            raise RuntimeError(
                f"{self.drm} {self.impl} {self.kind} {self.count}: no result:\n{self.lines.get('_output')}"
            )
        result: dict[str, Any] = json.loads(self.lines["RESULT"])
        start, end = float(self.lines["WINDOW_START"]), float(self.lines["WINDOW_END"])
        requests = count_requests(self.trace, CONTROLLER_PORT[self.drm], start, end)
        result.update(window_start=start, window_end=end, requests=requests)
        result["per_job_minute"] = requests / self.count / ((end - start) / 60)
        return result


_CALL = re.compile(
    r"^\d+\s+(?P<time>\d+\.\d+)\s+(?P<name>connect|write|writev|sendto|sendmsg)\((?P<fd>\d+),(?P<rest>.*)"
)


def count_requests(trace: Path, port: int, start: float, end: float) -> int:
    """Requests to the controller at *port* between *start* and *end*, read from an strace log.

    Slurm: every RPC is a connect() to slurmctld's port. Grid Engine: every
    message begins with a write of its ``<gmsh>`` header on the connection to
    sge_qmaster's port.
    """
    controller_fds: set[str] = set()
    connects = writes = 0
    target = f"sin_port=htons({port})"
    with trace.open(errors="replace") as lines:
        for line in lines:
            match = _CALL.match(line)
            if not match:
                continue
            inside = start <= float(match["time"]) <= end
            if match["name"] == "connect":
                if target in match["rest"]:
                    controller_fds.add(match["fd"])
                    connects += inside
            elif match["fd"] in controller_fds and match["rest"].lstrip().startswith('"<gmsh>'):
                writes += inside
    return connects if port == CONTROLLER_PORT["slurm"] else writes


def sdiag_rpcs() -> Optional[dict[str, int]]:
    """slurmctld's own RPC counters, by message type (``sdiag``), or None."""
    done = subprocess.run(["sdiag"], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode:
        return None
    by_type = done.stdout.split("by message type", 1)[-1].split("by user", 1)[0]
    return {name: int(count) for name, count in re.findall(r"^\s*(\w+)\s+\(\s*\d+\)\s+count:(\d+)", by_type, re.M)}


def delete_jobs(drm: str, contenders: list[Contender], env: dict[str, str]) -> None:
    ids = sorted({job.split(".")[0].split("_")[0] for c in contenders for job in c.ids})
    command = ["qdel"] if drm == "sge" else ["scancel"]
    for start in range(0, len(ids), 200):
        subprocess.run(command + ids[start : start + 200], env=env, capture_output=True, timeout=120, check=False)


def run_drm(drm: str, options: Any, workdir: Path) -> dict[str, Any]:
    script = options.local_sge if drm == "sge" else options.local_slurm
    slurm_conf = None
    if drm == "slurm":
        slurm_conf = workdir / "slurm_drmaa.conf"
        slurm_conf.write_text("# empty: slurm-drmaa's defaults (pool_delay 10)\n")
    env = cluster_environment(script, slurm_conf)
    rpcs_before = sdiag_rpcs() if drm == "slurm" else None
    contenders = [
        Contender(drm, impl, kind, count, options, env, workdir)
        for count in options.counts
        for kind in options.kinds
        for impl in options.contenders
        if not (count == 1 and kind != "wait")  # with one job the three calls are the same wait
    ]
    log(f"{drm}: {len(contenders)} processes, {options.window:.0f} s window")
    try:
        results = []
        for contender in contenders:
            result = contender.finish(options.window + 300)
            result.update(drm=drm, impl=contender.impl, kind=contender.kind, count=contender.count)
            results.append(result)
    finally:
        delete_jobs(drm, contenders, env)
    rpcs_after = sdiag_rpcs() if drm == "slurm" else None
    summary: dict[str, Any] = {"results": results}
    if rpcs_before is not None and rpcs_after is not None:
        summary["sdiag_rpcs"] = {name: count - rpcs_before.get(name, 0) for name, count in rpcs_after.items()}
        summary["strace_requests_total"] = sum(
            count_requests(c.trace, CONTROLLER_PORT[drm], 0, float("inf")) for c in contenders
        )
    return summary


def table(runs: dict[str, dict[str, Any]], window: float, contenders: list[str]) -> str:
    extra = [impl for impl in contenders if impl not in (OURS, OLD)]
    lines = [
        f"Requests to the controller per waiting job per minute ({window:.0f} s window), and the time from a",
        f"job's end (TERMINATE of a held job; ends spread over {SPREAD:.0f} s) to the return of the call that",
        "gives its result: median [max].",
        "",
        "| DRM | call | jobs | requests/job/min ours | 0.7.9 | latency ours | 0.7.9 |"
        + "".join(f" {impl}: requests | latency |" for impl in extra),
        "|---|---|---|---|---|---|---|" + "---|---|" * len(extra),
    ]
    notes: list[str] = []
    for drm, run in runs.items():
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        for result in run["results"]:
            rows.setdefault((result["kind"], result["count"]), {})[result["impl"]] = result
        for (kind, count), pair in rows.items():
            cells = []
            for impl in (OURS, OLD):
                cells.append(f"{pair[impl]['per_job_minute']:.2f}")
            for impl in (OURS, OLD):
                cells.append(latency_cell(pair[impl]["latencies"]))
            for impl in extra:
                cells += [f"{pair[impl]['per_job_minute']:.2f}", latency_cell(pair[impl]["latencies"])]
            lines.append(f"| {drm} | {KIND_TITLES[kind]} | {count} | " + " | ".join(cells) + " |")
        if "sdiag_rpcs" in run:
            rpcs = run["sdiag_rpcs"]
            polls = rpcs.get("REQUEST_JOB_INFO_SINGLE", 0) + rpcs.get("REQUEST_FED_INFO", 0)
            notes.append(
                f"{drm}: slurmctld counted {sum(rpcs.values())} RPCs during the run ({polls} of them "
                f"REQUEST_JOB_INFO_SINGLE + REQUEST_FED_INFO), the processes of the run sent "
                f"{run['strace_requests_total']}; the rest is other users' traffic."
            )
    lines += ["", *notes]
    errors = [
        f"{drm} {r['impl']} {r['kind']} {r['count']}: {error}"
        for drm, run in runs.items()
        for r in run["results"]
        for error in r["errors"]
    ]
    if errors:
        lines += ["", "ERRORS:", *errors]
    return "\n".join(lines)


def latency_cell(latencies: list[float]) -> str:
    return f"{statistics.median(latencies):.2f} s [{max(latencies):.2f}]"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drm", default="sge,slurm", help="comma-separated: sge, slurm (default both)")
    parser.add_argument("--counts", default="1,10,100", help="numbers of waiting jobs (default 1,10,100)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="calls: wait, synchronize, any (default all)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of waiting measured (default 60)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "waitcost.json", help="where to write JSON")
    parser.add_argument("--local-sge", type=Path, default=REPO / "scripts" / "local-sge")
    parser.add_argument("--local-slurm", type=Path, default=REPO / "scripts" / "local-slurm")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drmaa-benchmarks",
        help="where drmaa-python 0.7.9 is installed (outside the repository)",
    )
    parser.add_argument(
        "--previous",
        type=Path,
        help="also measure the drmaa package found in this directory (an earlier checkout, say)",
    )
    options = parser.parse_args(argv)
    options.contenders = [OURS, OLD] + ([PREVIOUS] if options.previous else [])
    options.drms = options.drm.split(",")
    options.counts = [int(n) for n in options.counts.split(",")]
    options.kinds = options.kinds.split(",")
    if set(options.drms) - set(CONTROLLER_PORT) or set(options.kinds) - set(KINDS):
        parser.error("unknown DRM or call")
    return options


def main(argv: list[str]) -> int:
    if argv[:1] == ["child"]:
        child(argv[1], int(argv[2]), float(argv[3]), argv[4])
        return 0
    options = parse_args(argv)
    if not shutil.which("strace"):
        sys.exit("waitcost.py: strace is needed (Debian: apt-get install strace)")
    sys.path.insert(0, str(HERE))
    from run import reference_install  # the same cached drmaa-python 0.7.9 as run.py

    options.reference, _ = reference_install(options.cache_dir)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="drmaa-waitcost-") as tmp:
        for drm in options.drms:
            runs[drm] = run_drm(drm, options, Path(tmp))
    text = table(runs, options.window, options.contenders)
    print(text)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
                "window": options.window,
                "runs": runs,
                "table": text,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
