"""drmaa.futures and drmaa.aio against the fake Grid Engine: results, cancellation, sharing a session, failures."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drmaa import JobControlAction, JobInfo, JobState, JobTemplate, Session, _reaped, _waiting, errors
from drmaa import futures as futures_module
from drmaa.aio import wrap_future
from drmaa.futures import FIRST_COMPLETED, JobExecutor, JobFuture, as_completed, wait

from .fakelib import FakeLibrary

#: No test waits longer than this for a future (a bound against hangs, not a timing assertion).
BOUND = 20.0


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    """Results kept for the plain API are process-wide: each test starts and ends with none."""
    _waiting._state.kept.clear()
    yield
    leftover = _waiting.kept_jobs()
    _waiting._state.kept.clear()
    assert leftover == [], "results reaped for the plain API that nobody collected"


@pytest.fixture
def session(fake: FakeLibrary) -> Iterator[type[Session]]:
    Session.initialize()
    yield Session
    if fake.session is not None:
        Session.exit()


@pytest.fixture
def executor(session: type[Session]) -> Iterator[JobExecutor]:
    with JobExecutor(session, check_interval=0.2) as ex:
        yield ex
    assert ex._thread is None, "the watching thread outlived shutdown(wait=True)"


def finish_soon(fake: FakeLibrary, job_id: str, delay: float = 0.1, **how: object) -> threading.Timer:
    timer = threading.Timer(delay, fake.finish, (job_id,), how)
    timer.start()
    return timer


# --- results ---------------------------------------------------------------------


def test_result_is_the_jobinfo_of_the_job(fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate) -> None:
    future = executor.submit(jt)
    assert isinstance(future, JobFuture) and not future.done() and not future.running()
    finish_soon(fake, future.jobId, exit_status=3)
    info = future.result(BOUND)
    assert info.jobId == future.jobId and info.hasExited and info.exitStatus == 3
    assert info.resourceUsage["exit_status"] == "3.0000"
    assert future.done() and not future.cancelled()
    assert repr(future).startswith(f"<JobFuture jobId='{future.jobId}' at 0x")


def test_bulk_gives_one_future_per_task_and_as_completed_yields_each_once(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    futures = executor.submit_bulk(jt, 1, 9, 2)
    assert [future.jobId for future in futures] == [f"1.{task}" for task in (1, 3, 5, 7, 9)]
    for index, future in enumerate(reversed(futures)):
        finish_soon(fake, future.jobId, 0.05 * index, exit_status=index)
    seen = {future.jobId: future.result().exitStatus for future in as_completed(futures, timeout=BOUND)}
    assert seen == {future.jobId: 4 - index for index, future in enumerate(futures)}


def test_wait_first_completed_returns_the_ended_job(fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate) -> None:
    first, second = executor.submit(jt), executor.submit(jt)
    finish_soon(fake, second.jobId)
    done, not_done = wait([first, second], timeout=BOUND, return_when=FIRST_COMPLETED)
    assert (done, not_done) == ({second}, {first})
    fake.finish(first.jobId)
    assert first.result(BOUND).jobId == first.jobId


def test_done_callbacks_run_once_and_one_that_raises_harms_nothing(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def bad(future: object) -> None:
        raise RuntimeError("callback failure")

    futures = [executor.submit(jt) for _ in range(3)]
    futures[0].add_done_callback(bad)
    for future in futures:
        future.add_done_callback(lambda f: calls.append(f.jobId))
    with caplog.at_level(logging.ERROR, logger="concurrent.futures"):
        for future in futures:
            fake.finish(future.jobId)
        results = [future.result(BOUND) for future in futures]
    assert [info.jobId for info in results] == [future.jobId for future in futures]
    assert sorted(calls) == sorted(future.jobId for future in futures)
    assert "callback failure" in caplog.text
    late: list[str] = []
    futures[1].add_done_callback(lambda f: late.append(f.jobId))  # a done future calls back at once
    assert late == [futures[1].jobId]


def test_a_job_that_never_ran_raises_no_resource_usage_as_wait_does(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    jt.jobSubmissionState = "drmaa_hold"
    future = executor.submit(jt)
    session.control(future.jobId, JobControlAction.TERMINATE)  # ended on hold, without the future's cancel()
    error = future.exception(BOUND)
    assert isinstance(error, errors.NoResourceUsageException) and str(error).startswith("code 24")
    assert error.jobInfo.jobId == future.jobId and error.jobInfo.wasAborted
    with pytest.raises(errors.NoResourceUsageException):
        future.result()


# --- cancellation --------------------------------------------------------------------


def test_cancel_terminates_the_job_and_the_job_is_reaped(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    future, other = executor.submit(jt), executor.submit(jt)
    assert future.cancel() is True
    assert future.cancelled() and future.done() and fake.jobs[future.jobId].finished
    assert future.cancel() is True  # again: still cancelled, no second terminate
    assert fake.calls.count("drmaa_control") == 1
    with pytest.raises(concurrent.futures.CancelledError):
        future.result()
    assert list(as_completed([future], timeout=BOUND)) == [future]
    fake.finish(other.jobId)
    other.result(BOUND)
    executor.shutdown()
    assert fake.jobs[future.jobId].reaped, "a cancelled job is still reaped, silently"


def test_cancel_of_an_ended_job_is_false_and_keeps_the_result(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    future = executor.submit(jt)
    fake.finish(future.jobId, 5)
    assert future.result(BOUND).exitStatus == 5
    assert future.cancel() is False
    assert not future.cancelled() and future.result().exitStatus == 5


def test_cancel_raises_when_the_drm_cannot_be_reached_and_the_future_stays(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    future = executor.submit(jt)
    fake.fail_next("drmaa_control", 2, "unable to contact qmaster")
    with pytest.raises(errors.DrmCommunicationException):
        future.cancel()
    assert not future.done()
    fake.finish(future.jobId)
    assert future.result(BOUND).jobId == future.jobId


def test_cancel_of_a_job_reaped_meanwhile_is_false(fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate) -> None:
    future = executor.submit(jt)
    fake.fail_next("drmaa_control", 18)  # the job ended and was reaped just before
    assert future.cancel() is False
    fake.finish(future.jobId)
    assert future.result(BOUND).hasExited


# --- sharing the session with plain runJob/wait code ------------------------------------


def test_a_plain_job_reaped_by_the_watcher_is_kept_for_plain_wait(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    plain = session.runJob(jt)
    future = executor.submit(jt)
    fake.finish(plain, 7)
    fake.finish(future.jobId)
    future.result(BOUND)
    deadline = time.monotonic() + BOUND
    while not fake.jobs[plain].reaped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake.jobs[plain].reaped, "the watcher waits for any job: it reaps the plain one too"
    assert session.jobStatus(plain) == JobState.DONE  # as the library said before the job was reaped
    info = session.wait(plain, Session.TIMEOUT_NO_WAIT)
    assert info.jobId == plain and info.exitStatus == 7
    with pytest.raises(errors.InvalidJobException):
        session.wait(plain, Session.TIMEOUT_NO_WAIT)
    with pytest.raises(errors.InvalidJobException):
        session.jobStatus(plain)


def test_plain_wait_any_gets_kept_results_and_never_a_future_job(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    fake.block_seconds = BOUND  # a wait left to the library blocks until a job ends, as the real one does
    future = executor.submit(jt)
    plain = session.runJob(jt)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(session.wait(Session.JOB_IDS_SESSION_ANY, BOUND)))
    waiter.start()
    time.sleep(0.05)
    fake.finish(future.jobId, 1)  # whoever reaps it, the future gets it
    time.sleep(0.3)
    fake.finish(plain, 2)
    waiter.join(BOUND)
    assert future.result(BOUND).exitStatus == 1
    assert [(info.jobId, info.exitStatus) for info in got] == [(plain, 2)]  # type: ignore[attr-defined]


def test_plain_wait_any_returns_a_kept_result_while_future_jobs_run_on(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    long_running = executor.submit(jt)
    plain = session.runJob(jt)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(session.wait(Session.JOB_IDS_SESSION_ANY, BOUND)))
    waiter.start()
    time.sleep(0.05)
    fake.finish(plain, 3)  # reaped by the watcher (then kept) or by the plain wait: either way it returns it
    waiter.join(BOUND)
    assert [(info.jobId, info.exitStatus) for info in got] == [(plain, 3)]  # type: ignore[attr-defined]
    assert not long_running.done()
    fake.finish(long_running.jobId)


def test_plain_wait_for_a_future_job_completes_the_future_too(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=0.2) as executor:
        fake.block_seconds = 0.05
        future = executor.submit(jt)
        fake.finish(future.jobId, 4)
        try:
            info = session.wait(future.jobId, Session.TIMEOUT_NO_WAIT)
        except errors.InvalidJobException:  # the watcher was first; the future has it
            info = future.result(BOUND)
        assert info.exitStatus == 4
        assert future.result(BOUND) == info


def test_a_blocking_plain_wait_gets_what_the_watcher_reaps_without_a_wait_of_its_own(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    fake.block_seconds = BOUND
    busy = executor.submit(jt)  # the watcher runs and reaps every job of the session
    plain = session.runJob(jt)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(session.wait(plain)))
    waiter.start()
    time.sleep(0.1)
    fake.finish(plain, 5)
    waiter.join(BOUND)
    assert [(info.jobId, info.exitStatus) for info in got] == [(plain, 5)]  # type: ignore[attr-defined]
    waits = [t for t in fake.wait_threads if t is waiter]
    assert waits == [], "the plain wait asked the library's wait itself while the watcher reaps"
    assert "drmaa_job_ps" in fake.calls  # one check that the job is known
    fake.finish(busy.jobId)


def test_a_blocking_plain_wait_for_a_future_job_gets_it_as_the_future_does(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    fake.block_seconds = BOUND
    future, busy = executor.submit(jt), executor.submit(jt)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(session.wait(future.jobId, BOUND)))
    waiter.start()
    try:
        time.sleep(0.1)
        fake.finish(future.jobId, 4)
        waiter.join(BOUND)
        assert future.result(BOUND).exitStatus == 4
        assert got == [future.result(BOUND)]
        assert [t for t in fake.wait_threads if t is waiter] == []
    finally:
        fake.finish(busy.jobId)


def test_the_watcher_makes_one_library_wait_per_check_interval(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    fake.block_seconds = 0.2  # each library wait of the watcher ends (times out) after 0.2 s of real time
    with JobExecutor(session, check_interval=3) as executor:
        future = executor.submit(jt)
        time.sleep(0.7)
        fake.finish(future.jobId)
    waits = [entry for entry in fake.timeouts if entry[0] == "drmaa_wait"]
    assert len(waits) >= 2
    assert set(waits) == {("drmaa_wait", 3)}  # the whole interval in one call, never slices of it


def test_a_relayed_plain_wait_for_an_unknown_job_raises_invalid_job(
    executor: JobExecutor, jt: JobTemplate, session: type[Session], fake: FakeLibrary
) -> None:
    busy = executor.submit(jt)
    try:
        with pytest.raises(errors.InvalidJobException):
            session.wait("999999")
    finally:
        fake.finish(busy.jobId)


def test_a_relayed_plain_wait_times_out_and_the_job_can_be_waited_for_again(
    executor: JobExecutor, jt: JobTemplate, session: type[Session], fake: FakeLibrary
) -> None:
    busy = executor.submit(jt)
    plain = session.runJob(jt)
    try:
        with pytest.raises(errors.ExitTimeoutException):
            session.wait(plain, 0.2)
        fake.finish(plain, 9)
        assert session.wait(plain, BOUND).exitStatus == 9
    finally:
        fake.finish(busy.jobId)


def test_a_relayed_plain_wait_asks_the_library_itself_once_the_watcher_stops(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    fake.block_seconds = BOUND
    with JobExecutor(session, check_interval=0.2) as executor:
        busy = executor.submit(jt)
        plain = session.runJob(jt)
        got: list[object] = []
        waiter = threading.Thread(target=lambda: got.append(session.wait(plain, BOUND)))
        waiter.start()
        time.sleep(0.1)
        fake.finish(busy.jobId)  # the executor has nothing left: its watcher ends
        assert busy.result(BOUND).exitStatus == 0
    assert executor._thread is None and _waiting._state.relays == 0
    fake.finish(plain, 3)
    waiter.join(BOUND)
    assert [(info.jobId, info.exitStatus) for info in got] == [(plain, 3)]  # type: ignore[attr-defined]


def test_session_exit_ends_a_relayed_plain_wait_with_no_active_session(
    fake: FakeLibrary, jt: JobTemplate, session: type[Session]
) -> None:
    executor = JobExecutor(session, check_interval=0.2)
    busy = executor.submit(jt)
    plain = session.runJob(jt)
    errors_seen: list[BaseException] = []

    def waiter() -> None:
        try:
            session.wait(plain)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors_seen.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.1)
    session.exit()
    thread.join(BOUND)
    assert not thread.is_alive()
    assert [type(exc) for exc in errors_seen] == [errors.NoActiveSessionException]
    assert isinstance(busy.exception(BOUND), errors.NoActiveSessionException)
    executor.shutdown(wait=True)


def test_synchronize_dispose_forgets_kept_results(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    plain = session.runJob(jt)
    fake.finish(plain)
    _waiting.keep(plain, "placeholder")  # as if a watcher had reaped it
    session.synchronize([plain], Session.TIMEOUT_NO_WAIT, dispose=True)
    assert _waiting.kept_jobs() == []
    with pytest.raises(errors.InvalidJobException):
        session.wait(plain, Session.TIMEOUT_NO_WAIT)


def test_watch_gives_a_future_for_a_plain_job_even_one_already_kept(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    first, second = session.runJob(jt), session.runJob(jt)
    future = executor.watch(first)
    fake.finish(first, 6)
    assert future.result(BOUND).exitStatus == 6
    busy = executor.submit(jt)  # keeps the watcher waiting, so it reaps the plain job
    fake.finish(second, 8)
    deadline = time.monotonic() + BOUND
    while second not in _waiting.kept_jobs() and time.monotonic() < deadline:
        time.sleep(0.01)
    late = executor.watch(second)
    assert late.result(BOUND).exitStatus == 8 and second not in _waiting.kept_jobs()
    assert executor.watch(busy.jobId) is busy  # one future per job
    fake.finish(busy.jobId)
    with pytest.raises(TypeError):
        executor.watch(b"1")  # type: ignore[arg-type]


def test_a_job_reaped_elsewhere_is_not_failed_before_its_result_can_be_handed_over(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=30) as executor:  # the watcher makes no check meanwhile
        future, other = executor.submit(jt), executor.submit(jt)
        fake.finish(future.jobId, 6)
        fake.jobs[future.jobId].reaped = True  # reaped by plain code, which has not handed it over yet
        assert executor._collect(future.jobId) is False
        assert not future.done()
        info = JobInfo(future.jobId, True, False, "", False, False, 6, {})
        assert _reaped.hand_over(future.jobId, info) is True
        assert future.result(0) is info
        fake.finish(other.jobId)


def test_a_job_reaped_by_synchronize_dispose_fails_its_future_with_invalid_job(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate, session: type[Session]
) -> None:
    future = executor.submit(jt)
    with _waiting.reaping_only():  # hold the watcher off: reap it behind its back
        fake.finish(future.jobId)
        session.synchronize([future.jobId], Session.TIMEOUT_NO_WAIT, dispose=True)
    assert isinstance(future.exception(BOUND), errors.InvalidJobException)


# --- the DRM going away, the session ending -------------------------------------------------


def test_drm_unreachable_fails_every_pending_future_with_its_own_exception(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    executor = JobExecutor(session, check_interval=0.1)
    futures = [executor.submit(jt) for _ in range(5)]
    fake.fail_next("drmaa_job_ps", 2, "unable to contact qmaster using port 6444")
    errors_seen = [future.exception(BOUND) for future in futures]
    assert all(isinstance(error, errors.DrmCommunicationException) for error in errors_seen)
    assert len({id(error) for error in errors_seen}) == 5
    assert str(errors_seen[0]) == "code 2: unable to contact qmaster using port 6444"
    executor.shutdown()
    # The jobs live on; their results, once reaped, are kept for plain wait.
    for future in futures:
        fake.finish(future.jobId)
    assert {session.wait(Session.JOB_IDS_SESSION_ANY, BOUND).jobId for _ in futures} == {f.jobId for f in futures}


def test_leaving_the_with_block_during_an_outage_neither_hangs_nor_hides_the_error(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate, caplog: pytest.LogCaptureFixture
) -> None:
    """As with Grid Engine's qmaster down: waits only time out, every other call fails with code 2."""
    with pytest.raises(ZeroDivisionError):
        with JobExecutor(session, check_interval=0.1) as executor:
            futures = [executor.submit(jt) for _ in range(3)]
            for name in ("drmaa_job_ps", "drmaa_control"):
                for _ in range(50):
                    fake.fail_next(name, 2, "unable to contact qmaster")
            1 / 0  # noqa: B018
    assert all(isinstance(future.exception(0), errors.DrmCommunicationException) for future in futures)
    # Either the watcher met the outage first and failed the futures before the
    # body raised (nothing left to terminate), or leaving found them pending and
    # terminating them failed: logged, never raised over the body's error.
    assert "3 pending job futures fail: DrmCommunicationException" in caplog.text
    tried_to_terminate = "drmaa_control" in fake.calls
    assert ("terminating the jobs left while leaving on ZeroDivisionError" in caplog.text) == tried_to_terminate
    fake._injected.clear()  # qmaster is back
    for future in futures:
        fake.finish(future.jobId)
    assert sorted(session.wait(Session.JOB_IDS_SESSION_ANY).jobId for _ in futures) == sorted(
        future.jobId for future in futures
    )


