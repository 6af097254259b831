"""A table kept as plain rows until a DataFrame is asked for.

Importing pandas takes 0.3-0.5 s, longer than the whole solve of the baseline, so a plan's tables stay
rows of Python values: the terminal and ``--json`` never import it, and ``Plan.fleet`` (or any table)
builds its DataFrame on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Records:
    """Rows (mappings from column to value) and the column order; a missing key is None."""

    columns: tuple[str, ...]
    rows: tuple[Mapping, ...]

    @classmethod
    def of(cls, rows: Iterable[Mapping], columns: Iterable[str] | None = None) -> Records:
        """``rows`` in order; ``columns`` default to the keys in the order they first appear."""
        rows = tuple(rows)
        if columns is None:
            columns = dict.fromkeys(key for row in rows for key in row)
        return cls(tuple(columns), rows)

    def __len__(self) -> int:
        return len(self.rows)

    def values(self) -> list[tuple]:
        """One tuple per row, in column order."""
        return [tuple(row.get(col) for col in self.columns) for row in self.rows]

    def column(self, name: str) -> list:
        return [row.get(name) for row in self.rows]

    def frame(self):
        """The rows as a pandas DataFrame (pandas is imported here, on first use)."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), columns=list(self.columns))
