"""The glue between Python values and libdrmaa's C calls.

This is the only place where ``str`` meets ``bytes`` and where status codes
become exceptions. Public objects live in :mod:`drmaa.session`.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping
from ctypes import c_char, c_char_p, c_size_t
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union, overload

from drmaa import wrappers
from drmaa.const import (
    ATTR_BUFFER,
    DRMAA_IMPLEMENTATION_BUFFER,
    ERROR_STRING_BUFFER,
    NO_MORE_ELEMENTS,
    TIMEOUT_WAIT_FOREVER,
)
from drmaa.errors import (
    DrmaaException,
    InvalidJobTemplateException,
    error_class,
)

if TYPE_CHECKING:
    from ctypes import Array

__all__ = [
    "ENCODING",
    "Attribute",
    "BoolAttribute",
    "DiagnosisBuffer",
    "DictAttribute",
    "TimeLimitAttribute",
    "VectorAttribute",
    "call",
    "check_timeout",
    "deleted_template",
    "job_id_list",
    "library_counts_minutes",
    "make_error",
    "may_be_cut",
    "read_attr_names",
    "read_attr_values",
    "read_job_ids",
    "read_string",
    "read_whole",
    "string_array",
    "string_buffer",
    "template_call",
    "to_bytes",
    "to_str",
]

#: The one text codec, used both ways. ``surrogateescape`` lets bytes that
#: are not UTF-8 (file names, say) travel through ``str`` and back unchanged.
ENCODING = "utf-8"
_ERRORS = "surrogateescape"

#: Buffer for one opaque list element. Linux caps one argument or environment
#: string at 128 KiB (MAX_ARG_STRLEN), so no job value is longer; the binding
#: sends none that could not be read back whole (see :func:`may_be_cut`).
LIST_VALUE_BUFFER = 128 * 1024

#: Largest buffer offered for one value read with a caller-sized buffer. A
#: library that fills even this much is not telling where its value ends.
MAX_VALUE_BUFFER = 64 * 1024 * 1024


# --- text ---------------------------------------------------------------


def to_bytes(value: Any, what: str = "value") -> bytes:
    """Encode *value* for C: ``str`` in UTF-8, ``bytes`` as is, numbers as decimal text.

    :param what: names the attribute or argument in error messages.
    :raises TypeError: for any other type (``None`` included).
    :raises ValueError: if the value holds a NUL byte (C would cut it there)
        or cannot be encoded.
    """
    if type(value) is str and "\0" not in value:  # the common case, checked on the text: U+0000 is the only NUL
        try:
            return value.encode(ENCODING)
        except UnicodeEncodeError:
            pass
    if isinstance(value, str):
        try:
            data = value.encode(ENCODING)
        except UnicodeEncodeError:
            data = _encode_escaped(value, what)
    elif isinstance(value, bytes):
        data = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            data = str(value).encode("ascii")
        except ValueError:  # more digits than sys.get_int_max_str_digits()
            raise ValueError(f"{what}: the number is too large to be written as text") from None
    else:
        raise TypeError(f"{what}: expected str, bytes or a number, got {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what}: contains a NUL byte, which C would silently cut there")
    return data


def _encode_escaped(value: str, what: str) -> bytes:
    """Encode text holding surrogates: only escaped bytes that read back as the same text."""
    try:
        data = value.encode(ENCODING, _ERRORS)
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what}: cannot encode {value[exc.start : exc.end]!r} as {ENCODING}") from None
    # Escaped bytes that happen to form UTF-8 ('\udcc3\udca9' -> b'\xc3\xa9')
    # would read back as other text ('é'): refuse rather than change the value.
    if to_str(data) != value:
        raise ValueError(f"{what}: its escaped bytes form {ENCODING} text, so it would not read back the same")
    return data


def to_str(data: bytes) -> str:
    """Decode bytes from C with the package's codec."""
    return data.decode(ENCODING, _ERRORS)


def string_buffer(size: int) -> Array[c_char]:
    """Return a zeroed buffer for *size* characters.

    libdrmaa (Grid Engine) writes ``size`` characters and then a NUL one past
    them, so the buffer has one spare byte; pass *size* as its length.
    """
    return (c_char * (size + 1))()  # what create_string_buffer(size + 1) makes, without its checks and audit event


