"""``alatau-geo compare`` and ``alatau-geo uncertainty``: scenarios side by side, and how sure their figures are."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from alatau_geo.cli.common import folder, progress, say, workspace_of
from alatau_geo.plan.workspace import resolve_workspace

_EPILOG_COMPARE = """\
examples:
  alatau-geo compare default sez_scenario --out comparison
  alatau-geo compare default wider_green sez_scenario --out ~/reports/alatau --no-pdf

The workspaces must be built (alatau-geo -w DIR build). A scenario to start from:
  alatau-geo init sez_scenario --from industrial_logistics_sez
"""
_EPILOG_UNCERTAINTY = """\
examples:
  alatau-geo uncertainty my_scenario --runs 50 --seed 7
  alatau-geo uncertainty default --runs 20 --workers 2 --out-dir /tmp/alatau_uncertainty
  alatau-geo uncertainty my_scenario --runs 200 --scheduler tcp://10.0.0.5:8786

Writes uncertainty_indicators.csv (median and 5-95 % band of every indicator), uncertainty_zones.csv
(stability of the zones and their calibrated parameters), uncertainty_runs.csv (every run, its drawn
parameters and any failure), uncertainty_samples.csv, and the probability of each cell lying in each
district: district_probability_<district>.tif and district_probability.geojson.
"""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``compare`` and ``uncertainty`` to the command parsers."""
    compare = commands.add_parser(
        "compare", parents=[common], help="compare scenarios on indicators (HTML and PDF report)",
        description="Compute one documented set of indicators for each built workspace (area and buildable area "
        "by district, residents and jobs by district and phase, residents within reach of each facility kind, "
        "travel times, 2SFCA, new networks, facilities, land in hazard bands) and write them side by side with "
        "their differences from the first workspace: comparison.csv, one self-contained comparison.html with "
        "maps and charts, and comparison.pdf (one page per section). Workspaces built from different reference "
        "data are compared with a warning.",
        epilog=_EPILOG_COMPARE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("workspaces", metavar="WS", nargs="+",
                         help="workspace folders (or 'default'); at least two; differences are against the first")
    compare.add_argument("--out", metavar="DIR", required=True, help="folder for the report files")
    compare.add_argument("--no-pdf", action="store_true", help="write the CSV and HTML only")
    compare.set_defaults(run=run_compare)

    uncertainty = commands.add_parser(
        "uncertainty", parents=[common], help="how much the indicators depend on approximate positions and guesses",
        description="Rebuild the plan N times, each time with every approximate position (places, corridor "
        "waypoints, given infrastructure and project positions) moved within its tolerance (the tables' "
        "tolerance_m, else [uncertainty.default_tolerance_m] by position_quality) and the plan entries of "
        "[uncertainty.ranges] drawn in their ranges; recompute the indicators; report each one's median and "
        "5-95 % band, the stability of the calibrated zones, and per cell of a coarse grid the probability of "
        "lying in each district. Runs in parallel on Dask: a local cluster, or a running scheduler. Seeded: "
        "the same seed gives the same result on any number of workers. A failed run is recorded and the rest "
        "go on.",
        epilog=_EPILOG_UNCERTAINTY, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    uncertainty.add_argument("target", metavar="WS", nargs="?",
                             help="workspace folder or 'default' (default: -w, the current folder, or the default "
                             "scenario)")
    uncertainty.add_argument("--runs", metavar="N", type=_at_least(1),
                             help="runs (default: the plan's uncertainty.runs)")
    uncertainty.add_argument("--seed", metavar="S", type=_at_least(0),
                             help="seed (default: the plan's uncertainty.seed)")
    uncertainty.add_argument("--scheduler", metavar="ADDRESS",
                             help="address of a running Dask scheduler (default: a local cluster)")
    uncertainty.add_argument("--workers", metavar="K", type=_at_least(1), default=2,
                             help="workers of the local cluster (default: 2)")
    uncertainty.add_argument("--threads", action="store_true",
                             help="local workers as threads of this process instead of processes")
    uncertainty.add_argument("--out-dir", metavar="DIR", help="where the results go (default: the workspace's "
                             "reports/)")
    uncertainty.set_defaults(run=run_uncertainty)


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least `minimum`."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return whole_number


def run_compare(args: argparse.Namespace) -> int:
    """``alatau-geo compare WS1 WS2 [...] --out DIR``."""
    from alatau_geo.core.errors import UsageError
    from alatau_geo.jobs.compare import compare_workspaces, write_comparison

    if len(args.workspaces) < 2:
        raise UsageError("compare needs at least two workspaces, e.g. alatau-geo compare default my_scenario --out DIR")
    workspaces = [resolve_workspace(given) for given in args.workspaces]
    with progress(len(workspaces) + 1, quiet=args.quiet) as step:
        comparison = compare_workspaces(workspaces, on_step=step)
        step("writing the report")
        written = write_comparison(comparison, args.out, pdf=not args.no_pdf)
    wide = comparison.wide
    changed = wide[[c for c in wide.columns if " - " in c]].fillna(0).ne(0).any(axis=1)
    say(f"{len(wide)} indicators, {int(changed.sum())} differ between {', '.join(comparison.labels)}; wrote "
        + ", ".join(str(path) for path in written))
    return 0


def run_uncertainty(args: argparse.Namespace) -> int:
    """``alatau-geo uncertainty WS --runs N``."""
    from alatau_geo.jobs import uncertainty as job

    workspace = resolve_workspace(args.target) if args.target else workspace_of(args)
    inputs = job.prepare_inputs(workspace)
    settings = inputs.plan.uncertainty
    runs = args.runs or settings.runs
    seed = settings.seed if args.seed is None else args.seed
    where = args.scheduler or f"a local cluster of {args.workers} {'thread' if args.threads else 'process'} workers"
    say(f"{runs} uncertainty runs of {workspace.label} (seed {seed}) on {where}")
    with progress(runs + 1, quiet=args.quiet) as step, \
            job.dask_client(args.scheduler, workers=args.workers, processes=not args.threads) as client:
        results = job.run_on_dask(inputs, runs=runs, seed=seed, client=client,
                                  on_result=lambda r: step(f"run {r.run} {'failed' if r.error else 'done'}"))
    result = job.summarise(results, inputs, seed=seed)
    written = job.write_uncertainty(result, folder(args.out_dir, workspace.reports_dir), plan=inputs.plan)
    for row in result.failures.itertuples(index=False):
        print(f"alatau-geo: run {row.run} failed: {row.error}", file=sys.stderr)
    _print_bands(result.bands)
    say(f"{len(result.runs) - len(result.failures)} of {runs} runs done; wrote {len(written)} files to "
        f"{written[0].parent}/ (uncertainty_indicators.csv, uncertainty_zones.csv, district_probability.geojson ...)")
    return 0


def _print_bands(bands: object) -> None:
    """The indicators whose band is widest beside their planned value."""
    import numpy as np

    finite = bands[np.isfinite(bands["band_width"]) & (bands["planned"].abs() > 0)]
    relative = (finite["band_width"] / finite["planned"].abs()).sort_values(ascending=False)
    print("indicator\tplanned\tmedian\t5 %\t95 %")
    for index in relative.index[:10]:
        row = bands.loc[index]
        print(f"{row['name']}\t{row['planned']:,.4g}\t{row['median']:,.4g}\t{row['p05']:,.4g}\t{row['p95']:,.4g}")
