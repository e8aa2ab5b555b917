"""The public DRMAA objects: :class:`Session`, :class:`JobTemplate`, :class:`JobInfo`.

Declarations of C functions and text encoding do not belong here: they live
in :mod:`drmaa.wrappers` and :mod:`drmaa.helpers`.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Sequence
from ctypes import c_int, c_uint, sizeof
from types import TracebackType
from typing import Any, NamedTuple, Optional, Union

from drmaa import _reaped, _waiting, helpers, wrappers
from drmaa.const import (
    BLOCK_EMAIL,
    CONTACT_BUFFER,
    DEADLINE_TIME,
    DRM_SYSTEM_BUFFER,
    DRMAA_IMPLEMENTATION_BUFFER,
    DURATION_HLIMIT,
    DURATION_SLIMIT,
    ERROR_PATH,
    INPUT_PATH,
    JOB_CATEGORY,
    JOB_IDS_SESSION_ALL,
    JOB_IDS_SESSION_ANY,
    JOB_NAME,
    JOBNAME_BUFFER,
    JOIN_FILES,
    JS_STATE,
    NATIVE_SPECIFICATION,
    OUTPUT_PATH,
    PLACEHOLDER_HD,
    PLACEHOLDER_INCR,
    PLACEHOLDER_WD,
    REMOTE_COMMAND,
    SIGNAL_BUFFER,
    START_TIME,
    TIMEOUT_NO_WAIT,
    TIMEOUT_WAIT_FOREVER,
    TRANSFER_FILES,
    V_ARGV,
    V_EMAIL,
    V_ENV,
    WCT_HLIMIT,
    WCT_SLIMIT,
    WD,
    job_state,
    string_to_control_action,
)
from drmaa.errors import DrmaaException, InvalidJobException, InvalidJobTemplateException, NoResourceUsageException
from drmaa.helpers import Attribute, BoolAttribute, DictAttribute, TimeLimitAttribute, VectorAttribute

__all__ = ["JobInfo", "JobTemplate", "Session", "Version"]


class JobInfo(NamedTuple):
    """How a job ended, as returned by :meth:`Session.wait`."""

    #: The job's id (the real id when waiting for ``JOB_IDS_SESSION_ANY``).
    jobId: str
    #: True if the job exited normally (then :attr:`exitStatus` is its status).
    hasExited: bool
    #: True if the job was ended by a signal (then :attr:`terminatedSignal` names it).
    hasSignal: bool
    #: The signal's name, such as ``'SIGTERM'``, or ``''``.
    terminatedSignal: str
    #: True if the job dumped core on its signal.
    hasCoreDump: bool
    #: True if the job ended before it ran, or was killed by the DRM.
    wasAborted: bool
    #: The exit status, when :attr:`hasExited`; 0 otherwise.
    exitStatus: int
    #: Resource usage reported by the DRM, name to value text.
    resourceUsage: dict[str, str]


class Version:
    """The DRMAA version implemented by the library: ``.major`` and ``.minor``.

    It compares equal to the tuple ``(major, minor)`` and unpacks as a pair,
    and ``'%s' % version`` gives ``'1.0'``.

    .. versionchanged:: 0.7.10
       No longer a tuple, so ``'Version %s' % s.version`` works.
    """

    __slots__ = ("major", "minor")

    def __init__(self, major: int, minor: int) -> None:
        self.major = major
        self.minor = minor

    def _pair(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __iter__(self) -> Iterator[int]:
        return iter(self._pair())

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> int:
        return self._pair()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Version):
            return self._pair() == other._pair()
        if isinstance(other, tuple):
            return self._pair() == other
        return NotImplemented

    def __lt__(self, other: Union[Version, tuple[int, int]]) -> bool:
        return self._pair() < tuple(other)

    def __hash__(self) -> int:
        return hash(self._pair())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __repr__(self) -> str:
        return f"Version(major={self.major}, minor={self.minor})"


# The range of the C ``int`` indexes of drmaa_run_bulk_jobs().
_INT_MAX = 2 ** (8 * sizeof(c_int) - 1) - 1
_INT_MIN = -_INT_MAX - 1


class JobTemplate:
    """A job template: the description of a job to submit.

    Create it with :meth:`Session.createJobTemplate` (or ``JobTemplate()``
    inside an active session), set its attributes, pass it to
    :meth:`Session.runJob`, and :meth:`delete` it. Keyword arguments set
    attributes by name; names that are not DRMAA attributes are kept as
    plain Python attributes. Used as a context manager, the template is
    deleted on exit.

    Wraps ``drmaa_allocate_job_template()``.

    :raises NoActiveSessionException: without an active session.

    .. versionchanged:: 0.7.10
       :meth:`delete` may be called twice; use after delete raises
       :exc:`InvalidJobTemplateException`; a template that is garbage
       collected without :meth:`delete` is freed.
    """

    #: Placeholder for the user's home directory, for path attributes.
    HOME_DIRECTORY = PLACEHOLDER_HD.decode()
    #: Placeholder for the job's working directory, for path attributes.
    WORKING_DIRECTORY = PLACEHOLDER_WD.decode()
    #: Placeholder for the task index of a bulk job, for path attributes.
    PARAMETRIC_INDEX = PLACEHOLDER_INCR.decode()

    remoteCommand: Attribute[str] = Attribute(REMOTE_COMMAND, "The command to run (``drmaa_remote_command``).")
    args: VectorAttribute = VectorAttribute(V_ARGV, "Arguments of the command, a list (``drmaa_v_argv``).")
    jobSubmissionState: Attribute[str] = Attribute(
        JS_STATE,
        "``'drmaa_active'`` or ``'drmaa_hold'`` (``drmaa_js_state``); see :class:`JobSubmissionState`.",
    )
    jobEnvironment: DictAttribute = DictAttribute(
        V_ENV, "Environment variables of the job, a mapping (``drmaa_v_env``)."
    )
    workingDirectory: Attribute[str] = Attribute(WD, "The job's working directory (``drmaa_wd``).")
    jobCategory: Attribute[str] = Attribute(JOB_CATEGORY, "An opaque job category (``drmaa_job_category``).")
    nativeSpecification: Attribute[str] = Attribute(
        NATIVE_SPECIFICATION, "Options in the DRM's own syntax (``drmaa_native_specification``)."
    )
    email: VectorAttribute = VectorAttribute(V_EMAIL, "E-mail addresses to notify, a list (``drmaa_v_email``).")
    blockEmail: BoolAttribute = BoolAttribute(
        BLOCK_EMAIL, b"1", b"0", "True to send no e-mail (``drmaa_block_email``, ``'1'``/``'0'``)."
    )
    startTime: Attribute[str] = Attribute(
        START_TIME, "Earliest start, ``[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]`` (``drmaa_start_time``)."
    )
    jobName: Attribute[str] = Attribute(JOB_NAME, "The job's name (``drmaa_job_name``).")
    inputPath: Attribute[str] = Attribute(INPUT_PATH, "Standard input, ``[hostname]:path`` (``drmaa_input_path``).")
    outputPath: Attribute[str] = Attribute(OUTPUT_PATH, "Standard output, ``[hostname]:path`` (``drmaa_output_path``).")
    errorPath: Attribute[str] = Attribute(ERROR_PATH, "Standard error, ``[hostname]:path`` (``drmaa_error_path``).")
    joinFiles: BoolAttribute = BoolAttribute(
        JOIN_FILES,
        b"y",
        b"n",
        "True to merge standard error into output (``drmaa_join_files``, ``'y'``/``'n'``).",
    )
    transferFiles: Attribute[str] = Attribute(
        TRANSFER_FILES, "Which of ``i``, ``o``, ``e`` files to transfer (``drmaa_transfer_files``)."
    )
    deadlineTime: Attribute[str] = Attribute(
        DEADLINE_TIME, "Deadline, in the ``startTime`` format (``drmaa_deadline_time``)."
    )
    hardWallclockTimeLimit: TimeLimitAttribute = TimeLimitAttribute(
        WCT_HLIMIT,
        "Hard wall-clock limit: int seconds, timedelta or ``'[[h:]m:]s'`` (``drmaa_wct_hlimit``); "
        "sent as ``H:MM:SS``, read back as int seconds. Where the library keeps only whole minutes "
        "(slurm-drmaa), a limit that is not a whole number of minutes raises :exc:`ValueError`.",
    )
    softWallclockTimeLimit: TimeLimitAttribute = TimeLimitAttribute(
        WCT_SLIMIT, "Soft wall-clock limit, as :attr:`hardWallclockTimeLimit` (``drmaa_wct_slimit``)."
    )
    hardRunDurationLimit: TimeLimitAttribute = TimeLimitAttribute(
        DURATION_HLIMIT, "Hard run-time limit, as :attr:`hardWallclockTimeLimit` (``drmaa_duration_hlimit``)."
    )
    softRunDurationLimit: TimeLimitAttribute = TimeLimitAttribute(
        DURATION_SLIMIT, "Soft run-time limit, as :attr:`hardWallclockTimeLimit` (``drmaa_duration_slimit``)."
    )

    #: The C template; None once deleted (and before it is allocated).
    _jt: Optional[wrappers.JobTemplateHandle] = None

    def __init__(self, **kwargs: Any) -> None:
        self._lock = threading.Lock()
        # The diagnosis buffer of the calls on this template: used only by the thread
        # holding the lock (or, before __init__ returns, by the one building it).
        self._diagnosis = helpers.DiagnosisBuffer()
        self._long_values: dict[bytes, bytes] = {}  # scalar values set that fill an ATTR_BUFFER
        handle = wrappers.JobTemplateHandle()
        helpers.call("drmaa_allocate_job_template", handle, diagnosis=self._diagnosis)
        self._jt = handle
        if not kwargs:
            return
        try:
            for name, value in kwargs.items():
                setattr(self, name, value)
        except BaseException:
            self.delete()
            raise

    def __del__(self) -> None:
        # Frees a template that was never deleted. No lock: no other thread can
        # reach an object being finalized. Cheaper than a weakref.finalize,
        # which costs a registration and a detach() for every template.
        handle = self._jt
        if handle is None:
            return
        self._jt = None
        try:
            helpers.call("drmaa_delete_job_template", handle)
        except Exception:  # noqa: BLE001 - a finalizer must not raise (the session or the interpreter may be gone)
            pass

    def __copy__(self) -> JobTemplate:
        # A copy would share the C template: the first of the two to go would
        # free it under the other (and both would free it).
        raise TypeError(
            "a JobTemplate cannot be copied: it owns a job template of the library; "
            "create another one with Session.createJobTemplate() and set its attributes"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> JobTemplate:
        return self.__copy__()

    def _handle(self) -> wrappers.JobTemplateHandle:
        """The C handle; the caller holds ``self._lock``."""
        if self._jt is None:
            raise InvalidJobTemplateException("the job template was deleted")
        return self._jt

    @property
    def attributeNames(self) -> list[str]:
        """Names of the scalar attributes the library supports.

        Wraps ``drmaa_get_attribute_names()``.
        """
        handle = wrappers.AttrNamesHandle()
        helpers.call("drmaa_get_attribute_names", handle)
        return helpers.read_attr_names(handle)

    def delete(self) -> None:
        """Free the template in the library. Calling it again does nothing.

        Wraps ``drmaa_delete_job_template()``.
        """
        with self._lock:
            handle, self._jt = self._jt, None
            if handle is None:
                return
            helpers.call("drmaa_delete_job_template", handle, diagnosis=self._diagnosis)

    def __enter__(self) -> JobTemplate:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc_type is None:
            self.delete()
            return
        try:
            self.delete()
        except Exception:  # noqa: BLE001 - never mask the exception of the with-body
            pass


class _LibraryString:
    """A session property read from the library, on the class or an instance."""

    def __init__(self, function: str, size: int, doc: str) -> None:
        self.function = function
        self.size = size
        self.__doc__ = doc

    def __get__(self, instance: Any, owner: Optional[type] = None) -> str:
        return helpers.read_string(self.function, self.size)


class _LibraryVersion:
    """``Session.version``, readable on the class or an instance."""

    __doc__ = """The DRMAA version of the library, a :class:`~drmaa.session.Version` (``(1, 0)`` for DRMAA 1.0).

    Wraps ``drmaa_version()``."""

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Version:
        major, minor = c_uint(), c_uint()
        helpers.call("drmaa_version", major, minor)
        return Version(major.value, minor.value)


def _job_info(job_id: str, stat: int, usage: dict[str, str]) -> JobInfo:
    # drmaa.h leaves the exit status undefined unless the job exited, and the
    # signal and core dump undefined unless it was signalled: ask only then.
    # One int and one diagnosis buffer serve these calls, all made in this thread.
    call = helpers.call
    diagnosis = helpers.DiagnosisBuffer()
    value = c_int()
    call("drmaa_wifexited", value, stat, diagnosis=diagnosis)
    exited = bool(value.value)
    exit_status = 0
    if exited:
        call("drmaa_wexitstatus", value, stat, diagnosis=diagnosis)
        exit_status = value.value
    call("drmaa_wifsignaled", value, stat, diagnosis=diagnosis)
    signaled = bool(value.value)
    signal_name = ""
    core_dump = False
    if signaled:
        signal_name = helpers.read_string("drmaa_wtermsig", SIGNAL_BUFFER, stat)
        call("drmaa_wcoredump", value, stat, diagnosis=diagnosis)
        core_dump = bool(value.value)
    call("drmaa_wifaborted", value, stat, diagnosis=diagnosis)
    return JobInfo(job_id, exited, signaled, signal_name, core_dump, bool(value.value), exit_status, usage)


def _reap(job: bytes, seconds: int) -> JobInfo:
    """One ``drmaa_wait()`` for *job*; the JobInfo of the job it reaped."""
    job_out = helpers.string_buffer(JOBNAME_BUFFER)
    stat = c_int()
    rusage = wrappers.AttrValuesHandle()
    try:
        helpers.call("drmaa_wait", job, job_out, JOBNAME_BUFFER, stat, seconds, rusage)
    except NoResourceUsageException as exc:
        # The job is reaped and stat is filled; only the usage is missing.
        exc.jobInfo = _job_info(helpers.to_str(job_out.value), stat.value, {})
        raise
    usage = {}
    for item in helpers.read_attr_values(rusage):
        name, sep, value = item.partition("=")
        if sep:
            usage[name] = value
    return _job_info(helpers.to_str(job_out.value), stat.value, usage)


#: What Grid Engine's libraries call the DRM in ``drmaa_get_DRM_system()``
#: ("SGE 8.1.9", "UGE 8.6.4", ...; slurm-drmaa: "SLURM 22.05").
_GRID_ENGINE = re.compile(r"\b(?:[SOU]GE|Grid ?Engine)\b", re.IGNORECASE)
_answers_locally: tuple[int, Any, bool] = (-1, None, False)  # (session generation, library, answer)


def _waits_answered_locally() -> bool:
    """True if the library answers a ``TIMEOUT_NO_WAIT`` wait without asking the DRM; read once per session.

    Grid Engine's library knows of ended jobs from qmaster's events;
    slurm-drmaa asks slurmctld on every wait, and so may others: for them,
    and when unsure, False.
    """
    global _answers_locally
    generation, library, answer = _answers_locally
    if generation != _waiting.generation() or library is not wrappers.lib:
        try:
            said = Session.drmsInfo
        except DrmaaException:
            said = ""
        answer = _GRID_ENGINE.search(said) is not None
        _answers_locally = (_waiting.generation(), wrappers.lib, answer)
    return answer


def _job_ps(job: bytes) -> int:
    """One ``drmaa_job_ps()``: the job's state code."""
    status = c_int()
    helpers.call("drmaa_job_ps", job, status)
    return status.value


