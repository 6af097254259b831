"""Benchmark (not a test): a sweep over a scaling-law parameter against a budget sweep, side by side.

Both are full sweeps (``run_sweep``: both stages, refinement, duals; one worker) of ``--points`` points
on the same scenario, run alternately ``--repeat`` times, best of each:

* budget: ``budget_usd`` from 0.5x to 2x the scenario's (a mutable Param: one row bound changes);
* law: ``loss_law.alpha`` over +-10% of the scenario's (the law's numbers are Params: the cut
  coefficients, loss terms and reference loss are recomputed and updated in place, no rebuild).

For reference, ``--rebuild-points`` law points are also solved the old way, each on a model built for
it (``solve_scenario``), as a structural path is.

    python benchmarks/law_sweep.py [scenarios/baseline.yaml] [--points 200] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimizer.run import solve_scenario
from optimizer.scenario import load_scenario
from optimizer.sweeps import point_scenario, run_sweep


def timed(sc, points) -> tuple[float, object]:
    start = time.perf_counter()
    table = run_sweep(sc, points, progress=False)
    return time.perf_counter() - start, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--rebuild-points", type=int, default=20)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    budget = [{"budget_usd": float(b)} for b in np.linspace(0.5, 2.0, args.points) * sc.budget_usd]
    alpha = [{"loss_law.alpha": float(a)} for a in np.linspace(0.9, 1.1, args.points) * sc.loss_law.alpha]

    budget_times, law_times = [], []
    for _ in range(max(1, args.repeat)):
        t, _ = timed(sc, budget)
        budget_times.append(t)
        t, law_table = timed(sc, alpha)
        law_times.append(t)
    t_budget, t_law = min(budget_times), min(law_times)
    start = time.perf_counter()
    for point in alpha[:: max(1, args.points // args.rebuild_points)][: args.rebuild_points]:
        solve_scenario(point_scenario(sc, point))
    per_rebuild = (time.perf_counter() - start) / args.rebuild_points

    n = args.points
    print(f"{n}-point sweeps on {args.scenario}, one worker, duals on, best of {len(budget_times)}")
    print(f"  budget_usd 0.5x..2x          : {t_budget:7.2f} s  ({1e3 * t_budget / n:6.1f} ms/point)")
    print(f"  loss_law.alpha +-10%, in place: {t_law:7.2f} s  ({1e3 * t_law / n:6.1f} ms/point)"
          f"   rebuilt points: {int(law_table.rebuilt.sum())}")
    print(f"  ratio law / budget           : {t_law / t_budget:7.2f}x   (target <= 1.5x)")
    print(f"  law point on a fresh build   : {1e3 * per_rebuild:7.1f} ms/point ({args.rebuild_points} points), "
          f"{per_rebuild / (t_law / n):.1f}x the in-place point")
    print(f"  all runs (s), budget / law   : {' '.join(f'{t:.2f}' for t in budget_times)} / "
          f"{' '.join(f'{t:.2f}' for t in law_times)}")


if __name__ == "__main__":
    main()
