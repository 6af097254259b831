"""A solved build-out as tidy tables: every row carries its period (and site, hardware, role...).

Units are the scenario's: USD, tokens, FLOP, MW, nodes, users. Capability numbers are exact-law values;
the model's own are beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyomo.core as pyo

from optimizer import units
from optimizer.buildout.costs import fleet_mw, node_price, run_flop
from optimizer.buildout.solve import BuildoutOutcome, chosen_host, chosen_model, chosen_option, exact_values, value
from optimizer.schema import Scenario

TABLES = ("periods", "releases", "fleet", "sites", "costs", "approximation", "marginals")
EPS = 1e-9


@dataclass
class BuildoutPlan:
    """An optimal multi-period plan; ``tables()`` and ``save()`` as for a one-period ``Plan``."""

    scenario: Scenario
    outcome: BuildoutOutcome
    summary: dict
    periods: pd.DataFrame
    releases: pd.DataFrame
    fleet: pd.DataFrame
    sites: pd.DataFrame
    costs: pd.DataFrame
    approximation: pd.DataFrame
    marginals: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def save(self, out: str | Path, *, force: bool = False) -> list[Path]:
        """Write the tables (CSV, Parquet), ``plan.json`` and ``report.html`` to ``out``."""
        from optimizer.export import write_plan

        return write_plan(self, out, force=force)

    def __repr__(self) -> str:
        s, count = self.summary, len(self.periods)
        return (f"<BuildoutPlan {s['scenario']}: {s['objective']} {s['status']}, {count} period{'s' * (count != 1)}, "
                f"final capability {s['final_capability']:.4f}, discounted cost ${s['total_cost_usd'] / 1e9:.1f}B>")


def extract_buildout(m: pyo.ConcreteModel, outcome: BuildoutOutcome) -> BuildoutPlan:
    exact = exact_values(m)
    tables = {"periods": period_table(m, exact), "releases": release_table(m, exact), "fleet": fleet_table(m),
              "sites": site_table(m), "costs": cost_table(m), "approximation": approximation_table(m, exact),
              "marginals": marginal_table(outcome)}
    return BuildoutPlan(m.scenario, outcome, summarise(m, outcome, exact, tables), **tables)


def period_table(m, exact: dict) -> pd.DataFrame:
    sc, line = m.scenario, m.timeline
    rows = []
    for p in line.periods:
        k, t = chosen_option(m, p)
        r = line.served_release[p]
        ex = exact["releases"][r]
        rows.append({
            "period": p, "years": line.length[p], "release_served": r, "model": k, "thinking": t,
            "capability": exact["periods"][p], "capability_model": value(m.capability[p]),
            "k_pretraining": ex["k_pretraining"], "k_rl": ex["k_rl"], "k_test_time": value(m.k_test_time[p]),
            "concurrent_users": line.users(p),
            "capex_usd": value(m.capex[p]) * units.USD, "opex_usd": value(m.cost_opex[p]) * units.USD,
            "energy_usd": value(m.cost_energy[p]) * units.USD,
            "synthetic_usd": value(m.cost_synthetic[p]) * units.USD,
            "budget_usd": sc.periods[p].budget_usd, "discount_factor": line.discount[p],
            "objective_weight": m.period_weight[p],
            "sites_powered": sum(value(m.sites_online[s, p]) for s in m.SITES),
            "mw_powered": sum(value(m.sites_online[s, p]) * sc.sites[s].power_mw for s in m.SITES),
            "mw_installed": sum(value(fleet_mw(m, h, s, m.installed[h, s, p])) for h in m.HARDWARE for s in m.SITES),
        })
    return pd.DataFrame(rows)


def release_table(m, exact: dict) -> pd.DataFrame:
    sc, line = m.scenario, m.timeline
    rows = []
    for r in line.releases:
        k = chosen_model(m, r)
        ex = exact["releases"][r]
        host = chosen_host(m, r)
        pre = sum(value(m.pretrain_nodes[h, s, r2]) for (h, s, r2) in m.PRE_RUNS if r2 == r) * units.NODES
        rl = sum(value(m.rl_nodes[h, s, r2]) for (h, s, r2) in m.RL_RUNS if r2 == r) * units.NODES
        rl_sites = sorted({s for (h, s, r2) in m.RL_RUNS if r2 == r and value(m.rl_nodes[h, s, r2]) > EPS})
        rows.append({
            "release": r, "host_site": host, "rl_sites": ",".join(rl_sites), "model": k,
            "params": sc.models[k].params, "tokens": ex["tokens"],
            "tokens_per_param": ex["tokens"] / sc.models[k].params,
            "synthetic_tokens": value(m.synthetic_tokens[r]) * units.TOKENS, "effective_tokens": ex["effective_tokens"],
            "algorithmic_multiplier": line.algorithmic_multiplier(r),
            "pretraining_flop": 6 * sc.models[k].active * ex["tokens"],
            "pretraining_flop_capacity": sum(run_flop(sc, h, sc.pretraining.duration_days, sc.pretraining.mfu)
                                             * value(m.pretrain_nodes[h, s, r2]) for (h, s, r2) in m.PRE_RUNS
                                             if r2 == r) * units.FLOP,
            "rl_flop": value(m.rl_flop[r]) * units.FLOP,
            "loss": ex["loss"], "loss_model": value(m.loss[r]), "k_pretraining": ex["k_pretraining"],
            "k_rl": ex["k_rl"],
            "rl_pass_rate": sc.rl.initial_pass_rate
            + (sc.rl.asymptote_pass_rate - sc.rl.initial_pass_rate) * ex["k_rl"],
            "pretraining_nodes": pre, "rl_nodes": rl,
        })
    return pd.DataFrame(rows)


def fleet_table(m) -> pd.DataFrame:
    """One row per (period, site, hardware, role) with nodes > 0: installed, bought, and what they do."""
    rows = []
    bought = {(h, s, b): value(m.buy[h, s, b]) for (h, s, b) in m.BUYS}
    pre = {key: value(m.pretrain_nodes[key]) for key in m.PRE_RUNS}
    rl = {key: value(m.rl_nodes[key]) for key in m.RL_RUNS}
    for p in m.PERIODS:
        for s in m.SITES:
            for h in m.HARDWARE:
                installed = value(m.installed[h, s, p])
                roles = {"installed": installed, "bought": bought.get((h, s, p), 0.0),
                         "pre-training": pre.get((h, s, p), 0.0), "rl": rl.get((h, s, p), 0.0),
                         "serving": value(m.serve_nodes[h, s, p])}
                for role, knodes in roles.items():
                    if knodes > EPS:
                        rows.append({"period": p, "site": s, "hardware": h, "role": role, "nodes": knodes * units.NODES,
                                     "mw": value(fleet_mw(m, h, s, knodes))})
    return pd.DataFrame(rows, columns=["period", "site", "hardware", "role", "nodes", "mw"])


def site_table(m) -> pd.DataFrame:
    sc = m.scenario
    rows = []
    for p in m.PERIODS:
        for s in m.SITES:
            powered = value(m.sites_online[s, p])
            started = value(m.start[s, p]) if (s, p) in m.STARTS else 0.0
            used = sum(value(fleet_mw(m, h, s, m.installed[h, s, p])) for h in m.HARDWARE)
            if powered > EPS or started > EPS:
                rows.append({"period": p, "site": s, "region": sc.sites[s].region,
                             "coherent_training": sc.sites[s].coherent_training, "started": round(started),
                             "powered": round(powered), "mw_powered": powered * sc.sites[s].power_mw,
                             "mw_installed": used,
                             "hosts_release": p in m.RELEASES and s in m.COHERENT and value(m.host[p, s]) > 0.5})
    return pd.DataFrame(rows, columns=["period", "site", "region", "coherent_training", "started", "powered",
                                       "mw_powered", "mw_installed", "hosts_release"])


def cost_table(m) -> pd.DataFrame:
    """Cash by (period, category), hardware by generation; and each row discounted."""
    line = m.timeline
    rows = []
    for p in m.PERIODS:
        d, w, years = line.discount[p], line.weight[p], line.length[p]
        parts = {"sites": (value(m.cost_sites[p]), d)}
        for h in m.HARDWARE:
            spent = sum(value(m.buy[h, s, p]) * value(node_price(m, h, s, line.year[p]))
                        for s in m.SITES if (h, s, p) in m.BUYS)
            if spent > EPS:
                parts[f"hardware:{h}"] = (spent, d)
        parts["opex"] = (value(m.cost_opex[p]), w / years)
        serving = value(m.serving_energy_per_year[p]) * years
        parts["energy:serving"] = (serving, w / years)
        parts["energy:runs"] = (value(m.run_energy[p]), d)
        parts["synthetic"] = (value(m.cost_synthetic[p]), d)
        for category, (cash, factor) in parts.items():
            if cash > EPS:
                rows.append({"period": p, "category": category, "cash_usd": cash * units.USD,
                             "discounted_usd": cash * factor * units.USD})
    remaining = value(m.remaining_value)
    if remaining > EPS:
        rows.append({"period": str(line.end_year), "category": "remaining value", "cash_usd": float("nan"),
                     "discounted_usd": -remaining * units.USD})
    return pd.DataFrame(rows, columns=["period", "category", "cash_usd", "discounted_usd"])


def approximation_table(m, exact: dict) -> pd.DataFrame:
    """Per release and term: the model's value, the exact law's at the plan, and the difference."""
    import math

    from optimizer import laws

    sc, line = m.scenario, m.timeline
    rows = []
    for r, ex in exact["releases"].items():
        root_g = math.sqrt(line.algorithmic_multiplier(r))
        model_d = value(m.effective_tokens[r])
        terms = [
            ("effective tokens D' [tokens]", model_d * units.TOKENS, ex["effective_tokens"]),
            ("data term B/(sqrt(g) D')^beta at the model's D' [nats]", value(m.data_loss[r]),
             float(laws.data_term(root_g * model_d * units.TOKENS, sc.loss_law)) if model_d > 0 else math.inf),
            ("loss [nats]", value(m.loss[r]), ex["loss"]),
            ("RL gain fraction [-]", value(m.rl_score[r]), ex["k_rl"]),
        ]
        rows += [{"release": r, "term": term, "model": mv, "exact": xv, "error": mv - xv} for term, mv, xv in terms]
    for p in line.periods:
        rows.append({"release": line.served_release[p], "term": f"capability K in {p} [-]",
                     "model": value(m.capability[p]), "exact": exact["periods"][p],
                     "error": value(m.capability[p]) - exact["periods"][p]})
    return pd.DataFrame(rows, columns=["release", "term", "model", "exact", "error"])


UNITS = {"budget": "objective per +1e9 USD of discounted budget", "period_budget": "objective per +1e9 USD of capex",
         "power": "objective per +1 MW of sites.s.power_mw", "demand": "objective per +1e6 concurrent users",
         "data_stock": "objective per +1e12 tokens of stock x max_epochs"}


def marginal_table(outcome: BuildoutOutcome) -> pd.DataFrame:
    rows = [{"constraint": name, "marginal_value": v, "unit": UNITS[name.split("[")[0]]}
            for name, v in outcome.duals.items()]
    return pd.DataFrame(rows, columns=["constraint", "marginal_value", "unit"])


def summarise(m, outcome: BuildoutOutcome, exact: dict, tables: dict) -> dict:
    sc, line = m.scenario, m.timeline
    periods = tables["periods"]
    last = line.periods[-1]
    return {
        "kind": "buildout",
        "scenario": sc.name,
        "objective": sc.objective,
        "status": outcome.status,
        "objective_value": outcome.objective,
        "capability_index": exact["capability"],
        "capability_index_model": value(m.capability_value),
        "final_capability": exact["periods"][last],
        "refinement_cuts": outcome.refinement_cuts,
        "refinement_solves": outcome.refinement_solves,
        "total_cost_usd": value(m.total_cost) * units.USD,
        "budget_usd": sc.budget_usd,
        "capex_usd": float(periods["capex_usd"].sum()),
        "remaining_value_usd": value(m.remaining_value) * units.USD,
        "discount_rate": line.settings.discount_rate,
        "periods": list(line.periods),
        "releases": {r: {"model": chosen_model(m, r),
                         "host": chosen_host(m, r)}
                     for r in line.releases},
        "capability_by_period": {p: exact["periods"][p] for p in line.periods},
        "solve_seconds": outcome.seconds,
    }


def point_row(m, outcome: BuildoutOutcome) -> dict:
    """One sweep row of a build-out: objective, exact capability per period, cost, each release's model and
    host, and the duals."""
    line = m.timeline
    exact = exact_values(m)
    row = {"status": outcome.status, "objective_value": outcome.objective, "capability_index": exact["capability"],
           "capability_index_model": value(m.capability_value), "final_capability": exact["periods"][line.periods[-1]],
           "refinement_cuts": outcome.refinement_cuts, "total_cost_usd": value(m.total_cost) * units.USD,
           "capex_usd": sum(value(m.capex[p]) for p in line.periods) * units.USD,
           "remaining_value_usd": value(m.remaining_value) * units.USD, "solve_seconds": outcome.seconds}
    for p in line.periods:
        row[f"capability:{p}"] = exact["periods"][p]
        row[f"capex:{p}"] = value(m.capex[p]) * units.USD
        row[f"thinking:{p}"] = chosen_option(m, p)[1]
        row[f"sites_online:{p}"] = sum(value(m.sites_online[s, p]) for s in m.SITES)
        row[f"nodes_installed:{p}"] = sum(value(m.installed[h, s, p]) for h in m.HARDWARE
                                          for s in m.SITES) * units.NODES
        for name in ("sites", "hardware", "opex", "energy", "synthetic"):
            row[f"spend_{name}_usd:{p}"] = value(getattr(m, f"cost_{name}")[p]) * units.USD
    for r in line.releases:
        row[f"model:{r}"] = chosen_model(m, r)
        row[f"host:{r}"] = chosen_host(m, r)
    for s in m.SITES:
        row[f"sites_started:{s}"] = round(sum(value(m.start[s2, b]) for (s2, b) in m.STARTS if s2 == s))
    for h in m.HARDWARE:
        row[f"nodes_bought:{h}"] = sum(value(m.buy[h2, s, b]) for (h2, s, b) in m.BUYS if h2 == h) * units.NODES
    for name, v in outcome.duals.items():
        row[f"dual:{name}"] = v
    return row
