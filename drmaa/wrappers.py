"""libdrmaa itself: the opened library, its opaque handle types and C prototypes.

Only bytes and ctypes objects pass through here: text encoding and turning
status codes into exceptions belong to :mod:`drmaa.helpers`.
"""

from __future__ import annotations

from ctypes import POINTER, c_char, c_char_p, c_int, c_long, c_size_t, c_uint, c_void_p
from typing import Any, Optional

from drmaa import _loader
from drmaa.errors import LibraryNotFoundException

__all__ = [
    "PROTOTYPES",
    "AttrNamesHandle",
    "AttrValuesHandle",
    "JobIdsHandle",
    "JobTemplateHandle",
    "declare",
    "lib",
    "library_path",
    "library_source",
    "load_attempts",
    "load_error",
]


class JobTemplateHandle(c_void_p):
    """``drmaa_job_template_t *``: an opaque job template."""


class AttrNamesHandle(c_void_p):
    """``drmaa_attr_names_t *``: an opaque list of attribute names."""


class AttrValuesHandle(c_void_p):
    """``drmaa_attr_values_t *``: an opaque list of attribute values."""


class JobIdsHandle(c_void_p):
    """``drmaa_job_ids_t *``: an opaque list of job ids."""


_buf = POINTER(c_char)  # char * written by the library
_str = c_char_p  # const char * read by the library
_err = (_buf, c_size_t)  # char *error_diagnosis, size_t error_diag_len

# Every DRMAA 1.0 function of drmaa.h: (name, restype, argtypes), grouped and
# ordered as in the header. Out-parameters of pointer type accept an instance
# of the pointed-to type (ctypes passes it by reference).
PROTOTYPES: tuple[tuple[str, Any, tuple[Any, ...]], ...] = (
    # --- opaque string vectors ---
    # int drmaa_get_next_attr_name(drmaa_attr_names_t *values, char *value, size_t value_len);
    ("drmaa_get_next_attr_name", c_int, (AttrNamesHandle, _buf, c_size_t)),
    # int drmaa_get_next_attr_value(drmaa_attr_values_t *values, char *value, size_t value_len);
    ("drmaa_get_next_attr_value", c_int, (AttrValuesHandle, _buf, c_size_t)),
    # int drmaa_get_next_job_id(drmaa_job_ids_t *values, char *value, size_t value_len);
    ("drmaa_get_next_job_id", c_int, (JobIdsHandle, _buf, c_size_t)),
    # int drmaa_get_num_attr_names(drmaa_attr_names_t *values, int *size);
    ("drmaa_get_num_attr_names", c_int, (AttrNamesHandle, POINTER(c_int))),
    # int drmaa_get_num_attr_values(drmaa_attr_values_t *values, int *size);
    ("drmaa_get_num_attr_values", c_int, (AttrValuesHandle, POINTER(c_int))),
    # int drmaa_get_num_job_ids(drmaa_job_ids_t *values, int *size);
    ("drmaa_get_num_job_ids", c_int, (JobIdsHandle, POINTER(c_int))),
    # void drmaa_release_attr_names(drmaa_attr_names_t *values);
    ("drmaa_release_attr_names", None, (AttrNamesHandle,)),
    # void drmaa_release_attr_values(drmaa_attr_values_t *values);
    ("drmaa_release_attr_values", None, (AttrValuesHandle,)),
    # void drmaa_release_job_ids(drmaa_job_ids_t *values);
    ("drmaa_release_job_ids", None, (JobIdsHandle,)),
    # --- session management ---
    # int drmaa_init(const char *contact, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_init", c_int, (_str, *_err)),
    # int drmaa_exit(char *error_diagnosis, size_t error_diag_len);
    ("drmaa_exit", c_int, _err),
    # --- job template routines ---
    # int drmaa_allocate_job_template(drmaa_job_template_t **jt, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_allocate_job_template", c_int, (POINTER(JobTemplateHandle), *_err)),
    # int drmaa_delete_job_template(drmaa_job_template_t *jt, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_delete_job_template", c_int, (JobTemplateHandle, *_err)),
    # int drmaa_set_attribute(drmaa_job_template_t *jt, const char *name, const char *value,
    #                         char *error_diagnosis, size_t error_diag_len);
    ("drmaa_set_attribute", c_int, (JobTemplateHandle, _str, _str, *_err)),
    # int drmaa_get_attribute(drmaa_job_template_t *jt, const char *name, char *value, size_t value_len,
    #                         char *error_diagnosis, size_t error_diag_len);
    ("drmaa_get_attribute", c_int, (JobTemplateHandle, _str, _buf, c_size_t, *_err)),
    # int drmaa_set_vector_attribute(drmaa_job_template_t *jt, const char *name, const char *value[],
    #                                char *error_diagnosis, size_t error_diag_len);
    ("drmaa_set_vector_attribute", c_int, (JobTemplateHandle, _str, POINTER(c_char_p), *_err)),
    # int drmaa_get_vector_attribute(drmaa_job_template_t *jt, const char *name, drmaa_attr_values_t **values,
    #                                char *error_diagnosis, size_t error_diag_len);
    ("drmaa_get_vector_attribute", c_int, (JobTemplateHandle, _str, POINTER(AttrValuesHandle), *_err)),
    # int drmaa_get_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_get_attribute_names", c_int, (POINTER(AttrNamesHandle), *_err)),
    # int drmaa_get_vector_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis,
    #                                      size_t error_diag_len);
    ("drmaa_get_vector_attribute_names", c_int, (POINTER(AttrNamesHandle), *_err)),
    # --- job submission ---
    # int drmaa_run_job(char *job_id, size_t job_id_len, const drmaa_job_template_t *jt,
    #                   char *error_diagnosis, size_t error_diag_len);
    ("drmaa_run_job", c_int, (_buf, c_size_t, JobTemplateHandle, *_err)),
    # int drmaa_run_bulk_jobs(drmaa_job_ids_t **jobids, const drmaa_job_template_t *jt, int start, int end,
    #                         int incr, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_run_bulk_jobs", c_int, (POINTER(JobIdsHandle), JobTemplateHandle, c_int, c_int, c_int, *_err)),
    # --- job status and control ---
    # int drmaa_control(const char *jobid, int action, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_control", c_int, (_str, c_int, *_err)),
    # int drmaa_synchronize(const char *job_ids[], signed long timeout, int dispose,
    #                       char *error_diagnosis, size_t error_diag_len);
    ("drmaa_synchronize", c_int, (POINTER(c_char_p), c_long, c_int, *_err)),
    # int drmaa_wait(const char *job_id, char *job_id_out, size_t job_id_out_len, int *stat,
    #                signed long timeout, drmaa_attr_values_t **rusage,
    #                char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wait", c_int, (_str, _buf, c_size_t, POINTER(c_int), c_long, POINTER(AttrValuesHandle), *_err)),
    # int drmaa_wifexited(int *exited, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wifexited", c_int, (POINTER(c_int), c_int, *_err)),
    # int drmaa_wexitstatus(int *exit_status, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wexitstatus", c_int, (POINTER(c_int), c_int, *_err)),
    # int drmaa_wifsignaled(int *signaled, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wifsignaled", c_int, (POINTER(c_int), c_int, *_err)),
    # int drmaa_wtermsig(char *signal, size_t signal_len, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wtermsig", c_int, (_buf, c_size_t, c_int, *_err)),
    # int drmaa_wcoredump(int *core_dumped, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wcoredump", c_int, (POINTER(c_int), c_int, *_err)),
    # int drmaa_wifaborted(int *aborted, int stat, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_wifaborted", c_int, (POINTER(c_int), c_int, *_err)),
    # int drmaa_job_ps(const char *job_id, int *remote_ps, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_job_ps", c_int, (_str, POINTER(c_int), *_err)),
    # --- auxiliary routines ---
    # const char *drmaa_strerror(int drmaa_errno);
    ("drmaa_strerror", c_char_p, (c_int,)),
    # int drmaa_get_contact(char *contact, size_t contact_len, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_get_contact", c_int, (_buf, c_size_t, *_err)),
    # int drmaa_version(unsigned int *major, unsigned int *minor, char *error_diagnosis, size_t error_diag_len);
    ("drmaa_version", c_int, (POINTER(c_uint), POINTER(c_uint), *_err)),
    # int drmaa_get_DRM_system(char *drm_system, size_t drm_system_len, char *error_diagnosis,
    #                          size_t error_diag_len);
    ("drmaa_get_DRM_system", c_int, (_buf, c_size_t, *_err)),
    # int drmaa_get_DRMAA_implementation(char *drmaa_impl, size_t drmaa_impl_len, char *error_diagnosis,
    #                                    size_t error_diag_len);
    ("drmaa_get_DRMAA_implementation", c_int, (_buf, c_size_t, *_err)),
)


