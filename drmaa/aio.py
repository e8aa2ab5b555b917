"""asyncio for job futures: await a :class:`~drmaa.futures.JobFuture`, and choose what cancelling the await does.

A :class:`~drmaa.futures.JobFuture` can be awaited as it is (``await
future``); :func:`wrap_future` gives an :class:`asyncio.Future` for it, and
with ``terminate=True``, cancelling that (or the task awaiting it)
terminates the job too. ``asyncio.as_completed``, ``asyncio.wait`` and
``asyncio.gather`` take either. Nothing in the package imports this module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Optional

from drmaa.futures import JobFuture
from drmaa.session import JobInfo

__all__ = ["wrap_future"]

_log = logging.getLogger(__name__)


def wrap_future(
    future: JobFuture, *, terminate: bool = False, loop: Optional[asyncio.AbstractEventLoop] = None
) -> asyncio.Future[JobInfo]:
    """Return an :class:`asyncio.Future` that completes as *future* does, in *loop*.

    :param future: the job's future, from :class:`~drmaa.futures.JobExecutor`.
    :param terminate: if True, cancelling the returned future (for example
        by cancelling the task that awaits it) terminates the job, through
        :meth:`JobFuture.cancel <drmaa.futures.JobFuture.cancel>` run in the
        loop's default executor. If False (the default, and what ``await
        future`` does), the job runs on and *future* stays pending.
    :param loop: the event loop; by default the running one.
    """
    if loop is None:
        loop = asyncio.get_running_loop()
    waiter: asyncio.Future[JobInfo] = loop.create_future()

    def copy_state(done: concurrent.futures.Future[JobInfo]) -> None:  # in the loop's thread
        if waiter.done():
            return
        if done.cancelled():
            waiter.cancel()
            return
        error = done.exception()
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(done.result())

    def job_done(done: concurrent.futures.Future[JobInfo]) -> None:  # in whichever thread completed the job's future
        try:
            loop.call_soon_threadsafe(copy_state, done)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def waiter_done(done: asyncio.Future[JobInfo]) -> None:
        if done.cancelled() and terminate and not future.done():
            loop.run_in_executor(None, future.cancel).add_done_callback(_report)

    future.add_done_callback(job_done)
    waiter.add_done_callback(waiter_done)
    return waiter


def _report(terminated: asyncio.Future[bool]) -> None:
    if not terminated.cancelled() and terminated.exception() is not None:
        _log.error("could not terminate a job after its await was cancelled: %s", terminated.exception())
