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

from pydantic import BaseModel, ValidationError

from optimizer.errors import ScenarioError
from optimizer.schema import Scenario
from optimizer.yamlio import MAX_BYTES

SPECIAL_SECTIONS = ("overrides", "scenarios", "extends")
MAX_EXTENDS_DEPTH = 16


def load_scenario(
    path: str | Path,
    scenario: str | None = None,
    overrides: list[str] | None = None,
    sets: list[str] | dict[str, Any] | None = None,
) -> Scenario:
    """Read ``path``, apply the named scenario, override groups and ``path=value`` sets.

    ``path`` may also be a ``plan.json`` written by ``--out``: its recorded scenario is re-run.
    ``sets`` is a list of ``PATH=VALUE`` strings or a mapping ``{path: value}`` (the Python API).
    Every overridden value's citation says what overrode it; ``provenance_of`` tells what was applied."""
    path = Path(path)
    where = str(path)
    raw, chain = read_with_extends(path)
    if is_plan_document(raw):
        raw = dict(raw["scenario"])
    groups = raw.pop("overrides", None) or {}
    named = raw.pop("scenarios", None) or {}
    raw.pop("extends", None)
    check_override_sections(groups, named, where)
    origins: dict[str, str] = {}  # parameter path -> what set it last
    chosen: list[tuple[str, str]] = []
    if scenario is not None:
        if scenario not in named:
            raise ScenarioError(where, f"scenarios.{scenario}", "no such named scenario",
                                f"use one of {sorted(named) or 'none (the file defines no scenarios)'}")
        chosen += [(group, f"scenario '{scenario}', override group '{group}'") for group in named[scenario]]
    chosen += [(group, f"override group '{group}'") for group in overrides or []]
    for group, label in chosen:
        if group not in groups:
            raise ScenarioError(where, f"overrides.{group}", "no such override group",
                                f"use one of {sorted(groups) or 'none (the file defines no overrides)'}")
        for key, value in groups[group].items():
            set_path(raw, key, value, where=f"{where}: overrides.{group}")
            origins[key] = f"{where}: overrides.{group}"
            cite_override(raw, key, value, label)
    assignments = list(sets.items()) if isinstance(sets, dict) else [parse_assignment(a) for a in sets or []]
    for key, value in assignments:
        set_path(raw, key, value, where="--set")
        origins[key] = "--set"
        cite_override(raw, key, value, f"--set {key}")
    if scenario is not None:
        raw["name"] = f"{raw.get('name', path.stem)}:{scenario}"
    sc = validate_scenario(raw, where, origins)
    sc._provenance = {
        "input_file": str(path.resolve()), "input_sha256": sha256_of(path),
        "extends": [{"file": str(p.resolve()), "sha256": sha256_of(p)} for p in chain[1:]],
        "named_scenario": scenario, "overrides": list(overrides or []),
        "sets": {key: value for key, value in assignments},
    }
    return sc


def provenance_of(sc: Scenario) -> dict[str, Any]:
    """What ``load_scenario`` read and applied for ``sc`` (empty for a scenario built in code)."""
    return dict(getattr(sc, "_provenance", None) or {})


def sha256_of(path: Path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(MAX_BYTES + 1)).hexdigest()


def is_plan_document(raw: dict[str, Any]) -> bool:
    """A ``plan.json`` / ``results.json`` written by ``--out`` (it holds the resolved scenario)."""
    return isinstance(raw.get("scenario"), dict) and ("tables" in raw or "provenance" in raw)


