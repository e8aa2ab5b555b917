"""One session shared by many threads, on a real Grid Engine.

Thread safety: what is guaranteed
---------------------------------

A process has one DRMAA session; every thread of the process may use it.

- **Concurrent calls.** Every method of :class:`drmaa.Session` (``runJob``,
  ``runBulkJobs``, ``jobStatus``, ``control``, ``wait``, ``synchronize``,
  ``createJobTemplate``, and reading ``contact``, ``drmsInfo``,
  ``drmaaImplementation``, ``version``) may be called from any number of
  threads at the same time. The library does the locking (DRMAA 1.0 requires
  a thread-safe implementation; Grid Engine's is), and the binding holds no
  global state between calls: each call has its own error buffer and output
  buffers, so every thread gets its own result and its own error message,
  naming its own job id, attribute or resource, even when all threads fail
  at once.
- **Blocking waits.** Any number of threads may block in ``wait()`` or
  ``synchronize()`` at the same time, each on its own jobs, while other
  threads submit, poll and control jobs. The GIL is released inside every C
  call, and long waits are made of C calls of at most one second, so other
  threads are never starved and Ctrl-C reaches the main thread within about
  a second.
- **Reaping.** ``wait(jobId)`` reaps the job: it returns the JobInfo of that
  id exactly once. If two threads wait for the same id, one gets the JobInfo
  and the other :exc:`~drmaa.InvalidJobException` (code 18). ``wait`` on
  ``JOB_IDS_SESSION_ANY`` reaps whichever job of the session ends first, so it
  may take a job another thread is waiting for by id: in one program, either
  wait by id or wait for any job, not both. The same holds for
  ``synchronize(..., dispose=True)``.
- **Job templates.** A :class:`~drmaa.JobTemplate` has a lock of its own:
  each attribute read or write, ``runJob``/``runBulkJobs`` with it, and
  ``delete()`` are atomic with respect to each other. So one template may be
  used by many threads to submit jobs at the same time, as long as no thread
  changes it meanwhile. A sequence such as "set ``args``, then ``runJob``" is
  not atomic: a thread that changes a template before each submission must
  have a template of its own (or hold its own lock around the sequence).
  Using a template after ``delete()``, from any thread, raises
  :exc:`~drmaa.InvalidJobTemplateException`; it never touches freed memory.
- **exit() while other threads wait.** ``exit()`` may be called while other
  threads block in ``wait()`` or ``synchronize()``: it returns at once, and
  so does every waiting thread, with :exc:`~drmaa.NoActiveSessionException`
  (code 5; on Grid Engine within a millisecond, and never later than the
  end of the current one-second slice); none blocks for good, none crashes.
  The jobs keep running: a later ``initialize(contact)`` with the old
  session's contact string re-attaches to them, and they can be waited for
  and reaped as usual. Calls made after ``exit()`` raise
  ``NoActiveSessionException`` too, until the next ``initialize()``.
- **initialize() and exit()** themselves are not meant to race each other:
  open the session before starting threads that use it, and close it once
  (a second ``initialize()`` raises ``AlreadyActiveSessionException``, a
  second ``exit()`` ``NoActiveSessionException``).

What this module proves, on the local cluster: eight threads share one
session and one template while each also has its own; together they submit
200 jobs whose exit status tells them apart, poll them, block in ``wait``
with ``TIMEOUT_WAIT_FOREVER``, and each provokes a different error at the
same time as the others (codes 4, 14, 17, 18, 23, 24), with a message that
names its own id. Every submitted id is returned by ``wait`` exactly once,
with that job's own exit status. ``scripts/run-tests`` runs the integration
suite under ``python -X dev``; ``test_threads_under_dev_mode`` also runs a
smaller scenario in a ``python -X dev`` subprocess, so the check holds when
the suite runs without it.

Run this file as a script (with the cluster's environment) to play the
scenario once: ``python tests/integration/test_threads.py [THREADS JOBS [ID_FILE]]``.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from drms import current

import drmaa
from drmaa.errors import (
    DeniedByDrmException,
    DrmaaException,
    ExitTimeoutException,
    InvalidArgumentException,
    InvalidAttributeValueException,
    InvalidJobException,
    NoActiveSessionException,
    NoResourceUsageException,
    error_class,
)

pytestmark = pytest.mark.integration
DRM = current()

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]

#: The main scenario: THREADS threads submit JOBS_PER_THREAD jobs each, plus
#: one held job per thread: 8 * 24 + 8 = 200 jobs.
THREADS = 8
#: Fewer on a DRM that runs fewer jobs a minute (see drms.py).
JOBS_PER_THREAD = DRM.scenario_jobs_per_thread
#: A thread waits for its oldest jobs after every WAIT_EVERY submissions.
WAIT_EVERY = 4
#: No scenario may take longer than this (the cluster runs about 2 jobs a second).
SCENARIO_BOUND = 240.0
#: A state a job may be in right after it was submitted.
FRESH_STATES = {drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING, drmaa.JobState.DONE}

#: Exit statuses of the jobs are taken modulo this: below 99, because Grid
#: Engine reschedules a job that exits with 99 and sets one exiting with 100
#: in error state.
EXIT_MODULO = 97
#: The shared template's job exits with its own job id modulo EXIT_MODULO, so
#: the exit status that wait() returns tells whose job it was.
SHARED_SCRIPT = f"exit $(({DRM.job_id_variable} % {EXIT_MODULO}))"


def _template(session: Any, script: str, name: str, *, hold: bool = False) -> drmaa.JobTemplate:
    jt = session.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", script]
    jt.jobName = name
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    if hold:
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    return jt


class Scenario:
    """Threads sharing one session; collects every failure as text instead of raising."""

    def __init__(
        self, session: Any, threads: int, jobs_per_thread: int, track: Callable[[str], None] = lambda job_id: None
    ) -> None:
        self.session = session
        self.track = track
        self.threads = threads
        self.jobs_per_thread = jobs_per_thread
        self.lock = threading.Lock()
        self.failures: list[str] = []
        #: job id -> (thread name, expected exit status or None for a held job)
        self.submitted: dict[str, tuple[str, Optional[int]]] = {}
        #: job id -> how many times a wait() returned it
        self.reaped: collections.Counter[str] = collections.Counter()
        #: error code -> how many times a thread got it as expected
        self.errors: collections.Counter[int] = collections.Counter()
        self.barrier = threading.Barrier(threads)
        self.shared = _template(session, SHARED_SCRIPT, "drmaa-it-threads-shared")

    # --- bookkeeping ---------------------------------------------------------

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(f"{threading.current_thread().name}: {text}")

    def record_job(self, job_id: str, expected: Optional[int]) -> None:
        self.track(job_id)
        with self.lock:
            if job_id in self.submitted:
                self.failures.append(f"job id {job_id} returned twice by runJob")
            self.submitted[job_id] = (threading.current_thread().name, expected)

    def record_wait(self, job_id: str, info: drmaa.JobInfo) -> None:
        with self.lock:
            self.reaped[info.jobId] += 1
        if info.jobId != job_id:
            self.fail(f"wait({job_id}) returned the JobInfo of job {info.jobId}")
            return
        _, expected = self.submitted[job_id]
        if not (info.hasExited and info.exitStatus == expected):
            self.fail(f"job {job_id}: expected exit status {expected}, got {info}")

    def expect_error(
        self,
        what: str,
        call: Callable[[], object],
        kind: type[DrmaaException],
        code: int,
        names: str = "",
    ) -> Optional[DrmaaException]:
        """Run *call*, which must raise *kind* with *code* and, if given, a message naming *names*."""
        try:
            result = call()
        except DrmaaException as exc:
            if type(exc) is not kind or exc.code != code:
                self.fail(f"{what}: expected {kind.__name__} (code {code}), got {type(exc).__name__}: {exc}")
            elif names and names not in str(exc):
                self.fail(f"{what}: the message does not name {names}: {exc}")
            else:
                with self.lock:
                    self.errors[code] += 1
            return exc
        self.fail(f"{what}: expected {kind.__name__}, got {result!r}")
        return None

    # --- one thread ------------------------------------------------------------

    def provoke(self, index: int, step: int, name: str, own: drmaa.JobTemplate, bad: drmaa.JobTemplate) -> None:
        """Cause one of several errors; at any moment the threads cause different ones."""
        s = self.session
        bad_id = f"bad-{name}"
        kind = (index + step) % 6
        if kind == 0:
            code, _ = DRM.refusals["malformed-id-control"]
            self.expect_error(
                "control(invalid id)",
                lambda: s.control(bad_id, drmaa.JobControlAction.TERMINATE),
                error_class(code),
                code,
                bad_id,
            )
        elif kind == 1:
            self.expect_error("jobStatus(invalid id)", lambda: s.jobStatus(bad_id), InvalidArgumentException, 4)
        elif kind == 2:
            made_up = str(90_000_000 + index * 1000 + step)
            self.expect_unknown("jobStatus(unknown id)", lambda: s.jobStatus(made_up), str)
        elif kind == 3:
            if DRM.unset_read == 14:
                self.expect_error(
                    "read unset workingDirectory",
                    lambda: own.workingDirectory,
                    InvalidAttributeValueException,
                    14,
                )
            elif own.workingDirectory != DRM.unset_read:
                self.fail(f"read unset workingDirectory: expected {DRM.unset_read!r}")
        elif kind == 4:
            code, text = DRM.refusals["native-denied"]
            self.expect_error(
                "runJob(refused native option)",
                lambda: s.runJob(bad),
                DeniedByDrmException,
                17,
                text.format(id=f"nosuchresource_{index}"),
            )
        else:
            made_up = str(91_000_000 + index * 1000 + step)
            self.expect_unknown(
                "wait(unknown id)", lambda: s.wait(made_up, drmaa.Session.TIMEOUT_NO_WAIT), drmaa.JobInfo
            )

    def expect_unknown(self, what: str, call: Callable[[], object], answer: type) -> None:
        """An unknown id: InvalidJobException (18) where the library raises it, else an invented *answer*."""
        if DRM.raises_invalid_job:
            self.expect_error(what, call, InvalidJobException, 18)
            return
        try:
            result = call()
        except DrmaaException as exc:
            self.fail(f"{what}: expected a {answer.__name__}, got {type(exc).__name__}: {exc}")
        else:
            if not isinstance(result, answer):
                self.fail(f"{what}: expected a {answer.__name__}, got {result!r}")

    def held_job(self, name: str) -> None:
        """A job on hold: timeout (23) on wait, then terminated and reaped without usage (24)."""
        s = self.session
        with _template(s, "exit 0", f"drmaa-it-{name}-held", hold=True) as jt:
            job_id = s.runJob(jt)
        self.record_job(job_id, None)
        state = s.jobStatus(job_id)
        if state != drmaa.JobState.USER_ON_HOLD:
            self.fail(f"held job {job_id} is {state!r}")
        self.expect_error("wait(held job, 0)", lambda: s.wait(job_id, 0), ExitTimeoutException, 23)
        self.expect_error("wait(held job, 0.3)", lambda: s.wait(job_id, 0.3), ExitTimeoutException, 23)
        s.control(job_id, drmaa.JobControlAction.TERMINATE)
        if not DRM.no_rusage_for_unrun:  # the library gives a JobInfo for a job that never ran
            ended = s.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
            with self.lock:
                self.reaped[ended.jobId] += 1
            if ended.jobId != job_id:
                self.fail(f"wait({job_id}) returned the JobInfo of job {ended.jobId}")
            return
        exc = self.expect_error(
            "wait(terminated held job)",
            lambda: s.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER),
            NoResourceUsageException,
            24,
        )
        info = getattr(exc, "jobInfo", None)
        if info is None or info.jobId != job_id or not info.wasAborted:
            self.fail(f"held job {job_id}: NoResourceUsageException.jobInfo is {info!r}")
        else:
            with self.lock:
                self.reaped[info.jobId] += 1

    def wait_for(self, job_id: str) -> None:
        self.record_wait(job_id, self.session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER))

    def worker(self, index: int) -> None:
        name = threading.current_thread().name
        s = self.session
        pending: collections.deque[str] = collections.deque()
        own = _template(s, "exit 0", f"drmaa-it-{name}-own")
        bad = _template(s, "exit 0", f"drmaa-it-{name}-bad")
        try:
            bad.nativeSpecification = DRM.native_denied.format(id=f"nosuchresource_{index}")
            self.barrier.wait(timeout=60)  # every thread starts submitting at the same moment
            for step in range(self.jobs_per_thread):
                if step % 2:
                    job_id = s.runJob(self.shared)
                    expected = int(job_id) % EXIT_MODULO  # see SHARED_SCRIPT
                else:
                    expected = (index * 31 + step) % EXIT_MODULO
                    own.args = ["-c", f"exit {expected}"]
                    job_id = s.runJob(own)
                self.record_job(job_id, expected)
                pending.append(job_id)
                state = s.jobStatus(job_id)
                if state not in FRESH_STATES:
                    self.fail(f"job {job_id} is {state!r} right after submission")
                self.provoke(index, step, name, own, bad)
                if step == self.jobs_per_thread // 2:
                    self.held_job(name)
                if step % WAIT_EVERY == WAIT_EVERY - 1:
                    for _ in range(WAIT_EVERY // 2):
                        self.wait_for(pending.popleft())
            while pending:
                self.wait_for(pending.popleft())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.fail(f"unexpected {type(exc).__name__}: {exc}")
        finally:
            own.delete()
            bad.delete()

    # --- the whole scenario ----------------------------------------------------

    def run(self, bound: float = SCENARIO_BOUND) -> float:
        """Run every thread and check the books; return the seconds it took."""
        start = time.monotonic()
        workers = [
            threading.Thread(target=self.worker, args=(i,), name=f"worker{i}", daemon=True) for i in range(self.threads)
        ]
        try:
            for thread in workers:
                thread.start()
            for thread in workers:
                thread.join(max(0.0, start + bound - time.monotonic()))
            stuck = [thread.name for thread in workers if thread.is_alive()]
            if stuck:
                self.failures.append(f"threads still running after {bound} s: {stuck}")
                self.cleanup()  # ends their jobs, so that their waits return
                for thread in workers:
                    thread.join(30)
                return time.monotonic() - start
            self.check_books()
            return time.monotonic() - start
        finally:
            self.shared.delete()

    def check_books(self) -> None:
        expected_jobs = self.threads * (self.jobs_per_thread + 1)
        if len(self.submitted) != expected_jobs:
            self.failures.append(f"{len(self.submitted)} jobs submitted, expected {expected_jobs}")
        twice = sorted(job for job, count in self.reaped.items() if count != 1)
        if twice:
            self.failures.append(f"reaped more than once: {twice}")
        lost = sorted(set(self.submitted) - set(self.reaped))
        if lost:
            self.failures.append(f"submitted but never reaped: {lost}")
        strangers = sorted(set(self.reaped) - set(self.submitted))
        if strangers:
            self.failures.append(f"reaped but never submitted: {strangers}")
        if not DRM.raises_invalid_job:
            return  # the library reaps nothing: ended jobs stay known until the DRM purges them
        try:
            job = self.session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)
        except InvalidJobException:
            pass  # no job left in the session
        except DrmaaException as exc:
            self.failures.append(f"wait(ANY) after the scenario: {type(exc).__name__}: {exc}")
        else:
            self.failures.append(f"wait(ANY) found a job left behind: {job}")
        for job_id in list(self.submitted)[:: max(1, len(self.submitted) // 20)]:
            try:
                state = self.session.jobStatus(job_id)
            except InvalidJobException:
                continue
            self.failures.append(f"job {job_id} still known after it was reaped: {state!r}")

    def cleanup(self) -> None:
        """Terminate and reap whatever a failed run left behind."""
        left = [job for job in list(self.submitted) if job not in self.reaped]
        for job_id in left:
            try:
                self.session.control(job_id, drmaa.JobControlAction.TERMINATE)
            except DrmaaException:
                pass
        if left:
            try:
                self.session.synchronize(left, 60, True)
            except DrmaaException:
                pass

    def summary(self, seconds: float) -> str:
        return (
            f"{len(self.submitted)} jobs by {self.threads} threads in {seconds:.1f} s; "
            f"errors provoked per code: {dict(sorted(self.errors.items()))}; failures: {len(self.failures)}"
        )


def play(
    session: Any, threads: int, jobs_per_thread: int, track: Callable[[str], None] = lambda job_id: None
) -> tuple[Scenario, float]:
    scenario = Scenario(session, threads, jobs_per_thread, track)
    try:
        seconds = scenario.run()
    finally:
        scenario.cleanup()
    return scenario, seconds


# --- tests -----------------------------------------------------------------------


def test_threads_share_one_session(
    session: drmaa.Session, jobs: Any, record_property: Callable[[str, object], None]
) -> None:
    scenario, seconds = play(session, THREADS, JOBS_PER_THREAD, jobs.track)
    record_property("threads_summary", scenario.summary(seconds))
    assert not scenario.failures, scenario.summary(seconds) + "\n" + "\n".join(scenario.failures[:50])
    assert len(scenario.submitted) == THREADS * (JOBS_PER_THREAD + 1)
    # Every thread caused each of its errors and got its own message back.
    assert set(scenario.errors) == DRM.scenario_error_codes, scenario.errors


def test_threads_under_dev_mode(jobs: Any, tmp_path: Path) -> None:
    """The same scenario, smaller, in a ``python -X dev -W error`` subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # The child's threads write their job ids to a file of their own, one
    # line per os.write(), so ids can never mix with each other or with output.
    id_file = tmp_path / "job-ids"
    command = [sys.executable, "-X", "dev", "-W", "error", str(HERE), "4", "6", str(id_file)]
    try:
        proc = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=SCENARIO_BOUND + 60
        )
        summary = proc.stdout
    except subprocess.TimeoutExpired as exc:
        summary = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        proc = None
    if id_file.exists():
        jobs.track(*id_file.read_text(encoding="ascii").split())
    assert proc is not None, f"the scenario did not end in time:\n{summary}"
    assert proc.returncode == 0, summary + proc.stderr
    assert "dev_mode=True" in summary
    assert "28 jobs by 4 threads" in summary and "failures: 0" in summary, summary


