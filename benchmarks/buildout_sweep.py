"""Benchmark (not a test): a build-out sweep re-solving one persistent model against rebuilding every point.

Both sides solve the same points of a data path (default: ``budget_usd`` from 0.8x to 1.2x on the 2026-2030
build-out) with the sweep engine's own functions, one worker, both stages and duals:

* in place: ``sweeps.iter_solve`` (one ``build_buildout`` with the path mutable, one ``set_instance``; each
  point sets the Param, hands HiGHS the last plan as its MIP start where it is still feasible, re-solves,
  and keeps the refinement cuts of earlier points);
* rebuilt: each point built from its scenario, handed to a new HiGHS and solved (what every build-out
  sweep did before).

Printed per side: wall seconds, HiGHS seconds, HiGHS solves (stages plus refinement rounds), and whether
every point's objective and cost agree between the sides. The sides alternate ``--repeat`` times; the best
of each is kept (on a shared machine the least disturbed run).

    python benchmarks/buildout_sweep.py [--scenario FILE] [--path budget_usd] [--points 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimizer.scenario import get_path, load_scenario
from optimizer.sweeps import Work, iter_solve, point_scenario, solve_buildout_point


def in_place(sc, points) -> tuple[float, list[dict]]:
    from optimizer import sweeps

    sweeps._MODEL_CACHE.clear()
    start = time.perf_counter()
    rows = list(iter_solve(sc, list(enumerate(points)), Work(), frozenset(p for pt in points for p in pt)))
    return time.perf_counter() - start, rows


def rebuilt(sc, points) -> tuple[float, list[dict]]:
    from optimizer.buildout.model import build_buildout

    start = time.perf_counter()
    rows = [solve_buildout_point(build_buildout(point_scenario(sc, point)), None, Work()) for point in points]
    return time.perf_counter() - start, rows


def summary(rows: list[dict]) -> tuple[float, int]:
    return sum(r.get("solve_seconds", 0.0) for r in rows), sum(r.get("refinement_cuts", 0) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/buildout-2026-2030.yaml")
    parser.add_argument("--path", default="budget_usd")
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--low", type=float, default=0.8)
    parser.add_argument("--high", type=float, default=1.2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    base = float(get_path(sc, args.path))
    points = [{args.path: float(v)} for v in np.linspace(args.low * base, args.high * base, args.points)]
    best: dict[str, tuple[float, list[dict]]] = {}
    for _ in range(args.repeat):
        for name, side in (("in place", in_place), ("rebuilt", rebuilt)):
            seconds, rows = side(sc, points)
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, rows)
    agree = all(a.get("status") == b.get("status") and np.isclose(a.get("objective_value", np.nan),
                                                                  b.get("objective_value", np.nan), rtol=1e-6,
                                                                  equal_nan=True)
                for a, b in zip(best["in place"][1], best["rebuilt"][1]))
    print(f"{args.scenario}: {args.points} points of {args.path} from {args.low}x to {args.high}x, one worker")
    print(f"{'side':<10} {'wall s':>8} {'HiGHS s':>8} {'cuts':>6} {'ms/point':>9}")
    for name, (seconds, rows) in best.items():
        highs, cuts = summary(rows)
        print(f"{name:<10} {seconds:8.1f} {highs:8.1f} {cuts:6d} {1e3 * seconds / len(points):9.0f}")
    for name, (_, rows) in best.items():
        print(f"{name:<10} HiGHS s by point: " + " ".join(f"{r.get('solve_seconds', float('nan')):.1f}" for r in rows))
    ratio = best["in place"][0] / best["rebuilt"][0]
    print(f"in place / rebuilt: {ratio:.2f}x; same status and objective at every point: {agree}")


if __name__ == "__main__":
    main()
