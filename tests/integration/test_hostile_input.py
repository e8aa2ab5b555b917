"""Hostile input against the real libdrmaa: a smaller sample of the unit tests' properties.

Every generated case ends in a faithful round trip through the library, or in
a ``TypeError``, ``ValueError`` or ``DrmaaException`` (naming the argument
when the binding raises it); never a crash, a hang or a changed value. Job
ids given to ``control`` never contain a digit, so no generated id can name a
real job; no generated case submits a job.
"""

from __future__ import annotations

import datetime
import faulthandler
import math
import os
import re
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from drms import current
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import drmaa
from drmaa.errors import DrmaaException, ExitTimeoutException, NoResourceUsageException
from drmaa.helpers import Attribute, BoolAttribute, DictAttribute, TimeLimitAttribute, VectorAttribute

pytestmark = pytest.mark.integration

DRM = current()

MB = 1024 * 1024
#: Examples per property (the unit tests run thousands against the fake library).
EXAMPLES = int(os.environ.get("DRMAA_HOSTILE_REAL_EXAMPLES", "200"))
#: No call on the real library may take longer than this.
CALL_BOUND = 10.0

HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
ALLOWED = (TypeError, ValueError, DrmaaException)

TRICKY = list("\x00\x01\x7f\udc80\udcff\udcc3\udca9\ud800\udbff\udfff\ufeff\u202e\u2028=;:,$`'\"\\\n\r\t *?~é中🎉")
any_char = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(any_char, max_size=40),
    st.text(st.sampled_from(TRICKY), max_size=24),
    st.builds(lambda c, n: c * n, st.text(any_char, min_size=1, max_size=3), st.integers(300, 3000)),
)
numbers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**64, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(texts, st.binary(max_size=32), numbers, st.none(), st.booleans())
hostile = st.one_of(
    scalars,
    st.lists(scalars, max_size=5),
    st.dictionaries(st.one_of(texts, st.binary(max_size=8), st.integers()), scalars, max_size=4),
    st.builds(datetime.timedelta, seconds=st.integers(-(10**6), 10**9)),
)

