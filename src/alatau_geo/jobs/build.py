"""The main job: build or refresh the layers and write them out.

This is the application layer between the command line and the library: it
reads the inputs (tiles, tables, committed layers), runs the stages
(:mod:`alatau_geo.jobs.build_stages`), each from the stage cache when its
inputs are unchanged (:mod:`alatau_geo.jobs.stage_cache`), and writes the
layers, the terrain raster and the working-raster cache. When every stage
came from the cache and the layers in place are what the same export wrote,
they are kept as they are (:mod:`alatau_geo.jobs.reuse`).

The analysis code is imported only when a stage is computed, so a build
that finds everything in the cache starts in about a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alatau_geo.analysis.layer_names import ANALYSIS_LAYERS, MOUNTAIN_LAYERS, POPULATION_LAYERS, SUITABILITY_LAYERS
from alatau_geo.core.changes import LayerChange
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.core.generation import file_digest
from alatau_geo.core.io import ExportResult, read_layers, read_raster, write_raster
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import MANIFEST_NAME, manifest_entries, read_built_by
from alatau_geo.core.progress import no_progress
from alatau_geo.core.raster import Raster
from alatau_geo.jobs import handover, reuse
from alatau_geo.jobs.stage_cache import (
    StageCache,
    StageOutput,
    StageRun,
    code_digest,
    digest,
    file_digests,
    plan_part,
    stage_keys,
    table_digests,
)
from alatau_geo.plan.config import Plan
from alatau_geo.plan.districts import ZONE_LAYERS, Solved
from alatau_geo.plan.workspace import plan_fingerprint

if TYPE_CHECKING:
    from alatau_geo.analysis.city_population import CityPopulation
    from alatau_geo.analysis.hazard_layers import HazardRasters
    from alatau_geo.analysis.suitability_layers import SuitabilityResult
    from alatau_geo.plan.placement_context import PlacementContext
    from alatau_geo.reference.terrain import Terrain

logger = logging.getLogger(__name__)

PLAN_LAYERS = (*ZONE_LAYERS, "infrastructure", "infrastructure_lines", "projects", *POPULATION_LAYERS,
               *ANALYSIS_LAYERS, *SUITABILITY_LAYERS)
"""Layers the plan constructs on the reference layers; rebuilt by every run."""

TERRAIN_RASTER = "terrain_dem.tif"
"""Working-grid DEM written beside the layers, so a clone without the tiles keeps its terrain."""
MOUNTAIN_DEM = "mountain_dem.tif"
"""The mountain cluster's study-window DEM (UTM 43N, metres) beside the layers (:mod:`alatau_geo.jobs.mountain`)."""
_REBUILT = ("places", "corridors", "outlines")
# What the reference layers read of the plan (the suitability only through whether there is one).
_REFERENCE_SECTIONS = ("study_area", "terrain", "hydrology", "water_protection", "tables", "export", "source")


@dataclass(frozen=True)
class BuildOutcome:
    """What a build wrote and what changed."""

    layers: LayerSet
    changes: tuple[LayerChange, ...]
    export: ExportResult
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    """Data that degraded on the way (voids left after filling, per tile); the caller decides what they mean."""
    stages: tuple[StageRun, ...] = ()
    """Each stage and step as it ran (computed, read from the cache, reused), with its time."""
    suitability: SuitabilityResult | None = None
    """The :class:`~alatau_geo.analysis.suitability_layers.SuitabilityResult` when this build computed it
    (the maps draw it instead of working it out again); None when it came from the cache or the plan has none."""


BUILD_STEPS = 5 + 7
"""Steps :func:`build_from_tiles` reports through ``on_step`` (the reference stage's five when it is computed)."""
REFRESH_STEPS = 6
"""Steps :func:`refresh_from_committed` reports through ``on_step``."""


