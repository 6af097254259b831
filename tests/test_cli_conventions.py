"""A dependable command line: exit codes, quiet stdout, safe outputs, provenance, interrupts and resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE, ROOT
from typer.testing import CliRunner

from optimizer.cli import app

runner = CliRunner()


def cli(*args, timeout=120, **kwargs):
    """Run the installed command in a subprocess: what a user's shell sees, C-level output included."""
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, **kwargs)


def start(*args):
    return subprocess.Popen([sys.executable, "-m", "optimizer", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def wait_for_rows(journal: Path, rows: int, proc, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) > rows:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the sweep saved no points in time")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_solve_is_quiet_and_exits_0(tmp_path):
    done = cli("solve", BASELINE)
    assert done.returncode == 0 and done.stderr == ""
    assert "WARNING" not in done.stdout and "changeCoeff" not in done.stdout
    assert done.stdout.startswith("Scenario baseline")
    assert max(len(line) for line in done.stdout.splitlines()) <= 100


def test_a_sweep_over_a_zero_valued_parameter_prints_no_solver_noise(tiny_yaml):
    done = cli("sweep", tiny_yaml, "-p", "data.min_tokens_per_param=0,1")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stdout + done.stderr


def test_exit_codes_follow_convention(tiny_yaml):
    assert cli("solve", tiny_yaml, "-q").returncode == 0
    infeasible = cli("solve", tiny_yaml, "--set", "budget_usd=1e6")
    assert infeasible.returncode == 1 and "infeasible" in infeasible.stderr
    bad = cli("solve", tiny_yaml, "--set", "budget_usd=true")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert cli("solve", tiny_yaml, "--no-such-flag").returncode == 2
    limit = cli("solve", tiny_yaml, "--time-limit", "-1")
    assert limit.returncode == 2 and "(--time-limit, -1.0) | must be a positive, finite number" in limit.stderr


def test_version_json_and_quiet(tiny_yaml):
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("optimizer ")
    document = json.loads(runner.invoke(app, ["solve", str(tiny_yaml), "--json"]).output)
    assert document["summary"]["status"] == "optimal"
    assert runner.invoke(app, ["solve", str(tiny_yaml), "-q"]).output == ""
    assert runner.invoke(app, ["-q", "validate", str(tiny_yaml)]).output == ""


def cli_then_modules(args: list[str], modules: tuple[str, ...], timeout: int) -> subprocess.CompletedProcess:
    """Run the CLI with ``args`` in a fresh interpreter (exit 0 expected), then print which of ``modules``
    it imported, as a sorted list on the last line of stdout."""
    code = ("import sys\nfrom optimizer.cli import app\ntry:\n    app(sys.argv[2:])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in sys.argv[1].split(',') if m in sys.modules))")
    return subprocess.run([sys.executable, "-c", code, ",".join(modules), *args], capture_output=True, text=True,
                          timeout=timeout)


def test_validate_loads_no_solver_or_dataframes(tiny_yaml):
    done = cli_then_modules(["validate", str(tiny_yaml)], ("pyomo", "pandas", "matplotlib", "highspy"), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]") and "is a valid scenario 'tiny'" in done.stdout


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_a_solve_without_out_loads_no_dataframes_plots_or_pyomo_plugins(tiny_yaml, flags):
    done = cli_then_modules(["solve", str(tiny_yaml), *flags], ("pandas", "matplotlib", "pyomo.environ", "pyomo.dae"),
                            timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]"), done.stdout[-300:]
    assert ("Spend by workload" in done.stdout) != bool(flags)


def test_init_writes_a_short_inheriting_scenario(tmp_path):
    parent = tmp_path / "baseline.yaml"
    parent.write_text(BASELINE.read_text())
    result = runner.invoke(app, ["init", "bigger", "--from", str(parent), "--set", "budget_usd=2e11"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "bigger.yaml").read_text()
    assert "extends: baseline.yaml" in text and len(text.splitlines()) <= 10
    sc = __import__("optimizer").load(tmp_path / "bigger.yaml")
    assert sc.name == "bigger" and sc.budget_usd == 2e11 and "cite your source" in sc.sources["budget_usd"]
    again = runner.invoke(app, ["init", "bigger", "--from", str(parent)])
    assert again.exit_code == 2 and "already exists" in again.output
    wrong = runner.invoke(app, ["init", "x", "--from", str(parent), "--set", "budget=1"])
    assert wrong.exit_code == 2 and "(--set, budget) | no such parameter" in wrong.output


@pytest.mark.parametrize("out, problem", [
    ("/etc/hostname", "exists and is not a directory"),
    ("/etc/hostname/sub", "cannot be created"),
    ("", "the directory name is empty"),
])
def test_bad_out_is_refused_before_solving(tiny_yaml, out, problem, monkeypatch):
    import optimizer.solver

    def no_solving(*args, **kwargs):
        raise AssertionError("solved before checking --out")

    monkeypatch.setattr(optimizer.solver, "solve_with", no_solving)
    for command in (["sweep", str(tiny_yaml), "-p", "budget_usd=1e9:2e9:3"], ["tornado", str(tiny_yaml)],
                    ["frontier", str(tiny_yaml), "-b", "1e9,2e9"], ["solve", str(tiny_yaml)],
                    ["alternatives", str(tiny_yaml)]):
        result = runner.invoke(app, [*command, "--out", out])
        assert result.exit_code == 2 and problem in result.output and "Traceback" not in result.output, command


def test_existing_results_are_never_overwritten_silently(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out)]).exit_code == 0
    first = (out / "plan.json").read_text()
    again = runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out)])
    assert again.exit_code == 2 and "already holds" in again.output and "--force" in again.output
    assert (out / "plan.json").read_text() == first
    # --force replaces the plan and removes the earlier run's files that the new run does not write
    (out / "stale.csv").write_text("x")  # not in the manifest, but ours by its name: a user file is kept
    forced = runner.invoke(app, ["sweep", str(tiny_yaml), "-p", "budget_usd=1e9,2e9", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    names = {p.name for p in out.iterdir()}
    assert "plan.json" not in names and "fleet.csv" not in names and {"sweep.csv", "results.json"} <= names
    assert "stale.csv" in names and ".lock" not in names


def test_a_locked_out_directory_is_refused_and_a_stale_lock_is_taken_over(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".lock").write_text(str(os.getppid()))  # a live process holds it
    held = runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out)])
    assert held.exit_code == 2 and "another run (PID" in held.output
    dead = subprocess.run(["true"])
    assert dead.returncode == 0
    (out / ".lock").write_text("999999999")  # no such process
    assert runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out)]).exit_code == 0


