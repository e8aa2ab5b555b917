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
from collections.abc import Iterator
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
