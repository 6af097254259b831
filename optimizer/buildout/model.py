"""``build_buildout``: the multi-period capacity-expansion MILP, one ``define_*`` per concern.

Indices: p, b periods (b a purchase or start period), r releases (the periods that train a model),
h hardware, s sites (S^c: with a training fabric), m menu models, t thinking options of a period.
Model units as in ``optimizer.units`` (1e3 nodes, 1e9 USD, 1e12 tokens, 1e24 FLOP, 1e6 users).
The maths of every constraint is in docs/model.md ("Multi-period build-out"); each constraint's
``doc`` is the sentence the infeasibility report prints.

The shared accumulators (GenX style) are ``installed[h, s, p]`` (nodes alive: the vintages bought in
b with alive(h, b, p)) and ``online[s, p]`` (sites powered): power, fleet use, opex and the result
tables all read them.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import numpy as np
import pyomo.core as pyo

from optimizer import laws, units
from optimizer.buildout.costs import define_costs, fleet_mw, run_flop
from optimizer.buildout.data import data, define_swept, register_target
from optimizer.buildout.timeline import Timeline, timeline
from optimizer.model.approximations import build_approximations
from optimizer.model.objective import FLOOR_OFF, reference_loss
from optimizer.piecewise import Cuts, spaced_points, tangent_cuts
from optimizer.schema import Scenario

NONNEG = pyo.NonNegativeReals


def build_buildout(sc: Scenario, mutable: Collection[str] = ()) -> pyo.ConcreteModel:
    """The build-out MILP of a scenario with ``periods:``, concern by concern. ``mutable``: the scenario
    paths a sweep changes in place (``optimizer.buildout.data``); the others are constants."""
    m = pyo.ConcreteModel(name=sc.name)
    populate(m, sc, mutable)
    return m


def populate(m: pyo.Block, sc: Scenario, mutable: Collection[str] = ()) -> None:
    """Add the build-out's sets, variables, constraints and objective to ``m``: a model, or one scenario's
    Block of a stochastic extensive form (``optimizer.uncertainty.stochastic``)."""
    line = timeline(sc)
    m.scenario, m.timeline = sc, line
    define_swept(m, sc, mutable)
    define_sets(m, line)
    define_variables(m)
    define_sites(m, line)
    define_fleet(m, line)
    define_training(m, line)
    define_releases(m, line)
    define_data(m, line)
    define_loss(m, line)
    define_rl(m, line)
    define_serving(m, line)
    define_costs(m, line)
    define_capability(m, line)
    define_objective(m, line)


def define_sets(m: pyo.ConcreteModel, line: Timeline) -> None:
    from optimizer.replicas import replica

    sc = line.scenario
    m.PERIODS = pyo.Set(initialize=line.periods, ordered=True, doc="investment periods (first year)")
    m.RELEASES = pyo.Set(within=m.PERIODS, initialize=line.releases, ordered=True,
                         doc="periods that train a release")
    m.HARDWARE = pyo.Set(initialize=list(sc.hardware), ordered=True, doc="hardware generations")
    m.SITES = pyo.Set(initialize=list(sc.sites), ordered=True, doc="candidate sites")
    m.COHERENT = pyo.Set(within=m.SITES, initialize=[s for s, v in sc.sites.items() if v.coherent_training],
                         doc="sites with a coherent-training fabric")
    m.MODELS = pyo.Set(initialize=list(sc.models), ordered=True, doc="model menu")
    m.BUYS = pyo.Set(dimen=3, ordered=True, initialize=[(h, s, p) for h in sc.hardware for s in sc.sites
                                                        for p in line.periods if line.can_buy(h, p)],
                     doc="(hardware, site, period) where the generation is on sale")
    m.STARTS = pyo.Set(dimen=2, ordered=True, initialize=[(s, p) for s in sc.sites for p in line.periods
                                                          if line.can_start(s, p)],
                       doc="(site, period) where construction may start")
    rl_sites = list(m.COHERENT) if line.settings.rl_placement == "host_campus" else list(sc.sites)
    m.PRE_RUNS = pyo.Set(dimen=3, ordered=True,
                         initialize=[(h, s, r) for h in sc.hardware for s in m.COHERENT for r in line.releases])
    m.RL_RUNS = pyo.Set(dimen=3, ordered=True,
                        initialize=[(h, s, r) for h in sc.hardware for s in rl_sites for r in line.releases])
    m.options = {p: {o.label: o for o in line.menu(p)} for p in line.periods}
    m.CONFIGS = pyo.Set(dimen=3, ordered=True, initialize=[(p, k, t) for p in line.periods for k in sc.models
                                                           for t in m.options[p]],
                        doc="(period, model, thinking) serving choices")
    per_node = {}
    for p in line.periods:
        serving = line.serving_scenario(p)
        for h in sc.hardware:
            for k in sc.models:
                for t, option in m.options[p].items():
                    per_node[h, p, k, t] = replica(serving, h, k, option).users_per_node
    m.users_per_node = per_node
    m.SERVING = pyo.Set(dimen=4, ordered=True, initialize=[key for key, value in per_node.items() if value > 0],
                        doc="(hardware, period, model, thinking) that can serve at all")


def define_variables(m: pyo.ConcreteModel) -> None:
    m.start = pyo.Var(m.STARTS, domain=pyo.NonNegativeIntegers, doc="sites whose construction starts [sites]")
    m.buy = pyo.Var(m.BUYS, domain=NONNEG, doc="nodes bought (a vintage) [1e3 nodes]")
    m.pretrain_nodes = pyo.Var(m.PRE_RUNS, domain=NONNEG, doc="nodes in release r's pre-training run [1e3 nodes]")
    m.rl_nodes = pyo.Var(m.RL_RUNS, domain=NONNEG, doc="nodes in release r's RL run [1e3 nodes]")
    m.serve_nodes = pyo.Var(m.HARDWARE, m.SITES, m.PERIODS, domain=NONNEG, doc="nodes serving [1e3 nodes]")
    m.option_nodes = pyo.Var(m.SERVING, domain=NONNEG, doc="serving nodes by option [1e3 nodes]")
    m.served_users = pyo.Var(m.SERVING, domain=NONNEG, doc="users served [1e6 users]")
    m.pick = pyo.Var(m.CONFIGS, domain=pyo.Binary, doc="1 for the (model, thinking) served in a period")
    m.choose = pyo.Var(m.RELEASES, m.MODELS, domain=pyo.Binary, doc="1 for the model a release trains")
    m.host = pyo.Var(m.RELEASES, m.COHERENT, domain=pyo.Binary, doc="1 for the campus that trains a release")
    m.tokens = pyo.Var(m.RELEASES, m.MODELS, domain=NONNEG, doc="pre-training tokens [1e12 tokens]")
    m.synthetic_tokens = pyo.Var(m.RELEASES, domain=NONNEG, doc="synthetic tokens generated [1e12 tokens]")
    m.effective_tokens = pyo.Var(m.RELEASES, domain=NONNEG, doc="repetition-discounted tokens D' [1e12 tokens]")
    m.data_loss = pyo.Var(m.RELEASES, domain=NONNEG, doc="data term B / (sqrt(g) D')^beta [nats]")
    m.rl_flop = pyo.Var(m.RELEASES, domain=NONNEG, doc="RL compute [1e24 FLOP]")
    m.rl_effective_flop = pyo.Var(m.RELEASES, domain=NONNEG, doc="RL compute at the reference size [1e24 FLOP]")
    m.rl_score = pyo.Var(m.RELEASES, bounds=(0, 1), doc="fraction of the ScaleRL gain reached [-]")


def define_sites(m: pyo.ConcreteModel, line: Timeline) -> None:
    """online[s, p] = existing_s + sum_b online(s, b, p) start[s, b];  existing_s + sum_b start[s, b] <= max_s."""
    sc = line.scenario
    m.sites_online = pyo.Expression(m.SITES, m.PERIODS, rule=lambda m, s, p: sc.sites[s].existing_sites + sum(
        m.start[s, b] for (s2, b) in m.STARTS if s2 == s and line.online(s, b, p)), doc="sites powered [sites]")
    m.site_limit = pyo.Constraint(
        m.SITES, rule=lambda m, s: sc.sites[s].existing_sites + sum(m.start[s2, b] for (s2, b) in m.STARTS if s2 == s)
        <= sc.sites[s].max_sites, doc="site {0}: existing + started <= sites.{0}.max_sites")


def define_fleet(m: pyo.ConcreteModel, line: Timeline) -> None:
    """installed[h, s, p] = sum_{b: alive(h, b, p)} buy[h, s, b]; power and fleet use read it.

    power:  sum_h installed[h, s, p] kW_h PUE_s <= MW_s online[s, p]
    reuse:  serve + pre-training <= installed and serve + RL <= installed (runs are sequential, and a node
            serves whenever no run needs it); dedicated fleets: serve + pre-training + RL <= installed."""
    sc = line.scenario
    bought = {}
    for (h, s, b) in m.BUYS:
        bought.setdefault((h, s), []).append(b)
    m.installed = pyo.Expression(m.HARDWARE, m.SITES, m.PERIODS, rule=lambda m, h, s, p: sum(
        m.buy[h, s, b] for b in bought.get((h, s), []) if line.alive(h, b, p)), doc="nodes installed [1e3 nodes]")
    m.power = pyo.Constraint(
        m.SITES, m.PERIODS, rule=lambda m, s, p: sum(fleet_mw(m, h, s, m.installed[h, s, p]) for h in m.HARDWARE)
        <= sc.sites[s].power_mw * m.sites_online[s, p],
        doc="site {0} in {1}: facility power of the installed nodes <= sites.{0}.power_mw x sites powered")
    pre = {(h, s, r): m.pretrain_nodes[h, s, r] for (h, s, r) in m.PRE_RUNS}
    rl = {(h, s, r): m.rl_nodes[h, s, r] for (h, s, r) in m.RL_RUNS}

    def use(kind):
        def rule(m, h, s, p):
            serve = m.serve_nodes[h, s, p]
            if line.settings.fleet_reuse:
                run = pre.get((h, s, p), 0) if kind == "pretraining" else rl.get((h, s, p), 0)
                return serve + run <= m.installed[h, s, p]
            if kind == "rl":
                return pyo.Constraint.Skip
            return serve + pre.get((h, s, p), 0) + rl.get((h, s, p), 0) <= m.installed[h, s, p]
        return rule
    if line.settings.fleet_reuse:
        m.fleet_use_pretraining = pyo.Constraint(
            m.HARDWARE, m.SITES, m.PERIODS, rule=use("pretraining"),
            doc="{0} at {1} in {2}: serving + pre-training nodes <= nodes installed")
        m.fleet_use_rl = pyo.Constraint(m.HARDWARE, m.SITES, m.PERIODS, rule=use("rl"),
                                        doc="{0} at {1} in {2}: serving + RL nodes <= nodes installed")
    else:
        m.fleet_use = pyo.Constraint(m.HARDWARE, m.SITES, m.PERIODS, rule=use("pretraining"),
                                     doc="{0} at {1} in {2}: serving + pre-training + RL nodes <= nodes installed")


def run_mw(m, nodes, s: str, r: str) -> object:
    """Facility MW of release r's run (``nodes``: pre-training or RL) at site s."""
    return sum(fleet_mw(m, h, s, nodes[h, s, r]) for h in m.HARDWARE)


