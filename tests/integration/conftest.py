"""Integration tests run against a real libdrmaa and a reachable DRM (Grid Engine or Slurm), or skip saying why.

Nothing here fakes the library: when none can be loaded, or it is the unit
tests' fake, or the DRM does not answer, every test of this directory is
skipped with the reason (shown by ``-ra``). With ``DRMAA_TEST_REQUIRE_CLUSTER=1``
or ``CI=true`` the same reasons are failures instead.

The fixtures give each test a fresh session, a tracker that ends and reaps
whatever the test submitted, a directory for job output and template helpers.
What is a fact of the DRM under test (names, contact strings, how to list and
delete jobs, texts of its library) is read from its description in
:mod:`drms`; a test marked ``not_on`` for it is reported as not applicable.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import drms
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Every job the tests submit carries this name (or starts with it), so a
#: leftover is easy to tell from the jobs of others in ``qstat`` or ``squeue``.
JOB_NAME = "drmaa-it"

#: How long the reachability check (initialize + exit in a child process) may take.
REACH_BOUND = 60.0
#: How long the cleanup of one test may wait for its jobs to go away.
CLEANUP_BOUND = 90.0


def _required() -> bool:
    return os.environ.get("DRMAA_TEST_REQUIRE_CLUSTER") == "1" or os.environ.get("CI", "").lower() == "true"


REQUIRED = _required()


# --- is there a library, and does the DRM answer? -------------------------------


_LIBRARY_HINT = (
    " (run the integration tests in a process of their own, with SGE_ROOT, SGE_CELL, DRMAA_LIBRARY_PATH"
    " and GLIBC_TUNABLES set before Python starts: scripts/local-sge exec python3 -m pytest tests/integration;"
    " on Slurm, DRMAA_LIBRARY_PATH and SLURM_DRMAA_CONF: scripts/local-slurm exec ...)"
)


def _library_problem() -> Optional[str]:
    """Why drmaa cannot talk to a real libdrmaa in this process, or None."""
    try:
        import drmaa
    except (RuntimeError, OSError) as exc:
        return f"libdrmaa cannot be loaded: {type(exc).__name__}: {exc}{_LIBRARY_HINT}"
    path = drmaa.wrappers.library_path
    lib = drmaa.wrappers.lib
    if not isinstance(lib, ctypes.CDLL):
        return f"drmaa was imported with a fake library ({type(lib).__name__}, path {path!r}){_LIBRARY_HINT}"
    if not path or ("/" in path and not os.path.isfile(path)):
        return f"drmaa was imported with a library that is not a real file ({path!r}){_LIBRARY_HINT}"
    return None


_REACH_SCRIPT = """
import drmaa
s = drmaa.Session()
s.initialize()
contact = s.contact
s.exit()
print(contact)
"""


def _reach_problem() -> Optional[str]:
    """Initialize and exit a session in a child process, within :data:`REACH_BOUND` seconds."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _REACH_SCRIPT],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=REACH_BOUND,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the DRM did not answer: initialize() + exit() took more than {REACH_BOUND:.0f} s"
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        return f"the DRM cannot be reached: initialize() + exit() failed: {last}"
    return None


_PROBLEM: dict[str, Optional[str]] = {}


def cluster_problem() -> Optional[str]:
    """Why the integration tests cannot run, or None; checked once per run."""
    if "reason" not in _PROBLEM:
        reason = _library_problem()
        if reason is None:
            reason = _reach_problem()
            if reason is not None:
                reason += " (is the cluster running? scripts/local-sge status, scripts/local-slurm status)"
        _PROBLEM["reason"] = reason
    return _PROBLEM["reason"]


def _verdict(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"a reachable cluster is required (DRMAA_TEST_REQUIRE_CLUSTER=1 or CI=true): {reason}")
    pytest.skip(reason)


class _UnavailableModule(pytest.Module):
    """A test module that cannot even be imported without libdrmaa: skipped (or failed) as a whole."""

    reason = ""

    def collect(self) -> Iterable[Any]:
        _verdict(self.reason)
        return []


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Optional[pytest.Module]:
    # Test modules import drmaa at the top, which raises without a library:
    # report that as the reason instead of an import error.
    if module_path.name == "conftest.py":
        return None
    reason = _library_problem()
    if reason is None:
        return None
    module = _UnavailableModule.from_parent(parent, path=module_path)
    module.reason = reason
    return module


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)
        for mark in item.iter_markers("not_on"):
            key, reason = mark.args
            if reason not in drms.NOT_APPLICABLE.get(key, {}):
                raise pytest.UsageError(f"{item.nodeid}: not_on({key!r}, {reason!r}) names no reason of drms.py")


@pytest.fixture(scope="session", autouse=True)
def _cluster() -> Iterator[None]:
    """Skip (or fail) every test here unless a real DRM answers; at the end, no job of ours may be left."""
    reason = cluster_problem()
    if reason is not None:
        _verdict(reason)
    yield
    _check_nothing_left()


# --- the DRM: its description, its command line clients -------------------------------


def drm() -> drms.Drm:
    """The description of the DRM under test (see :mod:`drms`)."""
    return drms.current()


