"""drmaa.JobInfo: how wait() reports the end of a job, and which C answers it trusts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from drmaa import JobInfo, JobTemplate, Session, errors, wrappers

from .fakelib import RUSAGE_NAMES, FakeLibrary

FIELDS = (
    "jobId",
    "hasExited",
    "hasSignal",
    "terminatedSignal",
    "hasCoreDump",
    "wasAborted",
    "exitStatus",
    "resourceUsage",
)


@pytest.fixture
def jt(fake: FakeLibrary) -> Iterator[JobTemplate]:
    Session.initialize()
    with Session.createJobTemplate() as template:
        template.remoteCommand = "/bin/sleep"
        yield template


def ended(fake: FakeLibrary, jt: JobTemplate, **how: Any) -> JobInfo:
    job = Session.runJob(jt)
    fake.finish(job, **how)
    return Session.wait(job)


def test_fields_in_0_7_9_order() -> None:
    assert JobInfo._fields == FIELDS
    assert issubclass(JobInfo, tuple)


def test_exited_job(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, exit_status=3)
    assert info[:7] == ("1", True, False, "", False, False, 3)
    assert [type(value) for value in info[:7]] == [str, bool, bool, str, bool, bool, int]
    assert sorted(info.resourceUsage) == sorted(RUSAGE_NAMES)
    assert info.resourceUsage["exit_status"] == "3.0000"
    assert all(type(key) is str and type(value) is str for key, value in info.resourceUsage.items())


def test_signalled_job(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, signal="SIGSEGV", core_dump=True)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.hasCoreDump, info.exitStatus) == (
        False,
        True,
        "SIGSEGV",
        True,
        0,
    )


def test_aborted_job(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, aborted=True)
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.wasAborted, info.exitStatus) == (
        False,
        False,
        "",
        True,
        0,
    )
    assert info.resourceUsage["exit_status"] == "137.0000"


def test_exit_status_not_asked_unless_exited(fake: FakeLibrary, jt: JobTemplate) -> None:
    ended(fake, jt, signal="SIGTERM")
    ended(fake, jt, aborted=True)
    assert "drmaa_wexitstatus" not in fake.calls
    ended(fake, jt, exit_status=0)
    assert fake.calls.count("drmaa_wexitstatus") == 1


def test_signal_not_asked_unless_signalled(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, exit_status=1)
    assert info.terminatedSignal == ""  # SGE would have said 'SIGunknown signal'
    assert info.hasCoreDump is False
    assert not {"drmaa_wtermsig", "drmaa_wcoredump"} & set(fake.calls)


def test_rusage_entry_without_equals_skipped(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, rusage=["cpu=1.5000", "garbage", "", "=empty name", "note=a=b"])
    assert info.resourceUsage == {"cpu": "1.5000", "": "empty name", "note": "a=b"}


def test_resource_usage_is_a_mutable_dict(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt)
    info.resourceUsage["mine"] = "x"
    assert info.resourceUsage["mine"] == "x"


def test_asdict_and_replace(fake: FakeLibrary, jt: JobTemplate) -> None:
    info = ended(fake, jt, exit_status=2)
    fields = info._asdict()
    assert list(fields) == list(FIELDS)
    assert fields["exitStatus"] == 2
    changed = info._replace(exitStatus=0, jobId="other")
    assert (changed.exitStatus, changed.jobId, changed.hasExited) == (0, "other", True)


def test_job_terminated_on_hold_raises_no_resource_usage(fake: FakeLibrary, jt: JobTemplate) -> None:
    jt.jobSubmissionState = "drmaa_hold"
    job = Session.runJob(jt)
    Session.control(job, "terminate")
    with pytest.raises(errors.NoResourceUsageException) as caught:
        Session.wait(job)
    assert isinstance(caught.value, errors.DrmaaException)
    assert str(caught.value) == "code 24: no usage information was returned for the completed job"
    assert caught.value.jobInfo == JobInfo(job, False, False, "", False, True, 0, {})
    with pytest.raises(errors.InvalidJobException):
        Session.jobStatus(job)  # reaped all the same
    assert "drmaa_release_attr_values" not in fake.calls  # the untouched (NULL) rusage is not released


def test_null_list_never_released(fake: FakeLibrary, jt: JobTemplate) -> None:
    """A library that reports success but gives no usage list at all."""
    original = fake.drmaa_wait

    def wait_without_rusage(*args: Any) -> int:
        given = wrappers.AttrValuesHandle()
        code: int = original(*args[:5], given, *args[6:])
        fake.drmaa_release_attr_values(given)
        return code

    fake.drmaa_wait = wait_without_rusage  # type: ignore[method-assign]
    info = ended(fake, jt, exit_status=0)
    assert (info.hasExited, info.resourceUsage) == (True, {})
    assert fake.calls.count("drmaa_release_attr_values") == 1  # only the fake's own


def test_allocations_equal_frees_over_1000_submit_wait_cycles(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.autofinish = {"exit_status": 0}
    for _ in range(1000):
        info = Session.wait(Session.runJob(jt))
        assert info.exitStatus == 0
    assert fake.allocated["attr_values"] == fake.freed["attr_values"] == 1000
    assert all(job.reaped for job in fake.jobs.values())
