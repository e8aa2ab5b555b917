"""Session on a real DRM: properties before and after initialize, lifecycle, re-attaching."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest
from drms import current

import drmaa
from drmaa.errors import (
    AlreadyActiveSessionException,
    InvalidArgumentException,
    InvalidJobTemplateException,
    NoActiveSessionException,
)

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()
#: The contact string of a session of this process (Grid Engine: the host, the pid and a number; Slurm: '').
CONTACT = DRM.contact()


def is_drms_info(text: str) -> bool:
    return re.fullmatch(DRM.drms_info, text) is not None


def is_implementation(text: str) -> bool:
    return re.fullmatch(DRM.implementation, text) is not None


def strerror(code: int) -> str:
    text: bytes = drmaa.wrappers.lib.drmaa_strerror(code)
    return text.decode()


def no_session() -> None:
    """Make sure no session is open (the properties below depend on it)."""
    try:
        drmaa.Session.exit()
    except NoActiveSessionException:
        pass


# --- properties ------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["class", "instance"])
def test_properties_before_initialize(owner: str) -> None:
    no_session()
    s = drmaa.Session if owner == "class" else drmaa.Session()
    assert s.contact == ""
    assert is_drms_info(s.drmsInfo)
    assert is_implementation(s.drmaaImplementation)
    version = s.version
    assert version == (1, 0)
    assert (version.major, version.minor) == (1, 0)
    major, minor = version
    assert (major, minor) == (1, 0)
    # The seed tutorial formats it with %: it must not be taken as an argument tuple.
    assert "%s" % version == "1.0"  # noqa: UP031
    assert "Version %s" % version == "Version 1.0"  # noqa: UP031


def test_properties_after_initialize(session: drmaa.Session) -> None:
    contact = session.contact
    assert CONTACT.fullmatch(contact), contact
    assert drmaa.Session.contact == contact  # one session per process: the class sees it too
    assert session.drmsInfo == drmaa.Session.drmsInfo
    assert is_drms_info(session.drmsInfo)
    assert session.drmaaImplementation == drmaa.Session.drmaaImplementation
    assert is_implementation(session.drmaaImplementation)
    assert session.version == drmaa.Session.version == (1, 0)
    assert "%s" % session.version == "1.0"  # noqa: UP031


def test_contact_is_empty_again_after_exit() -> None:
    no_session()
    s = drmaa.Session()
    s.initialize()
    assert CONTACT.fullmatch(s.contact)
    s.exit()
    assert s.contact == ""


def test_initialize_again_after_exit() -> None:
    no_session()
    s = drmaa.Session()
    s.initialize()
    first = s.contact
    s.exit()
    s.initialize()
    second = s.contact
    s.exit()
    assert CONTACT.fullmatch(first) and CONTACT.fullmatch(second)


# --- lifecycle -------------------------------------------------------------------------


def test_second_initialize_raises_already_active(session: drmaa.Session, jobs: Jobs) -> None:
    contact = session.contact
    with pytest.raises(AlreadyActiveSessionException) as caught:
        session.initialize()
    assert caught.value.code == 11
    assert str(caught.value).startswith("code 11: ")
    assert session.contact == contact  # the open session is untouched
    assert jobs.finish(jobs.template("exit 3")).exitStatus == 3


def test_exit_without_session_raises_with_the_standard_message() -> None:
    no_session()
    with pytest.raises(NoActiveSessionException) as caught:
        drmaa.Session.exit()
    # The library's text, or drmaa_strerror(5) where it gives none (Grid Engine).
    assert caught.value.code == 5
    assert caught.value.diagnosis
    assert str(caught.value) == f"code 5: {caught.value.diagnosis}"
    if DRM.key == "sge":
        assert caught.value.diagnosis == strerror(5) == "No active session"


def test_calls_after_exit_raise_no_active_session(session: drmaa.Session) -> None:
    jt = session.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    session.exit()
    if DRM.templates_need_session:
        with pytest.raises(NoActiveSessionException):
            session.createJobTemplate()
    else:
        session.createJobTemplate().delete()
    for call in (
        lambda: session.runJob(jt),
        lambda: session.runBulkJobs(jt, 1, 2, 1),
        lambda: session.jobStatus("1"),
        lambda: session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 0),
        lambda: session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 0),
        lambda: session.control("1", drmaa.JobControlAction.TERMINATE),
    ):
        with pytest.raises(NoActiveSessionException) as caught:
            call()
        assert str(caught.value).startswith("code 5: "), caught.value
        assert caught.value.diagnosis


def test_calls_before_initialize_raise_no_active_session() -> None:
    no_session()
    s = drmaa.Session()
    for make in (s.createJobTemplate, drmaa.JobTemplate):
        if DRM.templates_need_session:
            with pytest.raises(NoActiveSessionException):
                make()
        else:
            make().delete()
    for call in (
        lambda: s.jobStatus("1"),
        lambda: s.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 0),
        lambda: s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 0, True),
        lambda: s.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.HOLD),
    ):
        with pytest.raises(NoActiveSessionException) as caught:
            call()
        assert str(caught.value) == f"code 5: {caught.value.diagnosis}" and caught.value.diagnosis, caught.value


@pytest.mark.not_on("slurm", "any-contact")
def test_initialize_with_a_bogus_contact_raises_invalid_argument() -> None:
    no_session()
    with pytest.raises(InvalidArgumentException) as caught:
        drmaa.Session.initialize("bogus contact")
    assert caught.value.code == 4
    assert caught.value.diagnosis
    with pytest.raises(NoActiveSessionException):  # nothing was opened
        drmaa.Session.exit()


def test_initialize_and_exit_on_the_class() -> None:
    no_session()
    drmaa.Session.initialize()
    try:
        assert CONTACT.fullmatch(drmaa.Session.contact)
        jt = drmaa.Session.createJobTemplate()
        jt.remoteCommand = "/bin/true"
        assert jt.remoteCommand == "/bin/true"
        drmaa.Session.deleteJobTemplate(jt)
    finally:
        drmaa.Session.exit()
    assert drmaa.Session.contact == ""


def test_class_methods_submit_and_wait(session: drmaa.Session, jobs: Jobs) -> None:
    jt = jobs.template("exit 4")
    job_id = drmaa.Session.runJob(jt)
    jobs.track(job_id)
    assert drmaa.Session.jobStatus(job_id) in {"queued_active", "running", "done"}
    info = drmaa.Session.wait(job_id, 120)
    assert info.jobId == job_id and info.exitStatus == 4


def test_with_block_initializes_and_exits() -> None:
    no_session()
    with drmaa.Session() as s:
        assert isinstance(s, drmaa.Session)
        assert CONTACT.fullmatch(s.contact)
        with s.createJobTemplate() as jt:
            jt.jobName = "x"
    assert drmaa.Session.contact == ""
    with pytest.raises(NoActiveSessionException):
        drmaa.Session.exit()


def test_with_block_keeps_the_exception_of_its_body() -> None:
    no_session()
    with pytest.raises(KeyError, match="from the body"):
        with drmaa.Session() as s:
            s.exit()  # so that exit() in __exit__ fails too
            raise KeyError("from the body")


def test_subclass_works(jobs: Jobs) -> None:
    class MySession(drmaa.Session):
        def quick(self, script: str) -> drmaa.JobInfo:
            job_id = self.runJob(jobs.template(script))
            jobs.track(job_id)
            return self.wait(job_id, 120)

    # the `jobs` fixture opened the session already: use it through the subclass
    info = MySession().quick("exit 6")
    assert info.exitStatus == 6
    assert is_drms_info(MySession.drmsInfo)


def test_run_job_returns_a_numeric_id(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0")
    assert isinstance(job_id, str) and job_id.isdigit(), job_id


def test_delete_job_template_deletes_it(session: drmaa.Session) -> None:
    jt = session.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    session.deleteJobTemplate(jt)
    with pytest.raises(InvalidJobTemplateException):
        jt.remoteCommand  # noqa: B018
    with pytest.raises(InvalidJobTemplateException):
        session.runJob(jt)
    jt.delete()  # a second delete does nothing


# --- re-attaching ------------------------------------------------------------------------


def test_reattach_by_contact_waits_for_a_job_of_the_earlier_session(session: drmaa.Session, jobs: Jobs) -> None:
    job_id = jobs.submit("sleep 2; exit 5")
    contact = session.contact
    session.exit()
    session.initialize(contact)
    assert session.contact == contact
    assert session.jobStatus(job_id) in {"queued_active", "running", "done"}
    info = session.wait(job_id, 120)
    assert info.jobId == job_id
    assert info.hasExited is True and info.exitStatus == 5


def test_reattach_by_contact_with_a_with_block(session: drmaa.Session, jobs: Jobs) -> None:
    job_id = jobs.submit("exit 9", hold=True)
    contact = session.contact
    session.exit()
    with drmaa.Session(contactString=contact) as again:
        assert again.contact == contact
        again.control(job_id, drmaa.JobControlAction.RELEASE)
        assert again.wait(job_id, 120).exitStatus == 9


@pytest.mark.not_on("slurm", "session-jobs")
def test_session_all_means_the_reattached_sessions_jobs(session: drmaa.Session, jobs: Jobs) -> None:
    ids = [jobs.submit(f"exit {status}", hold=True) for status in (11, 12)]
    # A held job of nobody's session, submitted with qsub.
    proc = subprocess.run(
        ["qsub", "-terse", "-h", "-N", "drmaa-it", "-o", "/dev/null", "-j", "y", "-b", "y", "/bin/true"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stranger = proc.stdout.strip()
    jobs.track(stranger)
    contact = session.contact
    session.exit()
    session.initialize(contact)
    session.control(drmaa.Session.JOB_IDS_SESSION_ALL, drmaa.JobControlAction.RELEASE)
    session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 120, False)
    assert [session.jobStatus(job_id) for job_id in ids] == ["done", "done"]
    assert session.jobStatus(stranger) == "user_on_hold"  # not ours: neither released nor waited for
    found = {}
    for _ in ids:
        info = session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, 60)
        found[info.jobId] = info.exitStatus
    assert found == {ids[0]: 11, ids[1]: 12}


def test_initialize_while_reattached_raises_already_active(session: drmaa.Session) -> None:
    contact = session.contact
    session.exit()
    session.initialize(contact)
    for again in (contact, None):
        with pytest.raises(AlreadyActiveSessionException):
            session.initialize(again)
    assert session.contact == contact
