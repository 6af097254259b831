"""Charts of plans and sweeps as matplotlib Figures; the HTML report embeds these same figures.

Figures are made with ``matplotlib.figure.Figure`` (no pyplot), so importing or calling these
functions never switches the backend or touches pyplot's global state: in a notebook they display
inline like any Figure, and the report saves them to PNG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.text_report import human

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from optimizer.results import Plan

WORKLOAD_COLUMNS = {"spend_pretraining_usd": "pre-training", "spend_rl_usd": "rl",
                    "spend_inference_usd": "inference", "spend_sites_usd": "sites"}


def new_figure(width: float, height: float, ncols: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def objective_label(objective: str) -> str:
    """Axis label of a scenario's objective_value column, with its unit."""
    return "capability index K [-]" if objective == "max_capability" else "total cost [billion USD]"


def workloads(plan: Plan) -> Figure:
    """Spend by workload (bars labelled with $B and share)."""
    data = plan.workloads.set_index("workload").spend_usd / 1e9
    fig, (ax,) = new_figure(7, 3)
    bars = ax.barh(list(data.index), list(data.values), color="#3b6ea5")
    total = data.sum()
    ax.bar_label(bars, labels=[f" ${x:,.1f}B ({x / total:.0%})" if total else "" for x in data.values], fontsize=8)
    ax.set_xlim(0, data.max() * 1.3 if data.max() > 0 else 1)
    ax.set_xlabel("spend [billion USD]")
    ax.set_title("Allocation by workload")
    ax.invert_yaxis()
    return fig


def sites(plan: Plan) -> Figure:
    """Facility MW per site type, stacked by role, with a tick at the power built."""
    fleet = plan.fleet.groupby(["site", "role"]).facility_mw.sum().unstack(fill_value=0.0)
    built = plan.sites.set_index("site").power_mw_built
    fleet = fleet.reindex(built.index, fill_value=0.0)
    fig, (ax,) = new_figure(7, 3)
    bottom = [0.0] * len(fleet)
    for role in fleet.columns:
        ax.bar(range(len(fleet)), fleet[role].values, bottom=bottom, label=role)
        bottom = [b + v for b, v in zip(bottom, fleet[role].values)]
    for i, mw in enumerate(built.values):
        ax.plot([i - 0.4, i + 0.4], [mw, mw], color="k", lw=2, zorder=3, label="power built" if i == 0 else None)
    ax.set_xticks(range(len(fleet)), list(fleet.index))
    ax.set_ylabel("facility power [MW]")
    ax.set_title("Allocation by site type and role")
    ax.legend(fontsize=8)
    return fig


def frontier(table: pd.DataFrame, objective: str = "max_capability") -> Figure:
    """Capability (or cost) against budget, labelled where the served model or thinking changes, and spend."""
    ok = table[table.status == "optimal"]
    fig, (ax, ax2) = new_figure(11, 3.5, ncols=2)
    budget = ok["in:budget_usd"] / 1e9
    ax.plot(budget, ok.capability_index, marker="o")
    configs = ok.served_model + ", " + ok.thinking
    for x, y, config, changed in zip(budget, ok.capability_index, configs, configs != configs.shift()):
        if changed:
            ax.annotate(config, (x, y), textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax.margins(y=0.12)
    ax.set_xlabel("budget [billion USD]")
    ax.set_ylabel("capability index K [-]")
    ax.set_title("Budget frontier")
    spend = [ok[col] / 1e9 for col in WORKLOAD_COLUMNS]
    ax2.stackplot(budget, *spend, labels=list(WORKLOAD_COLUMNS.values()))
    ax2.legend(fontsize=8, loc="upper left")
    ax2.set_xlabel("budget [billion USD]")
    ax2.set_ylabel("spend [billion USD]")
    ax2.set_title("Spend along the frontier")
    return fig


def tornado(table: pd.DataFrame, objective: str = "max_capability") -> Figure:
    """Objective at each parameter's low (red) and high (blue) value around the base."""
    data = table.dropna(subset=["objective_low", "objective_high"]).iloc[::-1]
    base = table.objective_base.iloc[0]
    fig, (ax,) = new_figure(8, 0.45 * len(data) + 1.4)
    for i, row in enumerate(data.itertuples()):
        ax.barh(i, row.objective_low - base, left=base, color="#c0504d")
        ax.barh(i, row.objective_high - base, left=base, color="#4f81bd")
    ax.set_yticks(range(len(data)))
    ax.set_yticklabels([f"{p} [{human(lo)}, {human(hi)}]" for p, lo, hi in zip(data.parameter, data.low, data.high)],
                       fontsize=8)
    ax.axvline(base, color="k", lw=1)
    ax.set_xlabel(f"{objective_label(objective)} (red: at low, blue: at high)")
    ax.set_title("Tornado")
    return fig


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


def sweep(table: pd.DataFrame, objective: str = "max_capability") -> Figure | None:
    """The objective against each swept parameter (see ``sweep_lines``); None if nothing was swept."""
    from matplotlib.ticker import FuncFormatter

    lines = sweep_lines(table)
    if not lines:
        return None
    fig, axes = new_figure(4.5 * len(lines), 3.2, ncols=len(lines))
    for ax, (col, col_lines) in zip(axes, lines.items()):
        for label, points in col_lines:
            ax.plot(points[col], points.objective_value, marker="o", label=label)
        if col_lines[0][0] is not None and len(col_lines) <= 8:
            ax.legend(fontsize=7)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: human(x)))
        ax.set_xlabel(col[3:])
        ax.set_ylabel(objective_label(objective))
    fig.suptitle("Objective along each swept parameter")
    return fig