@pytest.mark.not_on("slurm", "invalid-job")
def test_concurrent_waits_for_one_job_reap_it_once(session: drmaa.Session, jobs: Any) -> None:
    job_id = jobs.submit("sleep 2")
    outcomes: list[object] = []

    def waiter() -> None:
        try:
            outcomes.append(session.wait(job_id, 120))
        except DrmaaException as exc:
            outcomes.append(exc)

    waiters = [threading.Thread(target=waiter, daemon=True) for _ in range(4)]
    for thread in waiters:
        thread.start()
    for thread in waiters:
        thread.join(150)
    assert not any(thread.is_alive() for thread in waiters)
    infos = [item for item in outcomes if isinstance(item, drmaa.JobInfo)]
    others = [item for item in outcomes if not isinstance(item, drmaa.JobInfo)]
    assert len(infos) == 1, outcomes
    assert infos[0].jobId == job_id and infos[0].hasExited and infos[0].exitStatus == 0
    assert len(others) == 3 and all(isinstance(item, InvalidJobException) for item in others), outcomes
    assert_nothing_left(session)


def test_one_template_shared_by_submitting_threads(session: drmaa.Session, jobs: Any) -> None:
    jt = jobs.template(SHARED_SCRIPT)
    ids: list[str] = []
    readers_saw: set[object] = set()

    def submit() -> None:
        for _ in range(3):
            ids.append(jobs.run(jt))

    def read() -> None:
        for _ in range(200):
            readers_saw.add((jt.remoteCommand, tuple(jt.args), jt.joinFiles))

    threads = [threading.Thread(target=submit, daemon=True) for _ in range(4)]
    threads += [threading.Thread(target=read, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert len(ids) == 12 and len(set(ids)) == 12
    assert readers_saw == {("/bin/sh", ("-c", SHARED_SCRIPT), True)}
    for job_id in ids:
        info = session.wait(job_id, 120)
        assert info.jobId == job_id
        assert info.hasExited and info.exitStatus == int(job_id) % EXIT_MODULO, info
    if DRM.raises_invalid_job:
        assert_nothing_left(session)


@pytest.mark.not_on("slurm", "aborted-info")
def test_exit_while_threads_wait(session: drmaa.Session, jobs: Any) -> None:
    jt = jobs.template("sleep 60")
    job_ids = [jobs.run(jt) for _ in range(3)]
    contact = session.contact
    outcomes: dict[str, tuple[float, object]] = {}
    exited_at = [0.0]

    def waiter(job_id: str) -> None:
        try:
            result: object = session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
        except DrmaaException as exc:
            result = exc
        outcomes[job_id] = (time.monotonic() - exited_at[0], result)

    waiters = [threading.Thread(target=waiter, args=(job_id,), daemon=True) for job_id in job_ids]
    for thread in waiters:
        thread.start()
    time.sleep(1.5)  # every thread is inside a wait slice now
    exited_at[0] = time.monotonic()
    session.exit()
    exit_seconds = time.monotonic() - exited_at[0]
    for thread in waiters:
        thread.join(30)
    assert not any(thread.is_alive() for thread in waiters), "a waiting thread is blocked after exit()"
    assert exit_seconds < 5, exit_seconds
    assert len(outcomes) == 3
    for job_id, (seconds, result) in outcomes.items():
        assert isinstance(result, NoActiveSessionException), (job_id, result)
        assert seconds < 3, (job_id, seconds)
    with pytest.raises(NoActiveSessionException):
        session.jobStatus(job_ids[0])
    with pytest.raises(NoActiveSessionException):
        session.runJob(jt)
    # The jobs survive: re-attach, see them, end them and reap them.
    session.initialize(contact)
    assert session.contact == contact
    for job_id in job_ids:
        assert session.jobStatus(job_id) in {drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING}
        session.control(job_id, drmaa.JobControlAction.TERMINATE)
    for job_id in job_ids:
        try:
            info = session.wait(job_id, 120)
        except NoResourceUsageException as exc:  # ended before it started
            info = exc.jobInfo
        assert info.jobId == job_id and info.wasAborted, info
    assert_nothing_left(session)


def assert_nothing_left(session: Any) -> None:
    """The session has no job left to reap."""
    with pytest.raises(InvalidJobException):
        session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)


def _id_writer(path: Optional[str]) -> Callable[[str], None]:
    """Append each job id to *path* as one line, written by a single ``os.write`` (atomic between threads)."""
    if path is None:
        return lambda job_id: None
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(job_id: str) -> None:
        os.write(fd, f"{job_id}\n".encode("ascii"))

    return write


def main(argv: list[str]) -> int:
    """Play the scenario once in this process and print a summary.

    argv: ``[THREADS JOBS [ID_FILE]]``; with ID_FILE, every job id is appended
    to that file as soon as the job is submitted, for the caller to clean up.
    """
    threads, per_thread = (int(argv[0]), int(argv[1])) if len(argv) >= 2 else (THREADS, JOBS_PER_THREAD)
    record = _id_writer(argv[2] if len(argv) >= 3 else None)
    print(f"dev_mode={sys.flags.dev_mode}", flush=True)
    with drmaa.Session() as session:
        scenario, seconds = play(session, threads, per_thread, record)
    print(scenario.summary(seconds))
    for failure in scenario.failures:
        print("FAILURE", failure)
    return 1 if scenario.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
