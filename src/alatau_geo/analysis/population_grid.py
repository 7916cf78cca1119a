"""Between zones and grid cells: zone grids, seeds from settlements, cells as points or squares.

- :func:`grid_over`: a north-up grid of square cells aligned to whole
  multiples of the cell size (as the terrain rasters are);
- :func:`zone_grid`: the zone index of every cell from the district polygons
  (cell centres), city land outside the districts as a zone of its own;
- :func:`settlement_discs` and :func:`seeds_from_polygons`: today's
  residents (or a project's jobs) spread over the cells their settlement
  covers, by the share of its area in each (area-weighted interpolation);
- :func:`cells_frame`: grids of residents and jobs as a GeoDataFrame of
  points or squares (optionally in coarser blocks) for the network
  analyses, which weigh origins by ``residents`` and destinations by ``jobs``;
- :func:`zone_totals`: residents and jobs inside any polygons (service
  areas, neighbourhoods), the share of a cell inside a polygon counting
  in proportion to its area.

All in the working CRS (UTM 43N, metres); grids are numpy arrays with an
affine transform, rows from north to south.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine

from alatau_geo.analysis.apportion import largest_remainder
from alatau_geo.core.crs import SQUARE_METRES_PER_HECTARE, WORKING_CRS, to_working
from alatau_geo.core.errors import InputDataError, LayerError

REST_OF_CITY = "city_rest"
"""Zone id of city land outside every district."""



def _area_interpolate() -> Callable[..., gpd.GeoDataFrame]:
    """``tobler.area_weighted.area_interpolate``, imported when first used.

    tobler's package imports statsmodels (most of a second); only the
    allocation needs it, not the commands that read built layers (map, diff).
    """
    from tobler.area_weighted import area_interpolate

    return area_interpolate

def grid_over(bounds: tuple[float, float, float, float], *, cell_m: float) -> tuple[Affine, tuple[int, int]]:
    """Transform and shape of a grid covering `bounds` with cells aligned to multiples of `cell_m`.

    Examples
    --------
    >>> transform, shape = grid_over((1050.0, 2000.0, 1240.0, 2110.0), cell_m=100.0)
    >>> (transform.c, transform.f), shape
    ((1000.0, 2200.0), (2, 3))
    """
    west, south, east, north = bounds
    west, south = np.floor(west / cell_m) * cell_m, np.floor(south / cell_m) * cell_m
    east, north = np.ceil(east / cell_m) * cell_m, np.ceil(north / cell_m) * cell_m
    shape = (int(round((north - south) / cell_m)), int(round((east - west) / cell_m)))
    return Affine(cell_m, 0.0, float(west), 0.0, -cell_m, float(north)), shape


def zone_grid(districts: gpd.GeoDataFrame, *, transform: Affine, shape: tuple[int, int],
              city: gpd.GeoDataFrame | None = None, rest_id: str = REST_OF_CITY) -> tuple[np.ndarray, tuple[str, ...]]:
    """The zone index of every cell (by its centre), -1 outside the city.

    Parameters
    ----------
    districts : GeoDataFrame
        Polygons with a unique ``id``; earlier rows win where they overlap.
    transform, shape
        The grid (see :func:`grid_over`).
    city : GeoDataFrame, optional
        The city boundary; its cells outside every district become zone
        `rest_id`. Without it, only district cells are in the city.
    rest_id : str

    Returns
    -------
    zones : numpy.ndarray of int32
    zone_ids : tuple of str
        The district ids in row order, then `rest_id` if `city` is given.
    """
    frame = to_working(districts, what="districts")
    if "id" not in frame.columns or frame["id"].duplicated().any():
        raise LayerError("districts: every district needs a unique 'id'")
    ids = tuple(str(i) for i in frame["id"])
    zones = np.full(shape, -1, dtype=np.int32)
    # Burn in reverse so the first district wins where polygons overlap.
    for index in range(len(ids) - 1, -1, -1):
        zones = rasterio.features.rasterize([(frame.geometry.iloc[index], index)], out=zones,
                                            transform=transform, dtype="int32")
    if city is None:
        return zones, ids
    if rest_id in ids:
        raise LayerError(f"districts: the id {rest_id!r} is reserved for city land outside the districts")
    inside = rasterio.features.geometry_mask(to_working(city, what="city boundary").geometry, out_shape=shape,
                                             transform=transform, invert=True)
    zones[inside & (zones < 0)] = len(ids)
    return zones, (*ids, rest_id)


def cell_squares(transform: Affine, shape: tuple[int, int], cells: np.ndarray) -> np.ndarray:
    """Square polygons of the cells with the given flat indices (shapely array)."""
    rows, cols = np.divmod(np.asarray(cells, dtype=np.int64), shape[1])
    x0 = transform.c + cols * transform.a
    y0 = transform.f + rows * transform.e
    return shapely.box(x0, y0 + transform.e, x0 + transform.a, y0)


def cell_centres(transform: Affine, shape: tuple[int, int], cells: np.ndarray) -> np.ndarray:
    """Centre points of the cells with the given flat indices (shapely array)."""
    rows, cols = np.divmod(np.asarray(cells, dtype=np.int64), shape[1])
    return shapely.points(transform.c + (cols + 0.5) * transform.a, transform.f + (rows + 0.5) * transform.e)


def settlement_discs(points: gpd.GeoDataFrame, column: str, *, per_ha: float) -> gpd.GeoDataFrame:
    """Discs around settlement (or project) points whose area holds their people at `per_ha`.

    A settlement of ``n`` residents at ``per_ha`` residents per ha covers
    ``n / per_ha`` ha; where only its point is known, a disc of that area
    stands for it (a planning assumption, to be replaced by real outlines).

    Returns
    -------
    GeoDataFrame
        The rows of `points` with a value above 0, polygons in the working CRS.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> towns = gpd.GeoDataFrame({"id": ["a"], "residents": [4000]}, geometry=[Point(0, 0)], crs=32643)
    >>> round(float(settlement_discs(towns, "residents", per_ha=40.0).area.iloc[0] / 10_000), 1)
    100.0
    """
    if not per_ha > 0:
        raise InputDataError(f"settlement density must be greater than 0 per ha, got {per_ha!r}")
    frame = to_working(points, what="settlements")
    frame = frame[pd.to_numeric(frame[column], errors="coerce").fillna(0) > 0].copy()
    radius = np.sqrt(frame[column].to_numpy(np.float64) / per_ha * SQUARE_METRES_PER_HECTARE / np.pi)
    frame["geometry"] = shapely.buffer(frame.geometry.centroid.to_numpy(), radius, quad_segs=32)
    return frame.set_geometry("geometry")


@dataclass(frozen=True)
class CellSpread:
    """Values spread over the cells of the square lattice of side `cell_m` that all grids here align to.

    A cell is named by its lattice column ``floor(west / cell_m)`` and row
    ``round(north / cell_m)`` (rows grow northwards), so a spread does not
    depend on where any one grid starts: it is the same for every grid of
    that cell size (:func:`grid_over`).

    Attributes
    ----------
    columns, rows : numpy.ndarray of int64
        The lattice cells a polygon touches, in row-major order from the
        north-west (the order of a grid's flat index).
    values : numpy.ndarray of float64
        What each of those cells receives, same units as the spread column.
    """

    columns: np.ndarray
    rows: np.ndarray
    values: np.ndarray


Spread = Callable[[gpd.GeoDataFrame, str, float], CellSpread]
"""Spreads a column of polygons over lattice cells: :func:`spread_on_cells`, or a memo of it."""


def spread_on_cells(polygons: gpd.GeoDataFrame, column: str, cell_m: float) -> CellSpread:
    """Each polygon's `column` spread over the lattice cells it touches, by the share of its area in each.

    What ``tobler.area_weighted.area_interpolate`` gives for an extensive
    variable with ``allocate_total=False`` (a test holds the two equal to
    tobler's float32 table; here the areas stay in float64): a
    cell's share is its part of the polygon's own area, so what a cell
    receives does not depend on which other cells are counted (the seeds keep
    the city cells only). The cells are squares of a known lattice, so the
    shares are worked out here with shapely's intersection areas instead:
    importing tobler loads statsmodels, most of a second that an
    edit-and-rebuild whose edit moves a project would otherwise wait for.

    Parameters
    ----------
    polygons : GeoDataFrame
        In the working CRS, with a numeric `column` of at least 0.
    column : str
    cell_m : float
        The lattice's cell size, metres.

    Returns
    -------
    CellSpread
    """
    shapes = polygons.geometry.to_numpy()
    areas = shapely.area(shapes)
    has_area = areas > 0  # an empty polygon, or a sliver collapsed to a line, has no share to give
    shapes, per_m2 = shapes[has_area], polygons[column].to_numpy(np.float64)[has_area] / areas[has_area]
    if not shapes.size:
        return CellSpread(columns=np.zeros(0, np.int64), rows=np.zeros(0, np.int64), values=np.zeros(0))
    columns, rows = _lattice_cells(shapely.bounds(shapes), cell_m=cell_m)
    squares = shapely.box(columns * cell_m, (rows - 1) * cell_m, (columns + 1) * cell_m, rows * cell_m)
    which, cell = shapely.STRtree(squares).query(shapes, predicate="intersects")
    overlap = shapely.area(shapely.intersection(shapes[which], squares[cell]))
    values = np.bincount(cell, weights=overlap * per_m2[which], minlength=len(squares))
    hit = np.unique(cell)
    return CellSpread(columns=columns[hit], rows=rows[hit], values=values[hit])


def _lattice_cells(bounds: np.ndarray, *, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows of the lattice cells in the windows of `bounds` (n x 4), each once, north-west first.

    One window per polygon, not one over them all: a few settlements far
    apart cover a few hundred cells, not the whole city.
    """
    col0, col1 = np.floor(bounds[:, 0] / cell_m).astype(np.int64), np.ceil(bounds[:, 2] / cell_m).astype(np.int64)
    row1, row0 = np.floor(bounds[:, 1] / cell_m).astype(np.int64), np.ceil(bounds[:, 3] / cell_m).astype(np.int64)
    found = []
    for c0, c1, r1, r0 in zip(col0.tolist(), col1.tolist(), row1.tolist(), row0.tolist(), strict=True):
        rows, columns = np.meshgrid(np.arange(r0, r1, -1, dtype=np.int64), np.arange(c0, c1, dtype=np.int64),
                                    indexing="ij")
        found.append(np.column_stack([-rows.ravel(), columns.ravel()]))
    cells = np.unique(np.concatenate(found), axis=0)  # sorted by row from the north, then column
    return cells[:, 1], -cells[:, 0]


def seeds_from_polygons(polygons: gpd.GeoDataFrame, column: str, *, zones: np.ndarray,  # noqa: PLR0913
                        transform: Affine, spread: Spread = spread_on_cells) -> np.ndarray:
    """Whole persons per cell from polygons holding them, city cells only.

    Each polygon's value is spread over the cells by the share of its area
    each cell covers (:func:`spread_on_cells`): the part of a polygon
    outside the city is lost, as those people do not live in it. The result
    is rounded to whole persons by largest remainder (the total is the
    rounded sum).

    Parameters
    ----------
    polygons : GeoDataFrame
        With a numeric `column` (e.g. ``residents``), any projected CRS.
    column : str
    zones : numpy.ndarray of int
        The zone grid (-1 outside the city).
    transform : Affine
        The zone grid's, north-up, its cells on the lattice of their size (:func:`grid_over`).
    spread : callable, optional
        :func:`spread_on_cells` or a memo of it (a build keeps the spread of
        unchanged settlements instead of working it out again).

    Returns
    -------
    numpy.ndarray of int64, the zone grid's shape
    """
    frame = to_working(polygons, what="seed polygons")
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise InputDataError(f"seed polygons: '{column}' must be a number of at least 0 in every row")
    out = np.zeros(zones.size, dtype=np.int64)
    if frame.empty or values.sum() == 0:
        return out.reshape(zones.shape)
    cell_m = float(transform.a)
    spread_cells = spread(frame.assign(**{column: values.to_numpy(np.float64)}), column, cell_m)
    rows = int(round(transform.f / cell_m)) - spread_cells.rows
    cols = spread_cells.columns - int(round(transform.c / cell_m))
    inside = (rows >= 0) & (rows < zones.shape[0]) & (cols >= 0) & (cols < zones.shape[1])
    cells = rows[inside] * zones.shape[1] + cols[inside]
    city = zones.ravel()[cells] >= 0
    cells, quotas = cells[city], spread_cells.values[inside][city]
    out[cells] = largest_remainder(quotas, int(np.floor(quotas.sum() + 0.5)))
    return out.reshape(zones.shape)


def _block_zones(zones: np.ndarray, block: int, n_zones: int) -> np.ndarray:
    rows, cols = zones.shape[0] // block, zones.shape[1] // block
    tiles = (zones[: rows * block, : cols * block] + 1).reshape(rows, block, cols, block).swapaxes(1, 2)
    counts = np.stack([(tiles == k + 1).sum(axis=(2, 3)) for k in range(n_zones)], axis=-1)
    return np.where(counts.max(axis=-1) > 0, counts.argmax(axis=-1), -1)


def block_sum(grid: np.ndarray, block: int) -> np.ndarray:
    """Sums over `block` x `block` cells (edge rows and columns that do not fill a block are dropped).

    Examples
    --------
    >>> block_sum(np.arange(16).reshape(4, 4), 2).tolist()
    [[10, 18], [42, 50]]
    """
    rows, cols = grid.shape[0] // block, grid.shape[1] // block
    return grid[: rows * block, : cols * block].reshape(rows, block, cols, block).sum(axis=(1, 3))


def cells_frame(grids: Mapping[str, np.ndarray], zones: np.ndarray, *, zone_ids: Sequence[str],
                transform: Affine, geometry: str = "point", block: int = 1) -> gpd.GeoDataFrame:
    """Cells holding anyone, as a GeoDataFrame for the network analyses.

    Parameters
    ----------
    grids : mapping of column name to numpy.ndarray
        E.g. ``{"residents": ..., "jobs": ...}``, whole persons per cell.
    zones : numpy.ndarray of int
        The zone grid.
    zone_ids : sequence of str
    transform : Affine
    geometry : {'point', 'square'}
        Cell centres or cell squares.
    block : int
        Sum `block` x `block` cells into one (e.g. 10 turns a 100 m grid
        into 1 km blocks, a hundredth of the origins to route); a block's
        zone is the zone of most of its cells.

    Returns
    -------
    GeoDataFrame
        One row per cell (or block) with any value above 0: ``id``
        (``cell_<row>_<col>``), ``zone``, one column per grid, ``kind``
        (``grid_cell``), ``in_demand`` (true) and the grids' ``*_basis``
        (``allocated``); working CRS.
    """
    if geometry not in ("point", "square"):
        raise ValueError(f"geometry must be 'point' or 'square', got {geometry!r}")
    if block < 1:
        raise ValueError(f"block must be at least 1 cell, got {block}")
    zones = np.asarray(zones)
    if block > 1:
        grids = {name: block_sum(np.asarray(grid), block) for name, grid in grids.items()}
        zones = _block_zones(zones, block, len(zone_ids))
        transform = transform @ Affine.scale(block)
    stacked = np.stack([np.asarray(grid).ravel() for grid in grids.values()])
    cells = np.flatnonzero((stacked > 0).any(axis=0))
    rows, cols = np.divmod(cells, zones.shape[1])
    names = np.array([*zone_ids, ""], dtype=object)
    frame = pd.DataFrame({"id": [f"cell_{r}_{c}" for r, c in zip(rows, cols, strict=True)],
                          "zone": names[zones.ravel()[cells]], "kind": "grid_cell"})
    for name, values in zip(grids, stacked, strict=True):
        frame[name] = values[cells]
        frame[f"{name}_basis"] = "allocated"
    frame["in_demand"] = True
    shapes = cell_centres if geometry == "point" else cell_squares
    return gpd.GeoDataFrame(frame, geometry=shapes(transform, zones.shape, cells), crs=WORKING_CRS)


def zone_totals(cells: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Residents, jobs (any extensive `columns`) inside each polygon, from cell squares.

    Uses ``tobler.area_weighted.area_interpolate`` with
    ``allocate_total=False``: a cell half inside a polygon gives it half of
    its residents, and cells outside every polygon give nothing.

    Parameters
    ----------
    cells : GeoDataFrame
        Squares from :func:`cells_frame` (``geometry='square'``).
    polygons : GeoDataFrame
        Any polygons (service areas, neighbourhoods), index kept.
    columns : sequence of str

    Returns
    -------
    DataFrame
        Index of `polygons`, one float column per entry of `columns`.
    """
    source = to_working(cells, what="cells")
    if not (source.geom_type == "Polygon").all():
        raise InputDataError("cells: zone_totals needs cell squares (cells_frame(..., geometry='square'))")
    target = to_working(polygons, what="polygons")
    # Float values: tobler hands them to scipy.sparse.diags, which warns on integers.
    source = source[[*columns, "geometry"]].astype({column: np.float64 for column in columns})
    result = _area_interpolate()(source, target[["geometry"]], extensive_variables=list(columns), allocate_total=False)
    return pd.DataFrame(result[list(columns)]).set_axis(polygons.index)
