"""The analysis grid: a north-up raster geometry, and how layers land on it.

Every suitability criterion and constraint is evaluated on one :class:`Grid`
(UTM 43N by default, square cells whose size is a plan parameter). Vector
layers are burnt in with :func:`rasterize_mask`, rasters are resampled with
:func:`resample`, distances are measured with :func:`distance_to`. Cell areas
come from :func:`cell_area_weights`, which corrects the UTM scale factor (or,
on a geographic grid, uses ellipsoidal row areas) so that hectares summed over
cells agree with :func:`alatau_geo.core.crs.area_ha` on the same land.

Coordinates are (x, y) = (easting, northing) or (lon, lat) throughout.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import rasterio.features
import rasterio.warp
import shapely
from affine import Affine
from pyproj import CRS, Proj, Transformer
from rasterio.enums import Resampling
from scipy import ndimage

from alatau_geo.core.crs import EXPORT_CRS, SQUARE_METRES_PER_HECTARE, WORKING_CRS
from alatau_geo.core.errors import CRSError
from alatau_geo.core.raster import Raster, grid_bounds
from alatau_geo.reference.terrain import geographic_cell_areas_km2


@dataclass(frozen=True)
class Grid:
    """Geometry of a north-up raster: transform, shape and CRS.

    Parameters
    ----------
    transform : affine.Affine
        Maps (column, row) of a cell's upper-left corner to (x, y).
    shape : tuple of int
        (rows, columns).
    crs : pyproj.CRS

    Examples
    --------
    >>> grid = grid_for_bounds((1000.0, 2000.0, 1250.0, 2100.0), cell_size_m=100.0)
    >>> grid.shape, grid.bounds
    ((1, 3), (1000.0, 2000.0, 1300.0, 2100.0))
    """

    transform: Affine
    shape: tuple[int, int]
    crs: CRS

    @property
    def cell_size(self) -> float:
        """Width of a cell in CRS units (metres on a projected grid)."""
        return abs(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the outer cell edges."""
        return grid_bounds(self.transform, self.shape)

    @classmethod
    def of(cls, raster: Raster) -> Grid:
        """The grid a raster lies on."""
        return cls(raster.transform, raster.shape, raster.crs)

    def raster(self, data: np.ndarray) -> Raster:
        """Wrap an array of this grid's shape as a :class:`~alatau_geo.core.raster.Raster`."""
        if data.shape != self.shape:
            raise ValueError(f"array shape {data.shape} does not match the grid {self.shape}")
        return Raster(data, self.transform, self.crs)


def grid_for_bounds(bounds: tuple[float, float, float, float], *, cell_size_m: float,
                    crs: CRS = WORKING_CRS) -> Grid:
    """The grid of `cell_size_m` cells covering `bounds`, aligned to whole multiples of the cell size.

    Aligned grids make rebuilds and grids of different extents share cells.

    Parameters
    ----------
    bounds : (west, south, east, north)
        In `crs` units (metres in UTM 43N).
    cell_size_m : float
        Cell width and height, metres.
    crs : pyproj.CRS, default UTM 43N
        A projected CRS.

    Returns
    -------
    Grid
    """
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        raise CRSError("grid_for_bounds needs a projected CRS with metre units (e.g. EPSG:32643)")
    if not cell_size_m > 0:
        raise ValueError(f"cell_size_m must be greater than 0, got {cell_size_m}")
    west, south, east, north = bounds
    west = math.floor(west / cell_size_m) * cell_size_m
    south = math.floor(south / cell_size_m) * cell_size_m
    east = math.ceil(east / cell_size_m) * cell_size_m
    north = math.ceil(north / cell_size_m) * cell_size_m
    cols = max(round((east - west) / cell_size_m), 1)
    rows = max(round((north - south) / cell_size_m), 1)
    return Grid(Affine(cell_size_m, 0.0, west, 0.0, -cell_size_m, north), (rows, cols), crs)


