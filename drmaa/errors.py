"""The DRMAA exception family and the registry from error code to class.

Nothing here touches the C library: turning a status code into an exception
is done by :func:`drmaa.helpers.call`, which asks :func:`error_class`.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "AlreadyActiveSessionException",
    "AuthorizationException",
    "ConflictingAttributeValuesException",
    "DefaultContactStringException",
    "DeniedByDrmException",
    "DrmCommunicationException",
    "DrmaaException",
    "DrmsExitException",
    "DrmsInitException",
    "ExitTimeoutException",
    "HoldInconsistentStateException",
    "IllegalStateException",
    "InternalException",
    "InvalidArgumentException",
    "InvalidAttributeFormatException",
    "InvalidAttributeValueException",
    "InvalidContactStringException",
    "InvalidJobException",
    "InvalidJobTemplateException",
    "LibraryNotFoundException",
    "NoActiveSessionException",
    "NoDefaultContactStringSelectedException",
    "NoResourceUsageException",
    "OutOfMemoryException",
    "ReleaseInconsistentStateException",
    "ResumeInconsistentStateException",
    "SuspendInconsistentStateException",
    "TryLaterException",
    "UnsupportedAttributeException",
    "error_class",
]

_BY_CODE: dict[int, type[DrmaaException]] = {}


class DrmaaException(Exception):
    """Base class of every exception this package raises for DRMAA errors.

    ``str(exc)`` is ``"code N: <diagnosis>"`` for errors reported by the
    library, as in 0.7.9.

    :ivar code: the DRMAA error code (``drmaa.h``: ``DRMAA_ERRNO_*``), or
        ``None`` for errors raised by the binding itself.
    :ivar diagnosis: the library's diagnosis text (or the standard text for
        the code when the library gave none), or ``None``.
    """

    code: Optional[int] = None
    diagnosis: Optional[str] = None

    def __init_subclass__(cls, code: Optional[int] = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            if code in _BY_CODE:
                raise TypeError(f"DRMAA error code {code} is already taken by {_BY_CODE[code].__name__}")
            cls.code = code
            _BY_CODE[code] = cls


def error_class(code: int) -> type[DrmaaException]:
    """Return the exception class registered for a DRMAA error *code*.

    Unknown, negative and internal codes map to :class:`DrmaaException`.
    """
    return _BY_CODE.get(code, DrmaaException)


# One class per DRMAA_ERRNO_* code of drmaa.h, in code order.


class InternalException(DrmaaException, code=1):
    """DRMAA_ERRNO_INTERNAL_ERROR: unexpected or internal library error."""


class DrmCommunicationException(DrmaaException, code=2):
    """DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE: the DRM system could not be contacted."""


class AuthorizationException(DrmaaException, code=3):
    """DRMAA_ERRNO_AUTH_FAILURE: the request was refused for lack of authorization."""


class InvalidArgumentException(DrmaaException, AttributeError, code=4):
    """DRMAA_ERRNO_INVALID_ARGUMENT: an argument value is invalid."""


class NoActiveSessionException(DrmaaException, code=5):
    """DRMAA_ERRNO_NO_ACTIVE_SESSION: no session is active."""


class OutOfMemoryException(DrmaaException, MemoryError, code=6):
    """DRMAA_ERRNO_NO_MEMORY: the library could not allocate memory."""


class InvalidContactStringException(DrmaaException, code=7):
    """DRMAA_ERRNO_INVALID_CONTACT_STRING: initialization failed on the contact string."""


class DefaultContactStringException(DrmaaException, code=8):
    """DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR: the default contact string did not work."""


class NoDefaultContactStringSelectedException(DrmaaException, code=9):
    """DRMAA_ERRNO_NO_DEFAULT_CONTACT_STRING_SELECTED: no default contact string."""


class DrmsInitException(DrmaaException, code=10):
    """DRMAA_ERRNO_DRMS_INIT_FAILED: the DRM system failed to initialize."""


class AlreadyActiveSessionException(DrmaaException, code=11):
    """DRMAA_ERRNO_ALREADY_ACTIVE_SESSION: a session is already active."""


class DrmsExitException(DrmaaException, code=12):
    """DRMAA_ERRNO_DRMS_EXIT_ERROR: disengaging from the DRM system failed."""


class InvalidAttributeFormatException(DrmaaException, AttributeError, code=13):
    """DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT: an attribute value has the wrong format."""


class InvalidAttributeValueException(DrmaaException, AttributeError, code=14):
    """DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE: an attribute value is invalid (or unset)."""


class ConflictingAttributeValuesException(DrmaaException, AttributeError, code=15):
    """DRMAA_ERRNO_CONFLICTING_ATTRIBUTE_VALUES: attribute values conflict."""


class TryLaterException(DrmaaException, code=16):
    """DRMAA_ERRNO_TRY_LATER: the DRM system is saturated; a retry may succeed."""


class DeniedByDrmException(DrmaaException, code=17):
    """DRMAA_ERRNO_DENIED_BY_DRM: the DRM system rejected the job."""


class InvalidJobException(DrmaaException, code=18):
    """DRMAA_ERRNO_INVALID_JOB: the job does not exist (or was already reaped)."""


class ResumeInconsistentStateException(DrmaaException, code=19):
    """DRMAA_ERRNO_RESUME_INCONSISTENT_STATE: the job is not suspended."""


class SuspendInconsistentStateException(DrmaaException, code=20):
    """DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE: the job is not running."""


class HoldInconsistentStateException(DrmaaException, code=21):
    """DRMAA_ERRNO_HOLD_INCONSISTENT_STATE: the job cannot be held."""


class ReleaseInconsistentStateException(DrmaaException, code=22):
    """DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE: the job is not on hold."""


class ExitTimeoutException(DrmaaException, code=23):
    """DRMAA_ERRNO_EXIT_TIMEOUT: the timeout passed before the job(s) finished."""


class NoResourceUsageException(DrmaaException, code=24):
    """DRMAA_ERRNO_NO_RUSAGE: the job ended but the DRM returned no usage.

    Grid Engine reports it for a job that ended before it ever ran (for
    example deleted while on hold); the job is reaped all the same.

    .. versionchanged:: 0.7.10
       0.7.9 raised a plain :exc:`Exception`; ``str(exc)`` still starts with
       ``"code 24"``.

    :ivar jobInfo: the :class:`~drmaa.JobInfo` of the reaped job, with an
        empty ``resourceUsage``, when raised by :meth:`~drmaa.Session.wait`.
    """

    jobInfo: Any = None


# Errors without a DRMAA code, raised by the binding itself.


class IllegalStateException(DrmaaException):
    """An object is used in a state that does not allow it."""


class InvalidJobTemplateException(DrmaaException):
    """A job template is invalid, for example used after :meth:`~drmaa.JobTemplate.delete`."""


class UnsupportedAttributeException(DrmaaException, AttributeError):
    """The attribute is not supported by this DRMAA implementation."""


class LibraryNotFoundException(DrmaaException, RuntimeError, OSError):
    """libdrmaa could not be found or loaded when :mod:`drmaa` was imported.

    It is a :exc:`RuntimeError` and an :exc:`OSError` at once, so that both
    ``except RuntimeError`` and ``except OSError`` (used by programs that fall
    back to local execution) catch it.

    :ivar attempts: ``(candidate, reason)`` pairs, one per library tried.
    """

    def __init__(self, message: str, attempts: Optional[list[tuple[str, str]]] = None) -> None:
        super().__init__(message)
        self.attempts = list(attempts or [])

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
