"""The fake library answers as Grid Engine's libdrmaa does, called the way ctypes calls C.

These tests pin the fake to the behaviour observed on SGE 8.1.9, so that
the other unit tests cannot pass because of a fake that is too kind.
"""

from __future__ import annotations

import ctypes
from ctypes import c_char_p, c_int, c_uint, create_string_buffer

import pytest

from drmaa import wrappers

from .fakelib import ERROR_TEXTS, OPTIONAL_NAMES, SCALAR_NAMES, FakeLibrary


def diag() -> tuple[ctypes.Array[ctypes.c_char], int]:
    return create_string_buffer(1025), 1024


def init(fake: FakeLibrary) -> None:
    assert fake.drmaa_init(None, *diag()) == 0


def template(fake: FakeLibrary, **scalars: bytes) -> wrappers.JobTemplateHandle:
    handle = wrappers.JobTemplateHandle()
    assert fake.drmaa_allocate_job_template(handle, *diag()) == 0
    for name, value in {"drmaa_remote_command": b"/bin/sleep", **scalars}.items():
        assert fake.drmaa_set_attribute(handle, name.encode(), value, *diag()) == 0
    return handle


def run(fake: FakeLibrary, handle: wrappers.JobTemplateHandle) -> str:
    out = create_string_buffer(1025)
    assert fake.drmaa_run_job(out, 1024, handle, *diag()) == 0
    return out.value.decode()


def wait(fake: FakeLibrary, job_id: bytes, timeout: int = 0) -> tuple[int, str, wrappers.AttrValuesHandle, str]:
    out, stat, rusage, (error, length) = create_string_buffer(1025), c_int(), wrappers.AttrValuesHandle(), diag()
    code = fake.drmaa_wait(job_id, out, 1024, stat, timeout, rusage, error, length)
    return code, out.value.decode(), rusage, error.value.decode()


def release(fake: FakeLibrary, rusage: wrappers.AttrValuesHandle) -> None:
    fake.drmaa_release_attr_values(rusage)


def test_has_one_method_per_c_function() -> None:
    fake = FakeLibrary()
    names = {name for name in dir(fake) if name.startswith("drmaa_")}
    assert names == {name for name, _, _ in wrappers.PROTOTYPES}
    assert len(names) == 36


def test_strerror_gives_standard_texts_and_null_past_25(fake: FakeLibrary) -> None:
    assert fake.drmaa_strerror(5) == b"No active session"
    assert fake.drmaa_strerror(23) == b"time-out condition"
    assert [fake.drmaa_strerror(code) is None for code in (-1, 26, 99)] == [True, True, True]
    assert sorted(ERROR_TEXTS) == list(range(26))


def test_buffers_get_len_chars_and_a_nul_at_index_len(fake: FakeLibrary) -> None:
    init(fake)
    contact = (ctypes.c_char * 6).from_buffer_copy(b"\xff" * 6)
    assert fake.drmaa_get_contact(contact, 4, *diag()) == 0
    assert contact.raw == b"sess\0\xff"  # cut silently, rc 0


def test_buffer_without_room_for_the_nul_is_a_violation(fake: FakeLibrary) -> None:
    small = create_string_buffer(4)
    fake.drmaa_get_DRM_system(small, 4, *diag())
    assert fake.violations == ["buffer of 4 bytes passed with length 4: C writes past it"]
    fake.violations.clear()


def test_wrong_argument_types_are_refused_as_ctypes_would(fake: FakeLibrary) -> None:
    with pytest.raises(ctypes.ArgumentError, match="argument 1"):
        fake.drmaa_init("text, not bytes", *diag())
    with pytest.raises(ctypes.ArgumentError, match="argument 2"):
        fake.drmaa_synchronize((c_char_p * 1)(None), 1.5, 0, *diag())
    with pytest.raises(ctypes.ArgumentError, match="argument 1"):
        fake.drmaa_release_attr_values(wrappers.JobIdsHandle())
    with pytest.raises(TypeError, match="takes 3 arguments"):
        fake.drmaa_init(None)


