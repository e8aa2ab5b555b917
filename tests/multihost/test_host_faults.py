"""Faults at host level on the multi-host cluster: links cut and hosts killed under running sessions.

The session runs on the submit host. A fault is one of: an execution host's
link cut while its job runs, then mended; an execution host killed (every
process of it: execd, shepherds, jobs), then started again; the submit host
itself cut off from the master while DRMAA calls are under way. Every DRMAA
call made during a fault runs in a thread of its own with a bound, so a call
that hangs fails the test instead of blocking the run; a child process waiting
for a job of its own gets SIGINT during each fault, and must raise
KeyboardInterrupt within :data:`LATENCY_BOUND`. After recovery, every job
submitted is accounted for exactly once in ``qacct`` and reaped at most once.

What each fault looked like is collected per test and written as JSON to the
file named by ``$DRMAA_MULTIHOST_REPORT`` when that is set.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    EXEC_HOSTS,
    SUBMIT_HOST,
    Call,
    accounted_once,
    local_sge,
    named_in_accounting,
    queued,
    template,
)

import drmaa
from drmaa.errors import DrmCommunicationException, ExitTimeoutException, InvalidJobException

#: SIGINT must raise KeyboardInterrupt in a waiting process within this many seconds.
LATENCY_BOUND = 2.0
#: How much later than its timeout a wait may return.
TIMEOUT_MARGIN = 5.0
#: How long a call may block on a link that is down: Grid Engine's client
#: gives up on an unacknowledged message after about 120 s.
COMMLIB_BOUND = 150.0
#: How long a job's end may take to reach the session once its host is back.
RECOVERY_BOUND = 90.0

#: test name -> what was observed
OBSERVED: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    path = os.environ.get("DRMAA_MULTIHOST_REPORT")
    if path:
        Path(path).write_text(json.dumps(OBSERVED, indent=2, default=str) + "\n", encoding="utf-8")


@pytest.fixture
def observed(request: pytest.FixtureRequest) -> dict[str, Any]:
    facts: dict[str, Any] = OBSERVED.setdefault(request.node.name, {})
    return facts


# A child on this (submit) host: submits a job to HOST (which touches MARKER,
# then sleeps SECONDS), waits for it, and on
# SIGINT says when it got the KeyboardInterrupt and leaves at once (a session
# exit could block on a cut link).
WAITER = r"""
import os, signal, sys, time
import drmaa
signal.signal(signal.SIGINT, signal.default_int_handler)
s = drmaa.Session()
s.initialize()
with s.createJobTemplate() as jt:
    jt.remoteCommand, jt.args = "/bin/sh", ["-c", "touch %s; sleep %s" % (sys.argv[3], sys.argv[2])]
    jt.jobName, jt.outputPath, jt.joinFiles = "drmaa-mh", ":/dev/null", True
    jt.nativeSpecification = "-l h=" + sys.argv[1]
    job_id = s.runJob(jt)
print("JOB", job_id, flush=True)
try:
    s.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    print("NOT INTERRUPTED", flush=True)
except KeyboardInterrupt:
    print("INTERRUPTED", flush=True)
os._exit(0)
"""


class Waiter:
    """A child process blocked in ``wait()`` for a job of its own on *host*."""

    def __init__(self, host: str, seconds: int, marker: Path) -> None:
        self.marker = marker
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WAITER, host, str(seconds), str(marker)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.job_id = self._expect("JOB", 60)[1].split()[1]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put((time.monotonic(), line.strip()))

    def _expect(self, word: str, bound: float) -> tuple[float, str]:
        try:
            when, line = self.lines.get(timeout=bound)
        except queue.Empty:
            raise AssertionError(f"the waiting child said nothing within {bound} s") from None
        assert line.startswith(word), f"expected {word!r} from the waiting child, got {line!r}"
        return when, line

    def interrupt(self) -> float:
        """Send SIGINT; return how long the KeyboardInterrupt took to show."""
        time.sleep(1.4)  # deep inside a one-second wait slice
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        when, _ = self._expect("INTERRUPTED", 30)
        self.proc.wait(30)
        return when - sent


def check_interrupt(facts: dict[str, Any], waiter: Waiter) -> None:
    latency = waiter.interrupt()
    facts["Ctrl-C in a waiting process"] = f"KeyboardInterrupt after {latency:.2f} s"
    assert latency < LATENCY_BOUND, facts


def started(*markers: Path, bound: float = 60.0) -> None:
    """Wait until jobs have touched their marker files: they run, past Grid Engine's prolog."""
    deadline = time.monotonic() + bound
    while not all(marker.exists() for marker in markers):
        assert time.monotonic() < deadline, f"jobs did not start within {bound:.0f} s: {markers}"
        time.sleep(0.2)


