"""``optimizer robust``: the two-stage plan, its value against perfect information and the mean-value plan,
and the regret of every candidate first stage in every scenario (``stochastic`` and ``evaluate``)."""

from __future__ import annotations

import math
import sys

import pandas as pd

from optimizer.schema import Scenario
from optimizer.uncertainty.evaluate import candidate_summary, regret_table, solve_many, value_of_information
from optimizer.uncertainty.sampling import enumerate_regimes, mean_point, sample
from optimizer.uncertainty.saved import SavedSolves, task_key
from optimizer.uncertainty.stochastic import (
    EF_GAP,
    EF_TIME_LIMIT,
    EXPECTATION,
    Program,
    Risk,
    build_extensive_form,
    first_stage_values,
    program,
    risk_measures,
    solve_extensive_form,
)

SCENARIO_TIME_LIMIT = 120.0  # seconds per single-scenario solve; most take 3-15 s, a few hard ones minutes
MAX_PERFECT_CANDIDATES = 8  # each scenario's own perfect-foresight first stage is a candidate up to this many


def scenarios_of(sc: Scenario, count: int | None, method: str, seed: int, first_stage_periods: int) -> Program:
    """Every regime combination (``count`` None, regimes only) or ``count`` sampled scenarios."""
    if count is None:
        return program(sc, enumerate_regimes(sc), first_stage_periods, enumerated=True)
    return program(sc, sample(sc, count, method, seed), first_stage_periods)


def at_gap(sc: Scenario, gap: float) -> Scenario:
    """``sc`` solved to the relative MIP gap ``gap`` (or its own, if finer is not asked): every solve of the
    analysis (the EF, each scenario alone, each candidate's recourse) stops at the same gap."""
    from optimizer.sweeps import point_scenario

    if gap <= sc.approximation.mip_rel_gap:
        return sc
    return point_scenario(sc, {"approximation.mip_rel_gap": gap})


def first_stage_table(prog: Program, plans: dict[str, dict[tuple, float] | None]) -> pd.DataFrame:
    """Tidy first-stage decisions: decision (start or buy), hardware, site, period, then one column per plan."""
    keys = next(iter(p for p in plans.values() if p))
    rows = []
    for key in keys:
        kind, *rest = key
        hardware, site, period = (rest if kind == "buy" else ["", *rest])
        row = {"decision": "sites started" if kind == "start" else "nodes bought", "hardware": hardware,
               "site": site, "period": period}
        for name, plan in plans.items():
            amount = plan.get(key, math.nan) if plan else math.nan
            row[name] = amount * (1e3 if kind == "buy" else 1) + 0.0  # no -0.0
        rows.append(row)
    table = pd.DataFrame(rows)
    numbers = [c for c in table.columns if c not in ("decision", "hardware", "site", "period")]
    return table[(table[numbers].abs() > 1e-9).any(axis=1)].reset_index(drop=True)


SOLVERS = ("highs", "mpisppy-ef", "ph")


