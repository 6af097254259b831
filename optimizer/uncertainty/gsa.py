"""Global sensitivity of the plan to the ``uncertainty:`` inputs, with SALib (Herman and Usher 2017).

Each input is one dimension of the unit cube, mapped through its inverse CDF (a regime group through its
cumulative probabilities), so SALib samples and analyses uniform [0, 1] inputs while the model sees the
scenario's distributions: the indices are those of the distributions themselves.

* Sobol' (Saltelli 2010 sampling, N (d + 2) solves): S1_i = V[E(Y | X_i)] / V(Y), the share of the
  output's variance due to X_i alone; ST_i = E[V(Y | X_~i)] / V(Y), including its interactions.
  Confidence intervals are bootstrap 95% intervals.
* Morris (elementary effects, r (d + 1) solves): mu*_i = mean |EE_i| (in output units per unit of the
  input's quantile), sigma_i its spread (nonlinearity or interaction); a screening method. Its levels
  sit at the middles of equal quantile strata, never at the infinite tails (``quantiles``).

Sobol' indices assume independent inputs: correlations in ``uncertainty.correlations`` are not applied
here (the table's ``note`` says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.errors import OptimizerError, ScenarioError
from optimizer.schema import Scenario
from optimizer.uncertainty.sampling import dimensions, from_unit, uncertainty_of

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


def problem(sc: Scenario) -> dict:
    names = dimensions(uncertainty_of(sc))
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def design(sc: Scenario, n: int, method: str, seed: int) -> np.ndarray:
    """SALib's unit-cube design: Saltelli's N (d + 2) rows (N a power of two) or Morris's r (d + 1)."""
    if method not in METHODS:
        raise ScenarioError("--method", method, "unknown sensitivity method", "use sobol or morris")
    spec = problem(sc)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise ScenarioError("--samples", str(n), "Sobol' sampling needs a power of two base samples",
                                "use e.g. -n 64 (64 x (d + 2) solves)")
        from SALib.sample import sobol

        return sobol.sample(spec, n, calc_second_order=False, seed=seed)
    if n < 2:
        raise ScenarioError("--samples", str(n), "Morris needs at least 2 trajectories", "use e.g. -n 10")
    from SALib.sample import morris

    return morris.sample(spec, n, num_levels=MORRIS_LEVELS, seed=seed)


def quantiles(rows: np.ndarray, method: str) -> np.ndarray:
    """The quantiles the model sees. Morris's grid {0, 1/(L-1), ..., 1} would put the ends at u = 0 and 1,
    the infinite tails of a normal or lognormal: the levels move to the middles of L equal strata,
    u' = (u (L - 1) + 1/2) / L, so each step is (L - 1)/L of SALib's (``indices`` rescales the effects)."""
    if method != "morris":
        return rows
    return (rows * (MORRIS_LEVELS - 1) + 0.5) / MORRIS_LEVELS


def indices(sc: Scenario, method: str, design_rows: np.ndarray, y: np.ndarray, output: str,
            seed: int) -> pd.DataFrame:
    """One row per input: S1, S1_conf, ST, ST_conf (Sobol') or mu_star, mu_star_conf, sigma (Morris),
    largest first."""
    spec = problem(sc)
    if np.isnan(y).any():
        raise OptimizerError(f"(sensitivity, {output}) | {int(np.isnan(y).sum())} of {len(y)} samples did not solve "
                             "(infeasible or no optimum), and the indices need every sample. Fix: narrow the "
                             "uncertainty ranges that make the scenario infeasible (the points table in --out "
                             "lists them), or analyse another --output")
    note = "correlations not applied (indices assume independent inputs)" if uncertainty_of(sc).correlations else ""
    if method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(spec, y, calc_second_order=False, conf_level=0.95, seed=seed)
        table = pd.DataFrame({"input": spec["names"], "S1": result["S1"], "S1_conf": result["S1_conf"],
                              "ST": result["ST"], "ST_conf": result["ST_conf"]}).sort_values("ST", ascending=False)
    else:
        from SALib.analyze import morris

        result = morris.analyze(spec, design_rows, y, conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed)
        per_quantile = MORRIS_LEVELS / (MORRIS_LEVELS - 1)  # effects per unit of the quantile actually moved
        table = pd.DataFrame({"input": spec["names"], "mu_star": result["mu_star"] * per_quantile,
                              "mu_star_conf": result["mu_star_conf"] * per_quantile,
                              "mu": result["mu"] * per_quantile,
                              "sigma": result["sigma"] * per_quantile}).sort_values("mu_star", ascending=False)
    table.insert(1, "output", output)
    table.insert(2, "method", method)
    table["note"] = note
    return table.reset_index(drop=True)


def sensitivity_tables(sc: Scenario, n: int, *, method: str = "sobol", output: str = "objective_value",
                       seed: int = 0, tornado: bool = True, **options) -> dict[str, pd.DataFrame]:
    """``{"sensitivity": indices, "sensitivity_points": one row per solve}``, and with ``tornado`` (and
    ``sensitivity:`` ranges in the scenario) the one-at-a-time ``tornado`` in the same run, so the report
    shows the two rankings side by side. ``options`` go to ``optimizer.api.run_points`` (workers, out...)."""
    from optimizer.api import run_points, solve
    from optimizer.sweeps import tornado_points, tornado_table

    rows = design(sc, n, method, seed)
    points = from_unit(uncertainty_of(sc), quantiles(rows, method)).points
    extra = tornado_points(sc) if tornado and sc.sensitivity else []

    def prepare():
        base = solve(sc) if extra else None  # the tornado's base objective, solved once --out is checked

        def finish(table):
            if output not in table:
                raise ScenarioError("--output", output, "is not a column of the solved points",
                                    f"use one of {', '.join(c for c in table.columns if not c.startswith('in:'))}")
            table = table.sort_values("point")
            design_part = table[table.point < len(points)]
            y = design_part[output].to_numpy(dtype=float)
            out = {"sensitivity": indices(sc, method, rows, y, output, seed)}
            if extra:  # the two rankings first, side by side in the report; the points after them
                one_at_a_time = table[table.point >= len(points)].assign(point=lambda t: t.point - len(points))
                out["tornado"] = tornado_table(sc, one_at_a_time, base.outcome.objective)
            return {**out, "sensitivity_points": design_part}
        return finish, base

    return run_points(sc, points + extra, {"sensitivity": None}, prepare=prepare, duals=False,
                      title=f"global sensitivity ({method}, {len(points)} solves)", **options)
