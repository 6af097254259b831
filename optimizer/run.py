"""One call from a scenario to a plan: build, solve, extract."""

from __future__ import annotations

from optimizer.model import build_model
from optimizer.results import Plan, extract_plan
from optimizer.schema import Scenario
from optimizer.solver import solve_model


def solve_scenario(sc: Scenario, *, time_limit: float | None = None) -> Plan:
    """Build the MILP for ``sc``, solve it to optimality (or raise) and return the plan. A scenario with
    ``periods:`` is a multi-period build-out (``optimizer.buildout``) and returns a ``BuildoutPlan``."""
    if sc.periods is not None:
        from optimizer.buildout.run import solve_buildout

        return solve_buildout(sc, time_limit=time_limit)
    m = build_model(sc, mutable=())  # nothing changes between solves: every coefficient is a constant
    outcome = solve_model(m, time_limit=time_limit)
    return extract_plan(m, outcome)
