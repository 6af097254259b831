"""Benchmark (not a test): the engine against raw highspy doing the same work, three figures.

The raw side is always a copy of the very HiGHS model Pyomo built (``passModel(getModel())`` of the
persistent instance): the same rows and columns in the same order. Both sides reuse one model across
points and change only what the point changes, so both are warm or both are cold. Best of ``--repeat``
runs of each side, alternating.

1. **Stage-1 re-solve** (``--points`` budgets, 0.5x to 2x): Pyomo sets the mutable budget Param and
   re-solves the persistent instance (``optimizer.solver.run``: push what changed, solve, check
   status); raw highspy changes the budget row's bound and calls ``run``.
2. **Full sweep point** (the same budgets, ``max_refinements: 0`` so both do exactly three solves):
   the engine's ``solve_point`` (stage 1 MILP, stage 2 MILP with cost minimised at K >= K* - tol and
   stage 1's plan as its start, the fixed-integer LP for duals, and the table row); raw highspy does
   the same three solves on its copy: switch the two objective weights, move the floor row, pass the
   start, fix and relax the integer columns for the LP, restore.
3. **A single CLI solve** (``python -m optimizer solve SCENARIO -q``, no ``--out``) against a bare
   highspy process that reads the stage-1 model from an .mps written by that same HiGHS model and
   solves it (median of ``--processes`` runs each, alternating).

    python benchmarks/solver_overhead.py [scenarios/baseline.yaml] [--points 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

from optimizer import units
from optimizer.model import build_model
from optimizer.model.objective import FLOOR_OFF
from optimizer.scenario import load_scenario
from optimizer.solver import new_solver, run, sync_parameters
from optimizer.sweeps import solve_point

INF = highspy.kHighsInf


def raw_copy(solver) -> highspy.Highs:
    """A fresh highspy.Highs holding the same model (same order), options as the engine sets them."""
    source = solver._solver_model
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for option in ("mip_rel_gap", "primal_feasibility_tolerance", "mip_feasibility_tolerance", "mip_allow_restart"):
        h.setOptionValue(option, source.getOptionValue(option)[1])
    h.passModel(source.getModel())
    return h


def row(solver, constraint) -> int:
    return solver._pyomo_con_to_solver_con_map[constraint]


def column(solver, var) -> int:
    return solver._pyomo_var_to_solver_var_map[id(var)]


def stage_one(sc, budgets, repeat):
    m = build_model(sc, mutable={"budget_usd"})
    solver = new_solver(m)
    run(solver, m)
    h, budget_row = raw_copy(solver), row(solver, m.budget)
    pyomo_times, raw_times = [], []
    for _ in range(repeat):
        start, pyomo_obj = time.perf_counter(), []
        for budget in budgets:
            m.p_budget_usd.value = budget / units.USD
            pyomo_obj.append(run(solver, m).incumbent_objective)
        pyomo_times.append(time.perf_counter() - start)
        start, raw_obj = time.perf_counter(), []
        for budget in budgets:
            h.changeRowBounds(budget_row, -INF, budget / units.USD)
            h.run()
            raw_obj.append(h.getInfo().objective_function_value)
        raw_times.append(time.perf_counter() - start)
    assert np.allclose(pyomo_obj, raw_obj, rtol=1e-6, atol=1e-9)
    return min(pyomo_times), min(raw_times)


def full_point(sc, budgets, repeat):
    sc = sc.model_copy(update={"approximation": sc.approximation.model_copy(update={"max_refinements": 0})})
    m = build_model(sc, mutable={"budget_usd"})
    solver = new_solver(m)
    run(solver, m)
    h = raw_copy(solver)
    budget_row, floor_row = row(solver, m.budget), row(solver, m.capability_floor)
    k_col, c_col = column(solver, m.capability_value), column(solver, m.cost_value)
    # the floor row's bound is the target less the capability expression's constant
    m.capability_target.value = 0.0
    sync_parameters(solver, m)
    offset = solver._solver_model.getLp().row_lower_[floor_row]
    m.capability_target.value = FLOOR_OFF
    sync_parameters(solver, m)
    integers = np.array([c for c, kind in enumerate(h.getLp().integrality_) if kind == highspy.HighsVarType.kInteger],
                        dtype=np.int32)
    continuous = np.array([highspy.HighsVarType.kContinuous] * len(integers))
    integral = np.array([highspy.HighsVarType.kInteger] * len(integers))
    _, _, _, lower, upper, _ = h.getCols(len(integers), integers)

    floors, stage_one_k = engine_floors(m, solver, budgets)

    def raw_point(budget: float, floor: float) -> float:
        h.changeRowBounds(budget_row, -INF, budget / units.USD)
        h.changeColsCost(2, np.array([k_col, c_col], dtype=np.int32), np.array([1.0, 0.0]))
        h.changeRowBounds(floor_row, FLOOR_OFF + offset, INF)
        h.run()
        k_star = h.getInfo().objective_function_value
        start = h.getSolution()
        h.changeColsCost(2, np.array([k_col, c_col], dtype=np.int32), np.array([0.0, -1.0]))
        h.changeRowBounds(floor_row, floor + offset, INF)
        h.setSolution(start)
        h.run()
        values = np.asarray(h.getSolution().col_value)[integers].round()
        h.changeColsCost(2, np.array([k_col, c_col], dtype=np.int32), np.array([1.0, 0.0]))
        h.changeRowBounds(floor_row, FLOOR_OFF + offset, INF)
        h.changeColsBounds(len(integers), integers, values, values)
        h.changeColsIntegrality(len(integers), integers, continuous)
        h.clearSolver()
        h.run()
        h.getSolution()
        h.changeColsIntegrality(len(integers), integers, integral)
        h.changeColsBounds(len(integers), integers, np.asarray(lower), np.asarray(upper))
        return k_star

    engine_times, raw_times = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        for budget in budgets:
            m.p_budget_usd.value = budget / units.USD
            solve_point(m, solver)
        engine_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw_k = [raw_point(budget, floor) for budget, floor in zip(budgets, floors)]
        raw_times.append(time.perf_counter() - start)
    assert np.allclose(stage_one_k, raw_k, rtol=1e-5, atol=1e-6), max(abs(np.array(stage_one_k) - raw_k))
    return min(engine_times), min(raw_times)


def engine_floors(m, solver, budgets) -> tuple[list[float], list[float]]:
    """An untimed pass of the engine recording, per point, stage 1's K (model) and stage 2's floor (the
    stage-1 plan's exact K less the tolerance), so the raw side solves the same stage-2 problem."""
    import optimizer.solver as engine

    floors, stage_one = [], []
    plain = engine.refine

    def recording(*args, **kwargs):
        result, exact = plain(*args, **kwargs)
        if kwargs.get("maximise"):
            stage_one.append(result.incumbent_objective)
        else:
            floors.append(kwargs["floor"])
        return result, exact

    engine.refine = recording
    try:
        for budget in budgets:
            m.p_budget_usd.value = budget / units.USD
            solve_point(m, solver)
    finally:
        engine.refine = plain
    return floors, stage_one


BARE = """
import highspy, sys
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("mip_rel_gap", float(sys.argv[2]))
h.setOptionValue("mip_allow_restart", False)
h.readModel(sys.argv[1])
h.run()
"""


def single_cli(path: str, sc, processes: int):
    m = build_model(sc)
    solver = new_solver(m)
    cli, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        mps = str(Path(tmp) / "stage1.mps")
        solver._solver_model.writeModel(mps)
        for _ in range(processes):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "optimizer", "solve", path, "-q"], check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", BARE, mps, str(sc.approximation.mip_rel_gap)], check=True,
                           stdout=subprocess.DEVNULL)
            bare.append(time.perf_counter() - start)
    return statistics.median(cli), statistics.median(bare)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=7)
    args = parser.parse_args()
    sc = load_scenario(args.scenario)
    budgets = np.linspace(0.5, 2.0, args.points) * sc.budget_usd
    n = args.points

    pyomo, raw = stage_one(sc, budgets, args.repeat)
    print(f"{args.scenario}: {n} budget points, best of {args.repeat}; CLI median of {args.processes}")
    print(f"1. stage-1 re-solve   engine {1e3 * pyomo / n:6.1f} ms  raw {1e3 * raw / n:6.1f} ms  "
          f"ratio {pyomo / raw:5.2f}x  (target <= 1.2x)")
    engine, raw = full_point(sc, budgets, args.repeat)
    print(f"2. full sweep point   engine {1e3 * engine / n:6.1f} ms  raw {1e3 * raw / n:6.1f} ms  "
          f"ratio {engine / raw:5.2f}x  (target <= 1.3x)")
    cli, bare = single_cli(args.scenario, sc, args.processes)
    print(f"3. single CLI solve   engine {cli:6.2f} s   bare  {bare:6.2f} s   "
          f"ratio {cli / bare:5.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
