"""The three nonlinear laws of a scenario as tangent cuts or breakpoints (model units)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer import laws, units
from optimizer.piecewise import Breakpoints, Cuts, breakpoints, spaced_points, tangent_cuts
from optimizer.schema import Scenario


@dataclass(frozen=True)
class Approximations:
    """``data_loss``: B / D'^beta (convex, D' in 1e12 tokens); ``repetition``: phi(r) (concave, epochs);
    ``rl``: sigma(C) (C in 1e24 FLOP), tangent cuts when concave (B <= 1), breakpoints otherwise."""

    data_loss: Cuts
    repetition: Cuts
    rl: Cuts | Breakpoints

    def table(self) -> list[dict]:
        """One row per approximated term: its a-priori error bound and domain (domain in scenario units)."""
        scaled = ((self.data_loss, units.TOKENS), (self.repetition, 1.0), (self.rl, units.FLOP))
        return [
            {"term": a.name, "method": "tangent cuts" if isinstance(a, Cuts) else "secant breakpoints",
             "pieces": len(a.points), "domain_low": a.domain[0] * scale, "domain_high": a.domain[1] * scale,
             "max_error": a.max_error}
            for a, scale in scaled
        ]


def max_effective_tokens(sc: Scenario) -> float:
    """Largest D' the data constraints allow [tokens]: (U + S_max) phi(max_epochs)."""
    stock = sc.data.unique_tokens + sc.data.synthetic_max_tokens
    return float(stock * laws.repetition_value(sc.data.max_epochs, sc.data.repetition_efold))


def build_approximations(sc: Scenario) -> Approximations:
    n = sc.approximation.tangent_points
    law = sc.loss_law

    lo = sc.pretraining.min_tokens / units.TOKENS
    hi = max(max_effective_tokens(sc) / units.TOKENS, lo)
    data_loss = tangent_cuts(
        "pre-training data term B/D'^beta [nats]",
        lambda x: laws.data_term(np.asarray(x) * units.TOKENS, law),
        lambda x: -law.beta * laws.data_term(np.asarray(x) * units.TOKENS, law) / np.asarray(x),
        spaced_points(lo, hi, n), "convex", (lo, hi),
    )

    efold = sc.data.repetition_efold
    repetition = tangent_cuts(
        "repeated-data value phi(D/U) [epochs]",
        lambda r: laws.repetition_value(r, efold),
        lambda r: laws.repetition_slope(r, efold),
        spaced_points(1.0, sc.data.max_epochs, n), "concave", (0.0, sc.data.max_epochs),
    )

    mid, expo = sc.rl.midpoint_flop / units.FLOP, sc.rl.exponent
    top = sc.rl.max_flop / units.FLOP
    sigma = lambda c: laws.rl_fraction(c, mid, expo)  # noqa: E731
    if expo <= 1:
        rl = tangent_cuts(
            "RL gain fraction sigma(C) [-]", sigma, lambda c: laws.rl_fraction_slope(c, mid, expo),
            spaced_points(min(mid * 1e-3, top), top, n), "concave", (0.0, top),
        )
    else:
        rl = breakpoints("RL gain fraction sigma(C) [-]", sigma, spaced_points(min(mid * 1e-3, top), top, n),
                         (0.0, top))
    return Approximations(data_loss, repetition, rl)
