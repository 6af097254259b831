"""Turn a solved model into a ``Plan``: tables in scenario units (USD, tokens, FLOP, MW, nodes), kept as rows
(``Records``) and read as pandas DataFrames (``plan.fleet``, ``plan.tables()``) on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyomo.core as pyo

from optimizer import laws, units
from optimizer.model.costs import fleet_mw
from optimizer.model.exact import value as v
from optimizer.model.objective import reference_loss
from optimizer.records import Records
from optimizer.schema import Scenario
from optimizer.solver import SolveOutcome

if TYPE_CHECKING:
    import pandas as pd

ROLES = {"pre-training": "pretrain_nodes", "rl": "rl_nodes"}
PLAN_TABLES = ("workloads", "fleet", "sites", "serving", "capability", "approximation", "marginals")


class TableView:
    """``plan.<table>``: that table as a pandas DataFrame, built from its rows on first use and kept."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, plan, owner=None):
        return self if plan is None else plan.frame(self.name)


@dataclass
class Plan:
    """An optimal allocation plan and everything needed to read or export it. ``records`` holds each of
    ``PLAN_TABLES`` as rows; ``plan.workloads``, ``plan.fleet``, ... are the same tables as DataFrames."""

    scenario: Scenario
    outcome: SolveOutcome
    summary: dict
    records: dict[str, Records]
    _frames: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    workloads, fleet, sites, serving = TableView(), TableView(), TableView(), TableView()
    capability, approximation, marginals = TableView(), TableView(), TableView()

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self.records[name].frame()
        return self._frames[name]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.frame(name) for name in PLAN_TABLES}

    def save(self, out: str | Path, *, force: bool = False) -> list[Path]:
        """Write the tables (CSV, Parquet), ``plan.json`` with provenance and ``report.html`` to ``out``."""
        from optimizer.export import write_plan

        return write_plan(self, out, force=force)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<Plan {s['scenario']}: {s['objective']} {s['status']}, capability {s['capability_index']:.4f}, "
                f"cost ${s['total_cost_usd'] / 1e9:.1f}B, {s['served_model']} at {s['thinking']} thinking>")



def read_plan(path: Path) -> Plan:
    """Read a plan written by ``Plan.save``: ``path`` is its directory or its ``plan.json``."""
    import json

    from optimizer.errors import OptimizerError
    from optimizer.scenario import validate_scenario

    document_path = path / "plan.json" if path.is_dir() else path
    where = str(document_path)
    try:
        document = json.loads(document_path.read_text(encoding="utf-8"))
        summary, raw_tables = document["summary"], document["tables"]
        sc = validate_scenario(document["scenario"], where)
    except FileNotFoundError:
        raise OptimizerError(f"({where}, -) | no saved plan here. Fix: give the --out directory of "
                             "`optimizer solve` or of plan.save()") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise OptimizerError(f"({where}, -) | not a plan written by this tool ({type(exc).__name__}: {exc}). "
                             "Fix: give the plan.json of `optimizer solve --out`") from None
    if summary.get("kind") == "buildout":
        import pandas as pd

        from optimizer.buildout.results import TABLES, BuildoutPlan
        from optimizer.buildout.solve import BuildoutOutcome

        tables = {name: pd.DataFrame(raw_tables.get(name, [])) for name in TABLES}
        duals = dict(zip(tables["marginals"].get("constraint", []), tables["marginals"].get("marginal_value", [])))
        outcome = BuildoutOutcome(summary["status"], summary["objective_value"], summary["capability_index_model"],
                                  None, summary.get("solve_seconds", 0.0), summary.get("refinement_cuts", 0),
                                  summary.get("refinement_solves", 0), {k: float(v) for k, v in duals.items()})
        return BuildoutPlan(sc, outcome, summary, **tables)
    records = {name: Records.of(raw_tables.get(name, [])) for name in PLAN_TABLES}
    duals = dict(zip(records["marginals"].column("constraint"), records["marginals"].column("marginal_value")))
    outcome = SolveOutcome(summary["status"], summary["objective_value"], None, summary.get("solve_seconds", 0.0),
                           {k: float(v) for k, v in duals.items()})
    return Plan(sc, outcome, summary, records)


