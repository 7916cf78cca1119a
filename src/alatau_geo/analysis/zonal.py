"""From coded rasters to what a planner reads: polygons with hectares, hectares per district.

A coded raster is a 2-D integer (or boolean) array on a :class:`Grid`: a
hazard mask (True = in the band) or suitability classes (0..3, 255 = no
data). :func:`code_polygons` turns codes into polygons in the working CRS
with their equal-area hectares; :func:`area_by_zone` counts the true cell
areas of each code inside each zone (district) with the cell-centre rule.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
from affine import Affine
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from alatau_geo.analysis.grid import Grid, cell_area_weights, rasterize_mask
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
    rows: list[tuple[int, BaseGeometry]] = []
    for geometry, value in rasterio.features.shapes(values, mask=wanted, transform=grid.transform, connectivity=4):
        rows.append((int(value), shape(geometry)))
    frame = gpd.GeoDataFrame({"code": [c for c, _ in rows]}, geometry=[g for _, g in rows], crs=grid.crs)
    frame = frame.to_crs(WORKING_CRS)
    frame["order"] = np.arange(len(frame))
    frame = frame.sort_values(["code", "order"], kind="stable").reset_index(drop=True)
    frame["label"] = frame["code"].map(dict(labels)).astype(str)
    frame["id"] = frame["label"] + "-" + frame.groupby("code").cumcount().astype(str)
    frame["area_ha"] = area_ha(frame)
    return frame[["id", "code", "label", "area_ha", "geometry"]]


def _window(geometry: BaseGeometry, grid: Grid) -> tuple[slice, slice]:
    """Rows and columns of `grid` holding the geometry's bounds (a north-up grid; empty slices when outside)."""
    rows, cols = grid.shape
    west, south, east, north = geometry.bounds
    t = grid.transform
    first_col = int(np.clip(np.floor((west - t.c) / t.a), 0, cols))
    last_col = int(np.clip(np.ceil((east - t.c) / t.a), 0, cols))
    first_row = int(np.clip(np.floor((north - t.f) / t.e), 0, rows))
    last_row = int(np.clip(np.ceil((south - t.f) / t.e), 0, rows))
    return slice(first_row, max(first_row, last_row)), slice(first_col, max(first_col, last_col))


def area_by_zone(codes: np.ndarray, grid: Grid, zones: gpd.GeoDataFrame, *, labels: Mapping[int, str],
                 id_column: str = "id") -> pd.DataFrame:
    """Hectares of each labelled code inside each zone.

    A cell belongs to a zone when its centre lies inside (zones may
    overlap; each is counted on its own). Cell areas are true areas
    (:func:`~alatau_geo.analysis.grid.cell_area_weights`).

    Parameters
    ----------
    codes : numpy.ndarray
        Integer or boolean array of the grid's shape.
    grid : Grid
    zones : GeoDataFrame
        Polygons (districts) in any CRS, with an `id_column`.
    labels : mapping of code to label
        The codes to count and their column names.
    id_column : str, default "id"

    Returns
    -------
    DataFrame
        Index: zone ids (named ``zone``, in the zones' order); one column per
        label, hectares.

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
    in_grid_crs = zones.to_crs(grid.crs)
    row_w, col_w = cell_area_weights(grid)
    table: dict[str, list[float]] = {label: [] for label in labels.values()}
    for geometry in in_grid_crs.geometry:
        # Only the zone's bounding window is rasterised: the same cells, without a pass over the whole grid.
        rows, cols = _window(geometry, grid)
        window = Grid(transform=grid.transform @ Affine.translation(cols.start, rows.start),
                      shape=(rows.stop - rows.start, cols.stop - cols.start), crs=grid.crs)
        inside = rasterize_mask([geometry], window, all_touched=False) if min(window.shape) > 0 else None
        for code, label in labels.items():
            if inside is None:
                table[label].append(0.0)
                continue
            hit = inside & (codes[rows, cols] == code)
            # Counts laid into full-length vectors, so the sums run as over the whole grid (same bits).
            if grid.crs.is_geographic:
                counts = np.zeros(len(row_w), dtype=np.int64)
                counts[rows] = hit.sum(axis=1)
                table[label].append(float(row_w @ counts))
            else:
                counts = np.zeros(len(col_w), dtype=np.int64)
                counts[cols] = hit.sum(axis=0)
                table[label].append(float(counts @ col_w))
    index = pd.Index(zones[id_column].astype(str).tolist(), name="zone")
    return pd.DataFrame(table, index=index)
