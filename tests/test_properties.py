"""Properties every optimal plan must have, over randomised tiny scenarios."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny import tiny

from optimizer import laws
from optimizer.run import solve_scenario

MENU = {
    "models": {"llama3-8b": {"params": 8e9, "n_layers": 32, "n_kv_heads": 8, "head_dim": 128},
               "llama3-70b": {"params": 70e9, "n_layers": 80, "n_kv_heads": 8, "head_dim": 128}},
    "test_time.thinking_multipliers": [1, 5, 10],
    "capability.weight_pretraining": 0.6, "capability.weight_rl": 0.2, "capability.weight_test_time": 0.2,
    "data.max_epochs": 4, "pretraining.min_tokens": 1e11, "inference.concurrent_users": 1e5,
    "sites.ferrari.power_mw": 50, "sites.ferrari.facility_capex_usd_per_mw": 5e6,
    "sites.ferrari.electricity_usd_per_mwh": 75, "sites.honda.electricity_usd_per_mwh": 60,
}
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def menu(budget):
    return tiny(**MENU, budget_usd=budget)


@SETTINGS
@given(st.floats(1e9, 2e10), st.floats(1.05, 3.0))
def test_capability_never_falls_when_budget_rises(budget, factor):
    low, high = solve_scenario(menu(budget)), solve_scenario(menu(budget * factor))
    assert high.summary["capability_index"] >= low.summary["capability_index"] - 1e-6


@SETTINGS
@given(st.floats(1e9, 2e10))
def test_plans_respect_budget_power_and_approximation_bounds(budget):
    plan = solve_scenario(menu(budget))
    sc = plan.scenario
    assert plan.summary["total_cost_usd"] <= budget * (1 + 1e-7)
    assert (plan.sites.power_mw_used <= plan.sites.power_mw_built + 1e-6).all()
    pre = plan.fleet[plan.fleet.role == "pre-training"]
    assert set(pre.site) <= {"ferrari"} and pre.facility_mw.sum() <= sc.sites["ferrari"].power_mw + 1e-6
    errors = plan.approximation.set_index("term")
    for _, row in errors.iloc[:3].iterrows():
        assert abs(row.error_at_solution) <= row.max_error * 1.05 + 1e-9
    effective = errors.iloc[1].exact_value * (sc.data.unique_tokens + plan.summary["synthetic_tokens"])
    params = sc.models[plan.summary["served_model"]].params
    assert plan.summary["loss_exact"] == pytest.approx(laws.pretraining_loss(params, effective, sc.loss_law))


@SETTINGS
@given(st.floats(1e9, 1e10))
def test_min_cost_at_the_max_capability_optimum_costs_no_more(budget):
    best = solve_scenario(menu(budget))
    target = best.summary["capability_index"] - 1e-6
    cheapest = solve_scenario(menu(budget).model_copy(update={"objective": "min_cost", "capability_target": target}))
    assert cheapest.summary["total_cost_usd"] <= best.summary["total_cost_usd"] * (1 + 1e-6)
    assert cheapest.summary["capability_index"] >= target - 1e-7
