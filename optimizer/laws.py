"""Scaling laws in closed form (numpy); the MILP uses tangent cuts of these.

* Pre-training loss (Hoffmann et al. 2022; Epoch refit, Besiroglu et al. 2024):
  ``L(N, D) = E + A / N^alpha + B / D^beta`` with training compute ``C = 6 N D``.
* Repeated data (Muennighoff et al. 2023): ``D' = U * phi(D / U)`` with
  ``phi(r) = r`` for ``r <= 1`` and ``phi(r) = 1 + R* (1 - exp(-(r - 1) / R*))`` beyond.
* RL (ScaleRL, Khatri et al. 2025): fraction of the RL gain reached,
  ``sigma(C) = 1 / (1 + (C_mid / C)^B)``, so ``R(C) = R0 + (A - R0) sigma(C)``.
* Test-time compute: log-linear gains in the thinking multiplier or the sample count
  (``optimizer.thinking``).
"""

from __future__ import annotations

import numpy as np

from optimizer.schema import LossLaw, ServedModel


def pretraining_loss(params: float, tokens: float, law: LossLaw) -> float:
    """L(N, D) = E + A / N^alpha + B / D^beta."""
    return law.E + param_term(params, law) + data_term(tokens, law)


def param_term(params: float, law: LossLaw) -> float:
    """A / N^alpha."""
    return law.A / params**law.alpha


def data_term(tokens, law: LossLaw):
    """B / D^beta (vectorised)."""
    return law.B / np.asarray(tokens, dtype=float) ** law.beta


def compute_optimal(flop: float, law: LossLaw) -> tuple[float, float]:
    """Chinchilla frontier: N_opt = G (C/6)^a, D_opt = (C/6)^b / G, G = (alpha A / (beta B))^(1/(alpha+beta))."""
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1 / (law.alpha + law.beta))
    a = law.beta / (law.alpha + law.beta)
    b = law.alpha / (law.alpha + law.beta)
    return g * (flop / 6) ** a, (flop / 6) ** b / g


def repetition_value(ratio, efold: float):
    """phi(r): effective epochs of value from ``r`` passes over unique data (concave, phi'(1) = 1)."""
    r = np.asarray(ratio, dtype=float)
    repeated = 1 + efold * (1 - np.exp(-(np.maximum(r, 1) - 1) / efold))
    return np.where(r <= 1, r, repeated)


def repetition_slope(ratio, efold: float):
    """phi'(r)."""
    r = np.asarray(ratio, dtype=float)
    return np.where(r <= 1, 1.0, np.exp(-(np.maximum(r, 1) - 1) / efold))


def effective_tokens(tokens: float, unique: float, efold: float) -> float:
    """D' = U phi(D / U)."""
    return float(unique * repetition_value(tokens / unique, efold))


def rl_fraction(flop, midpoint: float, exponent: float):
    """sigma(C) = 1 / (1 + (C_mid / C)^B), with sigma(0) = 0."""
    c = np.asarray(flop, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(c > 0, 1 / (1 + (midpoint / np.where(c > 0, c, 1)) ** exponent), 0.0)


def rl_fraction_slope(flop, midpoint: float, exponent: float):
    """d sigma / dC = B sigma (1 - sigma) / C."""
    c = np.asarray(flop, dtype=float)
    s = rl_fraction(c, midpoint, exponent)
    return exponent * s * (1 - s) / c


def kv_bytes_per_token(model: ServedModel, bytes_per_element: float) -> float:
    """KV cache per token = 2 (K and V) x layers x KV heads x head_dim x bytes."""
    return 2 * model.n_layers * model.n_kv_heads * model.head_dim * bytes_per_element
