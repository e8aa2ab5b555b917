"""drmaa._loader: where libdrmaa is looked for, how it is opened, and what is said when it is not there."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from pytest_mock import MockerFixture

from drmaa import _loader
from drmaa.errors import DrmaaException, LibraryNotFoundException

SENTENCE = (
    "Could not find drmaa library. Please specify its full path using the environment variable DRMAA_LIBRARY_PATH"
)
JEMALLOC = "/lib/x86_64-linux-gnu/libjemalloc.so.2"
ROOT = Path(__file__).resolve().parents[2]


def nothing(name: str) -> Optional[str]:
    return None


def refuse(path: str) -> object:
    raise OSError(f"{path}: cannot open shared object file: No such file or directory")


@pytest.fixture
def no_well_known(mocker: MockerFixture) -> None:
    mocker.patch.object(_loader, "WELL_KNOWN_PATHS", ())


def test_library_path_variable_is_the_only_candidate_when_set() -> None:
    environ = {"DRMAA_LIBRARY_PATH": "/opt/drmaa/libdrmaa.so", "SGE_ROOT": "/nonexistent"}
    found = _loader.candidates(environ, find_library=lambda name: "libdrmaa.so.1")
    assert found == [("$DRMAA_LIBRARY_PATH", "/opt/drmaa/libdrmaa.so")]


def test_empty_library_path_variable_is_ignored() -> None:
    found = _loader.candidates({"DRMAA_LIBRARY_PATH": ""}, find_library=lambda name: "libdrmaa.so.1")
    assert found[0] == ("ctypes.util.find_library('drmaa')", "libdrmaa.so.1")


def test_find_library_is_asked_for_drmaa_first() -> None:
    asked = []

    def find(name: str) -> str:
        asked.append(name)
        return "libdrmaa.so.1"

    found = _loader.candidates({}, find_library=find)
    assert asked == ["drmaa"]
    assert found[0] == ("ctypes.util.find_library('drmaa')", "libdrmaa.so.1")


def test_sge_root_lib_arch_is_searched(tmp_path: Path, no_well_known: None) -> None:
    arch = tmp_path / "lib" / "lx-amd64"
    arch.mkdir(parents=True)
    (arch / "libdrmaa.so.1.0").write_bytes(b"")
    (arch / "libother.so").write_bytes(b"")
    found = _loader.candidates({"SGE_ROOT": str(tmp_path)}, find_library=nothing)
    assert found == [("$SGE_ROOT/lib/<arch>", str(arch / "libdrmaa.so.1.0"))]


def test_well_known_paths_are_tried_last_in_order() -> None:
    found = _loader.candidates({}, find_library=lambda name: "libdrmaa.so.1")
    paths = [path for source, path in found if source == "well-known path"]
    assert found[-len(paths) :] == [("well-known path", path) for path in paths]
    for path in (
        "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0",
        "/usr/lib64/libdrmaa.so.1",
        "/usr/local/lib/libdrmaa.so",
    ):
        assert path in paths
    assert paths.index("/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0") == 0


def test_a_path_found_twice_is_tried_once() -> None:
    debian = "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0"
    found = _loader.candidates({}, find_library=lambda name: debian)
    assert [path for _, path in found].count(debian) == 1
    assert found[0] == ("ctypes.util.find_library('drmaa')", debian)


def test_first_library_that_opens_is_returned_with_the_failed_attempts(tmp_path: Path, mocker: MockerFixture) -> None:
    broken, good = tmp_path / "broken.so", tmp_path / "good.so"
    broken.write_bytes(b"")
    mocker.patch.object(_loader, "WELL_KNOWN_PATHS", (str(broken), str(good)))
    library = object()

    def opener(path: str) -> object:
        if path == str(good):
            return library
        raise OSError(f"{path}: invalid ELF header")

    loaded = _loader.load_library(environ={}, find_library=nothing, opener=opener)
    assert loaded == (
        library,
        str(good),
        "well-known path",
        [(str(broken), f"{broken}: invalid ELF header (from well-known path)")],
    )
    assert (loaded.library, loaded.path, loaded.source) == (library, str(good), "well-known path")


def test_library_is_opened_with_rtld_global(mocker: MockerFixture) -> None:
    cdll = mocker.patch.object(_loader.ctypes, "CDLL")
    loaded = _loader.load_library(environ={"DRMAA_LIBRARY_PATH": "/opt/libdrmaa.so"}, find_library=nothing)
    cdll.assert_called_once_with("/opt/libdrmaa.so", mode=ctypes.RTLD_GLOBAL)
    assert loaded.library is cdll.return_value
    assert loaded.source == "$DRMAA_LIBRARY_PATH"


def test_environment_is_read_when_the_library_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setenv("DRMAA_LIBRARY_PATH", "/first/libdrmaa.so")
    _loader.load_library(opener=opened.append)
    monkeypatch.setenv("DRMAA_LIBRARY_PATH", "/second/libdrmaa.so")
    _loader.load_library(opener=opened.append)
    assert opened == ["/first/libdrmaa.so", "/second/libdrmaa.so"]


def test_not_found_keeps_the_sentence_and_lists_every_path_with_its_reason(
    tmp_path: Path, mocker: MockerFixture
) -> None:
    present = tmp_path / "libdrmaa.so.1"
    present.write_bytes(b"")
    missing = tmp_path / "missing" / "libdrmaa.so"
    mocker.patch.object(_loader, "WELL_KNOWN_PATHS", (str(present), str(missing)))
    with pytest.raises(LibraryNotFoundException) as caught:
        _loader.load_library(environ={}, find_library=lambda name: "libdrmaa.so", opener=refuse)
    message = str(caught.value)
    assert message.splitlines()[0] == SENTENCE + "."
    assert message.splitlines()[1] == "Tried:"
    assert "  libdrmaa.so: libdrmaa.so: cannot open shared object file: No such file or directory" in message
    assert f"  {present}: {present}: cannot open shared object file" in message
    assert f"  {missing}: no such file (from well-known path)" in message
    assert [path for path, _ in caught.value.attempts] == ["libdrmaa.so", str(present), str(missing)]
    assert all(reason.endswith(")") for _, reason in caught.value.attempts)


def test_nothing_to_try_is_said(no_well_known: None) -> None:
    with pytest.raises(LibraryNotFoundException) as caught:
        _loader.load_library(environ={}, find_library=nothing, opener=refuse)
    assert str(caught.value) == (
        SENTENCE + ".\nNothing to try: DRMAA_LIBRARY_PATH is unset and ctypes.util.find_library('drmaa') found nothing."
    )
    assert caught.value.attempts == []


def test_static_tls_failure_says_exactly_what_to_export(tmp_path: Path) -> None:
    library = tmp_path / "libdrmaa.so.1.0"
    library.write_bytes(b"")

    def opener(path: str) -> object:
        raise OSError(f"{JEMALLOC}: cannot allocate memory in static TLS block")

    with pytest.raises(LibraryNotFoundException) as caught:
        _loader.load_library(environ={"DRMAA_LIBRARY_PATH": str(library)}, find_library=nothing, opener=opener)
    lines = str(caught.value).splitlines()
    assert lines[0] == SENTENCE + "."
    assert f"  {library}: {JEMALLOC}: cannot allocate memory in static TLS block (from $DRMAA_LIBRARY_PATH)" in lines
    assert "  export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096" in lines
    assert f"  export LD_PRELOAD={JEMALLOC}" in lines


def test_not_found_is_runtime_error_and_os_error_and_drmaa_exception(no_well_known: None) -> None:
    for base in (RuntimeError, OSError, DrmaaException):
        with pytest.raises(base):
            _loader.load_library(environ={"DRMAA_LIBRARY_PATH": "/nonexistent/libdrmaa.so"}, opener=refuse)


def python(code: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DRMAA_LIBRARY_PATH": "/nonexistent/libdrmaa.so", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def test_import_without_library_fails_naming_the_path() -> None:
    result = python("import drmaa")
    assert result.returncode == 1
    assert "drmaa.errors.LibraryNotFoundException: " + SENTENCE in result.stderr
    assert "/nonexistent/libdrmaa.so: no such file (from $DRMAA_LIBRARY_PATH)" in result.stderr


def test_import_failure_is_caught_as_runtime_error_and_as_os_error() -> None:
    code = (
        "for kind in (RuntimeError, OSError):\n"
        "    try:\n"
        "        import drmaa\n"
        "    except kind as exc:\n"
        "        print(kind.__name__, type(exc).__name__)\n"
    )
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["RuntimeError LibraryNotFoundException", "OSError LibraryNotFoundException"]


def test_command_line_is_empty_when_proc_cannot_be_read(mocker: MockerFixture) -> None:
    mocker.patch("builtins.open", side_effect=OSError("no /proc here"))
    assert _loader._command_line() == []
