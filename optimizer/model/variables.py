"""Decision variables, in model units (``optimizer.units``)."""

from __future__ import annotations

import pyomo.core as pyo

NONNEG = pyo.NonNegativeReals


def define_variables(m: pyo.ConcreteModel) -> None:
    m.sites_built = pyo.Var(m.SITES, domain=pyo.NonNegativeIntegers, doc="sites built [sites]")
    m.pick = pyo.Var(m.CONFIGS, domain=pyo.Binary, doc="1 for the chosen (model, thinking) pair")
    m.pretrain_nodes = pyo.Var(m.HARDWARE, m.SITES, domain=NONNEG, doc="pre-training fleet [1e3 nodes]")
    m.rl_nodes = pyo.Var(m.HARDWARE, m.SITES, domain=NONNEG, doc="RL fleet [1e3 nodes]")
    m.serve_nodes = pyo.Var(m.HARDWARE, m.SITES, m.CONFIGS, domain=NONNEG, doc="serving fleet [1e3 nodes]")
    m.served_users = pyo.Var(m.HARDWARE, m.SITES, m.CONFIGS, domain=NONNEG, doc="users served [1e6 users]")
    m.tokens = pyo.Var(m.MODELS, domain=NONNEG, doc="pre-training tokens of each menu model [1e12 tokens]")
    m.synthetic_tokens = pyo.Var(domain=NONNEG, doc="synthetic tokens generated [1e12 tokens]")
    m.effective_tokens = pyo.Var(domain=NONNEG, doc="repetition-discounted tokens D' [1e12 tokens]")
    m.data_loss = pyo.Var(domain=NONNEG, doc="data term B/D'^beta of the loss [nats]")
    m.rl_flop = pyo.Var(domain=NONNEG, doc="RL post-training compute [1e24 FLOP]")
    m.rl_effective_flop = pyo.Var(domain=NONNEG, doc="RL compute at the reference model size [1e24 FLOP]")
    m.rl_score = pyo.Var(bounds=(0, 1), doc="fraction of the ScaleRL gain reached [-]")
