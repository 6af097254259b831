"""``build_model``: the whole MILP, assembled concern by concern (PyPSA style)."""

from __future__ import annotations

from collections.abc import Collection

# ``pyomo.core``, not ``pyomo.environ``: environ loads every plugin (solvers, DAE, GDP, ...) and costs ~0.2 s
# per process; the model needs only the modelling layer (docs/benchmarks.md, "A single CLI solve").
import pyomo.core as pyo

from optimizer.model import constraints as con
from optimizer.model.approximations import Approximations, build_approximations
from optimizer.model.costs import define_costs
from optimizer.model.law_params import define_law_params
from optimizer.model.objective import define_capability, define_objectives
from optimizer.model.params import define_params
from optimizer.model.sets import define_sets
from optimizer.model.variables import define_variables
from optimizer.schema import Scenario


def build_model(sc: Scenario, approx: Approximations | None = None, *,
                mutable: Collection[str] | None = None) -> pyo.ConcreteModel:
    """Sets, params, variables, costs, then one ``add_*`` per concern, then the objective.

    ``mutable``: the scenario paths a sweep will change (None: every path ``model/params.py`` lists)."""
    approx = approx or build_approximations(sc)
    m = pyo.ConcreteModel(name=sc.name)
    m.scenario = sc
    m.approximations = approx
    define_sets(m, sc)
    define_params(m, sc, mutable)
    define_law_params(m, sc, approx, mutable)
    define_variables(m)
    define_costs(m)
    con.add_site_limits(m)
    con.add_power(m)
    con.add_coherent_run(m)
    con.add_pretraining_compute(m, sc)
    con.add_rl_compute(m, sc)
    con.add_model_choice(m, sc)
    con.add_data(m)
    con.add_loss(m)
    con.add_rl_score(m, approx)
    con.add_demand(m)
    con.add_serving(m, sc)
    con.add_budget(m)
    define_capability(m, sc)
    define_objectives(m, sc)
    return m
