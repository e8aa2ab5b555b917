"""JobInfo from a real DRM: how each way of ending a job is reported, and the resource usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from drms import current

import drmaa
from drmaa.errors import DrmaaException, InvalidJobException, NoResourceUsageException

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()

#: Usage that Grid Engine samples while the job runs: a short job may end before
#: the first sample, and then the entry is missing (observed for ``vmem``).
SAMPLED = {"vmem"}

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


def check_types(info: drmaa.JobInfo) -> None:
    assert type(info.jobId) is str
    for flag in (info.hasExited, info.hasSignal, info.hasCoreDump, info.wasAborted):
        assert type(flag) is bool
    assert type(info.exitStatus) is int
    assert type(info.terminatedSignal) is str
    assert type(info.resourceUsage) is dict
    for name, value in info.resourceUsage.items():
        assert type(name) is str and type(value) is str
        if name not in DRM.rusage_text:
            float(value)  # every other value is a number written as text


def check_usage_names(info: drmaa.JobInfo) -> None:
    names = set(info.resourceUsage)
    assert DRM.rusage_keys - SAMPLED <= names <= DRM.rusage_keys, sorted(names ^ DRM.rusage_keys)


def test_exit_zero(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0")
    info = jobs.session.wait(job_id, 120)
    check_types(info)
    assert info.jobId == job_id
    assert (info.hasExited, info.exitStatus) == (True, 0)
    assert (info.hasSignal, info.terminatedSignal, info.hasCoreDump, info.wasAborted) == (False, "", False, False)
    check_usage_names(info)
    usage = {name: float(value) for name, value in info.resourceUsage.items() if name not in DRM.rusage_text}
    if "exit_status" in DRM.rusage_keys:  # Grid Engine's accounting
        assert usage["exit_status"] == 0 and usage["signal"] == 0
        assert usage["submission_time"] <= usage["start_time"] <= usage["end_time"]
    assert usage["submission_time"] > 0


def test_exit_three(jobs: Jobs) -> None:
    info = jobs.finish(jobs.template("exit 3"))
    check_types(info)
    assert (info.hasExited, info.exitStatus, info.hasSignal, info.wasAborted) == (True, 3, False, False)
    assert info.terminatedSignal == ""
    check_usage_names(info)
    if "exit_status" in DRM.rusage_keys:
        assert float(info.resourceUsage["exit_status"]) == 3


@pytest.mark.parametrize("signal", ["TERM", "KILL"])
def test_job_killed_by_its_own_signal(jobs: Jobs, signal: str) -> None:
    info = jobs.finish(jobs.template(f"kill -{signal} $$; sleep 5"))
    check_types(info)
    assert info.hasSignal is True
    assert info.terminatedSignal == f"SIG{signal}"
    number = {"TERM": 15, "KILL": 9}[signal]
    # Grid Engine: not exited, status 0; slurm-drmaa: exited too, with the shell's status 128 + n.
    assert (info.hasExited, info.exitStatus) == ((True, 128 + number) if DRM.signal_exits else (False, 0))
    assert info.wasAborted is False
    check_usage_names(info)


@pytest.mark.not_on("slurm", "aborted-info")
def test_job_terminated_by_control(jobs: Jobs) -> None:
    job_id = jobs.submit("sleep 60")
    jobs.wait_state(job_id, {drmaa.JobState.RUNNING})
    jobs.session.control(job_id, drmaa.JobControlAction.TERMINATE)
    info = jobs.session.wait(job_id, 120)
    check_types(info)
    assert info.jobId == job_id
    assert info.wasAborted is True
    assert (info.hasExited, info.hasSignal, info.terminatedSignal, info.exitStatus) == (False, False, "", 0)
    check_usage_names(info)
    # Grid Engine's own record of the kill.
    assert float(info.resourceUsage["exit_status"]) == 137


@pytest.mark.not_on("slurm", "no-rusage")
def test_job_deleted_while_on_hold_has_no_resource_usage(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0", hold=True)
    jobs.session.control(job_id, drmaa.JobControlAction.TERMINATE)
    with pytest.raises(NoResourceUsageException) as caught:
        jobs.session.wait(job_id, 120)
    exc = caught.value
    assert isinstance(exc, DrmaaException)
    assert exc.code == 24
    assert str(exc).startswith("code 24")
    assert str(exc) == "code 24: no usage information was returned for the completed job"
    assert exc.jobInfo is not None
    assert exc.jobInfo.jobId == job_id
    assert exc.jobInfo.wasAborted is True and exc.jobInfo.hasExited is False
    assert exc.jobInfo.resourceUsage == {}
    with pytest.raises(InvalidJobException):  # reaped all the same
        jobs.session.jobStatus(job_id)


@pytest.mark.not_on("slurm", "aborted-info")
def test_nonexistent_command_is_aborted(jobs: Jobs) -> None:
    job_id = jobs.run(jobs.template(command="/nonexistent/drmaa-it-command"))
    assert jobs.session.jobStatus(job_id) in {"queued_active", "running", "failed"}
    jobs.wait_state(job_id, {drmaa.JobState.FAILED})
    info = jobs.session.wait(job_id, 120)
    check_types(info)
    assert info.wasAborted is True
    assert (info.hasExited, info.hasSignal, info.exitStatus) == (False, False, 0)
    # Only what the master knows: the job never ran (the sampled values not always).
    sampled = {"cpu", "io", "iow", "maxvmem", "mem", "vmem"}
    assert {"priority", "submission_time"} <= set(info.resourceUsage) <= {"priority", "submission_time"} | sampled


def test_job_info_is_the_0_7_9_namedtuple(jobs: Jobs) -> None:
    info = jobs.finish(jobs.template("exit 1"))
    assert isinstance(info, tuple) and info._fields == FIELDS
    assert info._asdict()["exitStatus"] == 1
    assert info._replace(exitStatus=2).exitStatus == 2
    job_id, exited, signalled, signal, core, aborted, status, usage = info
    assert (job_id, exited, signalled, signal, core, aborted, status) == (info.jobId, True, False, "", False, False, 1)
    usage["added"] = "1"  # a plain mutable dict
    assert info.resourceUsage["added"] == "1"
