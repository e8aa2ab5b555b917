"""``python -m drmaa`` / ``drmaa-check``: explain in plain words whether DRMAA works here.

It uses the public API like any program would; nothing else in the package depends on it.

Exit status: 0 when everything works, 1 when a problem was found (each one is
printed with what to do about it), 2 for bad command-line arguments, 130
when interrupted with Ctrl-C and 141 when whoever reads the output stops
reading (``python -m drmaa | head``): it then stops quietly, as a command
ended by ``SIGPIPE`` does, and deletes the test job it may have submitted.
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, TextIO, TypeVar

from drmaa import _loader, errors, wrappers
from drmaa.version import __version__

if TYPE_CHECKING:
    from drmaa.session import JobInfo

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_PROBLEM",
    "advice",
    "identify",
    "library_advice",
    "main",
]

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, what a shell reports for a command ended by a closed pipe.
EXIT_OUTPUT_CLOSED = 141

#: Debian's file that names the Grid Engine root and cell; read to suggest them.
SGE_DEFAULTS_FILE = "/etc/default/gridengine"

#: How long to wait for the test job to go away after terminating it.
_REAP_SECONDS = 30.0

#: Where slurm-drmaa and Slurm read their configuration (besides the environment).
SLURM_DRMAA_SYSTEM_CONF = "/etc/slurm_drmaa.conf"
SLURM_CONF = "/etc/slurm/slurm.conf"
#: slurm-drmaa's poll interval and Slurm's memory of finished jobs, when nothing sets them.
_DEFAULT_POOL_DELAY = 10
_DEFAULT_MIN_JOB_AGE = 300

_TLS_ERROR = re.compile(r"(\S+): cannot allocate memory in static TLS block")
_MISSING_DEPENDENCY = re.compile(r"(\S+): cannot open shared object file")
_TLS_TUNABLE = re.compile(r"glibc\.rtld\.optional_static_tls=\d*")
_POOL_DELAY = re.compile(r"^[ \t]*pool_delay[ \t]*:[ \t]*(\d+)", re.MULTILINE)
_MIN_JOB_AGE = re.compile(r"^[ \t]*MinJobAge[ \t]*=[ \t]*(\d+)", re.MULTILINE | re.IGNORECASE)
_UNSUPPORTED_OPTION = re.compile(r"Unsupported option: (\S+?)\)?$")

T = TypeVar("T")


# --- the DRMs: what the checks say differently for each ---------------------------------


@dataclass(frozen=True)
class Drm:
    """What the checks say about one DRM: the variables its library reads, where to look when a job fails."""

    name: str
    #: Environment variables its library (or the loading of it) depends on.
    env: tuple[str, ...]
    #: How to learn why job ``{job}`` does not start.
    why_waiting: str
    #: How to learn whether the execution hosts can run jobs at all.
    hosts: str
    #: How to learn why job ``{job}`` was aborted.
    why_aborted: str
    #: Where the limits are that may kill a job.
    limits: str
    #: A native specification for the help text.
    native_example: str


GRID_ENGINE = Drm(
    name="Grid Engine",
    env=("SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "GLIBC_TUNABLES"),
    why_waiting="`qstat -j {job}` tells why it does not run (scheduling info)",
    hosts=(
        "`qstat -f` shows whether the queues can run jobs: state u means the execution daemon "
        "(sge_execd) does not report, E an error, d disabled, a alarm (load too high)."
    ),
    why_aborted="`qacct -j {job}` shows the reason (field 'failed')",
    limits="Look at the cluster's limits (qconf -sq).",
    native_example="-q all.q",
)
SLURM = Drm(
    name="Slurm",
    env=("SLURM_DRMAA_CONF", "SLURM_CONF"),
    why_waiting="`squeue -j {job} -o '%T %r'` tells why it does not run (its reason)",
    hosts=(
        "`sinfo -N` shows whether the nodes can run jobs: a state ending in * means slurmd does not "
        "respond; down, drain and fail take no jobs (`scontrol update NodeName=<node> State=RESUME`)."
    ),
    why_aborted="`scontrol show job {job}` shows the reason, as long as Slurm remembers the job (MinJobAge)",
    limits="Look at the partition's limits (`scontrol show partition`) and the job's time limit.",
    native_example="--partition=main",
)
#: The DRMs the checks know, in the order :func:`identify` tries them.
DRMS = (SLURM, GRID_ENGINE)
_DRM_NAMES = {
    SLURM: re.compile(r"slurm", re.IGNORECASE),
    GRID_ENGINE: re.compile(r"\b(sge|ogs|uge|grid ?engine)\b|gridengine", re.IGNORECASE),
}


def identify(drms_info: str = "", implementation: str = "", library_path: str = "") -> Optional[Drm]:
    """Return the DRM a library talks to, from what it says about itself, else from its file name.

    ``None`` when neither tells (an unknown DRM, or a library that cannot say).
    """
    for text in (f"{drms_info} {implementation}", library_path):
        for drm in DRMS:
            if _DRM_NAMES[drm].search(text):
                return drm
    return None


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


_SGE_OPTIONS = frozenset({"-q", "-l", "-pe", "-b", "-cwd", "-V", "-S", "-P", "-R", "-binding", "-hard", "-soft"})
_SLURM_DRMAA_OWN = frozenset({"--job-name", "-J", "--wrap", "--array", "-a", "--export"})


def _native_advice(text: str) -> str:
    """Advice on a native specification slurm-drmaa refused (code 14)."""
    if "long option missing '='" in text:
        return (
            "slurm-drmaa parses the native specification itself, without a shell: long options need '=' "
            "(--mem=2G, not --mem 2G), short options take the next word (-c 4), and nothing can be quoted."
        )
    unsupported = _UNSUPPORTED_OPTION.search(text)
    option = unsupported.group(1) if unsupported else ""
    if option in _SGE_OPTIONS:
        return (
            f"{option} is a Grid Engine (qsub) option. slurm-drmaa takes sbatch-like options, for example "
            "--partition=NAME (or -p NAME), --time=MINUTES, -c CPUS, --mem=SIZE; `sinfo` lists the partitions."
        )
    if option in _SLURM_DRMAA_OWN:
        return (
            f"slurm-drmaa sets {option} itself and refuses it in the native specification: use the job "
            "template's jobName, remoteCommand, runBulkJobs() or jobEnvironment instead."
        )
    return (
        "slurm-drmaa does not accept this native specification: it takes sbatch-like options, long ones "
        "with '=' (--mem=2G), short ones with a separate value (-c 4), no quoting."
    )


def _slurm_advice(text: str, environ: Mapping[str, str]) -> str:
    """Advice on a failure of slurm-drmaa or Slurm; ``''`` when *text* is none of those."""
    lower = text.lower()
    conf = environ.get("SLURM_DRMAA_CONF", "")
    if conf and f"{conf}: " in text:
        return (
            f"SLURM_DRMAA_CONF={conf} names a file slurm-drmaa cannot read ({text.split(conf + ': ', 1)[1]}): "
            "point it at a readable slurm_drmaa.conf, or unset it."
        )
    if "invalid native specification" in lower:
        return _native_advice(text)
    if "missing colon" in lower:
        return "Paths are '[host]:path': put a colon in front of the path (':/dir/file') to mean any host."
    if "join_files is set and output file is not given" in lower:
        return "slurm-drmaa needs an outputPath when joinFiles is set: set jt.outputPath = ':/dir/file'."
    if "slurm" not in lower:
        return ""
    if "unable to contact slurm controller" in lower:
        where = environ.get("SLURM_CONF") or SLURM_CONF
        return (
            f"slurm-drmaa cannot reach the Slurm controller, slurmctld (SlurmctldHost in {where}). Check that it "
            "runs (`scontrol ping` says UP when it does) and that this host may reach it. A session opens "
            "while slurmctld is down: the failure shows when a job is submitted (code 1) or its state asked "
            "for (code 2, after about 18 s of retries)."
        )
    if "authentication" in lower or "munge" in lower:
        return (
            "Slurm refused the request's credentials: munged must run on this host with the cluster's key "
            "(/etc/munge/munge.key); `munge -n | unmunge` says Success when it does."
        )
    if "partition" in lower:
        return (
            "Slurm does not know the partition the job asks for: `sinfo` lists them; fix --partition or -p (--native)."
        )
    return (
        "Slurm rejected the request: `sinfo` lists the partitions and nodes, `scontrol show partition` their "
        "limits; check the native specification (--native)."
    )


def advice(exc: BaseException, environ: Optional[Mapping[str, str]] = None, drm: Optional[Drm] = None) -> str:
    """Return what a user should do about *exc*, or ``''`` when there is nothing specific to say.

    :param environ: the environment to explain it with (default: :data:`os.environ`).
    :param drm: the DRM the library talks to, when known (see :func:`identify`).
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
    if drm is SLURM or "slurm" in text.lower():
        return _slurm_advice(text, env)
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
        #: The DRM the library talks to, once known.
        self.drm: Optional[Drm] = None

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
        self.problem(f"{what} failed: {type(exc).__name__}: {exc}", advice(exc, drm=self.drm))

    @property
    def hints(self) -> Drm:
        """The DRM's texts; Grid Engine's when the DRM is not known (the most common DRMAA 1.0 library)."""
        return self.drm or GRID_ENGINE


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