def define_training(m: pyo.ConcreteModel, line: Timeline) -> None:
    """Each release trains on ONE campus: sum_s host[r, s] <= 1, and its run's facility power at s
    <= MW_s host[r, s] (also its RL run with rl_placement host_campus). Compute:
    6 sum_m N_m D[r, m] <= sum pre-training nodes x peak x MFU x days;  C_rl[r] <= RL nodes x ...;
    C_rl[r] <= rl.max_flop."""
    sc = line.scenario
    m.one_host = pyo.Constraint(m.RELEASES, rule=lambda m, r: sum(m.host[r, s] for s in m.COHERENT) <= 1,
                                doc="release {0} is trained on one campus")
    m.one_campus = pyo.Constraint(
        m.RELEASES, m.COHERENT, rule=lambda m, r, s: run_mw(m, m.pretrain_nodes, s, r)
        <= sc.sites[s].power_mw * m.host[r, s],
        doc="release {0}: its pre-training run fits in one campus of {1} (<= sites.{1}.power_mw), "
            "and runs there only if {1} hosts it")
    if line.settings.rl_placement == "host_campus":
        m.rl_on_host = pyo.Constraint(
            m.RELEASES, m.COHERENT, rule=lambda m, r, s: run_mw(m, m.rl_nodes, s, r)
            <= sc.sites[s].power_mw * m.host[r, s],
            doc="release {0}: its RL run is on the campus that pre-trained it ({1} only if it hosts)")
    scale = units.PARAMS * units.TOKENS / units.FLOP
    pre_days, rl_days = sc.pretraining.duration_days, sc.rl.duration_days
    m.pretraining_compute = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: sum(6 * sc.models[k].active / units.PARAMS * scale * m.tokens[r, k]
                                          for k in m.MODELS)
        <= sum(run_flop(sc, h, pre_days, sc.pretraining.mfu) * m.pretrain_nodes[h, s, r2]
               for (h, s, r2) in m.PRE_RUNS if r2 == r),
        doc="release {0}: pre-training FLOP 6ND <= what its pre-training nodes deliver")
    m.rl_compute = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: m.rl_flop[r] <= sum(run_flop(sc, h, rl_days, sc.rl.mfu) * m.rl_nodes[h, s, r2]
                                                          for (h, s, r2) in m.RL_RUNS if r2 == r),
        doc="release {0}: RL FLOP <= what its RL nodes deliver")
    m.rl_cap = pyo.Constraint(m.RELEASES, rule=lambda m, r: m.rl_flop[r] <= sc.rl.max_flop / units.FLOP,
                              doc="release {0}: RL FLOP <= rl.max_flop")


