"""Marginal values: the LP with every integer fixed at the plan, solved on the MILP's own HiGHS model.

PyPSA's approach: fix the integer and binary choices at the optimum, re-solve as an LP and read the
row duals, d objective / d right-hand side: the value of one more unit of budget, power or data given
the chosen sites and menu options. Units: budget [objective / 1e9 USD], power [objective / MW of
``sites.s.power_mw``, i.e. one more MW at every campus of the type built], unique data [objective /
1e12 tokens], and for min_cost the capability floor [1e9 USD / index point]. Power and data are
parameters that sit in several rows; their value is the sum over those rows (envelope theorem).

The LP is the persistent solver's own HiGHS model, changed in place and restored after:

1. the exact laws' tangents at the plan are added (``solution_tangents``), so the duals are the exact
   laws' marginal values at the plan, not the subgradient of whichever pool cuts meet there;
2. each integer column's bounds are set to its value at the plan and its integrality relaxed;
3. HiGHS's solver state is cleared and the LP solved from scratch (a degenerate LP has many dual
   solutions: a sweep's duals must not depend on the order of its points or how they are chunked);
4. bounds, integrality and cuts are restored, so the next MILP sees the model it had.

No clone and no second model: at 48k variables the continuous twin this replaces (a clone of the
model on its own persistent HiGHS) took 8.9 s to build per worker.
"""

from __future__ import annotations

import contextlib

import highspy
import numpy as np
import pyomo.core as pyo

from optimizer.errors import SolveError
from optimizer.interrupts import check, solving


class RowDuals:
    """Row duals by Pyomo constraint (``get`` like a dict), read from HiGHS's solution."""

    def __init__(self, solver, row_dual):
        self.rows, self.row_dual = solver._pyomo_con_to_solver_con_map, row_dual

    def get(self, constraint, default: float = 0.0) -> float:
        row = self.rows.get(constraint)
        return default if row is None else float(self.row_dual[row])


def marginal_values(solver, m: pyo.ConcreteModel) -> dict[str, float]:
    """Duals of budget, power per site type, unique data (and the capability floor for min_cost) at
    m's current plan, from the fixed-integer LP on ``solver``'s HiGHS model; {} if the LP fails."""
    from optimizer.model.refinement import add_cuts, new_cuts, remove_cuts, solution_tangents

    at_plan = new_cuts(m, solution_tangents(m))
    add_cuts(m, at_plan, solver)
    try:
        with integers_fixed(solver, m) as dual:
            return {} if dual is None else named_duals(m, dual)
    finally:
        remove_cuts(m, at_plan, solver)


@contextlib.contextmanager
def integers_fixed(solver, m: pyo.ConcreteModel):
    """Solve ``solver``'s HiGHS model as the LP with every integer column fixed at m's plan and relaxed, and
    yield its ``RowDuals`` (None if the LP fails); bounds and integrality are restored on exit."""
    from optimizer.solver import sync_parameters

    highs = solver._solver_model
    sync_parameters(solver, m)  # the scenario's objective weights, restored after the stages
    integers = [var for var in m.component_data_objects(pyo.Var, descend_into=True) if var.is_integer()]
    # HiGHS reads an index set only in increasing order (an unsorted one fails and changes nothing)
    at = sorted((solver._pyomo_var_to_solver_var_map[id(var)], round(var.value or 0)) for var in integers)
    columns = np.array([column for column, _ in at], dtype=np.int32)
    plan = np.array([value for _, value in at], dtype=float)
    status, _, _, lower, upper, _ = highs.getCols(len(columns), columns)
    if status != highspy.HighsStatus.kOk:
        raise SolveError(f"({m.name}, duals) | HiGHS could not read the integer columns' bounds. Fix: solve with "
                         "--no-duals, and report this")
    lower, upper = np.array(lower, dtype=float), np.array(upper, dtype=float)
    integrality = [highs.getColIntegrality(int(column))[1] for column in columns]
    try:
        fixed = highs.changeColsBounds(len(columns), columns, plan, plan)
        relaxed = highs.changeColsIntegrality(len(columns), columns,
                                              np.array([highspy.HighsVarType.kContinuous] * len(columns)))
        dual = None
        if fixed == highspy.HighsStatus.kOk and relaxed == highspy.HighsStatus.kOk:
            highs.clearSolver()
            with solving(highs):
                highs.run()
            check()
            solution = highs.getSolution()
            if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal and solution.dual_valid:
                dual = RowDuals(solver, list(solution.row_dual))
        yield dual
    finally:
        highs.changeColsIntegrality(len(columns), columns, np.array(integrality))
        highs.changeColsBounds(len(columns), columns, lower, upper)


