"""Benchmark (not a test): a 200-point budget sweep, Pyomo persistent HiGHS vs raw highspy on the .mps.

Both sides solve the same stage-1 MILP (maximise capability) at the same 200 budgets and reuse one
model: Pyomo changes the mutable budget Param and re-solves the persistent instance; highspy reads
the exported .mps once and changes the budget row's bound. Each side runs ``--repeat`` times,
alternating, and the best time of each is compared (as timeit does: on a shared machine the
minimum is the least disturbed run). The full sweep (lexicographic second stage and duals) is
timed once, for reference.

    python benchmarks/budget_sweep.py [scenarios/baseline.yaml] [--points 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

from optimizer import units
from optimizer.model import build_model
from optimizer.scenario import load_scenario
from optimizer.solver import new_solver
from optimizer.sweeps import run_sweep


def pyomo_stage_one(sc, budgets) -> tuple[float, list[float]]:
    m = build_model(sc, mutable={"budget_usd"})  # as run_sweep builds it for a budget sweep
    solver = new_solver(m)
    start, objectives = time.perf_counter(), []
    for budget in budgets:
        m.p_budget_usd.value = budget / units.USD
        objectives.append(solver.solve(m).incumbent_objective)
    return time.perf_counter() - start, objectives


def raw_highspy(sc, budgets) -> tuple[float, list[float]]:
    m = build_model(sc)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.mps")
        m.write(path, io_options={"symbolic_solver_labels": True})
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", sc.approximation.mip_rel_gap)
        h.readModel(path)
    # Pyomo's symbolic labels name the upper-bounded row of constraint `budget` 'c_u_budget_'
    status, row = h.getRowByName("c_u_budget_")
    if status != highspy.HighsStatus.kOk:
        raise SystemExit("the budget row was not found in the .mps")
    start, objectives = time.perf_counter(), []
    for budget in budgets:
        h.changeRowBounds(row, -highspy.kHighsInf, budget / units.USD)
        h.run()
        # the .mps writer minimises the negated objective
        objectives.append(abs(h.getInfo().objective_function_value))
    return time.perf_counter() - start, objectives


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    budgets = np.linspace(0.5, 2.0, args.points) * sc.budget_usd

    pyomo_times, raw_times = [], []
    for _ in range(max(1, args.repeat)):
        t_pyomo, obj_pyomo = pyomo_stage_one(sc, budgets)
        t_raw, obj_raw = raw_highspy(sc, budgets)
        pyomo_times.append(t_pyomo)
        raw_times.append(t_raw)
    t_pyomo, t_raw = min(pyomo_times), min(raw_times)
    agree = np.allclose(obj_pyomo, obj_raw, rtol=1e-5, atol=1e-7)
    start = time.perf_counter()
    run_sweep(sc, [{"budget_usd": float(b)} for b in budgets], progress=False)
    t_full = time.perf_counter() - start

    print(f"{args.points} budget points on {args.scenario}, best of {len(pyomo_times)}")
    print(f"  pyomo persistent HiGHS (stage 1): {t_pyomo:7.2f} s  ({1e3 * t_pyomo / args.points:6.1f} ms/point)")
    print(f"  raw highspy on the .mps         : {t_raw:7.2f} s  ({1e3 * t_raw / args.points:6.1f} ms/point)")
    print(f"  ratio pyomo / raw               : {t_pyomo / t_raw:7.2f}x   (target <= 1.5x)")
    print(f"  pyomo overhead per point        : {1e3 * (t_pyomo - t_raw) / args.points:7.1f} ms")
    print(f"  all runs (s), pyomo / raw       : {' '.join(f'{t:.2f}' for t in pyomo_times)} / "
          f"{' '.join(f'{t:.2f}' for t in raw_times)}")
    print(f"  objectives agree                : {agree}")
    print(f"  full sweep (2 stages + duals)   : {t_full:7.2f} s  ({1e3 * t_full / args.points:6.1f} ms/point)")


if __name__ == "__main__":
    main()
