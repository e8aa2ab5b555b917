"""The tutorial programs under ``examples/``, run as they are on the real cluster, with their output checked.

Each program runs as a child process from a copy of the ``examples/``
directory made for this run (so that two runs, on two clusters say, never
share output files), with ``PYTHONPATH`` pointing at this checkout and the
cluster's environment inherited. The programs of the selected tests all start together when the
first of them is needed (``example5`` alone takes 50 s); each test then
waits for its program. ``example5`` expects its 3-s job to be done within
its 50 s of polling, so it starts first, and the others only once it has
submitted its job: its job is then ahead of theirs in the queue, instead
of waiting behind the tasks of their bulk jobs for a free slot. Jobs that a
program leaves behind are terminated by the test. The jobs write their output where the programs' ``outputPath``
says, next to the programs: ``<program>.out``, or ``<program>.<task>.out`` for
the tasks of a bulk job; those files are removed after the tests.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from drms import current

if TYPE_CHECKING:
    from conftest import Jobs

DRM = current()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: The longest one program may take (example5 polls for 50 s; the array jobs share 4 slots).
EXAMPLE_BOUND = 300

SLEEPER_OUTPUT = "Hello world, the answer is 42\nSimon says: Bye world!\n"
SUBMITTED = re.compile(r"Your job has been submitted with ID (\d+)")
SUBMITTED_ARRAY = re.compile(r"Your jobs have been submitted with IDs (\[.*\])")
TEST_NAME = re.compile(r"test_(example\d+(?:_\d+)?)_")
#: Programs whose job must run soon after they submit it: started first, each
#: waited for until it has submitted, before the others start.
FIRST = ("example5",)


class Run:
    """One example program running as a child process."""

    def __init__(self, name: str, workdir: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"  # each line as it is printed (see submitted())
        self.name = name
        #: Where the program runs and its jobs write their output.
        self.dir = workdir
        self.proc = subprocess.Popen(
            [sys.executable, f"{name}.py"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = ""
        self.err = ""
        self.head = ""  # what submitted() read before finish()

    def submitted(self) -> None:
        """Read the program's output until it says it submitted its job (or it exits)."""
        assert self.proc.stdout is not None
        reader = threading.Thread(target=self._read_until_submitted, daemon=True)
        reader.start()
        reader.join(EXAMPLE_BOUND)
        assert not reader.is_alive(), f"{self.name} did not submit a job in {EXAMPLE_BOUND} s:\n{self.head}"

    def _read_until_submitted(self) -> None:
        # os.read, not the file object: communicate() reads the descriptor and
        # would never see what a file object's buffer had read ahead.
        assert self.proc.stdout is not None
        data = b""
        while not any(SUBMITTED.fullmatch(line) or SUBMITTED_ARRAY.fullmatch(line) for line in self.head.splitlines()):
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return
            data += chunk
            self.head = data.decode()

    def finish(self) -> str:
        """Wait for the program; return its output."""
        if self.proc.returncode is None:
            rest, self.err = self.proc.communicate(timeout=EXAMPLE_BOUND)
            self.out = self.head + rest
        return self.out

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            self.proc.communicate()

    def check(self) -> None:
        assert self.proc.returncode == 0, f"{self.name} exited with {self.proc.returncode}:\n{self.out}\n{self.err}"
        assert self.err == "", self.err


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Start every example that a selected test of this module checks, all at once, in a copy of examples/."""
    here = Path(__file__).resolve()
    names = sorted(
        {
            match.group(1)
            for item in request.session.items
            if Path(str(item.path)).resolve() == here and (match := TEST_NAME.match(item.name))
        }
    )
    workdir = tmp_path_factory.mktemp("examples")
    shutil.copytree(EXAMPLES, workdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.out", "__pycache__"))
    started: dict[str, Run] = {}
    try:
        for name in [name for name in FIRST if name in names]:
            started[name] = Run(name, workdir)
            started[name].submitted()
        for name in names:
            if name not in started:
                started[name] = Run(name, workdir)
        yield started
    finally:
        for run in started.values():
            run.kill()


def output_files(run: Run) -> list[Path]:
    """The job output files of a program: one per job, or per task of a bulk job."""
    return [*run.dir.glob(f"{run.name}.out"), *run.dir.glob(f"{run.name}.*.out")]


def remove_output(run: Run) -> None:
    for path in output_files(run):
        path.unlink(missing_ok=True)


def finished(runs: dict[str, Run], name: str) -> list[str]:
    return runs[name].finish().splitlines()


def adopt(jobs: Jobs, lines: list[str], run: Run) -> list[str]:
    """Track the jobs a program says it submitted (before anything is asserted), and their output files."""
    ids: list[str] = []
    for line in lines:
        single = SUBMITTED.fullmatch(line)
        if single:
            ids.append(single.group(1))
        array = SUBMITTED_ARRAY.fullmatch(line)
        if array:
            listed = ast.literal_eval(array.group(1))
            assert isinstance(listed, list), line
            ids += [str(job_id) for job_id in listed]
    jobs.track(*ids)

    jobs.on_cleanup(lambda: remove_output(run))
    return ids


def sleeper_output(run: Run, task_id: str = "") -> str:
    """What the job of a program wrote, or the task of its bulk job that has the id ``task_id``."""
    task = re.split(r"\D", task_id)[-1]
    return (run.dir / (f"{run.name}.{task}.out" if task else f"{run.name}.out")).read_text(encoding="utf-8")


def check_array(ids: list[str]) -> None:
    """15 tasks 1, 3, ..., 29 of one array job (runBulkJobs(jt, 1, 30, 2))."""
    number = DRM.job_number(ids[0])
    assert number.isdigit(), ids
    assert ids == [DRM.bulk_id.format(number=number, task=task) for task in range(1, 30, 2)]


# --- programs that leave jobs behind come first, so their jobs end early -------------------


def test_example2_submits_a_job(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example2")
    ids = adopt(jobs, lines, runs["example2"])
    runs["example2"].check()
    assert len(ids) == 1, lines
    assert lines == ["Creating job template", f"Your job has been submitted with ID {ids[0]}", "Cleaning up"]


def test_example2_1_submits_an_array_job(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example2_1")
    ids = adopt(jobs, lines, runs["example2_1"])
    runs["example2_1"].check()
    assert lines == ["Creating job template", f"Your jobs have been submitted with IDs {ids}", "Cleaning up"]
    check_array(ids)


def test_example4_terminates_its_job(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example4")
    ids = adopt(jobs, lines, runs["example4"])
    runs["example4"].check()
    assert len(ids) == 1, lines
    assert lines == ["Creating job template", f"Your job has been submitted with ID {ids[0]}", "Cleaning up"]
    # TERMINATE was accepted (the program ended with 0) and the job goes away.
    # Whether sleeper.sh got to its end first is a race: on a busy machine
    # the kill can reach the job after its three seconds, so it is not asserted.
    assert jobs.wait_gone(ids) == []


# --- programs that only open sessions ----------------------------------------------------------


def contact_of(run: Run) -> str:
    """The contact string of a session of the child process, as a pattern (Slurm's is always '')."""
    return DRM.contact(pid=str(run.proc.pid)).pattern


def test_example1_starts_a_session(runs: dict[str, Run]) -> None:
    lines = finished(runs, "example1")
    runs["example1"].check()
    assert lines == ["A session was started successfully"]


def test_example1_1_reconnects_by_contact(runs: dict[str, Run]) -> None:
    lines = finished(runs, "example1_1")
    runs["example1_1"].check()
    assert len(lines) == 4, lines
    assert re.fullmatch(f"session contact returns: {contact_of(runs['example1_1'])}", lines[1]), lines
    assert lines[:1] + lines[2:] == [
        "A session was started successfully",
        "Exited from session",
        "Session was restarted successfully",
    ]


def test_example6_queries_the_system(runs: dict[str, Run]) -> None:
    lines = finished(runs, "example6")
    runs["example6"].check()
    assert len(lines) == 6, lines
    assert re.fullmatch(f"Supported contact strings: {contact_of(runs['example6'])}", lines[1]), lines
    assert re.fullmatch(f"Supported DRM systems: {DRM.drms_info}", lines[2]), lines
    assert re.fullmatch(f"Supported DRMAA implementations: {DRM.implementation}", lines[3]), lines
    assert [lines[0], *lines[4:]] == ["A DRMAA object was created", "Version 1.0", "Exiting"]


# --- programs that wait for their jobs ------------------------------------------------------------


def test_example3_waits_for_its_job(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example3")
    ids = adopt(jobs, lines, runs["example3"])
    runs["example3"].check()
    assert len(ids) == 1, lines
    assert lines == [
        "Creating job template",
        f"Your job has been submitted with ID {ids[0]}",
        f"Job: {ids[0]} finished with status True",
        "Cleaning up",
    ]
    assert sleeper_output(runs["example3"]) == SLEEPER_OUTPUT


def test_example3_1_synchronizes_an_array_job(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example3_1")
    ids = adopt(jobs, lines, runs["example3_1"])
    runs["example3_1"].check()
    check_array(ids)
    assert lines == ["Creating job template", f"Your jobs have been submitted with IDs {ids}", "Cleaning up"]
    for job_id in ids:
        assert sleeper_output(runs["example3_1"], job_id) == SLEEPER_OUTPUT


def test_example3_2_collects_each_task(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example3_2")
    ids = adopt(jobs, lines, runs["example3_2"])
    runs["example3_2"].check()
    check_array(ids)
    collected = []
    for job_id in ids:
        collected += [f"Collecting job {job_id}", f"Job: {job_id} finished with status True"]
    submitted = f"Your jobs have been submitted with IDs {ids}"
    assert lines == ["Creating job template", submitted, *collected, "Cleaning up"]
    for job_id in ids:
        assert sleeper_output(runs["example3_2"], job_id) == SLEEPER_OUTPUT


def test_example5_reports_progress(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example5")
    ids = adopt(jobs, lines, runs["example5"])
    runs["example5"].check()
    assert len(ids) == 1, lines
    assert lines[:2] == ["Creating job template", f"Your job has been submitted with ID {ids[0]}"]
    assert lines[-1] == "Cleaning up"
    checks = lines[2:-1]
    assert checks[0::2] == [f"Checking {ix} of 10 times" for ix in range(10)]
    progress = ["job is queued and active", "job is running", "job finished normally"]
    statuses = checks[1::2]
    assert set(statuses) <= set(progress), statuses
    assert statuses == sorted(statuses, key=progress.index), statuses  # never goes back
    assert statuses[-1] == "job finished normally"  # sleeper.sh takes 3 s, the program 50 s
    assert sleeper_output(runs["example5"]) == SLEEPER_OUTPUT


# --- beyond 0.7.9: jobs as futures --------------------------------------------------------------


def test_example7_reports_each_future_as_it_ends(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example7")
    ids = adopt(jobs, lines, runs["example7"])
    runs["example7"].check()
    assert len(ids) == 10, lines
    assert lines[:10] == [f"Your job has been submitted with ID {job_id}" for job_id in ids]
    assert lines[-1] == "Cleaning up"
    # In the order the jobs ended, which the cluster decides.
    reports = [f"Job {job_id} (n={n}) exited with status {n}" for n, job_id in enumerate(ids)]
    assert sorted(lines[10:-1]) == sorted(reports)


def test_example7_1_awaits_jobs_and_terminates_the_one_it_gives_up_on(runs: dict[str, Run], jobs: Jobs) -> None:
    lines = finished(runs, "example7_1")
    ids = adopt(jobs, lines, runs["example7_1"])
    runs["example7_1"].check()
    assert len(ids) == 4, lines
    assert lines == [
        f"Your jobs have been submitted with IDs {ids[:3]}",
        "Exit statuses: [0, 1, 2]",
        f"Your job has been submitted with ID {ids[3]}",
        f"Gave up waiting for job {ids[3]}",
        f"Job {ids[3]} was terminated: True",
    ]