def robust_tables(sc: Scenario, *, scenarios: int | None = None, method: str = "lhs", seed: int = 0,
                  first_stage_periods: int = 1, risk: Risk = EXPECTATION, solver: str = "highs", ph_rho: float = 0.1,
                  ph_iterations: int = 50, time_limit: float | None = SCENARIO_TIME_LIMIT, gap: float = EF_GAP,
                  ef_time_limit: float | None = EF_TIME_LIMIT,
                  perfect_candidates: int = MAX_PERFECT_CANDIDATES, workers: int = 1,
                  progress: bool = False, journal=None) -> dict[str, pd.DataFrame]:
    """Solve the two-stage plan and every comparison; tables ``robust_value`` (WS, RP, EEV, EVPI, VSS),
    ``robust_first_stage``, ``robust_scenarios``, ``robust_regret`` and ``robust_candidates``.

    ``solver``: 'highs' (the extensive form here, with adaptive refinement and CVaR), 'mpisppy-ef' or 'ph'
    (mpi-sppy, expectation only; its first stage is then re-solved per scenario under the exact laws).
    ``journal``: an ``optimizer.journal.Journal`` that saves every finished solve and holds those of an
    interrupted run of the same problem (``--resume``)."""
    from tqdm import tqdm

    from optimizer.errors import ScenarioError
    from optimizer.sweeps import point_scenario

    if solver not in SOLVERS:
        raise ScenarioError("--solver", solver, "unknown two-stage solver", f"use one of {', '.join(SOLVERS)}")
    if solver != "highs" and risk.omega > 0:
        raise ScenarioError("--cvar-weight", str(risk.omega), "CVaR is built into the HiGHS extensive form only",
                            "use --solver highs, or --cvar-weight 0 with mpi-sppy")
    if not ph_rho > 0:
        raise ScenarioError("--ph-rho", str(ph_rho), "must be > 0", "use e.g. --ph-rho 0.1")
    if ph_iterations < 1:
        raise ScenarioError("--ph-iterations", str(ph_iterations), "must be at least 1", "use e.g. 50")
    if not 0 <= gap < 1:
        raise ScenarioError("--gap", str(gap), "must be in [0, 1)", "use e.g. --gap 1e-4")
    if ef_time_limit is not None and not ef_time_limit > 0:
        raise ScenarioError("--ef-time-limit", str(ef_time_limit), "must be > 0 seconds", "use e.g. 300")
    sc = at_gap(sc, gap)
    prog = scenarios_of(sc, scenarios, method, seed, first_stage_periods)  # each scenario inherits the gap
    k = len(prog.names)
    perfect = k <= perfect_candidates
    bar = tqdm(total=k + 1 + k + (k * k if perfect else 0) + 1 + k, disable=not progress, unit="solve",
               desc="robust", file=sys.stderr)
    periods = prog.first_periods

    saved = SavedSolves(journal)

    def batch(plans: dict[str, dict | None], keep_values: bool = False, scenarios=None) -> dict[str, list[dict]]:
        """Each first stage in ``plans`` (None: free) solved in every scenario (``scenarios``: these instead),
        in parallel; solves saved in an earlier run of the same problem are re-used, new ones saved at once."""
        scenarios = prog.scenarios if scenarios is None else scenarios
        keys = [task_key(name, i, plan) for name, plan in plans.items() for i in range(len(scenarios))]
        tasks = [(sc_k, plan, periods, time_limit) for plan in plans.values() for sc_k in scenarios]
        flat = [saved.get(key, keep_values) for key in keys]
        todo = [i for i, result in enumerate(flat) if result is None]
        bar.update(len(keys) - len(todo))

        def finished(j, result):
            saved.put(keys[todo[j]], result, keep_values)
            bar.update(1)
        for j, result in enumerate(solve_many([tasks[i] for i in todo], workers, finished)):
            flat[todo[j]] = result
        n = len(scenarios)
        return {name: flat[i * n:(i + 1) * n] for i, name in enumerate(plans)}

    def solve_first_stage(start):
        """The stochastic first stage, solved and saved (or found in an interrupted run's journal)."""
        found = saved.first_stage()
        if found is None:
            found_stats = []
            stochastic, outcome = stochastic_first_stage(prog, risk, solver, ph_rho, ph_iterations, ef_time_limit,
                                                         gap, start, found_stats)
            saved.put_first_stage(stochastic, outcome, found_stats)
            found = stochastic, outcome, found_stats
        bar.update(1)
        return found

    with bar:
        early = solve_first_stage(None) if solver != "highs" else None  # mpi-sppy needs no start: PH's ranks go now
        best = batch({"perfect": None})["perfect"]
        mean_plan = batch({"mean-plan": None}, scenarios=[point_scenario(sc, mean_point(sc))])["mean-plan"][0]
        plans = {"mean-value": mean_plan["first"]}
        if perfect:
            plans.update({f"perfect:{name}": own["first"] for name, own in zip(prog.names, best)
                          if own["first"] is not None})
        candidates = {"mean-value": [{"status": "mean-value infeasible", "objective": -math.inf, "cost": math.nan}
                                     for _ in prog.names]} if mean_plan["first"] is None else {}
        shown = {name: plan for name, plan in plans.items() if plan is not None}
        if "mean-value" in shown:
            candidates.update(batch({"mean-value": shown.pop("mean-value")}, keep_values=True))
        candidates.update(batch(shown))
        start = (dict(zip(prog.names, (o["values"] for o in candidates["mean-value"])))
                 if all(o.get("values") for o in candidates["mean-value"]) else None)
        stochastic, outcome, stats = early or solve_first_stage(start)
        candidates = {"stochastic": batch({"stochastic": stochastic})["stochastic"], **candidates}
    probability = dict(zip(prog.names, prog.probabilities))

    def measures(outcomes):
        return risk_measures({s: o["objective"] for s, o in zip(prog.names, outcomes)}, probability, risk)
    regret = regret_table(prog, candidates, best)
    rp = measures(candidates["stochastic"])
    ws_risk = measures(best)["risk"]
    value = value_of_information(rp["risk"], ws_risk, measures(candidates["mean-value"])["risk"])
    scale = 1e9 if sc.objective == "min_cost" else 1.0
    extra = [{"measure": "expected", "value": rp["expected"], "meaning": "E[k] of the stochastic plan"},
             {"measure": f"CVaR_{risk.alpha:g}", "value": rp["cvar"],
              "meaning": f"mean of the worst {1 - risk.alpha:.0%} of outcomes of the stochastic plan"},
             {"measure": "expected_cost_usd", "meaning": "expected discounted cost of the stochastic plan",
              "value": sum(p * o["cost"] for p, o in zip(prog.probabilities, candidates["stochastic"])) * 1e9}]
    if outcome is not None:
        check = max(abs(outcome.per_scenario[s] - o["objective"]) for s, o in zip(prog.names, candidates["stochastic"]))
        extra += [{"measure": "recourse_check", "value": check * scale, "meaning": (
                      "largest |k_s in the EF - k_s re-solved with the stochastic first stage fixed| (expected ~0)")},
                  {"measure": "ef_status", "value": float(outcome.status == "optimal"), "meaning": (
                      f"1: the EF reached its gap; 0: stopped at the time limit ({outcome.status})")},
                  {"measure": "ef_bound", "value": outcome.bound, "meaning": (
                      "HiGHS's bound on R (model units): no first stage does better than this")},
                  {"measure": "ef_gap", "value": gap, "meaning": "relative MIP gap asked of the EF"},
                  {"measure": "ef_achieved_gap", "value": outcome.achieved_gap, "meaning": (
                      "|bound - incumbent| / |incumbent| of the EF's R when it stopped")},
                  {"measure": "refinement_solves", "value": outcome.solves, "meaning": "EF solves (refinement)"},
                  {"measure": "highs_seconds", "value": outcome.seconds, "meaning": "HiGHS time on the EF"}]
    extra += [{"measure": key, "value": v, "meaning": meaning} for key, v, meaning in stats]
    bound = outcome.bound if outcome is not None else {key: v for key, v, _ in stats}.get("ph_outer_bound")
    extra.append({"measure": "rp_certified_gap", "value": certified_gap(rp["risk"], ws_risk, bound, gap),
                  "meaning": "(upper bound - RP) / |RP|, the bound the least of WS (1 + gap) and the EF's or PH's "
                             "outer bound: how far the stochastic plan can be from the best first stage"})
    limited = sum(o["status"] == "time limit" for outcomes in (best, *candidates.values()) for o in outcomes)
    extra.append({"measure": "solves_at_time_limit", "value": limited, "meaning": (
        f"single-scenario solves stopped at --time-limit ({time_limit} s): their objective is a lower bound")})
    value = pd.concat([value, pd.DataFrame(extra)], ignore_index=True)
    plans = {"stochastic": stochastic, "mean-value": mean_plan["first"],
             **{f"perfect:{s}": o["first"] for s, o in zip(prog.names, best)}}
    scenario_rows = pd.DataFrame([{"scenario": s, "probability": p, **{f"regime:{g}": r for g, r in regimes.items()},
                                   **{f"in:{path}": v for path, v in point.items()},
                                   "objective_stochastic": o["objective"], "objective_perfect": ws["objective"],
                                   "status_perfect": ws["status"]}
                                  for s, p, regimes, point, o, ws in zip(
                                      prog.names, prog.probabilities, prog.regimes, points_of(prog),
                                      candidates["stochastic"], best)])
    tables = {"robust_value": value, "robust_first_stage": first_stage_table(prog, plans),
              "robust_scenarios": scenario_rows, "robust_regret": regret,
              "robust_candidates": candidate_summary(regret, risk)}
    return in_units(tables, sc.objective)


