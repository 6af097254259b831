"""A ``robust`` run's finished solves, saved as they come in ``--out`` (``points.jsonl``, the sweep journal's
format) so that ``--resume`` solves only what is missing.

Each line is one task: a first stage (``None``: free) solved in one scenario, keyed by the candidate plan's
name, the scenario's index and a hash of the first stage, or the extensive form's first stage (``"ef"``).
The journal's fingerprint pins the scenario and every setting of the run, so a resumed run re-uses only
solves of the same problem. Variable values (an MIP start for the EF) are kept only where asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any


def task_key(plan: str, scenario: int, first: dict[tuple, float] | None) -> str:
    """'plan/scenario/hash of the first stage' (the stochastic plan's x may differ between runs)."""
    text = json.dumps(sorted((list(k), round(v, 9)) for k, v in (first or {}).items()))
    return f"{plan}/{scenario}/{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def encode(result: dict[str, Any], keep_values: bool) -> dict[str, Any]:
    """A solve's result as plain JSON: tuple keys and indices become lists."""
    out = {k: v for k, v in result.items() if k not in ("first", "values")}
    out["first"] = None if result.get("first") is None else [[list(k), v] for k, v in result["first"].items()]
    if keep_values and result.get("values") is not None:
        out["values"] = {name: [[list(i) if isinstance(i, tuple) else i, v] for i, v in values.items()]
                         for name, values in result["values"].items()}
    return out


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """``encode``'s inverse; an infeasible solve's objective is -inf again (JSON has no infinity)."""
    out = {k: v for k, v in row.items() if k not in ("first", "values", "point", "task")}
    if out.get("objective") is None or (isinstance(out["objective"], float) and math.isnan(out["objective"])):
        out["objective"] = -math.inf if out.get("status") == "infeasible" else math.nan
    out["first"] = None if row.get("first") is None else {tuple(k): v for k, v in row["first"]}
    if row.get("values") is not None:
        out["values"] = {name: {tuple(i) if isinstance(i, list) else i: v for i, v in values}
                         for name, values in row["values"].items()}
    return out


class SavedSolves:
    """Finished solves by task key, read from and appended to a ``Journal`` (None: kept in memory only)."""

    def __init__(self, journal=None):
        self.journal = journal
        self.known: dict[str, dict[str, Any]] = {}
        for row in (journal.done.values() if journal else ()):
            self.known[row["task"]] = row
        self.count = len(self.known)

    def get(self, key: str, need_values: bool = False) -> dict[str, Any] | None:
        row = self.known.get(key)
        if row is None or (need_values and row.get("values") is None and row.get("status") != "infeasible"):
            return None
        return decode(row)

    def put(self, key: str, result: dict[str, Any], keep_values: bool = False) -> None:
        row = {"point": self.count, "task": key, **encode(result, keep_values)}
        self.count += 1
        self.known[key] = row
        if self.journal is not None:
            self.journal.add([row])

    def put_first_stage(self, first: dict[tuple, float], outcome, notes: list) -> None:
        """The extensive form's (or mpi-sppy's) first stage, its outcome and its notes."""
        self.put("ef", {"first": first, "outcome": None if outcome is None else dataclasses.asdict(outcome),
                        "notes": [list(n) for n in notes]})

    def first_stage(self):
        """(x, outcome or None, notes) of a saved extensive form, or None."""
        from optimizer.uncertainty.stochastic import StochasticOutcome

        row = self.get("ef")
        if row is None:
            return None
        outcome = None if row.get("outcome") is None else StochasticOutcome(**{
            k: (math.nan if v is None else v) for k, v in row["outcome"].items()})
        return row["first"], outcome, [tuple(n) for n in row.get("notes", [])]
