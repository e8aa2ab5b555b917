"""The documentation keeps up with the code, without building it.

- every name of ``drmaa.__all__`` is documented by an autodoc directive of
  docs/api.rst, and every documented object exists;
- the tables of docs/api.rst (job template attributes, exception codes) match
  the package;
- the tutorial includes the programs of examples/ (and only existing files and
  lines), and its line references point at the right lines;
- the migration guide has one entry per changelog entry, in the same order.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import drmaa
from drmaa import helpers

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. (?P<name>[a-z:]+)::\s*(?P<arg>.*?)\s*$")
OPTION = re.compile(r"^\s+:(?P<name>[a-z-]+):\s*(?P<value>.*?)\s*$")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def directives(text: str) -> list[tuple[int, str, str, dict[str, str]]]:
    """``(indent, directive, argument, options)`` for each directive, in order."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines):
        match = DIRECTIVE.match(line)
        if not match:
            continue
        options: dict[str, str] = {}
        for following in lines[number + 1 :]:
            option = OPTION.match(following)
            if not option:
                break
            options[option["name"]] = option["value"]
        found.append((len(match["indent"]), match["name"], match["arg"], options))
    return found


def documented_names(text: str) -> set[str]:
    """Full dotted names of the objects documented by autodoc directives."""
    names: set[str] = set()
    module = ""
    parent = ""  # the enclosing auto-documented class, for nested directives
    for indent, name, arg, options in directives(text):
        if name in ("module", "currentmodule", "py:module", "py:currentmodule"):
            module = arg
            continue
        if not name.startswith("auto"):
            continue
        if indent and parent:
            full = f"{parent}.{arg}"
        elif arg.startswith("drmaa.") or arg == "drmaa":
            full = arg
        else:
            full = f"{module}.{arg}" if module else arg
        if not indent:
            parent = full
        names.add(full)
        if name == "automodule" and "members" in options:
            target = __import__(full, fromlist=["__all__"])
            members = options["members"]
            listed = [m.strip() for m in members.split(",") if m.strip()] if members else list(target.__all__)
            names.update(f"{full}.{member}" for member in listed)
    return names