def marginal_values_on_a_copy(m: pyo.ConcreteModel) -> tuple[dict[str, float], float]:
    """The same marginal values computed independently, the slow way the engine used before: a clone of m
    with integers fixed and relaxed, the exact tangents at the plan added, on a new persistent HiGHS.
    For tests and benchmarks (it checks ``marginal_values``); returns the duals and HiGHS's LP seconds."""
    import pyomo.environ  # noqa: F401  (registers the transformations, core.relax_integer_vars among them)

    from optimizer.model.refinement import add_cuts, new_cuts, solution_tangents
    from optimizer.solver import persistent_highs, run

    lp = m.clone()
    for var in lp.component_data_objects(pyo.Var, descend_into=True):
        if var.is_integer():
            var.fix(round(var.value))
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(lp)
    add_cuts(lp, new_cuts(lp, solution_tangents(lp)))
    result = run(persistent_highs(lp), lp)
    return named_duals(lp, result.solution_loader.get_duals()), float(result.timing_info.wall_time or 0.0)


def named_duals(m: pyo.ConcreteModel, dual) -> dict[str, float]:
    """The marginal values by name (PyPSA assigns duals by constraint name the same way)."""
    values = {"budget": dual.get(m.budget, 0.0)}
    for s in m.SITES:
        values[f"power[{s}]"] = site_power_value(m, s, dual)
    values["unique_data"] = unique_data_value(m, dual)
    if m.scenario.objective == "min_cost":
        values["capability_floor"] = dual.get(m.capability_floor, 0.0)
    return values


def site_power_value(m: pyo.ConcreteModel, s: str, dual) -> float:
    """d objective / d MW_s (``sites.s.power_mw``, per campus) by the envelope theorem: MW_s bounds the power
    row (x sites built) and, at a coherent site type, the one-campus cap on the run (x host). When both
    bind (a run that fills its campus) their duals may split any way; this sum does not."""
    total = dual.get(m.power[s], 0.0) * round(pyo.value(m.sites_built[s]))
    if s in m.COHERENT:
        total += dual.get(m.one_campus[s], 0.0) * round(pyo.value(m.pretraining_host[s]))
    return total


def unique_data_value(m: pyo.ConcreteModel, dual) -> float:
    """d objective / d U by the envelope theorem: sum of each data constraint's dual x its U coefficient
    (the stock row, the repetition cuts' perspective intercepts, the chosen model's token cap)."""
    from optimizer.model.refinement import tangent_constraints

    epochs = pyo.value(m.p_data_max_epochs)
    total = dual.get(m.data_stock, 0.0) * epochs
    total += sum(dual.get(m.repetition_value[j], 0.0) * pyo.value(m.repetition_intercept[j])
                 for j in m.REPETITION_CUTS)
    total += sum(dual.get(constraint, 0.0) * cut.intercept
                 for cut, constraint in tangent_constraints(m) if cut.term == "repetition")
    total += sum(dual.get(m.tokens_only_for_chosen[k], 0.0) * epochs * round(pyo.value(sum(
        m.pick[k, t] for t in m.THINKING))) for k in m.MODELS)
    return total
