"""Fixtures for the client tests: real programs that use ``drmaa`` run unchanged on ours.

Each client gets its own virtual environment, cached between runs under
``$DRMAA_CLIENT_VENV_CACHE`` (default ``~/.cache/drmaa-client-venvs``) in a
directory named after the client and a hash of its requirements, of this
package's version and of the Python running the tests. Our package is
installed first, as the distribution ``drmaa`` (not editable: the venv holds a
copy), so that the client's own dependency on ``drmaa`` is satisfied by it.
When ``drmaa/`` changes, the copy in the venv is reinstalled.

The tests need a reachable Grid Engine with its environment set before Python
starts (``scripts/local-sge exec ...``). Without one they skip, saying why;
with ``DRMAA_TEST_REQUIRE_CLUSTER=1`` or ``CI=true`` they fail instead. The
Slurm client tests (``*_slurm.py``) need Slurm's environment instead
(``scripts/local-slurm exec ...``) and are not applicable under Grid Engine's.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "drmaa"
PACKAGE_VERSION = re.search(
    r'^__version__ = "([^"]+)"', (PACKAGE / "version.py").read_text(encoding="utf-8"), re.M
).group(1)  # type: ignore[union-attr]
# Files whose change must reinstall our package in the cached venvs.
PACKAGING_FILES = ("setup.py", "pyproject.toml")

# How long the tests wait for Grid Engine, in seconds.
QACCT_TIMEOUT = 60  # accounting is flushed up to 15 s after a job ends on a fresh qmaster
JOB_GONE_TIMEOUT = 60


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.clients)


# --- the cluster ---------------------------------------------------------------------


def cluster_required() -> bool:
    """True when a missing cluster must fail the tests instead of skipping them."""
    return os.environ.get("DRMAA_TEST_REQUIRE_CLUSTER") == "1" or os.environ.get("CI") == "true"


class GridEngine:
    """Grid Engine's own commands, used to check what the clients claim."""

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)

    def jobs(self) -> dict[str, tuple[str, str]]:
        """Every job in ``qstat``: id -> (name, state)."""
        result = self.run("qstat", "-u", "*", "-xml")
        if result.returncode != 0:
            raise RuntimeError(f"qstat failed: {result.stderr.strip()}")
        found = {}
        for job in ET.fromstring(result.stdout).iter("job_list"):
            found[job.findtext("JB_job_number", "")] = (job.findtext("JB_name", ""), job.findtext("state", ""))
        return found

    def jobs_named(self, prefix: str) -> dict[str, tuple[str, str]]:
        return {job: info for job, info in self.jobs().items() if info[0].startswith(prefix)}

    def wait_until_gone(self, job_ids: set[str], timeout: float = JOB_GONE_TIMEOUT) -> set[str]:
        """Wait until none of *job_ids* is in ``qstat``; return those still there at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = set(job_ids) & set(self.jobs())
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(1)

    def wait_until_named_gone(self, prefix: str, timeout: float = JOB_GONE_TIMEOUT) -> dict[str, tuple[str, str]]:
        deadline = time.monotonic() + timeout
        while True:
            left = self.jobs_named(prefix)
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(1)

    def accounting(self, job_id: str, timeout: float = QACCT_TIMEOUT) -> list[dict[str, str]]:
        """The ``qacct -j`` records of a finished job (waits until accounting has them)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.run("qacct", "-j", job_id)
            if result.returncode == 0 and "jobnumber" in result.stdout:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"qacct -j {job_id} found no record in {timeout} s: {result.stderr.strip()}")
            time.sleep(1)
        records: list[dict[str, str]] = []
        for line in result.stdout.splitlines():
            if line.startswith("====="):
                records.append({})
                continue
            key, _, value = line.partition(" ")
            if records and key:
                records[-1][key] = value.strip()
        return [record for record in records if record.get("jobnumber") == job_id]

    def describe(self, prefix: str) -> str:
        """What ``qstat`` says of the jobs named *prefix* and of the queue as a whole, for failure messages."""
        try:
            everything = self.jobs()
        except (RuntimeError, subprocess.TimeoutExpired, ET.ParseError) as exc:
            return f"qstat failed: {exc}"
        ours = {job: info for job, info in everything.items() if info[0].startswith(prefix)}
        states: dict[str, int] = {}
        for _, state in everything.values():
            states[state] = states.get(state, 0) + 1
        queues = self.run("qstat", "-f").stdout.splitlines()
        queue_lines = "; ".join(" ".join(line.split()) for line in queues if "@" in line.split(" ", 1)[0])
        return (
            f"our jobs in qstat: {ours or 'none'}; all jobs by state: {states or 'none'}; "
            f"queues (name type resv/used/total load arch states): {queue_lines or 'none'}"
        )

    def run_client(
        self, command: list[str], prefix: str, timeout: float, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run a client program to its end, in a process group of its own.

        On timeout the whole group is killed (gridmap leaves a forked heartbeat
        process behind otherwise) and the test fails with the program's output
        and what ``qstat`` says of its jobs.
        """
        with subprocess.Popen(command, text=True, start_new_session=True, **kwargs) as process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                output = "\n".join(text for text in (stdout, stderr) if text)
                waiting = any(state == "qw" for _, state in self.jobs_named(prefix).values())
                hint = (
                    "\n(its jobs in state qw were never scheduled: every slot was taken, or the queues were "
                    "unavailable, e.g. state u when sge_execd does not report)"
                    if waiting
                    else ""
                )
                name = Path(command[0]).name
                pytest.fail(f"{name} did not finish within {timeout} s; {self.describe(prefix)}{hint}\n{output}")
            finally:
                # Nothing the program started may outlive it (the group is empty after a clean run).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def delete_named(self, prefix: str) -> list[str]:
        """Delete every job whose name starts with *prefix*; return their ids."""
        job_ids = sorted(self.jobs_named(prefix))
        if job_ids:
            self.run("qdel", *job_ids)
        return job_ids


class Slurm(GridEngine):
    """Slurm's own commands (squeue, scontrol, scancel), used to check what the clients claim."""

    def jobs(self) -> dict[str, tuple[str, str]]:
        """Every job in ``squeue`` (tasks of an array by their own id): id -> (name, state)."""
        result = self.run("squeue", "--noheader", "--array", "--format=%i|%j|%t")
        if result.returncode != 0:
            raise RuntimeError(f"squeue failed: {result.stderr.strip()}")
        found = {}
        for line in result.stdout.splitlines():
            job_id, name, state = line.strip().split("|", 2)
            found[job_id] = (name, state)
        return found

    def details(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` of a job Slurm still knows (MinJobAge after its end)."""
        result = self.run("scontrol", "--oneliner", "show", "job", job_id)
        words = result.stdout.split()
        return dict(word.split("=", 1) for word in words if "=" in word)

    def describe(self, prefix: str) -> str:
        try:
            everything = self.jobs()
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return f"squeue failed: {exc}"
        ours = {job: info for job, info in everything.items() if info[0].startswith(prefix)}
        nodes = " ".join(self.run("sinfo", "--noheader", "--format=%N %t").stdout.split())
        return f"our jobs in squeue: {ours or 'none'}; all jobs: {len(everything)}; nodes: {nodes or 'none'}"

    def delete_named(self, prefix: str) -> list[str]:
        job_ids = sorted(self.jobs_named(prefix))
        if job_ids:
            self.run("scancel", *job_ids)
        return job_ids


def _loaded_implementation() -> str:
    """drmaaImplementation of the library a fresh process loads with this environment ('' if none)."""
    probe = "import drmaa\nprint(drmaa.Session.drmaaImplementation)\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


@pytest.fixture(scope="session")
def slurm() -> Slurm:
    """A reachable Slurm whose DRMAA library this environment loads; otherwise a skip, saying why.

    Under Grid Engine's environment the Slurm client tests are not applicable
    (a skip even where a cluster is required); with Slurm's environment but
    no answer from Slurm, they skip or, where a cluster is required, fail.
    """
    implementation = _loaded_implementation()
    if not implementation.startswith("DRMAA for Slurm"):
        pytest.skip(f"not applicable on this DRM ({implementation or 'no library'}): the Slurm client tests")
    problem = None
    if not shutil.which("squeue"):
        problem = "squeue is not on PATH"
    else:
        result = Slurm().run("squeue", "--noheader", timeout=30)
        if result.returncode != 0:
            problem = f"squeue failed: {(result.stderr or result.stdout).strip()}"
    if problem:
        message = f"no Slurm reachable: {problem}"
        if cluster_required():
            pytest.fail(message + " (DRMAA_TEST_REQUIRE_CLUSTER=1 or CI=true: a cluster is required)")
        pytest.skip(message)
    return Slurm()


def _cluster_problem() -> Optional[str]:
    """Why no Grid Engine can be used from here, or None when one can."""
    if not os.environ.get("SGE_ROOT"):
        return "SGE_ROOT is not set: run the tests with the cluster's environment (scripts/local-sge exec ...)"
    for tool in ("qstat", "qacct", "qdel"):
        if not shutil.which(tool):
            return f"{tool} is not on PATH"
    try:
        qstat = GridEngine().run("qstat", "-u", "*", timeout=30)
    except subprocess.TimeoutExpired:
        return "qstat did not answer within 30 s"
    if qstat.returncode != 0:
        return f"qstat failed: {(qstat.stderr or qstat.stdout).strip()}"
    # Our package must open a session from a fresh process with this environment.
    probe = "import drmaa\nwith drmaa.Session() as s:\n    print(s.contact)\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return "opening a DRMAA session did not finish within 60 s"
    if result.returncode != 0:
        # The exception line and the explanation that follows it, without the traceback.
        lines = result.stderr.strip().splitlines() or ["?"]
        starts = [n for n, line in enumerate(lines) if re.match(r"[A-Za-z_][\w.]*(Error|Exception)\b", line)]
        first = starts[-1] if starts else -1
        return "cannot open a DRMAA session: " + " ".join(line.strip() for line in lines[first:])
    return None


@pytest.fixture(scope="session")
def grid_engine() -> GridEngine:
    """A reachable Grid Engine, or a skip (a failure when a cluster is required).

    Under Slurm's environment (slurm-drmaa loaded) the Grid Engine client
    tests are not applicable: a skip even where a cluster is required.
    """
    implementation = _loaded_implementation()
    if implementation.startswith("DRMAA for Slurm"):
        pytest.skip(f"not applicable on this DRM ({implementation}): the Grid Engine client tests")
    problem = _cluster_problem()
    if problem:
        message = f"no Grid Engine reachable: {problem}"
        if cluster_required():
            pytest.fail(message + " (DRMAA_TEST_REQUIRE_CLUSTER=1 or CI=true: a cluster is required)")
        print(f"\nclient tests skipped: {message}", file=sys.stderr)
        pytest.skip(message)
    return GridEngine()


@pytest.fixture
def job_prefix(grid_engine: GridEngine, request: pytest.FixtureRequest) -> Iterator[str]:
    """A unique job-name prefix for one test; its jobs are deleted when the test ends."""
    prefix = f"dct{os.getpid()}x{abs(hash(request.node.nodeid)) % 10**6}x{time.monotonic_ns() % 10**6}"
    yield prefix
    deleted = grid_engine.delete_named(prefix)
    if deleted:
        grid_engine.wait_until_gone(set(deleted), timeout=30)


# --- virtual environments -----------------------------------------------------------------


def cache_root() -> Path:
    configured = os.environ.get("DRMAA_CLIENT_VENV_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drmaa-client-venvs"


def package_files() -> list[Path]:
    """The files our installed package is built from."""
    files = [path for path in sorted(PACKAGE.rglob("*")) if path.is_file() and "__pycache__" not in path.parts]
    return files + [ROOT / name for name in PACKAGING_FILES]


def package_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in package_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ClientVenv(NamedTuple):
    name: str
    path: Path
    python: Path
    bin: Path
    install_log: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of an activated venv, with the cluster's variables kept."""
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pip(python: Path, args: list[str], log: Path) -> None:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=600, check=False)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise RuntimeError(f"pip {' '.join(args)} failed (exit {result.returncode}); end of {log}:\n{tail}")


def _install_our_package(python: Path, log: Path, *pip_args: str) -> None:
    """``pip install`` the repository's distribution (not editable) into *python*'s venv.

    It is built from a snapshot of the repository's packaging files and
    ``drmaa/``, so that the build leaves no ``build/`` or ``*.egg-info`` in
    the working tree.
    """
    with tempfile.TemporaryDirectory(prefix="drmaa-src-") as tmp:
        source = Path(tmp) / "drmaa-src"
        source.mkdir()
        for path in ROOT.iterdir():
            if path.is_file():
                shutil.copy2(path, source / path.name)
        shutil.copytree(PACKAGE, source / "drmaa", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _pip(python, ["install", *pip_args, str(source)], log)


def build_client_venv(name: str, requirements: list[str]) -> ClientVenv:
    """Create (or reuse) the cached venv of one client, with our package installed first."""
    key = hashlib.sha256(
        json.dumps(
            {
                "requirements": requirements,
                "drmaa": PACKAGE_VERSION,
                "python": sys.version,
                "base": getattr(sys, "_base_executable", sys.executable),
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()[:16]
    path = cache_root() / f"{name}-{key}"
    python = path / "bin" / "python"
    marker = path / "drmaa-client-venv.json"
    log = path / "pip-install.log"
    fingerprint = package_fingerprint()
    with _locked(cache_root() / f"{name}-{key}.lock"):
        state = None
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(marker.read_text(encoding="utf-8"))
        if not state or not python.exists():
            # Missing or half-built (an interrupted earlier run): start again.
            shutil.rmtree(path, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
            _install_our_package(python, log)
            _pip(python, ["install", *requirements], log)
        elif state.get("fingerprint") != fingerprint:
            _install_our_package(python, log, "--no-deps", "--force-reinstall")
        marker.write_text(
            json.dumps({"requirements": requirements, "fingerprint": fingerprint}, indent=1), encoding="utf-8"
        )
    return ClientVenv(name, path, python, path / "bin", log)


@pytest.fixture(scope="session")
def client_venv(grid_engine: GridEngine) -> Callable[[str, list[str]], ClientVenv]:
    """Factory: ``client_venv(name, requirements)`` returns a ready :class:`ClientVenv`."""
    return build_client_venv


@pytest.fixture(scope="session")
def slurm_client_venv(slurm: Slurm) -> Callable[[str, list[str]], ClientVenv]:
    """Factory as :func:`client_venv`, for the client tests on Slurm."""
    return build_client_venv


def _check_our_drmaa(venv: ClientVenv, cwd: Path) -> dict[str, object]:
    """Assert that ``drmaa`` in *venv* is the installed copy of our package; return what was found."""
    probe = (
        "import importlib.metadata, json, sys, sysconfig\n"
        "import drmaa, drmaa.version\n"
        "dist = importlib.metadata.distribution('drmaa')\n"
        "print(json.dumps({'file': drmaa.__file__, 'version': drmaa.version.__version__,\n"
        "    'dist_version': dist.version, 'direct_url': dist.read_text('direct_url.json'),\n"
        "    'purelib': sysconfig.get_paths()['purelib'], 'prefix': sys.prefix}))\n"
    )
    # cwd is not the repository root, so the repository's drmaa/ cannot shadow the installed copy.
    result = subprocess.run(
        [str(venv.python), "-c", probe], capture_output=True, text=True, cwd=cwd, env=venv.env(), timeout=60
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    installed = Path(str(found["file"])).parent
    assert installed == Path(str(found["purelib"])) / "drmaa", found
    assert Path(str(found["prefix"])) == venv.path, found
    assert found["version"] == "0.7.10", found
    assert found["dist_version"] == "0.7.10", found
    assert found["direct_url"] and '"file://' in str(found["direct_url"]), found  # installed from our source
    for source in sorted(PACKAGE.glob("*.py")):
        copy = installed / source.name
        assert copy.read_bytes() == source.read_bytes(), f"{copy} is not the repository's {source}"
    log = venv.install_log.read_text(encoding="utf-8", errors="replace")
    fetched = re.search(r"drmaa-0\.7\.9|drmaa==0\.7\.9|Collecting drmaa\b", log)
    assert not fetched, f"pip fetched drmaa from an index ({fetched}), see {venv.install_log}"
    return found


@pytest.fixture(scope="session")
def check_our_drmaa() -> Callable[[ClientVenv, Path], dict[str, object]]:
    """``check_our_drmaa(venv, cwd)`` asserts that the venv's ``drmaa`` is our installed copy."""
    return _check_our_drmaa
