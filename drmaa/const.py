"""Numbers and names of the DRMAA 1.0 C API, and the legacy string classes.

No ctypes and no I/O belong here: only values that mirror ``drmaa.h``.
"""

from __future__ import annotations

__all__ = [
    "ATTR_BUFFER",
    "BLOCK_EMAIL",
    "CONTACT_BUFFER",
    "DEADLINE_TIME",
    "DRMAA_IMPLEMENTATION_BUFFER",
    "DRM_SYSTEM_BUFFER",
    "DURATION_HLIMIT",
    "DURATION_SLIMIT",
    "ERROR_PATH",
    "ERROR_STRING_BUFFER",
    "INPUT_PATH",
    "JOBNAME_BUFFER",
    "JOB_CATEGORY",
    "JOB_IDS_SESSION_ALL",
    "JOB_IDS_SESSION_ANY",
    "JOB_NAME",
    "JOIN_FILES",
    "JS_STATE",
    "NATIVE_SPECIFICATION",
    "NO_MORE_ELEMENTS",
    "OUTPUT_PATH",
    "PLACEHOLDER_HD",
    "PLACEHOLDER_INCR",
    "PLACEHOLDER_WD",
    "REMOTE_COMMAND",
    "SIGNAL_BUFFER",
    "START_TIME",
    "SUBMISSION_STATE_ACTIVE",
    "SUBMISSION_STATE_HOLD",
    "TIMEOUT_NO_WAIT",
    "TIMEOUT_WAIT_FOREVER",
    "TRANSFER_FILES",
    "V_ARGV",
    "V_EMAIL",
    "V_ENV",
    "WCT_HLIMIT",
    "WCT_SLIMIT",
    "WD",
    "JobControlAction",
    "JobState",
    "JobSubmissionState",
    "control_action_to_string",
    "job_state",
    "status_to_string",
    "string_to_control_action",
    "submission_state",
]

# Buffer sizes (drmaa.h: DRMAA_*_BUFFER).
ATTR_BUFFER = 1024
CONTACT_BUFFER = 1024
DRM_SYSTEM_BUFFER = 1024
DRMAA_IMPLEMENTATION_BUFFER = 1024
ERROR_STRING_BUFFER = 1024
JOBNAME_BUFFER = 1024
SIGNAL_BUFFER = 32

# Timeouts (drmaa.h: DRMAA_TIMEOUT_*), in seconds.
TIMEOUT_WAIT_FOREVER = -1
TIMEOUT_NO_WAIT = 0

# Special job ids (drmaa.h: DRMAA_JOB_IDS_SESSION_*). Bytes, as in 0.7.9.
JOB_IDS_SESSION_ANY = b"DRMAA_JOB_IDS_SESSION_ANY"
JOB_IDS_SESSION_ALL = b"DRMAA_JOB_IDS_SESSION_ALL"

# Status returned by the drmaa_get_next_* iterators at the end of a list.
NO_MORE_ELEMENTS = 25

# Placeholders expanded by the DRM in path attributes (drmaa.h: DRMAA_PLACEHOLDER_*).
PLACEHOLDER_INCR = b"$drmaa_incr_ph$"
PLACEHOLDER_HD = b"$drmaa_hd_ph$"
PLACEHOLDER_WD = b"$drmaa_wd_ph$"

# Scalar job template attribute names (drmaa.h).
REMOTE_COMMAND = b"drmaa_remote_command"
JS_STATE = b"drmaa_js_state"
WD = b"drmaa_wd"
JOB_CATEGORY = b"drmaa_job_category"
NATIVE_SPECIFICATION = b"drmaa_native_specification"
BLOCK_EMAIL = b"drmaa_block_email"
START_TIME = b"drmaa_start_time"
JOB_NAME = b"drmaa_job_name"
INPUT_PATH = b"drmaa_input_path"
OUTPUT_PATH = b"drmaa_output_path"
ERROR_PATH = b"drmaa_error_path"
JOIN_FILES = b"drmaa_join_files"
TRANSFER_FILES = b"drmaa_transfer_files"
DEADLINE_TIME = b"drmaa_deadline_time"
WCT_HLIMIT = b"drmaa_wct_hlimit"
WCT_SLIMIT = b"drmaa_wct_slimit"
DURATION_HLIMIT = b"drmaa_duration_hlimit"
DURATION_SLIMIT = b"drmaa_duration_slimit"

# Vector job template attribute names (drmaa.h).
V_ARGV = b"drmaa_v_argv"
V_ENV = b"drmaa_v_env"
V_EMAIL = b"drmaa_v_email"

