"""Results of jobs reaped by one waiter on behalf of another, so that no caller of ``Session.wait`` loses a job.

A ``wait(JOB_IDS_SESSION_ANY)`` reaps whichever job of the session ends
first, whoever submitted it. The futures layer (:mod:`drmaa.futures`) learns
of finished jobs that way; a job it did not submit is kept here until the
code that did asks :meth:`drmaa.Session.wait` (or ``jobStatus``) for it, and a
job of the futures layer that plain ``wait`` reaps is handed to its owner.
No C calls and no public names here.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional

from drmaa.const import JOB_IDS_SESSION_ALL, JOB_IDS_SESSION_ANY, TIMEOUT_WAIT_FOREVER, JobState
from drmaa.errors import ExitTimeoutException, InvalidJobException, NoResourceUsageException
from drmaa.helpers import check_timeout, to_str

#: A JobInfo, or the NoResourceUsageException (with ``.jobInfo``) of a job that never ran.
Outcome = Any
#: Called with a job id and its outcome; returns True if it owns the job (and now has its outcome).
Owner = Callable[[str, Outcome], bool]

_lock = threading.Lock()
_kept: dict[str, Outcome] = {}  # insertion order: wait(ANY) gets the oldest first
_owners: list[weakref.WeakMethod[Owner]] = []
_local = threading.local()

#: While an owner exists, the longest single library wait of a plain ``wait``:
#: between two, it looks for an outcome another waiter kept for it meanwhile.
LOOK_AGAIN = 1.0


def add_owner(owner: Owner) -> None:
    """Register a bound method that claims the outcomes of its own jobs (held weakly)."""
    with _lock:
        _owners[:] = [ref for ref in _owners if ref() is not None]  # executors that were garbage collected
        _owners.append(weakref.WeakMethod(owner))


@contextmanager
def dispatching() -> Iterator[None]:
    """In this block, ``Session.wait`` in this thread only reaps: the caller hands out what it gets itself."""
    _local.dispatching = True
    try:
        yield
    finally:
        _local.dispatching = False


def hand_over(job_id: str, outcome: Outcome) -> bool:
    """Give *outcome* to the owner of *job_id*; False if no owner claims it."""
    if not _owners:  # no executor was ever made: the common case costs no lock
        return False
    with _lock:
        owners = [ref() for ref in _owners]
    return any(owner is not None and owner(job_id, outcome) for owner in owners)


def keep(job_id: str, outcome: Outcome) -> None:
    """Keep the outcome of a job nobody owns, for a later ``Session.wait``."""
    with _lock:
        _kept[job_id] = outcome


def take(job: bytes) -> Optional[Outcome]:
    """Remove and return the kept outcome of *job* (the oldest one for ``JOB_IDS_SESSION_ANY``)."""
    if not _kept:  # nothing kept (the common case): no lock
        return None
    with _lock:
        if not _kept:
            return None
        if job == JOB_IDS_SESSION_ANY:
            return _kept.pop(next(iter(_kept)))
        return _kept.pop(to_str(job), None)


def state(job: bytes) -> Optional[str]:
    """The final state of a kept job, as ``jobStatus`` would have said before it was reaped."""
    with _lock:
        outcome = _kept.get(to_str(job))
    if outcome is None:
        return None
    info = outcome.jobInfo if isinstance(outcome, NoResourceUsageException) else outcome
    return JobState.FAILED if info.wasAborted else JobState.DONE


def discard(jobs: Iterable[bytes]) -> None:
    """Forget kept outcomes (``synchronize(..., dispose=True)`` reaps them)."""
    with _lock:
        for job in jobs:
            if job == JOB_IDS_SESSION_ALL:
                _kept.clear()
                return
            _kept.pop(to_str(job), None)


def _give(outcome: Outcome) -> Any:
    if isinstance(outcome, BaseException):
        raise outcome.with_traceback(None)
    return outcome


def _job_id(outcome: Outcome) -> str:
    info = outcome.jobInfo if isinstance(outcome, NoResourceUsageException) else outcome
    job_id: str = info.jobId
    return job_id


def wait(job: bytes, timeout: Any, reap: Callable[[bytes, float], Any]) -> Any:
    """``Session.wait``: *reap* (the library's wait) plus the kept outcomes and the owners.

    A kept outcome of *job* is returned first. A job reaped here that an
    owner claims is handed to it; for ``JOB_IDS_SESSION_ANY`` the wait then
    goes on (with what is left of *timeout*) for a job nobody owns. While
    an owner exists, the library is asked in waits of at most
    :data:`LOOK_AGAIN` seconds, and the kept outcomes are looked at between
    them: another waiter may reap this caller's job meanwhile.
    """
    if getattr(_local, "dispatching", False):
        return reap(job, timeout)
    seconds = check_timeout(timeout)
    deadline = time.monotonic() + seconds
    while True:
        kept = take(job)
        if kept is not None:
            return _give(kept)
        left = math.inf if seconds == math.inf else max(0.0, deadline - time.monotonic())
        shared = any(ref() is not None for ref in _owners)
        if shared:
            left = min(left, LOOK_AGAIN)
        try:
            outcome: Outcome = reap(job, TIMEOUT_WAIT_FOREVER if left == math.inf else left)
        except ExitTimeoutException:
            if shared and deadline > time.monotonic():
                continue
            raise
        except NoResourceUsageException as exc:
            outcome = exc
        except InvalidJobException:
            kept = take(job)  # reaped meanwhile by another waiter, which kept it here
            if kept is not None:
                return _give(kept)
            raise
        if hand_over(_job_id(outcome), outcome) and job == JOB_IDS_SESSION_ANY:
            continue  # its owner has it now; "any job" means any job nobody else is waiting for
        return _give(outcome)
