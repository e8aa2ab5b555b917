"""Jobs as futures: a :class:`JobExecutor` submits job templates and hands back one :class:`JobFuture` per job.

It is built on the public :class:`~drmaa.Session` API alone, and nothing in
the package imports it: ``import drmaa`` does not load it. The 0.7.9 API is
unchanged by it.

How completion is learned: one thread per executor, in one of two ways,
chosen by what the library is (:func:`_waits_poll_each_job`).

- Relaying (Grid Engine, and any library whose wait learns of ended jobs
  without asking the DRM about each): the thread waits for
  ``JOB_IDS_SESSION_ANY`` (:meth:`Session.wait <drmaa.Session.wait>`), so
  watching any number of jobs costs the same as watching one, and the
  scheduler is asked nothing per job. That wait reaps every job of the
  session that ends, including jobs that other code of the program submitted
  with :meth:`~drmaa.Session.runJob`: their results are kept, and that code
  finds them with :meth:`~drmaa.Session.wait` (and
  :meth:`~drmaa.Session.jobStatus` reports them ``done`` or ``failed``) as if
  nothing had happened. While that thread runs, a plain blocking ``wait``
  makes no library wait of its own: it sleeps until the thread keeps its
  job, so the scheduler is asked no more and no job is reaped by two calls
  at once.
- Rounds (slurm-drmaa, whose every wait for any job asks the controller
  about every job of the session and then reaps one): once per check
  interval the thread calls ``wait(jobId, TIMEOUT_NO_WAIT)`` for each of the
  executor's own pending jobs, one request per job, the cost of a
  ``jobStatus`` polling loop. It reaps no other job, and plain waits make
  their own library calls, as in drmaa-python 0.7.9.

Either way, when plain ``wait`` reaps a job of an executor, the job's future
gets the result.
"""

from __future__ import annotations

import concurrent.futures
import copy
import logging
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, as_completed, wait
from types import TracebackType
from typing import Any, Callable, Optional

from drmaa import _reaped, _waiting
from drmaa.const import JOB_IDS_SESSION_ANY, TIMEOUT_NO_WAIT, JobControlAction
from drmaa.errors import (
    DrmaaException,
    ExitTimeoutException,
    HoldInconsistentStateException,
    InvalidJobException,
    NoActiveSessionException,
    NoResourceUsageException,
    ReleaseInconsistentStateException,
    ResumeInconsistentStateException,
    SuspendInconsistentStateException,
)
from drmaa.session import JobInfo, JobTemplate, Session

__all__ = [
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "JobExecutor",
    "JobFuture",
    "as_completed",
    "wait",
]

_log = logging.getLogger(__name__)

#: What ``control(TERMINATE)`` raises for a job that has ended already (or was reaped).
_ALREADY_OVER = (
    InvalidJobException,
    HoldInconsistentStateException,
    ReleaseInconsistentStateException,
    ResumeInconsistentStateException,
    SuspendInconsistentStateException,
)


#: How many of its resolved jobs an executor remembers as its own. A job is
#: reaped twice only by two waits at the same moment (slurm-drmaa allows it);
#: the second outcome, moments later, is recognised as taken, not handed to a
#: plain wait for any job.
_REMEMBERED = 4096


def _waits_poll_each_job(session: Session) -> bool:
    """True if the library answers a wait for any job by asking the DRM about each job of the session.

    slurm-drmaa does (one ``slurm_load_job`` per job before it reaps one),
    so reaping N jobs that end together with ``wait(JOB_IDS_SESSION_ANY)``
    costs about N*N requests, and a job whose turn comes later than
    slurmctld's ``MinJobAge`` is purged, after which the library invents its
    result. Grid Engine's library learns of ended jobs from qmaster's events.
    """
    try:
        said = f"{session.drmaaImplementation} {session.drmsInfo}"
    except DrmaaException:
        return False
    return "slurm" in said.lower()


def _info(outcome: Any) -> JobInfo:
    info: JobInfo = outcome.jobInfo if isinstance(outcome, NoResourceUsageException) else outcome
    return info


