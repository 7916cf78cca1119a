"""The stages a build makes from the SRTM tiles: the reference layers and the mountain cluster.

Both read only the tiles (and the plan). :func:`reference_and_mountain`
computes them side by side on two cores when neither is in the stage cache.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from alatau_geo.core.io import write_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.progress import no_progress
from alatau_geo.core.raster import Raster
from alatau_geo.jobs.forked import run_beside_handing_over
from alatau_geo.jobs.stage_cache import StageCache, StageOutput, StageRun, code_digest, digest, file_digests
from alatau_geo.plan.config import Plan

__all__ = ["check_tiles", "mountain_stage", "reference_and_mountain", "tiles_stage"]

_DECODED = "tiles-decoded"
"""The kind of the stage cache's records of tiles that decoded (:func:`check_tiles`)."""


def check_tiles(dem_dir: Path, names: Sequence[str], *, cache: StageCache) -> None:
    """Check that every tile `names` gives is in `dem_dir` and decodes: before a build does any work.

    Tiles whose very bytes decoded before (the cache keeps a record by
    their SHA-256 and the code's digest) are not decoded again: after an
    edit of the plan, a build reads the tiles only when a stage needs them.

    Raises
    ------
    DemError
        Naming the first missing, unreadable, corrupt or all-void tile.
    """
    from alatau_geo.reference import terrain

    paths = terrain.find_tiles(dem_dir, names)
    key = digest(_DECODED, code_digest(), file_digests(paths)) if cache.enabled else None
    if key is not None and cache.record(_DECODED, key) is not None:
        return
    terrain.read_srtm_tiles(dem_dir, names)
    if key is not None:
        cache.save_record(_DECODED, key, {"tiles": sorted(paths)})


def tiles_stage(plan: Plan, *, paths: Mapping[str, Path], key: str, cache: StageCache, cache_dir: Path,
                out_dir: Path, on_step: Callable[[str], None] = no_progress) -> StageOutput:
    """The reference stage from the SRTM tiles: layers, figures, the working-grid DEM and the HAND rasters.

    Its files are the terrain raster and (with a ``[suitability]`` section)
    the HAND rasters; its ``value``, when computed, is the
    :class:`~alatau_geo.reference.build.ReferenceBuild` (the mountain stage
    reads its void-filled mosaic).
    """
    from alatau_geo.jobs.build import TERRAIN_RASTER, terrain_cache_key, write_terrain_cache

    def compute(files_dir: Path | None) -> StageOutput:
        from alatau_geo.jobs import suitability
        from alatau_geo.reference import gazetteer, terrain
        from alatau_geo.reference.build import build_reference_layers

        assert files_dir is not None
        tiles = {name: terrain.read_srtm_tile(path) for name, path in paths.items()}
        tables = gazetteer.load_tables(plan.tables, study_area=plan.study_area)
        build = build_reference_layers(tiles, tables, plan, on_step=on_step)
        hand, drains, codes = suitability.hand_from_tiles(build, plan)
        working_key = terrain_cache_key(paths, plan)
        write_terrain_cache(build.terrain, cache_dir=cache_dir, key=working_key)
        files = [write_raster(build.terrain.elevation, files_dir / TERRAIN_RASTER, dtype="int16").name]
        if plan.suitability is not None:
            rasters = suitability.hazard_rasters(plan, elevation=build.terrain.elevation, hand=hand, drains=drains,
                                                 codes=codes)
            hazard_cache = suitability.hazard_cache_dir(cache_dir, terrain_key=working_key, plan=plan)
            files += suitability.write_hand_rasters(rasters, folders=[files_dir, hazard_cache])
        warnings = terrain.void_warnings(build.terrain.filled, paths,
                                         max_distance_cells=plan.terrain.void_fill_max_distance_cells)
        # The plan's stages read the slope of the whole-metre grid, as a build from the committed raster does.
        kept = {"elevation": build.terrain.elevation, "slope": terrain.slope(build.terrain.elevation), "hand": hand}
        return StageOutput(layers=build.layers, rasters=kept,
                           arrays={"drains": drains}, files=tuple(files), value=build,
                           figures={"reference": build.figures, "river_codes": codes, "void_warnings": warnings})

    return cache.run("reference", key, compute, out_dir=out_dir)