def stock_cap(line: Timeline, r: str) -> float:
    """Most tokens release r can train on [1e12 tokens]: max_epochs (U_r + S_max,r)."""
    sc = line.scenario
    return sc.data.max_epochs * (line.unique_tokens(r) + line.synthetic_max_tokens(r)) / units.TOKENS


def define_releases(m: pyo.ConcreteModel, line: Timeline) -> None:
    """sum_m choose[r, m] = 1; only the chosen model gets tokens (>= min_tokens_per_param N each);
    the release served in p is the latest one: sum_t pick[p, m, t] = choose[release(p), m]."""
    sc = line.scenario
    m.one_model = pyo.Constraint(m.RELEASES, rule=lambda m, r: sum(m.choose[r, k] for k in m.MODELS) == 1,
                                 doc="release {0} trains exactly one menu model")
    m.tokens_only_for_chosen = pyo.Constraint(
        m.RELEASES, m.MODELS, rule=lambda m, r, k: m.tokens[r, k] <= stock_cap(line, r) * m.choose[r, k],
        doc="release {0}: only the chosen model ({1}) is pre-trained")
    m.tokens_per_param_floor = pyo.Constraint(
        m.RELEASES, m.MODELS, rule=lambda m, r, k: m.tokens[r, k] >= sc.data.min_tokens_per_param
        * sc.models[k].params / units.TOKENS * m.choose[r, k],
        doc="release {0}, model {1}: tokens >= data.min_tokens_per_param x parameters")
    m.serve_release = pyo.Constraint(
        m.PERIODS, m.MODELS, rule=lambda m, p, k: sum(m.pick[p, k, t] for t in m.options[p])
        == m.choose[line.served_release[p], k],
        doc="in {0}, model {1} is served with one thinking option if the latest release trained it")


