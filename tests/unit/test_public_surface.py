"""The public surface of drmaa-python 0.7.9, frozen module by module.

Every name a 0.7.9 program may import must stay importable from where it
was, with the same keyword names.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

import drmaa

CONSTANTS = [
    "TIMEOUT_WAIT_FOREVER",
    "TIMEOUT_NO_WAIT",
    "JOB_IDS_SESSION_ALL",
    "JOB_IDS_SESSION_ANY",
    "ATTR_BUFFER",
    "CONTACT_BUFFER",
    "DRM_SYSTEM_BUFFER",
    "DRMAA_IMPLEMENTATION_BUFFER",
    "ERROR_STRING_BUFFER",
    "JOBNAME_BUFFER",
    "SIGNAL_BUFFER",
    "NO_MORE_ELEMENTS",
    "PLACEHOLDER_INCR",
    "PLACEHOLDER_HD",
    "PLACEHOLDER_WD",
    "REMOTE_COMMAND",
    "JS_STATE",
    "WD",
    "JOB_CATEGORY",
    "NATIVE_SPECIFICATION",
    "BLOCK_EMAIL",
    "START_TIME",
    "JOB_NAME",
    "INPUT_PATH",
    "OUTPUT_PATH",
    "ERROR_PATH",
    "JOIN_FILES",
    "TRANSFER_FILES",
    "DEADLINE_TIME",
    "WCT_HLIMIT",
    "WCT_SLIMIT",
    "DURATION_HLIMIT",
    "DURATION_SLIMIT",
    "V_ARGV",
    "V_ENV",
    "V_EMAIL",
    "SUBMISSION_STATE_ACTIVE",
    "SUBMISSION_STATE_HOLD",
]
STATE_CLASSES_AND_FUNCTIONS = [
    "JobState",
    "JobControlAction",
    "JobSubmissionState",
    "job_state",
    "status_to_string",
    "string_to_control_action",
    "control_action_to_string",
    "submission_state",
]
EXCEPTIONS = [
    "InternalException",
    "DrmCommunicationException",
    "AuthorizationException",
    "InvalidArgumentException",
    "NoActiveSessionException",
    "OutOfMemoryException",
    "InvalidContactStringException",
    "DefaultContactStringException",
    "NoDefaultContactStringSelectedException",
    "DrmsInitException",
    "AlreadyActiveSessionException",
    "DrmsExitException",
    "InvalidAttributeFormatException",
    "InvalidAttributeValueException",
    "ConflictingAttributeValuesException",
    "TryLaterException",
    "DeniedByDrmException",
    "InvalidJobException",
    "ResumeInconsistentStateException",
    "SuspendInconsistentStateException",
    "HoldInconsistentStateException",
    "ReleaseInconsistentStateException",
    "ExitTimeoutException",
    "IllegalStateException",
    "InvalidJobTemplateException",
    "UnsupportedAttributeException",
]
SESSION_OBJECTS = ["Session", "JobTemplate", "JobInfo"]
VERSIONS = ["__version__", "VERSION"]

SURFACE = {
    "drmaa": CONSTANTS + STATE_CLASSES_AND_FUNCTIONS + EXCEPTIONS + SESSION_OBJECTS + VERSIONS + ["DrmaaException"],
    "drmaa.const": CONSTANTS + STATE_CLASSES_AND_FUNCTIONS,
    "drmaa.errors": [*EXCEPTIONS, "DrmaaException"],
    "drmaa.session": SESSION_OBJECTS,
    "drmaa.version": VERSIONS,
    "drmaa.helpers": [],
    "drmaa.wrappers": [],
}


@pytest.mark.parametrize(("module", "name"), [(module, name) for module, names in SURFACE.items() for name in names])
def test_name_is_importable_from_its_0_7_9_module(module: str, name: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module} import {name}", namespace)  # the import statement is what is tested
    assert namespace[name] is getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("module", [module for module in SURFACE if module != "drmaa"])
def test_submodule_is_an_attribute_of_the_package(module: str) -> None:
    assert getattr(drmaa, module.split(".")[1]) is importlib.import_module(module)


def test_names_used_through_submodule_attributes() -> None:
    assert drmaa.errors.DrmaaException is drmaa.DrmaaException
    assert drmaa.const.JobControlAction is drmaa.JobControlAction
    assert drmaa.session.Session is drmaa.Session


def test_top_level_names_are_the_same_objects_as_in_their_modules() -> None:
    for name in CONSTANTS + STATE_CLASSES_AND_FUNCTIONS:
        assert getattr(drmaa, name) is getattr(drmaa.const, name)
    for name in EXCEPTIONS:
        assert getattr(drmaa, name) is getattr(drmaa.errors, name)


def isort_order(name: str) -> tuple[int, str]:
    """CONSTANTS, then Classes, then the rest, each alphabetical (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_lists_the_0_7_9_names_and_drmaa_exception_sorted() -> None:
    assert set(SURFACE["drmaa"]) <= set(drmaa.__all__)
    assert "DrmaaException" in drmaa.__all__
    assert drmaa.__all__ == sorted(drmaa.__all__, key=isort_order)
    assert len(drmaa.__all__) == len(set(drmaa.__all__))
    assert all(hasattr(drmaa, name) for name in drmaa.__all__)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, Any] = {}
    exec("from drmaa import *", namespace)  # the import statement is what is tested
    assert set(namespace) - {"__builtins__"} == set(drmaa.__all__)


def test_version_is_below_0_8_for_pinned_dependents() -> None:
    assert (0, 7, 9) <= drmaa.VERSION < (0, 8)
    assert drmaa.__version__ == ".".join(map(str, drmaa.VERSION))


SIGNATURES = {
    "__init__": ["self", "contactString=None"],
    "initialize": ["contactString=None"],
    "exit": [],
    "createJobTemplate": [],
    "deleteJobTemplate": ["jobTemplate"],
    "runJob": ["jobTemplate"],
    "runBulkJobs": ["jobTemplate", "beginIndex", "endIndex", "step"],
    "control": ["jobId", "operation"],
    "synchronize": ["jobIds", "timeout=-1", "dispose=False"],
    "wait": ["jobId", "timeout=-1"],
    "jobStatus": ["jobId"],
}


@pytest.mark.parametrize(("method", "parameters"), sorted(SIGNATURES.items()))
def test_session_keyword_names_are_0_7_9s(method: str, parameters: list[str]) -> None:
    signature = inspect.signature(getattr(drmaa.Session, method))
    shown = [
        name if value.default is inspect.Parameter.empty else f"{name}={value.default!r}"
        for name, value in signature.parameters.items()
    ]
    assert shown == parameters
    assert all(value.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for value in signature.parameters.values())


def test_session_properties_and_constants() -> None:
    for name in ("contact", "drmsInfo", "drmaaImplementation", "version"):
        assert name in vars(drmaa.Session)
    for name in ("TIMEOUT_WAIT_FOREVER", "TIMEOUT_NO_WAIT", "JOB_IDS_SESSION_ANY", "JOB_IDS_SESSION_ALL"):
        assert getattr(drmaa.Session, name) == getattr(drmaa.const, name)


def test_job_template_surface() -> None:
    template = drmaa.JobTemplate
    for name in ("delete", "__enter__", "__exit__"):
        assert callable(getattr(template, name))
    assert isinstance(template.attributeNames, property)
    for name in ("HOME_DIRECTORY", "WORKING_DIRECTORY", "PARAMETRIC_INDEX"):
        assert isinstance(getattr(template, name), str)
