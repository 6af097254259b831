"""Tiny hand-solvable scenarios: one H200 node type, one 70B model, free sites and energy."""

from __future__ import annotations

import copy
from typing import Any

from optimizer.scenario import set_path, validate_scenario
from optimizer.schema import Scenario

H200_FLOP_PER_NODE_DAY = 8 * 989e12 * 86_400  # peak FLOP of one 8xH200 node in a day

BASE: dict[str, Any] = {
    "name": "tiny",
    "objective": "max_capability",
    "budget_usd": 1e12,
    "horizon_years": 1,
    "loss_law": {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659},
    "capability": {"weight_pretraining": 1.0, "weight_rl": 0.0, "weight_test_time": 0.0,
                   "reference_params": 70e9, "reference_tokens": 1.4e12},
    "data": {"unique_tokens": 1e12, "max_epochs": 1, "repetition_efold": 15.4,
             "synthetic_usd_per_million_tokens": 0, "synthetic_max_tokens": 0, "min_tokens_per_param": 0},
    "pretraining": {"mfu": 0.5, "duration_days": 10, "min_tokens": 1e12},
    "rl": {"midpoint_flop": 1e21, "exponent": 1.0, "max_flop": 1e22, "initial_pass_rate": 0.3,
           "asymptote_pass_rate": 0.6, "mfu": 0.5, "duration_days": 10},
    "test_time": {"thinking_multipliers": [1], "prompt_tokens": 0, "base_output_tokens": 100,
                  "context_window_tokens": 128000, "gain_pp_per_doubling": 1.5},
    # serving: compute binds at 8 x 2,100 TFLOP/s x 0.2 / (2 x 70e9 x 10 tok/s) = 2,400 users = 24,000 tok/s per
    # node (the seed's HGX H200 figure); memory and bandwidth count the whole 1,128 GB and 38.4 TB/s
    "inference": {"concurrent_users": 4e6, "tokens_per_second_per_user": 10, "weight_bytes_per_param": 1,
                  "kv_bytes_per_element": 2, "decode_mfu": 0.2, "bandwidth_efficiency": 1.0,
                  "hbm_usable_fraction": 1.0, "max_nodes_per_replica": 4, "cross_domain_efficiency": 0.8},
    "hardware": {"H200": {"gpus_per_node": 8, "bf16_tflops_per_gpu": 989, "fp8_tflops_per_gpu": 2100,
                          "hbm_gb_per_gpu": 141, "hbm_tb_s_per_gpu": 4.8, "scale_up_gpus": 8,
                          "node_power_kw": 10.2, "node_capex_usd": 342000}},
    "sites": {
        "ferrari": {"power_mw": 1000, "pue": 1.0, "facility_capex_usd_per_mw": 0, "opex_usd_per_mw_year": 0,
                    "electricity_usd_per_mwh": 0, "coherent_training": True, "fabric_capex_fraction": 0,
                    "max_sites": 1},
        "honda": {"power_mw": 75, "pue": 1.0, "facility_capex_usd_per_mw": 1e6, "opex_usd_per_mw_year": 0,
                  "electricity_usd_per_mwh": 0, "coherent_training": False, "fabric_capex_fraction": 0,
                  "max_sites": 100},
    },
    "models": {"llama3-70b": {"params": 70e9, "n_layers": 80, "n_kv_heads": 8, "head_dim": 128}},
    "approximation": {"tangent_points": 32, "capability_tolerance": 1e-10, "mip_rel_gap": 1e-9},
}


def tiny(**changes: Any) -> Scenario:
    """The tiny scenario with dotted-path changes, e.g. tiny(**{"data.max_epochs": 4})."""
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        set_path(raw, key, value, where="test")
    return validate_scenario(raw, "tiny")


def tiny_buildout(periods: dict[str, dict], buildout: dict | None = None, **changes: Any) -> Scenario:
    """The tiny scenario as a multi-period build-out: ``periods`` keyed by year, no discounting and no
    remaining value unless ``buildout`` says so; horizon_years follows the periods."""
    raw = copy.deepcopy(BASE)
    raw["periods"] = copy.deepcopy(periods)
    raw["horizon_years"] = sum(p.get("years", 1) for p in periods.values())
    raw["buildout"] = {"discount_rate": 0.0, "remaining_value": False, **(buildout or {})}
    raw["objective"] = "min_cost"
    raw["capability_target"] = -10.0  # every plan meets it: the cheapest plan that serves and trains
    for key, value in changes.items():
        set_path(raw, key, value, where="test")
    return validate_scenario(raw, "tiny-buildout")
