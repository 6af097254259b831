"""A larger scenario for benchmarks: the baseline's menus replicated (not a sourced scenario).

Each hardware type, site type and menu model of the scenario is copied ``copies`` times with a
slightly higher price (+1% per copy, so the copies are not exact duplicates), and the sequential
thinking menu gets more multipliers. The serving block grows with hardware x sites x models x thinking.
"""

from __future__ import annotations

from optimizer.scenario import load_scenario, validate_scenario
from optimizer.schema import Scenario


def scaled(path: str = "scenarios/baseline.yaml", hardware: int = 2, sites: int = 2, models: int = 2,
           thinking: tuple[float, ...] = (1, 2, 3, 5, 10, 20, 50, 100)) -> Scenario:
    raw = load_scenario(path).model_dump()
    raw["hardware"] = {f"{name}_{i}" if i else name: {**spec, "node_capex_usd": spec["node_capex_usd"] * (1 + 0.01 * i)}
                       for name, spec in raw["hardware"].items() for i in range(hardware)}
    raw["sites"] = {f"{name}_{i}" if i else name: {**spec, "facility_capex_usd_per_mw":
                                                   spec["facility_capex_usd_per_mw"] * (1 + 0.01 * i)}
                    for name, spec in raw["sites"].items() for i in range(sites)}
    raw["models"] = {f"{name}_{i}" if i else name: {**spec, "params": spec["params"] * (1 + 0.01 * i)}
                     for name, spec in raw["models"].items() for i in range(models)}
    raw["test_time"]["thinking_multipliers"] = list(thinking)
    raw["sensitivity"], raw["sources"] = {}, {}
    raw["name"] = f"{raw['name']}-x{hardware}-hardware-x{sites}-sites-x{models}-models"
    return validate_scenario(raw, raw["name"])
