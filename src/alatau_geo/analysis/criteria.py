"""Suitability criteria and hard constraints evaluated on a grid.

A :class:`~alatau_geo.plan.suitability_criteria.Criterion` (a plan entry: a
source and a transform) scores every cell of a
:class:`~alatau_geo.analysis.grid.Grid` from 0 (worst) to 1 (best): a raster
source (slope, height above drainage, elevation) is resampled bilinearly onto
the grid; for a vector source (corridors, settlements, infrastructure) the
distance from each cell centre to the nearest feature, in metres, is scored.

A :class:`~alatau_geo.plan.suitability_criteria.Constraint` excludes cells
outright: those a vector layer's features touch (optionally buffered), or
where a raster exceeds / falls below a limit (resampled conservatively: the
cell's maximum / minimum).

Every function here returns arrays on the grid and reads no file; a
caller that keeps the cells between runs passes a :data:`Cells` memo to
:func:`~alatau_geo.analysis.suitability.build_surface` (most criteria read
the terrain and the reference layers, which an edit of the plan leaves as
they were).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from rasterio.enums import Resampling

from alatau_geo.analysis.grid import Grid, distance_to, rasterize_mask, resample
from alatau_geo.core.errors import PlanError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.suitability_criteria import Aspect, Constraint, Criterion

Source = Raster | gpd.GeoDataFrame
CellFunction = Callable[[Any, Source, Grid], np.ndarray]
""":func:`criterion_score` or :func:`constraint_mask`: a plan entry's values on every cell of a grid."""
Cells = Callable[[CellFunction, Any, Source, Grid], np.ndarray]
"""Calls a :data:`CellFunction` with a plan entry, its source and the grid: :func:`computed`, or a memo of it."""


def computed(function: CellFunction, entry: Criterion | Constraint, source: Source, grid: Grid) -> np.ndarray:
    """``function(entry, source, grid)``: the cells worked out, nothing kept."""
    return function(entry, source, grid)


def criterion_score(criterion: Criterion, source: Source, grid: Grid) -> np.ndarray:
    """Score of every cell of `grid` for one criterion, 0..1 (float32, NaN = no data).

    Parameters
    ----------
    criterion : Criterion
    source : Raster or GeoDataFrame
        A raster is resampled bilinearly; for a vector layer the distance
        from each cell centre to the nearest feature is scored (metres).
    grid : Grid
    """
    transform = criterion.transform
    entry = f"suitability.criteria.{criterion.name}"
    if isinstance(source, gpd.GeoDataFrame):
        if isinstance(transform, Aspect):
            raise PlanError(f"'{entry}.source' must be an elevation raster for the aspect transform, "
                            f"got the vector layer {criterion.source!r}")
        geometries = _features(source, criterion.kinds, grid, entry=entry)
        reach = max(abs(transform.one_at), abs(transform.zero_at))
        return transform.score(distance_to(geometries, grid, max_distance_m=reach))
    values = resample(source, grid, resampling=Resampling.bilinear)
    if isinstance(transform, Aspect):
        return transform.score_elevation(values, grid.cell_size)
    return transform.score(values)


def constraint_mask(constraint: Constraint, source: Source, grid: Grid) -> np.ndarray:
    """Cells of `grid` a constraint excludes (bool).

    Vector features exclude every cell they touch (after buffering by
    ``buffer_m``), so thin strips and lines are never missed at coarse cell
    sizes. Rasters are resampled with the cell's maximum for ``above`` and
    minimum for ``below``, so a cell is excluded when any part of it is.
    """
    entry = f"suitability.constraints.{constraint.name}"
    if isinstance(source, gpd.GeoDataFrame):
        geometries = _features(source, constraint.kinds, grid, entry=entry)
        if constraint.buffer_m > 0:
            geometries = shapely.buffer(np.asarray(geometries, dtype=object), constraint.buffer_m)
        return rasterize_mask(geometries, grid, all_touched=True)
    if constraint.above is None and constraint.below is None:
        raise PlanError(f"'{entry}': a raster constraint needs 'above' or 'below' (source {constraint.source!r})")
    excluded = np.zeros(grid.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if constraint.above is not None:
            excluded |= resample(source, grid, resampling=Resampling.max) > constraint.above
        if constraint.below is not None:
            excluded |= resample(source, grid, resampling=Resampling.min) < constraint.below
    return excluded


def lookup(sources: Mapping[str, Source], name: str, *, entry: str) -> Source:
    """The source a plan entry names, or a PlanError listing the available ones."""
    try:
        return sources[name]
    except KeyError:
        known = ", ".join(sorted(sources)) or "none"
        raise PlanError(f"'{entry}.source' names {name!r}, which is not among the sources ({known})") from None


def _features(frame: gpd.GeoDataFrame, kinds: tuple[str, ...], grid: Grid, *, entry: str) -> list:
    if frame.crs is None:
        raise PlanError(f"'{entry}.source': the layer has no CRS")
    if kinds:
        if "kind" not in frame.columns:
            raise PlanError(f"'{entry}.kinds' filters on 'kind', but the layer has no 'kind' column")
        frame = frame[frame["kind"].isin(kinds)]
    return list(frame.to_crs(grid.crs).geometry)
