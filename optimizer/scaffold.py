"""``optimizer init``: a new scenario that ``extends:`` a parent and holds only what differs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optimizer.errors import ScenarioError

SCENARIO_DIR = Path("scenarios")


def resolve_parent(parent: str) -> Path:
    """``baseline`` -> scenarios/baseline.yaml; a path is taken as it is."""
    path = Path(parent)
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
        path = SCENARIO_DIR / f"{parent}.yaml"
    if not path.is_file():
        raise ScenarioError("--from", parent, f"no scenario file at {path}",
                            "give a name in scenarios/ (e.g. baseline) or a path to a .yaml file")
    return path


def target_path(name: str, parent: Path) -> Path:
    """A bare name is written beside the parent; a path is taken as it is."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path if path.suffix in (".yaml", ".yml") else path.with_suffix(".yaml")
    return parent.parent / f"{name}.yaml"


def nested(assignments: list[tuple[str, Any]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in assignments:
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def current(base, key: str) -> Any:
    """The parent's value at ``key`` (an unknown path is a ``--set`` error)."""
    from optimizer.scenario import get_path, parameter_paths, suggest

    try:
        return get_path(base, key)
    except (AttributeError, KeyError):
        raise ScenarioError("--set", key, "no such parameter", suggest(key, parameter_paths(base))) from None


def new_scenario(name: str, parent_name: str, sets: list[str], *, force: bool = False) -> Path:
    """Write NAME.yaml with ``extends:``, a name, the ``--set`` values and a citation stub for each."""
    import os

    import yaml

    from optimizer.scenario import load_scenario, parse_assignment

    parent = resolve_parent(parent_name)
    path = target_path(name, parent)
    if path.exists() and not force:
        raise ScenarioError("init", str(path), "already exists", "choose another name, or add --force to replace it")
    base = load_scenario(parent)
    assignments = [parse_assignment(a) for a in sets]
    stem = path.stem
    body: dict[str, Any] = {
        "extends": os.path.relpath(parent.resolve(), path.parent.resolve()),
        "name": stem,
        "description": f"{stem}: {parent.name} with the changes below.",
        **nested(assignments),
    }
    sources = {key: f"[A] changed from {parent.name}'s {current(base, key)!r}; cite your source"
               for key, _ in assignments}
    if sources:
        body["sources"] = sources
    header = (f"# {stem}: a scenario derived from {parent.name}. Only what differs from the parent is written\n"
              "# here; every other value, and its source, comes from the parent file (`extends:`).\n"
              f"# Check it with: optimizer validate {path}\n")
    text = header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temp.write_text(text, encoding="utf-8")
        try:
            load_scenario(temp)  # the new file must validate before it takes the name
        except ScenarioError as exc:
            temp.unlink()
            raise ScenarioError("--set", exc.key, exc.problem, exc.fix) from None
        os.replace(temp, path)
    except OSError as exc:
        raise ScenarioError("init", str(path), f"cannot be written ({exc.strerror or exc})",
                            "choose a directory you can write to") from None
    return path