def _drm_env_names(drm: Optional[Drm]) -> list[str]:
    """The variables of *drm*'s library, or of every DRM's when it is not known."""
    return [name for known in DRMS if drm in (None, known) for name in known.env]


def _show_env(report: _Report, names: list[str]) -> None:
    for name in names:
        report.line(f"  {name}={os.environ[name]}" if name in os.environ else f"  {name} is not set")


def _library(report: _Report) -> bool:
    report.section("Library")
    error = wrappers.load_error
    loaded = error is None and wrappers.lib is not None
    # Once a library is loaded, the variables of its DRM are shown with the DRM, when it is known.
    _show_env(report, [_loader.ENV_VAR, *([] if loaded else _drm_env_names(None)), "LD_PRELOAD"])
    if not loaded:
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
    drms_info = implementation = ""
    failure: Optional[BaseException] = None
    try:
        drms_info = Session.drmsInfo
        report.line(f"  DRM system: {drms_info}")
        implementation = Session.drmaaImplementation
        report.line(f"  DRMAA implementation: {implementation}")
        report.line(f"  DRMAA version: {Session.version}")
        report.line(f"  contact before initialize: {Session.contact!r}")
    except (errors.DrmaaException, AttributeError) as exc:
        failure = exc
    # What the library says, or else its file name (Grid Engine's cannot say without SGE_ROOT).
    report.drm = identify(drms_info, implementation, wrappers.library_path or "")
    _show_env(report, _drm_env_names(report.drm))
    if failure is not None:
        report.fail("asking the library about itself", failure)
        return str(failure)
    if report.drm is SLURM:
        _slurm_setup(report, os.environ)
    return ""


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _install_prefix(library: str) -> str:
    """The prefix a library was installed under: the directory above its ``lib``, ``lib64`` or ``lib/<triplet>``."""
    directory = os.path.dirname(os.path.realpath(library))
    while directory != "/" and not re.fullmatch(r"lib(32|64)?", os.path.basename(directory)):
        directory = os.path.dirname(directory)
    return os.path.dirname(directory)


