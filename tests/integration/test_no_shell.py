"""Arguments and environment values reach a job literally: no shell in between.

slurm-drmaa writes the command and its arguments into a bash script, each
in single quotes: there an argument holding a single quote cannot arrive
whole, so those values are left out of the argument tests on it (see
``quote_breaks_arguments`` in drms.py); everything else is sent on both DRMs.

``qsub -b y`` joins its arguments and lets a shell split them again; DRMAA's
``drmaa_v_argv`` and ``drmaa_v_env`` must not. The job here is a Python
one-liner that reports its ``argv`` and environment as JSON on stdout; the
tests read the output file back and compare exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from drms import current

import drmaa
from drmaa.errors import DrmaaException, ExitTimeoutException

pytestmark = pytest.mark.integration
DRM = current()

#: The job's interpreter: the system one, which needs no environment at all
#: (jobs get only Grid Engine's minimal environment).
JOB_PYTHON = next(
    (
        path
        for path in ("/usr/bin/python3", shutil.which("python3"), sys.executable)
        if path and os.access(path, os.X_OK)
    ),
)

ENV_PREFIX = "DRMAA_HOSTILE_"

#: Reports argv (without the interpreter) and every variable named ENV_PREFIX*,
#: plus HOME, as JSON on stdout. The code itself is an argument full of double
#: quotes, braces and parentheses, so it is a first check that arguments stay
#: whole (no single quote: see the module docstring).
REPORTER = (
    "import json, os, sys; "
    f'env = {{k: v for k, v in os.environ.items() if k.startswith("{ENV_PREFIX}") or k == "HOME"}}; '
    'sys.stdout.write(json.dumps({"argv": sys.argv[1:], "env": env}))'
)

JOB_TIMEOUT = 120


def hostile_values(canary: Path) -> list[str]:
    """Values a shell would change: expansions, separators, quotes, globs, newlines."""
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"a; touch {canary}",
        f"a && touch {canary}",
        f"a | touch {canary}",
        f"a\ntouch {canary}",
        "'single quoted'",
        '"double quoted"',
        "it's",
        'say "hi"',
        "'",
        '"',
        "\"'`",
        "line one\nline two",
        "trailing newline\n",
        "\n",
        "carriage\rreturn",
        "tab\tseparated",
        "*",
        "*.txt",
        "?.txt",
        "[ab].txt",
        "{a,b}.txt",
        "~",
        "~root",
        "$HOME",
        "${HOME}",
        "$PATH:$HOME",
        "$$",
        "$0",
        "$1",
        "$#",
        "$@",
        "$*",
        "!!",
        "a b  c",
        "  leading and trailing spaces  ",
        "\\",
        "\\n",
        "back\\slash",
        "> redirected",
        "< input",
        "2>&1",
        "&",
        "# not a comment",
        "%s %d %n",
        "key=value",
        "=",
        "-c",
        "--",
        "-",
        "non-ASCII: é ü ß 中文 🎉",
        "x" * 4096,
    ]


def as_arguments(values: list[str]) -> list[str]:
    """*values* that can reach a job as arguments on this DRM (slurm-drmaa: none with a single quote)."""
    return [value for value in values if not (DRM.quote_breaks_arguments and "'" in value)]


def run_job(session: drmaa.Session, jt: drmaa.JobTemplate) -> drmaa.JobInfo:
    """Run *jt* and wait for it, bounded; never leave the job behind."""
    job_id = session.runJob(jt)
    try:
        return session.wait(job_id, JOB_TIMEOUT)
    except ExitTimeoutException:
        session.control(job_id, drmaa.JobControlAction.TERMINATE)
        try:
            session.wait(job_id, 60)
        except DrmaaException:
            pass
        raise


def reporter_template(session: drmaa.Session, workdir: Path, out: Path, err: Path) -> drmaa.JobTemplate:
    jt = session.createJobTemplate()
    jt.remoteCommand = JOB_PYTHON
    jt.workingDirectory = str(workdir)
    jt.outputPath = f":{out}"
    jt.errorPath = f":{err}"
    return jt


def glob_bait(workdir: Path) -> None:
    """Files that ``*``, ``?.txt``, ``[ab].txt`` and ``{a,b}.txt`` would expand to."""
    for name in ("a.txt", "b.txt", "c.dat"):
        (workdir / name).write_text("bait\n")


def read_report(info: drmaa.JobInfo, out: Path, err: Path) -> dict[str, object]:
    stderr = err.read_text(errors="replace") if err.exists() else "<no stderr file>"
    assert info.hasExited and info.exitStatus == 0, f"job failed: {info}, stderr: {stderr}"
    report: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return report


def send_arguments(session: drmaa.Session, tmp_path: Path, values: list[str]) -> list[str]:
    """Run the reporter with *values* as arguments; return the arguments it saw."""
    out, err = tmp_path / "job.out", tmp_path / "job.err"
    jt = reporter_template(session, tmp_path, out, err)
    try:
        jt.args = ["-I", "-c", REPORTER, *values]
        assert jt.args == ["-I", "-c", REPORTER, *values], "the library does not hold the arguments as sent"
        info = run_job(session, jt)
    finally:
        jt.delete()
    received = read_report(info, out, err)["argv"]
    assert isinstance(received, list)
    return received


def send_environment(
    session: drmaa.Session, tmp_path: Path, values: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Run the reporter with *values* in its environment; return (sent, seen) variables."""
    environment = {f"{ENV_PREFIX}{index}": value for index, value in enumerate(values)}
    out, err = tmp_path / "job.out", tmp_path / "job.err"
    jt = reporter_template(session, tmp_path, out, err)
    try:
        jt.args = ["-I", "-c", REPORTER]
        jt.jobEnvironment = environment
        assert jt.jobEnvironment == environment, "the library does not hold the environment as sent"
        info = run_job(session, jt)
    finally:
        jt.delete()
    received = read_report(info, out, err)["env"]
    assert isinstance(received, dict)
    return environment, {name: value for name, value in received.items() if name.startswith(ENV_PREFIX)}


