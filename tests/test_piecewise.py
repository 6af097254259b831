"""Tangent cuts bound the curve from the right side and their reported error is the real one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import laws
from optimizer.piecewise import breakpoints, spaced_points, tangent_cuts

CONCAVE = tangent_cuts("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x), spaced_points(0.01, 100, 12), "concave",
                       (0.01, 100))
CONVEX = tangent_cuts("inv", lambda x: 1 / x, lambda x: -1 / x**2, spaced_points(1, 1000, 16), "convex", (1, 1000))


def test_cuts_are_exact_at_tangent_points():
    for cuts, f in ((CONCAVE, np.sqrt), (CONVEX, lambda x: 1 / x)):
        assert cuts.envelope(cuts.points) == pytest.approx(f(cuts.points), rel=1e-12)


def test_two_tangents_of_a_parabola_have_known_error():
    # f = -x^2 on [-1, 1], tangents at -1 and 1 meet at x = 0 with value 1: error exactly 1
    cuts = tangent_cuts("parabola", lambda x: -(x**2), lambda x: -2 * x, np.array([-1.0, 1.0]), "concave", (-1, 1))
    assert cuts.max_error == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 100))
def test_concave_envelope_over_estimates_within_bound(x):
    gap = CONCAVE.envelope(x)[0] - np.sqrt(x)
    assert -1e-12 <= gap <= CONCAVE.max_error * 1.05


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 1000))
def test_convex_envelope_under_estimates_within_bound(x):
    gap = 1 / x - CONVEX.envelope(x)[0]
    assert -1e-12 <= gap <= CONVEX.max_error * 1.05


def test_more_points_shrink_the_error():
    errors = [tangent_cuts("rl", lambda c: laws.rl_fraction(c, 1.0, 1.0), lambda c: laws.rl_fraction_slope(c, 1.0, 1.0),
                           spaced_points(1e-3, 100, n), "concave", (0, 100)).max_error for n in (8, 16, 64)]
    assert errors[0] > errors[1] > errors[2]


def test_breakpoints_interpolate_an_s_curve():
    f = lambda c: laws.rl_fraction(c, 1.0, 3.0)  # noqa: E731
    bp = breakpoints("s", f, spaced_points(1e-2, 10, 40), (0, 10))
    assert bp.envelope(bp.points) == pytest.approx(f(bp.points))
    grid = np.linspace(0, 10, 5001)
    assert np.max(np.abs(bp.envelope(grid) - f(grid))) <= bp.max_error + 1e-12
