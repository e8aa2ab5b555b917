"""Sessions on a submit-only host while jobs run on two other hosts, and what each kind of host may do.

Jobs write the host name they ran on into a shared directory, which is
compared with what Grid Engine's accounting recorded. Re-attaching by contact
string is tried from the submit host, from the master (a submit and admin
host) and from an execution host (neither).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import EXEC_HOSTS, MASTER_HOST, SUBMIT_HOST, accounted_once, on_host, python_on, template, wait_running

import drmaa
from drmaa.errors import AuthorizationException, DeniedByDrmException, InvalidJobException

#: How long one short job may take from submission to its JobInfo.
JOB_BOUND = 120.0


def written_host(jobdir: Path, name: str) -> str:
    return (jobdir / name).read_text(encoding="utf-8").strip()


def check_info(info: Any, job_id: str) -> None:
    """A job that ran to its end: exit 0 and the usage Grid Engine reports for it."""
    assert info.jobId == job_id
    assert info.hasExited and info.exitStatus == 0 and not info.wasAborted and not info.hasSignal, info
    usage = info.resourceUsage
    assert {"start_time", "end_time", "ru_wallclock", "exit_status", "submission_time"} <= set(usage), usage
    assert float(usage["end_time"]) >= float(usage["start_time"]) > 0


def test_qhost_lists_both_execution_hosts_and_not_this_one() -> None:
    proc = on_host(SUBMIT_HOST, "qhost")
    hosts = {line.split()[0] for line in proc.stdout.splitlines()[3:] if line.strip()}
    assert proc.returncode == 0, proc.stderr
    assert hosts == set(EXEC_HOSTS), proc.stdout


def test_drmaa_check_submits_from_the_submit_host() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "drmaa", "--submit"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=JOB_BOUND,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DRMAA works here." in proc.stdout, proc.stdout
    assert re.search(r"runJob\(.*\) -> job \d+", proc.stdout), proc.stdout


def test_jobs_and_bulk_tasks_run_on_both_execution_hosts(session: Any, jobdir: Path) -> None:
    # one job pinned to each host, and four tasks that overlap: two slots per host make them spread
    pinned = {}
    for host in EXEC_HOSTS:
        with template(session, f'echo "$HOSTNAME" > {jobdir}/pinned.{host}', host=host) as jt:
            pinned[host] = session.runJob(jt)
    with template(session, f'sleep 3; echo "$HOSTNAME" > {jobdir}/task.$SGE_TASK_ID') as jt:
        tasks = session.runBulkJobs(jt, 1, 4, 1)
    session.synchronize([*pinned.values(), *tasks], JOB_BOUND, False)

    for host, job_id in pinned.items():
        check_info(session.wait(job_id, 10), job_id)
        assert written_host(jobdir, f"pinned.{host}") == host
        assert accounted_once(job_id)["hostname"] == host
    ran_on = set()
    for index, task_id in enumerate(tasks, start=1):
        check_info(session.wait(task_id, 10), task_id)
        host = written_host(jobdir, f"task.{index}")
        assert accounted_once(task_id)["hostname"] == host
        ran_on.add(host)
    assert ran_on == set(EXEC_HOSTS)


def test_threads_of_one_session_wait_for_jobs_on_other_hosts(session: Any, jobdir: Path) -> None:
    results: dict[int, Any] = {}

    def worker(index: int) -> None:
        host = EXEC_HOSTS[index % len(EXEC_HOSTS)]
        try:
            with template(session, f'sleep 1; echo "$HOSTNAME" > {jobdir}/thread.{index}', host=host) as jt:
                job_id = session.runJob(jt)
            results[index] = (host, job_id, session.wait(job_id, JOB_BOUND))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOB_BOUND + 30)
    assert len(results) == len(threads), results
    for index, result in results.items():
        assert isinstance(result, tuple), result
        host, job_id, info = result
        check_info(info, job_id)
        assert written_host(jobdir, f"thread.{index}") == host


# A child that submits a job and leaves, printing its contact and job id.
SUBMIT_AND_LEAVE = """
import sys, drmaa
s = drmaa.Session()
s.initialize()
with s.createJobTemplate() as jt:
    jt.remoteCommand, jt.args = "/bin/sleep", [sys.argv[1]]
    jt.jobName, jt.outputPath, jt.joinFiles = "drmaa-mh", ":/dev/null", True
    print(s.contact, s.runJob(jt))
s.exit()
"""

# A child that re-attaches by contact string, then waits for the job and tries to submit.
REATTACH = """
import json, sys, drmaa
s = drmaa.Session()
s.initialize(sys.argv[1])
out = {"contact": s.contact}
try:
    info = s.wait(sys.argv[2], 120)
    out["wait"] = [info.hasExited, info.exitStatus, sorted(info.resourceUsage)]
except drmaa.DrmaaException as exc:
    out["wait"] = type(exc).__name__
with s.createJobTemplate() as jt:
    jt.remoteCommand, jt.jobName, jt.outputPath = "/bin/true", "drmaa-mh", ":/dev/null"
    try:
        job_id = s.runJob(jt)
        s.wait(job_id, 120)
        out["runJob"] = "ok"
    except drmaa.DrmaaException as exc:
        out["runJob"] = type(exc).__name__
s.exit()
print(json.dumps(out))
"""


def submit_and_leave(seconds: int) -> tuple[str, str]:
    proc = python_on(SUBMIT_HOST, SUBMIT_AND_LEAVE, str(seconds))
    assert proc.returncode == 0, proc.stderr
    contact, job_id = proc.stdout.split()
    assert contact.startswith(f"session={SUBMIT_HOST}.")
    return contact, job_id


@pytest.mark.parametrize(
    ("where", "may_submit"),
    [("submit", True), ("master", True), ("execution", False)],
)
def test_reattach_by_contact_from_another_host(where: str, may_submit: bool) -> None:
    host = {"submit": SUBMIT_HOST, "master": MASTER_HOST, "execution": EXEC_HOSTS[0]}[where]
    contact, job_id = submit_and_leave(4)
    proc = python_on(host, REATTACH, contact, job_id)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # any host of the cell may join the session and wait for its jobs, with their usage ...
    assert out["contact"] == contact
    assert out["wait"][:2] == [True, 0], out
    assert "ru_wallclock" in out["wait"][2]
    # ... but only a submit host may submit
    assert out["runJob"] == ("ok" if may_submit else DeniedByDrmException.__name__), out
    accounted_once(job_id)


def test_a_job_that_ended_while_nobody_was_attached_is_only_in_accounting(jobdir: Path) -> None:
    contact, job_id = submit_and_leave(1)
    record = accounted_once(job_id)  # ended, nobody attached
    assert record["exit_status"] == "0" and record["hostname"] in EXEC_HOSTS
    proc = python_on(MASTER_HOST, REATTACH, contact, job_id)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["wait"] == InvalidJobException.__name__


def test_suspend_needs_an_admin_host_terminate_does_not(session: Any) -> None:
    with template(session, "sleep 60", host=EXEC_HOSTS[1]) as jt:
        job_id = session.runJob(jt)
    wait_running(session, job_id)
    with pytest.raises(AuthorizationException, match="not an admin host"):
        session.control(job_id, drmaa.JobControlAction.SUSPEND)
    session.control(job_id, drmaa.JobControlAction.TERMINATE)
    info = session.wait(job_id, JOB_BOUND)
    assert info.wasAborted or info.hasSignal, info
    assert accounted_once(job_id)["hostname"] == EXEC_HOSTS[1]
