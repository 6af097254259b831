"""Solve a built model with HiGHS (Pyomo's persistent interface) and fail loudly unless optimal.

Marginal values come from a second, continuous solve with every integer and
binary fixed at its optimum (PyPSA's approach): the LP's duals are
d objective / d right-hand side, i.e. the value of one more unit of budget,
power or data given the chosen sites and menu options.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.errors import InfeasibleError, SolveError
from optimizer.model.objective import FLOOR_OFF, use_objective

INFEASIBLE = {TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded}


@dataclass
class SolveOutcome:
    """Status and objective of one solve; ``duals`` maps marginal-value names to numbers (model units)."""

    status: str
    objective: float
    bound: float | None
    seconds: float
    duals: dict[str, float] = field(default_factory=dict)


def new_solver(m: pyo.ConcreteModel) -> Highs:
    """A persistent HiGHS solver holding ``m``; change mutable Params and call ``solve_with`` again.

    Structural edits (new constraints, objectives, variables) need a new solver."""
    return persistent_highs(m, rel_gap=m.scenario.approximation.mip_rel_gap)


# re-solves change only Param values (and, for the dual twin, fixed variables): skip the rest
STRUCTURAL_CHECKS = ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                     "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                     "update_named_expressions", "update_objective")


def persistent_highs(m: pyo.ConcreteModel, *, rel_gap: float | None = None, variables_change: bool = False) -> Highs:
    """Pyomo's persistent HiGHS holding ``m``, checking before each solve only what may change."""
    solver = Highs()
    config = solver.config
    config.load_solutions = False
    config.raise_exception_on_nonoptimal_result = False
    config.rel_gap = rel_gap
    config.solver_options["output_flag"] = False  # no log for Pyomo to capture: saves time per solve
    for check in STRUCTURAL_CHECKS + (() if variables_change else ("update_vars",)):
        setattr(config.auto_updates, check, False)
    solver.set_instance(m)
    # no HiGHS log at all, also for the coefficient updates Pyomo pushes before each solve
    solver._solver_model.setOptionValue("output_flag", False)
    return solver


def run(solver: Highs, m: pyo.ConcreteModel, **options):
    """``solver.solve`` that turns a Ctrl-C or SIGTERM HiGHS swallowed into an exception (``interrupts``)."""
    from optimizer.interrupts import check

    try:
        result = solver.solve(m, **options)
    except Exception:
        check()  # a signal inside HiGHS's callback can surface as a solver error: report the signal
        raise
    check()
    return result


def solve_model(m: pyo.ConcreteModel, *, duals: bool = True, time_limit: float | None = None) -> SolveOutcome:
    """Solve ``m`` once (optimal or an exception) and, if asked, attach marginal values."""
    return solve_with(new_solver(m), m, duals=duals, time_limit=time_limit)


def solve_with(solver: Highs, m: pyo.ConcreteModel, *, duals: bool = True, time_limit: float | None = None,
               explain: bool = True, objective: str | None = None, dual_twin: DualTwin | None = None) -> SolveOutcome:
    """Re-solve ``m`` on a persistent solver; load values; raise on infeasible or non-optimal.

    ``objective`` defaults to the scenario's. max_capability is lexicographic: stage 1 finds K*;
    stage 2 minimises cost subject to K >= K* - tol max(1, |K*|), so the plan does not buy what adds
    no capability. min_cost reports the cost (the model maximises -cost). 'active' solves whatever
    objective is active once, as it is (near-optimal alternatives). Marginal values come from
    ``dual_twin`` when a sweep keeps one for ``m``, else from a fresh twin.
    """
    objective_kind = objective or m.scenario.objective
    first = _optimal(run(solver, m, time_limit=time_limit), m, explain)
    objective, bound, seconds = first.incumbent_objective, first.objective_bound, _seconds(first)
    if objective_kind == "min_cost":
        objective, bound = -objective, (None if bound is None else -bound)  # max -cost -> cost
    if objective_kind == "max_capability":
        tol = m.scenario.approximation.capability_tolerance
        m.capability_target.value = objective - tol * max(1.0, abs(objective))
        use_objective(m, "min_cost")
        try:
            second = _optimal(run(solver, m, time_limit=time_limit), m, explain=False)
        finally:
            use_objective(m, "max_capability")
            m.capability_target.value = FLOOR_OFF
        seconds += _seconds(second)
        second.solution_loader.load_vars()
    else:
        first.solution_loader.load_vars()
    outcome = SolveOutcome("optimal", float(objective), bound, seconds)
    if duals:
        outcome.duals = (dual_twin or DualTwin(m)).values()
    return outcome