def may_be_cut(value: bytes, size: int) -> bool:
    """Tell whether *value*, read into a buffer passed with length *size*, may have been cut.

    ``drmaa.h`` does not say how a library cuts a value too long for the
    buffer: Grid Engine writes *size* characters and a NUL one past them,
    slurm-drmaa (``strlcpy``) ``size - 1`` characters and a NUL. Only a value
    shorter than both is known to be whole.
    """
    return len(value) >= size - 1


def read_whole(fill: Callable[[Array[c_char], int], None], size: int) -> bytes:
    """Read a value with ``fill(buffer, length)``, offering more room until it is known to be whole.

    :raises DrmaaException: if the library fills even :data:`MAX_VALUE_BUFFER` bytes.
    """
    out = string_buffer(size)
    while True:
        fill(out, size)
        value = out.value
        if not may_be_cut(value, size):
            return value
        if size >= MAX_VALUE_BUFFER:
            raise DrmaaException(f"the library filled a buffer of {size} bytes: its value cannot be read whole")
        size *= 4
        out = string_buffer(size)


def string_array(items: Iterable[bytes]) -> Any:
    """Return a NULL-terminated ``const char *[]`` holding *items*."""
    values = items if type(items) is list else list(items)
    return (c_char_p * (len(values) + 1))(*values, None)


def job_id_list(job_ids: Any, what: str = "jobIds") -> list[bytes]:
    """Encode a list of job ids; a lone ``str``/``bytes`` is one id, not characters."""
    if isinstance(job_ids, (str, bytes)):
        return [to_bytes(job_ids, what)]
    try:
        items = list(job_ids)
    except TypeError:
        raise TypeError(f"{what}: expected a list of job ids, got {type(job_ids).__name__}") from None
    return [to_bytes(item, f"{what}[{index}]") for index, item in enumerate(items)]


# --- calls and errors ----------------------------------------------------


def make_error(code: int, diagnosis: bytes) -> DrmaaException:
    """Build the exception for a non-zero DRMAA status *code*.

    An empty diagnosis (Grid Engine leaves it empty for some errors) is
    replaced by ``drmaa_strerror(code)``.
    """
    text = diagnosis.decode(ENCODING, "replace").strip()
    if not text:
        standard = wrappers.lib.drmaa_strerror(code)
        text = standard.decode(ENCODING, "replace") if standard else f"unknown DRMAA error code {code}"
    exc = error_class(code)(f"code {code}: {text}")
    exc.code = code
    exc.diagnosis = text
    return exc


#: A zeroed diagnosis buffer of ``ERROR_STRING_BUFFER + 1`` bytes, as a type made
#: once: instantiating it is cheaper than create_string_buffer().
DiagnosisBuffer = c_char * (ERROR_STRING_BUFFER + 1)


def call(name: str, *args: Any, diagnosis: Optional[Array[c_char]] = None) -> None:
    """Call the C function *name* with *args* and a fresh diagnosis buffer.

    Each call has a buffer of its own, so concurrent calls in other threads
    never see each other's messages.

    :param diagnosis: a :data:`DiagnosisBuffer` no other thread can use
        meanwhile (a job template's, under its lock), used instead of a fresh
        one; it is emptied first.
    :raises DrmaaException: the subclass registered for a non-zero status.
    """
    if diagnosis is None:
        diagnosis = DiagnosisBuffer()
    else:
        diagnosis.value = b""
    code = getattr(wrappers.lib, name)(*args, diagnosis, ERROR_STRING_BUFFER)
    if code:
        raise make_error(code, diagnosis.value)


def template_call(template: Any, name: str, *args: Any) -> None:
    """:func:`call` *name* with a job template's C handle and then *args*, holding the template's lock.

    The lock keeps :meth:`~drmaa.JobTemplate.delete` in another thread from
    freeing the handle while the library uses it. It also makes the
    template's own diagnosis buffer (``template._diagnosis``, a
    :data:`DiagnosisBuffer`) this call's alone: it is emptied before the call
    and read before the lock is released.

    :raises InvalidJobTemplateException: if the template was deleted.
    """
    with template._lock:
        handle = template._jt
        if handle is None:
            raise deleted_template()
        diagnosis = template._diagnosis
        diagnosis.value = b""
        code = getattr(wrappers.lib, name)(handle, *args, diagnosis, ERROR_STRING_BUFFER)
        if code:
            raise make_error(code, diagnosis.value)