def chosen(m) -> tuple[str, str]:
    """The (model, thinking) pair picked by the solver."""
    return max(m.CONFIGS, key=lambda c: v(m.pick[c]))


def extract_plan(m: pyo.ConcreteModel, outcome: SolveOutcome) -> Plan:
    sc: Scenario = m.scenario
    fleet = fleet_table(m)
    records = {"workloads": workload_table(m, fleet), "fleet": fleet, "sites": site_table(m),
               "serving": serving_table(m), "capability": capability_table(m),
               "approximation": approximation_table(m), "marginals": marginal_table(m, outcome)}
    return Plan(sc, outcome, summarise(m, outcome), records)


def pretraining_tokens(m) -> float:
    """Pre-training tokens D of the chosen model [tokens]."""
    return sum(v(m.tokens[k]) for k in m.MODELS) * units.TOKENS


def fleet_rows(m):
    """(role, hardware, site, config or '', nodes [1e3]) for every positive fleet variable."""
    for role, name in ROLES.items():
        var = getattr(m, name)
        for h in m.HARDWARE:
            for s in m.SITES:
                yield role, h, s, "", v(var[h, s])
    for h in m.HARDWARE:
        for s in m.SITES:
            for c in m.CONFIGS:
                yield "inference", h, s, f"{c[0]} @ {c[1]}", v(m.serve_nodes[h, s, c])


def fleet_table(m) -> Records:
    """One row per (role, hardware, site) with nodes, accelerators, facility MW and hardware capex."""
    rows = []
    for role, h, s, config, knodes in fleet_rows(m):
        if knodes <= 1e-9:
            continue
        hw, site = m.scenario.hardware[h], m.scenario.sites[s]
        rows.append({
            "role": role, "hardware": h, "site": s, "serving": config, "nodes": knodes * units.NODES,
            "accelerators": knodes * units.NODES * hw.gpus_per_node, "facility_mw": v(fleet_mw(m, h, s, knodes)),
            "hardware_capex_usd": knodes * units.NODES * hw.node_capex_usd * (1 + site.fabric_capex_fraction),
        })
    return Records.of(rows, ["role", "hardware", "site", "serving", "nodes", "accelerators", "facility_mw",
                             "hardware_capex_usd"])


def serving_table(m) -> Records:
    """The chosen (model, thinking) on each hardware: replica size, each limit's users, the binding one,
    and the serving nodes the plan buys there."""
    from optimizer.replicas import replica

    model, thinking = chosen(m)
    rows = []
    for h in m.HARDWARE:
        rep = replica(m.scenario, h, model, m.thinking_options[thinking]).row()
        rep["nodes_in_plan"] = sum(v(m.serve_nodes[h, s, model, thinking]) for s in m.SITES) * units.NODES
        rows.append(rep)
    return Records.of(rows)


def workload_table(m, fleet: Records) -> Records:
    """Spend per workload (pre-training, RL, inference, sites) and its share of the budget; ``fleet`` is
    ``fleet_table(m)``."""
    budget = m.scenario.budget_usd
    spend = {"pre-training": v(m.cost_pretraining), "rl": v(m.cost_rl), "inference": v(m.cost_inference),
             "sites (facility + opex)": v(m.cost_sites)}
    spend["unspent"] = max(budget / units.USD - sum(spend.values()), 0.0)
    rows = []
    for name, cost in spend.items():
        part = [row for row in fleet.rows if row["role"] == name.split(" ")[0]]
        rows.append({"workload": name, "spend_usd": cost * units.USD, "share_of_budget": cost * units.USD / budget,
                     **{col: sum(row[col] for row in part) for col in ("nodes", "accelerators", "facility_mw")}})
    return Records.of(rows)


