"""Finding and opening libdrmaa, and explaining why it could not be opened.

Only discovery lives here: the C prototypes are declared in
:mod:`drmaa.wrappers`, which calls :func:`load_library` once at import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import re
import sys
from typing import Callable, Mapping, NamedTuple, Optional

from drmaa.errors import LibraryNotFoundException

__all__ = ["NOT_FOUND_SENTENCE", "LoadedLibrary", "candidates", "load_library"]

# COMPAT(0.7.x): programs and users search logs for this sentence.
NOT_FOUND_SENTENCE = (
    "Could not find drmaa library. Please specify its full path using the environment variable DRMAA_LIBRARY_PATH"
)

ENV_VAR = "DRMAA_LIBRARY_PATH"
STATIC_TLS_FIX = "glibc.rtld.optional_static_tls=4096"

# Where DRMAA libraries are installed when the dynamic linker does not know them.
WELL_KNOWN_PATHS = (
    "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0",  # Debian/Ubuntu gridengine-drmaa1.0
    "/usr/lib64/libdrmaa.so.1",  # RPM-based distributions
    "/usr/lib/libdrmaa.so.1",
    "/usr/local/lib/libdrmaa.so",  # slurm-drmaa built from source
    "/usr/local/lib/libdrmaa.so.1",
)

_TLS_ERROR = re.compile(r"(\S+): cannot allocate memory in static TLS block")

Opener = Callable[[str], object]


class LoadedLibrary(NamedTuple):
    """The opened library, where it came from, and every attempt made."""

    library: object
    path: str
    source: str
    attempts: list[tuple[str, str]]


def _open_global(path: str) -> object:
    # RTLD_GLOBAL: slurm-drmaa loads plugins that resolve symbols of libdrmaa.
    return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


def candidates(
    environ: Mapping[str, str],
    find_library: Callable[[str], Optional[str]] = ctypes.util.find_library,
) -> list[tuple[str, str]]:
    """Return ``(source, path)`` pairs to try, in order.

    An explicit ``DRMAA_LIBRARY_PATH`` is the only candidate: when a user
    names a library, silently loading another one would hide the mistake.
    """
    explicit = environ.get(ENV_VAR)
    if explicit:
        return [(f"${ENV_VAR}", explicit)]
    found: list[tuple[str, str]] = []
    name = find_library("drmaa")
    if name:
        found.append(("ctypes.util.find_library('drmaa')", name))
    sge_root = environ.get("SGE_ROOT")
    if sge_root:
        for path in sorted(glob.glob(os.path.join(sge_root, "lib", "*", "libdrmaa.so*"))):
            found.append(("$SGE_ROOT/lib/<arch>", path))
    for path in WELL_KNOWN_PATHS:
        found.append(("well-known path", path))
    seen: set[str] = set()
    unique = []
    for source, path in found:
        if path not in seen:
            seen.add(path)
            unique.append((source, path))
    return unique


def _reason(exc: OSError, path: str) -> str:
    text = str(exc)
    if "/" in path and not os.path.exists(path):
        return "no such file"
    return text


def explain(attempts: list[tuple[str, str]]) -> str:
    """Build the message of :exc:`LibraryNotFoundException` from the attempts."""
    lines = [NOT_FOUND_SENTENCE + "."]
    if attempts:
        lines.append("Tried:")
        lines.extend(f"  {path}: {reason}" for path, reason in attempts)
    else:
        lines.append(f"Nothing to try: {ENV_VAR} is unset and ctypes.util.find_library('drmaa') found nothing.")
    for _, reason in attempts:
        match = _TLS_ERROR.search(reason)
        if match:
            lines.append(
                "The library was found but cannot be loaded into a running process: it links "
                f"{match.group(1)}, which needs more static TLS than glibc reserves. "
                "Set one of these in the environment before Python starts:\n"
                f"  export GLIBC_TUNABLES={STATIC_TLS_FIX}\n"
                f"  export LD_PRELOAD={match.group(1)}"
            )
            break
    return "\n".join(lines)


def load_library(
    environ: Optional[Mapping[str, str]] = None,
    find_library: Callable[[str], Optional[str]] = ctypes.util.find_library,
    opener: Optional[Opener] = None,
) -> LoadedLibrary:
    """Open the first DRMAA library that loads.

    :param environ: the environment to read (default: :data:`os.environ`).
    :param find_library: the ``find_library`` function to ask.
    :param opener: opens one path (default: ``ctypes.CDLL`` with ``RTLD_GLOBAL``).
    :raises LibraryNotFoundException: when no candidate could be opened; the
        message lists every path tried and why it failed.
    """
    env = os.environ if environ is None else environ
    open_one = _open_global if opener is None else opener
    attempts: list[tuple[str, str]] = []
    for source, path in candidates(env, find_library):
        try:
            library = open_one(path)
        except OSError as exc:
            attempts.append((path, f"{_reason(exc, path)} (from {source})"))
            continue
        return LoadedLibrary(library, path, source, attempts)
    raise LibraryNotFoundException(explain(attempts), attempts)


def diagnostics_requested() -> bool:
    """True when this process runs the diagnostics (``python -m drmaa`` or ``drmaa-check``).

    Then a library that cannot be loaded must not stop ``import drmaa``,
    because the diagnostics are what explains it.
    """
    if not sys.argv:
        return False
    if os.path.basename(sys.argv[0]) == "drmaa-check":
        return True
    if sys.argv[0] != "-m":  # set to '-m' only while ``python -m`` imports the package it runs
        return False
    command = getattr(sys, "orig_argv", None) or _command_line()
    return _module_run(command[1:]) in ("drmaa", "drmaa.__main__")


def _module_run(options: list[str]) -> str:
    """The module named by the first ``-m`` of an interpreter command line (``-m x`` or ``-mx``)."""
    for index, option in enumerate(options):
        if option == "-m":
            return options[index + 1] if index + 1 < len(options) else ""
        if option.startswith("-m"):
            return option[2:]
    return ""


def _command_line() -> list[str]:
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            return [os.fsdecode(part) for part in handle.read().split(b"\0") if part]
    except OSError:
        return []
