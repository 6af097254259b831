"""Exact, hand-derived optima of tiny multi-period build-outs (``tests.tiny.tiny_buildout``).

The tiny world: one 8xH200 node type at $342k and 10.2 kW, a free 1 GW campus (capex, energy and opex
0), a 75 MW inference site at $1M/MW, one 70B model, no thinking menu. Per period:

* serving: 2,400 users a node (compute-bound), so 4M users need 1,666.67 nodes;
* pre-training: min_tokens 1e12 on 70B = 4.2e23 FLOP; a node delivers 8 x 989e12 x 0.5 x 10 days x
  86,400 s = 3.41806e21 FLOP, so the run needs 122.877 nodes (1.2533 MW at PUE 1).
"""

from __future__ import annotations

import pytest

from optimizer.buildout.model import build_buildout
from optimizer.buildout.solve import solve_buildout_model, value
from optimizer.errors import InfeasibleError
from tests.tiny import H200_FLOP_PER_NODE_DAY, tiny, tiny_buildout

PRICE = 342_000.0
SERVE = 4e6 / 2400  # nodes for 4M users
PRE = 6 * 70e9 * 1e12 / (H200_FLOP_PER_NODE_DAY * 0.5 * 10)  # nodes for the minimum pre-training run
NO_USERS = {"concurrent_users": 0}


def solved(sc):
    m = build_buildout(sc)
    outcome = solve_buildout_model(m)
    return m, outcome


def bought(m, period: str) -> float:
    """Nodes bought in ``period`` at every site."""
    return sum(value(m.buy[h, s, b]) for (h, s, b) in m.BUYS if b == period) * 1e3


def installed(m, period: str) -> float:
    return sum(value(m.installed[h, s, period]) for h in m.HARDWARE for s in m.SITES) * 1e3


def test_vintage_serves_through_its_life_and_retires_after_it():
    """Life 3 years: the 2026 vintage (run + serving) works in 2026-2028 and is gone in 2029, when the
    serving fleet is bought again. The 2029 vintage keeps 2/3 of its value at the horizon's end (2030)."""
    periods = {"2026": {}, "2027": {"release": False}, "2028": {"release": False}, "2029": {"release": False}}
    m, outcome = solved(tiny_buildout(periods, {"remaining_value": True},
                                      **{"hardware.H200.lifetime_years": 3}))
    assert bought(m, "2026") == pytest.approx(SERVE + PRE, rel=1e-7)
    assert bought(m, "2027") == pytest.approx(0, abs=1e-6)
    assert bought(m, "2028") == pytest.approx(0, abs=1e-6)
    assert installed(m, "2028") == pytest.approx(SERVE + PRE, rel=1e-7)  # still serving in period 3
    assert bought(m, "2029") == pytest.approx(SERVE, rel=1e-7)  # the first vintage retired
    assert installed(m, "2029") == pytest.approx(SERVE, rel=1e-7)
    expected = PRICE * (SERVE + PRE + SERVE * (1 - 2 / 3))
    assert outcome.objective * 1e9 == pytest.approx(expected, rel=1e-7)


def test_lead_time_delays_power():
    """A 10 MW campus holds 980.4 nodes; 2028's 3M users need 1,250 serving nodes, so a 75 MW site must be
    powered in 2028. With a 2-year lead it is started in 2026 and powers 2028, not 2027; a 3-year lead
    cannot power it in time."""
    periods = {"2026": {"concurrent_users": 1e6}, "2027": {"concurrent_users": 1e6, "release": False},
               "2028": {"concurrent_users": 3e6, "release": False}}
    changes = {"sites.ferrari.power_mw": 10, "sites.ferrari.existing_sites": 1, "sites.honda.lead_time_years": 2}
    m, outcome = solved(tiny_buildout(periods, **changes))
    assert value(m.start["honda", "2026"]) == pytest.approx(1)
    assert [round(value(m.sites_online["honda", p])) for p in ("2026", "2027", "2028")] == [0, 0, 1]
    # nodes: 1,250 for 2028; 2026's 416.67 serving + 122.88 training nodes are among them; one 75 MW site
    assert outcome.objective * 1e9 == pytest.approx(PRICE * 3e6 / 2400 + 75e6, rel=1e-7)
    with pytest.raises(InfeasibleError, match="honda"):
        solved(tiny_buildout(periods, **{**changes, "sites.honda.lead_time_years": 3}))


