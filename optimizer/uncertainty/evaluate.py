"""What the uncertainty costs and what hedging earns: wait-and-see, EVPI, VSS and the regret table.

For a maximised stage-1 objective k (Birge and Louveaux, Introduction to Stochastic Programming, ch. 4):

    WS   = sum_s p_s max_{x, y} k_s(x, y)          each scenario planned with perfect foresight
    RP   = max_x sum_s p_s max_y k_s(x, y)         the stochastic (here-and-now) plan
    EEV  = sum_s p_s max_y k_s(x_bar, y)            x_bar: first stage of the mean-value scenario's plan
    EVPI = WS - RP >= 0                             what perfect information would be worth
    VSS  = RP - EEV >= 0                            what planning for the spread earns over planning for the mean

(with the risk measure R in place of the expectation when CVaR is on: EVPI_R = R(WS) - R(RP), and so on).
A first stage that leaves a scenario infeasible scores -inf there. Regret of plan x in scenario s:
WS_s - k_s(x, y*_s(x)).
"""

from __future__ import annotations

import math

import pandas as pd

from optimizer.errors import InfeasibleError, SolveError
from optimizer.model.exact import value
from optimizer.schema import Scenario
from optimizer.uncertainty.stochastic import Program, first_stage_values, first_stage_var, stage_objective


def solve_with_first_stage(sc: Scenario, first: dict[tuple, float] | None, first_periods: tuple[str, ...],
                           time_limit: float | None = None) -> dict:
    """One scenario's best recourse for a fixed first stage (``None``: free, perfect foresight):
    {'status', 'objective' (exact k_s, -inf if infeasible), 'cost', 'first' (its first stage), 'values'}.
    At ``time_limit`` the incumbent counts, with status 'time limit' (its objective then a lower bound)."""
    from optimizer.buildout.model import build_buildout
    from optimizer.buildout.solve import exact_values, solve_buildout_model

    m = build_buildout(sc)
    for key, amount in (first or {}).items():
        var = first_stage_var(m, key)
        var.fix(round(amount) if key[0] == "start" else max(0.0, amount))
    try:
        outcome = solve_buildout_model(m, time_limit=time_limit, duals=False, second_stage=False, explain=False,
                                       incumbent_ok=True)
    except InfeasibleError:
        return {"status": "infeasible", "objective": -math.inf, "cost": math.nan, "first": None}
    except SolveError as exc:
        return {"status": "not solved", "objective": math.nan, "cost": math.nan, "first": None, "message": str(exc)}
    return {"status": outcome.status, "objective": stage_objective(m, exact_values(m)), "cost": value(m.total_cost),
            "first": first_stage_values(m, first_periods), "values": variable_values(m)}


def variable_values(m) -> dict[str, dict]:
    """Every variable's value by component name and index (a MIP start for the same scenario's Block)."""
    import pyomo.core as pyo

    return {var.local_name: {i: var[i].value for i in var} for var in m.component_objects(pyo.Var, descend_into=False)}


Task = tuple  # (scenario, first stage or None, first-stage periods, time limit)


def solve_many(tasks: list[Task], workers: int = 1, finished=None) -> list[dict]:
    """``solve_with_first_stage`` for every task, in order; on ``workers`` spawned processes (one HiGHS thread
    each) when more than one. ``finished(i, result)`` is called as each task ends (to save it at once).
    Ctrl-C or SIGTERM cancels what is queued and stops the workers."""
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for i, task in enumerate(tasks):
            out.append(solve_with_first_stage(*task))
            if finished:
                finished(i, out[-1])
        return out
    from optimizer.sweeps import map_in_processes, worker_process_start

    results: dict[int, dict] = {}

    def done(i: int, result: dict) -> None:
        results[i] = result
        if finished:
            finished(i, result)
    map_in_processes(solve_with_first_stage, tasks, workers, done, initializer=worker_process_start)
    return [results[i] for i in range(len(tasks))]


def regret_table(prog: Program, candidates: dict[str, list[dict]], best: list[dict]) -> pd.DataFrame:
    """Tidy: candidate, scenario, probability, objective, best (WS_s), regret = WS_s - objective, status."""
    rows = []
    for name, outcomes in candidates.items():
        for s, p, outcome, ws in zip(prog.names, prog.probabilities, outcomes, best):
            rows.append({"candidate": name, "scenario": s, "probability": p, "status": outcome["status"],
                         "objective": outcome["objective"], "best": ws["objective"],
                         "regret": ws["objective"] - outcome["objective"], "cost_usd": outcome["cost"] * 1e9})
    return pd.DataFrame(rows)


def candidate_summary(table: pd.DataFrame, risk) -> pd.DataFrame:
    """Per candidate plan: expected objective, CVaR, R, expected and maximum regret, infeasible scenarios."""
    from optimizer.uncertainty.stochastic import risk_measures

    rows = []
    for name, part in table.groupby("candidate", sort=False):
        values = dict(zip(part.scenario, part.objective))
        probability = dict(zip(part.scenario, part.probability))
        measures = risk_measures(values, probability, risk)
        rows.append({"candidate": name, "expected_objective": measures["expected"], "cvar": measures["cvar"],
                     "risk_adjusted": measures["risk"],
                     "expected_regret": float((part.probability * part.regret).sum()),
                     "max_regret": float(part.regret.max()), "infeasible_in": int((part.status == "infeasible").sum())})
    return pd.DataFrame(rows)


def value_of_information(rp: float, ws: float, eev: float) -> pd.DataFrame:
    """EVPI = WS - RP and VSS = RP - EEV, with the three values (a maximised objective)."""
    return pd.DataFrame([
        {"measure": "WS", "value": ws, "meaning": "wait-and-see: every scenario planned with perfect foresight"},
        {"measure": "RP", "value": rp, "meaning": "the stochastic plan (one first stage for all scenarios)"},
        {"measure": "EEV", "value": eev, "meaning": "the mean-value scenario's first stage, recourse per scenario"},
        {"measure": "EVPI", "value": ws - rp, "meaning": "WS - RP: what perfect information would be worth"},
        {"measure": "VSS", "value": rp - eev, "meaning": "RP - EEV: what hedging earns over planning for the mean"},
    ])
