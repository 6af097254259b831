"""Command line: ``optimizer solve SCENARIO``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from optimizer.errors import OptimizerError
from optimizer.scenario import load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Optimise AI compute budgets across pre-training, RL and inference, and Ferrari/Honda sites.")

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML, e.g. scenarios/baseline.yaml")]
NamedOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="named scenario from the file's `scenarios:`")]
OverrideOpt = Annotated[list[str] | None, typer.Option("--override", "-o", help="override group, repeatable")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="PATH=VALUE, repeatable, applied last")]


@contextmanager
def reported():
    """Turn an OptimizerError into one line on stderr and exit code 2 (no traceback)."""
    try:
        yield
    except OptimizerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@app.callback()
def main() -> None:
    """Compute Allocation Optimizer."""


@app.command()
def solve(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="write CSV and JSON of the plan here")] = None,
    time_limit: Annotated[float | None, typer.Option(help="HiGHS time limit [s]")] = None,
) -> None:
    """Solve one scenario and print the allocation plan."""
    from optimizer.export import write_plan
    from optimizer.run import solve_scenario
    from optimizer.text_report import render_plan

    with reported():
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        plan = solve_scenario(sc, time_limit=time_limit)
    typer.echo(render_plan(plan))
    if out is not None:
        written = write_plan(plan, out)
        typer.echo(f"\nwrote {', '.join(str(p) for p in written)}")


WorkersOpt = Annotated[int, typer.Option("--workers", "-j", help="processes (1 = in this process)")]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="process or dask")]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (default: local)")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="write CSV, JSON, Parquet and report.html here")]


@app.command()
def sweep(
    scenario_file: ScenarioArg,
    param: Annotated[list[str], typer.Option("--param", "-p", help="PATH=start:stop:n or PATH=v1,v2; repeatable")],
    grid_: Annotated[bool, typer.Option("--grid", help="all combinations instead of one at a time")] = False,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """Sweep parameters one at a time (default) or over a grid; one row per point."""
    from optimizer import sweep as sw

    with reported():
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        ranges = [sw.parse_param(p, sc) for p in param]
        points = sw.grid(ranges) if grid_ else sw.one_at_a_time(ranges)
        table = sw.run_sweep(sc, points, workers=workers, executor=executor, scheduler=scheduler)
    finish(sc, {"sweep": table}, out)


@app.command()
def tornado(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """Each `sensitivity:` parameter at its low and high value; parameters ranked by objective swing."""
    from optimizer import sweep as sw
    from optimizer.run import solve_scenario

    with reported():
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        plan = solve_scenario(sc)
        table = sw.run_sweep(sc, sw.tornado_points(sc), workers=workers, executor=executor, scheduler=scheduler)
    finish(sc, {"tornado": sw.tornado_table(sc, table, plan.outcome.objective), "tornado_points": table}, out, plan)


@app.command()
def frontier(
    scenario_file: ScenarioArg,
    budgets: Annotated[str, typer.Option("--budgets", "-b", help="start:stop:n in USD")] = "5e10:3e11:11",
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """Capability against budget: the budget frontier."""
    from optimizer import sweep as sw

    with reported():
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        points = sw.one_at_a_time([sw.parse_param(f"budget_usd={budgets}", sc)])
        table = sw.run_sweep(sc, points, workers=workers, executor=executor, scheduler=scheduler)
    finish(sc, {"frontier": table}, out)


@app.command()
def alternatives(
    scenario_file: ScenarioArg,
    share: Annotated[str, typer.Option("--share", help="pretraining, rl, inference or sites")] = "inference",
    slack: Annotated[float, typer.Option("--slack", help="allowed distance from the optimum (0.05 = 5%)")] = 0.05,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """Near-optimal plans that minimise and maximise one workload's spend."""
    from optimizer.alternatives import near_optimal

    with reported():
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        table = near_optimal(sc, share, slack)
    finish(sc, {"alternatives": table}, out)


def finish(sc, tables: dict, out: Path | None, plan=None) -> None:
    """Print the tables; with --out write them (CSV, JSON, Parquet) and the HTML report."""
    from optimizer.export import write_tables
    from optimizer.text_report import headline, render_table

    for name, table in tables.items():
        typer.echo(f"{name}\n{render_table(headline(table))}\n")
    if out is not None:
        written = write_tables(tables, out, sc, plan)
        typer.echo(f"wrote {', '.join(str(p) for p in written)}")


if __name__ == "__main__":
    app()
