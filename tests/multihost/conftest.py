"""Tests on a Grid Engine of several hosts, run from its submit-only host.

The cluster is the one of ``scripts/local-sge up --hosts 3``: a master host,
two execution hosts and a submit-only host, each a network namespace with a
host name of its own. The tests run on the submit host
(``scripts/local-sge exec --host sgemh-submit python -m pytest tests/multihost``),
whose environment names the hosts (``LOCAL_SGE_*_HOST(S)``). Elsewhere every
test here is skipped with the reason, or fails with ``DRMAA_TEST_REQUIRE_CLUSTER=1``.

Helpers reach other hosts and inject faults through ``scripts/local-sge`` only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_SGE = ROOT / "scripts" / "local-sge"

MASTER_HOST = os.environ.get("LOCAL_SGE_MASTER_HOST", "")
EXEC_HOSTS = os.environ.get("LOCAL_SGE_EXEC_HOSTS", "").split()
SUBMIT_HOST = os.environ.get("LOCAL_SGE_SUBMIT_HOST", "")

#: Every job of these tests carries this name, or starts with it.
JOB_NAME = "drmaa-mh"
#: Longest any local-sge subcommand may take.
SCRIPT_BOUND = 180.0
#: How long accounting may lag behind the end of a job (flushed every second).
ACCOUNTING_BOUND = 30.0


def _required() -> bool:
    return os.environ.get("DRMAA_TEST_REQUIRE_CLUSTER") == "1" or os.environ.get("CI", "").lower() == "true"


def _problem() -> Optional[str]:
    """Why these tests cannot run in this process, or None."""
    if not SUBMIT_HOST:
        return "not on the multi-host cluster: run scripts/local-sge exec --host sgemh-submit python -m pytest ..."
    if socket.gethostname() != SUBMIT_HOST:
        return f"this is host {socket.gethostname()}, not the submit host {SUBMIT_HOST}"
    if len(EXEC_HOSTS) < 2:
        return f"the cluster has {len(EXEC_HOSTS)} execution host(s); these tests need two"
    try:
        import drmaa  # noqa: F401
    except (RuntimeError, OSError) as exc:
        return f"libdrmaa cannot be loaded: {type(exc).__name__}: {exc}"
    return None


PROBLEM = _problem()


class _Unavailable(pytest.Module):
    def collect(self) -> list[Any]:
        if _required():
            pytest.fail(f"the multi-host cluster is required (DRMAA_TEST_REQUIRE_CLUSTER=1): {PROBLEM}")
        pytest.skip(str(PROBLEM))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Optional[pytest.Module]:
    # The test modules import drmaa, which raises without a library: skip them as a whole instead.
    if PROBLEM is None or module_path.name == "conftest.py":
        return None
    return _Unavailable.from_parent(parent, path=module_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.multihost)


# --- other hosts, faults and accounting -------------------------------------------------


def local_sge(*args: str, timeout: float = SCRIPT_BOUND) -> float:
    """Run ``scripts/local-sge ARGS`` and check it succeeded; return how long it took."""
    start = time.monotonic()
    proc = subprocess.run(
        [str(LOCAL_SGE), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"local-sge {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return time.monotonic() - start


def on_host(host: str, *argv: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run a program on *host* with the cluster's environment (and this checkout on PYTHONPATH)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LOCAL_SGE), "exec", "--host", host, *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def python_on(host: str, code: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run Python *code* on *host* (this interpreter, this checkout)."""
    return on_host(host, sys.executable, "-c", code, *args, timeout=timeout)


def accounting(job_id: str, bound: float = ACCOUNTING_BOUND) -> list[dict[str, str]]:
    """The ``qacct -j`` records of *job_id* (``N`` or ``N.T``), once there is at least one."""
    number, _, task = job_id.partition(".")
    args = ["qacct", "-j", number] + (["-t", task] if task else [])
    deadline = time.monotonic() + bound
    while True:
        proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False)
        records: list[dict[str, str]] = []
        for line in proc.stdout.splitlines():
            if line.startswith("====="):
                records.append({})
            elif records and line.strip():
                name, _, value = line.partition(" ")
                records[-1][name] = value.strip()
        if records:
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"qacct has no record of job {job_id} after {bound:.0f} s: {proc.stderr.strip()}")
        time.sleep(0.5)


