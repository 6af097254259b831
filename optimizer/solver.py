"""Solve a built model with HiGHS (Pyomo's persistent interface) and fail loudly unless optimal.

Marginal values come from a second, continuous solve on the same HiGHS model with
every integer and binary fixed at its optimum (PyPSA's approach, ``optimizer.duals``):
the LP's duals are d objective / d right-hand side, i.e. the value of one more unit
of budget, power or data given the chosen sites and menu options.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

import pyomo.core as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.errors import InfeasibleError, SolveError
from optimizer.model.objective import FLOOR_OFF, use_objective

INFEASIBLE = {TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded}


class _InterruptStatus(logging.Filter):
    """Pyomo's HiGHS interface does not know HiGHS's 'interrupted' status and logs a warning for it; an
    interrupt here is ours (Ctrl-C or SIGTERM cancelled the solve) and is reported as such."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "kInterrupt" not in record.getMessage()


logging.getLogger("pyomo.contrib.solver.solvers.highs").addFilter(_InterruptStatus())


@dataclass
class SolveOutcome:
    """Status and objective of one solve; ``duals`` maps marginal-value names to numbers (model units).

    ``objective`` is exact-law: max_capability reports K of the final plan under the exact laws."""

    status: str
    objective: float
    bound: float | None
    seconds: float
    duals: dict[str, float] = field(default_factory=dict)
    model_objective: float | None = None  # the approximated model's value (max_capability: stage 1's K)
    refinement_cuts: int = 0  # tangent cuts added by adaptive refinement in this solve
    refinement_solves: int = 0  # HiGHS solves, all stages and refinement rounds


def new_solver(m: pyo.ConcreteModel) -> Highs:
    """A persistent HiGHS solver holding ``m``; change mutable Params and call ``solve_with`` again.

    Structural edits (new constraints, objectives, variables) need a new solver."""
    return persistent_highs(m, rel_gap=m.scenario.approximation.mip_rel_gap)


# re-solves change only Param values (refinement fixes integers and says so itself): skip the rest. Param
# values are pushed by ``sync_parameters`` only when one changed: re-sending unchanged objective
# coefficients makes HiGHS drop its incumbent, so every re-solve would start cold
STRUCTURAL_CHECKS = ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                     "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                     "update_named_expressions", "update_objective", "update_parameters")


# HiGHS threads per solve; None lets HiGHS choose. Sweep worker processes set 1: N workers on N cores
# then do not oversubscribe them (a 300-point budget sweep with -j 2 on 2 cores: 28-30 s against 33-34 s)
THREADS: int | None = None


def persistent_highs(m: pyo.ConcreteModel, *, rel_gap: float | None = None) -> Highs:
    """Pyomo's persistent HiGHS holding ``m``, checking before each solve only what may change."""
    solver = Highs()
    config = solver.config
    config.threads = THREADS
    config.load_solutions = False
    config.raise_exception_on_nonoptimal_result = False
    config.rel_gap = rel_gap
    config.solver_options["output_flag"] = False  # no log for Pyomo to capture: saves time per solve
    # no restart after the root (a second presolve): on these small MILPs it costs more than it saves
    # (a 200-point budget sweep: 112 and 124 ms of MILP a point against 125 and 137, alternating runs)
    config.solver_options["mip_allow_restart"] = False
    # refinement verifies the exact laws to ~1e-9: rows must hold that finely (HiGHS defaults to 1e-7)
    config.solver_options.update(primal_feasibility_tolerance=1e-9, mip_feasibility_tolerance=1e-9)
    for check in STRUCTURAL_CHECKS + ("update_vars",):
        setattr(config.auto_updates, check, False)
    solver.set_instance(m)
    # no HiGHS log at all, also for the coefficient updates Pyomo pushes before each solve
    solver._solver_model.setOptionValue("output_flag", False)
    with contextlib.suppress(AttributeError):
        list(_changed(solver))  # record what set_instance sent, so the first re-solve sends only changes
    return solver


