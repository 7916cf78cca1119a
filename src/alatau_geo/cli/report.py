"""``alatau-geo report``: analysis tables as CSV and Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path

from alatau_geo.cli.common import folder, progress, say, workspace_of
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import Plan

TABLES = ("areas", "placement", "proximity")
"""The tables ``report`` writes."""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``report`` to the command parsers."""
    report = commands.add_parser(
        "report", parents=[common], help="write analysis tables (CSV and Markdown)",
        description="Write an analysis table of the workspace's layers as CSV and Markdown into its reports/ folder. "
        "'areas': per district and for the city, area in ha (equal-area), share of the city, buildable area (steep "
        "land, water and water protection zones removed), overlap with the SEZ, published figure and difference, "
        "densities. 'placement': every placement rule of every infrastructure object and project, and which ones it "
        "breaks. 'proximity': nearest facility of each kind for settlements, projects and a 100 m grid, uncovered "
        "area per district, settlements outside the service radii, travel times to Almaty and Konaev, street "
        "statistics per district, jobs within 30 and 45 minutes and the 2SFCA score. The layers must have been "
        "built from the workspace's plan as it is now.",
        epilog="examples:\n  alatau-geo report areas\n  alatau-geo -w my_scenario report placement\n"
        "  alatau-geo report proximity --out-dir ~/tables",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("table", choices=TABLES, help="which table")
    report.add_argument("--out-dir", metavar="DIR", help="where tables go (default: the workspace's reports/)")
    report.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    """``alatau-geo report TABLE``."""
    from alatau_geo.core.io import read_layers
    from alatau_geo.plan.workspace import check_layers_match

    workspace = workspace_of(args)
    plan = workspace.load_plan()
    check_layers_match(workspace, plan)
    out = folder(args.out_dir, workspace.reports_dir)
    with progress(2, quiet=args.quiet) as step:
        step("reading the layers")
        layers = read_layers(workspace.layers_dir)
        step(f"{args.table} analysis")
        if args.table == "placement":
            return _placement(layers, plan, layers_dir=workspace.layers_dir, out=out)
        if args.table == "proximity":
            return _proximity(layers, plan, out=out)
        return _areas(layers, plan, layers_dir=workspace.layers_dir, out=out)


def _areas(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis import areas
    from alatau_geo.core.io import read_raster, write_text
    from alatau_geo.core.markdown import markdown_table
    from alatau_geo.jobs.build import TERRAIN_RASTER
    from alatau_geo.reference import terrain

    slope = terrain.slope(read_raster(layers_dir / TERRAIN_RASTER))
    table = areas.zone_area_table(layers, slope=slope, max_slope_deg=plan.analysis.max_buildable_slope_deg)
    csv_path = write_text(table.to_csv(index=False, lineterminator="\n"), out / "areas.csv")
    note = (f"Areas in ha, equal-area projection. Buildable: slope at most "
            f"{plan.analysis.max_buildable_slope_deg:g} degrees, outside water and water protection zones.\n")
    md_path = write_text(markdown_table(table, title="Areas of the districts and the city") + "\n" + note,
                         out / "areas.md")
    print(markdown_table(table))
    say(f"Wrote {csv_path} and {md_path}")
    return 0


def _placement(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.core.io import read_raster, write_text
    from alatau_geo.jobs.build import TERRAIN_RASTER, placement_context
    from alatau_geo.plan.placement_report import placement_report, report_markdown

    context = placement_context(layers, plan, elevation=read_raster(layers_dir / TERRAIN_RASTER))
    placed = [layers[name] for name in ("infrastructure", "infrastructure_lines", "projects") if name in layers]
    report = placement_report(placed, context)
    csv_path = write_text(report.to_csv(index=False, lineterminator="\n"), out / "placement.csv")
    md_path = write_text(report_markdown(report), out / "placement.md")
    broken = report[~report["ok"]]
    for row in broken.itertuples(index=False):
        print(f"{row.layer}/{row.id}: breaks {row.rule}: {row.detail}")
    say(f"{broken['id'].nunique()} of {report['id'].nunique()} objects break at least one rule; "
        f"wrote {csv_path} and {md_path}")
    return 0


def _proximity(layers: LayerSet, plan: Plan, *, out: Path) -> int:
    from alatau_geo.analysis.outputs import proximity_report
    from alatau_geo.core.io import write_text
    from alatau_geo.core.markdown import markdown_table

    report = proximity_report(layers, plan)
    sections = ["# Proximity and accessibility", "",
                "Distances in metres (straight line) and travel times in minutes (network, free-flow speeds "
                "from the plan). Facility positions, residents and jobs are planning assumptions.", ""]
    for name, table in report.tables.items():
        write_text(table.to_csv(lineterminator="\n"), out / f"proximity_{name}.csv")
        if name != "nearest_grid":  # one row per 100 m cell: CSV only
            sections.append(markdown_table(table.reset_index(), title=name.replace("_", " ")))
    md_path = write_text("\n".join(sections), out / "proximity.md")
    times = report.tables["travel_times"]
    centres = times[times["kind"] == "district_centre"]
    for zone, row in centres.iterrows():
        print(f"{zone}: {row['to_almaty_min']:.0f} min to Almaty, {row['to_konaev_min']:.0f} min to Konaev")
    say(f"Wrote {len(report.tables)} tables (proximity_*.csv) and {md_path}")
    return 0
