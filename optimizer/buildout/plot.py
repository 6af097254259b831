"""Charts of a build-out plan (matplotlib Figures, no pyplot): capex by year and category, the installed
fleet by generation, power built against power used per site, the capability trajectory, and which
campus trains which release when."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.plot import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from optimizer.buildout.results import BuildoutPlan


def stacked(ax, x: list[int], series: list, labels: list[str], **style) -> None:
    """Stacked areas over the years; stacked bars when there is one year (an area over one point is
    invisible: a one-period build-out, ``--as-buildout``)."""
    if len(x) > 1:
        ax.stackplot(x, *series, labels=labels, **style)
        return
    bottom = 0.0
    for values, label in zip(series, labels):
        height = float(list(values)[0])
        ax.bar(x, [height], bottom=bottom, width=0.5, label=label, **style)
        bottom += height


def capex_by_year(plan: BuildoutPlan) -> Figure:
    """Cash by period, stacked by category (hardware by generation)."""
    costs = plan.costs[plan.costs.category != "remaining value"]
    table = costs.pivot_table(index="period", columns="category", values="cash_usd", aggfunc="sum",
                              fill_value=0.0) / 1e9
    fig, (ax,) = new_figure(8, 3.4)
    bottom = [0.0] * len(table)
    for category in table.columns:
        ax.bar(list(table.index), table[category].values, bottom=bottom, label=category)
        bottom = [b + v for b, v in zip(bottom, table[category].values)]
    budgets = plan.periods.set_index("period").budget_usd
    if budgets.notna().any():
        for i, period in enumerate(table.index):
            if budgets.get(period) == budgets.get(period):  # not NaN
                ax.plot([i - 0.4, i + 0.4], [budgets[period] / 1e9] * 2, color="k", lw=2,
                        label="capex cap" if i == 0 else None)
    ax.set_ylabel("cash [billion USD]")
    ax.set_title("Spend by year and category (undiscounted)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def fleet_by_generation(plan: BuildoutPlan) -> Figure:
    """Installed nodes' facility MW by hardware generation over time (stacked area)."""
    installed = plan.fleet[plan.fleet.role == "installed"]
    table = installed.pivot_table(index="period", columns="hardware", values="mw", aggfunc="sum", fill_value=0.0)
    table = table.reindex(plan.periods.period, fill_value=0.0)
    fig, (ax,) = new_figure(8, 3.2)
    x = [int(p) for p in table.index]
    if not table.empty:
        stacked(ax, x, [table[h].values for h in table.columns], list(table.columns))
    ax.set_xticks(x)
    ax.set_ylabel("installed facility power [MW]")
    ax.set_title("Installed fleet by hardware generation")
    ax.legend(fontsize=7, loc="upper left")
    return fig


def power_per_site(plan: BuildoutPlan) -> Figure:
    """MW powered (bars) and MW of installed nodes (dots) per site and period."""
    sites = plan.sites
    table = sites.pivot_table(index="site", columns="period", values="mw_powered", aggfunc="sum", fill_value=0.0)
    used = sites.pivot_table(index="site", columns="period", values="mw_installed", aggfunc="sum", fill_value=0.0)
    periods = list(table.columns)
    fig, (ax,) = new_figure(9, 3.6)
    width = 0.8 / max(1, len(periods))
    for j, period in enumerate(periods):
        xs = [i - 0.4 + width * (j + 0.5) for i in range(len(table))]
        ax.bar(xs, table[period].values, width=width, label=f"{period} powered", alpha=0.8)
        ax.plot(xs, used[period].reindex(table.index).values, "k.", ms=4,
                label="installed nodes" if j == 0 else None)
    ax.set_xticks(range(len(table)), list(table.index), rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("facility power [MW]")
    ax.set_title("Power built (bars) and used by installed nodes (dots), per site and year")
    ax.legend(fontsize=7, ncols=3)
    return fig


def capability_trajectory(plan: BuildoutPlan) -> Figure:
    """K per period (exact laws), stacked by its three terms' weighted contributions, with the release."""
    sc = plan.scenario
    w = sc.capability
    p = plan.periods
    fig, (ax,) = new_figure(8, 3.2)
    x = [int(v) for v in p.period]
    parts = {"pre-training": w.weight_pretraining * p.k_pretraining, "RL": w.weight_rl * p.k_rl,
             "test time": w.weight_test_time * p.k_test_time}
    stacked(ax, x, list(parts.values()), list(parts), alpha=0.7)
    ax.plot(x, p.capability, "k-o", label="capability K")
    ax.set_ylim(top=max(max(p.capability), 0.0) * 1.18 + 0.02)  # room for the labels above the points
    for xi, k, model, thinking in zip(x, p.capability, p.model, p.thinking):
        ax.annotate(f"{model}\n{thinking}", (xi, k), textcoords="offset points", xytext=(0, 6), fontsize=7,
                    ha="center")
    ax.set_xticks(x)
    ax.set_ylabel("capability index [-]")
    ax.set_title("Capability by year (exact laws) and the model served")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def training_gantt(plan: BuildoutPlan) -> Figure:
    """Which campus trains which release when: one bar per release, pre-training then RL."""
    sc = plan.scenario
    releases = plan.releases
    hosts = sorted({h for h in releases.host_site if h})
    fig, (ax,) = new_figure(8, 0.6 + 0.5 * max(1, len(hosts)))
    pre, rl = sc.pretraining.duration_days / 365.25, sc.rl.duration_days / 365.25
    for _, row in releases.iterrows():
        if not row.host_site:
            continue
        y, year = hosts.index(row.host_site), int(row.release)
        ax.barh(y, pre, left=year, color="#3b6ea5", label="pre-training" if _ == 0 else None)
        ax.barh(y, rl, left=year + pre, color="#e08a3c", label="RL" if _ == 0 else None)
        ax.text(year + 0.01, y, f"{row.release}: {row.model}", va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(hosts)), hosts)
    years = [int(p) for p in plan.periods.period]
    ax.set_xlim(years[0], years[-1] + int(plan.periods.years.iloc[-1]))
    ax.set_xlabel("year")
    ax.set_title("Which campus trains which release when")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def figures(plan: BuildoutPlan) -> list[Figure]:
    return [capability_trajectory(plan), capex_by_year(plan), fleet_by_generation(plan), power_per_site(plan),
            training_gantt(plan)]
