"""Hostile and mistaken input: one clear line naming the file or flag, the key and the fix; never a traceback."""

import os
import threading

import pytest
from conftest import BASELINE

from optimizer.errors import ScenarioError
from optimizer.scenario import get_path, load_scenario, parameter_paths


def numeric_paths():
    sc = load_scenario(BASELINE)
    return [p for p in parameter_paths(sc)
            if isinstance(get_path(sc, p), (int, float)) and not isinstance(get_path(sc, p), bool)]


NUMERIC = numeric_paths()


def test_every_numeric_parameter_has_a_physical_range():
    assert len(NUMERIC) > 90
    for path in NUMERIC:
        for bad in ("true", ".inf", "-.inf", ".nan", "1e300", "-1e300"):
            with pytest.raises(ScenarioError) as err:
                load_scenario(BASELINE, sets=[f"{path}={bad}"])
            assert err.value.where == "--set" and err.value.key == path, (path, bad)
            assert "Fix: use a number in " in str(err.value), (path, bad, str(err.value))


@pytest.mark.parametrize("value, problem", [
    ("true", "a boolean (true/false) is not a number"),
    (".inf", "infinity and NaN are not allowed, only finite numbers"),
    ("abc", "text is not a number"),
])
def test_budget_errors_name_the_flag_the_key_and_the_range(value, problem):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, sets=[f"budget_usd={value}"])
    assert str(err.value).startswith(f"(--set, budget_usd) | {problem}")
    assert str(err.value).endswith("Fix: use a number in (0, 1e+15] [USD]")


def test_huge_architecture_value_is_out_of_range():
    with pytest.raises(ScenarioError, match=r"\(--set, models.llama3-8b.n_layers\).*\[1, 10000\]"):
        load_scenario(BASELINE, sets=["models.llama3-8b.n_layers=1e14"])


def test_whole_numbers_accept_integral_floats_only():
    assert load_scenario(BASELINE, sets=["sites.honda.max_sites=20.0"]).sites["honda"].max_sites == 20
    with pytest.raises(ScenarioError, match="should be a whole number"):
        load_scenario(BASELINE, sets=["sites.honda.max_sites=20.5"])


def test_yaml_1_2_exponents_are_numbers(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASELINE.read_text().replace("budget_usd: 150.0e+9", "budget_usd: 2e11"))
    assert load_scenario(path).budget_usd == 2e11


def test_duplicate_keys_are_an_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASELINE.read_text().replace("horizon_years: 5\n", "horizon_years: 5\nhorizon_years: 6\n"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.where == str(path) and err.value.key.startswith("line ")
    assert "duplicate key 'horizon_years'" in err.value.problem and err.value.fix == "keep one of them"


@pytest.mark.parametrize("content, problem", [
    (b"\x00\x01\x02binary", "is a binary file"),
    (b"name: caf\xe9\n", "is not UTF-8 text"),
])
def test_binary_and_non_utf8_files(tmp_path, content, problem):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=problem):
        load_scenario(path)


def test_a_directory_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_dev_zero_is_read_with_a_size_cap():
    with pytest.raises(ScenarioError, match="too large for a scenario|binary"):
        load_scenario("/dev/zero")


def test_a_fifo_is_read_with_a_size_cap(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)

    def writer():
        # the reader stops at the cap and closes its end: the write, or the flush on close, then breaks the pipe
        try:
            with open(fifo, "wb", buffering=0) as handle:
                for _ in range(64):
                    handle.write(b"a: 1\n" * 20_000)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with pytest.raises(ScenarioError, match="too large for a scenario"):
        load_scenario(fifo)
    thread.join(timeout=10)


def test_names_with_dots_are_rejected_at_validation():
    models = "{a.b: {params: 1.0e+9, n_layers: 2, n_kv_heads: 1, head_dim: 1}}"
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, sets=[f"models={models}"])
    assert err.value.where == "--set" and "name 'a.b' may hold only" in str(err.value)


@pytest.mark.parametrize("assignment, match", [
    ("budget_usd=[1,", r"\(--set, budget_usd\) \| cannot read the value"),
    ("budget_usd=", r"\(--set, budget_usd\) \| the value after '=' is empty"),
    ("=5", r"the path before '=' is empty"),
    ("budget_usd", "expected PATH=VALUE"),
    ("sites..pue=1.1", "the path has an empty part"),
    ("sites.ferarri.pue=1.1", r"\(--set, sites.ferarri.pue\) \| unknown key 'ferarri'"),
])
def test_malformed_sets(assignment, match):
    with pytest.raises(ScenarioError, match=match):
        load_scenario(BASELINE, sets=[assignment])


@pytest.mark.parametrize("section, match", [
    ("overrides:\n  broken: null\n", r"overrides.broken\) \| must be a non-empty mapping"),
    ("overrides:\n  broken: 3\n", r"overrides.broken\) \| must be a non-empty mapping"),
    ("overrides:\n  7: {budget_usd: 1.0e+9}\n", r"overrides.7\) \| a group name must be text"),
    ("overrides:\n  g: {5: 1}\n", r"overrides.g.5\) \| a parameter path must be text"),
    ("overrides: 3\n", r"overrides\) \| must be a mapping"),
    ("scenarios:\n  bad: scarce_data\n", r"scenarios.bad\) \| must be a list of override group names"),
])
def test_malformed_override_sections(tmp_path, section, match):
    text = BASELINE.read_text()
    cut = text.index("overrides:\n")
    path = tmp_path / "s.yaml"
    path.write_text(text[:cut] + section + text[text.index("sources:\n"):])
    with pytest.raises(ScenarioError, match=match):
        load_scenario(path)


def test_an_override_groups_bad_value_names_the_group(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASELINE.read_text().replace("data.unique_tokens: 100.0e+12", "data.unique_tokens: true"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, overrides=["scarce_data"])
    assert err.value.where == f"{path}: overrides.scarce_data" and err.value.key == "data.unique_tokens"


def test_min_cost_target_must_be_finite():
    with pytest.raises(ScenarioError, match=r"\(--set, capability_target\) \| infinity and NaN"):
        load_scenario(BASELINE, sets=["objective=min_cost", "capability_target=.nan"])


def test_overridden_values_say_so_in_their_citation():
    sc = load_scenario(BASELINE, scenario="pessimistic", sets=["budget_usd=2e11"])
    capex = sc.sources["sites.ferrari.facility_capex_usd_per_mw"]
    assert capex.startswith("overridden by scenario 'pessimistic', override group 'nvidia_capex' = 20000000.0")
    assert "(was: [" in capex
    assert sc.sources["budget_usd"].startswith("overridden by --set budget_usd = 200000000000.0 (was: [A]")
    untouched = load_scenario(BASELINE).sources["sites.ferrari.facility_capex_usd_per_mw"]
    assert not untouched.startswith("overridden")


def test_extends_inherits_and_overrides(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {BASELINE}\nname: child\nbudget_usd: 2.0e+11\nsites:\n  honda:\n    pue: 1.2\n")
    sc = load_scenario(child)
    assert sc.name == "child" and sc.budget_usd == 2e11 and sc.sites["honda"].pue == 1.2
    assert sc.sites["honda"].power_mw == 75 and sc.sources["loss_law"].startswith("[P]")


def test_extends_loop_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="inheritance loops back"):
        load_scenario(tmp_path / "a.yaml")
