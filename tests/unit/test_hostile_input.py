"""Hostile input, property-based: every setter and every method taking ids, indexes or timeouts.

Each generated case must end in one of two ways: a faithful round trip (what
was set is what is read back), or a clear ``TypeError``, ``ValueError`` or
``DrmaaException`` whose message names the attribute or argument. Never a
crash, a hang, a silently changed value, or a half-built template: after an
error the template still holds its previous value, and the fake library has
freed everything it allocated.
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
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import drmaa
from drmaa.errors import DrmaaException
from drmaa.helpers import Attribute, BoolAttribute, DictAttribute, TimeLimitAttribute, VectorAttribute

from .fakelib import OPTIONAL_NAMES, FakeLibrary

MB = 1024 * 1024
#: Examples per property: 1,000 by default (about 15 s for the file), and
#: 2,000 in scripts/run-tests, which sets DRMAA_HOSTILE_EXAMPLES.
EXAMPLES = int(os.environ.get("DRMAA_HOSTILE_EXAMPLES", "1000"))

HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    database=None,
)

ALLOWED = (TypeError, ValueError, DrmaaException)

# --- what to generate ------------------------------------------------------------------

#: Characters C, shells and codecs treat specially: NUL, escaped bytes (lone
#: surrogates, some forming UTF-8 together), unpaired high surrogates, BOM,
#: bidi override, separators, quotes, newlines.
TRICKY = list("\x00\x01\x7f\udc80\udcff\udcc3\udca9\ud800\udbff\udfff\ufeff\u202e\u2028=;:,$`'\"\\\n\r\t *?~é中🎉")

any_char = st.characters(codec=None, exclude_categories=())
texts = st.one_of(
    st.text(any_char, max_size=40),
    st.text(st.sampled_from(TRICKY), max_size=24),
    st.text(st.sampled_from(TRICKY) | any_char, max_size=200),
    # long values, past every 1024-byte buffer (generated cheaply by repetition)
    st.builds(lambda c, n: c * n, st.text(any_char, min_size=1, max_size=3), st.integers(300, 3000)),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 2**64, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(texts, st.binary(max_size=64), numbers, st.none(), st.booleans())
hostile = st.one_of(
    scalars,
    st.lists(scalars, max_size=6),
    st.tuples(scalars, scalars),
    st.dictionaries(st.one_of(texts, st.binary(max_size=8), st.integers()), scalars, max_size=5),
    st.builds(datetime.timedelta, seconds=st.integers(-(10**6), 10**9)),
    st.builds(object),
)

BIG_TEXT = "x" * MB
BIG_MIXED = ("é中🎉$`\n" * (MB // 16))[:MB]


# --- the template's attributes, by kind ------------------------------------------------


def _descriptors() -> dict[str, Attribute[Any]]:
    return {name: value for name, value in vars(drmaa.JobTemplate).items() if isinstance(value, Attribute)}


DESCRIPTORS = _descriptors()
SCALARS = sorted(name for name, d in DESCRIPTORS.items() if not isinstance(d, VectorAttribute))
LISTS = sorted(name for name, d in DESCRIPTORS.items() if type(d) is VectorAttribute)
ENVIRONMENT = next(name for name, d in DESCRIPTORS.items() if isinstance(d, DictAttribute))

#: A valid value per scalar attribute, set before the hostile one.
PREVIOUS: dict[str, Any] = {name: f"previous {name}" for name in SCALARS}
PREVIOUS.update(jobSubmissionState=drmaa.JobSubmissionState.ACTIVE_STATE, joinFiles=True, blockEmail=False)
PREVIOUS.update({name: 3600 for name, d in DESCRIPTORS.items() if isinstance(d, TimeLimitAttribute)})

_TRUE = {"y", "yes", "1", "true"}
_FALSE = {"n", "no", "0", "false"}
_LIMIT = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+)$")


def as_text(value: Any) -> str:
    """What a string attribute must read back for *value*: the one codec, numbers as decimal text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value if isinstance(value, str) else str(value)


def as_item(value: Any) -> str:
    """What one element of a list attribute must read back: any other type through ``str()``."""
    return as_text(value) if isinstance(value, (str, bytes)) else str(value)


def expected_scalar(name: str, value: Any) -> Any:
    descriptor = DESCRIPTORS[name]
    if isinstance(descriptor, BoolAttribute):
        if isinstance(value, (str, bytes)):
            return as_text(value).strip().lower() in _TRUE
        return bool(value)
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


def names_it(exc: BaseException, *names: str) -> bool:
    text = str(exc)
    return any(name in text for name in names)


