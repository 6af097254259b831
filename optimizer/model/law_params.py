"""Scaling-law parameters as data: every number the laws put into the model is a Param.

The laws reach the MILP only as numbers:

=====================  =====================================================================
Param                  value
=====================  =====================================================================
law_loss_E             E, the irreducible loss [nats]
law_param_term[m]      A / N_m^alpha, the parameter term of menu model m [nats]
law_reference_loss     L_ref = E + A / N_ref^alpha + B / D_ref^beta (K_pre's zero) [nats]
data_loss_slope[j]     tangent j of B / D'^beta: slope [nats / 1e12 tokens] and intercept [nats]
data_loss_intercept[j]
repetition_slope[j]    tangent j of phi(r) = repeated-data value (Muennighoff): slope, intercept
repetition_intercept[j]
rl_slope[j]            tangent j of sigma(x) on its concave side (ScaleRL): slope [1 / 1e24 FLOP],
rl_intercept[j]        intercept [-]
rl_inverse_factor[m]   1 / s(N_m), C_mid's size scaling (only when gamma > 0)
=====================  =====================================================================

A single solve builds them as constants. A sweep over a path in ``LAW_PATHS`` builds them mutable:
``apply_laws`` recomputes them from the point's scenario and the persistent solver updates the
coefficients in place, with no rebuild. The refinement pool's cuts are recomputed at their own points
under the new laws before the next solve (``optimizer.model.refinement.refresh``). What still
rebuilds: a change to the menus, or to whether C_mid scales with model size at all (gamma = 0 or not),
which changes the model's shape.
"""

from __future__ import annotations

from collections.abc import Collection

import pyomo.core as pyo

from optimizer import laws
from optimizer.model.approximations import Approximations, build_approximations
from optimizer.schema import Scenario

LAW_PATHS = frozenset({
    "loss_law.A", "loss_law.alpha", "loss_law.B", "loss_law.beta", "loss_law.E",
    "data.repetition_efold",
    "rl.exponent", "rl.midpoint_gpu_hours", "rl.midpoint_flop", "rl.flop_per_gpu_hour", "rl.reference_mfu",
    "rl.midpoint_reference_params", "rl.midpoint_params_exponent",
    "capability.reference_params", "capability.reference_tokens",
})


class LawShapeChanged(Exception):
    """The point's laws change the model's shape (C_mid starts or stops scaling with size): rebuild."""


def laws_mutable(mutable: Collection[str] | None) -> bool:
    """Law Params are mutable only when a sweep names a law path (a single solve keeps them constant)."""
    return mutable is not None and any(path in LAW_PATHS for path in mutable)


def scales_with_size(sc: Scenario) -> bool:
    return any(sc.rl.size_factor(model.active) != 1.0 for model in sc.models.values())


def law_values(sc: Scenario, approx: Approximations) -> dict[str, object]:
    """Every law Param's value for ``sc`` (indexed ones as dicts), in model units."""
    from optimizer.model.objective import reference_loss

    law = sc.loss_law
    def indexed(values) -> dict[int, float]:
        return {j: float(v) for j, v in enumerate(values)}

    return {
        "law_loss_E": law.E,
        "law_param_term": {k: laws.param_term(model.loss_size, law) for k, model in sc.models.items()},
        "law_reference_loss": reference_loss(sc),
        "data_loss_slope": indexed(approx.data_loss.slopes),
        "data_loss_intercept": indexed(approx.data_loss.intercepts),
        "repetition_slope": indexed(approx.repetition.slopes),
        "repetition_intercept": indexed(approx.repetition.intercepts),
        "rl_slope": indexed(approx.rl.slopes),
        "rl_intercept": indexed(approx.rl.intercepts),
        "rl_inverse_factor": {k: 1 / sc.rl.size_factor(model.active) for k, model in sc.models.items()},
    }


def define_law_params(m: pyo.ConcreteModel, sc: Scenario, approx: Approximations,
                      mutable: Collection[str] | None) -> None:
    """The cut index sets and one Param per law number (see the module's table)."""
    m.laws_mutable = laws_mutable(mutable)
    m.law_version = 0
    m.DATA_LOSS_CUTS = pyo.RangeSet(0, len(approx.data_loss.points) - 1)
    m.REPETITION_CUTS = pyo.RangeSet(0, len(approx.repetition.points) - 1)
    m.RL_CUTS = pyo.RangeSet(0, len(approx.rl.points) - 1)
    index = {"law_param_term": m.MODELS, "rl_inverse_factor": m.MODELS,
             "data_loss_slope": m.DATA_LOSS_CUTS, "data_loss_intercept": m.DATA_LOSS_CUTS,
             "repetition_slope": m.REPETITION_CUTS, "repetition_intercept": m.REPETITION_CUTS,
             "rl_slope": m.RL_CUTS, "rl_intercept": m.RL_CUTS}
    for name, value in law_values(sc, approx).items():
        args = (index[name],) if name in index else ()
        m.add_component(name, pyo.Param(*args, initialize=value, mutable=m.laws_mutable, doc=name))


def apply_laws(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """Give ``m`` the laws of ``sc`` (same menus; a sweep point's scenario): recompute the approximations
    and set every law Param. The persistent solver pushes the new coefficients at the next solve; the
    refinement pool is recomputed then (``m.law_version`` tells it the laws changed)."""
    if not m.laws_mutable:
        raise ValueError("the model was built with constant laws: build it with a law path mutable")
    if scales_with_size(sc) != hasattr(m, "rl_model_flop"):
        raise LawShapeChanged(sc.name)
    approx = build_approximations(sc)
    if len(approx.data_loss.points) != len(m.DATA_LOSS_CUTS):  # tangent_points is not a law path
        raise LawShapeChanged(sc.name)
    for name, value in law_values(sc, approx).items():
        param = getattr(m, name)
        if isinstance(value, dict):
            for key, item in value.items():
                param[key].value = item
        else:
            param.value = value
    m.scenario, m.approximations = sc, approx
    m.law_version += 1


def rl_upper_bound(approx: Approximations) -> float | None:
    """The RL compute's upper bound at the reference size [1e24 FLOP]: the convex side's domain top when
    sigma is S-shaped (the piecewise part is defined up to it), else none."""
    return None if approx.rl_convex is None else float(approx.rl_convex.points[-1])
