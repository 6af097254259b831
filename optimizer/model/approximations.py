"""The three nonlinear laws of a scenario as tangent cuts or breakpoints (model units)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer import laws, units
from optimizer.piecewise import Breakpoints, Cuts, error_grid, spaced_points, tangent_cuts
from optimizer.schema import Scenario


@dataclass(frozen=True)
class Approximations:
    """``data_loss``: B / D'^beta (convex, D' in 1e12 tokens); ``repetition``: phi(r) (concave, epochs);
    ``rl``: tangent cuts of sigma(x) on its concave side [c_t, top] (x: RL FLOP at the reference model size,
    in 1e24 FLOP; c_t = 0 when B <= 1); ``rl_convex``: for an S-shaped sigma (B > 1), secant breakpoints
    on its convex side [0, c_t], continued to ``top`` along the tangent at c_t, which passes through the
    origin. Both bound sigma from above, so the model's RL gain is min(tangents, piecewise) >= sigma."""

    data_loss: Cuts
    repetition: Cuts
    rl: Cuts
    rl_convex: Breakpoints | None = None

    def table(self) -> list[dict]:
        """One row per approximated term: its a-priori error bound and domain (domain in scenario units)."""
        scaled = ((self.data_loss, units.TOKENS), (self.repetition, 1.0), (self.rl, units.FLOP))
        if self.rl_convex is not None:
            scaled += ((self.rl_convex, units.FLOP),)
        return [
            {"term": a.name, "method": "tangent cuts" if isinstance(a, Cuts)
             else "secant breakpoints, added when a plan falls on this side",
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

    mid, expo = sc.rl.reference_midpoint_flop() / units.FLOP, sc.rl.exponent
    top = rl_domain_top(sc)
    start = min(rl_tangent_start(sc), top)
    sigma = lambda c: laws.rl_fraction(c, mid, expo)  # noqa: E731
    rl = tangent_cuts(
        "RL gain fraction sigma(x) [-], concave side", sigma, lambda c: laws.rl_fraction_slope(c, mid, expo),
        spaced_points(max(start, min(mid * 1e-3, top)), top, n), "concave", (start, top),
    )
    rl_convex = convex_side(sc, n) if start > 0 else None
    return Approximations(data_loss, repetition, rl, rl_convex)


def rl_domain_top(sc: Scenario) -> float:
    """Largest RL compute at the reference size [1e24 FLOP]: rl.max_flop over the smallest size factor."""
    return sc.rl.max_flop / min(sc.rl.size_factor(model.active) for model in sc.models.values()) / units.FLOP


def rl_tangent_start(sc: Scenario) -> float:
    """c_t [1e24 FLOP]: where the tangent to sigma passes through the origin. For B <= 1 sigma is concave
    and c_t = 0; for B > 1 (S-shaped) sigma(c_t) = 1 - 1/B, i.e. c_t = C_mid (B - 1)^(1/B). Tangents at
    points >= c_t bound sigma from above everywhere (they are tangents of its concave envelope)."""
    b = sc.rl.exponent
    if b <= 1:
        return 0.0
    return sc.rl.reference_midpoint_flop() * (b - 1) ** (1 / b) / units.FLOP


def convex_side(sc: Scenario, n: int, extra: tuple[float, ...] = ()) -> Breakpoints:
    """Secant breakpoints of sigma on [0, c_t] (plus ``extra`` points), continued to the domain's top along
    the tangent at c_t (which lies above sigma's concave side): an upper bound of sigma everywhere."""
    mid, expo = sc.rl.reference_midpoint_flop() / units.FLOP, sc.rl.exponent
    start, top = rl_tangent_start(sc), rl_domain_top(sc)
    sigma = lambda c: laws.rl_fraction(c, mid, expo)  # noqa: E731
    inner = [p for p in extra if 0 < p < start]
    points = np.unique(np.concatenate([[0.0], spaced_points(start * 1e-3, start, n), inner, [start]]))
    values = np.asarray(sigma(points), dtype=float)
    slope = float(sigma(start)) / start  # the tangent at c_t through the origin
    points, values = np.append(points, top), np.append(values, slope * top)
    grid = error_grid((0.0, start), points[points <= start])
    error = float(np.max(np.abs(np.interp(grid, points, values) - sigma(grid))))
    return Breakpoints("RL gain fraction sigma(x) [-], convex side (secants)", points, values, (0.0, start), error)