def deleted_template() -> InvalidJobTemplateException:
    """The error of any use of a job template after :meth:`~drmaa.JobTemplate.delete`."""
    return InvalidJobTemplateException("the job template was deleted")


def read_string(name: str, size: int, *args: Any) -> str:
    """Call ``name(char *out, size_t size, args..., err...)`` and decode *out*.

    *size* is the first buffer offered; a value that may have been cut is
    read again with more room (see :func:`read_whole`).
    """
    return to_str(read_whole(lambda out, length: call(name, out, length, *args), size))


# --- opaque lists ------------------------------------------------------------

# Element buffers kept between reads, by size: zeroing a fresh 128 KiB buffer
# for every list read costs more than the reading itself. There are never more
# than the number of threads that read lists at the same time.
_spare_buffers: dict[int, list[Array[c_char]]] = {}


def _read_list(handle: Any, next_name: str, release_name: str, size: int) -> list[str]:
    """Copy every element of an opaque list, then release it, even on error."""
    if not handle.value:  # the library gave no list: there is nothing to release
        return []
    spare = _spare_buffers.setdefault(size, [])
    out = None
    try:
        get_next = wrappers.unchecked(next_name)
        length = c_size_t(size)  # the C type: no argtypes convert it
        try:  # list.pop() and append() are atomic: no two threads ever hold the same buffer
            out = spare.pop()
        except IndexError:
            out = string_buffer(size)
        out[0] = b"\0"
        items: list[bytes] = []
        append = items.append
        while not (code := get_next(handle, out, length)):
            append(out.value)
        if code != NO_MORE_ELEMENTS:
            raise make_error(code, b"")
        if not items:
            return []
        # Elements are read one by one, so a cut one cannot be read again: the
        # binding sends no element this long (see _list_item), the library made it.
        # The test of may_be_cut(), for every element at once.
        if max(map(len, items)) >= size - 1:
            raise DrmaaException(f"a list element fills the {size}-byte buffer: the library may have cut it")
        # One decode for the whole list: no element holds a NUL, so joining on
        # it and splitting again gives each one back whole.
        return b"\0".join(items).decode(ENCODING, _ERRORS).split("\0")
    finally:
        if out is not None:
            spare.append(out)
        getattr(wrappers.lib, release_name)(handle)


def read_attr_names(handle: wrappers.AttrNamesHandle) -> list[str]:
    """Read and release a ``drmaa_attr_names_t`` list."""
    return _read_list(handle, "drmaa_get_next_attr_name", "drmaa_release_attr_names", ATTR_BUFFER)


def read_attr_values(handle: wrappers.AttrValuesHandle) -> list[str]:
    """Read and release a ``drmaa_attr_values_t`` list."""
    return _read_list(handle, "drmaa_get_next_attr_value", "drmaa_release_attr_values", LIST_VALUE_BUFFER)


def read_job_ids(handle: wrappers.JobIdsHandle) -> list[str]:
    """Read and release a ``drmaa_job_ids_t`` list."""
    return _read_list(handle, "drmaa_get_next_job_id", "drmaa_release_job_ids", ATTR_BUFFER)


# --- waiting -----------------------------------------------------------------


