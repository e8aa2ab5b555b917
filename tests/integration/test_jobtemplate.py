"""JobTemplate on a real DRM: each attribute set, read back, and what the job itself sees.

Jobs write what they observe (working directory, environment, arguments,
standard streams) into files under ``jobdir``, which the tests read back.
"""

from __future__ import annotations

import datetime
import os
import pwd
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from drms import current

import drmaa
from drmaa.errors import (
    InvalidArgumentException,
    InvalidAttributeValueException,
    InvalidJobTemplateException,
)

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()

ALL_ATTRIBUTES = [
    "remoteCommand",
    "args",
    "jobSubmissionState",
    "jobEnvironment",
    "workingDirectory",
    "jobCategory",
    "nativeSpecification",
    "email",
    "blockEmail",
    "startTime",
    "jobName",
    "inputPath",
    "outputPath",
    "errorPath",
    "joinFiles",
    "transferFiles",
    "deadlineTime",
    "hardWallclockTimeLimit",
    "softWallclockTimeLimit",
    "hardRunDurationLimit",
    "softRunDurationLimit",
]

#: The optional DRMAA attributes, with a value to set.
OPTIONAL = [
    ("transferFiles", "ioe", "ioe"),
    ("deadlineTime", "12:00", "12:00"),
    ("hardWallclockTimeLimit", 60, 60),
    ("softWallclockTimeLimit", 120, 120),
    ("hardRunDurationLimit", "1:00:00", 3600),
    ("softRunDurationLimit", 60, 60),
]
UNSUPPORTED = dict(DRM.unsupported_attributes)

NON_ASCII = "héllo wörld ß 中文 ☃"


def strerror(code: int) -> str:
    text: bytes = drmaa.wrappers.lib.drmaa_strerror(code)
    return text.decode()


def q(path: Path) -> str:
    return shlex.quote(str(path))


@pytest.fixture
def jt(session: drmaa.Session) -> Any:
    with session.createJobTemplate() as template:
        yield template


# --- names, unset and unsupported attributes ---------------------------------------------


def test_attribute_names_are_the_librarys(jt: drmaa.JobTemplate) -> None:
    assert jt.attributeNames == list(DRM.attribute_names)


@pytest.mark.parametrize("name", ALL_ATTRIBUTES)
def test_reading_an_unset_attribute_gives_what_the_library_says(jt: drmaa.JobTemplate, name: str) -> None:
    if DRM.unset_read == 14:  # Grid Engine: an error
        with pytest.raises(InvalidAttributeValueException) as caught:
            getattr(jt, name)
        assert caught.value.code == 14
        assert str(caught.value) == "code 14: The value for the job attribute is invalid."
    else:  # slurm-drmaa: '' (an empty list, an empty mapping)
        assert getattr(jt, name) in ("", [], {})


@pytest.mark.parametrize(("name", "value", "read"), OPTIONAL)
def test_optional_attribute_is_set_or_refused_with_a_message(
    jt: drmaa.JobTemplate, name: str, value: object, read: object
) -> None:
    if name not in UNSUPPORTED:
        setattr(jt, name, value)
        assert getattr(jt, name) == read
        return
    with pytest.raises(InvalidArgumentException) as caught:
        setattr(jt, name, value)
    # Grid Engine gives no diagnosis here: the message is drmaa_strerror(4).
    assert caught.value.code == 4
    assert caught.value.diagnosis == strerror(4) == "The input value for an argument is invalid."
    assert str(caught.value) == "code 4: The input value for an argument is invalid."
    assert isinstance(caught.value, AttributeError)
    with pytest.raises(InvalidAttributeValueException):  # still unset
        getattr(jt, name)


@pytest.mark.not_on("slurm", "state-unchecked")
def test_invalid_submission_state_is_refused_by_the_library(jt: drmaa.JobTemplate) -> None:
    with pytest.raises(InvalidAttributeValueException) as caught:
        jt.jobSubmissionState = "bogus"
    assert caught.value.code == 14
    assert str(caught.value) == 'code 14: attribute "drmaa_js_state" must be either "drmaa_active" or "drmaa_hold"'


