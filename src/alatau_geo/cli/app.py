"""The ``alatau-geo`` command-line tool.

This module only parses arguments, calls the library and prints; every
:class:`~alatau_geo.core.errors.AlatauGeoError` becomes one line on stderr and the
exit code of its class (see :mod:`alatau_geo.core.errors`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alatau_geo import __version__
from alatau_geo.core.errors import AlatauGeoError

if TYPE_CHECKING:
    from alatau_geo.core.layers import LayerSet
    from alatau_geo.plan.config import Plan

logger = logging.getLogger("alatau_geo")

DEM_DIR_VARIABLE = "ALATAU_DEM_DIR"
EXIT_USAGE = 2

_EPILOG_BUILD = """\
examples:
  alatau-geo build                        rebuild from ../shared/data/srtm, or use committed layers
  alatau-geo build --dem-dir ~/srtm       tiles from another folder
  alatau-geo --plan my_plan.toml build    with your own plan (widths, thresholds, tables)
  alatau-geo build --osm extract.osm      add places, corridors and rivers from an OSM extract
"""


def default_dem_dirs() -> list[Path]:
    """Folders searched for SRTM tiles when neither --dem-dir nor ALATAU_DEM_DIR is given."""
    repository = Path(__file__).resolve().parents[2]
    candidates = [Path.cwd().parent / "shared" / "data" / "srtm", repository.parent / "shared" / "data" / "srtm"]
    unique: list[Path] = []
    for candidate in candidates:
        if candidate.resolve() not in [u.resolve() for u in unique]:
            unique.append(candidate)
    return unique


def resolve_dem_dir(given: str | None) -> tuple[Path | None, str]:
    """The DEM folder to use and how it was chosen; None when no default folder exists."""
    if given:
        return Path(given), "--dem-dir"
    if os.environ.get(DEM_DIR_VARIABLE):
        return Path(os.environ[DEM_DIR_VARIABLE]), DEM_DIR_VARIABLE
    for candidate in default_dem_dirs():
        if candidate.is_dir():
            return candidate, "default location"
    return None, "default location"


def _common_parser(*, top: bool) -> argparse.ArgumentParser:
    # The options may stand before or after the command; on the command's
    # parser they must not reset what was given before it.
    default = None if top else argparse.SUPPRESS
    flag = False if top else argparse.SUPPRESS
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--plan", metavar="FILE", default=default,
                        help="plan file (TOML); default: the plan shipped with the package")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", default=flag, help="say more about each step")
    noise.add_argument("-q", "--quiet", action="store_true", default=flag, help="print errors only")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``alatau-geo`` (also used to generate the CLI reference)."""
    common = _common_parser(top=False)
    parser = argparse.ArgumentParser(
        prog="alatau-geo",
        description="Geospatial planning toolkit for Alatau City: reference layers, analyses, maps.",
        epilog="exit codes: 0 ok, 1 problems found (validate), 2 usage, 3 invalid plan, "
        "4 bad or missing input data, 5 output not written",
        parents=[_common_parser(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build", parents=[common], help="build the reference layers and export them",
        description="Build the reference layers from the SRTM tiles and the gazetteer tables, show what "
        "changed against the layers already in the layers folder, and export them (GeoJSON, GeoPackage). "
        "Without tiles, the committed layers are used and only the gazetteer layers are rebuilt.",
        epilog=_EPILOG_BUILD, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("--dem-dir", metavar="DIR",
                       help=f"folder with the SRTM3 .hgt.zip tiles (default: ${DEM_DIR_VARIABLE}, "
                       "then ../shared/data/srtm)")
    build.add_argument("--layers-dir", metavar="DIR", default="layers", help="where layers are read and written "
                       "(default: layers)")
    build.add_argument("--cache-dir", metavar="DIR", default="build/cache",
                       help="working rasters (default: build/cache)")
    build.add_argument("--osm", metavar="FILE", help="also read places, corridors and rivers from a local "
                       "OpenStreetMap extract (.osm, .osm.gz, .osm.bz2)")
    _map_options(build)

    map_command = commands.add_parser(
        "map", parents=[common], help="write the interactive HTML maps",
        description="Write the overview and terrain maps (Leaflet, via folium) from the layers in the layers "
        "folder. With --offline every script and style is inlined and the DEM hillshade is the base map.",
        epilog="examples:\n  alatau-geo map --offline\n  alatau-geo map --maps-dir ~/Desktop/alatau",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    map_command.add_argument("--layers-dir", metavar="DIR", default="layers", help="layers to show (default: layers)")
    _map_options(map_command)

    export = commands.add_parser(
        "export", parents=[common], help="export the layers to another folder",
        description="Write every layer as RFC 7946 GeoJSON (WGS84) plus one GeoPackage with all layers.",
        epilog="example:\n  alatau-geo export --out ~/qgis/alatau", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--layers-dir", metavar="DIR", default="layers", help="layers to export (default: layers)")
    export.add_argument("--out", metavar="DIR", required=True, help="folder to write")

    validate = commands.add_parser(
        "validate", parents=[common], help="check a layer file before using it",
        description="Check a GeoJSON, GeoPackage or Shapefile: readability, CRS, geometry validity, positions, "
        "required attributes, duplicate ids. One line per problem; exit code 1 if any.",
        epilog="example:\n  alatau-geo validate surveyed_substations.gpkg --require id --require name",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--layer", metavar="NAME", help="layer of a multi-layer file")
    validate.add_argument("--require", metavar="COLUMN", action="append",
                          help="attribute every feature must have (repeatable; default: id, name)")

    report = commands.add_parser(
        "report", parents=[common], help="write analysis tables (CSV and Markdown)",
        description="Write an analysis table as CSV and Markdown. 'areas': per district and for the city, area "
        "in ha (equal-area), share of the city, buildable area (steep land, water and water protection zones "
        "removed), overlap with the SEZ, published figure and difference, densities. 'placement': every placement "
        "rule of every infrastructure object and project, and which ones it breaks. 'proximity': nearest "
        "facility of each kind for settlements, projects and a 100 m grid, uncovered area per district, "
        "settlements outside the service radii, travel times to Almaty and Konaev, street statistics per "
        "district, jobs within 30 and 45 minutes and the 2SFCA score.",
        epilog="examples:\n  alatau-geo report areas --out-dir reports\n  alatau-geo report placement\n"
        "  alatau-geo report proximity",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("table", choices=["areas", "placement", "proximity"], help="which table")
    report.add_argument("--layers-dir", metavar="DIR", default="layers", help="layers to analyse (default: layers)")
    report.add_argument("--out-dir", metavar="DIR", default="reports", help="where tables go (default: reports)")

    diff = commands.add_parser(
        "diff", parents=[common], help="compare two plans",
        description="Build the zones of two plans on the same reference layers and report which changed and "
        "by how many hectares.",
        epilog="example:\n  alatau-geo diff plan.toml wider_green.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("plan_a", metavar="PLAN_A")
    diff.add_argument("plan_b", metavar="PLAN_B")
    diff.add_argument("--layers-dir", metavar="DIR", default="layers", help="reference layers (default: layers)")

    info = commands.add_parser(
        "info", parents=[common], help="list the layers with their provenance",
        description="List the layers in the layers folder: feature count, geometry type, quality and source.",
        epilog="example:\n  alatau-geo info --layers-dir layers", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    info.add_argument("--layers-dir", metavar="DIR", default="layers")
    return parser


def _map_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--maps-dir", metavar="DIR", default="maps", help="where the HTML maps go (default: maps)")
    parser.add_argument("--offline", action="store_true",
                        help="self-contained maps: inline Leaflet and plugins, hillshade base map, no tiles")
    if parser.prog.endswith(" build"):
        parser.add_argument("--no-maps", action="store_true", help="build and export the layers only")


def reference_markdown() -> str:
    """The CLI reference (``docs/cli.md``), generated from the parsers' own help."""
    # argparse wraps help to the terminal width; the reference must not depend on it.
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return _reference_markdown(build_parser())
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _reference_markdown(parser: argparse.ArgumentParser) -> str:
    sections = ["# Command-line reference", "",
                "Generated from `alatau-geo --help` by `python -m alatau_geo.cli --markdown > docs/cli.md`; "
                "a test keeps it in sync.", "", "```text", parser.format_help().rstrip(), "```"]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    for name, sub in commands.choices.items():
        sections += ["", f"## alatau-geo {name}", "", "```text", sub.format_help().rstrip(), "```"]
    return "\n".join(sections) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    _configure_logging(verbose=args.verbose, quiet=args.quiet)
    try:
        return _run(args)
    finally:
        # main() may run inside a notebook or a test: leave logging as it was.
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _run(args: argparse.Namespace) -> int:
    handlers = {"build": _build, "map": _map, "export": _export, "validate": _validate, "info": _info,
                "report": _report, "diff": _diff}
    try:
        return handlers[args.command](args)
    except AlatauGeoError as error:
        print(f"alatau-geo: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("alatau-geo: interrupted", file=sys.stderr)
        return 130


def _configure_logging(*, verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _say(message: str) -> None:
    sys.stdout.flush()  # keep tables printed to stdout before the messages on stderr
    logger.info(message)


def _build(args: argparse.Namespace) -> int:
    from alatau_geo.jobs import build as pipeline
    from alatau_geo.plan.config import load_plan

    plan = load_plan(args.plan)
    dem_dir, how = resolve_dem_dir(args.dem_dir)
    layers_dir = Path(args.layers_dir)
    started = time.perf_counter()
    if dem_dir is None or (how == "default location" and not _has_tiles(dem_dir, plan.terrain.tiles)):
        searched = ", ".join(str(p) for p in default_dem_dirs())
        _say(f"SRTM tiles not found (searched {searched}); using the committed layers in {layers_dir}/ and "
             "rebuilding only the gazetteer layers. Give --dem-dir to rebuild everything.")
        with _progress(pipeline.REFRESH_STEPS, quiet=args.quiet) as step:
            result = pipeline.refresh_from_committed(plan, layers_dir=layers_dir, osm_path=_path(args.osm),
                                                     on_step=step)
    else:
        _say(f"Building reference layers from the SRTM tiles in {dem_dir} ({how})")
        with _progress(pipeline.BUILD_STEPS, quiet=args.quiet) as step:
            result = pipeline.build_from_tiles(plan, dem_dir=dem_dir, layers_dir=layers_dir,
                                               cache_dir=Path(args.cache_dir), osm_path=_path(args.osm),
                                               on_step=step)
    for change in result.changes:
        _say(f"  {change}")
    for line in result.notes:
        _say(line)
    _say(f"Wrote {len(result.layers)} layers to {layers_dir}/ (GeoJSON, {result.export.gpkg.name}, manifest.json) "
         f"in {time.perf_counter() - started:.1f} s. Open {result.export.gpkg} in QGIS.")
    if not args.no_maps:
        _write_maps(result.layers, args, layers_dir=layers_dir)
    return 0


def _map(args: argparse.Namespace) -> int:
    from alatau_geo.core.io import read_layers

    layers_dir = Path(args.layers_dir)
    _write_maps(read_layers(layers_dir), args, layers_dir=layers_dir)
    return 0


def _write_maps(layers: LayerSet, args: argparse.Namespace, *, layers_dir: Path) -> None:
    from alatau_geo.jobs.build import TERRAIN_RASTER
    from alatau_geo.jobs.pages import MAX_MAPS, write_maps

    dem = layers_dir / TERRAIN_RASTER
    figures = None
    if "districts" in layers and dem.is_file():
        from alatau_geo.analysis import areas
        from alatau_geo.core.io import read_raster
        from alatau_geo.plan.config import load_plan
        from alatau_geo.reference import terrain

        plan = load_plan(args.plan)
        figures = areas.zone_area_table(layers, slope=terrain.slope(read_raster(dem)),
                                        max_slope_deg=plan.analysis.max_buildable_slope_deg)
    with _progress(MAX_MAPS, quiet=args.quiet) as step:
        written = write_maps(layers, maps_dir=Path(args.maps_dir), layers_dir=layers_dir,
                             dem_path=dem if dem.is_file() else None, offline=args.offline, figures=figures,
                             on_step=step)
    for page in written:
        _say(f"Map: {page.path} ({page.size_bytes / 1e6:.1f} MB{', offline' if args.offline else ''})")


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr advanced by each step label; silent with --quiet or off a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=total, file=sys.stderr, unit="step", leave=False,
               disable=quiet or not sys.stderr.isatty(), bar_format="{desc:<48} {bar} {n_fmt}/{total_fmt} {elapsed}")
    started = False

    def step(label: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_description_str(label)

    try:
        yield step
    finally:
        bar.close()


def _has_tiles(dem_dir: Path, names: Sequence[str]) -> bool:
    return any((dem_dir / f"{n}.hgt.zip").is_file() or (dem_dir / f"{n}.hgt").is_file() for n in names)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _export(args: argparse.Namespace) -> int:
    from alatau_geo.core.io import export_layers, read_layers
    from alatau_geo.plan.config import load_plan

    plan = load_plan(args.plan)
    with _progress(2, quiet=args.quiet) as step:
        step("reading the layers")
        layers = read_layers(args.layers_dir)
        step("writing GeoJSON and GeoPackage")
        result = export_layers(layers, args.out, precision=plan.export.coordinate_precision)
    _say(f"Exported {len(layers)} layers to {result.directory}/ ({result.gpkg.name} and one .geojson per layer)")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from alatau_geo.core.validate import validate_layer
    from alatau_geo.plan.config import load_plan

    plan = load_plan(args.plan)
    required = tuple(args.require) if args.require else ("id", "name")
    problems = validate_layer(args.file, study_area=plan.study_area, required=required, layer=args.layer)
    for problem in problems:
        print(problem)
    if problems:
        _say(f"{len(problems)} problem(s) in {args.file}; fix them and run validate again")
        return 1
    _say(f"{args.file}: no problems found")
    return 0


def _report(args: argparse.Namespace) -> int:
    from alatau_geo.core.io import read_layers
    from alatau_geo.plan.config import load_plan

    plan = load_plan(args.plan)
    layers_dir = Path(args.layers_dir)
    with _progress(2, quiet=args.quiet) as step:
        step("reading the layers")
        layers = read_layers(layers_dir)
        step(f"{args.table} analysis")
        if args.table == "placement":
            return _report_placement(layers, plan, layers_dir=layers_dir, out=Path(args.out_dir))
        if args.table == "proximity":
            return _report_proximity(layers, plan, out=Path(args.out_dir))
        return _report_areas(layers, plan, layers_dir=layers_dir, out=Path(args.out_dir))


def _report_areas(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
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
    _say(f"Wrote {csv_path} and {md_path}")
    return 0


def _report_placement(layers: LayerSet, plan: Plan, *, layers_dir: Path, out: Path) -> int:
    from alatau_geo.core.io import read_raster, write_text
    from alatau_geo.jobs.build import TERRAIN_RASTER, placement_context
    from alatau_geo.plan.infrastructure import placement_report, report_markdown

    context = placement_context(layers, plan, elevation=read_raster(layers_dir / TERRAIN_RASTER))
    placed = [layers[name] for name in ("infrastructure", "infrastructure_lines", "projects") if name in layers]
    report = placement_report(placed, context)
    csv_path = write_text(report.to_csv(index=False, lineterminator="\n"), out / "placement.csv")
    md_path = write_text(report_markdown(report), out / "placement.md")
    broken = report[~report["ok"]]
    for row in broken.itertuples(index=False):
        print(f"{row.layer}/{row.id}: breaks {row.rule}: {row.detail}")
    _say(f"{broken['id'].nunique()} of {report['id'].nunique()} objects break at least one rule; "
         f"wrote {csv_path} and {md_path}")
    return 0


def _report_proximity(layers: LayerSet, plan: Plan, *, out: Path) -> int:
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
    _say(f"Wrote {len(report.tables)} tables (proximity_*.csv) and {md_path}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from alatau_geo.analysis.scenarios import object_changes, zone_deltas
    from alatau_geo.core.io import read_raster
    from alatau_geo.jobs.build import TERRAIN_RASTER, committed_reference, plan_layers
    from alatau_geo.plan.config import load_plan

    layers_dir = Path(args.layers_dir)
    elevation = read_raster(layers_dir / TERRAIN_RASTER)
    plans = [load_plan(args.plan_a), load_plan(args.plan_b)]
    built = []
    with _progress(len(plans), quiet=args.quiet) as step:
        for label, plan in zip(("A", "B"), plans, strict=False):
            step(f"building plan {label}")
            built.append(plan_layers(committed_reference(plan, layers_dir=layers_dir), plan, elevation=elevation))
    deltas = zone_deltas(built[0], built[1])
    changed = [d for d in deltas if d.status != "unchanged"]
    for delta in deltas:
        print(delta)
    objects = object_changes(built[0], built[1])
    for change in objects:
        print(change)
    newly_broken = sum(1 for c in objects if c.newly_broken)
    _say(f"{len(changed)} of {len(deltas)} zones differ; {len(objects)} objects changed, {newly_broken} of them "
         f"newly break a placement rule ({args.plan_a} -> {args.plan_b})")
    return 0


def _info(args: argparse.Namespace) -> int:
    from alatau_geo.core.io import read_layers

    layers = read_layers(args.layers_dir)
    for name, layer in layers.items():
        p = layer.provenance
        print(f"{name:24} {len(layer.frame):5d} {layer.geometry_type:16} {p.quality:12} {p.source}")
    return 0
