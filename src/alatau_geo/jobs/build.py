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

import pandas as pd

from alatau_geo.analysis.city_population import CityPopulation
from alatau_geo.analysis.outputs import ANALYSIS_LAYERS, analysis_layers
from alatau_geo.analysis.population_layers import POPULATION_LAYERS, population_layers
from alatau_geo.core.changes import LayerChange, compare_layers
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.core.geojson import as_exported
from alatau_geo.core.io import ExportResult, copy_file, export_layers, read_layers, read_raster, write_raster
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import MANIFEST_NAME, read_built_by
from alatau_geo.core.raster import Raster
from alatau_geo.jobs import suitability
from alatau_geo.jobs.mountain import MOUNTAIN_DEM, MOUNTAIN_LAYERS, build_mountain
from alatau_geo.jobs.population import population_of, write_population_grids
from alatau_geo.plan.catalogues import load_catalogues
from alatau_geo.plan.config import Plan
from alatau_geo.plan.districts import ZONE_LAYERS, build_zones, zone_layers
from alatau_geo.plan.placement import place_objects
from alatau_geo.plan.placement_context import PlacementContext
from alatau_geo.plan.workspace import plan_fingerprint
from alatau_geo.reference import gazetteer, terrain, water
from alatau_geo.reference.build import REFERENCE_STEPS, build_reference_layers, no_progress

logger = logging.getLogger(__name__)

PLAN_LAYERS = (*ZONE_LAYERS, "infrastructure", "infrastructure_lines", "projects", *POPULATION_LAYERS,
               *ANALYSIS_LAYERS, *suitability.SUITABILITY_LAYERS)
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
    population: CityPopulation | None = None


@dataclass(frozen=True)
class PlanBuild:
    """The reference layers with every layer the plan constructs, and the allocated residents and jobs."""

    layers: LayerSet
    population: CityPopulation | None


BUILD_STEPS = REFERENCE_STEPS + 7
"""Steps :func:`build_from_tiles` reports through ``on_step``."""
REFRESH_STEPS = 6
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
    on_step("mountain cluster and air corridors")
    mountain = build_mountain(build.terrain.filled, plan, river_names=tables.river_names)
    reference = LayerSet([*build.layers.values(), *(mountain.layers if mountain else ())])
    planned = plan_build(_with_osm(reference, osm_path), plan, elevation=build.terrain.elevation, on_step=on_step)
    on_step("hazards and land suitability")
    hazard_rasters = suitability.rasters_from_tiles(build, plan)
    layers, suited = suitability.with_suitability(planned.layers, plan, hazard_rasters)
    on_step("working rasters to the cache")
    key = _cache_key(paths, plan)
    _write_cache(build.terrain, cache_dir=cache_dir, key=key)
    on_step("comparing with the previous layers and exporting")
    previous = _previous(layers_dir)
    changes = compare_layers(previous, layers, precision=plan.export.coordinate_precision)
    write_raster(build.terrain.elevation, out_dir / TERRAIN_RASTER, dtype="int16")
    extra = [TERRAIN_RASTER]
    if mountain is not None:
        extra.append(write_raster(mountain.dem, out_dir / MOUNTAIN_DEM, dtype="float32").name)
    extra += [path.name for path in write_population_grids(planned.population, out_dir)]
    if suited is not None:
        extra += suitability.write_suitability_rasters(suited, folder=out_dir)
        hazard_cache = suitability.hazard_cache_dir(cache_dir, terrain_key=key, plan=plan)
        extra += suitability.write_hand_rasters(suited.hazards.rasters, folders=[out_dir, hazard_cache])
    export = export_layers(layers, out_dir, precision=plan.export.coordinate_precision, built_by=built_by,
                           extra_files=tuple(extra))
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
        *(mountain.notes if mountain else ("Mountain cluster: the tiles do not cover it; no mountain layers",)),
        population_note(planned.population),
        suitability.suitability_note(suited),
    )
    warnings = tuple(terrain.void_warnings(build.terrain.filled, paths,
                                           max_distance_cells=plan.terrain.void_fill_max_distance_cells))
    return BuildOutcome(layers=layers, changes=tuple(changes), export=export, notes=notes, warnings=warnings,
                        population=planned.population)


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
    are rebuilt from the plan. The suitability takes the height above
    drainage from the folder's ``hand.tif`` (or the default scenario's, built
    from the same tiles and settings), and leaves out what needs it when
    neither has one (:func:`alatau_geo.jobs.suitability.rasters_from_folder`).
    Everything is written into `out_dir` (a staging folder; default `layers_dir`).

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
    planned = plan_build(_with_osm(reference, osm_path), plan, elevation=elevation, on_step=on_step)
    on_step("hazards and land suitability")
    hand_dir = suitability.hand_folder([source_dir, *([reference_dir] if reference_dir else [])], plan)
    hazard_rasters = suitability.rasters_from_folder(plan, folder=hand_dir or source_dir, elevation=elevation)
    layers, suited = suitability.with_suitability(planned.layers, plan, hazard_rasters)
    on_step("comparing and exporting")
    changes = compare_layers(previous, layers, precision=plan.export.coordinate_precision)
    out_dir = out_dir or layers_dir
    extra = [TERRAIN_RASTER]
    if source_dir != out_dir:
        copy_file(source_dir / TERRAIN_RASTER, out_dir / TERRAIN_RASTER)
    if (source_dir / MOUNTAIN_DEM).is_file():
        if source_dir != out_dir:
            copy_file(source_dir / MOUNTAIN_DEM, out_dir / MOUNTAIN_DEM)
        extra.append(MOUNTAIN_DEM)
    extra += [path.name for path in write_population_grids(planned.population, out_dir)]
    if suited is not None:
        extra += suitability.write_suitability_rasters(suited, folder=out_dir)
        if hand_dir is not None:
            extra += suitability.copy_hand_rasters(hand_dir, out_dir)
    export = export_layers(layers, out_dir, precision=plan.export.coordinate_precision, built_by=built_by,
                           extra_files=tuple(extra))
    return BuildOutcome(layers=layers, changes=tuple(changes), export=export,
                        notes=(population_note(planned.population), suitability.suitability_note(suited)),
                        population=planned.population)


