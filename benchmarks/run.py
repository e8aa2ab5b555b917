#!/usr/bin/env python3
"""Benchmarks of drmaa against a C floor and drmaa-python 0.7.9, on one libdrmaa and one Grid Engine.

    python3 benchmarks/run.py [--repeats N] [--full] [--json PATH]

See benchmarks/README.rst for the workloads and how to read the table. The
driver itself never loads libdrmaa: every contender runs in a subprocess of
its own, and everything submitted is deleted at the end, also on error or
Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LOCAL_SGE = REPO / "scripts" / "local-sge"
REEXEC_MARK = "DRMAA_BENCH_REEXEC"

DRMAA_INCLUDE = "/usr/lib/gridengine-drmaa/include"
DRMAA_LIBDIR = "/usr/lib/gridengine-drmaa/lib"
REFERENCE = "drmaa==0.7.9"
TAG_PREFIX = "drmaabench_"

C, OURS, OLD = "C floor", "ours", "0.7.9"
CONTENDERS = (C, OURS, OLD)

# key: (title, what one operation is, how a repeat's value is made)
WORKLOADS = {
    "w1": ("1 template churn", "per cycle", "total / cycles"),
    "w2": ("2 status polling", "jobStatus, p50/call", "p50 of the calls"),
    "w3": ("3 bulk ids", "runBulkJobs, per id", "total / ids"),
    "w4": ("4 submission", "runJob, p50/call", "p50 of the calls"),
    "w5": ("5 wait + JobInfo", "wait(ANY), p50/call", "p50 of the calls"),
}

STALL_NS = 500_000_000  # a call this slow hit Grid Engine's 1 s stall


# --- small tools ---------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_delta(seconds: float) -> str:
    return ("+" if seconds >= 0 else "-") + fmt_time(abs(seconds))


def fmt_kib(kib: float) -> str:
    sign = "+" if kib >= 0 else "-"
    kib = abs(kib)
    return f"{sign}{kib / 1024:.2f} MiB" if kib >= 1024 else f"{sign}{kib:.0f} KiB"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class NoAnswer(RuntimeError):
    """A worker said nothing in time."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP arrived; unwinds like Ctrl-C so that cleanup runs."""


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


# --- environment ----------------------------------------------------------------


def ensure_cluster_environment(argv: list[str]) -> None:
    """Re-run under ``scripts/local-sge exec`` unless libdrmaa's environment is set.

    SGE_ROOT, SGE_CELL, DRMAA_LIBRARY_PATH and GLIBC_TUNABLES must be set
    before a process that loads libdrmaa starts; the workers inherit them.
    """
    needed = ("SGE_ROOT", "DRMAA_LIBRARY_PATH")
    if all(os.environ.get(name) for name in needed):
        return
    if os.environ.get(REEXEC_MARK) or not LOCAL_SGE.exists():
        missing = [name for name in needed if not os.environ.get(name)]
        sys.exit(f"run.py: {', '.join(missing)} not set: run it as 'scripts/local-sge exec python3 {argv[0]}'")
    os.environ[REEXEC_MARK] = "1"
    os.execv(str(LOCAL_SGE), [str(LOCAL_SGE), "exec", sys.executable, str(Path(__file__).resolve()), *argv[1:]])