def run(solver: Highs, m: pyo.ConcreteModel, **options):
    """``solver.solve`` that turns a Ctrl-C or SIGTERM HiGHS swallowed into an exception (``interrupts``)."""
    from optimizer.interrupts import check, solving

    sync_parameters(solver, m)
    use_threads(solver.config.threads)
    try:
        with solving(getattr(solver, "_solver_model", None)):
            result = solver.solve(m, **options)
    except Exception:
        check()  # a signal inside HiGHS's callback can surface as a solver error: report the signal
        raise
    check()
    return result


_SCHEDULER_THREADS: list = []  # the thread count HiGHS's process-wide scheduler was started with


def use_threads(threads: int | None) -> None:
    """HiGHS starts one scheduler per process with the first solve's thread count and fails ('unknown', no
    solution) a later solve that asks for another: restart the scheduler when the count changes (a build-out
    solves single-threaded, a one-period model with HiGHS's default, in one process)."""
    import highspy

    if _SCHEDULER_THREADS and _SCHEDULER_THREADS[0] != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS[:] = [threads]


def after_foreign_solves() -> None:
    """Another HiGHS user in this process (mpi-sppy) solved with its own thread count: restart the scheduler
    so that the next of our solves starts it with ours."""
    import highspy

    highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS.clear()


def sync_parameters(solver: Highs, m: pyo.ConcreteModel) -> None:
    """Push the model's mutable Param values to HiGHS if any changed since the last push."""
    cached = getattr(solver, "_mutable_parameters", None)
    if cached is None or cached[0] is not m:
        params = [param[i] for param in m.component_objects(pyo.Param, descend_into=True) if param.mutable
                  for i in param]
        solver._mutable_parameters = cached = (m, params)
        solver._pushed_parameters = None
    values = tuple(p.value for p in cached[1])
    if getattr(solver, "_pushed_parameters", None) != values:
        push_changed_values(solver)
        solver._pushed_parameters = values


def push_changed_values(solver: Highs) -> None:
    """Send HiGHS only the coefficients and bounds whose values changed since they were last sent.

    Pyomo's ``update_parameters`` re-sends every coefficient that holds a mutable Param, and HiGHS treats
    any re-sent value as a change to the model: an unchanged objective coefficient sent again drops its
    incumbent, so every re-solve would start cold. This walks the same helpers and sends what differs.
    Pyomo's helper classes are internal: if their shape ever changes, this falls back to
    ``update_parameters`` (correct, only slower)."""
    try:
        changes = list(_changed(solver))
    except AttributeError:
        solver.update_parameters()
        return
    if not changes:
        return
    solver._sol = None  # as update_parameters does: the last solution no longer describes the model
    if solver._last_results_object is not None:
        solver._last_results_object.solution_loader.invalidate()
    for send, arguments in changes:
        send(*arguments)


def _changed(solver: Highs):
    """(HiGHS method, arguments) for each mutable value that differs from the one last sent."""
    sent = solver.__dict__.setdefault("_sent_values", {})
    highs = solver._solver_model
    rows, columns = solver._pyomo_con_to_solver_con_map, solver._pyomo_var_to_solver_var_map

    def differs(helper, current) -> bool:
        if sent.get(id(helper), (None,))[0] == current:
            return False
        sent[id(helper)] = (current, helper)  # the helper is kept so its id is never reused
        return True

    for con, helpers in solver._mutable_helpers.items():
        for helper in helpers:
            if hasattr(helper, "pyomo_var_id"):  # a linear coefficient
                current = pyo.value(helper.expr)
                if differs(helper, current):
                    yield highs.changeCoeff, (rows[con], columns[helper.pyomo_var_id], current)
            else:  # the row's bounds
                current = (pyo.value(helper.lower_expr), pyo.value(helper.upper_expr))
                if differs(helper, current):
                    yield highs.changeRowBounds, (rows[con], *current)
    for _, (_, helper) in solver._mutable_bounds.items():
        current = (pyo.value(helper.lower_expr), pyo.value(helper.upper_expr))
        if differs(helper, current):
            yield highs.changeColBounds, (columns[helper.pyomo_var_id], *current)
    objective = solver._mutable_objective
    if objective.quadratic_coefs:
        raise AttributeError("quadratic objective")  # none here; let Pyomo handle it
    current = pyo.value(objective.constant.expr)
    if differs(objective.constant, current):
        yield highs.changeObjectiveOffset, (current,)
    for helper in objective.linear_coefs:
        current = pyo.value(helper.expr)
        if differs(helper, current):
            yield highs.changeColCost, (columns[helper.pyomo_var_id], current)


