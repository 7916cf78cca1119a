"""Terrain: SRTM3 tiles read, mosaicked, georeferenced, void-filled, clipped, projected; slope from them.

Rasters travel as :class:`Raster` (a float32 array with NaN for nodata, its
affine transform and CRS). SRTM3 tiles are 1201 x 1201 big-endian int16
samples spaced 3 arc-seconds apart; a tile named ``N43E077`` has its south-west
sample at 43 N, 77 E, and neighbouring tiles share their edge row or column.
Samples are cell centres (pixel-is-point), so a tile's raster extent reaches
half a cell beyond its degree lines.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio.fill
import rasterio.warp
from affine import Affine
from pyproj import CRS, Geod
from rasterio.enums import Resampling

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import CRSError, DemError
from alatau_geo.core.raster import Raster

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TerrainParams:
    """How the SRTM tiles become working rasters."""

    tiles: tuple[str, ...]
    resolution_m: float
    void_fill_max_distance_cells: int

SRTM3_SAMPLES = 1201
SRTM3_STEP_DEG = 1.0 / 1200.0
SRTM_VOID = -32768
_TILE_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})$")


@dataclass(frozen=True)
class Terrain:
    """The terrain rasters later analyses use.

    Attributes
    ----------
    raw : Raster
        The mosaic as delivered, WGS84, voids as NaN. The reservoir surface is
        read from this one, so void filling cannot alter it.
    filled : Raster
        The mosaic with voids filled, WGS84; input to flow routing.
    elevation : Raster
        Elevation in whole metres on the working grid (UTM 43N), clipped to the study area.
    slope : Raster
        Slope in degrees on the working grid, computed from distances in metres.
    void_cells : int
        Number of void cells in the mosaic before filling.
    unfilled_cells : int
        Void cells farther from data than the fill distance, left as NaN.
    """

    raw: Raster
    filled: Raster
    elevation: Raster
    slope: Raster
    void_cells: int
    unfilled_cells: int


def parse_tile_name(name: str) -> tuple[int, int]:
    """South-west corner (lon, lat) in whole degrees of an SRTM tile name.

    Examples
    --------
    >>> parse_tile_name("N43E077")
    (77, 43)
    """
    match = _TILE_NAME.match(name)
    if not match:
        raise DemError(f"{name}: not an SRTM tile name (expected e.g. N43E077)")
    ns, lat, ew, lon = match.groups()
    return (int(lon) * (1 if ew == "E" else -1), int(lat) * (1 if ns == "N" else -1))


def find_tiles(dem_dir: Path, names: Sequence[str]) -> dict[str, Path]:
    """Locate each named tile as ``NAME.hgt.zip`` or ``NAME.hgt`` in `dem_dir`.

    Raises
    ------
    DemError
        If the folder or a tile is missing, or the folder cannot be read.
    """
    dem_dir = Path(dem_dir)
    try:
        is_folder = dem_dir.is_dir()
        listed = {entry.name for entry in dem_dir.iterdir()} if is_folder else set()
    except OSError as error:
        raise DemError(f"{dem_dir}: cannot read the DEM folder ({error.strerror or error}); check its "
                       "permissions") from None
    if not is_folder:
        raise DemError(f"{dem_dir}: DEM folder not found (give --dem-dir or set ALATAU_DEM_DIR)")
    found: dict[str, Path] = {}
    for name in names:
        parse_tile_name(name)
        file_name = next((c for c in (f"{name}.hgt.zip", f"{name}.hgt") if c in listed), None)
        if file_name is None:
            raise DemError(f"{dem_dir}: tile {name} missing (looked for {name}.hgt.zip and {name}.hgt)")
        found[name] = dem_dir / file_name
    return found


def read_srtm_tile(path: Path) -> np.ndarray:
    """Read one SRTM3 tile (``.hgt`` or ``.hgt.zip``) as a 1201 x 1201 int16 array.

    Raises
    ------
    DemError
        If the file is unreadable, not a zip archive, holds no ``.hgt`` member
        or is not 1201 x 1201 big-endian int16 samples.
    """
    path = Path(path)
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith(".hgt")]
                if len(members) != 1:
                    raise DemError(f"{path}: expected one .hgt file in the archive, found {len(members)}")
                payload = archive.read(members[0])
        else:
            payload = path.read_bytes()
    except DemError:
        raise  # an OSError too: not to be taken for a read failure below
    except zipfile.BadZipFile:
        raise DemError(f"{path}: corrupt tile (not a readable zip archive)") from None
    except (OSError, zipfile.LargeZipFile, EOFError) as error:
        raise DemError(f"{path}: cannot read tile ({error})") from None
    expected = SRTM3_SAMPLES * SRTM3_SAMPLES * 2
    if len(payload) != expected:
        raise DemError(
            f"{path}: wrong tile size, {len(payload)} bytes where an SRTM3 tile "
            f"(1201 x 1201 int16) has {expected}"
        )
    samples = np.frombuffer(payload, dtype=">i2").reshape(SRTM3_SAMPLES, SRTM3_SAMPLES).astype(np.int16)
    if (samples == SRTM_VOID).all():
        raise DemError(f"{path}: every sample is void ({SRTM_VOID}), the tile holds no elevation; replace it "
                       "with a good copy")
    return samples


def _tile_offsets(names: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(row, column) of each tile's north-west sample in the mosaic of `names`."""
    corners = {name: parse_tile_name(name) for name in names}
    west = min(lon for lon, _ in corners.values())
    north = max(lat for _, lat in corners.values()) + 1
    step = SRTM3_SAMPLES - 1
    return {name: ((north - lat - 1) * step, (lon - west) * step) for name, (lon, lat) in corners.items()}