def check_error(exc: BaseException, *names: str) -> None:
    """An allowed exception; one the binding raises itself names what was wrong."""
    event(f"refused: {type(exc).__name__}")
    assert isinstance(exc, ALLOWED), f"{type(exc).__name__}: {exc}"
    if isinstance(exc, DrmaaException) and exc.code is not None:
        assert str(exc).startswith(f"code {exc.code}: "), str(exc)
    else:
        assert names_it(exc, *names), f"{type(exc).__name__} does not name {names}: {str(exc)[:300]}"


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A hang becomes a crash with every thread's traceback instead of a stuck run."""
    faulthandler.dump_traceback_later(300, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def session(fake: FakeLibrary) -> Iterator[type[drmaa.Session]]:
    """An open session on a fake that supports the optional attributes (time limits), so they round-trip."""
    fake.scalar_names += [name for name in OPTIONAL_NAMES if name not in fake.scalar_names]
    fake.autofinish = {"exit_status": 0}  # bulk jobs end at once and can be reaped
    drmaa.Session.initialize()
    yield drmaa.Session
    drmaa.Session.exit()


def live(fake: FakeLibrary) -> int:
    """Templates and lists the fake library has allocated and not yet freed."""
    return sum(fake.outstanding().values())


class Balanced:
    """Every allocation made inside the block is freed by its end, and nothing bad was done."""

    def __init__(self, fake: FakeLibrary) -> None:
        self.fake = fake

    def __enter__(self) -> None:
        self.before = live(self.fake)

    def __exit__(self, *exc: object) -> None:
        after = live(self.fake)
        assert after == self.before, f"{after - self.before} allocation(s) not freed: {self.fake.outstanding()}"
        assert self.fake.violations == []


# --- job template setters --------------------------------------------------------------


@HOSTILE
@given(name=st.sampled_from(SCALARS), value=hostile)
@example(name="remoteCommand", value=BIG_TEXT)
@example(name="nativeSpecification", value=BIG_MIXED)
@example(name="jobName", value=BIG_MIXED.encode("utf-8"))
@example(name="outputPath", value="\udcc3\udca9")
@example(name="jobName", value="a\x00b")
@example(name="hardWallclockTimeLimit", value=10**5000)
@example(name="jobName", value=10**5000)
@example(name="joinFiles", value="maybe")
def test_scalar_setter_round_trips_or_refuses(session: Any, fake: FakeLibrary, name: str, value: Any) -> None:
    with Balanced(fake):
        jt = drmaa.JobTemplate()
        try:
            setattr(jt, name, PREVIOUS[name])
            previous = getattr(jt, name)
            try:
                setattr(jt, name, value)
            except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
                check_error(exc, name)
                assert getattr(jt, name) == previous, "a failed set changed the template"
            else:
                event("round trip")
                assert getattr(jt, name) == expected_scalar(name, value)
        finally:
            jt.delete()


@HOSTILE
@given(name=st.sampled_from(LISTS), value=hostile)
@example(name="args", value=[BIG_TEXT[: 128 * 1024 - 1]])
@example(name="args", value=[BIG_TEXT])
@example(name="email", value=[BIG_MIXED, "x"])
@example(name="args", value="one string")
@example(name="args", value=["\x00"])
@example(name="args", value=[10**5000])
def test_list_setter_round_trips_or_refuses(session: Any, fake: FakeLibrary, name: str, value: Any) -> None:
    with Balanced(fake):
        jt = drmaa.JobTemplate()
        try:
            setattr(jt, name, ["previous", "value"])
            try:
                setattr(jt, name, value)
            except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
                check_error(exc, name)
                assert getattr(jt, name) == ["previous", "value"], "a failed set changed the template"
            else:
                event("round trip")
                items = [value] if isinstance(value, (str, bytes)) else list(value)
                assert getattr(jt, name) == [as_item(item) for item in items]
        finally:
            jt.delete()


@HOSTILE
@given(
    value=st.one_of(
        st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), texts, max_size=6),
        st.dictionaries(st.one_of(texts, st.binary(max_size=8), st.integers()), hostile, max_size=6),
        hostile,
    )
)
@example(value={"BIG": BIG_TEXT})
@example(value={"BIG": BIG_TEXT[: 128 * 1024 - 5]})
@example(value={"A": "1", b"A": "2"})
@example(value={"": "x"})
@example(value={"A=B": "x"})
@example(value={"A": "x\x00y"})
@example(value={"\udcc3\udca9": "x"})
def test_environment_setter_round_trips_or_refuses(session: Any, fake: FakeLibrary, value: Any) -> None:
    with Balanced(fake):
        jt = drmaa.JobTemplate()
        try:
            jt.jobEnvironment = {"PREVIOUS": "value=with=equals"}
            try:
                jt.jobEnvironment = value
            except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the attribute
                check_error(exc, ENVIRONMENT)
                assert jt.jobEnvironment == {"PREVIOUS": "value=with=equals"}, "a failed set changed the template"
            else:
                event("round trip")
                assert jt.jobEnvironment == {as_text(k): as_item(v) for k, v in value.items()}
        finally:
            jt.delete()


