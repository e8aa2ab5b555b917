"""wait(), synchronize() and runBulkJobs() on a real DRM: reaping, timeouts and bulk ids.

Timeouts are measured: a wait that times out returns no earlier than asked
and at most about a second later.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Callable

import pytest
from drms import current

import drmaa
from drmaa import JobControlAction, JobState
from drmaa.errors import ExitTimeoutException, InvalidArgumentException, InvalidJobException

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()

#: How late a timed-out wait may return (one wait slice plus a busy machine).
LATE = 1.0


def timed_out(call: Callable[[], object]) -> tuple[float, ExitTimeoutException]:
    start = time.monotonic()
    with pytest.raises(ExitTimeoutException) as caught:
        call()
    return time.monotonic() - start, caught.value


# --- wait ------------------------------------------------------------------------------


def test_wait_any_returns_the_real_id_then_invalid_job(jobs: Jobs) -> None:
    s = jobs.session
    ids = {jobs.submit("exit 0"), jobs.submit("exit 1")}
    got = {s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 120).jobId for _ in ids}
    assert got == ids
    with pytest.raises(InvalidJobException) as caught:
        s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 5)
    assert caught.value.code == 18


def test_wait_any_without_any_job_is_invalid_job(session: drmaa.Session) -> None:
    with pytest.raises(InvalidJobException):
        session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)


def test_wait_any_accepts_str(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0")
    assert jobs.session.wait("DRMAA_JOB_IDS_SESSION_ANY", 120).jobId == job_id


@pytest.mark.parametrize("timeout", [2, 1.5])
def test_wait_times_out_on_time_and_the_job_can_be_waited_for_again(jobs: Jobs, timeout: float) -> None:
    s = jobs.session
    job_id = jobs.submit("exit 4", hold=True)
    elapsed, exc = timed_out(lambda: s.wait(job_id, timeout))
    assert timeout <= elapsed < timeout + LATE
    assert exc.code == 23
    assert str(exc) == f"code 23: {DRM.refusals['wait-timeout'][1]}"
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD
    s.control(job_id, JobControlAction.RELEASE)
    assert s.wait(job_id, 120).exitStatus == 4


def test_wait_with_no_wait_returns_at_once(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0", hold=True)
    elapsed, exc = timed_out(lambda: jobs.session.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT))
    assert elapsed < 0.5
    assert exc.code == 23


def test_wait_forever_returns_when_the_job_ends(jobs: Jobs) -> None:
    job_id = jobs.submit("sleep 1; exit 8")
    assert jobs.session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER).exitStatus == 8


# --- synchronize ------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [2, 1.5])
def test_synchronize_times_out_on_time(jobs: Jobs, timeout: float) -> None:
    s = jobs.session
    job_id = jobs.submit("exit 0", hold=True)
    elapsed, exc = timed_out(lambda: s.synchronize([job_id], timeout, True))
    assert timeout <= elapsed < timeout + LATE
    assert exc.code == 23
    # Grid Engine gives no text here (wait does): drmaa_strerror(23) stands in, the same words.
    assert str(exc) == f"code 23: {DRM.refusals['synchronize-timeout'][1]}"
    assert s.jobStatus(job_id) == JobState.USER_ON_HOLD


def test_synchronize_with_no_wait_returns_at_once(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0", hold=True)
    elapsed, _ = timed_out(lambda: jobs.session.synchronize([job_id], drmaa.Session.TIMEOUT_NO_WAIT))
    assert elapsed < 0.5


@pytest.mark.not_on("slurm", "invalid-job")
def test_synchronize_dispose_reaps_the_jobs(jobs: Jobs) -> None:
    s = jobs.session
    ids = [jobs.submit("exit 0"), jobs.submit("exit 1")]
    s.synchronize(ids, 120, True)
    for job_id in ids:
        with pytest.raises(InvalidJobException):
            s.jobStatus(job_id)
        with pytest.raises(InvalidJobException):
            s.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT)


def test_synchronize_without_dispose_leaves_the_jobs_for_wait(jobs: Jobs) -> None:
    s = jobs.session
    ids = [jobs.submit("exit 0"), jobs.submit("exit 1")]
    s.synchronize(ids, 120, False)
    assert [s.jobStatus(job_id) for job_id in ids] == [JobState.DONE, DRM.nonzero_exit_state]
    assert [s.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT).exitStatus for job_id in ids] == [0, 1]


def test_synchronize_with_default_arguments_leaves_the_jobs(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0")
    jobs.session.synchronize([job_id])
    assert jobs.session.jobStatus(job_id) == JobState.DONE
    jobs.session.wait(job_id, 5)


def test_synchronize_with_a_bare_string_id(jobs: Jobs) -> None:
    s = jobs.session
    done = jobs.submit("exit 0")
    held = jobs.submit("exit 0", hold=True)
    s.synchronize(done, 120, False)  # one id, not the characters of it
    assert s.jobStatus(done) == JobState.DONE
    elapsed, _ = timed_out(lambda: s.synchronize(held, 1))
    assert 1 <= elapsed < 1 + LATE


def test_synchronize_session_all(jobs: Jobs) -> None:
    s = jobs.session
    ids = [jobs.submit("exit 0"), jobs.submit("sleep 1")]
    s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 120, True)
    for job_id in ids:
        if DRM.raises_invalid_job:  # reaped
            with pytest.raises(InvalidJobException):
                s.jobStatus(job_id)
        else:  # ended, and still known to the DRM
            assert s.jobStatus(job_id) == JobState.DONE


@pytest.mark.not_on("slurm", "session-all-reap")
def test_synchronize_session_all_does_not_reap_jobs_that_ended_before_the_call(jobs: Jobs) -> None:
    """Grid Engine's libdrmaa disposes only of the jobs it saw end; a list of ids reaps them all."""
    s = jobs.session
    ids = [jobs.submit("exit 0"), jobs.submit("exit 0", hold=True)]
    s.control(ids[1], JobControlAction.TERMINATE)
    s.synchronize(ids, 120, False)
    assert [s.jobStatus(job_id) for job_id in ids] == [JobState.DONE, JobState.FAILED]
    s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 60, True)
    assert [s.jobStatus(job_id) for job_id in ids] == [JobState.DONE, JobState.FAILED]  # still there
    s.synchronize(ids, 60, True)
    for job_id in ids:
        with pytest.raises(InvalidJobException):
            s.jobStatus(job_id)


