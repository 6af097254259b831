"""Sensitivity sweeps: one-at-a-time, grids, tornado and budget frontier.

The model is built once per worker, with only the swept paths mutable; each
point changes those Params (``m.param_paths``) and re-solves on the persistent
HiGHS instance. A path
that is not a mutable Param (a scaling-law shape, a menu, an architecture) is
structural: the point is solved on a model rebuilt for it, and the table says
so in the ``rebuilt`` column. Every point is validated as a whole scenario first,
so a bad value fails before any solve with the usual ``(where, key) | ...`` error.

The result is one tidy table: one row per point with its inputs, status,
objective, allocation and the duals of budget, power and data.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import OptimizerError, ScenarioError
from optimizer.scenario import check_numeric_path, get_path, set_path, validate_scenario
from optimizer.schema import Scenario

Point = dict[str, float]


@dataclass(frozen=True)
class ParamRange:
    """A swept parameter path and its values."""

    path: str
    values: tuple[float, ...]


def parse_param(text: str, sc: Scenario) -> ParamRange:
    """``PATH=start:stop:n`` (n evenly spaced values, ends included) or ``PATH=v1,v2,...``."""
    where = "--param"
    if "=" not in text:
        raise ScenarioError(where, text, "expected PATH=start:stop:n or PATH=v1,v2,...",
                            "write e.g. --param budget_usd=5e10:3e11:11")
    path, spec = (part.strip() for part in text.split("=", 1))
    check_numeric_path(sc, path, where)
    try:
        if ":" in spec:
            start, stop, n = spec.split(":")
            count = int(n)
            if count < 1:
                raise ValueError
            values = tuple(float(x) for x in np.linspace(float(start), float(stop), count))
        else:
            values = tuple(float(x) for x in spec.split(","))
    except ValueError:
        raise ScenarioError(where, path, f"cannot read the values '{spec}'",
                            "use start:stop:n with numbers and a whole n >= 1, or a comma-separated list") from None
    return ParamRange(path, values)


def one_at_a_time(ranges: Sequence[ParamRange]) -> list[Point]:
    """Each parameter over its values with the others at the scenario's value."""
    return [{r.path: value} for r in ranges for value in r.values]


def grid(ranges: Sequence[ParamRange]) -> list[Point]:
    """The Cartesian product of all parameters' values."""
    paths = [r.path for r in ranges]
    return [dict(zip(paths, combo)) for combo in itertools.product(*(r.values for r in ranges))]


def tornado_points(sc: Scenario) -> list[Point]:
    """Low and high of every ``sensitivity`` range, one parameter at a time."""
    if not sc.sensitivity:
        raise ScenarioError(sc.name, "sensitivity", "the scenario lists no sensitivity ranges",
                            "add `sensitivity: {path: [low, high]}` (see scenarios/baseline.yaml)")
    return [{path: value} for path, (low, high) in sc.sensitivity.items() for value in (low, high)]


def point_scenario(sc: Scenario, point: Point) -> Scenario:
    """The base scenario with the point's values, validated (so bad values fail clearly)."""
    raw = sc.model_dump()
    for path, value in point.items():
        set_path(raw, path, value, where=f"sweep point {point}")
    return validate_scenario(raw, f"{sc.name} sweep point {point}")


def run_sweep(sc: Scenario, points: Sequence[Point], *, workers: int = 1, executor: str = "process",
              scheduler: str | None = None, duals: bool = True, progress: bool = True) -> pd.DataFrame:
    """Solve every point; one row per point, in the order given.

    ``executor``: 'process' (``workers`` processes; 1 solves here) or 'dask' (the cluster at
    ``scheduler``, or a local cluster of ``workers`` single-threaded processes)."""
    if executor not in ("process", "dask"):
        raise ScenarioError("--executor", executor, "unknown executor", "use 'process' or 'dask'")
    for point in points:
        point_scenario(sc, point)  # validate all points before any solve
    chunks = split(list(enumerate(points)), workers)
    if executor == "dask":
        rows = run_dask(sc, chunks, scheduler, duals, workers, progress)
    elif workers <= 1:
        rows = solve_chunk(sc, [p for chunk in chunks for p in chunk], duals, progress)
    else:
        rows = run_processes(sc, chunks, workers, duals, progress)
    return pd.DataFrame(sorted(rows, key=lambda r: r["point"]))


def split(items: list, workers: int) -> list[list]:
    """Contiguous chunks, a few per worker so a progress bar moves and loads balance."""
    count = max(1, min(len(items), workers * 4 if workers > 1 else 1))
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_processes(sc: Scenario, chunks, workers: int, duals: bool, progress: bool) -> list[dict]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(solve_chunk, sc, chunk, duals, False): len(chunk) for chunk in chunks}
        with progress_bar(sum(futures.values()), progress) as bar:
            for future in as_completed(futures):
                rows += future.result()
                bar.update(futures[future])
    return rows


