"""Write a plan to a folder: one CSV per table, and ``plan.json`` with the summary and every table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from optimizer.results import Plan


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


def plan_document(plan: Plan) -> dict:
    """The plan as one JSON-ready mapping: summary, tables (records) and the scenario with its sources."""
    return to_jsonable({
        "summary": plan.summary,
        "tables": {name: table.to_dict(orient="records") for name, table in plan.tables().items()},
        "scenario": plan.scenario.model_dump(mode="json"),
    })


def write_plan(plan: Plan, out: str | Path) -> list[Path]:
    """Write ``<table>.csv`` for each table and ``plan.json``; return the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in plan.tables().items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=False)
        written.append(path)
    path = out / "plan.json"
    path.write_text(json.dumps(plan_document(plan), indent=2))
    written.append(path)
    return written
