"""Ctrl-C during wait() and synchronize(), and finite timeouts, on a real DRM.

In the main thread, the one C call of a wait runs in a worker thread
(``drmaa._waiting``), so SIGINT raises :exc:`KeyboardInterrupt` at once, and
the job is not lost: the same process, or another one that re-attaches to the
session with its contact string, waits for it again and gets its JobInfo,
also when the interrupted call reaped the job after the Ctrl-C.
A finite timeout still ends with :exc:`ExitTimeoutException` when it is due.

Each interrupted program runs in a child process (see ``CHILD``), which
prints a marker right before it blocks; the test sends SIGINT a moment later
and measures how long the ``KeyboardInterrupt`` takes to show.
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
from typing import Any, Callable

import pytest
from drms import current

import drmaa
from drmaa.errors import ExitTimeoutException, InvalidJobException, NoResourceUsageException

pytestmark = pytest.mark.integration
DRM = current()

#: SIGINT must raise KeyboardInterrupt within this many seconds.
LATENCY_BOUND = 2.0
#: How long the interrupted job sleeps: longer than the wait before SIGINT.
JOB_SECONDS = 8
#: Time between the child's marker and SIGINT, so that the child is deep
#: inside the blocking C call when the signal arrives.
SIGNAL_DELAY = 1.4
#: The child's exit status once it was interrupted and stopped on purpose.
EXIT_INTERRUPTED = 42
#: No child may take longer than this.
CHILD_BOUND = 120.0

# The child program. argv: ACTION (submit | reattach), CALL (wait | synchronize),
# then for submit: AFTER (rewait | stop | keep) SECONDS, for reattach: CONTACT JOB_ID.
# keep: sleep until the job has ended (the interrupted call reaps it meanwhile),
# then say which results are kept, then wait again.
CHILD = r"""
import json, signal, sys, time
import drmaa
from drmaa import _waiting

# A parent may start us with SIGINT ignored (shells do for background jobs).
signal.signal(signal.SIGINT, signal.default_int_handler)
FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER

def say(*words):
    print(*words, flush=True)

def block(s, call, job_id):
    if call == "wait":
        return s.wait(job_id, FOREVER)
    s.synchronize([job_id], FOREVER, False)
    return None

def finish(s, job_id):
    start = time.monotonic()
    s.synchronize([job_id], FOREVER, False)  # waits again, does not reap
    info = s.wait(job_id, FOREVER)  # reaps
    say("INFO", json.dumps(info._asdict()), "%.2f" % (time.monotonic() - start))

action, call = sys.argv[1], sys.argv[2]
s = drmaa.Session()
if action == "submit":
    after, seconds = sys.argv[3], sys.argv[4]
    s.initialize()
    with s.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/sleep"
        jt.args = [seconds]
        jt.jobName = "drmaa-it-interrupt"
        jt.outputPath = ":/dev/null"
        jt.joinFiles = True
        job_id = s.runJob(jt)
    say("JOB", job_id, s.contact)
    say("BLOCKING")
    try:
        block(s, call, job_id)
    except KeyboardInterrupt:
        say("INTERRUPTED")
    else:
        say("NOT INTERRUPTED")
        sys.exit(3)
    if after == "stop":
        s.exit()
        sys.exit(EXIT_INTERRUPTED)
    if after == "keep":
        deadline = time.monotonic() + float(seconds) + 60
        while job_id not in _waiting.kept_jobs() and time.monotonic() < deadline:
            time.sleep(0.2)
        say("KEPT", json.dumps(_waiting.kept_jobs()))
    finish(s, job_id)
else:
    contact, job_id = sys.argv[3], sys.argv[4]
    s.initialize(contact)
    say("REATTACHED", s.contact)
    finish(s, job_id)
s.exit()
""".replace("EXIT_INTERRUPTED", str(EXIT_INTERRUPTED))


class Child:
    """A child Python running ``CHILD``; its output lines are read by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def expect(self, word: str, timeout: float = 60.0) -> tuple[float, list[str]]:
        """Wait for a line starting with *word*; return when it came and its words."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                when, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {word!r} line within {timeout} s; output so far:\n" + self.output()) from None
            self.seen.append(line)
            if line.split(" ", 1)[0] == word:
                return when, line.split(" ")
            if line.split(" ", 1)[0] in {"NOT", "Traceback"}:
                time.sleep(0.5)
                self.drain()
                raise AssertionError(f"expected {word!r}; output:\n" + self.output())

    def drain(self) -> None:
        while True:
            try:
                self.seen.append(self.lines.get_nowait()[1])
            except queue.Empty:
                return

    def output(self) -> str:
        self.drain()
        return "\n".join(self.seen)

    def finish(self, timeout: float = CHILD_BOUND) -> int:
        code = self.proc.wait(timeout)
        time.sleep(0.1)
        return code

    def kill(self) -> None:
        """Kill the child if it still runs, and close its pipe."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def children(jobs: Any) -> Iterator[Callable[..., Child]]:
    """Start children; afterwards kill any that still runs (the ``jobs`` fixture ends their jobs)."""
    started: list[Child] = []

    def start(*args: str) -> Child:
        child = Child(*args)
        started.append(child)
        return child

    yield start
    for child in started:
        child.kill()


def interrupt(child: Child) -> float:
    """Send SIGINT once the child blocks; return how long KeyboardInterrupt took to show."""
    child.expect("BLOCKING")
    time.sleep(SIGNAL_DELAY)
    assert child.proc.poll() is None, child.output()
    sent = time.monotonic()
    os.kill(child.proc.pid, signal.SIGINT)
    shown, _ = child.expect("INTERRUPTED", timeout=10)
    return shown - sent


