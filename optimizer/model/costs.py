"""Cost expressions [1e9 USD] over the horizon, one per workload and one for the sites.

* sites:      sum_s built_s * MW_s * (capex_per_MW_s + opex_per_MW_year_s * horizon)
* hardware:   nodes * price_h * (1 + fabric_s)  (fabric premium only at coherent-training sites)
* energy:     nodes * kW_h * PUE_s * hours * USD_per_MWh_s  (1e3 nodes x kW = MW)
  with hours = pre-training days * 24, RL days * 24, or the horizon for serving
* synthetic:  tokens * USD_per_1e6_tokens
"""

from __future__ import annotations

import pyomo.core as pyo

from optimizer import units


def fleet_mw(m, h, s, nodes) -> object:
    """Facility MW drawn by ``nodes`` [1e3 nodes] of hardware h at site type s."""
    return nodes * m.hw_node_power_kw[h] * m.site_pue[s]


def node_price(m, h, s) -> object:
    """Price of 1e3 nodes of h at s [1e9 USD], with the training-fabric premium."""
    return m.hw_node_capex_usd[h] * units.NODES / units.USD * (1 + m.site_fabric_capex_fraction[s])


def energy_price(m, s) -> object:
    """Cost of 1 MW for one hour at s [1e9 USD]."""
    return m.site_electricity_usd_per_mwh[s] / units.USD


def define_costs(m: pyo.ConcreteModel) -> None:
    hours_pre = m.p_pretraining_duration_days * 24
    hours_rl = m.p_rl_duration_days * 24
    hours_serve = m.p_horizon_years * units.HOURS_PER_YEAR

    def fleet_cost(nodes, hours):
        return sum(node_price(m, h, s) * nodes[h, s] + fleet_mw(m, h, s, nodes[h, s]) * hours * energy_price(m, s)
                   for h in m.HARDWARE for s in m.SITES)

    serve = {(h, s): sum(m.serve_nodes[h, s, c] for c in m.CONFIGS) for h in m.HARDWARE for s in m.SITES}
    m.cost_sites = pyo.Expression(expr=sum(
        m.sites_built[s] * m.site_power_mw[s]
        * (m.site_facility_capex_usd_per_mw[s] + m.site_opex_usd_per_mw_year[s] * m.p_horizon_years) / units.USD
        for s in m.SITES), doc="site capex + non-energy opex [1e9 USD]")
    m.cost_synthetic = pyo.Expression(
        expr=m.synthetic_tokens * units.TOKENS / 1e6 * m.p_data_synthetic_usd_per_million_tokens / units.USD,
        doc="synthetic data [1e9 USD]")
    m.cost_pretraining = pyo.Expression(expr=fleet_cost(m.pretrain_nodes, hours_pre) + m.cost_synthetic,
                                        doc="pre-training nodes, energy and synthetic data [1e9 USD]")
    m.cost_rl = pyo.Expression(expr=fleet_cost(m.rl_nodes, hours_rl), doc="RL nodes and energy [1e9 USD]")
    m.cost_inference = pyo.Expression(expr=fleet_cost(serve, hours_serve),
                                      doc="serving nodes and energy over the horizon [1e9 USD]")
    m.total_cost = pyo.Expression(expr=m.cost_sites + m.cost_pretraining + m.cost_rl + m.cost_inference,
                                  doc="total spend [1e9 USD]")
