"""``python -m drmaa`` once the library is loaded: the DRM, the session and the test job, played by the fake.

(Library failures and the advice texts are tested in test_diagnose.py.)
"""

from __future__ import annotations

import io
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture

from drmaa import _diagnose, wrappers

from .fakelib import FakeLibrary


@pytest.fixture(autouse=True)
def loaded(mocker: MockerFixture) -> None:
    """As if the library had been found through DRMAA_LIBRARY_PATH."""
    mocker.patch.object(wrappers, "load_error", None)
    mocker.patch.object(wrappers, "library_path", "/opt/drmaa/lib/libdrmaa.so.1.0")
    mocker.patch.object(wrappers, "library_source", "$DRMAA_LIBRARY_PATH")
    mocker.patch.object(wrappers, "load_attempts", [])


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = _diagnose.main(list(argv), out)
    return code, out.getvalue()


def test_library_drm_and_session_work(fake: FakeLibrary) -> None:
    code, out = run()
    assert code == _diagnose.EXIT_OK == 0
    lines = out.splitlines()
    assert "  loaded /opt/drmaa/lib/libdrmaa.so.1.0 (found by $DRMAA_LIBRARY_PATH)" in lines
    assert "  DRM system: FAKE 1.0" in lines
    assert "  DRMAA implementation: FAKE-DRMAA 1.0" in lines
    assert "  DRMAA version: 1.0" in lines
    assert "  contact before initialize: ''" in lines
    assert any(line.startswith("  initialize() took ") and "contact 'session=fakehost." in line for line in lines)
    assert lines[-1] == "DRMAA works here (run with --submit to also run a job)."
    assert fake.session is None  # exited again
    assert "drmaa_run_job" not in fake.calls


def test_submit_runs_a_test_job_and_describes_how_it_ended(fake: FakeLibrary, mocker: MockerFixture) -> None:
    fake.autofinish = {"exit_status": 0}
    scalars = mocker.spy(fake.drmaa_set_attribute, "method")
    code, out = run("--submit", "--native=-q all.q")
    assert code == 0
    lines = out.splitlines()
    assert "  native specification: -q all.q" in lines
    assert any(line.startswith("  runJob('/bin/sleep 1') -> job 1, submitted in ") for line in lines)
    assert "  JobInfo: jobId='1' hasExited=True exitStatus=0 hasSignal=False terminatedSignal='' " in out
    assert "  resourceUsage: 35 entries; ru_wallclock=1.0000 cpu=0.0000 maxvmem=0.0000 exit_status=0.0000" in lines
    assert "  according to the DRM the job waited 1.0 s in the queue and ran 1.0 s" in lines
    assert lines[-1] == "DRMAA works here."
    sent = {call.args[1]: call.args[2] for call in scalars.call_args_list}
    assert sent == {
        b"drmaa_remote_command": b"/bin/sleep",
        b"drmaa_job_name": b"drmaa-check",
        b"drmaa_join_files": b"y",
        b"drmaa_output_path": b":/dev/null",
        b"drmaa_native_specification": b"-q all.q",
    }


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ({"exit_status": 3}, "the test job exited with status 3, not 0."),
        ({"signal": "SIGKILL"}, "the test job was killed by SIGKILL."),
        ({"aborted": True}, "the test job was aborted: it never ran, or was killed by the DRM."),
    ],
)
def test_a_test_job_that_failed_is_a_problem(fake: FakeLibrary, how: dict[str, Any], problem: str) -> None:
    fake.autofinish = how
    code, out = run("--submit", "/bin/false")
    assert code == _diagnose.EXIT_PROBLEM
    assert f"  PROBLEM: {problem}" in out.splitlines()
    assert "  What to do: " in out
    assert out.splitlines()[-1] == "1 problem(s) found; see PROBLEM and What to do above."