def reaped_once(session: Any, job_id: str) -> None:
    with pytest.raises(InvalidJobException):
        session.wait(job_id, 5)


# --- an execution host ------------------------------------------------------------------


def test_execution_host_link_cut_while_its_job_runs_then_mended(
    session: Any, jobdir: Path, healthy_cluster: None, observed: dict[str, Any]
) -> None:
    host, seconds = EXEC_HOSTS[0], 12
    with template(session, f'touch {jobdir}/go; sleep {seconds}; echo "$HOSTNAME" > {jobdir}/out', host=host) as jt:
        job_id = session.runJob(jt)
    waiter = Waiter(host, seconds, jobdir / "waiter")
    started(jobdir / "go", waiter.marker)
    local_sge("cut", "--host", host)
    cut = time.monotonic()

    state = Call(observed, "jobStatus", session.jobStatus, job_id).result(COMMLIB_BOUND)
    assert state.value == drmaa.JobState.RUNNING, observed
    waited = Call(observed, "wait(job, 3)", session.wait, job_id, 3).result(3 + TIMEOUT_MARGIN)
    synced = Call(observed, "synchronize([job], 3)", session.synchronize, [job_id], 3, False)
    synced.result(3 + TIMEOUT_MARGIN)
    assert isinstance(waited.error, ExitTimeoutException) and isinstance(synced.error, ExitTimeoutException), observed
    check_interrupt(observed, waiter)

    # the job ends while its host is cut off; its end is reported once the link is back
    time.sleep(max(0.0, cut + seconds + 3 - time.monotonic()))
    local_sge("mend", "--host", host)
    info = Call(observed, "wait(job) after mending", session.wait, job_id, RECOVERY_BOUND)
    info.result(RECOVERY_BOUND + TIMEOUT_MARGIN)
    assert info.error is None and info.value.hasExited and info.value.exitStatus == 0, observed
    assert (jobdir / "out").read_text(encoding="utf-8").strip() == host
    assert accounted_once(job_id)["hostname"] == host
    assert accounted_once(waiter.job_id)["exit_status"] == "0"
    reaped_once(session, job_id)
    observed["job"] = "ran to its end during the cut; reported after mending: exit 0, accounted once"


def test_execution_host_killed_then_started_again(
    session: Any, jobdir: Path, healthy_cluster: None, observed: dict[str, Any]
) -> None:
    host = EXEC_HOSTS[1]
    with template(session, f"touch {jobdir}/go; sleep 60", host=host) as jt:
        job_id = session.runJob(jt)
    waiter = Waiter(host, 60, jobdir / "waiter")
    started(jobdir / "go", waiter.marker)
    local_sge("kill-host", "--host", host)

    state = Call(observed, "jobStatus", session.jobStatus, job_id).result(COMMLIB_BOUND)
    assert state.value == drmaa.JobState.RUNNING, observed  # the master has not noticed
    waited = Call(observed, "wait(job, 3)", session.wait, job_id, 3).result(3 + TIMEOUT_MARGIN)
    assert isinstance(waited.error, ExitTimeoutException), observed
    check_interrupt(observed, waiter)

    observed["start-host took"] = f"{local_sge('start-host', '--host', host):.1f} s"
    info = Call(observed, "wait(job) after the restart", session.wait, job_id, RECOVERY_BOUND)
    info.result(RECOVERY_BOUND + TIMEOUT_MARGIN)
    assert info.error is None, observed
    # the new execd finds the job's shepherd gone and reports the job failed: neither exited nor aborted
    assert not info.value.hasExited and not info.value.hasSignal and not info.value.wasAborted, observed
    for killed in (job_id, waiter.job_id):
        record = accounted_once(killed)
        assert record["hostname"] == host and record["failed"].startswith("19"), record
    observed["job"] = f"reported once the host was back; qacct: failed {record['failed']}"
    reaped_once(session, job_id)


# --- the submit host --------------------------------------------------------------------


