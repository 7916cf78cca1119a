"""The main job: build or refresh the reference layers and write them out.

This is the application layer between the command line and the library: it
reads the inputs (tiles, tables, committed layers), runs the builders, and
writes the layers, the terrain raster and the working-raster cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alatau_geo.analysis.outputs import ANALYSIS_LAYERS, analysis_layers
from alatau_geo.core.changes import LayerChange, compare_layers
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.core.geojson import as_exported
from alatau_geo.core.io import ExportResult, copy_file, export_layers, read_layers, read_raster, write_raster
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import MANIFEST_NAME, read_built_by
from alatau_geo.core.raster import Raster
from alatau_geo.plan.catalogues import load_catalogues
from alatau_geo.plan.config import Plan
from alatau_geo.plan.districts import ZONE_LAYERS, build_zones, zone_layers
from alatau_geo.plan.placement import place_objects
from alatau_geo.plan.placement_context import PlacementContext
from alatau_geo.plan.workspace import plan_fingerprint
from alatau_geo.reference import gazetteer, terrain, water
from alatau_geo.reference.build import REFERENCE_STEPS, build_reference_layers, no_progress

logger = logging.getLogger(__name__)

PLAN_LAYERS = (*ZONE_LAYERS, "infrastructure", "infrastructure_lines", "projects", *ANALYSIS_LAYERS)
"""Layers the plan constructs on the reference layers; rebuilt by every run."""

TERRAIN_RASTER = "terrain_dem.tif"
"""Working-grid DEM written beside the layers, so a clone without the tiles keeps its terrain."""


@dataclass(frozen=True)
class BuildOutcome:
    """What a build wrote and what changed."""

    layers: LayerSet
    changes: tuple[LayerChange, ...]
    export: ExportResult
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """Data that degraded on the way (voids left after filling, per tile); the caller decides what they mean."""


BUILD_STEPS = REFERENCE_STEPS + 4
"""Steps :func:`build_from_tiles` reports through ``on_step``."""
REFRESH_STEPS = 4
"""Steps :func:`refresh_from_committed` reports through ``on_step``."""


def build_from_tiles(plan: Plan, *, dem_dir: Path, layers_dir: Path, cache_dir: Path,
                     built_by: Mapping[str, Any] | None = None, osm_path: Path | None = None,
                     on_step: Callable[[str], None] = no_progress, out_dir: Path | None = None) -> BuildOutcome:
    """Rebuild every reference layer from the SRTM tiles and export it.

    The previous contents of `layers_dir` (if any) are compared with the new
    layers, which are written into `out_dir` (a staging folder, see
    :mod:`alatau_geo.core.staging`; default `layers_dir` itself). `built_by` (see
    :func:`alatau_geo.plan.workspace.built_by_record`) goes into the
    manifest. `on_step` is called with a label as each of
    :data:`BUILD_STEPS` steps starts. Tiles with voids left after filling
    are named in the outcome's ``warnings``.
    """
    out_dir = out_dir or layers_dir
    names = plan.terrain.tiles
    on_step("reading SRTM tiles")
    paths = terrain.find_tiles(dem_dir, names)
    tiles = {name: terrain.read_srtm_tile(path) for name, path in paths.items()}
    tables = gazetteer.load_tables(plan.tables, study_area=plan.study_area)
    build = build_reference_layers(tiles, tables, plan, on_step=on_step)
    on_step("zones and placement")
    layers = _with_plan_layers(_with_osm(build.layers, osm_path), plan, elevation=build.terrain.elevation)
    on_step("working rasters to the cache")
    _write_cache(build.terrain, cache_dir=cache_dir, key=_cache_key(paths, plan))
    on_step("comparing with the previous layers and exporting")
    previous = _previous(layers_dir)
    changes = compare_layers(previous, layers, precision=plan.export.coordinate_precision)
    write_raster(build.terrain.elevation, out_dir / TERRAIN_RASTER, dtype="int16")
    export = export_layers(layers, out_dir, precision=plan.export.coordinate_precision, built_by=built_by,
                           extra_files=(TERRAIN_RASTER,))
    figures = build.figures
    notes = (
        f"Reservoir: {figures['reservoir_polygon_area_km2']:,.1f} km2 at {figures['reservoir_level_m']:g} m "
        f"(raw cells {figures['reservoir_raw_area_km2']:,.1f} km2, "
        f"{figures['reservoir_area_change_pct']:+.3f} % after simplification, {figures['reservoir_islands']} islands; "
        f"SRTM surface of Feb 2000 at {figures['reservoir_srtm_surface_m']:g} m: "
        f"{figures['reservoir_surface_area_km2']:,.1f} km2; west of 78°E only)",
        f"DEM voids filled: {figures['void_cells'] - figures['unfilled_void_cells']} of {figures['void_cells']} cells",
        "Named rivers: " + "; ".join(
            f"{rid} {info['traced_length_km']} km traced to the {info['ends_in']}"
            for rid, info in figures["named_rivers"].items()
        ),
    )
    warnings = tuple(terrain.void_warnings(build.terrain.filled, paths,
                                           max_distance_cells=plan.terrain.void_fill_max_distance_cells))
    return BuildOutcome(layers=layers, changes=tuple(changes), export=export, notes=notes, warnings=warnings)


def refresh_from_committed(plan: Plan, *, layers_dir: Path, reference_dir: Path | None = None,
                           built_by: Mapping[str, Any] | None = None, osm_path: Path | None = None,
                           on_step: Callable[[str], None] = no_progress,
                           out_dir: Path | None = None) -> BuildOutcome:
    """Without tiles: keep the DEM-derived layers already built, rebuild the rest.

    The DEM-derived layers come from `layers_dir`, or, when it holds none
    yet (a new workspace), from `reference_dir` (the default scenario's
    committed layers); the terrain raster is copied along. The gazetteer
    layers are rebuilt from the plan's tables, places taking their elevation
    from the terrain raster; the water protection bands are rebuilt when the
    plan's widths differ from those that built them; the zones and the rest
    are rebuilt from the plan. Everything is written into `out_dir` (a
    staging folder; default `layers_dir`).

    Raises
    ------
    InputDataError
        If the plan's study area, terrain or hydrology settings or its
        river names differ from those the DEM-derived layers were built
        with: that needs the tiles.
    """
    on_step("reading the committed layers")
    has_own = (layers_dir / MANIFEST_NAME).is_file()
    source_dir = layers_dir if has_own or reference_dir is None else reference_dir
    committed = read_layers(source_dir)
    previous = committed if source_dir == layers_dir else None
    elevation = read_raster(source_dir / TERRAIN_RASTER)
    on_step("gazetteer layers")
    reference = committed_reference(plan, layers_dir=source_dir, committed=committed)
    on_step("zones and placement")
    layers = _with_plan_layers(_with_osm(reference, osm_path), plan, elevation=elevation)
    on_step("comparing and exporting")
    changes = compare_layers(previous, layers, precision=plan.export.coordinate_precision)
    out_dir = out_dir or layers_dir
    if source_dir != out_dir:
        copy_file(source_dir / TERRAIN_RASTER, out_dir / TERRAIN_RASTER)
    export = export_layers(layers, out_dir, precision=plan.export.coordinate_precision, built_by=built_by,
                           extra_files=(TERRAIN_RASTER,))
    return BuildOutcome(layers=layers, changes=tuple(changes), export=export)


def committed_reference(plan: Plan, *, layers_dir: Path, committed: LayerSet | None = None) -> LayerSet:
    """Reference layers for `plan` from a layers folder.

    DEM-derived layers are taken as committed; the gazetteer layers are
    rebuilt from the plan's tables, and the water protection bands when the
    plan's widths differ from those recorded in the folder's manifest;
    plan-built layers are left out.

    Raises
    ------
    InputDataError
        If the DEM-derived layers were built with other study area, terrain
        or hydrology settings or river names than the plan's.
    """
    committed = committed if committed is not None else read_layers(layers_dir)
    record = read_built_by(layers_dir) or {}
    fingerprint = plan_fingerprint(plan)
    if record.get("terrain_sha256", fingerprint["terrain_sha256"]) != fingerprint["terrain_sha256"]:
        raise InputDataError(
            f"{layers_dir}: the reservoir, streams and rivers there were built with other study_area, terrain or "
            "hydrology settings or river names than this plan's; rebuilding them needs the SRTM tiles (--dem-dir)"
        )
    dem_path = layers_dir / TERRAIN_RASTER
    elevation = read_raster(dem_path) if dem_path.is_file() else None
    tables = gazetteer.load_tables(plan.tables, study_area=plan.study_area)
    rebuilt = {
        "places": gazetteer.places_layer(tables.places, source=tables.sources["places"], elevation=elevation),
        "corridors": gazetteer.corridors_layer(tables.corridors, source=tables.sources["corridors"]),
        "outlines": gazetteer.outlines_layer(tables.outlines, source=tables.sources["outlines"]),
    }
    if record.get("water_protection", fingerprint["water_protection"]) != fingerprint["water_protection"]:
        logger.info("water protection widths differ from those of %s: rebuilding the bands", layers_dir)
        zone, strip = water.protection_from_water_layers(
            committed["reservoir"], committed["rivers"], plan.water_protection,
            clip=committed["study_area"].frame.geometry.iloc[0],
        )
        rebuilt.update({zone.name: zone, strip.name: strip})
    # Layers the committed folder lacks (an older layout) are added from the tables.
    kept = [rebuilt.pop(name, layer) for name, layer in committed.items() if name not in PLAN_LAYERS]
    return LayerSet([*kept, *rebuilt.values()])


def plan_layers(reference: LayerSet, plan: Plan, *, elevation: Raster) -> LayerSet:
    """The layers `plan` constructs on `reference` (zones, placed objects), without the reference layers."""
    full = _with_plan_layers(reference, plan, elevation=elevation)
    return LayerSet(layer for name, layer in full.items() if name in PLAN_LAYERS)


def _with_plan_layers(reference: LayerSet, plan: Plan, *, elevation: Raster) -> LayerSet:
    """The reference layers plus every layer the plan constructs on them.

    Zones come first, then the infrastructure and projects placed in them.
    Both are built on the reference layers as exported, so a build from the
    tiles and one from committed layers give the same bytes.
    """
    precision = plan.export.coordinate_precision
    exported = LayerSet(as_exported(layer, precision=precision) for layer in reference.values()
                        if layer.name not in PLAN_LAYERS)
    zones = build_zones(plan.zones, exported, min_part_ha=plan.analysis.min_part_ha, source=plan.source)
    zoned = LayerSet([*exported.values(), *zone_layers(zones, source=plan.source)])
    placed = place_catalogues(zoned, plan, elevation=elevation)
    planned = LayerSet([*zoned.values(), *placed.values()])
    analysed = analysis_layers(LayerSet(as_exported(layer, precision=precision) for layer in planned.values()), plan)
    kept = [layer for name, layer in reference.items() if name not in PLAN_LAYERS]
    return LayerSet([*kept, *(zoned[name] for name in ZONE_LAYERS if name in zoned), *placed.values(), *analysed])


def placement_context(layers: LayerSet, plan: Plan, *, elevation: Raster) -> PlacementContext:
    """The placement context of `plan` on `layers` (slope from the working-grid DEM)."""
    return PlacementContext.from_layers(layers, elevation=elevation, slope=terrain.slope(elevation), plan=plan)


def place_catalogues(layers: LayerSet, plan: Plan, *, elevation: Raster) -> dict[str, Layer]:
    """Place the plan's infrastructure and projects catalogues on the zoned layers."""
    context = placement_context(layers, plan, elevation=elevation)
    catalogues = load_catalogues(plan)
    placed = place_objects(catalogues["infrastructure"], context)
    placed.update(place_objects(catalogues["projects"], context, avoid=placed["infrastructure"].frame.geometry))
    return placed