# --- round trips -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("remoteCommand", "/bin/echo", "/bin/echo"),
        ("remoteCommand", "/tmp/ünï cöde/run", "/tmp/ünï cöde/run"),
        ("args", ["a", "b c", ""], ["a", "b c", ""]),
        ("args", ("-n", 3, 1.5), ["-n", "3", "1.5"]),
        ("jobSubmissionState", drmaa.JobSubmissionState.HOLD_STATE, "drmaa_hold"),
        ("jobSubmissionState", drmaa.JobSubmissionState.ACTIVE_STATE, "drmaa_active"),
        ("jobEnvironment", {"A": "1", "B": "x=y=z", "C": NON_ASCII}, {"A": "1", "B": "x=y=z", "C": NON_ASCII}),
        ("workingDirectory", "/tmp", "/tmp"),
        ("jobCategory", "cat1", "cat1"),
        ("nativeSpecification", "-l h_rt=60 -N natspec", "-l h_rt=60 -N natspec"),
        ("nativeSpecification", "", ""),
        ("email", ["a@example.com", "b@example.com"], ["a@example.com", "b@example.com"]),
        ("blockEmail", True, True),
        ("blockEmail", False, False),
        ("startTime", "12:00", "12:00"),
        ("startTime", "2030/01/02 03:04:05", "2030/01/02 03:04:05"),
        ("jobName", "drmaa-it-name", "drmaa-it-name"),
        ("jobName", NON_ASCII, NON_ASCII),
        ("inputPath", ":/dev/null", ":/dev/null"),
        ("outputPath", "localhost:/tmp/out", "localhost:/tmp/out"),
        ("errorPath", ":$drmaa_wd_ph$/err.$drmaa_incr_ph$", ":$drmaa_wd_ph$/err.$drmaa_incr_ph$"),
        ("joinFiles", True, True),
        ("joinFiles", False, False),
    ],
)
def test_attribute_reads_back(jt: drmaa.JobTemplate, name: str, value: object, expected: object) -> None:
    setattr(jt, name, value)
    assert getattr(jt, name) == expected


def test_keyword_arguments_set_attributes_and_keep_unknown_names(session: drmaa.Session) -> None:
    with drmaa.JobTemplate(remoteCommand="/bin/true", jobName="drmaa-it", galaxyExtra=42) as jt:
        assert jt.remoteCommand == "/bin/true" and jt.jobName == "drmaa-it"
        assert jt.galaxyExtra == 42  # a plain Python attribute
        assert {"remoteCommand", "args", "jobEnvironment", "attributeNames"} <= set(dir(jt))


def test_nul_byte_is_refused_before_the_library_sees_it(jt: drmaa.JobTemplate) -> None:
    jt.jobName = "before"
    jt.args = ["before"]
    jt.jobEnvironment = {"A": "before"}
    with pytest.raises(ValueError, match="NUL"):
        jt.jobName = "a\0b"
    with pytest.raises(ValueError, match="NUL"):
        jt.args = ["ok", "a\0b"]
    with pytest.raises(ValueError, match="NUL"):
        jt.jobEnvironment = {"A": "a\0b"}
    assert (jt.jobName, jt.args, jt.jobEnvironment) == ("before", ["before"], {"A": "before"})


def test_use_after_delete_raises_invalid_job_template(session: drmaa.Session) -> None:
    jt = session.createJobTemplate()
    jt.remoteCommand = "/bin/true"
    jt.delete()
    jt.delete()  # harmless
    with pytest.raises(InvalidJobTemplateException):
        jt.remoteCommand  # noqa: B018
    with pytest.raises(InvalidJobTemplateException):
        jt.jobName = "x"
    with pytest.raises(InvalidJobTemplateException):
        session.runJob(jt)
    with pytest.raises(InvalidJobTemplateException):
        session.runBulkJobs(jt, 1, 2, 1)


def test_with_block_deletes_the_template(session: drmaa.Session) -> None:
    with session.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/true"
    with pytest.raises(InvalidJobTemplateException):
        jt.remoteCommand  # noqa: B018


# --- what the job sees -------------------------------------------------------------------


