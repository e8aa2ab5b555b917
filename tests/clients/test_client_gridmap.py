"""gridmap 0.15.0 maps Python functions onto Grid Engine through our ``drmaa``, unchanged.

gridmap falls back to local multiprocessing when ``import drmaa`` fails, so
the test runs it with ``require_cluster=True`` and checks Grid Engine's own
records: the job ids gridmap reports, ``$JOB_ID`` seen inside the functions,
the jobs' output files and ``qacct``.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.clients

REQUIREMENTS = ["gridmap==0.15.0"]

DRIVER = textwrap.dedent(
    """
    import json, os, socket, sys

    import drmaa
    import gridmap.conf
    from gridmap import grid_map

    out_dir, prefix, temp_dir = sys.argv[1:4]


    def square(x):
        return x * x


    def where_am_i(tag):
        job_id = os.environ["JOB_ID"]  # set by Grid Engine only
        path = os.path.join(out_dir, "ran-{}-{}".format(tag, job_id))
        with open(path, "w") as handle:
            handle.write("{} {} {}\\n".format(job_id, socket.gethostname(), os.getpid()))
        return {"tag": tag, "job_id": job_id, "file": path}


    def boom(x):
        raise ValueError("boom {} in job {}".format(x, os.environ["JOB_ID"]))


    report = {
        "drmaa_file": drmaa.__file__,
        "drmaa_version": drmaa.__version__,
        "drmaa_present": gridmap.conf.DRMAA_PRESENT,
        "driver_pid": os.getpid(),
    }
    common = dict(require_cluster=True, temp_dir=temp_dir, quiet=False)
    report["squares"] = grid_map(square, [1, 2, 3], name=prefix + "sq", **common)
    report["where"] = grid_map(where_am_i, ["a", "b"], name=prefix + "wh", **common)
    try:
        grid_map(boom, [7], name=prefix + "bm", **common)
    except ValueError as exc:
        report["error"] = [type(exc).__name__, str(exc)]
    else:
        report["error"] = None
    with open(os.path.join(out_dir, "report.json"), "w") as handle:
        json.dump(report, handle)
    """
)

SUBMITTED = re.compile(r"Your job (\S+) has been submitted with id (\d+)")


@pytest.fixture(scope="session")
def gridmap_venv(client_venv):
    return client_venv("gridmap", REQUIREMENTS)


def test_grid_map_runs_functions_as_grid_engine_jobs(gridmap_venv, check_our_drmaa, grid_engine, job_prefix, tmp_path):
    ours = check_our_drmaa(gridmap_venv, tmp_path)
    # gridmap's own requirement on drmaa was met by our package, already installed.
    install_log = gridmap_venv.install_log.read_text(encoding="utf-8", errors="replace")
    satisfied = r"Requirement already satisfied: drmaa in \S+ \(from gridmap==0\.15\.0\) \(0\.7\.10\)"
    assert re.search(satisfied, install_log), install_log

    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    temp_dir = tmp_path / "gridmap-tmp"  # the jobs' stdout/stderr; gridmap's default /scratch/ may not exist
    env = gridmap_venv.env(
        CHECK_FREQUENCY="1",  # look for failed jobs every second, not every 15 s
        SEND_ERROR_MAIL="False",  # there is no SMTP server here
        CREATE_PLOTS="False",
    )
    result = grid_engine.run_client(
        [str(gridmap_venv.python), str(driver), str(out_dir), job_prefix, str(temp_dir)],
        job_prefix,
        timeout=300,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    output = f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, output
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))

    # gridmap used our package and did not fall back to local processing.
    assert report["drmaa_present"] is True
    assert report["drmaa_file"] == ours["file"]
    assert report["drmaa_version"] == "0.7.10"

    submitted = dict(SUBMITTED.findall(result.stderr))  # job name -> Grid Engine job id
    names = {f"{job_prefix}sq{n}" for n in range(3)} | {f"{job_prefix}wh{n}" for n in range(2)} | {f"{job_prefix}bm0"}
    assert set(submitted) == names, output
    assert len(set(submitted.values())) == len(names), output

    # Results come back in order.
    assert report["squares"] == [1, 4, 9]

    # The functions ran inside Grid Engine jobs: $JOB_ID is the id gridmap was given.
    assert [item["tag"] for item in report["where"]] == ["a", "b"]
    for number, item in enumerate(report["where"]):
        assert item["job_id"] == submitted[f"{job_prefix}wh{number}"]
        assert Path(item["file"]).read_text(encoding="utf-8").split()[0] == item["job_id"]

    # The exception raised in the job is raised by grid_map.
    assert report["error"] == ["ValueError", f"boom 7 in job {submitted[f'{job_prefix}bm0']}"], output

    # Grid Engine itself knows these jobs: it wrote their output files and accounted for them.
    for name, job_id in submitted.items():
        assert (temp_dir / f"{name}.o{job_id}").exists(), sorted(p.name for p in temp_dir.iterdir())
    for name, job_id in submitted.items():
        records = grid_engine.accounting(job_id)
        assert any(record.get("jobname") == name for record in records), (job_id, records)

    # Nothing is left behind in the queue.
    left = grid_engine.wait_until_gone(set(submitted.values()))
    assert not left, f"jobs still in qstat: {sorted(left)}"