class Session:
    """A DRMAA session: the connection of this process to the DRM system.

    A process has at most one active session. All methods may be called on
    the class or on an instance; ``with Session() as s:`` initializes the
    session with :attr:`contactString` and exits it at the end of the block.

    :param contactString: the contact string used by ``with`` (``None`` for
        the default DRM system).
    """

    #: Wait until the job(s) finish.
    TIMEOUT_WAIT_FOREVER = TIMEOUT_WAIT_FOREVER
    #: Return at once if no result is available.
    TIMEOUT_NO_WAIT = TIMEOUT_NO_WAIT
    #: Stands for "any job of this session" in :meth:`wait`.
    JOB_IDS_SESSION_ANY = JOB_IDS_SESSION_ANY
    #: Stands for "all jobs of this session" in :meth:`synchronize` and :meth:`control`.
    JOB_IDS_SESSION_ALL = JOB_IDS_SESSION_ALL

    contact = _LibraryString(
        "drmaa_get_contact",
        CONTACT_BUFFER,
        """The contact string of the session (``''`` before :meth:`initialize` on Grid Engine).

        Pass it to :meth:`initialize` to re-attach to this session later.
        Wraps ``drmaa_get_contact()``.""",
    )
    drmsInfo = _LibraryString(
        "drmaa_get_DRM_system",
        DRM_SYSTEM_BUFFER,
        """The DRM system, such as ``'SGE 8.1.9'``. Wraps ``drmaa_get_DRM_system()``.""",
    )
    drmaaImplementation = _LibraryString(
        "drmaa_get_DRMAA_implementation",
        DRMAA_IMPLEMENTATION_BUFFER,
        """The DRMAA implementation. Wraps ``drmaa_get_DRMAA_implementation()``.""",
    )
    version = _LibraryVersion()

    def __init__(self, contactString: Optional[str] = None) -> None:
        self.contactString = contactString

    @staticmethod
    def initialize(contactString: Optional[str] = None) -> None:
        """Open the session. Call it once, before any call that does work.

        :param contactString: which DRM to use; ``None`` for the default. A
            contact string of an earlier session re-attaches to it (Grid
            Engine), so its jobs can be waited for again.
        :raises AlreadyActiveSessionException: if a session is active.
        :raises DrmCommunicationException: if the DRM cannot be reached.

        Wraps ``drmaa_init()``.
        """
        contact = None if contactString is None else helpers.to_bytes(contactString, "contactString")
        helpers.call("drmaa_init", contact)

    @staticmethod
    def exit() -> None:
        """Close the session. Jobs keep running.

        :raises NoActiveSessionException: if no session is active.

        Waits blocked in other threads raise :exc:`NoActiveSessionException`.
        Results that an interrupted :meth:`wait` reaped afterwards and no later
        :meth:`wait` collected are dropped with the session.

        Wraps ``drmaa_exit()``.
        """
        _waiting.forget()
        helpers.call("drmaa_exit")

    @staticmethod
    def createJobTemplate() -> JobTemplate:
        """Return a new :class:`JobTemplate`.

        Wraps ``drmaa_allocate_job_template()``.
        """
        return JobTemplate()

    @staticmethod
    def deleteJobTemplate(jobTemplate: JobTemplate) -> None:
        """Delete *jobTemplate*; the same as ``jobTemplate.delete()``.

        Wraps ``drmaa_delete_job_template()``.
        """
        jobTemplate.delete()

    @staticmethod
    def runJob(jobTemplate: JobTemplate) -> str:
        """Submit one job described by *jobTemplate* and return its id.

        :raises DeniedByDrmException: if the DRM rejects the job.

        Wraps ``drmaa_run_job()``.
        """
        job_id = helpers.string_buffer(JOBNAME_BUFFER)
        with jobTemplate._lock:
            helpers.call("drmaa_run_job", job_id, JOBNAME_BUFFER, jobTemplate._handle())
        return helpers.to_str(job_id.value)

    @staticmethod
    def runBulkJobs(jobTemplate: JobTemplate, beginIndex: int, endIndex: int, step: int) -> list[str]:
        """Submit tasks *beginIndex* to *endIndex* (inclusive) by *step*; return their ids.

        Each task sees its index through :attr:`JobTemplate.PARAMETRIC_INDEX`
        in path attributes. Grid Engine returns ids like ``'12.1'``.

        :raises InvalidArgumentException: for indexes the DRM refuses.

        Wraps ``drmaa_run_bulk_jobs()``.
        """
        for name, value in (("beginIndex", beginIndex), ("endIndex", endIndex), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name}: expected int, got {type(value).__name__}")
            # ctypes would silently wrap a larger int around to another index.
            if not _INT_MIN <= value <= _INT_MAX:
                raise ValueError(f"{name}: must fit a C int ({_INT_MIN} to {_INT_MAX})")
        ids = wrappers.JobIdsHandle()
        with jobTemplate._lock:
            helpers.call("drmaa_run_bulk_jobs", ids, jobTemplate._handle(), beginIndex, endIndex, step)
        return helpers.read_job_ids(ids)

    @staticmethod
    def control(jobId: Union[str, bytes], operation: str) -> None:
        """Suspend, resume, hold, release or terminate a job.

        :param jobId: a job id, or :attr:`JOB_IDS_SESSION_ALL`.
        :param operation: a :class:`JobControlAction` value, such as
            ``JobControlAction.TERMINATE``.
        :raises InvalidJobException: if the job is unknown.

        Wraps ``drmaa_control()``.
        """
        action = string_to_control_action(operation)
        helpers.call("drmaa_control", helpers.to_bytes(jobId, "jobId"), action)

    @staticmethod
    def synchronize(
        jobIds: Union[Sequence[Union[str, bytes]], str, bytes],
        timeout: float = TIMEOUT_WAIT_FOREVER,
        dispose: bool = False,
    ) -> None:
        """Wait until all jobs of *jobIds* have finished.

        :param jobIds: job ids; :attr:`JOB_IDS_SESSION_ALL` among them means
            every job of the session.
        :param timeout: seconds (int or float), :attr:`TIMEOUT_WAIT_FOREVER`
            or :attr:`TIMEOUT_NO_WAIT`.
        :param dispose: True to reap the jobs; False leaves them for :meth:`wait`.
        :raises ExitTimeoutException: if the timeout passes first.

        Wraps ``drmaa_synchronize()``.

        .. versionchanged:: 0.7.10
           Float timeouts are accepted (C gets whole seconds, rounded up); a
           wait in the main thread can be interrupted with Ctrl-C, the
           library's call then goes on in the background (see
           :doc:`/threads`); a lone id string is one id.
        """
        job_ids = helpers.job_id_list(jobIds)
        ids = helpers.string_array(job_ids)
        flag = 1 if dispose else 0

        def attempt(seconds: int) -> None:
            helpers.call("drmaa_synchronize", ids, seconds, flag)

        _waiting.synchronize(job_ids, timeout, bool(dispose), attempt)

    @staticmethod
    def wait(jobId: Union[str, bytes], timeout: float = TIMEOUT_WAIT_FOREVER) -> JobInfo:
        """Wait for a job to finish, reap it and return its :class:`JobInfo`.

        :param jobId: a job id, or :attr:`JOB_IDS_SESSION_ANY`.
        :param timeout: seconds (int or float), :attr:`TIMEOUT_WAIT_FOREVER`
            or :attr:`TIMEOUT_NO_WAIT`.
        :raises ExitTimeoutException: if the timeout passes first (the job
            can be waited for again).
        :raises InvalidJobException: if the job is unknown or already reaped.
        :raises NoResourceUsageException: code 24, if the job ended without
            running (the job is reaped; ``exc.jobInfo`` holds what is known).

        A job that the wait of a :class:`drmaa.futures.JobExecutor` reaped
        first is returned from what it kept (while an executor watches, a
        wait does not call the library's wait but waits for what the
        executor reaps); :attr:`JOB_IDS_SESSION_ANY` never returns a job of
        an executor (see :ref:`futures-sharing`).

        Wraps ``drmaa_wait()``.

        .. versionchanged:: 0.7.10
           Float timeouts are accepted (C gets whole seconds, rounded up); a
           wait in the main thread can be interrupted with Ctrl-C, and a job
           that the interrupted call reaps afterwards is kept for the next
           ``wait`` for it or for :attr:`JOB_IDS_SESSION_ANY` (see
           :doc:`/threads`); code 24 raises :exc:`NoResourceUsageException`.
        """
        job = helpers.to_bytes(jobId, "jobId")
        info: JobInfo = _reaped.wait(
            job, timeout, functools.partial(_reap, job), functools.partial(_job_ps, job), _waits_answered_locally()
        )
        return info

    @staticmethod
    def jobStatus(jobId: Union[str, bytes]) -> str:
        """Return the state of a job, a :class:`JobState` value such as ``'running'``.

        :raises InvalidJobException: if the job is unknown or already reaped
            (a job reaped by a :class:`drmaa.futures.JobExecutor` for this
            program reads ``'done'`` or ``'failed'`` until it is waited for).

        Wraps ``drmaa_job_ps()``.
        """
        job = helpers.to_bytes(jobId, "jobId")
        try:
            return job_state(_job_ps(job))
        except InvalidJobException:
            kept = _waiting.final_state(job)  # reaped already, kept for the next wait
            if kept is None:
                raise
            return kept

    def __enter__(self) -> Session:
        self.initialize(self.contactString)
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if exc_type is None:
            self.exit()
            return
        try:
            self.exit()
        except Exception:  # noqa: BLE001 - never mask the exception of the with-body
            pass