def certified_gap(rp: float, ws: float, ef_bound: float | None, gap: float) -> float:
    """Relative distance from RP to an upper bound on the best first stage's R: wait-and-see bounds every
    first stage (WS_s >= k_s(x) in each scenario, and R is monotone), each WS_s solved to the relative
    ``gap``; HiGHS's EF bound is another (on the model's R, which over-estimates the exact laws)."""
    bounds = [ws + gap * abs(ws)] + ([ef_bound] if ef_bound is not None and math.isfinite(ef_bound) else [])
    return (min(bounds) - rp) / max(1e-12, abs(rp))


def stochastic_first_stage(prog: Program, risk: Risk, solver: str, ph_rho: float, ph_iterations: int,
                           ef_time_limit: float | None, gap: float, start: dict | None, stats: list):
    """(x, the HiGHS EF outcome or None): the first stage shared by every scenario. The HiGHS EF starts
    from ``start`` (the mean-value first stage with each scenario's recourse: feasible, so the stochastic
    plan is never worse than the mean-value plan, even at a time limit)."""
    if solver == "highs":
        ef = build_extensive_form(prog, risk)
        outcome = solve_extensive_form(ef, time_limit=ef_time_limit, gap=gap, start=start)
        return first_stage_values(ef, prog.first_periods), outcome
    from optimizer.uncertainty import mpisppy_bridge

    if solver == "mpisppy-ef":
        objective, first = mpisppy_bridge.extensive_form(prog)
        stats.append(("mpisppy_objective", objective, "mpi-sppy EF objective (fixed tangent cuts)"))
    elif mpisppy_bridge.launched()[1] > 1:  # under mpiexec: a hub and spokes over the ranks, with both bounds
        found = mpisppy_bridge.progressive_hedging_across_ranks(prog, rho=ph_rho, iterations=ph_iterations, gap=gap,
                                                                time_limit=ef_time_limit)
        first = found.first
        stats += [("ph_inner_bound", found.inner, "the x-hat spoke's best first stage, evaluated in every scenario "
                                                  "(fixed tangent cuts)"),
                  ("ph_outer_bound", found.outer, "no first stage does better: the " + (
                      "Lagrangian spoke's bound" if "lagrangian" in found.cylinders else
                      "wait-and-see bound (no Lagrangian spoke with an even rank count)") + " (fixed tangent cuts)"),
                  ("ph_gap", (found.outer - found.inner) / max(1e-12, abs(found.inner)),
                   "(outer - inner) / |inner| when PH stopped"),
                  ("ph_iterations", found.iterations, "PH iterations"),
                  ("mpi_ranks", found.ranks, f"ranks, shared by the cylinders {', '.join(found.cylinders)}")]
    else:
        objective, first, iterations = mpisppy_bridge.progressive_hedging(prog, rho=ph_rho, iterations=ph_iterations)
        stats += [("ph_objective", objective, "PH's expected objective (fixed tangent cuts)"),
                  ("ph_iterations", iterations, "PH iterations")]
    # whole site starts; purchases below 1e-6 nodes (solver round-off in mpi-sppy's x) are none
    return {key: (round(v) if key[0] == "start" else (0.0 if abs(v) < 1e-9 else v)) for key, v in first.items()}, None