@functools.lru_cache(maxsize=16)
def cell_area_weights(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """True (ellipsoidal) cell areas as a row factor and a column factor, hectares (read-only arrays).

    The area of cell (r, c) is ``rows[r] * cols[c]``. On a geographic grid
    the area depends on the row only (ellipsoidal, as
    :func:`alatau_geo.reference.terrain.geographic_cell_areas_km2`). On a projected grid
    the nominal cell area is divided by the projection's areal scale factor
    at each column's centre on the grid's middle row; in transverse Mercator
    the factor depends on the distance from the central meridian, so this is
    exact to better than 0.001 % over the study area (the uncorrected UTM
    cell is up to 0.07 % off there).

    Returns
    -------
    rows, cols : numpy.ndarray
        float64 vectors of length rows and columns.
    """
    # Kept for each grid (a suitability asks it of the same grid for every criterion and zone: PROJ makes a
    # transformation each time); read-only, as every caller shares them.
    rows, cols = grid.shape
    if grid.crs.is_geographic:
        stub = Raster(np.broadcast_to(np.float32(0), (rows, 1)), grid.transform, grid.crs)
        weights = geographic_cell_areas_km2(stub) * 100.0, np.ones(cols)
    else:
        xs = grid.transform.c + (np.arange(cols) + 0.5) * grid.transform.a
        y_mid = grid.transform.f + rows / 2 * grid.transform.e
        lon, lat = Transformer.from_crs(grid.crs, EXPORT_CRS, always_xy=True).transform(xs, np.full(cols, y_mid))
        scale = np.asarray(Proj(grid.crs).get_factors(lon, lat).areal_scale, dtype=float)
        nominal = abs(grid.transform.a * grid.transform.e) / SQUARE_METRES_PER_HECTARE
        weights = np.ones(rows), nominal / scale
    for array in weights:
        array.setflags(write=False)
    return weights


def mask_area_ha(mask: np.ndarray, grid: Grid) -> float:
    """Area of the True cells of a boolean mask on `grid`, hectares.

    Examples
    --------
    >>> grid = grid_for_bounds((660_000.0, 4_820_000.0, 661_000.0, 4_821_000.0), cell_size_m=100.0)
    >>> round(mask_area_ha(np.ones(grid.shape, dtype=bool), grid), 1)
    100.0
    """
    return code_areas_ha(np.asarray(mask, dtype=bool), grid, codes=(True,))[True]


def code_areas_ha(values: np.ndarray, grid: Grid, *, codes: Iterable[int | bool]) -> dict:
    """Area of the cells of `values` carrying each of `codes` (a coded array on `grid`), hectares.

    Examples
    --------
    >>> grid = grid_for_bounds((660_000.0, 4_820_000.0, 660_300.0, 4_820_100.0), cell_size_m=100.0)
    >>> {k: round(v, 1) for k, v in code_areas_ha(np.array([[0, 3, 3]]), grid, codes=(0, 3)).items()}
    {0: 1.0, 3: 2.0}
    """
    row_w, col_w = cell_area_weights(grid)
    if grid.crs.is_geographic:
        return {code: float(row_w @ np.count_nonzero(values == code, axis=1)) for code in codes}
    return {code: float(np.count_nonzero(values == code, axis=0) @ col_w) for code in codes}


def rasterize_mask(geometries: Iterable[shapely.Geometry], grid: Grid, *, all_touched: bool) -> np.ndarray:
    """Cells of `grid` covered by `geometries` (in the grid's CRS).

    Parameters
    ----------
    geometries : iterable of shapely geometries
    grid : Grid
    all_touched : bool
        True: every cell the geometry touches (conservative; lines and thin
        strips are never missed). False: cells whose centre lies inside
        (unbiased for areas).

    Returns
    -------
    numpy.ndarray of bool
    """
    shapes = [(g, 1) for g in geometries if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype=bool)
    burnt = rasterio.features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0,
                                        all_touched=all_touched, dtype="uint8")
    return burnt.astype(bool)


def resample(raster: Raster, grid: Grid, *, resampling: Resampling = Resampling.bilinear) -> np.ndarray:
    """Values of `raster` on `grid` (float32, NaN where the raster has none).

    Parameters
    ----------
    raster : Raster
        Any CRS; NaN is nodata.
    grid : Grid
    resampling : rasterio.enums.Resampling, default bilinear
        ``max`` or ``min`` give conservative values for constraints.
    """
    out = np.full(grid.shape, np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        source=np.asarray(raster.data, dtype=np.float32), destination=out,
        src_transform=raster.transform, src_crs=raster.crs, src_nodata=np.nan,
        dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=np.nan, resampling=resampling,
    )
    return out


def distance_to(geometries: Iterable[shapely.Geometry], grid: Grid, *, max_distance_m: float) -> np.ndarray:
    """Euclidean distance from each cell centre to the nearest feature, metres (float32).

    Features are burnt into the grid (all touched cells) and the distance is
    measured between cell centres with
    :func:`scipy.ndimage.distance_transform_edt`, so it is exact to about
    0.7 cell. Features outside the grid count up to `max_distance_m` beyond
    its edge: the grid is padded by as much as they overhang, never more.
    Cells with no feature within reach get ``inf``.

    Parameters
    ----------
    geometries : iterable of shapely geometries
        In the grid's (projected) CRS.
    grid : Grid
    max_distance_m : float
        Distance beyond which the caller does not care (a criterion's
        zero-score distance); only the padding depends on it.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> grid = grid_for_bounds((0.0, 0.0, 500.0, 100.0), cell_size_m=100.0)
    >>> distance_to([Point(50, 50)], grid, max_distance_m=1000).tolist()
    [[0.0, 100.0, 200.0, 300.0, 400.0]]
    """
    if grid.crs.is_geographic:
        raise CRSError("distance_to needs a projected grid with metre units")
    parts = [g for g in geometries if g is not None and not g.is_empty]
    if not parts:
        return np.full(grid.shape, np.inf, dtype=np.float32)
    west, south, east, north = _padding_cells(parts, grid, max_distance_m=max_distance_m)
    rows, cols = grid.shape
    padded = Grid(grid.transform @ Affine.translation(-west, -north),
                  (rows + north + south, cols + west + east), grid.crs)
    features = rasterize_mask(parts, padded, all_touched=True)
    if not features.any():
        return np.full(grid.shape, np.inf, dtype=np.float32)
    distance = ndimage.distance_transform_edt(~features, sampling=grid.cell_size)
    return distance[north:north + rows, west:west + cols].astype(np.float32)


def _padding_cells(parts: list[shapely.Geometry], grid: Grid, *,
                   max_distance_m: float) -> tuple[int, int, int, int]:
    """Cells to add on the (west, south, east, north) sides: as far as features overhang, at most the reach."""
    fwest, fsouth, feast, fnorth = shapely.total_bounds(parts)
    west, south, east, north = grid.bounds
    reach = max(max_distance_m, 0.0)
    overhangs = (west - fwest, south - fsouth, feast - east, fnorth - north)
    return tuple(math.ceil(min(max(o, 0.0), reach) / grid.cell_size) for o in overhangs)  # type: ignore[return-value]
