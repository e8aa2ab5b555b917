"""drmaa.JobTemplate: attributes and their conversions, keyword arguments, deletion and memory."""

from __future__ import annotations

import copy
import datetime
import gc
import math
import os
import pathlib
import pydoc
from collections.abc import Iterator
from ctypes import create_string_buffer
from typing import Any

import pytest

from drmaa import JobSubmissionState, JobTemplate, Session, errors, helpers, wrappers

from .fakelib import OPTIONAL_NAMES, SCALAR_NAMES, FakeLibrary, Template

ATTRIBUTES = {
    "remoteCommand": b"drmaa_remote_command",
    "args": b"drmaa_v_argv",
    "jobSubmissionState": b"drmaa_js_state",
    "jobEnvironment": b"drmaa_v_env",
    "workingDirectory": b"drmaa_wd",
    "jobCategory": b"drmaa_job_category",
    "nativeSpecification": b"drmaa_native_specification",
    "email": b"drmaa_v_email",
    "blockEmail": b"drmaa_block_email",
    "startTime": b"drmaa_start_time",
    "jobName": b"drmaa_job_name",
    "inputPath": b"drmaa_input_path",
    "outputPath": b"drmaa_output_path",
    "errorPath": b"drmaa_error_path",
    "joinFiles": b"drmaa_join_files",
    "transferFiles": b"drmaa_transfer_files",
    "deadlineTime": b"drmaa_deadline_time",
    "hardWallclockTimeLimit": b"drmaa_wct_hlimit",
    "softWallclockTimeLimit": b"drmaa_wct_slimit",
    "hardRunDurationLimit": b"drmaa_duration_hlimit",
    "softRunDurationLimit": b"drmaa_duration_slimit",
}


@pytest.fixture
def session(fake: FakeLibrary) -> None:
    Session.initialize()


@pytest.fixture
def jt(session: None) -> Iterator[JobTemplate]:
    with JobTemplate() as template:
        yield template


def stored(fake: FakeLibrary) -> Template:
    """What the library holds for the one template of the test."""
    (template,) = fake.templates.values()
    return template


@pytest.mark.parametrize(("name", "c_name"), sorted(ATTRIBUTES.items()))
def test_attribute_maps_to_its_c_name(jt: JobTemplate, name: str, c_name: bytes) -> None:
    assert getattr(JobTemplate, name).name == c_name
    assert name in dir(jt)


def test_class_attribute_access_returns_descriptor_without_c_call(fake: FakeLibrary) -> None:
    for name in ATTRIBUTES:
        descriptor = getattr(JobTemplate, name)
        assert isinstance(descriptor, helpers.Attribute)
        assert descriptor.__doc__
    assert "remoteCommand" in pydoc.render_doc(JobTemplate, renderer=pydoc.plaintext)
    assert fake.calls == []