def test_working_directory_is_where_the_job_runs(jobs: Jobs, jobdir: Path) -> None:
    workdir = jobdir / "work dir ünï"
    workdir.mkdir()
    jt = jobs.template(f"pwd > {q(jobdir / 'pwd')}", workingDirectory=str(workdir))
    assert jt.workingDirectory == str(workdir)
    assert jobs.finish(jt).exitStatus == 0
    assert (jobdir / "pwd").read_text(encoding="utf-8") == f"{workdir}\n"


def test_home_directory_placeholder_as_working_directory(jobs: Jobs, jobdir: Path) -> None:
    jt = jobs.template(f"pwd > {q(jobdir / 'pwd')}", workingDirectory=drmaa.JobTemplate.HOME_DIRECTORY)
    assert jt.workingDirectory == "$drmaa_hd_ph$"
    assert jobs.finish(jt).exitStatus == 0
    home = pwd.getpwuid(os.getuid()).pw_dir
    assert (jobdir / "pwd").read_text(encoding="utf-8") == f"{home}\n"


def test_working_directory_placeholder_in_output_path(jobs: Jobs, jobdir: Path) -> None:
    jt = jobs.template(
        "echo written",
        workingDirectory=str(jobdir),
        outputPath=f":{drmaa.JobTemplate.WORKING_DIRECTORY}/out.txt",
    )
    assert jobs.finish(jt).exitStatus == 0
    assert (jobdir / "out.txt").read_text(encoding="utf-8") == "written\n"


def test_environment_reaches_the_job_with_non_ascii_and_empty_values(jobs: Jobs, jobdir: Path) -> None:
    env = {"DRMAA_IT_TEXT": NON_ASCII, "DRMAA_IT_SPACES": " a  b ", "DRMAA_IT_EMPTY": ""}
    variables = '"$DRMAA_IT_TEXT" "$DRMAA_IT_SPACES" "${DRMAA_IT_EMPTY-unset}"'
    script = f'printf "%s|%s|%s|\\n" {variables} > {q(jobdir / "env")}'
    jt = jobs.template(script, jobEnvironment=env)
    assert jt.jobEnvironment == env
    assert jobs.finish(jt).exitStatus == 0
    assert (jobdir / "env").read_text(encoding="utf-8") == f"{NON_ASCII}| a  b ||\n"


def test_environment_value_with_equals_signs_reaches_the_job_as_the_drm_passes_it(jobs: Jobs, jobdir: Path) -> None:
    """The template holds the whole value; Grid Engine's libdrmaa cuts it at its first '=' on submission.

    ``qsub -v 'X=a=b==c='`` passes the same value whole, so this is the
    library's doing, not the binding's: the binding hands it ``DRMAA_IT_EQ=a=b==c=``.
    slurm-drmaa passes it whole.
    """
    env = {"DRMAA_IT_EQ": "a=b==c=", "DRMAA_IT_TEXT": NON_ASCII}
    jt = jobs.template(f'printf "%s|%s|\\n" "$DRMAA_IT_EQ" "$DRMAA_IT_TEXT" > {q(jobdir / "env")}', jobEnvironment=env)
    assert jt.jobEnvironment == env
    assert jobs.finish(jt).exitStatus == 0
    arrived = "a" if DRM.cuts_environment_at_equals else "a=b==c="
    assert (jobdir / "env").read_text(encoding="utf-8") == f"{arrived}|{NON_ASCII}|\n"


