"""drmaa.futures on a real cluster: many jobs, plain wait users in the same session, cancellation, failures.

It runs on every DRM of ``drms.py``; a test that means nothing on one
carries ``not_on``. The qmaster outage test stops Grid Engine's master: it
carries the ``faults`` marker and runs in the fault stage, with the
fixtures of ``test_faults``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from drms import current
from test_faults import CALL_BOUND, bounded, cluster, local_sge, observed  # noqa: F401 - fixtures used below
from test_interrupt import LATENCY_BOUND

import drmaa
from drmaa.aio import wrap_future
from drmaa.errors import DrmaaException, DrmCommunicationException, InvalidJobException, NoActiveSessionException
from drmaa.futures import JobExecutor, JobFuture, as_completed

DRM = current()
#: The longest any group of jobs here may take (4 slots, shared with other users of the cluster).
JOBS_BOUND = 600.0
#: How the exit status of job number N is chosen.
EXIT_MODULO = 7


def exit_template(jobs: Any, number: int) -> Any:
    return jobs.template(f"exit $(({number} % {EXIT_MODULO}))")


def submit_numbered(executor: JobExecutor, jobs: Any, count: int) -> dict[JobFuture, int]:
    """Submit ``exit N % 7`` for N in 0..count-1 through *executor*; track every job for cleanup."""
    jt = jobs.template("true")
    futures: dict[JobFuture, int] = {}
    for number in range(count):
        jt.args = ["-c", f"exit $(({number} % {EXIT_MODULO}))"]
        future = executor.submit(jt)
        jobs.track(future.jobId)
        futures[future] = number
    return futures


def test_500_jobs_through_futures_each_with_its_own_exit_status(session: drmaa.Session, jobs: Any) -> None:
    with JobExecutor(session) as executor:
        futures = submit_numbered(executor, jobs, 500)
        seen = []
        for future in as_completed(futures, timeout=JOBS_BOUND):
            info = future.result()
            number = futures[future]
            assert info.jobId == future.jobId, (number, info)
            assert info.hasExited and info.exitStatus == number % EXIT_MODULO, (number, info)
            assert not info.wasAborted and DRM.rusage_keys <= set(info.resourceUsage), (number, info)
            seen.append(future.jobId)
    assert sorted(seen) == sorted(future.jobId for future in futures)
    assert len(set(seen)) == 500
    with pytest.raises(InvalidJobException):  # every job was reaped, none kept for anyone
        session.wait(drmaa.Session.JOB_IDS_SESSION_ANY, drmaa.Session.TIMEOUT_NO_WAIT)


def test_plain_wait_users_share_the_session_with_futures(session: drmaa.Session, jobs: Any) -> None:
    """Threads that wait by id, poll jobStatus, or wait for any job get their own jobs, however they end."""
    results: dict[str, list[tuple[str, int]]] = {"by id": [], "polling": [], "any": []}
    expected: dict[str, list[tuple[str, int]]] = {"by id": [], "polling": [], "any": []}
    lock = threading.Lock()
    failures: list[BaseException] = []

    def plain_user(kind: str, count: int, offset: int) -> None:
        try:
            job_ids = []
            for number in range(offset, offset + count):
                with lock:  # templates are made through the shared tracker
                    jt = exit_template(jobs, number)
                job_id = jobs.run(jt)
                job_ids.append(job_id)
                with lock:
                    expected[kind].append((job_id, number % EXIT_MODULO))
            for job_id in job_ids:
                if kind == "polling":
                    deadline = time.monotonic() + JOBS_BOUND
                    while session.jobStatus(job_id) not in (drmaa.JobState.DONE, drmaa.JobState.FAILED):
                        assert time.monotonic() < deadline, job_id
                        time.sleep(0.5)
                wanted = drmaa.Session.JOB_IDS_SESSION_ANY if kind == "any" else job_id
                info = session.wait(wanted, JOBS_BOUND)
                with lock:
                    results[kind].append((info.jobId, info.exitStatus))
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            failures.append(exc)

    with JobExecutor(session) as executor:
        futures = submit_numbered(executor, jobs, 40)
        threads = [
            threading.Thread(target=plain_user, args=("by id", 10, 100)),
            threading.Thread(target=plain_user, args=("polling", 10, 200)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOBS_BOUND)
        # A plain wait for any job, while futures are pending, gets only plain jobs.
        plain_user("any", 10, 300)
        more = submit_numbered(executor, jobs, 5)
        for future in as_completed([*futures, *more], timeout=JOBS_BOUND):
            number = futures.get(future, more.get(future))
            assert future.result().exitStatus == number % EXIT_MODULO  # type: ignore[operator]
    assert failures == []
    for kind in results:
        assert sorted(results[kind]) == sorted(expected[kind]), kind


def test_cancel_terminates_running_and_held_jobs(session: drmaa.Session, jobs: Any) -> None:
    with JobExecutor(session) as executor:
        running = executor.submit(jobs.template("sleep 300"))
        held = executor.submit(jobs.template("sleep 300", hold=True))
        quick = executor.submit(jobs.template("exit 4"))
        jobs.track(running.jobId, held.jobId, quick.jobId)
        jobs.wait_state(running.jobId, {drmaa.JobState.RUNNING})
        assert quick.result(JOBS_BOUND).exitStatus == 4
        assert quick.cancel() is False
        assert running.cancel() is True and held.cancel() is True
        assert running.cancelled() and held.cancelled()
        assert not concurrent.futures.wait([running, held, quick], timeout=60).not_done
    # shutdown(wait=True) reaped the terminated jobs: the library no longer knows them
    # (slurm-drmaa says 'failed' of an id it does not know, where Grid Engine raises).
    for job_id in (running.jobId, held.jobId):
        if DRM.raises_invalid_job:
            with pytest.raises(InvalidJobException):
                session.jobStatus(job_id)
        else:
            assert session.jobStatus(job_id) == drmaa.JobState.FAILED


def test_cancelling_an_awaiting_task_terminates_the_job_when_asked(session: drmaa.Session, jobs: Any) -> None:
    with JobExecutor(session) as executor:
        jt = jobs.template("sleep 300")
        spared, terminated = executor.submit(jt), executor.submit(jt)
        jobs.track(spared.jobId, terminated.jobId)

        async def give_up_on(awaitable: Any) -> None:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(awaitable, timeout=2)

        async def main() -> None:
            await give_up_on(spared)
            await give_up_on(wrap_future(terminated, terminate=True))

        asyncio.run(main())
        assert terminated.cancelled()
        assert not spared.done()
        assert session.jobStatus(spared.jobId) in (drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING)
        assert spared.cancel() is True


def test_asyncio_as_completed_over_many_jobs(session: drmaa.Session, jobs: Any) -> None:
    with JobExecutor(session) as executor:
        futures = submit_numbered(executor, jobs, 12)

        async def main() -> list[tuple[str, int]]:
            got = []
            for next_done in asyncio.as_completed(futures):
                info = await next_done
                got.append((info.jobId, info.exitStatus))
            return got

        got = asyncio.run(asyncio.wait_for(main(), JOBS_BOUND))
    assert sorted(got) == sorted((future.jobId, number % EXIT_MODULO) for future, number in futures.items())


def test_a_callback_that_raises_harms_neither_the_others_nor_the_watching(
    session: drmaa.Session, jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[str] = []

    def fails(future: Any) -> None:
        raise ValueError(f"callback failure for {future.jobId}")

    with caplog.at_level(logging.ERROR, logger="concurrent.futures"), JobExecutor(session) as executor:
        futures = submit_numbered(executor, jobs, 6)
        for future in futures:
            future.add_done_callback(fails)
            future.add_done_callback(lambda f: called.append(f.jobId))
        results = {future.jobId: future.result(JOBS_BOUND).exitStatus for future in futures}
        later = submit_numbered(executor, jobs, 2)  # the watching thread still works
        assert [future.result(JOBS_BOUND).exitStatus for future in later] == [0, 1]
    assert results == {future.jobId: number % EXIT_MODULO for future, number in futures.items()}
    assert sorted(called) == sorted(future.jobId for future in futures)
    raised = [record for record in caplog.records if record.exc_info and isinstance(record.exc_info[1], ValueError)]
    assert len(raised) == 6


@pytest.mark.not_on("slurm", "no-rusage")
def test_a_job_that_never_ran_raises_code_24_as_plain_wait_does(session: drmaa.Session, jobs: Any) -> None:
    with JobExecutor(session) as executor:
        future = executor.submit(jobs.template("sleep 300", hold=True))
        jobs.track(future.jobId)
        session.control(future.jobId, drmaa.JobControlAction.TERMINATE)  # not through the future
        error = future.exception(JOBS_BOUND)
    assert isinstance(error, drmaa.NoResourceUsageException) and str(error).startswith("code 24")
    assert error.jobInfo.jobId == future.jobId and error.jobInfo.wasAborted


@pytest.mark.not_on("slurm", "session-jobs")
def test_session_exit_fails_pending_futures_and_the_jobs_can_be_collected_again(
    session: drmaa.Session, jobs: Any
) -> None:
    executor = JobExecutor(session)
    future = executor.submit(jobs.template("sleep 300"))
    jobs.track(future.jobId)
    contact = session.contact
    session.exit()
    assert isinstance(future.exception(60), NoActiveSessionException)
    executor.shutdown(wait=True)
    session.initialize(contact)
    again = JobExecutor(session)
    watched = again.watch(future.jobId)
    assert watched.cancel() is True
    again.shutdown(wait=True)


#: A program that waits on a future in its main thread and is interrupted there.
_INTERRUPTED = r"""
import signal, sys, time
import drmaa
from drmaa.futures import JobExecutor

signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the parent's shell did to SIGINT
with drmaa.Session() as s, JobExecutor(s) as executor, s.createJobTemplate() as jt:
    jt.remoteCommand, jt.args = "/bin/sh", ["-c", "sleep 6; exit 5"]
    jt.jobName, jt.outputPath, jt.joinFiles = "drmaa-it", ":/dev/null", True
    future = executor.submit(jt)
    print("JOB", future.jobId, flush=True)
    try:
        print("BLOCKING", flush=True)
        future.result()
    except KeyboardInterrupt:
        print("INTERRUPTED", time.time(), flush=True)
    print("RESULT", future.result().exitStatus, flush=True)
"""


def test_ctrl_c_interrupts_a_wait_on_a_future_and_the_job_is_not_lost(jobs: Any) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        job_line = proc.stdout.readline().split()
        assert job_line[:1] == ["JOB"], job_line
        jobs.track(job_line[1])
        assert proc.stdout.readline() == "BLOCKING\n"
        time.sleep(1.4)  # the child is inside result() now
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=JOBS_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["INTERRUPTED", "RESULT"], out
    assert float(lines[0].split()[1]) - sent < LATENCY_BOUND
    assert lines[1] == "RESULT 5"


# --- the fault stage -------------------------------------------------------------------------


@pytest.mark.faults
@pytest.mark.not_on("slurm", "sge-faults")
def test_qmaster_stopped_while_futures_are_pending(
    session: drmaa.Session,
    jobs: Any,
    cluster: None,  # noqa: F811 - the fixture imported from test_faults
    observed: dict[str, Any],  # noqa: F811 - the fixture imported from test_faults
) -> None:
    """Every pending future gets the DRMAA exception within bounds; nothing hangs; the jobs live on."""
    facts = observed
    executor = JobExecutor(session, check_interval=2)
    # Two jobs run, four wait on hold: the queue keeps free slots (4 in all), so
    # that the cluster can be shown to run a job afterwards while these still exist.
    running, held = jobs.template("sleep 120"), jobs.template("sleep 120", hold=True)
    futures = [executor.submit(running if index < 2 else held) for index in range(6)]
    jobs.track(*(future.jobId for future in futures))
    jobs.wait_state(futures[0].jobId, {drmaa.JobState.RUNNING}, bound=180)  # the cluster may be busy
    facts["stop-qmaster seconds"] = round(local_sge("stop-qmaster"), 2)
    stopped = time.monotonic()
    done, not_done = concurrent.futures.wait(futures, timeout=CALL_BOUND)
    facts["futures failed after seconds"] = round(time.monotonic() - stopped, 2)
    facts["exceptions"] = sorted({repr(future.exception(0)) for future in done})
    assert not not_done, facts
    # Grid Engine answers DrmCommunicationException once qmaster is gone; while it
    # is going down, another code may come first. Whichever it is, every future has it.
    assert len({type(future.exception(0)) for future in futures}) == 1, facts
    assert all(isinstance(future.exception(0), DrmaaException) for future in futures), facts
    facts["DrmCommunicationException"] = isinstance(futures[0].exception(0), DrmCommunicationException)
    shutdown = bounded("shutdown(wait=True)", executor.shutdown)
    facts["shutdown"] = shutdown.describe()
    assert shutdown.error is None, facts
