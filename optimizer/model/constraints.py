"""One ``add_*`` function per concern, in model units (see ``optimizer.units``).

Each constraint's ``doc`` is the sentence that infeasibility reports print.
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer import units
from optimizer.model.approximations import Approximations
from optimizer.model.costs import fleet_mw
from optimizer.schema import Scenario


def fleet_flop(m, h, days, mfu) -> object:
    """Compute delivered by 1e3 nodes of h over ``days`` at ``mfu`` [1e24 FLOP]."""
    peak = m.hw_bf16_tflops_per_gpu[h] * 1e12 * m.gpus_per_node[h]
    return peak * units.NODES * mfu * days * units.SECONDS_PER_DAY / units.FLOP


def model_choice(m, model) -> object:
    """1 if menu model ``model`` is the one trained and served."""
    return sum(m.pick[model, k] for k in m.THINKING)


def add_site_limits(m: pyo.ConcreteModel) -> None:
    """built_s <= max_sites_s."""
    m.site_limit = pyo.Constraint(m.SITES, rule=lambda m, s: m.sites_built[s] <= m.site_max_sites[s],
                                  doc="site type {0}: sites built <= sites.{0}.max_sites")


def add_power(m: pyo.ConcreteModel) -> None:
    """sum_h (pre + RL + serving nodes) kW_h PUE_s <= MW_s built_s."""
    def rule(m, s):
        nodes = {h: m.pretrain_nodes[h, s] + m.rl_nodes[h, s] + sum(m.serve_nodes[h, s, c] for c in m.CONFIGS)
                 for h in m.HARDWARE}
        return sum(fleet_mw(m, h, s, nodes[h]) for h in m.HARDWARE) <= m.site_power_mw[s] * m.sites_built[s]
    m.power = pyo.Constraint(m.SITES, rule=rule,
                             doc="site type {0}: facility power of all nodes <= sites.{0}.power_mw x sites built")


def add_coherent_run(m: pyo.ConcreteModel) -> None:
    """Pre-training is one coherent run on ONE campus: host_s binary, sum_s host_s <= 1 over the site types
    with a training fabric, and the run's facility power at s <= one campus's MW x host_s (none elsewhere).
    Without the binary, two coherent site types could split one run between them (1.00 + 0.25 MW)."""
    m.pretraining_host = pyo.Var(m.COHERENT, domain=pyo.Binary, doc="1 for the site type that hosts the run")
    m.one_host = pyo.Constraint(expr=sum(m.pretraining_host[s] for s in m.COHERENT) <= 1,
                                doc="the pre-training run is hosted by one site type")
    m.one_campus = pyo.Constraint(
        m.COHERENT, rule=lambda m, s: sum(fleet_mw(m, h, s, m.pretrain_nodes[h, s]) for h in m.HARDWARE)
        <= m.site_power_mw[s] * m.pretraining_host[s],
        doc="site type {0}: the pre-training run fits in one campus (<= sites.{0}.power_mw), "
            "and runs here only if {0} hosts it")
    m.no_pretraining_without_fabric = pyo.Constraint(
        m.INFERENCE_ONLY, rule=lambda m, s: sum(m.pretrain_nodes[h, s] for h in m.HARDWARE) <= 0,
        doc="site type {0} has no coherent-training fabric, so no pre-training there")


def add_pretraining_compute(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """6 sum_m N_m D_m <= sum pre-training nodes x peak x MFU x duration."""
    scale = units.PARAMS * units.TOKENS / units.FLOP
    need = sum(6 * sc.models[k].active / units.PARAMS * scale * m.tokens[k] for k in m.MODELS)
    have = sum(fleet_flop(m, h, m.p_pretraining_duration_days, m.p_pretraining_mfu) * m.pretrain_nodes[h, s]
               for h in m.HARDWARE for s in m.SITES)
    m.pretraining_compute = pyo.Constraint(expr=need <= have,
                                           doc="pre-training FLOP 6ND <= what the pre-training fleet delivers")


def add_rl_compute(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """C_rl <= sum RL nodes x peak x MFU x duration, and C_rl <= rl.max_flop.

    The ScaleRL curve is read at x = C_rl / s(N), the RL compute at the reference model size (C_mid
    scales as s(N) = (N / N_ref)^gamma). With gamma = 0, x = C_rl; otherwise C_rl is split by model,
    C_rl = sum_m C_m with C_m <= max_flop x chosen_m, and x = sum_m C_m / s(N_m)."""
    have = sum(fleet_flop(m, h, m.p_rl_duration_days, m.p_rl_mfu) * m.rl_nodes[h, s]
               for h in m.HARDWARE for s in m.SITES)
    m.rl_compute = pyo.Constraint(expr=m.rl_flop <= have, doc="RL FLOP <= what the RL fleet delivers")
    m.rl_cap = pyo.Constraint(expr=m.rl_flop <= m.p_rl_max_flop, doc="RL FLOP <= rl.max_flop")
    from optimizer.model.law_params import scales_with_size

    if not scales_with_size(sc):
        m.rl_effective = pyo.Constraint(expr=m.rl_effective_flop == m.rl_flop,
                                        doc="RL compute at the reference size = RL FLOP (C_mid does not scale)")
        return
    m.rl_model_flop = pyo.Var(m.MODELS, domain=pyo.NonNegativeReals, doc="RL FLOP of each menu model [1e24 FLOP]")
    m.rl_split = pyo.Constraint(expr=m.rl_flop == sum(m.rl_model_flop[k] for k in m.MODELS),
                                doc="RL FLOP is spent on the chosen model")
    m.rl_only_for_chosen = pyo.Constraint(
        m.MODELS, rule=lambda m, k: m.rl_model_flop[k] <= m.p_rl_max_flop * model_choice(m, k),
        doc="only the chosen model ({0}) is post-trained")
    m.rl_effective = pyo.Constraint(
        expr=m.rl_effective_flop == sum(m.rl_model_flop[k] * m.rl_inverse_factor[k] for k in m.MODELS),
        doc="RL compute at the reference size = RL FLOP / (N / rl.midpoint_reference_params)^gamma")


def add_model_choice(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """Exactly one (model, thinking) pair; only the chosen model gets tokens, at least min_tokens_per_param each."""
    m.one_choice = pyo.Constraint(expr=sum(m.pick[c] for c in m.CONFIGS) == 1,
                                  doc="exactly one served model and one thinking multiplier")
    stock_cap = m.p_data_max_epochs * (m.p_data_unique_tokens + m.p_data_synthetic_max_tokens)
    m.tokens_only_for_chosen = pyo.Constraint(
        m.MODELS, rule=lambda m, k: m.tokens[k] <= stock_cap * model_choice(m, k),
        doc="only the chosen model ({0}) is pre-trained")
    m.tokens_per_param_floor = pyo.Constraint(
        m.MODELS, rule=lambda m, k: m.tokens[k] >= m.p_data_min_tokens_per_param * sc.models[k].params
        / units.TOKENS * model_choice(m, k),
        doc="model {0}: pre-training tokens >= data.min_tokens_per_param x parameters")


def add_data(m: pyo.ConcreteModel) -> None:
    """D <= epochs_max (U + S);  S <= S_max;  D >= D_min;  D' <= U' phi(D/U') by perspective tangent cuts."""
    tokens = sum(m.tokens[k] for k in m.MODELS)
    stock = m.p_data_unique_tokens + m.synthetic_tokens
    m.data_stock = pyo.Constraint(expr=tokens <= m.p_data_max_epochs * stock,
                                  doc="pre-training tokens <= data.max_epochs x (unique + synthetic tokens)")
    m.synthetic_cap = pyo.Constraint(expr=m.synthetic_tokens <= m.p_data_synthetic_max_tokens,
                                     doc="synthetic tokens <= data.synthetic_max_tokens")
    m.min_tokens = pyo.Constraint(expr=tokens >= m.p_pretraining_min_tokens,
                                  doc="pre-training tokens >= pretraining.min_tokens")
    m.repetition_value = pyo.Constraint(
        m.REPETITION_CUTS,
        rule=lambda m, j: m.effective_tokens <= m.repetition_slope[j] * tokens + m.repetition_intercept[j] * stock,
        doc="effective tokens <= repeated-data value (Muennighoff), tangent cut {0}")


def add_loss(m: pyo.ConcreteModel) -> None:
    """data_loss >= tangent cuts of B / D'^beta;  loss = E + sum_m A / N_m^alpha x chosen_m + data_loss."""
    m.data_loss_cut = pyo.Constraint(
        m.DATA_LOSS_CUTS, rule=lambda m, j: m.data_loss >= m.data_loss_slope[j] * m.effective_tokens
        + m.data_loss_intercept[j],
        doc="data term of the loss >= tangent cut {0} of B/D'^beta")
    m.loss = pyo.Expression(expr=m.law_loss_E + m.data_loss + sum(
        m.law_param_term[k] * model_choice(m, k) for k in m.MODELS), doc="pre-training loss L(N, D') [nats/token]")


def add_rl_score(m: pyo.ConcreteModel, approx: Approximations) -> None:
    """rl_score <= tangent cuts of sigma(x) on its concave side. For an S-shaped sigma (B > 1) these are
    tangents of its concave envelope, a valid upper bound everywhere; only when a plan falls on the
    convex side x < c_t does refinement add the piecewise-linear bound of that side (``build_rl_curve``,
    binaries pick the segment), so a plan with plenty of RL compute pays no binaries for it."""
    from optimizer.model.law_params import rl_upper_bound

    m.rl_cut = pyo.Constraint(
        m.RL_CUTS, rule=lambda m, j: m.rl_score <= m.rl_slope[j] * m.rl_effective_flop + m.rl_intercept[j],
        doc="RL gain <= tangent cut {0} of the ScaleRL sigmoid")
    m.rl_effective_flop.setub(rl_upper_bound(approx))


def build_rl_curve(m: pyo.ConcreteModel, curve) -> None:
    """``m.rl_curve``: rl_score <= the secant interpolation ``curve`` (incremental form with binaries)."""
    m.rl_curve = pyo.Piecewise(m.rl_score, m.rl_effective_flop, pw_pts=[float(p) for p in curve.points],
                               f_rule=[float(v) for v in curve.values], pw_constr_type="UB", pw_repn="INC")


def add_demand(m: pyo.ConcreteModel) -> None:
    """sum_{h,s} users[h,s,c] = concurrent users x pick_c: all demand is served by the chosen pair."""
    m.demand = pyo.Constraint(
        m.CONFIGS, rule=lambda m, k, t: sum(m.served_users[h, s, k, t] for h in m.HARDWARE for s in m.SITES)
        == m.p_inference_concurrent_users * m.pick[k, t],
        doc="all inference.concurrent_users are served if model {0} at {1} thinking is chosen")


def add_serving(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """users[h,s,m,k] <= serve_nodes[h,s,m,k] x users per node of (h, m, k): the least of a replica's memory,
    bandwidth and compute limits over its nodes (``optimizer.replicas``), a constant per option."""
    from optimizer.replicas import replica

    per_node = {(h, k, t): replica(sc, h, k, m.thinking_options[t]).users_per_node
                for h in m.HARDWARE for k, t in m.CONFIGS}
    m.serving_capacity = pyo.Constraint(
        m.HARDWARE, m.SITES, m.CONFIGS,
        rule=lambda m, h, s, k, t: m.served_users[h, s, k, t] * units.USERS
        <= m.serve_nodes[h, s, k, t] * units.NODES * per_node[h, k, t] if per_node[h, k, t] > 0
        else m.served_users[h, s, k, t] <= 0,
        doc="{0} nodes at {1} serving {2} at {3}: users <= nodes x users per node "
        "(the least of a replica's memory, bandwidth and compute limits)")


def add_budget(m: pyo.ConcreteModel) -> None:
    """total cost <= budget."""
    m.budget = pyo.Constraint(expr=m.total_cost <= m.p_budget_usd, doc="total cost <= budget_usd")

