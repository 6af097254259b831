"""Near-optimal alternatives (modelling to generate alternatives, as in PyPSA and Calliope).

Given the optimum, hold the objective within ``slack`` of it,

* max_capability: K >= K* - slack |K*|;
* min_cost:       cost <= (1 + slack) cost*;

then minimise and maximise the spend on one workload. When the budget binds, the spend is the
workload's share of the budget; the table reports the share of total cost either way.

``objective_value`` is the scenario's objective in every row (capability index, or total cost in
1e9 USD for min_cost), so the rows compare; ``spend_<workload>_usd`` is what each alternative moved.
"""

from __future__ import annotations

import pandas as pd
import pyomo.core as pyo

from optimizer.errors import ScenarioError
from optimizer.model import build_model
from optimizer.results import point_row
from optimizer.schema import Scenario
from optimizer.solver import new_solver, solve_model, solve_with

WORKLOADS = {"pretraining": "cost_pretraining", "rl": "cost_rl", "inference": "cost_inference", "sites": "cost_sites"}


def near_optimal(sc: Scenario, workload: str, slack: float) -> pd.DataFrame:
    """Rows 'optimal', 'min <workload>' and 'max <workload>' with the plan at each."""
    if sc.periods is not None:
        from optimizer.buildout.mga import CATEGORIES, near_optimal_buildout

        check_slack(slack)
        if workload not in CATEGORIES:
            raise ScenarioError("--share", workload, "unknown spend category of a build-out",
                                f"use one of {', '.join(CATEGORIES)}")
        return near_optimal_buildout(sc, workload, slack)
    if workload not in WORKLOADS:
        raise ScenarioError("--share", workload, "unknown workload", f"use one of {', '.join(WORKLOADS)}")
    check_slack(slack)
    m = build_model(sc, mutable=())
    best = solve_model(m)
    rows = [{"alternative": "optimal", **point_row(m, best)}]
    spend = getattr(m, WORKLOADS[workload])
    if sc.objective == "max_capability":
        m.capability_target.value = best.objective - slack * abs(best.objective)
    else:
        m.cost_ceiling = pyo.Constraint(expr=m.total_cost <= (1 + slack) * best.objective,
                                        doc="total cost within the slack of the optimum")
    m.objective.deactivate()
    for sense, label in ((pyo.minimize, "min"), (pyo.maximize, "max")):
        m.alternative_objective = pyo.Objective(expr=spend, sense=sense)
        outcome = solve_with(new_solver(m), m, duals=False, objective="active")
        row = point_row(m, outcome)
        row["objective_value"] = pyo.value(m.capability if sc.objective == "max_capability" else m.total_cost)
        rows.append({"alternative": f"{label} {workload}", **row})
        m.del_component(m.alternative_objective)
    table = pd.DataFrame(rows)
    table[f"share_{workload}"] = table[f"spend_{workload}_usd"] / table.total_cost_usd
    return table


def check_slack(slack) -> None:
    if isinstance(slack, bool) or not isinstance(slack, (int, float)) or not 0 <= slack < 1:
        raise ScenarioError("--slack", str(slack), "slack must be in [0, 1)", "use e.g. 0.05 for 5%")