def run_quiet(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def compile_floor(workdir: Path, include: str, libdir: str) -> tuple[Path, float]:
    header = Path(include) / "drmaa.h"
    library = Path(libdir) / "libdrmaa.so"
    for path in (header, library):
        if not path.exists():
            sys.exit(f"run.py: {path} is missing (Debian: apt-get install gridengine-drmaa-dev)")
    binary = workdir / "floor"
    cc = os.environ.get("CC", "cc")
    cmd = [
        cc,
        "-O2",
        "-std=gnu11",
        "-Wall",
        "-Werror",
        f"-I{include}",
        str(HERE / "floor.c"),
        "-o",
        str(binary),
        f"-L{libdir}",
        "-ldrmaa",
        f"-Wl,-rpath,{libdir}",
    ]
    t0 = time.monotonic()
    done = run_quiet(cmd, timeout=120)
    if done.returncode:
        sys.exit(f"run.py: compiling floor.c failed:\n{' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return binary, time.monotonic() - t0


def reference_install(cache_dir: Path) -> tuple[Path, float]:
    """Install drmaa-python 0.7.9 from PyPI into the cache (once), for this interpreter."""
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    target = cache_dir / f"drmaa-0.7.9-{tag}"
    marker = target / ".complete"
    if marker.exists():
        return target, 0.0
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix="drmaa-0.7.9-", dir=cache_dir))
    log(f"installing {REFERENCE} from PyPI into {target}")
    t0 = time.monotonic()
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-compile",
        "--target",
        str(partial),
        REFERENCE,
    ]
    done = run_quiet(cmd, timeout=300)
    if done.returncode:
        shutil.rmtree(partial, ignore_errors=True)
        sys.exit(f"run.py: {' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    (partial / ".complete").write_text(REFERENCE + "\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target, time.monotonic() - t0


# --- jobs on the cluster -----------------------------------------------------------


def queued_jobs() -> list[tuple[str, str, str]]:
    """(job number, name, owner) of every job the cluster lists, all users."""
    done = run_quiet(["qstat", "-u", "*", "-xml"])
    if done.returncode:
        raise RuntimeError(f"qstat failed: {done.stderr.strip()}")
    jobs = []
    for job in ET.fromstring(done.stdout).iter("job_list"):
        jobs.append((job.findtext("JB_job_number", ""), job.findtext("JB_name", ""), job.findtext("JB_owner", "")))
    return jobs


def usable_queues() -> list[str]:
    """Queue instances that can start a job now: not unknown (no execd), disabled, suspended or in error."""
    done = run_quiet(["qstat", "-f", "-xml"])
    usable = []
    for queue in ET.fromstring(done.stdout).iter("Queue-List"):
        state = queue.findtext("state", "") or ""
        if not set(state) & set("uadsSEDc"):
            usable.append(queue.findtext("name", "?"))
    return usable


def qdel(job_numbers: list[str]) -> None:
    for start in range(0, len(job_numbers), 200):
        run_quiet(["qdel", *job_numbers[start : start + 200]])  # "does not exist" is fine


def job_numbers_in(files: list[Path]) -> list[str]:
    numbers: set[str] = set()
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.split():
            number = line.split(".", 1)[0]
            if number.isdigit():
                numbers.add(number)
    return sorted(numbers, key=int)


def delete_jobs(tag: str, ids_files: list[Path], wait: float = 30) -> list[str]:
    """qdel every id the workers wrote and every job named *tag*; return what is still listed."""
    qdel(job_numbers_in(ids_files))
    deadline = time.monotonic() + wait
    while True:
        left = sorted({number for number, name, _ in queued_jobs() if name == tag}, key=int)
        if not left or time.monotonic() > deadline:
            return left
        qdel(left)
        time.sleep(0.5)


def delete_stale_runs() -> None:
    """Delete jobs of earlier benchmark runs whose driver is gone (killed with -9, say)."""
    stale: dict[str, list[str]] = {}
    for number, name, _ in queued_jobs():
        match = re.fullmatch(TAG_PREFIX + r"(\d+)", name)
        if not match:
            continue
        pid = match.group(1)
        try:
            alive = "run.py" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            alive = False
        if not alive:
            stale.setdefault(name, []).append(number)
    for name, numbers in stale.items():
        log(f"deleting {len(numbers)} job(s) left by an interrupted run ({name})")
        qdel(numbers)


def daemon_pids() -> tuple[str, str]:
    """The pids of the running sge_qmaster and sge_execd (zombies aside), to notice a restart."""
    found: dict[str, list[str]] = {"sge_qmaster": [], "sge_execd": []}
    namespaces = [os.readlink(f"/proc/self/ns/{ns}") for ns in ("pid", "net")]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if [os.readlink(entry / "ns" / ns) for ns in ("pid", "net")] != namespaces:
                continue  # a cluster of its own in a namespace: not ours
        except OSError:
            continue
        comm, state = stat[stat.find("(") + 1 : stat.rfind(")")], stat[stat.rfind(")") + 2 :][:1]
        if comm in found and state not in ("Z", "X"):
            found[comm].append(entry.name)
    return ",".join(sorted(found["sge_qmaster"])), ",".join(sorted(found["sge_execd"]))


class Conditions:
    """What else happened on the machine and the cluster while the benchmark ran."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.daemons_start = daemon_pids()
        self.load_start = os.getloadavg()
        self.foreign_jobs = 0

    def look(self) -> None:
        try:
            others = [n for n, name, _ in queued_jobs() if name != self.tag]
        except RuntimeError:
            return
        self.foreign_jobs = max(self.foreign_jobs, len(others))

    def check_daemons(self) -> None:
        """Stop the run if sge_qmaster or sge_execd restarted: sessions lose their job events then."""
        now = daemon_pids()
        for name, before, after in zip(("sge_qmaster", "sge_execd"), self.daemons_start, now):
            if before != after:
                raise RuntimeError(
                    f"{name} restarted during the run (pid {before or '-'} -> {after or '-'}; another user of the "
                    "cluster?): libdrmaa sessions lose their job events then, so the run is void; run it again"
                )

    def report(self) -> dict[str, Any]:
        end = daemon_pids()
        return {
            "load_average_start": [round(x, 2) for x in self.load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "qmaster_restarted": self.daemons_start[0] != end[0],
            "execd_restarted": self.daemons_start[1] != end[1],
            "most_jobs_of_others_seen": self.foreign_jobs,
        }


# --- workers ---------------------------------------------------------------------


class Worker:
    """A contender's subprocess speaking JSON lines on standard output."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], stderr_path: Path) -> None:
        self.name = name
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd="/tmp"
        )
        self._buffer = b""

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read(self, timeout: float, watch: Optional[Conditions] = None) -> dict[str, Any]:
        """The next JSON line; with *watch*, give up as soon as a cluster daemon restarts."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._read(min(5.0, max(0.0, deadline - time.monotonic())))
            except NoAnswer:
                if time.monotonic() >= deadline:
                    raise NoAnswer(f"{self.name}: no answer within {timeout:.0f} s{self.tail()}") from None
                if watch is not None:
                    watch.check_daemons()

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer(self.name)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    self.proc.wait(timeout=10)
                    raise RuntimeError(f"{self.name}: exited with {self.proc.returncode}{self.tail()}")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            result: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise RuntimeError(f"{self.name}: unexpected output {line[:200]!r}{self.tail()}") from None
        return result

    def tail(self) -> str:
        self._stderr.flush()
        try:
            text = self.stderr_path.read_text(errors="replace").strip()
        except OSError:
            return ""
        return f"\n--- stderr of {self.name} ---\n{text[-3000:]}" if text else ""

    def finish(self, timeout: float = 60) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.proc.wait(timeout=timeout)
        if self.proc.returncode:
            raise RuntimeError(f"{self.name}: exited with {self.proc.returncode}{self.tail()}")
        self.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close()

    def close(self) -> None:
        if not self._stderr.closed:
            self._stderr.close()


class Bench:
    def __init__(self, options: argparse.Namespace, workdir: Path, floor: Path, reference: Path, tag: str) -> None:
        self.options = options
        self.workdir = workdir
        self.tag = tag
        self.workers: list[Worker] = []
        self.ids_files: list[Path] = []
        self.counter = 0
        base = dict(os.environ)
        base.pop(REEXEC_MARK, None)
        base.update(PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1")
        base.pop("PYTHONPATH", None)
        worker = str(HERE / "worker.py")
        self.commands = {
            C: ([str(floor)], base),
            OURS: ([sys.executable, worker], {**base, "PYTHONPATH": str(REPO)}),
            OLD: ([sys.executable, worker], {**base, "PYTHONPATH": str(reference)}),
        }

    def start(self, contender: str, *args: Any) -> tuple[Worker, Path]:
        self.counter += 1
        ids = self.workdir / f"ids-{self.counter}.txt"
        ids.touch()
        self.ids_files.append(ids)
        cmd, env = self.commands[contender]
        full = [*cmd, *(str(a) for a in args[:1]), self.tag, *(str(a) for a in args[1:]), str(ids)]
        worker = Worker(contender, full, env, self.workdir / f"stderr-{self.counter}.txt")
        self.workers.append(worker)
        return worker, ids

    def batch(self, contender: str) -> dict[str, Any]:
        o = self.options
        worker, ids = self.start(contender, "batch", o.w1_cycles, o.w2_polls, o.w3_tasks, o.w4_jobs)
        try:
            result = worker.read(timeout=300)
            worker.finish()
        finally:
            worker.kill()
            qdel(job_numbers_in([ids]))  # no held job of this run stays queued during the next one
        return result

    def kill_all(self) -> None:
        for worker in self.workers:
            worker.kill()


# --- statistics and the table ------------------------------------------------------


def median_ns(times: list[int]) -> float:
    return float(statistics.median(times)) if times else float("nan")


def summarize(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "repeats": values}


def per_repeat_value(key: str, result: dict[str, Any]) -> float:
    data = result[key]
    if key in ("w1", "w3"):
        return data["total_ns"] / data["n"] / 1e9
    return median_ns(data["times_ns"]) / 1e9


def stalls(results: list[dict[str, Any]], key: str) -> int:
    return sum(1 for r in results for t in r[key].get("times_ns", ()) if t >= STALL_NS)


TARGETS = {
    "w1": ("<= 1.9x C and < 0.7.9", 1.9, "faster"),
    "w2": ("<= 1.10x C and <= 0.7.9", 1.10, "no-slower"),
    "w3": ("<= 1.6x C", 1.6, None),
    "w4": ("<= 1.10x C and <= 0.7.9", 1.10, "no-slower"),
    "w5": ("<= 1.10x C and <= 0.7.9", 1.10, "no-slower"),
}


def verdict(key: str, stats: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    text, limit, versus_old = TARGETS[key]
    ours, c, old = (stats[name]["median"] for name in (OURS, C, OLD))
    ok = ours / c <= limit
    if versus_old == "faster":
        ok = ok and ours < old
    elif versus_old == "no-slower":
        ok = ok and ours <= old
    return text, ok


def render(report: dict[str, Any]) -> str:
    lines = []
    env = report["environment"]
    lines.append(f"drmaa benchmarks, {env['date']}")
    lines.append(
        f"machine: {env['uname']}, {env['cpu']}, {env['cores']} cores; Python {env['python']}; "
        f"{env['drm']} libdrmaa {env['library']}"
    )
    p = report["parameters"]
    if p.get("quick"):
        lines.append("QUICK RUN (--quick): small counts that only show every workload runs; do not read the times")
    lines.append(
        f"{p['repeats']} repeats, contenders alternated (C floor, ours, 0.7.9); each cell: median [min-max] "
        f"over the repeats; ratio = median / median of C"
    )
    names = {C: "C floor", OURS: f"ours ({report['versions'][OURS]})", OLD: f"drmaa-python {report['versions'][OLD]}"}
    header = [
        "workload",
        "operation",
        names[C],
        names[OURS],
        "ours/C",
        "ours-C",
        names[OLD],
        "0.7.9/C",
        "target",
        "met",
    ]
    rows = []
    for key, (title, unit, _) in WORKLOADS.items():
        if key not in report["results"]:
            continue
        stats = report["results"][key]
        cells = {
            name: f"{fmt_time(s['median'])} [{fmt_time(s['min'])}-{fmt_time(s['max'])}]" for name, s in stats.items()
        }
        target, ok = report["targets"][key]["target"], report["targets"][key]["met"]
        rows.append(
            [
                title,
                unit,
                cells[C],
                cells[OURS],
                f"{stats[OURS]['median'] / stats[C]['median']:.2f}x",
                fmt_delta(stats[OURS]["median"] - stats[C]["median"]),
                cells[OLD],
                f"{stats[OLD]['median'] / stats[C]['median']:.2f}x",
                target,
                "yes" if ok else "NO",
            ]
        )
    for key in ("mem_templates", "mem_jobs"):
        if key not in report["results"]:
            continue
        mem = report["results"][key]
        n = mem[OURS]["n"]
        what = f"{n:,} template cycles" if key == "mem_templates" else f"{n:,} job cycles"
        target, ok = report["targets"][key]["target"], report["targets"][key]["met"]
        rows.append(
            [
                "6 memory",
                what,
                fmt_kib(mem[C]["growth_kib"]),
                fmt_kib(mem[OURS]["growth_kib"]),
                "",
                "",
                fmt_kib(mem[OLD]["growth_kib"]),
                "",
                target,
                "yes" if ok else "NO",
            ]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    sep = "  "
    lines.append("")
    lines.append(sep.join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines.append(sep.join("-" * w for w in widths))
    for row in rows:
        lines.append(sep.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    lines.append("")
    if report.get("failure"):
        lines.append(f"NOT MEASURED: workloads 5 and 6 and the call counts failed: {report['failure'].splitlines()[0]}")
    if "mem_jobs" in report["results"]:
        mem = report["results"]["mem_jobs"]
        full = "" if p["full"] else " (default; --full runs 1,000)"
        lines.append(
            f"job cycles for memory: {mem[OURS]['n']:,} per contender{full}; one cycle (runJob + wait) took "
            f"{fmt_time(mem[OURS]['seconds_per_cycle'])} here"
        )
    st = report["stalls"]
    lines.append(
        "calls that hit the 1 s stall of libdrmaa (excluded by the p50): "
        + "; ".join(
            f"{WORKLOADS[k][0].split(' ', 1)[1]}: " + ", ".join(f"{n} {st[k][n]}" for n in CONTENDERS)
            for k in ("w2", "w4", "w5")
            if k in st
        )
    )
    lines.append("")
    calls = report["calls"]
    if calls:
        lines.append(
            "foreign calls per operation (ours, counted through drmaa.wrappers.lib; minimum = what floor.c makes)"
        )
    ch = ["operation", "ours", "C minimum", "met"]
    crow = [
        [
            WORKLOADS[k][0] + (f" ({p['w3_tasks']:,} ids)" if k == "w3" else ""),
            f"{calls[k]['ours']:g}",
            f"{calls[k]['minimum']:g}",
            "yes" if calls[k]["ours"] <= calls[k]["minimum"] else "NO",
        ]
        for k in WORKLOADS
        if k in calls
    ]
    cw = [max(len(r[i]) for r in [ch, *crow]) for i in range(len(ch))]
    if calls:
        lines.append(sep.join(h.ljust(w) for h, w in zip(ch, cw)).rstrip())
        lines.append(sep.join("-" * w for w in cw))
        for row in crow:
            lines.append(sep.join(cell.ljust(w) for cell, w in zip(row, cw)).rstrip())
        lines.append("")
    cleanup = report["cleanup"]
    lines.append(
        f"cleanup: {cleanup['left_by_this_run']} job(s) of this run left; `qstat -u '*'` lists "
        f"{cleanup['queued_after']} job(s) in all"
    )
    cond = report["conditions"]
    lines.append(
        f"load average {cond['load_average_start'][0]:.2f} at the start, {cond['load_average_end'][0]:.2f} at the end; "
        f"other jobs on the cluster: up to {cond['most_jobs_of_others_seen']}"
    )
    restarted = [name for name in ("qmaster", "execd") if cond[f"{name}_restarted"]]
    if restarted:
        lines.append(f"WARNING: sge_{' and sge_'.join(restarted)} restarted during the run: results not trustworthy")
    if cond["most_jobs_of_others_seen"] or cond["load_average_start"][0] > 1.0:
        lines.append("WARNING: the machine or the cluster was busy with other work: times are inflated and noisy")
    lines.append(f"total run time: {report['total_seconds']:.0f} s")
    return "\n".join(lines)


# --- the run ------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="repeats per workload, at least 5 (default 5)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json", help="where to write JSON")
    parser.add_argument("--full", action="store_true", help="1,000 job cycles for the memory workload")
    parser.add_argument("--job-cycles", type=int, default=None, help="job cycles for the memory workload")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small counts, to check that every workload still runs (its times say little)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drmaa-benchmarks",
        help="where drmaa-python 0.7.9 is installed (outside the repository)",
    )
    parser.add_argument("--drmaa-include", default=DRMAA_INCLUDE, help="directory of drmaa.h")
    parser.add_argument("--drmaa-libdir", default=DRMAA_LIBDIR, help="directory of libdrmaa.so")
    options = parser.parse_args(argv)
    if options.repeats < 5:
        parser.error("--repeats must be at least 5")
    if options.quick and options.full:
        parser.error("--quick and --full exclude each other")
    if options.job_cycles is None:
        options.job_cycles = 1000 if options.full else QUICK_JOB_CYCLES if options.quick else DEFAULT_JOB_CYCLES
    if options.quick:
        options.w1_cycles, options.w2_polls, options.w3_tasks, options.w4_jobs = 200, 20, 100, 20
        options.template_cycles, options.wait_jobs = 1000, 2 * options.repeats
    else:
        options.w1_cycles, options.w2_polls, options.w3_tasks, options.w4_jobs = 2000, 200, 2000, 200
        options.template_cycles, options.wait_jobs = 20000, 50
    options.wait_block = options.wait_jobs // options.repeats
    return options


DEFAULT_JOB_CYCLES = 20
QUICK_JOB_CYCLES = 2


def jobs_phase(options: argparse.Namespace, bench: Bench, conditions: Conditions) -> tuple[Any, Any, Any]:
    """Workload 6 and workload 5, in one long-lived process per contender."""
    # Workload 6 (memory) and the jobs of workload 5 run in the three contenders at once:
    # the cluster's throughput, not the binding, sets how long that takes, and nothing of it is timed.
    log(
        f"memory: {options.template_cycles:,} template cycles and {options.job_cycles:,} job cycles each, "
        f"then {options.wait_jobs} jobs each for workload 5"
    )
    phase_timeout = 240 + 10 * options.job_cycles
    t0 = time.monotonic()
    jobs = {
        name: bench.start(name, "jobs", options.template_cycles, options.job_cycles, options.wait_jobs)[0]
        for name in CONTENDERS
    }
    counter, _ = bench.start(OURS, "count", options.w3_tasks)
    memory: dict[str, dict[str, Any]] = {name: {} for name in CONTENDERS}
    for name, worker in jobs.items():
        memory[name].update(worker.read(phase_timeout, conditions))
    for name, worker in jobs.items():
        memory[name].update(worker.read(phase_timeout, conditions))
    log(f"memory done in {time.monotonic() - t0:.0f} s")
    for name, worker in jobs.items():
        if not worker.read(phase_timeout, conditions).get("ready"):
            raise RuntimeError(f"{name}: not ready")
    counts = counter.read(phase_timeout, conditions)
    counter.finish()
    log(f"jobs of workload 5 finished after {time.monotonic() - t0:.0f} s")

    # Workload 5: waits in blocks, alternated like the others.
    waits: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    for _ in range(options.repeats):
        conditions.look()
        for name in CONTENDERS:
            jobs[name].send(f"wait {options.wait_block}")
            waits[name].append(jobs[name].read(120, conditions))
    for worker in jobs.values():
        worker.send("quit")
        worker.finish()

    return memory, waits, counts


def run(options: argparse.Namespace, t_start: float) -> dict[str, Any]:
    for tool in ("qstat", "qdel"):
        if not shutil.which(tool):
            sys.exit(f"run.py: {tool} not found: is Grid Engine installed? (scripts/local-sge up)")
    try:
        queued_jobs()
    except RuntimeError as exc:
        sys.exit(f"run.py: the cluster does not answer ({exc}); start it with scripts/local-sge up")
    runnable = bool(usable_queues())
    if not runnable:
        log("no queue can start jobs (is sge_execd running? see qstat -f): only workloads 1-4 (held jobs) can run")
    if REPO in options.cache_dir.resolve().parents or options.cache_dir.resolve() == REPO:
        sys.exit("run.py: --cache-dir must be outside the repository")

    workdir = Path(tempfile.mkdtemp(prefix="drmaa-bench-"))
    tag = f"{TAG_PREFIX}{os.getpid()}"
    conditions = Conditions(tag)
    bench: Optional[Bench] = None
    report: dict[str, Any] = {}
    try:
        delete_stale_runs()
        floor, compile_s = compile_floor(workdir, options.drmaa_include, options.drmaa_libdir)
        reference, install_s = reference_install(options.cache_dir)
        log(
            f"floor.c compiled in {compile_s:.1f} s; drmaa-python 0.7.9 in {reference}"
            + (f" (installed in {install_s:.1f} s)" if install_s else " (cached)")
        )
        bench = Bench(options, workdir, floor, reference, tag)

        # Workloads 1-4: a fresh process per contender and repeat, C, ours, 0.7.9, C, ours, ...
        batches: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
        for repeat in range(options.repeats):
            for name in CONTENDERS:
                t0 = time.monotonic()
                conditions.look()
                conditions.check_daemons()
                batches[name].append(bench.batch(name))
                log(f"workloads 1-4, repeat {repeat + 1}/{options.repeats}, {name}: {time.monotonic() - t0:.1f} s")

        memory: Optional[dict[str, dict[str, Any]]] = None
        waits: Optional[dict[str, list[dict[str, Any]]]] = None
        counts: Optional[dict[str, Any]] = None
        failure = None
        try:
            if not runnable and not usable_queues():
                raise RuntimeError("no queue can start jobs (is sge_execd running? see qstat -f)")
            memory, waits, counts = jobs_phase(options, bench, conditions)
        except RuntimeError as exc:
            failure = str(exc)
        if failure:
            log(f"workloads 5 and 6 failed, reporting workloads 1-4 only: {failure}")

        report = build_report(options, batches, memory, waits, counts, t_start)
        report["conditions"] = conditions.report()
        report["failure"] = failure
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if bench is not None:
            bench.kill_all()
        left = delete_jobs(tag, bench.ids_files if bench else [])
        shutil.rmtree(workdir, ignore_errors=True)
        queued = queued_jobs()
        log(f"cleanup: {len(left)} job(s) of this run left; qstat -u '*' lists {len(queued)} job(s)")
        if report:
            report["cleanup"] = {
                "left_by_this_run": len(left),
                "queued_after": len(queued),
                "queued_after_by_name": sorted({name for _, name, _ in queued}),
            }
    return report


def build_report(
    options: argparse.Namespace,
    batches: dict[str, list[dict[str, Any]]],
    memory: Optional[dict[str, dict[str, Any]]],
    waits: Optional[dict[str, list[dict[str, Any]]]],
    counts: Optional[dict[str, Any]],
    t_start: float,
) -> dict[str, Any]:
    uname = os.uname()
    lib = os.environ.get("DRMAA_LIBRARY_PATH", "")
    report: dict[str, Any] = {
        "environment": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "uname": f"{uname.sysname} {uname.release} {uname.machine}",
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "library": os.path.realpath(lib) if lib else lib,
            "drm": batches[OURS][0].get("drms", "?"),
        },
        "parameters": {
            "repeats": options.repeats,
            "w1_template_cycles": options.w1_cycles,
            "w2_polls": options.w2_polls,
            "w3_tasks": options.w3_tasks,
            "w4_jobs": options.w4_jobs,
            "w5_jobs": options.wait_jobs,
            "w5_waits_per_repeat": options.wait_block,
            "w6_template_cycles": options.template_cycles,
            "w6_job_cycles": options.job_cycles,
            "full": options.full,
            "quick": options.quick,
        },
        "versions": {C: "C", OURS: batches[OURS][0]["impl"], OLD: batches[OLD][0]["impl"].split()[-1]},
        "modules": {OURS: batches[OURS][0]["module"], OLD: batches[OLD][0]["module"]},
        "results": {},
        "stalls": {},
        "targets": {},
    }
    for key in WORKLOADS:
        if key == "w5" and waits is None:
            continue
        per: dict[str, list[float]] = {}
        for name in CONTENDERS:
            results = waits[name] if key == "w5" else batches[name]
            per[name] = [per_repeat_value(key, r) for r in results]
        report["results"][key] = {name: summarize(values) for name, values in per.items()}
        if key == "w3":
            report["results"][key][C]["submit_share"] = statistics.median(
                r["w3"]["submit_ns"] / r["w3"]["total_ns"] for r in batches[C]
            )
        report["stalls"][key] = {
            name: stalls(waits[name] if key == "w5" else batches[name], key) for name in CONTENDERS
        }
        text, ok = verdict(key, report["results"][key])
        report["targets"][key] = {"target": text, "met": ok}
    for key in ("mem_templates", "mem_jobs"):
        if memory is None:
            break
        report["results"][key] = {}
        for name in CONTENDERS:
            m = memory[name][key]
            entry = {
                "n": m["n"],
                "rss_before_kib": m["rss_before_kib"],
                "rss_after_kib": m["rss_after_kib"],
                "growth_kib": m["rss_after_kib"] - m["rss_before_kib"],
            }
            if key == "mem_jobs":
                entry["seconds_per_cycle"] = m["total_ns"] / 1e9 / m["n"] if m["n"] else float("nan")
            report["results"][key][name] = entry
        growth = report["results"][key][OURS]["growth_kib"]
        report["targets"][key] = {"target": "< 1 MiB", "met": growth < 1024}
    floor_calls = {key: batches[C][0][key]["calls_per_op"] for key in ("w1", "w2", "w3", "w4")}
    if waits is None or counts is None:
        report["total_seconds"] = time.monotonic() - t_start
        report["calls"] = {}
        return report
    floor_calls["w5"] = waits[C][0]["w5"]["calls_per_op"]
    report["calls"] = {
        key: {
            "ours": counts["counts"][key]["calls_per_op"],
            "minimum": floor_calls[key],
            "ours_by_function": counts["counts"][key]["by_function"],
        }
        for key in WORKLOADS
    }
    report["targets"]["calls"] = {
        "target": "ours <= minimum for every operation",
        "met": all(v["ours"] <= v["minimum"] for v in report["calls"].values()),
    }
    report["total_seconds"] = time.monotonic() - t_start
    return report


def main(argv: list[str]) -> int:
    t_start = time.monotonic()
    ensure_cluster_environment(argv)
    options = parse_args(argv[1:])
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    # Ctrl-C cleans up too when the shell started us with SIGINT ignored (a background job, say).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = run(options, t_start)
    except (KeyboardInterrupt, Interrupted) as exc:
        log(f"interrupted ({type(exc).__name__} {exc}); submitted jobs were deleted")
        return 130
    except RuntimeError as exc:
        log(f"failed: {exc}")
        return 1
    report["total_seconds"] = time.monotonic() - t_start
    table = render(report)
    report["table"] = table
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(report, indent=1) + "\n")
    print(table)
    print(f"\nJSON: {options.json}")
    return 1 if report.get("failure") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
