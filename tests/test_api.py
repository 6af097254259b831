"""The Python API: load, solve, Plan.save/load_plan, sweeps as DataFrames, figures, and the notebook example."""

import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from matplotlib.figure import Figure
from tiny import tiny

import optimizer as opt
from optimizer.errors import ScenarioError


def test_load_applies_overrides_and_sets_like_the_cli(tiny_yaml):
    sc = opt.load(tiny_yaml, scenario="busy", set={"budget_usd": 5e11})
    assert sc.inference.concurrent_users == 3e6 and sc.budget_usd == 5e11
    assert opt.load(tiny_yaml, set=["budget_usd=4e11"]).budget_usd == 4e11
    with pytest.raises(ScenarioError, match=r"\(--set, budget_usd\)"):
        opt.load(tiny_yaml, set={"budget_usd": True})


def test_solve_save_and_load_plan_round_trip(tiny_yaml, tmp_path):
    plan = opt.solve(opt.load(tiny_yaml))
    assert isinstance(plan, opt.Plan) and plan.summary["status"] == "optimal"
    assert isinstance(plan.fleet, pd.DataFrame) and "tiny" in repr(plan)
    written = plan.save(tmp_path / "p")
    assert (tmp_path / "p" / "plan.json") in written
    again = opt.load_plan(tmp_path / "p")
    assert again.summary["objective_value"] == pytest.approx(plan.summary["objective_value"])
    pd.testing.assert_frame_equal(again.workloads, plan.workloads, check_dtype=False)
    assert again.outcome.duals.keys() == plan.outcome.duals.keys()
    with pytest.raises(opt.OptimizerError, match="already holds"):
        plan.save(tmp_path / "p")
    with pytest.raises(opt.OptimizerError, match="no saved plan here"):
        opt.load_plan(tmp_path)


def test_sweeps_return_dataframes():
    sc = tiny(**{"sensitivity": {"inference.concurrent_users": [1e6, 2e6]}})
    table = opt.sweep(sc, {"inference.concurrent_users": [1e6, 2e6]})
    assert table["nodes:inference:H200"].tolist() == pytest.approx([1e6 * 10 / 24_000, 2e6 * 10 / 24_000])
    assert list(opt.sweep(sc, ["budget_usd=5e11:1e12:2"]).status) == ["optimal"] * 2
    tornado = opt.tornado(sc)
    assert list(tornado.parameter) == ["inference.concurrent_users"]
    frontier = opt.frontier(sc, budgets=[5e11, 1e12])
    assert frontier.capability_index.is_monotonic_increasing
    alternatives = opt.alternatives(sc, "inference", 0.05)
    assert list(alternatives.alternative) == ["optimal", "min inference", "max inference"]


def test_alternatives_report_the_scenario_objective_in_every_row():
    sc = tiny(**{"capability.weight_rl": 0.5})
    table = opt.alternatives(sc, "rl", 0.05)
    best = table.objective_value[0]
    assert (table.objective_value >= best - 0.05 * abs(best) - 1e-9).all()
    assert (table.objective_value <= best + 1e-9).all()  # a capability index, not a spend


def test_plots_are_figures_with_labelled_axes(tiny_yaml):
    sc = opt.load(tiny_yaml)
    plan = opt.solve(sc)
    assert isinstance(opt.plot.workloads(plan), Figure) and isinstance(opt.plot.sites(plan), Figure)
    table = opt.sweep(sc, {"budget_usd": [5e11, 1e12]})
    assert opt.plot.sweep(table, "max_capability").axes[0].get_ylabel() == "capability index K [-]"
    assert opt.plot.sweep(table, "min_cost").axes[0].get_ylabel() == "total cost [billion USD]"
    assert isinstance(opt.plot.alternatives(opt.alternatives(sc)), Figure)


def test_importing_is_light_and_never_switches_the_backend():
    code = ("import sys, matplotlib\nmatplotlib.use('pdf')\nimport optimizer\n"
            "assert not any(m in sys.modules for m in ('pyomo', 'pandas', 'matplotlib.pyplot')), 'heavy import'\n"
            "import optimizer.report, optimizer.plot\n"
            "assert matplotlib.get_backend() == 'pdf', matplotlib.get_backend()\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_quickstart_notebook_runs_in_a_real_kernel():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "docs" / "examples" / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError on any failing cell; workers=2 runs a spawned pool
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 3  # workloads, the sweep, the Monte Carlo bands


def test_report_says_which_run_scrolls_wide_tables_and_charts_alternatives(tiny_yaml, tmp_path):
    from typer.testing import CliRunner

    from optimizer.cli import app

    out = tmp_path / "alt"
    result = CliRunner().invoke(app, ["alternatives", str(tiny_yaml), "--share", "inference", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    assert "<title>alternatives: tiny</title>" in page and "Run 20" in page and str(tiny_yaml.resolve()) in page
    assert page.count("<div class=scroll><table>") >= 2 and ".scroll{overflow-x:auto" in page
    assert page.count('<img alt="chart"') == 1  # the alternatives chart