def committed_reference(plan: Plan, *, layers_dir: Path, committed: LayerSet | None = None) -> LayerSet:
    """Reference layers for `plan` from a layers folder.

    DEM-derived layers (the mountain cluster's and Almaty's corridors too)
    are taken as committed; the gazetteer layers are rebuilt from the plan's
    tables, and the water protection bands when the plan's widths differ
    from those recorded in the folder's manifest; plan-built layers are left out.

    Raises
    ------
    InputDataError
        If the DEM-derived layers were built with other study area, terrain
        or hydrology settings or river names than the plan's, or the
        mountain layers with other ``[mountain]`` terrain, lift or corridor
        settings or mountain places.
    """
    committed = committed if committed is not None else read_layers(layers_dir, exclude=PLAN_LAYERS)
    record = read_built_by(layers_dir) or {}
    fingerprint = plan_fingerprint(plan)
    if record.get("terrain_sha256", fingerprint["terrain_sha256"]) != fingerprint["terrain_sha256"]:
        raise InputDataError(
            f"{layers_dir}: the reservoir, streams and rivers there were built with other study_area, terrain or "
            "hydrology settings or river names than this plan's; rebuilding them needs the SRTM tiles (--dem-dir)"
        )
    if any(name in committed for name in MOUNTAIN_LAYERS) and \
            record.get("mountain_sha256", fingerprint["mountain_sha256"]) != fingerprint["mountain_sha256"]:
        raise InputDataError(
            f"{layers_dir}: the mountain cluster and air corridor layers there were built with other "
            "mountain.terrain, mountain.lifts or mountain.corridors settings or mountain places than this plan's; "
            "rebuilding them needs the SRTM tiles (--dem-dir)"
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


def plan_layers(reference: LayerSet, plan: Plan, *, elevation: Raster,
                catalogues: Mapping[str, pd.DataFrame] | None = None, analyses: bool = True) -> LayerSet:
    """The layers `plan` constructs on `reference`, without the reference layers.

    `catalogues` (``infrastructure`` and ``projects``, as
    :func:`~alatau_geo.plan.catalogues.read_catalogue` gives them) replace
    the plan's tables. With `analyses` False only the zones and the placed
    objects: what a comparison of two plans needs, in a fraction of the time.
    """
    full = plan_build(reference, plan, elevation=elevation, catalogues=catalogues, analyses=analyses).layers
    return LayerSet(layer for name, layer in full.items() if name in PLAN_LAYERS)


def plan_build(reference: LayerSet, plan: Plan, *, elevation: Raster,  # noqa: PLR0913 - catalogues for sampling
               catalogues: Mapping[str, pd.DataFrame] | None = None, analyses: bool = True,
               on_step: Callable[[str], None] = no_progress) -> PlanBuild:
    """The reference layers plus every layer the plan constructs on them, and the allocated people.

    Zones come first, then the infrastructure and projects placed in them,
    then the residents and jobs allocated on them (and their layers), then
    the analyses that weigh those residents and jobs. Everything is built on
    the reference layers as exported, so a build from the tiles and one from
    committed layers give the same bytes. `on_step` is called twice. With
    `analyses` False, the people and the analyses are left out (``population``
    is then None).
    """
    precision = plan.export.coordinate_precision
    on_step("zones and placement")
    # The mountain layers lie outside the plain and nothing the plan builds uses them.
    exported = LayerSet(as_exported(layer, precision=precision) for layer in reference.values()
                        if layer.name not in (*PLAN_LAYERS, *MOUNTAIN_LAYERS))
    zones = build_zones(plan.zones, exported, min_part_ha=plan.analysis.min_part_ha, source=plan.source)
    zoned = LayerSet([*exported.values(), *zone_layers(zones, source=plan.source)])
    placed = place_catalogues(zoned, plan, elevation=elevation, catalogues=catalogues)
    planned = LayerSet(as_exported(layer, precision=precision)
                       for layer in (*zoned.values(), *placed.values()))
    if not analyses:
        kept = [layer for name, layer in reference.items() if name not in PLAN_LAYERS]
        return PlanBuild(layers=LayerSet([*kept, *(zoned[name] for name in ZONE_LAYERS if name in zoned),
                                          *placed.values()]), population=None)
    on_step("residents, jobs and the analyses")
    population = population_of(planned, plan, elevation=elevation)
    people = population_layers(population, planned)
    analysed = analysis_layers(planned, plan, population=population)
    kept = [layer for name, layer in reference.items() if name not in PLAN_LAYERS]
    layers = LayerSet([*kept, *(zoned[name] for name in ZONE_LAYERS if name in zoned), *placed.values(), *people,
                       *analysed])
    return PlanBuild(layers=layers, population=population)


def population_note(population: CityPopulation) -> str:
    """One line for the build's summary: the city's residents and jobs in the target year, and any shortfall."""
    year = population.years[-1]
    city = population.result.summary.loc[("city", year)]
    short = [f"{zone} short of {int(row['residents_shortfall']):,} residents and {int(row['jobs_shortfall']):,} jobs"
             for (zone, y), row in population.result.summary.iterrows()
             if y == year and zone != "city" and (row["residents_shortfall"] or row["jobs_shortfall"])]
    return (f"Population {year}: {int(city['residents']):,} residents and {int(city['jobs']):,} jobs allocated on "
            f"{city['built_ha']:,.0f} ha" + (f"; {'; '.join(short)}" if short else "; every district fits"))


def population_from_layers(layers: LayerSet, plan: Plan, *, layers_dir: Path) -> CityPopulation:
    """The plan's residents and jobs on built `layers`, with the slope of the DEM in `layers_dir`."""
    return population_of(layers, plan, elevation=read_raster(layers_dir / TERRAIN_RASTER))


def placement_context(layers: LayerSet, plan: Plan, *, elevation: Raster) -> PlacementContext:
    """The placement context of `plan` on `layers` (slope from the working-grid DEM)."""
    return PlacementContext.from_layers(layers, elevation=elevation, slope=terrain.slope(elevation), plan=plan)


def place_catalogues(layers: LayerSet, plan: Plan, *, elevation: Raster,
                     catalogues: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Layer]:
    """Place the plan's infrastructure and projects catalogues (or the `catalogues` given) on the zoned layers."""
    context = placement_context(layers, plan, elevation=elevation)
    catalogues = catalogues if catalogues is not None else load_catalogues(plan)
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

