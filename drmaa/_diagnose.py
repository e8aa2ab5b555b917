"""``python -m drmaa`` / ``drmaa-check``: explain in plain words whether DRMAA works here.

It uses the public API like any program would; nothing here is needed by it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Callable, Optional, TextIO

from drmaa import errors, wrappers
from drmaa.version import __version__

__all__ = ["advice", "main"]


def advice(exc: BaseException) -> str:
    """Return what a user should do about *exc*, or ``''`` when there is nothing specific to say."""
    text = str(exc)
    if isinstance(exc, errors.LibraryNotFoundException):
        if "static TLS" in text:
            return "The library exists but the process started without enough static TLS: see the exports above."
        return (
            "Install a DRMAA library (Debian/Ubuntu: apt-get install gridengine-drmaa1.0) or set "
            "DRMAA_LIBRARY_PATH to its full path."
        )
    if "SGE_ROOT" in text:
        return (
            "Grid Engine's library needs SGE_ROOT (and SGE_CELL) in the environment: source your cluster's "
            "settings.sh, or export SGE_ROOT=<Grid Engine root> SGE_CELL=default."
        )
    if "cell directory" in text:
        return f"SGE_CELL={os.environ.get('SGE_CELL', '')!r} names no cell under SGE_ROOT: export the right SGE_CELL."
    if isinstance(exc, errors.DrmCommunicationException):
        return (
            "The scheduler's master daemon cannot be reached: check that it runs (qstat), that this host may "
            "talk to it, and SGE_QMASTER_PORT if your site sets one."
        )
    if "minimum user id" in text:
        return (
            "The cluster refuses jobs of users below its min_uid (root is uid 0): submit as an ordinary user, "
            "or have the administrator lower min_uid (qconf -mconf)."
        )
    if "queue" in text.lower() and isinstance(exc, errors.DeniedByDrmException):
        return "The job names a queue the cluster does not have: list the queues with qconf -sql and fix -q."
    if "parallel environment" in text.lower():
        return "The job names a parallel environment the cluster does not have: list them with qconf -spl."
    if isinstance(exc, errors.DeniedByDrmException):
        return "The scheduler rejected the job: check the native specification and the cluster's limits."
    return ""


class _Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.problems = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def fail(self, what: str, exc: BaseException) -> None:
        self.problems += 1
        self.line(f"  PROBLEM: {what} failed: {type(exc).__name__}: {exc}")
        hint = advice(exc)
        if hint:
            self.line(f"  What to do: {hint}")


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _library(report: _Report) -> bool:
    report.line("Library")
    for name in ("DRMAA_LIBRARY_PATH", "SGE_ROOT", "SGE_CELL", "GLIBC_TUNABLES", "LD_PRELOAD"):
        report.line(f"  {name}={os.environ[name]!r}" if name in os.environ else f"  {name} is not set")
    error = wrappers.load_error
    if error is not None:
        for path, reason in error.attempts:
            report.line(f"  tried {path}: {reason}")
        report.problems += 1
        report.line("  PROBLEM: no DRMAA library could be loaded.")
        report.line("  " + str(error).replace("\n", "\n  "))
        report.line(f"  What to do: {advice(error)}")
        return False
    for path, reason in wrappers.load_attempts:
        report.line(f"  tried {path}: {reason}")
    report.line(f"  loaded {wrappers.library_path} ({wrappers.library_source})")
    return True


def _session(report: _Report, args: argparse.Namespace) -> None:
    from drmaa.session import Session

    report.line("DRM")
    try:
        report.line(f"  DRM system: {Session.drmsInfo}")
        report.line(f"  DRMAA implementation: {Session.drmaaImplementation}")
        report.line(f"  DRMAA version: {Session.version}")
        report.line(f"  contact before initialize: {Session.contact!r}")
    except errors.DrmaaException as exc:
        report.fail("asking the library about itself", exc)
    report.line("Session")
    try:
        _, seconds = _timed(lambda: Session.initialize(args.contact))
    except errors.DrmaaException as exc:
        report.fail("initialize()", exc)
        return
    try:
        report.line(f"  initialize() took {seconds:.3f} s; contact {Session.contact!r}")
        if args.submit:
            _submit(report, args)
    finally:
        Session.exit()


def _submit(report: _Report, args: argparse.Namespace) -> None:
    from drmaa.session import Session

    report.line("Test job")
    with Session.createJobTemplate() as jt:
        jt.remoteCommand = args.command[0]
        jt.args = args.command[1:]
        jt.joinFiles = True
        jt.outputPath = ":/dev/null"
        if args.native:
            jt.nativeSpecification = args.native
        try:
            job_id, seconds = _timed(lambda: Session.runJob(jt))
        except errors.DrmaaException as exc:
            report.fail("submitting the test job", exc)
            return
    report.line(f"  runJob({' '.join(args.command)!r}) -> job {job_id} in {seconds:.3f} s")
    try:
        info, seconds = _timed(lambda: Session.wait(str(job_id), args.timeout))
    except errors.ExitTimeoutException as exc:
        report.fail(f"waiting {args.timeout} s for job {job_id}", exc)
        report.line("  What to do: the job is still queued or running; look at it with qstat -j " + str(job_id))
        try:
            Session.control(str(job_id), "terminate")
        except errors.DrmaaException:
            pass
        return
    except errors.DrmaaException as exc:
        report.fail(f"waiting for job {job_id}", exc)
        return
    report.line(f"  wait() took {seconds:.3f} s: {info}")
    if not (getattr(info, "hasExited", False) and getattr(info, "exitStatus", 1) == 0):
        report.problems += 1
        report.line("  PROBLEM: the test job did not exit with status 0.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drmaa",
        description="Explain whether the DRMAA library can be found and used here; exit 1 if not.",
    )
    parser.add_argument("--submit", action="store_true", help="also run a short test job and wait for it")
    parser.add_argument("--native", default="", help="native specification for the test job, e.g. '-q all.q'")
    parser.add_argument("--contact", default=None, help="contact string for initialize() (default: none)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the test job")
    parser.add_argument(
        "command", nargs="*", default=["/bin/sleep", "1"], help="the test job's command (default: /bin/sleep 1)"
    )
    return parser


def main(argv: Optional[list[str]] = None, out: Optional[TextIO] = None) -> int:
    """Run the checks; return 0 when everything works and 1 otherwise."""
    args = _parser().parse_args(argv)
    if not args.command:
        args.command = ["/bin/sleep", "1"]
    report = _Report(out or sys.stdout)
    report.line(f"drmaa {__version__} on Python {platform.python_version()} ({sys.executable})")
    if _library(report):
        _session(report, args)
    report.line()
    if report.problems:
        report.line(f"{report.problems} problem(s) found.")
        return 1
    report.line("DRMAA works here.")
    return 0
