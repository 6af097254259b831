"""Command line: ``optimizer solve SCENARIO``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from optimizer.errors import OptimizerError
from optimizer.scenario import load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Optimise AI compute budgets across pre-training, RL and inference, and Ferrari/Honda sites.")

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML, e.g. scenarios/baseline.yaml")]
NamedOpt = Annotated[Optional[str], typer.Option("--scenario", "-s", help="named scenario from the file's `scenarios:`")]
OverrideOpt = Annotated[Optional[list[str]], typer.Option("--override", "-o", help="override group, repeatable")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="PATH=VALUE, repeatable, applied last")]


def fail(exc: OptimizerError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


@app.callback()
def main() -> None:
    """Compute Allocation Optimizer."""


@app.command()
def solve(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="write CSV and JSON of the plan here")] = None,
    time_limit: Annotated[Optional[float], typer.Option(help="HiGHS time limit [s]")] = None,
) -> None:
    """Solve one scenario and print the allocation plan."""
    from optimizer.export import write_plan
    from optimizer.run import solve_scenario
    from optimizer.text_report import render_plan

    try:
        sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
        plan = solve_scenario(sc, time_limit=time_limit)
    except OptimizerError as exc:
        fail(exc)
    typer.echo(render_plan(plan))
    if out is not None:
        written = write_plan(plan, out)
        typer.echo(f"\nwrote {', '.join(str(p) for p in written)}")


if __name__ == "__main__":
    app()
