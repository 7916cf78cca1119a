"""The suitability job: the hazard rasters, the suitability surface and its layers, and their files.

Where the hazard rasters come from
----------------------------------
The height above nearest drainage (HAND) and the named river each cell
drains to need the flow routing of the SRTM tiles. A build from the tiles
computes them (:func:`rasters_from_tiles`), writes them to the workspace
cache and, as Cloud-Optimised GeoTIFFs, beside the layers (:data:`HAND_RASTER`,
:data:`DRAINS_RASTER`), like the terrain raster; a build without the tiles
reads them back from there (:func:`rasters_from_folder`). When they were never
built, the floodplain and the criteria and constraints that need HAND are
left out, with a message that says so. The reservoir bands always come from
the working-grid DEM (whole metres) and the ``reservoir`` layer, so a build
with and one without the tiles agree to the byte.

What is written
---------------
The layers (``suitability_classes``, ``suitability_sensitivity``,
``floodplain``, ``reservoir_bands``; :data:`SUITABILITY_LAYERS`) go out with
every other layer; :func:`write_suitability_rasters` adds the score and class
rasters (:data:`SCORE_RASTER`, :data:`CLASS_RASTER`), :func:`write_hand_rasters`
(from the tiles) or :func:`copy_hand_rasters` (without them) the HAND rasters;
the build lists them all in the manifest's generation record.

For the population capacity
---------------------------
:func:`alatau_geo.analysis.suitability_layers.suitability_classes_grid` gives the
class of every cell of another grid from ``SuitabilityResult.surface``; the
build makes that result in :func:`with_suitability` (after the zones and the
placed objects, which the criteria read) and the report, the API and the maps
recompute it with :func:`suitability_of`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np

from alatau_geo.analysis import hazards
from alatau_geo.analysis.criteria import CellFunction, Cells, Source, computed
from alatau_geo.analysis.grid import Grid
from alatau_geo.analysis.hazard_layers import HAZARD_LAYERS, HazardRasters, Hazards, dem_rasters, flood_hazards
from alatau_geo.analysis.suitability import CLASS_LABELS
from alatau_geo.analysis.suitability_layers import (
    SURFACE_LAYERS,
    SuitabilityResult,
    evaluate_suitability,
    suitability_layers,
)
from alatau_geo.core.errors import InputDataError, PlanError
from alatau_geo.core.io import copy_file, read_raster
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import read_built_by
from alatau_geo.core.raster import Raster
from alatau_geo.core.raster_io import read_raster_tags, write_cog
from alatau_geo.core.stage_store import geometry_digest
from alatau_geo.jobs.exported import ExportedLayers
from alatau_geo.jobs.memo import ArrayMemo, memo_folder
from alatau_geo.jobs.stage_cache import StageCache, StageOutput, code_digest, digest
from alatau_geo.plan.config import Plan
from alatau_geo.plan.suitability_params import HazardParams
from alatau_geo.plan.workspace import plan_fingerprint
from alatau_geo.reference import terrain
from alatau_geo.reference.build import ReferenceBuild

logger = logging.getLogger(__name__)

SUITABILITY_LAYERS = (*SURFACE_LAYERS, *HAZARD_LAYERS)
"""Layers the suitability job adds to a build."""
HAND_RASTER = "hand.tif"
"""Height above nearest drainage, metres, on the flow grid (WGS84) clipped to the study area."""
DRAINS_RASTER = "hand_drains.tif"
"""The code of the named river each cell first drains to (uint8; codes in the ``river_codes`` tag)."""
SCORE_RASTER = "suitability_score.tif"
"""The weighted score 0..1 on the suitability grid, 0 where a constraint excludes the land."""
CLASS_RASTER = "suitability_class.tif"
"""The suitability classes (0 unsuitable, 1 low, 2 medium, 3 high, 255 no data)."""
FoundHazards = Callable[[HazardRasters, HazardParams], Hazards]
"""Gives the floodplain and reservoir bands of hazard rasters and the plan's hazards (as :func:`flood_hazards`)."""
_KEEP_CELLS = 60
# A build of the default plan reads about ten entries' cells; sixty keep those of a few recent grids and edits.
_KEEP_SLOPES = 4  # one DEM per workspace, a few after its study area or resolution changed
_HAND_METHOD = ("height above nearest drainage: drop from each cell to the first drain on its D8 path (pyflwdir), "
                "drains = upstream area above hydrology.stream_threshold_km2, and the reservoir")


