"""Load a YAML scenario, apply named overrides and validate it.

Precedence, lowest to highest:

1. the scenario file's own parameters;
2. the named override groups given with ``--scenario NAME`` (a list from the
   file's ``scenarios:`` section) or ``--override NAME``, applied in order, so
   a later group wins over an earlier one;
3. single ``--set path=value`` assignments, in order.

The file may also hold ``overrides:`` (name -> {dotted.path: value}) and
``scenarios:`` (name -> [override names]); these two sections are not
parameters and are removed before validation.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from optimizer.errors import ScenarioError
from optimizer.schema import Scenario

SPECIAL_SECTIONS = ("overrides", "scenarios")


def load_scenario(
    path: str | Path,
    scenario: str | None = None,
    overrides: list[str] | None = None,
    sets: list[str] | None = None,
) -> Scenario:
    """Read ``path``, apply the named scenario, override groups and ``path=value`` sets."""
    path = Path(path)
    raw = read_yaml(path)
    where = str(path)
    groups = raw.pop("overrides", None) or {}
    named = raw.pop("scenarios", None) or {}
    if not isinstance(groups, dict) or not isinstance(named, dict):
        raise ScenarioError(where, "overrides/scenarios", "must be mappings",
                            "write `overrides: {name: {path: value}}` and `scenarios: {name: [override, ...]}`")
    chosen: list[str] = []
    if scenario is not None:
        if scenario not in named:
            raise ScenarioError(where, f"scenarios.{scenario}", "no such named scenario",
                                f"use one of {sorted(named) or 'none (the file defines no scenarios)'}")
        chosen += list(named[scenario])
    chosen += list(overrides or [])
    for group in chosen:
        if group not in groups:
            raise ScenarioError(where, f"overrides.{group}", "no such override group",
                                f"use one of {sorted(groups) or 'none (the file defines no overrides)'}")
        for key, value in groups[group].items():
            set_path(raw, key, value, where=f"{where}: overrides.{group}")
    for assignment in sets or []:
        key, value = parse_assignment(assignment)
        set_path(raw, key, value, where="--set")
    if scenario is not None:
        raw["name"] = f"{raw.get('name', path.stem)}:{scenario}"
    return validate_scenario(raw, where)


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping, turning parse errors into ScenarioError with line numbers."""
    if not path.exists():
        raise ScenarioError(str(path), "-", "file not found", "check the path (scenarios live in scenarios/)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(str(path), at, f"malformed YAML: {problem}",
                            "check indentation and that every `key: value` has a space after the colon") from None
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "-", "the file is not a YAML mapping of parameters",
                            "start from scenarios/baseline.yaml")
    return data


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``a.b.c=value`` and parse the value as YAML (so numbers, lists and bools work)."""
    if "=" not in text:
        raise ScenarioError("--set", text, "expected PATH=VALUE", "write e.g. --set budget_usd=2e11")
    key, value = text.split("=", 1)
    return key.strip(), yaml.safe_load(value)


def set_path(raw: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    """Assign ``value`` at ``dotted`` inside ``raw``; the path's parent must exist."""
    parts = dotted.split(".")
    node: Any = raw
    for part in parts[:-1]:
        if not isinstance(node, dict) or part not in node:
            known = sorted(node) if isinstance(node, dict) else []
            raise ScenarioError(where, dotted, f"unknown key '{part}'", suggest(part, known))
        node = node[part]
    if not isinstance(node, dict):
        raise ScenarioError(where, dotted, "path goes through a value, not a section", "check the path")
    node[parts[-1]] = copy.deepcopy(value)


def validate_scenario(raw: dict[str, Any], where: str) -> Scenario:
    """Validate a raw mapping; the first problem becomes a ScenarioError naming file, key and fix."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        # an unknown key is usually a typo of the missing one: report it first
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        raise ScenarioError(where, key, _problem(err), _fix(err, raw)) from None
    known = set(parameter_paths(scenario))
    check_sources(scenario, where, known)
    for key in scenario.sensitivity:
        check_numeric_path(scenario, key, where, known, key=f"sensitivity.{key}")
    return scenario


def check_sources(scenario: Scenario, where: str, known: set[str]) -> None:
    """Every key of ``sources:`` must name a real parameter path (``known``) or a section of them."""
    for key in scenario.sources:
        if key not in known and not any(k.startswith(key + ".") for k in known):
            raise ScenarioError(where, f"sources.{key}", "cites a parameter that does not exist",
                                suggest(key, sorted(known)))


def check_numeric_path(scenario: Scenario, path: str, where: str, known: set[str] | None = None,
                       key: str | None = None) -> None:
    """``path`` must be a numeric leaf parameter of ``scenario`` (a sweep's or a ``sensitivity:`` key).

    ``known``: the scenario's parameter paths, when the caller has them; ``key``: the name the
    error gives (default ``path``)."""
    known = set(parameter_paths(scenario)) if known is None else known
    if path not in known:
        raise ScenarioError(where, key or path, "no such parameter", suggest(path, sorted(known)))
    value = get_path(scenario, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(where, key or path, f"is not a number (it is {value!r})", "name a numeric parameter")


def parameter_paths(obj: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf parameter (sources and free text excluded)."""
    if isinstance(obj, BaseModel):
        skip = ("sources", "sensitivity", "name", "description")
        items = [(k, getattr(obj, k)) for k in type(obj).model_fields if k not in skip]
    elif isinstance(obj, dict):
        items = list(obj.items())
    elif obj is None:
        return []  # optional parameter left unset
    else:
        return [prefix]
    paths: list[str] = []
    for key, value in items:
        paths += parameter_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


def get_path(scenario: Scenario, dotted: str) -> Any:
    """Value of a dotted parameter path in a validated scenario."""
    node: Any = scenario
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def _problem(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    given = err.get("input")
    shown = f" (got {given!r})" if not isinstance(given, (dict, list)) else ""
    return f"{err['msg']}{shown}"


def _fix(err: dict[str, Any], raw: dict[str, Any]) -> str:
    kind = err["type"]
    loc = [str(p) for p in err["loc"]]
    if kind == "extra_forbidden":
        parent = _lookup(raw, loc[:-1])
        siblings = [k for k in parent if isinstance(parent, dict)] if isinstance(parent, dict) else []
        return "remove it. " + suggest(loc[-1], sorted(set(_allowed(loc[:-1])) or siblings))
    if kind == "missing":
        return f"add `{loc[-1]}:` with a value (see scenarios/baseline.yaml)"
    ctx = err.get("ctx") or {}
    if "gt" in ctx:
        return f"use a number greater than {ctx['gt']}"
    if "ge" in ctx:
        return f"use a number of at least {ctx['ge']}"
    if "lt" in ctx or "le" in ctx:
        return f"use a number below {ctx.get('lt', ctx.get('le'))}"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return "use a value of the right type (numbers like 2.5e9, true/false, lists in [ ])"
    if kind == "literal_error":
        return f"use one of {ctx.get('expected')}"
    return "see docs/parameters.md for the allowed values"


def _allowed(loc: list[str]) -> list[str]:
    """Field names the schema allows at ``loc`` (a section path)."""
    model: Any = Scenario
    for part in loc:
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            continue  # a dict key (hardware name, site name...)
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = args[-1] if args else annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _lookup(raw: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(raw, dict) and part in raw:
            raw = raw[part]
        else:
            return {}
    return raw


def suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"allowed keys: {', '.join(known)}" if known else "check the spelling"
