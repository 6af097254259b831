"""Sensitivity sweeps: one-at-a-time, grids, tornado and budget frontier.

The model is built once per worker, with only the swept paths mutable; each
point changes those Params (``m.param_paths``) and re-solves on the persistent
HiGHS instance. A scaling-law parameter (``optimizer.model.law_params.LAW_PATHS``)
is data too: the point's laws are recomputed into the cut coefficients in place.
A path that is neither (a menu, an architecture) is structural: the point is
solved on a model rebuilt for it, and the table says so in the ``rebuilt`` column.
Every point is validated as a whole scenario first, so a bad value fails before
any solve with the usual ``(where, key) | ...`` error.

The result is one tidy table: one row per point with its inputs, status,
objective, allocation and the duals of budget, power and data.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import OptimizerError, ScenarioError
from optimizer.journal import Journal
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
    """The Cartesian product of all parameters' values (each path once)."""
    paths = [r.path for r in ranges]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise ScenarioError("--param", repeated[0], "is given more than once in a --grid sweep",
                            "give each path once with all its values, e.g. PATH=v1,v2,v3")
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


@dataclass(frozen=True)
class Work:
    """What each point solves: the lexicographic second stage (``stage2``: cost minimised at K*, so the
    plan buys nothing that adds no capability) and the marginal values (``duals``). A sweep that needs
    neither skips them; its rows then say so in a ``skipped`` column."""

    duals: bool = True
    stage2: bool = True

    def skipped(self) -> str:
        return ", ".join(name for name, on in (("stage 2", self.stage2), ("duals", self.duals)) if not on)


def run_sweep(sc: Scenario, points: Sequence[Point], *, workers: int = 1, executor: str = "process",
              scheduler: str | None = None, duals: bool = True, stage2: bool = True, progress: bool = True,
              journal: Journal | None = None, validated: bool = False) -> pd.DataFrame:
    """Solve every point; one row per point, in the order given.

    ``executor``: 'process' (``workers`` spawned processes; 1 solves here) or 'dask' (the cluster at
    ``scheduler``, or a local cluster of ``workers`` single-threaded processes). ``journal`` saves each
    finished row as it comes and skips the rows it already holds (``--resume``). Ctrl-C or SIGTERM stops
    every executor promptly; the rows finished so far stay in the journal. ``validated``: the caller has
    already validated every point."""
    from optimizer.interrupts import interruptible

    if executor not in ("process", "dask"):
        raise ScenarioError("--executor", executor, "unknown executor", "use 'process' or 'dask'")
    if not validated:
        for point in points:
            point_scenario(sc, point)  # validate all points before any solve
    done = dict(journal.done) if journal else {}
    pending = [(i, p) for i, p in enumerate(points) if i not in done]
    rows = list(done.values())
    mutable = frozenset(path for point in points for path in point)
    work = Work(duals=duals, stage2=stage2)

    def finished(part: list[dict]) -> None:
        rows.extend(part)
        if journal:
            journal.add(part)

    with interruptible(), progress_bar(len(points), progress, initial=len(done)) as bar:
        if not pending:  # a resumed sweep that had finished every point
            bar.refresh()
        elif executor == "dask":
            run_dask(sc, chunked(pending, workers), scheduler, work, workers, mutable, finished, bar)
        elif workers <= 1:
            for row in iter_solve(sc, pending, work, mutable):
                finished([row])
                bar.update(1)
        else:
            run_processes(sc, chunked(pending, workers), workers, work, mutable, finished, bar)
    return pd.DataFrame(sorted(rows, key=lambda r: r["point"]))


MAX_CHUNK = 4  # points per task: small, so an interrupt loses no finished point and loads balance