def define_data(m: pyo.ConcreteModel, line: Timeline) -> None:
    """D_r <= epochs (U_r + S_r);  S_r <= S_max,r;  D_r >= min_tokens;  D'_r <= perspective cuts of phi."""
    sc = line.scenario
    m.approximations = approx = build_approximations(sc)
    m.REPETITION_CUTS = pyo.RangeSet(0, len(approx.repetition.points) - 1)

    def tokens(m, r):
        return sum(m.tokens[r, k] for k in m.MODELS)

    def stock(m, r):
        return line.unique_tokens(r) / units.TOKENS + m.synthetic_tokens[r]
    m.data_stock = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: tokens(m, r) <= sc.data.max_epochs * stock(m, r),
        doc="release {0}: pre-training tokens <= data.max_epochs x (unique + synthetic tokens)")
    m.synthetic_cap = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: m.synthetic_tokens[r] <= line.synthetic_max_tokens(r) / units.TOKENS,
        doc="release {0}: synthetic tokens <= the period's synthetic_max_tokens")
    m.min_tokens = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: tokens(m, r) >= sc.pretraining.min_tokens / units.TOKENS,
        doc="release {0}: pre-training tokens >= pretraining.min_tokens")
    cuts = approx.repetition
    m.repetition_value = pyo.Constraint(
        m.RELEASES, m.REPETITION_CUTS, rule=lambda m, r, j: m.effective_tokens[r]
        <= float(cuts.slopes[j]) * tokens(m, r) + float(cuts.intercepts[j]) * stock(m, r),
        doc="release {0}: effective tokens <= repeated-data value (Muennighoff), tangent cut {1}")


