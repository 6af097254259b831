"""Command line: ``optimizer solve|validate|init|sweep|tornado|frontier|alternatives|montecarlo|sensitivity|robust``.

Exit codes: 0 solved (or valid), 1 infeasible or not solved, 2 usage or validation error,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM). Errors are one line on stderr, never a traceback.
stdout carries only results: the plan and tables, or with ``--json`` one JSON document. Pyomo,
pandas and matplotlib load only when a command solves or writes.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from optimizer import __version__
from optimizer.errors import InfeasibleError, OptimizerError, SolveError

EXIT_OK, EXIT_NOT_SOLVED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
LARGE_SWEEP = 10_000  # points above which a sweep asks for --yes
SECONDS_PER_POINT = 0.1  # a full sweep point (two stages and duals) on the baseline, for the estimate

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Optimise AI compute budgets across pre-training, RL and inference, and Ferrari/Honda sites. "
                       "Exit codes: 0 solved, 1 infeasible or not solved, 2 usage or validation error, "
                       "130 interrupted, 143 terminated.")


class Settings:
    verbosity = 0  # -1 quiet, 0 normal, 1 verbose


ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML (or a plan.json to re-run), e.g. "
                                                  "scenarios/baseline.yaml")]
NamedOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="named scenario from the file's `scenarios:`")]
OverrideOpt = Annotated[list[str] | None, typer.Option("--override", "-o", help="override group, repeatable")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="PATH=VALUE, repeatable, applied last")]
OutOpt = Annotated[str | None, typer.Option("--out", help="directory for CSV, Parquet, JSON and report.html; "
                                                          "must be new or empty unless --force")]
AsBuildoutOpt = Annotated[bool, typer.Option("--as-buildout", help=(
    "solve a scenario without periods: on the multi-period build-out model, as its one-period case (the same "
    "plan, per-year tables)"))]
ForceOpt = Annotated[bool, typer.Option("--force", help="replace this tool's earlier results in --out")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one machine-readable JSON document on stdout")]
WorkersOpt = Annotated[int, typer.Option("--workers", "-j", help="processes (1 = in this process; capped at the "
                                                                  "number of cores)")]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="process or dask")]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (default: local)")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="continue an interrupted sweep saved in --out")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print only errors (and --json)")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="also print progress and notices")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help=f"run sweeps of more than {LARGE_SWEEP:,} points")]


def say(text: str) -> None:
    """Normal output (stdout), silenced by -q."""
    if Settings.verbosity >= 0:
        typer.echo(text)


def note(text: str) -> None:
    """Progress and notices (stderr), silenced by -q."""
    if Settings.verbosity >= 0:
        typer.echo(text, err=True)


@contextmanager
def reported(out: str | None = None):
    """Map outcomes to exit codes with one line on stderr; Ctrl-C and SIGTERM stop promptly."""
    from optimizer.interrupts import Terminated, interruptible

    try:
        with interruptible():
            yield
    except (InfeasibleError, SolveError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=EXIT_NOT_SOLVED) from None
    except OptimizerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=EXIT_USAGE) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted{saved_note(out)}", err=True)
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    except Terminated:
        typer.echo(f"terminated{saved_note(out)}", err=True)
        raise typer.Exit(code=EXIT_TERMINATED) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line, not a stack trace
        if Settings.verbosity > 0:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: internal error ({type(exc).__name__}: {exc}). Please report it with the command; "
                   "-v prints the traceback", err=True)
        raise typer.Exit(code=EXIT_NOT_SOLVED) from None


def saved_note(out: str | None) -> str:
    if out is None:
        return ""
    journal = Path(out) / "points.jsonl"
    if journal.exists():
        count = max(0, sum(1 for _ in journal.open(encoding="utf-8")) - 1)
        return f": {count} finished point(s) are saved in {journal}; run the same command with --resume to finish"
    return ""


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"optimizer {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="print the version and exit")] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Compute Allocation Optimizer."""
    Settings.verbosity = 0
    verbosity(quiet, verbose)


def verbosity(quiet: bool, verbose: bool) -> None:
    """-q / -v, given before or after the command name."""
    if quiet or verbose:
        Settings.verbosity = -1 if quiet else 1


def load(scenario_file: Path, scenario, override, set_, as_buildout: bool = False):
    from optimizer.scenario import load_scenario

    sc = load_scenario(scenario_file, scenario=scenario, overrides=override, sets=set_)
    if as_buildout:
        from optimizer.buildout.one_period import one_period_buildout

        return one_period_buildout(sc)
    return sc


def emit_json(document: dict) -> None:
    import json

    from optimizer.export import to_jsonable

    typer.echo(json.dumps(to_jsonable(document), indent=2, allow_nan=False))


