"""Solve a build-out: lexicographic stages, adaptive refinement to the exact laws, duals by name.

* max_capability / max_final_capability: stage 1 maximises the weighted capability k; stage 2 minimises
  the discounted cost with k held at k* - capability_tolerance max(1, |k*|) under the exact laws.
* min_cost: minimises the discounted cost with K_p >= target_p in every period, under the exact laws.

Each stage solves, evaluates the exact laws at the plan (``exact_values``), adds the tangent cuts of
each release's terms at the plan where the model and the laws differ, and re-solves (warm-started)
until they agree within ``approximation.tolerance`` or ``approximation.max_refinements`` rounds pass.
Cuts only tighten the outer approximation, so the last MILP's bound stays valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer import laws, units
from optimizer.errors import SolveError
from optimizer.model.approximations import rl_tangent_start
from optimizer.model.exact import value
from optimizer.model.objective import FLOOR_OFF, reference_loss
from optimizer.solver import FEASIBILITY, _optimal, _seconds, persistent_highs, run, start_from_last_plan


@dataclass
class BuildoutOutcome:
    """Status, objective (exact-law), the model's own objective, stats and duals by name."""

    status: str
    objective: float
    model_objective: float
    bound: float | None
    seconds: float
    refinement_cuts: int = 0
    refinement_solves: int = 0
    duals: dict[str, float] = field(default_factory=dict)


def chosen_model(m, r: str) -> str:
    return max(m.MODELS, key=lambda k: value(m.choose[r, k]))


def chosen_host(m, r: str) -> str:
    """The campus that trains release r ('' if none)."""
    return next((s for s in m.COHERENT if value(m.host[r, s]) > 0.5), "")


def chosen_option(m, p: str) -> tuple[str, str]:
    return max(((k, t) for (p2, k, t) in m.CONFIGS if p2 == p), key=lambda kt: value(m.pick[p, kt[0], kt[1]]))


def exact_release(m, r: str) -> dict[str, float]:
    """Exact laws at release r's plan: D'_r = U' phi(D/U'), L_r = E + A/(sqrt(g) N)^alpha + B/(sqrt(g) D')^beta,
    K_pre, and sigma(C_rl / s(N))."""
    sc, line = m.scenario, m.timeline
    law = sc.loss_law
    model = sc.models[chosen_model(m, r)]
    root_g = math.sqrt(line.algorithmic_multiplier(r))
    tokens = sum(value(m.tokens[r, k]) for k in m.MODELS) * units.TOKENS
    stock = line.unique_tokens(r) + value(m.synthetic_tokens[r]) * units.TOKENS
    effective = laws.effective_tokens(tokens, stock, sc.data.repetition_efold) if stock > 0 else 0.0
    loss = (law.E + laws.param_term(root_g * model.loss_size, law) + float(laws.data_term(root_g * effective, law))
            if effective > 0 else math.inf)
    l_ref = reference_loss(sc)
    rl = float(laws.rl_fraction(value(m.rl_flop[r]) * units.FLOP, sc.rl.midpoint_at(model.active), sc.rl.exponent))
    return {"tokens": tokens, "stock": stock, "effective_tokens": effective, "loss": loss,
            "k_pretraining": (l_ref - loss) / (l_ref - law.E), "k_rl": rl}


def exact_values(m) -> dict:
    """Exact K per period and the exact objective's capability: {'releases', 'periods', 'capability'}."""
    sc, line = m.scenario, m.timeline
    w = sc.capability
    releases = {r: exact_release(m, r) for r in line.releases}
    periods = {}
    for p in line.periods:
        r = releases[line.served_release[p]]
        periods[p] = (w.weight_pretraining * r["k_pretraining"] + w.weight_rl * r["k_rl"]
                      + w.weight_test_time * value(m.k_test_time[p]))
    weighted = sum(m.period_weight[p] * periods[p] for p in line.periods)
    return {"releases": releases, "periods": periods, "capability": weighted}