def site_table(m) -> Records:
    """Sites built per type, power built and used."""
    rows = []
    for s in m.SITES:
        site = m.scenario.sites[s]
        built = round(v(m.sites_built[s]))
        used = sum(v(fleet_mw(m, h, s, v(m.pretrain_nodes[h, s]) + v(m.rl_nodes[h, s])
                              + sum(v(m.serve_nodes[h, s, c]) for c in m.CONFIGS))) for h in m.HARDWARE)
        rows.append({"site": s, "coherent_training": site.coherent_training, "built": built,
                     "power_mw_built": built * site.power_mw, "power_mw_used": used,
                     "utilisation": used / (built * site.power_mw) if built else 0.0})
    return Records.of(rows)


def capability_table(m) -> Records:
    """Each component's weight, exact-law score and contribution (weight x score); the model's score beside it."""
    exact = true_values(m)
    parts = (("pre-training", m.p_capability_weight_pretraining, exact["k_pretraining"], m.k_pretraining),
             ("rl", m.p_capability_weight_rl, exact["k_rl"], m.k_rl),
             ("test-time", m.p_capability_weight_test_time, exact["k_test_time"], m.k_test_time))
    return Records.of({"component": name, "weight": v(weight), "score": score, "contribution": v(weight) * score,
                       "model_score": v(model_score)} for name, weight, score, model_score in parts)


def true_values(m) -> dict[str, float]:
    """The exact laws evaluated at the solution (the model holds their tangent approximations)."""
    from optimizer.model.exact import exact_values

    return exact_values(m)


def approximation_table(m) -> Records:
    """A-priori error bound of each approximated term, and model vs exact value at the solution."""
    exact = true_values(m)
    approx = m.approximations
    at_solution = {
        approx.data_loss.name: (v(m.data_loss), exact["data_loss_at_model_tokens"]),
        approx.repetition.name: (v(m.effective_tokens) * units.TOKENS / exact["stock"],
                                 exact["effective_tokens"] / exact["stock"]),
        approx.rl.name: (v(m.rl_score), exact["rl_score"]),
    }
    if approx.rl_convex is not None:
        at_solution[approx.rl_convex.name] = (v(m.rl_score), exact["rl_score"])
    rows = []
    for row in approx.table():
        model_value, true_value = at_solution[row["term"]]
        rows.append({**row, "model_value": model_value, "exact_value": true_value,
                     "error_at_solution": model_value - true_value})
    rows.append({"term": "pre-training loss L(N, D') [nats]", "method": "composition of the above",
                 "pieces": None, "domain_low": None, "domain_high": None, "max_error": None,
                 "model_value": v(m.loss), "exact_value": exact["loss"],
                 "error_at_solution": v(m.loss) - exact["loss"]})
    rows.append({"term": "capability index K [-]", "method": "weighted sum of the above",
                 "pieces": None, "domain_low": None, "domain_high": None, "max_error": None,
                 "model_value": v(m.capability), "exact_value": exact["capability"],
                 "error_at_solution": v(m.capability) - exact["capability"]})
    return Records.of(rows)


def marginal_table(m, outcome: SolveOutcome) -> Records:
    """Duals in readable units: objective change per +$1B budget, +1 MW per campus of a site type
    (``sites.s.power_mw``), +1T unique tokens."""
    units_of = {"budget": "objective per +1e9 USD", "unique_data": "objective per +1e12 unique tokens",
                "capability_floor": "1e9 USD per +1 capability index"}
    power = "objective per +1 MW of sites.*.power_mw (every campus built)"
    rows = [{"constraint": k, "marginal_value": value, "unit": units_of.get(k, power)}
            for k, value in outcome.duals.items()]
    return Records.of(rows, ["constraint", "marginal_value", "unit"])


