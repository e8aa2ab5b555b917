"""The one seam of the unit tests: drmaa talks to a fresh FakeLibrary, never to a real libdrmaa.

``import drmaa`` opens libdrmaa at import time. Where there is none, it is
imported once more with ``ctypes.CDLL`` handing out a FakeLibrary; where
there is one (CI with Grid Engine), the real import stands, but no test
calls it: the autouse fixture below replaces ``drmaa.wrappers.lib``.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from pytest_mock import MockerFixture

from .fakelib import FakeLibrary

try:
    import drmaa
except (RuntimeError, OSError):  # no libdrmaa on this machine
    with (
        mock.patch.object(ctypes, "CDLL", lambda path, mode=0: FakeLibrary()),
        mock.patch.dict(os.environ, {"DRMAA_LIBRARY_PATH": "/fake/libdrmaa.so"}),
    ):
        import drmaa

from drmaa import wrappers

assert drmaa.wrappers is wrappers

HERE = Path(__file__).resolve().parent

#: A unit test runs in well under a second to a few seconds (the hostile-input
#: properties): past this bound it is hung, and fails by name with the stacks.
UNIT_BOUND = 120


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("timeout"):
        return  # pytest-timeout (in the test extra) is not installed: no bounds to set
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(UNIT_BOUND))


@pytest.fixture(autouse=True)
def fake(mocker: MockerFixture) -> Iterator[FakeLibrary]:
    """A fresh fake library for each test; at the end nothing may leak and nothing bad may have been freed."""
    library = wrappers.declare(FakeLibrary())
    mocker.patch.object(wrappers, "lib", library)
    yield library
    if library.outstanding():
        gc.collect()  # templates dropped in a reference cycle are freed now, by their finalizers, into this fake
    assert library.outstanding() == {}, "allocated but never freed"
    assert library.violations == []


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in the main thread during the test, whatever the process started with.

    A background job of a non-interactive shell starts with SIGINT ignored, and
    Python then installs no handler of its own: a test that sends SIGINT must
    set the handler it relies on, and put the old one back.
    """
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set in the main thread")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def jt(session: type[drmaa.Session]) -> Iterator[drmaa.JobTemplate]:
    """A job template (``/bin/sleep 10``) of the ``session`` fixture of the test's own module."""
    with session.createJobTemplate() as template:
        template.remoteCommand = "/bin/sleep"
        template.args = ["10"]
        yield template
