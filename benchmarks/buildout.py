"""Benchmark (not a test): where a build-out solve's time goes, against HiGHS's own time in the same run.

For each scenario (default: the 2026-2030 build-out and the one-period baseline), best of ``--repeat``:

* build: Pyomo model construction (``build_buildout`` / ``build_model``);
* set_instance: Pyomo handing the model to HiGHS (``persistent_highs``);
* HiGHS: wall seconds inside HiGHS, every stage and refinement round (``SolveOutcome.seconds``);
* solve (engine): the engine's whole solve (stages, refinement, duals) including its HiGHS time (for a
  build-out also its set_instance, which the set_instance column then shows on its own);
* outside / HiGHS: (everything from build to the solved plan - HiGHS) / HiGHS, the issue-11 target <= 1.

Also the model's size (variables, constraints, integers) and the plan's objective, so a regression in
either speed or answer shows. Printed as a table; times are wall seconds on this machine.

    python benchmarks/buildout.py [scenario ...] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import pyomo.environ as pyo

from optimizer.scenario import load_scenario

DEFAULT = ["scenarios/buildout-2026-2030.yaml", "scenarios/baseline.yaml"]


def measure(path: str) -> dict:
    sc = load_scenario(path)
    start = time.perf_counter()
    if sc.periods is not None:
        from optimizer.buildout.model import build_buildout
        from optimizer.buildout.solve import solve_buildout_model

        m = build_buildout(sc)
        built = time.perf_counter()
        t1 = time.perf_counter()
        outcome = solve_buildout_model(m)  # makes its own persistent HiGHS (set_instance) and solves
        solve = time.perf_counter() - t1
        # set_instance on its own, for the breakdown (on a twin; it is already inside ``solve``)
        from optimizer.solver import persistent_highs

        twin = build_buildout(sc)
        t0 = time.perf_counter()
        persistent_highs(twin)
        instance = time.perf_counter() - t0
        outside = built - start + solve - outcome.seconds
        objective = outcome.objective
    else:
        from optimizer.model import build_model
        from optimizer.solver import new_solver, solve_with

        m = build_model(sc, mutable=())
        built = time.perf_counter()
        t0 = time.perf_counter()
        solver = new_solver(m)
        instance = time.perf_counter() - t0
        t1 = time.perf_counter()
        outcome = solve_with(solver, m)
        solve = time.perf_counter() - t1
        objective = outcome.objective
        outside = built - start + instance + solve - outcome.seconds
    build = built - start
    integers = sum(1 for v in m.component_data_objects(pyo.Var) if v.is_integer())
    return {"scenario": sc.name, "variables": m.nvariables(), "constraints": m.nconstraints(), "integers": integers,
            "build_s": build, "set_instance_s": instance, "highs_s": outcome.seconds,
            "solve_s": solve, "outside_over_highs": outside / outcome.seconds, "objective": objective}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import pandas as pd

    rows = []
    for path in args.scenarios:
        runs = [measure(path) for _ in range(args.repeat)]
        rows.append(min(runs, key=lambda r: r["build_s"] + r["set_instance_s"] + r["solve_s"]))
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