def read_with_extends(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """The file merged over the files it ``extends:`` (paths relative to it), and the chain of files read.

    A child's mapping merges key by key into its parent's; any other value replaces it."""
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    current = path
    while True:
        if current.resolve() in [p.resolve() for p in chain]:
            raise ScenarioError(str(chain[-1]), "extends", f"inheritance loops back to {current}",
                                "make the chain end at a file without `extends:`")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(str(path), "extends", f"more than {MAX_EXTENDS_DEPTH} levels of inheritance",
                                "shorten the chain")
        raw = read_yaml(current)
        chain.append(current)
        layers.append(raw)
        parent = raw.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(str(current), "extends", f"must be a file path (got {parent!r})",
                                "write e.g. `extends: baseline.yaml`")
        current = (current.parent / parent).resolve() if not Path(parent).is_absolute() else Path(parent)
        if not current.exists():
            raise ScenarioError(str(chain[-1]), "extends", f"the parent file {parent} does not exist",
                                f"give a path relative to {chain[-1].parent}")
    merged: dict[str, Any] = {}
    for raw in reversed(layers):
        merged = deep_merge(merged, raw)
    return merged, chain


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def check_override_sections(groups: Any, named: Any, where: str) -> None:
    """``overrides: {group: {path: value}}`` and ``scenarios: {name: [group, ...]}``, nothing else."""
    if not isinstance(groups, dict):
        raise ScenarioError(where, "overrides", f"must be a mapping of group names (got {type(groups).__name__})",
                            "write `overrides: {name: {path: value}}`")
    if not isinstance(named, dict):
        raise ScenarioError(where, "scenarios", f"must be a mapping of scenario names (got {type(named).__name__})",
                            "write `scenarios: {name: [override, ...]}`")
    for name, group in groups.items():
        if not isinstance(name, str):
            raise ScenarioError(where, f"overrides.{name}", "a group name must be text",
                                "quote it or use a word, e.g. `high_capex:`")
        if not isinstance(group, dict) or not group:
            raise ScenarioError(where, f"overrides.{name}",
                                f"must be a non-empty mapping of parameter paths to values (got {group!r})",
                                "write e.g. `budget_usd: 2.0e+11` under it")
        for key in group:
            if not isinstance(key, str) or not key.strip():
                raise ScenarioError(where, f"overrides.{name}.{key}", "a parameter path must be text",
                                    "write a dotted path such as sites.ferrari.pue")
    for name, members in named.items():
        if not isinstance(members, list) or not all(isinstance(g, str) for g in members):
            raise ScenarioError(where, f"scenarios.{name}", f"must be a list of override group names (got {members!r})",
                                "write e.g. `pessimistic: [scarce_data, nvidia_capex]`")


def cite_override(raw: dict[str, Any], key: str, value: Any, label: str) -> None:
    """The citations of ``key`` (and of every path under it) say what overrode them and what they were."""
    ranges = raw.get("sensitivity")
    if isinstance(ranges, dict):  # a range for a parameter the override removed goes with it
        for k in [k for k in ranges if isinstance(k, str) and k.startswith(key + ".")
                  and not _holds(value, k[len(key) + 1:])]:
            del ranges[k]
    sources = raw.setdefault("sources", {})
    if not isinstance(sources, dict):
        return  # the schema reports it
    shown = value if not isinstance(value, (dict, list)) else "see value"
    covered = [k for k in sources if k == key or k.startswith(key + ".")]
    for k in [k for k in covered if k != key and not _holds(value, k[len(key) + 1:])]:
        del sources[k]  # the override replaced the section and this parameter is gone
        covered.remove(k)
    parents = [k for k in sources if key.startswith(k + ".")]
    old = sources.get(key) or (sources[max(parents, key=len)] if parents else "")
    for k in covered or [key]:
        was = sources.get(k, old)
        sources[k] = f"overridden by {label} = {shown}" + (f" (was: {was})" if was else "")


def _holds(value: Any, dotted: str) -> bool:
    """Whether a section value has the dotted sub-path."""
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping (see ``optimizer.yamlio``: size cap, UTF-8, no duplicate keys)."""
    from optimizer.yamlio import read_yaml as read

    return read(path)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``a.b.c=value`` and parse the value as YAML (so numbers, lists and bools work)."""
    from optimizer.yamlio import parse_yaml

    if "=" not in text:
        raise ScenarioError("--set", text, "expected PATH=VALUE", "write e.g. --set budget_usd=2e11")
    key, value = (part.strip() for part in text.split("=", 1))
    if not key:
        raise ScenarioError("--set", text, "the path before '=' is empty", "write e.g. --set budget_usd=2e11")
    if not value:
        raise ScenarioError("--set", key, "the value after '=' is empty", f"write e.g. --set {key}=1.5")
    try:
        return key, parse_yaml(value, "--set")
    except ScenarioError:
        raise ScenarioError("--set", key, f"cannot read the value '{value}'",
                            "give a number (2e11), true/false, or a list in [ ]") from None


def set_path(raw: dict[str, Any], dotted: str, value: Any, where: str) -> None:
    """Assign ``value`` at ``dotted`` inside ``raw``; the path's parent must exist."""
    parts = dotted.split(".")
    if any(not part for part in parts):
        raise ScenarioError(where, dotted, "the path has an empty part",
                            "write a dotted path such as sites.ferrari.pue")
    node: Any = raw
    for part in parts[:-1]:
        if not isinstance(node, dict) or part not in node:
            known = sorted(str(k) for k in node) if isinstance(node, dict) else []
            raise ScenarioError(where, dotted, f"unknown key '{part}'", suggest(part, known))
        node = node[part]
    if not isinstance(node, dict):
        raise ScenarioError(where, dotted, "path goes through a value, not a section", "check the path")
    node[parts[-1]] = copy.deepcopy(value)


def validate_scenario(raw: dict[str, Any], where: str, origins: dict[str, str] | None = None) -> Scenario:
    """Validate a raw mapping; the first problem becomes a ScenarioError naming file, key and fix.

    ``origins``: parameter path -> where its value came from (``--set``, an override group); an error
    at or under such a path names that origin instead of ``where``."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        # an unknown key is usually a typo of the missing one: report it first
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        raise ScenarioError(origin_of(key, origins or {}, where), key, _problem(err), _fix(err, raw)) from None
    known = set(parameter_paths(scenario))
    check_sources(scenario, where, known | set(parameter_paths(scenario, include_unset=True)))
    for key in scenario.sensitivity:
        check_numeric_path(scenario, key, where, known, key=f"sensitivity.{key}")
    if scenario.uncertainty is not None:
        check_uncertain_paths(scenario, where, known)
    return scenario


def check_uncertain_paths(scenario: Scenario, where: str, known: set[str]) -> None:
    """Every path of ``uncertainty:`` names a numeric parameter of the scenario."""
    spec = scenario.uncertainty
    for path in spec.parameters:
        check_numeric_path(scenario, path, where, known, key=f"uncertainty.parameters.{path}")
    for group, regimes in spec.regimes.items():
        for name, option in regimes.options.items():
            for path in option.values:
                check_numeric_path(scenario, path, where, known,
                                   key=f"uncertainty.regimes.{group}.options.{name}.values.{path}")


def origin_of(key: str, origins: dict[str, str], default: str) -> str:
    """Where the value at ``key`` was last set: the longest overridden path at or above it."""
    above = [path for path in origins if key == path or key.startswith(path + ".")]
    return origins[max(above, key=len)] if above else default


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


def parameter_paths(obj: Any, prefix: str = "", include_unset: bool = False, single: bool = False) -> list[str]:
    """Dotted paths of every leaf parameter (sources and free text excluded); optional parameters left
    unset count only with ``include_unset`` (a citation may name them). A scenario without ``periods:``
    has no multi-period fields (``single``)."""
    if isinstance(obj, Scenario):
        single = obj.periods is None
    if isinstance(obj, BaseModel):
        skip = ("sources", "sensitivity", "uncertainty", "name", "description")
        fields = type(obj).model_fields
        items = [(k, getattr(obj, k)) for k in fields if k not in skip
                 and not (single and (fields[k].json_schema_extra or {}).get("periods_only"))]
    elif isinstance(obj, dict):
        items = list(obj.items())
    elif obj is None:
        return [prefix] if include_unset and prefix else []  # optional parameter left unset
    else:
        return [prefix]
    paths: list[str] = []
    for key, value in items:
        paths += parameter_paths(value, f"{prefix}.{key}" if prefix else str(key), include_unset, single)
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
    return f"{err['msg'].removeprefix('Value error, ')}{shown}"


RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number")


def _fix(err: dict[str, Any], raw: dict[str, Any]) -> str:
    kind = err["type"]
    loc = [str(p) for p in err["loc"]]
    if kind == "extra_forbidden":
        parent = _lookup(raw, loc[:-1])
        siblings = [k for k in parent if isinstance(parent, dict)] if isinstance(parent, dict) else []
        return "remove it. " + suggest(loc[-1], sorted(set(_allowed(loc[:-1])) or siblings))
    if kind == "missing":
        return f"add `{loc[-1]}:` with a value (see scenarios/baseline.yaml)"
    if kind in RANGE_ERRORS or kind in ("bool_not_number", "text_not_number", "float_type", "int_type",
                                        "whole_number"):
        bounds = field_range(loc)
        if bounds:
            return f"use a number in {bounds}"
    ctx = err.get("ctx") or {}
    if "gt" in ctx:
        return f"use a number greater than {ctx['gt']}"
    if "ge" in ctx:
        return f"use a number of at least {ctx['ge']}"
    if "lt" in ctx or "le" in ctx:
        return f"use a number below {ctx.get('lt', ctx.get('le'))}"
    if kind == "bad_name":
        return "rename it, e.g. with '_' for '.'"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return "use a value of the right type (numbers like 2.5e9, true/false, lists in [ ])"
    if kind == "literal_error":
        return f"use one of {ctx.get('expected')}"
    if loc and loc[0] == "uncertainty":
        return "see docs/uncertainty.md for what each distribution and regime group takes"
    return "see docs/parameters.md for the allowed values"


def field_range(loc: list[str]) -> str:
    """The schema's range for the field at ``loc`` with its unit, e.g. '(0, 1e+15] [USD]' ('' if none)."""
    from optimizer.paramdoc import field_info

    info = field_info([p for p in loc if not p.isdigit()])
    if info is None:
        return ""
    def collect(metadata) -> dict[str, float]:
        kinds = ("Gt", "Ge", "Lt", "Le")
        return {type(m).__name__: getattr(m, type(m).__name__.lower()) for m in metadata if type(m).__name__ in kinds}

    bounds = collect(info.metadata)
    if not bounds:  # list items carry their bounds on the item type (thinking_multipliers)
        for arg in getattr(info.annotation, "__args__", ()):
            for m in getattr(arg, "__metadata__", ()):
                bounds.update(collect(getattr(m, "metadata", ())))
    if not bounds:
        return ""
    low = f"({bounds['Gt']:g}" if "Gt" in bounds else (f"[{bounds['Ge']:g}" if "Ge" in bounds else "(-inf")
    high = f"{bounds['Lt']:g})" if "Lt" in bounds else (f"{bounds['Le']:g}]" if "Le" in bounds else "inf)")
    unit = (info.description or "").rsplit("[", 1)
    return f"{low}, {high}" + (f" [{unit[1]}" if len(unit) == 2 else "")


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
