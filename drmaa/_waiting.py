"""Blocking waits (``drmaa_wait``, ``drmaa_synchronize``) that answer Ctrl-C and never lose a reaped job.

Which thread makes the C call, and what happens to its result when the
caller was interrupted, is decided here; the C calls themselves and the
:class:`~drmaa.JobInfo` they produce are made by :mod:`drmaa.session`.

How it works. A blocking C call cannot be interrupted, and Python runs its
signal handlers only in the main thread, between bytecodes. So:

- In any thread but the main one, and in the main thread when SIGINT has no
  Python handler, the C function is called in the caller's thread with the
  caller's whole timeout, exactly as drmaa-python 0.7.9 calls it: the DRM is
  asked exactly as often as it was asked then.
- Otherwise the same single call runs in a worker thread, and the main
  thread sleeps on an event, where Ctrl-C raises :exc:`KeyboardInterrupt` at
  once. The worker goes on: a job it reaps afterwards is *kept*. On a
  library that answers waits without asking the DRM (Grid Engine's), a
  main thread that is the program's only thread first tries
  ``TIMEOUT_NO_WAIT`` itself, SIGINT held back, so reaping a job that has
  ended costs no thread handoff.
- A kept result is handed out once: to the next ``wait`` for that job or for
  ``JOB_IDS_SESSION_ANY``, which return it before asking the library. A
  ``wait`` or ``synchronize`` with the same arguments as a call still in
  flight joins that call instead of making a second one; one that may reap
  the same jobs as an interrupted call waits until that call has ended
  (Grid Engine's library can block both for good otherwise).
- ``synchronize(..., dispose=True)`` drops the kept results of its jobs, as
  it disposes of them in the library; ``Session.exit()`` drops all of them
  (:func:`forget`).

Relaying. While a thread reaps every job of the session on behalf of the
others (the watcher of a :class:`drmaa.futures.JobExecutor`, inside
:func:`relay_begin`), it is the only caller of the library's wait: it
:func:`keeps <keep>` what it reaps for others, and a blocking ``wait`` in any
other thread makes no C wait but sleeps until the result it asks for is
kept (after one ``drmaa_job_ps()`` that tells an unknown job at once).
So the scheduler is asked no more than by the watcher alone, two calls
never reap one job at once, and a result the watcher reaps wakes its
waiter at once. When the last relay ends, the waiters left make their own
C calls.
"""

from __future__ import annotations

import importlib
import math
import os
import queue
import signal
import threading
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional, Protocol, TypeVar

from drmaa import helpers
from drmaa.const import JOB_IDS_SESSION_ALL, JOB_IDS_SESSION_ANY, TIMEOUT_NO_WAIT, TIMEOUT_WAIT_FOREVER, JobState
from drmaa.errors import ExitTimeoutException, InvalidJobException, NoResourceUsageException

__all__ = [
    "final_state",
    "forget",
    "generation",
    "keep",
    "keep_if_awaited",
    "kept_jobs",
    "reaping",
    "reaping_only",
    "relay_begin",
    "relay_end",
    "round_done",
    "synchronize",
    "take",
    "wait",
]

#: drmaa.h: DRMAA_ERRNO_NO_ACTIVE_SESSION, DRMAA_ERRNO_EXIT_TIMEOUT.
_NO_ACTIVE_SESSION = 5
_EXIT_TIMEOUT = 23
#: The longest timeout handed to C in one call (``signed long`` seconds, kept
#: far from any overflow of "now + timeout" inside the library): 68 years.
_LONGEST_C_TIMEOUT = 2**31 - 1


class _Reaped(Protocol):
    @property
    def jobId(self) -> str: ...


R = TypeVar("R", bound=_Reaped)
T = TypeVar("T")

# A kept outcome: (True, the NoResourceUsageException to raise) or (False, the JobInfo to return).
_Outcome = tuple[bool, Any]
# Under which job id a reaped outcome is kept; None: the call reaps nothing to keep.
_Keep = Optional[Callable[[_Outcome], str]]


