"""``python -m drmaa`` / ``drmaa-check``: explain in plain words whether DRMAA works here.

It uses the public API like any program would; nothing else in the package depends on it.

Exit status: 0 when everything works, 1 when a problem was found (each one is
printed with what to do about it), 2 for bad command-line arguments and 130
when interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Callable, Optional, TextIO, TypeVar

from drmaa import _loader, errors, wrappers
from drmaa.version import __version__

if TYPE_CHECKING:
    from drmaa.session import JobInfo

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PROBLEM", "advice", "library_advice", "main"]

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_INTERRUPTED = 130

#: Debian's file that names the Grid Engine root and cell; read to suggest them.
SGE_DEFAULTS_FILE = "/etc/default/gridengine"

#: How long to wait for the test job to go away after terminating it.
_REAP_SECONDS = 30.0

_TLS_ERROR = re.compile(r"(\S+): cannot allocate memory in static TLS block")
_MISSING_DEPENDENCY = re.compile(r"(\S+): cannot open shared object file")
_TLS_TUNABLE = re.compile(r"glibc\.rtld\.optional_static_tls=\d*")
_ENV_NAMES = ("DRMAA_LIBRARY_PATH", "SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "GLIBC_TUNABLES", "LD_PRELOAD")

T = TypeVar("T")


# --- advice: what to do about a failure ---------------------------------------


def _tls_exports(jemalloc: str, environ: Mapping[str, str]) -> list[str]:
    """The lines to export so that a library linking *jemalloc* can be loaded."""
    current = environ.get("GLIBC_TUNABLES", "")
    if not current:
        tunables = _loader.STATIC_TLS_FIX
    elif _TLS_TUNABLE.search(current):
        tunables = _TLS_TUNABLE.sub(_loader.STATIC_TLS_FIX, current)
    else:
        tunables = f"{current}:{_loader.STATIC_TLS_FIX}"
    return [f"export GLIBC_TUNABLES={tunables}", f"export LD_PRELOAD={jemalloc}   # or this instead"]


def _installed_libraries(environ: Mapping[str, str]) -> list[str]:
    """Files among the usual places that look like a DRMAA library (none is loaded)."""
    others = {key: value for key, value in environ.items() if key != _loader.ENV_VAR}
    return [path for _, path in _loader.candidates(others, lambda name: None) if os.path.isfile(path)]


def _load_failure(path: str, reason: str) -> str:
    """Explain why the dynamic linker refused an existing file."""
    missing = _MISSING_DEPENDENCY.search(reason)
    if missing and os.path.basename(path) != missing.group(1):
        return (
            f"{path} needs {missing.group(1)}, which is not installed: install the package that provides it "
            f"(`ldd {path}` lists every library it needs)."
        )
    if "wrong ELF class" in reason:
        return f"{path} was built for another architecture (32 and 64 bit do not mix): install the right one."
    if "invalid ELF header" in reason or "file too short" in reason or "not a dynamic" in reason:
        return f"{path} is not a shared library: point {_loader.ENV_VAR} at the DRMAA library itself."
    return f"{path} exists but the dynamic linker refused it ({reason}): check it with `ldd {path}`."


def library_advice(error: errors.LibraryNotFoundException, environ: Mapping[str, str]) -> list[str]:
    """Return what to do when no library could be loaded, one line per item."""
    for _, reason in error.attempts:
        tls = _TLS_ERROR.search(reason)
        if tls:
            return [
                f"The library was found, but it links {tls.group(1)}, which needs more static TLS than glibc "
                "keeps for libraries opened after a program has started. Nothing inside Python can change "
                "that: export this before starting Python, then run the program again:",
                *_tls_exports(tls.group(1), environ),
            ]
    explicit = environ.get(_loader.ENV_VAR)
    installed = _installed_libraries(environ)
    found = f" These exist on this machine: {', '.join(installed)}." if installed else ""
    if explicit and not os.path.exists(explicit):
        return [
            f"{_loader.ENV_VAR}={explicit} names a file that does not exist: set it to the full path of the "
            f"DRMAA library, or unset it to let the usual places be searched.{found}"
        ]
    existing = [(path, reason) for path, reason in error.attempts if "no such file" not in reason]
    if existing:
        return [_load_failure(path, reason.rsplit(" (from ", 1)[0]) for path, reason in existing]
    return [
        "No DRMAA library is installed where this package looks. Install one (Debian and Ubuntu: "
        "apt-get install gridengine-drmaa1.0; Slurm: slurm-drmaa) or set "
        f"{_loader.ENV_VAR} to its full path.{found}"
    ]


def _sge_defaults() -> dict[str, str]:
    """SGE_ROOT and SGE_CELL as Debian's packages recorded them, if they did."""
    values: dict[str, str] = {}
    try:
        with open(SGE_DEFAULTS_FILE, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                name, sep, value = line.strip().partition("=")
                if sep and name in ("SGE_ROOT", "SGE_CELL"):
                    values[name] = value.strip().strip("\"'")
    except OSError:
        pass
    return values


def _cells(root: str) -> list[str]:
    """The cells under a Grid Engine root: directories holding ``common/``."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [name for name in names if os.path.isdir(os.path.join(root, name, "common"))]


def _qmaster(environ: Mapping[str, str]) -> str:
    """Where the library looks for the master daemon, as far as files tell."""
    root, cell = environ.get("SGE_ROOT", ""), environ.get("SGE_CELL", "default")
    try:
        with open(os.path.join(root, cell, "common", "act_qmaster"), encoding="utf-8") as handle:
            host = handle.read().strip()
    except OSError:
        return ""
    port = environ.get("SGE_QMASTER_PORT", "")
    return f" (host {host} from $SGE_ROOT/$SGE_CELL/common/act_qmaster" + (f", port {port})" if port else ")")


def _sge_root_advice(environ: Mapping[str, str]) -> str:
    defaults = _sge_defaults()
    if defaults.get("SGE_ROOT"):
        cell = defaults.get("SGE_CELL", "default")
        return (
            "Grid Engine's library needs SGE_ROOT and SGE_CELL in the environment. This machine's "
            f"{SGE_DEFAULTS_FILE} says: export SGE_ROOT={defaults['SGE_ROOT']} SGE_CELL={cell}"
        )
    return (
        "Grid Engine's library needs SGE_ROOT and SGE_CELL in the environment: source your cluster's "
        "$SGE_ROOT/$SGE_CELL/common/settings.sh, or export SGE_ROOT=<Grid Engine root> SGE_CELL=default."
    )


def _cell_advice(environ: Mapping[str, str]) -> str:
    root = environ.get("SGE_ROOT", "")
    if root and not os.path.isdir(root):
        return f"SGE_ROOT={root} does not exist: export SGE_ROOT=<the directory Grid Engine is installed in>."
    cells = _cells(root)
    cell = environ.get("SGE_CELL", "")
    where = f"SGE_CELL={cell}" if cell else "SGE_CELL is unset, so the cell 'default' was used, and it"
    if cells:
        return (
            f"{where} names no cell under {root}; the cells there are: {', '.join(cells)}. export SGE_CELL={cells[0]}"
        )
    return f"{where} names no cell under {root or '$SGE_ROOT (unset)'}, and none is there: is SGE_ROOT right?"


def advice(exc: BaseException, environ: Optional[Mapping[str, str]] = None) -> str:
    """Return what a user should do about *exc*, or ``''`` when there is nothing specific to say.

    :param environ: the environment to explain it with (default: :data:`os.environ`).
    """
    env = os.environ if environ is None else environ
    text = str(exc)
    if isinstance(exc, errors.LibraryNotFoundException):
        return "\n".join(library_advice(exc, env))
    if isinstance(exc, AttributeError) and "drmaa_" in text and not isinstance(exc, errors.DrmaaException):
        return (
            f"The library does not export a DRMAA 1.0 function ({text}): {_loader.ENV_VAR} or the search "
            "found a library that is not a DRMAA 1.0 library."
        )
    if "SGE_ROOT" in text:
        return _sge_root_advice(env)
    if "cell directory" in text:
        return _cell_advice(env)
    if isinstance(exc, errors.DrmCommunicationException):
        return (
            f"The library cannot reach Grid Engine's master daemon, sge_qmaster{_qmaster(env)}. Check that it "
            "runs (qstat answers when it does), that this host may connect to it, and that SGE_QMASTER_PORT "
            "(or the sge_qmaster line of /etc/services) names its port."
        )
    if isinstance(exc, (errors.InvalidContactStringException, errors.InvalidArgumentException)) and (
        "contact" in text.lower() or "drmaa_init" in text
    ):
        return "The contact string is not one this library accepts: leave --contact out to use the default."
    uid = re.search(r"user id (\d+) is lower than minimum user id (\d+)", text)
    if uid:
        return (
            f"The cluster refuses jobs of users whose id is below {uid.group(2)} (its min_uid), and this user's "
            f"id is {uid.group(1)}{' (root)' if uid.group(1) == '0' else ''}. Submit as an ordinary user, or "
            "have the administrator lower min_uid and min_gid (qconf -mconf)."
        )
    if isinstance(exc, errors.DeniedByDrmException):
        queue = re.search(r'unknown queue "([^"]*)"', text)
        if queue or "queue" in text.lower():
            name = f' "{queue.group(1)}"' if queue else ""
            return (
                f"The job asks for a queue{name} that the cluster does not have: list the queues with "
                "qconf -sql and fix the -q option of the native specification (--native)."
            )
        if "parallel environment" in text.lower():
            return "The job names a parallel environment the cluster does not have: list them with qconf -spl."
        if "unknown resource" in text:
            return "The job requests a resource the cluster does not define: list them with qconf -sc (-l option)."
        if "option" in text:
            return "The native specification holds an option Grid Engine does not accept: see `man qsub`."
        return "The scheduler rejected the job: check the native specification and the cluster's limits."
    return ""


# --- the report ------------------------------------------------------------


class _Report:
    """What was found, printed as it is found; counts the problems."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.problems: list[str] = []

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def section(self, title: str) -> None:
        self.line()
        self.line(title)

    def problem(self, what: str, todo: str = "") -> None:
        self.problems.append(what)
        self.line(f"  PROBLEM: {what}")
        for index, text in enumerate(todo.splitlines()):
            self.line(f"  {'What to do: ' if index == 0 else '    '}{text}")

    def fail(self, what: str, exc: BaseException) -> None:
        self.problem(f"{what} failed: {type(exc).__name__}: {exc}", advice(exc))


def _timed(call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _mapped_file(name: str) -> str:
    """The file the dynamic linker opened for *name* (``find_library`` gives bare names)."""
    if os.path.isabs(name):
        return os.path.realpath(name)
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for row in maps:
                path = row.split(None, 5)[-1].strip()
                if path.startswith("/") and os.path.basename(path).startswith(name):
                    return path
    except OSError:
        pass
    return ""


# --- the checks ------------------------------------------------------------


def _library(report: _Report) -> bool:
    report.section("Library")
    for name in _ENV_NAMES:
        report.line(f"  {name}={os.environ[name]}" if name in os.environ else f"  {name} is not set")
    error = wrappers.load_error
    if error is not None or wrappers.lib is None:
        attempts = error.attempts if error is not None else []
        if not attempts:
            report.line(f"  nothing to try: {_loader.ENV_VAR} is unset and find_library('drmaa') found nothing")
        for path, reason in attempts:
            report.line(f"  tried {path}: {reason}")
        todo = "\n".join(library_advice(error, os.environ)) if error is not None else ""
        report.problem("no DRMAA library could be loaded.", todo)
        return False
    for path, reason in wrappers.load_attempts:
        report.line(f"  tried {path}: {reason}")
    real = _mapped_file(wrappers.library_path)
    shown = f" = {real}" if real and real != wrappers.library_path else ""
    report.line(f"  loaded {wrappers.library_path}{shown} (found by {wrappers.library_source})")
    return True


def _about(report: _Report) -> str:
    """Print what the library says about itself; return the error text if it failed."""
    from drmaa.session import Session

    report.section("DRM")
    try:
        report.line(f"  DRM system: {Session.drmsInfo}")
        report.line(f"  DRMAA implementation: {Session.drmaaImplementation}")
        report.line(f"  DRMAA version: {Session.version}")
        report.line(f"  contact before initialize: {Session.contact!r}")
    except (errors.DrmaaException, AttributeError) as exc:
        report.fail("asking the library about itself", exc)
        return str(exc)
    return ""


def _session(report: _Report, args: argparse.Namespace, known: str = "") -> None:
    from drmaa.session import Session

    report.section("Session")
    try:
        _, seconds = _timed(lambda: Session.initialize(args.contact))
    except (errors.DrmaaException, AttributeError) as exc:
        if known and str(exc) == known:  # one cause, counted once
            report.line(f"  initialize() failed the same way: {type(exc).__name__}: {exc}")
        else:
            report.fail("initialize()", exc)
        return
    try:
        report.line(f"  initialize() took {seconds:.3f} s; contact {Session.contact!r}")
        if args.submit:
            _submit(report, args)
    finally:
        try:
            Session.exit()
        except errors.DrmaaException as exc:
            report.fail("exit()", exc)


def _describe(info: JobInfo) -> list[str]:
    lines = [
        f"  JobInfo: jobId={info.jobId!r} hasExited={info.hasExited} exitStatus={info.exitStatus} "
        f"hasSignal={info.hasSignal} terminatedSignal={info.terminatedSignal!r} "
        f"hasCoreDump={info.hasCoreDump} wasAborted={info.wasAborted}",
    ]
    usage = info.resourceUsage
    shown = " ".join(f"{key}={usage[key]}" for key in ("ru_wallclock", "cpu", "maxvmem", "exit_status") if key in usage)
    lines.append(f"  resourceUsage: {len(usage)} entries" + (f"; {shown}" if shown else ""))
    try:
        queued = float(usage["start_time"]) - float(usage["submission_time"])
        ran = float(usage["end_time"]) - float(usage["start_time"])
    except (KeyError, ValueError):
        pass
    else:
        if math.isfinite(queued) and math.isfinite(ran) and queued >= 0 and ran >= 0:
            lines.append(f"  according to the DRM the job waited {queued:.1f} s in the queue and ran {ran:.1f} s")
    return lines


def _job_problem(info: JobInfo, command: str) -> tuple[str, str]:
    """What went wrong with a test job that ended, and what to do; ``('', '')`` if nothing."""
    if info.hasExited and info.exitStatus == 0:
        return "", ""
    if info.wasAborted:
        return (
            "the test job was aborted: it never ran, or was killed by the DRM.",
            f"Check that {command} exists on the execution hosts and that the job may write its output; "
            f"`qacct -j {info.jobId}` shows the reason (field 'failed').",
        )
    if info.hasSignal:
        return f"the test job was killed by {info.terminatedSignal}.", "Look at the cluster's limits (qconf -sq)."
    return (
        f"the test job exited with status {info.exitStatus}, not 0.",
        f"Run {command} by hand on an execution host to see why.",
    )


def _cleanup(job_id: str) -> None:
    """Terminate and reap a test job that did not end in time (best effort)."""
    from drmaa.session import Session

    try:
        Session.control(job_id, "terminate")
        Session.wait(job_id, _REAP_SECONDS)
    except errors.DrmaaException:
        pass


def _submit(report: _Report, args: argparse.Namespace) -> None:
    from drmaa.session import Session

    report.section("Test job")
    command = " ".join(args.command)
    if args.native:
        report.line(f"  native specification: {args.native}")
    try:
        with Session.createJobTemplate() as jt:
            jt.remoteCommand = args.command[0]
            jt.args = args.command[1:]
            jt.jobName = "drmaa-check"
            jt.joinFiles = True
            jt.outputPath = ":/dev/null"
            if args.native:
                jt.nativeSpecification = args.native
            job_id, seconds = _timed(lambda: Session.runJob(jt))
    except errors.DrmaaException as exc:
        report.fail(f"submitting the test job ({command})", exc)
        return
    report.line(f"  runJob({command!r}) -> job {job_id}, submitted in {seconds:.3f} s")
    try:
        info, seconds = _timed(lambda: Session.wait(job_id, args.timeout))
    except errors.ExitTimeoutException:
        try:
            state = Session.jobStatus(job_id)
        except errors.DrmaaException as exc:
            state = f"unknown ({exc})"
        todo = f"`qstat -j {job_id}` tells why it does not run (scheduling info); the job is deleted now."
        if state == "queued_active":
            todo += (
                " `qstat -f` shows whether the queues can run jobs: state u means the execution daemon "
                "(sge_execd) does not report, E an error, d disabled, a alarm (load too high)."
            )
        report.problem(f"job {job_id} did not end within {args.timeout:g} s; its state is {state}.", todo)
        _cleanup(job_id)
        return
    except errors.NoResourceUsageException as exc:
        report.fail(f"waiting for job {job_id}", exc)
        return
    except errors.DrmaaException as exc:
        report.fail(f"waiting for job {job_id}", exc)
        _cleanup(job_id)
        return
    except BaseException:
        _cleanup(job_id)  # Ctrl-C: leave no job behind
        raise
    report.line(f"  wait() returned after {seconds:.3f} s")
    for text in _describe(info):
        report.line(text)
    what, todo = _job_problem(info, command)
    if what:
        report.problem(what, todo)


# --- the command -------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    prog = "drmaa-check" if sys.argv and os.path.basename(sys.argv[0]) == "drmaa-check" else "python -m drmaa"
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Explain whether the DRMAA library can be found and used here, and what to do if not. "
            "Exit status: 0 if everything works, 1 if a problem was found."
        ),
    )
    parser.add_argument("--submit", action="store_true", help="also run a short test job and wait for it")
    parser.add_argument("--native", default="", help="native specification of the test job, e.g. --native='-q all.q'")
    parser.add_argument("--contact", default=None, help="contact string for initialize() (default: none)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the test job (120)")
    parser.add_argument(
        "command", nargs="*", help="the test job's command (default: /bin/sleep 1); put -- before one that has options"
    )
    return parser


def main(argv: Optional[list[str]] = None, out: Optional[TextIO] = None) -> int:
    """Run the checks and print what was found; return the exit status (0 when everything works).

    :param argv: the arguments (default: ``sys.argv[1:]``).
    :param out: where to print (default: standard output).
    """
    args = _parser().parse_args(argv)
    if not args.command:
        args.command = ["/bin/sleep", "1"]
    if args.submit and not (args.timeout > 0 and math.isfinite(args.timeout)):
        _parser().error("--timeout must be a positive number of seconds")
    report = _Report(out or sys.stdout)
    report.line(f"drmaa {__version__} on Python {platform.python_version()} ({sys.executable})")
    try:
        if _library(report):
            _session(report, args, _about(report))
    except KeyboardInterrupt:
        report.line()
        report.line("Interrupted.")
        return EXIT_INTERRUPTED
    report.line()
    if report.problems:
        report.line(f"{len(report.problems)} problem(s) found; see PROBLEM and What to do above.")
        return EXIT_PROBLEM
    report.line("DRMAA works here." if args.submit else "DRMAA works here (run with --submit to also run a job).")
    return EXIT_OK
