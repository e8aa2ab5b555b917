"""drmaa.errors: one class per DRMAA error code, the message format and the builtin co-bases."""

from __future__ import annotations

import pytest

import drmaa
from drmaa import errors, helpers
from drmaa.session import Session

from .fakelib import ERROR_TEXTS, FakeLibrary

CLASSES = {
    1: "InternalException",
    2: "DrmCommunicationException",
    3: "AuthorizationException",
    4: "InvalidArgumentException",
    5: "NoActiveSessionException",
    6: "OutOfMemoryException",
    7: "InvalidContactStringException",
    8: "DefaultContactStringException",
    9: "NoDefaultContactStringSelectedException",
    10: "DrmsInitException",
    11: "AlreadyActiveSessionException",
    12: "DrmsExitException",
    13: "InvalidAttributeFormatException",
    14: "InvalidAttributeValueException",
    15: "ConflictingAttributeValuesException",
    16: "TryLaterException",
    17: "DeniedByDrmException",
    18: "InvalidJobException",
    19: "ResumeInconsistentStateException",
    20: "SuspendInconsistentStateException",
    21: "HoldInconsistentStateException",
    22: "ReleaseInconsistentStateException",
    23: "ExitTimeoutException",
    24: "NoResourceUsageException",
}


@pytest.mark.parametrize(("code", "name"), sorted(CLASSES.items()))
def test_each_code_has_its_own_class(code: int, name: str) -> None:
    cls = getattr(errors, name)
    assert errors.error_class(code) is cls
    assert cls.code == code
    assert issubclass(cls, errors.DrmaaException)
    assert issubclass(errors.DrmaaException, Exception)


@pytest.mark.parametrize(("code", "name"), sorted(CLASSES.items()))
def test_library_error_carries_class_code_and_message(fake: FakeLibrary, code: int, name: str) -> None:
    fake.fail_next("drmaa_get_DRM_system", code, f"diagnosis of {code}")
    with pytest.raises(errors.DrmaaException) as caught:
        Session.drmsInfo  # noqa: B018 - the read is the call
    assert type(caught.value).__name__ == name
    assert caught.value.code == code
    assert caught.value.diagnosis == f"diagnosis of {code}"
    assert str(caught.value) == f"code {code}: diagnosis of {code}"


@pytest.mark.parametrize("code", sorted(CLASSES))
def test_empty_diagnosis_falls_back_to_strerror(fake: FakeLibrary, code: int) -> None:
    fake.fail_next("drmaa_get_contact", code)
    with pytest.raises(errors.error_class(code)) as caught:
        Session.contact  # noqa: B018 - the read is the call
    assert str(caught.value) == f"code {code}: {ERROR_TEXTS[code]}"
    assert fake.calls == ["drmaa_get_contact", "drmaa_strerror"]


def test_code_24_is_a_drmaa_exception_whose_message_starts_with_code_24() -> None:
    exc = helpers.make_error(24, b"")
    assert isinstance(exc, errors.NoResourceUsageException)
    assert isinstance(exc, errors.DrmaaException)
    assert str(exc).startswith("code 24")


def test_code_25_never_escapes_as_stop_iteration() -> None:
    exc = helpers.make_error(25, b"")
    assert type(exc) is errors.DrmaaException
    assert not isinstance(exc, StopIteration)
    assert str(exc) == f"code 25: {ERROR_TEXTS[25]}"


@pytest.mark.parametrize("code", [26, 99, -1, -25])
def test_unknown_and_negative_codes_raise_plain_drmaa_exception(code: int) -> None:
    exc = helpers.make_error(code, b"")
    assert type(exc) is errors.DrmaaException
    assert exc.code == code
    assert str(exc) == f"code {code}: unknown DRMAA error code {code}"  # strerror gives NULL


def test_diagnosis_is_decoded_with_replacement() -> None:
    assert str(helpers.make_error(1, b"bad \xff byte")) == "code 1: bad \ufffd byte"


def test_trailing_newline_of_sge_diagnosis_is_dropped() -> None:
    exc = helpers.make_error(14, b'attribute "drmaa_join_files" must be either "y" or "n"\n')
    assert str(exc) == 'code 14: attribute "drmaa_join_files" must be either "y" or "n"'


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("InvalidArgumentException", AttributeError),
        ("InvalidAttributeFormatException", AttributeError),
        ("InvalidAttributeValueException", AttributeError),
        ("ConflictingAttributeValuesException", AttributeError),
        ("UnsupportedAttributeException", AttributeError),
        ("OutOfMemoryException", MemoryError),
        ("LibraryNotFoundException", RuntimeError),
        ("LibraryNotFoundException", OSError),
    ],
)
def test_builtin_co_bases(name: str, builtin: type) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, builtin)
    assert issubclass(cls, errors.DrmaaException)


def test_other_classes_have_no_builtin_co_base() -> None:
    for code, name in CLASSES.items():
        if code not in (4, 6, 13, 14, 15):
            assert getattr(errors, name).__mro__[1:] == (errors.DrmaaException, Exception, BaseException, object)


@pytest.mark.parametrize(
    "name", ["IllegalStateException", "InvalidJobTemplateException", "UnsupportedAttributeException"]
)
def test_exceptions_without_a_code(name: str) -> None:
    cls = getattr(drmaa, name)
    assert cls is getattr(errors, name)
    assert issubclass(cls, errors.DrmaaException)
    assert cls.code is None
    assert str(cls("message")) == "message"


def test_a_code_cannot_be_registered_twice() -> None:
    with pytest.raises(TypeError, match="code 18 is already taken by InvalidJobException"):

        class Duplicate(errors.DrmaaException, code=18):
            pass

    assert errors.error_class(18) is errors.InvalidJobException


def test_library_not_found_keeps_message_and_attempts() -> None:
    attempts = [("/a/libdrmaa.so", "no such file (from $DRMAA_LIBRARY_PATH)")]
    exc = errors.LibraryNotFoundException("Could not find drmaa library.", attempts)
    assert str(exc) == "Could not find drmaa library."
    assert exc.attempts == attempts
    assert exc.attempts is not attempts
    assert errors.LibraryNotFoundException("no attempts").attempts == []
    exc.args = ()
    assert str(exc) == ""
