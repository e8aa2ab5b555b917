"""Packaging of the drmaa distribution (metadata lives here; pyproject.toml names the build backend)."""

import re
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (HERE / "drmaa" / "version.py").read_text(), re.M).group(1)

setup(
    name="drmaa",
    version=VERSION,
    description="Python binding to DRMAA 1.0 (libdrmaa), compatible with drmaa-python 0.7.9",
    long_description=(HERE / "README.rst").read_text(encoding="utf-8"),
    long_description_content_type="text/x-rst",
    license="BSD-3-Clause",
    packages=["drmaa"],
    package_data={"drmaa": ["py.typed"]},
    python_requires=">=3.9",
    extras_require={
        "test": ["pytest>=7", "pytest-mock>=3", "pytest-timeout>=2.1", "coverage>=7", "hypothesis>=6"],
        "docs": ["sphinx>=7"],
    },
    entry_points={"console_scripts": ["drmaa-check = drmaa.__main__:main"]},
    keywords="drmaa grid engine sge slurm cluster job scheduler",
    classifiers=[
        "Development Status :: 5 - Production/Stable",
        "Intended Audience :: Science/Research",
        "Intended Audience :: System Administrators",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: System :: Distributed Computing",
        "Typing :: Typed",
    ],
)
