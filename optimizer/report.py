"""A self-contained HTML report: plots embedded as PNG data, tables, and the sourced assumptions."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from optimizer.paramdoc import source_of  # noqa: E402
from optimizer.results import Plan  # noqa: E402
from optimizer.scenario import get_path, parameter_paths  # noqa: E402
from optimizer.schema import Scenario  # noqa: E402
from optimizer.text_report import human, is_number  # noqa: E402

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}.num{text-align:right}img{max-width:100%}h2{margin-top:2em}"""


def figure_tag(fig) -> str:
    """The figure as an inline PNG <img>."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def table_tag(table: pd.DataFrame) -> str:
    """An HTML table with compact numbers (``human``), numbers right-aligned and text left-aligned."""
    def cell(value) -> str:
        return f"<td{' class=num' if is_number(value) else ''}>{html.escape(human(value))}</td>"

    head = "".join(f"<th>{html.escape(str(col))}</th>" for col in table.columns)
    rows = "".join("<tr>" + "".join(cell(value) for value in row) + "</tr>"
                   for row in table.itertuples(index=False, name=None))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def workload_chart(plan: Plan) -> str:
    data = plan.workloads.set_index("workload").spend_usd / 1e9
    fig, ax = plt.subplots(figsize=(7, 3))
    bars = ax.barh(data.index, data.values, color="#3b6ea5")
    total = data.sum()
    ax.bar_label(bars, labels=[f" ${x:,.1f}B ({x / total:.0%})" if total else "" for x in data.values], fontsize=8)
    ax.set_xlim(0, data.max() * 1.25 if data.max() > 0 else 1)
    ax.set_xlabel("spend [billion USD]")
    ax.set_title("Allocation by workload")
    ax.invert_yaxis()
    return figure_tag(fig)


def site_chart(plan: Plan) -> str:
    fleet = plan.fleet.groupby(["site", "role"]).facility_mw.sum().unstack(fill_value=0.0)
    fig, ax = plt.subplots(figsize=(7, 3))
    fleet.plot.bar(stacked=True, ax=ax, rot=0)
    built = plan.sites.set_index("site").power_mw_built
    for i, mw in enumerate(built.reindex(fleet.index).values):  # a bar-wide tick at the power built
        ax.plot([i - 0.3, i + 0.3], [mw, mw], color="k", lw=2, zorder=3, label="power built" if i == 0 else None)
    ax.set_ylabel("facility power [MW]")
    ax.set_title("Allocation by site type and role")
    ax.legend(fontsize=8)
    return figure_tag(fig)


def frontier_chart(table: pd.DataFrame) -> str:
    ok = table[table.status == "optimal"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
    ax.plot(ok["in:budget_usd"] / 1e9, ok.capability_index, marker="o")
    # label each point where the served model or thinking multiplier changes: the frontier's kinks
    configs = ok.served_model + ", " + ok.thinking
    for x, y, config, changed in zip(ok["in:budget_usd"] / 1e9, ok.capability_index, configs,
                                     configs != configs.shift()):
        if changed:
            ax.annotate(config, (x, y), textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax.margins(y=0.12)
    ax.set_xlabel("budget [billion USD]")
    ax.set_ylabel("capability index")
    ax.set_title("Budget frontier")
    spend = ok[["spend_pretraining_usd", "spend_rl_usd", "spend_inference_usd", "spend_sites_usd"]] / 1e9
    spend.index = ok["in:budget_usd"] / 1e9
    spend.columns = ["pre-training", "rl", "inference", "sites"]
    spend.plot.area(ax=ax2)
    ax2.set_xlabel("budget [billion USD]")
    ax2.set_ylabel("spend [billion USD]")
    ax2.set_title("Spend along the frontier")
    return figure_tag(fig)


def tornado_chart(table: pd.DataFrame) -> str:
    data = table.dropna(subset=["objective_low", "objective_high"]).iloc[::-1]
    base = table.objective_base.iloc[0]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(data) + 1.2))
    for i, row in enumerate(data.itertuples()):
        ax.barh(i, row.objective_low - base, left=base, color="#c0504d")
        ax.barh(i, row.objective_high - base, left=base, color="#4f81bd")
    ax.set_yticks(range(len(data)))
    ax.set_yticklabels([f"{p} [{human(lo)}, {human(hi)}]" for p, lo, hi in zip(data.parameter, data.low, data.high)],
                       fontsize=8)
    ax.axvline(base, color="k", lw=1)
    ax.set_xlabel("objective (red: at low, blue: at high)")
    ax.set_title("Tornado")
    return figure_tag(fig)


def sweep_lines(table: pd.DataFrame) -> dict[str, list[tuple[str | None, pd.DataFrame]]]:
    """Per swept parameter, the lines to draw: (label, optimal points sorted by the parameter).

    One-at-a-time: one unlabelled line per parameter. Grid: one line per combination of the other
    parameters, labelled with their values."""
    inputs = [c for c in table.columns if c.startswith("in:")]
    ok = table[table.status == "optimal"]
    lines = {}
    for col in inputs:
        part = ok[ok[col].notna()]
        others = [c for c in inputs if c != col and part[c].notna().any()]
        groups = list(part.groupby(others)) if others else [((), part)]
        lines[col] = [(", ".join(f"{c[3:]}={human(v)}" for c, v in zip(others, key)) or None, group.sort_values(col))
                      for key, group in groups]
    return lines


def sweep_charts(table: pd.DataFrame) -> str:
    """Objective against each swept parameter (see ``sweep_lines``)."""
    lines = sweep_lines(table)
    if not lines:
        return ""
    fig, axes = plt.subplots(1, len(lines), figsize=(4.5 * len(lines), 3), squeeze=False)
    for ax, (col, col_lines) in zip(axes[0], lines.items()):
        for label, points in col_lines:
            ax.plot(points[col], points.objective_value, marker="o", label=label)
        if col_lines[0][0] is not None and len(col_lines) <= 8:
            ax.legend(fontsize=7)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: human(x)))
        ax.set_xlabel(col[3:])
        ax.set_ylabel("objective")
    fig.suptitle("Objective along each swept parameter")
    return figure_tag(fig)


def assumptions_table(sc: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": p, "value": get_path(sc, p), "source": source_of(sc, p)}
                         for p in parameter_paths(sc)])


def render_report(sc: Scenario, tables: dict[str, pd.DataFrame], plan: Plan | None = None) -> str:
    """The whole report as one HTML string."""
    parts = [f"<h1>Allocation report: {html.escape(sc.name)}</h1>", f"<p>{html.escape(sc.description)}</p>"]
    if plan is not None:
        s = plan.summary
        parts += [
            "<h2>Plan</h2>",
            f"<p>Capability index <b>{s['capability_index']:.4f}</b>; spend ${human(s['total_cost_usd'])} of "
            f"${human(s['budget_usd'])}; served model <b>{html.escape(s['served_model'])}</b> at "
            f"{s['thinking_multiplier']:g}x thinking; {human(s['pretraining_tokens'])} pre-training tokens.</p>",
            workload_chart(plan), site_chart(plan),
        ]
        for name, table in plan.tables().items():
            parts += [f"<h3>{html.escape(name)}</h3>", table_tag(table)]
    for name, table in tables.items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        if name == "frontier":
            parts.append(frontier_chart(table))
        elif name == "tornado":
            parts.append(tornado_chart(table))
        elif name == "sweep":
            parts.append(sweep_charts(table))
        parts.append(table_tag(table))
    parts += ["<h2>Assumptions and sources</h2>", table_tag(assumptions_table(sc))]
    body = "\n".join(parts)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(sc.name)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")
