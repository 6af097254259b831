"""Benchmark (not a test): the uncertainty commands' wall time on this machine, against their targets.

* Monte Carlo: ``--samples`` Latin-hypercube samples of the baseline's ``uncertainty:`` block on
  ``--workers`` processes (issue 12 target: 1,000 samples in under 2 minutes on 2 cores); also samples
  per second per worker, and the same run's points per second of a plain budget sweep of equal size, so
  the ratio (Monte Carlo / sweep) is measured side by side and does not depend on the machine's speed.
* Two-stage plan: ``optimizer robust`` on the 2026-2030 build-out for each K in ``--scenarios`` (target:
  K = 20 in under 10 minutes), with the time in the extensive form (HiGHS) and in the K x (2 + candidates)
  single-scenario solves around it, to show how each part scales in K.

    python benchmarks/uncertainty.py [--samples 1000] [--workers 2] [--scenarios 5 10 20] [--skip-mc]
"""

from __future__ import annotations

import argparse
import time

from optimizer.scenario import load_scenario


def montecarlo(samples: int, workers: int) -> None:
    from optimizer import api

    sc = load_scenario("scenarios/baseline.yaml")
    start = time.perf_counter()
    tables = api.montecarlo(sc, samples, workers=workers)
    mc = time.perf_counter() - start
    start = time.perf_counter()
    api.sweep(sc, {"budget_usd": f"1e11:2e11:{samples}"}, workers=workers, duals=False)
    sweep = time.perf_counter() - start
    solved = int((tables["montecarlo"].status == "optimal").sum())
    print(f"montecarlo: {samples} samples ({solved} solved) on {workers} workers: {mc:.1f} s "
          f"({samples / mc / workers:.1f} samples/s per worker); a budget sweep of {samples} points: {sweep:.1f} s; "
          f"ratio {mc / sweep:.2f}")


def robust(counts: list[int], workers: int) -> None:
    from optimizer import api

    sc = load_scenario("scenarios/buildout-2026-2030.yaml")
    print("K   total [s]  EF HiGHS [s]  EF solves  ef_status  EVPI        VSS")
    for k in counts:
        start = time.perf_counter()
        tables = api.robust(sc, scenarios=k, workers=workers)
        total = time.perf_counter() - start
        value = tables["robust_value"].set_index("measure").value
        print(f"{k:<3} {total:9.1f}  {value['highs_seconds']:12.1f}  {value['refinement_solves']:9.0f}  "
              f"{value['ef_status']:9.0f}  {value['EVPI']:.3e}  {value['VSS']:.3e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", type=int, nargs="*", default=[5, 10, 20])
    parser.add_argument("--skip-mc", action="store_true")
    args = parser.parse_args()
    if not args.skip_mc:
        montecarlo(args.samples, args.workers)
    if args.scenarios:
        robust(args.scenarios, args.workers)


if __name__ == "__main__":
    main()
