"""Hydrology from the DEM: the Kapchagay reservoir and the stream network.

The reservoir is read from the raw SRTM mosaic, where its surface is one flat
level (the water of February 2000): the largest 4-connected region of cells
at exactly that level, islands kept as holes. At a chosen higher level the
shoreline is the flat region plus every cell from the SRTM surface up to that
level that is 4-connected to it (a "bathtub" fill). Cells below the SRTM
surface are never added: at the SRTM date they were dry although lower than
the water, so they lie behind the dam (the Ili below it), which keeps the fill
from spilling downstream. The tiles end at 78 E, so the layer holds only the
reservoir's western part.

Streams come from D8 flow routing over the whole void-filled mosaic with
pyflwdir (priority-flood depression filling, which also gives flats a
drainage direction), thresholded by upstream area. The reservoir's cells are
not outlets even where it touches the mosaic edge, so it drains through its
dam into the Ili as it does in reality.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from scipy import ndimage
from shapely.geometry import LineString, shape

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import DemError
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import geographic_cell_areas_km2

if TYPE_CHECKING:  # pyflwdir loads numba, which takes seconds: imported where flow is routed
    import pyflwdir

logger = logging.getLogger(__name__)


_NODATA = -9999.0


@dataclass(frozen=True)
class Reservoir:
    """The reservoir extracted from the DEM at a chosen level.

    Attributes
    ----------
    mask : numpy.ndarray
        Boolean mask of the reservoir's cells at `level_m` on the raw mosaic grid.
    surface_mask : numpy.ndarray
        Boolean mask of the flat SRTM water surface alone.
    polygon : shapely.Polygon
        Simplified outline with islands as holes, working CRS (metres).
    raw_area_km2 : float
        Ellipsoidal area of the cells in `mask`.
    surface_area_km2 : float
        Ellipsoidal area of the flat SRTM water surface.
    area_km2 : float
        Area of the simplified polygon (equal-area CRS).
    simplify_tolerance_m : float
        The tolerance finally used.
    islands : int
        Number of holes kept.
    level_m, surface_m : float
        The chosen level and the SRTM surface level, metres.
    """

    mask: np.ndarray
    surface_mask: np.ndarray
    polygon: shapely.Polygon
    raw_area_km2: float
    area_km2: float
    simplify_tolerance_m: float
    islands: int
    surface_area_km2: float = 0.0
    level_m: float = 0.0
    surface_m: float = 0.0

    @property
    def area_change_pct(self) -> float:
        """Area change of the simplified polygon against the raw cells, percent."""
        return 100.0 * (self.area_km2 - self.raw_area_km2) / self.raw_area_km2


@dataclass(frozen=True)
class FlowModel:
    """D8 flow directions and upstream areas over a WGS84 elevation raster."""

    flwdir: pyflwdir.FlwdirRaster
    upstream_area_km2: np.ndarray
    grid: Raster


def flat_region_mask(raw: Raster, *, level_m: int) -> np.ndarray:
    """Largest 4-connected region of cells at exactly `level_m`.

    Raises
    ------
    DemError
        If no cell has that elevation.
    """
    at_level = raw.data == level_m
    labels, count = ndimage.label(at_level)
    if count == 0:
        raise DemError(f"no DEM cell at the reservoir level {level_m} m; check hydrology.reservoir_level_m")
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def flooded_mask(raw: Raster, surface: np.ndarray, *, surface_m: float, level_m: float) -> np.ndarray:
    """The water at `level_m`: `surface` plus connected cells from `surface_m` up to `level_m`.

    Parameters
    ----------
    raw : Raster
        The WGS84 mosaic before void filling (NaN voids are never flooded).
    surface : numpy.ndarray of bool
        The flat water surface of the DEM (:func:`flat_region_mask`).
    surface_m, level_m : float
        Level of that surface and the chosen level, metres.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import EXPORT_CRS
    >>> z = np.array([[475, 476, 478, 476], [475, 477, 470, 480]], dtype=np.float32)
    >>> flooded_mask(Raster(z, Affine.identity(), EXPORT_CRS), z == 475, surface_m=475, level_m=477).astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0]])
    """
    if level_m < surface_m:
        raise DemError(f"reservoir level {level_m} m is below the SRTM surface {surface_m} m; "
                       "check hydrology.reservoir_level_m")
    candidate = surface | ((raw.data >= surface_m) & (raw.data <= level_m))
    labels, _ = ndimage.label(candidate)
    touching = np.unique(labels[surface])
    return np.isin(labels, touching[touching > 0])


def fill_small_islands(mask: np.ndarray, cell_km2: np.ndarray, *, min_island_km2: float) -> np.ndarray:
    """`mask` with its enclosed holes smaller than `min_island_km2` filled.

    SRTM3's heights scatter by a few metres, so a fill to a level a few metres
    above the water leaves single dry cells in it that are noise, not islands.

    Parameters
    ----------
    mask : numpy.ndarray of bool
    cell_km2 : numpy.ndarray
        Area of one cell in each row, km2 (:func:`geographic_cell_areas_km2`).
    min_island_km2 : float

    Examples
    --------
    >>> water = np.ones((5, 5), dtype=bool)
    >>> water[2, 2] = False
    >>> bool(fill_small_islands(water, np.ones(5), min_island_km2=2.0)[2, 2])
    True
    """
    holes = ndimage.binary_fill_holes(mask) & ~mask
    labels, count = ndimage.label(holes)
    if count == 0:
        return mask
    areas = ndimage.sum_labels(np.broadcast_to(cell_km2[:, None], mask.shape), labels, index=np.arange(1, count + 1))
    small = np.flatnonzero(areas < min_island_km2) + 1
    return mask | np.isin(labels, small)


def extract_reservoir(raw: Raster, *, surface_m: int, level_m: float, simplify_tolerance_m: float,
                      max_area_change_pct: float, min_island_ha: float = 0.0) -> Reservoir:
    """Extract the reservoir at `level_m` as a simplified polygon with islands as holes.

    The simplification tolerance is halved until the polygon's area differs
    from the raw cell area by no more than `max_area_change_pct`.

    Parameters
    ----------
    raw : Raster
        The WGS84 mosaic before void filling.
    surface_m : int
        Elevation of the flattened reservoir surface in the DEM, metres.
    level_m : float
        Water level to draw the shoreline at (see :func:`flooded_mask`), metres.
    simplify_tolerance_m : float
        Initial Douglas-Peucker tolerance, metres.
    max_area_change_pct : float
        Largest allowed area change from simplification, percent.
    min_island_ha : float, optional
        Enclosed dry spots smaller than this are filled (:func:`fill_small_islands`), hectares.
    """
    surface = flat_region_mask(raw, level_m=surface_m)
    rows_area = geographic_cell_areas_km2(raw)
    mask = fill_small_islands(flooded_mask(raw, surface, surface_m=surface_m, level_m=level_m), rows_area,
                              min_island_km2=min_island_ha / 100.0)
    raw_area = float((mask.sum(axis=1) * rows_area).sum())
    shapes = [
        shape(geometry)
        for geometry, value in rasterio.features.shapes(
            mask.astype(np.uint8), mask=mask, transform=raw.transform, connectivity=4
        )
        if value == 1
    ]
    outline = shapely.union_all(shapes)
    working = gpd.GeoSeries([outline], crs=raw.crs).to_crs(WORKING_CRS).iloc[0]
    tolerance = simplify_tolerance_m
    while True:
        polygon = shapely.make_valid(shapely.simplify(working, tolerance, preserve_topology=True))
        polygon = largest_polygon(polygon)
        area = _equal_area_km2(polygon)
        change = 100.0 * abs(area - raw_area) / raw_area
        if change <= max_area_change_pct or tolerance < 1.0:
            break
        tolerance /= 2
    return Reservoir(
        mask=mask,
        surface_mask=surface,
        polygon=polygon,
        raw_area_km2=raw_area,
        area_km2=area,
        simplify_tolerance_m=tolerance,
        islands=len(polygon.interiors),
        surface_area_km2=float((surface.sum(axis=1) * rows_area).sum()),
        level_m=float(level_m),
        surface_m=float(surface_m),
    )


def largest_polygon(geometry: shapely.Geometry) -> shapely.Polygon:
    """The largest polygon part of a geometry (drops slivers a cut or simplification leaves)."""
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)]
    return max(parts, key=lambda g: g.area)


def _equal_area_km2(geometry: shapely.Geometry) -> float:
    from alatau_geo.core.crs import area_ha

    return float(area_ha(gpd.GeoSeries([geometry], crs=WORKING_CRS)).iloc[0]) / 100.0


def route_flow(filled: Raster, *, lakes: np.ndarray | None = None) -> FlowModel:
    """D8 flow routing over a void-filled WGS84 elevation raster.

    Depressions are filled by priority flood from the raster's edge cells;
    the same flood gives every flat cell a direction towards its outlet.

    Parameters
    ----------
    filled : Raster
        Elevation in metres, WGS84, no NaN inside the area of interest.
    lakes : numpy.ndarray of bool, optional
        Cells that must not act as outlets even on the raster edge (a
        reservoir cut by the tile edge drains through its dam, not off the map).
    """
    if not filled.crs.is_geographic:
        raise DemError("route_flow expects the WGS84 mosaic")
    elevation = np.where(np.isnan(filled.data), _NODATA, filled.data).astype(np.float32)
    edge = np.zeros(elevation.shape, dtype=bool)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    edge &= elevation != _NODATA
    if lakes is not None:
        edge &= ~lakes
    # Cells next to nodata are outlets as well, as with outlets='edge'.
    edge |= (elevation != _NODATA) & ndimage.binary_dilation(elevation == _NODATA)
    outlets = np.flatnonzero(edge)
    import pyflwdir  # here only: importing it loads numba, which takes seconds
    from pyflwdir import dem as pyflwdir_dem

    _, d8 = pyflwdir_dem.fill_depressions(elevation, idxs_pit=outlets, nodata=_NODATA)
    flwdir = pyflwdir.from_array(d8, ftype="d8", transform=filled.transform, latlon=True, check_ftype=False)
    # Upstream area accumulates our ellipsoidal cell areas; pyflwdir's own
    # upstream_area() goes through affine's deprecated `*` operator.
    cell_area = np.repeat(geographic_cell_areas_km2(filled)[:, None], filled.shape[1], axis=1)
    upa = flwdir.accuflux(np.where(elevation == _NODATA, 0.0, cell_area))
    return FlowModel(flwdir=flwdir, upstream_area_km2=np.asarray(upa, dtype=np.float64), grid=filled)


def stream_segments(flow: FlowModel, *, threshold_km2: float, simplify_tolerance_m: float) -> gpd.GeoDataFrame:
    """Stream segments (confluence to confluence) with upstream area above a threshold.

    Returns
    -------
    GeoDataFrame
        Working CRS; columns ``segment`` (index of the most downstream cell),
        ``downstream_segment``, ``upstream_area_km2`` (at the segment's outlet),
        ``strahler_order``, ``length_km``.
    """
    mask = flow.upstream_area_km2 > threshold_km2
    if not mask.any():
        return gpd.GeoDataFrame(
            {"segment": [], "downstream_segment": [], "upstream_area_km2": [], "strahler_order": [], "length_km": []},
            geometry=[], crs=WORKING_CRS,
        )
    order = flow.flwdir.stream_order(mask=mask)
    with warnings.catch_warnings():
        # pyflwdir 0.5 maps cells to coordinates with affine's `*`, deprecated in affine 3.1.
        warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)
        features = flow.flwdir.streams(mask=mask, upa=flow.upstream_area_km2, strord=order)
    frame = gpd.GeoDataFrame.from_features(features, crs=EXPORT_CRS).to_crs(WORKING_CRS)
    frame = frame.rename(columns={"idx": "segment", "idx_ds": "downstream_segment", "upa": "upstream_area_km2",
                                  "strord": "strahler_order"})
    frame["geometry"] = shapely.simplify(frame.geometry.values, simplify_tolerance_m)
    # A confluence at an outlet cell gives a one-cell segment of no length.
    frame = frame[frame.geometry.length > 0].copy()
    frame["length_km"] = frame.geometry.length / 1000.0
    columns = ["segment", "downstream_segment", "upstream_area_km2", "strahler_order", "length_km", "geometry"]
    return frame[columns].sort_values("segment").reset_index(drop=True)


@dataclass(frozen=True)
class NamedRiver:
    """A river traced downstream from its named points.

    ``end_upstream_area_km2`` is the upstream area of the traced path's last
    cell: for a tributary that ends in a larger river it includes that river's
    catchment. ``own_catchment_km2`` is the upstream area of the last cell
    before the path enters the reservoir or the other river: the river's own
    catchment down to that point.
    """

    river_id: str
    path_cells: np.ndarray
    geometry: LineString
    matched_points: int
    total_points: int
    end_upstream_area_km2: float
    own_catchment_km2: float
    ends_in: str


def trace_named_rivers(flow: FlowModel, names: pd.DataFrame, *, threshold_km2: float,
                       snap_radius_m: float, stop_mask: np.ndarray | None = None) -> list[NamedRiver]:
    """Follow each named river downstream from its first point.

    The first point of each river is snapped to the stream cell with the
    largest upstream area within `snap_radius_m`; the river is the D8 path
    from there until it enters `stop_mask` (the reservoir), leaves the grid,
    or meets a river traced before it. Rivers are traced in table order: which
    name the water carries below a confluence is a cartographic convention the
    DEM cannot tell, so the table lists main rivers before their tributaries.
    Every other point of a river counts as matched when the path passes
    within `snap_radius_m` of it.

    Parameters
    ----------
    flow : FlowModel
    names : DataFrame
        Columns ``river_id``, ``lon``, ``lat``; rows ordered downstream.
    threshold_km2 : float
        Only cells with more upstream area are stream cells.
    snap_radius_m : float
    stop_mask : numpy.ndarray of bool, optional
    """
    grid = flow.grid
    streams = flow.upstream_area_km2 > threshold_km2
    ordered: list[tuple[str, pd.DataFrame, int]] = []
    for river_id, points in names.groupby("river_id", sort=False):
        start = _snap_to_stream(flow, streams, float(points.iloc[0]["lon"]), float(points.iloc[0]["lat"]),
                                snap_radius_m=snap_radius_m)
        if start is None:
            raise DemError(
                f"river {river_id}: no stream cell (upstream area > {threshold_km2} km2) within "
                f"{snap_radius_m:.0f} m of its first named point"
            )
        ordered.append((str(river_id), points, start))
    claimed = np.zeros(grid.shape, dtype=bool)
    rivers = []
    for river_id, points, start in ordered:
        stop = claimed.copy()
        if stop_mask is not None:
            stop |= stop_mask
        cells = downstream_path(flow.flwdir.idxs_ds, start, stop=stop)
        last = cells[-1]
        ends_in = (
            "river" if claimed.flat[last] else
            "reservoir" if stop_mask is not None and stop_mask.flat[last] else
            "edge of the DEM"
        )
        claimed.flat[cells[:-1] if ends_in == "river" else cells] = True
        xs, ys = _cell_xy(grid, cells)
        line = gpd.GeoSeries([LineString(np.column_stack([xs, ys]))], crs=EXPORT_CRS).to_crs(WORKING_CRS).iloc[0]
        matched = _count_matched(points.iloc[1:], line, radius_m=snap_radius_m) + 1
        own = cells[-2] if ends_in != "edge of the DEM" and len(cells) > 1 else last
        rivers.append(NamedRiver(
            river_id=river_id, path_cells=cells, geometry=line, matched_points=matched,
            total_points=len(points), end_upstream_area_km2=float(flow.upstream_area_km2.flat[last]),
            own_catchment_km2=float(flow.upstream_area_km2.flat[own]), ends_in=ends_in,
        ))
    return sorted(rivers, key=lambda river: river.river_id)


def downstream_path(idxs_ds: np.ndarray, start: int, *, stop: np.ndarray) -> np.ndarray:
    """Linear cell indices from `start` down the D8 network.

    The path ends at the first cell inside `stop` (included) or at a pit or
    outlet (a cell that drains to itself).

    pyflwdir's own ``FlwdirRaster.path`` hands the raster's ``Affine`` to a
    numba function, which fails with affine >= 3 (no longer a tuple); the
    walk is simple enough to do here.
    """
    cells = [start]
    stop_flat = stop.ravel()
    current = start
    while not stop_flat[current]:
        nxt = int(idxs_ds[current])
        if nxt == current or nxt < 0:
            break
        cells.append(nxt)
        current = nxt
        if len(cells) > idxs_ds.size:
            raise DemError("flow directions contain a loop")
    return np.asarray(cells, dtype=np.int64)


def _cell_xy(grid: Raster, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.divmod(cells, grid.shape[1])
    xs, ys = grid.transform @ (cols + 0.5, rows + 0.5)
    return np.asarray(xs), np.asarray(ys)


def _snap_to_stream(flow: FlowModel, streams: np.ndarray, lon: float, lat: float, *,
                    snap_radius_m: float) -> int | None:
    grid = flow.grid
    col, row = ~grid.transform @ (lon, lat)
    row, col = int(np.floor(row)), int(np.floor(col))
    metres_per_cell_y = abs(grid.transform.e) * 111_320.0
    metres_per_cell_x = abs(grid.transform.a) * 111_320.0 * np.cos(np.radians(lat))
    ry = int(np.ceil(snap_radius_m / metres_per_cell_y))
    rx = int(np.ceil(snap_radius_m / metres_per_cell_x))
    r0, r1 = max(row - ry, 0), min(row + ry + 1, grid.shape[0])
    c0, c1 = max(col - rx, 0), min(col + rx + 1, grid.shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    rr, cc = np.mgrid[r0:r1, c0:c1]
    inside = ((rr - row) * metres_per_cell_y) ** 2 + ((cc - col) * metres_per_cell_x) ** 2 <= snap_radius_m**2
    candidates = inside & streams[r0:r1, c0:c1]
    if not candidates.any():
        return None
    window = np.where(candidates, flow.upstream_area_km2[r0:r1, c0:c1], -1.0)
    best = np.unravel_index(int(np.argmax(window)), window.shape)
    return int((r0 + best[0]) * grid.shape[1] + (c0 + best[1]))


def _count_matched(points: pd.DataFrame, line: LineString, *, radius_m: float) -> int:
    if points.empty:
        return 0
    xy = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs=EXPORT_CRS).to_crs(WORKING_CRS)
    return int((xy.distance(line) <= radius_m).sum())


def reservoir_outlet_direction(rivers: Sequence[NamedRiver], river_id: str, *, length_m: float = 20_000.0) -> float:
    """Compass bearing (degrees clockwise from north) of a river's first `length_m`.

    Used to check, for instance, that the Ili leaves the dam north-westwards.
    """
    river = next((r for r in rivers if r.river_id == river_id), None)
    if river is None:
        raise KeyError(f"no traced river {river_id!r}")
    start = river.geometry.interpolate(0.0)
    end = river.geometry.interpolate(min(length_m, river.geometry.length))
    return float(np.degrees(np.arctan2(end.x - start.x, end.y - start.y)) % 360.0)