def test_discounting_and_falling_prices_move_a_purchase_later():
    """Serving starts in 2027. Bought in 2026 a node costs P; bought in 2027, 0.8 P / 1.1. So only the
    2026 run's nodes are bought in 2026 (and serve in 2027), the rest in 2027."""
    periods = {"2026": NO_USERS, "2027": {"release": False}}
    m, outcome = solved(tiny_buildout(periods, {"discount_rate": 0.1},
                                      **{"hardware.H200.price_decline_per_year": 0.2,
                                         "hardware.H200.available_year": 2026}))
    assert bought(m, "2026") == pytest.approx(PRE, rel=1e-7)
    assert bought(m, "2027") == pytest.approx(SERVE - PRE, rel=1e-7)
    expected = PRICE * (PRE + (SERVE - PRE) * 0.8 / 1.1)
    assert outcome.objective * 1e9 == pytest.approx(expected, rel=1e-7)
    # without falling prices or discounting, buying early is as good: the optimum costs the same either way
    m, outcome = solved(tiny_buildout(periods))
    assert outcome.objective * 1e9 == pytest.approx(PRICE * SERVE, rel=1e-7)


def test_remaining_value_is_straight_line_and_discounted():
    """One 2-year period from 2026, 10% discounting: nodes (life 5) keep (2026 + 5 - 2028) / 5 = 3/5 of their
    price at the horizon's end, worth 3/5 P / 1.1^2 today; a 75 MW site (life 14, $75M) keeps 12/14."""
    periods = {"2026": {"years": 2}}
    changes = {"sites.ferrari.power_mw": 10, "sites.ferrari.existing_sites": 1}
    m, outcome = solved(tiny_buildout(periods, {"discount_rate": 0.1, "remaining_value": True}, **changes))
    nodes = SERVE + PRE
    honda = 1  # 1,789.5 nodes x 10.2 kW = 18.25 MW: 980.4 nodes at the campus, the rest on one 75 MW site
    expected_value = (nodes * PRICE * 3 / 5 + honda * 75e6 * 12 / 14) / 1.1**2
    assert value(m.remaining_value) * 1e9 == pytest.approx(expected_value, rel=1e-7)
    assert outcome.objective * 1e9 == pytest.approx(nodes * PRICE + honda * 75e6 - expected_value, rel=1e-7)


def test_training_campus_is_reused_for_rl_serving_and_the_next_run():
    """With RL capped at 1e23 FLOP (29.26 nodes for 10 days), a reused fleet needs serving + the larger run
    (SERVE + PRE) in 2026; dedicated fleets need SERVE + PRE + RL. The 2026 vintage then serves and trains
    the 2027 release without new purchases."""
    rl_nodes = 1e23 / (H200_FLOP_PER_NODE_DAY * 0.5 * 10)
    periods = {"2026": {}, "2027": {}}
    changes = {"capability.weight_rl": 1.0, "rl.max_flop": 1e23}
    for reuse, expected in ((True, SERVE + PRE), (False, SERVE + PRE + rl_nodes)):
        sc = tiny_buildout(periods, {"fleet_reuse": reuse}, objective="max_capability", **changes)
        m, outcome = solved(sc)
        assert value(m.rl_flop["2026"]) == pytest.approx(0.1, rel=1e-6)  # RL at its cap, 1e23 FLOP
        assert bought(m, "2026") == pytest.approx(expected, rel=1e-6)
        assert bought(m, "2027") == pytest.approx(0, abs=1e-5)
        assert value(m.host["2027", "ferrari"]) == pytest.approx(1)


def test_a_run_cannot_split_across_two_campuses():
    """The minimum run draws 1.2533 MW: two 1 MW campuses cannot host it between them; one 2 MW campus can."""
    periods = {"2026": NO_USERS}
    campus = {"power_mw": 1, "pue": 1.0, "facility_capex_usd_per_mw": 0, "opex_usd_per_mw_year": 0,
              "electricity_usd_per_mwh": 0, "coherent_training": True, "fabric_capex_fraction": 0, "max_sites": 1}
    two = {"sites.ferrari.power_mw": 1, "sites.other": campus}
    with pytest.raises(InfeasibleError, match="one campus"):
        solved(tiny_buildout(periods, **two))
    m, outcome = solved(tiny_buildout(periods, **{**two, "sites.other.power_mw": 2}))
    assert value(m.host["2026", "other"]) == pytest.approx(1)
    assert sum(value(m.pretrain_nodes["H200", "other", "2026"]) for _ in [0]) * 1e3 == pytest.approx(PRE, rel=1e-7)