def chunked(items: list, workers: int) -> list[list]:
    """Contiguous chunks of at most MAX_CHUNK points (each worker keeps its model between chunks)."""
    size = max(1, min(MAX_CHUNK, -(-len(items) // max(1, workers * 4))))
    return [items[i:i + size] for i in range(0, len(items), size)]


def effective_workers(requested: int) -> tuple[int, str | None]:
    """``requested`` capped at the machine's cores, and the warning to show when it was capped."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if requested < 1:
        raise ScenarioError("--workers", str(requested), "must be at least 1", "use -j 1 to solve in this process")
    if requested > cores:
        return cores, f"warning: --workers {requested} is more than the {cores} cores here; using {cores}"
    return requested, None


def run_processes(sc: Scenario, chunks, workers: int, work: Work, mutable: frozenset, finished, bar) -> None:
    """Chunks on a pool of spawned worker processes, each building the model once (``_worker_start``)."""
    def done(_index: int, part: list[dict]) -> None:
        finished(part)
        bar.update(len(part))

    map_in_processes(_worker_solve, [(chunk,) for chunk in chunks], workers, done,
                     initializer=_worker_start, initargs=(sc, work, mutable))


def map_in_processes(function, calls: list[tuple], workers: int, done, *, initializer=None, initargs=()) -> None:
    """``function(*call)`` for each call on ``workers`` spawned processes (spawn is safe inside Jupyter and
    threads); ``done(i, result)`` runs here as each call ends. On any exception, Ctrl-C or SIGTERM the pending
    calls are cancelled and the workers terminated, so no process outlives the pool."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer, initargs=initargs)
    clean = False
    try:
        futures = {pool.submit(function, *call): i for i, call in enumerate(calls)}
        pending = set(futures)
        while pending:
            finished_now, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished_now:
                done(futures[future], worker_result(future))
            check_interrupt()
        clean = True
    finally:
        stop_pool(pool, clean)
        del pool  # an exception's traceback keeps this frame: let the pool's queues be finalised now
        gc.collect()


def worker_result(future) -> list[dict]:
    """A chunk's rows; a worker that died becomes a clear error (the usual cause is named)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        raise OptimizerError("(--workers, process) | a worker process died before finishing its points. Fix: "
                             "from a Python script, call sweeps with workers > 1 under `if __name__ == "
                             "'__main__':` (worker processes start by importing the main module); otherwise "
                             "check free memory, or use --workers 1") from None


def check_interrupt() -> None:
    from optimizer.interrupts import check

    check()


def stop_pool(pool, clean: bool) -> None:
    """Shut the pool down; unless it finished cleanly, cancel what is queued and terminate the workers."""
    if clean:
        pool.shutdown(wait=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
    pool.shutdown(wait=True)  # the manager thread sees the workers gone and releases the queues


_WORKER: dict[str, Any] = {}


def worker_process_start() -> None:
    """A pool worker: signals left to the parent, one HiGHS thread (the pool has one process per core)."""
    from optimizer.interrupts import ignore_in_worker

    ignore_in_worker()  # first: a SIGTERM during the imports below would otherwise leak Pyomo's semaphore
    import optimizer.solver

    optimizer.solver.THREADS = 1


def _worker_start(sc: Scenario, work: Work, mutable: frozenset) -> None:
    worker_process_start()
    _WORKER.update(sc=sc, work=work, mutable=mutable)


def _worker_solve(chunk: list[tuple[int, Point]]) -> list[dict]:
    return list(iter_solve(_WORKER["sc"], chunk, _WORKER["work"], _WORKER["mutable"]))


def run_dask(sc: Scenario, chunks, scheduler: str | None, work: Work, workers: int, mutable: frozenset,
             finished, bar) -> None:
    """Chunks as tasks on a Dask cluster (``scheduler`` address) or on a local cluster of
    ``workers`` single-threaded worker processes. An unreachable scheduler is an error within 10 s."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise OptimizerError("(--executor, dask) | dask.distributed is not installed. "
                             "Fix: pip install 'compute-allocation-optimizer[dask]'") from None
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="10s"))
            except (OSError, TimeoutError, ValueError) as exc:
                raise OptimizerError(f"(--scheduler, {scheduler}) | cannot reach the Dask scheduler "
                                     f"({type(exc).__name__}: {str(exc)[:120]}). Fix: check the address "
                                     "(tcp://HOST:8786) and that the scheduler runs, or leave --scheduler out "
                                     "for a local cluster") from None
        else:
            cluster = stack.enter_context(LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                                       processes=True, dashboard_address=None,
                                                       silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        futures = client.map(solve_chunk, [sc] * len(chunks), chunks, [work] * len(chunks),
                             [mutable] * len(chunks), pure=False)
        try:
            for future in as_completed(futures):
                part = future.result()
                finished(part)
                bar.update(len(part))
                check_interrupt()
        except BaseException:
            client.cancel(futures)
            raise


def progress_bar(total: int, enabled: bool, initial: int = 0):
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, disable=not enabled, unit="point", desc="sweep", file=sys.stderr)


# Pyomo's solver interfaces capture output by swapping the process's stdout/stderr file descriptors,
# which deadlocks when two threads solve at once (a multi-threaded Dask worker): one chunk at a time.
SOLVE_LOCK = threading.Lock()


def solve_chunk(sc: Scenario, chunk: Iterable[tuple[int, Point]], work: Work = Work(),
                mutable: frozenset | None = None) -> list[dict]:
    """Solve a chunk of points (a Dask task); chunks in one process run one at a time (``SOLVE_LOCK``)."""
    import optimizer.solver

    optimizer.solver.THREADS = 1  # a Dask worker is one of many processes: one HiGHS thread each
    with SOLVE_LOCK:
        chunk = list(chunk)
        return list(iter_solve(sc, chunk, work, mutable or frozenset(p for _, pt in chunk for p in pt)))


# this process's persistent model: (key, model, solver); a worker keeps it between chunks
_MODEL_CACHE: list[tuple] = []


def persistent_model(sc: Scenario, mutable: frozenset):
    """The model for ``sc`` with ``mutable`` paths and its persistent solver, built once per process."""
    key = (sc.model_dump_json(), mutable)
    if _MODEL_CACHE and _MODEL_CACHE[0][0] == key:
        return _MODEL_CACHE[0][1:]
    if sc.periods is not None:
        from optimizer.buildout.model import build_buildout
        from optimizer.buildout.solve import buildout_solver

        m = build_buildout(sc, mutable)
        entry = (m, buildout_solver(m))
    else:
        from optimizer.model import build_model
        from optimizer.solver import new_solver

        m = build_model(sc, mutable=mutable)
        entry = (m, new_solver(m))
    _MODEL_CACHE[:] = [(key, *entry)]
    return entry