def build_from_tiles(plan: Plan, *, dem_dir: Path, layers_dir: Path, cache_dir: Path,  # noqa: PLR0913
                     built_by: Mapping[str, Any] | None = None, osm_path: Path | None = None,
                     on_step: Callable[[str], None] = no_progress, out_dir: Path | None = None,
                     cache: StageCache | None = None, ready: handover.HandOver | None = None) -> BuildOutcome:
    """Rebuild every layer from the SRTM tiles and export it.

    The previous contents of `layers_dir` (if any) are compared with the new
    layers, which are written into `out_dir` (a staging folder, see
    :mod:`alatau_geo.core.staging`; default `layers_dir` itself). `built_by` (see
    :func:`alatau_geo.plan.workspace.built_by_record`) goes into the
    manifest. `on_step` is called with a label as each of at most
    :data:`BUILD_STEPS` steps starts. Tiles with voids left after filling
    are named in the outcome's ``warnings``. Each stage is taken from
    `cache` (default: the stage cache in `cache_dir`; ``StageCache(None)``
    computes everything) when its inputs are unchanged. `ready` is called
    with the layers and the suitability the build computed (None when it
    came from the cache) once the terrain raster and the other files are
    in `out_dir`, before the layers are exported (the command line hands
    them to the process that renders the map pages meanwhile); it is not
    called when the layers in place are kept (nothing changed). When the
    analyses are worked out beside the other stages, it is called before
    with every other layer (:data:`~alatau_geo.jobs.handover.HandOver`).
    """
    from alatau_geo.jobs import build_stages as stages
    from alatau_geo.jobs import tile_stages
    from alatau_geo.reference import terrain

    out_dir = out_dir or layers_dir
    cache = cache if cache is not None else StageCache(cache_dir)
    on_step("reading SRTM tiles")
    paths = terrain.find_tiles(dem_dir, plan.terrain.tiles)
    reference_key, mountain_key = tiles_keys(plan, paths)
    reference, mountain = tile_stages.reference_and_mountain(plan, paths=paths, keys=(reference_key, mountain_key),
                                                             cache=cache, cache_dir=cache_dir, out_dir=out_dir,
                                                             on_step=on_step)
    with_osm, osm = _with_osm(LayerSet([*reference.layers.values(), *mountain.layers.values()]), osm_path)
    keys = stage_keys(plan, reference=reference_key, mountain=mountain_key, osm=osm, hazards=reference_key)
    elevation = reference.rasters["elevation"]

    def hazards() -> HazardRasters:
        from alatau_geo.jobs.suitability import hazard_rasters

        return hazard_rasters(plan, elevation=elevation, hand=reference.rasters["hand"],
                              drains=reference.arrays["drains"], codes=reference.figures["river_codes"])

    def files(people: StageOutput | None, suited: StageOutput | None) -> list[reuse.StageFiles]:
        hand = [name for name in reference.files if name != TERRAIN_RASTER] if plan.suitability is not None else []
        return [reuse.StageFiles(reference, [TERRAIN_RASTER, *hand]), reuse.StageFiles(mountain, list(mountain.files)),
                *handover.plan_files(people, suited)]

    fixed = {**{name: reference_key for name in reference.layers}, **{name: mountain_key for name in mountain.layers},
             **{name: osm for name in with_osm if name.endswith("_osm")}}
    # While the analyses are worked out beside, the other layers are prepared for the export.
    ahead = partial(reuse.prepared_ahead, cache=cache, sources=fixed, precision=plan.export.coordinate_precision)
    planned = stages.plan_stages(with_osm, plan, ground=stages.Ground.of(reference, elevation), keys=keys,
                                 cache=cache, out_dir=out_dir, hazards=hazards, on_step=on_step,
                                 early=handover.early_of(ready, plan, files=files, out_dir=out_dir), ahead=ahead)
    outputs = files(planned.population, planned.suitability)
    on_step("comparing with the previous layers and exporting")
    export, changes = reuse.export_or_reuse(
        planned.layers, plan, cache=cache, keys=keys.values(), layers_dir=layers_dir, out_dir=out_dir,
        built_by=built_by, outputs=outputs, sources={**fixed, **planned.sources},
        previous=lambda: _previous(layers_dir), ready=handover.ready_of(ready, planned), prepared=planned.ahead)
    figures = reference.figures["reference"]
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
        *mountain.figures["notes"],
        *planned.notes,
    )
    return BuildOutcome(layers=planned.layers, changes=tuple(changes), export=export, notes=notes,
                        warnings=tuple(reference.figures["void_warnings"]), stages=tuple(cache.runs),
                        suitability=handover.computed_suitability(planned))