def cuts_at_plan(m, exact: dict, tolerance: float) -> list:
    """Constraints (not yet added) tangent to each release's terms at the plan, where the model is off."""
    sc, line = m.scenario, m.timeline
    law, efold = sc.loss_law, sc.data.repetition_efold
    added = m.refined_points
    cuts = []

    def new(key) -> bool:
        if key in added:
            return False
        added.add(key)
        return True
    for r, ex in exact["releases"].items():
        root_g = math.sqrt(line.algorithmic_multiplier(r))
        tokens = sum(m.tokens[r, k] for k in m.MODELS)
        stock = line.unique_tokens(r) / units.TOKENS + m.synthetic_tokens[r]
        d, u = ex["tokens"] / units.TOKENS, ex["stock"] / units.TOKENS
        if u > 0 and value(m.effective_tokens[r]) - ex["effective_tokens"] / units.TOKENS > tolerance * max(1.0, d):
            ratio = d / u
            slope = float(laws.repetition_slope(ratio, efold))
            intercept = float(laws.repetition_value(ratio, efold)) - slope * ratio
            if new(("repetition", r, round(ratio, 12))):
                cuts.append(m.effective_tokens[r] <= slope * tokens + intercept * stock)
        x = root_g * value(m.effective_tokens[r])
        if x > 0:
            f = float(laws.data_term(x * units.TOKENS, law))
            if f - value(m.data_loss[r]) > tolerance and new(("data_loss", r, round(x, 12))):
                slope = -law.beta * f / x
                cuts.append(m.data_loss[r] >= slope * root_g * m.effective_tokens[r] + f - slope * x)
        c = value(m.rl_effective_flop[r])
        mid, expo = sc.rl.reference_midpoint_flop() / units.FLOP, sc.rl.exponent
        if c >= rl_tangent_start(sc) and c > 0:
            s = float(laws.rl_fraction(c, mid, expo))
            if value(m.rl_score[r]) - s > tolerance and new(("rl", r, round(c, 12))):
                slope = float(laws.rl_fraction_slope(c, mid, expo))
                cuts.append(m.rl_score[r] <= slope * m.rl_effective_flop[r] + s - slope * c)
    return cuts


# stage 2's relative gap on the discounted cost: at 1e-6 ($160k of $160B) HiGHS spends minutes closing the
# bound over whole-site counts (2026-2030 build-out at 5% discounting: > 120 s single-threaded); 1e-4 ($16M)
# is below the price of one 75 MW site's capex ($0.9B) and far below the input uncertainty
STAGE2_GAP = 1e-4


def configure(solver) -> None:
    """HiGHS options of a build-out solve: its default row tolerance (the one-period engine's 1e-9, set for
    its 1e-9 verification, makes HiGHS reject its own optimum here: 'MIP solver claims optimality, but with
    ... 1.9e-09 infeasibilities') and one thread: on this 2-core machine the stage-2 MILP of the 2026-2030
    build-out took 90-102 s with two threads against 7 s with one (same plan, three runs each)."""
    solver.config.threads = 1
    solver.config.solver_options.update(primal_feasibility_tolerance=FEASIBILITY,
                                        mip_feasibility_tolerance=FEASIBILITY)


def fix_menu(solver, m) -> list:
    """Fix stage 1's menu (each release's model and campus, each period's thinking option) for stage 2.

    Stage 2 then minimises cost over sites, purchases, runs and data with those choices: the same
    capability at least cost for that menu. With the menu free, the stage-2 MILP of the 2026-2030 build-out
    took 68-81 s without discounting (against 5 s), its bound closing slowly over near-equal menus."""
    menu = [var for component in (m.choose, m.host, m.pick) for var in component.values()]
    for var in menu:
        var.fix(round(var.value or 0))
    solver.update_variables(menu)
    return menu


@dataclass
class Stats:
    solves: int = 0
    cuts: int = 0
    seconds: float = 0.0
    bound: float | None = None
    status: str = "optimal"  # or 'time limit' (``accepted`` with incumbent_ok)
    incumbent: float | None = None