def rasters_from_tiles(build: ReferenceBuild, plan: Plan) -> HazardRasters:
    """The hazard rasters of a build from the tiles: HAND and drain labels from its flow routing.

    Raises
    ------
    InputDataError
        If the reference build kept no flow routing.
    """
    hand, drains, codes = hand_from_tiles(build, plan)
    return hazard_rasters(plan, elevation=build.terrain.elevation, hand=hand, drains=drains, codes=codes)


def hand_from_tiles(build: ReferenceBuild, plan: Plan) -> tuple[Raster, np.ndarray, dict[str, int]]:
    """Height above nearest drainage (m), the drain label of every cell and the river codes, from the flow routing.

    Both rasters are clipped to the study area, on the flow grid (WGS84).

    Raises
    ------
    InputDataError
        If the reference build kept no flow routing.
    """
    if build.flow is None or build.reservoir_mask is None:
        raise InputDataError("the reference build kept no flow routing; HAND needs it")
    hp = plan.hydrology
    drains = hazards.drain_cells(build.flow, threshold_km2=hp.stream_threshold_km2, lakes=build.reservoir_mask)
    hand = hazards.height_above_drainage(build.flow, build.terrain.filled, drains=drains)
    labels, codes = hazards.river_labels(build.flow, build.rivers)
    found = hazards.drain_labels(build.flow, drains=drains, labels=labels)
    bounds = plan.study_area.bounds
    clipped = terrain.clip_to_bounds(hand, bounds)
    drain_codes = terrain.clip_to_bounds(Raster(found, hand.transform, hand.crs), bounds).data.astype(np.uint8)
    return clipped, drain_codes, codes


def rasters_from_folder(plan: Plan, *, folder: Path, elevation: Raster) -> HazardRasters:
    """The hazard rasters of a build without tiles: HAND and drain labels read from `folder` when there.

    Without them (layers never built from the tiles) a warning says what is
    left out and how to make them.
    """
    hand_path, drains_path = folder / HAND_RASTER, folder / DRAINS_RASTER
    if not (hand_path.is_file() and drains_path.is_file()):
        logger.warning("%s holds no height-above-drainage raster (%s): the floodplain, and the suitability criteria "
                       "and constraints that need it, are left out. Build once with the SRTM tiles (--dem-dir) "
                       "to make it.", folder, HAND_RASTER)
        return hazard_rasters(plan, elevation=elevation)
    hand = read_raster(hand_path)
    labels = read_raster(drains_path)
    codes = {str(k): int(v) for k, v in json.loads(read_raster_tags(drains_path).get("river_codes", "{}")).items()}
    drains = np.nan_to_num(labels.data, nan=hazards.NO_DRAIN_LABEL).astype(np.uint8)
    return hazard_rasters(plan, elevation=elevation, hand=hand, drains=drains, codes=codes)


def hand_folder(folders: list[Path], plan: Plan) -> Path | None:
    """The first of `folders` holding the HAND rasters built with the plan's terrain and hydrology.

    A workspace built before the HAND rasters existed takes them from the
    default scenario's layers when those were built from the same tiles and
    settings (the manifests' ``terrain_sha256`` agree).
    """
    wanted = plan_fingerprint(plan)["terrain_sha256"]
    for folder in folders:
        if (folder / HAND_RASTER).is_file() and (folder / DRAINS_RASTER).is_file():
            record = read_built_by(folder) or {}
            if record.get("terrain_sha256", wanted) == wanted:
                return folder
    return None


