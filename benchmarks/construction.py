"""Benchmark (not a test): which way of writing Pyomo constraints builds and loads fastest.

Issue 11 measured the one-period engine's serving block at 48k (hardware, site, model, thinking)
combinations: 7.4 s in Pyomo (build plus ``set_instance``), 0.72 s with linopy, 0.05 s with numpy into
highspy. This builds that block's shape, the capacity rows and the per-group sum rows

    users[i] <= cap_i nodes[i]                  (one row per combination i)
    sum_{i in g} nodes[i] <= fleet[g]           (one row per group g of ``--group`` combinations)

in each way Pyomo offers, and hands each model to Pyomo's persistent HiGHS:

* rule + sum:      ``Constraint(I, rule=...)`` with Python's ``sum`` over terms (the engine's style);
* rule + quicksum: the same with ``quicksum`` (its ``linear=`` argument is ignored since Pyomo 6.6);
* LinearExpression: each row's left side built directly from its coefficient and variable lists;
* LP file:         the rule + sum model through Pyomo's compiled LP writer and ``highspy.readModel``
                   (not persistent: a sweep could not change it in place);
* raw highspy:     the same rows as numpy arrays through ``addVars`` / ``addRows`` (the floor).

Printed: build, ``set_instance`` and their sum per way, best of ``--repeat``.

    python benchmarks/construction.py [--rows 48000] [--group 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.solver import persistent_highs


def data(rows: int, group: int):
    rng = np.random.default_rng(0)
    return rng.uniform(1.0, 100.0, rows), rows // group


def skeleton(rows: int, groups: int) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(0, rows - 1)
    m.G = pyo.RangeSet(0, groups - 1)
    m.users = pyo.Var(m.I, domain=pyo.NonNegativeReals)
    m.nodes = pyo.Var(m.I, domain=pyo.NonNegativeReals)
    m.fleet = pyo.Var(m.G, domain=pyo.NonNegativeReals, bounds=(0, 10))
    m.objective = pyo.Objective(expr=sum(m.users[i] for i in m.I), sense=pyo.maximize)
    return m


def rule_sum(rows: int, group: int) -> pyo.ConcreteModel:
    cap, groups = data(rows, group)
    m = skeleton(rows, groups)
    m.capacity = pyo.Constraint(m.I, rule=lambda m, i: m.users[i] <= float(cap[i]) * m.nodes[i])
    m.fleet_use = pyo.Constraint(m.G, rule=lambda m, g: sum(m.nodes[i] for i in range(g * group, (g + 1) * group))
                                 <= m.fleet[g])
    return m


def rule_quicksum(rows: int, group: int) -> pyo.ConcreteModel:
    cap, groups = data(rows, group)
    m = skeleton(rows, groups)
    m.capacity = pyo.Constraint(m.I, rule=lambda m, i: m.users[i] - float(cap[i]) * m.nodes[i] <= 0)
    m.fleet_use = pyo.Constraint(m.G, rule=lambda m, g: pyo.quicksum(
        m.nodes[i] for i in range(g * group, (g + 1) * group)) - m.fleet[g] <= 0)
    return m


def linear_expression(rows: int, group: int) -> pyo.ConcreteModel:
    cap, groups = data(rows, group)
    m = skeleton(rows, groups)
    m.capacity = pyo.Constraint(m.I, rule=lambda m, i: (LinearExpression(
        constant=0.0, linear_coefs=[1.0, -float(cap[i])], linear_vars=[m.users[i], m.nodes[i]]), None, 0.0))
    ones = [1.0] * group
    m.fleet_use = pyo.Constraint(m.G, rule=lambda m, g: (LinearExpression(
        constant=0.0, linear_coefs=ones + [-1.0],
        linear_vars=[m.nodes[i] for i in range(g * group, (g + 1) * group)] + [m.fleet[g]]), None, 0.0))
    return m


def lp_file(rows: int, group: int) -> tuple[float, float]:
    """(build, write + read) of the rule + sum model through an LP file."""
    import os
    import tempfile

    import highspy

    t0 = time.perf_counter()
    m = rule_sum(rows, group)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "block.lp")
        m.write(path, io_options={"symbolic_solver_labels": False})
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(path)
    return t1 - t0, time.perf_counter() - t1


def raw_highspy(rows: int, group: int) -> float:
    import highspy

    cap, groups = data(rows, group)
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    columns = 2 * rows + groups  # users 0..n-1, nodes n..2n-1, fleet 2n..
    h.addVars(columns, np.zeros(columns), np.r_[np.full(2 * rows, inf), np.full(groups, 10.0)])
    index = np.arange(rows)
    h.addRows(rows, np.full(rows, -inf), np.zeros(rows), 2 * rows, np.arange(0, 2 * rows, 2),
              np.column_stack([index, rows + index]).ravel(), np.column_stack([np.ones(rows), -cap]).ravel())
    width = group + 1
    g = np.arange(groups)
    cols = np.column_stack([rows + g[:, None] * group + np.arange(group)[None, :], 2 * rows + g]).ravel()
    values = np.tile(np.r_[np.ones(group), -1.0], groups)
    h.addRows(groups, np.full(groups, -inf), np.zeros(groups), groups * width, np.arange(0, groups * width, width),
              cols, values)
    return time.perf_counter() - start


WAYS = {"rule + sum": rule_sum, "rule + quicksum": rule_quicksum, "LinearExpression": linear_expression}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=48_000)
    parser.add_argument("--group", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best: dict[str, tuple[float, float]] = {}
    counts = {}
    for _ in range(args.repeat):
        for name, build in WAYS.items():
            t0 = time.perf_counter()
            m = build(args.rows, args.group)
            t1 = time.perf_counter()
            solver = persistent_highs(m)
            t2 = time.perf_counter()
            counts[name] = (solver._solver_model.getNumRow(), solver._solver_model.getNumNz())
            if name not in best or t2 - t0 < sum(best[name]):
                best[name] = (t1 - t0, t2 - t1)
        written = lp_file(args.rows, args.group)
        if "LP file" not in best or sum(written) < sum(best["LP file"]):
            best["LP file"] = written
        raw = raw_highspy(args.rows, args.group)
        best["raw highspy"] = min(best.get("raw highspy", (raw, 0.0)), (raw, 0.0))
    rows, nonzeros = next(iter(counts.values()))
    assert all(c == (rows, nonzeros) for c in counts.values()), counts  # every way builds the same rows
    print(f"{args.rows:,} capacity rows + {args.rows // args.group:,} group rows ({rows:,} rows, {nonzeros:,} "
          f"nonzeros), best of {args.repeat}")
    print(f"{'way':<18} {'build s':>8} {'load s':>15} {'total s':>8}   (load: set_instance, or write + read)")
    for name, (build, load) in best.items():
        print(f"{name:<18} {build:8.2f} {load:15.2f} {build + load:8.2f}")


if __name__ == "__main__":
    main()