def _with_osm(layers: LayerSet, osm_path: Path | None) -> LayerSet:
    if osm_path is None:
        return layers
    from alatau_geo.reference.osm import read_osm_xml

    extract = read_osm_xml(osm_path)
    kept = [layer for name, layer in layers.items() if not name.endswith("_osm")]
    return LayerSet([*kept, extract.places, extract.corridors, extract.rivers])


def _previous(layers_dir: Path) -> LayerSet | None:
    try:
        return read_layers(layers_dir)
    except LayerError as error:
        logger.debug("no previous layers to compare with: %s", error)
        return None


def _cache_key(tile_paths: dict[str, Path], plan: Plan) -> str:
    digest = hashlib.sha256()
    for name in sorted(tile_paths):
        digest.update(name.encode())
        digest.update(hashlib.sha256(tile_paths[name].read_bytes()).digest())
    digest.update(json.dumps([plan.study_area.bounds, plan.terrain.resolution_m,
                              plan.terrain.void_fill_max_distance_cells]).encode())
    return digest.hexdigest()[:16]


def _write_cache(result: terrain.Terrain, *, cache_dir: Path, key: str) -> Path:
    folder = cache_dir / "terrain" / key
    write_raster(result.filled, folder / "dem_wgs84_filled.tif", dtype="float32")
    write_raster(result.elevation, folder / "dem_utm43n.tif", dtype="float32")
    write_raster(result.slope, folder / "slope_deg_utm43n.tif", dtype="float32")
    logger.debug("working rasters in %s", folder)
    return folder