@app.command()
def validate(scenario_file: ScenarioArg, scenario: NamedOpt = None, override: OverrideOpt = None,
             set_: SetOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False, verbose: VerboseOpt = False) -> None:
    """Check a scenario without solving it (no solver is loaded)."""
    verbosity(quiet, verbose)
    with reported():
        sc = load(scenario_file, scenario, override, set_)
    if json_:
        emit_json({"valid": True, "scenario": sc.name, "objective": sc.objective})
    else:
        say(f"ok: {scenario_file} is a valid scenario '{sc.name}' ({sc.objective}; {len(sc.hardware)} hardware, "
            f"{len(sc.sites)} site types, {len(sc.models)} models)")


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="new scenario: a name (written beside --from) or a .yaml path")],
    from_: Annotated[str, typer.Option("--from", help="parent scenario: a name in scenarios/ or a path")] = "baseline",
    set_: SetOpt = None,
    force: ForceOpt = False,
) -> None:
    """Write a new scenario that `extends:` a parent and holds only the keys you change."""
    from optimizer.scaffold import new_scenario

    with reported():
        path = new_scenario(name, from_, set_ or [], force=force)
    say(f"wrote {path}; edit it, then: optimizer solve {path}")


@app.command()
def solve(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    out: OutOpt = None,
    force: ForceOpt = False,
    time_limit: Annotated[float | None, typer.Option(help="HiGHS time limit [s], > 0")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Solve one scenario and print the allocation plan."""
    verbosity(quiet, verbose)
    with reported():
        from optimizer.api import check_time_limit

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        check_time_limit(time_limit)
        directory = open_out(out, force)
        try:
            from optimizer import api

            plan = api.solve(sc, time_limit=time_limit)
            written = []
            if directory is not None:
                from optimizer.export import write_plan

                written = write_plan(plan, directory)
                directory.close()
        finally:
            if directory is not None:
                directory.release()
    if json_:
        emit_json({"summary": plan.summary, "files": [str(p) for p in written]})
        return
    from optimizer.text_report import render_plan

    say(render_plan(plan))
    if written:
        say(f"\nwrote {len(written)} files to {out} (plan.json, report.html, CSV and Parquet tables)")


def open_out(out: str | None, force: bool, resume: bool = False):
    """The --out directory, checked and locked before any solving (None without --out)."""
    if out is None:
        return None
    from optimizer.outdir import OutputDir

    return OutputDir.open(out, force=force, resume=resume)


def run_options(workers: int, executor: str, scheduler: str | None, out: str | None, force: bool,
                resume: bool) -> dict:
    from optimizer.sweeps import effective_workers

    count, warning = effective_workers(workers)
    if warning:
        note(warning)
    return {"workers": count, "executor": executor, "scheduler": scheduler, "out": out, "force": force,
            "resume": resume, "progress": Settings.verbosity > 0 or (Settings.verbosity == 0 and sys.stderr.isatty())}


def confirm_size(points: list, workers: int, yes: bool) -> None:
    if len(points) > LARGE_SWEEP and not yes:
        from optimizer.errors import ScenarioError

        minutes = len(points) * SECONDS_PER_POINT / max(1, workers) / 60
        raise ScenarioError("--param", f"{len(points):,} points", f"a large sweep: about {minutes:,.0f} min on "
                            f"{workers} worker(s) at ~{SECONDS_PER_POINT} s a point",
                            "add --yes to run it (with --out, finished points are saved and --resume continues)")


@app.command()
def serving(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Users and tokens/s per node of every (hardware, model, thinking) option, and the limit that binds."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_)
        table = one_table(sc, "serving_options", lambda: api.serving(sc), out, force, "serving options")
    shown = table[["hardware", "model", "thinking", "nodes_per_replica", "users_per_node", "tokens_per_s_per_node",
                   "binding"]].rename(columns={"nodes_per_replica": "nodes/replica", "users_per_node": "users/node",
                                               "tokens_per_s_per_node": "tok/s/node"})
    finish({"serving_options": shown}, out, json_, headline_only=False)


@app.command()
def sweep(
    scenario_file: ScenarioArg,
    param: Annotated[list[str], typer.Option("--param", "-p", help="PATH=start:stop:n or PATH=v1,v2; repeatable")],
    grid_: Annotated[bool, typer.Option("--grid", help="all combinations instead of one at a time")] = False,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    yes: YesOpt = False,
    no_duals: Annotated[bool, typer.Option("--no-duals", help="skip the marginal values (dual:* columns)")] = False,
    stage1_only: Annotated[bool, typer.Option("--stage1-only", help=(
        "skip the second stage (cost minimised at the best capability): same capability, cost not minimised"))] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Sweep parameters one at a time (default) or over a grid; one row per point."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        points = api.sweep_points(sc, param, grid_)
        options = run_options(workers, executor, scheduler, out, force, resume)
        confirm_size(points, options["workers"], yes)
        tables = api.run_points(sc, points, {"sweep": None}, title="sweep", duals=not no_duals,
                                stage2=not stage1_only, **options)
    finish(tables, out, json_)


@app.command()
def tornado(
    scenario_file: ScenarioArg,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Each `sensitivity:` parameter at its low and high value; parameters ranked by objective swing."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        options = run_options(workers, executor, scheduler, out, force, resume)
        tables = api.tornado_tables(sc, title="tornado", **options)
    finish({"tornado": tables["tornado"]}, out, json_)


@app.command()
def frontier(
    scenario_file: ScenarioArg,
    budgets: Annotated[str, typer.Option("--budgets", "-b", help="start:stop:n or v1,v2 in USD")] = "5e10:3e11:11",
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Capability against budget: the budget frontier."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        options = run_options(workers, executor, scheduler, out, force, resume)
        points = api.frontier_points(sc, budgets)
        tables = api.run_points(sc, points, {"frontier": None}, title="frontier", **options)
    finish(tables, out, json_)


@app.command()
def alternatives(
    scenario_file: ScenarioArg,
    share: Annotated[str, typer.Option("--share", help=(
        "pretraining, rl, inference or sites (a build-out: sites, hardware, energy or opex)"))] = "inference",
    slack: Annotated[float, typer.Option("--slack", help="allowed distance from the optimum (0.05 = 5%)")] = 0.05,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    out: OutOpt = None,
    force: ForceOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Near-optimal plans that minimise and maximise one workload's spend."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        table = one_table(sc, "alternatives", lambda: api.alternatives(sc, share, slack), out, force, "alternatives")
    finish({"alternatives": table}, out, json_)


SamplesOpt = Annotated[int, typer.Option("--samples", "-n", help="number of samples")]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (same seed, same samples)")]


@app.command()
def montecarlo(
    scenario_file: ScenarioArg,
    samples: SamplesOpt = 200,
    method: Annotated[str, typer.Option("--method", help="lhs (Latin hypercube), sobol or random")] = "lhs",
    seed: SeedOpt = 0,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    yes: YesOpt = False,
    duals: Annotated[bool, typer.Option("--duals", help="also compute the marginal values (dual:* columns)")] = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Sample the `uncertainty:` block, solve every sample, and give p5/p50/p95 bands of the plan."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        options = run_options(workers, executor, scheduler, out, force, resume)
        confirm_size([None] * samples, options["workers"], yes)
        tables = api.montecarlo(sc, samples, method=method, seed=seed, duals=duals, **options)
    bands = tables["montecarlo_bands"]
    moving = bands[(bands["max"] != 0) | (bands["min"] != 0)]  # the terminal skips outputs that are 0 in every sample
    finish({"montecarlo_bands": bands if json_ else moving, "montecarlo_outcomes": tables["montecarlo_outcomes"]},
           out, json_, headline_only=False)


@app.command()
def sensitivity(
    scenario_file: ScenarioArg,
    samples: Annotated[int, typer.Option("--samples", "-n", help=(
        "Sobol': base samples N, a power of two (N (d + 2) solves); Morris: trajectories r (r (d + 1) solves)"))] = 64,
    method: Annotated[str, typer.Option("--method", help="sobol or morris")] = "sobol",
    output: Annotated[str, typer.Option("--output", help="result column to analyse")] = "objective_value",
    seed: SeedOpt = 0,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    as_buildout: AsBuildoutOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Global sensitivity (SALib: Sobol' indices or Morris screening) over the `uncertainty:` block, with the
    one-at-a-time tornado of the `sensitivity:` ranges beside it."""
    verbosity(quiet, verbose)
    with reported(out):
        from optimizer import api

        sc = load(scenario_file, scenario, override, set_, as_buildout)
        options = run_options(workers, executor, scheduler, out, force, resume)
        tables = api.sensitivity(sc, samples, method=method, output=output, seed=seed, **options)
    finish({name: tables[name] for name in ("sensitivity", "tornado") if name in tables}, out, json_,
           headline_only=False)


@app.command()
def robust(
    scenario_file: ScenarioArg,
    scenarios: Annotated[int | None, typer.Option("--scenarios", "-k", help=(
        "sample K scenarios (default: every combination of the regimes, exact probabilities)"))] = None,
    sampling: Annotated[str, typer.Option("--sampling", help="lhs, sobol or random (with --scenarios)")] = "lhs",
    seed: SeedOpt = 0,
    first_stage_periods: Annotated[int, typer.Option(help="periods whose sites and purchases are shared")] = 1,
    cvar_alpha: Annotated[float, typer.Option(help="CVaR level: the mean of the worst 1 - alpha of outcomes")] = 0.9,
    cvar_weight: Annotated[float, typer.Option(help="weight omega of CVaR (0: expected value only)")] = 0.0,
    solver: Annotated[str, typer.Option("--solver", help=(
        "highs (extensive form here), mpisppy-ef or ph (mpi-sppy, the [stochastic] extra)"))] = "highs",
    ph_rho: Annotated[float, typer.Option(help="PH penalty rho (model units: 1e9 USD, 1e3 nodes)")] = 0.1,
    ph_iterations: Annotated[int, typer.Option(help="most PH iterations")] = 50,
    time_limit: Annotated[float, typer.Option(help=(
        "seconds per single-scenario solve; at the limit its best plan counts (a lower bound)"))] = 120.0,
    gap: Annotated[float, typer.Option(help="relative MIP gap of every solve")] = 1e-4,
    ef_time_limit: Annotated[float, typer.Option(help=(
        "seconds for the extensive form; at the limit its best plan is kept and its gap reported"))] = 300.0,
    workers: WorkersOpt = 1,
    scenario: NamedOpt = None,
    override: OverrideOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Two-stage stochastic build-out: one first stage for all scenarios, EVPI, VSS and the regret table.
    Under ``mpiexec -n P`` (with --solver ph), PH's hub and spokes share the P ranks; rank 0 does the rest."""
    from optimizer.uncertainty import mpisppy_bridge

    rank, size = mpisppy_bridge.launched()
    if rank > 0:
        raise typer.Exit(mpisppy_bridge.serve_root(solver))
    verbosity(quiet, verbose)
    with reported(out), mpisppy_bridge.as_root(size, solver):
        from optimizer import api
        from optimizer.api import check_time_limit

        sc = load(scenario_file, scenario, override, set_)
        check_time_limit(time_limit)
        settings = {"scenarios": scenarios, "sampling": sampling, "seed": seed, "first_stage_periods":
                    first_stage_periods, "cvar_alpha": cvar_alpha, "cvar_weight": cvar_weight, "solver": solver,
                    "ph_rho": ph_rho, "ph_iterations": ph_iterations, "time_limit": time_limit, "gap": gap,
                    "ef_time_limit": ef_time_limit}
        if resume and out is None:
            from optimizer.errors import ScenarioError

            raise ScenarioError("--resume", "-", "needs the --out directory of the interrupted run",
                                "add --out DIR (the directory the run was saving to)")
        directory = open_out(out, force, resume)
        journal = None
        try:
            if directory is not None:
                from optimizer.journal import Journal

                journal = Journal(directory, sc, [settings], {"command": "robust"}, resume)
            progress = Settings.verbosity > 0 or (Settings.verbosity == 0 and sys.stderr.isatty())
            tables = api.robust(sc, scenarios=scenarios, cvar_alpha=cvar_alpha, cvar_weight=cvar_weight,
                                method=sampling, seed=seed, first_stage_periods=first_stage_periods, solver=solver,
                                ph_rho=ph_rho, ph_iterations=ph_iterations, time_limit=time_limit, gap=gap,
                                ef_time_limit=ef_time_limit,
                                progress=progress, journal=journal,
                                workers=run_options(workers, "process", None, None, False, False)["workers"])
            if directory is not None:
                from optimizer.export import write_tables

                journal.close()
                write_tables(tables, directory, sc, title="two-stage stochastic plan")
                directory.close()
        finally:
            if journal is not None:
                journal.close()
            if directory is not None:
                directory.release()
    first = tables["robust_first_stage"]
    perfect = [c for c in first.columns if c.startswith("perfect:")]
    if len(perfect) > 4 and not json_:  # the terminal shows the two plans that matter; the files hold them all
        first = first.drop(columns=perfect)
    finish({"robust_value": tables["robust_value"], "robust_first_stage": first,
            "robust_candidates": tables["robust_candidates"]}, out, json_, headline_only=False)


def one_table(sc, name: str, compute, out: str | None, force: bool, title: str):
    """``compute()``'s table, written to --out (checked and locked first) with the report."""
    from optimizer.export import write_tables

    directory = open_out(out, force)
    try:
        table = compute()
        if directory is not None:
            write_tables({name: table}, directory, sc, title=title)
            directory.close()
    finally:
        if directory is not None:
            directory.release()
    return table


def finish(tables: dict, out: str | None, json_: bool, headline_only: bool = True) -> None:
    """Print the tables (headline columns, at most 100 characters wide), or one JSON document."""
    if json_:
        emit_json({"tables": {name: table.to_dict(orient="records") for name, table in tables.items()},
                   "out": out})
        return
    from optimizer.text_report import headline, render_table

    for name, table in tables.items():
        say(f"{name}\n{render_table(headline(table) if headline_only else table)}\n")
    if out is not None:
        say(f"wrote {out} (CSV, Parquet, results.json, report.html)")


if __name__ == "__main__":
    app()
