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
====================  ==================================================================

Tangent cuts are globally valid, so a sweep keeps them on its persistent model: each helps every
later point. ``m.refinement_log`` lists every cut added (term, slope, intercept, point), so a copy
of the model (the dual twin) can replay them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer import laws, units

CUT_DOC = {
    "data_loss": "data term of the loss >= tangent cut at D' = {0:.6g}e12 tokens (added by refinement)",
    "repetition": "effective tokens <= repeated-data value, tangent cut at {0:.6g} epochs (added by refinement)",
    "rl": "RL gain <= tangent cut of the ScaleRL sigmoid at C = {0:.6g}e24 FLOP (added by refinement)",
}
MIN_IMPROVEMENT = 1e-12  # a cut must move the model's value at the point by at least this much


@dataclass(frozen=True)
class Cut:
    """One tangent: ``term`` in ('data_loss', 'repetition', 'rl'); model units; ``at`` the tangent point."""

    term: str
    slope: float
    intercept: float
    at: float


def value(x) -> float:
    result = pyo.value(x, exception=False)
    return 0.0 if result is None else float(result)


def cut_expression(m: pyo.ConcreteModel, cut: Cut):
    """The cut as a Pyomo relation on ``m``'s variables."""
    if cut.term == "data_loss":
        return m.data_loss >= cut.slope * m.effective_tokens + cut.intercept
    if cut.term == "repetition":
        tokens = sum(m.tokens[k] for k in m.MODELS)
        return m.effective_tokens <= cut.slope * tokens + cut.intercept * (m.p_data_unique_tokens + m.synthetic_tokens)
    return m.rl_score <= cut.slope * m.rl_flop + cut.intercept


def ensure_containers(m: pyo.ConcreteModel) -> None:
    if not hasattr(m, "refinement_cuts"):
        m.refinement_cuts = pyo.ConstraintList(doc="tangent cut added by adaptive refinement")
        m.refinement_log = []


def new_cuts(m: pyo.ConcreteModel, cuts: list[Cut]) -> list[Cut]:
    """``cuts`` less those the model already holds (same term, tangent point within 1e-9 relative): a
    solution that sits within the solver's feasibility tolerance of a cut asks for the same cut again."""
    held = getattr(m, "refinement_log", [])
    return [c for c in cuts if not any(h.term == c.term and abs(h.at - c.at) <= 1e-9 * max(abs(c.at), 1e-12)
                                       for h in held)]


def add_cuts(m: pyo.ConcreteModel, cuts: list[Cut], solver=None) -> list:
    """Add ``cuts`` to ``m`` (and to its persistent ``solver``); returns the new constraint data."""
    ensure_containers(m)
    added = []
    for cut in cuts:
        constraint = m.refinement_cuts.add(cut_expression(m, cut))
        m.refinement_log.append(cut)
        added.append(constraint)
    if solver is not None and added:
        solver.add_constraints(added)
    return added


def replay(source: pyo.ConcreteModel, target: pyo.ConcreteModel, solver=None) -> None:
    """Add to ``target`` the cuts ``source`` has and ``target`` lacks (a clone made before they were added)."""
    ensure_containers(target)
    missing = getattr(source, "refinement_log", [])[len(target.refinement_log):]
    add_cuts(target, list(missing), solver)


def rl_tangent_start(sc) -> float:
    """c_t [1e24 FLOP]: where the tangent to sigma passes through the origin. For B <= 1 sigma is concave
    and c_t = 0; for B > 1 (S-shaped) sigma(c_t) = 1 - 1/B, i.e. c_t = C_mid (B - 1)^(1/B). Tangents at
    points >= c_t bound sigma from above everywhere (they are tangents of its concave envelope)."""
    b = sc.rl.exponent
    if b <= 1:
        return 0.0
    return sc.rl.midpoint_flop * (b - 1) ** (1 / b) / units.FLOP


def cuts_at_solution(m: pyo.ConcreteModel) -> list[Cut]:
    """Tangent cuts at the current solution for every term the model over-states there."""
    sc = m.scenario
    law = sc.loss_law
    cuts: list[Cut] = []
    # repetition at r* = D / U'
    tokens = sum(value(m.tokens[k]) for k in m.MODELS)
    stock = value(m.p_data_unique_tokens) + value(m.synthetic_tokens)
    efold = sc.data.repetition_efold
    if stock > 0:
        ratio = tokens / stock
        exact_effective = stock * float(laws.repetition_value(ratio, efold))
        if value(m.effective_tokens) - exact_effective > MIN_IMPROVEMENT * max(1.0, exact_effective):
            slope = float(laws.repetition_slope(ratio, efold))
            cuts.append(Cut("repetition", slope, float(laws.repetition_value(ratio, efold)) - slope * ratio, ratio))
    # data term at the model's D' and at the exact D'
    points = {value(m.effective_tokens)}
    if stock > 0:
        points.add(stock * float(laws.repetition_value(tokens / stock, efold)))
    for point in sorted(points):
        if point > 0:
            f = float(laws.data_term(point * units.TOKENS, law))
            model_f = max(cut.slope * point + cut.intercept for cut in data_loss_cuts(m))
            if f - model_f > MIN_IMPROVEMENT * max(1.0, f):
                slope = -law.beta * f / point
                cuts.append(Cut("data_loss", slope, f - slope * point, point))
    # RL on the concave side
    flop = value(m.rl_flop)
    start = rl_tangent_start(sc)
    if flop > 0 and flop >= start:
        mid, expo = sc.rl.midpoint_flop / units.FLOP, sc.rl.exponent
        exact_rl = float(laws.rl_fraction(flop, mid, expo))
        if value(m.rl_score) - exact_rl > MIN_IMPROVEMENT:
            slope = float(laws.rl_fraction_slope(flop, mid, expo))
            cuts.append(Cut("rl", slope, exact_rl - slope * flop, flop))
    return cuts


def data_loss_cuts(m: pyo.ConcreteModel) -> list[Cut]:
    """Every data-term tangent the model holds (the initial ones and those added)."""
    approx = m.approximations.data_loss
    initial = [Cut("data_loss", float(s), float(i), float(p))
               for s, i, p in zip(approx.slopes, approx.intercepts, approx.points)]
    return initial + [c for c in getattr(m, "refinement_log", []) if c.term == "data_loss"]
