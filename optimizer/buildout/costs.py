"""Costs of a build-out [1e9 USD]: cash by period and category, discounting and remaining value.

Cash in period p (undiscounted):

* sites:      sum_s start[s, p] MW_s capex_per_MW_s                         (at construction start)
* hardware:   sum_{h,s} buy[h, s, p] price_h(y_p) (1 + fabric_s)           (a vintage, at purchase)
* opex:       l_p sum_s online[s, p] MW_s opex_per_MW_year_s               (every powered site, existing too)
* energy:     l_p 8760 sum serve[h, s, p] kW_h PUE_s USD/MWh_s             (serving, all year)
              + sum runs of release p: nodes kW_h PUE_s days 24 USD/MWh_s  (idle nodes draw nothing)
* synthetic:  S_p USD_per_1e6_tokens

Discounted total (PyPSA's weightings): C = sum_p [d(y_p) (sites + hardware + run energy + synthetic)
+ W_p (yearly opex + yearly serving energy)] - RV, with the remaining value
RV = d(Y) [sum start[s, b] MW capex rv(y_b + lead_s, life_s) + sum buy[h, s, b] price (1 + fabric) rv(y_b, life_h)].
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer import units
from optimizer.buildout.data import data
from optimizer.buildout.timeline import Timeline
from optimizer.schema import Scenario

CATEGORIES = ("sites", "hardware", "opex", "energy", "synthetic")


def fleet_mw(m, h, s, nodes) -> object:
    """Facility MW drawn by ``nodes`` [1e3 nodes] of h at s."""
    return nodes * m.scenario.hardware[h].node_power_kw * m.scenario.sites[s].pue


def run_flop(sc: Scenario, h: str, days: float, mfu: float) -> float:
    """FLOP delivered by 1e3 nodes of h over ``days`` at ``mfu`` [1e24 FLOP]."""
    hw = sc.hardware[h]
    peak = hw.bf16_tflops_per_gpu * 1e12 * hw.gpus_per_node * units.NODES
    return peak * mfu * days * units.SECONDS_PER_DAY / units.FLOP


def node_price(m, h: str, s: str, year: int) -> object:
    """1e3 nodes of h bought in ``year`` for site s [1e9 USD], with the training-fabric premium; the list
    price is a swept Param when a sweep changes it in place (``optimizer.buildout.data``)."""
    sc = m.scenario
    hw = sc.hardware[h]
    decline = hw.price_factor(year)
    list_price = data(m, f"hardware.{h}.node_capex_usd", hw.node_capex_usd, units.USD)
    return list_price * decline * units.NODES * (1 + sc.sites[s].fabric_capex_fraction)


def site_capex(m, s: str) -> object:
    """One site of s [1e9 USD]."""
    site = m.scenario.sites[s]
    return site.power_mw * data(m, f"sites.{s}.facility_capex_usd_per_mw", site.facility_capex_usd_per_mw,
                                units.USD)


def energy_price(m, s: str) -> object:
    """1 MW for one hour at s [1e9 USD]."""
    return data(m, f"sites.{s}.electricity_usd_per_mwh", m.scenario.sites[s].electricity_usd_per_mwh, units.USD)


def define_costs(m: pyo.ConcreteModel, line: Timeline) -> None:
    sc = line.scenario
    pre_hours, rl_hours = sc.pretraining.duration_days * 24, sc.rl.duration_days * 24
    year = line.year
    energy = {s: energy_price(m, s) for s in sc.sites}
    opex = {s: data(m, f"sites.{s}.opex_usd_per_mw_year", sc.sites[s].opex_usd_per_mw_year, units.USD)
            for s in sc.sites}

    def sites(m, p):
        return sum(m.start[s, b] * site_capex(m, s) for (s, b) in m.STARTS if b == p)

    def hardware(m, p):
        return sum(m.buy[h, s, b] * node_price(m, h, s, year[p]) for (h, s, b) in m.BUYS if b == p)

    def opex_per_year(m, p):
        return sum(m.sites_online[s, p] * sc.sites[s].power_mw * opex[s] for s in m.SITES)

    def serving_energy_per_year(m, p):
        return sum(fleet_mw(m, h, s, m.serve_nodes[h, s, p]) * units.HOURS_PER_YEAR * energy[s]
                   for h in m.HARDWARE for s in m.SITES)

    def run_energy(m, p):
        if p not in line.releases:
            return 0.0
        return (sum(fleet_mw(m, h, s, m.pretrain_nodes[h, s, r]) * pre_hours * energy[s]
                    for (h, s, r) in m.PRE_RUNS if r == p)
                + sum(fleet_mw(m, h, s, m.rl_nodes[h, s, r]) * rl_hours * energy[s]
                      for (h, s, r) in m.RL_RUNS if r == p))

    synthetic_price = data(m, "data.synthetic_usd_per_million_tokens", sc.data.synthetic_usd_per_million_tokens)

    def synthetic(m, p):
        if p not in line.releases:
            return 0.0
        return m.synthetic_tokens[p] * (units.TOKENS / 1e6 / units.USD) * synthetic_price

    m.cost_sites = pyo.Expression(m.PERIODS, rule=sites, doc="sites started: facility capex [1e9 USD]")
    m.cost_hardware = pyo.Expression(m.PERIODS, rule=hardware, doc="nodes bought [1e9 USD]")
    m.opex_per_year = pyo.Expression(m.PERIODS, rule=opex_per_year, doc="non-energy opex [1e9 USD/year]")
    m.serving_energy_per_year = pyo.Expression(m.PERIODS, rule=serving_energy_per_year,
                                               doc="serving energy [1e9 USD/year]")
    m.run_energy = pyo.Expression(m.PERIODS, rule=run_energy, doc="energy of the period's runs [1e9 USD]")
    m.cost_synthetic = pyo.Expression(m.PERIODS, rule=synthetic, doc="synthetic data [1e9 USD]")
    m.cost_opex = pyo.Expression(m.PERIODS, rule=lambda m, p: m.opex_per_year[p] * line.length[p])
    m.cost_energy = pyo.Expression(m.PERIODS, rule=lambda m, p: m.serving_energy_per_year[p] * line.length[p]
                                   + m.run_energy[p])
    m.capex = pyo.Expression(m.PERIODS, rule=lambda m, p: m.cost_sites[p] + m.cost_hardware[p],
                             doc="capex cash flow of the period [1e9 USD]")
    end = line.discount_at(line.end_year)
    m.remaining_value = pyo.Expression(expr=end * (
        sum(m.start[s, b] * site_capex(m, s) * line.remaining_fraction(year[b] + sc.sites[s].lead_time_years,
                                                                         sc.sites[s].lifetime_years)
            for (s, b) in m.STARTS)
        + sum(m.buy[h, s, b] * node_price(m, h, s, year[b])
              * line.remaining_fraction(year[b], sc.hardware[h].lifetime_years) for (h, s, b) in m.BUYS)),
        doc="straight-line value left at the horizon's end, discounted [1e9 USD]")
    m.total_cost = pyo.Expression(expr=sum(
        line.discount[p] * (m.capex[p] + m.run_energy[p] + m.cost_synthetic[p])
        + line.weight[p] * (m.opex_per_year[p] + m.serving_energy_per_year[p]) for p in m.PERIODS)
        - m.remaining_value, doc="discounted total cost net of remaining value [1e9 USD]")
    m.budget = pyo.Constraint(expr=m.total_cost <= data(m, "budget_usd", sc.budget_usd, units.USD),
                              doc="discounted total cost <= budget_usd")
    capped = [p for p in line.periods if sc.periods[p].budget_usd is not None]
    m.BUDGETED = pyo.Set(within=m.PERIODS, initialize=capped, ordered=True, doc="periods with a capex cap")
    m.period_budget = pyo.Constraint(
        m.BUDGETED, rule=lambda m, p: m.capex[p] <= data(m, f"periods.{p}.budget_usd", sc.periods[p].budget_usd,
                                                         units.USD),
        doc="capex in {0} (sites started and nodes bought) <= periods.{0}.budget_usd")