@pytest.fixture
def this_drm() -> drms.Drm:
    """The description of the DRM under test, for tests that compare with its facts."""
    return drm()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``not_on`` for the DRM under test is skipped as not applicable, never run."""
    marks = [(mark.args[0], mark.args[1]) for mark in item.iter_markers("not_on")]
    if marks and cluster_problem() is None:
        reason = drms.not_applicable(drm(), marks)
        if reason is not None:
            pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line with the counts of this run on the DRM under test: passed, not applicable, the rest."""
    if config.option.collectonly or cluster_problem() is not None:
        return
    stats = terminalreporter.stats

    def count(kind: str) -> int:
        return sum(1 for report in stats.get(kind, []) if getattr(report, "when", "call") in {"call", "setup"})

    skipped = stats.get("skipped", [])
    not_applicable = sum(1 for report in skipped if "not applicable on " in str(report.longrepr))
    terminalreporter.write_line(
        f"integration on {drm().title}: {count('passed')} passed, {not_applicable} not applicable, "
        f"{len(skipped) - not_applicable} skipped otherwise, {count('failed')} failed, "
        f"{len(stats.get('error', []))} errors"
    )


#: Every job id any test submitted or adopted in this run, with the time it was tracked.
SUBMITTED: dict[str, float] = {}


def still_ours(job_ids: Iterable[str]) -> list[str]:
    """The job numbers among *job_ids* that the DRM still lists for jobs we submitted.

    Grid Engine may hand out a number again after its master was killed (the
    fault tests do that), so a listed number counts as ours only if that job
    was submitted before we tracked the id.
    """
    numbers = {drm().job_number(job_id): job_id for job_id in job_ids}
    listed = set(numbers) & drm().listed_jobs()
    ours = []
    for number in sorted(listed):
        when = drm().submitted_at(number)
        if when is not None and when <= SUBMITTED.get(numbers[number], time.time()) + 2:
            ours.append(number)
    return ours


def _check_nothing_left() -> None:
    """After the last test, the DRM lists no job of ours (terminated jobs may take a few seconds to go)."""
    if not SUBMITTED:
        return
    deadline = time.monotonic() + 60
    while True:
        left = still_ours(SUBMITTED)
        if not left:
            return
        if time.monotonic() > deadline:
            drm().delete_jobs(left)
            title = drm().title
            pytest.fail(f"jobs of the integration tests still listed by {title} after the run (now deleted): {left}")
        time.sleep(1)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[Any]:
    """An initialized :class:`drmaa.Session`, exited afterwards (a test may leave it exited)."""
    import drmaa

    s = drmaa.Session()
    try:
        s.initialize()
    except drmaa.AlreadyActiveSessionException:  # an earlier test left its session open
        s.exit()
        s.initialize()
    yield s
    try:
        s.exit()
    except drmaa.NoActiveSessionException:
        pass


@pytest.fixture
def jobdir(tmp_path: Path) -> Path:
    """An empty directory for the files jobs write (the job runs as this user on this host)."""
    path = tmp_path / "jobs"
    path.mkdir()
    return path


