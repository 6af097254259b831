"""Decisions under uncertainty: sampling, Monte Carlo bands, SALib indices and the two-stage plan, each
checked against a hand-derived or closed-form answer.

The two-regime build-out (``two_regimes``): a 10 MW campus (already built, free) holds 980.4 nodes.
2026 serves 1M users and trains the release: 416.67 + 122.88 = 539.55 nodes. 2027's demand is 1M users
(low) or 3M (high, 1,250 nodes: 12.75 MW, one more site). A 75 MW 'honda' site costs $75M and takes one
year to build, so it must be started in 2026 (the first stage); a 75 MW 'rush' site is ready at once but
costs $225M. Discounting at 10% a year makes 2027 cash worth 1/1.1 (so nodes are bought as late as
possible, and the first stage is unique). With p(high) = 1/2:

    start honda in 2026:  E[site cost] = 75M             (both scenarios pay it)
    wait:                 E[site cost] = 1/2 x 225M/1.1 = 102.27M   (rush only if high)

so the hedged first stage starts honda. Wait-and-see pays 75M only when high: 37.5M. EVPI = 75M - 37.5M
= 37.5M. The mean-value scenario (2M users, 833 nodes, 8.5 MW) fits the campus and starts nothing:
EEV = 102.27M, VSS = 102.27M - 75M = 27.27M. Node costs are the same in every plan and cancel out.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.errors import ScenarioError
from optimizer.uncertainty import sampling
from optimizer.uncertainty.robust import robust_tables, scenarios_of
from optimizer.uncertainty.stochastic import Risk
from tests.tiny import BASE, tiny, tiny_buildout

PRICE = 342_000.0
NODES_2026 = 4e6 / 4 / 2400 + 6 * 70e9 * 1e12 / (8 * 989e12 * 86_400 * 0.5 * 10)  # 539.55
RUSH = {"power_mw": 75, "pue": 1.0, "facility_capex_usd_per_mw": 3e6, "opex_usd_per_mw_year": 0,
        "electricity_usd_per_mwh": 0, "coherent_training": False, "fabric_capex_fraction": 0, "max_sites": 100}
runner = CliRunner()


def demand_regimes(p_high: float) -> dict:
    return {"regimes": {"demand": {"source": "test", "options": {
        "low": {"probability": 1 - p_high, "values": {"periods.2027.concurrent_users": 1e6}},
        "high": {"probability": p_high, "values": {"periods.2027.concurrent_users": 3e6}}}}}}


def two_regimes(p_high: float = 0.5):
    periods = {"2026": {"concurrent_users": 1e6}, "2027": {"concurrent_users": 2e6, "release": False}}
    return tiny_buildout(periods, {"discount_rate": 0.1}, **{
        "sites.ferrari.power_mw": 10, "sites.ferrari.existing_sites": 1, "sites.honda.lead_time_years": 1,
        "sites.rush": RUSH, "uncertainty": demand_regimes(p_high)})


def measure(tables, name: str) -> float:
    table = tables["robust_value"]
    return float(table.loc[table.measure == name, "value"].iloc[0])


def started(tables, plan: str, site: str = "honda") -> float:
    table = tables["robust_first_stage"]
    rows = table[(table.decision == "sites started") & (table.site == site)]
    return float(rows[plan].sum()) if len(rows) else 0.0


def test_two_regimes_hedged_first_stage_evpi_and_vss_by_hand():
    tables = robust_tables(two_regimes())
    assert started(tables, "stochastic") == 1 and started(tables, "mean-value") == 0
    assert started(tables, "perfect:high") == 1 and started(tables, "perfect:low") == 0
    nodes = 0.5 * NODES_2026 * PRICE + 0.5 * (NODES_2026 * PRICE + (3e6 / 2400 - NODES_2026) * PRICE / 1.1)
    assert -measure(tables, "RP") == pytest.approx(nodes + 75e6, rel=1e-7)
    assert -measure(tables, "WS") == pytest.approx(nodes + 37.5e6, rel=1e-7)
    assert -measure(tables, "EEV") == pytest.approx(nodes + 0.5 * 225e6 / 1.1, rel=1e-7)
    assert measure(tables, "EVPI") == pytest.approx(37.5e6, rel=1e-6)
    assert measure(tables, "VSS") == pytest.approx(0.5 * 225e6 / 1.1 - 75e6, rel=1e-6)
    assert measure(tables, "recourse_check") == pytest.approx(0, abs=1)  # USD
    regret = tables["robust_regret"].set_index(["candidate", "scenario"]).regret
    assert regret["stochastic", "low"] == pytest.approx(75e6, rel=1e-6)  # paid for a site it did not need
    assert regret["mean-value", "high"] == pytest.approx(225e6 / 1.1 - 75e6, rel=1e-6)  # rushed
    assert regret["stochastic", "high"] == pytest.approx(0, abs=1)


def test_cvar_hedges_where_the_expectation_would_not():
    """p(high) = 0.2: waiting costs 0.2 x 204.5M = 40.9M < 75M in expectation, so the expected-value plan
    waits; CVaR at 0.8 (the worst 20%: the high scenario) pays 75M rather than 204.5M there, so it builds."""
    expected = robust_tables(two_regimes(0.2), perfect_candidates=0)
    assert started(expected, "stochastic") == 0
    assert measure(expected, "EVPI") == pytest.approx(0.2 * 225e6 / 1.1 - 0.2 * 75e6, rel=1e-6)
    cautious = robust_tables(two_regimes(0.2), risk=Risk(alpha=0.8, omega=1.0), perfect_candidates=0)
    assert started(cautious, "stochastic") == 1
    high = NODES_2026 * PRICE + (3e6 / 2400 - NODES_2026) * PRICE / 1.1
    assert -measure(cautious, "CVaR_0.8") == pytest.approx(high + 75e6, rel=1e-7)


def test_mpisppy_extensive_form_and_progressive_hedging_agree_with_the_highs_extensive_form():
    pytest.importorskip("mpisppy")
    from optimizer.uncertainty import mpisppy_bridge
    from optimizer.uncertainty.stochastic import build_extensive_form, first_stage_values, solve_extensive_form

    prog = scenarios_of(two_regimes(), None, "lhs", 0, 1)
    ef = build_extensive_form(prog)
    ours = solve_extensive_form(ef)
    objective, first = mpisppy_bridge.extensive_form(prog)
    assert objective == pytest.approx(ours.model_risk, rel=1e-7)
    for key, amount in first_stage_values(ef, prog.first_periods).items():
        assert first[key] == pytest.approx(amount, abs=1e-6)
    _, averaged, iterations = mpisppy_bridge.progressive_hedging(prog, rho=0.1)
    assert averaged[("start", "honda", "2026")] == pytest.approx(1, abs=1e-6) and iterations < 50
    tables = robust_tables(two_regimes(), solver="ph", perfect_candidates=0)
    assert measure(tables, "VSS") == pytest.approx(0.5 * 225e6 / 1.1 - 75e6, rel=1e-6)


def mpiexec() -> str:
    """The venv's mpiexec (the [stochastic] extra's mpich wheel), else one on PATH."""
    import shutil
    import sys
    from pathlib import Path

    pytest.importorskip("mpisppy")
    pytest.importorskip("mpi4py")
    found = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec")
    return found


def test_progressive_hedging_across_mpi_ranks_finds_the_hedged_plan_between_its_bounds(tmp_path):
    """mpiexec -n 3: PH's hub, a Lagrangian spoke and an x-hat spoke. The x-hat spoke's plan is the hedged one
    (start honda), its inner bound is RP, and the outer bound lies between RP and WS. Only rank 0 writes."""
    import subprocess
    import sys

    import pandas as pd

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two_regimes().model_dump(mode="json", exclude={"sources"}), sort_keys=False))
    command = [mpiexec(), "-n", "3", sys.executable, "-m", "optimizer", "robust", str(path), "--solver", "ph"]
    done = subprocess.run([*command, "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("wrote") == 1 and done.stdout.count("robust_value") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "two.yaml"]  # mpi-sppy's empty *.log files
    value = pd.read_csv(tmp_path / "out" / "robust_value.csv").set_index("measure").value
    nodes = NODES_2026 * PRICE + 0.5 * (3e6 / 2400 - NODES_2026) * PRICE / 1.1
    assert -value["RP"] == pytest.approx(nodes + 75e6, rel=1e-7)
    assert value["VSS"] == pytest.approx(0.5 * 225e6 / 1.1 - 75e6, rel=1e-6)
    assert value["ph_inner_bound"] == pytest.approx(value["RP"], rel=1e-7)
    assert value["RP"] - 1 <= value["ph_outer_bound"] <= value["WS"] + 1  # USD
    assert value["mpi_ranks"] == 3 and value["rp_certified_gap"] == pytest.approx(
        (value["ph_outer_bound"] - value["RP"]) / -value["RP"], rel=1e-9)
    for ranks, extra, message in (("5", [], "multiple of 3"), ("2", ["--solver", "highs"], "only progressive")):
        bad = [*command[:2], ranks, *command[3:], *extra]
        done = subprocess.run(bad, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stderr.count(message) == 1 and "Traceback" not in done.stderr


def test_ctrl_c_stops_every_mpi_rank_promptly_even_inside_a_solve(tmp_path):
    """SIGINT to mpiexec (which passes it to every rank) during PH on the build-out: all ranks end within
    seconds, although each is inside a HiGHS solve of several seconds, with the CLI's 130."""
    import signal
    import subprocess
    import sys
    import time

    command = [mpiexec(), "-n", "3", sys.executable, "-m", "optimizer", "robust", "scenarios/buildout-2026-2030.yaml",
               "-k", "3", "--solver", "ph", "--out", str(tmp_path / "out")]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(15)  # loading, then PH's iteration 0 (about 19 s)
    assert run.poll() is None
    run.send_signal(signal.SIGINT)
    start = time.perf_counter()
    try:
        run.wait(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 130 and time.perf_counter() - start < 30


def test_samples_are_reproducible_with_a_seed():
    sc = tiny(uncertainty={"parameters": {
        "pretraining.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5, "source": "test"}}})
    for method in sampling.METHODS:
        first, again = sampling.sample(sc, 16, method, seed=7), sampling.sample(sc, 16, method, seed=7)
        assert first.points == again.points
        assert first.points != sampling.sample(sc, 16, method, seed=8).points


def test_percentiles_of_each_distribution_match_its_closed_form():
    """2,000 Latin-hypercube draws put each quantile within 1/2000 of its rank: the 5th and 95th
    percentiles land on the distribution's own."""
    from scipy import stats

    spec = {"u": {"distribution": "uniform", "low": 2, "high": 4},
            "t": {"distribution": "triangular", "low": 0, "mode": 1, "high": 4},
            "n": {"distribution": "normal", "p5": 10, "p95": 20},
            "l": {"distribution": "lognormal", "p5": 100e12, "p95": 1000e12}}
    exact = {"u": (2.1, 3.9), "t": (stats.triang(0.25, 0, 4).ppf(0.05), stats.triang(0.25, 0, 4).ppf(0.95)),
             "n": (10, 20), "l": (100e12, 1000e12)}
    from optimizer.schema import Distribution

    u = sampling.unit_sample(1, 2000, "lhs", seed=1)[:, 0]
    for name, fields in spec.items():
        values = sampling.inverse_cdf(Distribution(**fields, source="test"), u)
        low, high = exact[name]
        # a Latin hypercube puts exactly one draw in each 1/2000 stratum: 100 below p5, 1,900 below p95
        assert np.mean(values < low) == pytest.approx(0.05, abs=1 / 2000)
        assert np.mean(values < high) == pytest.approx(0.95, abs=1 / 2000)
        assert np.percentile(values, 5) == pytest.approx(low, rel=1e-2)
        assert np.percentile(values, 95) == pytest.approx(high, rel=1e-2)
    truncated = Distribution(distribution="normal", p5=10, p95=20, bounds=(8, 30), source="test")
    ends = sampling.inverse_cdf(truncated, np.array([0.0, 1.0]))
    assert ends[0] == pytest.approx(8, rel=1e-9) and ends[1] == pytest.approx(30, rel=1e-9)


def test_correlation_keeps_the_marginals_and_correlates_the_ranks():
    sc = tiny(uncertainty={"parameters": {
        "pretraining.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5, "source": "test"},
        "rl.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5, "source": "test"}},
        "correlations": [{"paths": ["pretraining.mfu", "rl.mfu"], "rho": 0.8, "source": "test"}]})
    points = sampling.sample(sc, 2000, "lhs", seed=2).points
    a, b = (np.array([p[k] for p in points]) for k in ("pretraining.mfu", "rl.mfu"))
    assert 0.3 <= a.min() and a.max() <= 0.5 and np.percentile(b, 50) == pytest.approx(0.4, rel=0.01)
    from scipy import stats

    # Spearman's rho of a Gaussian copula: (6 / pi) asin(rho / 2) = 0.786 at rho = 0.8
    assert stats.spearmanr(a, b).statistic == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.02)


def min_cost_with_uncertain_capex():
    """One period, min cost: the plan buys 1,789.55 nodes whatever they cost, so cost = 1,789.55 x capex."""
    return tiny(objective="min_cost", capability_target=-10, uncertainty={"parameters": {
        "hardware.H200.node_capex_usd": {"distribution": "uniform", "low": 300e3, "high": 400e3, "source": "test"},
        "rl.asymptote_pass_rate": {"distribution": "uniform", "low": 0.55, "high": 0.65, "source": "test"}}})


def test_montecarlo_bands_are_the_closed_form_percentiles():
    from optimizer.uncertainty.montecarlo import montecarlo_tables

    tables = montecarlo_tables(min_cost_with_uncertain_capex(), 100, seed=0)
    cost = tables["montecarlo_bands"].set_index("output").loc["total_cost_usd"]
    nodes = 4e6 / 2400 + NODES_2026 - 1e6 / 2400
    for q in (5, 50, 95):
        assert cost[f"p{q}"] == pytest.approx(nodes * (300e3 + q / 100 * 100e3), rel=2e-3)
    assert cost.n == 100 and tables["montecarlo_outcomes"].status.tolist() == ["optimal"]
    again = montecarlo_tables(min_cost_with_uncertain_capex(), 100, seed=0)
    assert again["montecarlo_bands"].equals(tables["montecarlo_bands"])


def test_sobol_and_morris_find_the_only_input_that_matters():
    """Cost depends on the node price alone (RL has no weight and no floor here): ST = S1 = 1 for it,
    0 for the RL ceiling; Morris: mu* = 0 for the ceiling and the exact slope for the price."""
    from optimizer.uncertainty.gsa import sensitivity_tables

    sobol = sensitivity_tables(min_cost_with_uncertain_capex(), 32, method="sobol")["sensitivity"].set_index("input")
    assert sobol.loc["hardware.H200.node_capex_usd", "ST"] == pytest.approx(1, abs=0.02)
    assert sobol.loc["hardware.H200.node_capex_usd", "S1"] == pytest.approx(1, abs=0.02)
    assert sobol.loc["rl.asymptote_pass_rate", "ST"] == pytest.approx(0, abs=1e-9)
    morris = sensitivity_tables(min_cost_with_uncertain_capex(), 4, method="morris")["sensitivity"].set_index("input")
    assert morris.loc["rl.asymptote_pass_rate", "mu_star"] == pytest.approx(0, abs=1e-6)
    # the elementary effect of the price's quantile u: d cost / du = nodes x $100k (objective in 1e9 USD)
    nodes = 4e6 / 2400 + NODES_2026 - 1e6 / 2400
    assert morris.loc["hardware.H200.node_capex_usd", "mu_star"] == pytest.approx(nodes * 100e3 / 1e9, rel=1e-6)
    with pytest.raises(ScenarioError, match="power of two"):
        sensitivity_tables(min_cost_with_uncertain_capex(), 10, method="sobol")


@pytest.mark.parametrize("block, message", [
    ({"parameters": {"nope.x": {"distribution": "uniform", "low": 0, "high": 1, "source": "s"}}},
     "uncertainty.parameters.nope.x"),
    ({"parameters": {"pretraining.mfu": {"distribution": "uniform", "low": 0.5, "high": 0.4, "source": "s"}}},
     "must be below"),
    ({"parameters": {"pretraining.mfu": {"distribution": "lognormal", "low": 0.3, "high": 0.5, "source": "s"}}},
     "takes p5, p95, not low. Fix: see docs/uncertainty.md"),
    ({"parameters": {"pretraining.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5}}}, "source"),
    ({"regimes": {"g": {"source": "s", "options": {"a": {"probability": 0.5, "values": {"pretraining.mfu": 0.3}},
                                                    "b": {"probability": 0.4, "values": {}}}}}}, "sum to 0.9"),
    ({"parameters": {"pretraining.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5, "source": "s"}},
      "regimes": {"g": {"source": "s", "options": {"a": {"probability": 0.5, "values": {"pretraining.mfu": 0.3}},
                                                    "b": {"probability": 0.5, "values": {}}}}}}, "uncertain twice"),
    ({"parameters": {"pretraining.mfu": {"distribution": "uniform", "low": 0.3, "high": 0.5, "source": "s"}},
      "correlations": [{"paths": ["pretraining.mfu", "rl.mfu"], "rho": 0.5, "source": "s"}]},
     "rl.mfu is not in uncertainty.parameters"),
])
def test_bad_uncertainty_blocks_are_one_line_errors(block, message):
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.")):
        tiny(uncertainty=block)


def test_commands_need_an_uncertainty_block_and_a_build_out_for_robust():
    with pytest.raises(ScenarioError, match="no uncertainty: block"):
        sampling.sample(tiny(), 4)
    sc = tiny(uncertainty={"regimes": {"d": {"source": "s", "options": {
        "a": {"probability": 0.5, "values": {"inference.concurrent_users": 1e6}},
        "b": {"probability": 0.5, "values": {}}}}}})
    with pytest.raises(ScenarioError, match="at least two periods"):
        robust_tables(sc)


def test_cli_montecarlo_and_robust_write_tables_and_a_report(tmp_path):
    raw = dict(BASE, objective="min_cost", capability_target=-10,
               uncertainty=min_cost_with_uncertain_capex().uncertainty.model_dump(exclude_none=True))
    path = tmp_path / "mc.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = runner.invoke(app, ["montecarlo", str(path), "-n", "8", "--out", str(tmp_path / "mc")])
    assert result.exit_code == 0, result.output
    assert "total_cost_usd" in result.output and "p95" in result.output
    assert (tmp_path / "mc" / "montecarlo_bands.csv").exists() and (tmp_path / "mc" / "report.html").exists()
    two = two_regimes()
    raw = two.model_dump(mode="json", exclude={"sources"})
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = runner.invoke(app, ["robust", str(path), "--out", str(tmp_path / "robust")])
    assert result.exit_code == 0, result.output
    assert "EVPI" in result.output and "VSS" in result.output
    report = (tmp_path / "robust" / "report.html").read_text()
    assert "robust_regret" in report and "data:image/png" in report
    result = runner.invoke(app, ["robust", str(path), "--cvar-weight", "2"])
    assert result.exit_code == 2 and "--cvar-weight" in result.output and "Traceback" not in result.output


def test_sensitivity_solves_the_tornado_beside_the_indices():
    from optimizer.uncertainty.gsa import sensitivity_tables

    base = min_cost_with_uncertain_capex()
    sc = tiny(objective="min_cost", capability_target=-10, uncertainty=base.uncertainty.model_dump(),
              sensitivity={"hardware.H200.node_capex_usd": [300e3, 400e3]})
    tables = sensitivity_tables(sc, 2, method="morris")
    nodes = 4e6 / 2400 + NODES_2026 - 1e6 / 2400
    row = tables["tornado"].iloc[0]
    assert row.objective_low == pytest.approx(nodes * 300e3 / 1e9, rel=1e-7)
    assert row.objective_high == pytest.approx(nodes * 400e3 / 1e9, rel=1e-7)
    assert len(tables["sensitivity_points"]) == 2 * (2 + 1)  # r (d + 1) Morris solves, the tornado's apart


def test_robust_saves_each_solve_and_resumes_only_what_is_missing(tmp_path):
    """A run cut short keeps its finished solves in points.jsonl: --resume re-uses them (the extensive form's
    first stage too) and gives the same tables; another setting is refused."""
    import json

    import pandas as pd

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two_regimes().model_dump(mode="json", exclude={"sources"}), sort_keys=False))
    out = tmp_path / "robust"
    assert runner.invoke(app, ["robust", str(path), "--out", str(out)]).exit_code == 0
    full = pd.read_csv(out / "robust_value.csv")
    journal = (out / "points.jsonl").read_text().splitlines()
    tasks = [json.loads(line)["task"] for line in journal[1:]]
    # 2 perfect-foresight, 1 mean-value scenario, 2 x (mean-value + 2 perfect plans), the EF, 2 stochastic
    assert len(tasks) == 2 + 1 + 6 + 1 + 2 and "ef" in tasks
    (out / "points.jsonl").write_text("\n".join(journal[:4]) + "\n" + journal[4][:40])  # cut short, torn tail
    result = runner.invoke(app, ["robust", str(path), "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    resumed = pd.read_csv(out / "robust_value.csv")
    assert resumed.loc[resumed.measure.isin(["WS", "RP", "EEV", "EVPI", "VSS"]), "value"].tolist() == \
        pytest.approx(full.loc[full.measure.isin(["WS", "RP", "EEV", "EVPI", "VSS"]), "value"].tolist(), rel=1e-9)
    assert len((out / "points.jsonl").read_text().splitlines()) == len(journal)
    result = runner.invoke(app, ["robust", str(path), "--out", str(out), "--resume", "--gap", "1e-3"])
    assert result.exit_code == 2 and "different run" in result.output
