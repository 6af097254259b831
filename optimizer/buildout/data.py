"""Build-out numbers a sweep changes in place: scenario path -> mutable Param on the persistent model.

A sweep builds the build-out once with the paths it changes (``mutable``); each path below becomes one
mutable Param ``swept[path]`` in model units (scenario value / scale), every coefficient or bound that
reads it holds the Param, and a point sets the values and re-solves on the same HiGHS instance
(``optimizer.solver.push_changed_values`` sends only what changed). The refinement cuts found at earlier
points stay: they are tangents of the exact laws, which no data path changes, so they stay valid.

| path                                        | scale      | where it enters                               |
|---------------------------------------------|------------|-----------------------------------------------|
| budget_usd                                  | 1e9 USD    | the discounted budget's bound                 |
| periods.P.budget_usd (set in the scenario)  | 1e9 USD    | period P's capex bound                        |
| capability_target, periods.P.capability_target | 1       | min_cost: each period's capability floor      |
| inference.concurrent_users, periods.P.concurrent_users | 1e6 users | each period's demand row       |
| hardware.H.node_capex_usd                   | 1e9 USD    | a vintage's price (x the decline to its year)  |
| sites.S.facility_capex_usd_per_mw           | 1e9 USD    | a site start's capex and its remaining value  |
| sites.S.opex_usd_per_mw_year                | 1e9 USD    | the powered sites' opex                       |
| sites.S.electricity_usd_per_mwh             | 1e9 USD    | serving and run energy                        |
| data.synthetic_usd_per_million_tokens       | 1          | synthetic data's cost                         |

Any other path (a menu, a law, the discount rate, a lead time, a site's MW) is structural: the point is
solved on a model built for it, and the sweep's ``rebuilt`` column says so. A path whose base value is
unset (a period without its own budget) is structural too: the row it would bound does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import pyomo.core as pyo

from optimizer import units
from optimizer.model.objective import FLOOR_OFF
from optimizer.scenario import get_path
from optimizer.schema import Scenario

# path pattern (``*``: one name) -> model scale
DATA_PATHS: dict[str, float] = {
    "budget_usd": units.USD,
    "periods.*.budget_usd": units.USD,
    "inference.concurrent_users": units.USERS,
    "periods.*.concurrent_users": units.USERS,
    "hardware.*.node_capex_usd": units.USD,
    "sites.*.facility_capex_usd_per_mw": units.USD,
    "sites.*.opex_usd_per_mw_year": units.USD,
    "sites.*.electricity_usd_per_mwh": units.USD,
    "data.synthetic_usd_per_million_tokens": 1.0,
}


def _pattern(glob: str) -> re.Pattern:
    return re.compile(re.escape(glob).replace(r"\*", r"[^.]+") + r"\Z")


_DATA = [(_pattern(glob), scale) for glob, scale in DATA_PATHS.items()]


def data_scale(path: str) -> float | None:
    """The model scale of a data path; None for any other path."""
    return next((scale for pattern, scale in _DATA if pattern.match(path)), None)


def define_swept(m: pyo.Block, sc: Scenario, mutable: Collection[str]) -> None:
    """``m.swept[path]``: one mutable Param per data path in ``mutable`` whose base value is set;
    ``m.data_paths``: path -> [(Param, scale)] that ``set_data`` writes (targets added by the objective)."""
    paths = [p for p in mutable if data_scale(p) is not None and _base(sc, p) is not None]
    m.SWEPT = pyo.Set(initialize=sorted(paths), ordered=True, doc="scenario paths a sweep changes in place")
    m.swept = pyo.Param(m.SWEPT, initialize={p: _base(sc, p) / data_scale(p) for p in paths}, mutable=True,
                        doc="swept scenario values in model units")
    m.mutable_paths = frozenset(mutable)
    m.data_paths = {p: [(m.swept[p], data_scale(p))] for p in paths}


def _base(sc: Scenario, path: str) -> float | None:
    try:
        value = get_path(sc, path)
    except (AttributeError, KeyError):
        return None
    return None if value is None else float(value)


def data(m: pyo.Block, path: str, value: float, scale: float = 1.0):
    """The scenario's ``value`` at ``path`` in model units (/ ``scale``): the swept Param when a sweep
    changes ``path`` in place, otherwise a constant."""
    if path in m.SWEPT:
        return m.swept[path]
    return value / scale


def register_target(m: pyo.Block, path: str, period: str) -> None:
    """min_cost: period ``period``'s floor ``period_target[period]`` reads ``path`` (a sweep sets it)."""
    if path in m.mutable_paths:
        m.data_paths.setdefault(path, []).append((m.period_target[period], 1.0))


def in_place(m: pyo.Block, path: str) -> bool:
    """Whether a sweep can change ``path`` on this model without rebuilding it."""
    return path in m.data_paths


def set_data(m: pyo.Block, sc: Scenario, point: dict[str, float]) -> None:
    """Every in-place path at the point's value, or back at the base scenario's (``sc``)."""
    for path, params in m.data_paths.items():
        value = point[path] if path in point else _base(sc, path)
        for param, scale in params:
            param.value = FLOOR_OFF if value is None else value / scale