def refresh_from_committed(plan: Plan, *, layers_dir: Path, reference_dir: Path | None = None,  # noqa: PLR0913
                           built_by: Mapping[str, Any] | None = None, osm_path: Path | None = None,
                           on_step: Callable[[str], None] = no_progress, out_dir: Path | None = None,
                           cache: StageCache | None = None, ready: handover.HandOver | None = None) -> BuildOutcome:
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
    With `cache` (:class:`~alatau_geo.jobs.stage_cache.StageCache`), each
    stage whose inputs are unchanged is read from there. `ready` as in
    :func:`build_from_tiles`.

    Raises
    ------
    InputDataError
        If the plan's study area, terrain or hydrology settings or its
        river names differ from those the DEM-derived layers were built
        with: that needs the tiles.
    """
    from alatau_geo.jobs import build_stages as stages
    from alatau_geo.jobs import suitability

    out_dir = out_dir or layers_dir
    cache = cache if cache is not None else StageCache(None)
    on_step("reading the committed layers")
    has_own = (layers_dir / MANIFEST_NAME).is_file()
    source_dir = layers_dir if has_own or reference_dir is None else reference_dir
    check_committed(plan, layers_dir=source_dir, names=[name for name, _ in manifest_entries(source_dir)])
    elevation = read_raster(source_dir / TERRAIN_RASTER)
    on_step("gazetteer layers")
    reference_key = committed_key(plan, source_dir)
    reference = stages.committed_stage(plan, source_dir=source_dir, key=reference_key, cache=cache,
                                       elevation=elevation)
    hand_dir = suitability.hand_folder([source_dir, *([reference_dir] if reference_dir else [])], plan)
    hand_files = (suitability.HAND_RASTER, suitability.DRAINS_RASTER)
    hand_digest = file_digests({name: hand_dir / name for name in hand_files}) if hand_dir else None
    with_osm, osm = _with_osm(reference.layers, osm_path)
    keys = stage_keys(plan, reference=reference_key, osm=osm, hazards=digest(hand_digest))
    copied = [name for name in (TERRAIN_RASTER, MOUNTAIN_DEM) if (source_dir / name).is_file()]
    if plan.suitability is not None and hand_dir is not None:
        copied += [name for name in hand_files if (hand_dir / name).is_file()]

    def files(people: StageOutput | None, suited: StageOutput | None) -> list[reuse.StageFiles | reuse.CopiedFiles]:
        return [reuse.CopiedFiles({name: (hand_dir if name in hand_files else source_dir) for name in copied}),
                *handover.plan_files(people, suited)]

    planned = stages.plan_stages(
        with_osm, plan, ground=stages.Ground.of(reference, elevation), keys=keys, cache=cache, out_dir=out_dir,
        on_step=on_step, early=handover.early_of(ready, plan, files=files, out_dir=out_dir),
        hazards=lambda: suitability.rasters_from_folder(plan, folder=hand_dir or source_dir, elevation=elevation))
    outputs = files(planned.population, planned.suitability)
    on_step("comparing and exporting")

    def previous() -> LayerSet | None:
        return read_layers(layers_dir) if source_dir == layers_dir else None

    sources = {**{name: reference_key for name in reference.layers},
               **{name: osm for name in with_osm if name.endswith("_osm")}, **planned.sources}
    export, changes = reuse.export_or_reuse(
        planned.layers, plan, cache=cache, keys=keys.values(), layers_dir=layers_dir, out_dir=out_dir,
        built_by=built_by, outputs=outputs, sources=sources, previous=previous, ready=handover.ready_of(ready, planned))
    return BuildOutcome(layers=planned.layers, changes=tuple(changes), export=export, notes=planned.notes,
                        stages=tuple(cache.runs), suitability=handover.computed_suitability(planned))


def tiles_keys(plan: Plan, paths: Mapping[str, Path]) -> tuple[str, str]:
    """The keys of the reference and mountain stages of a build from the tiles at `paths`.

    Both cover the tiles' bytes and file names (the void warnings name the
    files) and every table's bytes; the reference key the study area,
    terrain, hydrology, water protection, table and export sections, the
    mountain key the terrain and ``[mountain]`` sections.
    """
    tiles = {"bytes": file_digests(paths), "files": {name: str(path) for name, path in paths.items()}}
    tables = table_digests(plan)
    reference = digest("reference", code_digest(), tiles, tables,
                       plan_part(plan, omit=_except(plan, _REFERENCE_SECTIONS)), plan.suitability is None)
    mountain = digest("mountain", code_digest(), tiles, tables,
                      plan_part(plan, omit=_except(plan, ("terrain", "mountain", "tables", "source"))))
    return reference, mountain


def _except(plan: Plan, names: Iterable[str]) -> list[str]:
    """Every plan section but `names` (what :func:`plan_part` should leave out)."""
    import dataclasses

    kept = set(names)
    return [f.name for f in dataclasses.fields(plan) if f.name not in kept]


def committed_key(plan: Plan, source_dir: Path) -> str:
    """The key of the reference stage of a build without tiles: what :func:`committed_reference` reads.

    The bytes of the DEM-derived layer files and of the terrain raster (the
    gazetteer layers are rebuilt from the tables, whose bytes count), the
    parts of the manifest's ``built_by`` record it checks, every table's
    bytes and the plan sections it reads; not the folder's path, so a new
    workspace's first build (from the default scenario's layers) and its
    next (from its own) share the entry.
    """
    entries = manifest_entries(source_dir)
    # The gazetteer layers are rebuilt from the tables (in the key): only their place in the order counts.
    files = {path.name: file_digest(path) for name, path in entries if name not in (*PLAN_LAYERS, *_REBUILT)}
    for raster in (TERRAIN_RASTER, MOUNTAIN_DEM):  # copied beside the layers as they are
        files[raster] = file_digest(source_dir / raster) if (source_dir / raster).is_file() else None
    files["order"] = [name for name, _ in entries]
    record = read_built_by(source_dir) or {}
    checked = {name: record.get(name) for name in ("terrain_sha256", "mountain_sha256", "water_protection")}
    return digest("reference-committed", code_digest(), files, checked, table_digests(plan),
                  plan_part(plan, omit=_except(plan, _REFERENCE_SECTIONS)))


def check_committed(plan: Plan, *, layers_dir: Path, names: Iterable[str]) -> None:
    """Refuse DEM-derived layers in `layers_dir` (named `names`) built with other settings than the plan's.

    Raises
    ------
    InputDataError
        If the DEM-derived layers were built with other study area, terrain
        or hydrology settings or river names than the plan's, or the
        mountain layers with other ``[mountain]`` terrain, lift or corridor
        settings or mountain places.
    """
    record = read_built_by(layers_dir) or {}
    fingerprint = plan_fingerprint(plan)
    if record.get("terrain_sha256", fingerprint["terrain_sha256"]) != fingerprint["terrain_sha256"]:
        raise InputDataError(
            f"{layers_dir}: the reservoir, streams and rivers there were built with other study_area, terrain or "
            "hydrology settings or river names than this plan's; rebuilding them needs the SRTM tiles (--dem-dir)"
        )
    if any(name in MOUNTAIN_LAYERS for name in names) and \
            record.get("mountain_sha256", fingerprint["mountain_sha256"]) != fingerprint["mountain_sha256"]:
        raise InputDataError(
            f"{layers_dir}: the mountain cluster and air corridor layers there were built with other "
            "mountain.terrain, mountain.lifts or mountain.corridors settings or mountain places than this plan's; "
            "rebuilding them needs the SRTM tiles (--dem-dir)"
        )


def committed_reference(plan: Plan, *, layers_dir: Path, committed: LayerSet | None = None) -> LayerSet:
    """Reference layers for `plan` from a layers folder.

    DEM-derived layers (the mountain cluster's and Almaty's corridors too)
    are taken as committed; the gazetteer layers are rebuilt from the plan's
    tables, and the water protection bands when the plan's widths differ
    from those recorded in the folder's manifest; plan-built layers are left out.

    Raises
    ------
    InputDataError
        As :func:`check_committed`.
    """
    from alatau_geo.reference import gazetteer, water

    committed = committed if committed is not None else read_layers(layers_dir, exclude=PLAN_LAYERS)
    check_committed(plan, layers_dir=layers_dir, names=list(committed))
    record = read_built_by(layers_dir) or {}
    fingerprint = plan_fingerprint(plan)
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
                catalogues: Mapping[str, Any] | None = None) -> LayerSet:
    """The zones and placed objects `plan` constructs on `reference` (what a comparison of two plans needs).

    Built on the reference layers as exported, as a build builds them
    (:func:`alatau_geo.jobs.build_stages.plan_stages`, which goes on to the
    suitability, the people and the analyses). `catalogues`
    (``infrastructure`` and ``projects``, as
    :func:`~alatau_geo.plan.catalogues.read_catalogue` gives them) replace
    the plan's tables.
    """
    exported = exported_reference(reference, plan)
    zoned = LayerSet([*exported.values(), *plan_zones(exported, plan)])
    placed = place_catalogues(zoned, plan, elevation=elevation, catalogues=catalogues)
    return LayerSet([*(zoned[name] for name in ZONE_LAYERS if name in zoned), *placed.values()])


def exported_reference(reference: LayerSet, plan: Plan, *,
                       export: Callable[[Layer], Layer] | None = None) -> LayerSet:
    """The reference layers a plan builds on, as exported at the plan's precision.

    The mountain layers lie outside the plain and nothing the plan builds
    uses them; layers a plan constructs are left out too. `export` exports
    one layer (a build's :class:`~alatau_geo.jobs.exported.ExportedLayers`,
    which keeps them for its later stages); by default
    :func:`~alatau_geo.core.geojson.as_exported` at the plan's precision.
    """
    from alatau_geo.jobs.exported import ExportedLayers

    export = export or ExportedLayers(precision=plan.export.coordinate_precision)
    return LayerSet(export(layer) for layer in reference.values()
                    if layer.name not in (*PLAN_LAYERS, *MOUNTAIN_LAYERS))


def plan_zones(exported: LayerSet, plan: Plan, *, known: MutableMapping[str, Solved] | None = None) -> list[Layer]:
    """The zone layers (districts, city boundary, SEZ) of `plan` on :func:`exported_reference` layers.

    `known` keeps zones between builds (:func:`alatau_geo.jobs.memo.zone_memo`;
    see :func:`alatau_geo.plan.districts.build_zones`).
    """
    from alatau_geo.plan.districts import build_zones, zone_layers

    zones = build_zones(plan.zones, exported, min_part_ha=plan.analysis.min_part_ha, source=plan.source, known=known)
    return list(zone_layers(zones, source=plan.source))


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
    from alatau_geo.jobs.population import population_of, suitability_of_folder

    return population_of(layers, plan, elevation=read_raster(layers_dir / TERRAIN_RASTER),
                         suitability=suitability_of_folder(plan, layers_dir))


def placement_context(layers: LayerSet, plan: Plan, *, elevation: Raster,
                      slope: Raster | None = None) -> PlacementContext:
    """The placement context of `plan` on `layers` (`slope` in degrees, else worked out from the working-grid DEM)."""
    from alatau_geo.plan.placement_context import PlacementContext
    from alatau_geo.reference import terrain

    slope = slope if slope is not None else terrain.slope(elevation)
    return PlacementContext.from_layers(layers, elevation=elevation, slope=slope, plan=plan)


def place_catalogues(layers: LayerSet, plan: Plan, *, elevation: Raster,  # noqa: PLR0913
                     catalogues: Mapping[str, Any] | None = None, slope: Raster | None = None,
                     on_infrastructure: Callable[[LayerSet], None] | None = None) -> dict[str, Layer]:
    """Place the plan's infrastructure and projects catalogues (or the `catalogues` given) on the zoned layers.

    `slope`: that of `elevation` in degrees, when the caller has it (a build keeps it with the reference stage).
    `on_infrastructure` is called with the infrastructure layers as soon as they are placed, before the
    projects (which keep clear of them): a build hands them to the analyses, which read no other.
    """
    from alatau_geo.plan.catalogues import load_catalogues
    from alatau_geo.plan.placement import place_objects

    context = placement_context(layers, plan, elevation=elevation, slope=slope)
    catalogues = catalogues if catalogues is not None else load_catalogues(plan)
    placed = place_objects(catalogues["infrastructure"], context)
    if on_infrastructure is not None:
        on_infrastructure(LayerSet(placed.values()))
    placed.update(place_objects(catalogues["projects"], context, avoid=placed["infrastructure"].frame.geometry))
    return placed


def _with_osm(layers: LayerSet, osm_path: Path | None) -> tuple[LayerSet, str | None]:
    """`layers` with those of the OSM extract at `osm_path` (replacing older ones), and the extract's digest."""
    if osm_path is None:
        return layers, None
    from alatau_geo.reference.osm import read_osm_xml

    extract = read_osm_xml(osm_path)
    kept = [layer for name, layer in layers.items() if not name.endswith("_osm")]
    return LayerSet([*kept, extract.places, extract.corridors, extract.rivers]), file_digest(osm_path)


