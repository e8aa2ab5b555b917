"""Snakemake 7.32.4's built-in ``--drmaa`` executor runs workflows on Grid Engine through our ``drmaa``.

Every rule that runs on the cluster writes ``$JOB_ID`` (set by Grid Engine
only; Snakemake's shell runs with ``set -u``), and the test matches it with
the external job id Snakemake reports, ``qacct`` and the log files Grid
Engine writes into ``--drmaa-log-dir``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.clients

REQUIREMENTS = [
    "snakemake==7.32.4",
    # PuLP 2.8 dropped pulp.list_solvers, which 7.x calls while it builds its command-line parser.
    "pulp<2.8",
    # stopit, imported by 7.x's job scheduler, imports pkg_resources, which setuptools 81 removed
    # (a venv of Python >= 3.12 has no setuptools at all).
    "setuptools<81",
]

SUBMITTED = re.compile(r"Submitted DRMAA job (\d+) with external jobid (\S+?)\.?$", re.M)


def snakefiles(job_id: str) -> tuple[str, str, str]:
    """The workflows (two rules that succeed, one that fails, one that runs long); each rule writes ``$<job_id>``.

    *job_id* names the variable the DRM sets in a job (``JOB_ID``, ``SLURM_JOB_ID``):
    Snakemake's shell runs with ``set -u``, so a rule run anywhere else fails.
    """
    ok = f"""
    SAMPLES = ["a", "b"]

    rule all:
        input: expand("out/{{sample}}.txt", sample=SAMPLES)

    rule make:
        output: "out/{{sample}}.txt"
        shell: 'echo "${job_id} {{wildcards.sample}}" > {{output}}'
    """
    fail = f"""
    rule fail:
        output: "never.txt"
        shell: 'echo "${job_id}" > fail.jobid; exit 3'
    """
    long = f"""
    rule long:
        output: "long.txt"
        shell: 'echo "${job_id}" > long.jobid; sleep 300; touch {{output}}'
    """
    return textwrap.dedent(ok), textwrap.dedent(fail), textwrap.dedent(long)


SNAKEFILE_OK, SNAKEFILE_FAIL, SNAKEFILE_LONG = snakefiles("JOB_ID")


@pytest.fixture(scope="session")
def snakemake_venv(client_venv):
    return client_venv("snakemake", REQUIREMENTS)


@pytest.fixture
def workflow(snakemake_venv, check_our_drmaa, job_prefix, tmp_path):
    """Write a Snakefile into a fresh directory and give the command that runs it on the cluster."""
    check_our_drmaa(snakemake_venv, tmp_path)
    logs = tmp_path / "drmaa-logs"

    def make(snakefile: str) -> tuple[Path, list[str], Path]:
        (tmp_path / "Snakefile").write_text(snakefile, encoding="utf-8")
        command = [
            str(snakemake_venv.bin / "snakemake"),
            "--jobs",
            "4",
            "--drmaa",
            " -cwd -V",
            "--drmaa-log-dir",
            str(logs),
            "--jobname",
            job_prefix + ".{rulename}.{jobid}.sh",  # a unique name, to find and clean up our jobs
            "--latency-wait",
            "3",
            "--printshellcmds",
            "--nocolor",
        ]
        return tmp_path, command, logs

    return make


def _reset_sigint() -> None:
    # A shell that starts the tests in the background ignores SIGINT, and
    # children inherit that: give Snakemake the default (KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_snakemake(venv, grid_engine, prefix: str, command: list[str], cwd: Path) -> tuple[int, str]:
    result = grid_engine.run_client(
        command,
        prefix,
        timeout=300,
        cwd=cwd,
        env=venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return result.returncode, result.stdout


def log_files(logs: Path, job_id: str) -> list[str]:
    return sorted(path.name for path in logs.iterdir() if path.name.endswith((f".o{job_id}", f".e{job_id}")))


def test_rules_run_as_grid_engine_jobs(snakemake_venv, workflow, grid_engine, job_prefix):
    workdir, command, logs = workflow(SNAKEFILE_OK)
    code, output = run_snakemake(snakemake_venv, grid_engine, job_prefix, command, workdir)
    assert code == 0, output

    submitted = dict(SUBMITTED.findall(output))  # Snakemake job id -> Grid Engine job id
    assert len(submitted) == 2, output
    external = set(submitted.values())
    assert len(external) == 2, output

    # Each output was written inside a Grid Engine job whose id Snakemake reported.
    seen = {}
    for sample in ("a", "b"):
        job_id, written_sample = (workdir / "out" / f"{sample}.txt").read_text(encoding="utf-8").split()
        assert written_sample == sample
        seen[job_id] = sample
    assert set(seen) == external, (seen, output)

    for job_id in external:
        # Grid Engine wrote the job's stdout and stderr into --drmaa-log-dir ...
        assert len(log_files(logs, job_id)) == 2, sorted(p.name for p in logs.iterdir())
        # ... and accounted for it, under the name Snakemake gave it.
        records = grid_engine.accounting(job_id)
        assert records, job_id
        assert records[-1]["jobname"].startswith(f"{job_prefix}.make."), records
        assert records[-1]["exit_status"] == "0", records

    left = grid_engine.wait_until_gone(external)
    assert not left, f"jobs still in qstat: {sorted(left)}"


def test_failing_rule_is_reported(snakemake_venv, workflow, grid_engine, job_prefix):
    workdir, command, logs = workflow(SNAKEFILE_FAIL)
    code, output = run_snakemake(snakemake_venv, grid_engine, job_prefix, command, workdir)
    assert code != 0, output

    submitted = dict(SUBMITTED.findall(output))
    assert len(submitted) == 1, output
    ((jobid, job_id),) = submitted.items()
    # Grid Engine's drmaa_job_ps() says DRMAA_PS_DONE for a job that exited with a non-zero
    # status (0.7.9 passes that on too), so Snakemake finds the failure by the missing output
    # and names the rule; it would say "Error executing rule fail on cluster" for a job in
    # DRMAA_PS_FAILED (one that Grid Engine could not run or that was killed).
    assert re.search(r"(MissingOutputException in|Error in|Error executing) rule fail\b", output), output
    assert (workdir / "fail.jobid").read_text(encoding="utf-8").strip() == job_id

    # The rule's own error is in the job's log, which Grid Engine wrote into --drmaa-log-dir.
    names = log_files(logs, job_id)
    assert names, sorted(p.name for p in logs.iterdir())
    job_log = "".join((logs / name).read_text(encoding="utf-8", errors="replace") for name in names)
    assert "Error in rule fail:" in job_log and "exit 3" in job_log, job_log

    records = grid_engine.accounting(job_id)
    assert records and records[-1]["jobname"].startswith(f"{job_prefix}.fail.{jobid}."), records
    assert records[-1]["exit_status"] != "0", records

    left = grid_engine.wait_until_gone({job_id})
    assert not left, f"jobs still in qstat: {sorted(left)}"


def _wait_for(condition, timeout: float, what: str, process: subprocess.Popen, output_file: Path, grid_engine, prefix):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            output = output_file.read_text(errors="replace")
            pytest.fail(f"Snakemake exited ({process.returncode}) before {what}:\n{output}")
        time.sleep(0.5)
    pytest.fail(
        f"timed out after {timeout} s waiting for {what}; {grid_engine.describe(prefix)}:\n"
        + output_file.read_text(errors="replace")
    )


@pytest.mark.parametrize("target", ["process group", "process"])
def test_interrupt_cancels_running_job(snakemake_venv, workflow, grid_engine, job_prefix, target):
    workdir, command, _ = workflow(SNAKEFILE_LONG)
    output_file = workdir / "snakemake.out"
    with open(output_file, "w") as out:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=snakemake_venv.env(PYTHONFAULTHANDLER="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_reset_sigint,
        )
    try:

        def submitted():
            return SUBMITTED.findall(output_file.read_text(errors="replace"))

        ((_, job_id),) = _wait_for(submitted, 120, "the submission", process, output_file, grid_engine, job_prefix)
        # The job is running on the cluster (it wrote its $JOB_ID) and qstat lists it.
        jobid_file = workdir / "long.jobid"
        _wait_for(
            lambda: jobid_file.exists() and jobid_file.read_text().strip(),
            120,
            "the job to start",
            process,
            output_file,
            grid_engine,
            job_prefix,
        )
        assert jobid_file.read_text().strip() == job_id
        assert job_id in grid_engine.jobs()

        if target == "process group":
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        else:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: print every thread's stack
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            pytest.fail(f"Snakemake did not exit within 90 s of SIGINT:\n{output_file.read_text(errors='replace')}")
        output = output_file.read_text(errors="replace")
        assert code != 0, output
        assert "Terminating processes on user request" in output, output

        left = grid_engine.wait_until_gone({job_id})
        assert not left, f"Snakemake was interrupted but job {job_id} is still in qstat:\n{output}"
        records = grid_engine.accounting(job_id)
        assert records and records[-1]["jobname"].startswith(f"{job_prefix}.long."), records
        assert not (workdir / "long.txt").exists()  # the job did not run to its end
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
