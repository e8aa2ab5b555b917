"""drmaa.helpers: the codec, the one call(), opaque lists and sliced waiting."""

from __future__ import annotations

import math
import threading
import types
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drmaa import helpers, wrappers
from drmaa.errors import (
    DrmaaException,
    InternalException,
    InvalidArgumentException,
)
from drmaa.session import JobTemplate, Session

from .fakelib import FakeLibrary

# --- text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", b"plain"),
        ("h\u00e9llo \u65e5\u672c", "h\u00e9llo \u65e5\u672c".encode()),
        (b"\xff raw", b"\xff raw"),
        (60, b"60"),
        (-3, b"-3"),
        (1.5, b"1.5"),
        ("", b""),
    ],
)
def test_to_bytes_encodes_text_bytes_and_numbers(value: Any, expected: bytes) -> None:
    assert helpers.to_bytes(value) == expected


@pytest.mark.parametrize("value", [None, True, ["a"], object()])
def test_to_bytes_refuses_other_types_naming_the_argument(value: Any) -> None:
    with pytest.raises(TypeError, match=f"^jobName: expected str, bytes or a number, got {type(value).__name__}$"):
        helpers.to_bytes(value, "jobName")


@pytest.mark.parametrize("value", ["a\0b", b"a\0b", "\0"])
def test_nul_byte_rejected(value: Any) -> None:
    with pytest.raises(ValueError, match="remoteCommand: contains a NUL byte"):
        helpers.to_bytes(value, "remoteCommand")


def test_bytes_that_are_not_utf8_round_trip_through_str() -> None:
    text = helpers.to_str(b"file-\xff\xfe")
    assert text == "file-\udcff\udcfe"
    assert helpers.to_bytes(text) == b"file-\xff\xfe"


def test_text_that_cannot_be_encoded_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^args\[0\]: cannot encode '\\ud800' as utf-8$"):
        helpers.to_bytes("x\ud800", "args[0]")


def test_escaped_bytes_that_would_read_back_as_other_text_are_refused() -> None:
    with pytest.raises(ValueError, match="would not read back the same"):
        helpers.to_bytes("\udcc3\udca9")


def test_number_too_large_for_text_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        helpers.to_bytes(10**5000, "jobName")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")))
def test_one_codec_round_trips_any_text(text: str) -> None:
    assert helpers.to_str(helpers.to_bytes(text)) == text


@given(st.binary().filter(lambda data: b"\0" not in data))
def test_one_codec_round_trips_any_bytes(data: bytes) -> None:
    assert helpers.to_bytes(helpers.to_str(data)) == data


def test_string_buffer_has_room_for_the_nul_written_past_its_length() -> None:
    assert len(helpers.string_buffer(1024)) == 1025
    assert helpers.string_buffer(4).raw == b"\0" * 5


def test_string_array_is_null_terminated() -> None:
    array = helpers.string_array([b"a", b"bc"])
    assert list(array) == [b"a", b"bc", None]
    assert list(helpers.string_array([])) == [None]


@pytest.mark.parametrize("job_ids", ["12.1", b"12.1"])
def test_bare_string_job_id_is_one_item(job_ids: Any) -> None:
    assert helpers.job_id_list(job_ids) == [b"12.1"]


def test_job_id_list_takes_any_iterable() -> None:
    assert helpers.job_id_list(("1", b"2", 3)) == [b"1", b"2", b"3"]
    assert helpers.job_id_list(iter(["4"])) == [b"4"]


def test_job_id_list_names_what_is_wrong() -> None:
    with pytest.raises(TypeError, match=r"^jobIds: expected a list of job ids, got int$"):
        helpers.job_id_list(12)
    with pytest.raises(TypeError, match=r"^jobIds\[1\]: expected str"):
        helpers.job_id_list(["1", None])


# --- calls ---------------------------------------------------------------------------


def test_each_call_gets_a_fresh_diagnosis_buffer(fake: FakeLibrary, mocker: Any) -> None:
    spy = mocker.spy(fake.drmaa_get_contact, "method")
    helpers.read_string("drmaa_get_contact", 1024)
    helpers.read_string("drmaa_get_contact", 1024)
    (first, second) = (call.args[2] for call in spy.call_args_list)
    assert first is not second
    assert len(first) == 1025 and spy.call_args_list[0].args[3] == 1024


