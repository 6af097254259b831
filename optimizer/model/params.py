"""Parameters: every scenario number a sweep may change without rebuilding.

Each Param listed here may be mutable; a mutable one is registered under its
scenario path (``budget_usd``, ``sites.ferrari.pue``...) in ``m.param_paths``
with the scale that converts the scenario's unit to the model's (see
``optimizer.units``); a sweep sets ``param.value = value / scale`` and
re-solves the persistent model. Everything else (scaling-law shapes, menus,
architectures) is structural.

``mutable`` limits which paths are mutable (None: all of them). The persistent
solver re-evaluates every coefficient that holds a mutable Param before each
solve, so a sweep builds with only its swept paths mutable: a budget sweep then
updates one row bound per point instead of about a thousand coefficients. An
indexed Param (hardware, sites) is mutable when any of its paths is.
"""

from __future__ import annotations

from collections.abc import Collection

import pyomo.core as pyo

from optimizer import units
from optimizer.model.objective import FLOOR_OFF
from optimizer.scenario import get_path
from optimizer.schema import Scenario

# scenario path -> model scale (model value = scenario value / scale)
SCALAR_PARAMS: dict[str, float] = {
    "budget_usd": units.USD,
    "horizon_years": 1.0,
    "data.unique_tokens": units.TOKENS,
    "data.max_epochs": 1.0,
    "data.synthetic_usd_per_million_tokens": 1.0,
    "data.synthetic_max_tokens": units.TOKENS,
    "data.min_tokens_per_param": 1.0,
    "pretraining.mfu": 1.0,
    "pretraining.duration_days": 1.0,
    "pretraining.min_tokens": units.TOKENS,
    "rl.mfu": 1.0,
    "rl.duration_days": 1.0,
    "rl.max_flop": units.FLOP,
    "inference.concurrent_users": units.USERS,
    "capability.weight_pretraining": 1.0,
    "capability.weight_rl": 1.0,
    "capability.weight_test_time": 1.0,
}
HARDWARE_PARAMS = ("bf16_tflops_per_gpu", "node_power_kw", "node_capex_usd")
# peak FLOP/s also sets serving capacity (``optimizer.replicas``), a constant of the build: structural
STRUCTURAL_HARDWARE = ("bf16_tflops_per_gpu",)
SITE_PARAMS = ("power_mw", "pue", "facility_capex_usd_per_mw", "opex_usd_per_mw_year", "electricity_usd_per_mwh",
               "fabric_capex_fraction", "max_sites")


def param_name(path: str) -> str:
    """Pyomo component name for a scalar path: 'data.unique_tokens' -> 'p_data_unique_tokens'."""
    return "p_" + path.replace(".", "_")


def define_params(m: pyo.ConcreteModel, sc: Scenario, mutable: Collection[str] | None = None) -> None:
    def is_mutable(*paths: str) -> bool:
        return mutable is None or any(path in mutable for path in paths)

    m.param_paths = {}
    for path, scale in SCALAR_PARAMS.items():
        value = get_path(sc, path)
        param = pyo.Param(initialize=value / scale, mutable=is_mutable(path), doc=path)
        m.add_component(param_name(path), param)
        if param.mutable:
            m.param_paths[path] = (param, scale)
    floor = sc.capability_target if sc.objective == "min_cost" else FLOOR_OFF
    m.capability_target = pyo.Param(initialize=floor, mutable=True, doc="capability_target")
    if sc.objective == "min_cost":
        m.param_paths["capability_target"] = (m.capability_target, 1.0)

    m.gpus_per_node = pyo.Param(m.HARDWARE, initialize={h: hw.gpus_per_node for h, hw in sc.hardware.items()},
                                doc="accelerators per node (structural)")
    for field in HARDWARE_PARAMS:
        paths = {h: f"hardware.{h}.{field}" for h in sc.hardware}
        param = pyo.Param(m.HARDWARE, initialize={h: getattr(hw, field) for h, hw in sc.hardware.items()},
                          mutable=field not in STRUCTURAL_HARDWARE and is_mutable(*paths.values()),
                          doc=f"hardware.*.{field}")
        m.add_component(f"hw_{field}", param)
        if param.mutable:
            m.param_paths.update({path: (param[h], 1.0) for h, path in paths.items()})
    for field in SITE_PARAMS:
        paths = {s: f"sites.{s}.{field}" for s in sc.sites}
        param = pyo.Param(m.SITES, initialize={s: getattr(site, field) for s, site in sc.sites.items()},
                          mutable=is_mutable(*paths.values()), doc=f"sites.*.{field}")
        m.add_component(f"site_{field}", param)
        if param.mutable:
            m.param_paths.update({path: (param[s], 1.0) for s, path in paths.items()})

