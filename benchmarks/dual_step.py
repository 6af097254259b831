"""Benchmark (not a test): the dual step at scale, in place on the MILP's HiGHS model vs a continuous copy.

On the baseline with its menus replicated (``scaled.py``; about 38k variables by default), the plan is
solved once (both stages), then its marginal values are computed both ways, alternately, best of
``--repeat``:

* in place (``optimizer.duals.marginal_values``): the MILP's own HiGHS model with the integer columns
  fixed and relaxed, the exact tangents at the plan added, one LP, everything restored;
* a continuous copy (what the engine did before): clone the model, fix and relax its integers, load it
  into a new persistent HiGHS (``set_instance``) and solve the LP.

Both give the same duals (checked). HiGHS's own LP time is reported beside them.

    python benchmarks/dual_step.py [--hardware 4 --sites 3 --models 3] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import pyomo.environ as pyo
import pytest
from scaled import scaled

from optimizer.duals import marginal_values, marginal_values_on_a_copy
from optimizer.model import build_model
from optimizer.solver import new_solver, solve_with


def continuous_copy(m) -> tuple[dict, float, float]:
    start = time.perf_counter()
    duals, lp_seconds = marginal_values_on_a_copy(m)
    return duals, time.perf_counter() - start, lp_seconds


def in_place(solver, m) -> tuple[dict, float, float]:
    highs_before, start = solver._solver_model.getRunTime(), time.perf_counter()
    duals = marginal_values(solver, m)
    return duals, time.perf_counter() - start, float(solver._solver_model.getRunTime() - highs_before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hardware", type=int, default=4)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--models", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sc = scaled(hardware=args.hardware, sites=args.sites, models=args.models)
    m = build_model(sc)
    solver = new_solver(m)
    solve_with(solver, m, duals=False)
    variables = sum(1 for _ in m.component_data_objects(pyo.Var))

    lean, copy = [], []
    for _ in range(max(1, args.repeat)):
        lean.append(in_place(solver, m))
        copy.append(continuous_copy(m))
    assert lean[-1][0] == pytest.approx(copy[-1][0], rel=1e-6, abs=1e-12), (lean[-1][0], copy[-1][0])
    best_lean, best_copy = min(lean, key=lambda r: r[1]), min(copy, key=lambda r: r[1])
    print(f"dual step on {sc.name}: {variables} variables, best of {len(lean)}")
    print(f"  in place on the MILP's HiGHS : {best_lean[1]:7.3f} s  (HiGHS run {best_lean[2]:.3f} s)")
    print(f"  continuous copy (clone + load): {best_copy[1]:7.3f} s  (HiGHS LP {best_copy[2]:.3f} s)")
    print(f"  ratio copy / in place         : {best_copy[1] / best_lean[1]:7.1f}x   duals agree: True")


if __name__ == "__main__":
    main()
