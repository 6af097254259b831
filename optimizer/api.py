"""The Python API, for notebooks and scripts; the command line is a thin layer over it.

>>> import optimizer as opt
>>> sc = opt.load("scenarios/baseline.yaml", overrides=["scarce_data"], set={"budget_usd": 2e11})
>>> plan = opt.solve(sc)                      # a Plan: .summary, .workloads, .fleet, ... DataFrames
>>> plan.save("out/run1")                     # CSV, Parquet, plan.json (with provenance), report.html
>>> table = opt.sweep(sc, {"budget_usd": "1e11:3e11:5"})   # one row per point
>>> fig = opt.plot.frontier(opt.frontier(sc, budgets=[1e11, 2e11]))

Errors are ``optimizer.errors.OptimizerError`` subclasses whose message is one line: where, what, fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.errors import ScenarioError
from optimizer.scenario import load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.results import Plan
    from optimizer.schema import Scenario

ParamSpec = Mapping[str, "Sequence[float] | str"] | Sequence[str]


def load(path: str | Path, *, scenario: str | None = None, overrides: Sequence[str] | None = None,
         set: Mapping[str, Any] | Sequence[str] | None = None,  # noqa: A002 - mirrors --set
         as_buildout: bool = False) -> Scenario:
    """Read and validate a scenario: named ``scenario``, ``overrides`` groups, then ``set`` values
    (``{"budget_usd": 2e11}`` or ``["budget_usd=2e11"]``). ``path`` may be a ``plan.json`` to re-run.
    ``as_buildout``: a scenario without ``periods:`` as the build-out's one-period case (the same plan on the
    multi-period model; ``optimizer.buildout.one_period``)."""
    sets = dict(set) if isinstance(set, Mapping) else list(set or [])
    sc = load_scenario(path, scenario=scenario, overrides=list(overrides or []), sets=sets)
    if as_buildout:
        from optimizer.buildout.one_period import one_period_buildout

        return one_period_buildout(sc, "as_buildout")
    return sc


def solve(sc: Scenario, *, time_limit: float | None = None) -> Plan:
    """The optimal plan (raises InfeasibleError, naming the conflicting constraints, or SolveError)."""
    from optimizer.interrupts import interruptible
    from optimizer.run import solve_scenario

    check_time_limit(time_limit)
    with interruptible():
        return solve_scenario(sc, time_limit=time_limit)


def check_time_limit(time_limit: float | None) -> None:
    import math

    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                   or not math.isfinite(time_limit) or time_limit <= 0):
        raise ScenarioError("--time-limit", str(time_limit), "must be a positive, finite number of seconds",
                            "use e.g. --time-limit 60, or leave it out for no limit")


def sweep_points(sc: Scenario, params: ParamSpec, grid: bool = False) -> list[dict[str, float]]:
    """Points of a sweep: ``{"path": [v1, v2]}`` / ``{"path": "start:stop:n"}`` or ``["path=start:stop:n"]``."""
    import optimizer.sweeps as sw

    if isinstance(params, Mapping):
        specs = [f"{path}={values}" if isinstance(values, str) else f"{path}={','.join(repr(float(v)) for v in values)}"
                 for path, values in params.items()]
    else:
        specs = list(params)
    if not specs:
        raise ScenarioError("--param", "-", "no parameter to sweep",
                            "give at least one, e.g. -p budget_usd=1e11:3e11:5")
    ranges = [sw.parse_param(spec, sc) for spec in specs]
    return sw.grid(ranges) if grid else sw.one_at_a_time(ranges)


def sweep(sc: Scenario, params: ParamSpec, *, grid: bool = False, workers: int = 1, executor: str = "process",
          scheduler: str | None = None, duals: bool = True, stage2: bool = True, progress: bool = False,
          out: str | Path | None = None, force: bool = False, resume: bool = False) -> pd.DataFrame:
    """One row per point: inputs ``in:*``, status, objective, allocation and duals.

    ``duals=False`` skips the marginal values and ``stage2=False`` the lexicographic second stage (the
    capability is the same; the cost is then not minimised at it): rows say what was skipped.

    With ``out``, finished points are saved as they come (``points.jsonl``) and the tables and report are
    written at the end; ``resume=True`` continues an interrupted sweep in ``out``."""
    points = sweep_points(sc, params, grid)
    return run_points(sc, points, {"sweep": None}, workers=workers, executor=executor, scheduler=scheduler,
                      duals=duals, stage2=stage2, progress=progress, out=out, force=force, resume=resume)["sweep"]


def run_points(sc: Scenario, points: list[dict], names: dict, *, workers: int = 1, executor: str = "process",
               scheduler: str | None = None, duals: bool = True, stage2: bool = True, progress: bool = False,
               out: str | Path | None = None, force: bool = False, resume: bool = False,
               prepare=None, title: str | None = None) -> dict[str, pd.DataFrame]:
    """Run ``points`` (saving them in ``out`` as they finish); the result is ``{names' first: table}``.

    ``prepare()``, called once ``out`` is checked and locked and before any point is solved, may return
    ``(finish, plan)``: ``finish(table) -> {name: table}`` and a plan to write beside the tables."""
    import optimizer.sweeps as sw
    from optimizer.export import write_tables
    from optimizer.journal import Journal
    from optimizer.outdir import OutputDir

    for point in points:
        sw.point_scenario(sc, point)  # every point valid before --out is touched
    if resume and out is None:
        raise ScenarioError("--resume", "-", "needs the --out directory of the interrupted sweep",
                            "add --out DIR (the directory the sweep was saving to)")
    directory = OutputDir.open(out, force=force, resume=resume) if out is not None else None
    journal = None
    try:
        if directory is not None:
            # stage2 enters the fingerprint only when skipped, so journals saved before the option resume
            journal = Journal(directory, sc, points, {"duals": duals, **({} if stage2 else {"stage2": False})}, resume)
        finish, plan = prepare() if prepare else (None, None)
        table = sw.run_sweep(sc, points, workers=workers, executor=executor, scheduler=scheduler, duals=duals,
                             stage2=stage2, progress=progress, journal=journal, validated=True)
        tables = finish(table) if finish else {next(iter(names)): table}
        if journal is not None:
            journal.close()
        if directory is not None:
            write_tables(tables, directory, sc, plan, title=title)
            directory.close()
        return tables
    except BaseException:
        if journal is not None:
            journal.close()
        if directory is not None:
            directory.release()
        raise


def tornado(sc: Scenario, *, workers: int = 1, executor: str = "process", scheduler: str | None = None,
            progress: bool = False, out: str | Path | None = None, force: bool = False,
            resume: bool = False) -> pd.DataFrame:
    """Each ``sensitivity:`` parameter at its low and high value, ranked by the objective's swing."""
    return tornado_tables(sc, workers=workers, executor=executor, scheduler=scheduler, progress=progress,
                          out=out, force=force, resume=resume)["tornado"]


def tornado_tables(sc: Scenario, **options) -> dict[str, pd.DataFrame]:
    """``{"tornado": ranked table, "tornado_points": one row per point}`` (the CLI writes both)."""
    import optimizer.sweeps as sw

    points = sw.tornado_points(sc)

    def prepare():  # the base plan, solved once --out is checked
        base = solve(sc)
        return (lambda table: {"tornado": sw.tornado_table(sc, table, base.outcome.objective),
                               "tornado_points": table}), base

    return run_points(sc, points, {"tornado": None}, prepare=prepare, **options)


def frontier(sc: Scenario, budgets: str | Sequence[float] = "5e10:3e11:11", **options) -> pd.DataFrame:
    """Capability (or cost) against budget: one row per budget in USD (``"start:stop:n"`` or a list)."""
    return run_points(sc, frontier_points(sc, budgets), {"frontier": None}, **options)["frontier"]


def frontier_points(sc: Scenario, budgets: str | Sequence[float]) -> list[dict[str, float]]:
    import optimizer.sweeps as sw

    spec = budgets if isinstance(budgets, str) else ",".join(repr(float(b)) for b in budgets)
    return sw.one_at_a_time([sw.parse_param(f"budget_usd={spec}", sc)])


def alternatives(sc: Scenario, share: str = "inference", slack: float = 0.05) -> pd.DataFrame:
    """Near-optimal plans (MGA) that minimise and maximise one workload's spend within ``slack``."""
    from optimizer.interrupts import interruptible
    from optimizer.mga import near_optimal

    with interruptible():
        return near_optimal(sc, share, slack)


def serving(sc: Scenario) -> pd.DataFrame:
    """Every (hardware, model, thinking) serving option: nodes and users per replica, each limit (memory,
    bandwidth, compute), the binding one, and users and tokens/s per node (``optimizer.replicas``)."""
    from optimizer.replicas import replica_table

    return replica_table(sc)


def montecarlo(sc: Scenario, n: int = 200, *, method: str = "lhs", seed: int | None = 0,
               **options) -> dict[str, pd.DataFrame]:
    """Monte Carlo over ``uncertainty:``: ``{"montecarlo_bands", "montecarlo_outcomes", "montecarlo"}``
    (p5/p50/p95 bands, status counts, one row per sample). ``options`` as ``run_points`` (workers, out...)."""
    from optimizer.uncertainty.montecarlo import montecarlo_tables

    return montecarlo_tables(sc, n, method=method, seed=seed, **options)


def sensitivity(sc: Scenario, n: int = 64, *, method: str = "sobol", output: str = "objective_value", seed: int = 0,
                **options) -> dict[str, pd.DataFrame]:
    """Global sensitivity (SALib Sobol' or Morris) of ``output`` to ``uncertainty:``:
    ``{"sensitivity": indices, "sensitivity_points": one row per solve}``."""
    from optimizer.uncertainty.gsa import sensitivity_tables

    return sensitivity_tables(sc, n, method=method, output=output, seed=seed, **options)


def robust(sc: Scenario, *, scenarios: int | None = None, cvar_alpha: float = 0.9, cvar_weight: float = 0.0,
           **options) -> dict[str, pd.DataFrame]:
    """The two-stage stochastic build-out with EVPI, VSS and the regret table (``optimizer.uncertainty.robust``):
    every regime combination (``scenarios`` None) or ``scenarios`` sampled ones."""
    from optimizer.interrupts import interruptible
    from optimizer.uncertainty.robust import robust_tables
    from optimizer.uncertainty.stochastic import Risk

    with interruptible():
        return robust_tables(sc, scenarios=scenarios, risk=Risk(cvar_alpha, cvar_weight), **options)


def load_plan(path: str | Path) -> Plan:
    """A plan saved by ``plan.save(dir)`` or ``optimizer solve --out dir`` (the directory or its plan.json)."""
    from optimizer.results import read_plan

    return read_plan(Path(path))
