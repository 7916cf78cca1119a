"""Benchmark: uncertainty runs on a 2-worker Dask LocalCluster beside the same runs one after the other.

Run:  python benchmarks/bench_uncertainty.py [--runs 20] [--repeats 1] [--workspace default]

On the default scenario (the committed layers), reports:

- one run (move, draw, rebuild the zones and placed objects, recompute every
  indicator and the district grid): median of 3;
- `--runs` runs (plus the plan as it is) one after the other in this process,
  and the same runs as tasks on a LocalCluster of 2 worker processes (one
  thread each), medians of `--repeats`; the cluster's start-up is timed apart;
- the ratio sequential / Dask, the median wall-clock and processor time of a
  run inside its task in both (their gap is time spent waiting for a busy
  processor), and whether both gave the same results;
- the capacity the machine gives the two workers at that moment: the same
  pure-Python work twice in this process and once on each worker (2 on two
  free cores).

The machine has 2 cores shared with other work: the ratio is at most 2 and
falls when the cores are busy (the load average is printed before and after).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import time

import pandas as pd

from alatau_geo.jobs import uncertainty as job
from alatau_geo.plan.workspace import resolve_workspace
from bench_results import machine, median_time, write_results


def burn(n: int) -> float:
    """Pure-Python work with no I/O: what two cores give two processes of it is the cluster's capacity."""
    total = 0
    for i in range(n):
        total += i * i
    return float(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1, help="repeats of the sequential and Dask timings")
    parser.add_argument("--workspace", default="default")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = machine()
    inputs = job.prepare_inputs(resolve_workspace(args.workspace))
    print(f"load average before: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    one, _ = median_time(lambda: job.run_sample(inputs, 0, seed=args.seed), 3)
    print(f"one run (median of 3): {one:.2f} s")

    sequential, in_order = median_time(lambda: job.run_sequentially(inputs, runs=args.runs, seed=args.seed),
                                       args.repeats)
    print(f"{args.runs} runs + the plan as it is, one after the other: {sequential:.1f} s "
          f"(median of {args.repeats})")

    start = time.perf_counter()
    with job.dask_client(workers=2, processes=True) as client:
        client.wait_for_workers(2)
        client.run(importlib.import_module, "alatau_geo.jobs.uncertainty")  # the workers' imports count as start-up
        startup = time.perf_counter() - start
        parallel, on_dask = median_time(lambda: job.run_on_dask(inputs, runs=args.runs, seed=args.seed,
                                                                client=client), args.repeats)
        # The capacity the machine gives two worker processes at this moment: the same pure-Python work
        # twice in this process, then once on each worker.
        n = 20_000_000
        burn_alone, _ = median_time(lambda: (burn(n), burn(n)), 1)
        burn_dask, _ = median_time(lambda: client.gather(client.map(burn, [n, n], pure=False)), 1)
    print(f"LocalCluster of 2 worker processes: start-up {startup:.1f} s; the same runs {parallel:.1f} s "
          f"(median of {args.repeats})")
    print(f"ratio sequential / Dask: {sequential / parallel:.2f} (runs only), "
          f"{sequential / (parallel + startup):.2f} (with the cluster's start-up)")
    print(f"the machine's capacity: the same pure-Python work twice took {burn_alone:.2f} s in one process and "
          f"{burn_dask:.2f} s on the two workers (ratio {burn_alone / burn_dask:.2f}; 2 on two free cores)")

    inside = {}
    for label, results in (("sequential", in_order), ("dask", on_dask)):
        done = [r for r in results if r.error is None]
        inside[label] = {"median_s": statistics.median(r.seconds for r in done),
                         "cpu_median_s": statistics.median(r.cpu_seconds for r in done)}
        print(f"a run inside its task, {label}: median {inside[label]['median_s']:.1f} s wall, "
              f"{inside[label]['cpu_median_s']:.1f} s processor")
    a = job.summarise(in_order, inputs, seed=args.seed)
    b = job.summarise(on_dask, inputs, seed=args.seed)
    same = a.samples.equals(b.samples) and a.bands.equals(b.bands)
    failed = int((~a.runs["ok"]).sum())
    print(f"same results in order and on Dask: {same}; failed runs: {failed} of {args.runs}")
    print(f"load average after: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    write_results("uncertainty", {
        "runs": args.runs, "repeats": args.repeats, "workers": 2, "seed": args.seed, "one_run_s": one,
        "sequential_s": sequential, "dask_s": parallel, "dask_startup_s": startup,
        "ratio_sequential_over_dask": sequential / parallel,
        "ratio_with_startup": sequential / (parallel + startup), "run_inside_task": inside,
        "same_results": bool(same), "failed_runs": failed,
        "capacity": {"one_process_s": burn_alone, "two_workers_s": burn_dask, "ratio": burn_alone / burn_dask},
    }, started=started)
    widest = a.bands.assign(relative=a.bands["band_width"] / a.bands["planned"].abs())
    widest = widest[pd.notna(widest["relative"]) & (widest["planned"] != 0)].nlargest(5, "relative")
    for row in widest.itertuples(index=False):
        print(f"  {row.name}: planned {row.planned:,.4g}, 5-95 % {row.p05:,.4g} .. {row.p95:,.4g}")


if __name__ == "__main__":
    main()
