"""drmaa.wrappers: the table of C prototypes, declaring it on a library, and loading at import."""

from __future__ import annotations

import importlib.util
from ctypes import POINTER, c_char, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from pytest_mock import MockerFixture

from drmaa import _loader, wrappers
from drmaa.errors import LibraryNotFoundException
from drmaa.wrappers import AttrNamesHandle, AttrValuesHandle, JobIdsHandle, JobTemplateHandle

# The 36 functions of drmaa.h (DRMAA 1.0), written out from the header.
OUT = POINTER(c_char)  # char *
ERR = (OUT, c_size_t)  # char *error_diagnosis, size_t error_diag_len
INT = POINTER(c_int)
C_SIGNATURES = {
    "drmaa_get_next_attr_name": (c_int, (AttrNamesHandle, OUT, c_size_t)),
    "drmaa_get_next_attr_value": (c_int, (AttrValuesHandle, OUT, c_size_t)),
    "drmaa_get_next_job_id": (c_int, (JobIdsHandle, OUT, c_size_t)),
    "drmaa_get_num_attr_names": (c_int, (AttrNamesHandle, INT)),
    "drmaa_get_num_attr_values": (c_int, (AttrValuesHandle, INT)),
    "drmaa_get_num_job_ids": (c_int, (JobIdsHandle, INT)),
    "drmaa_release_attr_names": (None, (AttrNamesHandle,)),
    "drmaa_release_attr_values": (None, (AttrValuesHandle,)),
    "drmaa_release_job_ids": (None, (JobIdsHandle,)),
    "drmaa_init": (c_int, (c_char_p, *ERR)),
    "drmaa_exit": (c_int, ERR),
    "drmaa_allocate_job_template": (c_int, (POINTER(JobTemplateHandle), *ERR)),
    "drmaa_delete_job_template": (c_int, (JobTemplateHandle, *ERR)),
    "drmaa_set_attribute": (c_int, (JobTemplateHandle, c_char_p, c_char_p, *ERR)),
    "drmaa_get_attribute": (c_int, (JobTemplateHandle, c_char_p, OUT, c_size_t, *ERR)),
    "drmaa_set_vector_attribute": (c_int, (JobTemplateHandle, c_char_p, POINTER(c_char_p), *ERR)),
    "drmaa_get_vector_attribute": (c_int, (JobTemplateHandle, c_char_p, POINTER(AttrValuesHandle), *ERR)),
    "drmaa_get_attribute_names": (c_int, (POINTER(AttrNamesHandle), *ERR)),
    "drmaa_get_vector_attribute_names": (c_int, (POINTER(AttrNamesHandle), *ERR)),
    "drmaa_run_job": (c_int, (OUT, c_size_t, JobTemplateHandle, *ERR)),
    "drmaa_run_bulk_jobs": (c_int, (POINTER(JobIdsHandle), JobTemplateHandle, c_int, c_int, c_int, *ERR)),
    "drmaa_control": (c_int, (c_char_p, c_int, *ERR)),
    "drmaa_synchronize": (c_int, (POINTER(c_char_p), c_long, c_int, *ERR)),
    "drmaa_wait": (c_int, (c_char_p, OUT, c_size_t, INT, c_long, POINTER(AttrValuesHandle), *ERR)),
    "drmaa_wifexited": (c_int, (INT, c_int, *ERR)),
    "drmaa_wexitstatus": (c_int, (INT, c_int, *ERR)),
    "drmaa_wifsignaled": (c_int, (INT, c_int, *ERR)),
    "drmaa_wtermsig": (c_int, (OUT, c_size_t, c_int, *ERR)),
    "drmaa_wcoredump": (c_int, (INT, c_int, *ERR)),
    "drmaa_wifaborted": (c_int, (INT, c_int, *ERR)),
    "drmaa_job_ps": (c_int, (c_char_p, INT, *ERR)),
    "drmaa_strerror": (c_char_p, (c_int,)),
    "drmaa_get_contact": (c_int, (OUT, c_size_t, *ERR)),
    "drmaa_version": (c_int, (POINTER(c_uint), POINTER(c_uint), *ERR)),
    "drmaa_get_DRM_system": (c_int, (OUT, c_size_t, *ERR)),
    "drmaa_get_DRMAA_implementation": (c_int, (OUT, c_size_t, *ERR)),
}


def test_table_has_the_36_functions_of_drmaa_h_once_each() -> None:
    names = [name for name, _, _ in wrappers.PROTOTYPES]
    assert len(names) == len(set(names)) == 36
    assert set(names) == set(C_SIGNATURES)


@pytest.mark.parametrize(("name", "restype", "argtypes"), wrappers.PROTOTYPES, ids=lambda value: str(value)[:40])
def test_each_prototype_matches_the_header(name: str, restype: Any, argtypes: tuple[Any, ...]) -> None:
    assert (restype, argtypes) == C_SIGNATURES[name]