OBJECTIVE_COLUMNS = {"robust_value": ["value"], "robust_scenarios": ["objective_stochastic", "objective_perfect"],
                     "robust_regret": ["objective", "best", "regret"],
                     "robust_candidates": ["expected_objective", "cvar", "risk_adjusted", "expected_regret",
                                           "max_regret"]}
MODEL_ROWS = ("WS", "RP", "EEV", "EVPI", "VSS", "expected", "ef_bound", "mpisppy_objective", "ph_objective",
              "ph_inner_bound", "ph_outer_bound")  # in the objective's units


def in_units(tables: dict[str, pd.DataFrame], objective: str) -> dict[str, pd.DataFrame]:
    """Objective values with their unit: capability [-], or for min_cost minus the discounted cost in USD
    (so that larger is better everywhere and EVPI, VSS and regret read as USD)."""
    scale, unit = (1e9, "-cost [USD]") if objective == "min_cost" else (1.0, "capability [-]")
    for name, columns in OBJECTIVE_COLUMNS.items():
        table = tables[name]
        rows = table["measure"].isin(MODEL_ROWS) | table["measure"].str.startswith("CVaR") \
            if name == "robust_value" else slice(None)
        for column in columns:
            table.loc[rows, column] = table.loc[rows, column] * scale
        if name == "robust_value":
            table["unit"] = ""
            table.loc[rows, "unit"] = unit
            table.loc[table.measure == "expected_cost_usd", "unit"] = "USD"
            table.loc[table.measure == "highs_seconds", "unit"] = "s"
        else:
            table.insert(len(table.columns), "unit", unit)
    return tables


def points_of(prog: Program) -> list[dict[str, float]]:
    """The uncertain inputs of each scenario, read back from its validated scenario."""
    from optimizer.scenario import get_path

    spec = prog.base.uncertainty
    paths = list(spec.parameters) + sorted({path for g in spec.regimes.values() for o in g.options.values()
                                            for path in o.values})
    return [{path: get_path(sc, path) for path in paths} for sc in prog.scenarios]
