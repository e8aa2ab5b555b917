#!/usr/bin/env python3
"""Where one template cycle (workload 1) spends its calls and time, in one process per binding.

    scripts/local-sge exec python3 benchmarks/profile.py [--drmaa DIR ...] [--cycles N]
    python3 benchmarks/profile.py --noop [--drmaa DIR ...]

For each ``drmaa`` package given (default: this repository's and drmaa-python
0.7.9 from the benchmark cache), a fresh interpreter counts, per cycle, the
Python functions entered and the builtin (C-implemented) functions called
(``sys.setprofile``), and the calls into libdrmaa; then it times cycles. The
packages take turns, a process each, for several rounds; the time is the
median over the rounds of each process's fastest repeat.
Only a DRMAA session is needed (templates never reach the scheduler), so
``--noop`` can build ``noop.c``, a libdrmaa that does nothing, and measure
the binding alone. See benchmarks/README.rst.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drmaa-benchmarks"
REFERENCE = CACHE / f"drmaa-0.7.9-py{sys.version_info.major}{sys.version_info.minor}"


class _CountingLibrary:
    """Counts the functions of libdrmaa that are looked up and called through it."""

    def __init__(self, library: Any, counts: Counter[str]) -> None:
        self._library = library
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._library, name)
        counts = self._counts

        def counted(*args: Any) -> Any:
            counts[name] += 1
            return function(*args)

        return counted


def _foreign_calls(drmaa: Any, cycle: Any, n: int) -> float:
    """libdrmaa calls per cycle: through the package's one library object, or any CDLL function it calls."""
    counts: Counter[str] = Counter()
    wrappers = getattr(drmaa, "wrappers", None)
    if wrappers is not None and getattr(wrappers, "lib", None) is not None and hasattr(wrappers.lib, "drmaa_init"):
        library = wrappers.lib
        wrappers.lib = _CountingLibrary(library, counts)
        try:
            for _ in range(n):
                cycle()
        finally:
            wrappers.lib = library
        return sum(counts.values()) / n
    return float("nan")  # a binding that binds the functions by name elsewhere (0.7.9)


def _python_calls(cycle: Any, n: int) -> tuple[float, float]:
    """Python functions entered and builtin functions called per cycle (calls into libdrmaa are neither)."""
    counts: Counter[str] = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            counts["python"] += 1
        elif event == "c_call":
            counts["builtin"] += 1

    sys.setprofile(profile)
    try:
        for _ in range(n):
            cycle()
    finally:
        sys.setprofile(None)
    # cycle() and worker.template_cycle() are two Python calls per cycle that are not the binding's
    return counts["python"] / n - 2, counts["builtin"] / n


def child(cycles: int) -> None:
    sys.path.insert(0, str(HERE))
    from worker import template_cycle

    import drmaa  # the one PYTHONPATH chose (worker.py imports it too)

    session = drmaa.Session()
    session.initialize()
    try:

        def cycle() -> None:
            template_cycle(session)

        for _ in range(500):
            cycle()
        python, builtin = _python_calls(cycle, 20)
        foreign = _foreign_calls(drmaa, cycle, 20)
        times = []
        for _ in range(9):
            gc.collect()
            t0 = time.perf_counter_ns()
            for _ in range(cycles):
                cycle()
            times.append((time.perf_counter_ns() - t0) / cycles / 1000)
        result = {
            "module": os.path.dirname(drmaa.__file__),
            "python_calls": python,
            "builtin_calls": builtin,
            "foreign_calls": foreign,
            "us_per_cycle": min(times),  # the least disturbed repeat: others' load only adds
        }
        print(json.dumps(result))
    finally:
        session.exit()


def report(roots: list[Path], cycles: int, rounds: int) -> None:
    """Run one child per package and round, alternating the packages, and print the table."""
    print(f"library: {os.environ['DRMAA_LIBRARY_PATH']}")
    results: dict[Path, list[dict[str, Any]]] = {root: [] for root in roots}
    for _ in range(rounds):
        for root in roots:
            env = {**os.environ, "PYTHONPATH": str(root), "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
            done = subprocess.run(
                [sys.executable, __file__, "--child", "--cycles", str(cycles)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                sys.exit(f"profile.py: {root}: exited with {done.returncode}\n{done.stderr}")
            results[root].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'drmaa':<60} {'Python calls':>12} {'builtin calls':>13} {'C calls':>7} {'µs/cycle':>8}")
    for runs in results.values():
        r = runs[0]
        foreign = r["foreign_calls"]
        print(
            f"{r['module']:<60} {r['python_calls']:>12.1f} {r['builtin_calls']:>13.1f} "
            f"{'-' if foreign != foreign else format(foreign, 'g'):>7} "
            f"{statistics.median(run['us_per_cycle'] for run in runs):>8.2f}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drmaa", action="append", type=Path, help="directory holding a drmaa package (repeatable)")
    parser.add_argument("--cycles", type=int, default=2000, help="cycles per timed repeat (the fastest of 9 counts)")
    parser.add_argument("--rounds", type=int, default=5, help="processes per package, alternated (median of rounds)")
    parser.add_argument("--noop", action="store_true", help="build noop.c and use it as libdrmaa")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        child(options.cycles)
        return 0
    with tempfile.TemporaryDirectory(prefix="drmaa-profile-") as workdir:
        if options.noop:
            library = Path(workdir) / "libdrmaa-noop.so"
            cc = os.environ.get("CC", "cc")
            build = [cc, "-O2", "-shared", "-fPIC", "-Wall", "-Werror", str(HERE / "noop.c"), "-o", str(library)]
            done = subprocess.run(build, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"profile.py: building noop.c failed:\n{' '.join(build)}\n{done.stdout}{done.stderr}")
            os.environ["DRMAA_LIBRARY_PATH"] = str(library)
        elif not os.environ.get("DRMAA_LIBRARY_PATH"):
            sys.exit("profile.py: DRMAA_LIBRARY_PATH is not set: run it as 'scripts/local-sge exec python3 ...'")
        report(options.drmaa or [HERE.parent, REFERENCE], options.cycles, options.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