def test_arguments_reach_the_job_literally(session: drmaa.Session, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    glob_bait(tmp_path)
    values = as_arguments([value for value in hostile_values(canary) if "\n" not in value])  # see the xfail test below
    received = send_arguments(session, tmp_path, values)
    assert not canary.exists(), "a shell ran a command hidden in an argument"
    mismatches = [(sent, got) for sent, got in zip(values, received) if sent != got]
    assert received == values, f"{len(values)} sent, {len(received)} received; differing: {mismatches[:5]}"


def test_arguments_with_newlines_reach_no_shell(session: drmaa.Session, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    values = as_arguments([value for value in hostile_values(canary) if "\n" in value])
    received = send_arguments(session, tmp_path, values)
    assert not canary.exists(), "a shell ran the command after a newline in an argument"
    assert len(received) == len(values), received


@pytest.mark.xfail(
    DRM.cuts_arguments_at_newline,
    strict=True,
    reason="Grid Engine 8.1.9 cuts a job argument at its first newline (the library holds it whole: "
    "send_arguments reads drmaa_v_argv back before submitting)",
)
def test_arguments_with_newlines_arrive_whole(session: drmaa.Session, tmp_path: Path) -> None:
    values = ["line one\nline two", "trailing newline\n", "\n"]
    assert send_arguments(session, tmp_path, values) == values


def test_empty_arguments_are_kept(session: drmaa.Session, tmp_path: Path) -> None:
    values = ["", "between empties", "", " ", ""]
    out, err = tmp_path / "job.out", tmp_path / "job.err"
    jt = reporter_template(session, tmp_path, out, err)
    try:
        jt.args = ["-I", "-c", REPORTER, *values]
        info = run_job(session, jt)
    finally:
        jt.delete()
    assert read_report(info, out, err)["argv"] == values


def test_shell_sees_its_arguments_unsplit(session: drmaa.Session, tmp_path: Path) -> None:
    # ``qsub -b y /bin/sh -c 'exit 5'`` runs ``sh -c exit 5`` (exit 0): the
    # string is split again. Through drmaa_v_argv it stays one argument, and
    # so do the positional parameters after it.
    jt = session.createJobTemplate()
    try:
        jt.remoteCommand = "/bin/sh"
        jt.workingDirectory = str(tmp_path)
        jt.outputPath = f":{tmp_path / 'sh.out'}"
        jt.joinFiles = True
        jt.args = ["-c", 'test "$1" = "a b" && test "$2" = "" && test "$3" = "*" && exit $#', "sh", "a b", "", "*"]
        info = run_job(session, jt)
    finally:
        jt.delete()
    assert info.hasExited, info
    assert info.exitStatus == 3, f"expected 3 arguments 'a b', '', '*' to arrive whole: {info}"


def test_environment_values_reach_the_job_literally(session: drmaa.Session, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    glob_bait(tmp_path)
    values = [value for value in hostile_values(canary) if "=" not in value]  # see the xfail test below
    sent, received = send_environment(session, tmp_path, values)
    assert not canary.exists(), "a shell ran a command hidden in an environment value"
    mismatches = {name: (sent[name], received.get(name)) for name in sent if sent[name] != received.get(name)}
    assert received == sent, f"differing (sent, received): {mismatches}"


@pytest.mark.xfail(
    DRM.cuts_environment_at_equals,
    strict=True,
    reason="Grid Engine 8.1.9 cuts an environment value at its first '=' when it submits the job "
    "(drmaa_v_env reads back 'A=key=value', but qstat -j shows env_list A=key)",
)
def test_environment_values_with_equals_signs_arrive_whole(session: drmaa.Session, tmp_path: Path) -> None:
    sent, received = send_environment(session, tmp_path, ["key=value", "=", "a==b", "PATH=/x:$PATH"])
    assert received == sent


def test_home_in_environment_is_not_expanded(session: drmaa.Session, tmp_path: Path) -> None:
    out, err = tmp_path / "job.out", tmp_path / "job.err"
    jt = reporter_template(session, tmp_path, out, err)
    environment = {f"{ENV_PREFIX}HOME": "$HOME", f"{ENV_PREFIX}HOME_BRACED": "${HOME}/x", f"{ENV_PREFIX}TILDE": "~/x"}
    try:
        jt.args = ["-I", "-c", REPORTER, "$HOME", "~"]
        jt.jobEnvironment = environment
        info = run_job(session, jt)
    finally:
        jt.delete()
    report = read_report(info, out, err)
    assert report["argv"] == ["$HOME", "~"]
    env = report["env"]
    assert isinstance(env, dict)
    assert {name: env.get(name) for name in environment} == environment
