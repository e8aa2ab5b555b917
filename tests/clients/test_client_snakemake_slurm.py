"""Snakemake 7.32.4's built-in ``--drmaa`` executor runs workflows on Slurm through our ``drmaa``.

The same workflows as on Grid Engine, with a native specification in
slurm-drmaa's syntax (long options with ``=``). Every rule writes
``$SLURM_JOB_ID`` (set by Slurm only; Snakemake's shell runs with ``set -u``),
and the test matches it with the external job id Snakemake reports and with
what ``scontrol`` says of the job: its name, partition and time limit.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_client_snakemake import REQUIREMENTS, SUBMITTED, snakefiles

pytestmark = pytest.mark.clients

#: A native specification in slurm-drmaa's syntax: a time limit of 5 minutes and the partition.
NATIVE = " --time=0:05 --partition=main --mem=100"

SNAKEFILE_OK, SNAKEFILE_FAIL, _ = snakefiles("SLURM_JOB_ID")


@pytest.fixture(scope="session")
def snakemake_venv(slurm_client_venv):
    return slurm_client_venv("snakemake", REQUIREMENTS)


@pytest.fixture
def slurm_prefix(slurm, request):
    """A unique job-name prefix for one test; its jobs are cancelled when the test ends."""
    prefix = f"dcts{abs(hash(request.node.nodeid)) % 10**6}"
    yield prefix
    deleted = slurm.delete_named(prefix)
    if deleted:
        slurm.wait_until_gone(set(deleted), timeout=30)


def run_workflow(snakemake_venv, check_our_drmaa, slurm, prefix: str, tmp_path: Path, snakefile: str):
    check_our_drmaa(snakemake_venv, tmp_path)
    (tmp_path / "Snakefile").write_text(snakefile, encoding="utf-8")
    command = [
        str(snakemake_venv.bin / "snakemake"),
        "--jobs",
        "4",
        "--drmaa",
        NATIVE,
        "--jobname",
        prefix + ".{rulename}.{jobid}.sh",
        "--latency-wait",
        "3",
        "--printshellcmds",
        "--nocolor",
    ]
    result = slurm.run_client(
        command,
        prefix,
        timeout=300,
        cwd=tmp_path,
        env=snakemake_venv.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return result.returncode, result.stdout


def test_rules_run_as_slurm_jobs(snakemake_venv, check_our_drmaa, slurm, slurm_prefix, tmp_path):
    code, output = run_workflow(snakemake_venv, check_our_drmaa, slurm, slurm_prefix, tmp_path, SNAKEFILE_OK)
    assert code == 0, output

    submitted = dict(SUBMITTED.findall(output))  # Snakemake job id -> Slurm job id
    assert len(submitted) == 2, output
    external = set(submitted.values())
    assert len(external) == 2, output

    # Each output was written inside a Slurm job whose id Snakemake reported.
    seen = {}
    for sample in ("a", "b"):
        job_id, written_sample = (tmp_path / "out" / f"{sample}.txt").read_text(encoding="utf-8").split()
        assert written_sample == sample
        seen[job_id] = sample
    assert set(seen) == external, (seen, output)

    for job_id in external:
        # Slurm ran it under the name Snakemake gave, with the native specification's limit and partition.
        details = slurm.details(job_id)
        assert details.get("JobName", "").startswith(f"{slurm_prefix}.make."), details
        assert details.get("TimeLimit") == "00:05:00", details
        assert details.get("Partition") == "main", details
        assert details.get("JobState") == "COMPLETED" and details.get("ExitCode") == "0:0", details

    left = slurm.wait_until_gone(external)
    assert not left, f"jobs still in squeue: {sorted(left)}"


def test_failing_rule_is_reported(snakemake_venv, check_our_drmaa, slurm, slurm_prefix, tmp_path):
    code, output = run_workflow(snakemake_venv, check_our_drmaa, slurm, slurm_prefix, tmp_path, SNAKEFILE_FAIL)
    assert code != 0, output

    submitted = dict(SUBMITTED.findall(output))
    assert len(submitted) == 1, output
    ((jobid, job_id),) = submitted.items()
    # slurm-drmaa reports a non-zero exit as DRMAA_PS_FAILED, so Snakemake names the rule as failed on the cluster.
    assert re.search(r"(MissingOutputException in|Error in|Error executing) rule fail\b", output), output
    assert (tmp_path / "fail.jobid").read_text(encoding="utf-8").strip() == job_id
    details = slurm.details(job_id)
    assert details.get("JobName", "").startswith(f"{slurm_prefix}.fail.{jobid}."), details
    # The job script Snakemake wrote exits with its own status (1) when the rule fails.
    assert details.get("JobState") == "FAILED" and details.get("ExitCode") not in (None, "0:0"), details