def hazard_rasters(plan: Plan, *, elevation: Raster, hand: Raster | None = None,
                   drains: np.ndarray | None = None, codes: Mapping[str, int] | None = None) -> HazardRasters:
    """The hazard rasters on the working-grid DEM `elevation` (m), with the HAND rasters when given.

    The reservoir bands and the DEM's own drains come from `elevation`;
    `hand` (m), `drains` (labels) and `codes` (river codes) from
    :func:`hand_from_tiles` or from the files a build wrote.
    """
    hp = plan.hydrology
    base = dem_rasters(elevation, surface_m=hp.srtm_surface_m, level_m=hp.reservoir_level_m,
                       stream_threshold_km2=hp.stream_threshold_km2)
    return dataclasses.replace(base, hand=hand, drains=drains, river_codes=dict(codes or {}))


def with_suitability(layers: LayerSet, plan: Plan, rasters: HazardRasters) -> tuple[LayerSet, SuitabilityResult | None]:
    """`layers` with the suitability and hazard layers of `plan` added (replacing any older ones).

    The criteria and constraints read the layers as exported, so a build
    from the tiles and one from committed layers give the same result.
    A plan without a ``[suitability]`` section adds nothing.
    """
    if plan.suitability is None:
        return layers, None
    kept = [layer for name, layer in layers.items() if name not in SUITABILITY_LAYERS]
    result = suitability_of_layers(LayerSet(kept), plan, rasters)
    return LayerSet([*kept, *suitability_layers(result)]), result


def suitability_of_layers(layers: LayerSet, plan: Plan, rasters: HazardRasters, *,  # noqa: PLR0913
                          slope: Raster | None = None, cells: Cells = computed,
                          export: Callable[[Layer], Layer] | None = None, flood: FoundHazards = flood_hazards,
                          ) -> SuitabilityResult:
    """The suitability of `plan` on built `layers` and hazard rasters.

    `slope` and `cells` as in :func:`~alatau_geo.analysis.suitability_layers.evaluate_suitability`
    (a build keeps the cells in its cache: :func:`cached_cells`); the layers
    the criteria read are exported first, by `export` (a build's
    :class:`~alatau_geo.jobs.exported.ExportedLayers`, which exported the
    reference, the zones and the infrastructure already; by default each is
    exported here). `flood`
    gives the floodplain and the reservoir bands (a build keeps them in its
    cache: :func:`cached_hazards`).
    """
    params = plan.suitability
    if params is None:
        raise PlanError(f"{plan.source}: the plan has no [suitability] section")
    named = {c.source for c in (*params.criteria, *params.constraints)} | set(params.area_layers)
    export = export or ExportedLayers(precision=plan.export.coordinate_precision)
    read = LayerSet(export(layer) if name in named else layer for name, layer in layers.items())
    found = flood(rasters, params.hazards)
    result = evaluate_suitability(read, params, elevation=rasters.elevation, hazards=found, slope=slope,
                                  cells=cells)
    if result.left_out:
        logger.debug("suitability: left out %s (no height above drainage)", ", ".join(result.left_out))
    return result


def cached_hazards(cache: StageCache) -> CachedHazards:
    """:func:`~alatau_geo.analysis.hazard_layers.flood_hazards` and its layers, kept in `cache` by what they read.

    The floodplain and the reservoir's shore bands read the hazard rasters
    (the DEM, the reservoir, the height above drainage and the drains) and
    ``suitability.hazards``, nothing of the districts: after an edit of one
    they are read back with their layers (the ``hazards`` stage) instead of
    being worked out and drawn again, a tenth of a second of the main
    process. Without a cache (``--no-cache``) they are worked out.
    """
    return CachedHazards(cache)


class CachedHazards:
    """A :data:`FoundHazards` that keeps its results in a stage cache (see :func:`cached_hazards`).

    Attributes
    ----------
    key : str or None
        The key of the hazards it gave last (what they read: a build keys
        the hazard layers' export by it, not by the suitability's, which
        reads the districts too); None before the first.
    """

    def __init__(self, cache: StageCache) -> None:
        self._cache = cache
        self.key: str | None = None

    def __call__(self, rasters: HazardRasters, params: HazardParams) -> Hazards:
        """The hazards of `rasters` and `params`, from the cache when it holds them."""
        self.key = key = digest("hazards", code_digest(), repr(params), _rasters_digest(rasters))
        # Part of the suitability stage's time (not listed apart, so the stage profile adds up).
        output = self._cache.run("hazards", key, lambda _files_dir: _hazards_stage(rasters, params), timed=False)
        if output.computed:
            return output.value
        stored = output.arrays
        bands = hazards.ReservoirBands(normal=stored["normal"], maximum=stored["maximum"],
                                       normal_level_m=output.figures["normal_level_m"],
                                       max_level_m=output.figures["max_level_m"])
        return Hazards(rasters=rasters, params=params, floodplain=stored.get("floodplain"), bands=bands,
                       drawn=tuple(output.layers.values()))


