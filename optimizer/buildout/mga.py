"""Near-optimal alternatives of a build-out (MGA, as ``optimizer.mga`` for one period).

Hold the objective within ``slack`` of the optimum (max objectives: k >= k* - slack |k*| under the exact
laws; min_cost: discounted cost <= (1 + slack) C*), then minimise and maximise one category's
discounted spend: sites, hardware, energy or opex.

The alternatives keep the optimum's menu (each release's model and campus, each period's thinking option)
and move sites, purchases, their timing and the runs, at the stage-2 gap (``STAGE2_GAP``), for at most
``ALTERNATIVE_SECONDS`` each: with the menu free, minimising the hardware spend of the 2026-2030 build-out
ran for over 10 minutes and 3 GB of branch-and-bound tree, and maximising it with the menu fixed did too.
The floor holds for the model; the row reports the plan's exact-law capability beside it.
"""

from __future__ import annotations

import pandas as pd
import pyomo.core as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from optimizer.buildout.model import build_buildout
from optimizer.buildout.results import point_row
from optimizer.buildout.solve import STAGE2_GAP, configure, exact_values, fix_menu, solve_buildout_model
from optimizer.errors import SolveError
from optimizer.model.objective import FLOOR_OFF
from optimizer.schema import Scenario
from optimizer.solver import persistent_highs, run

# seconds per alternative: an alternative needs to be a plan within the slack, not a proven extreme; the
# table's ``proven`` column says whether HiGHS closed its gap in time
ALTERNATIVE_SECONDS = 60.0


def discounted_spend(m, category: str):
    """The category's share of the discounted total cost [1e9 USD]."""
    line = m.timeline
    if category == "sites":
        return sum(line.discount[p] * m.cost_sites[p] for p in m.PERIODS)
    if category == "hardware":
        return sum(line.discount[p] * m.cost_hardware[p] for p in m.PERIODS)
    if category == "energy":
        return sum(line.discount[p] * m.run_energy[p] + line.weight[p] * m.serving_energy_per_year[p]
                   for p in m.PERIODS)
    return sum(line.weight[p] * m.opex_per_year[p] for p in m.PERIODS)


CATEGORIES = ("sites", "hardware", "energy", "opex")


def near_optimal_buildout(sc: Scenario, category: str, slack: float) -> pd.DataFrame:
    """Rows 'optimal', 'min <category>' and 'max <category>' with the plan at each."""
    m = build_buildout(sc)
    best = solve_buildout_model(m, duals=False)
    rows = [{"alternative": "optimal", **point_row(m, best), f"spend_{category}_usd": pyo.value(
        discounted_spend(m, category)) * 1e9}]
    maximise = sc.objective != "min_cost"
    floor = best.objective - slack * abs(best.objective)
    if maximise:  # the model holds a tolerance above the floor, so the exact laws clear it at the plan
        m.objective_floor.value = floor + sc.approximation.tolerance * max(1.0, abs(floor))
    else:
        m.cost_ceiling = pyo.Constraint(expr=m.total_cost <= (1 + slack) * best.objective,
                                        doc="discounted cost within the slack of the optimum")
    m.objective.deactivate()
    for sense, label in ((pyo.minimize, "min"), (pyo.maximize, "max")):
        m.alternative_objective = pyo.Objective(expr=discounted_spend(m, category), sense=sense)
        solver = persistent_highs(m, rel_gap=max(sc.approximation.mip_rel_gap, STAGE2_GAP))
        configure(solver)
        menu = fix_menu(solver, m)
        result = run(solver, m, time_limit=ALTERNATIVE_SECONDS)
        proven = result.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
        if result.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
            raise SolveError(f"({sc.name}, alternatives) | HiGHS found no plan within the slack for {label} "
                             f"{category} ({result.termination_condition.name}). Fix: raise --slack")
        result.solution_loader.load_vars()
        exact = exact_values(m)
        best.objective = exact["capability"] if maximise else pyo.value(m.total_cost)
        best.refinement_cuts, best.duals = 0, {}
        rows.append({"alternative": f"{label} {category}", **point_row(m, best), "proven": proven,
                     f"spend_{category}_usd": pyo.value(discounted_spend(m, category)) * 1e9})
        m.del_component(m.alternative_objective)
        for var in menu:
            var.unfix()
    m.objective_floor.value = FLOOR_OFF
    table = pd.DataFrame(rows)
    table[f"share_{category}"] = table[f"spend_{category}_usd"] / table.total_cost_usd
    return table