BIG_TEXT = "x" * MB
BIG_MIXED = ("é中🎉$`\n" * (MB // 16))[:MB]

DESCRIPTORS = {name: d for name, d in vars(drmaa.JobTemplate).items() if isinstance(d, Attribute)}
SCALARS = sorted(name for name, d in DESCRIPTORS.items() if not isinstance(d, VectorAttribute))
LISTS = sorted(name for name, d in DESCRIPTORS.items() if type(d) is VectorAttribute)
ENVIRONMENT = next(name for name, d in DESCRIPTORS.items() if isinstance(d, DictAttribute))

PREVIOUS: dict[str, Any] = {name: f"previous {name}" for name in SCALARS}
PREVIOUS.update(jobSubmissionState=drmaa.JobSubmissionState.ACTIVE_STATE, joinFiles=True, blockEmail=False)
PREVIOUS.update({name: 3600 for name, d in DESCRIPTORS.items() if isinstance(d, TimeLimitAttribute)})

_TRUE = {"y", "yes", "1", "true"}
_LIMIT = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+)$")


def as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value if isinstance(value, str) else str(value)


def expected_scalar(name: str, value: Any) -> Any:
    descriptor = DESCRIPTORS[name]
    if isinstance(descriptor, BoolAttribute):
        return as_text(value).strip().lower() in _TRUE if isinstance(value, (str, bytes)) else bool(value)
    if isinstance(descriptor, TimeLimitAttribute):
        if isinstance(value, datetime.timedelta):
            value = value.total_seconds()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return math.ceil(value)
        match = _LIMIT.match(as_text(value).strip())
        if match:
            h, m, s = (int(g) if g else 0 for g in match.groups())
            return h * 3600 + m * 60 + s
    return as_text(value)


def check_error(exc: BaseException, *names: str) -> None:
    event(f"refused: {type(exc).__name__}")
    assert isinstance(exc, ALLOWED), f"{type(exc).__name__}: {exc}"
    if isinstance(exc, DrmaaException) and exc.code is not None:
        assert str(exc).startswith(f"code {exc.code}: "), str(exc)
    else:
        assert any(name in str(exc) for name in names), f"does not name {names}: {str(exc)[:300]}"


def bounded(function: Callable[..., Any], *args: Any) -> Any:
    start = time.monotonic()
    try:
        return function(*args)
    finally:
        seconds = time.monotonic() - start
        assert seconds < CALL_BOUND, f"{getattr(function, '__name__', function)} took {seconds:.1f} s"


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def unsupported(exc: BaseException) -> bool:
    """Grid Engine does not support the optional attributes (time limits, transfer files, deadline)."""
    return isinstance(exc, DrmaaException) and exc.code == 4


# --- job template setters ---------------------------------------------------------------


@HOSTILE
@given(name=st.sampled_from(SCALARS), value=hostile)
@example(name="remoteCommand", value=BIG_TEXT)
@example(name="nativeSpecification", value=BIG_MIXED)
@example(name="jobName", value="\udcc3\udca9")
@example(name="outputPath", value=b"\xff\xfe:/tmp/x")
@example(name="jobSubmissionState", value="bogus")
@example(name="joinFiles", value="maybe")
@example(name="hardWallclockTimeLimit", value=60)
def test_scalar_setter_round_trips_or_refuses(session: drmaa.Session, name: str, value: Any) -> None:
    with session.createJobTemplate() as jt:
        try:
            setattr(jt, name, PREVIOUS[name])
        except DrmaaException as exc:
            assert unsupported(exc), exc
            previous = None
        else:
            previous = getattr(jt, name)
        try:
            bounded(setattr, jt, name, value)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
            check_error(exc, name)
            if previous is not None:
                assert getattr(jt, name) == previous, "a failed set changed the template"
        else:
            event("round trip")
            assert bounded(getattr, jt, name) == expected_scalar(name, value)


@HOSTILE
@given(name=st.sampled_from(LISTS), value=hostile)
@example(name="args", value=["x" * (128 * 1024 - 1), "é" * 1000])
@example(name="args", value=[BIG_TEXT])
@example(name="email", value=["a@b", "\udcff@x", ""])
@example(name="args", value="one string")
def test_list_setter_round_trips_or_refuses(session: drmaa.Session, name: str, value: Any) -> None:
    with session.createJobTemplate() as jt:
        setattr(jt, name, ["previous", "value"])
        try:
            bounded(setattr, jt, name, value)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
            check_error(exc, name)
            assert getattr(jt, name) == ["previous", "value"], "a failed set changed the template"
        else:
            event("round trip")
            items = [value] if isinstance(value, (str, bytes)) else list(value)
            expected = [as_text(item) if isinstance(item, (str, bytes)) else str(item) for item in items]
            assert bounded(getattr, jt, name) == expected


@HOSTILE
@given(
    value=st.one_of(
        st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), texts, max_size=6),
        st.dictionaries(st.one_of(texts, st.binary(max_size=8)), scalars, max_size=6),
        hostile,
    )
)
@example(value={"BIG": "x" * (128 * 1024 - 5)})
@example(value={"A": "key=value", "B": "line\nbreak", "C": ""})
@example(value={"A": "1", b"A": "2"})
def test_environment_setter_round_trips_or_refuses(session: drmaa.Session, value: Any) -> None:
    with session.createJobTemplate() as jt:
        jt.jobEnvironment = {"PREVIOUS": "value"}
        try:
            bounded(setattr, jt, "jobEnvironment", value)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
            check_error(exc, ENVIRONMENT)
            assert jt.jobEnvironment == {"PREVIOUS": "value"}, "a failed set changed the template"
        else:
            event("round trip")
            expected = {as_text(k): as_text(v) if isinstance(v, (str, bytes)) else str(v) for k, v in value.items()}
            assert bounded(getattr, jt, "jobEnvironment") == expected


# --- methods taking job ids and timeouts ------------------------------------------------


