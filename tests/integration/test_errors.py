"""Errors a real DRM produces, and the ones the binding raises before the library is called.

Each DRMAA error comes out as its own exception class, with ``.code``,
``.diagnosis`` and ``str(exc) == "code N: <diagnosis>"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import pytest
from drms import current

import drmaa
from drmaa.errors import (
    DeniedByDrmException,
    DrmaaException,
    InvalidArgumentException,
    InvalidAttributeValueException,
    InvalidJobException,
    InvalidJobTemplateException,
    NoResourceUsageException,
)

if TYPE_CHECKING:
    from conftest import Jobs

ROOT = Path(__file__).resolve().parents[2]
DRM = current()


def check_format(exc: DrmaaException, code: int) -> None:
    assert isinstance(exc, DrmaaException)
    assert exc.code == code
    assert exc.diagnosis
    assert str(exc) == f"code {code}: {exc.diagnosis}"


# --- the DRM refuses the job at submission ---------------------------------------------------


def refused(exc: DrmaaException, situation: str, job_id: str = "") -> None:
    """*exc* is how the DRM's library refuses in *situation* (see drms.py), in the binding's format."""
    code, text = DRM.refusals[situation]
    check_format(exc, code)
    assert type(exc) is drmaa.errors.error_class(code)
    assert text.format(id=job_id) in exc.diagnosis, exc


def test_native_option_the_drm_refuses_is_denied_by_the_drm(jobs: Jobs) -> None:
    jt = jobs.template("exit 0", nativeSpecification=DRM.native_denied.format(id="nonexistent_resource"))
    with pytest.raises(DeniedByDrmException) as caught:
        jobs.run(jt)
    refused(caught.value, "native-denied", "nonexistent_resource")
    assert type(caught.value).__name__.lower() == "deniedbydrmexception"  # Galaxy keys its config on this


def test_unknown_native_option_is_refused(jobs: Jobs) -> None:
    jt = jobs.template("exit 0", nativeSpecification="--bogus-flag")
    with pytest.raises(DrmaaException) as caught:
        jobs.run(jt)
    refused(caught.value, "native-unknown")


def test_bulk_submission_is_denied_the_same_way(jobs: Jobs) -> None:
    jt = jobs.template("exit 0", nativeSpecification=DRM.native_denied.format(id="nonexistent_resource"))
    with pytest.raises(DeniedByDrmException) as caught:
        jobs.bulk(jt, 1, 2, 1)
    refused(caught.value, "native-denied", "nonexistent_resource")


@pytest.mark.not_on("slurm", "empty-command")
def test_empty_remote_command_is_denied(jobs: Jobs) -> None:
    jt = jobs.template(command="", jobName=None)
    assert jt.remoteCommand == ""
    with pytest.raises(DeniedByDrmException) as caught:
        jobs.run(jt)
    check_format(caught.value, 17)
    assert caught.value.diagnosis == "job rejected cause there is no job_name in the request"


@pytest.mark.not_on("slurm", "empty-command")
def test_empty_remote_command_with_a_job_name_is_accepted(jobs: Jobs) -> None:
    """The job name, not the command, is what Grid Engine checks at submission.

    Submitted on hold and terminated before it runs: when such a job runs,
    Grid Engine's shepherd crashes and the queue goes into error state.
    """
    jt = jobs.template(command="", jobName="drmaa-it-empty", hold=True)
    job_id = jobs.run(jt)
    assert jobs.session.jobStatus(job_id) == drmaa.JobState.USER_ON_HOLD
    jobs.session.control(job_id, drmaa.JobControlAction.TERMINATE)
    with pytest.raises(NoResourceUsageException):
        jobs.session.wait(job_id, 60)


def test_missing_remote_command_is_denied(session: drmaa.Session) -> None:
    with session.createJobTemplate() as jt:
        with pytest.raises(DrmaaException) as caught:
            session.runJob(jt)
    refused(caught.value, "missing-command")


def test_unknown_job_category_is_denied(jobs: Jobs) -> None:
    jt = jobs.template("exit 0", jobCategory="drmaa-it-no-such-category")
    assert jt.jobCategory == "drmaa-it-no-such-category"
    with pytest.raises(DrmaaException) as caught:
        jobs.run(jt)
    refused(caught.value, "unknown-category")


@pytest.mark.not_on("slurm", "aborted-info")
def test_nonexistent_working_directory_aborts_the_job(jobs: Jobs, jobdir: Path) -> None:
    """Grid Engine accepts the job; it fails when the execution host cannot change into the directory."""
    jt = jobs.template("exit 0", workingDirectory=f"{jobdir}/does/not/exist")
    job_id = jobs.run(jt)
    jobs.wait_state(job_id, {drmaa.JobState.FAILED})
    info = jobs.session.wait(job_id, 60)
    assert info.wasAborted is True and info.hasExited is False
    # Which of the aborted job's usage entries SGE reports varies between runs;
    # these two were there every time.
    assert {"priority", "submission_time"} <= set(info.resourceUsage)


# --- the session cannot start (each case in a child process: the environment is read at start) -----

_INITIALIZE = """
import drmaa
try:
    drmaa.Session.initialize()
