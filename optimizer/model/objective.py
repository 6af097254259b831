"""Capability index and objectives.

K = w_pre K_pre + w_rl K_rl + w_tt K_tt, each term in [0, 1] (K_pre may go below 0
for a model worse than the reference):

* K_pre = (L_ref - L) / (L_ref - E): share of the reference model's reducible loss removed;
* K_rl  = sigma(C_rl): share of the ScaleRL gain (A - R0) reached;
* K_tt  = log2(k) / log2(k_ref) for the chosen thinking multiplier k (capped by the context) and the
  scenario's reference multiplier k_ref (``test_time.reference_multiplier``).

One objective with mutable weights serves both modes:
* max_capability: maximise K, then (second stage) minimise cost with K held at its optimum;
* min_cost: minimise cost subject to K >= capability_target.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer import laws
from optimizer.schema import Scenario


def reference_loss(sc: Scenario) -> float:
    """L_ref: loss of the reference model (capability.reference_params / reference_tokens)."""
    return laws.pretraining_loss(sc.capability.reference_params, sc.capability.reference_tokens, sc.loss_law)


def define_capability(m: pyo.ConcreteModel, sc: Scenario) -> None:
    m.k_pretraining = pyo.Expression(expr=(m.law_reference_loss - m.loss) / (m.law_reference_loss - m.law_loss_E),
                                     doc="share of the reference model's reducible loss removed [-]")
    m.k_rl = pyo.Expression(expr=m.rl_score, doc="share of the ScaleRL gain reached [-]")
    m.k_test_time = pyo.Expression(expr=sum(
        m.thinking_options[t].score(sc.test_time) * m.pick[k, t]
        for k, t in m.CONFIGS), doc="log-linear test-time gain of the chosen thinking multiplier [-]")
    m.capability = pyo.Expression(
        expr=m.p_capability_weight_pretraining * m.k_pretraining + m.p_capability_weight_rl * m.k_rl
        + m.p_capability_weight_test_time * m.k_test_time, doc="capability index K [-]")


FLOOR_OFF = -1e6  # capability_target value that leaves the floor slack (max_capability, stage 1)


def define_objectives(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """One objective, max  w_K k - w_C c  with k = K and c = cost, and the floor K >= capability_target.

    Both weights and the target are mutable Params, so switching between maximising capability and
    minimising cost (the lexicographic second stage, or min_cost) changes numbers only and the
    persistent solver never rebuilds. The weights multiply the two variables k and c, not K's and
    cost's hundreds of terms, so a re-solve updates two objective coefficients, not hundreds.
    """
    m.weight_capability = pyo.Param(initialize=1.0, mutable=True)
    m.weight_cost = pyo.Param(initialize=0.0, mutable=True)
    m.capability_value = pyo.Var(doc="k: the capability index K [-]")
    m.cost_value = pyo.Var(doc="c: total cost [1e9 USD]")
    m.define_capability_value = pyo.Constraint(expr=m.capability_value == m.capability, doc="k = capability index")
    m.define_cost_value = pyo.Constraint(expr=m.cost_value == m.total_cost, doc="c = total cost")
    m.capability_floor = pyo.Constraint(expr=m.capability >= m.capability_target,
                                        doc="capability index >= capability_target")
    m.objective = pyo.Objective(expr=m.weight_capability * m.capability_value - m.weight_cost * m.cost_value,
                                sense=pyo.maximize)
    use_objective(m, sc.objective)


def use_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Weights for 'max_capability' (K) or 'min_cost' (-cost)."""
    maximise = objective == "max_capability"
    m.weight_capability.value = 1.0 if maximise else 0.0
    m.weight_cost.value = 0.0 if maximise else 1.0