def test_synchronize_unknown_id_returns_at_once(session: drmaa.Session) -> None:
    start = time.monotonic()
    session.synchronize(["999999"], 10, True)
    assert time.monotonic() - start < 1


# --- bulk jobs ----------------------------------------------------------------------------


def test_run_bulk_jobs_ids_and_tasks(jobs: Jobs) -> None:
    s = jobs.session
    ids = jobs.bulk(jobs.template(f'exit "${DRM.task_id_variable}"'), 1, 6, 2)
    assert len(ids) == 3
    match = re.fullmatch(r"(\d+)\D1", ids[0])
    assert match, ids
    number = match.group(1)
    expected = {DRM.bulk_id.format(number=number, task=task): task for task in (1, 3, 5)}
    assert ids == list(expected)
    s.synchronize(ids, 120, False)
    assert {job_id: s.wait(job_id, 5).exitStatus for job_id in ids} == expected


@pytest.mark.not_on("slurm", "array-release")
def test_bulk_tasks_are_controlled_one_by_one(jobs: Jobs) -> None:
    s = jobs.session
    ids = jobs.bulk(jobs.template("exit 0", hold=True), 1, 2, 1)
    assert [s.jobStatus(job_id) for job_id in ids] == [JobState.USER_ON_HOLD] * 2
    s.control(ids[0], JobControlAction.RELEASE)
    assert s.wait(ids[0], 120).jobId == ids[0]
    assert s.jobStatus(ids[1]) == JobState.USER_ON_HOLD


@pytest.mark.parametrize(("begin", "end", "step"), [(0, 3, 1), (5, 2, 1)])
def test_run_bulk_jobs_refuses_bad_ranges(jobs: Jobs, begin: int, end: int, step: int) -> None:
    with pytest.raises(InvalidArgumentException) as caught:
        jobs.bulk(jobs.template("exit 0"), begin, end, step)
    assert caught.value.code == 4
    assert caught.value.diagnosis