def solve_model(m: pyo.ConcreteModel, *, duals: bool = True, time_limit: float | None = None) -> SolveOutcome:
    """Solve ``m`` once (optimal or an exception) and, if asked, attach marginal values."""
    return solve_with(new_solver(m), m, duals=duals, time_limit=time_limit)


def solve_with(solver: Highs, m: pyo.ConcreteModel, *, duals: bool = True, time_limit: float | None = None,
               explain: bool = True, objective: str | None = None, second_stage: bool = True) -> SolveOutcome:
    """Re-solve ``m`` on a persistent solver with adaptive refinement; load values; raise unless optimal.

    ``objective`` defaults to the scenario's. max_capability is lexicographic: stage 1 finds K*;
    stage 2 minimises cost subject to K >= K* - tol max(1, |K*|) under the exact laws, so the plan does
    not buy what adds no capability (``second_stage=False`` skips it: K is the same, the cost may not be
    the least that reaches it). min_cost reports the cost subject to K >= capability_target under
    the exact laws. 'active' solves whatever objective is active (near-optimal alternatives), with any
    capability floor held under the exact laws. Each stage adds tangent cuts at its solution and
    re-solves until the model agrees with the exact laws (``refine``). Marginal values come from the
    fixed-integer LP on the same HiGHS model (``optimizer.duals``).
    """
    from optimizer.model.refinement import prune, refresh

    objective_kind = objective or m.scenario.objective
    refresh(m, solver)  # a sweep point changed the laws: the pool's cuts are recomputed under them
    prune(m, solver)  # the cuts earlier solves (sweep points) added that stopped holding
    start_from_last_plan(solver, m)
    stats = Refinement()
    if objective_kind == "max_capability":
        first, k_exact = refine(solver, m, time_limit, explain, stats, maximise=True)
        k_model, k_plan = first.incumbent_objective, k_exact
        if second_stage:
            tol = m.scenario.approximation.capability_tolerance * max(1.0, abs(k_exact))
            use_objective(m, "min_cost")
            warm_start(solver)  # stage 1's plan meets stage 2's floor: a feasible start
            try:
                _, k_plan = refine(solver, m, time_limit, False, stats, floor=k_exact - tol, margin=tol / 2)
            finally:
                use_objective(m, "max_capability")
                m.capability_target.value = FLOOR_OFF
        outcome = SolveOutcome("optimal", k_plan, k_model, stats.seconds, model_objective=k_model)
    else:
        target = m.capability_target.value
        floor = target if target > FLOOR_OFF / 2 else None
        margin = m.scenario.approximation.tolerance * max(1.0, abs(target)) if floor is not None else 0.0
        try:
            result, _ = refine(solver, m, time_limit, explain, stats, floor=floor, margin=margin)
        finally:
            m.capability_target.value = target
        value, bound = result.incumbent_objective, stats.bound
        if objective_kind == "min_cost":
            value, bound = -value, (None if bound is None else -bound)  # max -cost -> cost
        outcome = SolveOutcome("optimal", float(value), bound, stats.seconds, model_objective=float(value))
    outcome.refinement_cuts, outcome.refinement_solves = stats.cuts, stats.solves
    if duals:
        from optimizer.duals import marginal_values

        outcome.duals = marginal_values(solver, m)
    return outcome


# a sweep's re-solve starts from the last point's plan where it is still feasible (``start_if_feasible``):
# 150-point budget sweeps of the baseline, one worker, best of 2 alternating: 0.90x and 0.97x the wall time
# of cold re-solves. Off only to measure that (benchmarks/last_plan_start.py, docs/benchmarks.md)
START_FROM_LAST_PLAN = True


FEASIBILITY = 1e-7  # HiGHS's primal feasibility tolerance: no floor can be verified more finely


@dataclass
class Refinement:
    """What refinement did in one ``solve_with``: solves, cuts added, HiGHS seconds."""

    solves: int = 0
    cuts: int = 0
    seconds: float = 0.0
    bound: float | None = None  # the last MILP's objective bound (cuts only tighten: valid for the plan)


