"""Charts of the uncertainty analyses (matplotlib Figures, no pyplot; the report embeds them):
fan charts of Monte Carlo bands by year, p5-p95 bars for a one-period plan, sensitivity indices with
their 95% intervals, and the regret heat map of the two-stage analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.plot import new_figure
from optimizer.text_report import human

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

FAN_OUTPUTS = {"capability": "capability index K [-]", "capex": "capex [USD]", "sites_online": "sites powered",
               "nodes_installed": "nodes installed"}
BAR_OUTPUTS = {"capability_index": "capability index K [-]", "spend_pretraining_usd": "pre-training [USD]",
               "spend_rl_usd": "RL [USD]", "spend_inference_usd": "inference [USD]", "spend_sites_usd": "sites [USD]"}


def bands(table: pd.DataFrame) -> Figure | None:
    """Fan charts by year (a build-out) or p5-p95 bars (one period)."""
    by_year = table[table.period != ""]
    return fans(by_year) if not by_year.empty else band_bars(table)


def fans(table: pd.DataFrame) -> Figure:
    """Per output over the years: the p5-p95 band, the median line and the mean (dashed)."""
    shown = [o for o in FAN_OUTPUTS if o in set(table.output)]
    fig, axes = new_figure(5.5 * min(2, len(shown)), 3.6 * -(-len(shown) // 2), ncols=1)
    fig.clear()
    grid = fig.subplots(-(-len(shown) // 2), min(2, len(shown)), squeeze=False).ravel()
    for ax, output in zip(grid, shown):
        part = table[table.output == output].sort_values("period")
        years = part.period.astype(int)
        ax.fill_between(years, part.p5, part.p95, color="#4f81bd", alpha=0.25, label="p5-p95")
        ax.plot(years, part.p50, color="#4f81bd", marker="o", label="median")
        ax.plot(years, part["mean"], color="k", ls="--", lw=1, label="mean")
        ax.set_title(FAN_OUTPUTS[output])
        ax.set_xticks(list(years))
        ax.yaxis.set_major_formatter(_human())
    grid[0].legend(fontsize=8)
    for ax in grid[len(shown):]:
        ax.set_visible(False)
    fig.suptitle("Monte Carlo bands by year")
    return fig


def band_bars(table: pd.DataFrame) -> Figure | None:
    """One-period plan: capability and the spend split, p5-p95 bars with the median marked."""
    rows = table[table.output.isin(BAR_OUTPUTS)].set_index("output")
    if rows.empty:
        return None
    fig, axes = new_figure(10, 3.2, ncols=2)
    groups = (["capability_index"], [o for o in BAR_OUTPUTS if o != "capability_index"])
    for ax, outputs in zip(axes, groups):
        shown = [o for o in outputs if o in rows.index]
        for i, output in enumerate(shown):
            row = rows.loc[output]
            ax.barh(i, row.p95 - row.p5, left=row.p5, height=0.5, color="#4f81bd", alpha=0.4)
            ax.plot([row.p50], [i], "k|", ms=14)
            ax.text(row.p95, i, f"  {human(row.p5)}-{human(row.p95)}", va="center", fontsize=8)
        low, high = rows.loc[shown, "p5"].min(), rows.loc[shown, "p95"].max()
        span = max(high - low, abs(high) * 1e-3, 1e-12)
        ax.set_xlim(0 if len(shown) > 1 else low - 0.3 * span, high + 0.45 * span)  # room for the labels
        ax.set_ylim(-0.7, len(shown) - 0.3)
        ax.set_yticks(range(len(shown)))
        ax.set_yticklabels([BAR_OUTPUTS[o] for o in shown], fontsize=8)
        ax.xaxis.set_major_formatter(_human())
    axes[0].set_title("capability: p5-p95, median |")
    axes[1].set_title("spend split: p5-p95, median |")
    return fig


def sensitivity(table: pd.DataFrame) -> Figure:
    """Sobol' S1 and ST (or Morris mu*) per input with 95% intervals, largest first."""
    data = table.iloc[::-1]
    fig, (ax,) = new_figure(8, 0.45 * len(data) + 1.4)
    y = np.arange(len(data))
    if "ST" in data:
        ax.barh(y + 0.2, data.ST, height=0.4, xerr=data.ST_conf, color="#4f81bd", label="total ST")
        ax.barh(y - 0.2, data.S1, height=0.4, xerr=data.S1_conf, color="#9bbb59", label="first order S1")
        ax.set_xlabel("share of the output's variance [-] (bars: 95% interval)")
        ax.legend(fontsize=8)
    else:
        ax.barh(y, data.mu_star, xerr=data.mu_star_conf, color="#4f81bd")
        ax.set_xlabel("Morris mu* (mean |elementary effect|) (bars: 95% interval)")
    ax.set_yticks(y)
    ax.set_yticklabels(data.input, fontsize=8)
    ax.set_title(f"Global sensitivity of {table.output.iloc[0]} ({table.method.iloc[0]})")
    return fig


def regret(table: pd.DataFrame) -> Figure:
    """Heat map of regret (best possible - achieved) per candidate first stage and scenario."""
    grid = table.pivot(index="candidate", columns="scenario", values="regret")
    grid = grid.loc[list(dict.fromkeys(table.candidate)), list(dict.fromkeys(table.scenario))]
    values = grid.to_numpy(dtype=float)
    shown = np.where(np.isfinite(values), values, np.nan)
    fig, (ax,) = new_figure(max(6, 0.9 * grid.shape[1] + 3), max(3.5, 0.6 * grid.shape[0] + 2))
    image = ax.imshow(shown, cmap="Reds", aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "infeasible" if np.isinf(v) else human(v), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels(grid.columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels(grid.index, fontsize=8)
    fig.colorbar(image, ax=ax, label=f"regret [{table.unit.iloc[0]}]")
    ax.set_title("Regret of each first stage in each scenario")
    return fig


def _human():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: human(x))
