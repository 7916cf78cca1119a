"""The build commands: ``init``, ``build``, ``map`` and ``export``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from alatau_geo.cli import build_pages
from alatau_geo.cli.common import (
    DEM_DIR_VARIABLE,
    default_dem_dirs,
    folder,
    has_tiles,
    progress,
    report_warnings,
    resolve_dem_dir,
    say,
    workspace_of,
)
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import Plan
from alatau_geo.plan.workspace import Workspace, shipped_scenarios

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from alatau_geo.jobs.build import BuildOutcome
    from alatau_geo.jobs.handover import HandOver
    from alatau_geo.jobs.reuse import WrittenMap
    from alatau_geo.jobs.stage_cache import StageCache

_EPILOG_BUILD = """\
examples:
  alatau-geo build                        the default scenario, or the workspace in this folder
  alatau-geo -w my_scenario build         a workspace made with `alatau-geo init my_scenario`
  alatau-geo build --dem-dir ~/srtm       tiles from another folder
  alatau-geo build --osm extract.osm      add places, corridors and rivers from an OSM extract
"""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``init``, ``build``, ``map`` and ``export`` to the command parsers."""
    init = commands.add_parser(
        "init", parents=[common], help="make a scenario workspace",
        description="Create a workspace folder for a scenario: an editable plan.toml (the default plan, or "
        "--from PLAN), copies of the tables in tables/, and a README. Every command run in the folder (or with "
        "-w DIR) reads and writes only inside it.",
        epilog="examples:\n  alatau-geo init my_scenario\n  alatau-geo init wider_green --from my_plan.toml\n"
        "  alatau-geo init sez_scenario --from industrial_logistics_sez",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--from", dest="from_plan", metavar="PLAN",
                      help="start from this plan file, or a scenario shipped with the package ("
                      + ", ".join(shipped_scenarios()) + "), instead of the default plan")
    init.set_defaults(run=run_init)

    build = commands.add_parser(
        "build", parents=[common], help="build the layers of a scenario and export them",
        description="Build the reference layers from the SRTM tiles and the tables, construct the plan's zones, "
        "place its objects, run the analyses, show what changed against the layers already there, export them "
        "(GeoJSON, GeoPackage, manifest) and write the maps, all inside the workspace. Without tiles, the "
        "DEM-derived layers already built (or the default scenario's) are kept and the rest is rebuilt.",
        epilog=_EPILOG_BUILD, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("--dem-dir", metavar="DIR",
                       help=f"folder with the SRTM3 .hgt.zip tiles (default: ${DEM_DIR_VARIABLE}, "
                       "then ../shared/data/srtm)")
    build.add_argument("--layers-dir", metavar="DIR", help="where layers are written (default: the workspace's "
                       "layers/)")
    build.add_argument("--cache-dir", metavar="DIR", help="working rasters and the stage cache (default: the "
                       "workspace's cache; with another --layers-dir or --maps-dir, the stage cache is used only when "
                       "given)")
    build.add_argument("--osm", metavar="FILE", help="also read places, corridors and rivers from a local "
                       "OpenStreetMap extract (.osm, .osm.gz, .osm.bz2)")
    _map_options(build)
    build.add_argument("--no-maps", action="store_true", help="build and export the layers only")
    build.set_defaults(run=run_build)

    map_command = commands.add_parser(
        "map", parents=[common], help="write the interactive HTML maps",
        description="Write the HTML maps (Leaflet, via folium) from the workspace's layers. Every map is one "
        "self-contained file: scripts and styles inlined, the DEM's shaded relief as base map, online base maps "
        "offered when reachable, labels and a language switch (Kazakh, Russian, English; the plan's "
        "maps.language first). With --offline no online base map is offered and a page loads nothing at all.",
        epilog="examples:\n  alatau-geo map --offline\n  alatau-geo -w my_scenario map\n"
        "  alatau-geo -w my_scenario map --edit      then open maps/edit.html, edit, download the edits",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    map_command.add_argument("--layers-dir", metavar="DIR", help="layers to show (default: the workspace's)")
    _map_options(map_command)
    map_command.add_argument("--edit", action="store_true",
                             help="write the editing map (maps/edit.html) instead: move objects and projects, add "
                             "a facility, redraw a district or change a rule's parameter, then download the edits "
                             "for `alatau-geo apply`")
    map_command.set_defaults(run=run_map)

    export = commands.add_parser(
        "export", parents=[common], help="export the layers to another folder",
        description="Write every layer as RFC 7946 GeoJSON (WGS84) plus one GeoPackage with all layers.",
        epilog="example:\n  alatau-geo export --out ~/qgis/alatau",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--layers-dir", metavar="DIR", help="layers to export (default: the workspace's)")
    export.add_argument("--out", metavar="DIR", required=True, help="folder to write")
    export.set_defaults(run=run_export)


def _map_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--maps-dir", metavar="DIR", help="where the HTML maps go (default: the workspace's maps/)")
    parser.add_argument("--offline", action="store_true",
                        help="offer no online base map: the pages load nothing at all (strict content policy)")
    parser.add_argument("--no-cache", action="store_true",
                        help="compute everything afresh: neither read nor write the stage results, relief images "
                        "and output records kept in the workspace's cache (the outputs are the same bytes)")


def run_init(args: argparse.Namespace) -> int:
    """``alatau-geo init DIR``."""
    from alatau_geo.plan.workspace import init_workspace

    workspace = init_workspace(args.directory, from_plan=args.from_plan)
    say(f"Made workspace {workspace.root}: plan.toml, tables/, README.md. Edit them, then run: "
        f"alatau-geo -w {workspace.root} build")
    return 0


@dataclass(frozen=True)
class _BuildInputs:
    """The inputs of a build, checked before any work starts."""

    dem_dir: Path | None
    how: str
    osm: Path | None


def _check_inputs(args: argparse.Namespace, plan: Plan, *, cache: StageCache) -> _BuildInputs:
    """Check every input a build reads before the work starts: the OSM extract, the tiles, the tables.

    Raises
    ------
    AlatauGeoError
        The first problem, in that order.
    """
    from alatau_geo.core.text_input import check_input_file
    from alatau_geo.jobs.tile_stages import check_tiles
    from alatau_geo.plan.catalogues import load_catalogues
    from alatau_geo.reference import gazetteer

    osm = Path(args.osm) if args.osm else None
    if osm is not None:
        check_input_file(osm, what="OpenStreetMap extract (--osm)")
    dem_dir, how = resolve_dem_dir(args.dem_dir)
    if dem_dir is not None and how == "default location" and not has_tiles(dem_dir, plan.terrain.tiles):
        dem_dir = None
    if dem_dir is not None:
        check_tiles(dem_dir, plan.terrain.tiles, cache=cache)  # a missing, corrupt or all-void tile stops here
    gazetteer.load_tables(plan.tables, study_area=plan.study_area)
    load_catalogues(plan)
    return _BuildInputs(dem_dir=dem_dir, how=how, osm=osm)


def run_build(args: argparse.Namespace) -> int:
    """``alatau-geo build``."""
    workspace = workspace_of(args)
    build_workspace(args, workspace=workspace, plan=workspace.load_plan())
    return 0


def build_workspace(args: argparse.Namespace, *, workspace: Workspace, plan: Plan) -> BuildOutcome:
    """Build one generation of `workspace`: its layers and, unless ``args.no_maps``, its maps; say what changed.

    Used by ``build`` and ``apply``. Returns the build's outcome (layers, changes, and each stage as it ran,
    the maps included).
    """
    from alatau_geo.jobs.forked import run_beside_handing_over
    from alatau_geo.jobs.generation import build_outputs, maps_outputs
    from alatau_geo.plan.workspace import built_by_record

    layers_dir = folder(args.layers_dir, workspace.layers_dir)
    maps_dir = folder(args.maps_dir, workspace.maps_dir)
    built_by = built_by_record(workspace, plan)
    cache = _stage_cache(args, workspace)
    inputs = _check_inputs(args, plan, cache=cache)
    started = time.perf_counter()
    with build_outputs(layers_dir, None if args.no_maps else maps_dir, also_lock=[maps_dir],
                       on_message=say) as outputs:
        build = partial(_build_layers, args, plan, inputs, workspace=workspace, layers_dir=layers_dir,
                        out_dir=outputs.folder(layers_dir), built_by=built_by, cache=cache)
        if args.no_maps:
            result, (pages, runs) = build(ready=None), ([], [])
        else:
            where = {"args": args, "plan": plan, "layers_dir": layers_dir, "out_dir": outputs.folder(maps_dir),
                     "cache": cache, "parent": os.getpid(), "dem_path": outputs.folder(layers_dir) / _terrain_raster()}
            pages_job = partial(build_pages.pages_beside, maps_dir=maps_dir, **where)
            early = partial(build_pages.pages_before_the_analyses, **where)
            # The map pages are rendered in a process forked now, which loads the map code while the
            # layers are built, is handed them once they are in place, and renders beside their export;
            # handed the layers but the analyses' before those are in, it draws the other pages meanwhile.
            result, rendered = run_beside_handing_over(
                partial(build_pages.build_handing_over, build),
                partial(build_pages.pages_when_handed, pages_job, early))
            # When the layers in place were kept, the pages are checked here (most likely kept too).
            pages, runs = rendered if rendered is not None else pages_job(result.layers, result.suitability)
        for change in result.changes:
            say(f"  {change}")
        for line in result.notes:
            say(line)
        report_warnings(result.warnings, strict=args.strict)
        cache.runs.extend(runs)
        if any(run.beside for run in runs):  # pages rendered in-process recorded themselves
            build_pages.record_pages(pages, args, plan=plan, layers_folder=outputs.folder(layers_dir),
                                     layers_dir=layers_dir, maps_dir=maps_dir, cache=cache)
        outputs.commit()
    for run in cache.runs:
        logger.debug("  %-50s %-9s %6.2f s%s", run.stage, run.status, run.seconds,
                     "  (second process, beside the others)" if run.beside else "")
    say(f"Wrote {len(result.layers)} layers to {layers_dir}/ (GeoJSON, {result.export.gpkg.name}, manifest.json) "
        f"in {time.perf_counter() - started:.1f} s. Open {layers_dir / result.export.gpkg.name} in QGIS.")
    _say_pages(pages, maps_dir=maps_dir, offline=args.offline)
    if args.no_maps and maps_outputs(maps_dir):
        say(f"The maps in {maps_dir}/ still show the previous build; run alatau-geo map to update them")
    return dataclasses.replace(result, stages=tuple(cache.runs))


def _stage_cache(args: argparse.Namespace, workspace: Workspace) -> StageCache:
    """The workspace's stage cache (or ``--cache-dir``); none with ``--no-cache``, ``--layers-dir``, ``--maps-dir``."""
    from alatau_geo.jobs.stage_cache import StageCache

    given = getattr(args, "cache_dir", None)
    # Layers or maps written or read elsewhere are a one-off: the workspace's cache is for its own folders.
    elsewhere = any(
        getattr(args, option, None) is not None and Path(getattr(args, option)).resolve() != own.resolve()
        for option, own in (("layers_dir", workspace.layers_dir), ("maps_dir", workspace.maps_dir)))
    if getattr(args, "no_cache", False) or (elsewhere and given is None):
        return StageCache(None)
    return StageCache(folder(given, workspace.cache_dir))


def _build_layers(args: argparse.Namespace, plan: Plan, inputs: _BuildInputs, *, workspace: Workspace,  # noqa: PLR0913
                  layers_dir: Path, out_dir: Path, built_by: dict, cache: StageCache,
                  ready: HandOver | None) -> BuildOutcome:
    """Run the build job: from the tiles when there are any, else from the layers already built."""
    from alatau_geo.jobs import build as pipeline
    from alatau_geo.plan.workspace import default_workspace

    if inputs.dem_dir is None:
        searched = ", ".join(str(p) for p in default_dem_dirs())
        say(f"SRTM tiles not found (searched {searched}); keeping the DEM-derived layers already built and "
            "rebuilding the rest. Give --dem-dir to rebuild everything.")
        with progress(pipeline.REFRESH_STEPS, quiet=args.quiet) as step:
            return pipeline.refresh_from_committed(plan, layers_dir=layers_dir,
                                                   reference_dir=default_workspace().layers_dir, built_by=built_by,
                                                   osm_path=inputs.osm, on_step=step, out_dir=out_dir, cache=cache,
                                                   ready=ready)
    say(f"Building {workspace.label} from the SRTM tiles in {inputs.dem_dir} ({inputs.how})")
    with progress(pipeline.BUILD_STEPS, quiet=args.quiet) as step:
        return pipeline.build_from_tiles(plan, dem_dir=inputs.dem_dir, layers_dir=layers_dir,
                                         cache_dir=folder(args.cache_dir, workspace.cache_dir), built_by=built_by,
                                         osm_path=inputs.osm, on_step=step, out_dir=out_dir, cache=cache,
                                         ready=ready)


def _terrain_raster() -> str:
    from alatau_geo.jobs.build import TERRAIN_RASTER

    return TERRAIN_RASTER


def run_map(args: argparse.Namespace) -> int:
    """``alatau-geo map``."""
    from alatau_geo.core.io import read_layers
    from alatau_geo.jobs.generation import build_outputs
    from alatau_geo.plan.workspace import check_layers_match

    workspace = workspace_of(args)
    plan = workspace.load_plan()
    layers_dir = folder(args.layers_dir, workspace.layers_dir)
    maps_dir = folder(args.maps_dir, workspace.maps_dir)
    if args.layers_dir is None:
        check_layers_match(workspace, plan)
    if args.edit:
        write_edit_page(read_layers(layers_dir), args, workspace=workspace, plan=plan, layers_dir=layers_dir,
                        maps_dir=maps_dir)
        return 0
    cache = _stage_cache(args, workspace)
    with build_outputs(None, maps_dir, on_message=say) as outputs:
        pages = build_pages.write_map_pages(layers_dir, args, plan=plan, layers_dir=layers_dir, maps_dir=maps_dir,
                                            out_dir=outputs.folder(maps_dir), dem_path=layers_dir / _terrain_raster(),
                                            cache=cache)
        outputs.commit()
    _say_pages(pages, maps_dir=maps_dir, offline=args.offline)
    return 0


def write_edit_page(layers: LayerSet, args: argparse.Namespace, *, workspace: Workspace, plan: Plan,
                    layers_dir: Path, maps_dir: Path) -> None:
    """Write the editing map of `layers` and say how to apply its edits.

    ``edit.html`` sits beside the maps but is not one of a build's pages: it
    is written on its own (atomically), and a later build carries it over.
    """
    from alatau_geo.core.manifest import read_built_by
    from alatau_geo.jobs.pages import write_edit_map

    dem = layers_dir / _terrain_raster()
    record = read_built_by(layers_dir) or {}
    page = write_edit_map(layers, plan=plan, maps_dir=maps_dir, dem_path=dem if dem.is_file() else None,
                          offline=args.offline, plan_sha256=record.get("sha256"))
    where = "" if workspace.is_default else f"-w {workspace.root} "
    say(f"Editing map: {page.path} ({page.size_bytes / 1e6:.1f} MB). Edit, download the edits, then run: "
        f"alatau-geo {where}apply alatau-geo-edits.json")


def _say_pages(pages: list[WrittenMap], *, maps_dir: Path, offline: bool) -> None:
    for page in pages:
        say(f"Map: {maps_dir / page.path.name} ({page.size_bytes / 1e6:.1f} MB{', offline' if offline else ''})")


def run_export(args: argparse.Namespace) -> int:
    """``alatau-geo export --out DIR``."""
    from alatau_geo.core.io import export_layers, read_layers
    from alatau_geo.core.manifest import read_built_by

    workspace = workspace_of(args)
    plan = workspace.load_plan()
    layers_dir = folder(args.layers_dir, workspace.layers_dir)
    with progress(2, quiet=args.quiet) as step:
        step("reading the layers")
        layers = read_layers(layers_dir)
        step("writing GeoJSON and GeoPackage")
        result = export_layers(layers, args.out, precision=plan.export.coordinate_precision,
                               built_by=read_built_by(layers_dir))
    say(f"Exported {len(layers)} layers to {result.directory}/ ({result.gpkg.name} and one .geojson per layer)")
    return 0