def test_algorithmic_progress_multiplies_compute_split_between_n_and_d():
    """A release in a year with multiplier g has loss E + A/(sqrt(g) N)^alpha + B/(sqrt(g) D)^beta: with
    g = 4, the 2027 release's exact loss at 1e12 tokens equals the 2026 law at 2N and 2D."""
    from optimizer import laws
    from optimizer.buildout.solve import exact_release

    periods = {"2026": NO_USERS, "2027": NO_USERS}
    m, _ = solved(tiny_buildout(periods, {"algorithmic_efficiency_per_year": 4.0}))
    sc = m.scenario
    tokens = exact_release(m, "2027")["tokens"]
    assert exact_release(m, "2027")["loss"] == pytest.approx(laws.pretraining_loss(2 * 70e9, 2 * tokens, sc.loss_law),
                                                             rel=1e-12)


@pytest.mark.parametrize("changes", [{}, {"data.max_epochs": 4}, {"budget_usd": 2e9},
                                     {"capability.weight_rl": 1.0, "rl.max_flop": 1e23},
                                     {"horizon_years": 3, "budget_usd": 3e9}])
def test_one_period_equals_the_single_period_engine(changes):
    """Property: one period with dedicated fleets, RL anywhere, no discounting or remaining value and a life
    equal to the horizon (``one_period_buildout``, ``--as-buildout``) is the single-period model; both
    engines agree on K and cost."""
    from optimizer.buildout.one_period import one_period_buildout
    from optimizer.run import solve_scenario

    sc = tiny(**changes)
    plan = solve_scenario(sc)
    m, outcome = solved(one_period_buildout(sc))
    assert outcome.objective == pytest.approx(plan.summary["capability_index"], abs=1e-7)
    assert value(m.total_cost) * 1e9 == pytest.approx(plan.summary["total_cost_usd"], rel=1e-6)


@pytest.mark.parametrize("objective", ["max_capability", "min_cost"])
def test_the_baseline_is_the_one_period_case_of_the_buildout(objective):
    """External anchor for the property above: the sourced baseline (6 models x 7 thinking options, GB200 to
    MI355X, Ferrari and Honda sites) gives the same capability, cost and chosen model and thinking on both
    engines; min_cost at K >= 0.75 (the max_capability plan reaches 0.7688)."""
    from optimizer.api import load
    from optimizer.buildout.one_period import one_period_buildout
    from optimizer.buildout.solve import chosen_model, chosen_option, exact_values
    from optimizer.run import solve_scenario

    sc = load("scenarios/baseline.yaml")
    if objective == "min_cost":
        sc = load("scenarios/baseline.yaml", set={"objective": "min_cost", "capability_target": 0.75})
    plan = solve_scenario(sc)
    m, outcome = solved(one_period_buildout(sc))
    assert value(m.total_cost) * 1e9 == pytest.approx(plan.summary["total_cost_usd"], rel=1e-6)
    assert exact_values(m)["capability"] == pytest.approx(plan.summary["capability_index"], abs=1e-7)
    assert chosen_model(m, "2026") == plan.summary["served_model"]
    assert chosen_option(m, "2026")[1] == plan.summary["thinking"]


def tiny_buildout_file(tmp_path, **periods_changes):
    """The tiny build-out as a scenario file: 2026 (release) and 2027 (serving only, twice the users)."""
    import yaml

    sc = tiny_buildout({"2026": {}, "2027": {"release": False, "concurrent_users": 8e6}},
                       {"discount_rate": 0.05, "remaining_value": True}, objective="max_capability")
    path = tmp_path / "tiny-buildout.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", exclude_none=True)))
    return path