class JobFuture(concurrent.futures.Future[JobInfo]):
    """The outcome of one job: a :class:`concurrent.futures.Future` whose result is the job's :class:`~drmaa.JobInfo`.

    Made by :class:`JobExecutor`, never directly. It works with
    :func:`concurrent.futures.wait` and :func:`concurrent.futures.as_completed`
    (re-exported here as :func:`wait` and :func:`as_completed`), and it can
    be awaited in a coroutine (see :mod:`drmaa.aio`).

    ``result()`` returns the :class:`~drmaa.JobInfo` of a job that ran,
    whatever its exit status, and raises what :meth:`Session.wait
    <drmaa.Session.wait>` would have raised otherwise:
    :exc:`~drmaa.NoResourceUsageException` (code 24, with ``.jobInfo``) for
    a job that ended before it ran, or the DRMAA exception that ended the
    watching (the DRM went away, the session was exited).

    ``running()`` is always False: the executor does not ask the DRM for
    job states (use :meth:`Session.jobStatus <drmaa.Session.jobStatus>` with
    :attr:`jobId` for that).
    """

    def __init__(self, executor: JobExecutor, jobId: str) -> None:
        super().__init__()
        #: The job's id, as :meth:`Session.runJob <drmaa.Session.runJob>` returned it.
        self.jobId = jobId
        self._executor = executor
        self._cancelling = False
        self._settle_lock = threading.Lock()
        self._notified = False

    def __repr__(self) -> str:
        name = type(self).__name__
        return super().__repr__().replace(f"<{name} ", f"<{name} jobId={self.jobId!r} ", 1)

    def cancel(self) -> bool:
        """Terminate the job on the cluster and cancel the future.

        :returns: True if the future is cancelled (now or before); False if
            the job had ended already (its result stays available).
        :raises DrmaaException: if the DRM could not be asked to terminate
            the job (it cannot be reached, say); the future is unchanged.

        Wraps ``drmaa_control(DRMAA_CONTROL_TERMINATE)``. The terminated job
        is still reaped in the background, and its result dropped.
        """
        if self.done():
            return self.cancelled()
        self._cancelling = True
        try:
            self._executor._session.control(self.jobId, JobControlAction.TERMINATE)
        except _ALREADY_OVER:
            self._cancelling = False
            return self.cancelled()
        except BaseException:
            self._cancelling = False
            raise
        return self._settle_cancelled()

    def _settle_cancelled(self) -> bool:
        """Mark the future cancelled and wake :func:`wait`/:func:`as_completed`; False if it had finished."""
        with self._settle_lock:
            if not super().cancel():
                return False
            if not self._notified:
                self._notified = True
                self.set_running_or_notify_cancel()
        return True

    def _resolve(self, outcome: Any) -> None:
        """Complete the future with what the DRM said of its job."""
        if self._cancelling and _info(outcome).wasAborted:
            self._settle_cancelled()
            return
        try:
            if isinstance(outcome, BaseException):
                self.set_exception(copy.copy(outcome))
            else:
                self.set_result(outcome)
        except concurrent.futures.InvalidStateError:  # cancelled meanwhile: the result is dropped
            pass

    def _fail(self, exc: BaseException) -> None:
        try:
            self.set_exception(copy.copy(exc))  # one exception object per future: tracebacks do not pile up
        except concurrent.futures.InvalidStateError:
            pass

    def __await__(self) -> Generator[Any, None, JobInfo]:
        from drmaa.aio import wrap_future  # asyncio is loaded only by programs that use it

        return wrap_future(self).__await__()