def check_timeout(timeout: Any) -> float:
    """Validate a timeout in seconds: a number >= 0 or ``TIMEOUT_WAIT_FOREVER``.

    :returns: the timeout as a float, ``math.inf`` for "forever".
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout: expected seconds as int or float, got {type(timeout).__name__}")
    if timeout == TIMEOUT_WAIT_FOREVER or timeout == math.inf:
        return math.inf
    try:
        seconds = float(timeout)
    except OverflowError:  # an int beyond any float
        raise ValueError("timeout: too many seconds to count; use TIMEOUT_WAIT_FOREVER (-1)") from None
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"timeout: expected seconds >= 0 or TIMEOUT_WAIT_FOREVER (-1), got {timeout!r}")
    return seconds


# --- job template attributes ---------------------------------------------------

V = TypeVar("V")

_AttributeBuffer = c_char * (ATTR_BUFFER + 1)  # made once: see DiagnosisBuffer


class Attribute(Generic[V]):
    """A scalar job template attribute (``drmaa_set_attribute``/``drmaa_get_attribute``).

    Read on the class, the descriptor returns itself and never calls C.
    """

    def __init__(self, name: bytes, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, instance: None, owner: Optional[type] = None) -> Attribute[V]: ...

    @overload
    def __get__(self, instance: Any, owner: Optional[type] = None) -> V: ...

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Union[V, Attribute[V]]:
        if instance is None:
            return self
        value: V = self.decode(self.get_raw(instance))
        return value

    #: The C function that stores the value :meth:`encode` made.
    setter = "drmaa_set_attribute"

    def __set__(self, instance: Any, value: V) -> None:
        # template_call() written out on purpose: calling it costs 9% more
        # instructions per value set, on the path every template takes.
        data = self.encode(value)
        with instance._lock:
            handle = instance._jt
            if handle is None:
                raise deleted_template()
            diagnosis = instance._diagnosis
            diagnosis.value = b""
            code = getattr(wrappers.lib, self.setter)(handle, self.name, data, diagnosis, ERROR_STRING_BUFFER)
            if code:
                raise make_error(code, diagnosis.value)
            # Long scalar values are kept, so that a read can tell when the library
            # gives back less than was set (vector values are ctypes arrays).
            long_values = instance._long_values
            if type(data) is bytes and len(data) >= ATTR_BUFFER - 1:
                long_values[self.name] = data
            elif long_values:
                long_values.pop(self.name, None)

    # conversions, overridden by subclasses
    def encode(self, value: Any) -> Any:
        """Convert *value* to what :attr:`setter` takes after the attribute name."""
        if type(value) is str and "\0" not in value:
            try:
                return value.encode(ENCODING)
            except UnicodeEncodeError:
                pass
        return to_bytes(value, self.attr)

    def decode(self, raw: bytes) -> Any:
        return raw.decode(ENCODING, _ERRORS)  # to_str() without a second call

    def get_raw(self, instance: Any) -> bytes:
        out = _AttributeBuffer()
        template_call(instance, "drmaa_get_attribute", self.name, out, ATTR_BUFFER)
        value = out.value
        if len(value) < ATTR_BUFFER - 1:  # known whole (see may_be_cut): the common case, read once
            return value
        value = read_whole(
            lambda buffer, size: template_call(instance, "drmaa_get_attribute", self.name, buffer, size),
            ATTR_BUFFER * 4,
        )
        # A library that copies into a DRMAA_ATTR_BUFFER of its own gives back at
        # most that much whatever room it is offered; the binding knows what it set.
        sent = instance._long_values.get(self.name)
        if sent is not None and len(value) < len(sent) and sent.startswith(value):
            raise DrmaaException(
                f"{self.attr}: the library gives back only {len(value)} of the {len(sent)} bytes "
                "of the value set, so it cannot be read whole"
            )
        return value


class BoolAttribute(Attribute[bool]):
    """A boolean attribute written as a pair of words (``'y'``/``'n'``, ``'1'``/``'0'``)."""

    _TRUE = frozenset({"y", "yes", "1", "true"})
    _FALSE = frozenset({"n", "no", "0", "false"})

    def __init__(self, name: bytes, true: bytes, false: bytes, doc: str = "") -> None:
        super().__init__(name, doc)
        self.true = true
        self.false = false

    def encode(self, value: Any) -> bytes:
        if value is True or value is False:  # the common case first
            return self.true if value else self.false
        if isinstance(value, (str, bytes)):
            word = (value.decode(ENCODING, "replace") if isinstance(value, bytes) else value).strip().lower()
            if word in self._TRUE:
                return self.true
            if word in self._FALSE:
                return self.false
            raise ValueError(f"{self.attr}: expected a bool, got {value!r}")
        if isinstance(value, (bool, int)):
            return self.true if value else self.false
        raise TypeError(f"{self.attr}: expected a bool, got {type(value).__name__}")

    def decode(self, raw: bytes) -> Any:
        word = to_str(raw).strip().lower()
        if word in self._TRUE:
            return True
        if word in self._FALSE:
            return False
        return to_str(raw)


_TIME_LIMIT = re.compile(r"(?:(?:(\d+):)?(\d+):)?(\d+)", re.ASCII)

# The library whose time limits were last looked at, and whether it keeps only whole minutes.
_minute_limits: tuple[Any, bool] = (None, False)


def library_counts_minutes() -> bool:
    """Tell whether the loaded library keeps only the whole minutes of a time limit.

    slurm-drmaa 1.1 turns ``H:MM[:SS]`` into ``60*H + MM`` minutes and drops
    the seconds (``slurmdrmaa_datetime_parse`` in its ``slurm_drmaa/util.c``);
    it is recognised by ``drmaa_get_DRMAA_implementation()``, a text it has
    without contacting Slurm. The answer is kept for as long as the same
    library is loaded.
    """
    global _minute_limits
    library, answer = _minute_limits
    if library is not wrappers.lib:
        try:
            implementation = read_string("drmaa_get_DRMAA_implementation", DRMAA_IMPLEMENTATION_BUFFER)
        except DrmaaException:
            implementation = ""
        answer = implementation.startswith("DRMAA for Slurm")
        _minute_limits = (wrappers.lib, answer)
    return answer


class TimeLimitAttribute(Attribute[Union[int, str]]):
    """A time limit: int seconds, a :class:`datetime.timedelta` or ``'[[h:]m:]s'`` text.

    Every limit the binding can read as a duration is sent as ``H:MM:SS``,
    which Grid Engine and slurm-drmaa both read as that duration, and is read
    back as int seconds: ``'1:30'`` is 90 seconds (the DRMAA format), never
    one hour and a half. Other text (``'INFINITY'``, say) is passed through
    for the DRM to judge and read back as text. A fraction of a second counts
    as a whole one. A library that keeps only whole minutes (slurm-drmaa)
    refuses any other limit with :exc:`ValueError` instead of cutting it.
    """

    def encode(self, value: Any) -> bytes:
        if isinstance(value, datetime.timedelta):
            value = value.total_seconds()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = self._seconds(value)
        else:
            data = to_bytes(value, self.attr)
            match = _TIME_LIMIT.fullmatch(to_str(data).strip())
            if match is None:
                return data
            try:
                hours, minutes, rest = (int(group) if group else 0 for group in match.groups())
            except ValueError:  # more digits than sys.get_int_max_str_digits()
                raise ValueError(f"{self.attr}: too many digits to read as a time limit") from None
            seconds = hours * 3600 + minutes * 60 + rest
        if seconds % 60 and library_counts_minutes():
            raise ValueError(
                f"{self.attr}: this DRMAA library keeps only whole minutes of a time limit and would "
                f"drop the seconds of {seconds} s; give a multiple of 60 seconds"
            )
        hours, rest = divmod(seconds, 3600)
        try:
            return f"{hours}:{rest // 60:02d}:{rest % 60:02d}".encode("ascii")
        except ValueError:  # more digits than sys.get_int_max_str_digits()
            raise ValueError(f"{self.attr}: too many seconds to write as text") from None

    def _seconds(self, value: float) -> int:
        """Whole seconds of a number of seconds, a fraction counting as one."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.attr}: expected a finite number of seconds, got {value!r}")
        if value < 0:
            shown = repr(value) if value > -1e300 else "a negative number"  # repr() refuses huge ints
            raise ValueError(f"{self.attr}: expected seconds >= 0, got {shown}")
        return math.ceil(value)

    def decode(self, raw: bytes) -> Any:
        text = to_str(raw)
        match = _TIME_LIMIT.fullmatch(text.strip())
        if not match:
            return text
        hours, minutes, seconds = (int(group) if group else 0 for group in match.groups())
        return hours * 3600 + minutes * 60 + seconds