def void_warnings(filled: Raster, tiles: Mapping[str, Path], *, max_distance_cells: int) -> list[str]:
    """One line per tile that keeps void cells after filling: its file, the count, what it affects.

    Parameters
    ----------
    filled : Raster
        The void-filled mosaic of `tiles` (:attr:`Terrain.filled`).
    tiles : mapping of tile name to its file
    max_distance_cells : int
        The fill distance used, cells (named in the message).

    Returns
    -------
    list of str
        Empty when every void was filled.
    """
    lines = []
    for name, (row, col) in sorted(_tile_offsets(list(tiles)).items()):
        window = filled.data[row : row + SRTM3_SAMPLES, col : col + SRTM3_SAMPLES]
        left = int(np.isnan(window).sum())
        if left:
            lines.append(
                f"{tiles[name]}: {left:,} of {window.size:,} cells still void after filling (farther than "
                f"{max_distance_cells} cells from data, terrain.void_fill_max_distance_cells); streams, rivers and "
                "the reservoir there may be missing or wrong"
            )
    return lines


def mosaic_srtm(tiles: Mapping[str, np.ndarray]) -> Raster:
    """Mosaic SRTM3 tiles into one WGS84 raster, voids as NaN.

    Neighbouring tiles share an edge row or column; where one tile has a void
    on the shared edge and the other a value, the value wins. Areas inside the
    mosaic's bounding box that no tile covers are NaN.

    Parameters
    ----------
    tiles : mapping of tile name to 1201 x 1201 int16 array

    Returns
    -------
    Raster
        Elevation in metres, EPSG:4326, 3 arc-second cells.
    """
    if not tiles:
        raise DemError("no SRTM tiles to mosaic")
    corners = {name: parse_tile_name(name) for name in tiles}
    lons = [lon for lon, _ in corners.values()]
    lats = [lat for _, lat in corners.values()]
    west, south = min(lons), min(lats)
    east, north = max(lons) + 1, max(lats) + 1
    step = SRTM3_SAMPLES - 1
    out = np.full(((north - south) * step + 1, (east - west) * step + 1), np.nan, dtype=np.float32)
    for name, samples in tiles.items():
        lon, lat = corners[name]
        row0 = (north - lat - 1) * step
        col0 = (lon - west) * step
        values = samples.astype(np.float32)
        values[samples == SRTM_VOID] = np.nan
        window = out[row0 : row0 + SRTM3_SAMPLES, col0 : col0 + SRTM3_SAMPLES]
        np.copyto(window, values, where=~np.isnan(values))
    transform = Affine(
        SRTM3_STEP_DEG, 0.0, west - SRTM3_STEP_DEG / 2, 0.0, -SRTM3_STEP_DEG, north + SRTM3_STEP_DEG / 2
    )
    return Raster(out, transform, EXPORT_CRS)


def fill_voids(raster: Raster, *, max_distance_cells: int) -> tuple[Raster, int]:
    """Fill void cells by inverse-distance interpolation (GDAL FillNodata).

    Parameters
    ----------
    raster : Raster
    max_distance_cells : int
        How far, in cells, to search for values; farther voids stay NaN.

    Returns
    -------
    filled : Raster
    unfilled : int
        Number of cells still NaN.
    """
    valid = ~np.isnan(raster.data)
    if valid.all() or max_distance_cells == 0:
        return raster, int((~valid).sum())
    filled = rasterio.fill.fillnodata(
        np.where(valid, raster.data, 0).astype(np.float32),
        mask=valid.astype(np.uint8),
        max_search_distance=float(max_distance_cells),
        smoothing_iterations=0,
    )
    # FillNodata leaves unreachable cells at their input value (our 0).
    reached = _reachable(valid, max_distance_cells)
    filled = np.where(reached, filled, np.nan).astype(np.float32)
    return Raster(filled, raster.transform, raster.crs), int(np.isnan(filled).sum())


