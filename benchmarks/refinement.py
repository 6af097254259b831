"""Benchmark (not a test): what adaptive refinement costs, side by side with the fixed cuts alone.

Two cases, each solved with refinement on (the scenario's settings) and off
(``approximation.max_refinements=0``: the fixed tangent cuts only), alternating, best of ``--repeat``:

1. one solve of the scenario (build, both stages, duals);
2. a ``--points``-point budget sweep from 0.5x to 2x the scenario's budget (``run_sweep``, one worker,
   duals on), where cuts added at one point stay on the persistent model for the next.

Reported: the seconds of each side, their ratio, and the accuracy each reaches: the largest gap
between the model's capability and the exact laws' at the plan, over all points.

    python benchmarks/refinement.py [scenarios/baseline.yaml] [--points 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimizer.run import solve_scenario
from optimizer.scenario import load_scenario
from optimizer.sweeps import run_sweep

OFF = ["approximation.max_refinements=0"]


def single(path: str, sets: list[str]) -> tuple[float, float]:
    sc = load_scenario(path, sets=sets)
    start = time.perf_counter()
    plan = solve_scenario(sc)
    gap = plan.summary["capability_index_model"] - plan.summary["capability_index"]
    return time.perf_counter() - start, gap


def sweep(path: str, sets: list[str], points: int) -> tuple[float, float, int]:
    sc = load_scenario(path, sets=sets)
    budgets = np.linspace(0.5, 2.0, points) * sc.budget_usd
    start = time.perf_counter()
    table = run_sweep(sc, [{"budget_usd": float(b)} for b in budgets], progress=False)
    elapsed = time.perf_counter() - start
    ok = table[table.status == "optimal"]
    return elapsed, float((ok.capability_index_model - ok.capability_index).abs().max()), int(ok.refinement_cuts.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    runs = {"on": [], "off": []}
    for _ in range(args.repeat):
        runs["on"].append(single(args.scenario, []))
        runs["off"].append(single(args.scenario, OFF))
    on, off = min(runs["on"]), min(runs["off"])
    print(f"single solve of {args.scenario} (best of {args.repeat})")
    print(f"  refinement on   : {on[0]:7.3f} s   model - exact capability {on[1]:.2e}")
    print(f"  fixed cuts only : {off[0]:7.3f} s   model - exact capability {off[1]:.2e}")
    print(f"  ratio           : {on[0] / off[0]:7.2f}x")

    runs = {"on": [], "off": []}
    for _ in range(args.repeat):
        runs["on"].append(sweep(args.scenario, [], args.points))
        runs["off"].append(sweep(args.scenario, OFF, args.points))
    on, off = min(runs["on"]), min(runs["off"])
    print(f"{args.points}-point budget sweep, 0.5x..2x (best of {args.repeat})")
    print(f"  refinement on   : {on[0]:7.2f} s ({on[0] / args.points * 1e3:6.1f} ms/point)   "
          f"max model - exact {on[1]:.2e}   cuts added {on[2]}")
    print(f"  fixed cuts only : {off[0]:7.2f} s ({off[0] / args.points * 1e3:6.1f} ms/point)   "
          f"max model - exact {off[1]:.2e}")
    print(f"  ratio           : {on[0] / off[0]:7.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
