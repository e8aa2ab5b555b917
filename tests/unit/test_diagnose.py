"""``python -m drmaa`` (drmaa._diagnose): each diagnosis, its advice and the exit status.

Library failures are played by the real loader with an injected opener;
session and job failures by the fake library with the exact messages Grid
Engine gives.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Optional

import pytest

from drmaa import _diagnose, _loader, errors, helpers, wrappers

from .fakelib import FakeLibrary

JEMALLOC = "/lib/x86_64-linux-gnu/libjemalloc.so.2"
DEBIAN_LIB = "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0"
TLS_REASON = f"{JEMALLOC}: cannot allocate memory in static TLS block"

# Messages of Grid Engine 8.1.9's libdrmaa, as it gives them.
SGE_ROOT_UNSET = "Please set the environment variable SGE_ROOT."
NO_CELL = 'cell directory "/var/lib/gridengine/nosuchcell" doesn\'t exist'
NO_QMASTER = 'unable to contact qmaster using port 6999 on host "gtest"'
LOW_UID = "job rejected: your user id 0 is lower than minimum user id 1000 of cluster configuration"
NO_QUEUE = 'Job was rejected because job requests unknown queue "nosuchqueue"'
NO_RESOURCE = 'unknown resource "nonexistent_resource"'


def run(*argv: str) -> tuple[int, str]:
    """Run the command in-process; return its exit status and output."""
    out = io.StringIO()
    code = _diagnose.main(list(argv), out)
    return code, out.getvalue()


def error(code: int, message: str) -> errors.DrmaaException:
    return helpers.make_error(code, message.encode())


# --- library loading -------------------------------------------------------------


def load_failure(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    reasons: dict[str, str],
    found: Optional[str] = None,
) -> errors.LibraryNotFoundException:
    """Let the real loader fail with *reasons* (path -> OSError text) and install the result."""

    def opener(path: str) -> object:
        raise OSError(reasons.get(path, f"{path}: cannot open shared object file: No such file or directory"))

    with pytest.raises(errors.LibraryNotFoundException) as caught:
        _loader.load_library(environ=environ, find_library=lambda name: found, opener=opener)
    for name in ("DRMAA_LIBRARY_PATH", "SGE_ROOT", "SGE_CELL", "GLIBC_TUNABLES", "LD_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(wrappers, "lib", None)
    monkeypatch.setattr(wrappers, "load_error", caught.value)
    monkeypatch.setattr(wrappers, "load_attempts", [])
    return caught.value


def test_no_library_lists_every_path_and_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os.path, "isfile", lambda path: False)
    monkeypatch.setattr(os.path, "exists", lambda path: False)  # whatever this machine has
    failure = load_failure(monkeypatch, {}, {})
    code, out = run()
    assert code == _diagnose.EXIT_PROBLEM == 1
    for path, _ in failure.attempts:
        assert f"tried {path}: no such file" in out
    assert DEBIAN_LIB in out
    assert "PROBLEM: no DRMAA library could be loaded." in out
    assert "apt-get install gridengine-drmaa1.0" in out
    assert "DRMAA_LIBRARY_PATH to its full path" in out
    assert out.rstrip().endswith("1 problem(s) found; see PROBLEM and What to do above.")


def test_library_path_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os.path, "isfile", lambda path: path == DEBIAN_LIB)
    load_failure(monkeypatch, {"DRMAA_LIBRARY_PATH": "/nonexistent/libdrmaa.so"}, {})
    code, out = run()
    assert code == 1
    assert "DRMAA_LIBRARY_PATH=/nonexistent/libdrmaa.so" in out
    assert "tried /nonexistent/libdrmaa.so: no such file (from $DRMAA_LIBRARY_PATH)" in out
    assert "names a file that does not exist" in out
    # It points at a library that is there.
    assert f"These exist on this machine: {DEBIAN_LIB}" in out


@pytest.mark.parametrize(
    ("tunables", "export"),
    [
        (None, "export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096"),
        ("glibc.malloc.check=3", "export GLIBC_TUNABLES=glibc.malloc.check=3:glibc.rtld.optional_static_tls=4096"),
        ("glibc.rtld.optional_static_tls=1024", "export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096"),
    ],
)
def test_static_tls_failure_gives_the_exact_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tunables: Optional[str], export: str
) -> None:
    lib = tmp_path / "libdrmaa.so.1.0"
    lib.write_bytes(b"\x7fELF")
    environ = {"DRMAA_LIBRARY_PATH": str(lib)}
    if tunables:
        environ["GLIBC_TUNABLES"] = tunables
    load_failure(monkeypatch, environ, {str(lib): TLS_REASON})
    code, out = run()
    assert code == 1
    assert f"tried {lib}: {TLS_REASON} (from $DRMAA_LIBRARY_PATH)" in out
    assert "static TLS" in out and "before starting Python" in out
    lines = [line.strip() for line in out.splitlines()]
    assert export in lines
    assert f"export LD_PRELOAD={JEMALLOC}   # or this instead" in lines


def test_file_that_is_not_a_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bogus = tmp_path / "libdrmaa.so"
    bogus.write_text("not ELF")
    load_failure(monkeypatch, {"DRMAA_LIBRARY_PATH": str(bogus)}, {str(bogus): f"{bogus}: invalid ELF header"})
    code, out = run()
    assert code == 1
    assert f"{bogus} is not a shared library: point DRMAA_LIBRARY_PATH at the DRMAA library itself." in out


def test_library_with_a_missing_dependency(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lib = tmp_path / "libdrmaa.so.1.0"
    lib.write_bytes(b"\x7fELF")
    reason = "libmunge.so.2: cannot open shared object file: No such file or directory"
    load_failure(monkeypatch, {"DRMAA_LIBRARY_PATH": str(lib)}, {str(lib): reason})
    code, out = run()
    assert code == 1
    assert f"{lib} needs libmunge.so.2, which is not installed" in out
    assert f"`ldd {lib}`" in out


def test_library_of_the_wrong_architecture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lib = tmp_path / "libdrmaa.so"
    lib.write_bytes(b"\x7fELF")
    reason = f"{lib}: wrong ELF class: ELFCLASS32"
    load_failure(monkeypatch, {}, {str(lib): reason}, found=str(lib))
    code, out = run()
    assert code == 1
    assert "find_library('drmaa')" in out
    assert f"{lib} was built for another architecture" in out


def test_library_refused_for_another_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lib = tmp_path / "libdrmaa.so"
    lib.write_bytes(b"\x7fELF")
    reason = f"{lib}: undefined symbol: sge_mirror_initialize"
    load_failure(monkeypatch, {"DRMAA_LIBRARY_PATH": str(lib)}, {str(lib): reason})
    code, out = run()
    assert code == 1
    assert f"{lib} exists but the dynamic linker refused it ({reason})" in out


def test_library_that_is_not_drmaa() -> None:
    text = "function 'drmaa_get_DRM_system' not found"
    assert "not a DRMAA 1.0 library" in _diagnose.advice(AttributeError(text), {})


# --- advice for errors of the library ----------------------------------------------


def test_advice_sge_root_unset_reads_debian_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    defaults = tmp_path / "gridengine"
    defaults.write_text('SGE_ROOT="/var/lib/gridengine"\nSGE_CELL=default\nSGE_START_MASTERD=yes\n')
    monkeypatch.setattr(_diagnose, "SGE_DEFAULTS_FILE", str(defaults))
    text = _diagnose.advice(error(1, SGE_ROOT_UNSET), {})
    assert "needs SGE_ROOT and SGE_CELL" in text
    assert text.endswith("export SGE_ROOT=/var/lib/gridengine SGE_CELL=default")


def test_advice_sge_root_unset_without_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_diagnose, "SGE_DEFAULTS_FILE", str(tmp_path / "missing"))
    text = _diagnose.advice(error(1, SGE_ROOT_UNSET), {})
    assert "settings.sh" in text and "export SGE_ROOT=<Grid Engine root> SGE_CELL=default" in text


def test_advice_wrong_cell_lists_the_cells(tmp_path: Path) -> None:
    (tmp_path / "default" / "common").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    text = _diagnose.advice(error(1, NO_CELL), {"SGE_ROOT": str(tmp_path), "SGE_CELL": "nosuchcell"})
    assert text == (
        f"SGE_CELL=nosuchcell names no cell under {tmp_path}; the cells there are: default. export SGE_CELL=default"
    )


def test_advice_wrong_cell_and_no_cell_at_all(tmp_path: Path) -> None:
    text = _diagnose.advice(error(1, NO_CELL), {"SGE_ROOT": str(tmp_path)})
    assert "SGE_CELL is unset" in text and "is SGE_ROOT right?" in text


def test_advice_wrong_cell_without_sge_root() -> None:
    text = _diagnose.advice(error(1, NO_CELL), {"SGE_CELL": "nosuchcell"})
    assert text == "SGE_CELL=nosuchcell names no cell under $SGE_ROOT (unset), and none is there: is SGE_ROOT right?"


def test_advice_for_a_library_failure_is_the_library_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os.path, "isfile", lambda path: False)
    failure = errors.LibraryNotFoundException("not found", [("/x/libdrmaa.so", "no such file (from well-known path)")])
    assert _diagnose.advice(failure, {}).startswith("No DRMAA library is installed where this package looks.")


def test_advice_sge_root_that_does_not_exist(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    text = _diagnose.advice(error(1, NO_CELL), {"SGE_ROOT": str(root), "SGE_CELL": "default"})
    assert text.startswith(f"SGE_ROOT={root} does not exist")


def test_advice_qmaster_unreachable_names_its_host(tmp_path: Path) -> None:
    common = tmp_path / "default" / "common"
    common.mkdir(parents=True)
    (common / "act_qmaster").write_text("gtest\n")
    environ = {"SGE_ROOT": str(tmp_path), "SGE_CELL": "default", "SGE_QMASTER_PORT": "6999"}
    text = _diagnose.advice(error(2, NO_QMASTER), environ)
    assert "cannot reach Grid Engine's master daemon, sge_qmaster (host gtest" in text
    assert "port 6999" in text and "qstat" in text


def test_advice_for_a_low_user_id() -> None:
    text = _diagnose.advice(error(17, LOW_UID), {})
    assert "below 1000 (its min_uid)" in text and "id is 0 (root)" in text
    assert "Submit as an ordinary user" in text and "qconf -mconf" in text


def test_advice_for_an_unknown_queue() -> None:
    text = _diagnose.advice(error(17, NO_QUEUE), {})
    assert 'queue "nosuchqueue" that the cluster does not have' in text and "qconf -sql" in text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (NO_RESOURCE, "qconf -sc"),
        ('invalid option argument "--bogus-flag"\n', "man qsub"),
        ('parallel environment "mpi" does not exist', "qconf -spl"),
        ("job rejected cause there is no job_name in the request", "check the native specification"),
    ],
)
def test_advice_for_other_rejections(message: str, expected: str) -> None:
    assert expected in _diagnose.advice(error(17, message), {})


def test_advice_for_a_bad_contact_string() -> None:
    text = _diagnose.advice(error(7, "invalid contact string"), {})
    assert "leave --contact out" in text


def test_no_advice_for_an_unknown_error() -> None:
    assert _diagnose.advice(error(16, "try later"), {}) == ""


# --- the whole command on the fake library, failing as Grid Engine does -----------------


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the library had been found through DRMAA_LIBRARY_PATH (the fake answers)."""
    monkeypatch.setattr(wrappers, "load_error", None)
    monkeypatch.setattr(wrappers, "library_path", DEBIAN_LIB)
    monkeypatch.setattr(wrappers, "library_source", "$DRMAA_LIBRARY_PATH")
    monkeypatch.setattr(wrappers, "load_attempts", [])