def run_dask(sc: Scenario, chunks, scheduler: str | None, duals: bool, workers: int = 1,
             progress: bool = False) -> list[dict]:
    """Chunks as tasks on a Dask cluster (``scheduler`` address) or on a local cluster of
    ``workers`` single-threaded worker processes."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise OptimizerError("(--executor, dask) | dask.distributed is not installed. "
                             "Fix: pip install 'compute-allocation-optimizer[dask]'") from None
    rows: list[dict] = []
    with contextlib.ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                                       processes=True, dashboard_address=None))
            client = stack.enter_context(Client(cluster))
        futures = client.map(solve_chunk, [sc] * len(chunks), chunks, [duals] * len(chunks), [False] * len(chunks),
                             pure=False)
        with progress_bar(sum(len(chunk) for chunk in chunks), progress) as bar:
            for future in as_completed(futures):
                part = future.result()
                rows += part
                bar.update(len(part))
    return rows


def progress_bar(total: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, disable=not enabled, unit="point", desc="sweep")


# Pyomo's solver interfaces capture output by swapping the process's stdout/stderr file descriptors,
# which deadlocks when two threads solve at once (a multi-threaded Dask worker): one chunk at a time.
SOLVE_LOCK = threading.Lock()


def solve_chunk(sc: Scenario, chunk: Iterable[tuple[int, Point]], duals: bool = True,
                progress: bool = False) -> list[dict]:
    """Build once, then set mutable Params and re-solve for each point (rebuild for structural paths).

    Points are validated by ``run_sweep`` before they get here. Chunks in one process run one at a
    time (``SOLVE_LOCK``)."""
    with SOLVE_LOCK:
        return _solve_chunk(sc, list(chunk), duals, progress)


def _solve_chunk(sc: Scenario, chunk: list[tuple[int, Point]], duals: bool, progress: bool) -> list[dict]:
    from optimizer.model import build_model
    from optimizer.solve import DualTwin, new_solver

    m = build_model(sc, mutable={path for _, point in chunk for path in point})
    solver, twin = new_solver(m), None
    rows = []
    with progress_bar(len(chunk), progress) as bar:
        for index, point in chunk:
            structural = [p for p in point if p not in m.param_paths]
            if structural:
                model, point_solver, point_twin = build_model(point_scenario(sc, point)), None, None
            else:
                set_params(m, sc, point)
                if duals and twin is None:
                    twin = DualTwin(m)
                model, point_solver, point_twin = m, solver, twin
            rows.append({"point": index, **{f"in:{k}": v for k, v in point.items()},
                         "rebuilt": bool(structural), **solve_point(model, point_solver, duals, point_twin)})
            bar.update(1)
    return rows


def set_params(m, sc: Scenario, point: Point) -> None:
    """Reset every mutable Param to the base scenario, then apply the point's values."""
    for path, (param, scale) in m.param_paths.items():
        param.value = (point[path] if path in point else base_value(sc, path)) / scale


def base_value(sc: Scenario, path: str) -> float:
    value = get_path(sc, path)
    return 0.0 if value is None else float(value)


def solve_point(m, solver, duals: bool, dual_twin=None) -> dict[str, Any]:
    """Solve one point and flatten the plan into a row (NaNs and the status when not optimal)."""
    from optimizer.errors import InfeasibleError, SolveError
    from optimizer.results import point_row
    from optimizer.solve import new_solver, solve_with

    try:
        outcome = solve_with(solver or new_solver(m), m, duals=duals, explain=False, dual_twin=dual_twin)
    except InfeasibleError:
        return {"status": "infeasible"}
    except SolveError as exc:
        return {"status": "not solved", "message": str(exc)}
    return point_row(m, outcome)


def tornado_table(sc: Scenario, table: pd.DataFrame, base_objective: float) -> pd.DataFrame:
    """Per parameter: objective at low and high, and the swing, largest swing first."""
    rows = []
    for path, (low, high) in sc.sensitivity.items():
        col = f"in:{path}"
        at = table[table[col].notna()] if col in table else table.iloc[0:0]
        obj = dict(zip(at[col], at["objective_value"]))
        rows.append({"parameter": path, "low": low, "high": high, "base_value": get_path(sc, path),
                     "objective_low": obj.get(low, np.nan), "objective_high": obj.get(high, np.nan),
                     "objective_base": base_objective})
    out = pd.DataFrame(rows)
    out["swing"] = (out.objective_high - out.objective_low).abs()
    return out.sort_values("swing", ascending=False, na_position="last").reset_index(drop=True)

