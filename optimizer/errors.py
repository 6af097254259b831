"""Errors a user can act on. Each message starts with where: ``(file, key) | ...``."""

from __future__ import annotations


class OptimizerError(Exception):
    """Base class: the CLI prints these without a stack trace."""


class ScenarioError(OptimizerError):
    """A scenario file or override is malformed, unknown or out of range."""

    def __init__(self, where: str, key: str, problem: str, fix: str):
        self.where, self.key, self.problem, self.fix = where, key, problem, fix
        super().__init__(f"({where}, {key}) | {problem}. Fix: {fix}")


class InfeasibleError(OptimizerError):
    """The scenario has no feasible plan; ``conflict`` names the constraints that clash."""

    def __init__(self, scenario: str, conflict: list[str], detail: str = ""):
        self.scenario, self.conflict = scenario, conflict
        lines = [f"({scenario}, constraints) | the scenario is infeasible."]
        if conflict:
            lines.append("These constraints cannot all hold together:")
            lines += [f"  - {c}" for c in conflict]
        if detail:
            lines.append(detail)
        lines.append("Fix: relax one of them (raise the budget or site limits, lower demand, "
                     "allow more hardware or models) and solve again.")
        super().__init__("\n".join(lines))


class SolveError(OptimizerError):
    """HiGHS stopped without a proven optimal plan (time limit, unbounded, numerical trouble)."""
