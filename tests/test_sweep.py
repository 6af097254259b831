"""Sweeps re-solve one persistent model and agree with fresh solves; bad specs fail clearly."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from tiny import H200_FLOP_PER_NODE_DAY, tiny
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.errors import ScenarioError
from optimizer.export import write_tables
from optimizer.mga import near_optimal
from optimizer.model import build_model
from optimizer.plot import sweep_lines
from optimizer.run import solve_scenario
from optimizer.scenario import load_scenario
from optimizer.sweeps import grid, one_at_a_time, parse_param, point_scenario, run_sweep, tornado_points, tornado_table

FLOP_PER_NODE = H200_FLOP_PER_NODE_DAY * 0.5 * 10
PRE_NODES = 6 * 70e9 * 1e12 / FLOP_PER_NODE


def test_parse_param_ranges_and_lists():
    sc = tiny()
    assert parse_param("budget_usd=1e9:3e9:3", sc).values == (1e9, 2e9, 3e9)
    assert parse_param("sites.honda.pue=1.1,1.3", sc).values == (1.1, 1.3)


@pytest.mark.parametrize("spec, match", [
    ("budget_usd", "PATH=start:stop:n"),
    ("budget_usdd=1:2:3", "did you mean 'budget_usd'"),
    ("budget_usd=1:2:x", "cannot read the values"),
    ("budget_usd=1:2:0", "cannot read the values"),
    ("objective=1,2", "is not a number"),
])
def test_bad_sweep_specs_are_clear(spec, match):
    with pytest.raises(ScenarioError, match=match):
        parse_param(spec, tiny())


def test_bad_point_value_fails_before_solving():
    sc = tiny()
    with pytest.raises(ScenarioError, match=r"budget_usd\) \| Input should be greater than 0"):
        run_sweep(sc, one_at_a_time([parse_param("budget_usd=-1,1e9", sc)]), progress=False)


def test_unknown_executor_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"\(--executor, threads\) \| unknown executor. Fix: use 'process'"):
        run_sweep(tiny(), [{"budget_usd": 1e9}], executor="threads", progress=False)


def test_points_one_at_a_time_and_grid():
    a = parse_param("budget_usd=1,2", tiny())
    b = parse_param("horizon_years=3,4,5", tiny())
    assert one_at_a_time([a, b]) == [{"budget_usd": 1}, {"budget_usd": 2}, {"horizon_years": 3},
                                     {"horizon_years": 4}, {"horizon_years": 5}]
    assert len(grid([a, b])) == 6 and {"budget_usd": 2, "horizon_years": 5} in grid([a, b])


def test_thinking_sweep_matches_seed_and_fresh_solves():
    # users swept on the persistent model: serving nodes = users x 10 / 24,000 exactly
    sc = tiny()
    table = run_sweep(sc, one_at_a_time([parse_param("inference.concurrent_users=1e6:4e6:4", sc)]), progress=False)
    assert list(table.status) == ["optimal"] * 4 and not table.rebuilt.any()
    assert table["nodes:inference:H200"].tolist() == pytest.approx([u * 10 / 24_000 for u in (1e6, 2e6, 3e6, 4e6)])
    fresh = solve_scenario(tiny(**{"inference.concurrent_users": 2e6}))
    assert table.objective_value[1] == pytest.approx(fresh.outcome.objective, rel=1e-9)


def test_budget_frontier_is_monotone_and_reports_duals_and_infeasible_points():
    sc = tiny(**{"inference.concurrent_users": 0, "data.unique_tokens": 1e16, "pretraining.min_tokens": 1e11})
    cheapest = PRE_NODES / 10 * 342_000  # 1e11 tokens is a tenth of the 1e12-token run
    points = one_at_a_time([parse_param(f"budget_usd={cheapest * 0.5},{cheapest * 2},{cheapest * 4}", sc)])
    table = run_sweep(sc, points, workers=2, progress=False)
    assert table.status.tolist() == ["infeasible", "optimal", "optimal"]
    assert table.capability_index[2] > table.capability_index[1]
    assert (table["dual:budget"][1:] > 0).all()
    assert table.total_cost_usd[1] == pytest.approx(cheapest * 2, rel=1e-6)


def test_only_swept_paths_are_mutable_and_points_match_fresh_solves():
    # a sweep builds with just its paths mutable, so the persistent solver updates only their coefficients
    sc = tiny()
    m = build_model(sc, mutable={"inference.concurrent_users", "sites.honda.pue"})
    assert set(m.param_paths) == {"inference.concurrent_users", "sites.ferrari.pue", "sites.honda.pue"}
    assert not m.p_budget_usd.mutable and m.site_pue.mutable
    points = grid([parse_param("inference.concurrent_users=1e6,3e6", sc), parse_param("sites.honda.pue=1.0,1.4", sc)])
    table = run_sweep(sc, points, progress=False)
    assert not table.rebuilt.any()
    for row, point in zip(table.to_dict("records"), points):
        fresh = solve_scenario(tiny(**point))
        assert row["objective_value"] == pytest.approx(fresh.outcome.objective, rel=1e-9)
        assert row["total_cost_usd"] == pytest.approx(fresh.summary["total_cost_usd"], rel=1e-6)
        # the sweep's persistent dual twin gives the duals of a fresh clone
        swept = {name[5:]: value for name, value in row.items() if name.startswith("dual:")}
        assert swept == pytest.approx(fresh.outcome.duals, rel=1e-7, abs=1e-9)


def test_structural_parameter_rebuilds_the_model():
    sc = tiny()
    points = [{"hardware.H200.bf16_tflops_per_gpu": 900.0}, {"budget_usd": 2e12}, {"rl.midpoint_params_exponent": 1.0}]
    table = run_sweep(sc, points, progress=False)
    # peak FLOP/s sets serving capacity (a constant of the build); gamma > 0 splits RL compute by model
    assert table.rebuilt.tolist() == [True, False, True]
    for point, row in zip(points, table.itertuples()):
        assert row.objective_value == pytest.approx(solve_scenario(tiny(**point)).outcome.objective, rel=1e-9)


LAW_POINTS = [{"loss_law.alpha": 0.30}, {"loss_law.beta": 0.30, "loss_law.E": 1.75}, {"data.repetition_efold": 8.0},
              {"rl.exponent": 1.2}, {"rl.exponent": 0.9}, {"rl.midpoint_gpu_hours": 20000.0},
              {"capability.reference_tokens": 5e12}, {}]


def test_law_parameters_are_data_updated_in_place_and_match_fresh_solves():
    sc = load_scenario("scenarios/baseline.yaml")
    table = run_sweep(sc, LAW_POINTS, progress=False)  # B = 0.9 makes sigma concave: no convex side
    assert not table.rebuilt.any() and (table.status == "optimal").all()
    same_plan = 0
    for point, (_, row) in zip(LAW_POINTS, table.iterrows()):
        fresh = solve_scenario(point_scenario(sc, point))
        # both are optimal to the tolerances (K within approximation and capability tolerances of 1e-6)
        assert row.capability_index == pytest.approx(fresh.summary["capability_index"], abs=2e-6), point
        assert row.total_cost_usd == pytest.approx(fresh.summary["total_cost_usd"], rel=1e-4), point
        if row.total_cost_usd == pytest.approx(fresh.summary["total_cost_usd"], rel=1e-7):
            same_plan += 1  # at the same plan, the same duals (the exact laws' tangents at the plan)
            swept = {name[5:]: value for name, value in row.items() if name.startswith("dual:")}
            assert swept == pytest.approx(fresh.outcome.duals, rel=1e-3, abs=1e-8), point
    assert same_plan >= 3


def test_tornado_ranks_parameters_by_swing():
    sc = tiny(**{"sensitivity": {"hardware.H200.node_capex_usd": [3e5, 4e5], "pretraining.mfu": [0.4, 0.6]},
                 "inference.concurrent_users": 0, "data.unique_tokens": 1e16, "pretraining.min_tokens": 1e11,
                 "budget_usd": 5e8})
    points = tornado_points(sc)
    assert points == [{"hardware.H200.node_capex_usd": 3e5}, {"hardware.H200.node_capex_usd": 4e5},
                      {"pretraining.mfu": 0.4}, {"pretraining.mfu": 0.6}]
    table = tornado_table(sc, run_sweep(sc, points, progress=False), solve_scenario(sc).outcome.objective)
    # FLOP per dollar scales with 1/price (x1.33) and with MFU (x1.5): MFU swings more
    assert table.parameter.tolist() == ["pretraining.mfu", "hardware.H200.node_capex_usd"]
    assert (table.objective_high > table.objective_low).iloc[0]


def test_tornado_without_ranges_is_a_clear_error():
    with pytest.raises(ScenarioError, match="sensitivity"):
        tornado_points(tiny())


def test_sensitivity_paths_are_validated():
    with pytest.raises(ScenarioError, match="did you mean 'pretraining.mfu'"):
        tiny(**{"sensitivity": {"pretraining.mfuu": [0.3, 0.4]}})
    with pytest.raises(ScenarioError, match=r"\(tiny, sensitivity.objective\) \| is not a number"):
        tiny(**{"sensitivity": {"objective": [0.3, 0.4]}})


def test_near_optimal_alternatives_bracket_the_optimum():
    sc = tiny(**{"test_time.thinking_multipliers": [1, 10], "capability.weight_pretraining": 0.5,
                 "capability.weight_test_time": 0.5})
    table = near_optimal(sc, "inference", 0.10).set_index("alternative")
    best = table.loc["optimal"]
    assert table.loc["min inference", "spend_inference_usd"] <= best.spend_inference_usd + 1e-3
    assert table.loc["max inference", "spend_inference_usd"] >= best.spend_inference_usd - 1e-3
    floor = best.objective_value - 0.10 * abs(best.objective_value)
    assert (table.capability_index >= floor - 1e-7).all()
    # without 10x thinking the index loses 0.5 > 10% of it, so the cheap alternative keeps 10x yet spends less
    assert table.loc["min inference", "thinking"] == "10x"


def test_export_writes_csv_parquet_json_and_a_self_contained_report(tmp_path):
    sc = tiny()
    plan = solve_scenario(sc)
    table = run_sweep(sc, one_at_a_time([parse_param("budget_usd=1e12,2e12", sc)]), progress=False)
    written = {p.name for p in write_tables({"frontier": table}, tmp_path, sc, plan)}
    assert {"frontier.csv", "frontier.parquet", "workloads.parquet", "results.json", "report.html"} <= written
    assert pd.read_parquet(tmp_path / "frontier.parquet").equals(table)
    assert json.loads((tmp_path / "results.json").read_text())["summary"]["served_model"] == "llama3-70b"
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 4  # workload, site, serving options, frontier charts
    assert "Assumptions and sources" in report and "src=\"http" not in report
    # numbers right-aligned, text (sources, names) left-aligned and escaped
    assert "<td class=num>70B</td>" in report and "<td>llama3-70b</td>" in report


def test_sweep_chart_draws_one_line_per_combination_of_the_other_parameters():
    table = pd.DataFrame({"in:budget_usd": [1e9, 1e9, 2e9, 2e9, 3e9, 3e9], "in:pretraining.mfu": [0.4, 0.5] * 3,
                          "status": ["optimal"] * 5 + ["infeasible"], "objective_value": [1, 2, 3, 4, 5, 6]})
    grid_lines = sweep_lines(table)
    assert [label for label, _ in grid_lines["in:budget_usd"]] == ["pretraining.mfu=0.4", "pretraining.mfu=0.5"]
    assert grid_lines["in:budget_usd"][1][1].objective_value.tolist() == [2, 4]  # the infeasible point is left out
    assert [label for label, _ in grid_lines["in:pretraining.mfu"]] == ["budget_usd=1B", "budget_usd=2B",
                                                                         "budget_usd=3B"]
    one_at_a_time_table = pd.DataFrame({"in:budget_usd": [2e9, 1e9, None], "in:pretraining.mfu": [None, None, 0.4],
                                        "status": ["optimal"] * 3, "objective_value": [2, 1, 3]})
    lines = sweep_lines(one_at_a_time_table)
    assert [(label, points.objective_value.tolist()) for label, points in lines["in:budget_usd"]] == [(None, [1, 2])]
    assert [(label, points.objective_value.tolist()) for label, points in lines["in:pretraining.mfu"]] == [(None, [3])]


def test_cli_sweep_and_frontier(tmp_path):
    baseline = str(Path(__file__).parents[1] / "scenarios" / "baseline.yaml")
    runner = CliRunner()
    result = runner.invoke(app, ["frontier", baseline, "--budgets", "1e11:1.5e11:2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    frontier = pd.read_csv(tmp_path / "frontier.csv")
    assert frontier.capability_index.is_monotonic_increasing
    bad = runner.invoke(app, ["sweep", baseline, "--param", "nonsense=1:2:3"])
    assert bad.exit_code == 2 and "no such parameter" in bad.output and "Traceback" not in bad.output


THREADED_DASK_SWEEP = """
import sys
sys.path.insert(0, {tests!r})
from dask.distributed import LocalCluster
from optimizer.sweeps import one_at_a_time, parse_param, run_sweep
from tiny import tiny
sc = tiny()
points = one_at_a_time([parse_param("inference.concurrent_users=1e6:4e6:4", sc)])
with LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:
    table = run_sweep(sc, points, executor="dask", scheduler=cluster.scheduler_address, workers=2, progress=False)
