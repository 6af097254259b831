"""Index sets: hardware, site types, served models, thinking options and their pairs."""

from __future__ import annotations

import pyomo.core as pyo

from optimizer.schema import Scenario
from optimizer.thinking import options


def thinking_label(multiplier: float) -> str:
    """Set member for a sequential thinking multiplier, e.g. 5.0 -> '5x' (best-of-n: 'best-of-8')."""
    return f"{multiplier:g}x"


def define_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    m.HARDWARE = pyo.Set(initialize=list(sc.hardware), ordered=True, doc="accelerator node types")
    m.SITES = pyo.Set(initialize=list(sc.sites), ordered=True, doc="site types")
    m.COHERENT = pyo.Set(within=m.SITES, initialize=[s for s, v in sc.sites.items() if v.coherent_training],
                         doc="site types with a coherent-training fabric")
    m.INFERENCE_ONLY = pyo.Set(within=m.SITES, initialize=[s for s, v in sc.sites.items() if not v.coherent_training],
                               doc="site types without a training fabric")
    m.MODELS = pyo.Set(initialize=list(sc.models), ordered=True, doc="served-model menu")
    m.thinking_options = {option.label: option for option in options(sc.test_time)}
    m.THINKING = pyo.Set(initialize=list(m.thinking_options), ordered=True,
                         doc="thinking-multiplier menu")
    m.CONFIGS = pyo.Set(initialize=m.MODELS * m.THINKING, ordered=True, doc="(model, thinking) serving choices")
