"""A self-contained HTML report: the ``optimizer.plot`` figures embedded as PNG data, tables, and the sourced
assumptions. Rendering never switches matplotlib's backend (figures are saved through their own canvas)."""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from optimizer import plot
from optimizer.paramdoc import source_of
from optimizer.replicas import replica_table
from optimizer.results import Plan
from optimizer.scenario import get_path, parameter_paths
from optimizer.schema import Scenario
from optimizer.text_report import human, is_number

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}.num{text-align:right;white-space:nowrap}img{max-width:100%}h2{margin-top:2em}
.meta{color:#555;font-size:13px}td:not(:last-child){white-space:nowrap}"""


def figure_tag(fig) -> str:
    """The figure as an inline PNG <img> ('' for no figure)."""
    if fig is None:
        return ""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def table_tag(table: pd.DataFrame) -> str:
    """An HTML table with compact numbers (``human``), numbers right-aligned and text left-aligned."""
    def cell(value) -> str:
        return f"<td{' class=num' if is_number(value) else ''}>{html.escape(human(value))}</td>"

    head = "".join(f"<th>{html.escape(str(col))}</th>" for col in table.columns)
    rows = "".join("<tr>" + "".join(cell(value) for value in row) + "</tr>"
                   for row in table.itertuples(index=False, name=None))
    return f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"


def assumptions_table(sc: Scenario) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": p, "value": get_path(sc, p), "source": source_of(sc, p)}
                         for p in parameter_paths(sc)])


def render_report(sc: Scenario, tables: dict[str, pd.DataFrame], plan: Plan | None = None, *,
                  title: str | None = None, provenance: dict | None = None) -> str:
    """The whole report as one HTML string; ``title`` says which run it is (default: the tables' names)."""
    kind = title or (" + ".join(tables) if tables else "plan")
    heading = f"{kind}: {sc.name}"
    parts = [f"<h1>{html.escape(heading)}</h1>", f"<p>{html.escape(sc.description)}</p>"]
    if provenance:
        inputs = provenance.get("input_file", "")
        applied = [f"scenario {provenance['named_scenario']}"] if provenance.get("named_scenario") else []
        applied += [f"override {o}" for o in provenance.get("overrides", [])]
        applied += [f"--set {k}={v}" for k, v in (provenance.get("sets") or {}).items()]
        parts.append(f"<p class=meta>Run {html.escape(provenance.get('created_utc', ''))} UTC from "
                     f"{html.escape(str(inputs))}{html.escape('; ' + ', '.join(applied)) if applied else ''}; "
                     f"optimizer {html.escape(provenance['versions']['compute-allocation-optimizer'])}, "
                     f"HiGHS (highspy) {html.escape(provenance['versions']['highspy'])}.</p>")
    if plan is not None and plan.summary.get("kind") == "buildout":
        parts += buildout_section(plan)
    elif plan is not None:
        s = plan.summary
        parts += [
            "<h2>Plan</h2>",
            f"<p>Capability index <b>{s['capability_index']:.4f}</b>; spend ${human(s['total_cost_usd'])} of "
            f"${human(s['budget_usd'])}; served model <b>{html.escape(s['served_model'])}</b> at "
            f"{html.escape(s['thinking'])} thinking; {human(s['pretraining_tokens'])} pre-training tokens.</p>",
            figure_tag(plot.workloads(plan)), figure_tag(plot.sites(plan)),
            "<h3>Serving options</h3><p>Users and tokens/s per node of every (hardware, model, thinking) option, "
            "marked by the limit that binds: the space the plan chose its serving from.</p>",
            figure_tag(plot.serving(replica_table(sc))),
        ]
        for name, table in plan.tables().items():
            parts += [f"<h3>{html.escape(name)}</h3>", table_tag(table)]
    charts = {"frontier": lambda t: plot.frontier(t, sc.objective), "tornado": lambda t: plot.tornado(t, sc.objective),
              "sweep": lambda t: plot.sweep(t, sc.objective), "alternatives": plot.alternatives,
              "serving_options": plot.serving, **uncertainty_charts()}
    for name, table in tables.items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        if name in charts and not table.empty:
            parts.append(figure_tag(charts[name](table)))
        parts.append(table_tag(table))
    parts += ["<h2>Assumptions and sources</h2>", table_tag(assumptions_table(sc))]
    body = "\n".join(parts)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(heading)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def uncertainty_charts() -> dict:
    from optimizer.uncertainty import plot as uplot

    return {"montecarlo_bands": uplot.bands, "sensitivity": uplot.sensitivity, "robust_regret": uplot.regret}


def buildout_section(plan) -> list[str]:
    """The plan part of a multi-period report: the per-year headline, the five build-out charts, the tables."""
    from optimizer.buildout import plot as buildout_plot

    s = plan.summary
    parts = ["<h2>Plan</h2>",
             f"<p>Objective ({html.escape(s['objective'])}) <b>{s['objective_value']:.4f}</b>; final-year capability "
             f"{s['final_capability']:.4f}; discounted cost ${human(s['total_cost_usd'])} of "
             f"${human(s['budget_usd'])} (capex ${human(s['capex_usd'])}, remaining value "
             f"${human(s['remaining_value_usd'])}); discount rate {s['discount_rate']:g}.</p>"]
    parts += [figure_tag(fig) for fig in buildout_plot.figures(plan)]
    for name, table in plan.tables().items():
        parts += [f"<h3>{html.escape(name)}</h3>", table_tag(table)]
    return parts
