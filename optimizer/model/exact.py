"""The exact laws evaluated at a model's current solution (the model holds their approximations).

With N the chosen model's parameters, D its pre-training tokens, U' = unique + synthetic tokens and
C the RL compute at the solution:

    D'_exact = U' phi(D / U')                   L_exact = E + A / N^alpha + B / D'_exact^beta
    K_pre    = (L_ref - L_exact) / (L_ref - E)  K_rl    = sigma(C)        K_tt as in the model
    K_exact  = w_pre K_pre + w_rl K_rl + w_tt K_tt

Headline numbers are these exact values; the model's own values and the gap go in the
approximation table.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer import laws, units


def value(x) -> float:
    result = pyo.value(x, exception=False)
    return 0.0 if result is None else float(result)


def chosen_model(m) -> str:
    return max(m.MODELS, key=lambda k: sum(value(m.pick[k, t]) for t in m.THINKING))


def exact_values(m) -> dict[str, float]:
    """Exact-law values at the solution, in scenario units (tokens, FLOP) and index points."""
    from optimizer.model.objective import reference_loss

    sc = m.scenario
    law = sc.loss_law
    tokens = sum(value(m.tokens[k]) for k in m.MODELS) * units.TOKENS
    stock = value(m.p_data_unique_tokens) * units.TOKENS + value(m.synthetic_tokens) * units.TOKENS
    effective = laws.effective_tokens(tokens, stock, sc.data.repetition_efold) if stock > 0 else 0.0
    served = sc.models[chosen_model(m)]
    loss = laws.pretraining_loss(served.loss_size, effective, law) if effective > 0 else float("inf")
    l_ref = reference_loss(sc)
    rl_score = float(laws.rl_fraction(value(m.rl_flop) * units.FLOP, sc.rl.midpoint_at(served.active), sc.rl.exponent))
    k_pre = (l_ref - loss) / (l_ref - law.E)
    k_tt = value(m.k_test_time)
    capability = (value(m.p_capability_weight_pretraining) * k_pre + value(m.p_capability_weight_rl) * rl_score
                  + value(m.p_capability_weight_test_time) * k_tt)
    return {"pretraining_tokens": tokens, "stock": stock, "effective_tokens": effective, "loss": loss,
            "rl_score": rl_score, "k_pretraining": k_pre, "k_rl": rl_score, "k_test_time": k_tt,
            "capability": capability,
            "data_loss_at_model_tokens": float(laws.data_term(value(m.effective_tokens) * units.TOKENS, law))
            if value(m.effective_tokens) > 0 else float("inf")}