print(table["nodes:inference:H200"].tolist())
"""


def test_dask_executor_matches_exact_nodes_locally_and_on_a_threaded_worker():
    # a local cluster of worker processes; then a scheduler whose one worker runs two threads: Pyomo's
    # output capture is process-wide, so a process must not solve two chunks at once. That case runs in
    # a subprocess with a timeout, so a deadlock fails the test instead of hanging it.
    pytest.importorskip("dask.distributed")
    sc = tiny()
    expected = [u * 10 / 24_000 for u in (1e6, 2e6, 3e6, 4e6)]
    points = one_at_a_time([parse_param("inference.concurrent_users=1e6:4e6:4", sc)])
    local = run_sweep(sc, points, executor="dask", workers=2, progress=False)
    assert local["nodes:inference:H200"].tolist() == pytest.approx(expected)
    script = THREADED_DASK_SWEEP.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == pytest.approx(expected)


def test_sweep_duals_do_not_depend_on_the_previous_point():
    # at $250B the baseline's LP with integers fixed is degenerate (several dual solutions); the dual
    # twin solves each point from scratch, so the duals match a sweep of that point alone (to 1e-8: the
    # refinement cuts a persistent model holds depend on its history, which moves near-zero duals by ~1e-9)
    sc = load_scenario("scenarios/baseline.yaml")
    after = run_sweep(sc, [{"budget_usd": 1.75e11}, {"budget_usd": 2.5e11}], progress=False).iloc[1]
    alone = run_sweep(sc, [{"budget_usd": 2.5e11}], progress=False).iloc[0]
    duals = [c for c in alone.index if c.startswith("dual:")]
    assert len(duals) == 4 and after[duals].tolist() == pytest.approx(alone[duals].tolist(), rel=1e-6, abs=1e-8)


def test_a_re_solve_sends_highs_only_the_values_that_changed():
    from optimizer.model.objective import use_objective
    from optimizer.solver import _changed, new_solver, push_changed_values

    m = build_model(load_scenario("scenarios/baseline.yaml"), mutable={"budget_usd"})
    solver = new_solver(m)
    assert list(_changed(solver)) == []  # what set_instance sent is recorded
    m.p_budget_usd.value = 123.0
    changes = list(_changed(solver))
    budget_row = solver._pyomo_con_to_solver_con_map[m.budget]
    assert [(send.__name__, args[0], args[2]) for send, args in changes] == [("changeRowBounds", budget_row, 123.0)]
    assert list(_changed(solver)) == []  # sent once
    use_objective(m, "min_cost")  # the two objective weights switch: two costs, nothing else
    assert sorted(send.__name__ for send, _ in _changed(solver)) == ["changeColCost", "changeColCost"]
    use_objective(m, "max_capability")
    push_changed_values(solver)
    assert solver._solver_model.getLp().col_cost_[solver._pyomo_var_to_solver_var_map[id(m.capability_value)]] == 1.0


def test_a_sweep_can_skip_stage_two_and_duals_and_says_so():
    sc = load_scenario("scenarios/baseline.yaml")
    points = [{"budget_usd": 1.2e11}, {"budget_usd": 1.8e11}]
    full = run_sweep(sc, points, progress=False)
    lean = run_sweep(sc, points, duals=False, stage2=False, progress=False)
    assert "skipped" not in full and lean.skipped.tolist() == ["stage 2, duals"] * 2
    assert not any(c.startswith("dual:") for c in lean.columns)
    # stage 1 alone reaches the same capability; only stage 2 minimises the cost at it
    assert lean.capability_index.tolist() == pytest.approx(full.capability_index.tolist(), abs=2e-6)
    assert (lean.total_cost_usd >= full.total_cost_usd * (1 - 1e-9)).all()
    assert (lean.total_cost_usd > full.total_cost_usd * (1 + 1e-6)).any()  # stage 1 leaves money on the table


def test_stage1_only_on_the_command_line(tmp_path):
    result = CliRunner().invoke(app, ["sweep", "scenarios/baseline.yaml", "-p", "budget_usd=1.2e11,1.8e11",
                                      "--stage1-only", "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert table.skipped.tolist() == ["stage 2"] * 2 and "dual:budget" in table


def test_a_sweep_row_never_reports_negative_nodes():
    # HiGHS may leave a zero column at -1e-10 (within its feasibility tolerance); a row reports 0 nodes
    from optimizer.results import point_row
    from optimizer.solver import solve_model

    m = build_model(tiny(), mutable=())
    outcome = solve_model(m)
    m.pretrain_nodes["H200", "ferrari"].set_value(-3e-10, skip_validation=True)
    row = point_row(m, outcome)
    assert row["nodes:pre-training:H200"] >= 0.0
    assert all(value >= 0.0 for key, value in row.items() if key.startswith("nodes:"))