def test_submit_host_cut_off_briefly_during_wait_synchronize_runjob_jobstatus(
    session: Any, jobdir: Path, healthy_cluster: None, observed: dict[str, Any]
) -> None:
    outage, seconds = 20.0, 8
    with template(session, f"touch {jobdir}/go; sleep {seconds}", host=EXEC_HOSTS[0]) as jt:
        job_id = session.runJob(jt)
    waiter = Waiter(EXEC_HOSTS[1], seconds, jobdir / "waiter")
    started(jobdir / "go", waiter.marker)
    late = template(session, "true", name="drmaa-mh-during-cut")
    local_sge("cut", "--host", SUBMIT_HOST)
    cut = time.monotonic()

    # wait and synchronize need no answer from the master: their timeouts hold
    status = Call(observed, "jobStatus", session.jobStatus, job_id)
    waited = Call(observed, "wait(job, 5)", session.wait, job_id, 5).result(5 + TIMEOUT_MARGIN)
    synced = Call(observed, "synchronize([job], 5)", session.synchronize, [job_id], 5, False)
    synced.result(5 + TIMEOUT_MARGIN)
    assert isinstance(waited.error, ExitTimeoutException) and isinstance(synced.error, ExitTimeoutException)
    check_interrupt(observed, waiter)
    # a submission holds Grid Engine's session lock while it waits for the
    # master: a wait in another thread waits for it, past its own timeout
    submit = Call(observed, "runJob", session.runJob, late)
    time.sleep(1)
    behind = Call(observed, "wait(job, 3) while runJob waits", session.wait, job_id, 3)
    time.sleep(max(0.0, cut + outage - time.monotonic()))
    assert not status.done() and not submit.done(), "jobStatus and runJob wait for the link"
    assert not behind.done(), "wait() is held up by the runJob of another thread"
    local_sge("mend", "--host", SUBMIT_HOST)

    # every call goes through once the link is back (TCP sends again), and
    # succeeds; the wait held up behind runJob then looks once more and
    # reports or times out. The job ended during the cut: jobStatus says
    # so, or that the job is unknown when that wait has reaped it already.
    for call in (status, submit, behind):
        call.result(COMMLIB_BOUND)
    assert submit.error is None, observed
    assert status.error is None or (isinstance(status.error, InvalidJobException) and behind.error is None), observed
    assert behind.error is None or isinstance(behind.error, ExitTimeoutException), observed
    assert behind.seconds < time.monotonic() - cut, observed
    reaped = {job_id} if behind.error is None else set()
    for job in (job_id, submit.value):
        if job not in reaped:
            info = session.wait(job, RECOVERY_BOUND)
            assert info.hasExited and info.exitStatus == 0, info
        accounted_once(job)
        reaped_once(session, job)
    accounted_once(waiter.job_id)
    late.delete()
    observed["jobs"] = "the running job and the one submitted during the cut: exit 0, reaped and accounted once"


def test_submit_host_cut_off_longer_than_grid_engine_waits(
    session: Any, jobdir: Path, healthy_cluster: None, observed: dict[str, Any]
) -> None:
    seconds = 10
    with template(session, f"touch {jobdir}/go; sleep {seconds}", host=EXEC_HOSTS[1]) as jt:
        job_id = session.runJob(jt)
    waiter = Waiter(EXEC_HOSTS[0], seconds, jobdir / "waiter")
    started(jobdir / "go", waiter.marker)
    contact = session.contact
    lost_name = f"drmaa-mh-lost-{os.getpid()}"
    lost = template(session, "true", name=lost_name)
    local_sge("cut", "--host", SUBMIT_HOST)

    status = Call(observed, "jobStatus", session.jobStatus, job_id)
    check_interrupt(observed, waiter)
    submit = Call(observed, "runJob", session.runJob, lost)
    waited = Call(observed, "wait(job, 30)", session.wait, job_id, 30)
    for call in (status, submit):
        call.result(COMMLIB_BOUND)
        assert isinstance(call.error, DrmCommunicationException), observed
    waited.result(COMMLIB_BOUND)
    assert isinstance(waited.error, ExitTimeoutException), observed
    local_sge("mend", "--host", SUBMIT_HOST)

    # the session's connection is not to be trusted any more: a new one (the same contact) is
    Call(observed, "exit() after mending", session.exit).result(COMMLIB_BOUND)
    session.initialize(contact)
    again = Call(observed, "wait(job, 10) re-attached", session.wait, job_id, 10).result(10 + TIMEOUT_MARGIN)
    # the job ended during the outage; its end reached nobody and is only in the accounting
    assert isinstance(again.error, InvalidJobException), observed
    assert accounted_once(job_id)["exit_status"] == "0"
    accounted_once(waiter.job_id)
    # The runJob that raised may still have submitted its job: the request
    # stays in the closed connection's send buffer and reaches the master
    # once the link is back. Whether or not, there is at most one such job.
    ghost = queued(lost_name) or (["in qacct"] if named_in_accounting(lost_name) else [])
    observed["the runJob that raised"] = f"made a job anyway ({ghost})" if ghost else "made no job"
    assert len(ghost) <= 1, observed
    if ghost and not named_in_accounting(lost_name):
        local_sge("exec", "--host", SUBMIT_HOST, "qdel", "-f", ghost[0])
    lost.delete()
    observed["job"] = "ended during the outage: in qacct (exit 0) only"