def resolve(dotted: str) -> object:
    """Import *dotted* without running descriptors (which may call the library)."""
    parts = dotted.split(".")
    obj: object = __import__(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError:
            obj = __import__(".".join(parts[: index + 1]), fromlist=["_"])
    return obj


# --- the API reference ----------------------------------------------------------


def test_every_public_name_is_documented_in_the_api_reference() -> None:
    documented = documented_names(read("api.rst"))
    missing = [name for name in drmaa.__all__ if f"drmaa.{name}" not in documented]
    assert not missing, (
        f"public names without an autodoc directive in docs/api.rst: {missing}; "
        "document each new name of drmaa.__all__ there"
    )


def test_every_documented_object_exists() -> None:
    for name in sorted(documented_names(read("api.rst"))):
        try:
            resolve(name)
        except (AttributeError, ImportError) as exc:
            pytest.fail(f"docs/api.rst documents {name}, which does not exist: {exc}")


def test_the_documented_submodules_are_all_the_public_ones() -> None:
    modules = {arg for _, name, arg, _ in directives(read("api.rst")) if name == "module"}
    assert modules == {
        "drmaa",
        "drmaa.const",
        "drmaa.errors",
        "drmaa.futures",
        "drmaa.aio",
        "drmaa.helpers",
        "drmaa.session",
        "drmaa.version",
        "drmaa.wrappers",
    }


def job_template_attributes() -> dict[str, str]:
    """Python name -> C name of every attribute descriptor of JobTemplate."""
    return {
        name: value.name.decode()
        for name, value in vars(drmaa.JobTemplate).items()
        if isinstance(value, helpers.Attribute)
    }


def test_every_job_template_attribute_is_in_the_table_with_its_c_name() -> None:
    text = read("api.rst")
    rows = dict(re.findall(r"\* - :attr:`~JobTemplate\.(\w+)`\n\s+- ``(\w+)``", text))
    assert rows == job_template_attributes()


def test_every_job_template_attribute_is_documented_with_its_python_type() -> None:
    documented = documented_names(read("api.rst"))
    for name in job_template_attributes():
        assert f"drmaa.JobTemplate.{name}" in documented, name


def test_the_exception_table_gives_each_class_its_code() -> None:
    rows = re.findall(r"\* - (\d+|none)\n\s+- :exc:`(\w+)`", read("api.rst"))
    assert rows, "no exception table found in docs/api.rst"
    for code, name in rows:
        cls = getattr(drmaa, name)
        assert issubclass(cls, drmaa.DrmaaException), name
        expected = None if code == "none" else int(code)
        assert cls.code == expected, f"{name}: the table says code {code}, the class has {cls.code}"
    exceptions = {
        name
        for name in drmaa.__all__
        if isinstance(getattr(drmaa, name), type) and issubclass(getattr(drmaa, name), drmaa.DrmaaException)
    }
    assert {name for _, name in rows} == exceptions - {"DrmaaException"}


# --- the tutorial ---------------------------------------------------------------------


def literal_includes() -> list[tuple[str, dict[str, str]]]:
    return [(arg, options) for _, name, arg, options in directives(read("tutorial.rst")) if name == "literalinclude"]


def line_numbers(spec: str) -> list[int]:
    """Line numbers of a ``:lines:`` or ``:emphasize-lines:`` value such as ``1-3,7``."""
    numbers = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


def test_every_literalinclude_of_the_tutorial_names_an_existing_example() -> None:
    includes = literal_includes()
    assert includes, "the tutorial includes no program"
    for arg, options in includes:
        path = (DOCS / arg).resolve()
        assert path.parent == EXAMPLES, f"{arg}: tutorial listings come from examples/"
        assert path.is_file(), f"{arg}: no such file"
        length = len(path.read_text(encoding="utf-8").splitlines())
        for option in ("lines", "emphasize-lines"):
            if option in options:
                assert max(line_numbers(options[option])) <= length, f"{arg} :{option}: {options[option]}"


def test_every_example_program_is_in_the_tutorial() -> None:
    included = {(DOCS / arg).resolve().name for arg, _ in literal_includes()}
    programs = {path.name for path in EXAMPLES.glob("*") if path.suffix in (".py", ".sh")}
    assert programs <= included, f"examples missing from docs/tutorial.rst: {sorted(programs - included)}"


LINE_CHECK = re.compile(r"^\.\. line-check: (?P<file>\S+) (?P<line>\d+) (?P<text>.+)$", re.M)


def test_line_references_of_the_tutorial_match_the_examples() -> None:
    """The tutorial's prose names lines of the listings; a comment
    ``.. line-check: FILE LINE TEXT`` next to each reference says what is there."""
    checks = LINE_CHECK.findall(read("tutorial.rst"))
    assert checks, "the tutorial has no line-check comments"
    for name, line, text in checks:
        lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
        number = int(line)
        assert number <= len(lines), f"{name} has no line {number}"
        assert text.strip() in lines[number - 1], f"{name} line {number} is {lines[number - 1]!r}, not {text!r}"


# --- the migration guide ---------------------------------------------------------------


def changelog_groups() -> list[tuple[str, int]]:
    """``(group title, number of entries)`` of the newest release of CHANGELOG.rst."""
    text = (ROOT / "CHANGELOG.rst").read_text(encoding="utf-8")
    release = re.split(r"^\S.*\n-{3,}\n", text, flags=re.M)[1]
    groups = re.split(r"^(\S.*)\n~{3,}\n", release, flags=re.M)[1:]
    return [(title, len(re.findall(r"^- ", body, flags=re.M))) for title, body in zip(groups[::2], groups[1::2])]


def migration_groups() -> list[tuple[str, int]]:
    text = read("migration.rst")
    groups = re.split(r"^(\S.*)\n-{3,}\n", text, flags=re.M)[1:]
    return [
        (title, len(re.findall(r"^\S.*\n~{3,}\n", body, flags=re.M))) for title, body in zip(groups[::2], groups[1::2])
    ]


def test_the_migration_guide_has_one_entry_per_changelog_entry_in_order() -> None:
    assert changelog_groups(), "no groups found in CHANGELOG.rst"
    assert migration_groups() == changelog_groups()
