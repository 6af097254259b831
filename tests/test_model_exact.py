"""Hand-derived optima of tiny scenarios (tests/tiny.py): node counts, sites, loss and duals."""

import math

import pytest
from tiny import H200_FLOP_PER_NODE_DAY, tiny

from optimizer import laws, units
from optimizer.model import build_model
from optimizer.model.objective import reference_loss
from optimizer.run import solve_scenario
from optimizer.solver import solve_model

BASE_70B = {"params": 70e9, "n_layers": 80, "n_kv_heads": 8, "head_dim": 128}


def nodes(plan, role):
    return plan.fleet.loc[plan.fleet.role == role, "nodes"].sum()


@pytest.mark.parametrize("multiplier, servers", [(1, 1_666.67), (5, 8_333.33), (10, 16_666.67)])
def test_seed_4m_users_at_10_tokens_per_s_on_hgx_h200(multiplier, servers):
    # 4M users x 10 tok/s x thinking / 24,000 tok/s per HGX H200 = ~1.7k, 8.5k, 17k servers
    plan = solve_scenario(tiny(**{"test_time.thinking_multipliers": [multiplier]}))
    assert nodes(plan, "inference") == pytest.approx(4e6 * 10 * multiplier / 24_000, rel=1e-9)
    assert nodes(plan, "inference") == pytest.approx(servers, rel=1e-4)


def test_pretraining_fleet_delivers_exactly_6ND():
    # data caps tokens at U = 1e12 (one epoch, no synthetic): 6 N D = 4.2e23 FLOP
    plan = solve_scenario(tiny())
    flop_per_node = H200_FLOP_PER_NODE_DAY * 0.5 * 10
    assert plan.summary["pretraining_tokens"] == pytest.approx(1e12, rel=1e-9)
    assert nodes(plan, "pre-training") == pytest.approx(6 * 70e9 * 1e12 / flop_per_node, rel=1e-9)


def test_loss_and_capability_are_exact_at_a_tangent_point():
    # D' = 1e12 is the last tangent point of the data term, so the model loss equals the law
    sc = tiny()
    plan = solve_scenario(sc)
    loss = laws.pretraining_loss(70e9, 1e12, sc.loss_law)
    assert plan.summary["loss_model"] == pytest.approx(loss, rel=1e-9)
    l_ref = reference_loss(sc)
    assert plan.summary["capability_index"] == pytest.approx((l_ref - loss) / (l_ref - sc.loss_law.E), rel=1e-7)


def test_memory_pool_binds_when_sessions_are_long():
    # KV per session = 327,680 B x 10,000 tokens = 3.2768 GB; pool left after 70 GB FP8 weights: 1,058 GB
    # (compute allows 2,400 users a node, bandwidth (38.4e12 / 10 - 70e9) / (327,680 x 5,000) = 2,301)
    sc = tiny(**{"test_time.base_output_tokens": 10_000})
    plan = solve_scenario(sc)
    assert nodes(plan, "inference") == pytest.approx(4e6 * 327_680 * 10_000 / 1e9 / (1128 - 70), rel=1e-9)
    assert plan.serving.binding.tolist() == ["memory"]


def test_model_larger_than_a_node_is_served_on_a_two_node_replica():
    # 1.5T params = 1.5 TB at FP8 > 1,128 GB: a replica spans 2 nodes (16 GPUs, two NVLink domains, x0.8);
    # compute: 2 x 8 x 2,100e12 x 0.2 x 0.8 / (2 x 1.5e12 x 10) = 179.2 users a replica, 89.6 a node
    big = {"params": 1.5e12, "n_layers": 120, "n_kv_heads": 8, "head_dim": 128}
    sc = tiny(**{"models": {"big": big}, "capability.weight_pretraining": 0.0, "capability.weight_rl": 1.0})
    plan = solve_scenario(sc)
    row = plan.serving.iloc[0]
    assert (row.nodes_per_replica, row.binding) == (2, "compute")
    assert row.users_per_node == pytest.approx(89.6, rel=1e-12)
    assert nodes(plan, "inference") == pytest.approx(4e6 / 89.6, rel=1e-9)
    capped = solve_scenario(tiny(**{"models": {"big": big, "llama3-70b": BASE_70B},
                                    "inference.max_nodes_per_replica": 1}))
    assert capped.summary["served_model"] == "llama3-70b"  # one node cannot hold the 1.5T model