def test_wait_any_failing_with_a_drm_error_fails_the_futures(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=0.1) as executor:
        future = executor.submit(jt)
        fake.fail_next("drmaa_wait", 1, "internal error")
        assert isinstance(future.exception(BOUND), errors.InternalException)
    fake.finish(future.jobId)
    session.wait(future.jobId)


@pytest.mark.parametrize(
    ("implementation", "check"),
    [("FAKE-DRMAA 1.0", "drmaa_job_ps"), ("DRMAA for Slurm 1.1.6", "drmaa_wait")],
    ids=["relaying", "rounds"],
)
def test_outage_grace_rides_out_a_short_outage(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate, implementation: str, check: str
) -> None:
    fake.implementation = implementation  # what fails while the DRM is away: the check, or the round's waits
    with JobExecutor(session, check_interval=0.1, outage_grace=60) as executor:
        future = executor.submit(jt)
        for _ in range(3):
            fake.fail_next(check, 2)
        deadline = time.monotonic() + BOUND
        while fake._injected.get(check) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not future.done()
        fake.finish(future.jobId, 2)
        assert future.result(BOUND).exitStatus == 2


@pytest.mark.parametrize("implementation", ["FAKE-DRMAA 1.0", "DRMAA for Slurm 1.1.6"], ids=["relaying", "rounds"])
def test_session_exit_fails_pending_futures_with_no_active_session(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate, implementation: str
) -> None:
    fake.implementation = implementation
    executor = JobExecutor(session, check_interval=0.1)
    future = executor.submit(jt)
    session.exit()
    assert isinstance(future.exception(BOUND), errors.NoActiveSessionException)
    executor.shutdown()
    assert executor._thread is None