def test_session_lifecycle_as_sge(fake: FakeLibrary) -> None:
    error, length = diag()
    assert fake.drmaa_exit(error, length) == 5
    assert error.value == b""  # SGE leaves the text empty here
    assert fake.drmaa_allocate_job_template(wrappers.JobTemplateHandle(), error, length) == 5
    assert error.value == b"No active session"
    init(fake)
    assert fake.drmaa_init(None, error, length) == 11
    assert fake.drmaa_init(b"bogus contact", *diag()) == 11
    contact = fake.session
    assert fake.drmaa_exit(*diag()) == 0
    assert fake.drmaa_init(b"bogus contact", *diag()) == 4
    assert fake.drmaa_init(contact.encode(), *diag()) == 0
    assert fake.session == contact


def test_version_and_drm_system(fake: FakeLibrary) -> None:
    major, minor, system = c_uint(7), c_uint(7), create_string_buffer(1025)
    assert fake.drmaa_version(major, minor, *diag()) == 0
    assert (major.value, minor.value) == (1, 0)
    assert fake.drmaa_get_DRM_system(system, 1024, *diag()) == 0
    assert system.value == b"FAKE 1.0"


def test_attribute_validation_as_sge(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    error, length = diag()
    for name in (b"drmaa_no_such_attr", b"drmaa_wct_hlimit", b"drmaa_v_argv"):
        assert fake.drmaa_set_attribute(jt, name, b"x", error, length) == 4
        assert error.value == b""
    assert fake.drmaa_set_attribute(jt, b"drmaa_js_state", b"bogus", error, length) == 14
    assert error.value == b'attribute "drmaa_js_state" must be either "drmaa_active" or "drmaa_hold"\n'
    assert fake.drmaa_set_attribute(jt, b"drmaa_join_files", b"maybe", error, length) == 14
    assert error.value.endswith(b'must be either "y" or "n"\n')
    assert fake.drmaa_get_attribute(jt, b"drmaa_wd", create_string_buffer(1025), 1024, error, length) == 14
    assert error.value == b"The value for the job attribute is invalid."
    argv = (c_char_p * 2)(b"x", None)
    assert fake.drmaa_set_vector_attribute(jt, b"drmaa_remote_command", argv, error, length) == 4
    assert error.value == b"The input value for an argument is invalid."
    assert fake.drmaa_get_vector_attribute(jt, b"drmaa_v_env", wrappers.AttrValuesHandle(), error, length) == 14
    fake.scalar_names += OPTIONAL_NAMES
    assert fake.drmaa_set_attribute(jt, b"drmaa_wct_hlimit", b"0:01:00", error, length) == 0
    assert fake.drmaa_delete_job_template(jt, *diag()) == 0


def test_vector_must_be_null_terminated(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    assert fake.drmaa_set_vector_attribute(jt, b"drmaa_v_argv", (c_char_p * 1)(b"x"), *diag()) == 4
    assert fake.violations == ["vector for b'drmaa_v_argv' is not NULL-terminated: C reads past its end"]
    fake.violations.clear()
    fake.drmaa_delete_job_template(jt, *diag())


def test_attribute_names_are_sges(fake: FakeLibrary) -> None:
    names, value = wrappers.AttrNamesHandle(), create_string_buffer(1025)
    assert fake.drmaa_get_attribute_names(names, *diag()) == 0
    count = c_int()
    assert fake.drmaa_get_num_attr_names(names, count) == 0
    assert count.value == len(SCALAR_NAMES) == 13
    read = []
    while fake.drmaa_get_next_attr_name(names, value, 1024) == 0:
        read.append(value.value)
    assert read == list(SCALAR_NAMES)
    assert fake.drmaa_get_next_attr_name(names, value, 1024) == 25
    fake.drmaa_release_attr_names(names)
    assert fake.outstanding() == {}


def test_null_unknown_or_double_frees_are_violations(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    assert fake.drmaa_delete_job_template(jt, *diag()) == 0
    assert fake.drmaa_delete_job_template(jt, *diag()) == 4
    fake.drmaa_release_job_ids(wrappers.JobIdsHandle())
    ids = wrappers.JobIdsHandle(fake.new_list("job_ids", ["1"]))
    fake.drmaa_release_job_ids(ids)
    fake.drmaa_release_job_ids(ids)
    assert len(fake.violations) == 3
    assert all("NULL, unknown" in violation for violation in fake.violations)
    assert fake.outstanding() == {}
    fake.violations.clear()


def test_jobs_count_up_and_run(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    error, length = diag()
    out = create_string_buffer(1025)
    assert fake.drmaa_run_job(out, 1024, jt, error, length) == 0
    assert out.value == b"1"
    assert error.value == b'Your job 1 ("sleep") has been submitted'  # left there although all went well
    assert run(fake, jt) == "2"
    state = c_int()
    assert fake.drmaa_job_ps(b"2", state, *diag()) == 0
    assert state.value == 0x20
    fake.drmaa_delete_job_template(jt, *diag())


def test_empty_remote_command_is_denied(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake, drmaa_remote_command=b"")
    error, length = diag()
    assert fake.drmaa_run_job(create_string_buffer(1025), 1024, jt, error, length) == 17
    assert error.value == b"job rejected cause there is no job_name in the request"
    fake.drmaa_delete_job_template(jt, *diag())


def test_bulk_job_ids_and_bad_ranges(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    ids = wrappers.JobIdsHandle()
    assert fake.drmaa_run_bulk_jobs(ids, jt, 1, 6, 2, *diag()) == 0
    assert fake.lists[ids.value].items == [b"1.1", b"1.3", b"1.5"]
    fake.drmaa_release_job_ids(ids)
    assert fake.drmaa_run_bulk_jobs(wrappers.JobIdsHandle(), jt, 0, 3, 1, *diag()) == 4
    assert fake.drmaa_run_bulk_jobs(wrappers.JobIdsHandle(), jt, 5, 1, 1, *diag()) == 4
    fake.drmaa_delete_job_template(jt, *diag())


def test_wait_reaps_and_unknown_ids_as_sge(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    job = run(fake, jt)
    code, _, rusage, error = wait(fake, job.encode())
    assert (code, rusage.value, error) == (23, None, "time-out condition")
    fake.finish(job, 3)
    code, job_out, rusage, _ = wait(fake, job.encode())
    assert (code, job_out, len(fake.lists[rusage.value].items)) == (0, job, 35)
    release(fake, rusage)
    assert wait(fake, job.encode())[0] == 18
    assert fake.drmaa_job_ps(job.encode(), c_int(), *diag()) == 18
    error, length = diag()
    assert fake.drmaa_control(job.encode(), 4, error, length) == 18
    assert error.value == b"There are no jobs registered"
    assert wait(fake, b"abc")[::3] == (4, 'Job id, "abc", is not a valid job id')
    assert wait(fake, b"DRMAA_JOB_IDS_SESSION_ANY")[0] == 18
    fake.drmaa_delete_job_template(jt, *diag())


def test_job_terminated_on_hold_gives_24_and_leaves_rusage_untouched(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake, drmaa_js_state=b"drmaa_hold")
    job = run(fake, jt)
    assert fake.drmaa_control(job.encode(), 4, *diag()) == 0
    code, job_out, rusage, error = wait(fake, job.encode())
    assert (code, job_out, rusage.value, error) == (24, job, None, ERROR_TEXTS[24])
    assert fake.drmaa_job_ps(job.encode(), c_int(), *diag()) == 18
    fake.drmaa_delete_job_template(jt, *diag())


def test_control_errors_as_sge(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    job = run(fake, jt).encode()
    error, length = diag()
    assert fake.drmaa_control(job, 0, error, length) == 0
    assert fake.drmaa_control(job, 0, error, length) == 20
    assert error.value == b"fakeuser - job 1 is already suspended"
    assert fake.drmaa_control(job, 1, error, length) == 0
    assert fake.drmaa_control(job, 1, error, length) == 19
    assert fake.drmaa_control(job, 3, error, length) == 22
    assert fake.drmaa_control(job, 2, error, length) == 0
    assert fake.drmaa_control(job, 0, error, length) == 20
    assert fake.drmaa_control(job, 99, error, length) == 4
    assert fake.drmaa_control(job, 4, error, length) == 0
    assert fake.drmaa_control(job, 2, error, length) == 21
    fake.drmaa_delete_job_template(jt, *diag())


def test_synchronize_timeout_has_empty_text_and_unknown_ids_are_ignored(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    job = run(fake, jt).encode()
    error, length = diag()
    assert fake.drmaa_synchronize((c_char_p * 2)(job, None), 0, 1, error, length) == 23
    assert error.value == b""
    assert fake.drmaa_synchronize((c_char_p * 2)(b"999999", None), 0, 1, error, length) == 0
    fake.finish_after(job.decode(), waits=2)
    assert fake.drmaa_synchronize((c_char_p * 2)(job, None), 1, 1, error, length) == 23
    assert fake.drmaa_synchronize((c_char_p * 2)(job, None), 1, 1, error, length) == 0
    assert fake.timeouts == [("drmaa_synchronize", 0), ("drmaa_synchronize", 0)] + [("drmaa_synchronize", 1)] * 2
    assert wait(fake, job)[0] == 18  # disposed
    fake.drmaa_delete_job_template(jt, *diag())


def test_waiting_for_ever_on_a_job_that_never_ends_is_a_violation(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    job = run(fake, jt).encode()
    assert wait(fake, job, timeout=-1)[0] == 23
    assert fake.violations == ["drmaa_wait(TIMEOUT_WAIT_FOREVER) would block for ever"]
    fake.violations.clear()
    fake.drmaa_delete_job_template(jt, *diag())


def test_stat_answers(fake: FakeLibrary) -> None:
    init(fake)
    jt = template(fake)
    answers = {}
    for how in ({"exit_status": 3}, {"signal": "SIGSEGV", "core_dump": True}, {"aborted": True}):
        job = run(fake, jt)
        fake.finish(job, **how)
        stat = fake.jobs[job].stat
        values = []
        for name in ("wifexited", "wexitstatus", "wifsignaled", "wcoredump", "wifaborted"):
            value = c_int(-1)
            assert getattr(fake, f"drmaa_{name}")(value, stat, *diag()) == 0
            values.append(value.value)
        signal = create_string_buffer(33)
        fake.drmaa_wtermsig(signal, 32, stat, *diag())
        answers[next(iter(how.values()))] = (values, signal.value)
    assert answers == {
        3: ([1, 3, 0, 0, 0], b"SIGunknown signal"),
        "SIGSEGV": ([0, 0, 1, 1, 0], b"SIGSEGV"),
        True: ([0, 0, 0, 0, 1], b"SIGunknown signal"),
    }
    fake.drmaa_delete_job_template(jt, *diag())


def test_injected_error_is_returned_once_with_its_text(fake: FakeLibrary) -> None:
    fake.fail_next("drmaa_get_DRM_system", 2, "unable to contact qmaster")
    fake.fail_next("drmaa_get_next_job_id", 1)
    error, length = diag()
    system = create_string_buffer(1025)
    assert fake.drmaa_get_DRM_system(system, 1024, error, length) == 2
    assert (system.value, error.value) == (b"", b"unable to contact qmaster")
    assert fake.drmaa_get_DRM_system(system, 1024, error, length) == 0
    assert fake.drmaa_get_next_job_id(wrappers.JobIdsHandle(), system, 1024) == 1
    assert fake.calls == ["drmaa_get_DRM_system", "drmaa_get_DRM_system", "drmaa_get_next_job_id"]
