"""Monte Carlo over the ``uncertainty:`` block: sample, solve every sample on the sweep engine (persistent
model, process pool or Dask, saved as it goes, resumable), and summarise as percentile bands.

For an output y over the S solved samples (equal weights 1/S): mean, the p5/p50/p95 quantiles (linear
interpolation between order statistics, numpy's default) and the share of samples that solved. Columns
named ``NAME:YEAR`` become rows with a ``period`` column (tidy), so a build-out gives bands by year.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from optimizer.schema import Scenario
from optimizer.uncertainty.sampling import Sample, sample

PERCENTILES = (5, 50, 95)
NOT_OUTPUTS = ("point", "sample", "probability", "solve_seconds", "refinement_cuts", "capability_index_model")
YEAR = re.compile(r"^(?P<name>.+):(?P<year>\d{4})$")


def outputs(table: pd.DataFrame) -> list[str]:
    """The numeric result columns of a solved-points table (inputs, duals and bookkeeping left out)."""
    return [c for c in table.columns if c not in NOT_OUTPUTS and not c.startswith(("in:", "regime:", "dual:"))
            and pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])]


def bands(table: pd.DataFrame) -> pd.DataFrame:
    """Tidy percentile bands: one row per (output, period) with n, mean, p5, p50, p95, min and max."""
    solved = table[table["status"] == "optimal"] if "status" in table else table
    rows = []
    for column in outputs(table):
        values = solved[column].dropna().to_numpy(dtype=float)
        values = np.where(np.abs(values) < 1e-6, 0.0, values)  # solver noise (-8e-12 nodes) reads as 0
        match = YEAR.match(column)
        name, period = (match["name"], match["year"]) if match else (column, "")
        row = {"output": name, "period": period, "n": len(values),
               "mean": float(values.mean()) if len(values) else np.nan}
        for q in PERCENTILES:
            row[f"p{q}"] = float(np.percentile(values, q)) if len(values) else np.nan
        row["min"] = float(values.min()) if len(values) else np.nan
        row["max"] = float(values.max()) if len(values) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def outcome_counts(table: pd.DataFrame) -> pd.DataFrame:
    """How many samples solved, were infeasible or were not solved."""
    counts = table["status"].value_counts()
    return pd.DataFrame([{"status": status, "samples": int(count), "share": count / len(table)}
                         for status, count in counts.items()])


def joined(samples: Sample, table: pd.DataFrame) -> pd.DataFrame:
    """The solved points with each sample's regimes and probability."""
    info = samples.table()
    info = info.drop(columns=[c for c in info.columns if c.startswith("in:")])
    return info.merge(table, left_on="sample", right_on="point", how="right").drop(columns="sample")


def montecarlo_tables(sc: Scenario, n: int, *, method: str = "lhs", seed: int | None = 0, duals: bool = False,
                      **options) -> dict[str, pd.DataFrame]:
    """``{"montecarlo_bands", "montecarlo_outcomes", "montecarlo"}``: bands, status counts and every sample.

    ``options`` go to ``optimizer.api.run_points`` (workers, executor, out, resume...)."""
    from optimizer.api import run_points

    samples = sample(sc, n, method, seed)

    def prepare():
        def finish(table):
            full = joined(samples, table)
            return {"montecarlo_bands": bands(full), "montecarlo_outcomes": outcome_counts(full), "montecarlo": full}
        return finish, None

    return run_points(sc, samples.points, {"montecarlo_bands": None}, prepare=prepare, duals=duals,
                      title=f"Monte Carlo ({n} samples, {method}, seed {seed})", **options)
