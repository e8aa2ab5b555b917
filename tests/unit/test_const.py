"""drmaa.const: the values of drmaa.h and the legacy string classes, as in 0.7.9."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from drmaa import const
from drmaa.const import (
    JobControlAction,
    JobState,
    JobSubmissionState,
    control_action_to_string,
    job_state,
    status_to_string,
    string_to_control_action,
    submission_state,
)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEOUT_WAIT_FOREVER", -1),
        ("TIMEOUT_NO_WAIT", 0),
        ("ATTR_BUFFER", 1024),
        ("CONTACT_BUFFER", 1024),
        ("DRM_SYSTEM_BUFFER", 1024),
        ("DRMAA_IMPLEMENTATION_BUFFER", 1024),
        ("ERROR_STRING_BUFFER", 1024),
        ("JOBNAME_BUFFER", 1024),
        ("SIGNAL_BUFFER", 32),
        ("NO_MORE_ELEMENTS", 25),
    ],
)
def test_numbers_keep_their_values(name: str, value: int) -> None:
    assert getattr(const, name) == value
    assert type(getattr(const, name)) is int


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JOB_IDS_SESSION_ALL", b"DRMAA_JOB_IDS_SESSION_ALL"),
        ("JOB_IDS_SESSION_ANY", b"DRMAA_JOB_IDS_SESSION_ANY"),
        ("PLACEHOLDER_INCR", b"$drmaa_incr_ph$"),
        ("PLACEHOLDER_HD", b"$drmaa_hd_ph$"),
        ("PLACEHOLDER_WD", b"$drmaa_wd_ph$"),
        ("REMOTE_COMMAND", b"drmaa_remote_command"),
        ("JS_STATE", b"drmaa_js_state"),
        ("WD", b"drmaa_wd"),
        ("JOB_CATEGORY", b"drmaa_job_category"),
        ("NATIVE_SPECIFICATION", b"drmaa_native_specification"),
        ("BLOCK_EMAIL", b"drmaa_block_email"),
        ("START_TIME", b"drmaa_start_time"),
        ("JOB_NAME", b"drmaa_job_name"),
        ("INPUT_PATH", b"drmaa_input_path"),
        ("OUTPUT_PATH", b"drmaa_output_path"),
        ("ERROR_PATH", b"drmaa_error_path"),
        ("JOIN_FILES", b"drmaa_join_files"),
        ("TRANSFER_FILES", b"drmaa_transfer_files"),
        ("DEADLINE_TIME", b"drmaa_deadline_time"),
        ("WCT_HLIMIT", b"drmaa_wct_hlimit"),
        ("WCT_SLIMIT", b"drmaa_wct_slimit"),
        ("DURATION_HLIMIT", b"drmaa_duration_hlimit"),
        ("DURATION_SLIMIT", b"drmaa_duration_slimit"),
        ("V_ARGV", b"drmaa_v_argv"),
        ("V_ENV", b"drmaa_v_env"),
        ("V_EMAIL", b"drmaa_v_email"),
    ],
)
def test_c_names_are_bytes(name: str, value: bytes) -> None:
    assert getattr(const, name) == value
    assert type(getattr(const, name)) is bytes


def test_submission_states_are_str() -> None:
    assert (const.SUBMISSION_STATE_ACTIVE, const.SUBMISSION_STATE_HOLD) == ("drmaa_active", "drmaa_hold")
    assert (JobSubmissionState.ACTIVE_STATE, JobSubmissionState.HOLD_STATE) == ("drmaa_active", "drmaa_hold")


JOB_STATES = {
    0x00: "undetermined",
    0x10: "queued_active",
    0x11: "system_on_hold",
    0x12: "user_on_hold",
    0x13: "user_system_on_hold",
    0x20: "running",
    0x21: "system_suspended",
    0x22: "user_suspended",
    0x23: "user_system_suspended",
    0x30: "done",
    0x40: "failed",
}


def members(cls: type) -> dict[str, object]:
    return {name: value for name, value in vars(cls).items() if not name.startswith("_")}


def test_job_state_members_are_plain_lowercase_str() -> None:
    states = members(JobState)
    assert sorted(states.values()) == sorted(JOB_STATES.values())
    for name, value in states.items():
        assert type(value) is str
        assert value == name.lower()
    assert str(JobState.RUNNING) == "running"
    assert {JobState.DONE: 1}["done"] == 1


def test_control_actions_and_submission_states_are_plain_str() -> None:
    assert members(JobControlAction) == {
        "SUSPEND": "suspend",
        "RESUME": "resume",
        "HOLD": "hold",
        "RELEASE": "release",
        "TERMINATE": "terminate",
    }
    assert members(JobSubmissionState) == {"HOLD_STATE": "drmaa_hold", "ACTIVE_STATE": "drmaa_active"}


@pytest.mark.parametrize(("code", "state"), sorted(JOB_STATES.items()))
def test_job_state_maps_each_c_code(code: int, state: str) -> None:
    assert job_state(code) == state
    assert status_to_string(code) == state


@pytest.mark.parametrize("code", [0x01, 0x14, 0x99, -1, 1 << 40])
def test_unknown_state_code_is_undetermined(code: int) -> None:
    assert job_state(code) == "undetermined"
    assert status_to_string(code) == "undetermined"


@pytest.mark.parametrize(
    ("action", "code"), [("suspend", 0), ("resume", 1), ("hold", 2), ("release", 3), ("terminate", 4)]
)
def test_control_actions_map_to_c_codes_and_back(action: str, code: int) -> None:
    assert string_to_control_action(action) == code
    assert control_action_to_string(code) == action


def test_unknown_control_action_raises_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'kill'.*suspend, resume, hold, release, terminate"):
        string_to_control_action("kill")


@pytest.mark.parametrize("code", [-1, 5, "0", 2.0])
def test_unknown_control_action_code_raises_value_error(code: object) -> None:
    with pytest.raises(ValueError, match="unknown control action code"):
        control_action_to_string(code)  # type: ignore[arg-type]


def test_submission_state_checks_its_value() -> None:
    assert submission_state("drmaa_hold") == "drmaa_hold"
    assert submission_state("drmaa_active") == "drmaa_active"
    with pytest.raises(ValueError, match=r"'held'.*drmaa_active, drmaa_hold"):
        submission_state("held")


def test_const_and_errors_import_nothing_from_the_c_layer() -> None:
    package = Path(const.__file__).parent
    for module in ("const.py", "errors.py"):
        tree = ast.parse((package / module).read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if "ctypes" in name or name.startswith("drmaa")}, module
