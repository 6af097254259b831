"""The command line end to end: a readable table, files on --out, and errors without tracebacks."""

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from optimizer.cli import app

BASELINE = str(Path(__file__).parents[1] / "scenarios" / "baseline.yaml")
runner = CliRunner()


def test_solve_baseline_prints_allocation_and_writes_files(tmp_path):
    result = runner.invoke(app, ["solve", BASELINE, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for heading in ("Spend by workload", "Fleet", "Sites", "Marginal values", "Approximation error"):
        assert heading in result.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["summary"]["status"] == "optimal"
    assert plan["summary"]["total_cost_usd"] <= 150e9 * (1 + 1e-9)
    workloads = pd.read_csv(tmp_path / "workloads.csv")
    assert abs(workloads.spend_usd.sum() - 150e9) < 1e3  # spend by workload + unspent = budget
    assert plan["scenario"]["sources"]["loss_law"].startswith("[P]")


def test_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbudget_usd: -1\n")
    result = runner.invoke(app, ["solve", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"({bad}," in result.output


def test_infeasible_scenario_explains_conflict():
    result = runner.invoke(app, ["solve", BASELINE, "--set", "budget_usd=1e9"])
    assert result.exit_code == 1  # infeasible: not a usage error
    assert "infeasible" in result.output and "budget: total cost <= budget_usd" in result.output