def accepted(result, m, explain: bool, stats, incumbent_ok: bool):
    """An optimal result; or, with ``incumbent_ok``, at a time limit the feasible incumbent (``stats.status``
    then says 'time limit'); otherwise raise InfeasibleError or SolveError."""
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    if (incumbent_ok and result.termination_condition == TerminationCondition.maxTimeLimit
            and result.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)):
        stats.status = "time limit"
        return result
    return _optimal(result, m, explain)


def refine(solver, m, stats: Stats, time_limit, *, maximise: bool, floors_met=None, explain: bool = True,
           incumbent_ok: bool = False):
    """Solve and add cuts at the plan until the model agrees with the exact laws; returns (result, exact).
    ``incumbent_ok``: at the time limit keep the incumbent and stop refining (``stats.status``)."""
    settings = m.scenario.approximation
    rounds = 0
    while True:
        result = accepted(run(solver, m, time_limit=time_limit), m, explain and stats.solves == 0, stats,
                          incumbent_ok)
        stats.solves += 1
        stats.seconds += _seconds(result)
        stats.bound = result.objective_bound
        result.solution_loader.load_vars()
        exact = exact_values(m)
        done = True
        if maximise:
            model_k = value(m.capability_value)
            done = model_k - exact["capability"] <= settings.tolerance * max(1.0, abs(exact["capability"]))
        if floors_met is not None:
            done = done and floors_met(exact)
        if done or rounds >= settings.max_refinements or stats.status == "time limit":
            return result, exact
        cuts = cuts_at_plan(m, exact, settings.tolerance * 1e-2)
        if not cuts:
            return result, exact
        for cut in cuts:
            solver.add_constraints([m.refined.add(cut)])
        stats.cuts += len(cuts)
        rounds += 1
        # no MIP start here: the plan violates the new cuts, and HiGHS (1.1x) can fail with 'error' when
        # handed an infeasible start


def buildout_solver(m):
    """A persistent HiGHS holding the build-out ``m``, with the build-out's options (``configure``)."""
    solver = persistent_highs(m, rel_gap=m.scenario.approximation.mip_rel_gap)
    configure(solver)
    return solver