def _hazards_stage(rasters: HazardRasters, params: HazardParams) -> StageOutput:
    found = flood_hazards(rasters, params)
    drawn = tuple(found.layers())
    arrays = {"normal": found.bands.normal, "maximum": found.bands.maximum}
    if found.floodplain is not None:
        arrays["floodplain"] = found.floodplain
    return StageOutput(layers=LayerSet(drawn), arrays=arrays, value=dataclasses.replace(found, drawn=drawn),
                       figures={"normal_level_m": found.bands.normal_level_m,
                                "max_level_m": found.bands.max_level_m})


def _rasters_digest(rasters: HazardRasters) -> str:
    """SHA-256 of everything :func:`~alatau_geo.analysis.hazard_layers.flood_hazards` reads of `rasters`."""
    grids = [_source_digest(rasters.elevation), _array_digest(rasters.reservoir)]
    if rasters.hand is not None:
        grids.append(_source_digest(rasters.hand))
    if rasters.drains is not None:
        grids.append(_array_digest(rasters.drains))
    return digest(grids, dict(rasters.river_codes), rasters.stream_threshold_km2, rasters.reservoir_surface_m,
                  rasters.reservoir_level_m)


def _array_digest(values: np.ndarray) -> str:
    """SHA-256 of an array's values, with its type and shape."""
    values = np.ascontiguousarray(values)
    return hashlib.sha256(values.data).hexdigest() + f"{values.dtype}{values.shape}"


def cached_cells(cache: StageCache) -> Cells:
    """Each criterion's scores and each constraint's mask, kept in `cache` by exactly what they read.

    The key is the plan entry (its source, transform, kinds, buffer,
    limits), the grid, and the source's content: a raster's values,
    transform and CRS, or a layer's geometries, ``kind`` column and CRS.
    After an edit of a district the slope, the height above drainage and
    the reference layers are as before, and so is the suitability grid
    (the analysis area's bounds on whole cells) unless the city's extent
    moved: their cells are read back, exact, instead of being resampled or
    measured again. Without a cache (``--no-cache``) nothing is kept.
    """
    memo = ArrayMemo(memo_folder(cache, "cells"))
    memo.prune(keep=_KEEP_CELLS)

    def cells(function: CellFunction, entry: object, source: Source, grid: Grid) -> np.ndarray:
        key = digest("cells", function.__name__, repr(entry), repr(grid.transform), grid.shape, grid.crs.to_wkt(),
                     _source_digest(source))
        return memo.made(key, lambda: function(entry, source, grid))

    return cells


def cached_slope(cache: StageCache, elevation: Raster) -> Raster:
    """The slope of `elevation` in degrees (:func:`~alatau_geo.reference.terrain.slope`), kept in `cache` by its values.

    A build keeps its slope with the reference stage; what reads the
    working-grid DEM back from its file (``map``) finds the same slope here
    instead of working it out again (a third of a second for the default plan).
    """
    memo = ArrayMemo(memo_folder(cache, "slope"))
    memo.prune(keep=_KEEP_SLOPES)
    values = memo.made(digest("slope", _source_digest(elevation)), lambda: terrain.slope(elevation).data)
    return Raster(values, elevation.transform, elevation.crs)


def _source_digest(source: Source) -> str:
    """SHA-256 of what a criterion or constraint reads of its source."""
    if isinstance(source, gpd.GeoDataFrame):
        kinds = source["kind"].astype(str).str.cat(sep="\n") if "kind" in source.columns else ""
        return geometry_digest(source.geometry.to_numpy(), kinds, source.crs.to_wkt() if source.crs else "")
    return _array_digest(source.data) + f"{source.transform!r}" + source.crs.to_wkt()