def _list_item(item: Any, what: str) -> bytes:
    """Encode one element of a vector attribute, no longer than the library can give back."""
    if isinstance(item, bool) or not isinstance(item, (str, bytes, int, float)):
        try:
            item = str(item)  # COMPAT(0.7.x): items of any type are converted with str()
        except ValueError:  # e.g. a container of ints too large to print
            raise ValueError(f"{what}: cannot be written as text") from None
    data = to_bytes(item, what)
    # A longer value could not be read back whole (see LIST_VALUE_BUFFER);
    # Linux would refuse it as an argument or environment string anyway.
    if may_be_cut(data, LIST_VALUE_BUFFER):
        raise ValueError(
            f"{what}: {len(data)} bytes is longer than the {LIST_VALUE_BUFFER - 2} bytes "
            "a job argument or environment string may have"
        )
    return data


def _encode_text_items(items: Any) -> Optional[list[bytes]]:
    """Encode a list of plain ``str`` in one pass, or return None to take the checked path.

    Joining with NUL both checks that every item is a ``str`` (``join``
    refuses anything else) and finds NUL bytes inside items: they would make
    more pieces than items. None is returned for anything unusual (other
    types, NUL, surrogates, a value that may be too long), and the item-by-item
    path then converts it or names the offending item.
    """
    try:
        data = "\0".join(items).encode(ENCODING)
    except (TypeError, UnicodeEncodeError):
        return None
    if may_be_cut(data, LIST_VALUE_BUFFER):  # some item may be too long: let the checked path say which
        return None
    pieces = data.split(b"\0")
    if len(pieces) != len(items):  # a NUL inside an item, or no items at all
        return None
    return pieces


