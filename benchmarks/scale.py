"""Benchmark (not a test): issue 11's scale case on both engines, side by side in one run.

The baseline's menus replicated (``benchmarks/scaled.py``) to 16 hardware types, 20 site types, 20 models
and 10 thinking multipliers: the case where the one-period engine's serving block grows with the product
hardware x sites x models x thinking (129k variables). The same scenario as a one-period build-out
(dedicated fleets, RL anywhere, no remaining value: the case ``tests/test_buildout.py`` checks equal to
the one-period engine) grows with the sum of its dimensions. For each: size, Pyomo construction,
``set_instance``, HiGHS's own seconds, the whole solve, (everything - HiGHS) / HiGHS, and the objective.

    python benchmarks/scale.py [--hardware 4 --sites 10 --models 20 --thinking 10] [--skip-one-period]
"""

from __future__ import annotations

import argparse
import time

import pyomo.environ as pyo
from scaled import scaled

from optimizer.buildout.one_period import one_period_buildout
from optimizer.scenario import validate_scenario

THINKING = (1, 2, 3, 5, 10, 20, 30, 50, 75, 100)


def scale_case(hardware: int, sites: int, models: int, thinking: int):
    """(one-period scenario, the same as a one-period build-out)."""
    copies = -(-models // 6)  # the baseline has 6 models
    sc = scaled(hardware=hardware, sites=sites, models=copies, thinking=THINKING[:thinking])
    raw = sc.model_dump(mode="json", exclude_none=True)
    raw["models"] = dict(list(raw["models"].items())[:models])
    one = validate_scenario(raw, sc.name)
    return one, one_period_buildout(one, "benchmarks/scale.py")


def size(m) -> dict:
    integers = sum(1 for v in m.component_data_objects(pyo.Var, active=True) if v.is_integer())
    return {"variables": m.nvariables(), "constraints": m.nconstraints(), "integers": integers}


def one_period(sc) -> dict:
    from optimizer.model import build_model
    from optimizer.run import solve_scenario
    from optimizer.solver import new_solver

    start = time.perf_counter()
    m = build_model(sc, mutable=())
    build = time.perf_counter() - start
    t0 = time.perf_counter()
    new_solver(m)
    instance = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = solve_scenario(sc)  # builds, loads, solves both stages with refinement and duals
    whole = time.perf_counter() - t0
    highs = plan.summary["solve_seconds"]  # seconds inside HiGHS
    return {"engine": "one-period", **size(m), "build_s": build, "set_instance_s": instance, "highs_s": highs,
            "whole_s": whole, "outside_over_highs": (whole - highs) / highs,
            "objective": plan.summary["capability_index"]}


def buildout(sc) -> dict:
    from optimizer.buildout.model import build_buildout
    from optimizer.buildout.solve import solve_buildout_model
    from optimizer.solver import persistent_highs

    start = time.perf_counter()
    m = build_buildout(sc)
    build = time.perf_counter() - start
    t0 = time.perf_counter()
    outcome = solve_buildout_model(m)  # its own set_instance, both stages, refinement
    solve = time.perf_counter() - t0
    twin = build_buildout(sc)
    t0 = time.perf_counter()
    persistent_highs(twin)
    instance = time.perf_counter() - t0
    whole = build + solve
    return {"engine": "build-out", **size(m), "build_s": build, "set_instance_s": instance,
            "highs_s": outcome.seconds, "whole_s": whole, "outside_over_highs": (whole - outcome.seconds) /
            outcome.seconds, "objective": outcome.objective}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hardware", type=int, default=4, help="copies of the baseline's 4 hardware types")
    parser.add_argument("--sites", type=int, default=10, help="copies of the baseline's 2 site types")
    parser.add_argument("--models", type=int, default=20, help="models (copies of the baseline's 6, cut)")
    parser.add_argument("--thinking", type=int, default=10, help="thinking multipliers (at most 10)")
    parser.add_argument("--skip-one-period", action="store_true", help="the build-out model only")
    args = parser.parse_args()
    import pandas as pd

    one, out = scale_case(args.hardware, args.sites, args.models, args.thinking)
    print(f"{len(out.hardware)} hardware, {len(out.sites)} sites, {len(out.models)} models, "
          f"{len(out.test_time.thinking_multipliers)} thinking multipliers", flush=True)
    rows = [buildout(out)] + ([] if args.skip_one_period else [one_period(one)])
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
