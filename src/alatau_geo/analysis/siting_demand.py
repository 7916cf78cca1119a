"""Where the demand is: the plan's residents and jobs on the 100 m grid, summed into demand blocks.

The residents and jobs are those the build allocates
(:func:`~alatau_geo.analysis.city_population.allocate_city`: ``[population]``
targets, densities and phases on the buildable cells, today's settlements
and the investment projects as seeds), on the city's grid
(:class:`~alatau_geo.analysis.city_population.CityGrid`).

:func:`demand_blocks` sums the cells into square blocks of ``block`` x
``block`` cells, split by zone, so every demand block lies in one district
and the district totals stay exact: one demand point per block and zone,
at the centre of its people (cells weighted by residents plus jobs).
:func:`block_areas` gives each block its polygon (the square cut to its
zone), from which catchments are drawn.

All in the working CRS (UTM 43N, metres); grids are numpy arrays with an
affine transform, rows from north to south.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis import population_grid
from alatau_geo.analysis.city_population import CityGrid
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import LayerSet

BLOCK_COLUMNS = ("id", "district", "phase", "residents", "jobs", "block_row", "block_col", "geometry")


def demand_blocks(grid: CityGrid, residents: np.ndarray, jobs: np.ndarray, *, block: int,
                  year: int) -> gpd.GeoDataFrame:
    """Residents and jobs summed into blocks of `block` x `block` cells, one point per block and zone.

    Parameters
    ----------
    grid : CityGrid
        The city's cells and their zones.
    residents, jobs : numpy.ndarray
        Whole persons per cell of one phase year, the grid's shape.
    block : int
        Cells per block side (20: 2 km blocks on the 100 m grid). Blocks at
        the grid's edge may be smaller: no cell is left out.
    year : int
        The phase year, written in ``phase``.

    Returns
    -------
    GeoDataFrame
        One row per block and zone holding anyone, sorted by block then
        zone: ``id`` (``r<row>c<col>_<zone>`` on the block grid),
        ``district`` (the zone id), ``phase``, ``residents``, ``jobs``
        (whole persons), ``block_row``, ``block_col``; points at the centre
        of the block's people (cells weighted by residents plus jobs),
        working CRS.

    Examples
    --------
    >>> from affine import Affine
    >>> zones = np.array([[0, 0, 1, 1], [0, 0, 1, -1]])
    >>> grid = CityGrid(Affine(100.0, 0, 0, 0, -100.0, 200.0), (2, 4), zones, ("gate", "golden"), 100.0)
    >>> people = np.array([[10, 0, 5, 5], [0, 10, 0, 0]])
    >>> blocks = demand_blocks(grid, people, np.zeros((2, 4), int), block=2, year=2050)
    >>> blocks[["id", "district", "residents"]].values.tolist()
    [['r0c0_gate', 'gate', 20], ['r0c1_golden', 'golden', 10]]
    >>> blocks.geometry.iloc[0].coords[0]  # between the two cells of ten residents
    (100.0, 100.0)
    """
    if block < 1:
        raise ValueError(f"block must be at least 1 cell, got {block}")
    residents, jobs = np.asarray(residents), np.asarray(jobs)
    held = np.flatnonzero(((residents > 0) | (jobs > 0)).ravel() & (grid.zones.ravel() >= 0))
    rows, cols = np.divmod(held, grid.shape[1])
    zone = grid.zones.ravel()[held]
    keys = np.stack([rows // block, cols // block, zone], axis=1)
    unique, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    r, j = residents.ravel()[held].astype(float), jobs.ravel()[held].astype(float)
    weight = r + j
    xs = grid.transform.c + (cols + 0.5) * grid.transform.a
    ys = grid.transform.f + (rows + 0.5) * grid.transform.e
    total = np.bincount(group, weights=weight, minlength=len(unique))
    centre_x = np.bincount(group, weights=weight * xs, minlength=len(unique)) / total
    centre_y = np.bincount(group, weights=weight * ys, minlength=len(unique)) / total
    names = np.array(grid.zone_ids, dtype=object)[unique[:, 2]]
    frame = pd.DataFrame({
        "id": [f"r{a}c{b}_{z}" for a, b, z in zip(unique[:, 0], unique[:, 1], names, strict=True)],
        "district": names, "phase": year,
        "residents": np.rint(np.bincount(group, weights=r, minlength=len(unique))).astype(np.int64),
        "jobs": np.rint(np.bincount(group, weights=j, minlength=len(unique))).astype(np.int64),
        "block_row": unique[:, 0], "block_col": unique[:, 1],
    })
    return gpd.GeoDataFrame(frame, geometry=shapely.points(centre_x, centre_y), crs=WORKING_CRS)


def zone_areas(layers: LayerSet, zone_ids: tuple[str, ...]) -> dict[str, shapely.Geometry]:
    """The polygon of every zone: each district, and the city outside them for ``city_rest``."""
    districts = layers["districts"].frame
    areas = {str(key): shapely.union_all(group.geometry.to_numpy()) for key, group in districts.groupby("id")}
    if population_grid.REST_OF_CITY in zone_ids:
        city = shapely.union_all(layers["city_boundary"].frame.geometry.to_numpy())
        areas[population_grid.REST_OF_CITY] = shapely.difference(city, shapely.union_all(list(areas.values())))
    return {zone: areas[zone] for zone in zone_ids if zone in areas}


def block_areas(blocks: gpd.GeoDataFrame, grid: CityGrid, *, block: int,
                areas: Mapping[str, shapely.Geometry]) -> gpd.GeoSeries:
    """The polygon of every demand block: its square cut to its zone (``district``).

    Returns
    -------
    GeoSeries
        Index of `blocks`, working CRS.
    """
    side = grid.cell_m * block
    x0 = grid.transform.c + blocks["block_col"].to_numpy() * side
    y1 = grid.transform.f - blocks["block_row"].to_numpy() * side
    squares = shapely.box(x0, y1 - side, x0 + side, y1)
    zones = np.array([areas.get(str(zone)) for zone in blocks["district"]], dtype=object)
    known = np.array([zone is not None for zone in zones])
    cut = squares.copy()
    cut[known] = shapely.intersection(squares[known], zones[known])
    return gpd.GeoSeries(cut, index=blocks.index, crs=WORKING_CRS)


__all__ = ["BLOCK_COLUMNS", "block_areas", "demand_blocks", "zone_areas"]
