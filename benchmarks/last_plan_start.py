"""Benchmark (not a test): a sweep re-solving from the last point's plan against re-solving cold.

A budget sweep of the baseline (one worker, both stages, refinement and duals) with
``optimizer.solver.START_FROM_LAST_PLAN`` on and off, alternating ``--repeat`` times in one process; the
best run of each is kept. With it on, each point hands HiGHS the previous point's plan as its MIP start
when that plan is still feasible at the new point (``start_if_feasible``): in an ascending budget sweep it
always is. Printed: wall and HiGHS seconds of each side, their ratio, and whether every point's objective
agrees to the refinement tolerance.

    python benchmarks/last_plan_start.py [--scenario FILE] [--points 150] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import optimizer.solver as solver
from optimizer import sweeps
from optimizer.scenario import load_scenario


def run(sc, points, start: bool) -> tuple[float, float, np.ndarray]:
    solver.START_FROM_LAST_PLAN = start
    sweeps._MODEL_CACHE.clear()  # both sides build their own model
    begin = time.perf_counter()
    table = sweeps.run_sweep(sc, points, progress=False)
    return time.perf_counter() - begin, float(table.solve_seconds.sum()), table.objective_value.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    parser.add_argument("--points", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    points = [{"budget_usd": float(v)} for v in np.linspace(0.5 * sc.budget_usd, 2 * sc.budget_usd, args.points)]
    best: dict[bool, tuple[float, float, np.ndarray]] = {}
    for _ in range(args.repeat):
        for start in (True, False):
            result = run(sc, points, start)
            if start not in best or result[0] < best[start][0]:
                best[start] = result
    tolerance = sc.approximation.tolerance
    agree = np.allclose(best[True][2], best[False][2], rtol=tolerance, atol=tolerance)
    print(f"{args.scenario}: {args.points}-point budget sweep, 0.5x to 2x, one worker, best of {args.repeat}")
    for start, (wall, highs, _) in best.items():
        print(f"{'last plan as start' if start else 'cold':<20} wall {wall:7.1f} s   HiGHS {highs:7.1f} s")
    print(f"start / cold: wall {best[True][0] / best[False][0]:.2f}x, HiGHS {best[True][1] / best[False][1]:.2f}x; "
          f"objectives agree within {tolerance:g}: {agree}")


if __name__ == "__main__":
    main()