class _Call:
    """One blocking C call made by a worker thread, and how it ended."""

    __slots__ = ("done", "error", "orphaned", "reaped", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.reaped = False  # its job's outcome went to _kept
        self.orphaned = False  # the caller that started it was interrupted


class _State:
    """The process's waits in flight and kept results (one DRMAA session per process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)  # a result kept, a relay ended or went round, exit()
        self.running: dict[Hashable, _Call] = {}
        self.kept: dict[str, _Outcome] = {}  # job id -> outcome, oldest first
        self.generation = 0  # +1 at each Session.exit(): later results belong to no session
        self.tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.idle_workers = 0
        self.workers = 0  # worker threads alive, idle or not
        self.relays = 0  # relay_begin() calls not yet ended
        self.rounds = 0  # round_done() calls: each relay's C calls whose outcome is kept or handed out
        self.awaited: dict[str, int] = {}  # job id -> relayed waits for it
        self.copies: set[str] = set()  # kept only for those waits (the executor has the job too)


_local = threading.local()  # .reaping_only: this thread's waits go straight to the library


_state = _State()


def _after_fork_in_child() -> None:
    # The worker threads do not exist in a forked child, nor do their C calls.
    global _state
    _state = _State()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- worker threads ---------------------------------------------------------------

#: Idle worker threads kept for the next wait: handing a call to one costs
#: tens of microseconds, starting a thread several times that. The main
#: thread makes one call at a time, so one is enough.
_MAX_IDLE_WORKERS = 1


def _worker(task: Callable[[], None]) -> None:
    state = _state
    while True:
        task()
        with state.lock:
            if state.idle_workers >= _MAX_IDLE_WORKERS or state is not _state:
                state.workers -= 1
                return
            state.idle_workers += 1
        task = state.tasks.get()


def _submit(state: _State, task: Callable[[], None]) -> None:
    """Run *task* in an idle worker thread, or a new one; the caller holds ``state.lock``."""
    if state.idle_workers:
        state.idle_workers -= 1
        state.tasks.put(task)
        return
    # A daemon: a call left blocked by Ctrl-C must not keep the interpreter from exiting.
    threading.Thread(target=_worker, args=(task,), name="drmaa-wait", daemon=True).start()
    state.workers += 1


def _run(
    state: _State, key: Hashable, call: _Call, attempt: Callable[[int], Any], seconds: int, keep: _Keep, generation: int
) -> None:
    """Make the C call of *call*; keep the job it reaps (under ``keep(outcome)``) unless the session ended."""
    try:
        call.result = _attempt(state, attempt, seconds, generation)
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the call
        call.error = exc
    with state.lock:
        call.reaped = _keep_reaped(state, keep, call.result, call.error, generation)
        if state.running.get(key) is call:
            del state.running[key]
    call.done.set()


def _attempt(state: _State, attempt: Callable[[int], T], seconds: int, generation: int) -> T:
    """``attempt(seconds)``; a wait that Session.exit() ended raises NoActiveSessionException.

    Grid Engine and slurm-drmaa end a blocked wait with code 23, as if its
    time were up, when the session exits: the waiting thread is told the
    truth instead (and a timeout of TIMEOUT_WAIT_FOREVER never passes).
    """
    try:
        return attempt(seconds)
    except ExitTimeoutException as exc:
        if generation == state.generation and state is _state:
            raise
        raise helpers.make_error(_NO_ACTIVE_SESSION, b"the session was exited while waiting") from exc


def _start(state: _State, key: Hashable, attempt: Callable[[int], Any], seconds: int, keep: _Keep) -> _Call:
    """Start ``attempt(seconds)`` in a worker as the call of *key*; the caller holds ``state.lock``."""
    call = _Call()
    state.running[key] = call
    generation = state.generation  # the session the call belongs to
    _submit(state, lambda: _run(state, key, call, attempt, seconds, keep, generation))
    return call


_SIGINT = frozenset((signal.SIGINT,))
#: The C functions under the signal module: its pthread_sigmask() and
#: getsignal() also turn what they return into enums, which costs more
#: (1.5 µs for getsignal) than the system call.
_signals: Any
try:
    _signals = importlib.import_module("_signal")
except ImportError:  # pragma: no cover - not CPython
    _signals = signal


def _run_masked(state: _State, attempt: Callable[[int], T], keep: _Keep) -> tuple[bool, Optional[T]]:
    """Make a ``TIMEOUT_NO_WAIT`` call in this thread with SIGINT held back until what it reaped is kept.

    No worker and no :class:`_Call`: it returns at once. ``(True, None)``:
    the outcome is kept, to be taken; ``(False, result)``: nothing was kept.
    Its error is raised once SIGINT is let through.
    """
    generation = state.generation
    result: Optional[T] = None
    error: Optional[BaseException] = None
    kept = False
    old = _signals.pthread_sigmask(signal.SIG_BLOCK, _SIGINT)
    try:
        try:
            result = _attempt(state, attempt, TIMEOUT_NO_WAIT, generation)
        except BaseException as exc:  # noqa: BLE001 - raised below, once SIGINT is let through
            error = exc
        if keep is not None:
            with state.lock:
                kept = _keep_reaped(state, keep, result, error, generation)
    finally:
        _signals.pthread_sigmask(signal.SIG_SETMASK, old)
    if kept:
        return True, None
    if error is not None:
        raise error
    return False, result


def _keep_reaped(state: _State, keep: _Keep, result: Any, error: Optional[BaseException], generation: int) -> bool:
    """Keep what a finished wait reaped (under ``keep(outcome)``) unless its session ended; holding ``state.lock``."""
    outcome = None if keep is None else _reaped_outcome(result, error)
    if outcome is None or keep is None or generation != state.generation:
        return False
    state.kept[keep(outcome)] = outcome
    state.changed.notify_all()
    return True


def _reaped_outcome(result: Any, error: Optional[BaseException]) -> Optional[_Outcome]:
    """What a finished wait reaped: its JobInfo, its code-24 exception, or None (nothing reaped)."""
    if error is None:
        return (False, result)
    if isinstance(error, NoResourceUsageException) and error.jobInfo is not None:
        return (True, error)
    return None


# --- the common loop -----------------------------------------------------------------


def _c_timeout(remaining: float) -> int:
    """Seconds for one C call: the whole remaining time, never less (C takes whole seconds)."""
    if remaining == math.inf:
        return TIMEOUT_WAIT_FOREVER
    if remaining <= 0:
        return TIMEOUT_NO_WAIT
    return min(math.ceil(remaining), _LONGEST_C_TIMEOUT)


def _interruptible() -> bool:
    """True if a signal handler of Python may interrupt this thread (the main thread, SIGINT handled)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    return callable(_signals.getsignal(signal.SIGINT))


def _block(
    key: Hashable,
    attempt: Callable[[int], T],
    timeout: Any,
    take: Callable[[_State], Optional[_Outcome]],
    keep: _Keep,
    try_first: bool = False,
) -> T:
    """Make one C wait for *key* with the whole *timeout*, joining a call in flight, taking kept results first.

    With *try_first*, an interruptible caller that is the program's only
    thread (but for the workers) first asks with ``TIMEOUT_NO_WAIT`` in its
    own thread, and hands the blocking call to a worker only if the job has
    not ended yet.
    """
    seconds = helpers.check_timeout(timeout)
    deadline = time.monotonic() + seconds
    # Only while no thread of the program but this one and the workers runs: in
    # Grid Engine's library a runJob blocked on an unreachable qmaster holds up
    # even a TIMEOUT_NO_WAIT wait, which must not hold back Ctrl-C meanwhile.
    tried = not try_first or threading.active_count() > 1 + _state.workers
    while True:
        state = _state
        taken = take(state)
        if taken is not None:
            # Nothing between taking the outcome and handing it out may call a
            # function: Ctrl-C is raised only at calls and loops (see _take_kept).
            if taken[0]:
                raise taken[1]
            return taken[1]  # type: ignore[no-any-return]
        remaining = deadline - time.monotonic()
        c_seconds = _c_timeout(remaining)
        interruptible = _interruptible()
        with state.lock:
            # TIMEOUT_NO_WAIT asks the library now, even while an earlier call is in flight.
            call = None if seconds == 0 else state.running.get(key)
            blocker = None if call is not None or seconds == 0 else _orphan_in_the_way(state, key)
            own = call is None and blocker is None and interruptible
            if own and c_seconds != TIMEOUT_NO_WAIT and tried:
                call = _start(state, key, attempt, c_seconds, keep)
        if blocker is not None:
            # Two calls that may reap the same job at once can both block for
            # good inside Grid Engine's library: let the interrupted one end first.
            if not blocker.done.wait(None if remaining == math.inf else max(remaining, 0.0)):
                raise helpers.make_error(_EXIT_TIMEOUT, b"")
            continue
        if call is None:
            if not own:  # in this thread, as drmaa-python 0.7.9 does
                return _attempt(state, attempt, c_seconds, state.generation)
            # It returns at once: no worker, but no Ctrl-C either until what it reaps is kept.
            try:
                kept, result = _run_masked(state, attempt, keep)
            except ExitTimeoutException:
                if c_seconds == TIMEOUT_NO_WAIT:
                    raise
                tried = True  # the try before a worker waits: not ended yet
                continue
            if kept:
                continue  # take it (unless another thread just did)
            return result  # type: ignore[return-value]
        try:
            if own or remaining == math.inf:
                call.done.wait()  # the C call ends by itself, when its timeout passes at the latest
            elif not call.done.wait(max(remaining, 0.0)):
                # A call of an earlier, interrupted wait is still in flight and outlasts ours.
                raise helpers.make_error(_EXIT_TIMEOUT, b"")
        except BaseException:
            if own:  # Ctrl-C: the call goes on with no one waiting for it
                call.orphaned = True
            raise
        if call.reaped:
            continue  # its outcome is kept: take it (unless another thread just did)
        if call.error is not None:
            if not own and isinstance(call.error, ExitTimeoutException):
                continue  # the earlier call's time is up, not ours: make our own call
            raise call.error
        return call.result  # type: ignore[no-any-return]


def _jobs(key: Hashable) -> Optional[frozenset[bytes]]:
    """The job ids a call may reap or watch; None: any job of the session."""
    assert isinstance(key, tuple)
    if key[0] == "wait":
        return None if key[1] == JOB_IDS_SESSION_ANY else frozenset((key[1],))
    return None if JOB_IDS_SESSION_ALL in key[1] else frozenset(key[1])


def _orphan_in_the_way(state: _State, key: Hashable) -> Optional[_Call]:
    """An interrupted call still in flight that may touch a job of *key*; the caller holds ``state.lock``."""
    mine = _jobs(key)
    for other, call in state.running.items():
        theirs = _jobs(other)
        if call.orphaned and (mine is None or theirs is None or not mine.isdisjoint(theirs)):
            return call
    return None


def _take_kept(state: _State, job_id: Optional[str]) -> Optional[_Outcome]:
    """Remove and return the kept outcome of *job_id* (None: of any job), or None.

    Once the outcome is out of the table, no function is called before it
    is returned: a KeyboardInterrupt can only come before (nothing is
    taken) or is caught here and the outcome put back.
    """
    taken: Optional[_Outcome] = None
    name = ""
    try:
        with state.lock:
            if job_id is None:
                for name in state.kept:
                    if name in state.copies:  # an executor's job, kept only for a wait by its id
                        continue
                    taken = state.kept[name]
                    del state.kept[name]
                    break
            elif job_id in state.kept:
                name = job_id
                state.copies.discard(name)
                taken = state.kept[name]
                del state.kept[name]
        return taken
    except BaseException:
        if taken is not None:
            state.kept[name] = taken
        raise


# --- the API for drmaa.session ------------------------------------------------------------


def wait(
    job_id: bytes, timeout: Any, attempt: Callable[[int], R], check: Callable[[], object], answers_locally: bool = False
) -> R:
    """``Session.wait``: *attempt(seconds)* calls ``drmaa_wait`` once and returns the JobInfo.

    A kept result of the job (or of any job, for ``JOB_IDS_SESSION_ANY``)
    is returned, or its NoResourceUsageException raised, without calling C.
    While a thread relays (see :func:`relay_begin`), a wait with a timeout
    waits for it to keep the result instead; *check()* (``drmaa_job_ps``)
    raises InvalidJobException first for a job the library does not know.

    *answers_locally*: the library answers a ``TIMEOUT_NO_WAIT`` wait from
    what it knows already, without asking the DRM (Grid Engine's, from
    qmaster's events). A blocking wait in the main thread then tries that
    first, in its own thread: a job that has ended is reaped without the
    handoff to a worker thread.
    """
    if reaping():
        return _attempt(_state, attempt, _c_timeout(helpers.check_timeout(timeout)), _state.generation)
    wanted = None if job_id == JOB_IDS_SESSION_ANY else helpers.to_str(job_id)
    seconds = helpers.check_timeout(timeout)
    if seconds and _state.relays:
        deadline = time.monotonic() + seconds
        relayed = _relayed(_state, wanted, deadline, None if wanted is None else check)
        if relayed is not None:
            if relayed[0]:
                raise relayed[1]
            return relayed[1]  # type: ignore[no-any-return]
        # The last relay ended: ask the library for the time that is left.
        timeout = TIMEOUT_WAIT_FOREVER if seconds == math.inf else max(0.0, deadline - time.monotonic())

    def take(state: _State) -> Optional[_Outcome]:
        return _take_kept(state, wanted) if state.kept else None

    def keep(outcome: _Outcome) -> str:
        # The id asked for; for any job, the one reaped.
        if wanted is not None:
            return wanted
        info = outcome[1].jobInfo if outcome[0] else outcome[1]
        return str(info.jobId)

    return _block(("wait", job_id), attempt, timeout, take, keep, answers_locally)


def _relayed(
    state: _State, wanted: Optional[str], deadline: float, check: Optional[Callable[[], object]]
) -> Optional[_Outcome]:
    """Wait until a relay keeps the outcome of *wanted* (None: of any job); None once no thread relays."""
    with state.lock:
        generation = state.generation
        rounds = state.rounds
        if wanted is not None:
            state.awaited[wanted] = state.awaited.get(wanted, 0) + 1
    try:
        return _relayed_until(state, wanted, deadline, check, generation, rounds)
    finally:
        if wanted is not None:
            with state.lock:
                left = state.awaited.pop(wanted) - 1
                if left:
                    state.awaited[wanted] = left
                elif wanted in state.copies:  # nobody took the copy: its owner has the job
                    state.copies.discard(wanted)
                    state.kept.pop(wanted, None)


def _relayed_until(
    state: _State,
    wanted: Optional[str],
    deadline: float,
    check: Optional[Callable[[], object]],
    generation: int,
    rounds: int,
) -> Optional[_Outcome]:
    """The body of :func:`_relayed`, once the wait for *wanted* is known to the relay."""
    if check is not None:
        try:
            check()
        except InvalidJobException:
            # Unknown to the library, or reaped by the relay and about to be
            # kept: its C call ends and its outcome is kept before the round ends.
            with state.changed:
                state.changed.wait_for(
                    lambda: (
                        wanted in state.kept
                        or state.rounds != rounds
                        or not state.relays
                        or state.generation != generation
                    )
                )
                known = wanted in state.kept or not state.relays
            if not known:
                raise
    while True:
        taken = _take_kept(state, wanted) if state.kept else None
        if taken is not None:
            return taken
        with state.changed:
            if state.generation != generation:
                raise helpers.make_error(_NO_ACTIVE_SESSION, b"the session was exited while waiting")
            if not state.relays:
                return None
            if wanted in state.kept if wanted is not None else len(state.kept) > len(state.copies):
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise helpers.make_error(_EXIT_TIMEOUT, b"")
            state.changed.wait(None if remaining == math.inf else remaining)


def relay_begin() -> None:
    """A thread will reap every job for the others (see the module docstring); :func:`relay_end` when it stops.

    Called before that thread starts, so that a wait that follows relies on
    it. The relaying thread waits :func:`reaping_only`, :func:`keeps <keep>`
    what it reaps for others and calls :func:`round_done` after each wait.
    """
    state = _state
    with state.lock:
        state.relays += 1


def relay_end() -> None:
    """A thread of :func:`relay_begin` reaps no more: waits left for it make their own C calls."""
    state = _state
    with state.lock:
        state.relays -= 1
        state.changed.notify_all()


@contextmanager
def reaping_only() -> Iterator[None]:
    """In this block, ``Session.wait`` in this thread asks the library: no kept results, no relay, no worker."""
    before = getattr(_local, "reaping_only", False)
    _local.reaping_only = True
    try:
        yield
    finally:
        _local.reaping_only = before


def reaping() -> bool:
    """True inside :func:`reaping_only` in this thread."""
    return bool(getattr(_local, "reaping_only", False))


def round_done() -> None:
    """A relaying thread's wait has ended and what it reaped is kept or handed out."""
    state = _state
    with state.lock:
        state.rounds += 1
        state.changed.notify_all()


def _as_outcome(result: Any) -> _Outcome:
    return (isinstance(result, BaseException), result)


def keep(job_id: str, result: Any) -> None:
    """Keep a reaped job's JobInfo (or NoResourceUsageException) for the next wait for it."""
    state = _state
    with state.lock:
        state.kept[job_id] = _as_outcome(result)
        state.changed.notify_all()


def keep_if_awaited(job_id: str, result: Any) -> None:
    """Keep a result that a relaying thread handed to its owner too if a relayed wait asks for that job."""
    state = _state
    with state.lock:
        if job_id in state.awaited:
            state.kept[job_id] = _as_outcome(result)
            state.copies.add(job_id)
            state.changed.notify_all()


def take(job_id: str) -> Any:
    """Remove and return the kept JobInfo (or NoResourceUsageException) of *job_id*; None if none."""
    taken = _take_kept(_state, job_id) if _state.kept else None
    return None if taken is None else taken[1]


def final_state(job_id: bytes) -> Optional[str]:
    """``DONE`` or ``FAILED`` for a job whose result is kept; None if none is."""
    with _state.lock:
        outcome = _state.kept.get(helpers.to_str(job_id))
    if outcome is None:
        return None
    info = outcome[1].jobInfo if outcome[0] else outcome[1]
    return JobState.FAILED if info.wasAborted else JobState.DONE


def synchronize(job_ids: list[bytes], timeout: Any, dispose: bool, attempt: Callable[[int], None]) -> None:
    """``Session.synchronize``: *attempt(seconds)* calls ``drmaa_synchronize`` once.

    With *dispose*, the kept results of these jobs are dropped once it succeeds.
    """

    def take(state: _State) -> Optional[_Outcome]:
        return None

    _block(("synchronize", tuple(job_ids), dispose), attempt, timeout, take, None)
    if dispose:
        state = _state
        with state.lock:
            if JOB_IDS_SESSION_ALL in job_ids:
                state.kept.clear()
                state.copies.clear()
            else:
                for job_id in job_ids:
                    state.kept.pop(helpers.to_str(job_id), None)
                    state.copies.discard(helpers.to_str(job_id))


def forget() -> None:
    """The session ends: drop the kept results; calls still in flight keep nothing.

    Called before ``drmaa_exit()``, so that a wait it ends knows why.
    """
    state = _state
    with state.lock:
        state.generation += 1
        state.kept.clear()
        state.copies.clear()
        state.running.clear()
        state.changed.notify_all()


def generation() -> int:
    """A number that changes when the session ends (job ids may come back in the next one)."""
    return _state.generation


def kept_jobs() -> list[str]:
    """Ids of the jobs whose results are kept for the next wait, oldest first."""
    state = _state
    with state.lock:
        return list(state.kept)