class Jobs:
    """Submits through the session, remembers every job and template, and cleans up after the test.

    At teardown every job that is still known is terminated, reaped when it
    belongs to the open session, and waited for until the DRM forgets it;
    every template made here is deleted.
    """

    def __init__(self, session: Any, jobdir: Path) -> None:
        self.session = session
        self.jobdir = jobdir
        self.ids: list[str] = []
        self.templates: list[Any] = []
        self.finalizers: list[Callable[[], None]] = []

    # submitting

    def track(self, *job_ids: str) -> None:
        """Remember jobs submitted some other way (by a child process, say).

        Each id is checked here, when it is tracked: one that cannot be a job
        id fails the test at once (after the valid ones are tracked, so they
        are still cleaned up), instead of haunting the cleanup.
        """
        refused = []
        for job_id in job_ids:
            # What a job id of the DRM looks like (drms.py): the tracker takes nothing else,
            # so its cleanup never waits on something that is not a job.
            if not isinstance(job_id, str) or not drm().job_id.fullmatch(job_id):
                refused.append(job_id)
            elif job_id not in self.ids:
                self.ids.append(job_id)
                SUBMITTED[job_id] = time.time()
        if refused:
            raise AssertionError(f"asked to track what is not a job id: {refused!r}")

    def run(self, jt: Any) -> str:
        job_id: str = self.session.runJob(jt)
        self.track(job_id)
        return job_id

    def bulk(self, jt: Any, begin: int, end: int, step: int) -> list[str]:
        job_ids: list[str] = self.session.runBulkJobs(jt, begin, end, step)
        self.track(*job_ids)
        return job_ids

    def finish(self, jt: Any, bound: float = 120.0) -> Any:
        """Submit *jt* and wait for the job (at most *bound* seconds); return its JobInfo."""
        return self.session.wait(self.run(jt), bound)

    def template(
        self,
        script: Optional[str] = None,
        *,
        command: str = "/bin/sh",
        args: Optional[list[str]] = None,
        hold: bool = False,
        **attributes: Any,
    ) -> Any:
        """A template for ``/bin/sh -c SCRIPT`` (or *command* with *args*), output to /dev/null by default.

        Keyword arguments set further attributes by name and override the
        defaults; ``None`` leaves an attribute unset.
        """
        import drmaa

        jt = self.session.createJobTemplate()
        self.templates.append(jt)
        jt.remoteCommand = command
        if script is not None:
            jt.args = ["-c", script]
        elif args is not None:
            jt.args = args
        values: dict[str, Any] = {"jobName": JOB_NAME, "outputPath": ":/dev/null", "joinFiles": True}
        if hold:
            values["jobSubmissionState"] = drmaa.JobSubmissionState.HOLD_STATE
        values.update(attributes)
        for name, value in values.items():
            if value is not None:
                setattr(jt, name, value)
        return jt

    def submit(self, script: str, **attributes: Any) -> str:
        """Submit ``/bin/sh -c SCRIPT`` at once."""
        return self.run(self.template(script, **attributes))

    def on_cleanup(self, finalizer: Callable[[], None]) -> None:
        """Call *finalizer* after every job is gone (to remove files the jobs wrote, say)."""
        self.finalizers.append(finalizer)

    # observing

    def wait_state(self, job_id: str, states: Iterable[str], bound: float = 60.0) -> tuple[str, float]:
        """Poll ``jobStatus`` until it is one of *states*; return it and the seconds it took."""
        wanted = set(states)
        start = time.monotonic()
        seen = []
        while True:
            state = self.session.jobStatus(job_id)
            if not seen or seen[-1] != state:
                seen.append(state)
            if state in wanted:
                return state, time.monotonic() - start
            if time.monotonic() - start > bound:
                raise AssertionError(f"job {job_id} went through {seen} in {bound} s, never {sorted(wanted)}")
            time.sleep(0.2)

    def wait_file(self, path: Path, bound: float = 30.0) -> str:
        """The text of *path*, once it exists and is complete (ends with a newline)."""
        deadline = time.monotonic() + bound
        while True:
            if path.exists():
                text = path.read_text(encoding="utf-8")
                if text.endswith("\n"):
                    return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} was not written within {bound} s")
            time.sleep(0.2)

    # cleaning up

    def _known(self, job_id: str, listed: Optional[set[str]] = None) -> bool:
        """Whether the DRM still knows the job: by the library, or by the DRM's client where the library cannot tell.

        slurm-drmaa never raises InvalidJobException (it reads an unknown id
        as 'failed'), so there a job is known while ``squeue`` lists it.
        """
        import drmaa

        if not drm().raises_invalid_job:
            return drm().job_number(job_id) in (drm().listed_jobs() if listed is None else listed)
        try:
            self.session.jobStatus(job_id)
        except drmaa.InvalidJobException:
            return False
        except drmaa.DrmaaException:
            return True
        return True

    def wait_gone(self, job_ids: list[str], bound: float = CLEANUP_BOUND) -> list[str]:
        """Wait until the DRM no longer knows *job_ids* (reaped, or ended in another session); return the rest."""
        deadline = time.monotonic() + bound
        left = list(job_ids)
        while True:
            listed = None if drm().raises_invalid_job else drm().listed_jobs()
            left = [job_id for job_id in left if self._known(job_id, listed)]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.5)

    def cleanup(self) -> None:
        import drmaa

        opened = False
        try:
            self.session.initialize()
            opened = True
        except drmaa.AlreadyActiveSessionException:
            pass
        try:
            listed = None if drm().raises_invalid_job else drm().listed_jobs()
            left = [job_id for job_id in self.ids if self._known(job_id, listed)]
            queued = set(still_ours(left)) if left else set()
            for job_id in (job_id for job_id in left if drm().job_number(job_id) in queued):
                try:
                    self.session.control(job_id, drmaa.JobControlAction.TERMINATE)
                except drmaa.DrmaaException:
                    pass  # finished already, or not ours to control
            if left and drm().raises_invalid_job:
                # Reap them, so that the library forgets them. Where the library cannot
                # tell that a job is gone (slurm-drmaa, which also never ends the tasks
                # of a cancelled array for synchronize), the DRM's own list decides below.
                try:
                    self.session.synchronize(left, 60, True)
                except drmaa.DrmaaException:
                    pass
            left = self.wait_gone(left)
            for jt in self.templates:
                try:
                    jt.delete()
                except drmaa.DrmaaException:
                    pass
        finally:
            if opened:
                self.session.exit()
        for finalizer in self.finalizers:
            finalizer()
        if left:
            ours = still_ours(left)
            if ours:
                drm().delete_jobs(ours)
            pytest.fail(f"jobs still known {CLEANUP_BOUND:.0f} s after cleanup began: {left} (deleted: {ours})")


@pytest.fixture
def jobs(session: Any, jobdir: Path) -> Iterator[Jobs]:
    """The job tracker: submit through it; whatever is left is terminated and reaped at teardown."""
    tracker = Jobs(session, jobdir)
    yield tracker
    tracker.cleanup()
