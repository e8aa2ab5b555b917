"""drmaa.Session: the session, submission, control, status and waiting, against the fake Grid Engine."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drmaa import JobControlAction, JobState, JobTemplate, Session, errors
from drmaa.session import Version

from .fakelib import FakeLibrary


@pytest.fixture
def session() -> Iterator[type[Session]]:
    Session.initialize()
    yield Session


# --- the session -------------------------------------------------------------------


def test_contact_is_empty_before_initialize_and_names_the_session_after(fake: FakeLibrary) -> None:
    assert Session.contact == ""
    Session.initialize()
    assert re.fullmatch(rf"session=fakehost\.{os.getpid()}\.1", Session.contact)
    Session.exit()
    assert Session.contact == ""


def test_library_information_is_readable_on_the_class_before_initialize(fake: FakeLibrary) -> None:
    assert Session.drmsInfo == "FAKE 1.0"
    assert Session.drmaaImplementation == "FAKE-DRMAA 1.0"
    assert Session.version == (1, 0)
    assert fake.session is None
    instance = Session()
    assert (instance.drmsInfo, instance.drmaaImplementation, instance.contact) == ("FAKE 1.0", "FAKE-DRMAA 1.0", "")


def test_version_formats_with_percent_operator() -> None:
    version = Session.version
    assert "Version %s" % version == "Version 1.0"  # noqa: UP031 - the 0.7.9 tutorial's own spelling
    assert f"{version}" == "1.0"
    assert repr(version) == "Version(major=1, minor=0)"


def test_version_has_major_minor_compares_and_unpacks_as_a_pair() -> None:
    version = Session.version
    major, minor = version
    assert (major, minor, version.major, version.minor) == (1, 0, 1, 0)
    assert (version[0], version[1], len(version), tuple(version)) == (1, 0, 2, (1, 0))
    assert version == (1, 0) and version == Version(1, 0)
    assert version != (2, 0) and version != "1.0"
    assert version < (1, 1) and version < Version(2, 0)
    assert hash(version) == hash((1, 0))
    assert {version: "ok"}[(1, 0)] == "ok"


def test_second_initialize_raises_already_active(session: type[Session]) -> None:
    with pytest.raises(errors.AlreadyActiveSessionException, match=r"^code 11: Initialization failed due to existing"):
        Session.initialize()


def test_exit_without_session_raises_no_active_session_with_standard_text(fake: FakeLibrary) -> None:
    with pytest.raises(errors.NoActiveSessionException) as caught:
        Session.exit()
    assert str(caught.value) == "code 5: No active session"  # SGE gave no text: strerror(5)
    assert caught.value.code == 5


@pytest.mark.parametrize(
    "call",
    [
        Session.createJobTemplate,
        lambda: Session.jobStatus("1"),
        lambda: Session.control("1", "terminate"),
        lambda: Session.wait("1", 0),
        lambda: Session.synchronize(["1"], 0),
    ],
)
def test_calls_without_session_raise_no_active_session(call: Any) -> None:
    with pytest.raises(errors.NoActiveSessionException, match=r"^code 5: No active session$"):
        call()


def test_initialize_again_after_exit_gives_a_new_session(fake: FakeLibrary) -> None:
    Session.initialize()
    first = Session.contact
    Session.exit()
    Session.initialize(None)
    assert Session.contact not in ("", first)


def test_initialize_with_an_earlier_contact_reattaches_to_its_jobs(fake: FakeLibrary) -> None:
    Session.initialize()
    with Session.createJobTemplate() as template:
        template.remoteCommand = "/bin/true"
        jobs = Session.runBulkJobs(template, 1, 2, 1)
    contact = Session.contact
    Session.exit()
    Session.initialize()
    with pytest.raises(errors.InvalidJobException):
        Session.wait(jobs[0], Session.TIMEOUT_NO_WAIT)  # another session's job
    Session.exit()
    Session.initialize(contact)
    assert Session.contact == contact
    with pytest.raises(errors.ExitTimeoutException):
        Session.synchronize([Session.JOB_IDS_SESSION_ALL], Session.TIMEOUT_NO_WAIT)
    for job in jobs:
        fake.finish(job)
    Session.synchronize([Session.JOB_IDS_SESSION_ALL], Session.TIMEOUT_NO_WAIT, dispose=False)
    assert sorted(Session.wait(Session.JOB_IDS_SESSION_ANY).jobId for _ in jobs) == jobs


def test_initialize_with_a_bogus_contact_is_refused(fake: FakeLibrary) -> None:
    with pytest.raises(errors.InvalidArgumentException, match=r"^code 4: "):
        Session.initialize("bogus contact")
    assert fake.session is None


def test_methods_work_on_the_class_and_on_an_instance(fake: FakeLibrary) -> None:
    instance = Session()
    instance.initialize()
    template = Session.createJobTemplate()
    template.remoteCommand = "/bin/true"
    job = instance.runJob(template)
    assert Session.jobStatus(job) == instance.jobStatus(job) == "running"
    instance.deleteJobTemplate(template)
    Session.exit()
    assert fake.session is None


def test_session_is_subclassable(fake: FakeLibrary) -> None:
    class Cluster(Session):
        def submit(self, command: str) -> str:
            with self.createJobTemplate() as template:
                template.remoteCommand = command
                return self.runJob(template)

    with Cluster() as cluster:
        assert cluster.submit("/bin/true") == "1"
        assert Cluster.drmsInfo == "FAKE 1.0"
    assert fake.session is None


def test_session_constants() -> None:
    assert (Session.TIMEOUT_WAIT_FOREVER, Session.TIMEOUT_NO_WAIT) == (-1, 0)
    assert Session.JOB_IDS_SESSION_ANY == b"DRMAA_JOB_IDS_SESSION_ANY"
    assert Session.JOB_IDS_SESSION_ALL == b"DRMAA_JOB_IDS_SESSION_ALL"


def test_context_manager_initializes_and_exits(fake: FakeLibrary) -> None:
    with Session() as session:
        assert isinstance(session, Session)
        assert fake.session is not None
    assert fake.session is None
    assert fake.calls.count("drmaa_init") == fake.calls.count("drmaa_exit") == 1


def test_context_manager_uses_the_contact_string(fake: FakeLibrary) -> None:
    Session.initialize()
    contact = Session.contact
    Session.exit()
    with Session(contactString=contact):
        assert Session.contact == contact


def test_context_manager_does_not_mask_body_exception(fake: FakeLibrary) -> None:
    with pytest.raises(ValueError, match="from the body"), Session():
        fake.fail_next("drmaa_exit", 12, "could not disengage")
        raise ValueError("from the body")
    assert fake.calls[-1] == "drmaa_exit"


def test_context_manager_raises_the_exit_error_when_the_body_succeeded(fake: FakeLibrary) -> None:
    with pytest.raises(errors.DrmsExitException, match=r"^code 12: could not disengage$"), Session():
        fake.fail_next("drmaa_exit", 12, "could not disengage")


# --- submitting ---------------------------------------------------------------------


def test_run_job_returns_the_job_id_as_str(fake: FakeLibrary, jt: JobTemplate) -> None:
    assert [Session.runJob(jt), Session.runJob(jt)] == ["1", "2"]
    assert fake.jobs["2"].state == 0x20


def test_run_job_refused_by_the_drm_raises_denied(jt: JobTemplate) -> None:
    jt.remoteCommand = ""
    with pytest.raises(errors.DeniedByDrmException) as caught:
        Session.runJob(jt)
    assert str(caught.value) == "code 17: job rejected cause there is no job_name in the request"


def test_create_and_delete_job_template(fake: FakeLibrary, session: type[Session]) -> None:
    template = Session.createJobTemplate()
    assert isinstance(template, JobTemplate)
    Session.deleteJobTemplate(template)
    assert fake.freed["template"] == 1
    with pytest.raises(errors.InvalidJobTemplateException):
        template.remoteCommand = "/bin/true"


def test_run_bulk_jobs_returns_task_ids(fake: FakeLibrary, jt: JobTemplate) -> None:
    assert Session.runBulkJobs(jt, 1, 6, 2) == ["1.1", "1.3", "1.5"]
    assert Session.runBulkJobs(jobTemplate=jt, beginIndex=2, endIndex=2, step=1) == ["2.2"]
    assert fake.freed["job_ids"] == 2


@pytest.mark.parametrize(("begin", "end", "step"), [(0, 3, 1), (5, 1, 1), (1, 3, 0)])
def test_run_bulk_jobs_with_indexes_the_drm_refuses(jt: JobTemplate, begin: int, end: int, step: int) -> None:
    with pytest.raises(errors.InvalidArgumentException, match=r"^code 4: The input value for an argument is invalid"):
        Session.runBulkJobs(jt, begin, end, step)


@pytest.mark.parametrize(
    ("value", "error"), [("1", TypeError), (1.0, TypeError), (True, TypeError), (2**31, ValueError)]
)
def test_run_bulk_jobs_checks_its_indexes_before_calling_c(
    fake: FakeLibrary, jt: JobTemplate, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^step: "):
        Session.runBulkJobs(jt, 1, 3, value)
    assert "drmaa_run_bulk_jobs" not in fake.calls


# --- status and control -------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "state"),
    [(0x10, "queued_active"), (0x12, "user_on_hold"), (0x20, "running"), (0x30, "done"), (0x40, "failed")],
)
def test_job_status_gives_the_state_string(fake: FakeLibrary, jt: JobTemplate, code: int, state: str) -> None:
    job = Session.runJob(jt)
    fake.jobs[job].state = code
    assert Session.jobStatus(jobId=job) == state


def test_unknown_state_code_from_the_library_is_undetermined(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    fake.jobs[job].state = 0x99
    assert Session.jobStatus(job) == JobState.UNDETERMINED


def test_job_status_of_unknown_and_malformed_ids(session: type[Session]) -> None:
    with pytest.raises(
        errors.InvalidJobException, match=r"^code 18: The job specified by the 'jobid' does not exist.$"
    ):
        Session.jobStatus("999999")
    with pytest.raises(errors.InvalidArgumentException, match=r'^code 4: Job id, "abc", is not a valid job id$'):
        Session.jobStatus(b"abc")


def test_control_actions_change_the_state(jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    seen = []
    for action in ("hold", "release", "suspend", "resume"):
        Session.control(job, action)
        seen.append(Session.jobStatus(job))
    Session.control(jobId=job, operation=JobControlAction.TERMINATE)
    seen.append(Session.jobStatus(job))
    assert seen == ["user_on_hold", "running", "user_suspended", "running", "failed"]


@pytest.mark.parametrize(
    ("first", "again", "error", "message"),
    [
        (
            "suspend",
            "suspend",
            errors.SuspendInconsistentStateException,
            "code 20: fakeuser - job 1 is already suspended",
        ),
        (None, "resume", errors.ResumeInconsistentStateException, "code 19: fakeuser - job 1 is already unsuspended"),
        (None, "release", errors.ReleaseInconsistentStateException, "code 22: The job is not in a HOLD state."),
        (
            "terminate",
            "hold",
            errors.HoldInconsistentStateException,
            "code 21: The job cannot be moved to a HOLD state.",
        ),
    ],
)
def test_control_in_an_inconsistent_state(
    jt: JobTemplate, first: Any, again: str, error: type[Exception], message: str
) -> None:
    job = Session.runJob(jt)
    if first:
        Session.control(job, first)
    with pytest.raises(error) as caught:
        Session.control(job, again)
    assert str(caught.value) == message


def test_control_of_unknown_job_and_unknown_operation(fake: FakeLibrary, session: type[Session]) -> None:
    with pytest.raises(errors.InvalidJobException, match=r"^code 18: There are no jobs registered$"):
        Session.control("999999", "terminate")
    with pytest.raises(ValueError, match="unknown control action 'kill'"):
        Session.control("1", "kill")
    assert fake.calls.count("drmaa_control") == 1


def test_control_of_all_jobs_of_the_session(fake: FakeLibrary, jt: JobTemplate) -> None:
    jobs = [Session.runJob(jt) for _ in range(3)]
    Session.control(Session.JOB_IDS_SESSION_ALL, JobControlAction.TERMINATE)
    assert [Session.jobStatus(job) for job in jobs] == ["failed"] * 3


# --- waiting ---------------------------------------------------------------------------


def test_wait_returns_job_info_and_reaps_the_job(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    fake.finish(job, 0)
    info = Session.wait(job, Session.TIMEOUT_WAIT_FOREVER)
    assert (info.jobId, info.hasExited, info.exitStatus) == (job, True, 0)
    with pytest.raises(errors.InvalidJobException):
        Session.jobStatus(job)
    with pytest.raises(errors.InvalidJobException, match=r"^code 18: "):
        Session.wait(job)


def test_wait_for_any_job_returns_its_real_id(fake: FakeLibrary, jt: JobTemplate) -> None:
    first, second = Session.runJob(jt), Session.runJob(jt)
    fake.finish(second, 2)
    info = Session.wait(Session.JOB_IDS_SESSION_ANY, timeout=Session.TIMEOUT_NO_WAIT)
    assert (info.jobId, info.exitStatus) == (second, 2)
    fake.finish(first)
    assert Session.wait("DRMAA_JOB_IDS_SESSION_ANY").jobId == first
    with pytest.raises(errors.InvalidJobException):
        Session.wait(Session.JOB_IDS_SESSION_ANY)


def test_wait_timeout_raises_exit_timeout_and_leaves_the_job(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    with pytest.raises(errors.ExitTimeoutException) as caught:
        Session.wait(job, Session.TIMEOUT_NO_WAIT)
    assert str(caught.value) == "code 23: time-out condition"
    assert fake.timeouts == [("drmaa_wait", 0)]
    fake.finish(job)
    assert Session.wait(job, 0).jobId == job


def test_float_timeout_accepted_and_rounded_up_for_c(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    fake.block_seconds = 0.3  # the fake waits 0.3 s of real time at most, whatever C was asked
    with pytest.raises(errors.ExitTimeoutException):
        Session.wait(job, 0.2)
    with pytest.raises(errors.ExitTimeoutException):
        Session.synchronize([job], 2.5)
    assert fake.timeouts == [("drmaa_wait", 1), ("drmaa_synchronize", 3)]  # C takes whole seconds: never early
    fake.finish(job)
    assert Session.wait(job, 2.5).jobId == job


@pytest.mark.parametrize(
    ("timeout", "error"), [(-2, ValueError), ("10", TypeError), (None, TypeError), (True, TypeError)]
)
def test_impossible_timeouts_are_refused_before_calling_c(
    fake: FakeLibrary, jt: JobTemplate, timeout: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^timeout: "):
        Session.wait("1", timeout)
    with pytest.raises(error, match=r"^timeout: "):
        Session.synchronize(["1"], timeout)
    assert fake.timeouts == []


def test_wait_forever_is_one_c_call_with_the_whole_timeout(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    fake.block_seconds = 30
    threading.Timer(0.2, fake.finish, (job,)).start()
    assert Session.wait(job).jobId == job
    assert fake.timeouts == [("drmaa_wait", -1)]  # as drmaa-python 0.7.9 calls it: no polling in slices


def test_synchronize_forever_is_one_c_call_with_the_whole_timeout(fake: FakeLibrary, jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    fake.block_seconds = 30
    threading.Timer(0.2, fake.finish, (job,)).start()
    Session.synchronize([job], Session.TIMEOUT_WAIT_FOREVER, True)
    assert fake.timeouts == [("drmaa_synchronize", -1)]


@pytest.mark.parametrize("timeout", [0, 1, 5, 3600])
def test_whole_second_timeouts_reach_c_unchanged(fake: FakeLibrary, jt: JobTemplate, timeout: int) -> None:
    job = Session.runJob(jt)
    with pytest.raises(errors.ExitTimeoutException):
        Session.wait(job, timeout)
    with pytest.raises(errors.ExitTimeoutException):
        Session.synchronize([job], timeout)
    assert fake.timeouts == [("drmaa_wait", timeout), ("drmaa_synchronize", timeout)]


def test_synchronize_without_dispose_leaves_jobs_for_wait(fake: FakeLibrary, jt: JobTemplate) -> None:
    jobs = Session.runBulkJobs(jt, 1, 3, 1)
    for job in jobs:
        fake.finish(job)
    Session.synchronize(jobs)
    assert [Session.jobStatus(job) for job in jobs] == ["done"] * 3
    assert [Session.wait(job).jobId for job in jobs] == jobs


def test_synchronize_with_dispose_reaps(fake: FakeLibrary, jt: JobTemplate) -> None:
    jobs = [Session.runJob(jt) for _ in range(2)]
    for job in jobs:
        fake.finish(job)
    Session.synchronize(jobIds=[Session.JOB_IDS_SESSION_ALL], timeout=Session.TIMEOUT_NO_WAIT, dispose=True)
    for job in jobs:
        with pytest.raises(errors.InvalidJobException):
            Session.wait(job)


def test_synchronize_timeout_gives_the_standard_text(jt: JobTemplate) -> None:
    job = Session.runJob(jt)
    with pytest.raises(errors.ExitTimeoutException) as caught:
        Session.synchronize([job], Session.TIMEOUT_NO_WAIT)
    assert str(caught.value) == "code 23: time-out condition"  # SGE gave no text


def test_synchronize_bare_string_job_id_is_one_item(fake: FakeLibrary, jt: JobTemplate, mocker: Any) -> None:
    jobs = [Session.runJob(jt) for _ in range(12)]
    fake.finish(jobs[-1])
    spy = mocker.spy(fake.drmaa_synchronize, "method")
    Session.synchronize("12", 0)  # as characters, '1' and '2' would wait for running jobs 1 and 2
    assert list(spy.call_args.args[0]) == [b"12", None]


def test_synchronize_ignores_unknown_ids(fake: FakeLibrary, session: type[Session]) -> None:
    assert Session.synchronize(["999999"], Session.TIMEOUT_NO_WAIT) is None  # as SGE: no error
    assert fake.timeouts == [("drmaa_synchronize", 0)]


# --- threads -----------------------------------------------------------------------------


def test_threads_wait_at_once_while_others_submit_and_poll(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.block_seconds = 30  # each wait really blocks in the library until its job ends, as C does, holding nothing
    jobs = [Session.runJob(jt) for _ in range(4)]
    results: dict[str, int] = {}
    failures: list[BaseException] = []

    def waiter(job: str) -> None:
        try:
            results[job] = Session.wait(job).exitStatus
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=waiter, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    time.sleep(0.1)  # all four are blocked in drmaa_wait now
    start = time.monotonic()
    more = [Session.runJob(jt) for _ in range(3)]
    states = [Session.jobStatus(job) for job in jobs + more]
    took = time.monotonic() - start
    assert states == ["running"] * 7
    assert took < 0.3  # not queued behind the blocked waiters
    for number, job in enumerate(jobs):
        fake.finish(job, number)
    for thread in threads:
        thread.join(timeout=20)
    assert failures == []
    assert results == {job: number for number, job in enumerate(jobs)}
    assert [Session.jobStatus(job) for job in more] == ["running"] * 3