def declare(library: Any) -> Any:
    """Give every function of :data:`PROTOTYPES` its C signature on *library*.

    A function the library does not export is left out; calling it then
    raises :exc:`AttributeError` naming it.
    """
    for name, restype, argtypes in PROTOTYPES:
        try:
            function = getattr(library, name)
        except AttributeError:
            continue
        function.restype = restype
        function.argtypes = argtypes
    return library


#: The opened libdrmaa with its prototypes declared. Every call into C looks
#: it up here at call time, so tests replace this one name with a fake.
lib: Any = None

# name -> (the library it came from, the function without argtypes)
_unchecked: dict[str, tuple[Any, Any]] = {}


def unchecked(name: str) -> Any:
    """The C function *name* of :data:`lib` without ``argtypes``, returning ``int``.

    For the loops that read a list element by element: ctypes checks and
    converts every argument against ``argtypes`` on every call, which costs
    more than half of what the call costs. The caller passes ctypes objects
    of exactly the C types (a handle, a ``c_char`` array, a ``c_size_t``).
    A library that is not a :class:`ctypes.CDLL` (a test's stand-in) gives
    its declared function.
    """
    library = lib
    cached = _unchecked.get(name)
    if cached is not None and cached[0] is library:
        return cached[1]
    try:
        function = library[name]  # a function object of its own: the declared one keeps its argtypes
    except TypeError:
        function = getattr(library, name)
    _unchecked[name] = (library, function)
    return function


#: The path libdrmaa was opened from, and how it was found.
library_path = ""
library_source = ""
#: ``(path, reason)`` of the candidates that failed before it.
load_attempts: list[tuple[str, str]] = []
#: Why no library could be loaded; only ever set while ``python -m drmaa``
#: runs, since otherwise the import fails.
load_error: Optional[LibraryNotFoundException] = None

try:
    _loaded = _loader.load_library()
except LibraryNotFoundException as exc:
    if not _loader.diagnostics_requested():
        raise
    load_error = exc
else:
    lib = declare(_loaded.library)
    library_path, library_source, load_attempts = _loaded.path, _loaded.source, _loaded.attempts