def test_environment_from_os_environ(jobs: Jobs, jobdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRMAA_IT_MARK", "from os.environ")
    jt = jobs.template(f'echo "$DRMAA_IT_MARK" > {q(jobdir / "env")}', jobEnvironment=os.environ)
    assert jt.jobEnvironment["DRMAA_IT_MARK"] == "from os.environ"
    assert jobs.finish(jt).exitStatus == 0
    assert (jobdir / "env").read_text(encoding="utf-8") == "from os.environ\n"


def test_argument_longer_than_1024_bytes_arrives_whole(jobs: Jobs, jobdir: Path) -> None:
    long = "".join(f"{i:04d}{NON_ASCII}" for i in range(200))  # about 5,600 bytes, no two chunks alike
    assert len(long.encode()) > 5000
    args = ["-c", f'printf "%s" "$1" > {q(jobdir / "arg")}; printf "%s" "$#" > {q(jobdir / "argc")}', "sh", long]
    jt = jobs.template(args=args)
    assert jt.args == args
    assert jobs.finish(jt).exitStatus == 0
    assert (jobdir / "arg").read_text(encoding="utf-8") == long
    assert (jobdir / "argc").read_text(encoding="utf-8") == "1"


def test_arguments_are_converted_with_str(jobs: Jobs) -> None:
    jt = jobs.template(args=("-c", 'exit "$0"', 3))
    assert jt.args == ["-c", 'exit "$0"', "3"]
    assert jobs.finish(jt).exitStatus == 3


def test_output_and_error_paths_as_files(jobs: Jobs, jobdir: Path) -> None:
    out, err = jobdir / "out ünï.txt", jobdir / "err.txt"
    jt = jobs.template("echo to-out; echo to-err >&2", outputPath=f":{out}", errorPath=f":{err}", joinFiles=False)
    assert jobs.finish(jt).exitStatus == 0
    assert out.read_text(encoding="utf-8") == "to-out\n"
    assert err.read_text(encoding="utf-8") == "to-err\n"


def test_join_files_merges_error_into_output(jobs: Jobs, jobdir: Path) -> None:
    out, err = jobdir / "out.txt", jobdir / "err.txt"
    jt = jobs.template("echo to-out; echo to-err >&2", outputPath=f":{out}", errorPath=f":{err}", joinFiles=True)
    assert jobs.finish(jt).exitStatus == 0
    assert out.read_text(encoding="utf-8") == "to-out\nto-err\n"
    assert not err.exists()


@pytest.mark.not_on("slurm", "output-dirs")
def test_output_and_error_paths_as_directories(jobs: Jobs, jobdir: Path) -> None:
    jt = jobs.template(
        "echo to-out; echo to-err >&2",
        jobName="drmaa-it-dirs",
        outputPath=f":{jobdir}/",
        errorPath=f":{jobdir}/",
        joinFiles=False,
    )
    job_id = jobs.run(jt)
    assert jobs.session.wait(job_id, 120).exitStatus == 0
    # Grid Engine names the files <job name>.o<id> and .e<id> inside the directory.
    assert sorted(path.name for path in jobdir.iterdir()) == [f"drmaa-it-dirs.e{job_id}", f"drmaa-it-dirs.o{job_id}"]
    assert (jobdir / f"drmaa-it-dirs.o{job_id}").read_text(encoding="utf-8") == "to-out\n"
    assert (jobdir / f"drmaa-it-dirs.e{job_id}").read_text(encoding="utf-8") == "to-err\n"


def test_input_path_is_the_jobs_standard_input(jobs: Jobs, jobdir: Path) -> None:
    source, out = jobdir / "in.txt", jobdir / "out.txt"
    source.write_text(f"line one\n{NON_ASCII}\n", encoding="utf-8")
    jt = jobs.template("cat", inputPath=f":{source}", outputPath=f":{out}")
    assert jobs.finish(jt).exitStatus == 0
    assert out.read_text(encoding="utf-8") == f"line one\n{NON_ASCII}\n"


def test_job_name_reaches_the_drm(jobs: Jobs) -> None:
    job_id = jobs.run(jobs.template("exit 0", jobName="drmaa-it-named", hold=True))
    assert DRM.name_seen(job_id) == "drmaa-it-named"
    jobs.session.control(job_id, drmaa.JobControlAction.RELEASE)
    assert jobs.session.wait(job_id, 120).exitStatus == 0


def test_native_specification_reaches_the_drm(jobs: Jobs) -> None:
    jt = jobs.template(
        "exit 0",
        jobName=None,
        nativeSpecification=f"{DRM.native_name.format(name='drmaa-it-natspec')} {DRM.native_limit}",
        hold=True,
    )
    job_id = jobs.run(jt)
    assert DRM.name_seen(job_id) == "drmaa-it-natspec"
    assert DRM.limit_seen(job_id) == 60
    jobs.session.control(job_id, drmaa.JobControlAction.RELEASE)
    assert jobs.session.wait(job_id, 120).exitStatus == 0


def test_empty_native_specification_is_accepted(jobs: Jobs) -> None:
    jt = jobs.template("exit 0", nativeSpecification="")
    assert jt.nativeSpecification == ""
    assert jobs.finish(jt).exitStatus == 0


def test_hold_state_keeps_the_job_on_hold_until_release(jobs: Jobs) -> None:
    jt = jobs.template("exit 7", hold=True)
    assert jt.jobSubmissionState == drmaa.JobSubmissionState.HOLD_STATE
    job_id = jobs.run(jt)
    for _ in range(3):
        assert jobs.session.jobStatus(job_id) == drmaa.JobState.USER_ON_HOLD
        with pytest.raises(drmaa.ExitTimeoutException):
            jobs.session.wait(job_id, 1)
    jobs.session.control(job_id, drmaa.JobControlAction.RELEASE)
    assert jobs.session.wait(job_id, 120).exitStatus == 7


def test_parametric_index_in_bulk_output_paths(jobs: Jobs, jobdir: Path) -> None:
    jt = jobs.template(
        f'echo "task ${DRM.task_id_variable}"',
        outputPath=f":{jobdir}/task.{drmaa.JobTemplate.PARAMETRIC_INDEX}.out",
    )
    ids = jobs.bulk(jt, 1, 3, 1)
    jobs.session.synchronize(ids, 120, True)
    assert sorted(path.name for path in jobdir.iterdir()) == ["task.1.out", "task.2.out", "task.3.out"]
    for task in (1, 2, 3):
        assert (jobdir / f"task.{task}.out").read_text(encoding="utf-8") == f"task {task}\n"


def test_email_block_email_and_start_time_are_accepted_by_the_drm(jobs: Jobs) -> None:
    # A start time in the past lets the job start at once where the DRM accepts one.
    start = "2000/01/01 00:00" if DRM.past_start_time else None
    jt = jobs.template("exit 0", email=["nobody@example.com"], blockEmail=True, startTime=start)
    assert (jt.email, jt.blockEmail) == (["nobody@example.com"], True)
    if start is not None:
        assert jt.startTime == start
    assert jobs.finish(jt).exitStatus == 0


# --- values read back whole, limits that mean the same to the DRM ---------------------------

#: Scalar attributes a long value is tried with (slurm-drmaa cut them at 1023 bytes).
LONG_VALUES = ["jobName", "nativeSpecification", "workingDirectory", "deadlineTime", "remoteCommand", "jobCategory"]


@pytest.mark.parametrize("length", [1022, 1023, 1024, 1025, 5000])
@pytest.mark.parametrize("name", [name for name in LONG_VALUES if name not in UNSUPPORTED])
def test_long_value_reads_back_whole(jt: drmaa.JobTemplate, name: str, length: int) -> None:
    value = "".join(f"{i:04d}" for i in range(length // 4 + 1))[:length]
    setattr(jt, name, value)
    assert getattr(jt, name) == value


@pytest.mark.not_on("sge", "time-limits")
@pytest.mark.parametrize(
    ("limit", "seconds"),
    [
        (120, 120),
        ("2:00", 120),
        ("1:30:00", 5400),
        ("90:00", 5400),
        ("3600", 3600),
        (datetime.timedelta(hours=2), 7200),
    ],
)
def test_time_limit_is_the_same_duration_to_the_drm(jobs: Jobs, limit: object, seconds: int) -> None:
    jt = jobs.template("exit 0", hardWallclockTimeLimit=limit, hold=True)
    assert jt.hardWallclockTimeLimit == seconds
    job_id = jobs.run(jt)
    assert DRM.limit_seen(job_id) == seconds


@pytest.mark.not_on("sge", "time-limits")
@pytest.mark.parametrize("limit", [90, "1:30", 30, "0:01:01"])
def test_time_limit_the_drm_cannot_keep_is_refused(jt: drmaa.JobTemplate, limit: object) -> None:
    assert DRM.limit_unit == 60  # the DRMs that take time limits through DRMAA keep whole minutes
    jt.hardWallclockTimeLimit = 600
    with pytest.raises(ValueError, match=r"^hardWallclockTimeLimit: this DRMAA library keeps only whole minutes"):
        jt.hardWallclockTimeLimit = limit
    assert jt.hardWallclockTimeLimit == 600  # unchanged
