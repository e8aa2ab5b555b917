"""control() and jobStatus() on a real DRM: each action and the state it leads to.

States change asynchronously, so every expected state is polled for with a
bounded deadline (``jobs.wait_state``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from drms import current

import drmaa
from drmaa import JobControlAction, JobState
from drmaa.errors import (
    InvalidJobException,
    ResumeInconsistentStateException,
    SuspendInconsistentStateException,
)

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()

#: After TERMINATE Grid Engine may report "running" for up to about 13 s.
TERMINATE_BOUND = 60.0

NO_SUCH_JOB = "code 18: The job specified by the 'jobid' does not exist."
NO_JOBS_REGISTERED = "code 18: There are no jobs registered"


@pytest.mark.not_on("slurm", "suspend")
def test_suspend_resume_terminate_a_running_job(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("sleep 60")
    jobs.wait_state(job_id, {JobState.RUNNING})

    s.control(job_id, JobControlAction.SUSPEND)
    jobs.wait_state(job_id, {JobState.USER_SUSPENDED})
    with pytest.raises(SuspendInconsistentStateException) as suspended:
        s.control(job_id, JobControlAction.SUSPEND)
    assert suspended.value.code == 20
    assert f"job {job_id} is already suspended" in str(suspended.value)

    s.control(job_id, JobControlAction.RESUME)
    jobs.wait_state(job_id, {JobState.RUNNING})
    with pytest.raises(ResumeInconsistentStateException) as resumed:
        s.control(job_id, JobControlAction.RESUME)
    assert resumed.value.code == 19
    assert f"job {job_id} is already unsuspended" in str(resumed.value)

    s.control(job_id, JobControlAction.TERMINATE)
    state, _ = jobs.wait_state(job_id, {JobState.FAILED}, bound=TERMINATE_BOUND)
    assert state == "failed"
    info = s.wait(job_id, 60)
    assert info.wasAborted is True and info.hasExited is False


@pytest.mark.not_on("slurm", "hold-twice")
def test_hold_and_release_a_queued_job(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("exit 2", hold=True)
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD
    s.control(job_id, JobControlAction.HOLD)  # holding a held job is accepted
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD
    s.control(job_id, JobControlAction.RELEASE)
    assert s.jobStatus(job_id) in {JobState.QUEUED_ACTIVE, JobState.RUNNING, JobState.DONE}
    assert s.wait(job_id, 120).exitStatus == 2


@pytest.mark.not_on("slurm", "hold-running")
def test_hold_a_running_job_reports_user_on_hold_while_it_runs(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("sleep 60")
    jobs.wait_state(job_id, {JobState.RUNNING})
    s.control(job_id, JobControlAction.HOLD)
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD
    s.control(job_id, JobControlAction.RELEASE)
    assert s.jobStatus(job_id) == JobState.RUNNING
    s.control(job_id, JobControlAction.TERMINATE)
    assert s.wait(job_id, 120).wasAborted is True


@pytest.mark.not_on("slurm", "suspend")
def test_suspend_or_resume_a_held_job_is_inconsistent(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("exit 0", hold=True)
    with pytest.raises(SuspendInconsistentStateException) as suspended:
        s.control(job_id, JobControlAction.SUSPEND)
    assert suspended.value.code == 20
    assert "in pending/hold state" in str(suspended.value)
    with pytest.raises(ResumeInconsistentStateException) as resumed:
        s.control(job_id, JobControlAction.RESUME)
    assert resumed.value.code == 19
    assert "in pending/hold state" in str(resumed.value)
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD


def test_terminate_every_job_of_the_session(jobs: Jobs) -> None:
    s = jobs.session
    ids = [jobs.submit("sleep 60"), jobs.submit("sleep 60", hold=True)]
    s.control(drmaa.Session.JOB_IDS_SESSION_ALL, JobControlAction.TERMINATE)
    for job_id in ids:
        jobs.wait_state(job_id, {JobState.FAILED}, bound=TERMINATE_BOUND)
    s.synchronize(ids, 60, True)  # not JOB_IDS_SESSION_ALL: it would not reap jobs that ended already
    if DRM.raises_invalid_job:  # reaped
        for job_id in ids:
            with pytest.raises(InvalidJobException):
                s.jobStatus(job_id)


def test_job_id_may_be_bytes(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0", hold=True)
    assert jobs.session.jobStatus(job_id.encode()) == JobState.USER_ON_HOLD
    jobs.session.control(job_id.encode(), JobControlAction.RELEASE)
    assert jobs.session.wait(job_id.encode(), 120).jobId == job_id


def test_job_status_runs_through_to_done(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("sleep 2")
    assert s.jobStatus(job_id) in {JobState.QUEUED_ACTIVE, JobState.RUNNING}
    jobs.wait_state(job_id, {JobState.RUNNING})
    jobs.wait_state(job_id, {JobState.DONE})
    assert s.jobStatus(job_id) == JobState.DONE  # stays done until reaped
    s.wait(job_id, 60)


@pytest.mark.not_on("slurm", "failed-state")
def test_exit_status_does_not_make_a_job_failed(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 3")
    jobs.wait_state(job_id, {JobState.DONE, JobState.FAILED})
    assert jobs.session.jobStatus(job_id) == JobState.DONE


# --- ids that are gone, unknown or malformed -------------------------------------------


@pytest.mark.not_on("slurm", "invalid-job")
def test_reaped_job_is_invalid_for_status_wait_and_control(jobs: Jobs) -> None:
    s = jobs.session
    job_id = jobs.submit("exit 0")
    s.wait(job_id, 120)
    with pytest.raises(InvalidJobException) as status:
        s.jobStatus(job_id)
    assert str(status.value) == NO_SUCH_JOB
    with pytest.raises(InvalidJobException) as waited:
        s.wait(job_id, 5)
    assert str(waited.value) == NO_SUCH_JOB
    # control() asks the master, which may hold on to the finished job for a few
    # milliseconds after wait() returned (observed: one TERMINATE accepted, then 18).
    deadline = time.monotonic() + 30
    while True:
        try:
            s.control(job_id, JobControlAction.TERMINATE)
        except InvalidJobException as exc:
            assert str(exc) == NO_JOBS_REGISTERED
            break
        assert time.monotonic() < deadline, f"the master still knows job {job_id} 30 s after it was reaped"
        time.sleep(0.05)


@pytest.mark.parametrize("job_id", ["999999", "999999.1", "1.5"])
@pytest.mark.not_on("slurm", "invalid-job")
def test_unknown_job_id_is_invalid_job(session: drmaa.Session, job_id: str) -> None:
    with pytest.raises(InvalidJobException) as status:
        session.jobStatus(job_id)
    assert str(status.value) == NO_SUCH_JOB
    with pytest.raises(InvalidJobException) as waited:
        session.wait(job_id, 5)
    assert str(waited.value) == NO_SUCH_JOB
    with pytest.raises(InvalidJobException) as controlled:
        session.control(job_id, JobControlAction.TERMINATE)
    assert str(controlled.value) == NO_JOBS_REGISTERED


@pytest.mark.parametrize("job_id", ["abc", ""])
def test_malformed_job_id_is_invalid_argument(session: drmaa.Session, job_id: str) -> None:
    for situation, call in (
        ("malformed-id", lambda: session.jobStatus(job_id)),
        ("malformed-id", lambda: session.wait(job_id, 5)),
        ("malformed-id-control", lambda: session.control(job_id, JobControlAction.TERMINATE)),
    ):
        code, text = DRM.refusals[situation]
        with pytest.raises(drmaa.errors.error_class(code)) as caught:
            call()
        assert caught.value.code == code
        assert str(caught.value) == f"code {code}: {text.format(id=job_id)}".strip()


def test_unknown_operation_is_refused_before_the_library(session: drmaa.Session) -> None:
    with pytest.raises(ValueError, match="explode"):
        session.control("999999", "explode")
