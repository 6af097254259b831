"""Samples of a scenario's ``uncertainty:`` block.

Every input is one dimension of the unit hypercube: a continuous parameter maps through its inverse CDF,
a regime group through its cumulative probabilities (u in [P_<j, P_<=j) picks regime j, so a stratified
u gives stratified regimes). Correlated pairs are joined by a Gaussian copula: normal scores
z = Phi^-1(u) become z L^T with L the Cholesky factor of the correlation matrix, then u = Phi(z), which
keeps every marginal. Distributions given by a 90% interval (p5, p95):

    normal:     mu = (p5 + p95) / 2,          sigma = (p95 - p5) / (2 z_0.95)
    lognormal:  mu = (ln p5 + ln p95) / 2,    sigma = (ln p95 - ln p5) / (2 z_0.95)   (of ln x)

and ``bounds`` truncate them: u -> F(lo) + u (F(hi) - F(lo)).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.errors import ScenarioError
from optimizer.schema import Distribution, Scenario, Uncertainty

Z95 = 1.6448536269514722  # the standard normal's 95th percentile
METHODS = ("lhs", "sobol", "random")


@dataclass(frozen=True)
class Sample:
    """Samples of the uncertain inputs: ``points`` (path -> value, for the sweep engine), the regime chosen
    per group, and their probabilities (equal for a random sample, exact for an enumeration)."""

    points: list[dict[str, float]]
    regimes: list[dict[str, str]]
    probabilities: list[float]

    def table(self) -> pd.DataFrame:
        """One row per sample: ``sample``, ``probability``, ``regime:GROUP`` and ``in:PATH`` columns."""
        rows = [{"sample": i, "probability": p, **{f"regime:{g}": r for g, r in regimes.items()},
                 **{f"in:{k}": v for k, v in point.items()}}
                for i, (point, regimes, p) in enumerate(zip(self.points, self.regimes, self.probabilities))]
        return pd.DataFrame(rows)


def uncertainty_of(sc: Scenario, where: str = "uncertainty") -> Uncertainty:
    if sc.uncertainty is None:
        raise ScenarioError(sc.name, where, "the scenario has no uncertainty: block",
                            "add `uncertainty: {parameters: {PATH: {distribution: uniform, low: .., high: .., "
                            "source: ..}}}` (see scenarios/baseline.yaml and docs/uncertainty.md)")
    return sc.uncertainty


def dimensions(spec: Uncertainty) -> list[str]:
    """Names of the unit-cube dimensions: each parameter path, then ``regime:GROUP`` per group."""
    return list(spec.parameters) + [f"regime:{g}" for g in spec.regimes]


def unit_sample(d: int, n: int, method: str = "lhs", seed: int | None = 0) -> np.ndarray:
    """``n`` points of [0, 1)^d: a Latin hypercube, a scrambled Sobol' sequence or plain random draws."""
    from scipy.stats import qmc

    if method not in METHODS:
        raise ScenarioError("--method", method, "unknown sampling method", f"use one of {', '.join(METHODS)}")
    if n < 1:
        raise ScenarioError("--samples", str(n), "must be at least 1", "give -n 100 or more for percentiles")
    if method == "lhs":
        return qmc.LatinHypercube(d, seed=seed).random(n)
    if method == "sobol":
        with warnings.catch_warnings():  # scipy warns when n is not a power of two; the sample stays valid
            warnings.simplefilter("ignore", UserWarning)
            return qmc.Sobol(d, scramble=True, seed=seed).random(n)
    return np.random.default_rng(seed).random((n, d))


def inverse_cdf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """Values of ``dist`` at quantiles ``u`` (truncated to ``bounds`` where given)."""
    from scipy import stats

    if dist.distribution == "uniform":
        return dist.low + u * (dist.high - dist.low)
    if dist.distribution == "triangular":
        width = dist.high - dist.low
        return stats.triang(c=(dist.mode - dist.low) / width, loc=dist.low, scale=width).ppf(u)
    log = dist.distribution == "lognormal"
    lo, hi = (math.log(dist.p5), math.log(dist.p95)) if log else (dist.p5, dist.p95)
    normal = stats.norm(loc=(lo + hi) / 2, scale=(hi - lo) / (2 * Z95))
    if dist.bounds is not None:
        ends = [math.log(b) if log and b > 0 else (-math.inf if log else b) for b in dist.bounds]
        f_lo, f_hi = normal.cdf(ends[0]), normal.cdf(ends[1])
        u = f_lo + u * (f_hi - f_lo)
    x = normal.ppf(np.clip(u, 1e-15, 1 - 1e-15))
    return np.exp(x) if log else x


