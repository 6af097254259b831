"""A scenario without ``periods:`` as the build-out's one-period case (``--as-buildout``).

The single-period engine (``optimizer.model``) and the build-out (``optimizer.buildout``) are one model
when the build-out has one period of ``horizon_years`` years and the single-period engine's conventions:

| single-period engine                                 | build-out setting                         |
|------------------------------------------------------|-------------------------------------------|
| a fleet per role (pre-training, RL, serving)         | ``buildout.fleet_reuse: false``           |
| the RL run on any site type                          | ``buildout.rl_placement: any_site``       |
| costs over the horizon, undiscounted, nothing left   | ``discount_rate: 0``, ``remaining_value: false`` |
| every node lives through the horizon                 | ``hardware.*.lifetime_years: horizon_years`` |

Property tests solve both on tiny variants and on ``scenarios/baseline.yaml`` and find the same capability
and cost (``tests/test_buildout.py``). The period is labelled ``ONE_PERIOD_YEAR``: a scenario without
periods has no year-dependent input (availability years, price declines, algorithmic progress and lead
times are build-out-only keys), so the label names the period and changes nothing.
"""

from __future__ import annotations

from optimizer.errors import ScenarioError
from optimizer.scenario import provenance_of, validate_scenario
from optimizer.schema import Scenario

ONE_PERIOD_YEAR = 2026


def one_period_buildout(sc: Scenario, where: str = "--as-buildout") -> Scenario:
    """``sc`` (no ``periods:``) as a one-period build-out that has the same optimum."""
    if sc.periods is not None:
        raise ScenarioError(where, "periods", f"scenario '{sc.name}' is already a build-out",
                            f"leave {where} out")
    years = sc.horizon_years
    if years != int(years):
        raise ScenarioError(where, "horizon_years", f"is {years:g}; a build-out period lasts whole years",
                            f"set horizon_years to a whole number of years, or leave {where} out")
    raw = sc.model_dump(mode="json", exclude_none=True)
    raw["periods"] = {str(ONE_PERIOD_YEAR): {"years": int(years)}}
    raw["buildout"] = {"discount_rate": 0.0, "fleet_reuse": False, "rl_placement": "any_site",
                       "remaining_value": False}
    for spec in raw["hardware"].values():
        spec["lifetime_years"] = int(years)
    note = (f"{where}: the scenario without periods as the build-out's one-period case (one period of "
            "horizon_years; dedicated fleets, RL on any site, no discounting or remaining value, hardware life = "
            "horizon_years), optimizer/buildout/one_period.py")
    raw.setdefault("sources", {}).update({"periods": note, "buildout": note})
    out = validate_scenario(raw, f"{sc.name} ({where})")
    out._provenance = {**provenance_of(sc), "as_buildout": True}
    return out