def _reachable(valid: np.ndarray, distance: int) -> np.ndarray:
    if not valid.any():
        return valid
    from scipy import ndimage  # here, not at the top: every command reads a plan, which imports this module

    gap = ndimage.distance_transform_edt(~valid)
    return gap <= distance


def clip_to_bounds(raster: Raster, bounds: tuple[float, float, float, float]) -> Raster:
    """Cells of `raster` whose centres fall inside `bounds` (same CRS).

    Raises
    ------
    DemError
        If the bounds do not overlap the raster.
    """
    west, south, east, north = bounds
    xs, ys = raster.cell_centres()
    cols = np.flatnonzero((xs >= west) & (xs <= east))
    rows = np.flatnonzero((ys >= south) & (ys <= north))
    if cols.size == 0 or rows.size == 0:
        raise DemError(f"study area {bounds} does not overlap the DEM {raster.bounds}")
    data = raster.data[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    transform = raster.transform @ Affine.translation(cols[0], rows[0])
    return Raster(np.ascontiguousarray(data), transform, raster.crs)


def project_raster(raster: Raster, *, resolution_m: float, crs: CRS = WORKING_CRS,
                   resampling: Resampling = Resampling.bilinear) -> Raster:
    """Reproject `raster` to a north-up grid of `resolution_m` metre cells in `crs`.

    The grid is aligned to whole multiples of the resolution so rebuilds give
    the same cells.
    """
    west, south, east, north = rasterio.warp.transform_bounds(raster.crs, crs, *raster.bounds)
    west = np.floor(west / resolution_m) * resolution_m
    north = np.ceil(north / resolution_m) * resolution_m
    cols = int(np.ceil((east - west) / resolution_m))
    rows = int(np.ceil((north - south) / resolution_m))
    transform = Affine(resolution_m, 0.0, west, 0.0, -resolution_m, north)
    out = np.full((rows, cols), np.nan, dtype=np.float32)
    rasterio.warp.reproject(
        source=raster.data,
        destination=out,
        src_transform=raster.transform,
        src_crs=raster.crs,
        src_nodata=np.nan,
        dst_transform=transform,
        dst_crs=crs,
        dst_nodata=np.nan,
        resampling=resampling,
    )
    return Raster(out, transform, CRS.from_user_input(crs))


def gradients(elevation: np.ndarray, *, cell_size_m: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Horn's (1981) elevation gradients of a grid: dz/dx to the east and dz/dy to the north.

    Weighted central differences over each cell's 3 x 3 window (the
    estimator GDAL's ``gdaldem`` uses); the grid's edge cells are repeated
    beyond it. The window skips the centre cell.

    Parameters
    ----------
    elevation : ndarray, shape (rows, cols)
        Elevation in metres, row 0 to the north; NaN where unknown.
    cell_size_m : (float, float)
        Cell width and height in metres (x, y).

    Returns
    -------
    (ndarray, ndarray) of float64
        dz/dx and dz/dy in metres per metre; NaN where the window has a NaN.

    Raises
    ------
    ValueError
        If a cell size is not positive.

    Examples
    --------
    >>> ramp = np.tile(np.arange(4.0) * 9.0, (3, 1))  # rises 9 m per 90 m cell eastwards
    >>> dzdx, dzdy = gradients(ramp, cell_size_m=(90.0, 90.0))
    >>> float(dzdx[1, 1]), float(dzdy[1, 1])
    (0.1, 0.0)
    """
    dx, dy = cell_size_m
    if dx <= 0 or dy <= 0:
        raise ValueError(f"cell_size_m must be positive, got {cell_size_m}")
    z = np.pad(np.asarray(elevation, dtype="float64"), 1, mode="edge")
    # Window cells named as in Horn (1981): a b c / d e f / g h i, row 0 = north.
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
    # Rows run north to south, so north minus south is the northward gradient.
    dzdy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * dy)
    return dzdx, dzdy


def slope(elevation: Raster, *, units: str = "degrees") -> Raster:
    """Slope of a projected elevation raster (Horn's 3 x 3 method).

    Parameters
    ----------
    elevation : Raster
        Elevation in metres on a projected grid with square cells in metres.
    units : {'degrees', 'percent'}

    Returns
    -------
    Raster
        Slope in the requested units; NaN where any neighbour is nodata.

    Raises
    ------
    CRSError
        If the raster is geographic: slope from degree-based cell sizes is wrong.
    """
    if elevation.crs.is_geographic:
        raise CRSError("slope needs a projected raster with cell sizes in metres; project it first")
    if units not in ("degrees", "percent"):
        raise ValueError(f"units must be 'degrees' or 'percent', got {units!r}")
    dzdx, dzdy = gradients(elevation.data, cell_size_m=(abs(elevation.transform.a), abs(elevation.transform.e)))
    gradient = np.hypot(dzdx, dzdy)
    values = np.degrees(np.arctan(gradient)) if units == "degrees" else gradient * 100.0
    return Raster(values.astype(np.float32), elevation.transform, elevation.crs)


def sample(raster: Raster, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Bilinearly interpolated raster values at points given in the raster's CRS.

    Returns NaN outside the raster or next to nodata.
    """
    inverse = ~raster.transform
    cols, rows = inverse @ (np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    # Cell centres sit at half-integer positions of the transform.
    coords = np.vstack([np.asarray(rows) - 0.5, np.asarray(cols) - 0.5])
    from scipy import ndimage  # as in _reachable: scipy.ndimage takes 0.15 s to import

    # Bilinear interpolation reads only the cells around each point: the window of the raster holding them
    # gives the same values (a point off the raster stays off the window) without converting the whole raster
    # to float64 for a few points (a placement samples its slope some sixty times).
    start, stop = _window(coords, raster.data.shape)
    window = raster.data[start[0]:stop[0], start[1]:stop[1]].astype(np.float64)
    return ndimage.map_coordinates(window, coords - start[:, None], order=1, cval=np.nan)


def _window(coords: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """First and past-last (row, column) of the cells bilinear interpolation at `coords` (2 x n, cells) reads."""
    inside = np.isfinite(coords).all(axis=0)
    if not inside.any():
        return np.zeros(2, dtype=int), np.asarray(shape[:2])
    low = np.floor(coords[:, inside].min(axis=1)).astype(int) - 1
    high = np.floor(coords[:, inside].max(axis=1)).astype(int) + 3
    return np.clip(low, 0, shape[:2]), np.clip(high, 0, shape[:2])


def geographic_cell_areas_km2(raster: Raster) -> np.ndarray:
    """Ellipsoidal area of one cell in each row of a WGS84 raster, km2 (1-D, per row)."""
    if not raster.crs.is_geographic:
        raise CRSError("geographic_cell_areas_km2 needs a WGS84 raster")
    geod = Geod(ellps="WGS84")
    _, ys = raster.cell_centres()
    half_y = abs(raster.transform.e) / 2
    width = abs(raster.transform.a)
    areas = np.empty(ys.size)
    for i, y in enumerate(ys):
        lons = [0.0, width, width, 0.0]
        lats = [y - half_y, y - half_y, y + half_y, y + half_y]
        area, _ = geod.polygon_area_perimeter(lons, lats)
        areas[i] = abs(area) / 1e6
    return areas


def load_terrain(tiles: Mapping[str, np.ndarray], *, bounds: tuple[float, float, float, float],
                 resolution_m: float, void_fill_max_distance_cells: int) -> Terrain:
    """Build the terrain rasters from decoded SRTM tiles.

    Parameters
    ----------
    tiles : mapping of tile name to int16 samples
    bounds : (west, south, east, north)
        Study area in WGS84 degrees.
    resolution_m : float
        Cell size of the working grid, metres.
    void_fill_max_distance_cells : int
        See :func:`fill_voids`.
    """
    raw = mosaic_srtm(tiles)
    void_cells = int(np.isnan(raw.data).sum())
    filled, unfilled = fill_voids(raw, max_distance_cells=void_fill_max_distance_cells)
    if void_cells:
        logger.debug("filled %d of %d void cells", void_cells - unfilled, void_cells)
    projected = project_raster(clip_to_bounds(filled, bounds), resolution_m=resolution_m)
    # Whole metres, as SRTM measures them, so the int16 raster committed
    # beside the layers holds exactly the grid every build samples; slope
    # comes from the unrounded grid to avoid 1 m terraces on the plain.
    elevation = Raster(np.round(projected.data), projected.transform, projected.crs)
    return Terrain(
        raw=raw,
        filled=filled,
        elevation=elevation,
        slope=slope(projected),
        void_cells=void_cells,
        unfilled_cells=unfilled,
    )


def read_srtm_tiles(dem_dir: Path, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Find and decode the named tiles in `dem_dir` (see :func:`read_srtm_tile`)."""
    return {name: read_srtm_tile(path) for name, path in find_tiles(dem_dir, names).items()}
