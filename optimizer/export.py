"""Write plans and sweep tables: CSV and Parquet per table, one JSON document, and report.html.

Every file goes through ``OutputDir`` (atomic, locked, never silently overwritten). The JSON
document records provenance: package, solver and Python versions, the time, the command, the input
file and its sha256, and the override groups and ``--set`` values applied; ``optimizer solve
DIR/plan.json`` re-runs the recorded scenario.
"""

from __future__ import annotations

import io
import json
import math
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.outdir import OutputDir

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.results import Plan
    from optimizer.schema import Scenario


def to_jsonable(obj):
    """numpy/pandas scalars and NaN to plain JSON values."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from optimizer import __version__

    found = {"compute-allocation-optimizer": __version__, "python": platform.python_version()}
    for package in ("highspy", "pyomo", "pandas", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def provenance(sc: Scenario, command: list[str] | None = None) -> dict:
    """Where a result came from: versions, time, command, input file and hash, overrides and sets."""
    from optimizer.scenario import provenance_of

    return {"versions": versions(), "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": list(sys.argv if command is None else command), "platform": platform.platform(),
            **provenance_of(sc)}


def as_output(out: str | Path | OutputDir, force: bool = False) -> tuple[OutputDir, bool]:
    """(directory, whether we opened it and so must close it)."""
    if isinstance(out, OutputDir):
        return out, False
    return OutputDir.open(out, force=force), True


def write_tables(tables: dict[str, pd.DataFrame], out: str | Path | OutputDir, sc: Scenario, plan: Plan | None = None,
                 json_name: str = "results.json", *, force: bool = False, report: bool = True,
                 title: str | None = None) -> list[Path]:
    """``<name>.csv`` and ``<name>.parquet`` per table (plan tables too), a JSON document and report.html."""
    directory, owned = as_output(out, force)
    try:
        written = _write(directory, tables, sc, plan, json_name, report, title)
    except BaseException:
        if owned:
            directory.release()
        raise
    if owned:
        directory.close()
    return written


def _write(directory: OutputDir, tables, sc, plan, json_name: str, report: bool, title: str | None) -> list[Path]:
    everything = {**(plan.tables() if plan else {}), **tables}
    written = []
    for name, table in everything.items():
        written.append(directory.write_text(f"{name}.csv", table.to_csv(index=False)))
        buffer = io.BytesIO()
        table.to_parquet(buffer, index=False)
        written.append(directory.write_bytes(f"{name}.parquet", buffer.getvalue()))
    document = {"provenance": provenance(sc), "tables": {n: t.to_dict(orient="records") for n, t in everything.items()},
                "scenario": sc.model_dump(mode="json")}
    if plan is not None:
        document["summary"] = plan.summary
    written.append(directory.write_text(json_name, json.dumps(to_jsonable(document), indent=2, allow_nan=False)))
    if report:
        from optimizer.report import render_report

        written.append(directory.write_text("report.html", render_report(sc, tables, plan, title=title,
                                                                         provenance=document["provenance"])))
    return written


def write_plan(plan: Plan, out: str | Path | OutputDir, *, force: bool = False) -> list[Path]:
    """A solved plan: its tables as CSV and Parquet, ``plan.json`` and ``report.html``."""
    return write_tables({}, out, plan.scenario, plan, json_name="plan.json", force=force)
