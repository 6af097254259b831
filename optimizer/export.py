"""Write plans and sweep tables: CSV and Parquet per table, one JSON document, and report.html."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.results import Plan
from optimizer.schema import Scenario


def to_jsonable(obj):
    """numpy/pandas scalars and NaN to plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_tables(tables: dict[str, pd.DataFrame], out: str | Path, sc: Scenario, plan: Plan | None = None,
                 json_name: str = "results.json") -> list[Path]:
    """``<name>.csv`` and ``<name>.parquet`` per table (plan tables too), a JSON document and report.html."""
    from optimizer.report import render_report

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    everything = {**(plan.tables() if plan else {}), **tables}
    written = []
    for name, table in everything.items():
        table.to_csv(out / f"{name}.csv", index=False)
        table.to_parquet(out / f"{name}.parquet", index=False)
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    document = {"tables": {n: t.to_dict(orient="records") for n, t in everything.items()},
                "scenario": sc.model_dump(mode="json")}
    if plan is not None:
        document["summary"] = plan.summary
    path = out / json_name
    path.write_text(json.dumps(to_jsonable(document), indent=2))
    written.append(path)
    path = out / "report.html"
    path.write_text(render_report(sc, tables, plan))
    written.append(path)
    return written


def write_plan(plan: Plan, out: str | Path) -> list[Path]:
    """A solved plan: its tables as CSV and Parquet, ``plan.json`` and ``report.html``."""
    return write_tables({}, out, plan.scenario, plan, json_name="plan.json")
