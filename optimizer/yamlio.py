"""Read scenario YAML safely: size-capped, UTF-8 only, duplicate keys rejected, YAML 1.2 numbers.

* A file is read through one ``read`` of at most ``MAX_BYTES`` + 1 bytes, so a FIFO or ``/dev/zero``
  cannot grow memory without bound; a directory, a binary file (NUL bytes) or invalid UTF-8 is an error.
* A mapping that repeats a key is an error (PyYAML keeps the last one silently).
* ``1e9`` and ``2.5E-3`` are floats, as in YAML 1.2 (PyYAML's YAML 1.1 reads them as strings).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import ScenarioError

MAX_BYTES = 4 * 1024 * 1024  # a scenario is a few kB; 4 MiB leaves room for long `sources:`


# libyaml's parser where PyYAML has it (its wheels do): 7 ms against 62 for baseline.yaml. Construction (the
# duplicate-key check, the resolvers) stays in Python either way, and libyaml caps nesting depth itself.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(SafeLoader):
    """SafeLoader that rejects duplicate keys and reads ``1e9`` as a float."""


StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"""),
    list("-+0123456789"),
)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise DuplicateKeyError(f"a mapping key must be a plain value, not {type(key).__name__}",
                                    key_node.start_mark) from None
        if key in mapping:
            raise DuplicateKeyError(f"duplicate key '{key}' (the first is on line "
                                    f"{_first_line(node, key, loader) + 1})", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _first_line(node: yaml.MappingNode, key: Any, loader: StrictLoader) -> int:
    for key_node, _ in node.value:
        if loader.construct_object(key_node) == key:
            return key_node.start_mark.line
    return node.start_mark.line


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, problem: str, mark):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, where: str) -> Any:
    """Parse YAML text; a syntax error or duplicate key becomes a ScenarioError at its line."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problem = getattr(exc, "problem", None) or str(exc)
        fix = ("keep one of them" if isinstance(exc, DuplicateKeyError)
               else "check indentation and that every `key: value` has a space after the colon")
        raise ScenarioError(where, at, f"malformed YAML: {problem}", fix) from None
    except RecursionError:
        raise ScenarioError(where, "-", "malformed YAML: nested too deeply", "flatten the document") from None


def read_text(path: Path) -> str:
    """The file's text: at most MAX_BYTES, UTF-8, not binary; clear errors for everything else."""
    where = str(path)
    if not path.exists():
        raise ScenarioError(where, "-", "file not found", "check the path (scenarios live in scenarios/)")
    if path.is_dir():
        raise ScenarioError(where, "-", "is a directory, not a scenario file", "name a .yaml file inside it")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(where, "-", f"cannot be read ({exc.strerror or exc})",
                            "check the file's permissions") from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(where, "-", f"is larger than {MAX_BYTES // (1024 * 1024)} MiB, too large for a scenario",
                            "name a scenario YAML file (a few kB)")
    if b"\x00" in data:
        raise ScenarioError(where, "-", "is a binary file, not YAML text", "name a scenario YAML file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(where, f"byte {exc.start}", "is not UTF-8 text",
                            "save the file as UTF-8") from None


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a scenario file into a mapping (see the module docstring)."""
    data = parse_yaml(read_text(path), str(path))
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "-", "the file is not a YAML mapping of parameters",
                            "start from scenarios/baseline.yaml")
    return data