@HOSTILE
@given(kwargs=st.dictionaries(st.sampled_from([*SCALARS, *LISTS, ENVIRONMENT, "notAnAttribute"]), hostile))
def test_template_from_keywords_is_whole_or_freed(session: Any, fake: FakeLibrary, kwargs: dict[str, Any]) -> None:
    with Balanced(fake):
        try:
            jt = drmaa.JobTemplate(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names an attribute
            check_error(exc, *kwargs)
        else:
            event("template built")
            jt.delete()


# --- methods taking job ids, timeouts, indexes, contacts -------------------------------

job_ids = st.one_of(hostile, st.sampled_from([drmaa.JOB_IDS_SESSION_ANY, drmaa.JOB_IDS_SESSION_ALL, "1", "1.1"]))
timeouts = st.one_of(
    st.sampled_from([drmaa.TIMEOUT_NO_WAIT, drmaa.TIMEOUT_WAIT_FOREVER, -1.0, 0.0, 0.5, math.inf, -math.inf]),
    st.floats(),
    st.integers(),
    hostile,
)
ACTIONS = [value for name, value in vars(drmaa.JobControlAction).items() if name.isupper()]
actions = st.one_of(st.sampled_from(ACTIONS), hostile)


@HOSTILE
@given(job_id=job_ids, timeout=timeouts, action=actions)
@example(job_id=BIG_TEXT, timeout=0, action="terminate")
@example(job_id="1\x00", timeout=0, action="terminate")
@example(job_id="1", timeout=10**400, action="terminate")
@example(job_id="1", timeout=float("nan"), action="terminate")
@example(job_id="1", timeout=True, action=10**5000)
def test_job_id_methods_answer_or_refuse(
    session: Any, fake: FakeLibrary, job_id: Any, timeout: Any, action: Any
) -> None:
    # No job was submitted: every id is unknown, so nothing can wait for long.
    calls: list[tuple[Callable[..., Any], tuple[Any, ...], tuple[str, ...]]] = [
        (session.jobStatus, (job_id,), ("jobId",)),
        (session.wait, (job_id, timeout), ("jobId", "timeout")),
        (session.control, (job_id, action), ("jobId", "control action", "operation")),
        (session.synchronize, (job_id, timeout, False), ("jobIds", "timeout")),
        (session.synchronize, ([job_id, "1"], timeout, True), ("jobIds", "timeout")),
    ]
    for function, args, names in calls:
        with Balanced(fake):
            start = time.monotonic()
            try:
                result = function(*args)
            except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
                check_error(exc, *names)
            else:
                event(f"{function.__name__} answered")
                if function is session.jobStatus:
                    assert isinstance(result, str)
                elif function is session.wait:
                    assert isinstance(result, drmaa.JobInfo)
                else:
                    assert result is None
            finally:
                assert time.monotonic() - start < 5, f"{function.__name__}{args!r:.200} took too long"


index = st.one_of(
    st.integers(-3, 40),
    st.integers(1, 12),
    st.sampled_from([0, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32 + 2, 2**63, -(2**64), 10**400]),
    hostile,
)


@HOSTILE
@given(
    # Half the time a small int, which the library may accept (one_of would flatten and drown it).
    begin=st.booleans().flatmap(lambda small: st.integers(-1, 12) if small else index),
    end=st.booleans().flatmap(lambda small: st.integers(-1, 40) if small else index),
    step=st.booleans().flatmap(lambda small: st.integers(-1, 12) if small else index),
)
@example(begin=1, end=2**32 + 2, step=1)
@example(begin=1, end=2, step=2**32 + 1)
@example(begin=True, end=2, step=1)
@example(begin=1.0, end=2, step=1)
def test_bulk_indexes_submit_exactly_or_refuse(
    session: Any, fake: FakeLibrary, begin: Any, end: Any, step: Any
) -> None:
    # Indexes the library accepts must not ask for millions of tasks (the fake would make them all).
    if all(isinstance(i, int) and not isinstance(i, bool) and abs(i) < 2**31 for i in (begin, end, step)):
        assume(step < 1 or len(range(begin, end + 1, step)) <= 500)
    with Balanced(fake):
        jt = drmaa.JobTemplate(remoteCommand="/bin/true")
        try:
            try:
                ids = session.runBulkJobs(jt, begin, end, step)
            except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
                check_error(exc, "beginIndex", "endIndex", "step")
            else:
                event("submitted")
                assert all(isinstance(i, int) and not isinstance(i, bool) for i in (begin, end, step))
                assert len(ids) == len(range(begin, end + 1, step)), (begin, end, step, ids)
                session.synchronize(ids, 0, True)
        finally:
            jt.delete()


@HOSTILE
@given(contact=st.one_of(hostile, st.just(None)))
@example(contact=BIG_TEXT)
@example(contact="session=\x00")
def test_initialize_contact_answers_or_refuses(fake: FakeLibrary, contact: Any) -> None:
    with Balanced(fake):
        try:
            drmaa.Session.initialize(contact)
        except BaseException as exc:  # noqa: BLE001 - checked: allowed, names the argument
            check_error(exc, "contactString")
        else:
            event("session opened")
            drmaa.Session.exit()
