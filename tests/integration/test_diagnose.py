"""``python -m drmaa`` on the real cluster: the working setup, and each broken one.

Every run is a child process, because what is checked (the library, the
environment) is fixed when Python starts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from drms import current

pytestmark = pytest.mark.integration
DRM = current()

ROOT = Path(__file__).resolve().parents[2]

#: Longest one run may take (the test job sleeps 1 s; qmaster may be slow to answer).
RUN_BOUND = 150.0
TLS_EXPORT = "export GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096"


def check(*args: str, env: Optional[dict[str, str]] = None, program: Optional[list[str]] = None) -> tuple[int, str]:
    """Run ``python -m drmaa ARGS``; return its exit status and output (stderr included)."""
    command = [*(program or [sys.executable, "-m", "drmaa"]), *args]
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_BOUND,
        check=False,
    )
    return proc.returncode, proc.stdout


def without(*names: str, **values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update(values)
    return env


def test_submit_succeeds() -> None:
    code, out = check("--submit")
    assert code == 0, out
    assert re.search(f"^ *DRM system: {DRM.drms_info}$", out, re.M), out
    assert re.search(f"^ *DRMAA implementation: {DRM.implementation}$", out, re.M), out
    assert "DRMAA version: 1.0" in out
    assert "contact before initialize: ''" in out
    contact = DRM.contact(pid=r"\d+").pattern
    assert re.search(rf"initialize\(\) took [\d.]+ s; contact '{contact}'", out), out
    assert re.search(r"runJob\('/bin/sleep 1'\) -> job \d+, submitted in [\d.]+ s", out), out
    assert re.search(r"wait\(\) returned after [\d.]+ s", out), out
    assert re.search(r"JobInfo: jobId='\d+' hasExited=True exitStatus=0 hasSignal=False", out), out
    assert f"resourceUsage: {len(DRM.rusage_keys)} entries" in out
    assert "PROBLEM" not in out
    assert out.rstrip().endswith("DRMAA works here.")


def test_without_submit_checks_the_session_only() -> None:
    code, out = check()
    assert code == 0, out
    assert "loaded " in out and "Test job" not in out
    assert out.rstrip().endswith("DRMAA works here (run with --submit to also run a job).")


def test_job_that_fails_is_a_problem() -> None:
    code, out = check("--submit", "--", "/bin/sh", "-c", "exit 3")
    assert code == 1, out
    assert "PROBLEM: the test job exited with status 3, not 0." in out


@pytest.mark.not_on("slurm", "diagnose-sge")
def test_sge_root_unset() -> None:
    code, out = check(env=without("SGE_ROOT"))
    assert code == 1, out
    assert "SGE_ROOT is not set" in out
    # Grid Engine refuses even to name itself without SGE_ROOT: one cause, told once.
    message = "InternalException: code 1: Please set the environment variable SGE_ROOT."
    assert f"PROBLEM: asking the library about itself failed: {message}" in out
    assert f"initialize() failed the same way: {message}" in out
    assert "What to do: Grid Engine's library needs SGE_ROOT and SGE_CELL in the environment" in out
    assert out.rstrip().endswith("1 problem(s) found; see PROBLEM and What to do above.")


@pytest.mark.not_on("slurm", "diagnose-sge")
def test_wrong_cell() -> None:
    code, out = check(env=without(SGE_CELL="nosuchcell"))
    assert code == 1, out
    assert "SGE_CELL=nosuchcell" in out
    assert "cell directory" in out
    # Whatever cells this machine has (another cluster may share the root).
    cells = sorted(common.parent.name for common in Path(os.environ["SGE_ROOT"]).glob("*/common") if common.is_dir())
    assert "default" in cells
    assert f"the cells there are: {', '.join(cells)}. export SGE_CELL={cells[0]}" in out


@pytest.mark.not_on("slurm", "diagnose-sge")
def test_qmaster_unreachable() -> None:
    code, out = check(env=without(SGE_QMASTER_PORT="1"))
    assert code == 1, out
    assert "DrmCommunicationException: code 2" in out
    assert "cannot reach Grid Engine's master daemon, sge_qmaster (host " in out


@pytest.mark.not_on("slurm", "diagnose-sge")
def test_unknown_queue() -> None:
    code, out = check("--native", "-q nosuchqueue", "--submit")
    assert code == 1, out
    assert "native specification: -q nosuchqueue" in out
    assert "submitting the test job (/bin/sleep 1) failed: DeniedByDrmException: code 17:" in out
    assert 'The job asks for a queue "nosuchqueue" that the cluster does not have' in out
    assert "qconf -sql" in out


def test_library_path_that_does_not_exist() -> None:
    code, out = check(env=without(DRMAA_LIBRARY_PATH="/nonexistent"))
    assert code == 1, out
    assert "tried /nonexistent: no such file (from $DRMAA_LIBRARY_PATH)" in out
    assert "DRMAA_LIBRARY_PATH=/nonexistent names a file that does not exist" in out
    assert "Traceback" not in out


@pytest.mark.not_on("slurm", "diagnose-sge")
def test_without_static_tls_room() -> None:
    code, out = check(env=without("GLIBC_TUNABLES", "LD_PRELOAD"))
    assert code == 1, out
    assert "cannot allocate memory in static TLS block" in out
    assert TLS_EXPORT in [line.strip() for line in out.splitlines()], out
    assert "Traceback" not in out


def test_console_script_without_library(tmp_path: Path) -> None:
    """``drmaa-check`` explains a missing library too (the import must not fail first)."""
    script = Path(sys.executable).with_name("drmaa-check")
    if not script.exists():  # not installed: play the script pip would write
        script = tmp_path / "drmaa-check"
        script.write_text("import sys\nfrom drmaa.__main__ import main\nsys.exit(main())\n")
    code, out = check(env=without(DRMAA_LIBRARY_PATH="/nonexistent"), program=[sys.executable, str(script)])
    assert code == 1, out
    assert "tried /nonexistent: no such file" in out
    assert "Traceback" not in out
