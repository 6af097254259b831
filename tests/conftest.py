import copy
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture
def tiny_yaml(tmp_path):
    """tests/tiny.py's scenario as a YAML file, with two sensitivity ranges and one override group."""
    from tiny import BASE

    raw = copy.deepcopy(BASE)
    raw["sensitivity"] = {"inference.concurrent_users": [1e6, 2e6], "pretraining.mfu": [0.4, 0.5]}
    raw["overrides"] = {"more_users": {"inference.concurrent_users": 3e6}}
    raw["scenarios"] = {"busy": ["more_users"]}
    raw["sources"] = {"budget_usd": "[A] test budget"}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