def test_cli_solves_a_buildout_prints_years_and_writes_tidy_tables(tmp_path):
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from optimizer.api import load_plan
    from optimizer.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(tiny_buildout_file(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for heading in ("By year", "Releases", "Cash by year and category", "Approximation error"):
        assert heading in result.output
    summary = json.loads((out / "plan.json").read_text())["summary"]
    assert summary["kind"] == "buildout" and summary["periods"] == ["2026", "2027"]
    fleet = pd.read_csv(out / "fleet.csv", dtype={"period": str})
    # 2027 serves 8M users: 3,333.3 nodes, of which the 2026 vintage (1,666.7 + the run's 122.9) still works
    installed = fleet[fleet.role == "installed"].groupby("period").nodes.sum()
    assert installed["2027"] == pytest.approx(2 * SERVE, rel=1e-6)
    assert installed["2026"] == pytest.approx(SERVE + PRE, rel=1e-6)
    for name in ("periods", "releases", "sites", "costs", "approximation", "marginals"):
        assert "period" in pd.read_csv(out / f"{name}.csv").columns or name in ("releases", "approximation",
                                                                               "marginals")
    assert (out / "report.html").read_text().count("<img") == 5
    plan = load_plan(out)
    assert plan.summary["final_capability"] == pytest.approx(summary["final_capability"])
    assert list(plan.periods.period.astype(str)) == ["2026", "2027"]


def test_sweep_over_a_buildout_prices_extra_demand(tmp_path):
    from optimizer.api import load, sweep

    table = sweep(load(tiny_buildout_file(tmp_path)), {"periods.2027.concurrent_users": [4e6, 8e6]}, progress=False)
    assert list(table.status) == ["optimal", "optimal"] and not table.rebuilt.any()  # demand is data: in place
    # the second point serves 1,666.7 more nodes' users in 2027: the 2026 run's 122.9 nodes serve too, so it buys
    # 1,543.8 nodes in 2027 at 342k, discounted 1/1.05, keeping 4/5 of their value at the horizon's end (2028),
    # discounted 1/1.05^2
    extra = (SERVE - PRE) * PRICE * (1 / 1.05 - 0.8 / 1.05**2)
    assert table.total_cost_usd[1] - table.total_cost_usd[0] == pytest.approx(extra, rel=1e-6)


PERSISTENT_POINTS = [
    {"periods.2027.concurrent_users": 8e6}, {"budget_usd": 1e8}, {"hardware.H200.node_capex_usd": 400_000},
    {"sites.ferrari.electricity_usd_per_mwh": 80}, {"sites.honda.facility_capex_usd_per_mw": 2e6},
    {"sites.ferrari.opex_usd_per_mw_year": 5e4}, {"data.synthetic_usd_per_million_tokens": 5},
    {"periods.2027.concurrent_users": 2e6, "hardware.H200.node_capex_usd": 300_000}, {"data.max_epochs": 4},
    {"periods.2027.concurrent_users": 8e6},
]


@pytest.mark.parametrize("objective, extra", [("max_capability", []),
                                              ("min_cost", [{"capability_target": 0.5}, {"capability_target": -1}])])
def test_a_sweep_changes_data_in_place_and_equals_fresh_solves(objective, extra):
    """A sweep over data paths (budgets, demand, prices, targets) re-solves one persistent model; every row
    equals the point solved on its own fresh model, in any order, after an infeasible point (a $0.1B budget;
    a target K = 0.5 no plan reaches) and around a structural point (``data.max_epochs``: rebuilt)."""
    from optimizer.sweeps import Work, point_scenario, run_sweep, solve_buildout_point

    periods = {"2026": {}, "2027": {"release": False, "concurrent_users": 8e6}}
    sc = tiny_buildout(periods, {"discount_rate": 0.05, "remaining_value": True}, objective=objective)
    points = PERSISTENT_POINTS + extra
    table = run_sweep(sc, points, progress=False)
    assert list(table.rebuilt) == [p == {"data.max_epochs": 4} for p in points]
    statuses = list(table.status)
    assert statuses[1] == "infeasible"  # the budget binds min_cost too
    for i, point in enumerate(points):
        fresh = solve_buildout_point(build_buildout(point_scenario(sc, point)), None, Work())
        row = table.iloc[i]
        assert row.status == fresh["status"], point
        for key, expected in fresh.items():
            if key in ("solve_seconds", "refinement_cuts", "status") or isinstance(expected, str):
                assert key in ("solve_seconds", "refinement_cuts") or row[key] == expected, (point, key)
                continue
            assert row[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), (point, key)
    if objective == "min_cost":
        assert statuses[-2:] == ["infeasible", "optimal"]


def test_the_last_plan_is_handed_as_a_start_only_where_it_is_still_feasible():
    """A sweep re-solving one model hands HiGHS the last point's plan as its MIP start only if it satisfies
    the model at the new point: a larger budget keeps it feasible, a budget below its cost does not, and a
    fractional site count is never handed."""
    from optimizer.buildout.data import set_data
    from optimizer.buildout.solve import buildout_solver
    from optimizer.solver import start_if_feasible, sync_parameters

    periods = {"2026": {}, "2027": {"release": False, "concurrent_users": 8e6}}
    sc = tiny_buildout(periods, objective="max_capability")
    m = build_buildout(sc, {"budget_usd"})
    solver = buildout_solver(m)
    outcome = solve_buildout_model(m, solver=solver)
    cost = value(m.total_cost) * 1e9

    def handed(budget: float) -> bool:
        set_data(m, sc, {"budget_usd": budget})
        sync_parameters(solver, m)
        return start_if_feasible(solver)
    assert handed(2 * cost) and handed(cost * (1 + 1e-12))
    assert not handed(cost * (1 - 1e-6))
    assert handed(2 * cost)
    again = solve_buildout_model(m, solver=solver)  # HiGHS takes the start and proves the same optimum
    assert again.objective == pytest.approx(outcome.objective, abs=1e-9)
    started = next(iter(m.start.values()))
    started.value = 0.5
    assert not start_if_feasible(solver)


def test_cli_as_buildout_runs_a_one_period_scenario_on_the_buildout_model(tmp_path):
    """``--as-buildout``: the tiny one-period scenario solved on the build-out model has the single-period
    engine's objective; its sweep re-solves in place; a scenario that already has periods is refused."""
    import json

    import yaml
    from typer.testing import CliRunner

    from optimizer.cli import app

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny().model_dump(mode="json", exclude_none=True)))
    runner = CliRunner()
    engine = json.loads(runner.invoke(app, ["solve", str(path), "--json"]).output)["summary"]
    result = runner.invoke(app, ["solve", str(path), "--as-buildout", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)["summary"]
    assert summary["kind"] == "buildout" and summary["periods"] == ["2026"]
    assert summary["objective_value"] == pytest.approx(engine["objective_value"], abs=1e-7)
    assert summary["total_cost_usd"] == pytest.approx(engine["total_cost_usd"], rel=1e-6)
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", str(path), "--as-buildout", "-p", "budget_usd=1e9,2e9", "--out", str(out),
                                 "-q"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    table = pd.read_csv(out / "sweep.csv")
    assert list(table.status) == ["optimal", "optimal"] and not table.rebuilt.any()
    result = runner.invoke(app, ["solve", str(tiny_buildout_file(tmp_path)), "--as-buildout"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "error: (--as-buildout, periods) | scenario 'tiny' is already a build-out. Fix: leave --as-buildout out"]
    path.write_text(yaml.safe_dump(tiny(horizon_years=2.5).model_dump(mode="json", exclude_none=True)))
    result = runner.invoke(app, ["solve", str(path), "--as-buildout"])
    assert result.exit_code == 2 and "(--as-buildout, horizon_years) | is 2.5; a build-out period lasts whole years" \
        in result.output


def test_one_period_charts_show_the_year_as_stacked_bars():
    """An area over one year is invisible: a one-period build-out draws the capability terms and the fleet as
    stacked bars whose heights add up to K and to the installed MW."""
    from optimizer.buildout.one_period import one_period_buildout
    from optimizer.buildout.plot import capability_trajectory, fleet_by_generation
    from optimizer.buildout.run import solve_buildout

    plan = solve_buildout(one_period_buildout(tiny(**{"capability.weight_rl": 1.0, "rl.max_flop": 1e23})))
    bars = capability_trajectory(plan).axes[0].patches
    assert len(bars) == 3 and sum(bar.get_height() for bar in bars) == pytest.approx(plan.periods.capability[0])
    installed = plan.fleet[plan.fleet.role == "installed"].mw.sum()
    assert sum(bar.get_height() for bar in fleet_by_generation(plan).axes[0].patches) == pytest.approx(installed)


def test_demand_dual_is_the_price_of_serving_one_more_million_users():
    """min_cost, one period: 1e6 more users need 1e6 / 2,400 nodes at $342k, $142.5M, so the demand row's dual
    is -0.1425 (objective -cost, in 1e9 USD per 1e6 users). In 2027 half as many users are served by the
    2026 vintage, which has room left: one more user there costs nothing."""
    periods = {"2026": {}, "2027": {"release": False, "concurrent_users": 2e6}}
    _, outcome = solved(tiny_buildout(periods, {"discount_rate": 0.1}))
    assert outcome.duals["demand[2026]"] == pytest.approx(-PRICE / 2400 * 1e6 / 1e9, rel=1e-6)
    assert outcome.duals["demand[2027]"] == pytest.approx(0.0, abs=1e-9)  # 2026's fleet has room left
    assert outcome.duals["budget"] == pytest.approx(0.0, abs=1e-12)
