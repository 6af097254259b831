"""A sweep's finished points (or a ``robust`` run's solves), saved as they come: ``points.jsonl`` in ``--out``.

Line 1 is a header with the sweep's fingerprint (the scenario, the points and whether duals and stage 2 are
computed); each further line is one finished row. Rows are flushed as they are written and fsynced
at most once a second, so an interrupted or crashed sweep keeps every finished point; ``--resume``
reads them back, checks the fingerprint and solves only the rest. A torn last line (a crash
mid-write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from optimizer.errors import OptimizerError

if TYPE_CHECKING:
    from optimizer.outdir import OutputDir
    from optimizer.schema import Scenario

NAME = "points.jsonl"
FORMAT = "optimizer-sweep-journal/1"


def fingerprint(sc: Scenario, points: Sequence[dict], work: dict) -> str:
    document = {"scenario": sc.model_dump(mode="json"), "points": list(points), **work}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


class Journal:
    """Append-only record of finished sweep rows (see the module docstring)."""

    def __init__(self, directory: OutputDir, sc: Scenario, points: Sequence[dict], work: dict, resume: bool):
        self.path = directory.path / NAME
        self.key = fingerprint(sc, points, work)
        self.done: dict[int, dict[str, Any]] = {}
        if resume:
            self.done = self._read(directory)
            mode = "a"
        else:
            mode = "w"
        self._handle = open(self.path, mode, encoding="utf-8")  # noqa: SIM115 - closed in close()
        if mode == "w":
            self._write_line({"format": FORMAT, "fingerprint": self.key, "points": len(points)})
        self._synced = time.monotonic()
        if NAME not in directory.written:
            directory.written.append(NAME)

    def _read(self, directory: OutputDir) -> dict[int, dict[str, Any]]:
        where = f"(--resume, {directory.path})"
        if not self.path.exists():
            raise OptimizerError(f"{where} | there are no saved points ({NAME}) to resume. "
                                 "Fix: leave out --resume to start a new sweep")
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            header = json.loads(lines[0])
        except (IndexError, ValueError):
            header = {}
        if header.get("format") != FORMAT or header.get("fingerprint") != self.key:
            raise OptimizerError(f"{where} | the saved points belong to a different run (another scenario, "
                                 "other points, or other settings such as --no-duals, --stage1-only or --gap). "
                                 "Fix: resume with the same command, or use a new --out")
        rows: dict[int, dict[str, Any]] = {}
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: that point is solved again
            rows[int(row["point"])] = {k: (float("nan") if v is None else v) for k, v in row.items()}
        # rewrite without a torn tail so appended rows start on a fresh line
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(header) + "\n")
            for row in rows.values():
                handle.write(json.dumps(_plain(row), allow_nan=False) + "\n")
        return rows

    def _write_line(self, obj: dict[str, Any]) -> None:
        self._handle.write(json.dumps(_plain(obj), allow_nan=False) + "\n")

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._write_line(row)
        self._handle.flush()
        if time.monotonic() - self._synced > 1.0:
            os.fsync(self._handle.fileno())
            self._synced = time.monotonic()

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    from optimizer.export import to_jsonable

    return to_jsonable(obj)
