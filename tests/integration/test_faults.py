"""Faults on a real DRM: daemons that stop or die, and jobs deleted behind the session's back.

Each test stops or kills a daemon with ``scripts/local-sge`` (or
``scripts/local-slurm``: the controller and node-daemon tests at the end) and, whatever
happens, starts it again and checks that the cluster runs a job before the
next test starts. Every DRMAA call made during a fault runs in a watchdog
thread, so a call that hangs fails the test instead of blocking the run.

What each fault looked like (the answer and how long it took) is collected
per test, shown in assertion messages (cut short there) and in full in a
failed test's captured output, attached to the test report as the
``observed`` property (``--junitxml``), and written as JSON to the file named
by ``$DRMAA_FAULTS_REPORT`` when that is set.

Where the time goes (about 6 minutes in all): mostly the daemons' own waits.
An execution daemon started again while a job of its predecessor still runs
reports that job's end about 60 s after it (three times here); ``exit()``
during a qmaster outage takes 12-14 s inside libdrmaa; an execution daemon
that ran through a qmaster restart does not report jobs that ended meanwhile,
which the tests give 40 s before they restart it. The tests' own jobs end
when a test opens their gate (:class:`Gate`), never after a fixed sleep.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

import pytest
from drms import current

import drmaa
from drmaa.errors import (
    DrmaaException,
    DrmCommunicationException,
    ExitTimeoutException,
    InvalidJobException,
    NoResourceUsageException,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]
DRM = current()

#: Grid Engine's own fault tests (qmaster, execd, qdel, re-attaching sessions).
sge_faults = pytest.mark.not_on("slurm", "sge-faults")
#: The fault tests written for any DRM, driven through the cluster script's generic commands.
any_drm_faults = pytest.mark.not_on("sge", "generic-faults")

ROOT = Path(__file__).resolve().parents[2]
LOCAL_SGE = ROOT / "scripts" / "local-sge"

#: No single DRMAA call may block longer than this while a daemon is down
#: (Grid Engine gives up on qmaster after about 3 s).
CALL_BOUND = 60.0
#: How much later than its timeout a wait may return.
TIMEOUT_MARGIN = 10.0
#: How long a job may take to be reported after its execution daemon is back.
EXECD_RECOVERY = 180.0
#: Longest any local-sge subcommand may take.
SCRIPT_BOUND = 240.0

#: test name -> what was observed; see the module docstring.
OBSERVED: dict[str, dict[str, Any]] = {}


# --- helpers -----------------------------------------------------------------


class Outcome(NamedTuple):
    """What a bounded call did: its duration, and its result or exception."""

    what: str
    seconds: float
    value: Any
    error: Optional[BaseException]

    def describe(self) -> str:
        if self.error is None:
            answer = repr(self.value)
        else:
            answer = f"{type(self.error).__name__}: {self.error}"
        return f"{answer} after {self.seconds:.2f} s"


def bounded(what: str, function: Callable[..., Any], *args: Any, limit: float = CALL_BOUND) -> Outcome:
    """Call *function* in a watchdog thread; fail the test if it is still blocked after *limit* s."""
    box: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        try:
            box["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller, which asserts on it
            box["error"] = exc
        box["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run, name=f"bounded {what}", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(f"{what} was still blocked after {limit:.0f} s")
    return Outcome(what, box["seconds"], box.get("value"), box.get("error"))


#: Set when a test stopped qmaster; the cluster is then restored with a new execd.
_QMASTER_STOPPED = threading.Event()
#: Set when qmaster did not end within 30 s of SIGTERM and the script killed it.
_QMASTER_KILLED = threading.Event()


def local_sge(*args: str, timeout: float = SCRIPT_BOUND) -> float:
    """Run ``scripts/local-sge ARGS``; return how long it took."""
    if args[0] == "stop-qmaster":
        _QMASTER_STOPPED.set()
        _QMASTER_KILLED.clear()
    start = time.monotonic()
    proc = subprocess.run(
        [str(LOCAL_SGE), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, f"local-sge {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    if args[0] == "stop-qmaster" and "SIGKILL" in proc.stdout + proc.stderr:
        _QMASTER_KILLED.set()
    return seconds


def sge_command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a Grid Engine client command (``qstat``, ``qdel``, ...) in the cluster's environment."""
    return subprocess.run(
        [str(LOCAL_SGE), "exec", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Gate:
    """A job that runs until the test opens its gate, a file: the test, not a sleep, decides when the job ends.

    The job writes a second file right before it exits, so the test can wait
    until the job has really ended (while a daemon is down, say).
    """

    def __init__(self, jobdir: Path, name: str) -> None:
        self.gate = jobdir / f"{name}.open"
        self.ended = jobdir / f"{name}.ended"

    def script(self, status: int) -> str:
        gate, ended = shlex.quote(str(self.gate)), shlex.quote(str(self.ended))
        return f"while [ ! -e {gate} ]; do sleep 0.2; done; echo ended > {ended}; exit {status}"

    def open(self) -> None:
        self.gate.touch()

    def open_and_wait_for_the_end(self, jobs: Any, bound: float = 60.0) -> None:
        self.open()
        jobs.wait_file(self.ended, bound)


def drmaa_event_clients() -> int:
    """How many DRMAA sessions qmaster has as event clients now (``qconf -secl``)."""
    listing = sge_command("qconf", "-secl").stdout.splitlines()
    return sum(1 for line in listing if line.split()[1:2] == ["drmaa"])


def event_clients_back(count: int, bound: float) -> bool:
    """Does qmaster list *count* DRMAA event clients again within *bound* seconds?"""
    start = time.monotonic()
    while time.monotonic() - start < bound:
        if drmaa_event_clients() >= count:
            return True
        time.sleep(0.5)
    return False


def reattach(session: drmaa.Session) -> None:
    """Exit the session and open it again by its contact, with its jobs."""
    contact = session.contact
    session.exit()
    session.initialize(contact)


#: How long a session may take, after a qmaster restart, to report a job's end with its outcome again.
EVENTS_BACK_BOUND = 2 * CALL_BOUND
#: The exit status of :func:`events_flow_again`'s probe jobs, and how long each probe is waited for
#: (a probe ends within seconds; one that ended unseen is reported 30-40 s later).
PROBE_STATUS, PROBE_WAIT = 7, 60.0


def events_flow_again(session: drmaa.Session, jobs: Any, bound: float, facts: dict[str, Any]) -> None:
    """Return once the session's ``wait()`` reports a job's end with its outcome again after a qmaster restart.

    The proof is a probe job, run in the session, whose wait gives its exit
    status. Until the session's event client is back with qmaster and has
    taken its first events (a moment after ``qconf -secl`` lists it), a job
    that ends is reported without its outcome (NoResourceUsageException,
    wasAborted and hasExited False) 30-40 s later, and a job just submitted
    is reported so at once, before it has run; so probes are run until one
    is reported in full. A probe whose end is never reported (the client is
    gone for good: seen when qmaster had to be killed) re-attaches the
    session, once. Each probe's answer goes into *facts*; the test fails when
    no probe is reported in full within *bound* seconds.
    """
    start = time.monotonic()
    answers: list[str] = facts.setdefault("probe jobs after the restart", [])
    while (left := bound - (time.monotonic() - start)) > 0:
        probe, timeout = jobs.submit(f"exit {PROBE_STATUS}"), min(left, PROBE_WAIT)
        ended = bounded(f"wait(probe {probe})", session.wait, probe, timeout, limit=timeout + TIMEOUT_MARGIN)
        answers.append(ended.describe())
        info = ended.value
        if ended.error is None and info.hasExited and info.exitStatus == PROBE_STATUS:
            facts["events flow again, seconds"] = round(time.monotonic() - start, 2)
            return
        if isinstance(ended.error, ExitTimeoutException) and "re-attached" not in facts:
            reattach(session)
            facts["re-attached"] = "a probe's end was never reported"
    pytest.fail(f"no probe job's outcome was reported within {bound:.0f} s of the restart: {facts}")


RESTORE_JOB = "drmaa-it-restore"


def cluster_runs_a_job(bound: float) -> bool:
    """Does a job submitted now run to its end within *bound* seconds? (The job never stays behind.)"""
    command = ("qsub", "-sync", "y", "-N", RESTORE_JOB, "-b", "y", "-o", "/dev/null", "-j", "y", "/bin/true")
    try:
        return sge_command(*command, timeout=bound).returncode == 0
    except subprocess.TimeoutExpired:
        sge_command("qdel", "-f", RESTORE_JOB)
        return False


def restore_cluster(facts: dict[str, Any]) -> None:
    """Start whatever daemon is down, and check that a job runs to its end.

    After a qmaster restart, an execution daemon that ran on through it
    often keeps running new jobs but never reports the end (nor carries out
    the kill) of jobs that ran across the restart, which then stay
    ``running`` or ``dr`` for good; sometimes it fails to register at all
    ("abort qmaster registration due to communication errors" in its
    messages). A new execution daemon reports them all. So after a test
    that stopped qmaster, execd is restarted too; and if no job runs, both.
    """
    steps: list[tuple[str, ...]] = [("start-qmaster", "start-execd")]
    if _QMASTER_STOPPED.is_set():
        steps[0] += ("stop-execd", "start-execd")
    steps.append(("stop-execd", "stop-qmaster", "start-qmaster", "start-execd"))
    for level, step in enumerate(steps):
        for command in step:
            local_sge(command)
        _QMASTER_STOPPED.clear()
        if cluster_runs_a_job(60):
            if level:
                facts["restore: the cluster ran a job again only after"] = " + ".join(step)
            return
    raise AssertionError("the cluster does not run jobs after the fault, even after restarting both daemons")


@pytest.fixture(scope="module", autouse=True)
def faults_report() -> Iterator[None]:
    yield
    path = os.environ.get("DRMAA_FAULTS_REPORT")
    if path:
        Path(path).write_text(json.dumps(OBSERVED, indent=2, default=str) + "\n", encoding="utf-8")


@pytest.fixture
def observed(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Iterator[dict[str, Any]]:
    facts: dict[str, Any] = OBSERVED.setdefault(request.node.name, {})
    yield facts
    text = json.dumps(facts, default=str)
    record_property("observed", text)
    print(f"observed: {text}")  # in full in a failed test's report: assertion messages cut it short


@pytest.fixture
def cluster(jobs: Any, observed: dict[str, Any]) -> Iterator[None]:
    """Skip without local-sge; afterwards restart any stopped daemon and check the cluster runs a job.

    It depends on ``jobs`` so that its teardown runs first: the job tracker
    cleans up on a cluster that answers again.
    """
    if not LOCAL_SGE.exists():
        pytest.skip(f"{LOCAL_SGE} is missing: fault tests drive the local Grid Engine through it")
    yield
    restore_cluster(observed)


# --- qmaster stops during a session --------------------------------------------------


@sge_faults
def test_qmaster_outage_fails_fast_and_jobs_survive(
    session: drmaa.Session, jobs: Any, cluster: None, observed: dict[str, Any]
) -> None:
    """While qmaster is down every call answers within bounds; afterwards the session's jobs come back.

    Grid Engine keeps a job's end for a session only while a process is
    attached to it: re-attaching right after the restart, before the
    execution daemon reports the jobs that ended meanwhile, gets them all
    (a job that ended while nobody was attached is gone for DRMAA, code 18,
    with or without an outage). Calling ``initialize()`` during the outage
    would spoil every later ``wait`` of the process: see the next test.
    """
    facts = observed
    quick = jobs.template("exit 3")
    during, after = Gate(jobs.jobdir, "during"), Gate(jobs.jobdir, "after")
    ends_during = jobs.run(jobs.template(during.script(7)))  # ends while qmaster is down
    ends_after = jobs.run(jobs.template(after.script(9)))  # still runs when qmaster is back
    for job_id in (ends_during, ends_after):
        jobs.wait_state(job_id, {drmaa.JobState.RUNNING})
    contact = session.contact
    facts["contact"] = contact
    facts["stop-qmaster seconds"] = round(local_sge("stop-qmaster"), 2)

    status = bounded("jobStatus", session.jobStatus, ends_during)
    facts["jobStatus"] = status.describe()
    assert isinstance(status.error, DrmCommunicationException), facts

    run = bounded("runJob", session.runJob, quick)
    facts["runJob"] = run.describe()
    if run.error is None:
        jobs.track(run.value)
    assert isinstance(run.error, DrmCommunicationException), facts

    for what, call, args in (
        ("wait(id, 5)", session.wait, (ends_during, 5)),
        ("synchronize([id], 5)", session.synchronize, ([ends_during], 5, False)),
        ("control(id, HOLD)", session.control, (ends_during, drmaa.JobControlAction.HOLD)),
    ):
        outcome = bounded(what, call, *args)
        facts[what] = outcome.describe()
        if isinstance(outcome.error, ExitTimeoutException) and what != "control(id, HOLD)":
            assert 5 - 0.5 <= outcome.seconds <= 5 + TIMEOUT_MARGIN, facts
        else:
            assert isinstance(outcome.error, DrmCommunicationException), facts

    leave = bounded("exit", session.exit)
    facts["exit"] = leave.describe()
    assert leave.error is None, facts
    during.open_and_wait_for_the_end(jobs)  # the first job ends while qmaster is down

    facts["start-qmaster seconds"] = round(local_sge("start-qmaster"), 2)
    restarted = time.monotonic()

    # Re-attach to the session: its jobs come back with their real outcome.
    attempts = []
    while True:
        attach = bounded("initialize(contact)", session.initialize, contact)
        attempts.append(attach.describe())
        if attach.error is None or time.monotonic() - restarted > CALL_BOUND:
            break
        time.sleep(1)
    facts["initialize(contact) after the restart"] = attempts
    assert attach.error is None, facts

    # The execution daemon reports the job that ended meanwhile once it has
    # registered again (3 to 30 s); if it gave up registering, restarting it
    # (while the session is attached) brings the report.
    first = bounded("wait(job that ended during the outage, 40)", session.wait, ends_during, 40)
    facts["wait(job that ended during the outage, 40)"] = first.describe()
    if isinstance(first.error, ExitTimeoutException):
        facts["execd restarted: it had not reported within 40 s"] = True
        local_sge("stop-execd")
        local_sge("start-execd")
    else:
        assert first.error is None, facts
    after.open()  # the second job ends now, with qmaster back
    for job_id, status, what in ((ends_during, 7, "during"), (ends_after, 9, "after")):
        if job_id == ends_during and first.error is None:
            info = first
        else:
            info = bounded(f"wait({job_id})", session.wait, job_id, 150, limit=150 + TIMEOUT_MARGIN)
        facts[f"wait(job that ended {what} the outage)"] = info.describe()
        facts[f"... answered, seconds after start-qmaster ({what})"] = round(time.monotonic() - restarted, 2)
        assert info.error is None, facts
        assert info.value.jobId == job_id, facts
        assert info.value.hasExited and info.value.exitStatus == status, facts
    session.exit()

    # A brand-new session works too.
    session.initialize()
    facts["new session contact"] = session.contact
    fresh_id = jobs.run(jobs.template("exit 0"))
    fresh = bounded("wait(new job)", session.wait, fresh_id, 120, limit=120 + TIMEOUT_MARGIN)
    facts["new session job"] = fresh.describe()
    assert fresh.error is None and fresh.value.hasExited and fresh.value.exitStatus == 0, facts


#: Run in a child process: its libdrmaa is left spoiled by the failed initialize().
_SPOILED_BY_FAILED_INIT = """
import json, subprocess, sys, time
import drmaa

local_sge = sys.argv[1]
facts = {}

def outcome(call, *args):
    start = time.monotonic()
    try:
        answer = repr(call(*args))
    except drmaa.DrmaaException as exc:
        answer = f"{type(exc).__name__}: {exc}"
    return f"{answer} after {time.monotonic() - start:.2f} s"

s = drmaa.Session()
s.initialize()
contact = s.contact
jt = s.createJobTemplate()
jt.remoteCommand, jt.args, jt.jobName = "/bin/sh", ["-c", "sleep 25; exit 9"], "drmaa-it-fault"
jt.outputPath, jt.joinFiles = ":/dev/null", True
job = s.runJob(jt)
jt.delete()
print(json.dumps({"job": job}), flush=True)
while s.jobStatus(job) != "running":
    time.sleep(0.2)
subprocess.run([local_sge, "stop-qmaster"], check=True, capture_output=True)
facts["exit during the outage"] = outcome(s.exit)
facts["initialize() during the outage"] = outcome(s.initialize)
subprocess.run([local_sge, "start-qmaster"], check=True, capture_output=True)
for attempt in range(30):
    answer = outcome(s.initialize, contact)
    if not answer.startswith("DrmCommunicationException"):
        break
    time.sleep(1)
facts["initialize(contact) after the restart"] = answer
facts["jobStatus"] = outcome(s.jobStatus, job)
facts["wait(job, 90)"] = outcome(s.wait, job, 90)
facts["exit"] = outcome(s.exit)
print(json.dumps(facts), flush=True)
"""


@sge_faults
@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Grid Engine 8.1.9: after an initialize() that failed while qmaster was down, every wait() of the "
    "process fails at once with code 18 'unable to send message to qmaster', even after re-initializing",
)
def test_failed_initialize_during_outage_leaves_waits_working(
    jobs: Any, cluster: None, observed: dict[str, Any]
) -> None:
    # ``jobs`` only cleans up the child's job; this process makes no call during the outage.
    _QMASTER_STOPPED.set()  # the child stops it
    proc = subprocess.Popen(
        [sys.executable, "-c", _SPOILED_BY_FAILED_INIT, str(LOCAL_SGE)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the child hung: {out}\n{err}")  # not an AssertionError: fails even under xfail
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if lines:
        jobs.track(lines[0]["job"])
    if proc.returncode != 0 or len(lines) != 2:
        pytest.fail(f"the child failed ({proc.returncode}): {out}\n{err}")
    facts = observed
    facts.update(lines[1])
    assert facts["wait(job, 90)"].startswith("JobInfo("), facts
    assert "exitStatus=9" in facts["wait(job, 90)"], facts


# --- the execution daemon dies under a running job ----------------------------------


#: How long the execution daemon stays down when its job outlives the outage.
SHORT_OUTAGE = 3.0


@sge_faults
@pytest.mark.parametrize(
    ("stop", "ends_while_down"),
    [
        pytest.param("kill-execd", True, id="killed-job-ends-while-down"),
        pytest.param("kill-execd", False, id="killed-job-outlives-outage"),
        pytest.param("stop-execd", True, id="stopped-job-ends-while-down"),
    ],
)
def test_execd_loss_does_not_lose_the_job(
    session: drmaa.Session,
    jobs: Any,
    cluster: None,
    observed: dict[str, Any],
    stop: str,
    ends_while_down: bool,
) -> None:
    facts = observed
    gate = Gate(jobs.jobdir, "job")
    job_id = jobs.submit(gate.script(5))
    jobs.wait_state(job_id, {drmaa.JobState.RUNNING})
    facts[f"{stop} seconds"] = round(local_sge(stop), 2)
    status = bounded("jobStatus while execd is down", session.jobStatus, job_id)
    facts["jobStatus while execd is down"] = status.describe()
    assert status.error is None or isinstance(status.error, DrmaaException), facts
    if ends_while_down:
        gate.open_and_wait_for_the_end(jobs)
    else:
        time.sleep(SHORT_OUTAGE)  # the length of the outage, not a wait for a state
    facts["start-execd seconds"] = round(local_sge("start-execd"), 2)
    if not ends_while_down:
        gate.open()
    outcome = bounded("wait", session.wait, job_id, EXECD_RECOVERY, limit=EXECD_RECOVERY + TIMEOUT_MARGIN)
    facts["wait after execd is back"] = outcome.describe()
    if isinstance(outcome.error, NoResourceUsageException):
        info = outcome.error.jobInfo
    else:
        assert outcome.error is None, facts
        info = outcome.value
    assert isinstance(info, drmaa.JobInfo), facts
    assert info.jobId == job_id, facts


# --- a job deleted outside DRMAA -------------------------------------------------


@sge_faults
@pytest.mark.parametrize("hold", [False, True], ids=["running", "held"])
def test_job_deleted_with_qdel_is_reported(
    session: drmaa.Session, jobs: Any, cluster: None, observed: dict[str, Any], hold: bool
) -> None:
    facts = observed
    job_id = jobs.submit("sleep 300", hold=hold)
    expected = drmaa.JobState.USER_ON_HOLD if hold else drmaa.JobState.RUNNING
    jobs.wait_state(job_id, {expected})
    proc = sge_command("qdel", job_id)
    facts["qdel"] = (proc.returncode, proc.stdout.strip(), proc.stderr.strip())
    assert proc.returncode == 0, facts
    deleted = time.monotonic()

    # Every state jobStatus reports, until the job has ended or is gone.
    states: list[tuple[float, str]] = []
    while time.monotonic() - deleted < 60:
        status = bounded("jobStatus after qdel", session.jobStatus, job_id)
        answer = status.value if status.error is None else type(status.error).__name__
        if not states or states[-1][1] != answer:
            states.append((round(time.monotonic() - deleted, 2), answer))
        if status.error is not None:
            assert isinstance(status.error, DrmaaException), status.describe()
            break
        if answer in (drmaa.JobState.DONE, drmaa.JobState.FAILED):
            break
        time.sleep(0.25)
    facts["jobStatus after qdel (seconds, state)"] = states

    outcome = bounded("wait after qdel", session.wait, job_id, 60, limit=60 + TIMEOUT_MARGIN)
    facts["wait after qdel"] = outcome.describe()
    if outcome.error is not None:
        assert isinstance(outcome.error, DrmaaException), facts
        assert not isinstance(outcome.error, ExitTimeoutException), facts
        if isinstance(outcome.error, NoResourceUsageException):
            facts["NoResourceUsageException.jobInfo"] = outcome.error.jobInfo
    else:
        assert isinstance(outcome.value, drmaa.JobInfo), facts
        assert not outcome.value.hasExited or outcome.value.exitStatus != 0, facts
    after = bounded("jobStatus after wait", session.jobStatus, job_id)
    facts["jobStatus after wait"] = after.describe()
    assert isinstance(after.error, InvalidJobException), facts


# --- threads blocked in wait() while qmaster restarts ---------------------------------


@sge_faults
def test_waiting_threads_survive_qmaster_restart(
    session: drmaa.Session, jobs: Any, cluster: None, observed: dict[str, Any]
) -> None:
    facts = observed
    threads_count, timeout = 8, 10  # longer than the restart (about 2 s), whatever the figure
    # Two jobs run, six wait on hold: the queue keeps free slots, so the
    # cluster can be shown to run a job afterwards while these still exist.
    running, held = jobs.template("sleep 300"), jobs.template("sleep 300", hold=True)
    job_ids = [jobs.run(running if index < 2 else held) for index in range(threads_count)]
    results: list[Optional[Outcome]] = [None] * threads_count

    waiting = threading.Barrier(threads_count + 1)

    def waiter(index: int) -> None:
        waiting.wait(30)
        start = time.monotonic()
        try:
            value, error = session.wait(job_ids[index], timeout), None
        except BaseException as exc:  # noqa: BLE001 - recorded and asserted on below
            value, error = None, exc
        results[index] = Outcome(f"wait({job_ids[index]}, {timeout})", time.monotonic() - start, value, error)

    threads = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(threads_count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    # Every thread is about to call wait() (a thread that calls it only after
    # qmaster stopped meets the outage instead: the same checks apply).
    waiting.wait(30)  # raises BrokenBarrierError if they did not start
    clients = drmaa_event_clients()
    facts["stop-qmaster seconds"] = round(local_sge("stop-qmaster"), 2)
    facts["start-qmaster seconds"] = round(local_sge("start-qmaster"), 2)
    restarted = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, started + timeout + TIMEOUT_MARGIN - time.monotonic()))
    hung = [job_ids[i] for i, thread in enumerate(threads) if thread.is_alive()]
    facts["outcomes"] = [outcome.describe() if outcome else "still blocked" for outcome in results]
    assert not hung, f"wait() still blocked past {timeout} + {TIMEOUT_MARGIN} s for {hung}: {facts}"
    for outcome in results:
        assert outcome is not None
        assert outcome.seconds <= timeout + TIMEOUT_MARGIN, facts
        if outcome.error is not None:
            assert isinstance(outcome.error, DrmaaException), facts

    # The same session after the restart still answers, and still sees a job end.
    # Unless qmaster hung in its shutdown and had to be killed (now and then,
    # 8.1.9): then the session's connection may stay out of step (its next
    # jobStatus failed with code 2 'GDI mismatch'), and re-attaching mends it.
    facts["qmaster had to be killed"] = _QMASTER_KILLED.is_set()
    if _QMASTER_KILLED.is_set():
        reattach(session)
    after = bounded("jobStatus after the restart", session.jobStatus, job_ids[0])
    facts["jobStatus after the restart, same session"] = after.describe()
    assert after.error is None, facts
    # A job that ends before the session's event client is back with qmaster
    # is reported without its outcome, so the held job is ended only once a
    # probe job's outcome has been reported (events_flow_again). Waiting for
    # qmaster to list the client first spares most probes.
    back = event_clients_back(clients, max(0.0, restarted + CALL_BOUND - time.monotonic()))
    facts["event client listed, seconds after start-qmaster"] = round(time.monotonic() - restarted, 2) if back else None
    events_flow_again(session, jobs, EVENTS_BACK_BOUND, facts)
    held_id = job_ids[-1]
    session.control(held_id, drmaa.JobControlAction.TERMINATE)
    ended = bounded("wait(held job terminated after the restart)", session.wait, held_id, 60, limit=60 + TIMEOUT_MARGIN)
    facts["wait(held job terminated after the restart)"] = ended.describe()
    assert isinstance(ended.error, NoResourceUsageException) and ended.error.jobInfo.wasAborted, facts


# --- any DRM: the controller and the node daemon, through the cluster script ---------------

#: The cluster script of the DRM under test; its generic fault commands are
#: stop-controller, start-controller, kill-node-daemon and start-node-daemon.
CLUSTER_SCRIPT = Path(os.environ.get("DRMAA_TEST_CLUSTER_SCRIPT") or ROOT / "scripts" / DRM.script)
#: How long the controller stays down while a call is under way.
CONTROLLER_DOWN = 15.0
#: How long any call may block in these tests (slurm-drmaa retries Slurm for about 18 s per call).
FAULT_CALL_BOUND = 150.0


def cluster_script(command: str) -> float:
    """Run a generic fault command of the cluster script; return how long it took."""
    start = time.monotonic()
    proc = subprocess.run(
        [str(CLUSTER_SCRIPT), command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SCRIPT_BOUND,
        check=False,
    )
    assert proc.returncode == 0, f"{CLUSTER_SCRIPT.name} {command} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return time.monotonic() - start


@pytest.fixture
def daemons(session: drmaa.Session, jobs: Any, observed: dict[str, Any]) -> Iterator[None]:
    """Skip without the cluster script; afterwards start both daemons and check a job runs to its end.

    It depends on ``jobs`` so that its teardown runs first, on a cluster that answers again.
    """
    if not CLUSTER_SCRIPT.exists():
        pytest.skip(f"{CLUSTER_SCRIPT} is missing: these fault tests drive the cluster through it")
    yield
    cluster_script("start-controller")
    cluster_script("start-node-daemon")
    try:
        session.initialize()
    except drmaa.AlreadyActiveSessionException:
        pass
    job_id = jobs.run(jobs.template("exit 0", jobName="drmaa-it-restore"))
    info = session.wait(job_id, 120)
    observed["restore: a job ran again"] = info.hasExited and info.exitStatus == 0
    assert info.hasExited and info.exitStatus == 0, info


def during_outage(call: Callable[[], Any], what: str, facts: dict[str, Any]) -> Outcome:
    """Stop the controller, start *call*, start the controller again after a while; return what the call did."""
    facts["stop-controller seconds"] = round(cluster_script("stop-controller"), 2)
    box: list[Outcome] = []
    thread = threading.Thread(target=lambda: box.append(bounded(what, call, limit=FAULT_CALL_BOUND)), daemon=True)
    stopped = time.monotonic()
    thread.start()
    time.sleep(max(0.0, CONTROLLER_DOWN - (time.monotonic() - stopped)))
    facts["start-controller seconds"] = round(cluster_script("start-controller"), 2)
    facts["controller down, seconds"] = round(time.monotonic() - stopped, 2)
    thread.join(FAULT_CALL_BOUND + TIMEOUT_MARGIN)
    assert box, f"{what} was still blocked after {FAULT_CALL_BOUND:.0f} s: {facts}"
    facts[what] = box[0].describe()
    return box[0]


def final_result(session: drmaa.Session, job_id: str, facts: dict[str, Any]) -> drmaa.JobInfo:
    """Wait for the job once the cluster answers again; record and return its JobInfo."""
    outcome = bounded(f"wait({job_id}) after the restart", session.wait, job_id, 120, limit=120 + TIMEOUT_MARGIN)
    facts["the job, waited for after the restart"] = outcome.describe()
    assert outcome.error is None, facts
    info: drmaa.JobInfo = outcome.value
    assert info.jobId == job_id, facts
    return info


@any_drm_faults
@pytest.mark.parametrize("call", ["wait", "synchronize", "jobStatus"])
def test_controller_restarted_during_a_call(
    session: drmaa.Session, jobs: Any, daemons: None, observed: dict[str, Any], call: str
) -> None:
    """The controller stops and starts again while a call on a running job is under way.

    The call ends within bounds, raising a DrmaaException or answering; the
    job, which ends while the controller is down, is reported with its real
    exit status once the controller is back.
    """
    facts = observed
    job_id = jobs.submit("sleep 8; exit 7")
    jobs.wait_state(job_id, {drmaa.JobState.RUNNING})
    calls: dict[str, Callable[[], Any]] = {
        "wait": lambda: session.wait(job_id, 90),
        "synchronize": lambda: session.synchronize([job_id], 90, False),
        "jobStatus": lambda: session.jobStatus(job_id),
    }
    outcome = during_outage(calls[call], call, facts)
    assert outcome.error is None or isinstance(outcome.error, DrmaaException), facts
    info = final_result(session, job_id, facts)
    assert info.hasExited and info.exitStatus == 7, facts


@any_drm_faults
def test_controller_restarted_during_run_job(
    session: drmaa.Session, jobs: Any, daemons: None, observed: dict[str, Any]
) -> None:
    """runJob while the controller is down: it fails with a DrmaaException or submits once it is back."""
    facts = observed
    jt = jobs.template("exit 4")
    outcome = during_outage(lambda: session.runJob(jt), "runJob", facts)
    if outcome.error is None:
        jobs.track(outcome.value)
        info = final_result(session, outcome.value, facts)
        assert info.hasExited and info.exitStatus == 4, facts
    else:
        assert isinstance(outcome.error, DrmaaException), facts
        # The same template submits once the controller is back.
        job_id = jobs.run(jt)
        assert final_result(session, job_id, facts).exitStatus == 4, facts


@any_drm_faults
@pytest.mark.parametrize("job_seconds", [5, 40], ids=["job-ends-while-down", "job-outlives-outage"])
def test_node_daemon_killed_while_a_job_runs(
    session: drmaa.Session, jobs: Any, daemons: None, observed: dict[str, Any], job_seconds: int
) -> None:
    """The node daemon is killed under a running job and started again: the job is not lost."""
    facts = observed
    job_id = jobs.submit(f"sleep {job_seconds}; exit 5")
    jobs.wait_state(job_id, {drmaa.JobState.RUNNING})
    facts["kill-node-daemon seconds"] = round(cluster_script("kill-node-daemon"), 2)
    status = bounded("jobStatus while the node daemon is down", session.jobStatus, job_id)
    facts["jobStatus while the node daemon is down"] = status.describe()
    assert status.error is None or isinstance(status.error, DrmaaException), facts
    time.sleep(15)
    facts["start-node-daemon seconds"] = round(cluster_script("start-node-daemon"), 2)
    restarted = time.monotonic()
    info = final_result(session, job_id, facts)
    facts["seconds from start-node-daemon to the job's result"] = round(time.monotonic() - restarted, 2)
    facts["jobStatus after"] = bounded("jobStatus after", session.jobStatus, job_id).describe()
    assert isinstance(info, drmaa.JobInfo), facts