def _previous(layers_dir: Path) -> LayerSet | None:
    try:
        return read_layers(layers_dir)
    except LayerError as error:
        logger.debug("no previous layers to compare with: %s", error)
        return None


def terrain_cache_key(tile_paths: Mapping[str, Path], plan: Plan) -> str:
    """The key of the working rasters in the cache's ``terrain/`` folder: the tiles' bytes and the grid settings."""
    digest = hashlib.sha256()
    for name in sorted(tile_paths):
        digest.update(name.encode())
        digest.update(hashlib.sha256(tile_paths[name].read_bytes()).digest())
    digest.update(json.dumps([plan.study_area.bounds, plan.terrain.resolution_m,
                              plan.terrain.void_fill_max_distance_cells]).encode())
    return digest.hexdigest()[:16]


def write_terrain_cache(result: Terrain, *, cache_dir: Path, key: str) -> Path:
    """Write the working rasters (filled WGS84 mosaic, UTM DEM, slope in degrees) into the cache; their folder."""
    folder = cache_dir / "terrain" / key
    write_raster(result.filled, folder / "dem_wgs84_filled.tif", dtype="float32")
    write_raster(result.elevation, folder / "dem_utm43n.tif", dtype="float32")
    write_raster(result.slope, folder / "slope_deg_utm43n.tif", dtype="float32")
    logger.debug("working rasters in %s", folder)
    return folder

