"""What the integration tests know of each DRM: one description per DRM, chosen by the library loaded.

Only facts of a DRM and its DRMAA library live here (names, contact strings,
resource usage keys, message texts, command line clients, job variables,
native options); what the binding does is asserted the same way on every
DRM, in the tests. A test that means nothing on a DRM carries
``@pytest.mark.not_on("slurm", "reason-key")``; the reasons are the table
:data:`NOT_APPLICABLE`, and such a test is reported as skipped with
"not applicable on <DRM>: <reason>", never as passed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional


def command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a DRM client (``qstat``, ``squeue``, ...) with this process's environment."""
    return subprocess.run(
        list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass(frozen=True)
class Drm:
    """The facts of one DRM and its DRMAA library that the tests need."""

    #: Key used by the ``not_on`` marker.
    key: str
    #: Name shown to people.
    title: str
    #: ``drmsInfo`` and ``drmaaImplementation``, as patterns.
    drms_info: str
    implementation: str
    #: ``drmaa_get_attribute_names()``, in the library's order.
    attribute_names: tuple[str, ...]
    #: Optional DRMAA attributes the library refuses to set (code 4), with a value to try.
    unsupported_attributes: tuple[tuple[str, object], ...]
    #: What reading an attribute never set gives: an error code, or the text read.
    unset_read: object
    #: Resource usage names every finished job reports.
    rusage_keys: frozenset[str]
    #: Resource usage names whose value is text, not a number.
    rusage_text: frozenset[str]
    #: jobStatus of a job that exited with a non-zero status.
    nonzero_exit_state: str
    #: The resource usage entry with the job's real wall-clock seconds, if any.
    wallclock_key: Optional[str]
    #: Whether a job that never ran (terminated on hold) gives NoResourceUsageException.
    no_rusage_for_unrun: bool
    #: Whether a job killed by a signal also reads as exited, with status 128 + n.
    signal_exits: bool
    #: Whether an argument holding a single quote breaks the job (slurm-drmaa quotes each one in a bash script).
    quote_breaks_arguments: bool
    #: Whether the DRM cuts a job argument at its first newline, or an environment value at its first '='.
    cuts_arguments_at_newline: bool
    cuts_environment_at_equals: bool
    #: The job's variables for its id and its task of a bulk job.
    job_id_variable: str
    task_id_variable: str
    #: The id of a task of a bulk job (str.format with number and task).
    bulk_id: str
    #: What a job id looks like (a task of a bulk job included).
    job_id: re.Pattern[str]
    #: The cluster script in scripts/ that runs a local cluster of this DRM.
    script: str
    #: Whether a job template can be made only in an active session.
    templates_need_session: bool
    #: Whether an unknown or reaped id raises InvalidJobException (code 18).
    raises_invalid_job: bool
    #: A native specification giving the job the name ``{name}`` (str.format).
    native_name: str
    #: A native specification giving the job a hard wall-clock limit of 60 s.
    native_limit: str
    #: A native option the library passes on and the DRM refuses (code 17); {id} is a made-up name.
    native_denied: str
    #: Whether a start time in the past is accepted (the job starts at once).
    past_start_time: bool
    #: The unit of time limits the library keeps: 1 (seconds) or 60 (whole minutes).
    limit_unit: int
    #: Jobs each thread of the threads scenario submits (the DRM's pace: Grid Engine runs
    #: about 2 short jobs a second here, a one-host Slurm about 44 a minute).
    scenario_jobs_per_thread: int
    #: The error codes the threads scenario provokes on this DRM.
    scenario_error_codes: frozenset[int]
    #: How the library refuses, by situation: (code, a part of its diagnosis; {id} is the job id).
    refusals: dict[str, tuple[int, str]] = field(default_factory=dict)

    def contact(self, pid: Optional[str] = None) -> re.Pattern[str]:
        """The contact string of an initialized session of process *pid* (a pattern; this process by default)."""
        raise NotImplementedError

    def job_number(self, job_id: str) -> str:
        """The DRM's number of the job (of its bulk job, for a task)."""
        raise NotImplementedError

    def listed_jobs(self) -> set[str]:
        """Job numbers the DRM lists as queued or running (any user)."""
        raise NotImplementedError

    def submitted_at(self, number: str) -> Optional[float]:
        """When the job with this number was submitted; None if the DRM does not know it."""
        raise NotImplementedError

    def delete_jobs(self, job_ids: Iterable[str]) -> None:
        """Delete jobs with the DRM's own client (qdel, scancel), forcibly."""
        raise NotImplementedError

    def name_seen(self, job_id: str) -> Optional[str]:
        """The job's name as the DRM has it (while the job is queued or running)."""
        raise NotImplementedError

    def limit_seen(self, job_id: str) -> Optional[int]:
        """The job's hard wall-clock limit as the DRM has it, in seconds; None if it has none."""
        raise NotImplementedError


def _clock(text: str) -> int:
    """Seconds of ``[[D-]H:]M:S`` (Slurm) or ``H:M:S`` (Grid Engine)."""
    days, _, clock = text.rpartition("-")
    seconds = 0
    for part in clock.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds + (int(days) * 86400 if days else 0)


class GridEngine(Drm):
    def contact(self, pid: Optional[str] = None) -> re.Pattern[str]:
        return re.compile(rf"session={re.escape(socket.gethostname())}\.{pid or os.getpid()}\.\d+")

    def job_number(self, job_id: str) -> str:
        return job_id.split(".")[0]

    def listed_jobs(self) -> set[str]:
        proc = command("qstat", "-u", "*")
        return {fields[0] for fields in map(str.split, proc.stdout.splitlines()) if fields and fields[0].isdigit()}

    def _details(self, number: str) -> dict[str, str]:
        proc = command("qstat", "-j", number)
        pairs = (line.partition(":") for line in proc.stdout.splitlines())
        return {name.strip(): value.strip() for name, colon, value in pairs if colon}

    def submitted_at(self, number: str) -> Optional[float]:
        value = self._details(number).get("submission_time")
        try:
            return time.mktime(time.strptime(value, "%a %b %d %H:%M:%S %Y")) if value else None
        except ValueError:
            return None

    def delete_jobs(self, job_ids: Iterable[str]) -> None:
        command("qdel", "-f", *job_ids)

    def name_seen(self, job_id: str) -> Optional[str]:
        return self._details(self.job_number(job_id)).get("job_name")

    def limit_seen(self, job_id: str) -> Optional[int]:
        resources = self._details(self.job_number(job_id)).get("hard resource_list", "")
        match = re.search(r"h_rt=([\d:]+)", resources)
        return _clock(match.group(1)) if match else None


class Slurm(Drm):
    def contact(self, pid: Optional[str] = None) -> re.Pattern[str]:
        return re.compile("")  # slurm-drmaa's contact is always ''

    def job_number(self, job_id: str) -> str:
        return job_id.split("_")[0]

    def listed_jobs(self) -> set[str]:
        # %F: the array's job id for a task, the job's own id otherwise.
        proc = command("squeue", "--noheader", "--array", "--format=%F")
        return {line.strip() for line in proc.stdout.splitlines() if line.strip().isdigit()}

    def _details(self, number: str) -> dict[str, str]:
        proc = command("scontrol", "--oneliner", "show", "job", number)
        first = proc.stdout.splitlines()[0] if proc.stdout.strip() else ""
        return dict(word.split("=", 1) for word in first.split() if "=" in word)

    def submitted_at(self, number: str) -> Optional[float]:
        value = self._details(number).get("SubmitTime")
        try:
            return time.mktime(time.strptime(value, "%Y-%m-%dT%H:%M:%S")) if value else None
        except ValueError:
            return None

    def delete_jobs(self, job_ids: Iterable[str]) -> None:
        command("scancel", "--full", *job_ids)

    def name_seen(self, job_id: str) -> Optional[str]:
        return self._details(job_id).get("JobName")

    def limit_seen(self, job_id: str) -> Optional[int]:
        value = self._details(job_id).get("TimeLimit")
        if value is None or value in {"UNLIMITED", "Partition_Limit", "NONE"}:
            return None
        return _clock(value)


GRID_ENGINE = GridEngine(
    key="sge",
    title="Grid Engine",
    drms_info=r"SGE 8\.1\.\d+",
    implementation=r"SGE 8\.1\.\d+",
    attribute_names=(
        "drmaa_remote_command",
        "drmaa_js_state",
        "drmaa_wd",
        "drmaa_job_name",
        "drmaa_input_path",
        "drmaa_output_path",
        "drmaa_error_path",
        "drmaa_join_files",
        "drmaa_job_category",
        "drmaa_native_specification",
        "drmaa_block_email",
        "drmaa_start_time",
        "drmaa_submit_as_euid",
    ),
    unsupported_attributes=(
        ("transferFiles", "ioe"),
        ("deadlineTime", "12:00"),
        ("hardWallclockTimeLimit", 60),
        ("softWallclockTimeLimit", 60),
        ("hardRunDurationLimit", 60),
        ("softRunDurationLimit", 60),
    ),
    unset_read=14,
    rusage_keys=frozenset(
        "acct_cpu acct_io acct_iow acct_maxvmem acct_mem cpu end_time exit_status io iow maxvmem mem priority "
        "ru_idrss ru_inblock ru_ismrss ru_isrss ru_ixrss ru_majflt ru_maxrss ru_minflt ru_msgrcv ru_msgsnd "
        "ru_nivcsw ru_nsignals ru_nswap ru_nvcsw ru_oublock ru_stime ru_utime ru_wallclock signal start_time "
        "submission_time vmem".split()
    ),
    rusage_text=frozenset(),
    signal_exits=False,
    wallclock_key="ru_wallclock",
    no_rusage_for_unrun=True,
    nonzero_exit_state="done",
    quote_breaks_arguments=False,
    cuts_arguments_at_newline=True,
    cuts_environment_at_equals=True,
    job_id_variable="JOB_ID",
    task_id_variable="SGE_TASK_ID",
    bulk_id="{number}.{task}",
    job_id=re.compile(r"[1-9][0-9]*(\.[1-9][0-9]*)?"),
    script="local-sge",
    templates_need_session=True,
    raises_invalid_job=True,
    native_name="-N {name}",
    native_limit="-l h_rt=60",
    native_denied="-l {id}=1",
    limit_unit=1,
    past_start_time=True,
    scenario_jobs_per_thread=24,
    scenario_error_codes=frozenset({4, 14, 17, 18, 23, 24}),
    refusals={
        "native-denied": (17, 'unknown resource "{id}"'),
        "native-unknown": (17, 'invalid option argument "--bogus-flag"'),
        "missing-command": (17, 'job template must have "drmaa_remote_command" attribute set'),
        "unknown-category": (17, "Unknown job category"),
        "malformed-id": (4, 'Job id, "{id}", is not a valid job id'),
        "malformed-id-control": (4, 'Job id, "{id}", is not a valid job id'),
        "wait-any-without-jobs": (18, ""),
        "wait-timeout": (23, "time-out condition"),
        "synchronize-timeout": (23, "time-out condition"),
    },
)

SLURM = Slurm(
    key="slurm",
    title="Slurm",
    drms_info=r"SLURM \d+\.\d+\.\d+",
    implementation=r"DRMAA for Slurm .*",
    attribute_names=(
        "drmaa_remote_command",
        "drmaa_js_state",
        "drmaa_wd",
        "drmaa_job_category",
        "drmaa_native_specification",
        "drmaa_block_email",
        "drmaa_start_time",
        "drmaa_job_name",
        "drmaa_input_path",
        "drmaa_output_path",
        "drmaa_error_path",
        "drmaa_join_files",
        "drmaa_wct_hlimit",
    ),
    unsupported_attributes=(),
    unset_read="",
    rusage_keys=frozenset({"submission_time", "cpu", "mem", "vmem", "walltime", "hosts"}),
    rusage_text=frozenset({"hosts"}),
    signal_exits=True,
    wallclock_key=None,
    no_rusage_for_unrun=False,
    nonzero_exit_state="failed",
    quote_breaks_arguments=True,
    cuts_arguments_at_newline=False,
    cuts_environment_at_equals=False,
    job_id_variable="SLURM_JOB_ID",
    task_id_variable="SLURM_ARRAY_TASK_ID",
    bulk_id="{number}_{task}",
    job_id=re.compile(r"[1-9][0-9]*(_[1-9][0-9]*)?"),
    script="local-slurm",
    templates_need_session=False,
    raises_invalid_job=False,
    native_name="-J {name}",
    native_limit="--time=0:01",
    native_denied="--partition=drmaa-it-{id}",
    limit_unit=60,
    past_start_time=False,
    scenario_jobs_per_thread=6,
    scenario_error_codes=frozenset({1, 4, 17, 23}),
    refusals={
        "native-denied": (17, "Invalid partition name specified"),
        "native-unknown": (14, "Invalid native specification: bogus-flag (Unsupported option: --bogus-flag)"),
        "missing-command": (15, "drmaa_remote_command not set for job template"),
        "unknown-category": (14, "invalid job category: drmaa-it-no-such-category"),
        "malformed-id": (4, "not an number: {id}"),
        "malformed-id-control": (1, "slurm_terminate_job error: Invalid job id specified,job_id: {id}"),
        "wait-any-without-jobs": (18, "No job found to be waited for"),
        "wait-timeout": (23, "Waiting for job to terminate finished due to time-out."),
        "synchronize-timeout": (23, "Waiting for job to terminate finished due to time-out."),
    },
)

DRMS = (GRID_ENGINE, SLURM)

#: Why a test means nothing on a DRM: ``@pytest.mark.not_on(DRM key, reason key)``.
NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "slurm": {
        "session-jobs": "a new slurm-drmaa session (contact '') does not take over an earlier session's jobs: "
        "JOB_IDS_SESSION_ALL and _ANY cover only the jobs it submitted itself",
        "no-end-time": "slurm-drmaa reports no end time of a job (of its resource usage only submission_time is real)",
        "any-contact": "slurm-drmaa accepts any contact string and ignores it",
        "invalid-job": "slurm-drmaa raises no InvalidJobException for a job id: unknown and reaped ids read 'failed'",
        "sge-environment": "it is about Grid Engine's environment (SGE_ROOT, SGE_CELL, the master's port)",
        "aborted-info": "slurm-drmaa reports a job cancelled by TERMINATE, one whose command does not exist "
        "(status 127) and one whose working directory does not exist (Slurm runs it elsewhere) as exited, "
        "not aborted",
        "hold-running": "slurm-drmaa's HOLD on a running job succeeds and does nothing",
        "no-rusage": "slurm-drmaa returns a JobInfo, never NoResourceUsageException, for a job that never ran",
        "session-all-reap": "it is about which ended jobs Grid Engine's SESSION_ALL synchronize reaps "
        "(slurm-drmaa reaps none: ended jobs stay known until Slurm purges them)",
        "suspend": "slurm-drmaa never refuses SUSPEND or RESUME by state (codes 19 and 20 do not come)",
        "hold-twice": "slurm-drmaa's HOLD of a job already on hold turns it into 'system_on_hold'",
        "diagnose-sge": "it breaks Grid Engine's setup (SGE_ROOT, SGE_CELL, the master's port, a queue, "
        "the static TLS room its library needs) and checks python -m drmaa's advice for it",
        "array-release": "slurm-drmaa releases every task of an array when one task is released",
        "empty-command": "slurm-drmaa submits a job with an empty command; Grid Engine's checks are tested here",
        "state-unchecked": "slurm-drmaa accepts any jobSubmissionState value when it is set",
        "failed-state": "slurm-drmaa reports a non-zero exit as 'failed' (Grid Engine: 'done')",
        "output-dirs": "slurm-drmaa takes an output path as a file name: with a directory there the job "
        "cannot start (it reads as aborted) and no output is written",
        "sge-faults": "it drives Grid Engine's daemons (qmaster, execd) and re-attaches sessions by contact",
    },
    "sge": {
        "generic-faults": "Grid Engine's faults are measured by its own fault tests, with its own recovery steps",
        "time-limits": "Grid Engine's libdrmaa does not support the time limit attributes (code 4)",
    },
}

_current: list[Drm] = []


def current() -> Drm:
    """The description of the DRM whose library this process loaded (by ``drmaaImplementation``)."""
    if not _current:
        import drmaa

        implementation = drmaa.Session.drmaaImplementation
        _current.append(SLURM if re.match(SLURM.implementation, implementation) else GRID_ENGINE)
    return _current[0]


def not_applicable(drm: Drm, keys: Iterable[tuple[str, str]]) -> Optional[str]:
    """The skip reason for a test marked ``not_on`` for *drm*, or None."""
    for key, reason in keys:
        if key == drm.key:
            return f"not applicable on {drm.title}: {NOT_APPLICABLE[key][reason]}"
    return None
