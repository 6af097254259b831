"""Compute Allocation Optimizer: a Pyomo/HiGHS MILP for AI-infrastructure budget planning."""

__version__ = "0.1.0"