def summarise(m, outcome: SolveOutcome) -> dict:
    """Headline numbers of the plan (scenario units)."""
    sc: Scenario = m.scenario
    model, thinking = chosen(m)
    params = sc.models[model].params
    active = sc.models[model].active
    tokens = pretraining_tokens(m)
    flop = 6 * active * tokens
    n_opt, d_opt = laws.compute_optimal(flop, sc.loss_law)
    exact = true_values(m)
    option = m.thinking_options[thinking]
    multiplier = option.factor if option.shape == "sequential" else 1.0
    return {
        "scenario": sc.name,
        "objective": sc.objective,
        "status": outcome.status,
        "objective_value": outcome.objective,
        "capability_index": exact["capability"],
        "capability_index_model": v(m.capability),
        "capability_target": sc.capability_target if sc.objective == "min_cost" else None,
        "refinement_cuts": outcome.refinement_cuts,
        "refinement_solves": outcome.refinement_solves,
        "total_cost_usd": v(m.total_cost) * units.USD,
        "budget_usd": sc.budget_usd,
        "served_model": model,
        "model_params": params,
        "model_active_params": active,
        "thinking": option.label,
        "thinking_shape": option.shape,
        "thinking_multiplier": multiplier,
        "parallel_samples": option.factor if option.shape == "parallel" else 1.0,
        "pretraining_tokens": tokens,
        "tokens_per_param": tokens / params,
        "epochs_over_unique_stock": tokens / (sc.data.unique_tokens + v(m.synthetic_tokens) * units.TOKENS),
        "synthetic_tokens": v(m.synthetic_tokens) * units.TOKENS,
        "pretraining_flop": flop,
        "compute_optimal_params_at_this_flop": n_opt,
        "compute_optimal_tokens_at_this_flop": d_opt,
        "loss_model": v(m.loss),
        "loss_exact": exact["loss"],
        "reference_loss": reference_loss(sc),
        "rl_flop": v(m.rl_flop) * units.FLOP,
        "rl_pass_rate": sc.rl.initial_pass_rate
        + (sc.rl.asymptote_pass_rate - sc.rl.initial_pass_rate) * exact["rl_score"],
        "test_time_gain_pp": option.gain_pp(sc.test_time),
        "sites_built": {s: round(v(m.sites_built[s])) for s in m.SITES},
        "serving_tokens_per_s": sc.inference.concurrent_users
        * option.output_rate(sc.inference.tokens_per_second_per_user),
        "solve_seconds": outcome.seconds,
    }


def point_row(m, outcome: SolveOutcome) -> dict:
    """One sweep row: status, objective, allocation by workload/site/role, and the duals."""
    model, thinking = chosen(m)
    row = {
        "status": outcome.status,
        "objective_value": outcome.objective,
        "capability_index": true_values(m)["capability"],
        "capability_index_model": v(m.capability),
        "refinement_cuts": outcome.refinement_cuts,
        "total_cost_usd": v(m.total_cost) * units.USD,
        "served_model": model,
        "thinking": thinking,
        "pretraining_tokens": pretraining_tokens(m),
        "synthetic_tokens": v(m.synthetic_tokens) * units.TOKENS,
        "rl_flop": v(m.rl_flop) * units.FLOP,
        "loss_model": v(m.loss),
        "spend_pretraining_usd": v(m.cost_pretraining) * units.USD,
        "spend_rl_usd": v(m.cost_rl) * units.USD,
        "spend_inference_usd": v(m.cost_inference) * units.USD,
        "spend_sites_usd": v(m.cost_sites) * units.USD,
        "solve_seconds": outcome.seconds,
    }
    for s in m.SITES:
        row[f"sites_built:{s}"] = round(v(m.sites_built[s]))
    for role, h, _s, _c, knodes in fleet_rows(m):
        key = f"nodes:{role}:{h}"
        row[key] = row.get(key, 0.0) + max(knodes, 0.0) * units.NODES  # HiGHS may leave -1e-10 on a zero column
    for name, value in outcome.duals.items():
        row[f"dual:{name}"] = value
    return row