def refine(solver: Highs, m: pyo.ConcreteModel, time_limit, explain: bool, stats: Refinement, *,
           maximise: bool = False, floor: float | None = None, margin: float = 0.0):
    """Solve, add tangent cuts at the solution, re-solve, until the model agrees with the exact laws.

    maximise: stop when K_model - K_exact <= approximation.tolerance x max(1, |K_exact|) (the model is a
    relaxation, so K_exact is then within that of the true optimum). floor: the capability floor must
    hold under the exact laws (to FEASIBILITY, the solver's own tolerance); the model holds floor +
    margin, so the exact value clears the floor once the approximation at the solution is within the
    margin. Rounds stop early when the solution asks only for cuts the model already has. At most
    approximation.max_refinements rounds; a floor still missed then is an error. Returns the last
    result and the plan's capability under the exact laws."""
    from optimizer.model.exact import exact_values
    from optimizer.model.refinement import add_cuts, cuts_at_solution, new_cuts, note_binding

    settings = m.scenario.approximation
    refining = settings.max_refinements > 0  # without refinement floors hold for the model, not the exact laws
    if floor is not None:
        m.capability_target.value = floor + (margin if refining else 0.0)
    if not refining:
        floor = None  # the floor checked under the exact laws

    def solve_once(explain_now: bool):
        result = _optimal(run(solver, m, time_limit=time_limit), m, explain_now)
        stats.solves += 1
        stats.seconds += _seconds(result)
        result.solution_loader.load_vars()
        note_binding(m)
        exact = exact_values(m)["capability"]
        done = True
        if maximise:
            done = result.incumbent_objective - exact <= settings.tolerance * max(1.0, abs(exact))
        if floor is not None:
            done = done and exact >= floor  # strictly; a stall within FEASIBILITY is accepted below
        return result, exact, done

    def release(integers) -> None:
        for var in integers:
            var.unfix()
        solver.update_variables(integers)

    active = next(m.component_data_objects(pyo.Objective, active=True))
    sign = 1.0 if active.sense == pyo.maximize else -1.0
    rounds = 0
    while True:
        result, exact, done = solve_once(explain and stats.solves == 0)
        milp = result
        integers = [var for var in m.component_data_objects(pyo.Var, descend_into=True) if var.is_integer()]
        if done or rounds >= settings.max_refinements:
            break
        # rounds of LPs with the MILP's integer choices fixed: cheap, and they converge the continuous part.
        # Cuts only tighten the model, so the MILP's incumbent is within mip_rel_gap of the best any refined
        # model can reach: a converged LP as good as it (within tolerance) is optimal to that gap plus the
        # tolerance, and the MILP is not solved again. Otherwise the MILP is solved again with every cut.
        fixed_rounds, released, proven = 0, False, False
        for var in integers:
            var.fix(round(var.value or 0))
        solver.update_variables(integers)
        as_lp(solver, integers)
        try:
            while rounds < settings.max_refinements:
                cuts = new_cuts(m, cuts_at_solution(m))
                if not cuts:
                    break
                rebuilds = any(cut.term == "rl_break" for cut in cuts)
                if rebuilds:  # the piecewise part (and its binaries) is rebuilt: back to the MILP
                    release(integers)
                    released = True
                add_cuts(m, cuts, solver)
                stats.cuts += len(cuts)
                rounds += 1
                fixed_rounds += 1
                if rebuilds:
                    break
                try:
                    fixed, fixed_exact, fixed_done = solve_once(False)
                except (InfeasibleError, SolveError):
                    break  # these choices cannot meet the floor under the refined laws: the MILP re-chooses
                if fixed_done:
                    reached = fixed_exact if maximise else sign * fixed.incumbent_objective
                    best = sign * milp.incumbent_objective
                    if reached >= best - settings.tolerance * max(1.0, abs(best)):
                        result, exact, proven = fixed, fixed_exact, True
                    break
        finally:
            if not released:
                release(integers)
        if proven:
            break
        if fixed_rounds == 0:
            break  # the solution asks only for cuts the model already has
        warm_start(solver)  # the last fixed solution is feasible for the refined MILP: prune from it
    stats.bound = milp.objective_bound
    if floor is not None and exact < floor - FEASIBILITY * max(1.0, abs(floor)):
        raise SolveError(f"({m.name}, approximation) | after {stats.solves} refinement solves the plan's exact "
                         f"capability {exact:.8g} is still below its floor {floor:.8g}. Fix: raise "
                         "approximation.max_refinements or approximation.tangent_points")
    return result, exact


