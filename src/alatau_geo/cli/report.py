"""``alatau-geo report``: analysis tables as CSV and Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from alatau_geo.cli.common import folder, progress, say, workspace_of
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import Plan
from alatau_geo.plan.workspace import Workspace

if TYPE_CHECKING:
    import pandas as pd

    from alatau_geo.analysis.suitability_layers import SuitabilityResult

TABLES = ("areas", "placement", "proximity", "population", "mountain", "suitability", "siting")
"""The tables ``report`` writes."""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``report`` to the command parsers."""
    report = commands.add_parser(
        "report", parents=[common], help="write analysis tables (CSV and Markdown)",
        description="Write an analysis table of the workspace's layers as CSV and Markdown into its reports/ folder. "
        "'areas': per district and for the city, area in ha (equal-area), share of the city, buildable area (land "
        "no hard constraint of [suitability.constraints] excludes), overlap with the SEZ, published figure and "
        "difference, densities, hectares of each suitability class and each hazard band; and per district and phase "
        "the allocated residents, jobs and densities. 'placement': every "
        "placement rule of every infrastructure object and project, and which ones it breaks. 'proximity': nearest "
        "facility of each kind for settlements, projects and a 100 m grid, uncovered area and uncovered residents "
        "and jobs per district, settlements outside the service radii, travel times to Almaty and Konaev (also of "
        "each district's residents), residents by travel time to the nearest facility, street statistics, jobs "
        "within 30 and 45 minutes and the 2SFCA score of the allocated residents. 'population': per district and "
        "phase, the capacity of the land beside the targets, what is short or spare in residents, jobs and ha, "
        "and every jobs figure with its basis. 'mountain': the Almaty mountain cluster (terrain class areas, "
        "candidate lift lines, the capacity check against 250 km of runs and 40,000 visitors a day) and Almaty's "
        "air corridors against the 3,800 ha green target, with what cannot be said without land cover. "
        "'suitability': area of each suitability class per district, the city and the SEZ, the criteria and their "
        "weights (and the AHP consistency ratio when the weights come from pairwise comparisons), the land each "
        "hard constraint excludes, hazard hectares per zone, and the class areas with each weight moved up and "
        "down (20 % by default). 'siting': demand per district and phase, facilities needed beside the catalogue, "
        "and the catalogue's objects beside the optimal sites (as alatau-geo site, without writing layers or a map). "
        "The layers must have been built from the workspace's plan as it is now.",
        epilog="examples:\n  alatau-geo report areas\n  alatau-geo -w my_scenario report placement\n"
        "  alatau-geo report proximity --out-dir ~/tables\n  alatau-geo report population\n"
        "  alatau-geo report mountain\n  alatau-geo report suitability",
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
            return _proximity(layers, plan, layers_dir=workspace.layers_dir, out=out)
        if args.table == "population":
            return _population(layers, plan, layers_dir=workspace.layers_dir, out=out)
        if args.table == "mountain":
            return _mountain(layers, plan, layers_dir=workspace.layers_dir, out=out)
        if args.table == "suitability":
            return _suitability(layers, plan, layers_dir=workspace.layers_dir, out=out)
        if args.table == "siting":
            return _siting(layers, plan, workspace=workspace, out=out)
        return _areas(layers, plan, layers_dir=workspace.layers_dir, out=out)


def suitability_result(layers: LayerSet, plan: Plan, *, layers_dir: Path) -> SuitabilityResult:
    """The plan's suitability of the layers in `layers_dir` (HAND and DEM read from there)."""
    from alatau_geo.core.io import read_raster
    from alatau_geo.jobs.build import TERRAIN_RASTER
    from alatau_geo.jobs.suitability import suitability_of

    return suitability_of(layers, plan, layers_dir=layers_dir, elevation=read_raster(layers_dir / TERRAIN_RASTER))


def _areas(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis import areas
    from alatau_geo.core.io import write_text
    from alatau_geo.core.markdown import markdown_table
    from alatau_geo.jobs.build import population_from_layers

    result = suitability_result(layers, plan, layers_dir=layers_dir)
    table = areas.zone_area_table(layers, result)
    population = population_from_layers(layers, plan, layers_dir=layers_dir)
    city_id = str(layers["city_boundary"].frame["id"].iloc[0])
    phases = areas.phase_table(table, population.result.summary, city_id=city_id)
    csv_path = write_text(table.to_csv(index=False, lineterminator="\n"), out / "areas.csv")
    write_text(phases.to_csv(index=False, lineterminator="\n"), out / "areas_by_phase.csv")
    names = ", ".join(c.name for c in result.params.constraints)
    note = (f"Areas in ha, equal-area projection. Buildable: land no hard constraint excludes ({names}; "
            f"[suitability.constraints]), counted by {result.params.cell_size_m:g} m cell centres. Class and hazard "
            "hectares likewise.\n")
    phase_note = ("Residents and jobs as the plan's [population] section allocates them on the 100 m grid, per "
                  "phase year (cumulative); densities per ha of zone area and per buildable ha.\n")
    md_path = write_text(markdown_table(table, title="Areas of the districts and the city") + "\n" + note + "\n"
                         + markdown_table(_years_as_text(phases), title="Residents, jobs and densities per district "
                                          "and phase")
                         + "\n" + phase_note, out / "areas.md")
    print(markdown_table(table))
    print(markdown_table(_years_as_text(phases)))
    say(f"Wrote {csv_path}, {out / 'areas_by_phase.csv'} and {md_path}")
    return 0


def _years_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its ``year`` column as text, so Markdown shows 2050, not 2,050."""
    return table.assign(year=table["year"].astype(str))


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


def _proximity(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis.outputs import CSV_ONLY, proximity_report
    from alatau_geo.core.io import write_text
    from alatau_geo.core.markdown import markdown_table
    from alatau_geo.jobs.build import population_from_layers

    population = population_from_layers(layers, plan, layers_dir=layers_dir)
    report = proximity_report(layers, plan, population=population)
    year = population.years[-1]
    sections = ["# Proximity and accessibility", "",
                "Distances in metres (straight line) and travel times in minutes (network, free-flow speeds "
                "from the plan). Facility positions are planning assumptions; residents and jobs are those the "
                f"plan's [population] section allocates for {year} (100 m cells; 500 m blocks on the network).", ""]
    for name, table in report.tables.items():
        write_text(table.to_csv(lineterminator="\n"), out / f"proximity_{name}.csv")
        if name not in CSV_ONLY:  # one row per cell or block: CSV only
            sections.append(markdown_table(table.reset_index(), title=name.replace("_", " ")))
    md_path = write_text("\n".join(sections), out / "proximity.md")
    times = report.tables["travel_times"]
    centres = times[times["kind"] == "district_centre"]
    for zone, row in centres.iterrows():
        print(f"{zone}: {row['to_almaty_min']:.0f} min to Almaty, {row['to_konaev_min']:.0f} min to Konaev")
    uncovered = report.tables["uncovered_by_district"]
    for row in uncovered.itertuples(index=False):
        print(f"{row.district}: {row.residents_uncovered:,} of {row.residents:,} residents ({year}) outside the "
              f"{row.kind} radius")
    access = report.tables["job_access_districts"]
    for zone, row in access.iterrows():
        print(f"{zone}: residents reach {row['jobs_within_30min_mean']:,.0f} jobs within 30 min on average")
    say(f"Wrote {len(report.tables)} tables (proximity_*.csv) and {md_path}")
    return 0


def _population(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis.population_layers import population_report
    from alatau_geo.core.io import write_text
    from alatau_geo.core.markdown import markdown_cell, markdown_table
    from alatau_geo.jobs.build import population_from_layers

    population = population_from_layers(layers, plan, layers_dir=layers_dir)
    table = population_report(population, layers)
    targets = population.result.capacity_table[["residents_target", "residents_basis", "jobs_target", "jobs_basis"]]
    csv_path = write_text(table.to_csv(index=False, lineterminator="\n"), out / "population.csv")
    write_text(population.job_figures.to_csv(index=False, lineterminator="\n"), out / "population_jobs_figures.csv")
    shown = ["zone", "year", "residents_target", "residents", "residents_capacity", "residents_spare", "jobs_target",
             "jobs", "jobs_capacity", "jobs_spare", "ha", "buildable_ha", "ha_needed", "ha_spare", "residents_per_ha",
             "jobs_per_ha", "status"]
    note = markdown_cell(
        "Capacity: what the suitable land of a district can hold at its densities (plan section [population]); "
        "targets: the phase's share of the district's 2050 figure; spare = capacity - target (negative: short), "
        "ha_needed: buildable land the targets need at the district's capacity per buildable ha. Suitable land: "
        "the classes of the suitability analysis (low, medium, high; without a [suitability] section, the "
        "buildable rule: slope, water, water protection zones).")
    text = "\n".join([
        "# Residents and jobs: capacity beside the targets", "", note, "",
        markdown_table(_years_as_text(table[shown]), title="Per district and phase"),
        markdown_table(targets.reset_index(), title="Targets and their basis"),
        markdown_table(population.job_figures, title="Jobs figures and their basis")])
    md_path = write_text(text, out / "population.md")
    final = table[table["year"] == population.years[-1]]
    for row in final.itertuples(index=False):
        print(f"{row.zone} {row.year}: {row.residents:,} of {row.residents_target:,} residents and {row.jobs:,} of "
              f"{row.jobs_target:,} jobs placed; land for {row.residents_capacity:,} residents and "
              f"{row.jobs_capacity:,} jobs: {row.status}")
    say(f"Wrote {csv_path}, {out / 'population_jobs_figures.csv'} and {md_path}")
    return 0


def _mountain(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis.mountain_report import mountain_report
    from alatau_geo.core.errors import InputDataError
    from alatau_geo.core.io import read_raster, write_text
    from alatau_geo.core.markdown import markdown_cell, markdown_table
    from alatau_geo.jobs.mountain import MOUNTAIN_DEM

    if not (layers_dir / MOUNTAIN_DEM).is_file():
        raise InputDataError(f"{layers_dir / MOUNTAIN_DEM}: not found; build the layers from the SRTM tiles "
                             "(alatau-geo build --dem-dir DIR) to make the mountain-cluster layers")
    report = mountain_report(layers, read_raster(layers_dir / MOUNTAIN_DEM), plan.mountain)
    tables = {"stations": report.stations, "classes": report.classes, "lifts": report.lifts,
              "capacity": report.capacity, "corridors": report.corridors,
              "corridor_summary": report.corridor_summary}
    for name, table in tables.items():
        index = name in ("stations", "lifts", "corridors")
        write_text(table.to_csv(index=index, lineterminator="\n"), out / f"mountain_{name}.csv")
    titles = {"stations": "Base station and resorts", "classes": "Terrain classes of the study window (ha)",
              "lifts": "Candidate lift lines", "capacity": "Capacity check: runs and visitors",
              "corridors": "Green and air corridors (ha)",
              "corridor_summary": "Corridors beside the 3,800 ha green target"}
    sections = ["# Almaty mountain cluster and air corridors", ""]
    for name, table in tables.items():
        shown = table.reset_index() if name in ("stations", "lifts", "corridors") else table
        sections.append(markdown_table(shown, title=titles[name]))
    sections += ["## What the terrain cannot tell without land cover", "",
                 *(f"- {markdown_cell(line)}" for line in report.limits), ""]
    md_path = write_text("\n".join(sections), out / "mountain.md")
    capacity = report.capacity.set_index("quantity")["value"]
    summary = report.corridor_summary.set_index("quantity")["value"]
    print(f"Runs: the terrain allows about {capacity['run length the terrain allows']:,.0f} km "
          f"(published {capacity['ski runs, published']:,.0f} km)")
    print(f"Visitors: {capacity['lifts, published']:,.0f} lifts carry about "
          f"{capacity['visitors per day the lifts carry']:,.0f} a day (published up to "
          f"{capacity['visitors per day, published']:,.0f})")
    print(f"Corridors: {summary['corridor valley floor inside Almaty']:,.0f} ha of valley floor inside Almaty "
          f"(green target {summary['green space target']:,.0f} ha); without land cover this is an upper bound")
    say(f"Wrote {len(tables)} tables (mountain_*.csv) and {md_path}")
    return 0


def _suitability(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.analysis.suitability_report import report_markdown, report_tables
    from alatau_geo.core.io import write_text
    from alatau_geo.core.markdown import markdown_table

    result = suitability_result(layers, plan, layers_dir=layers_dir)
    tables = report_tables(result, layers)
    for name, table in tables.items():
        write_text(table.to_csv(lineterminator="\n"), out / f"suitability_{name}.csv")
    md_path = write_text(report_markdown(result, tables), out / "suitability.md")
    print(markdown_table(tables["classes"].reset_index()))
    say(f"Wrote {len(tables)} tables (suitability_*.csv) and {md_path}")
    return 0


def _siting(layers: LayerSet, plan: Plan, *, workspace: Workspace, out: Path) -> int:
    from alatau_geo.analysis.siting_report import summary_lines
    from alatau_geo.core.io import read_raster
    from alatau_geo.jobs.build import TERRAIN_RASTER
    from alatau_geo.jobs.population import suitability_of_folder
    from alatau_geo.jobs.siting import run_siting, write_siting_report

    run = run_siting(layers, plan, elevation=read_raster(workspace.layers_dir / TERRAIN_RASTER),
                     suitability=suitability_of_folder(plan, workspace.layers_dir))
    written = write_siting_report(run, out, plan_label=workspace.plan_label(),
                                  demand_block_m=plan.siting.models.demand_block_m)
    for line in summary_lines(run.study):
        print(line)
    say(f"Wrote {written[-1]} and {len(written) - 1} tables (siting_*.csv)")
    return 0
