"""The integration tests' own job tracker: it takes only job ids, and loses no job."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Jobs


def test_tracker_refuses_what_is_not_a_job_id_and_keeps_the_real_ones(jobs: Jobs) -> None:
    job_id = jobs.submit("exit 0", hold=True)
    mangled = f"JOB{job_id}"  # what two threads printing at once once made of an id
    with pytest.raises(AssertionError, match="not a job id"):
        jobs.track(mangled, "", job_id + "\n")
    assert jobs.ids == [job_id]


def test_tracker_takes_the_ids_of_bulk_tasks(jobs: Jobs) -> None:
    ids = jobs.bulk(jobs.template("exit 0", hold=True), 1, 2, 1)
    assert jobs.ids == ids