def _seconds(name: str, value: float, least: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= least:
        raise ValueError(f"{name}: expected seconds >= {least}, got {value!r}")
    return float(value)


class JobExecutor:
    """Submits jobs and returns a :class:`JobFuture` for each; one background thread learns when they end.

    Use it inside an initialized session, and shut it down before the
    session exits, best with ``with``::

        with drmaa.Session() as s, JobExecutor(s) as executor:
            futures = [executor.submit(jt) for jt in templates]
            for future in as_completed(futures):
                print(future.jobId, future.result().exitStatus)

    :param session: the :class:`~drmaa.Session` to use (its methods are
        called; the executor never initializes nor exits it). ``None``: the
        process's session, through the class.
    :param check_interval: (at least 0.01) after this many seconds without any job ending,
        the watching thread asks the DRM about one job (one
        :meth:`~drmaa.Session.jobStatus`) to learn whether it can still be
        reached; also the longest single wait of that thread. On a library
        whose waits ask the DRM about each job (slurm-drmaa), the time
        between two rounds of ``wait(jobId, TIMEOUT_NO_WAIT)`` over the
        executor's pending jobs: one request per job per interval, and a job
        that ends is reaped within about one interval.
    :param outage_grace: how long the DRM may stay unreachable before every
        pending future fails with the DRMAA exception that says so. 0 (the
        default) fails them at the first failed check, as a plain call
        would raise; set it to ride out a scheduler restart.

    Leaving the ``with`` block normally waits until every job has ended
    (``shutdown(wait=True)``); leaving it with an exception (Ctrl-C
    included) terminates the jobs that are left and waits until they are
    reaped (``shutdown(wait=True, cancel_futures=True)``).

    All methods may be called from any thread.
    """

    def __init__(
        self,
        session: Optional[Session] = None,
        *,
        check_interval: float = 5.0,
        outage_grace: float = 0.0,
    ) -> None:
        self._session = session if session is not None else Session()
        self._check_interval = _seconds("check_interval", check_interval, 0.01)
        self._outage_grace = _seconds("outage_grace", outage_grace, 0)
        # Held while submitting and registering a job, and while looking one up:
        # whoever reaps a job of ours finds it registered (see _claim).
        self._lock = threading.Lock()
        self._emptied = threading.Condition(self._lock)  # _pending became empty
        self._pending: dict[str, JobFuture] = {}  # jobs not reaped yet, cancelled ones included
        self._outcomes_had: dict[str, None] = {}  # the last _REMEMBERED jobs of ours resolved, in this session
        self._outcomes_session = _waiting.generation()
        self._rounds: Optional[bool] = None  # how the thread watches (module docstring); known at its first start
        self._thread: Optional[threading.Thread] = None
        self._shutdown = False
        self._turn = 0
        self._missing: dict[str, float] = {}  # pending jobs the library did not know, since when
        _reaped.add_owner(self._claim)

    # --- submitting ----------------------------------------------------------------

    def submit(self, jobTemplate: JobTemplate) -> JobFuture:
        """Submit one job (:meth:`Session.runJob <drmaa.Session.runJob>`) and return its future.

        :raises RuntimeError: after :meth:`shutdown`.
        :raises DrmaaException: what ``runJob`` raises; no future is made.
        """
        return self._register(lambda: [self._session.runJob(jobTemplate)])[0]

    def submit_bulk(self, jobTemplate: JobTemplate, beginIndex: int, endIndex: int, step: int = 1) -> list[JobFuture]:
        """Submit an array job (:meth:`Session.runBulkJobs <drmaa.Session.runBulkJobs>`); one future per task.

        :raises RuntimeError: after :meth:`shutdown`.
        :raises DrmaaException: what ``runBulkJobs`` raises; no future is made.
        """
        return self._register(lambda: self._session.runBulkJobs(jobTemplate, beginIndex, endIndex, step))

    def watch(self, jobId: str) -> JobFuture:
        """Return a future for a job that this session submitted some other way (plain ``runJob``).

        If the job's result is gone already (disposed of by
        ``synchronize(..., dispose=True)``, say, or the job is not of this
        session), the future fails with :exc:`~drmaa.InvalidJobException`.

        :raises RuntimeError: after :meth:`shutdown`.
        """
        if not isinstance(jobId, str):
            raise TypeError(f"jobId: expected str, got {type(jobId).__name__}")
        with self._lock:
            known = self._pending.get(jobId)
        if known is not None:  # watched already: one future per job
            return known
        (future,) = self._register(lambda: [jobId])
        kept = _waiting.take(jobId)  # reaped before it was registered
        if kept is not None:
            self._claim(jobId, kept)
        return future

    def _register(self, submit: Callable[[], Sequence[str]]) -> list[JobFuture]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit jobs after shutdown")
            futures = [JobFuture(self, job_id) for job_id in submit()]
            for future in futures:
                self._pending[future.jobId] = future
            if futures and self._thread is None:
                if self._rounds is None:
                    self._rounds = _waits_poll_each_job(self._session)
                self._thread = threading.Thread(target=self._watch, name="drmaa.futures watcher", daemon=True)
                if not self._rounds:
                    _waiting.relay_begin()  # before it starts: a plain wait from now on relies on it
                self._thread.start()
        return futures

    # --- shutting down ---------------------------------------------------------------

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Submit no more jobs; optionally terminate those left; optionally wait until every job is reaped.

        :param wait: wait until every future is done and every job of this
            executor (cancelled ones too) has been reaped. False returns at
            once; the background thread goes on until the jobs are reaped
            (it does not keep the interpreter from exiting: jobs still
            running then are left to the cluster, as a plain program leaves
            them).
        :param cancel_futures: first :meth:`~JobFuture.cancel` every pending
            future, which terminates its job.
        :raises DrmaaException: the first error met terminating a job (after
            the others were tried, and after waiting).
        :raises RuntimeError: for ``wait=True`` in a done-callback run by the
            executor's thread, which would wait for itself.
        """
        with self._lock:
            if wait and threading.current_thread() is self._thread:
                raise RuntimeError("shutdown(wait=True) in a done-callback would wait for itself")
            self._shutdown = True
            futures = list(self._pending.values())
        errors: list[DrmaaException] = []
        if cancel_futures:
            for future in futures:
                try:
                    future.cancel()
                except DrmaaException as exc:
                    errors.append(exc)
        if wait:
            concurrent.futures.wait(futures)
            with self._lock:
                thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        if errors:
            raise errors[0]

    def __enter__(self) -> JobExecutor:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc_type is None:
            self.shutdown(wait=True)
            return
        try:
            self.shutdown(wait=True, cancel_futures=True)
        except Exception:  # noqa: BLE001 - never mask the exception of the with-body
            _log.exception("terminating the jobs left while leaving on %s", exc_type.__name__)

    # --- watching ----------------------------------------------------------------------

    def _take(self, job_id: str) -> Optional[JobFuture]:
        """Remove a job from the pending ones; the caller holds ``_lock``."""
        future = self._pending.pop(job_id, None)
        self._missing.pop(job_id, None)
        if future is not None and not self._pending:
            self._emptied.notify_all()
        return future

    def _claim(self, job_id: str, outcome: Any) -> bool:
        """The owner hook of :mod:`drmaa._reaped`: take the outcome of a job of ours.

        True also for a job of ours reaped already (reaped by two callers at
        once, as slurm-drmaa allows): it is never anybody else's.
        """
        with self._lock:
            future = self._take(job_id)
            session = _waiting.generation()
            if session != self._outcomes_session:  # ids of an ended session may come back
                self._outcomes_had.clear()
                self._outcomes_session = session
            ours = future is not None or job_id in self._outcomes_had
            if future is not None:
                self._outcomes_had[job_id] = None
                if len(self._outcomes_had) > _REMEMBERED:  # the oldest goes: memory stays bounded
                    del self._outcomes_had[next(iter(self._outcomes_had))]
        if future is not None:
            future._resolve(outcome)  # outside the lock: done-callbacks run here
        return ours

    def _fail_all(self, exc: BaseException) -> None:
        with self._lock:
            futures = list(self._pending.values())
            self._pending.clear()
            self._missing.clear()
            self._emptied.notify_all()
        if futures:
            _log.error("%d pending job futures fail: %s: %s", len(futures), type(exc).__name__, exc)
        for future in futures:
            future._fail(exc)

    def _watch(self) -> None:
        """The background thread: it reaps every job of the session for everyone, or ours in rounds."""
        if self._rounds:
            self._poll()
            return
        try:
            with _waiting.reaping_only():
                self._relay()
        finally:
            _waiting.relay_end()

    def _poll(self) -> None:
        """A round of ``wait(jobId, TIMEOUT_NO_WAIT)`` over our pending jobs per check interval, until none is left."""
        trouble_since: Optional[float] = None
        while True:
            started = time.monotonic()
            with self._lock:
                job_ids = list(self._pending)
                if not job_ids:
                    self._thread = None
                    return
            trouble_since = self._round(job_ids, trouble_since)
            with self._emptied:
                self._emptied.wait_for(lambda: not self._pending, started + self._check_interval - time.monotonic())

    def _round(self, job_ids: list[str], trouble_since: Optional[float]) -> Optional[float]:
        """Reap each of *job_ids* that has ended; return when trouble began, or None."""
        for job_id in job_ids:
            with self._lock:
                if job_id not in self._pending:  # reaped by a plain wait meanwhile
                    continue
            try:
                self._reap_own(job_id)
            except NoActiveSessionException as exc:
                self._fail_all(exc)
                return None
            except DrmaaException as exc:  # the DRM cannot be reached: the round ends here
                return self._trouble(exc, trouble_since)
            except BaseException as exc:  # noqa: BLE001 - a defect: fail the futures rather than hang them
                self._fail_all(exc)
                return None
        return None

    def _reap_own(self, job_id: str) -> None:
        """One ``wait(jobId, TIMEOUT_NO_WAIT)``: one request to the DRM; the future gets what it reaps."""
        try:
            outcome: Any = self._session.wait(job_id, TIMEOUT_NO_WAIT)
        except NoResourceUsageException as exc:
            outcome = exc
        except ExitTimeoutException:
            return
        except InvalidJobException as exc:  # reaped elsewhere, or not of this session
            self._gone(job_id, exc)
            return
        self._claim(job_id, outcome)  # Session.wait handed it over already; the future is settled once

    def _relay(self) -> None:
        """One wait for any job of the session at a time, until none of ours is left."""
        trouble_since: Optional[float] = None
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return
            try:
                trouble_since = self._reap_one(trouble_since)
            finally:
                _waiting.round_done()

    def _reap_one(self, trouble_since: Optional[float]) -> Optional[float]:
        """Wait once for any job; hand it to its owner or keep it; return when trouble began, or None."""
        try:
            outcome: Any = self._session.wait(JOB_IDS_SESSION_ANY, self._check_interval)
        except NoResourceUsageException as exc:  # a job that never ran: as plain wait reports it
            outcome = exc
        except ExitTimeoutException:
            return self._check(trouble_since)
        except InvalidJobException:  # the session has no job left to reap, yet some of ours are pending
            self._sweep()
            return trouble_since
        except NoActiveSessionException as exc:
            self._fail_all(exc)
            return None
        except DrmaaException as exc:
            return self._trouble(exc, trouble_since)
        except BaseException as exc:  # noqa: BLE001 - a defect: fail the futures rather than hang them
            self._fail_all(exc)
            return None
        job_id = _info(outcome).jobId
        if _reaped.hand_over(job_id, outcome):
            _waiting.keep_if_awaited(job_id, outcome)  # a plain wait for an executor's job gets it too
        else:
            _waiting.keep(job_id, outcome)  # not ours: kept for the code that submitted it
        return None

    def _check(self, trouble_since: Optional[float]) -> Optional[float]:
        """Ask the DRM about one pending job (in turn); return when trouble began, or None."""
        with self._lock:
            job_ids = list(self._pending)
            if not job_ids:
                return None
            missing = [job_id for job_id in self._missing if job_id in self._pending]
            if missing:  # confirm first that a job found missing is gone
                job_id = missing[0]
            else:
                job_id = job_ids[self._turn % len(job_ids)]
                self._turn += 1
        try:
            self._session.jobStatus(job_id)
        except InvalidJobException:
            self._collect(job_id)
        except NoActiveSessionException as exc:
            self._fail_all(exc)
        except DrmaaException as exc:
            return self._trouble(exc, trouble_since)
        return None

    def _trouble(self, exc: DrmaaException, since: Optional[float]) -> Optional[float]:
        """The DRM did not answer: fail everything once it has not for :attr:`_outage_grace` seconds."""
        now = time.monotonic()
        since = now if since is None else since
        if now - since >= self._outage_grace:
            self._fail_all(exc)
            return None
        _log.warning("the DRM cannot be reached (%s); trying again", exc)
        time.sleep(min(1.0, self._check_interval))  # the library may fail at once: do not spin
        return since

    def _collect(self, job_id: str) -> bool:
        """Reap one job of ours without waiting; fail its future if this session cannot. False if it runs on."""
        try:
            with _waiting.reaping_only():
                outcome: Any = self._session.wait(job_id, TIMEOUT_NO_WAIT)
        except NoResourceUsageException as exc:
            outcome = exc
        except ExitTimeoutException:
            return False
        except DrmaaException as exc:  # InvalidJobException: reaped elsewhere, or not of this session
            return self._gone(job_id, exc)
        if not self._claim(job_id, outcome):
            _waiting.keep(job_id, outcome)
        return True

    def _gone(self, job_id: str, exc: DrmaaException) -> bool:
        """The library does not know a pending job of ours: fail its future once that holds a while.

        Another caller that reaped the job hands it over just after its
        library call: only a job still missing a while later is gone. False
        if it is given that while.
        """
        now = time.monotonic()
        with self._lock:
            since = self._missing.setdefault(job_id, now)
            if now - since < min(1.0, self._check_interval):
                return False
            future = self._take(job_id)
        if future is not None:
            future._fail(exc)
        return True

    def _sweep(self) -> None:
        """``wait(ANY)`` found no job in the session: settle each pending one of ours that is gone."""
        with self._lock:
            job_ids = list(self._pending)
        settled = [self._collect(job_id) for job_id in job_ids]
        if not any(settled):
            time.sleep(min(1.0, self._check_interval))