def test_per_call_diagnosis_buffers_do_not_mix_between_threads(fake: FakeLibrary) -> None:
    Session.initialize()
    barrier = threading.Barrier(2, timeout=10)
    original = fake.drmaa_job_ps

    def both_write_then_return(*args: Any) -> int:
        code: int = original(*args)
        barrier.wait()  # both diagnoses are written before either thread reads its own
        return code

    fake.drmaa_job_ps = both_write_then_return  # type: ignore[method-assign]
    messages: dict[str, str] = {}

    def status(job_id: str) -> None:
        try:
            Session.jobStatus(job_id)
        except InvalidArgumentException as exc:
            messages[job_id] = str(exc)

    threads = [threading.Thread(target=status, args=(job_id,)) for job_id in ("abc", "xyz")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert messages == {
        "abc": 'code 4: Job id, "abc", is not a valid job id',
        "xyz": 'code 4: Job id, "xyz", is not a valid job id',
    }


def test_a_call_that_succeeds_ignores_text_left_in_the_diagnosis_buffer(fake: FakeLibrary) -> None:
    Session.initialize()
    with Session.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/sleep"
        assert Session.runJob(jt) == "1"  # SGE wrote 'Your job 1 ("sleep") has been submitted'


# --- opaque lists ----------------------------------------------------------------------


def test_list_is_read_whole_and_released(fake: FakeLibrary) -> None:
    handle = wrappers.JobIdsHandle(fake.new_list("job_ids", ["7.1", "7.3"]))
    assert helpers.read_job_ids(handle) == ["7.1", "7.3"]
    assert fake.freed["job_ids"] == 1


def test_null_list_never_released(fake: FakeLibrary) -> None:
    assert helpers.read_attr_values(wrappers.AttrValuesHandle()) == []
    assert helpers.read_attr_names(wrappers.AttrNamesHandle(None)) == []
    assert fake.calls == []


def test_list_is_released_when_reading_it_fails(fake: FakeLibrary) -> None:
    handle = wrappers.AttrNamesHandle(fake.new_list("attr_names", ["a", "b"]))
    fake.fail_next("drmaa_get_next_attr_name", 1)
    with pytest.raises(InternalException, match=r"^code 1: Unexpected or internal DRMAA error"):
        helpers.read_attr_names(handle)
    assert fake.calls[-1] == "drmaa_release_attr_names"
    assert fake.outstanding() == {}


def test_end_of_list_code_25_never_escapes(fake: FakeLibrary) -> None:
    handle = wrappers.AttrValuesHandle(fake.new_list("attr_values", []))
    assert helpers.read_attr_values(handle) == []
    assert fake.calls == ["drmaa_get_next_attr_value", "drmaa_release_attr_values"]


def test_list_value_cut_by_the_library_is_an_error_not_a_wrong_value(fake: FakeLibrary) -> None:
    handle = wrappers.JobIdsHandle(fake.new_list("job_ids", ["1", "9" * 2000]))
    with pytest.raises(DrmaaException, match="a list element fills the 1024-byte buffer: the library may have cut it"):
        helpers.read_job_ids(handle)
    assert fake.outstanding() == {}


def test_list_buffers_are_reused_and_a_short_value_after_a_long_one_reads_whole(fake: FakeLibrary) -> None:
    helpers._spare_buffers.clear()
    for items in (["x" * 5000, "y"], ["a"], ["bb", "c" * 3000, ""]):
        handle = wrappers.AttrValuesHandle(fake.new_list("attr_values", items))
        assert helpers.read_attr_values(handle) == items
    assert len(helpers._spare_buffers[helpers.LIST_VALUE_BUFFER]) == 1  # one buffer served every read
    assert fake.outstanding() == {}


def test_concurrent_list_reads_never_share_a_buffer(fake: FakeLibrary) -> None:
    helpers._spare_buffers.clear()
    results: dict[int, list[list[str]]] = {}
    start = threading.Barrier(8)

    def reader(number: int) -> None:
        items = [f"{number}-{index}-" + "v" * (number * 100) for index in range(20)]
        start.wait()
        results[number] = [
            helpers.read_attr_values(wrappers.AttrValuesHandle(fake.new_list("attr_values", items))) for _ in range(50)
        ]
        assert all(result == items for result in results[number])

    threads = [threading.Thread(target=reader, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(8))
    assert all(result[0][0].startswith(f"{number}-0-") for number, result in results.items())
    assert 1 <= len(helpers._spare_buffers[helpers.LIST_VALUE_BUFFER]) <= 8
    assert fake.outstanding() == {}


# --- vector attributes: the one-pass path and the checked path agree ----------------------


def _outcome(encode: Any, value: Any) -> Any:
    try:
        return encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)


_ITEMS = st.lists(
    st.one_of(
        st.text(), st.binary(max_size=8), st.integers(), st.sampled_from(["", "\0", "a\0b", "\udcff", "=", "A=1"])
    ),
    max_size=6,
)


@given(_ITEMS)
def test_plain_list_encodes_as_the_item_by_item_path_would(items: list[Any]) -> None:
    attribute = JobTemplate.args
    assert _outcome(attribute.encode_items, items) == _outcome(attribute.encode_items, iter(items))
    assert _outcome(attribute.encode_items, tuple(items)) == _outcome(attribute.encode_items, iter(items))


@given(
    st.dictionaries(
        st.one_of(st.text(max_size=4), st.binary(max_size=2), st.integers()),
        st.one_of(st.text(), st.integers()),
        max_size=5,
    )
)
def test_plain_dict_encodes_as_the_item_by_item_path_would(environment: dict[Any, Any]) -> None:
    attribute = JobTemplate.jobEnvironment
    checked = _outcome(attribute.encode_items, types.MappingProxyType(environment))
    assert _outcome(attribute.encode_items, environment) == checked


def test_plain_list_with_an_item_too_long_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^args\[2\]: 131072 bytes is longer than"):
        JobTemplate.args.encode_items(["a", "b", "x" * 131072])


# --- waiting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [(-1, math.inf), (math.inf, math.inf), (0, 0.0), (2, 2.0), (0.25, 0.25), (10**6, 1e6)],
)
def test_check_timeout_accepts_seconds_and_forever(timeout: Any, seconds: float) -> None:
    assert helpers.check_timeout(timeout) == seconds


@pytest.mark.parametrize("timeout", [True, "5", None, [1]])
def test_check_timeout_refuses_non_numbers(timeout: Any) -> None:
    with pytest.raises(TypeError, match="timeout: expected seconds as int or float"):
        helpers.check_timeout(timeout)


@pytest.mark.parametrize("timeout", [-2, -0.5, math.nan, -math.inf, 10**400])
def test_check_timeout_refuses_impossible_values(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout: "):
        helpers.check_timeout(timeout)
