"""Explain an infeasible scenario: which constraints conflict, in words.

The algorithm is Chinneck's elastic + deletion filter, the one behind
``pyomo.contrib.iis.mis``; it is written out here because that helper loads a
solution after every solve and so breaks on the infeasible sub-problems it
creates with the HiGHS interfaces, and because we keep the integer variables
(whole sites, one menu choice), which it would relax.

1. Elastic filter: give every constraint non-negative slacks and minimise
   their sum.  Constraints that need slack are made hard (slack fixed at 0);
   repeat until the elastic model is infeasible.  The hard set conflicts.
2. Deletion filter: with only the hard set active, drop each member in turn;
   if the rest stays infeasible it was not needed.  What remains is an
   irreducible infeasible set: removing any one member makes it feasible.

Each member is printed with its ``doc`` sentence (see ``model/constraints.py``).
"""

from __future__ import annotations

import pyomo.core as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.errors import InfeasibleError

SLACK_TOL = 1e-7
MAX_ROUNDS = 50


def explain_infeasibility(m: pyo.ConcreteModel) -> InfeasibleError:
    """An InfeasibleError naming the conflicting constraints of ``m`` (never raises itself)."""
    try:
        conflict = irreducible_conflict(m)
    except Exception as exc:  # noqa: BLE001  # the explanation is best effort; the infeasibility itself is certain
        return InfeasibleError(m.name, [], detail=f"(could not isolate the conflict: {exc})")
    return InfeasibleError(m.name, [describe(c) for c in conflict])


def irreducible_conflict(m: pyo.ConcreteModel) -> list[pyo.Constraint]:
    """Constraints of a clone of ``m`` forming an irreducible infeasible set (empty if ``m`` is feasible)."""
    work = m.clone()
    for obj in work.component_data_objects(pyo.Objective, active=True):
        obj.deactivate()
    constraints = list(work.component_data_objects(pyo.Constraint, active=True, descend_into=True))
    slacks = add_slacks(work, constraints)
    work.elastic_objective = pyo.Objective(expr=sum(s for pair in slacks.values() for s in pair))

    hard: list = []
    for _ in range(MAX_ROUNDS):
        result = _solve(work)
        if result.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
            break
        result.solution_loader.load_vars()
        needing = [c for c in constraints if c not in hard and sum(s.value or 0 for s in slacks[c]) > SLACK_TOL]
        if not needing:
            return []
        for c in needing:
            for s in slacks[c]:
                s.fix(0)
        hard += needing

    for c in constraints:
        if c not in hard:
            c.deactivate()
    for c in list(hard):
        c.deactivate()
        if _feasible(work):
            c.activate()
        else:
            hard.remove(c)
    return hard


def add_slacks(work: pyo.ConcreteModel, constraints: list) -> dict:
    """Rewrite each constraint lower <= body + s_lo - s_up <= upper with slacks >= 0."""
    work.SLACK_INDEX = pyo.RangeSet(0, len(constraints) - 1)
    work.slack_up = pyo.Var(work.SLACK_INDEX, domain=pyo.NonNegativeReals)
    work.slack_lo = pyo.Var(work.SLACK_INDEX, domain=pyo.NonNegativeReals)
    slacks = {}
    for i, c in enumerate(constraints):
        pair = []
        body = c.body
        if c.upper is not None:
            body = body - work.slack_up[i]
            pair.append(work.slack_up[i])
        if c.lower is not None:
            body = body + work.slack_lo[i]
            pair.append(work.slack_lo[i])
        c.set_value((c.lower, body, c.upper))
        slacks[c] = pair
    return slacks


def _solve(work: pyo.ConcreteModel):
    from optimizer.interrupts import check, solving

    try:
        with solving():
            result = Highs().solve(work, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                   solver_options={"output_flag": False})
    except Exception:
        check()
        raise
    check()
    return result


def _feasible(work: pyo.ConcreteModel) -> bool:
    return _solve(work).termination_condition == TerminationCondition.convergenceCriteriaSatisfied


def describe(c) -> str:
    """'power[ferrari]: site type ferrari: facility power of all nodes <= ...'."""
    doc = getattr(c.parent_component(), "doc", None)
    if not doc:
        return c.name
    index = c.index()
    return f"{c.name}: {doc.format(*(index if isinstance(index, tuple) else (index,)))}"
