"""From coded rasters to what a planner reads: polygons with hectares, hectares per district.

A coded raster is a 2-D integer (or boolean) array on a :class:`Grid`: a
hazard mask (True = in the band) or suitability classes (0..3, 255 = no
data). :func:`code_polygons` turns codes into polygons in the working CRS
with their equal-area hectares; :func:`area_by_zone` counts the true cell
areas of each code inside each zone (district) with the cell-centre rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine

from alatau_geo.analysis.grid import Grid, cell_area_weights
from alatau_geo.core.crs import WORKING_CRS, area_ha, require_crs


def code_polygons(codes: np.ndarray, grid: Grid, *, labels: Mapping[int, str]) -> gpd.GeoDataFrame:
    """Polygons of the cells carrying each labelled code (4-connected regions).

    Parameters
    ----------
    codes : numpy.ndarray
        Integer or boolean array of the grid's shape. Codes missing from
        `labels` (no data, False) are left out.
    grid : Grid
    labels : mapping of code to label
        E.g. ``{1: "floodplain"}`` for a mask, or the suitability classes.

    Returns
    -------
    GeoDataFrame
        Working CRS (EPSG:32643); columns ``id`` (``"<label>-<n>"``, n in
        raster scan order), ``code``, ``label``, ``area_ha`` (equal-area
        CRS), one row per polygon, sorted by code then scan order.

    Examples
    --------
    >>> from alatau_geo.analysis.grid import grid_for_bounds
    >>> grid = grid_for_bounds((660_000.0, 4_820_000.0, 660_300.0, 4_820_100.0), cell_size_m=100.0)
    >>> frame = code_polygons(np.array([[True, True, False]]), grid, labels={1: "band"})
    >>> frame[["id", "label"]].values.tolist(), round(float(frame["area_ha"].iloc[0]), 1)
    ([['band-0', 'band']], 2.0)
    """
    values = np.asarray(codes)
    if values.dtype == bool:
        values = values.astype(np.uint8)
    elif values.dtype not in (np.uint8, np.int16, np.uint16, np.int32):
        values = values.astype(np.int32)
    wanted = np.isin(values, np.fromiter(labels, dtype=np.int64))
    codes, polygons = _polygons(rasterio.features.shapes(values, mask=wanted, transform=grid.transform,
                                                         connectivity=4))
    frame = gpd.GeoDataFrame({"code": codes}, geometry=polygons, crs=grid.crs)
    frame = frame.to_crs(WORKING_CRS)
    frame["order"] = np.arange(len(frame))
    frame = frame.sort_values(["code", "order"], kind="stable").reset_index(drop=True)
    frame["label"] = frame["code"].map(dict(labels)).astype(str)
    frame["id"] = frame["label"] + "-" + frame.groupby("code").cumcount().astype(str)
    frame["area_ha"] = area_ha(frame)
    return frame[["id", "code", "label", "area_ha", "geometry"]]


def _polygons(shapes: Iterable[tuple[Mapping[str, Any], float]]) -> tuple[list[int], np.ndarray]:
    """The code and the polygon of each of `shapes` (:func:`rasterio.features.shapes`' GeoJSON polygons).

    The rings' coordinates are gathered into one array and the polygons
    made from it in one call (:func:`shapely.from_ragged_array`): the same
    polygons as :func:`shapely.geometry.shape` of each mapping, which takes
    several times longer for the thousands of regions of a suitability grid.
    """
    coordinates: list[tuple[float, float]] = []
    ring_ends, polygon_ends, codes = [0], [0], []
    for geometry, value in shapes:
        for ring in geometry["coordinates"]:
            coordinates.extend(ring)
            ring_ends.append(len(coordinates))
        polygon_ends.append(len(ring_ends) - 1)
        codes.append(int(value))
    if not codes:
        return [], np.empty(0, dtype=object)
    offsets = (np.asarray(ring_ends, dtype=np.int64), np.asarray(polygon_ends, dtype=np.int64))
    polygons = shapely.from_ragged_array(shapely.GeometryType.POLYGON, np.asarray(coordinates, dtype=np.float64),
                                         offsets)
    return codes, polygons


def _windows(geometries: np.ndarray, grid: Grid) -> np.ndarray:
    """Rows and columns of `grid` holding each geometry's bounds (a north-up grid).

    Returns an int64 array of shape (n, 4): first row, stop row, first
    column, stop column; an empty span for a geometry outside the grid,
    empty or missing.
    """
    rows, cols = grid.shape
    west, south, east, north = np.nan_to_num(shapely.bounds(geometries), nan=-np.inf).T
    t = grid.transform
    first_col = np.clip(np.floor((west - t.c) / t.a), 0, cols)
    stop_col = np.clip(np.ceil((east - t.c) / t.a), 0, cols)
    first_row = np.clip(np.floor((north - t.f) / t.e), 0, rows)
    stop_row = np.clip(np.ceil((south - t.f) / t.e), 0, rows)
    spans = np.stack([first_row, np.maximum(first_row, stop_row), first_col, np.maximum(first_col, stop_col)], axis=1)
    return spans.astype(np.int64)


def _overlap_groups(geometries: np.ndarray) -> list[np.ndarray]:
    """Positions of `geometries` in groups whose interiors are disjoint (zones that only touch share a group).

    Greedy colouring of the overlap graph in input order: a tiling is one
    group; each zone that overlaps earlier ones goes to the first group
    holding none of them.
    """
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    # Pairs whose boxes share only an edge (a tiling of rectangles) cannot overlap; the others are asked.
    west, south, east, north = shapely.bounds(geometries).T
    pairs = ((left < right) & (np.minimum(east[left], east[right]) > np.maximum(west[left], west[right]))
             & (np.minimum(north[left], north[right]) > np.maximum(south[left], south[right])))
    left, right = left[pairs], right[pairs]
    overlapping = ~shapely.touches(geometries[left], geometries[right])
    earlier: dict[int, list[int]] = {}
    for first, later in zip(left[overlapping].tolist(), right[overlapping].tolist(), strict=True):
        earlier.setdefault(later, []).append(first)
    colour = [0] * len(geometries)
    for position in sorted(earlier):
        taken = {colour[other] for other in earlier[position]}
        colour[position] = min(set(range(len(taken) + 1)) - taken)
    colours = np.asarray(colour, dtype=np.int64)
    return [np.flatnonzero(colours == c) for c in range(int(colours.max(initial=-1)) + 1)]


def _rasterize_group(geometries: np.ndarray, spans: np.ndarray, grid: Grid) -> tuple[np.ndarray, int, int]:
    """Zone numbers (1, 2, ... in the order of `geometries`; 0 outside) of a group of non-overlapping zones.

    One rasterisation (cell-centre rule) over the window holding the
    zones' `spans`, in the smallest integer type that holds the numbers.
    Returns the window and its first row and column.
    """
    top, left = int(spans[:, 0].min()), int(spans[:, 2].min())
    out_shape = (int(spans[:, 1].max()) - top, int(spans[:, 3].max()) - left)
    # GeoJSON mappings (exact coordinates) are read several times faster than shapely objects by rasterio.
    shapes = zip(map(json.loads, shapely.to_geojson(geometries)), range(1, len(geometries) + 1), strict=True)
    dtype = "uint8" if len(geometries) < 2**8 else "uint16" if len(geometries) < 2**16 else "int32"
    numbers = rasterio.features.rasterize(shapes, out_shape=out_shape, fill=0, all_touched=False, dtype=dtype,
                                          transform=grid.transform @ Affine.translation(left, top))
    return numbers, top, left


def _zone_hectares(inside: np.ndarray, values: np.ndarray, span: np.ndarray, *, codes: tuple,
                   weights: np.ndarray, by_row: bool) -> list[float]:
    """Hectares of each code among the `inside` cells of one zone's window (`values` over the same `span`)."""
    first = int(span[0] if by_row else span[2])
    hectares = []
    for code in codes:
        hit = inside & (values == code)
        # Counts laid into full-length vectors, so the sums run as over the whole grid (same bits).
        counts = np.zeros(len(weights), dtype=np.int64)
        counts[first:first + hit.shape[int(not by_row)]] = hit.sum(axis=1 if by_row else 0)
        hectares.append(float(counts @ weights))
    return hectares


def area_by_zone(codes: np.ndarray, grid: Grid, zones: gpd.GeoDataFrame, *, labels: Mapping[int, str],
                 id_column: str = "id") -> pd.DataFrame:
    """Hectares of each labelled code inside each zone.

    A cell belongs to a zone when its centre lies inside. Zones may
    overlap: each is counted on its own, with all of its cells (zones are
    rasterised in groups whose interiors are disjoint, one pass per group).
    Cell areas are true areas (:func:`~alatau_geo.analysis.grid.cell_area_weights`),
    so hectares summed over cells agree with the zones' equal-area hectares.

    Parameters
    ----------
    codes : numpy.ndarray
        Integer or boolean array of the grid's shape.
    grid : Grid
    zones : GeoDataFrame
        Polygons (districts) in any CRS, with an `id_column`. Missing or
        empty geometries and zones outside the grid hold 0 ha.
    labels : mapping of code to label
        The codes to count and their column names.
    id_column : str, default "id"

    Returns
    -------
    DataFrame
        Index: zone ids (named ``zone``, in the zones' order); one float64
        column per label (in the order of `labels`), hectares.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from alatau_geo.analysis.grid import grid_for_bounds
    >>> grid = grid_for_bounds((660_000.0, 4_820_000.0, 660_400.0, 4_820_100.0), cell_size_m=100.0)
    >>> zones = gpd.GeoDataFrame({"id": ["west"]}, geometry=[box(660_000, 4_820_000, 660_200, 4_820_100)],
    ...                          crs=WORKING_CRS)
    >>> area_by_zone(np.array([[1, 0, 1, 1]]), grid, zones, labels={1: "in_band"}).round(1).to_dict("index")
    {'west': {'in_band': 1.0}}
    """
    require_crs(zones, what="zones")
    values = np.asarray(codes)
    if values.shape != grid.shape:
        raise ValueError(f"codes: array shape {values.shape} does not match the grid {grid.shape}")
    geometries = np.asarray(zones.geometry.to_crs(grid.crs).array, dtype=object)
    spans = _windows(geometries, grid)
    present = np.flatnonzero((spans[:, 1] > spans[:, 0]) & (spans[:, 3] > spans[:, 2]))
    by_row = grid.crs.is_geographic
    weights = cell_area_weights(grid)[0 if by_row else 1]
    hectares = np.zeros((len(labels), len(geometries)))
    for group in _overlap_groups(geometries[present]):
        members = present[group]
        numbers, top, left = _rasterize_group(geometries[members], spans[members], grid)
        for number, zone in enumerate(members, start=1):
            r0, r1, c0, c1 = spans[zone]
            inside = numbers[r0 - top:r1 - top, c0 - left:c1 - left] == number
            hectares[:, zone] = _zone_hectares(inside, values[r0:r1, c0:c1], spans[zone], codes=tuple(labels),
                                               weights=weights, by_row=by_row)
    index = pd.Index(zones[id_column].astype(str).tolist(), name="zone")
    return pd.DataFrame(dict(zip(labels.values(), hectares, strict=True)), index=index)