def accounted_once(job_id: str) -> dict[str, str]:
    """The one accounting record of *job_id*: a job that ran twice, or not at all, fails the test."""
    records = accounting(job_id)
    assert len(records) == 1, f"job {job_id} has {len(records)} accounting records: {records}"
    return records[0]


def queued(name: str) -> list[str]:
    """Job numbers that ``qstat`` lists under the job name *name*."""
    proc = subprocess.run(
        ["qstat", "-u", "*", "-xml"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False
    )
    numbers, current = [], ""
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("<JB_job_number>"):
            current = line.removeprefix("<JB_job_number>").removesuffix("</JB_job_number>")
        elif line == f"<JB_name>{name}</JB_name>":
            numbers.append(current)
    return numbers


def named_in_accounting(name: str) -> bool:
    """Does ``qacct`` have a record of a job called *name*?"""
    proc = subprocess.run(
        ["qacct", "-j", name], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False
    )
    return "jobnumber" in proc.stdout


class Call:
    """A DRMAA call running in a thread of its own: its result or exception, and how long it took.

    Once it is over, :meth:`result` writes what it did into *facts* under *what*.
    """

    def __init__(self, facts: dict[str, Any], what: str, function: Callable[..., Any], *args: Any) -> None:
        self.facts = facts
        self.what = what
        self.value: Any = None
        self.error: Optional[BaseException] = None
        self.seconds = -1.0
        self._thread = threading.Thread(target=self._run, args=(function, args), name=what, daemon=True)
        self._thread.start()

    def _run(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        start = time.monotonic()
        try:
            self.value = function(*args)
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            self.error = exc
        self.seconds = time.monotonic() - start

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, bound: float) -> Call:
        """Wait for the call; fail the test if it is still blocked after *bound* seconds."""
        self._thread.join(bound)
        if self._thread.is_alive():
            self.facts[self.what] = f"still blocked after {bound:.0f} s"
            pytest.fail(f"{self.what} was still blocked after {bound:.0f} s; so far: {self.facts}")
        self.facts[self.what] = self.describe()
        return self

    def describe(self) -> str:
        answer = repr(self.value) if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return f"{answer} after {self.seconds:.1f} s"


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[Any]:
    """An initialized :class:`drmaa.Session`, exited afterwards if still open."""
    import drmaa

    s = drmaa.Session()
    s.initialize()
    yield s
    try:
        s.exit()
    except drmaa.DrmaaException:
        pass


@pytest.fixture
def jobdir(tmp_path: Path) -> Path:
    """A directory for what jobs write: every host sees this machine's file system, as with NFS."""
    path = tmp_path / "jobs"
    path.mkdir()
    path.chmod(0o777)
    return path


@pytest.fixture
def healthy_cluster() -> Iterator[None]:
    """After the test, every link is up and every execution host serves again."""
    yield
    for host in [SUBMIT_HOST, MASTER_HOST, *EXEC_HOSTS]:
        local_sge("mend", "--host", host)
    for host in [MASTER_HOST, *EXEC_HOSTS]:
        local_sge("start-host", "--host", host)


def template(session: Any, script: str, *, host: Optional[str] = None, name: str = JOB_NAME) -> Any:
    """A template for ``/bin/sh -c SCRIPT``, output to /dev/null, on *host* if given."""
    jt = session.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", script]
    jt.jobName = name
    jt.outputPath = ":/dev/null"
    jt.joinFiles = True
    if host:
        jt.nativeSpecification = f"-l h={host}"
    return jt


def wait_running(session: Any, job_id: str, bound: float = 60.0) -> None:
    """Poll ``jobStatus`` until the job runs."""
    import drmaa

    deadline = time.monotonic() + bound
    while session.jobStatus(job_id) != drmaa.JobState.RUNNING:
        assert time.monotonic() < deadline, f"job {job_id} is not running after {bound:.0f} s"
        time.sleep(0.2)