def test_writes_are_atomic(tiny_yaml, tmp_path, monkeypatch):
    from optimizer import outdir

    out = tmp_path / "run"
    assert runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out)]).exit_code == 0
    before = (out / "plan.json").read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outdir.os, "fsync", full_disk)
    result = runner.invoke(app, ["solve", str(tiny_yaml), "--out", str(out), "--force"])
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert (out / "plan.json").read_bytes() == before
    assert not [p for p in out.iterdir() if ".tmp-" in p.name] and not (out / ".lock").exists()


def test_plan_json_records_provenance_and_reruns(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["solve", str(tiny_yaml), "-s", "busy", "--set", "budget_usd=5e11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    prov = plan["provenance"]
    assert prov["input_file"] == str(tiny_yaml.resolve()) and len(prov["input_sha256"]) == 64
    assert prov["named_scenario"] == "busy" and prov["sets"] == {"budget_usd": 5e11}
    assert {"compute-allocation-optimizer", "highspy", "pyomo", "python"} <= set(prov["versions"])
    assert prov["created_utc"].endswith("+00:00")
    assert plan["scenario"]["sources"]["budget_usd"].startswith("overridden by --set budget_usd")
    rerun = runner.invoke(app, ["solve", str(out / "plan.json"), "--json"])
    assert rerun.exit_code == 0, rerun.output
    summary = json.loads(rerun.output)["summary"]
    assert summary["objective_value"] == pytest.approx(plan["summary"]["objective_value"], rel=1e-9)
    assert summary["budget_usd"] == 5e11


def test_grid_paths_once_large_sweeps_ask_and_workers_are_capped(tiny_yaml):
    twice = runner.invoke(app, ["sweep", str(tiny_yaml), "-p", "budget_usd=1e9,2e9", "-p", "budget_usd=3e9", "--grid"])
    assert twice.exit_code == 2 and "(--param, budget_usd) | is given more than once" in twice.output
    large = runner.invoke(app, ["sweep", str(tiny_yaml), "-p", "budget_usd=1e9:2e9:10001"])
    assert large.exit_code == 2 and "10,001 points" in large.output and "--yes" in large.output
    capped = runner.invoke(app, ["sweep", str(tiny_yaml), "-p", "budget_usd=1e9,2e9", "-j", "512"])
    assert capped.exit_code == 0 and "warning: --workers 512 is more than the" in capped.output


def test_unreachable_dask_scheduler_fails_within_ten_seconds(tiny_yaml):
    pytest.importorskip("dask.distributed")
    began = time.monotonic()
    result = runner.invoke(app, ["sweep", str(tiny_yaml), "-p", "budget_usd=1e9,2e9", "--executor", "dask",
                                 "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.output
    assert time.monotonic() - began < 15


def test_terminal_tables_fit_100_columns(tiny_yaml):
    result = runner.invoke(app, ["tornado", str(tiny_yaml)])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 100


def test_sigint_stops_a_one_worker_sweep_which_then_resumes(tiny_yaml, tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", tiny_yaml, "-p", "budget_usd=5e11:1e12:600", "--out", out]
    proc = start(*args)
    wait_for_rows(out / "points.jsonl", 5, proc)
    proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    _, err = proc.communicate(timeout=20)
    elapsed = time.monotonic() - began
    assert proc.returncode == 130 and elapsed < 10, (proc.returncode, elapsed, err[-3000:])
    assert "finished point(s) are saved" in err and "--resume" in err and "Traceback" not in err
    saved = len((out / "points.jsonl").read_text().splitlines()) - 1
    assert 5 <= saved < 600
    refused = cli(*args)
    assert refused.returncode == 2 and "unfinished sweep" in refused.stderr
    done = cli(*args, "--resume", "-q", timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 600 and table.point.tolist() == list(range(600)) and (table.status == "optimal").all()


def test_a_crashed_sweep_keeps_its_points_and_resumes(tiny_yaml, tmp_path):
    out = tmp_path / "sweep"
    args = ["sweep", tiny_yaml, "-p", "budget_usd=5e11:1e12:150", "--out", out]
    proc = start(*args)
    wait_for_rows(out / "points.jsonl", 5, proc)
    proc.kill()  # SIGKILL: no handler runs, the lock is left behind
    proc.communicate(timeout=20)
    saved = len((out / "points.jsonl").read_text().splitlines()) - 1
    assert saved >= 5 and (out / ".lock").exists()
    done = cli(*args, "--resume", timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "sweep.csv")
    assert table.point.tolist() == list(range(150)) and not (out / ".lock").exists()


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signals_stop_a_process_pool_sweep_without_orphans(tiny_yaml, tmp_path, sig, code):
    out = tmp_path / "sweep"
    proc = start("sweep", tiny_yaml, "-p", "budget_usd=5e11:1e12:2000", "-j", "2", "--out", out)
    wait_for_rows(out / "points.jsonl", 5, proc)
    workers = children_of(proc.pid)
    assert workers
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "leaked" not in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)
    assert len((out / "points.jsonl").read_text().splitlines()) > 5


def test_sigint_stops_a_dask_sweep(tiny_yaml, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "sweep"
    proc = start("sweep", tiny_yaml, "-p", "budget_usd=5e11:1e12:4000", "--executor", "dask", "-j", "2",
                 "--out", out)
    wait_for_rows(out / "points.jsonl", 5, proc, limit=120)
    workers = children_of(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "finished point(s) are saved" in err
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)
