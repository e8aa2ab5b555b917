"""drmaa._waiting: one C call per wait, Ctrl-C answered at once, and no reaped job ever lost."""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from drmaa import Session, _waiting, errors
from drmaa.session import JobInfo

from .fakelib import FakeLibrary

# SIGINT raises KeyboardInterrupt in every test here, even when the run started
# with SIGINT ignored (a background job of a non-interactive shell).
pytestmark = pytest.mark.usefixtures("sigint_raises")

#: Ctrl-C must raise KeyboardInterrupt within this many seconds.
CTRL_C_BOUND = 1.0


@pytest.fixture
def submit(fake: FakeLibrary) -> Iterator[Callable[[], str]]:
    """Submit running jobs in an active session; C waits really block (up to 30 s) until a job ends."""
    Session.initialize()
    fake.block_seconds = 30
    with Session.createJobTemplate() as template:
        template.remoteCommand = "/bin/sleep"
        yield lambda: Session.runJob(template)
    fake.block_seconds = 0
    Session.exit()  # wakes any call still blocked in the fake


def ctrl_c_after(seconds: float) -> threading.Timer:
    """Send SIGINT to the main thread after *seconds*, as a Ctrl-C at the terminal does."""
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    return timer


def interrupted(call: Callable[[], Any], after: float = 0.2) -> float:
    """Run *call*, Ctrl-C it after *after* seconds; return how long KeyboardInterrupt took to come."""
    sent: list[float] = []

    def ctrl_c() -> None:
        sent.append(time.monotonic())
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # type: ignore[arg-type]

    timer = threading.Timer(after, ctrl_c)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
    return time.monotonic() - sent[0]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


# --- Ctrl-C ----------------------------------------------------------------------------------