CONVERSIONS = [
    ("remoteCommand", "/bin/echo", b"/bin/echo", "/bin/echo"),
    ("jobSubmissionState", JobSubmissionState.HOLD_STATE, b"drmaa_hold", "drmaa_hold"),
    ("jobSubmissionState", JobSubmissionState.ACTIVE_STATE, b"drmaa_active", "drmaa_active"),
    ("workingDirectory", JobTemplate.HOME_DIRECTORY + "/work", b"$drmaa_hd_ph$/work", "$drmaa_hd_ph$/work"),
    ("jobCategory", "short", b"short", "short"),
    ("nativeSpecification", "", b"", ""),
    ("nativeSpecification", "-l h_rt=60 -q all.q", b"-l h_rt=60 -q all.q", "-l h_rt=60 -q all.q"),
    ("startTime", "2030/01/01 12:00", b"2030/01/01 12:00", "2030/01/01 12:00"),
    ("jobName", "my job", b"my job", "my job"),
    ("inputPath", ":/dev/null", b":/dev/null", ":/dev/null"),
    ("outputPath", ":out." + JobTemplate.PARAMETRIC_INDEX, b":out.$drmaa_incr_ph$", ":out.$drmaa_incr_ph$"),
    (
        "errorPath",
        "node1:" + JobTemplate.WORKING_DIRECTORY + "/err",
        b"node1:$drmaa_wd_ph$/err",
        "node1:$drmaa_wd_ph$/err",
    ),
    ("transferFiles", "ioe", b"ioe", "ioe"),
    ("deadlineTime", "2030/01/01 13:00", b"2030/01/01 13:00", "2030/01/01 13:00"),
    ("blockEmail", True, b"1", True),
    ("blockEmail", False, b"0", False),
    ("blockEmail", 1, b"1", True),
    ("blockEmail", "no", b"0", False),
    ("joinFiles", True, b"y", True),
    ("joinFiles", False, b"n", False),
    ("joinFiles", "yes", b"y", True),
    ("joinFiles", b"N", b"n", False),
    ("hardWallclockTimeLimit", 60, b"0:01:00", 60),
    ("softWallclockTimeLimit", datetime.timedelta(hours=1, seconds=5), b"1:00:05", 3605),
    ("hardRunDurationLimit", "1:30", b"0:01:30", 90),  # DRMAA's [[h:]m:]s: 90 s, never 1 h 30 min
    ("softRunDurationLimit", "00:01:00", b"0:01:00", 60),
    ("hardWallclockTimeLimit", "5400", b"1:30:00", 5400),
    ("hardWallclockTimeLimit", b" 2:0:5 ", b"2:00:05", 7205),
    ("hardWallclockTimeLimit", "0:90:00", b"1:30:00", 5400),
    ("hardWallclockTimeLimit", 1.5, b"0:00:02", 2),
    ("hardWallclockTimeLimit", 90061, b"25:01:01", 90061),
    ("hardWallclockTimeLimit", "unlimited", b"unlimited", "unlimited"),
    ("args", ["-n", "hi there"], [b"-n", b"hi there"], ["-n", "hi there"]),
    (
        "args",
        ("a", 1, 2.5, pathlib.Path("/tmp/x"), None),
        [b"a", b"1", b"2.5", b"/tmp/x", b"None"],
        ["a", "1", "2.5", "/tmp/x", "None"],
    ),
    ("args", [], [], []),
    (
        "email",
        ["a@example.org", "b@example.org"],
        [b"a@example.org", b"b@example.org"],
        ["a@example.org", "b@example.org"],
    ),
    ("jobEnvironment", {"A": "1", "B": "x=y", "N": 3}, [b"A=1", b"B=x=y", b"N=3"], {"A": "1", "B": "x=y", "N": "3"}),
    ("jobEnvironment", {}, [], {}),
]


@pytest.mark.parametrize(("name", "value", "sent", "read"), CONVERSIONS)
def test_attribute_converts_both_ways(
    fake: FakeLibrary, jt: JobTemplate, name: str, value: Any, sent: Any, read: Any
) -> None:
    fake.scalar_names += OPTIONAL_NAMES  # a DRM that supports them all
    setattr(jt, name, value)
    c_name = ATTRIBUTES[name]
    assert (stored(fake).vectors if isinstance(sent, list) else stored(fake).scalars)[c_name] == sent
    assert getattr(jt, name) == read
    assert type(getattr(jt, name)) is type(read)


def test_time_limit_int_sent_as_text_not_nul_bytes(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.scalar_names += OPTIONAL_NAMES
    jt.hardWallclockTimeLimit = 60
    assert stored(fake).scalars[b"drmaa_wct_hlimit"] == b"0:01:00"
    assert b"\0" not in stored(fake).scalars[b"drmaa_wct_hlimit"]
    assert jt.hardWallclockTimeLimit == 60


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "expected seconds >= 0"),
        (math.inf, "finite"),
        (math.nan, "finite"),
        (-(10**400), "got a negative number"),
        (10**5000, "too many seconds"),
    ],
    ids=["negative", "infinite", "nan", "huge-negative", "huge"],
)
def test_time_limit_refuses_impossible_values(fake: FakeLibrary, jt: JobTemplate, value: Any, message: str) -> None:
    fake.scalar_names += OPTIONAL_NAMES
    with pytest.raises(ValueError, match=message):
        jt.softRunDurationLimit = value
    assert "drmaa_set_attribute" not in fake.calls