def data_loss_cuts(line: Timeline) -> Cuts:
    """Tangent cuts of B / x^beta over x = sqrt(g_r) D' in [min_tokens, max_r sqrt(g_r) U'_r phi(epochs)]."""
    sc = line.scenario
    law = sc.loss_law
    lo = sc.pretraining.min_tokens / units.TOKENS
    top = max(math.sqrt(line.algorithmic_multiplier(r)) * (line.unique_tokens(r) + line.synthetic_max_tokens(r))
              for r in line.releases)
    hi = max(top * float(laws.repetition_value(sc.data.max_epochs, sc.data.repetition_efold)) / units.TOKENS, lo)
    return tangent_cuts(
        "pre-training data term B/(sqrt(g) D')^beta [nats]",
        lambda x: laws.data_term(np.asarray(x) * units.TOKENS, law),
        lambda x: -law.beta * laws.data_term(np.asarray(x) * units.TOKENS, law) / np.asarray(x),
        spaced_points(lo, hi, sc.approximation.tangent_points), "convex", (lo, hi))


def define_loss(m: pyo.ConcreteModel, line: Timeline) -> None:
    """data_loss[r] >= tangent cuts of B / x^beta at x = sqrt(g_r) D'_r;
    loss[r] = E + sum_m A / (sqrt(g_r) N_m)^alpha choose[r, m] + data_loss[r]  (algorithmic progress g_r
    multiplies compute 6ND, split evenly between N and D)."""
    sc = line.scenario
    law = sc.loss_law
    m.data_loss_approximation = cuts = data_loss_cuts(line)
    m.DATA_LOSS_CUTS = pyo.RangeSet(0, len(cuts.points) - 1)
    m.data_loss_cut = pyo.Constraint(
        m.RELEASES, m.DATA_LOSS_CUTS, rule=lambda m, r, j: m.data_loss[r] >= float(cuts.slopes[j])
        * math.sqrt(line.algorithmic_multiplier(r)) * m.effective_tokens[r] + float(cuts.intercepts[j]),
        doc="release {0}: data term of the loss >= tangent cut {1}")
    m.param_term = {(r, k): laws.param_term(math.sqrt(line.algorithmic_multiplier(r)) * sc.models[k].loss_size, law)
                    for r in line.releases for k in sc.models}
    m.loss = pyo.Expression(m.RELEASES, rule=lambda m, r: law.E + m.data_loss[r] + sum(
        m.param_term[r, k] * m.choose[r, k] for k in m.MODELS), doc="pre-training loss of release r [nats/token]")
    m.refined = pyo.ConstraintList(doc="tangent cuts added at plans by adaptive refinement")