def correlate(spec: Uncertainty, u: np.ndarray) -> np.ndarray:
    """The continuous columns of ``u`` joined by the Gaussian copula of ``spec.correlations``."""
    from scipy import stats

    if not spec.correlations:
        return u
    paths = list(spec.parameters)
    corr = np.eye(len(paths))
    for pair in spec.correlations:
        i, j = paths.index(pair.paths[0]), paths.index(pair.paths[1])
        corr[i, j] = corr[j, i] = pair.rho
    try:
        factor = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise ScenarioError("uncertainty", "correlations", "the correlations are not a valid correlation matrix "
                            "(not positive definite)", "lower the rho values that contradict each other") from None
    out = u.copy()
    z = stats.norm.ppf(np.clip(u[:, :len(paths)], 1e-15, 1 - 1e-15)) @ factor.T
    out[:, :len(paths)] = stats.norm.cdf(z)
    return out


def regime_of(group, u: float) -> str:
    """The regime whose cumulative-probability interval holds ``u``."""
    total = 0.0
    names = list(group.options)
    for name in names:
        total += group.options[name].probability
        if u < total:
            return name
    return names[-1]


def from_unit(spec: Uncertainty, u: np.ndarray, probabilities: list[float] | None = None) -> Sample:
    """Map unit-cube rows to points (``correlate`` is applied by the caller where wanted)."""
    columns = {path: inverse_cdf(dist, u[:, i]) for i, (path, dist) in enumerate(spec.parameters.items())}
    offset = len(spec.parameters)
    points, regimes = [], []
    for row in range(u.shape[0]):
        point = {path: float(values[row]) for path, values in columns.items()}
        chosen = {}
        for j, (group, spec_group) in enumerate(spec.regimes.items()):
            chosen[group] = name = regime_of(spec_group, float(u[row, offset + j]))
            point.update(spec_group.options[name].values)
        points.append(point)
        regimes.append(chosen)
    n = u.shape[0]
    return Sample(points, regimes, probabilities or [1.0 / n] * n)


def sample(sc: Scenario, n: int, method: str = "lhs", seed: int | None = 0) -> Sample:
    """``n`` joint samples of the scenario's uncertain inputs (reproducible for a given ``seed``)."""
    spec = uncertainty_of(sc)
    u = unit_sample(len(dimensions(spec)), n, method, seed)
    return from_unit(spec, correlate(spec, u))


def enumerate_regimes(sc: Scenario) -> Sample:
    """Every combination of regimes with its exact probability (no continuous parameters allowed)."""
    import itertools

    spec = uncertainty_of(sc)
    if spec.parameters:
        raise ScenarioError(sc.name, "uncertainty.parameters", "continuous parameters cannot be enumerated",
                            "give --scenarios K to sample K scenarios, or use regimes only")
    groups = list(spec.regimes.items())
    points, regimes, probabilities = [], [], []
    for combo in itertools.product(*(list(g.options) for _, g in groups)):
        point, p = {}, 1.0
        for (_, group), name in zip(groups, combo):
            point.update(group.options[name].values)
            p *= group.options[name].probability
        points.append(point)
        regimes.append(dict(zip((g for g, _ in groups), combo)))
        probabilities.append(p)
    return Sample(points, regimes, probabilities)


def mean_point(sc: Scenario) -> dict[str, float]:
    """The expected value of every uncertain path (regimes: probability-weighted; a path a regime leaves
    unset keeps the scenario's value there): the deterministic 'mean-value' scenario."""
    from optimizer.scenario import get_path

    spec = uncertainty_of(sc)
    point = {path: mean_of(dist) for path, dist in spec.parameters.items()}
    for group in spec.regimes.values():
        paths = {path for option in group.options.values() for path in option.values}
        for path in paths:
            base = float(get_path(sc, path))
            point[path] = sum(o.probability * o.values.get(path, base) for o in group.options.values())
    return point


def mean_of(dist: Distribution) -> float:
    """E[x]: closed forms, or for a truncated distribution the midpoint rule on int_0^1 F^-1(u) du."""
    if dist.bounds is not None:
        return float(np.mean(inverse_cdf(dist, (np.arange(20000) + 0.5) / 20000)))
    if dist.distribution == "uniform":
        return (dist.low + dist.high) / 2
    if dist.distribution == "triangular":
        return (dist.low + dist.mode + dist.high) / 3
    if dist.distribution == "normal":
        return (dist.p5 + dist.p95) / 2
    mu = (math.log(dist.p5) + math.log(dist.p95)) / 2
    sigma = (math.log(dist.p95) - math.log(dist.p5)) / (2 * Z95)
    return math.exp(mu + sigma ** 2 / 2)
