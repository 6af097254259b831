"""One call from a build-out scenario to its plan: build, solve, extract."""

from __future__ import annotations

from optimizer.buildout.model import build_buildout
from optimizer.buildout.results import BuildoutPlan, extract_buildout
from optimizer.buildout.solve import solve_buildout_model
from optimizer.schema import Scenario


def solve_buildout(sc: Scenario, *, time_limit: float | None = None, duals: bool = True) -> BuildoutPlan:
    """The optimal multi-period plan of ``sc`` (a scenario with ``periods:``), or an error."""
    m = build_buildout(sc)
    outcome = solve_buildout_model(m, time_limit=time_limit, duals=duals)
    return extract_buildout(m, outcome)