BINDING_MARKERS = {"memory": "o", "bandwidth": "s", "compute": "^"}


def serving(table: pd.DataFrame) -> Figure:
    """The lumpy space: users and tokens/s per node against the test-time factor (thinking multiplier k, or
    samples n for best-of-n, dashed), one panel per hardware, one line per model and shape, each point
    marked by the limit that binds there (memory, bandwidth, compute). Options a replica cannot serve at
    all (0 users) are left out of the line."""
    from matplotlib.lines import Line2D

    hardware = list(dict.fromkeys(table.hardware))
    fig = new_figure(4.2 * len(hardware), 6.4, ncols=len(hardware))[0]
    fig.clear()
    axes = fig.subplots(2, len(hardware), squeeze=False, sharex=True)
    colours = {model: f"C{i}" for i, model in enumerate(dict.fromkeys(table.model))}
    for column, h in enumerate(hardware):
        top, bottom = axes[0][column], axes[1][column]
        for (model, shape), part in table[table.hardware == h].groupby(["model", "shape"], sort=False):
            ok = part[part.users_per_node > 0]
            style = "-" if shape == "sequential" else "--"
            for ax, col in ((top, "users_per_node"), (bottom, "tokens_per_s_per_node")):
                ax.plot(ok.factor, ok[col], color=colours[model], lw=1, ls=style)
                for limit, marker in BINDING_MARKERS.items():
                    at = ok[ok.binding == limit]
                    ax.scatter(at.factor, at[col], color=colours[model], marker=marker, s=28, zorder=3)
        top.set_title(h, fontsize=10)
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatterHuman())
        bottom.set_xlabel("thinking k [x], or samples n (dashed)")
    axes[0][0].set_ylabel("users per node")
    axes[1][0].set_ylabel("output tokens/s per node")
    handles = [Line2D([], [], color=c, label=m) for m, c in colours.items()]
    handles += [Line2D([], [], color="k", marker=mk, ls="", label=f"{limit} binds")
                for limit, mk in BINDING_MARKERS.items()]
    fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=min(len(handles), 5))
    fig.suptitle("Serving capacity per node: which limit binds")
    return fig


def FuncFormatterHuman():  # noqa: N802 - reads as the formatter it returns
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _: human(x))


def alternatives(table: pd.DataFrame) -> Figure:
    """Spend by workload in the optimal plan and in each near-optimal alternative."""
    fig, (ax,) = new_figure(8, 0.6 * len(table) + 1.4)
    left = [0.0] * len(table)
    labels = list(table.alternative)
    for col, name in WORKLOAD_COLUMNS.items():
        values = list(table[col] / 1e9)
        ax.barh(range(len(table)), values, left=left, label=name)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(table)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("spend [billion USD]")
    ax.set_title("Near-optimal alternatives: spend by workload")
    ax.legend(fontsize=8, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.08))
    return fig