def names_no_job(value: Any) -> bool:
    """True if *value* cannot name a real job: text without a digit, a non-finite float, or no id at all."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (str, bytes)):
        return not any(ch.isdigit() for ch in as_text(value))
    return True  # None, lists: refused before the library sees them


safe_ids = st.one_of(texts, st.binary(max_size=16), st.none(), st.lists(texts, max_size=3), st.floats()).filter(
    names_no_job
)
timeouts = st.one_of(
    st.sampled_from([drmaa.TIMEOUT_NO_WAIT, drmaa.TIMEOUT_WAIT_FOREVER, 0.5, math.inf, -math.inf, math.nan]),
    st.integers(),
    st.floats(),
    hostile,
)


@HOSTILE
@given(job_id=safe_ids | st.sampled_from(["999999", "999999.1", "1.5", "abc", ""]), timeout=timeouts)
@example(job_id=BIG_TEXT, timeout=0)
@example(job_id="1\x00", timeout=0)
@example(job_id="999999", timeout=10**400)
def test_status_wait_synchronize_answer_or_refuse(session: drmaa.Session, job_id: Any, timeout: Any) -> None:
    # The session has no job, so every id is unknown and nothing can wait long.
    for function, args, names in (
        (session.jobStatus, (job_id,), ("jobId",)),
        (session.wait, (job_id, timeout), ("jobId", "timeout")),
        (session.synchronize, ([job_id], timeout, False), ("jobIds", "timeout")),
    ):
        try:
            result = bounded(function, *args)
        except ExitTimeoutException:
            pytest.fail(f"{function.__name__}{args!r:.200}: timed out on an unknown job")
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
            check_error(exc, *names)
        else:
            event(f"{function.__name__} answered")
            if function is session.synchronize:
                assert result is None, (function.__name__, args, result)
            else:  # slurm-drmaa invents a state and a JobInfo for an unknown id; Grid Engine raises
                assert not DRM.raises_invalid_job, (function.__name__, args, result)
                assert isinstance(result, str if function is session.jobStatus else drmaa.JobInfo), result


ACTIONS = [value for name, value in vars(drmaa.JobControlAction).items() if name.isupper()]


@HOSTILE
@given(job_id=safe_ids, action=st.one_of(st.sampled_from(ACTIONS), st.sampled_from(ACTIONS), hostile))
@example(job_id="abc", action=10**5000)
@example(job_id=BIG_TEXT, action="terminate")
def test_control_answers_or_refuses(session: drmaa.Session, job_id: Any, action: Any) -> None:
    assume(job_id not in (drmaa.JOB_IDS_SESSION_ALL, drmaa.JOB_IDS_SESSION_ALL.decode()))
    try:
        bounded(session.control, job_id, action)
    except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
        check_error(exc, "jobId", "control action")
    else:
        pytest.fail(f"control({job_id!r:.100}, {action!r:.100}) succeeded on an id that names no job")


index = st.one_of(
    st.integers(-3, 5),
    st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**32 + 2, 10**400]),
    hostile,
)


@HOSTILE
@given(begin=index, end=index, step=index)
@example(begin=1, end=2**32 + 2, step=1)
@example(begin=0, end=2, step=1)
@example(begin=3, end=1, step=1)
@example(begin=1, end=2, step=0)
def test_bulk_indexes_are_refused_when_invalid(session: drmaa.Session, begin: Any, end: Any, step: Any) -> None:
    # Valid ranges submit real jobs; they are exercised by the unit tests and the bulk job tests.
    ints = all(isinstance(i, int) and not isinstance(i, bool) for i in (begin, end, step))
    assume(not (ints and abs(begin) < 2**31 and abs(end) < 2**31 and abs(step) < 2**31 and 1 <= begin <= end))
    with session.createJobTemplate() as jt:
        jt.remoteCommand = "/bin/true"
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
        try:
            ids = bounded(session.runBulkJobs, jt, begin, end, step)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
            check_error(exc, "beginIndex", "endIndex", "step")
        else:
            for job_id in ids:
                session.control(job_id, drmaa.JobControlAction.TERMINATE)
            for job_id in ids:
                try:
                    session.wait(job_id, 60)
                except NoResourceUsageException:
                    pass
            pytest.fail(f"runBulkJobs({begin!r}, {end!r}, {step!r}) submitted {ids}")


@settings(HOSTILE, max_examples=max(10, EXAMPLES // 3))
@given(contact=st.one_of(texts, st.binary(max_size=32), numbers, st.none(), st.lists(texts, max_size=2)))
@example(contact=BIG_TEXT)
@example(contact="session=\x00")
@example(contact="session=no.such.session")
def test_initialize_contact_answers_or_refuses(contact: Any) -> None:
    if drmaa.Session.contact:
        pytest.skip("a session is already open in this process")
    try:
        bounded(drmaa.Session.initialize, contact)
    except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
        check_error(exc, "contactString")
    else:
        event("session opened")
        drmaa.Session.exit()