def test_ctrl_c_ends_wait_forever_at_once_and_the_c_call_goes_on(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    assert interrupted(lambda: Session.wait(job)) < CTRL_C_BOUND
    assert fake.timeouts == [("drmaa_wait", -1)]
    assert not fake.jobs[job].reaped
    fake.finish(job, 3)
    wait_until(lambda: fake.jobs[job].reaped)  # the call in flight reaped it: its result is kept
    assert _waiting.kept_jobs() == [job]
    info = Session.wait(job)
    assert (info.jobId, info.exitStatus) == (job, 3)
    assert fake.timeouts == [("drmaa_wait", -1)]  # answered from what was kept, no second C call
    assert _waiting.kept_jobs() == []


def test_ctrl_c_ends_synchronize_at_once_and_the_next_one_joins_the_call(fake: FakeLibrary, submit: Any) -> None:
    jobs = [submit(), submit()]
    assert interrupted(lambda: Session.synchronize(jobs, Session.TIMEOUT_WAIT_FOREVER, True)) < CTRL_C_BOUND
    threading.Timer(0.2, lambda: [fake.finish(job) for job in jobs]).start()
    Session.synchronize(jobs, Session.TIMEOUT_WAIT_FOREVER, True)
    assert fake.timeouts == [("drmaa_synchronize", -1)]
    assert all(fake.jobs[job].reaped for job in jobs)


def test_a_wait_after_ctrl_c_joins_the_call_in_flight(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    interrupted(lambda: Session.wait(job))
    threading.Timer(0.2, fake.finish, (job,)).start()
    assert Session.wait(job).jobId == job
    assert fake.timeouts == [("drmaa_wait", -1)]


def test_a_shorter_wait_joining_a_call_in_flight_times_out_on_its_own(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    interrupted(lambda: Session.wait(job))
    start = time.monotonic()
    with pytest.raises(errors.ExitTimeoutException, match=r"^code 23: time-out condition$"):
        Session.wait(job, 0.3)
    assert time.monotonic() - start >= 0.3
    assert fake.timeouts == [("drmaa_wait", -1)]  # the earlier call goes on
    fake.finish(job)
    assert Session.wait(job, 5).jobId == job


def test_no_wait_asks_the_library_even_while_a_call_is_in_flight(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    interrupted(lambda: Session.wait(job))
    with pytest.raises(errors.ExitTimeoutException):
        Session.wait(job, Session.TIMEOUT_NO_WAIT)
    fake.finish(job)
    info = Session.wait(job, Session.TIMEOUT_NO_WAIT)
    assert info.jobId == job
    assert fake.timeouts == [("drmaa_wait", -1), ("drmaa_wait", 0), ("drmaa_wait", 0)]
    wait_until(lambda: not _waiting._state.running)  # the earlier call found the job gone and kept nothing
    assert _waiting.kept_jobs() == []


def test_a_kept_result_goes_to_a_wait_for_any_job(fake: FakeLibrary, submit: Any) -> None:
    first, second = submit(), submit()
    interrupted(lambda: Session.wait(first))
    fake.finish(first, 7)
    wait_until(lambda: _waiting.kept_jobs() == [first])
    info = Session.wait(Session.JOB_IDS_SESSION_ANY)
    assert (info.jobId, info.exitStatus) == (first, 7)
    fake.finish(second)
    assert Session.wait(Session.JOB_IDS_SESSION_ANY).jobId == second


def test_an_interrupted_wait_for_any_job_keeps_the_job_it_reaps(fake: FakeLibrary, submit: Any) -> None:
    first, second = submit(), submit()
    interrupted(lambda: Session.wait(Session.JOB_IDS_SESSION_ANY))
    fake.finish(second, 2)
    wait_until(lambda: _waiting.kept_jobs() == [second])
    assert Session.wait(second).exitStatus == 2  # by its own id, or by ANY
    fake.finish(first)
    assert Session.wait(Session.JOB_IDS_SESSION_ANY).jobId == first


def test_a_kept_job_that_never_ran_raises_no_resource_usage_again(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    fake.jobs[job].ran = False
    interrupted(lambda: Session.wait(job))
    fake.finish(job, aborted=True)
    wait_until(lambda: _waiting.kept_jobs() == [job])
    with pytest.raises(errors.NoResourceUsageException) as caught:
        Session.wait(job)
    assert caught.value.jobInfo.jobId == job and caught.value.jobInfo.wasAborted
    with pytest.raises(errors.InvalidJobException):
        Session.wait(job, 0)


def test_synchronize_with_dispose_drops_kept_results_and_without_keeps_them(fake: FakeLibrary, submit: Any) -> None:
    jobs = [submit() for _ in range(3)]
    for job in jobs:
        interrupted(lambda job=job: Session.wait(job))  # type: ignore[misc]
        fake.finish(job)
    wait_until(lambda: sorted(_waiting.kept_jobs()) == sorted(jobs))
    Session.synchronize(jobs, 0, dispose=False)
    assert sorted(_waiting.kept_jobs()) == sorted(jobs)
    Session.synchronize([jobs[0]], 0, dispose=True)
    assert sorted(_waiting.kept_jobs()) == sorted(jobs[1:])
    Session.synchronize([Session.JOB_IDS_SESSION_ALL], 0, dispose=True)
    assert _waiting.kept_jobs() == []
    with pytest.raises(errors.InvalidJobException):
        Session.wait(jobs[1], 0)


def test_exit_wakes_calls_in_flight_and_drops_kept_results(fake: FakeLibrary, submit: Any) -> None:
    kept, blocked = submit(), submit()
    interrupted(lambda: Session.wait(kept))
    fake.finish(kept)
    wait_until(lambda: _waiting.kept_jobs() == [kept])
    interrupted(lambda: Session.wait(blocked))
    contact = Session.contact
    Session.exit()
    wait_until(lambda: fake.blocked == 0)  # the blocked call returned (code 23, as on Grid Engine)
    assert _waiting.kept_jobs() == []
    Session.initialize(contact)
    with pytest.raises(errors.InvalidJobException):
        Session.wait(kept, 0)  # reaped before the exit: gone with the session
    fake.finish(blocked)
    assert Session.wait(blocked, 5).jobId == blocked  # not reaped: a new session waits for it again


def test_wait_in_another_thread_calls_c_there_with_the_whole_timeout(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    results: list[JobInfo] = []
    waiter = threading.Thread(target=lambda: results.append(Session.wait(job)))
    waiter.start()
    wait_until(lambda: bool(fake.timeouts))
    fake.finish(job)
    waiter.join(10)
    assert [info.jobId for info in results] == [job]
    assert fake.timeouts == [("drmaa_wait", -1)]
    assert fake.wait_threads == [waiter]  # no worker thread: signals never reach that thread anyway


def test_wait_in_another_thread_joins_a_call_left_by_ctrl_c(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    interrupted(lambda: Session.wait(job))
    results: list[JobInfo] = []
    waiter = threading.Thread(target=lambda: results.append(Session.wait(job)))
    waiter.start()
    fake.finish(job)
    waiter.join(10)
    assert [info.jobId for info in results] == [job]
    assert fake.timeouts == [("drmaa_wait", -1)]


def test_with_sigint_ignored_the_main_thread_calls_c_itself(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job of a non-interactive shell
    try:
        threading.Timer(0.3, fake.finish, (job,)).start()
        timer = ctrl_c_after(0.1)
        assert Session.wait(job).jobId == job
        timer.join()
    finally:
        signal.signal(signal.SIGINT, old)
    assert fake.wait_threads == [threading.main_thread()]
    assert fake.timeouts == [("drmaa_wait", -1)]


def test_a_handler_that_does_not_raise_lets_the_wait_go_on(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    seen: list[int] = []
    old = signal.signal(signal.SIGINT, lambda number, frame: seen.append(number))
    try:
        threading.Timer(0.4, fake.finish, (job,)).start()
        timer = ctrl_c_after(0.1)
        assert Session.wait(job).jobId == job
        timer.join()
    finally:
        signal.signal(signal.SIGINT, old)
    assert seen == [signal.SIGINT]
    assert fake.timeouts == [("drmaa_wait", -1)]


def test_waits_in_the_main_thread_reuse_one_worker_thread(fake: FakeLibrary, submit: Any) -> None:
    fake.block_seconds = 0  # every job below has ended already
    jobs = [submit() for _ in range(20)]
    for job in jobs:
        fake.finish(job)
    before = {thread.ident for thread in threading.enumerate()}
    assert [Session.wait(job, 10).jobId for job in jobs] == jobs
    workers = {thread.ident for thread in fake.wait_threads}
    assert len(workers) == 1 and threading.main_thread().ident not in workers
    assert len({thread.ident for thread in threading.enumerate()} - before) <= 1


# --- a result reaped while Ctrl-C is being handled ------------------------------------------------


def test_a_result_reaped_while_ctrl_c_is_handled_is_never_lost(fake: FakeLibrary, submit: Any) -> None:
    """The job ends and Ctrl-C comes at nearly the same moment, in either order, again and again.

    Each round, the wait either returns the JobInfo or raises KeyboardInterrupt;
    then the JobInfo must come from the next wait. Never both, never neither.
    """
    rng = random.Random(19)
    main = threading.main_thread().ident
    outcomes = {"returned": 0, "interrupted": 0}
    for _ in range(150):
        job = submit()
        first = rng.choice(["end", "ctrl-c"])
        gap = rng.uniform(0, 0.003)

        def race(job: str = job, first: str = first, gap: float = gap) -> None:
            time.sleep(0.002)
            for step in (first, "ctrl-c" if first == "end" else "end"):
                if step == "end":
                    fake.finish(job)
                else:
                    signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]
                time.sleep(gap)

        infos: list[JobInfo] = []
        racer = threading.Thread(target=race)
        try:
            try:
                racer.start()
                infos.append(Session.wait(job))
            finally:
                racer.join()
                time.sleep(0.01)  # a SIGINT still on its way is handled in here
        except KeyboardInterrupt:
            pass
        racer.join()
        outcomes["returned" if infos else "interrupted"] += 1
        if not infos:
            infos.append(Session.wait(job, 10))
        assert [info.jobId for info in infos] == [job]
        assert _waiting.kept_jobs() == []
        with pytest.raises(errors.InvalidJobException):
            Session.wait(job, 0)
    assert outcomes["interrupted"] > 0, outcomes  # the race was really run both ways


def test_ctrl_c_right_after_a_kept_result_left_the_table_puts_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _waiting._State()
    state.kept["7"] = (False, "info of 7")

    class InterruptedOnRelease:
        def __enter__(self) -> None:
            pass

        def __exit__(self, *exc_info: object) -> None:
            raise KeyboardInterrupt  # as if Ctrl-C came just as the lock was released

    monkeypatch.setattr(state, "lock", InterruptedOnRelease())
    for wanted in ("7", None):
        with pytest.raises(KeyboardInterrupt):
            _waiting._take_kept(state, wanted)
        assert state.kept == {"7": (False, "info of 7")}


def test_a_forked_child_starts_with_no_calls_in_flight(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    interrupted(lambda: Session.wait(job))
    assert _waiting._state.running
    pid = os.fork()
    if pid == 0:  # the child: its parent's worker threads do not exist here
        os._exit(0 if not _waiting._state.running and not _waiting._state.kept else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    fake.finish(job)
    assert Session.wait(job).jobId == job


@pytest.mark.parametrize(
    ("remaining", "seconds"),
    [(math.inf, -1), (0.0, 0), (-3.0, 0), (0.001, 1), (2.0, 2), (2.5, 3), (1e300, 2**31 - 1)],
)
def test_c_gets_the_whole_remaining_time_in_whole_seconds_never_less(remaining: float, seconds: int) -> None:
    assert _waiting._c_timeout(remaining) == seconds


def test_exit_ends_waits_in_every_thread_with_no_active_session(fake: FakeLibrary, submit: Any) -> None:
    jobs = [submit(), submit()]
    caught: list[BaseException] = []

    def waiter() -> None:
        try:
            Session.wait(jobs[1])
        except errors.DrmaaException as exc:
            caught.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: fake.blocked == 1)
    threading.Timer(0.2, Session.exit).start()
    with pytest.raises(errors.NoActiveSessionException, match=r"^code 5: the session was exited while waiting$"):
        Session.wait(jobs[0])  # the library ends it with code 23, as if its time were up: it never is
    thread.join(10)
    assert [type(exc) for exc in caught] == [errors.NoActiveSessionException]
    Session.initialize()  # for the fixture's exit


def test_a_wait_that_times_out_while_the_session_lives_still_times_out(fake: FakeLibrary, submit: Any) -> None:
    job = submit()
    fake.block_seconds = 0.2
    with pytest.raises(errors.ExitTimeoutException):
        Session.wait(job, 1)


def test_a_call_on_the_same_jobs_waits_for_the_interrupted_one_to_end_first(fake: FakeLibrary, submit: Any) -> None:
    # Two calls reaping one job at once can both block for good in Grid Engine's library.
    job, other = submit(), submit()
    interrupted(lambda: Session.wait(job))
    calls_before_the_end: list[int] = []

    def end() -> None:
        calls_before_the_end.append(len(fake.timeouts))
        fake.finish(job)

    threading.Timer(0.3, end).start()
    Session.synchronize([job], Session.TIMEOUT_WAIT_FOREVER, False)
    assert calls_before_the_end == [1]  # no synchronize while the interrupted wait was going
    assert fake.timeouts == [("drmaa_wait", -1), ("drmaa_synchronize", -1)]
    assert Session.wait(job).jobId == job  # reaped by the interrupted wait, kept
    interrupted(lambda: Session.wait(other))
    with pytest.raises(errors.ExitTimeoutException):
        Session.wait(Session.JOB_IDS_SESSION_ANY, 0.3)  # any job may be the interrupted call's
    assert fake.timeouts[2:] == [("drmaa_wait", -1)]


def test_calls_on_other_jobs_do_not_wait_for_an_interrupted_one(fake: FakeLibrary, submit: Any) -> None:
    first, second = submit(), submit()
    interrupted(lambda: Session.wait(first))
    fake.finish(second)
    assert Session.wait(second).jobId == second
    assert fake.timeouts == [("drmaa_wait", -1), ("drmaa_wait", -1)]


def test_a_call_the_main_thread_still_waits_for_does_not_hold_up_other_threads(fake: FakeLibrary, submit: Any) -> None:
    jobs = [submit(), submit()]
    results: list[JobInfo] = []
    waiter = threading.Thread(target=lambda: results.append(Session.wait(jobs[1])))

    def start_waiter_then_end_jobs() -> None:
        waiter.start()
        wait_until(lambda: fake.blocked == 2)  # both in the library at once, as with 0.7.9
        for job in jobs:
            fake.finish(job)

    threading.Timer(0.2, start_waiter_then_end_jobs).start()
    Session.synchronize([Session.JOB_IDS_SESSION_ALL], Session.TIMEOUT_WAIT_FOREVER, False)
    waiter.join(10)
    assert [info.jobId for info in results] == [jobs[1]]


# --- a library that answers waits without asking the DRM (Grid Engine's) ------------------------------


def test_on_grid_engine_a_job_that_has_ended_is_reaped_in_the_main_thread(fake: FakeLibrary, submit: Any) -> None:
    fake.drm_system = "SGE 8.1.9"
    job = submit()
    fake.finish(job, 4)
    info = Session.wait(job, 10)
    assert (info.jobId, info.exitStatus) == (job, 4)
    assert fake.timeouts == [("drmaa_wait", 0)]  # asked once, without waiting
    assert fake.wait_threads == [threading.main_thread()]  # no handoff to a worker thread
    assert _waiting.kept_jobs() == []


def test_on_grid_engine_a_running_job_is_tried_then_waited_for_in_a_worker(fake: FakeLibrary, submit: Any) -> None:
    fake.drm_system = "SGE 8.1.9"
    job = submit()
    # Ctrl-C from another process: a thread of this one sending it would stop the try.
    sender = subprocess.Popen(["sh", "-c", f"sleep 0.3; kill -INT {os.getpid()}"])
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            Session.wait(job)
    finally:
        sender.wait()
    assert time.monotonic() - started < 0.3 + CTRL_C_BOUND  # Ctrl-C still ends the blocking wait
    assert fake.timeouts == [("drmaa_wait", 0), ("drmaa_wait", -1)]
    assert fake.wait_threads[0] is threading.main_thread()
    assert fake.wait_threads[1] is not threading.main_thread()
    fake.finish(job, 2)
    wait_until(lambda: fake.jobs[job].reaped)
    assert Session.wait(job).exitStatus == 2  # kept from the worker's call: no third C call
    assert len(fake.timeouts) == 2


def test_on_grid_engine_a_wait_for_an_unknown_job_raises_without_a_worker(fake: FakeLibrary, submit: Any) -> None:
    fake.drm_system = "SGE 8.1.9"
    with pytest.raises(errors.InvalidJobException):
        Session.wait("4711", 10)
    assert fake.wait_threads == [threading.main_thread()]


def test_on_grid_engine_with_another_thread_running_the_wait_goes_to_a_worker_at_once(
    fake: FakeLibrary, submit: Any
) -> None:
    """Another thread may be in a runJob that holds up Grid Engine's every wait: no call that blocks Ctrl-C."""
    fake.drm_system = "SGE 8.1.9"
    job = submit()
    fake.finish(job)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert Session.wait(job, 10).jobId == job
    finally:
        release.set()
        other.join()
    assert fake.timeouts == [("drmaa_wait", 10)]
    assert fake.wait_threads[0] is not threading.main_thread()


@pytest.mark.parametrize("drm_system", ["SLURM 22.05", "FAKE 1.0"])
def test_other_libraries_are_asked_once_with_the_whole_timeout(fake: FakeLibrary, submit: Any, drm_system: str) -> None:
    """slurm-drmaa asks slurmctld on each wait: a try first would double the requests for a running job."""
    fake.drm_system = drm_system
    job = submit()
    fake.finish(job)
    assert Session.wait(job, 10).jobId == job
    assert fake.timeouts == [("drmaa_wait", 10)]
    assert fake.wait_threads[0] is not threading.main_thread()


def test_what_the_library_is_is_read_once_per_session(fake: FakeLibrary, submit: Any) -> None:
    fake.drm_system = "SGE 8.1.9"
    jobs = [submit() for _ in range(3)]
    for job in jobs:
        fake.finish(job)
    for job in jobs:
        Session.wait(job, 10)
    assert fake.calls.count("drmaa_get_DRM_system") == 1
    Session.exit()
    fake.drm_system = "SLURM 22.05"  # as if another library answered the next session
    Session.initialize()
    job = submit()
    fake.finish(job)
    Session.wait(job, 10)
    assert fake.calls.count("drmaa_get_DRM_system") == 2
    assert fake.timeouts[-1] == ("drmaa_wait", 10)
