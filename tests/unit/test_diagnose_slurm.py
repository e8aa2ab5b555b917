"""``python -m drmaa`` on Slurm: which DRM it talks to, and advice for that DRM, not Grid Engine's.

The fake library plays slurm-drmaa by naming itself as slurm-drmaa 1.1.6 on
Slurm 22.05 does, and by failing with the exact messages they give.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Optional

import pytest

from drmaa import _diagnose, helpers, wrappers

from . import fakelib
from .fakelib import FakeLibrary

SLURM_LIB = "/opt/slurm-drmaa/lib/libdrmaa.so.1"
SGE_LIB = "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0"

# Messages of slurm-drmaa 1.1.6 on Slurm 22.05.8, as they give them.
NO_CONTROLLER_SUBMIT = "slurm_submit_batch_job error (1800): Unable to contact slurm controller (connect failure)"
NO_CONTROLLER_STATUS = "slurm_load_jobs error: Unable to contact slurm controller (connect failure),job_id: 515"
NO_MUNGE = "slurm_submit_batch_job error (1007): Protocol authentication error"
SGE_OPTION = "Invalid native specification: -q all.q (Unsupported option: -q)"
NO_EQUALS = "Invalid native specification: long option missing '='?"
OWN_OPTION = "Invalid native specification: job-name=x (Unsupported option: --job-name)"
OTHER_OPTION = "Invalid native specification: bogus=1 (Unsupported option: --bogus)"
NO_PARTITION = "slurm_submit_batch_job error: Invalid partition name specified"
NO_COLON = "invalid format of drmaa_output_path: missing colon"
JOIN_WITHOUT_OUTPUT = "drmaa_join_files is set and output file is not given"


def error(code: int, message: str) -> BaseException:
    return helpers.make_error(code, message.encode())


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = _diagnose.main(list(argv), out)
    return code, out.getvalue()


def run_loaded_from(monkeypatch: pytest.MonkeyPatch, library: str) -> str:
    """Run the checks, which work, with the library loaded from *library*; return the output."""
    monkeypatch.setattr(wrappers, "library_path", library)
    code, out = run()
    assert code == 0, out
    return out


def problem_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith(("PROBLEM:", "What to do:"))]


@pytest.fixture
def slurm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The fake names itself as slurm-drmaa does, loaded from its own prefix; an empty home and no config.

    Returns a directory for configuration files.
    """
    monkeypatch.setattr(fakelib, "DRM_SYSTEM", "SLURM 22.05.8")
    monkeypatch.setattr(fakelib, "IMPLEMENTATION", "DRMAA for Slurm 1.1.6")
    monkeypatch.setattr(wrappers, "load_error", None)
    monkeypatch.setattr(wrappers, "library_path", SLURM_LIB)
    monkeypatch.setattr(wrappers, "library_source", "$DRMAA_LIBRARY_PATH")
    monkeypatch.setattr(wrappers, "load_attempts", [])
    monkeypatch.setattr(_diagnose, "SLURM_DRMAA_SYSTEM_CONF", str(tmp_path / "etc-slurm_drmaa.conf"))
    monkeypatch.setattr(_diagnose, "SLURM_CONF", str(tmp_path / "slurm.conf"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DRMAA_LIBRARY_PATH", SLURM_LIB)
    for name in ("SLURM_DRMAA_CONF", "SLURM_CONF", "SGE_ROOT", "SGE_CELL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# --- which DRM ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drms_info", "implementation", "path", "expected"),
    [
        ("SLURM 22.05.8", "DRMAA for Slurm 1.1.6", "/usr/local/lib/libdrmaa.so.1", _diagnose.SLURM),
        ("SGE 8.1.9", "SGE 8.1.9", "/usr/local/lib/libdrmaa.so.1", _diagnose.GRID_ENGINE),
        ("OGS/GE 2011.11", "OGS/GE 2011.11", "", _diagnose.GRID_ENGINE),
        ("UGE 8.6.0", "UGE 8.6.0", "", _diagnose.GRID_ENGINE),
        # What the library says wins over its file name.
        ("SLURM 23.02", "", SGE_LIB, _diagnose.SLURM),
        # A library that cannot say (Grid Engine without SGE_ROOT): its file name tells.
        ("", "", SGE_LIB, _diagnose.GRID_ENGINE),
        ("", "", SLURM_LIB, _diagnose.SLURM),
        ("PBS Professional", "PBS DRMAA 1.0", "/usr/lib64/libdrmaa.so.1", None),
        ("", "", "", None),
    ],
)
def test_identify_tells_the_drm(drms_info: str, implementation: str, path: str, expected: Optional[Any]) -> None:
    assert _diagnose.identify(drms_info, implementation, path) is expected


# --- the report on Slurm ----------------------------------------------------------------------


def test_on_slurm_the_report_shows_slurm_settings_not_grid_engine_ones(fake: FakeLibrary, slurm: Path) -> None:
    code, out = run()
    assert code == 0, out
    lines = out.splitlines()
    assert "  DRM system: SLURM 22.05.8" in lines
    assert f"  DRMAA_LIBRARY_PATH={SLURM_LIB}" in lines
    assert "  SLURM_DRMAA_CONF is not set" in lines
    assert "  SLURM_CONF is not set" in lines
    assert "SGE_ROOT" not in out and "GLIBC_TUNABLES" not in out and "qstat" not in out
    assert "  slurm-drmaa's configuration files (each one overrides the one before):" in lines
    assert f"    {slurm}/etc-slurm_drmaa.conf (system file): absent" in lines
    assert (
        "    /opt/slurm-drmaa/etc/slurm_drmaa.conf (system file, when built with --sysconfdir=/opt/slurm-drmaa/etc): "
        "absent"
    ) in lines
    assert f"    {slurm}/home/.slurm_drmaa.conf (user file): absent" in lines
    assert any(line.startswith("  pool_delay: 10 s (the library's default): ") for line in lines), out
    assert any(
        line.startswith(f"  MinJobAge: 300 s (Slurm's default; not set in {slurm}/slurm.conf): ") for line in lines
    ), out
    assert (
        "  Paths are '[host]:path' (':/dir/file' on whatever host runs the job); joinFiles needs an outputPath."
        in lines
    )
    assert any("long options need '=' (--mem=2G)" in line for line in lines), out
    assert lines[-1] == "DRMAA works here (run with --submit to also run a job)."


def test_pool_delay_and_min_job_age_are_read_where_slurm_drmaa_and_slurm_read_them(
    fake: FakeLibrary, slurm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (slurm / "etc-slurm_drmaa.conf").write_text("pool_delay: 5,\n")
    (slurm / "home").mkdir()
    (slurm / "home" / ".slurm_drmaa.conf").write_text("# pool_delay: 7,\ncache_job_state: 3,\n")
    tests_conf = slurm / "tests.conf"
    tests_conf.write_text("job_categories: {},\n  pool_delay : 1,\n")
    monkeypatch.setenv("SLURM_DRMAA_CONF", str(tests_conf))
    (slurm / "other-slurm.conf").write_text("ClusterName=x\nminjobage = 60\n")
    monkeypatch.setenv("SLURM_CONF", str(slurm / "other-slurm.conf"))
    code, out = run()
    assert code == 0, out
    lines = out.splitlines()
    assert f"    {slurm}/etc-slurm_drmaa.conf (system file): pool_delay: 5" in lines
    assert f"    {slurm}/home/.slurm_drmaa.conf (user file): no pool_delay" in lines  # a comment does not count
    assert f"    {tests_conf} ($SLURM_DRMAA_CONF): pool_delay: 1" in lines
    assert any(line.startswith(f"  pool_delay: 1 s ({tests_conf}): ") for line in lines), out
    assert any(line.startswith(f"  MinJobAge: 60 s ({slurm}/other-slurm.conf): ") for line in lines), out


def test_on_grid_engine_the_report_has_no_slurm_section(fake: FakeLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fakelib, "DRM_SYSTEM", "SGE 8.1.9")
    monkeypatch.setattr(wrappers, "load_error", None)
    monkeypatch.setattr(wrappers, "library_path", SGE_LIB)
    monkeypatch.setattr(wrappers, "load_attempts", [])
    monkeypatch.delenv("SGE_ROOT", raising=False)
    code, out = run()
    assert code == 0, out
    assert shown_variables(section(out, "DRM")) == ["SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "GLIBC_TUNABLES"]
    assert "SLURM" not in out and "\nSlurm\n" not in out


def section(out: str, title: str) -> list[str]:
    """The lines of one section of the report."""
    return out.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0].splitlines()


def shown_variables(lines: list[str]) -> list[str]:
    return [line.split()[0].split("=")[0] for line in lines if line.endswith(" is not set") or "=" in line.split()[0]]


def test_an_unknown_drm_shows_the_variables_of_every_drm(fake: FakeLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wrappers, "load_error", None)
    monkeypatch.setattr(wrappers, "library_path", "/opt/drmaa/lib/libdrmaa.so.1.0")
    monkeypatch.setattr(wrappers, "load_attempts", [])
    code, out = run()
    assert code == 0, out
    assert shown_variables(section(out, "Library")) == ["DRMAA_LIBRARY_PATH", "LD_PRELOAD"]
    assert shown_variables(section(out, "DRM")) == [
        "SLURM_DRMAA_CONF",
        "SLURM_CONF",
        "SGE_ROOT",
        "SGE_CELL",
        "SGE_QMASTER_PORT",
        "GLIBC_TUNABLES",
    ]
    assert "\nSlurm\n" not in out  # FAKE 1.0 is not Slurm


def test_slurm_drmaa_under_any_name_shows_no_grid_engine_variable(
    fake: FakeLibrary, slurm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built with the default prefix, its file name says nothing: what the library says decides."""
    out = run_loaded_from(monkeypatch, "/usr/local/lib/libdrmaa.so.1")
    assert shown_variables(section(out, "DRM")) == ["SLURM_DRMAA_CONF", "SLURM_CONF"]
    assert "SGE" not in out and "GLIBC_TUNABLES" not in out


def test_grid_engine_options_on_slurm_get_slurm_advice(fake: FakeLibrary, slurm: Path) -> None:
    fake.fail_next("drmaa_set_attribute", 14, SGE_OPTION)
    code, out = run("--submit", "--native=-q all.q")
    assert code == 1
    assert problem_lines(out) == [
        "PROBLEM: submitting the test job (/bin/sleep 1) failed: InvalidAttributeValueException: code 14: "
        + SGE_OPTION,
        "What to do: -q is a Grid Engine (qsub) option. slurm-drmaa takes sbatch-like options, for example "
        "--partition=NAME (or -p NAME), --time=MINUTES, -c CPUS, --mem=SIZE; `sinfo` lists the partitions.",
    ]
    assert fake.jobs == {}


def test_unreachable_controller_on_slurm_names_slurmctld_not_qmaster(fake: FakeLibrary, slurm: Path) -> None:
    fake.fail_next("drmaa_run_job", 1, NO_CONTROLLER_SUBMIT)
    code, out = run("--submit")
    assert code == 1
    todo = problem_lines(out)[1]
    assert todo.startswith(
        f"What to do: slurm-drmaa cannot reach the Slurm controller, slurmctld (SlurmctldHost in {slurm}/slurm.conf)."
    )
    assert "`scontrol ping`" in todo
    assert "qmaster" not in out


def test_a_test_job_that_stays_queued_on_slurm_points_at_squeue_and_sinfo(
    fake: FakeLibrary, slurm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def still_queued(job_id: bytes, remote_ps: Any, diagnosis: object, length: int) -> int:
        remote_ps.value = 0x10  # DRMAA_PS_QUEUED_ACTIVE
        return 0

    monkeypatch.setattr(fake, "drmaa_job_ps", still_queued)
    code, out = run("--submit", "--timeout", "0.1")
    assert code == 1
    assert problem_lines(out) == [
        "PROBLEM: job 1 did not end within 0.1 s; its state is queued_active.",
        "What to do: `squeue -j 1 -o '%T %r'` tells why it does not run (its reason); the job is deleted now. "
        "`sinfo -N` shows whether the nodes can run jobs: a state ending in * means slurmd does not respond; "
        "down, drain and fail take no jobs (`scontrol update NodeName=<node> State=RESUME`).",
    ]
    assert fake.jobs["1"].reaped


@pytest.mark.parametrize(
    ("how", "todo"),
    [
        (
            {"aborted": True},
            "Check that /bin/sleep 1 exists on the execution hosts and that the job may write its output; "
            "`scontrol show job 1` shows the reason, as long as Slurm remembers the job (MinJobAge).",
        ),
        (
            {"signal": "SIGKILL"},
            "Look at the partition's limits (`scontrol show partition`) and the job's time limit.",
        ),
    ],
)
def test_a_test_job_that_failed_on_slurm_gets_slurm_advice(
    fake: FakeLibrary, slurm: Path, how: dict[str, Any], todo: str
) -> None:
    fake.autofinish = how
    code, out = run("--submit")
    assert code == 1
    assert problem_lines(out)[1] == f"What to do: {todo}"


# --- advice for slurm-drmaa's and Slurm's messages ----------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (2, NO_CONTROLLER_STATUS, "slurm-drmaa cannot reach the Slurm controller, slurmctld"),
        (1, NO_MUNGE, "munged must run on this host with the cluster's key"),
        (14, NO_EQUALS, "long options need '=' (--mem=2G, not --mem 2G)"),
        (14, OWN_OPTION, "slurm-drmaa sets --job-name itself"),
        (14, OTHER_OPTION, "slurm-drmaa does not accept this native specification"),
        (17, NO_PARTITION, "Slurm does not know the partition the job asks for: `sinfo` lists them"),
        (17, "slurm_submit_batch_job error: Requested node configuration is not available", "Slurm rejected"),
        (13, NO_COLON, "put a colon in front of the path (':/dir/file')"),
        (15, JOIN_WITHOUT_OUTPUT, "slurm-drmaa needs an outputPath when joinFiles is set"),
    ],
)
def test_advice_for_slurm_messages(code: int, message: str, expected: str) -> None:
    text = _diagnose.advice(error(code, message), {}, drm=_diagnose.SLURM)
    assert expected in text
    assert "qconf" not in text and "qmaster" not in text and "SGE_ROOT" not in text


def test_slurm_messages_are_recognized_without_knowing_the_drm() -> None:
    """Errors that name Slurm get Slurm's advice even before the library said what it is."""
    assert "slurmctld" in _diagnose.advice(error(2, NO_CONTROLLER_STATUS), {})


def test_missing_slurm_drmaa_conf_file() -> None:
    text = _diagnose.advice(
        error(1, "/nowhere/tests.conf: No such file or directory"),
        {"SLURM_DRMAA_CONF": "/nowhere/tests.conf"},
        drm=_diagnose.SLURM,
    )
    assert text == (
        "SLURM_DRMAA_CONF=/nowhere/tests.conf names a file slurm-drmaa cannot read (No such file or directory): "
        "point it at a readable slurm_drmaa.conf, or unset it."
    )


def test_grid_engine_advice_is_unchanged_when_the_drm_is_grid_engine() -> None:
    text = _diagnose.advice(
        error(17, 'Job was rejected because job requests unknown queue "x"'), {}, drm=_diagnose.GRID_ENGINE
    )
    assert "qconf -sql" in text


def test_help_gives_a_native_example_for_each_drm(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _diagnose.main(["--help"], io.StringIO())
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--native='-q all.q' (Grid Engine) or --native='--partition=main' (Slurm)" in help_text


def test_no_advice_for_an_unknown_error_on_slurm() -> None:
    assert _diagnose.advice(error(16, "try later"), {}, drm=_diagnose.SLURM) == ""


def test_a_library_installed_in_usr_has_only_the_system_file_in_etc(
    fake: FakeLibrary, slurm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run_loaded_from(monkeypatch, "/usr/lib/x86_64-linux-gnu/libdrmaa.so.1")
    files = [line for line in out.splitlines() if line.startswith("    ")]
    assert files == [
        f"    {slurm}/etc-slurm_drmaa.conf (system file): absent",
        f"    {slurm}/home/.slurm_drmaa.conf (user file): absent",
    ]