def define_rl(m: pyo.ConcreteModel, line: Timeline) -> None:
    """rl_score[r] <= tangent cuts of sigma at x_r = C_rl[r] / s(N) (concave envelope for an S-shaped sigma).

    With gamma = 0, x_r = C_rl[r]; otherwise C_rl is split by model, C_rl[r, m] <= max_flop choose[r, m]."""
    from optimizer.model.law_params import rl_upper_bound, scales_with_size

    sc = line.scenario
    approx = m.approximations
    m.RL_CUTS = pyo.RangeSet(0, len(approx.rl.points) - 1)
    m.rl_cut = pyo.Constraint(
        m.RELEASES, m.RL_CUTS, rule=lambda m, r, j: m.rl_score[r] <= float(approx.rl.slopes[j])
        * m.rl_effective_flop[r] + float(approx.rl.intercepts[j]),
        doc="release {0}: RL gain <= tangent cut {1} of the ScaleRL sigmoid")
    for r in line.releases:
        m.rl_effective_flop[r].setub(rl_upper_bound(approx))
    if not scales_with_size(sc):
        m.rl_effective = pyo.Constraint(m.RELEASES, rule=lambda m, r: m.rl_effective_flop[r] == m.rl_flop[r],
                                        doc="release {0}: RL compute at the reference size = RL FLOP")
        return
    cap = sc.rl.max_flop / units.FLOP
    m.rl_model_flop = pyo.Var(m.RELEASES, m.MODELS, domain=NONNEG, doc="RL FLOP by model [1e24 FLOP]")
    m.rl_split = pyo.Constraint(m.RELEASES, rule=lambda m, r: m.rl_flop[r] == sum(m.rl_model_flop[r, k]
                                                                                  for k in m.MODELS),
                                doc="release {0}: RL FLOP is spent on the chosen model")
    m.rl_only_for_chosen = pyo.Constraint(
        m.RELEASES, m.MODELS, rule=lambda m, r, k: m.rl_model_flop[r, k] <= cap * m.choose[r, k],
        doc="release {0}: only the chosen model ({1}) is post-trained")
    m.rl_effective = pyo.Constraint(
        m.RELEASES, rule=lambda m, r: m.rl_effective_flop[r] == sum(
            m.rl_model_flop[r, k] / sc.rl.size_factor(sc.models[k].active) for k in m.MODELS),
        doc="release {0}: RL compute at the reference size = RL FLOP / (N / rl.midpoint_reference_params)^gamma")


def define_serving(m: pyo.ConcreteModel, line: Timeline) -> None:
    """Demand, capacity and placement, each over the sum of its dimensions, not their product:

    users[h, p, m, t] <= option_nodes[h, p, m, t] x users per node (a replica's least limit);
    sum_h users[h, p, m, t] = U_p pick[p, m, t];  sum_{m, t} option_nodes[h, p, m, t] <= sum_s serve[h, s, p]
    (a node's serving capacity does not depend on its site)."""
    per_node = m.users_per_node
    m.demand = pyo.Constraint(
        m.CONFIGS, rule=lambda m, p, k, t: sum(m.served_users[h, p, k, t] for h in m.HARDWARE
                                               if (h, p, k, t) in m.SERVING)
        == data(m, users_path(line, p), line.users(p), units.USERS) * m.pick[p, k, t],
        doc="in {0}, all concurrent users are served if model {1} at {2} thinking is chosen")
    m.serving_capacity = pyo.Constraint(
        m.SERVING, rule=lambda m, h, p, k, t: m.served_users[h, p, k, t] * units.USERS
        <= m.option_nodes[h, p, k, t] * units.NODES * per_node[h, p, k, t],
        doc="{0} nodes in {1} serving {2} at {3}: users <= nodes x users per node")
    options_of = {}
    for (h, p, k, t) in m.SERVING:
        options_of.setdefault((h, p), []).append((k, t))
    m.serving_nodes = pyo.Constraint(
        m.HARDWARE, m.PERIODS, rule=lambda m, h, p: sum(m.option_nodes[h, p, k, t] for k, t in options_of[h, p])
        <= sum(m.serve_nodes[h, s, p] for s in m.SITES) if options_of.get((h, p)) else pyo.Constraint.Skip,
        doc="{0} in {1}: nodes serving the menu <= serving nodes at all sites")


def users_path(line: Timeline, p: str) -> str:
    """The scenario path period p's concurrent users come from."""
    own = line.scenario.periods[p].concurrent_users is not None
    return f"periods.{p}.concurrent_users" if own else "inference.concurrent_users"