def test_time_limit_unsupported_by_sge_says_so_with_the_standard_text(jt: JobTemplate) -> None:
    with pytest.raises(errors.InvalidArgumentException) as caught:
        jt.hardWallclockTimeLimit = 60
    assert str(caught.value) == "code 4: The input value for an argument is invalid."  # SGE gave no text


def test_bool_read_back_as_text_when_the_library_holds_another_word(fake: FakeLibrary, jt: JobTemplate) -> None:
    jt.blockEmail = True
    stored(fake).scalars[b"drmaa_block_email"] = b"sometimes"
    assert jt.blockEmail == "sometimes"


@pytest.mark.parametrize(
    ("value", "error"), [("maybe", ValueError), (b"perhaps", ValueError), (None, TypeError), (1.5, TypeError)]
)
def test_bool_attribute_refuses_other_values(
    fake: FakeLibrary, jt: JobTemplate, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^joinFiles: expected a bool"):
        jt.joinFiles = value
    assert "drmaa_set_attribute" not in fake.calls


def test_sge_validates_the_submission_state(jt: JobTemplate) -> None:
    with pytest.raises(errors.InvalidAttributeValueException) as caught:
        jt.jobSubmissionState = "bogus"
    assert str(caught.value) == 'code 14: attribute "drmaa_js_state" must be either "drmaa_active" or "drmaa_hold"'
    assert isinstance(caught.value, AttributeError)


@pytest.mark.parametrize("name", ["workingDirectory", "hardWallclockTimeLimit", "args", "jobEnvironment", "email"])
def test_reading_an_unset_attribute_raises_what_the_library_says(jt: JobTemplate, name: str) -> None:
    with pytest.raises(errors.InvalidAttributeValueException) as caught:
        getattr(jt, name)
    assert str(caught.value) == "code 14: The value for the job attribute is invalid."
    assert not hasattr(jt, name)  # an AttributeError, as in 0.7.9


def test_none_value_raises_type_error_naming_the_attribute(jt: JobTemplate) -> None:
    with pytest.raises(TypeError, match=r"^remoteCommand: expected str, bytes or a number, got NoneType$"):
        jt.remoteCommand = None  # type: ignore[assignment]


@pytest.mark.parametrize("name", ["args", "email"])
def test_bare_string_args_is_one_item(fake: FakeLibrary, jt: JobTemplate, name: str) -> None:
    setattr(jt, name, "hello world")
    assert stored(fake).vectors[ATTRIBUTES[name]] == [b"hello world"]
    assert getattr(jt, name) == ["hello world"]


def test_vector_attribute_needs_an_iterable(jt: JobTemplate) -> None:
    with pytest.raises(TypeError, match=r"^args: expected a list, got int$"):
        jt.args = 5


def test_job_environment_accepts_os_environ(monkeypatch: pytest.MonkeyPatch, jt: JobTemplate) -> None:
    monkeypatch.setenv("DRMAA_UNIT_VALUE", "a=b c \u00e9")
    jt.jobEnvironment = os.environ
    assert jt.jobEnvironment == dict(os.environ)
    assert jt.jobEnvironment["DRMAA_UNIT_VALUE"] == "a=b c \u00e9"


def test_job_environment_entry_without_equals_reads_as_empty_value(fake: FakeLibrary, jt: JobTemplate) -> None:
    jt.jobEnvironment = {"A": "1"}
    stored(fake).vectors[b"drmaa_v_env"].append(b"FLAG")
    assert jt.jobEnvironment == {"A": "1", "FLAG": ""}


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (["A=1"], TypeError, "expected a mapping"),
        ({"": "1"}, ValueError, "must be non-empty and hold no '='"),
        ({"A=B": "1"}, ValueError, "must be non-empty and hold no '='"),
        ({"A": "1", b"A": "2"}, ValueError, "is given twice"),
        ({"A": "x\0y"}, ValueError, "NUL byte"),
    ],
)
def test_job_environment_refuses_what_cannot_be_sent(
    fake: FakeLibrary, jt: JobTemplate, value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        jt.jobEnvironment = value
    assert "drmaa_set_vector_attribute" not in fake.calls


@pytest.mark.parametrize(
    ("name", "value"),
    [("remoteCommand", "/bin/echo\0rm"), ("jobName", b"a\0"), ("args", ["ok", "x\0y"]), ("email", ["\0"])],
)
def test_nul_byte_rejected(fake: FakeLibrary, jt: JobTemplate, name: str, value: Any) -> None:
    with pytest.raises(ValueError, match="NUL byte"):
        setattr(jt, name, value)
    assert not {"drmaa_set_attribute", "drmaa_set_vector_attribute"} & set(fake.calls)


def test_values_longer_than_1024_bytes_round_trip(fake: FakeLibrary, jt: JobTemplate) -> None:
    command = "/bin/" + "x" * 5000
    argument = "y" * 100_000
    jt.remoteCommand = command
    jt.args = [argument]
    jt.jobEnvironment = {"BIG": "z" * 50_000}
    assert stored(fake).scalars[b"drmaa_remote_command"] == command.encode()
    assert jt.remoteCommand == command
    assert fake.calls.count("drmaa_get_attribute") > 1  # the first buffer was too small: asked again
    assert jt.args == [argument]
    assert jt.jobEnvironment == {"BIG": "z" * 50_000}


def test_list_item_that_cannot_be_written_as_text_is_refused(fake: FakeLibrary, jt: JobTemplate) -> None:
    with pytest.raises(ValueError, match=r"^args\[1\]: cannot be written as text$"):
        jt.args = ["ok", [10**5000]]
    assert "drmaa_set_vector_attribute" not in fake.calls


def test_list_item_too_long_for_linux_is_refused(fake: FakeLibrary, jt: JobTemplate) -> None:
    with pytest.raises(ValueError, match=r"args\[0\]: 131071 bytes is longer than the 131070 bytes"):
        jt.args = ["x" * 131071]
    assert "drmaa_set_vector_attribute" not in fake.calls


def test_longest_list_item_reads_back_whole_from_a_strlcpy_library(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.strlcpy = True
    jt.args = ["x" * 131070]
    assert jt.args == ["x" * 131070]


# --- values never read back cut ------------------------------------------------------------

LONG_SCALARS = ["jobName", "nativeSpecification", "workingDirectory", "deadlineTime", "remoteCommand"]


@pytest.mark.parametrize("strlcpy", [False, True], ids=["grid-engine-writes", "slurm-drmaa-writes"])
@pytest.mark.parametrize("name", LONG_SCALARS)
@pytest.mark.parametrize("length", [1022, 1023, 1024, 1025, 4094, 4095, 4096, 5000])
def test_long_value_reads_back_whole_however_the_library_cuts(
    fake: FakeLibrary, jt: JobTemplate, strlcpy: bool, name: str, length: int
) -> None:
    fake.strlcpy = strlcpy
    fake.scalar_names += OPTIONAL_NAMES
    value = "0" * length
    setattr(jt, name, value)
    assert getattr(jt, name) == value


def test_value_filling_all_but_the_last_byte_is_read_again_with_more_room(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.strlcpy = True  # slurm-drmaa: 1023 characters and a NUL in the 1024-byte buffer
    jt.jobName = "0" * 5000
    fake.calls.clear()
    assert len(jt.jobName) == 5000
    assert fake.calls.count("drmaa_get_attribute") == 3  # 1024, 4096, 16384


def test_short_value_is_read_once(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.strlcpy = True
    jt.jobName = "0" * 1021
    fake.calls.clear()
    assert jt.jobName == "0" * 1021
    assert fake.calls.count("drmaa_get_attribute") == 1


@pytest.mark.parametrize("strlcpy", [False, True], ids=["grid-engine-writes", "slurm-drmaa-writes"])
def test_library_that_cannot_give_a_value_whole_raises_instead_of_cutting(
    fake: FakeLibrary, jt: JobTemplate, strlcpy: bool
) -> None:
    fake.strlcpy = strlcpy
    fake.attribute_cap = 1023  # copies through a buffer of its own, whatever room it is offered
    jt.jobName = "0" * 5000
    with pytest.raises(errors.DrmaaException, match=r"^jobName: the library gives back only 1023 of the 5000 bytes"):
        jt.jobName  # noqa: B018 - the read is the test
    jt.jobName = "0" * 900  # a shorter value replaces the long one and reads back whole
    assert jt.jobName == "0" * 900


def test_value_the_library_changed_is_returned_as_the_library_has_it(fake: FakeLibrary, jt: JobTemplate) -> None:
    jt.jobName = "0" * 5000
    stored(fake).scalars[b"drmaa_job_name"] = b"1" * 2000  # not a prefix of what was set: no cut
    assert jt.jobName == "1" * 2000


def test_library_that_fills_every_buffer_is_an_error_not_a_loop(
    fake: FakeLibrary, jt: JobTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helpers, "MAX_VALUE_BUFFER", 16384)
    jt.jobName = "0" * 100_000
    with pytest.raises(errors.DrmaaException, match="filled a buffer of 16384 bytes"):
        jt.jobName  # noqa: B018 - the read is the test


@pytest.mark.parametrize("strlcpy", [False, True], ids=["grid-engine-writes", "slurm-drmaa-writes"])
def test_library_strings_read_back_whole(fake: FakeLibrary, strlcpy: bool) -> None:
    fake.strlcpy = strlcpy
    fake.implementation = "I" * 3000
    assert Session.drmaaImplementation == "I" * 3000


# --- time limits mean the same duration to the binding and to the DRM ---------------------


def slurm_drmaa(fake: FakeLibrary) -> None:
    fake.implementation = "DRMAA for Slurm 1.2.0-dev.158e2fb"
    fake.strlcpy = True
    fake.scalar_names += OPTIONAL_NAMES


@pytest.mark.parametrize(
    ("value", "sent", "read"),
    [
        (60, b"0:01:00", 60),
        ("1:30:00", b"1:30:00", 5400),
        ("2:00", b"0:02:00", 120),
        ("600", b"0:10:00", 600),
        (datetime.timedelta(hours=2), b"2:00:00", 7200),
        (0, b"0:00:00", 0),
        ("INFINITY", b"INFINITY", "INFINITY"),
    ],
)
def test_whole_minute_limits_reach_slurm_drmaa_as_h_mm_ss(
    fake: FakeLibrary, jt: JobTemplate, value: Any, sent: bytes, read: Any
) -> None:
    slurm_drmaa(fake)
    jt.hardWallclockTimeLimit = value
    assert stored(fake).scalars[b"drmaa_wct_hlimit"] == sent
    assert jt.hardWallclockTimeLimit == read


@pytest.mark.parametrize("value", [90, "1:30", 30, "0:00:59", 60.5, datetime.timedelta(seconds=61)])
def test_limit_with_seconds_is_refused_where_the_library_drops_them(
    fake: FakeLibrary, jt: JobTemplate, value: Any
) -> None:
    slurm_drmaa(fake)
    with pytest.raises(ValueError, match=r"^hardWallclockTimeLimit: this DRMAA library keeps only whole minutes"):
        jt.hardWallclockTimeLimit = value
    assert "drmaa_set_attribute" not in fake.calls


def test_limit_with_seconds_is_sent_where_the_library_keeps_them(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.scalar_names += OPTIONAL_NAMES
    jt.hardWallclockTimeLimit = "1:30"
    assert stored(fake).scalars[b"drmaa_wct_hlimit"] == b"0:01:30"
    assert jt.hardWallclockTimeLimit == 90


def test_the_library_is_asked_what_it_is_once(fake: FakeLibrary, jt: JobTemplate) -> None:
    slurm_drmaa(fake)
    for seconds in (90, 150, 210):
        with pytest.raises(ValueError, match="whole minutes"):
            jt.hardWallclockTimeLimit = seconds
    assert fake.calls.count("drmaa_get_DRMAA_implementation") == 1


def test_too_many_digits_for_a_limit_is_a_value_error(fake: FakeLibrary, jt: JobTemplate) -> None:
    fake.scalar_names += OPTIONAL_NAMES
    with pytest.raises(ValueError, match="too many digits"):
        jt.hardWallclockTimeLimit = "9" * 5000


def test_one_codec_round_trips_non_ascii(fake: FakeLibrary, jt: JobTemplate) -> None:
    jt.args = ["h\u00e9llo", "\u65e5\u672c\u8a9e", b"raw-\xff"]
    jt.outputPath = ":/tmp/r\u00e9sultat"
    jt.jobEnvironment = {"NAME": "v\u00e4lue"}
    jt.jobName = "\u30b8\u30e7\u30d6"
    assert stored(fake).vectors[b"drmaa_v_argv"] == ["h\u00e9llo".encode(), "\u65e5\u672c\u8a9e".encode(), b"raw-\xff"]
    assert stored(fake).scalars[b"drmaa_output_path"] == ":/tmp/r\u00e9sultat".encode()
    assert jt.args == ["h\u00e9llo", "\u65e5\u672c\u8a9e", "raw-\udcff"]
    assert jt.outputPath == ":/tmp/r\u00e9sultat"
    assert jt.jobEnvironment == {"NAME": "v\u00e4lue"}
    assert jt.jobName == "\u30b8\u30e7\u30d6"
    jt.args = jt.args  # text read back is sent back as the same bytes
    assert stored(fake).vectors[b"drmaa_v_argv"][2] == b"raw-\xff"


# --- construction -----------------------------------------------------------------------


def test_placeholders() -> None:
    assert (JobTemplate.HOME_DIRECTORY, JobTemplate.WORKING_DIRECTORY, JobTemplate.PARAMETRIC_INDEX) == (
        "$drmaa_hd_ph$",
        "$drmaa_wd_ph$",
        "$drmaa_incr_ph$",
    )
    assert all(type(value) is str for value in (JobTemplate.HOME_DIRECTORY, JobTemplate.PARAMETRIC_INDEX))


def test_kwargs_set_attributes_and_unknown_names_are_kept_as_python_attributes(
    fake: FakeLibrary, session: None
) -> None:
    with JobTemplate(remoteCommand="/bin/true", args=["1"], joinFiles=True, galaxy_job_id=42) as jt:
        assert stored(fake).scalars == {b"drmaa_remote_command": b"/bin/true", b"drmaa_join_files": b"y"}
        assert stored(fake).vectors == {b"drmaa_v_argv": [b"1"]}
        assert jt.galaxy_job_id == 42
        assert vars(jt)["galaxy_job_id"] == 42


def test_kwargs_that_cannot_be_set_free_the_template(fake: FakeLibrary, session: None) -> None:
    with pytest.raises(ValueError, match="joinFiles") as caught:
        JobTemplate(remoteCommand="/bin/true", joinFiles="maybe")
    # Freed at once, not by the finalizer: the traceback still holds the half-built template.
    assert caught.traceback
    assert fake.allocated["template"] == fake.freed["template"] == 1


def test_template_needs_an_active_session(fake: FakeLibrary) -> None:
    with pytest.raises(errors.NoActiveSessionException):
        JobTemplate()
    assert fake.allocated["template"] == 0


def test_attribute_names_lists_the_library_scalar_names(fake: FakeLibrary, jt: JobTemplate) -> None:
    assert jt.attributeNames == [name.decode() for name in SCALAR_NAMES]
    assert fake.allocated["attr_names"] == fake.freed["attr_names"] == 1


# --- deletion and memory -------------------------------------------------------------------


def test_delete_twice_is_noop(fake: FakeLibrary, session: None) -> None:
    jt = Session.createJobTemplate()
    jt.delete()
    jt.delete()
    Session.deleteJobTemplate(jt)
    assert fake.calls.count("drmaa_delete_job_template") == 1
    assert fake.freed["template"] == 1


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy])
def test_a_template_cannot_be_copied_so_its_c_template_is_freed_once(
    fake: FakeLibrary, session: None, duplicate: Any
) -> None:
    jt = Session.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    with pytest.raises(TypeError, match="cannot be copied"):
        duplicate(jt)
    assert jt.remoteCommand == "/bin/true"
    del jt
    gc.collect()
    assert fake.calls.count("drmaa_delete_job_template") == 1
    assert fake.freed["template"] == 1


@pytest.mark.parametrize(
    "use",
    [
        lambda jt: jt.remoteCommand,
        lambda jt: setattr(jt, "remoteCommand", "/bin/true"),
        lambda jt: jt.args,
        lambda jt: setattr(jt, "args", ["1"]),
        lambda jt: setattr(jt, "jobEnvironment", {"A": "1"}),
        lambda jt: Session.runJob(jt),
        lambda jt: Session.runBulkJobs(jt, 1, 2, 1),
    ],
)
def test_use_after_delete_raises_clear_error(fake: FakeLibrary, session: None, use: Any) -> None:
    jt = Session.createJobTemplate()
    jt.delete()
    calls = len(fake.calls)
    with pytest.raises(errors.InvalidJobTemplateException, match=r"^the job template was deleted$"):
        use(jt)
    assert fake.calls[calls:] == []


def test_garbage_collected_template_is_freed(fake: FakeLibrary, session: None) -> None:
    jt = JobTemplate(remoteCommand="/bin/true")
    del jt
    gc.collect()
    assert fake.freed["template"] == 1
    assert fake.templates == {}


def test_finalizer_swallows_a_library_error(fake: FakeLibrary, session: None) -> None:
    jt = JobTemplate()
    fake.fail_next("drmaa_delete_job_template", 1, "gone")
    del jt
    gc.collect()
    assert fake.calls[-1] == "drmaa_delete_job_template"
    (address,) = fake.templates  # the library kept it: free it, so this test ends clean
    assert fake.drmaa_delete_job_template(wrappers.JobTemplateHandle(address), create_string_buffer(1025), 1024) == 0


def test_context_manager_deletes_on_exit(fake: FakeLibrary, session: None) -> None:
    with Session.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/true"
    assert fake.freed["template"] == 1
    with pytest.raises(errors.InvalidJobTemplateException):
        jt.remoteCommand  # noqa: B018 - the read is the call


def test_context_manager_does_not_mask_body_exception(fake: FakeLibrary, session: None) -> None:
    with pytest.raises(KeyError, match="from the body"), Session.createJobTemplate():
        fake.fail_next("drmaa_delete_job_template", 1, "could not delete")
        raise KeyError("from the body")
    assert fake.calls[-1] == "drmaa_delete_job_template"
    fake.templates.clear()  # the library kept it; count it freed so this test ends clean
    fake.freed["template"] += 1


def test_context_manager_raises_the_delete_error_when_the_body_succeeded(fake: FakeLibrary, session: None) -> None:
    with pytest.raises(errors.InternalException, match=r"^code 1: could not delete$"), Session.createJobTemplate():
        fake.fail_next("drmaa_delete_job_template", 1, "could not delete")
    fake.templates.clear()
    fake.freed["template"] += 1


def test_allocations_equal_frees_over_10000_template_cycles(fake: FakeLibrary, session: None) -> None:
    for number in range(10_000):
        jt = Session.createJobTemplate()
        jt.remoteCommand = "/bin/true"
        jt.args = [str(number)]
        assert jt.remoteCommand == "/bin/true"
        Session.deleteJobTemplate(jt)
    assert fake.allocated["template"] == fake.freed["template"] == 10_000
    assert fake.allocated["attr_values"] == 0
    assert fake.templates == {}
