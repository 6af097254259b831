"""Two-stage stochastic build-out, solved as one extensive form (EF) with HiGHS.

The scenarios are S build-outs that differ in their uncertain inputs, each a Block built by the same
``optimizer.buildout.model.populate`` (oemof's Block per scenario, mpi-sppy's ``scenario_creator`` shape).
First-stage decisions x are the sites started and nodes bought in the first F periods; every later
decision (and every run, release and serving choice) is recourse y_s.

    k_s       the scenario's stage-1 objective: its weighted capability (max objectives) or -c_s (min_cost)
    c_s       its discounted total cost
    p_s       its probability

    max  R(k) = (1 - omega) sum_s p_s k_s + omega CVaR_alpha(k)
    CVaR_alpha(k) = max_eta  eta - 1/(1 - alpha) sum_s p_s u_s,   u_s >= eta - k_s,  u_s >= 0
                    (the mean of the worst 1 - alpha share of outcomes; PyPSA's set_risk_preference)
    x_s = x  for every s (nonanticipativity: one first stage for all scenarios)

then, for the max objectives, a second stage min sum_s p_s c_s with R(k) >= R* - tol and each scenario's
menu (models, campuses, thinking) fixed, as in the deterministic solve. Adaptive refinement adds each
scenario's tangent cuts at its plan until R under the model and under the exact laws agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyomo.core as pyo

from optimizer.buildout.solve import Stats
from optimizer.errors import ScenarioError, SolveError
from optimizer.model.exact import value
from optimizer.model.objective import FLOOR_OFF
from optimizer.schema import Scenario
from optimizer.uncertainty.sampling import Sample


@dataclass(frozen=True)
class Risk:
    """CVaR at level ``alpha`` (the worst 1 - alpha share) with weight ``omega``; omega = 0 is the expectation."""

    alpha: float = 0.9
    omega: float = 0.0

    def __post_init__(self):
        if not 0 <= self.alpha < 1:
            raise ScenarioError("--cvar-alpha", str(self.alpha), "must be in [0, 1)", "use e.g. --cvar-alpha 0.9")
        if not 0 <= self.omega <= 1:
            raise ScenarioError("--cvar-weight", str(self.omega), "must be in [0, 1]",
                                "use 0 (expected value) to 1 (CVaR only)")


@dataclass
class Program:
    """The scenarios of a two-stage problem and which periods are first stage."""

    base: Scenario
    names: list[str]
    scenarios: list[Scenario]
    probabilities: list[float]
    regimes: list[dict[str, str]]
    first_periods: tuple[str, ...]


def scenario_names(samples: Sample, enumerated: bool) -> list[str]:
    """Readable names: the regimes of an enumeration ('plateau+fast'), else s0, s1, ..."""
    names = ["+".join(r.values()) for r in samples.regimes]
    if enumerated and all(names) and len(set(names)) == len(names):
        return names
    return [f"s{i}" for i in range(len(samples.points))]


def program(sc: Scenario, samples: Sample, first_stage_periods: int = 1, enumerated: bool = False) -> Program:
    """Validate every scenario (``sc`` with each sample's values) and fix the first-stage periods."""
    from optimizer.sweeps import point_scenario

    if sc.periods is None or len(sc.periods) < 2:
        raise ScenarioError(sc.name, "periods", "a two-stage plan needs a build-out with at least two periods",
                            "add periods: (see scenarios/buildout-2026-2030.yaml); the first period(s) are the "
                            "shared first stage, the later ones the recourse")
    periods = sorted(sc.periods)
    if not 1 <= first_stage_periods < len(periods):
        raise ScenarioError("--first-stage-periods", str(first_stage_periods),
                            f"must be between 1 and {len(periods) - 1} (the scenario has {len(periods)} periods)",
                            "use 1: decisions of the first period are shared, later ones are recourse")
    scenarios = [point_scenario(sc, point) for point in samples.points]
    return Program(sc, scenario_names(samples, enumerated), scenarios, list(samples.probabilities),
                   list(samples.regimes), tuple(periods[:first_stage_periods]))


def first_stage_keys(b, first_periods: tuple[str, ...]) -> list[tuple]:
    """('start', s, p) and ('buy', h, s, p) for the first-stage periods, in the block's order."""
    return ([("start", s, p) for (s, p) in b.STARTS if p in first_periods]
            + [("buy", h, s, p) for (h, s, p) in b.BUYS if p in first_periods])


def first_stage_var(b, key: tuple):
    return b.start[key[1:]] if key[0] == "start" else b.buy[key[1:]]


EXPECTATION = Risk()  # omega = 0: the expected value alone


def build_extensive_form(prog: Program, risk: Risk = EXPECTATION) -> pyo.ConcreteModel:
    """One Block per scenario, nonanticipativity rows x_s = x, and the risk-adjusted objective R."""
    from optimizer.buildout.model import populate

    ef = pyo.ConcreteModel(name=f"{prog.base.name} (two-stage, {len(prog.names)} scenarios)")
    ef.program, ef.risk = prog, risk
    index = dict(zip(prog.names, range(len(prog.names))))
    ef.SCENARIOS = pyo.Set(initialize=prog.names, ordered=True, doc="scenarios")
    ef.scenario = pyo.Block(ef.SCENARIOS, rule=lambda b, s: populate(b, prog.scenarios[index[s]]))
    blocks = [ef.scenario[s] for s in prog.names]
    keys = first_stage_keys(blocks[0], prog.first_periods)
    for s, b in zip(prog.names, blocks):
        b.objective.deactivate()
        if first_stage_keys(b, prog.first_periods) != keys:
            raise ScenarioError(prog.base.name, f"uncertainty (scenario {s})", "the scenarios differ in which "
                                "sites may start or which hardware is on sale in the first stage",
                                "keep available_year and earliest_start_year certain in the first periods")
    ef.first_keys = keys
    ef.FIRST = pyo.RangeSet(0, len(keys) - 1) if keys else pyo.Set(initialize=[])
    ef.first = pyo.Var(ef.FIRST, domain=pyo.NonNegativeReals, doc="first-stage decisions x")
    ef.nonanticipativity = pyo.Constraint(
        ef.SCENARIOS, ef.FIRST, rule=lambda ef, s, i: first_stage_var(ef.scenario[s], keys[i]) == ef.first[i],
        doc="scenario {0}: first-stage decision {1} equals the shared one")
    ef.probability = dict(zip(prog.names, prog.probabilities))
    ef.stage_value = pyo.Expression(ef.SCENARIOS, rule=lambda ef, s: ef.scenario[s].objective.expr,
                                    doc="k_s: the scenario's stage-1 objective")
    ef.eta = pyo.Var(doc="value at risk of k (CVaR's threshold)")
    ef.shortfall = pyo.Var(ef.SCENARIOS, domain=pyo.NonNegativeReals, doc="u_s = max(0, eta - k_s)")
    ef.shortfall_row = pyo.Constraint(ef.SCENARIOS, rule=lambda ef, s: ef.shortfall[s] >= ef.eta - ef.stage_value[s],
                                      doc="scenario {0}: shortfall below the value at risk")
    ef.expected = pyo.Expression(expr=sum(ef.probability[s] * ef.stage_value[s] for s in ef.SCENARIOS))
    ef.cvar = pyo.Expression(expr=ef.eta - sum(ef.probability[s] * ef.shortfall[s] for s in ef.SCENARIOS)
                             / (1 - risk.alpha))
    ef.risk_value = pyo.Var(doc="R: the risk-adjusted objective")
    ef.define_risk_value = pyo.Constraint(expr=ef.risk_value == (1 - risk.omega) * ef.expected + risk.omega * ef.cvar,
                                          doc="R = (1 - omega) E[k] + omega CVaR_alpha(k)")
    if risk.omega == 0:  # the expectation alone: no CVaR rows
        ef.eta.fix(0.0)
        for s in ef.SCENARIOS:
            ef.shortfall[s].fix(0.0)
        ef.shortfall_row.deactivate()
    ef.weight_risk = pyo.Param(initialize=1.0, mutable=True)
    ef.weight_cost = pyo.Param(initialize=0.0, mutable=True)
    ef.risk_floor = pyo.Param(initialize=FLOOR_OFF, mutable=True)
    ef.risk_floor_row = pyo.Constraint(expr=ef.risk_value >= ef.risk_floor, doc="R >= its optimum (second stage)")
    ef.objective = pyo.Objective(expr=ef.weight_risk * ef.risk_value - ef.weight_cost * sum(
        ef.probability[s] * ef.scenario[s].cost_value for s in ef.SCENARIOS), sense=pyo.maximize)
    return ef


def risk_measures(values: dict[str, float], probability: dict[str, float], risk: Risk) -> dict[str, float]:
    """E[k], CVaR_alpha(k) (the probability-weighted mean of the worst 1 - alpha) and R."""
    expected = sum(probability[s] * values[s] for s in values)
    tail, left, total = 1 - risk.alpha, 1 - risk.alpha, 0.0
    for s in sorted(values, key=values.get):
        take = min(probability[s], left)
        total += take * values[s]
        left -= take
        if left <= 1e-15:
            break
    cvar = total / tail if tail > 0 else min(values.values())
    return {"expected": expected, "cvar": cvar, "risk": (1 - risk.omega) * expected + risk.omega * cvar}


def stage_objective(b, exact: dict) -> float:
    """k_s under the exact laws: the weighted capability (max objectives) or -cost (min_cost)."""
    if b.scenario.objective == "min_cost":
        return -value(b.cost_value)
    return exact["capability"]


@dataclass
class StochasticOutcome:
    """The EF's result: R, E[k], CVaR (exact-law), the model's R, HiGHS bound and statistics."""

    risk: float
    expected: float
    cvar: float
    model_risk: float
    bound: float | None
    seconds: float
    solves: int = 0
    cuts: int = 0
    per_scenario: dict[str, float] = field(default_factory=dict)
    expected_cost: float = math.nan
    status: str = "optimal"  # or 'time limit': the incumbent, within the gap to ``bound``
    achieved_gap: float = math.nan  # |bound - incumbent| / |incumbent| of stage 1 (the model's R)


def refine_ef(solver, ef, stats: Stats, deadline: float | None, *, maximise: bool, floors_met=None,
              explain: bool = False):
    """Solve the EF and add every scenario's tangent cuts at its plan until R agrees with the exact laws
    (at the ``deadline``, a ``time.monotonic()`` value: the incumbent, without further rounds)."""
    import time

    from optimizer.buildout.solve import accepted, cuts_at_plan, exact_values
    from optimizer.solver import _seconds, run

    blocks = [ef.scenario[s] for s in ef.SCENARIOS]
    settings = ef.program.base.approximation
    rounds = 0
    while True:
        left = None if deadline is None else max(1.0, deadline - time.monotonic())
        result = accepted(run(solver, ef, time_limit=left), ef, explain and stats.solves == 0, stats,
                          incumbent_ok=True)
        stats.solves += 1
        stats.seconds += _seconds(result)
        stats.bound, stats.incumbent = result.objective_bound, result.incumbent_objective
        result.solution_loader.load_vars()
        exact = {s: exact_values(b) for s, b in zip(ef.SCENARIOS, blocks)}
        measures = risk_measures({s: stage_objective(b, exact[s]) for s, b in zip(ef.SCENARIOS, blocks)},
                                 ef.probability, ef.risk)
        done = True
        if maximise:
            done = value(ef.risk_value) - measures["risk"] <= settings.tolerance * max(1.0, abs(measures["risk"]))
        if floors_met is not None:
            done = done and floors_met(exact, measures)
        if done or rounds >= settings.max_refinements or stats.status == "time limit":
            return result, exact, measures
        added = 0
        for s, b in zip(ef.SCENARIOS, blocks):
            for cut in cuts_at_plan(b, exact[s], settings.tolerance * 1e-2):
                solver.add_constraints([b.refined.add(cut)])
                added += 1
        if not added:
            return result, exact, measures
        stats.cuts += added
        rounds += 1


EF_GAP = 1e-4  # default relative MIP gap of the EF: 20 build-outs at 1e-6 run for many minutes (docs/benchmarks.md)


def load_start(ef, start: dict[str, dict]) -> None:
    """Load a feasible plan per scenario (``evaluate.variable_values`` of each scenario solved with one
    shared first stage) into the EF and the shared x, eta and shortfalls, as HiGHS's MIP start."""
    from optimizer.model.exact import value as val

    for s in ef.SCENARIOS:
        block = ef.scenario[s]
        for name, values in start[s].items():
            component = getattr(block, name)
            for index, amount in values.items():
                component[index].set_value(amount, skip_validation=True)
    first = ef.scenario[ef.SCENARIOS.first()]
    for i, key in enumerate(ef.first_keys):
        ef.first[i].set_value(val(first_stage_var(first, key)), skip_validation=True)
    stage = {s: val(ef.stage_value[s]) for s in ef.SCENARIOS}
    if not ef.eta.fixed:
        ef.eta.set_value(min(stage.values()))
        for s in ef.SCENARIOS:
            ef.shortfall[s].set_value(max(0.0, ef.eta.value - stage[s]))
    ef.risk_value.set_value((1 - ef.risk.omega) * val(ef.expected) + ef.risk.omega * val(ef.cvar))


def improve_start(solver, ef, start: dict[str, dict], deadline: float | None, stats: Stats) -> None:
    """Fix-and-optimise: with every scenario's menu (models, campuses, thinking) fixed at the start's, solve
    the restricted EF (the shared sites and purchases, and all continuous recourse, free) in at most half the
    time left. Its plan is feasible for the full EF and usually much better than the start: the full EF then
    starts from it. Falls back to ``start`` if the restricted EF finds nothing."""
    import time

    from pyomo.contrib.solver.common.results import SolutionStatus

    from optimizer.buildout.solve import fix_menu
    from optimizer.solver import _seconds, run, warm_start

    menu = [var for s in ef.SCENARIOS for var in fix_menu(solver, ef.scenario[s])]
    warm_start(solver)
    left = None if deadline is None else max(1.0, (deadline - time.monotonic()) / 2)
    try:
        result = run(solver, ef, time_limit=left)
        stats.seconds += _seconds(result)
        found = result.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
        if found:
            result.solution_loader.load_vars()
    finally:
        for var in menu:
            var.unfix()
        solver.update_variables(menu)
    if not found:
        load_start(ef, start)


EF_TIME_LIMIT = 300.0  # seconds for the whole EF (both stages) by default; the bound and gap are reported


def solve_extensive_form(ef, *, time_limit: float | None = EF_TIME_LIMIT, second_stage: bool = True,
                         gap: float = EF_GAP, start: dict[str, dict] | None = None) -> StochasticOutcome:
    """Solve the EF under the exact laws (lexicographic for the max objectives) to the relative ``gap``, from
    the MIP ``start`` if given. ``time_limit`` bounds the whole EF (every stage and refinement round, None:
    none): at the limit the incumbent is kept, and the outcome's status, bound and achieved gap say so."""
    import time

    from optimizer.buildout.solve import STAGE2_GAP, configure, fix_menu
    from optimizer.solver import persistent_highs, warm_start

    deadline = None if time_limit is None else time.monotonic() + time_limit

    prog = ef.program
    settings = prog.base.approximation
    blocks = [ef.scenario[s] for s in ef.SCENARIOS]
    for b in blocks:
        b.refined_points = set()
    solver = persistent_highs(ef, rel_gap=max(gap, settings.mip_rel_gap))
    configure(solver)
    stats = Stats()
    if start is not None:
        load_start(ef, start)
        improve_start(solver, ef, start, deadline, stats)
        warm_start(solver)
    if prog.base.objective == "min_cost":
        targets = {(s, p): value(b.period_target[p]) for s, b in zip(ef.SCENARIOS, blocks) for p in b.PERIODS}
        for (s, p), target in targets.items():
            if target > FLOOR_OFF / 2:
                ef.scenario[s].period_target[p].value = target + settings.tolerance * max(1.0, abs(target))

        def met(exact, _measures):
            return all(exact[s]["periods"][p] >= t - 1e-7 * max(1.0, abs(t)) for (s, p), t in targets.items()
                       if t > FLOOR_OFF / 2)
        _, exact, measures = refine_ef(solver, ef, stats, deadline, maximise=False, floors_met=met, explain=True)
        for (s, p), target in targets.items():
            ef.scenario[s].period_target[p].value = target
        if not met(exact, measures):
            raise SolveError(f"({ef.name}, approximation) | after {stats.solves} refinement solves a scenario's "
                             "exact capability is still below its target. Fix: raise approximation.max_refinements")
        model_risk = value(ef.risk_value)
    else:
        _, exact, measures = refine_ef(solver, ef, stats, deadline, maximise=True, explain=True)
        model_risk = value(ef.risk_value)
        stage1 = (stats.bound, stats.status, stats.incumbent)
        if second_stage and (deadline is None or deadline - time.monotonic() > 1):
            r_star = measures["risk"]
            tol = settings.capability_tolerance * max(1.0, abs(r_star))
            ef.weight_risk.value, ef.weight_cost.value = 0.0, 1.0
            ef.risk_floor.value = r_star - tol / 2
            menu = [var for b in blocks for var in fix_menu(solver, b)]
            solver.config.rel_gap = max(settings.mip_rel_gap, STAGE2_GAP, gap)
            warm_start(solver)  # stage 1's plan meets the floor: the cost search starts from it
            stats.status = "optimal"
            try:
                _, exact, measures = refine_ef(solver, ef, stats, deadline, maximise=False,
                                               floors_met=lambda _ex, ms: ms["risk"] >= r_star - tol)
            finally:
                ef.weight_risk.value, ef.weight_cost.value = 1.0, 0.0
                ef.risk_floor.value = FLOOR_OFF
                solver.config.rel_gap = max(gap, settings.mip_rel_gap)
                for var in menu:
                    var.unfix()
                solver.update_variables(menu)
        stats.bound, stats.status, stats.incumbent = stage1  # R's bound and status, not stage 2's cost
    per = {s: stage_objective(b, exact[s]) for s, b in zip(ef.SCENARIOS, blocks)}
    cost = sum(ef.probability[s] * value(b.total_cost) for s, b in zip(ef.SCENARIOS, blocks))
    achieved = (abs(stats.bound - stats.incumbent) / max(1e-10, abs(stats.incumbent))
                if stats.bound is not None and stats.incumbent is not None else math.nan)
    return StochasticOutcome(measures["risk"], measures["expected"], measures["cvar"], model_risk, stats.bound,
                             stats.seconds, stats.solves, stats.cuts, per, cost, stats.status, achieved)


def first_stage_values(ef_or_model, first_periods: tuple[str, ...]) -> dict[tuple, float]:
    """The first-stage decisions of a solved EF (its shared x) or of a solved deterministic build-out."""
    if hasattr(ef_or_model, "first_keys"):
        return {key: value(ef_or_model.first[i]) for i, key in enumerate(ef_or_model.first_keys)}
    return {key: value(first_stage_var(ef_or_model, key)) for key in first_stage_keys(ef_or_model, first_periods)}
