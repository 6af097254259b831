from pathlib import Path

from optimizer.paramdoc import BASELINE, BUILDOUT, render
from optimizer.scenario import load_scenario

DOCS = Path(__file__).parents[1] / "docs"


def test_parameter_table_is_in_sync_with_schema_and_baseline():
    assert (DOCS / "parameters.md").read_text() == render(load_scenario(BASELINE), load_scenario(BUILDOUT)), \
        "regenerate: python -m optimizer.paramdoc > docs/parameters.md"


def test_every_parameter_row_has_a_unit_a_valid_range_and_a_source():
    parameters = (DOCS / "parameters.md").read_text().split("\n## Uncertain inputs")[0]  # 3-column tables after
    rows = [r for r in parameters.splitlines() if r.startswith("| `")]
    assert rows
    for row in rows:
        path, meaning, valid, _value, source = (cell.strip() for cell in row.strip().strip("|").split("|"))
        assert "[" in meaning, f"no unit for {path}"
        assert source.strip(), f"no source for {path}"
        unranged = ("`objective`", "`rl.gpu`", "`inference.kv_offload`", "`buildout.fleet_reuse`",
                    "`buildout.rl_placement`", "`buildout.remaining_value`")
        if path not in unranged and not path.endswith(("coherent_training`", "region`", "release`")) \
                and _value not in ("None",):
            assert valid[0] in "([" and valid[-1] in ")]", f"no valid range for {path}: {valid}"