def test_whole_honda_sites_are_built_for_what_the_ferrari_cannot_hold():
    # Ferrari 20 MW holds pre-training (122.9 nodes x 10.2 kW = 1.25 MW) and some serving;
    # 10x thinking needs 16,667 nodes = 170 MW, so ceil((170 - 18.75) / 75) = 3 Honda sites
    sc = tiny(**{"sites.ferrari.power_mw": 20, "test_time.thinking_multipliers": [10]})
    plan = solve_scenario(sc)
    pre = 6 * 70e9 * 1e12 / (H200_FLOP_PER_NODE_DAY * 0.5 * 10)
    need_mw = (pre + 4e6 * 10 * 10 / 24_000) * 10.2 / 1000
    assert plan.summary["sites_built"] == {"ferrari": 1, "honda": math.ceil((need_mw - 20) / 75)}
    assert plan.summary["sites_built"]["honda"] == 3


def test_pretraining_run_must_fit_one_campus():
    # two 1 MW campuses cannot share one run needing 1.25 MW
    sc = tiny(**{"sites.ferrari.power_mw": 1, "sites.ferrari.max_sites": 2, "inference.concurrent_users": 0})
    from optimizer.errors import InfeasibleError
    with pytest.raises(InfeasibleError) as err:
        solve_scenario(sc)
    assert "one_campus[ferrari]" in str(err.value)


def test_budget_dual_is_the_exact_marginal_value():
    # budget binds on pre-training alone: no users, free sites and energy, huge data stock.
    # K = (L_ref - E - A/N^a - t(D')) / (L_ref - E) with t the tangent envelope of B/D'^b; refinement
    # adds the tangent at D* itself, so the active slope is the law's own derivative -beta B / D*^(beta+1):
    # one more 1e9 USD buys 1e9/342,000 nodes -> dK/d$ = beta B / D*^(beta+1) x tokens per 1e9 USD / (L_ref - E)
    sc = tiny(**{"inference.concurrent_users": 0, "data.unique_tokens": 1e16, "pretraining.min_tokens": 1e11,
                 "budget_usd": 1e8})
    m = build_model(sc)
    outcome = solve_model(m)
    flop_per_node = H200_FLOP_PER_NODE_DAY * 0.5 * 10
    tokens = 1e8 / 342_000 * flop_per_node / (6 * 70e9)
    assert m.tokens["llama3-70b"].value * units.TOKENS == pytest.approx(tokens, rel=1e-9)
    law = sc.loss_law
    exact_slope = law.beta * law.B / tokens ** (law.beta + 1) * units.TOKENS  # -d(B/D^beta)/dD [per 1e12 tokens]
    tokens_per_busd = units.USD / 342_000 * flop_per_node / (6 * 70e9) / units.TOKENS
    expected = exact_slope * tokens_per_busd / (reference_loss(sc) - sc.loss_law.E)
    assert outcome.duals["budget"] == pytest.approx(expected, rel=1e-6)
    assert outcome.duals["power[ferrari]"] == pytest.approx(0.0, abs=1e-12)


def test_synthetic_data_is_bought_when_the_stock_binds():
    # stock 1e12 at one epoch binds; synthetic tokens at $0.8/M relax it, so the plan buys the cap
    sc = tiny(**{"data.synthetic_max_tokens": 5e11, "data.synthetic_usd_per_million_tokens": 0.8})
    plan = solve_scenario(sc)
    assert plan.summary["synthetic_tokens"] == pytest.approx(5e11, rel=1e-9)
    assert plan.summary["pretraining_tokens"] == pytest.approx(1.5e12, rel=1e-9)