except drmaa.DrmaaException as exc:
    print(type(exc).__name__, exc.code, exc, sep="|")
else:
    drmaa.Session.exit()
    print("initialized")
"""


def initialize_in_child(**changes: Optional[str]) -> list[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    proc = subprocess.run(
        [sys.executable, "-c", _INITIALIZE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().split("|")


@pytest.mark.not_on("slurm", "sge-environment")
def test_initialize_without_sge_root_is_an_internal_error() -> None:
    assert initialize_in_child(SGE_ROOT=None) == [
        "InternalException",
        "1",
        "code 1: Please set the environment variable SGE_ROOT.",
    ]


@pytest.mark.not_on("slurm", "sge-environment")
def test_initialize_with_an_unknown_cell_is_an_internal_error() -> None:
    name, code, message = initialize_in_child(SGE_CELL="drmaa-it-nosuchcell")
    assert (name, code) == ("InternalException", "1")
    assert message.startswith("code 1: cell directory ") and message.endswith("/drmaa-it-nosuchcell\" doesn't exist")


@pytest.mark.not_on("slurm", "sge-environment")
def test_initialize_without_a_reachable_master_is_a_communication_failure() -> None:
    name, code, message = initialize_in_child(SGE_QMASTER_PORT="1")
    assert (name, code) == ("DrmCommunicationException", "2")
    assert "qmaster using port 1 on host" in message, message


def test_initialize_in_the_right_environment_works() -> None:
    assert initialize_in_child() == ["initialized"]


# --- the library refuses a value --------------------------------------------------------------


@pytest.mark.not_on("slurm", "state-unchecked")
def test_invalid_attribute_value(jobs: Jobs) -> None:
    jt = jobs.template("exit 0")
    with pytest.raises(InvalidAttributeValueException) as caught:
        jt.jobSubmissionState = "drmaa_paused"
    check_format(caught.value, 14)
    assert isinstance(caught.value, AttributeError)


def test_invalid_job_id_classes(session: drmaa.Session) -> None:
    if DRM.raises_invalid_job:
        with pytest.raises(InvalidJobException) as unknown:
            session.jobStatus("999999")
        check_format(unknown.value, 18)
    with pytest.raises(InvalidArgumentException) as malformed:
        session.jobStatus("abc")
    refused(malformed.value, "malformed-id", "abc")
    assert isinstance(malformed.value, AttributeError)


# --- the binding refuses before C is called -------------------------------------------------------


def test_nul_bytes_are_refused_before_the_library(jobs: Jobs) -> None:
    s = jobs.session
    jt = jobs.template("exit 0")
    for call in (
        lambda: setattr(jt, "remoteCommand", "/bin/true\0 -rf"),
        lambda: setattr(jt, "args", ["a\0b"]),
        lambda: setattr(jt, "jobEnvironment", {"A\0B": "1"}),
        lambda: setattr(jt, "email", ["a@b\0c"]),
        lambda: s.jobStatus("1\0 2"),
        lambda: s.wait("1\0", 1),
        lambda: s.control("1\0", drmaa.JobControlAction.TERMINATE),
        lambda: s.synchronize(["1\0"], 1),
    ):
        with pytest.raises(ValueError, match="NUL"):
            call()
    assert jt.remoteCommand == "/bin/sh"  # untouched
    assert jobs.finish(jt).exitStatus == 0


def test_nul_byte_in_contact_is_refused(session: drmaa.Session) -> None:
    contact = session.contact
    session.exit()
    with pytest.raises(ValueError, match="NUL"):
        session.initialize(contact + "\0x")
    session.initialize(contact)  # nothing was opened in between


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s, jt: s.runBulkJobs(jt, "1", 2, 1), TypeError),
        (lambda s, jt: s.runBulkJobs(jt, 1, 2**32 + 2, 1), ValueError),
        (lambda s, jt: s.wait("1", -5), ValueError),
        (lambda s, jt: s.wait("1", "soon"), TypeError),
        (lambda s, jt: s.synchronize(["1"], float("nan")), ValueError),
        (lambda s, jt: s.control("1", "explode"), ValueError),
    ],
)
def test_bad_python_values_are_refused_before_the_library(jobs: Jobs, call: object, error: type) -> None:
    jt = jobs.template("exit 0")
    with pytest.raises(error):
        call(jobs.session, jt)  # type: ignore[operator]
    code, _ = DRM.refusals["wait-any-without-jobs"]  # nothing was submitted
    with pytest.raises(drmaa.errors.error_class(code)):
        jobs.session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)


def test_template_used_after_delete(jobs: Jobs) -> None:
    jt = jobs.template("exit 0")
    jobs.session.deleteJobTemplate(jt)
    with pytest.raises(InvalidJobTemplateException, match="deleted"):
        jobs.run(jt)
    with pytest.raises(InvalidJobTemplateException):
        jt.args = ["x"]
    assert isinstance(InvalidJobTemplateException("x"), DrmaaException)