def problem_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith(("PROBLEM:", "What to do:"))]


def test_main_sge_root_unset(fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SGE_ROOT", raising=False)
    monkeypatch.setattr(_diagnose, "SGE_DEFAULTS_FILE", str(tmp_path / "none"))
    fake.fail_next("drmaa_init", 1, SGE_ROOT_UNSET)
    code, out = run("--submit")
    assert code == 1
    assert "  SGE_ROOT is not set" in out.splitlines()
    assert problem_lines(out) == [
        f"PROBLEM: initialize() failed: InternalException: code 1: {SGE_ROOT_UNSET}",
        "What to do: Grid Engine's library needs SGE_ROOT and SGE_CELL in the environment: source your "
        "cluster's $SGE_ROOT/$SGE_CELL/common/settings.sh, or export SGE_ROOT=<Grid Engine root> SGE_CELL=default.",
    ]
    assert "drmaa_run_job" not in fake.calls


def test_main_sge_root_unset_also_fails_the_questions_once(
    fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grid Engine refuses even drmaa_get_DRM_system without SGE_ROOT: one cause, one problem."""
    monkeypatch.delenv("SGE_ROOT", raising=False)
    fake.fail_next("drmaa_get_DRM_system", 1, SGE_ROOT_UNSET)
    fake.fail_next("drmaa_init", 1, SGE_ROOT_UNSET)
    code, out = run()
    assert code == 1
    assert f"  initialize() failed the same way: InternalException: code 1: {SGE_ROOT_UNSET}" in out.splitlines()
    assert out.splitlines()[-1] == "1 problem(s) found; see PROBLEM and What to do above."


def test_main_wrong_cell(fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "default" / "common").mkdir(parents=True)
    monkeypatch.setenv("SGE_ROOT", str(tmp_path))
    monkeypatch.setenv("SGE_CELL", "nosuchcell")
    fake.fail_next("drmaa_init", 1, NO_CELL)
    code, out = run()
    assert code == 1
    assert problem_lines(out) == [
        f"PROBLEM: initialize() failed: InternalException: code 1: {NO_CELL}",
        f"What to do: SGE_CELL=nosuchcell names no cell under {tmp_path}; the cells there are: default. "
        "export SGE_CELL=default",
    ]


def test_main_qmaster_unreachable(
    fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "default" / "common").mkdir(parents=True)
    (tmp_path / "default" / "common" / "act_qmaster").write_text("gtest\n")
    monkeypatch.setenv("SGE_ROOT", str(tmp_path))
    monkeypatch.setenv("SGE_CELL", "default")
    monkeypatch.delenv("SGE_QMASTER_PORT", raising=False)
    fake.fail_next("drmaa_init", 2, NO_QMASTER)
    code, out = run("--submit")
    assert code == 1
    assert problem_lines(out)[1].startswith(
        "What to do: The library cannot reach Grid Engine's master daemon, sge_qmaster (host gtest from "
        "$SGE_ROOT/$SGE_CELL/common/act_qmaster)."
    )


def test_main_job_rejected_for_a_low_user_id(fake: FakeLibrary, loaded: None) -> None:
    fake.fail_next("drmaa_run_job", 17, LOW_UID)
    code, out = run("--submit")
    assert code == 1
    assert problem_lines(out) == [
        f"PROBLEM: submitting the test job (/bin/sleep 1) failed: DeniedByDrmException: code 17: {LOW_UID}",
        "What to do: The cluster refuses jobs of users whose id is below 1000 (its min_uid), and this user's id "
        "is 0 (root). Submit as an ordinary user, or have the administrator lower min_uid and min_gid "
        "(qconf -mconf).",
    ]
    assert fake.jobs == {} and fake.session is None
    assert fake.outstanding() == {}


def test_main_unknown_queue(fake: FakeLibrary, loaded: None) -> None:
    fake.fail_next("drmaa_run_job", 17, NO_QUEUE)
    code, out = run("--native", "-q nosuchqueue", "--submit")
    assert code == 1
    assert "  native specification: -q nosuchqueue" in out.splitlines()
    assert problem_lines(out) == [
        f"PROBLEM: submitting the test job (/bin/sleep 1) failed: DeniedByDrmException: code 17: {NO_QUEUE}",
        'What to do: The job asks for a queue "nosuchqueue" that the cluster does not have: list the queues '
        "with qconf -sql and fix the -q option of the native specification (--native).",
    ]


def test_main_library_that_is_not_drmaa(fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class WithoutOne:
        """Like ctypes on a library lacking one DRMAA function."""

        def __getattr__(self, name: str) -> object:
            if name == "drmaa_get_DRM_system":
                raise AttributeError(f"/opt/lib/libother.so: undefined symbol: {name}")
            return getattr(fake, name)

    monkeypatch.setattr(wrappers, "lib", WithoutOne())
    code, out = run()
    assert code == 1
    assert "PROBLEM: asking the library about itself failed: AttributeError:" in out
    assert "not a DRMAA 1.0 library" in out


def test_main_job_that_stays_queued_points_at_the_queues(
    fake: FakeLibrary, loaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def still_queued(job_id: bytes, remote_ps: object, diagnosis: object, length: int) -> int:
        remote_ps.value = 0x10  # type: ignore[attr-defined]  # DRMAA_PS_QUEUED_ACTIVE
        return 0

    monkeypatch.setattr(fake, "drmaa_job_ps", still_queued)
    code, out = run("--submit", "--timeout", "0.1")
    assert code == 1
    assert "PROBLEM: job 1 did not end within 0.1 s; its state is queued_active." in problem_lines(out)
    assert "state u means the execution daemon (sge_execd) does not report" in out
    assert fake.jobs["1"].reaped


def test_main_template_refused(fake: FakeLibrary, loaded: None) -> None:
    fake.fail_next("drmaa_set_attribute", 14, "The value for the job attribute is invalid.")
    code, out = run("--submit", "--native=-q x")
    assert code == 1
    assert problem_lines(out)[0] == (
        "PROBLEM: submitting the test job (/bin/sleep 1) failed: InvalidAttributeValueException: code 14: "
        "The value for the job attribute is invalid."
    )
    assert fake.jobs == {}


# --- when diagnostics are requested ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "orig_argv", "expected"),
    [
        (["-m"], ["python3", "-m", "drmaa"], True),
        (["-m", "--submit"], ["python3", "-X", "dev", "-m", "drmaa", "--submit"], True),
        (["-m"], ["python3", "-m", "pytest", "drmaa"], False),
        (["-m"], ["python3", "-m", "drmaa_other"], False),
        (["/usr/local/bin/drmaa-check", "--submit"], ["python3", "/usr/local/bin/drmaa-check"], True),
        (["prog.py"], ["python3", "prog.py", "-m", "drmaa"], False),
        ([], ["python3"], False),
    ],
)
def test_diagnostics_requested(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], orig_argv: list[str], expected: bool
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "orig_argv", orig_argv, raising=False)
    assert _loader.diagnostics_requested() is expected


@pytest.mark.parametrize(
    ("cmdline", "expected"), [(["python3", "-m", "drmaa"], True), (["python3", "-m", "other"], False), ([], False)]
)
def test_diagnostics_requested_without_orig_argv(
    monkeypatch: pytest.MonkeyPatch, cmdline: list[str], expected: bool
) -> None:
    """Python 3.9 has no sys.orig_argv: the command line comes from /proc."""
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.delattr(sys, "orig_argv", raising=False)
    monkeypatch.setattr(_loader, "_command_line", lambda: cmdline)
    assert _loader.diagnostics_requested() is expected


def test_command_line_of_this_process() -> None:
    assert Path(_loader._command_line()[0]).name.startswith("python")


def test_diagnostics_requested_with_joined_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-mdrmaa"], raising=False)
    assert _loader.diagnostics_requested()


def test_diagnostics_requested_for_drmaa_main_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-X", "dev", "-m", "drmaa.__main__"], raising=False)
    assert _loader.diagnostics_requested()


def test_diagnostics_not_requested_when_another_module_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the first -m names the module being run; a later one is the program's own argument.
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-m", "snakemake", "-m", "drmaa"], raising=False)
    assert not _loader.diagnostics_requested()