def test_declare_gives_every_function_its_restype_and_argtypes() -> None:
    stub = SimpleNamespace(**{name: SimpleNamespace() for name in C_SIGNATURES})
    assert wrappers.declare(stub) is stub
    for name, (restype, argtypes) in C_SIGNATURES.items():
        function = getattr(stub, name)
        assert function.restype is restype, name
        assert tuple(function.argtypes) == argtypes, name


def test_declare_skips_functions_the_library_lacks() -> None:
    stub = SimpleNamespace(drmaa_init=SimpleNamespace())
    wrappers.declare(stub)
    assert stub.drmaa_init.argtypes == C_SIGNATURES["drmaa_init"][1]
    assert not hasattr(stub, "drmaa_exit")


def test_handle_types_are_distinct_void_pointers_that_refuse_each_other() -> None:
    handles = (JobTemplateHandle, AttrNamesHandle, AttrValuesHandle, JobIdsHandle)
    assert len(set(handles)) == 4
    for handle in handles:
        assert issubclass(handle, c_void_p)
        for other in handles:
            if other is not handle:
                with pytest.raises(TypeError):
                    handle.from_param(other())


def load_copy(mocker: MockerFixture, **loader: Any) -> ModuleType:
    """Run the module's import-time code again, in a copy, with the loader patched."""
    for name, value in loader.items():
        mocker.patch.object(_loader, name, value)
    spec = importlib.util.spec_from_file_location("wrappers_copy", wrappers.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_declares_the_loaded_library(mocker: MockerFixture) -> None:
    stub = SimpleNamespace(**{name: SimpleNamespace() for name in C_SIGNATURES})
    attempts = [("/usr/lib64/libdrmaa.so.1", "no such file (from well-known path)")]
    loaded = _loader.LoadedLibrary(stub, "/opt/libdrmaa.so", "$DRMAA_LIBRARY_PATH", attempts)
    module = load_copy(mocker, load_library=lambda: loaded)
    assert module.lib is stub
    for name, restype, argtypes in module.PROTOTYPES:  # the copy's own handle classes
        assert (getattr(stub, name).restype, getattr(stub, name).argtypes) == (restype, argtypes)
    assert (module.library_path, module.library_source, module.load_attempts) == (
        "/opt/libdrmaa.so",
        "$DRMAA_LIBRARY_PATH",
        attempts,
    )
    assert module.load_error is None


def test_import_without_library_raises(mocker: MockerFixture) -> None:
    failure = LibraryNotFoundException("Could not find drmaa library.")
    with pytest.raises(LibraryNotFoundException) as caught:
        load_copy(mocker, load_library=mocker.Mock(side_effect=failure), diagnostics_requested=lambda: False)
    assert caught.value is failure


def test_import_without_library_succeeds_for_the_diagnostics(mocker: MockerFixture) -> None:
    failure = LibraryNotFoundException("Could not find drmaa library.")
    module = load_copy(mocker, load_library=mocker.Mock(side_effect=failure), diagnostics_requested=lambda: True)
    assert module.lib is None
    assert module.load_error is failure
    assert module.library_path == ""


def test_lib_is_the_one_patch_point(fake: object) -> None:
    assert wrappers.lib is fake


def test_unchecked_functions_have_no_argtypes_and_are_made_once_per_library(mocker: MockerFixture) -> None:
    import ctypes

    libc = wrappers.declare(ctypes.CDLL(None))
    mocker.patch.object(wrappers, "lib", libc)
    libc.strnlen.argtypes = (c_char_p, c_size_t)
    fast = wrappers.unchecked("strnlen")
    assert fast is not libc.strnlen and libc.strnlen.argtypes == (c_char_p, c_size_t)  # the declared one untouched
    assert fast.argtypes is None and fast.restype is c_int
    buffer = ctypes.create_string_buffer(b"drmaa", 16)
    assert fast(buffer, c_size_t(16)) == 5  # ctypes objects of the C types go through as they are
    assert wrappers.unchecked("strnlen") is fast
    other = ctypes.CDLL(None)
    mocker.patch.object(wrappers, "lib", other)
    assert wrappers.unchecked("strnlen") is not fast  # a library replaced (a test's fake) gets its own


def test_unchecked_functions_of_a_stand_in_library_are_its_declared_ones(mocker: MockerFixture) -> None:
    stand_in = SimpleNamespace(drmaa_get_next_job_id=lambda *args: 0)
    mocker.patch.object(wrappers, "lib", stand_in)
    assert wrappers.unchecked("drmaa_get_next_job_id") is stand_in.drmaa_get_next_job_id