def _slurm_drmaa_files(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(how it is named, path)`` of slurm-drmaa's configuration files, in the order it reads them."""
    files = [("system file", SLURM_DRMAA_SYSTEM_CONF)]
    prefix = _install_prefix(wrappers.library_path or "/")
    if prefix not in ("/", "/usr"):  # the system file of a build with --sysconfdir=<prefix>/etc
        files.append(
            (f"system file, when built with --sysconfdir={prefix}/etc", os.path.join(prefix, "etc", "slurm_drmaa.conf"))
        )
    files.append(("user file", os.path.join(environ.get("HOME", "."), ".slurm_drmaa.conf")))
    if environ.get("SLURM_DRMAA_CONF"):
        files.append(("$SLURM_DRMAA_CONF", environ["SLURM_DRMAA_CONF"]))
    return files


def _slurm_setup(report: _Report, environ: Mapping[str, str]) -> None:
    """What a program meets on slurm-drmaa that it would not on Grid Engine: configuration and rules."""
    report.section("Slurm")
    report.line("  slurm-drmaa's configuration files (each one overrides the one before):")
    delay, delay_from = _DEFAULT_POOL_DELAY, "the library's default"
    for name, path in _slurm_drmaa_files(environ):
        text = _read(path)
        found = _POOL_DELAY.findall(text or "")
        if found:
            delay, delay_from = int(found[-1]), path
        state = "absent" if text is None else (f"pool_delay: {found[-1]}" if found else "no pool_delay")
        report.line(f"    {path} ({name}): {state}")
    report.line(
        f"  pool_delay: {delay} s ({delay_from}): how often a waiting drmaa_wait() asks Slurm about its job. "
        "This package waits in slices of a second, so its waits return within about a second of the end "
        "whatever the value."
    )
    slurm_conf = environ.get("SLURM_CONF") or SLURM_CONF
    ages = _MIN_JOB_AGE.findall(_read(slurm_conf) or "")
    age, age_from = (
        (int(ages[-1]), slurm_conf) if ages else (_DEFAULT_MIN_JOB_AGE, f"Slurm's default; not set in {slurm_conf}")
    )
    report.line(
        f"  MinJobAge: {age} s ({age_from}): Slurm forgets a finished job that long after its end, and "
        "slurm-drmaa then makes up its result: collect every job with wait() before."
    )
    report.line(
        "  Paths are '[host]:path' (':/dir/file' on whatever host runs the job); joinFiles needs an outputPath."
    )
    report.line(
        "  Native options (--native) are sbatch-like and parsed without a shell: long options need '=' "
        "(--mem=2G), short ones take the next word (-c 4), nothing is quoted; --job-name, --wrap, --array "
        "and --export are refused."
    )


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


def _job_problem(info: JobInfo, command: str, drm: Drm) -> tuple[str, str]:
    """What went wrong with a test job that ended, and what to do; ``('', '')`` if nothing."""
    if info.hasExited and info.exitStatus == 0:
        return "", ""
    if info.wasAborted:
        return (
            "the test job was aborted: it never ran, or was killed by the DRM.",
            f"Check that {command} exists on the execution hosts and that the job may write its output; "
            f"{drm.why_aborted.format(job=info.jobId)}.",
        )
    if info.hasSignal:
        return f"the test job was killed by {info.terminatedSignal}.", drm.limits
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
    try:
        report.line(f"  runJob({command!r}) -> job {job_id}, submitted in {seconds:.3f} s")
        info, seconds = _timed(lambda: Session.wait(job_id, args.timeout))
    except errors.ExitTimeoutException:
        try:
            state = Session.jobStatus(job_id)
        except errors.DrmaaException as exc:
            state = f"unknown ({exc})"
        todo = f"{report.hints.why_waiting.format(job=job_id)}; the job is deleted now."
        if state == "queued_active":
            todo += f" {report.hints.hosts}"
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
        _cleanup(job_id)  # Ctrl-C, or nobody reads the output any more: leave no job behind
        raise
    report.line(f"  wait() returned after {seconds:.3f} s")
    for text in _describe(info):
        report.line(text)
    what, todo = _job_problem(info, command, report.hints)
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
    examples = " or ".join(f"--native='{drm.native_example}' ({drm.name})" for drm in (GRID_ENGINE, SLURM))
    parser.add_argument(
        "--native", default="", help=f"native specification of the test job, in the DRM's own syntax, e.g. {examples}"
    )
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

    When the output's reader goes away, the checks stop (a test job is deleted) and the status is
    :data:`EXIT_OUTPUT_CLOSED`, with no traceback; what standard output still holds is discarded.
    """
    try:
        return _check(argv, out or sys.stdout)
    except BrokenPipeError:
        if out is None:
            _discard_stdout()
        return EXIT_OUTPUT_CLOSED


def _check(argv: Optional[list[str]], out: TextIO) -> int:
    """:func:`main`, printing to *out*; a write to a closed pipe raises :exc:`BrokenPipeError`."""
    args = _parser().parse_args(argv)
    if not args.command:
        args.command = ["/bin/sleep", "1"]
    if args.submit and not (args.timeout > 0 and math.isfinite(args.timeout)):
        _parser().error("--timeout must be a positive number of seconds")
    report = _Report(out)
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


def _discard_stdout() -> None:
    """Point standard output at ``/dev/null``: its reader is gone, and Python flushes it once more at exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # replaced by an object without a descriptor
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