def mountain_stage(plan: Plan, *, paths: Mapping[str, Path], key: str, filled: Raster | None, cache: StageCache,
                   out_dir: Path) -> StageOutput:
    """The mountain-cluster and air-corridor layers, their window DEM (a file) and their summary lines.

    `filled` is the void-filled mosaic of the tiles when the reference stage
    computed it in this run; None fills the tiles' mosaic again (the same
    computation, a second).
    """

    def compute(files_dir: Path | None) -> StageOutput:
        from alatau_geo.jobs.build import MOUNTAIN_DEM
        from alatau_geo.jobs.mountain import build_mountain
        from alatau_geo.reference import gazetteer, terrain

        assert files_dir is not None
        mosaic = filled
        if mosaic is None:
            raw = terrain.mosaic_srtm({name: terrain.read_srtm_tile(path) for name, path in paths.items()})
            mosaic, _ = terrain.fill_voids(raw, max_distance_cells=plan.terrain.void_fill_max_distance_cells)
        tables = gazetteer.load_tables(plan.tables, study_area=plan.study_area)
        built = build_mountain(mosaic, plan, river_names=tables.river_names)
        if built is None:
            return StageOutput(figures={"notes": ["Mountain cluster: the tiles do not cover it; no mountain layers"]},
                               value=True)
        written = write_raster(built.dem, files_dir / MOUNTAIN_DEM, dtype="float32")
        return StageOutput(layers=LayerSet(built.layers), figures={"notes": list(built.notes)}, files=(written.name,),
                           value=built)

    return cache.run("mountain", key, compute, out_dir=out_dir)


def reference_and_mountain(plan: Plan, *, paths: Mapping[str, Path], keys: tuple[str, str],  # noqa: PLR0913
                           cache: StageCache, cache_dir: Path, out_dir: Path,
                           on_step: Callable[[str], None] = no_progress) -> tuple[StageOutput, StageOutput]:
    """The reference stage (:func:`tiles_stage`) and mountain stage (:func:`mountain_stage`) of the tiles at `paths`.

    The two read only the tiles. When both are to be computed (a first
    build, ``--no-cache``), the mountain stage is computed by a process
    forked beside the reference stage, filling the tiles' mosaic itself
    rather than waiting for the reference's: on two cores a first build
    is the mountain's five seconds shorter. Its timing is added to the
    cache's, marked ``beside``. `keys` are the two stages' keys.
    """
    reference_key, mountain_key = keys

    def reference(_give: object = None) -> StageOutput:
        return tiles_stage(plan, paths=paths, key=reference_key, cache=cache, cache_dir=cache_dir, out_dir=out_dir,
                           on_step=on_step)

    if cache.holds("reference", reference_key) or cache.holds("mountain", mountain_key):
        made = reference()
        on_step("mountain cluster and air corridors")
        filled = made.value.terrain.filled if made.computed else None
        return made, mountain_stage(plan, paths=paths, key=mountain_key, filled=filled, cache=cache, out_dir=out_dir)
    here = os.getpid()
    made, (mountain, runs) = run_beside_handing_over(
        reference, lambda _take: _mountain_beside(plan, paths=paths, key=mountain_key, cache=cache,
                                                  out_dir=out_dir, parent=here))
    on_step("mountain cluster and air corridors")
    cache.runs.extend(runs)
    return made, mountain


def _mountain_beside(plan: Plan, *, paths: Mapping[str, Path], key: str, cache: StageCache, out_dir: Path,
                     parent: int) -> tuple[StageOutput, list[StageRun]]:
    """:func:`mountain_stage` (its in-memory value left out: it goes back through a pipe) and its timing."""
    start = len(cache.runs)
    made = mountain_stage(plan, paths=paths, key=key, filled=None, cache=cache, out_dir=out_dir)
    return dataclasses.replace(made, value=None), cache.runs_since(start, parent=parent)