class VectorAttribute(Attribute[list[str]]):
    """A vector attribute (``drmaa_set_vector_attribute``), as a list of ``str``.

    Items are converted with ``str()``; a lone ``str`` or ``bytes`` is one item.
    """

    setter = "drmaa_set_vector_attribute"

    def encode(self, value: Any) -> Any:
        items = self.encode_items(value)
        return (c_char_p * (len(items) + 1))(*items, None)  # string_array() without a second call

    def encode_items(self, value: Any) -> list[bytes]:
        if type(value) is list or type(value) is tuple:
            fast = _encode_text_items(value)
            if fast is not None:
                return fast
        if isinstance(value, (str, bytes)):
            return [to_bytes(value, self.attr)]
        try:
            items = list(value)
        except TypeError:
            raise TypeError(f"{self.attr}: expected a list, got {type(value).__name__}") from None
        return [_list_item(item, f"{self.attr}[{index}]") for index, item in enumerate(items)]

    def read_values(self, instance: Any) -> list[str]:
        handle = wrappers.AttrValuesHandle()
        template_call(instance, "drmaa_get_vector_attribute", self.name, handle)
        return read_attr_values(handle)

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        return self.read_values(instance)


class DictAttribute(VectorAttribute):
    """The job environment: a mapping sent as ``"name=value"`` strings.

    Read back, each string is split at its first ``=``.
    """

    def encode_items(self, value: Any) -> list[bytes]:
        if type(value) is dict and "" not in value:
            try:  # both joins raise TypeError unless every name and every value is a str
                # A name holding '=' would read back split elsewhere: the checked path refuses it.
                fast = None if "=" in "".join(value) else _encode_text_items(list(map("=".join, value.items())))
            except TypeError:
                fast = None
            if fast is not None:
                return fast
        if not isinstance(value, Mapping):
            raise TypeError(f"{self.attr}: expected a mapping of names to values, got {type(value).__name__}")
        items = []
        names: set[bytes] = set()
        for key, item in value.items():
            name = to_bytes(key, f"{self.attr} name")
            if not name or b"=" in name:
                raise ValueError(f"{self.attr}: variable name {key!r} must be non-empty and hold no '='")
            if name in names:  # 'A' and b'A', or 1 and '1': one would silently replace the other
                raise ValueError(f"{self.attr}: variable name {key!r} is given twice")
            names.add(name)
            text = _list_item(item, f"{self.attr}[{key!r}]")
            items.append(_list_item(name + b"=" + text, f"{self.attr}[{key!r}]"))
        return items

    def __get__(self, instance: Any, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        pairs = (item.partition("=") for item in self.read_values(instance))
        return {name: value for name, _, value in pairs}