def iter_solve(sc: Scenario, chunk: list[tuple[int, Point]], work: Work, mutable: frozenset):
    """Yield one row per point: set mutable Params and re-solve (rebuild for structural paths)."""
    from optimizer.model import build_model
    from optimizer.model.law_params import LAW_PATHS, LawShapeChanged

    if sc.periods is not None:
        yield from iter_solve_buildout(sc, chunk, work, mutable)
        return
    m, solver = persistent_model(sc, mutable)
    for index, point in chunk:
        structural = [p for p in point if p not in m.param_paths and not (m.laws_mutable and p in LAW_PATHS)]
        if not structural:
            try:
                set_laws(m, sc, point)
            except LawShapeChanged:
                structural = [p for p in point if p in LAW_PATHS]
        if structural:
            model, point_solver = build_model(point_scenario(sc, point), mutable=()), None
        else:
            set_params(m, sc, point)
            model, point_solver = m, solver
        yield {"point": index, **{f"in:{k}": v for k, v in point.items()},
               "rebuilt": bool(structural), **solve_point(model, point_solver, work)}


def set_laws(m, sc: Scenario, point: Point) -> None:
    """Give the model the point's scaling laws (the base scenario's where the point names none), in place."""
    from optimizer.model.law_params import LAW_PATHS, apply_laws

    if not m.laws_mutable:
        return
    changes = {path: value for path, value in point.items() if path in LAW_PATHS}
    key = tuple(sorted(changes.items()))
    if key != getattr(m, "law_key", ()):
        apply_laws(m, point_scenario(sc, changes) if changes else sc)
        m.law_key = key


def set_params(m, sc: Scenario, point: Point) -> None:
    """Reset every mutable Param to the base scenario, then apply the point's values."""
    for path, (param, scale) in m.param_paths.items():
        param.value = (point[path] if path in point else base_value(sc, path)) / scale


def base_value(sc: Scenario, path: str) -> float:
    value = get_path(sc, path)
    return 0.0 if value is None else float(value)


def solve_point(m, solver, work: Work = Work()) -> dict[str, Any]:
    """Solve one point and flatten the plan into a row (NaNs and the status when not optimal)."""
    from optimizer.errors import InfeasibleError, SolveError
    from optimizer.results import point_row
    from optimizer.solver import new_solver, solve_with

    skipped = {"skipped": work.skipped()} if work.skipped() else {}
    try:
        outcome = solve_with(solver or new_solver(m), m, duals=work.duals, explain=False, second_stage=work.stage2)
    except InfeasibleError:
        return {"status": "infeasible", **skipped}
    except SolveError as exc:
        return {"status": "not solved", "message": str(exc), **skipped}
    return {**point_row(m, outcome), **skipped}


def iter_solve_buildout(sc: Scenario, chunk: list[tuple[int, Point]], work: Work, mutable: frozenset):
    """A build-out's rows: the points that change only data paths (``optimizer.buildout.data``) re-solve the
    persistent model with the point's values; any other point is solved on a model built for it."""
    from optimizer.buildout.data import in_place, set_data
    from optimizer.buildout.model import build_buildout
    from optimizer.buildout.timeline import timeline

    m, solver = persistent_model(sc, mutable)
    base = m.scenario, m.timeline
    for index, point in chunk:
        point_sc = point_scenario(sc, point)
        structural = [path for path in point if not in_place(m, path)]
        if structural:
            model, point_solver = build_buildout(point_sc), None
        else:
            set_data(m, sc, point)
            m.scenario, m.timeline = point_sc, timeline(point_sc)  # the plan's tables read the point's numbers
            model, point_solver = m, solver
        try:
            row = solve_buildout_point(model, point_solver, work)
        finally:
            m.scenario, m.timeline = base
        yield {"point": index, **{f"in:{k}": v for k, v in point.items()}, "rebuilt": bool(structural), **row}


def solve_buildout_point(m, solver, work: Work = Work()) -> dict[str, Any]:
    """Solve one build-out point (``solver``: the persistent HiGHS holding ``m``, or None for a new one);
    flatten its plan into a row (the status when not optimal)."""
    from optimizer.buildout.results import point_row
    from optimizer.buildout.solve import solve_buildout_model
    from optimizer.errors import InfeasibleError, SolveError

    skipped = {"skipped": work.skipped()} if work.skipped() else {}
    try:
        outcome = solve_buildout_model(m, duals=work.duals, second_stage=work.stage2, explain=False, solver=solver)
    except InfeasibleError:
        return {"status": "infeasible", **skipped}
    except SolveError as exc:
        return {"status": "not solved", "message": str(exc), **skipped}
    return {**point_row(m, outcome), **skipped}


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