@pytest.mark.parametrize(
    "times",
    [
        ["start_time=soon"],
        ["submission_time=20", "start_time=10", "end_time=30"],
        ["submission_time=0", "start_time=inf", "end_time=inf"],
    ],
    ids=["not-a-number", "started-before-submitted", "infinite"],
)
def test_usage_without_sensible_times_gives_no_queue_line(fake: FakeLibrary, times: list[str]) -> None:
    fake.autofinish = {"rusage": [*times, "cpu=1.0"]}
    code, out = run("--submit")
    assert code == 0
    assert f"  resourceUsage: {len(times) + 1} entries; cpu=1.0" in out.splitlines()
    assert "according to the DRM" not in out


def test_a_test_job_that_does_not_end_in_time_is_deleted(fake: FakeLibrary) -> None:
    code, out = run("--submit", "--timeout", "0.2")
    assert code == 1
    assert "  PROBLEM: job 1 did not end within 0.2 s; its state is running." in out.splitlines()
    assert "`qstat -j 1`" in out
    assert fake.jobs["1"].reaped  # terminated and reaped
    assert fake.calls.count("drmaa_control") == 1


def test_a_test_job_that_cannot_be_deleted_is_left_alone(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_control", 18, "There are no jobs registered")
    code, out = run("--submit", "--timeout", "0.1")
    assert code == 1
    assert "  PROBLEM: job 1 did not end within 0.1 s; its state is running." in out.splitlines()
    assert not fake.jobs["1"].reaped
    assert fake.calls.count("drmaa_wait") >= 1


def test_state_of_a_job_that_does_not_end_may_be_unknown(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_job_ps", 2, "unable to contact qmaster")
    code, out = run("--submit", "--timeout", "0.1")
    assert code == 1
    assert "its state is unknown (code 2: unable to contact qmaster)." in out


def test_submission_refused_by_the_drm(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_run_job", 17, 'unknown resource "nonexistent_resource"')
    code, out = run("--submit")
    assert code == 1
    assert (
        "  PROBLEM: submitting the test job (/bin/sleep 1) failed: DeniedByDrmException: "
        'code 17: unknown resource "nonexistent_resource"'
    ) in out.splitlines()
    assert "qconf -sc" in out
    assert fake.jobs == {}


def test_wait_without_usage_is_reported(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_wait", 24)
    code, out = run("--submit")
    assert code == 1
    assert "waiting for job 1 failed: NoResourceUsageException: code 24: no usage information" in out


def test_wait_failure_is_reported_and_the_job_deleted(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_wait", 2, "unable to send message to qmaster")
    code, out = run("--submit")
    assert code == 1
    assert "waiting for job 1 failed: DrmCommunicationException: code 2: unable to send message to qmaster" in out
    assert fake.jobs["1"].reaped


def test_ctrl_c_during_the_test_job_deletes_it(fake: FakeLibrary) -> None:
    original = fake.drmaa_wait

    def interrupted(*args: Any) -> int:
        fake.drmaa_wait = original  # type: ignore[method-assign]
        raise KeyboardInterrupt

    fake.drmaa_wait = interrupted  # type: ignore[method-assign]
    code, out = run("--submit")
    assert code == _diagnose.EXIT_INTERRUPTED == 130
    assert out.splitlines()[-1] == "Interrupted."
    assert fake.jobs["1"].reaped
    assert fake.session is None


class ClosedAfter(io.StringIO):
    """An output whose reader goes away when a line starting with *prefix* is written."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def write(self, text: str) -> int:
        if text.lstrip().startswith(self.prefix):
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_closed_output_stops_the_check_and_deletes_the_test_job(fake: FakeLibrary) -> None:
    out = ClosedAfter("runJob(")
    code = _diagnose.main(["--submit"], out)
    assert code == _diagnose.EXIT_OUTPUT_CLOSED == 141
    assert "drmaa_wait" in fake.calls  # the job was terminated and reaped, not left behind
    assert fake.jobs["1"].reaped
    assert fake.session is None
    assert out.getvalue().splitlines()[-1] == "Test job"


def test_python_m_drmaa_with_its_output_closed_exits_141_without_a_traceback() -> None:
    root = str(Path(__file__).resolve().parents[2])
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: the first line already meets a closed pipe
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "drmaa"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": root, "DRMAA_LIBRARY_PATH": "/nonexistent/libdrmaa.so"},
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_initialize_failure_is_reported(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_init", 2, 'unable to contact qmaster using port 6999 on host "gtest"')
    code, out = run("--submit")
    assert code == 1
    assert "  PROBLEM: initialize() failed: DrmCommunicationException: code 2: unable to contact qmaster" in out
    assert "drmaa_exit" not in fake.calls


def test_library_that_cannot_describe_itself(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_get_DRM_system", 1, "internal error")
    code, out = run()
    assert code == 1
    assert "  PROBLEM: asking the library about itself failed: InternalException: code 1: internal error" in out


def test_exit_failure_is_reported(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_exit", 12, "could not disengage")
    code, out = run()
    assert code == 1
    assert "  PROBLEM: exit() failed: DrmsExitException: code 12: could not disengage" in out


def test_no_library_and_nothing_tried(mocker: MockerFixture) -> None:
    mocker.patch.object(wrappers, "lib", None)
    code, out = run()
    assert code == 1
    assert "  nothing to try: DRMAA_LIBRARY_PATH is unset and find_library('drmaa') found nothing" in out
    assert "  PROBLEM: no DRMAA library could be loaded." in out


def test_failed_attempts_before_the_library_are_listed(mocker: MockerFixture) -> None:
    mocker.patch.object(
        wrappers, "load_attempts", [("/usr/lib64/libdrmaa.so.1", "no such file (from well-known path)")]
    )
    code, out = run()
    assert code == 0
    assert "  tried /usr/lib64/libdrmaa.so.1: no such file (from well-known path)" in out


def test_library_found_by_name_shows_the_file_it_mapped(mocker: MockerFixture) -> None:
    mocker.patch.object(wrappers, "library_path", "libc.so.6")
    mocker.patch.object(wrappers, "library_source", "ctypes.util.find_library('drmaa')")
    code, out = run()
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("  loaded ")]
    assert line.startswith("  loaded libc.so.6 = /")
    assert line.endswith("libc.so.6 (found by ctypes.util.find_library('drmaa'))")


def test_mapped_file_of_a_path_and_of_unknown_names(mocker: MockerFixture, tmp_path: Any) -> None:
    (tmp_path / "real.so").write_bytes(b"")
    os.symlink(tmp_path / "real.so", tmp_path / "link.so")
    assert _diagnose._mapped_file(str(tmp_path / "link.so")) == str(tmp_path / "real.so")
    assert _diagnose._mapped_file("libnothing-of-the-kind.so") == ""
    mocker.patch("builtins.open", side_effect=OSError("no /proc"))
    assert _diagnose._mapped_file("libc.so.6") == ""


@pytest.mark.parametrize("timeout", ["0", "-1", "inf", "nan"])
def test_submit_needs_a_positive_timeout(timeout: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        _diagnose.main(["--submit", "--timeout", timeout], io.StringIO())
    assert caught.value.code == 2
    assert "--timeout must be a positive number of seconds" in capsys.readouterr().err


@pytest.mark.parametrize(("argv0", "prog"), [("/usr/local/bin/drmaa-check", "drmaa-check"), ("-m", "python -m drmaa")])
def test_usage_names_the_command_as_it_was_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv0: str, prog: str
) -> None:
    monkeypatch.setattr(sys, "argv", [argv0])
    with pytest.raises(SystemExit) as caught:
        _diagnose.main(["--help"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {prog} ")


def test_python_m_drmaa_exits_with_the_status_of_main(mocker: MockerFixture) -> None:
    main = mocker.patch.object(_diagnose, "main", return_value=1)
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("drmaa", run_name="__main__")
    assert caught.value.code == 1
    main.assert_called_once_with()


def test_importing_drmaa_main_runs_nothing(mocker: MockerFixture) -> None:
    main = mocker.patch.object(_diagnose, "main")
    namespace = runpy.run_module("drmaa.__main__", run_name="drmaa.__main__")
    assert namespace["main"] is main
    main.assert_not_called()
