"""A small stateful fake of libdrmaa that answers like Grid Engine 8.1.9's.

One method per DRMAA C function, called with the very ctypes objects the
package passes: ``bytes``/``None`` for ``const char *``, string buffers plus
a length for ``char *``, ``c_int``/``c_uint`` for ``int *``, handle
instances for opaque pointers (out-parameters get their ``.value`` set),
NULL-terminated ``c_char_p`` arrays for ``const char *[]``.

It knows nothing of the package: error codes, texts and states are written
out here as ``drmaa.h`` and Grid Engine give them. Tests drive it with
:meth:`FakeLibrary.finish`, :meth:`~FakeLibrary.finish_after`,
:meth:`~FakeLibrary.fail_next` and read :attr:`~FakeLibrary.calls`,
:attr:`~FakeLibrary.timeouts`, :meth:`~FakeLibrary.outstanding` and
:attr:`~FakeLibrary.violations`.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import signal as signals
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, Callable, Optional

# drmaa.h: DRMAA_ERRNO_*
SUCCESS = 0
INVALID_ARGUMENT = 4
NO_ACTIVE_SESSION = 5
ALREADY_ACTIVE_SESSION = 11
INVALID_ATTRIBUTE_VALUE = 14
DENIED_BY_DRM = 17
INVALID_JOB = 18
RESUME_INCONSISTENT_STATE = 19
SUSPEND_INCONSISTENT_STATE = 20
HOLD_INCONSISTENT_STATE = 21
RELEASE_INCONSISTENT_STATE = 22
EXIT_TIMEOUT = 23
NO_RUSAGE = 24
NO_MORE_ELEMENTS = 25

# drmaa_strerror(0..25) of Grid Engine; NULL for any other code.
ERROR_TEXTS = {
    0: "Routine returned normally with success.",
    1: "Unexpected or internal DRMAA error like memory allocation, system call failure, etc.",
    2: "Could not contact DRM system",
    3: "The specified request is not processed successfully due to authorization failure.",
    4: "The input value for an argument is invalid.",
    5: "No active session",
    6: "failed allocating memory",
    7: "Initialization failed due to invalid contact string.",
    8: "DRMAA could not use the default contact string to connect to DRM system.",
    9: "No default contact string was provided or selected.",
    10: "Initialization failed due to failure to init DRM system.",
    11: "Initialization failed due to existing DRMAA session.",
    12: "DRM system disengagement failed.",
    13: "The format for the job attribute value is invalid.",
    14: "The value for the job attribute is invalid.",
    15: "The value of this attribute is conflicting with a previously set attributes.",
    16: "Could not pass job now to DRM system. A retry may succeed however (saturation).",
    17: "The DRM system rejected the job. The job will never be accepted due to DRM configuration or job "
    "template settings.",
    18: "The job specified by the 'jobid' does not exist.",
    19: "The job has not been suspended. The RESUME request will not be processed.",
    20: "The job has not been running, and it cannot be suspended.",
    21: "The job cannot be moved to a HOLD state.",
    22: "The job is not in a HOLD state.",
    23: "time-out condition",
    24: "no usage information was returned for the completed job",
    25: "no more elements are contained in the opaque string vector",
}

# drmaa.h: DRMAA_PS_*
QUEUED_ACTIVE = 0x10
USER_ON_HOLD = 0x12
RUNNING = 0x20
USER_SUSPENDED = 0x22
DONE = 0x30
FAILED = 0x40

# drmaa.h: DRMAA_CONTROL_*
SUSPEND, RESUME, HOLD, RELEASE, TERMINATE = range(5)

SESSION_ANY = b"DRMAA_JOB_IDS_SESSION_ANY"
SESSION_ALL = b"DRMAA_JOB_IDS_SESSION_ALL"

# What drmaa_get_attribute_names / drmaa_get_vector_attribute_names list on Grid Engine.
SCALAR_NAMES = (
    b"drmaa_remote_command",
    b"drmaa_js_state",
    b"drmaa_wd",
    b"drmaa_job_name",
    b"drmaa_input_path",
    b"drmaa_output_path",
    b"drmaa_error_path",
    b"drmaa_join_files",
    b"drmaa_job_category",
    b"drmaa_native_specification",
    b"drmaa_block_email",
    b"drmaa_start_time",
    b"drmaa_submit_as_euid",
)
VECTOR_NAMES = (b"drmaa_v_argv", b"drmaa_v_env", b"drmaa_v_email")
# Optional DRMAA attributes Grid Engine does not support (other DRMs do).
OPTIONAL_NAMES = (
    b"drmaa_transfer_files",
    b"drmaa_deadline_time",
    b"drmaa_wct_hlimit",
    b"drmaa_wct_slimit",
    b"drmaa_duration_hlimit",
    b"drmaa_duration_slimit",
)

# The 35 resource usage names Grid Engine reports for a job that ran.
RUSAGE_NAMES = (
    "acct_cpu acct_io acct_iow acct_maxvmem acct_mem cpu end_time exit_status io iow maxvmem mem priority "
    "ru_idrss ru_inblock ru_ismrss ru_isrss ru_ixrss ru_majflt ru_maxrss ru_minflt ru_msgrcv ru_msgsnd ru_nivcsw "
    "ru_nsignals ru_nswap ru_nvcsw ru_oublock ru_stime ru_utime ru_wallclock signal start_time submission_time vmem"
).split()

DRM_SYSTEM = "FAKE 1.0"
IMPLEMENTATION = "FAKE-DRMAA 1.0"

# Functions without the trailing (char *error_diagnosis, size_t error_diag_len).
_NO_DIAGNOSIS = re.compile(r"drmaa_(get_next|get_num|release)_|drmaa_strerror$")
_JOB_ID = re.compile(r"\d+(\.\d+)?")

# Opaque "pointers" are unique across all fakes, so a handle of another fake is unknown here.
_addresses = itertools.count(0x10000, 0x10)


class CFunction:
    """A fake C function: checks arguments as ctypes would, then runs the fake's method.

    It takes the ``restype``/``argtypes`` that ``drmaa.wrappers.declare``
    sets, and checks every argument against ``argtypes`` as ctypes does.
    """

    def __init__(self, fake: FakeLibrary, name: str, method: Callable[..., Any]) -> None:
        self.fake = fake
        self.name = name
        self.method = method
        self.__name__ = name

    def __call__(self, *args: Any) -> Any:
        fake = self.fake
        fake.calls.append(self.name)
        argtypes = getattr(self, "argtypes", None)
        if argtypes is not None:
            if len(args) != len(argtypes):
                raise TypeError(f"{self.name}: this function takes {len(argtypes)} arguments ({len(args)} given)")
            for number, (argtype, arg) in enumerate(zip(argtypes, args), 1):
                try:
                    argtype.from_param(arg)
                except TypeError as exc:
                    raise ctypes.ArgumentError(f"argument {number}: TypeError: {exc}") from None
        # ctypes hands C an integer of a ctypes type as its value (wrappers.unchecked() passes c_size_t).
        args = tuple(arg.value if type(arg) is ctypes.c_size_t else arg for arg in args)
        with fake._lock:
            injected = fake._injected.get(self.name)
            if injected:
                code, diagnosis = injected.pop(0)
                if not _NO_DIAGNOSIS.match(self.name):
                    fake._write(args[-2], args[-1], diagnosis)
                return code
            return self.method(*args)


class Template:
    def __init__(self) -> None:
        self.scalars: dict[bytes, bytes] = {}
        self.vectors: dict[bytes, list[bytes]] = {}


class OpaqueList:
    def __init__(self, kind: str, items: list[bytes]) -> None:
        self.kind = kind
        self.items = items
        self.position = 0


class Job:
    def __init__(self, job_id: str, session: str, hold: bool) -> None:
        self.id = job_id
        self.session = session
        self.state = USER_ON_HOLD if hold else RUNNING
        self.ran = not hold
        self.stat: Optional[int] = None  # set when the job ends
        self.rusage: Optional[list[bytes]] = None  # None: ended without usage (code 24)
        self.reaped = False

    @property
    def finished(self) -> bool:
        return self.stat is not None


class FakeLibrary:
    """libdrmaa as Grid Engine implements it, in memory.

    :ivar calls: names of the C functions called, in order.
    :ivar timeouts: ``(function, timeout)`` of every drmaa_wait/drmaa_synchronize.
    :ivar wait_threads: the thread that made each of those calls.
    :ivar wait_jobs: the job id each drmaa_wait asked for, in order.
    :ivar violations: things a real library would crash or hang on (NULL or
        unknown handles released, buffers too small, waiting for ever).
    :ivar scalar_names: supported scalar attributes; add :data:`OPTIONAL_NAMES`
        to play a DRM that supports time limits.
    :ivar autofinish: if set, keyword arguments of :meth:`finish` applied to
        each job as soon as it is submitted (not on hold).
    :ivar strlcpy: write output buffers as slurm-drmaa does (``strlcpy``: at
        most ``length - 1`` bytes and a NUL) instead of as Grid Engine.
    :ivar attribute_cap: if set, drmaa_get_attribute gives back at most this
        many bytes of a value, however large the buffer (a library copying
        through a fixed buffer of its own).
    :ivar implementation: what drmaa_get_DRMAA_implementation says.
    :ivar drm_system: what drmaa_get_DRM_system says (None: the module's DRM_SYSTEM, read at each call).
    :ivar block_seconds: how long, at most, a blocking wait really waits
        for a job to end (0: it does not wait at all); it returns as soon as
        the job ends (:meth:`finish`, TERMINATE) or the session exits. The
        main thread waits with SIGINT blocked, as it would inside C.
    """

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.timeouts: list[tuple[str, int]] = []
        self.wait_threads: list[threading.Thread] = []
        self.wait_jobs: list[str] = []
        self.violations: list[str] = []
        self.allocated: Counter[str] = Counter()
        self.freed: Counter[str] = Counter()
        self.scalar_names = list(SCALAR_NAMES)
        self.vector_names = list(VECTOR_NAMES)
        self.autofinish: Optional[dict[str, Any]] = None
        self.block_seconds = 0.0
        self.strlcpy = False
        self.attribute_cap: Optional[int] = None
        self.implementation = IMPLEMENTATION
        self.drm_system: Optional[str] = None
        self.session: Optional[str] = None
        self.sessions: set[str] = set()
        self.templates: dict[int, Template] = {}
        self.lists: dict[int, OpaqueList] = {}
        self.jobs: dict[str, Job] = {}
        self._session_numbers = itertools.count(1)
        self._job_numbers = itertools.count(1)
        self._scheduled: list[list[Any]] = []  # [blocking calls left, job id, how]
        self._injected: dict[str, list[tuple[int, bytes]]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a job ended or the session exited
        self._exits = 0  # drmaa_exit() calls so far: a wait across one of them ends
        #: How many wait/synchronize calls are blocked in the library right now.
        self.blocked = 0
        for name in dir(self):
            if name.startswith("drmaa_"):
                setattr(self, name, CFunction(self, name, getattr(self, name)))

    # --- driving the fake from tests ---------------------------------------------

    def fail_next(self, name: str, code: int, diagnosis: str = "") -> None:
        """Make the next call of *name* return *code*, writing *diagnosis* (may be empty)."""
        self._injected.setdefault(name, []).append((code, diagnosis.encode()))

    def finish(
        self,
        job_id: str,
        exit_status: int = 0,
        *,
        signal: Optional[str] = None,
        core_dump: bool = False,
        aborted: bool = False,
        rusage: Optional[list[str]] = None,
    ) -> None:
        """End a job: exit with *exit_status*, die of *signal* (a name like 'SIGTERM'), or be aborted."""
        with self._lock:
            self._finish(self.jobs[job_id], exit_status, signal, core_dump, aborted, rusage)

    def finish_after(self, job_id: str, waits: int, **how: Any) -> None:
        """End a job (as :meth:`finish`) during the *waits*-th blocking wait/synchronize call."""
        with self._lock:
            self._scheduled.append([waits, job_id, how])

    def new_list(self, kind: str, items: list[str]) -> int:
        """Hand out an opaque list ('attr_names', 'attr_values' or 'job_ids'); return its address."""
        with self._lock:
            return self._new_list(kind, [item.encode() for item in items])

    def outstanding(self) -> dict[str, int]:
        """Templates and lists allocated but not freed, by kind."""
        kinds = set(self.allocated) | set(self.freed)
        return {
            kind: self.allocated[kind] - self.freed[kind] for kind in kinds if self.allocated[kind] != self.freed[kind]
        }

    # --- internals ---------------------------------------------------------------

    def _write(self, buffer: Any, length: int, data: bytes) -> None:
        """Write like Grid Engine: at most *length* bytes, then a NUL at index len(data) (<= length).

        With :attr:`strlcpy`, write like slurm-drmaa: at most ``length - 1`` bytes and a NUL.
        """
        if len(buffer) < length + 1:
            self.violations.append(f"buffer of {len(buffer)} bytes passed with length {length}: C writes past it")
            length = len(buffer) - 1
        data = data[: length - 1 if self.strlcpy else length]
        buffer[: len(data) + 1] = data + b"\0"

    def _fail(self, code: int, diagnosis: Any, length: int, text: Optional[str] = None) -> int:
        self._write(diagnosis, length, (ERROR_TEXTS[code] if text is None else text).encode())
        return code

    def _new_list(self, kind: str, items: list[bytes]) -> int:
        address = next(_addresses)
        self.lists[address] = OpaqueList(kind, items)
        self.allocated[kind] += 1
        return address

    def _template(self, handle: Any) -> Optional[Template]:
        template = self.templates.get(handle.value)
        if template is None:
            self.violations.append(f"used a job template that is NULL, unknown or deleted: {handle.value!r}")
        return template

    def _list(self, handle: Any, kind: str) -> Optional[OpaqueList]:
        found = self.lists.get(handle.value)
        if found is None or found.kind != kind:
            self.violations.append(f"used a {kind} list that is NULL, unknown or released: {handle.value!r}")
            return None
        return found

    def _finish(
        self,
        job: Job,
        exit_status: int = 0,
        signal: Optional[str] = None,
        core_dump: bool = False,
        aborted: bool = False,
        rusage: Optional[list[str]] = None,
    ) -> None:
        # The stat bits are this fake's own: exited 1, signalled 2, core 4, aborted 8 (as SGE's aborted stat).
        usage = {name: 0.0 for name in RUSAGE_NAMES}
        usage.update(submission_time=1795530365.0, start_time=1795530366.0, end_time=1795530367.0, ru_wallclock=1.0)
        if aborted:
            job.stat, job.state = 8, FAILED
            usage.update(exit_status=137.0, signal=910.0)
        elif signal:
            number = signals.Signals[signal].value
            job.stat, job.state = (number << 12) | 2 | (4 if core_dump else 0), DONE
            usage.update(exit_status=128.0 + number)
        else:
            job.stat, job.state = ((exit_status & 0xFF) << 4) | 1, DONE
            usage.update(exit_status=float(exit_status & 0xFF))
        self._changed.notify_all()
        if rusage is not None:
            job.rusage = [item.encode() for item in rusage]
        elif job.ran:
            job.rusage = [f"{name}={value:.4f}".encode() for name, value in usage.items()]
        else:  # ended before it ever ran: no usage at all (code 24)
            job.rusage = None

    def _block(self, timeout: int, ready: Callable[[], bool]) -> None:
        """The library waits up to *timeout* seconds (-1: for ever) until *ready*: jobs scheduled to end now end.

        It waits at most :attr:`block_seconds` of real time, and not at all
        if that is 0; the session's exit ends the wait, as on Grid Engine.
        """
        for entry in list(self._scheduled):
            entry[0] -= 1
            if entry[0] <= 0:
                self._scheduled.remove(entry)
                self._finish(self.jobs[entry[1]], **entry[2])
        if not self.block_seconds:
            return
        seconds = self.block_seconds if timeout < 0 else min(timeout, self.block_seconds)
        deadline = time.monotonic() + seconds
        exits = self._exits
        self.blocked += 1
        try:
            with _signals_held_as_in_c():
                while not ready() and self._exits == exits:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    self._changed.wait(left)  # other threads may call in meanwhile, as with the real library
        finally:
            self.blocked -= 1

    def _session_job(self, job_id: bytes) -> Any:
        """The job of this session named *job_id*, or ``(code, text)``."""
        text = job_id.decode(errors="replace")
        if not _JOB_ID.fullmatch(text):
            return INVALID_ARGUMENT, f'Job id, "{text}", is not a valid job id'
        job = self.jobs.get(text)
        if job is None or job.reaped or job.session != self.session:
            return INVALID_JOB, None
        return job

    def _submit(self, template: Template, job_id: str) -> Job:
        assert self.session is not None
        job = Job(job_id, self.session, template.scalars.get(b"drmaa_js_state") == b"drmaa_hold")
        self.jobs[job_id] = job
        if self.autofinish is not None and job.ran:
            self._finish(job, **self.autofinish)
        return job

    # --- opaque string vectors --------------------------------------------------------

    def _next(self, handle: Any, kind: str, value: Any, value_len: int) -> int:
        found = self._list(handle, kind)
        if found is None:
            return INVALID_ARGUMENT
        if found.position >= len(found.items):
            return NO_MORE_ELEMENTS
        self._write(value, value_len, found.items[found.position])
        found.position += 1
        return SUCCESS

    def _count(self, handle: Any, kind: str, size: Any) -> int:
        found = self._list(handle, kind)
        if found is None:
            return INVALID_ARGUMENT
        size.value = len(found.items)
        return SUCCESS

    def _release(self, handle: Any, kind: str) -> None:
        if self._list(handle, kind) is not None:
            del self.lists[handle.value]
            self.freed[kind] += 1

    def drmaa_get_next_attr_name(self, values: Any, value: Any, value_len: int) -> int:
        return self._next(values, "attr_names", value, value_len)

    def drmaa_get_next_attr_value(self, values: Any, value: Any, value_len: int) -> int:
        return self._next(values, "attr_values", value, value_len)

    def drmaa_get_next_job_id(self, values: Any, value: Any, value_len: int) -> int:
        return self._next(values, "job_ids", value, value_len)

    def drmaa_get_num_attr_names(self, values: Any, size: Any) -> int:
        return self._count(values, "attr_names", size)

    def drmaa_get_num_attr_values(self, values: Any, size: Any) -> int:
        return self._count(values, "attr_values", size)

    def drmaa_get_num_job_ids(self, values: Any, size: Any) -> int:
        return self._count(values, "job_ids", size)

    def drmaa_release_attr_names(self, values: Any) -> None:
        self._release(values, "attr_names")

    def drmaa_release_attr_values(self, values: Any) -> None:
        self._release(values, "attr_values")

    def drmaa_release_job_ids(self, values: Any) -> None:
        self._release(values, "job_ids")

    # --- session management -------------------------------------------------------------

    def drmaa_init(self, contact: Optional[bytes], diagnosis: Any, length: int) -> int:
        if self.session is not None:
            return self._fail(ALREADY_ACTIVE_SESSION, diagnosis, length)
        if contact:
            if contact.decode(errors="replace") not in self.sessions:
                return self._fail(INVALID_ARGUMENT, diagnosis, length)
            self.session = contact.decode()
        else:
            self.session = f"session=fakehost.{os.getpid()}.{next(self._session_numbers)}"
            self.sessions.add(self.session)
        return SUCCESS

    def drmaa_exit(self, diagnosis: Any, length: int) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length, "")  # SGE leaves the text empty
        self.session = None
        self._exits += 1
        self._changed.notify_all()  # blocked waits return EXIT_TIMEOUT, as on Grid Engine
        return SUCCESS

    # --- job templates ----------------------------------------------------------------------

    def drmaa_allocate_job_template(self, jt: Any, diagnosis: Any, length: int) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        jt.value = next(_addresses)
        self.templates[jt.value] = Template()
        self.allocated["template"] += 1
        return SUCCESS

    def drmaa_delete_job_template(self, jt: Any, diagnosis: Any, length: int) -> int:
        if self._template(jt) is None:
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        del self.templates[jt.value]
        self.freed["template"] += 1
        return SUCCESS

    def drmaa_set_attribute(self, jt: Any, name: bytes, value: bytes, diagnosis: Any, length: int) -> int:
        template = self._template(jt)
        if template is None or name not in self.scalar_names:
            return self._fail(INVALID_ARGUMENT, diagnosis, length, "")  # SGE leaves the text empty
        for attribute, allowed in (
            (b"drmaa_js_state", (b"drmaa_active", b"drmaa_hold")),
            (b"drmaa_join_files", (b"y", b"n")),
        ):
            if name == attribute and value not in allowed:
                first, second = (word.decode() for word in allowed)
                text = f'attribute "{name.decode()}" must be either "{first}" or "{second}"\n'
                return self._fail(INVALID_ATTRIBUTE_VALUE, diagnosis, length, text)
        template.scalars[name] = value
        return SUCCESS

    def drmaa_get_attribute(self, jt: Any, name: bytes, value: Any, value_len: int, diagnosis: Any, length: int) -> int:
        template = self._template(jt)
        if template is None or name not in template.scalars:
            return self._fail(INVALID_ATTRIBUTE_VALUE, diagnosis, length)
        self._write(value, value_len, template.scalars[name][: self.attribute_cap])
        return SUCCESS

    def drmaa_set_vector_attribute(self, jt: Any, name: bytes, values: Any, diagnosis: Any, length: int) -> int:
        template = self._template(jt)
        if template is None or name not in self.vector_names:
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        items = list(values)
        if None not in items:
            self.violations.append(f"vector for {name!r} is not NULL-terminated: C reads past its end")
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        template.vectors[name] = items[: items.index(None)]
        return SUCCESS

    def drmaa_get_vector_attribute(self, jt: Any, name: bytes, values: Any, diagnosis: Any, length: int) -> int:
        template = self._template(jt)
        if template is None or name not in template.vectors:
            return self._fail(INVALID_ATTRIBUTE_VALUE, diagnosis, length)
        values.value = self._new_list("attr_values", list(template.vectors[name]))
        return SUCCESS

    def drmaa_get_attribute_names(self, values: Any, diagnosis: Any, length: int) -> int:
        values.value = self._new_list("attr_names", list(self.scalar_names))
        return SUCCESS

    def drmaa_get_vector_attribute_names(self, values: Any, diagnosis: Any, length: int) -> int:
        values.value = self._new_list("attr_names", list(self.vector_names))
        return SUCCESS

    # --- job submission -------------------------------------------------------------------------

    def _check_submission(self, jt: Any, diagnosis: Any, length: int) -> Any:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        template = self._template(jt)
        if template is None:
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        if not template.scalars.get(b"drmaa_remote_command"):
            return self._fail(
                DENIED_BY_DRM, diagnosis, length, "job rejected cause there is no job_name in the request"
            )
        return template

    def drmaa_run_job(self, job_id: Any, job_id_len: int, jt: Any, diagnosis: Any, length: int) -> int:
        template = self._check_submission(jt, diagnosis, length)
        if isinstance(template, int):
            return template
        job = self._submit(template, str(next(self._job_numbers)))
        self._write(job_id, job_id_len, job.id.encode())
        # SGE leaves this text in the diagnosis buffer on success: it is not an error.
        name = os.path.basename(template.scalars[b"drmaa_remote_command"]).decode(errors="replace")
        self._write(diagnosis, length, f'Your job {job.id} ("{name}") has been submitted'.encode())
        return SUCCESS

    def drmaa_run_bulk_jobs(
        self, jobids: Any, jt: Any, start: int, end: int, incr: int, diagnosis: Any, length: int
    ) -> int:
        template = self._check_submission(jt, diagnosis, length)
        if isinstance(template, int):
            return template
        if start < 1 or end < start or incr < 1:
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        number = next(self._job_numbers)
        ids = [self._submit(template, f"{number}.{task}").id.encode() for task in range(start, end + 1, incr)]
        jobids.value = self._new_list("job_ids", ids)
        return SUCCESS

    # --- job status and control -------------------------------------------------------------------

    def _control(self, job: Job, action: int) -> tuple[int, Optional[str]]:
        owner = f"fakeuser - job {job.id}"
        if action == SUSPEND:
            if job.state == USER_SUSPENDED:
                return SUSPEND_INCONSISTENT_STATE, f"{owner} is already suspended"
            if job.state != RUNNING:
                return SUSPEND_INCONSISTENT_STATE, None
            job.state = USER_SUSPENDED
        elif action == RESUME:
            if job.state != USER_SUSPENDED:
                return RESUME_INCONSISTENT_STATE, f"{owner} is already unsuspended"
            job.state = RUNNING
        elif action == HOLD:
            if job.finished:
                return HOLD_INCONSISTENT_STATE, None
            job.state = USER_ON_HOLD  # even while it runs, as SGE reports it
        elif action == RELEASE:
            if job.state != USER_ON_HOLD:
                return RELEASE_INCONSISTENT_STATE, None
            job.state, job.ran = RUNNING, True
        elif not job.finished:  # TERMINATE
            self._finish(job, aborted=True)
        return SUCCESS, None

    def drmaa_control(self, jobid: bytes, action: int, diagnosis: Any, length: int) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        if action not in range(5):
            return self._fail(INVALID_ARGUMENT, diagnosis, length)
        if jobid == SESSION_ALL:
            targets = [job for job in self.jobs.values() if job.session == self.session and not job.finished]
        else:
            text = jobid.decode(errors="replace")
            if not _JOB_ID.fullmatch(text):
                return self._fail(INVALID_ARGUMENT, diagnosis, length, f'Job id, "{text}", is not a valid job id')
            job = self.jobs.get(text)
            if job is None or job.reaped:
                return self._fail(INVALID_JOB, diagnosis, length, "There are no jobs registered")
            targets = [job]
        for target in targets:
            code, text = self._control(target, action)
            if code:
                return self._fail(code, diagnosis, length, text)
        return SUCCESS

    def drmaa_synchronize(self, job_ids: Any, timeout: int, dispose: int, diagnosis: Any, length: int) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        self.timeouts.append(("drmaa_synchronize", timeout))
        self.wait_threads.append(threading.current_thread())
        names = list(itertools.takewhile(lambda item: item is not None, job_ids))
        mine = [job for job in self.jobs.values() if job.session == self.session and not job.reaped]
        if SESSION_ALL not in names:  # unknown ids are ignored, as SGE does
            mine = [job for job in mine if job.id.encode() in names]
        exits = self._exits
        if timeout and not all(job.finished for job in mine):
            self._block(timeout, lambda: all(job.finished for job in mine))
        if self._exits != exits:  # drmaa_exit() in another thread ended the wait
            return self._fail(EXIT_TIMEOUT, diagnosis, length, "")
        if not all(job.finished for job in mine):
            if timeout < 0:
                self.violations.append("drmaa_synchronize(TIMEOUT_WAIT_FOREVER) would block for ever")
            return self._fail(EXIT_TIMEOUT, diagnosis, length, "")  # SGE leaves the text empty here
        for job in mine:
            job.reaped = job.reaped or bool(dispose)
        return SUCCESS

    def _waitable(self, job_id: bytes) -> Any:
        """The finished job to reap, None if it is still running, or ``(code, text)``."""
        if job_id == SESSION_ANY:
            mine = [job for job in self.jobs.values() if job.session == self.session and not job.reaped]
            if not mine:
                return INVALID_JOB, None
            return next((job for job in mine if job.finished), None)
        job = self._session_job(job_id)
        return job if isinstance(job, tuple) or job.finished else None

    def drmaa_wait(
        self,
        job_id: bytes,
        job_id_out: Any,
        job_id_out_len: int,
        stat: Any,
        timeout: int,
        rusage: Any,
        diagnosis: Any,
        length: int,
    ) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        self.timeouts.append(("drmaa_wait", timeout))
        self.wait_jobs.append(job_id.decode(errors="replace"))
        self.wait_threads.append(threading.current_thread())
        job = self._waitable(job_id)
        if job is None and timeout:
            exits = self._exits
            self._block(timeout, lambda: self._waitable(job_id) is not None)
            if self._exits != exits:  # drmaa_exit() in another thread ended the wait
                return self._fail(EXIT_TIMEOUT, diagnosis, length)
            job = self._waitable(job_id)
        if job is None:
            if timeout < 0:
                self.violations.append("drmaa_wait(TIMEOUT_WAIT_FOREVER) would block for ever")
            return self._fail(EXIT_TIMEOUT, diagnosis, length)
        if isinstance(job, tuple):
            return self._fail(job[0], diagnosis, length, job[1])
        job.reaped = True
        self._write(job_id_out, job_id_out_len, job.id.encode())
        stat.value = job.stat
        if job.rusage is None:  # job_id_out and stat are filled, rusage is left untouched
            return self._fail(NO_RUSAGE, diagnosis, length)
        rusage.value = self._new_list("attr_values", list(job.rusage))
        return SUCCESS

    def drmaa_wifexited(self, exited: Any, stat: int, diagnosis: Any, length: int) -> int:
        exited.value = stat & 1
        return SUCCESS

    def drmaa_wexitstatus(self, exit_status: Any, stat: int, diagnosis: Any, length: int) -> int:
        exit_status.value = (stat >> 4) & 0xFF
        return SUCCESS

    def drmaa_wifsignaled(self, signaled: Any, stat: int, diagnosis: Any, length: int) -> int:
        signaled.value = (stat >> 1) & 1
        return SUCCESS

    def drmaa_wtermsig(self, signal: Any, signal_len: int, stat: int, diagnosis: Any, length: int) -> int:
        # SGE answers this even for a job that was not signalled.
        name = signals.Signals(stat >> 12).name if stat & 2 else "SIGunknown signal"
        self._write(signal, signal_len, name.encode())
        return SUCCESS

    def drmaa_wcoredump(self, core_dumped: Any, stat: int, diagnosis: Any, length: int) -> int:
        core_dumped.value = (stat >> 2) & 1
        return SUCCESS

    def drmaa_wifaborted(self, aborted: Any, stat: int, diagnosis: Any, length: int) -> int:
        aborted.value = (stat >> 3) & 1
        return SUCCESS

    def drmaa_job_ps(self, job_id: bytes, remote_ps: Any, diagnosis: Any, length: int) -> int:
        if self.session is None:
            return self._fail(NO_ACTIVE_SESSION, diagnosis, length)
        text = job_id.decode(errors="replace")
        if not _JOB_ID.fullmatch(text):
            return self._fail(INVALID_ARGUMENT, diagnosis, length, f'Job id, "{text}", is not a valid job id')
        job = self.jobs.get(text)  # any job of the cluster, as SGE shows qsub'ed jobs too
        if job is None or job.reaped:
            return self._fail(INVALID_JOB, diagnosis, length)
        remote_ps.value = job.state
        return SUCCESS

    # --- auxiliary routines ----------------------------------------------------------------------------

    def drmaa_strerror(self, drmaa_errno: int) -> Optional[bytes]:
        text = ERROR_TEXTS.get(drmaa_errno)
        return None if text is None else text.encode()

    def drmaa_get_contact(self, contact: Any, contact_len: int, diagnosis: Any, length: int) -> int:
        self._write(contact, contact_len, (self.session or "").encode())
        return SUCCESS

    def drmaa_version(self, major: Any, minor: Any, diagnosis: Any, length: int) -> int:
        major.value, minor.value = 1, 0
        return SUCCESS

    def drmaa_get_DRM_system(self, drm_system: Any, drm_system_len: int, diagnosis: Any, length: int) -> int:
        self._write(drm_system, drm_system_len, (self.drm_system or DRM_SYSTEM).encode())
        return SUCCESS

    def drmaa_get_DRMAA_implementation(self, drmaa_impl: Any, drmaa_impl_len: int, diagnosis: Any, length: int) -> int:
        self._write(drmaa_impl, drmaa_impl_len, self.implementation.encode())
        return SUCCESS


@contextlib.contextmanager
def _signals_held_as_in_c() -> Iterator[None]:
    """Inside C, the main thread does not run Python's signal handlers: Ctrl-C waits until the call returns."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signals.pthread_sigmask(signals.SIG_BLOCK, {signals.SIGINT})
    try:
        yield
    finally:
        signals.pthread_sigmask(signals.SIG_SETMASK, old)
