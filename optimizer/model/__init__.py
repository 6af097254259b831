"""The Pyomo MILP: sets, parameters, variables, constraints and objective."""

from optimizer.model.build import build_model

__all__ = ["build_model"]