def test_a_job_vanishing_from_the_drm_fails_only_its_future(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    gone, kept = executor.submit(jt), executor.submit(jt)
    fake.jobs[gone.jobId].reaped = True  # the DRM forgot it (as a job ended while no session was attached)
    assert isinstance(gone.exception(BOUND), errors.InvalidJobException)
    assert not kept.done()
    fake.finish(kept.jobId)
    assert kept.result(BOUND).jobId == kept.jobId


# --- shutdown and the context manager --------------------------------------------------------


def test_shutdown_refuses_new_jobs_and_waits_for_the_others(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    executor = JobExecutor(session, check_interval=0.2)
    future = executor.submit(jt)
    finish_soon(fake, future.jobId, 0.2)
    executor.shutdown(wait=True)
    assert future.done() and fake.jobs[future.jobId].reaped
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(jt)


def test_leaving_the_with_block_on_an_exception_terminates_what_is_left(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with pytest.raises(ZeroDivisionError):
        with JobExecutor(session, check_interval=0.2) as executor:
            futures = [executor.submit(jt) for _ in range(3)]
            fake.finish(futures[0].jobId)
            futures[0].result(BOUND)
            1 / 0  # noqa: B018
    assert not futures[0].cancelled() and all(future.cancelled() for future in futures[1:])
    assert all(fake.jobs[future.jobId].reaped for future in futures)


def test_shutdown_cancel_futures_reports_the_first_terminate_error(
    fake: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    executor = JobExecutor(session, check_interval=0.2)
    futures = [executor.submit(jt) for _ in range(2)]
    fake.fail_next("drmaa_control", 2)
    with pytest.raises(errors.DrmCommunicationException):
        executor.shutdown(wait=False, cancel_futures=True)
    assert [future.cancelled() for future in futures] == [False, True]
    fake.finish(futures[0].jobId)
    executor.shutdown(wait=True)
    assert futures[0].result().hasExited


def test_shutdown_with_wait_in_a_done_callback_is_refused(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    refused: list[BaseException] = []

    def stop(future: object) -> None:
        try:
            executor.shutdown(wait=True)
        except RuntimeError as exc:
            refused.append(exc)

    first, second = executor.submit(jt), executor.submit(jt)
    first.add_done_callback(stop)
    fake.finish(first.jobId)
    first.result(BOUND)
    assert [str(exc) for exc in refused] == ["shutdown(wait=True) in a done-callback would wait for itself"]
    fake.finish(second.jobId)
    assert second.result(BOUND).hasExited


def test_bad_settings_are_refused(session: type[Session]) -> None:
    with pytest.raises(ValueError, match="check_interval"):
        JobExecutor(session, check_interval=-1)
    with pytest.raises(ValueError, match="outage_grace"):
        JobExecutor(session, outage_grace=float("nan"))


# --- threads and Ctrl-C --------------------------------------------------------------------


def test_many_threads_submit_and_wait_on_one_executor(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    results: dict[str, int] = {}
    lock = threading.Lock()

    def worker() -> None:
        mine = [executor.submit(jt) for _ in range(25)]
        for future in mine:
            fake.finish(future.jobId, int(future.jobId) % 7)
        for future in as_completed(mine, timeout=BOUND):
            with lock:
                results[future.jobId] = future.result().exitStatus

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND * 2)
    assert len(results) == 200
    assert all(status == int(job_id) % 7 for job_id, status in results.items())


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals go to the main thread")
def test_ctrl_c_interrupts_result_and_the_future_still_completes(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    future = executor.submit(jt)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever this process inherited
    timer = threading.Timer(0.3, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            future.result(BOUND)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not future.done() and not fake.jobs[future.jobId].reaped
    fake.finish(future.jobId, 9)
    assert future.result(BOUND).exitStatus == 9


# --- asyncio --------------------------------------------------------------------------------


def test_await_a_future_and_asyncio_as_completed(fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate) -> None:
    futures = [executor.submit(jt) for _ in range(4)]

    async def main() -> tuple[list[int], int]:
        for index, future in enumerate(futures):
            finish_soon(fake, future.jobId, 0.05 * (4 - index), exit_status=index)
        statuses = [(await next_done).exitStatus for next_done in asyncio.as_completed(futures, timeout=BOUND)]
        return statuses, (await futures[0]).exitStatus

    statuses, first = asyncio.run(main())
    assert sorted(statuses) == [0, 1, 2, 3] and first == 0


def test_cancelling_the_awaiting_task_terminates_the_job_only_when_asked(
    fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    kept, ended = executor.submit(jt), executor.submit(jt)

    async def cancel(awaitable: object) -> None:
        task = asyncio.ensure_future(awaitable)  # type: ignore[call-overload]
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)  # let the terminate start in the default executor

    async def main() -> None:
        await cancel(kept)
        await cancel(wrap_future(ended, terminate=True))

    asyncio.run(main())  # run() waits for the default executor, so the terminate has happened
    assert not kept.done() and not fake.jobs[kept.jobId].finished
    assert ended.cancelled() and fake.jobs[ended.jobId].finished
    fake.finish(kept.jobId)
    assert kept.result(BOUND).hasExited


def test_an_error_reaches_the_awaiting_coroutine(fake: FakeLibrary, executor: JobExecutor, jt: JobTemplate) -> None:
    jt.jobSubmissionState = "drmaa_hold"
    future = executor.submit(jt)

    async def main() -> BaseException:
        with fake._lock:  # terminated on hold behind the session's back: code 24
            fake._control(fake.jobs[future.jobId], 4)
        try:
            await future
        except errors.NoResourceUsageException as exc:
            return exc
        raise AssertionError("no exception")

    assert asyncio.run(main()).jobInfo.jobId == future.jobId  # type: ignore[attr-defined]


# --- the layer is optional -------------------------------------------------------------------

_IMPORT_CHECK = """
import ctypes, os, sys
sys.path.insert(0, sys.argv[1])
from tests.unit.fakelib import FakeLibrary
ctypes.CDLL = lambda path, mode=0: FakeLibrary()
os.environ["DRMAA_LIBRARY_PATH"] = "/fake/libdrmaa.so"
import drmaa
print(sorted(name for name in ("drmaa.futures", "drmaa.aio", "asyncio", "concurrent.futures") if name in sys.modules))
import drmaa.futures
print(sorted(name for name in ("drmaa.futures", "drmaa.aio", "asyncio") if name in sys.modules))
"""


def test_import_drmaa_does_not_load_the_futures_layer_nor_asyncio() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["[]", "['drmaa.futures']"]


def test_job_states_of_kept_results_follow_how_the_job_ended(session: type[Session]) -> None:
    _waiting.keep("41", type("Info", (), {"wasAborted": False})())
    _waiting.keep("42", type("Info", (), {"wasAborted": True})())
    assert (session.jobStatus("41"), session.jobStatus("42")) == (JobState.DONE, JobState.FAILED)
    assert _waiting.kept_jobs() == ["41", "42"]
    session.synchronize([Session.JOB_IDS_SESSION_ALL], Session.TIMEOUT_NO_WAIT, dispose=True)
    assert _waiting.kept_jobs() == []


def test_an_executor_that_is_gone_no_longer_claims_jobs(session: type[Session]) -> None:
    executor = JobExecutor(session)
    assert any(ref() is not None for ref in _reaped._owners)
    del executor
    gc.collect()
    assert not any(ref() is not None for ref in _reaped._owners)
    other = JobExecutor(session)  # registering another one prunes the dead
    assert [ref() for ref in _reaped._owners] == [other._claim]


# --- rounds: a library whose every wait asks the DRM about each job (slurm-drmaa) ---------------

SLURM_DRMAA = "DRMAA for Slurm 1.1.6"


@pytest.fixture
def rounds(fake: FakeLibrary) -> FakeLibrary:
    """The fake says it is slurm-drmaa: executors watch their own jobs in rounds."""
    fake.implementation = SLURM_DRMAA
    return fake


def watcher_waits(fake: FakeLibrary, watcher: threading.Thread) -> list[tuple[str, int]]:
    """(job id, timeout) of each drmaa_wait the watching thread made (no other thread may wait meanwhile)."""
    calls = zip(fake.timeouts, fake.wait_threads)
    waits = [(timeout, thread) for (name, timeout), thread in calls if name == "drmaa_wait"]
    return [(job_id, timeout) for job_id, (timeout, thread) in zip(fake.wait_jobs, waits) if thread is watcher]


def test_the_library_decides_how_executors_watch(fake: FakeLibrary, session: type[Session], jt: JobTemplate) -> None:
    from drmaa.futures import _waits_poll_each_job

    assert _waits_poll_each_job(session) is False
    fake.implementation = SLURM_DRMAA
    assert _waits_poll_each_job(session) is True
    with JobExecutor(session, check_interval=0.05) as executor:
        future = executor.submit(jt)
        assert executor._rounds is True
        assert _waiting._state.relays == 0, "in rounds the watcher is not the session's only reaper"
        fake.finish(future.jobId)


def test_a_round_asks_once_about_each_pending_job_of_the_executor_and_about_nothing_else(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    interval = 0.2
    plain = session.runJob(jt)
    with JobExecutor(session, check_interval=interval) as executor:
        futures = [executor.submit(jt) for _ in range(3)]
        watcher = executor._thread
        assert watcher is not None
        started = time.monotonic()
        time.sleep(5 * interval)
        waits = watcher_waits(rounds, watcher)
        elapsed = time.monotonic() - started
        for future in futures:
            rounds.finish(future.jobId)
    asked = collections.Counter(job_id for job_id, _ in waits)
    assert set(asked) == {future.jobId for future in futures}  # never JOB_IDS_SESSION_ANY, never the plain job
    assert {timeout for _, timeout in waits} == {Session.TIMEOUT_NO_WAIT}
    assert max(asked.values()) - min(asked.values()) <= 1  # one call per job per round
    assert 2 <= max(asked.values()) <= elapsed / interval + 1  # at most one round per interval
    assert "drmaa_job_ps" not in rounds.calls
    assert not rounds.jobs[plain].reaped, "the watcher reaped a job that is not the executor's"
    rounds.finish(plain, 3)
    assert session.wait(plain, Session.TIMEOUT_NO_WAIT).exitStatus == 3


def test_in_rounds_a_job_that_ends_is_reaped_by_the_next_round(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=0.1) as executor:
        future, other = executor.submit(jt), executor.submit(jt)
        watcher = executor._thread
        assert watcher is not None
        before = len(rounds.wait_jobs)
        rounds.finish(future.jobId, 4)
        assert future.result(BOUND).exitStatus == 4
        after = [job_id for job_id in rounds.wait_jobs[before:] if job_id == future.jobId]
        assert after == [future.jobId], "the first wait for the job after its end reaps it"
        assert not other.done()
        rounds.finish(other.jobId)
    assert watcher_waits(rounds, watcher).count((future.jobId, Session.TIMEOUT_NO_WAIT)) >= 1


def test_in_rounds_a_job_that_never_ran_raises_no_resource_usage(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    jt.jobSubmissionState = "drmaa_hold"
    with JobExecutor(session, check_interval=0.05) as executor:
        future = executor.submit(jt)
        session.control(future.jobId, JobControlAction.TERMINATE)
        error = future.exception(BOUND)
    assert isinstance(error, errors.NoResourceUsageException) and error.jobInfo.jobId == future.jobId


def test_in_rounds_cancel_terminates_the_job_and_a_round_reaps_it(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=0.05) as executor:
        future, other = executor.submit(jt), executor.submit(jt)
        assert future.cancel() is True
        assert future.cancelled() and rounds.calls.count("drmaa_control") == 1
        rounds.finish(other.jobId, 1)
        assert other.result(BOUND).exitStatus == 1
    assert rounds.jobs[future.jobId].reaped, "the cancelled job is reaped, silently"
    assert executor._thread is None


def test_in_rounds_an_unreachable_drm_fails_every_pending_future(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    with JobExecutor(session, check_interval=0.05) as executor:
        futures = [executor.submit(jt) for _ in range(3)]
        rounds.fail_next("drmaa_wait", 2, "slurm_load_jobs error: Unable to contact slurm controller")
        errors_seen = [future.exception(BOUND) for future in futures]
    assert all(isinstance(error, errors.DrmCommunicationException) for error in errors_seen)
    assert len({id(error) for error in errors_seen}) == 3
    for future in futures:  # the jobs live on, for plain waits
        rounds.finish(future.jobId)
        assert session.wait(future.jobId, Session.TIMEOUT_NO_WAIT).jobId == future.jobId


def test_in_rounds_plain_waits_make_their_own_library_waits_and_never_get_a_future_job(
    rounds: FakeLibrary, session: type[Session], jt: JobTemplate
) -> None:
    rounds.block_seconds = BOUND
    with JobExecutor(session, check_interval=0.05) as executor:
        future, busy = executor.submit(jt), executor.submit(jt)
        plain_any, plain_one = session.runJob(jt), session.runJob(jt)
        got: dict[str, object] = {}
        any_waiter = threading.Thread(target=lambda: got.setdefault("any", session.wait(Session.JOB_IDS_SESSION_ANY)))
        one_waiter = threading.Thread(target=lambda: got.setdefault("one", session.wait(plain_one, BOUND)))
        any_waiter.start()
        one_waiter.start()
        time.sleep(0.1)
        rounds.finish(future.jobId, 1)  # the plain wait for any job or the watcher reaps it: the future has it
        assert future.result(BOUND).exitStatus == 1
        rounds.finish(plain_any, 3)
        any_waiter.join(BOUND)
        rounds.finish(plain_one, 2)
        one_waiter.join(BOUND)
        rounds.finish(busy.jobId)
    assert [(name, info.jobId, info.exitStatus) for name, info in sorted(got.items())] == [  # type: ignore[attr-defined]
        ("any", plain_any, 3),
        ("one", plain_one, 2),
    ]
    assert any_waiter in rounds.wait_threads and one_waiter in rounds.wait_threads
    assert _waiting.kept_jobs() == []


def test_a_job_of_an_executor_reaped_twice_is_never_handed_to_a_plain_wait_for_any_job(
    rounds: FakeLibrary, executor: JobExecutor, jt: JobTemplate
) -> None:
    future = executor.submit(jt)
    rounds.finish(future.jobId, 5)
    info = future.result(BOUND)
    # slurm-drmaa lets two waits reap one job: the second one to hand it over learns it is taken.
    assert _reaped.hand_over(future.jobId, info) is True
    assert future.result() is info


def test_an_executor_remembers_a_bounded_number_of_resolved_jobs(
    rounds: FakeLibrary, executor: JobExecutor, jt: JobTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(futures_module, "_REMEMBERED", 3)
    done = []
    for _ in range(5):
        future = executor.submit(jt)
        rounds.finish(future.jobId)
        done.append((future.jobId, future.result(BOUND)))
    assert list(executor._outcomes_had) == [job_id for job_id, _ in done[-3:]]  # the oldest two forgotten
    assert _reaped.hand_over(*done[-1]) is True  # a recent one is still known as ours
    assert _reaped.hand_over(*done[0]) is False  # an old one is nobody's: long past a double reaping
