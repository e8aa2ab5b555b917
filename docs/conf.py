"""Sphinx configuration of the drmaa documentation.

Build it with ``python3 -m sphinx -W --keep-going -n -b html docs docs/_build/html``.
The build needs no DRMAA library and never calls into one.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def _import_drmaa() -> Any:
    """Import the package, with a stand-in library when no libdrmaa can be loaded.

    ``import drmaa`` opens libdrmaa at import time and raises
    ``drmaa.errors.LibraryNotFoundException`` (an ``OSError`` and a
    ``RuntimeError``) when there is none, as on most machines that build
    documentation. In that case, and only then, it is imported again with
    ``ctypes.CDLL`` patched to return a ``MagicMock`` and
    ``DRMAA_LIBRARY_PATH`` pointing at a dummy path, which is what the loader
    opens (``ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)``). autodoc only reads
    docstrings and signatures, so the stand-in is never called (see
    ``_no_library_getattr`` below for the one place where that needs care).
    """
    try:
        import drmaa
    except (OSError, RuntimeError) as exc:
        if type(exc).__name__ != "LibraryNotFoundException":
            raise
        # Forget the submodules the failed import left behind, then try again.
        for name in [name for name in sys.modules if name == "drmaa" or name.startswith("drmaa.")]:
            del sys.modules[name]
        dummy = os.path.join(HERE, "no-libdrmaa-needed-for-the-docs.so")
        library = mock.MagicMock(name="libdrmaa")
        with mock.patch.dict(os.environ, {"DRMAA_LIBRARY_PATH": dummy}):
            with mock.patch.object(ctypes, "CDLL", return_value=library):
                import drmaa
    return drmaa


drmaa = _import_drmaa()

# -- Project -------------------------------------------------------------------

project = "drmaa"
author = "the drmaa authors"
copyright = "the drmaa authors, BSD 3-Clause License"
# The package's version, from drmaa.version (not the DRMAA library's version).
release = drmaa.version.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
# No sphinx.ext.intersphinx: the documentation must build without a network.

root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
nitpicky = True
# Without intersphinx, references to the standard library cannot be resolved
# (builtins and typing names are handled by Sphinx itself).
nitpick_ignore_regex = [
    (r"py:.*", r"(ctypes|collections\.abc|datetime|types|weakref|threading|asyncio|concurrent\.futures)\..*"),
    (r"py:mod", r"asyncio|concurrent\.futures"),
    (r"py:class", r"_asyncio\..*"),
    # ctypes names in annotations that only exist for the type checker.
    (r"py:class", r"Array|c_char"),
    # Type variables of drmaa.helpers.
    (r"py:class", r"drmaa\.helpers\.[TV]"),
]
default_role = "code"
pygments_style = "sphinx"

# -- autodoc -------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
add_module_names = False

# -- HTML ----------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"drmaa {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Python binding to DRMAA 1.0 (libdrmaa)",
    "fixed_sidebar": False,
}

# -- linkcheck -----------------------------------------------------------------

# There is no network where the documentation is built: ignore every external
# URL, so that linkcheck checks the internal references and anchors only.
linkcheck_ignore = [r"https?://.*", r"ftp://.*", r"mailto:.*"]
linkcheck_anchors = True


# -- Never call into libdrmaa --------------------------------------------------


def _no_library_getattr(obj: Any, name: str, *default: Any) -> Any:
    """``getattr`` for classes that does not run the library-backed descriptors.

    ``Session.contact``, ``drmsInfo``, ``drmaaImplementation`` and
    ``version`` call the library even when read on the class, and autodoc reads
    every attribute of a class it documents. For them the descriptor object
    itself is returned (it carries the docstring); everything else is read
    as usual.
    """
    from drmaa import session

    library_backed = (session._LibraryString, session._LibraryVersion)
    for klass in getattr(obj, "__mro__", ()):
        raw = vars(klass).get(name)
        if isinstance(raw, library_backed):
            return raw
        if name in vars(klass):
            break
    try:
        return getattr(obj, name)
    except Exception:  # noqa: BLE001 - behave like sphinx.util.inspect.safe_getattr
        if default:
            return default[0]
        raise AttributeError(name) from None


class _NoLibrary:
    """Stands in for ``drmaa.wrappers.lib`` while Sphinx runs: a C call fails the build."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("drmaa_"):
            from sphinx.util import logging

            logging.getLogger(__name__).warning("the documentation build called %s() of libdrmaa", name)
        raise AttributeError(name)


drmaa.wrappers.lib = _NoLibrary()


def _drop_builtin_docstrings(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Constants have no docstring of their own: do not show that of ``int``, ``bytes``, ..."""
    doc = type(obj).__doc__
    if what not in ("data", "attribute") or type(obj).__module__ != "builtins" or not isinstance(doc, str):
        return
    inherited = doc.strip().splitlines()[:1]
    if inherited and lines and lines[0].strip() == inherited[0].strip():
        lines.clear()


def _viewcode_module(app: Any, modname: str, fullname: str) -> str:
    """Where viewcode finds the source of *fullname*, without reading descriptors that call C."""
    value: Any = sys.modules.get(modname)
    try:
        for part in fullname.split("."):
            value = _no_library_getattr(value, part) if isinstance(value, type) else getattr(value, part)
    except AttributeError:
        return modname
    return getattr(value, "__module__", None) or modname


def setup(app: Any) -> None:
    app.connect("viewcode-follow-imported", _viewcode_module)
    app.add_autodoc_attrgetter(type, _no_library_getattr)
    app.connect("autodoc-process-docstring", _drop_builtin_docstrings)