def as_lp(solver: Highs, integers) -> None:
    """Relax the integrality of the (fixed) ``integers`` on HiGHS's model, so a round with the MILP's choices
    fixed is solved as an LP by the simplex, warm from the last basis, not by the MIP solver (presolve, root,
    heuristics: 26 ms against 3 on the baseline). ``update_variables`` restores their integrality."""
    import highspy
    import numpy as np

    # HiGHS reads an index set only in increasing order
    columns = np.array(sorted(solver._pyomo_var_to_solver_var_map[id(var)] for var in integers), dtype=np.int32)
    continuous = np.array([highspy.HighsVarType.kContinuous] * len(columns))
    solver._solver_model.changeColsIntegrality(len(columns), columns, continuous)


def warm_start(solver: Highs) -> None:
    """Hand HiGHS the model's current variable values as its MIP start (a feasible incumbent to prune
    with); Pyomo's interface offers no warm start of its own."""
    import highspy

    values = [0.0] * solver._solver_model.getNumCol()
    for var_id, column in solver._pyomo_var_to_solver_var_map.items():
        value = solver._vars[var_id][0].value
        values[column] = 0.0 if value is None else float(value)
    solution = highspy.HighsSolution()
    solution.col_value = values
    solution.value_valid = True
    solver._solver_model.setSolution(solution)


def start_from_last_plan(solver: Highs, m: pyo.ConcreteModel) -> None:
    """Before a re-solve: send HiGHS the model's changed numbers, then offer the last plan as the MIP start
    (``start_if_feasible``; nothing for a model never solved)."""
    if START_FROM_LAST_PLAN:
        sync_parameters(solver, m)
        start_if_feasible(solver)


def start_if_feasible(solver: Highs, tolerance: float = 1e-9) -> bool:
    """Hand HiGHS the model's current values as its MIP start if they satisfy every row, bound and
    integrality of the model HiGHS now holds (to ``tolerance``, absolute); True if handed.

    A sweep re-solving one model keeps the last point's plan in the variables: when it is still feasible
    at the new point (a larger budget, a lower price) it is an incumbent to prune with. An infeasible start
    is never handed: HiGHS can then fail with 'error'."""
    import highspy
    import numpy as np

    highs = solver._solver_model
    x = np.zeros(highs.getNumCol())
    for var_id, column in solver._pyomo_var_to_solver_var_map.items():
        value = solver._vars[var_id][0].value
        if value is None:  # nothing solved yet (a single solve): no plan to start from
            return False
        x[column] = value
    lp = highs.getLp()
    integer = np.asarray(lp.integrality_, dtype=int) == 1 if len(lp.integrality_) else np.zeros(lp.num_col_, bool)
    if np.any(np.abs(x[integer] - np.round(x[integer])) > tolerance):
        return False
    x[integer] = np.round(x[integer])
    if np.any(x < np.asarray(lp.col_lower_) - tolerance) or np.any(x > np.asarray(lp.col_upper_) + tolerance):
        return False
    matrix = lp.a_matrix_
    outer = np.repeat(np.arange(len(matrix.start_) - 1), np.diff(np.asarray(matrix.start_)))
    inner = np.asarray(matrix.index_, dtype=int)
    rowwise = matrix.format_ == highspy.MatrixFormat.kRowwise
    rows, columns = (outer, inner) if rowwise else (inner, outer)
    activity = np.bincount(rows, weights=np.asarray(matrix.value_) * x[columns], minlength=lp.num_row_)
    if np.any(activity < np.asarray(lp.row_lower_) - tolerance) or np.any(activity > np.asarray(lp.row_upper_)
                                                                           + tolerance):
        return False
    solution = highspy.HighsSolution()
    solution.col_value = list(x)
    solution.value_valid = True
    highs.setSolution(solution)
    return True


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