def _optimal(result, m: pyo.ConcreteModel, explain: bool):
    """``result`` if HiGHS proved optimality; otherwise raise InfeasibleError (explained) or SolveError."""
    term = result.termination_condition
    if term in INFEASIBLE:
        if explain:
            from optimizer.infeasibility import explain_infeasibility
            raise explain_infeasibility(m)
        raise InfeasibleError(m.name, [])
    if term != TerminationCondition.convergenceCriteriaSatisfied or result.solution_status != SolutionStatus.optimal:
        raise SolveError(f"({m.name}, solver) | HiGHS stopped with '{term.name}' and no proven optimum "
                         f"(solution status '{result.solution_status.name}'). Fix: raise the time limit or "
                         "approximation.mip_rel_gap, or check the scenario for unbounded spending.")
    return result


def _seconds(result) -> float:
    return float(getattr(result.timing_info, "wall_time", 0.0) or 0.0)


class DualTwin:
    """A continuous copy of ``m`` on its own persistent HiGHS, for marginal values.

    Built once (clone, relax integers, load into HiGHS); before each LP solve it copies m's mutable
    Param values and fixes its relaxed integers at m's current values, so a sweep never re-clones."""

    def __init__(self, m: pyo.ConcreteModel):
        self.lp = m.clone()
        variables = zip(m.component_data_objects(pyo.Var, descend_into=True),
                        self.lp.component_data_objects(pyo.Var, descend_into=True), strict=True)
        self.integers = [(var, twin) for var, twin in variables if var.is_integer()]
        params = zip(m.component_objects(pyo.Param, descend_into=True),
                     self.lp.component_objects(pyo.Param, descend_into=True), strict=True)
        self.params = [(param[i], twin[i]) for param, twin in params if param.mutable for i in param]
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(self.lp)
        self.solver = persistent_highs(self.lp, variables_change=True)

    def values(self) -> dict[str, float]:
        """Duals at m's current solution: budget [obj / 1e9 USD], power [obj / MW], unique data
        [obj / 1e12 tokens], and for min_cost the capability floor [1e9 USD / index point]."""
        for param, twin in self.params:
            twin.value = param.value
        for var, twin in self.integers:
            if var.value is None:
                twin.unfix()
            else:
                twin.fix(round(var.value))
        lp = self.lp
        # solve from scratch, not from the last point's basis: a degenerate LP has many dual solutions,
        # and a sweep's duals must not depend on the order of its points or on how they are chunked
        self.solver._solver_model.clearSolver()  # the highspy.Highs the persistent interface holds
        result = run(self.solver, lp)
        if result.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
            return {}
        dual = result.solution_loader.get_duals()
        values = {"budget": dual.get(lp.budget, 0.0)}
        for s in lp.SITES:
            values[f"power[{s}]"] = dual.get(lp.power[s], 0.0)
        values["unique_data"] = unique_data_value(lp, dual)
        if lp.scenario.objective == "min_cost":
            values["capability_floor"] = dual.get(lp.capability_floor, 0.0)
        return values


def unique_data_value(lp: pyo.ConcreteModel, dual) -> float:
    """d objective / d U by the envelope theorem: sum of each data constraint's dual x its U coefficient."""
    epochs = pyo.value(lp.p_data_max_epochs)
    total = dual.get(lp.data_stock, 0.0) * epochs
    cuts = lp.approximations.repetition
    total += sum(dual.get(lp.repetition_value[j], 0.0) * float(cuts.intercepts[j]) for j in lp.REPETITION_CUTS)
    total += sum(dual.get(lp.tokens_only_for_chosen[k], 0.0) * epochs * round(pyo.value(sum(
        lp.pick[k, t] for t in lp.THINKING))) for k in lp.MODELS)
    return total
