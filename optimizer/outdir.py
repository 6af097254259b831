"""The ``--out`` directory: checked before any solving, locked while written, files replaced atomically.

* ``OutputDir.open`` refuses a path that is a file, cannot be created or written, or already holds
  files, unless ``force`` (replace this tool's earlier results) or ``resume`` (continue a sweep);
  it takes ``.lock`` (O_EXCL, holding the PID) so two runs never write one directory.
* Every file is written to a temporary name in the same directory, flushed, fsynced and renamed over
  the target (``os.replace``), so a crash or a full disk never leaves a truncated result.
* ``close`` records what was written in ``manifest.json``; with ``force``, files an earlier run wrote
  (by its manifest) that this run did not write are removed, so no stale table sits beside new ones.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from optimizer.errors import OptimizerError

LOCK = ".lock"
MANIFEST = "manifest.json"
# what this tool writes, for directories from before manifests existed
OWN_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl", ".html")


class OutputError(OptimizerError):
    """``--out`` cannot be used as asked."""

    def __init__(self, flag: str, path: str, problem: str, fix: str):
        super().__init__(f"({flag}, {path}) | {problem}. Fix: {fix}")


class OutputDir:
    """A locked output directory; see the module docstring."""

    def __init__(self, path: Path, flag: str, force: bool):
        self.path, self.flag, self.force = path, flag, force
        self.written: list[str] = []
        self._locked = False

    @classmethod
    def open(cls, path: str | Path, *, force: bool = False, resume: bool = False, flag: str = "--out") -> OutputDir:
        text = str(path)
        if not text.strip():
            raise OutputError(flag, repr(text), "the directory name is empty", "give a directory, e.g. --out out/run1")
        out = Path(path)
        if out.exists() and not out.is_dir():
            raise OutputError(flag, text, "exists and is not a directory", "give a new directory name")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(flag, text, f"cannot be created ({exc.strerror or exc})",
                              "choose a directory you can write to") from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise OutputError(flag, text, "is not writable", "choose a directory you can write to")
        self = cls(out, flag, force)
        self._lock()
        try:
            existing = [p.name for p in out.iterdir() if p.name != LOCK]
            if existing and not (force or resume):
                if "points.jsonl" in existing:
                    raise OutputError(flag, text, "holds the saved points of an unfinished sweep (points.jsonl)",
                                      "add --resume to finish it, or --force to start again")
                shown = ", ".join(sorted(existing)[:3]) + (", ..." if len(existing) > 3 else "")
                raise OutputError(flag, text, f"already holds {len(existing)} file(s) ({shown})",
                                  "choose a new directory, or add --force to replace this tool's earlier results")
        except BaseException:
            self.release()
            raise
        return self

    def _lock(self) -> None:
        lock = self.path / LOCK
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _lock_holder(lock)
                if holder is not None and _alive(holder):
                    raise OutputError(self.flag, str(self.path), f"another run (PID {holder}) is writing here",
                                      "wait for it to finish, or choose another directory") from None
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()  # left by a run that died
                continue
            except OSError as exc:
                raise OutputError(self.flag, str(self.path), f"cannot be written ({exc.strerror or exc})",
                                  "choose a directory you can write to") from None
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            self._locked = True
            return
        raise OutputError(self.flag, str(self.path), "its lock file keeps reappearing", "choose another directory")

    def release(self) -> None:
        if self._locked:
            with contextlib.suppress(FileNotFoundError):
                (self.path / LOCK).unlink()
            self._locked = False

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write ``name`` atomically (temporary file, fsync, rename)."""
        target = self.path / name
        temp = self.path / f".{name}.tmp-{os.getpid()}"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise OutputError(self.flag, str(self.path), f"writing {name} failed ({exc.strerror or exc}); "
                              "files already there are intact", "free disk space or choose another directory") from None
        if name not in self.written:
            self.written.append(name)
        return target

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode("utf-8"))

    def close(self) -> None:
        """Remove an earlier run's files this run did not rewrite (with force), write the manifest, unlock."""
        try:
            if self.force:
                for name in self._earlier_files():
                    if name not in self.written:
                        with contextlib.suppress(FileNotFoundError):
                            (self.path / name).unlink()
            self.write_text(MANIFEST, json.dumps({"files": sorted(self.written)}, indent=2))
        finally:
            self.release()

    def _earlier_files(self) -> list[str]:
        manifest = self.path / MANIFEST
        try:
            return list(json.loads(manifest.read_text())["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return [p.name for p in self.path.iterdir() if p.is_file() and p.suffix in OWN_SUFFIXES]

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.release()


def _lock_holder(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