def suitability_of(layers: LayerSet, plan: Plan, *, layers_dir: Path, elevation: Raster,
                   cache: StageCache | None = None) -> SuitabilityResult:
    """The suitability of built `layers` (``report suitability``, the API, the maps).

    `layers_dir` holds the HAND rasters a build from the tiles wrote;
    `elevation` is the working-grid DEM written there. With a `cache` (the
    workspace's, which the build filled), the slope, each criterion's
    cells and the layers as exported are read back from its memos where
    they are what this plan and these layers need: ``map`` after a build
    then works out only the weighting, the classes and the sensitivity.
    """
    rasters = rasters_from_folder(plan, folder=layers_dir, elevation=elevation)
    if cache is None or not cache.enabled:
        return suitability_of_layers(layers, plan, rasters)
    from alatau_geo.jobs.memo import exported_memo

    return suitability_of_layers(layers, plan, rasters, slope=cached_slope(cache, elevation),
                                 cells=cached_cells(cache),
                                 export=ExportedLayers(precision=plan.export.coordinate_precision,
                                                       memo=exported_memo(cache)))


def write_suitability_rasters(result: SuitabilityResult, *, folder: Path) -> list[str]:
    """Write the score and class rasters into `folder`; their file names, for the manifest.

    Both are Cloud-Optimised GeoTIFFs with overviews
    (:func:`alatau_geo.core.raster_io.write_cog`), the same bytes for the same result.
    """
    surface = result.surface
    labels = ";".join(f"{code}={label}" for code, label in CLASS_LABELS.items())
    write_cog(surface.suitability(), folder / SCORE_RASTER,
              tags={"units": "score 0-1, 0 where a hard constraint excludes the land",
                    "cell_size_m": f"{result.params.cell_size_m:g}"})
    write_cog(surface.grid.raster(surface.classes), folder / CLASS_RASTER, dtype="uint8",
              tags={"classes": labels, "nodata": "255"})
    return [SCORE_RASTER, CLASS_RASTER]


def write_hand_rasters(rasters: HazardRasters, *, folders: list[Path]) -> list[str]:
    """Write the HAND and drain-label rasters (built from the tiles) into each of `folders`; their file names.

    Nothing is written when the rasters carry no height above drainage.
    """
    if rasters.hand is None or rasters.drains is None:
        return []
    codes = json.dumps(dict(sorted(rasters.river_codes.items())), separators=(",", ":"))
    for folder in folders:
        write_cog(rasters.hand, folder / HAND_RASTER, tags={"units": "m", "method": _HAND_METHOD})
        write_cog(Raster(rasters.drains, rasters.hand.transform, rasters.hand.crs), folder / DRAINS_RASTER,
                  dtype="uint8", tags={"river_codes": codes, "other_drain": "0", "no_drain": "255"})
    return [HAND_RASTER, DRAINS_RASTER]


def copy_hand_rasters(source: Path, target: Path) -> list[str]:
    """Copy the HAND rasters from `source` into `target` byte for byte (a build without tiles); their names."""
    if source.resolve() != target.resolve():
        for name in (HAND_RASTER, DRAINS_RASTER):
            copy_file(source / name, target / name)
    return [HAND_RASTER, DRAINS_RASTER]


def hazard_cache_dir(cache_dir: Path, *, terrain_key: str, plan: Plan) -> Path:
    """The cache folder of the HAND rasters: the terrain cache key and the plan's hydrology."""
    digest = hashlib.sha256(f"{terrain_key}:{plan_fingerprint(plan)['terrain_sha256']}".encode()).hexdigest()[:16]
    return cache_dir / "hazards" / digest


def suitability_note(result: SuitabilityResult | None) -> str:
    """One line for the build's summary: hectares per class, and what was left out."""
    if result is None:
        return "Suitability: the plan has no [suitability] section; no suitability layers"
    areas = result.surface.class_areas_ha()
    text = "Suitability: " + ", ".join(f"{label} {ha:,.0f} ha" for label, ha in areas.items())
    text += f" ({result.params.cell_size_m:g} m grid)"
    if result.left_out:
        text += "; left out for lack of the height above drainage: " + ", ".join(result.left_out)
    return text

