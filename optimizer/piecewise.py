"""Piecewise-linear approximations of the scaling laws, with their error bound.

A concave ``f`` maximised is replaced by its tangent cuts (hypograph):
``t <= f(x_k) + f'(x_k) (x - x_k)`` for every point ``x_k``; the envelope
``min_k`` of the cuts is >= f, so the model can over-state ``f`` by at most
``max_error``.  A convex ``f`` minimised (a loss) uses the same cuts as an
epigraph, ``t >= ...``, and can under-state ``f`` by at most ``max_error``.

Where a curve is neither (ScaleRL with exponent B > 1 is S-shaped) we use
secant interpolation through breakpoints instead (``Breakpoints``), which is
exact at the breakpoints and off by at most ``max_error`` between them.

``max_error`` is measured on a dense grid over the whole domain; the results
also report the error at the solution itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

Curve = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Cuts:
    """Tangent lines ``slope * x + intercept`` of a concave or convex curve."""

    name: str
    shape: Literal["concave", "convex"]
    points: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    domain: tuple[float, float]
    max_error: float

    def envelope(self, x) -> np.ndarray:
        """min of cuts (concave) or max of cuts (convex) at ``x``."""
        lines = np.outer(np.atleast_1d(x), self.slopes) + self.intercepts
        return lines.min(axis=1) if self.shape == "concave" else lines.max(axis=1)


@dataclass(frozen=True)
class Breakpoints:
    """Secant interpolation ``f`` through ``(points, values)``."""

    name: str
    points: np.ndarray
    values: np.ndarray
    domain: tuple[float, float]
    max_error: float

    def envelope(self, x) -> np.ndarray:
        return np.interp(np.atleast_1d(x), self.points, self.values)


def tangent_cuts(
    name: str,
    f: Curve,
    slope: Curve,
    points: np.ndarray,
    shape: Literal["concave", "convex"],
    domain: tuple[float, float],
) -> Cuts:
    """Cuts tangent to ``f`` at ``points``; ``max_error`` = max |envelope - f| on ``domain``."""
    points = np.unique(np.asarray(points, dtype=float))
    slopes = np.asarray(slope(points), dtype=float)
    intercepts = np.asarray(f(points), dtype=float) - slopes * points
    cuts = Cuts(name, shape, points, slopes, intercepts, domain, 0.0)
    grid = error_grid(domain, points)
    error = float(np.max(np.abs(cuts.envelope(grid) - f(grid))))
    return Cuts(name, shape, points, slopes, intercepts, domain, error)


def breakpoints(name: str, f: Curve, points: np.ndarray, domain: tuple[float, float]) -> Breakpoints:
    """Secant interpolation through ``points``; ``max_error`` = max |interp - f| on ``domain``."""
    points = np.unique(np.concatenate([np.asarray(points, dtype=float), domain]))
    values = np.asarray(f(points), dtype=float)
    approx = Breakpoints(name, points, values, domain, 0.0)
    grid = error_grid(domain, points)
    error = float(np.max(np.abs(approx.envelope(grid) - f(grid))))
    return Breakpoints(name, points, values, domain, error)


def error_grid(domain: tuple[float, float], points: np.ndarray, size: int = 4001) -> np.ndarray:
    """Dense grid: linear and log-spaced samples of ``domain`` plus the points and their midpoints."""
    lo, hi = domain
    parts = [np.linspace(lo, hi, size), points, (points[1:] + points[:-1]) / 2]
    if hi > 0:
        parts.append(np.geomspace(max(lo, hi * 1e-9), hi, size))
    grid = np.concatenate(parts)
    return np.unique(grid[(grid >= lo) & (grid <= hi)])


def spaced_points(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` geometrically spaced points on [lo, hi] (lo > 0): even relative spacing suits power laws."""
    if hi <= lo:
        return np.array([lo])
    return np.geomspace(lo, hi, n)
