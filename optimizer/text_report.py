"""Plain-text rendering of a plan for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.records import Records

if TYPE_CHECKING:  # pandas only for the sweep tables handed in; a plan is printed without it
    import pandas as pd

    from optimizer.results import Plan


def is_number(x) -> bool:
    """A real number (Python or NumPy), not a bool."""
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def human(x) -> str:
    """Compact number: 1.5e11 -> '150B', 2.1e15 -> '2100T', 0.0123 -> '0.0123', 4.3e27 -> '4.3e+27'."""
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    if not is_number(x):
        return str(x)
    ax = abs(x)
    if ax >= 1e16 or (0 < ax < 1e-3):
        return f"{x:.3g}"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= scale:
            return f"{x / scale:.{max(3, len(str(int(ax // scale))))}g}{suffix}"
    return f"{x:.4g}"


HEADLINE = ("alternative", "parameter", "status", "objective_value", "capability_index", "total_cost_usd",
            "refinement_cuts",
            "served_model", "thinking", "spend_pretraining_usd", "spend_rl_usd", "spend_inference_usd",
            "dual:budget", "low", "high", "objective_low", "objective_high", "swing")


def headline(table: pd.DataFrame) -> pd.DataFrame:
    """Sweep inputs and the headline columns, for the terminal (files hold every column)."""
    keep = [c for c in table.columns if c.startswith("in:") or c in HEADLINE or c.startswith("share_")]
    return table[keep] if keep else table


WIDTH = 100  # terminal tables wrap their columns into blocks of at most this many characters
MAX_CELL = 38  # longer text is shortened with an ellipsis (files keep it whole)


def shorten(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def render_table(table: Records | pd.DataFrame) -> str:
    """Compact numbers (``human``) right-aligned under their headers, one space apart; the columns that do
    not fit in WIDTH - 4 characters continue in further blocks below, as pandas' ``to_string`` wraps."""
    if isinstance(table, Records):
        columns, rows = table.columns, table.values()
    else:
        columns, rows = list(table.columns), list(table.itertuples(index=False, name=None))
    if not rows or not columns:
        return "  (none)"
    cells = [[shorten(str(name))] + [shorten(human(row[i])) for row in rows] for i, name in enumerate(columns)]
    widths = [max(len(cell) for cell in column) for column in cells]
    blocks, block, used = [], [], 0
    for i, width in enumerate(widths):
        if block and used + 1 + width > WIDTH - 4:
            blocks.append(block)
            block, used = [], 0
        used += width + (1 if block else 0)
        block.append(i)
    blocks.append(block)
    return "\n\n".join("\n".join(" ".join(cells[i][line].rjust(widths[i]) for i in block)
                                 for line in range(len(rows) + 1)) for block in blocks)


def render_plan(plan: Plan) -> str:
    s = plan.summary
    if s.get("kind") == "buildout":
        return render_buildout(plan)
    sites = ", ".join(f"{n} x {k}" for k, n in s["sites_built"].items())
    head = [
        f"Scenario {s['scenario']}  ({s['objective']}, {s['status']})",
        f"  capability index {s['capability_index']:.6f} (exact laws; model {s['capability_index_model']:.6f}, "
        f"{s['refinement_cuts']} cuts added)" + (f" >= target {s['capability_target']:g}"
                                                 if s.get("capability_target") is not None else ""),
        f"  spend ${human(s['total_cost_usd'])} of ${human(s['budget_usd'])}",
        f"  served model {s['served_model']} ({human(s['model_params'])} params) "
        f"at {s['thinking']} thinking",
        f"  pre-training {human(s['pretraining_tokens'])} tokens ({s['tokens_per_param']:.1f} tokens/param, "
        f"{human(s['pretraining_flop'])} FLOP;",
        f"    compute-optimal at this FLOP: {human(s['compute_optimal_params_at_this_flop'])} params)",
        f"  loss {s['loss_exact']:.4f} nats (model {s['loss_model']:.4f})   RL {human(s['rl_flop'])} FLOP -> pass rate "
        f"{s['rl_pass_rate']:.3f}   test-time +{s['test_time_gain_pp']:.1f} pp",
        f"  sites: {sites}",
    ]
    parts = ["\n".join(head)]
    for title, name in (("Spend by workload", "workloads"), ("Fleet", "fleet"), ("Sites", "sites"),
                        ("Capability", "capability"), ("Marginal values (duals)", "marginals"),
                        ("Approximation error", "approximation")):
        parts.append(f"{title}\n{render_table(plan.records[name])}")
    return "\n\n".join(parts)


def render_buildout(plan) -> str:
    """A multi-period plan: headline, then one line per year, then the tables."""
    s = plan.summary
    count = len(s["periods"])
    head = [
        f"Scenario {s['scenario']}  ({s['objective']}, {s['status']}, {count} period{'s' * (count != 1)})",
        f"  objective {s['objective_value']:.6f} (exact laws; model {s['capability_index_model']:.6f}, "
        f"{s['refinement_cuts']} cuts added)   final-year capability {s['final_capability']:.6f}",
        f"  discounted cost ${human(s['total_cost_usd'])} of ${human(s['budget_usd'])}   capex "
        f"${human(s['capex_usd'])}   remaining value ${human(s['remaining_value_usd'])}",
    ]
    years = plan.periods[["period", "model", "thinking", "capability", "capex_usd", "opex_usd", "energy_usd",
                          "concurrent_users", "mw_powered", "mw_installed"]]
    releases = plan.releases[["release", "host_site", "model", "tokens", "algorithmic_multiplier", "loss", "rl_flop",
                              "pretraining_nodes", "rl_nodes"]]
    spent = plan.costs[plan.costs.category != "remaining value"]
    costs = spent.pivot_table(index="period", columns="category", values="cash_usd", aggfunc="sum")
    marginals = plan.marginals[plan.marginals.marginal_value.abs() > 1e-12]
    parts = ["\n".join(head), f"By year\n{render_table(years)}", f"Releases\n{render_table(releases)}",
             f"Cash by year and category\n{render_table(costs.reset_index())}",
             f"Marginal values (duals, non-zero)\n{render_table(marginals)}",
             f"Approximation error\n{render_table(plan.approximation)}"]
    return "\n\n".join(parts)
