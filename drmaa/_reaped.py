"""Owners of jobs: a job reaped by one waiter is handed to the executor that submitted it.

A ``wait(JOB_IDS_SESSION_ANY)`` reaps whichever job of the session ends
first, whoever submitted it. A job of a :class:`drmaa.futures.JobExecutor`
that a plain :meth:`drmaa.Session.wait` reaps is handed here to its
executor; a job the executor's watcher reaps for other code is kept by
:mod:`drmaa._waiting` (one store of reaped results for the whole package),
where the next wait for it finds it. No C calls and no public names here.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from typing import Any, Callable

from drmaa import _waiting
from drmaa.const import JOB_IDS_SESSION_ANY, TIMEOUT_WAIT_FOREVER
from drmaa.errors import NoResourceUsageException
from drmaa.helpers import check_timeout

#: A JobInfo, or the NoResourceUsageException (with ``.jobInfo``) of a job that never ran.
Outcome = Any
#: Called with a job id and its outcome; returns True if it owns the job (and now has its outcome).
Owner = Callable[[str, Outcome], bool]

_lock = threading.Lock()
_owners: list[weakref.WeakMethod[Owner]] = []


def add_owner(owner: Owner) -> None:
    """Register a bound method that claims the outcomes of its own jobs (held weakly)."""
    with _lock:
        _owners[:] = [ref for ref in _owners if ref() is not None]  # executors that were garbage collected
        _owners.append(weakref.WeakMethod(owner))


def hand_over(job_id: str, outcome: Outcome) -> bool:
    """Give *outcome* to the owner of *job_id*; False if no owner claims it."""
    if not _owners:  # no executor was ever made: the common case costs no lock
        return False
    with _lock:
        owners = [ref() for ref in _owners]
    return any(owner is not None and owner(job_id, outcome) for owner in owners)


def job_id(outcome: Outcome) -> str:
    """The id of the job *outcome* tells of."""
    info = outcome.jobInfo if isinstance(outcome, NoResourceUsageException) else outcome
    found: str = info.jobId
    return found


def wait(
    job: bytes, timeout: Any, attempt: Callable[[int], Any], check: Callable[[], object], answers_locally: bool = False
) -> Any:
    """``Session.wait``: :func:`drmaa._waiting.wait`, then the job goes to its owner, if any.

    A job of an executor reaped here is handed to it; for
    ``JOB_IDS_SESSION_ANY`` the wait then goes on (with what is left of
    *timeout*) for a job nobody owns.
    """
    if _waiting.reaping():  # the executor's own wait: it hands out what it reaps itself
        return _waiting.wait(job, timeout, attempt, check, answers_locally)
    if not _owners or job != JOB_IDS_SESSION_ANY:
        try:
            info = _waiting.wait(job, timeout, attempt, check, answers_locally)
        except NoResourceUsageException as exc:
            if exc.jobInfo is not None:
                hand_over(job_id(exc), exc)
            raise
        hand_over(job_id(info), info)
        return info
    seconds = check_timeout(timeout)
    deadline = time.monotonic() + seconds
    while True:
        left = TIMEOUT_WAIT_FOREVER if seconds == math.inf else max(0.0, deadline - time.monotonic())
        try:
            outcome: Outcome = _waiting.wait(job, left, attempt, check, answers_locally)
        except NoResourceUsageException as exc:
            if exc.jobInfo is None:
                raise
            outcome = exc
        if hand_over(job_id(outcome), outcome):
            continue  # its owner has it now; "any job" means any job nobody else is waiting for
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