# Values of drmaa_js_state (drmaa.h: DRMAA_SUBMISSION_STATE_*).
SUBMISSION_STATE_ACTIVE = "drmaa_active"
SUBMISSION_STATE_HOLD = "drmaa_hold"


class JobState:
    """Job states as plain lowercase strings (``drmaa_job_ps`` results).

    As in drmaa-python 0.7.9 the members are plain ``str``, not an ``enum``:
    programs compare them with literals, print them and use them as dict keys.
    """

    UNDETERMINED = "undetermined"
    QUEUED_ACTIVE = "queued_active"
    SYSTEM_ON_HOLD = "system_on_hold"
    USER_ON_HOLD = "user_on_hold"
    USER_SYSTEM_ON_HOLD = "user_system_on_hold"
    RUNNING = "running"
    SYSTEM_SUSPENDED = "system_suspended"
    USER_SUSPENDED = "user_suspended"
    USER_SYSTEM_SUSPENDED = "user_system_suspended"
    DONE = "done"
    FAILED = "failed"


class JobControlAction:
    """Actions for :meth:`drmaa.Session.control`, as plain lowercase strings."""

    SUSPEND = "suspend"
    RESUME = "resume"
    HOLD = "hold"
    RELEASE = "release"
    TERMINATE = "terminate"


class JobSubmissionState:
    """Values of :attr:`drmaa.JobTemplate.jobSubmissionState`."""

    HOLD_STATE = SUBMISSION_STATE_HOLD
    ACTIVE_STATE = SUBMISSION_STATE_ACTIVE


# drmaa.h: DRMAA_PS_* codes.
_STATE_BY_CODE = {
    0x00: JobState.UNDETERMINED,
    0x10: JobState.QUEUED_ACTIVE,
    0x11: JobState.SYSTEM_ON_HOLD,
    0x12: JobState.USER_ON_HOLD,
    0x13: JobState.USER_SYSTEM_ON_HOLD,
    0x20: JobState.RUNNING,
    0x21: JobState.SYSTEM_SUSPENDED,
    0x22: JobState.USER_SUSPENDED,
    0x23: JobState.USER_SYSTEM_SUSPENDED,
    0x30: JobState.DONE,
    0x40: JobState.FAILED,
}

# drmaa.h: DRMAA_CONTROL_* codes, in code order.
_ACTIONS = (
    JobControlAction.SUSPEND,
    JobControlAction.RESUME,
    JobControlAction.HOLD,
    JobControlAction.RELEASE,
    JobControlAction.TERMINATE,
)

_SUBMISSION_STATES = (SUBMISSION_STATE_ACTIVE, SUBMISSION_STATE_HOLD)


def _shown(value: object) -> str:
    """``repr(value)`` for an error message, cut short; never fails itself."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return f"<{type(value).__name__} too large to print>"
    return text if len(text) <= 80 else f"{text[:76]}..."


def job_state(code: int) -> str:
    """Return the :class:`JobState` string for a ``DRMAA_PS_*`` code.

    .. versionchanged:: 0.7.10
       An unknown code gives :attr:`JobState.UNDETERMINED` instead of
       raising :exc:`KeyError`.
    """
    return _STATE_BY_CODE.get(code, JobState.UNDETERMINED)


def status_to_string(status: int) -> str:
    """Return the :class:`JobState` string for a ``DRMAA_PS_*`` code.

    The same mapping as :func:`job_state`, kept under its 0.7.9 name.
    """
    return job_state(status)


def string_to_control_action(operation: str) -> int:
    """Return the ``DRMAA_CONTROL_*`` code of a :class:`JobControlAction` string.

    :raises ValueError: if *operation* is not a :class:`JobControlAction` value.
    """
    try:
        return _ACTIONS.index(operation)
    except ValueError:
        raise ValueError(f"unknown control action {_shown(operation)}; expected one of {', '.join(_ACTIONS)}") from None


def control_action_to_string(code: int) -> str:
    """Return the :class:`JobControlAction` string of a ``DRMAA_CONTROL_*`` code.

    :raises ValueError: if *code* is not between 0 and 4.
    """
    if isinstance(code, int) and 0 <= code < len(_ACTIONS):
        return _ACTIONS[code]
    raise ValueError(f"unknown control action code {_shown(code)}")


def submission_state(code: str) -> str:
    """Check and return a :class:`JobSubmissionState` string.

    :raises ValueError: if *code* is not ``'drmaa_active'`` or ``'drmaa_hold'``.
    """
    if code in _SUBMISSION_STATES:
        return code
    raise ValueError(f"unknown submission state {_shown(code)}; expected one of {', '.join(_SUBMISSION_STATES)}")