def test_repeated_epochs_count_less_than_fresh_data():
    sc = tiny(**{"data.max_epochs": 4, "pretraining.min_tokens": 4e12, "approximation.tangent_points": 200})
    plan = solve_scenario(sc)
    exact = laws.effective_tokens(4e12, 1e12, 15.4)
    row = plan.approximation.iloc[1]
    assert plan.summary["pretraining_tokens"] == pytest.approx(4e12, rel=1e-9)
    assert row.exact_value == pytest.approx(exact / 1e12, rel=1e-12)  # phi(4) in epochs of the stock
    assert 0 <= row.model_value - row.exact_value <= row.max_error + 1e-12


def test_min_cost_meets_target_at_least_cost():
    # the only lever is serving: 1x thinking is cheapest; target below the 1x capability holds
    sc = tiny(**{"objective": "min_cost", "capability_target": -1.0})
    plan = solve_scenario(sc)
    pre = 6 * 70e9 * 1e12 / (H200_FLOP_PER_NODE_DAY * 0.5 * 10)
    assert plan.summary["total_cost_usd"] == pytest.approx((pre + 4e6 * 10 / 24_000) * 342_000, rel=1e-9)


def two_campus_types(power_mw_2: float):
    """tiny with a second coherent site type of its own; the run needs 6 x 70e9 x 1e12 FLOP in 10 days:
    4.2e23 / (8 x 989e12 x 86,400 x 0.5 x 10) = 122.9 H200 nodes = 1.2535 MW."""
    second = dict(tiny().sites["ferrari"].model_dump(), power_mw=power_mw_2)
    return tiny(**{"sites.ferrari.power_mw": 1.0, "sites.ferrari2": second})


def test_a_pretraining_run_cannot_split_across_two_campus_types():
    from optimizer.errors import InfeasibleError

    with pytest.raises(InfeasibleError, match="one campus"):
        solve_scenario(two_campus_types(1.0))  # 1.00 + 0.25 MW used to pass as "one coherent run"


def test_the_run_moves_whole_to_the_campus_type_that_fits_it():
    plan = solve_scenario(two_campus_types(2.0))
    fleet = plan.fleet[plan.fleet.role == "pre-training"]
    nodes = 6 * 70e9 * 1e12 / (H200_FLOP_PER_NODE_DAY * 0.5 * 10)
    assert fleet.site.tolist() == ["ferrari2"] and fleet.nodes.sum() == pytest.approx(nodes, rel=1e-9)
    assert fleet.facility_mw.sum() == pytest.approx(nodes * 10.2e-3, rel=1e-9)  # 1.2535 MW > ferrari's 1 MW


def test_site_power_dual_is_the_exact_marginal_value_of_a_campus_megawatt():
    # power binds pre-training alone: 1 MW holds 1 / 0.0102 = 98.04 H200 nodes (PUE 1); the budget is slack.
    # Both the site's power row and the one-campus cap bind at 1 MW, so their duals may split any way; the
    # reported value is d K / d sites.ferrari.power_mw = slope of the exact law at D* x dD/dMW / (L_ref - E)
    sc = tiny(**{"inference.concurrent_users": 0, "data.unique_tokens": 1e16, "pretraining.min_tokens": 1e11,
                 "sites.ferrari.power_mw": 1.0})
    m = build_model(sc)
    outcome = solve_model(m)
    tokens_per_mw = H200_FLOP_PER_NODE_DAY * 0.5 * 10 / (6 * 70e9) / 10.2e-3
    assert m.tokens["llama3-70b"].value * units.TOKENS == pytest.approx(tokens_per_mw, rel=1e-9)
    law = sc.loss_law
    slope = law.beta * law.B / tokens_per_mw ** (law.beta + 1)  # -d(B/D^beta)/dD [per token]
    expected = slope * tokens_per_mw / (reference_loss(sc) - law.E)
    assert outcome.duals["budget"] == pytest.approx(0.0, abs=1e-12)
    assert outcome.duals["power[ferrari]"] == pytest.approx(expected, rel=1e-6)
