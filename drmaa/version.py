"""The version of this package (not of the DRMAA library: see ``Session.version``)."""

from __future__ import annotations

__all__ = ["VERSION", "__version__"]

#: The package version. Kept below 0.8 so that ``drmaa>=0.7.9,<0.8`` pins match.
__version__ = "0.7.10"
#: The package version as a tuple of ints.
VERSION = tuple(int(part) for part in __version__.split("."))
