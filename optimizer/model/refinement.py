"""Adaptive outer approximation: cuts added at a solution until the model agrees with the exact laws.

Every approximated term is an outer approximation, so the model can only over-state capability
(under-state the loss); a cut added at the solution makes the model exact there:

====================  ==================================================================
data term f(D')       data_loss >= f(x*) + f'(x*) (D' - x*),  f = B / D'^beta (convex)
repetition phi        D' <= phi'(r*) D + (phi(r*) - phi'(r*) r*) U'  (perspective of concave phi,
                      r* = D / U', U' = unique + synthetic tokens)
RL sigma, concave     rl_score <= sigma(c*) + sigma'(c*) (C - c*)     (B <= 1, or c* on the concave
                      side of an S-shaped curve: c* >= c_t, see ``rl_tangent_start``)
RL sigma, S-shaped    a breakpoint at c* on the convex side c* < c_t (the piecewise-linear part is
                      rebuilt; see ``optimizer.model.constraints.add_rl_score``)
                      (C here is x, the RL compute at the reference model size)
====================  ==================================================================

Tangent cuts are globally valid, so a sweep keeps them on its persistent model: each helps every
later point near it. They are a pool, not a pile: every cut held slows each later MILP a little (440
cuts over a 200-point sweep doubled its MILPs' time), so before each solve the pool keeps at most
``POOL_SIZE`` refinement cuts per term, dropping those that held at no solution for the longest time
(dropping a valid cut only loosens the outer approximation; refinement adds it again if a plan needs
it). ``m.refinement_active`` maps each cut held to its constraint; ``m.refinement_log`` lists every
breakpoint added (they rebuild the piecewise part and are never dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.core as pyo

from optimizer import laws, units
from optimizer.model.exact import value

MIN_IMPROVEMENT = 1e-12  # a cut must move the model's value at the point by at least this much


@dataclass(frozen=True)
class Cut:
    """One refinement: ``term`` 'data_loss', 'repetition' or 'rl' (a tangent, model units) or 'rl_break' (a
    breakpoint of the RL curve's convex side, no constraint of its own); ``at`` the point."""

    term: str
    slope: float
    intercept: float
    at: float


def cut_expression(m: pyo.ConcreteModel, cut: Cut):
    """The cut as a Pyomo relation on ``m``'s variables."""
    if cut.term == "data_loss":
        return m.data_loss >= cut.slope * m.effective_tokens + cut.intercept
    if cut.term == "repetition":
        tokens = sum(m.tokens[k] for k in m.MODELS)
        return m.effective_tokens <= cut.slope * tokens + cut.intercept * (m.p_data_unique_tokens + m.synthetic_tokens)
    return m.rl_score <= cut.slope * m.rl_effective_flop + cut.intercept


POOL_SIZE = 16  # refinement cuts kept per term between solves (the initial tangents are always kept)
BINDING = 1e-9  # a cut holds at a solution when its slack is at most this (relative)


def ensure_containers(m: pyo.ConcreteModel) -> None:
    if not hasattr(m, "refinement_cuts"):
        m.refinement_cuts = pyo.ConstraintList(doc="tangent cut added by adaptive refinement")
        m.refinement_log = []  # breakpoints of the RL curve's convex side, in the order added
        m.refinement_active = {}  # tangent cut -> its constraint, in the order added
        m.refinement_used = {}  # tangent cut -> the solve count when it last held (or was added)
        m.refinement_solves = 0


def new_cuts(m: pyo.ConcreteModel, cuts: list[Cut]) -> list[Cut]:
    """``cuts`` less those the model already holds (same term, point within 1e-9 relative): a solution
    that sits within the solver's feasibility tolerance of a cut asks for the same cut again."""
    held = list(getattr(m, "refinement_active", {})) + getattr(m, "refinement_log", [])
    return [c for c in cuts if not any(h.term == c.term and abs(h.at - c.at) <= 1e-9 * max(abs(c.at), 1e-12)
                                       for h in held)]


def add_cuts(m: pyo.ConcreteModel, cuts: list[Cut], solver=None) -> list:
    """Add ``cuts`` to ``m`` (and to its persistent ``solver``); returns the new constraint data."""
    ensure_containers(m)
    added = []
    for cut in cuts:
        if cut.term == "rl_break":
            m.refinement_log.append(cut)
        else:
            constraint = m.refinement_cuts.add(cut_expression(m, cut))
            m.refinement_active[cut] = constraint
            m.refinement_used[cut] = m.refinement_solves
            added.append(constraint)
    if solver is not None and added:
        solver.add_constraints(added)
    if any(cut.term == "rl_break" for cut in cuts):
        rebuild_rl_curve(m, solver)
    return added


def remove_cuts(m: pyo.ConcreteModel, cuts: list[Cut], solver=None) -> None:
    """Drop the tangent ``cuts`` from ``m`` (and from its persistent ``solver``)."""
    constraints = [m.refinement_active[cut] for cut in cuts]
    if solver is not None and constraints:
        solver.remove_constraints(constraints)
    for cut, constraint in zip(cuts, constraints, strict=True):
        del m.refinement_cuts[constraint.index()]
        del m.refinement_active[cut]
        m.refinement_used.pop(cut, None)


def note_binding(m: pyo.ConcreteModel) -> None:
    """Record which pooled cuts hold at the current solution (the pool keeps the recently useful ones)."""
    if not hasattr(m, "refinement_active"):
        return
    m.refinement_solves += 1
    data_loss, effective, rl_score = value(m.data_loss), value(m.effective_tokens), value(m.rl_score)
    rl_x, stock = value(m.rl_effective_flop), value(m.p_data_unique_tokens) + value(m.synthetic_tokens)
    tokens = sum(value(m.tokens[k]) for k in m.MODELS)
    for cut in m.refinement_active:
        if cut.term == "data_loss":
            lhs, rhs = data_loss, cut.slope * effective + cut.intercept
        elif cut.term == "repetition":
            lhs, rhs = cut.slope * tokens + cut.intercept * stock, effective
        else:
            lhs, rhs = cut.slope * rl_x + cut.intercept, rl_score
        if lhs - rhs <= BINDING * max(1.0, abs(lhs), abs(rhs)):
            m.refinement_used[cut] = m.refinement_solves


def prune(m: pyo.ConcreteModel, solver=None, size: int | None = None) -> None:
    """Keep at most ``size`` (default ``POOL_SIZE``) refinement cuts per term: drop those that last held
    longest ago."""
    size = POOL_SIZE if size is None else size
    active = getattr(m, "refinement_active", {})
    if len(active) <= size:
        return
    drop = []
    for term in {cut.term for cut in active}:
        cuts = sorted((cut for cut in active if cut.term == term), key=lambda cut: m.refinement_used[cut])
        drop += cuts[:max(0, len(cuts) - size)]
    remove_cuts(m, drop, solver)


def refresh(m: pyo.ConcreteModel, solver=None) -> None:
    """After ``apply_laws``: recompute every pooled cut at its own point under the new laws, rebuild the RL
    curve's convex side at the same breakpoints (or drop it if sigma is no longer S-shaped), and move
    the RL compute's bound. Every cut stays a tangent of the curve it bounds, so the pool stays valid."""
    from optimizer.model.law_params import rl_upper_bound

    if getattr(m, "pool_law_version", 0) == getattr(m, "law_version", 0):
        return
    m.pool_law_version = m.law_version
    m.rl_effective_flop.setub(rl_upper_bound(m.approximations))
    if solver is not None:
        solver.update_variables([m.rl_effective_flop])
    held = list(getattr(m, "refinement_active", {}))
    if held:
        used = dict(m.refinement_used)
        remove_cuts(m, held, solver)
        fresh = [tangent_at(m, cut.term, cut.at) for cut in held]
        add_cuts(m, [cut for cut in fresh if cut is not None], solver)
        for old, cut in zip(held, fresh, strict=True):
            if cut is not None:
                m.refinement_used[cut] = used[old]
    if getattr(m, "refinement_log", []):
        if m.approximations.rl_convex is None:  # sigma is concave now: no convex side to bound
            m.refinement_log = []
            if solver is not None:
                solver.remove_block(m.rl_curve)
            m.del_component(m.rl_curve)
        else:
            rebuild_rl_curve(m, solver)


def tangent_at(m: pyo.ConcreteModel, term: str, at: float) -> Cut | None:
    """The tangent cut of ``term`` at ``at`` under ``m``'s laws (None: an RL point on the convex side)."""
    from optimizer.model.approximations import rl_tangent_start

    sc = m.scenario
    if term == "data_loss":
        f = float(laws.data_term(at * units.TOKENS, sc.loss_law))
        slope = -sc.loss_law.beta * f / at
        return Cut(term, slope, f - slope * at, at)
    if term == "repetition":
        efold = sc.data.repetition_efold
        phi, slope = float(laws.repetition_value(at, efold)), float(laws.repetition_slope(at, efold))
        return Cut(term, slope, phi - slope * at, at)
    if at < rl_tangent_start(sc):
        return None
    mid, expo = sc.rl.reference_midpoint_flop() / units.FLOP, sc.rl.exponent
    slope = float(laws.rl_fraction_slope(at, mid, expo))
    return Cut(term, slope, float(laws.rl_fraction(at, mid, expo)) - slope * at, at)


def tangent_constraints(m: pyo.ConcreteModel):
    """(cut, its constraint) for every tangent refinement the model holds (breakpoints have none)."""
    return iter(getattr(m, "refinement_active", {}).items())


def rebuild_rl_curve(m: pyo.ConcreteModel, solver=None) -> None:
    """Rebuild the convex side's piecewise bound with every breakpoint refinement added (and swap it in
    the persistent solver); ``m.structure_version`` counts rebuilds, so copies know to re-clone."""
    from optimizer.model.approximations import convex_side
    from optimizer.model.constraints import build_rl_curve

    extra = tuple(c.at for c in m.refinement_log if c.term == "rl_break")
    curve = convex_side(m.scenario, m.scenario.approximation.tangent_points, extra)
    if hasattr(m, "rl_curve"):
        if solver is not None:
            solver.remove_block(m.rl_curve)
        m.del_component(m.rl_curve)
    build_rl_curve(m, curve)
    if solver is not None:
        solver.add_block(m.rl_curve)


def data_points(m: pyo.ConcreteModel) -> tuple[float | None, float, list[float]]:
    """The data terms at the current solution: r* = D / U' (None without a stock), the exact
    D' = U' phi(r*), and the data term's tangent points (the model's D' and the exact D', positive ones)."""
    tokens = sum(value(m.tokens[k]) for k in m.MODELS)
    stock = value(m.p_data_unique_tokens) + value(m.synthetic_tokens)
    points = {value(m.effective_tokens)}
    if stock <= 0:
        return None, 0.0, sorted(p for p in points if p > 0)
    ratio = tokens / stock
    exact = stock * float(laws.repetition_value(ratio, m.scenario.data.repetition_efold))
    points.add(exact)
    return ratio, exact, sorted(p for p in points if p > 0)


def cuts_at_solution(m: pyo.ConcreteModel) -> list[Cut]:
    """Tangent cuts at the current solution for every term the model over-states there."""
    sc = m.scenario
    law = sc.loss_law
    cuts: list[Cut] = []
    ratio, exact_effective, points = data_points(m)
    if ratio is not None and value(m.effective_tokens) - exact_effective > MIN_IMPROVEMENT * max(1.0, exact_effective):
        cuts.append(tangent_at(m, "repetition", ratio))
    for point in points:
        f = float(laws.data_term(point * units.TOKENS, law))
        model_f = max(cut.slope * point + cut.intercept for cut in data_loss_cuts(m))
        if f - model_f > MIN_IMPROVEMENT * max(1.0, f):
            cuts.append(tangent_at(m, "data_loss", point))
    # RL: a tangent on the concave side, a breakpoint on the convex side of an S-shaped curve
    from optimizer.model.approximations import rl_tangent_start
    from optimizer.model.exact import chosen_model

    x = value(m.rl_flop) / sc.rl.size_factor(sc.models[chosen_model(m)].active)
    mid, expo = sc.rl.reference_midpoint_flop() / units.FLOP, sc.rl.exponent
    exact_rl = float(laws.rl_fraction(x, mid, expo))
    if x > 0 and value(m.rl_score) - exact_rl > MIN_IMPROVEMENT:
        if x >= rl_tangent_start(sc):
            cuts.append(tangent_at(m, "rl", x))
        else:
            cuts.append(Cut("rl_break", 0.0, 0.0, x))
    return cuts


def solution_tangents(m: pyo.ConcreteModel) -> list[Cut]:
    """The exact laws' tangents at the current solution, for each term (RL only on sigma's concave side):
    with them the LP's duals are the exact laws' marginal values at the plan, whichever pool cuts a
    persistent model happens to hold."""
    from optimizer.model.approximations import rl_tangent_start

    ratio, _, points = data_points(m)
    cuts = [tangent_at(m, "repetition", ratio)] if ratio else []
    cuts += [tangent_at(m, "data_loss", point) for point in points]
    x = value(m.rl_effective_flop)
    if x > 0 and x >= rl_tangent_start(m.scenario):
        cuts.append(tangent_at(m, "rl", x))
    return cuts


def data_loss_cuts(m: pyo.ConcreteModel) -> list[Cut]:
    """Every data-term tangent the model holds (the initial ones and those added)."""
    approx = m.approximations.data_loss
    initial = [Cut("data_loss", float(s), float(i), float(p))
               for s, i, p in zip(approx.slopes, approx.intercepts, approx.points)]
    return initial + [c for c in getattr(m, "refinement_active", {}) if c.term == "data_loss"]