def target_path(line: Timeline, p: str) -> str:
    """The scenario path period p's capability target comes from."""
    own = line.scenario.periods[p].capability_target is not None
    return f"periods.{p}.capability_target" if own else "capability_target"


def define_capability(m: pyo.ConcreteModel, line: Timeline) -> None:
    """K_p = w_pre K_pre[release(p)] + w_rl K_rl[release(p)] + w_tt K_tt[p], with
    K_pre[r] = (L_ref - loss[r]) / (L_ref - E), K_rl[r] = rl_score[r], K_tt[p] = sum score_t pick[p, m, t]."""
    sc = line.scenario
    w = sc.capability
    l_ref, e = reference_loss(sc), sc.loss_law.E
    m.k_pretraining = pyo.Expression(m.RELEASES, rule=lambda m, r: (l_ref - m.loss[r]) / (l_ref - e),
                                     doc="share of the reference model's reducible loss removed [-]")
    m.k_test_time = pyo.Expression(m.PERIODS, rule=lambda m, p: sum(
        m.options[p][t].score(line.test_time(p)) * m.pick[p2, k, t] for (p2, k, t) in m.CONFIGS if p2 == p),
        doc="test-time gain of the thinking option served in p [-]")
    m.capability = pyo.Expression(m.PERIODS, rule=lambda m, p: w.weight_pretraining
                                  * m.k_pretraining[line.served_release[p]] + w.weight_rl
                                  * m.rl_score[line.served_release[p]] + w.weight_test_time * m.k_test_time[p],
                                  doc="capability index K of period p [-]")


def objective_weights(line: Timeline, kind: str) -> dict[str, float]:
    """Weight of each period's K in the objective: the discounted average (max_capability),
    the last period alone (max_final_capability)."""
    if kind == "max_final_capability":
        return {p: float(p == line.periods[-1]) for p in line.periods}
    total = sum(line.weight.values())
    return {p: line.weight[p] / total for p in line.periods}


def define_objective(m: pyo.ConcreteModel, line: Timeline) -> None:
    """max  w_K k - w_C c  with k the weighted capability and c the discounted cost; floors
    k >= objective_floor (the lexicographic second stage) and K_p >= target_p (min_cost)."""
    sc = line.scenario
    weights = objective_weights(line, "max_final_capability" if sc.objective == "max_final_capability"
                                else "max_capability")
    m.period_weight = weights
    m.weight_capability = pyo.Param(initialize=0.0 if sc.objective == "min_cost" else 1.0, mutable=True)
    m.weight_cost = pyo.Param(initialize=1.0 if sc.objective == "min_cost" else 0.0, mutable=True)
    m.objective_floor = pyo.Param(initialize=FLOOR_OFF, mutable=True)
    m.capability_value = pyo.Var(doc="k: the objective's capability [-]")
    m.cost_value = pyo.Var(doc="c: discounted total cost [1e9 USD]")
    m.define_capability_value = pyo.Constraint(
        expr=m.capability_value == sum(weights[p] * m.capability[p] for p in m.PERIODS if weights[p]),
        doc="k = the periods' capability, weighted")
    m.define_cost_value = pyo.Constraint(expr=m.cost_value == m.total_cost, doc="c = discounted total cost")
    m.capability_floor = pyo.Constraint(expr=m.capability_value >= m.objective_floor,
                                        doc="the weighted capability >= its optimum (second stage)")
    targets = {p: line.capability_target(p) for p in line.periods} if sc.objective == "min_cost" else {}
    m.period_target = pyo.Param(m.PERIODS, initialize={p: FLOOR_OFF if targets.get(p) is None else targets[p]
                                                       for p in line.periods}, mutable=True)
    for p, target in targets.items():
        if target is not None:
            register_target(m, target_path(line, p), p)
    if targets:
        m.capability_target_floor = pyo.Constraint(
            m.PERIODS, rule=lambda m, p: m.capability[p] >= m.period_target[p],
            doc="capability in {0} >= its capability_target")
    m.objective = pyo.Objective(expr=m.weight_capability * m.capability_value - m.weight_cost * m.cost_value,
                                sense=pyo.maximize)