def check_info(words: list[str], job_id: str) -> dict[str, object]:
    info = json.loads(" ".join(words[1:-1]))
    assert info["jobId"] == job_id, info
    assert info["hasExited"] is True and info["exitStatus"] == 0, info
    assert info["wasAborted"] is False and info["hasSignal"] is False, info
    if DRM.wallclock_key is not None:  # slurm-drmaa reports no real wall-clock time
        assert float(info["resourceUsage"][DRM.wallclock_key]) >= JOB_SECONDS - 1, info
    return info


def submit_and_interrupt(
    children: Callable[..., Child],
    jobs: Any,
    record_property: Callable[[str, object], None],
    call: str,
    then: str,
) -> tuple[Child, list[str]]:
    """Start a child that submits a job, blocks in *call* and is interrupted; return it and its JOB line."""
    child = children("submit", call, then, str(JOB_SECONDS))
    _, words = child.expect("JOB")
    jobs.track(words[1])
    latency = interrupt(child)
    record_property("sigint_latency_s", round(latency, 3))
    assert latency < LATENCY_BOUND, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"
    return child, words


@pytest.mark.parametrize("call", ["wait", "synchronize"])
def test_sigint_interrupts_and_the_same_process_waits_again(
    call: str, children: Callable[..., Child], jobs: Any, record_property: Callable[[str, object], None]
) -> None:
    child, words = submit_and_interrupt(children, jobs, record_property, call, "rewait")
    job_id = words[1]
    _, words = child.expect("INFO", timeout=CHILD_BOUND)
    check_info(words, job_id)
    assert child.finish() == 0, child.output()


@pytest.mark.parametrize("call", ["wait", "synchronize"])
def test_sigint_interrupts_and_a_reattached_session_waits_again(
    call: str, children: Callable[..., Child], jobs: Any, record_property: Callable[[str, object], None]
) -> None:
    child, words = submit_and_interrupt(children, jobs, record_property, call, "stop")
    job_id, contact = words[1], words[2]
    assert DRM.contact(pid=str(child.proc.pid)).fullmatch(contact), words
    assert child.finish() == EXIT_INTERRUPTED, child.output()

    again = children("reattach", call, contact, job_id)
    _, words = again.expect("REATTACHED")
    assert words[1] == contact
    _, words = again.expect("INFO", timeout=CHILD_BOUND)
    check_info(words, job_id)
    assert again.finish() == 0, again.output()


def test_a_job_reaped_by_the_interrupted_wait_is_kept_for_the_next_one(
    children: Callable[..., Child], jobs: Any, record_property: Callable[[str, object], None]
) -> None:
    child, words = submit_and_interrupt(children, jobs, record_property, "wait", "keep")
    job_id = words[1]
    _, words = child.expect("KEPT", timeout=CHILD_BOUND)
    assert json.loads(words[1]) == [job_id], child.output()  # reaped after Ctrl-C, by the call left going
    _, words = child.expect("INFO", timeout=CHILD_BOUND)
    check_info(words, job_id)
    assert child.finish() == 0, child.output()


# --- finite timeouts ---------------------------------------------------------------


@pytest.fixture
def held_job(session: drmaa.Session, jobs: Any) -> Iterator[str]:
    """A job on hold: it never ends by itself. Terminated and reaped afterwards."""
    job_id: str = jobs.run(jobs.template(command="/bin/true", hold=True))
    yield job_id
    session.control(job_id, drmaa.JobControlAction.TERMINATE)
    if DRM.no_rusage_for_unrun:
        with pytest.raises(NoResourceUsageException):  # reaped: it never ran
            session.wait(job_id, 60)
        with pytest.raises(InvalidJobException):
            session.jobStatus(job_id)
    else:
        assert session.wait(job_id, 60).jobId == job_id


def timed_out(call: Callable[[], object]) -> float:
    start = time.monotonic()
    with pytest.raises(ExitTimeoutException):
        call()
    return time.monotonic() - start


@pytest.mark.parametrize("timeout", [2, 2.5, 1.0, 0.4])
def test_wait_times_out_on_time(session: drmaa.Session, held_job: str, timeout: float) -> None:
    elapsed = timed_out(lambda: session.wait(held_job, timeout))
    # Never early, and late by less than the second a fraction is rounded up to.
    assert timeout <= elapsed < timeout + 1.0, elapsed
    assert session.jobStatus(held_job) == drmaa.JobState.USER_ON_HOLD  # not lost


@pytest.mark.parametrize("timeout", [2, 1.5, 0.3])
def test_synchronize_times_out_on_time(session: drmaa.Session, held_job: str, timeout: float) -> None:
    elapsed = timed_out(lambda: session.synchronize([held_job], timeout, True))
    assert timeout <= elapsed < timeout + 1.0, elapsed
    assert session.jobStatus(held_job) == drmaa.JobState.USER_ON_HOLD


def test_no_wait_returns_at_once(session: drmaa.Session, held_job: str) -> None:
    assert timed_out(lambda: session.wait(held_job, drmaa.Session.TIMEOUT_NO_WAIT)) < 0.5
    assert timed_out(lambda: session.synchronize([held_job], 0)) < 0.5


@pytest.mark.not_on("slurm", "no-end-time")
def test_a_job_ending_during_a_long_timeout_is_returned_promptly(session: drmaa.Session, jobs: Any) -> None:
    job_id = jobs.run(jobs.template(command="/bin/sleep", args=["3"]))
    info = session.wait(job_id, 60.5)
    assert info.jobId == job_id and info.hasExited and info.exitStatus == 0
    # wait() returns soon after the job's end as the DRM recorded it (whole seconds).
    ended = float(info.resourceUsage["end_time"])
    assert time.time() - ended < 5, info.resourceUsage
