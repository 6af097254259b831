"""Compute Allocation Optimizer: a Pyomo/HiGHS MILP for AI-infrastructure budget planning.

The Python API (see docs/api.md)::

    import optimizer as opt
    sc = opt.load("scenarios/baseline.yaml", overrides=["scarce_data"], set={"budget_usd": 2e11})
    plan = opt.solve(sc)
    plan.save("out/run1")
    opt.sweep(sc, {"budget_usd": "1e11:3e11:5"})

Names load on first use, so ``import optimizer`` stays fast and imports neither Pyomo nor matplotlib.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

API = ("load", "solve", "sweep", "tornado", "frontier", "alternatives", "serving", "load_plan", "sweep_points",
       "montecarlo", "sensitivity", "robust")
__all__ = [*API, "plot", "Plan", "Scenario", "OptimizerError", "ScenarioError", "InfeasibleError", "SolveError",
           "__version__"]


def __getattr__(name: str):
    if name in API:
        return getattr(importlib.import_module("optimizer.api"), name)
    if name == "plot":
        return importlib.import_module("optimizer.plot")
    if name == "Plan":
        return importlib.import_module("optimizer.results").Plan
    if name == "Scenario":
        return importlib.import_module("optimizer.schema").Scenario
    if name in ("OptimizerError", "ScenarioError", "InfeasibleError", "SolveError"):
        return getattr(importlib.import_module("optimizer.errors"), name)
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
