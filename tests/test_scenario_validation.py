"""Bad input gets one clear error naming the file, the key and the fix."""

from pathlib import Path

import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario import load_scenario, parameter_paths

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def edited(tmp_path, old, new):
    text = BASELINE.read_text()
    assert old in text
    return write(tmp_path, text.replace(old, new, 1))


def test_baseline_loads():
    sc = load_scenario(BASELINE)
    assert sc.name == "baseline" and sc.budget_usd == 150e9


def test_every_baseline_parameter_has_a_source():
    sc = load_scenario(BASELINE)
    missing = [p for p in parameter_paths(sc)
               if not any(p == key or p.startswith(key + ".") for key in sc.sources)]
    assert missing == []


def test_negative_budget_names_file_key_and_fix(tmp_path):
    path = edited(tmp_path, "budget_usd: 150.0e+9", "budget_usd: -5")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (f"({path}, budget_usd) | Input should be greater than 0 (got -5). "
                              "Fix: use a number in (0, 1e+15] [USD]")


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = edited(tmp_path, "    pue: 1.35", "    peu: 1.35")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == "sites.honda.peu"
    assert "unknown key" in str(err.value) and "did you mean 'pue'?" in str(err.value)


def test_wrong_type_is_explained(tmp_path):
    path = edited(tmp_path, "horizon_years: 5", "horizon_years: five")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == "horizon_years" and "text is not a number" in str(err.value)
    assert err.value.fix == "use a number in (0, 100] [years]"


def test_missing_key_is_named(tmp_path):
    path = edited(tmp_path, "  max_epochs: 16\n", "")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == "data.max_epochs" and "required key is missing" in str(err.value)


def test_malformed_yaml_points_at_the_line(tmp_path):
    path = write(tmp_path, "name: x\nbudget_usd: [1, 2\nhorizon_years: 5\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.where == str(path) and err.value.key.startswith("line ")
    assert "malformed YAML" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_min_cost_needs_a_target(tmp_path):
    path = edited(tmp_path, "objective: max_capability", "objective: min_cost")
    with pytest.raises(ScenarioError, match="capability_target"):
        load_scenario(path)


def test_source_for_unknown_parameter_is_rejected(tmp_path):
    path = edited(tmp_path, "sources:\n", "sources:\n  data.unique_tokenz: \"x\"\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == "sources.data.unique_tokenz" and "data.unique_tokens" in err.value.fix


def test_overrides_apply_in_order_and_sets_win():
    sc = load_scenario(BASELINE, scenario="pessimistic", overrides=["hoffmann_law"],
                       sets=["data.unique_tokens=2e14"])
    assert sc.sites["ferrari"].facility_capex_usd_per_mw == 20e6
    assert sc.loss_law.alpha == 0.34
    assert sc.data.unique_tokens == 2e14  # --set beats the scarce_data group
    assert sc.name == "baseline:pessimistic"


def test_unknown_override_and_bad_set_are_clear():
    with pytest.raises(ScenarioError, match=r"no such override group.*hoffmann_law"):
        load_scenario(BASELINE, overrides=["hofman"])
    with pytest.raises(ScenarioError, match="did you mean 'ferrari'"):
        load_scenario(BASELINE, sets=["sites.ferarri.pue=1.1"])
    with pytest.raises(ScenarioError, match="PATH=VALUE"):
        load_scenario(BASELINE, sets=["budget_usd"])


def test_thinking_multipliers_below_one_are_rejected(tmp_path):
    path = edited(tmp_path, "thinking_multipliers: [1, 5, 10, 100]", "thinking_multipliers: [0.5, 5]")
    expected = r"greater than or equal to 1 \(got 0.5\). Fix: use a number in \[1, 10000\]"
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


BUILDOUT = Path(__file__).parents[1] / "scenarios" / "buildout-2026-2030.yaml"


def test_buildout_scenario_is_sourced_with_six_generations_and_ten_sites_in_three_regions():
    sc = load_scenario(BUILDOUT)
    missing = [p for p in parameter_paths(sc) if not any(p == key or p.startswith(key + ".") for key in sc.sources)]
    assert missing == []
    assert len(sc.hardware) >= 6 and len({h.available_year for h in sc.hardware.values()}) >= 3
    assert len(sc.sites) >= 10 and len({s.region for s in sc.sites.values()}) >= 3
    assert list(sc.periods) == ["2026", "2027", "2028", "2029", "2030"]


def buildout_edited(tmp_path, old, new):
    text = BUILDOUT.read_text()
    assert old in text
    return write(tmp_path, text.replace(old, new, 1))


@pytest.mark.parametrize(("old", "new", "key", "words"), [
    ("  2027: {concurrent_users", "  20x7: {concurrent_users", "periods", "is not a year"),
    ("  2028: {concurrent_users", "  2029.5: {concurrent_users", "periods", "is not a year"),
    ("horizon_years: 5", "horizon_years: 4", "-", "set horizon_years: 5"),
    ("  2027: {concurrent_users: 6.0e+6, budget_usd: 80.0e+9}", "  2027: {years: 2, concurrent_users: 6.0e+6}",
     "-", "leave a gap or overlap"),
    ("  2026: {concurrent_users: 4.0e+6, budget_usd: 80.0e+9}", "  2026: {release: false}", "-",
     "first period needs a model"),
    ("  discount_rate: 0.07", "  discount_rate: true", "buildout.discount_rate", "boolean"),
    ("  fleet_reuse: true", "  fleet_reuse: 3", "buildout.fleet_reuse", "true/false"),
    ("  rl_placement: host_campus", "  rl_placement: anywhere", "buildout.rl_placement", "host_campus"),
    ("    lead_time_years: 2\n", "    lead_time_years: -1\n", "lead_time_years", "[0, 20]"),
    ("  2026: {concurrent_users", "  2026: {users", "periods.2026.users", "unknown key"),
])
def test_bad_buildout_input_names_file_key_and_fix(tmp_path, old, new, key, words):
    with pytest.raises(ScenarioError) as err:
        load_scenario(buildout_edited(tmp_path, old, new))
    message = str(err.value)
    assert message.startswith("(") and "Fix:" in message and "\n" not in message
    assert key in message and words in message


@pytest.mark.parametrize(("old", "new", "words"), [
    ("objective: max_capability", "objective: max_final_capability", "needs periods"),
    ("    max_sites: 3\n", "    max_sites: 3\n    lead_time_years: 2\n", "sites.ferrari.lead_time_years is used only"),
    ("    node_capex_usd: 342000\n", "    node_capex_usd: 342000\n    lifetime_years: 6\n",
     "hardware.H200.lifetime_years"),
])
def test_multi_period_keys_without_periods_are_rejected(tmp_path, old, new, words):
    with pytest.raises(ScenarioError, match="Fix:") as err:
        load_scenario(edited(tmp_path, old, new))
    assert words in str(err.value)