def solve_buildout_model(m, *, time_limit: float | None = None, duals: bool = True, second_stage: bool = True,
                         explain: bool = True, incumbent_ok: bool = False, solver=None) -> BuildoutOutcome:
    """Solve ``m`` (``build_buildout``) to optimality under the exact laws, or raise. ``second_stage=False``
    skips the cost minimisation at k* (same capability, the cost may not be the least that reaches it).

    ``solver``: the persistent HiGHS already holding ``m`` (``buildout_solver``), for a sweep that re-solves
    one model; the refinement cuts of earlier solves stay (tangents of the laws, valid at every point)."""
    sc = m.scenario
    settings = sc.approximation
    if not hasattr(m, "refined_points"):
        m.refined_points = set()
    if solver is None:
        solver = buildout_solver(m)
    else:
        start_from_last_plan(solver, m)  # a sweep's re-solve: the last point's plan, if still feasible
    stats = Stats()
    if sc.objective == "min_cost":
        margin = settings.tolerance
        targets = {p: value(m.period_target[p]) for p in m.PERIODS}
        for p, target in targets.items():
            if target > FLOOR_OFF / 2:
                m.period_target[p].value = target + margin * max(1.0, abs(target))

        def met(exact):
            return all(exact["periods"][p] >= t - 1e-7 * max(1.0, abs(t)) for p, t in targets.items()
                       if t > FLOOR_OFF / 2)
        try:
            result, exact = refine(solver, m, stats, time_limit, maximise=False, floors_met=met, explain=explain,
                                   incumbent_ok=incumbent_ok)
        finally:  # a sweep re-solves this model: leave the targets as they came
            for p, target in targets.items():
                m.period_target[p].value = target
        if not met(exact):
            raise SolveError(f"({m.name}, approximation) | after {stats.solves} refinement solves a period's exact "
                             "capability is still below its target. Fix: raise approximation.max_refinements or "
                             "approximation.tangent_points")
        cost = -result.incumbent_objective
        outcome = BuildoutOutcome(stats.status, cost, cost, None if stats.bound is None else -stats.bound, 0.0)
    else:
        result, exact = refine(solver, m, stats, time_limit, maximise=True, explain=explain, incumbent_ok=incumbent_ok)
        k_model, k_star = value(m.capability_value), exact["capability"]
        if not second_stage:
            return finish(BuildoutOutcome(stats.status, k_star, k_model, stats.bound, 0.0), stats, solver, m, duals)
        tol = settings.capability_tolerance * max(1.0, abs(k_star))
        floor = k_star - tol
        m.weight_capability.value, m.weight_cost.value = 0.0, 1.0
        m.objective_floor.value = floor + tol / 2  # the model holds half the tolerance above the exact floor
        menu = fix_menu(solver, m)
        solver.config.rel_gap = max(settings.mip_rel_gap, STAGE2_GAP)
        try:
            _, exact = refine(solver, m, stats, time_limit, maximise=False, explain=False,
                              floors_met=lambda ex: ex["capability"] >= floor)
        finally:
            m.weight_capability.value, m.weight_cost.value = 1.0, 0.0
            m.objective_floor.value = FLOOR_OFF
            solver.config.rel_gap = settings.mip_rel_gap
            for var in menu:
                var.unfix()
            solver.update_variables(menu)
        outcome = BuildoutOutcome("optimal", exact["capability"], k_model, stats.bound, 0.0)
    return finish(outcome, stats, solver, m, duals)


def finish(outcome: BuildoutOutcome, stats: Stats, solver, m, duals: bool) -> BuildoutOutcome:
    """The outcome with the solves' statistics and, if asked, the marginal values."""
    outcome.seconds, outcome.refinement_cuts, outcome.refinement_solves = stats.seconds, stats.cuts, stats.solves
    if duals:
        outcome.duals = marginal_values(solver, m)
    return outcome


def marginal_values(solver, m) -> dict[str, float]:
    """Row duals of the fixed-integer LP on the MILP's own HiGHS model (``optimizer.duals.integers_fixed``),
    by constraint name and index: budget, period_budget[p], power[s, p] (per MW of sites.s.power_mw, by the
    envelope theorem: the power row x sites powered plus, on the campus hosting p's release, its one-campus
    rows x host), demand[p] of the served option (per 1e6 users) and data_stock[r]; {} if the LP fails."""
    from optimizer.duals import integers_fixed

    with integers_fixed(solver, m) as duals:
        if duals is None:
            return {}
        dual = duals.get
        values = {"budget": dual(m.budget)}
        for p in m.BUDGETED:
            values[f"period_budget[{p}]"] = dual(m.period_budget[p])
        for s in m.SITES:
            for p in m.PERIODS:
                online = value(m.sites_online[s, p])
                if online > 0:
                    values[f"power[{s},{p}]"] = dual(m.power[s, p]) * online + campus_value(m, s, p, dual)
        for p in m.PERIODS:
            k, t = chosen_option(m, p)
            values[f"demand[{p}]"] = dual(m.demand[p, k, t])
        for r in m.RELEASES:
            values[f"data_stock[{r}]"] = dual(m.data_stock[r])
        return values


def campus_value(m, s: str, p: str, dual) -> float:
    """The one-campus rows' share of d objective / d MW_s in period p (zero off the hosting campus)."""
    if p not in m.RELEASES or s not in m.COHERENT or value(m.host[p, s]) < 0.5:
        return 0.0
    total = dual(m.one_campus[p, s])
    if hasattr(m, "rl_on_host"):
        total += dual(m.rl_on_host[p, s])
    return total
