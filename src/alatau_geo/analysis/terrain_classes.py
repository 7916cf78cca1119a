"""Terrain classes on a projected DEM: aspect, slope and aspect classes, elevation bands.

Generic companions of :func:`alatau_geo.reference.terrain.slope` (which gives the slope
by Horn's method): :func:`aspect` uses the same 3 x 3 Horn gradient. Class
rasters are :class:`~alatau_geo.core.raster.Raster` objects holding integer class
codes as float32 with NaN for nodata; :func:`class_area_table` and
:func:`class_polygons` turn them into hectares and polygons in the raster's
projected CRS (UTM 43N in this package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from shapely.geometry import shape

from alatau_geo.core.crs import SQUARE_METRES_PER_HECTARE, area_ha
from alatau_geo.core.errors import CRSError
from alatau_geo.core.raster import Raster

SLOPE_CLASSES: tuple[str, ...] = ("too_flat", "beginner", "intermediate", "expert", "extreme", "too_steep")
ASPECT_CLASSES: tuple[str, ...] = ("flat", "N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _require_projected(raster: Raster, what: str) -> None:
    if raster.crs.is_geographic:
        raise CRSError(f"{what} needs a projected raster with cell sizes in metres; project it first")


def aspect(elevation: Raster) -> Raster:
    """Aspect of a projected elevation raster: the compass direction a slope faces.

    Horn's (1981) 3 x 3 gradient, as :func:`alatau_geo.reference.terrain.slope` uses;
    the aspect is the downslope direction in degrees clockwise from grid north
    (0 = north-facing, 90 = east-facing). Cells with no gradient, or next to
    nodata, are NaN.

    Parameters
    ----------
    elevation : Raster
        Elevation in metres on a projected grid, rows from north to south.

    Returns
    -------
    Raster
        Aspect in degrees, [0, 360).

    Raises
    ------
    CRSError
        If the raster is geographic.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import WORKING_CRS
    >>> rising_east = np.tile(np.arange(4.0) * 10, (4, 1))
    >>> faces = aspect(Raster(rising_east, Affine(10, 0, 0, 0, -10, 40), WORKING_CRS))
    >>> float(faces.data[1, 1])
    270.0
    """
    _require_projected(elevation, "aspect")
    dx = abs(elevation.transform.a)
    dy = abs(elevation.transform.e)
    z = np.pad(elevation.data.astype(np.float64), 1, mode="edge")
    dz_east = (
        (z[:-2, 2:] + 2 * z[1:-1, 2:] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[1:-1, :-2] + z[2:, :-2])
    ) / (8 * dx)
    dz_north = (
        (z[:-2, :-2] + 2 * z[:-2, 1:-1] + z[:-2, 2:]) - (z[2:, :-2] + 2 * z[2:, 1:-1] + z[2:, 2:])
    ) / (8 * dy)
    # The slope faces down the gradient: (east, north) = (-dz_east, -dz_north).
    with np.errstate(invalid="ignore"):
        values = np.degrees(np.arctan2(-dz_east, -dz_north)) % 360.0
    values[(dz_east == 0) & (dz_north == 0)] = np.nan
    return Raster(values.astype(np.float32), elevation.transform, elevation.crs)


def classify(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Class codes 0..len(breaks) of `values` cut at ascending `breaks` (NaN stays NaN).

    A value equal to a break belongs to the class above it.

    Examples
    --------
    >>> classify(np.array([0.0, 14.0, 20.0, np.nan]), [14, 22]).tolist()
    [0.0, 1.0, 1.0, nan]
    """
    codes = np.digitize(values, np.asarray(breaks, dtype=float)).astype(np.float32)
    codes[np.isnan(values)] = np.nan
    return codes


def slope_classes(slope: Raster, *, breaks_deg: Sequence[float]) -> Raster:
    """Ski-terrain slope classes (codes index :data:`SLOPE_CLASSES`).

    Parameters
    ----------
    slope : Raster
        Slope in degrees.
    breaks_deg : sequence of 5 floats
        Ascending limits between too flat, beginner, intermediate, expert,
        extreme and too steep, degrees.
    """
    if len(breaks_deg) != len(SLOPE_CLASSES) - 1:
        raise ValueError(f"breaks_deg must hold {len(SLOPE_CLASSES) - 1} limits, got {len(breaks_deg)}")
    return Raster(classify(slope.data, breaks_deg), slope.transform, slope.crs)


def in_sector(degrees: np.ndarray, start: float, end: float) -> np.ndarray:
    """Whether compass directions lie in the sector from `start` clockwise to `end` (inclusive).

    Examples
    --------
    >>> in_sector(np.array([350.0, 10.0, 90.0, np.nan]), 315, 45).tolist()
    [True, True, False, False]
    """
    turned = (np.asarray(degrees, dtype=float) - start) % 360.0
    with np.errstate(invalid="ignore"):
        return turned <= (end - start) % 360.0


def aspect_classes(aspect_deg: Raster, slope_deg: Raster, *, flat_below_deg: float) -> Raster:
    """Eight compass sectors of 45 deg centred on N, NE, ... and a flat class.

    Codes index :data:`ASPECT_CLASSES`: 0 = flat (slope below
    `flat_below_deg`, where aspect means nothing), 1 = N (337.5-22.5 deg), ...,
    8 = NW.
    """
    sectors = (np.floor(((aspect_deg.data + 22.5) % 360.0) / 45.0) + 1).astype(np.float32)
    flat = (slope_deg.data < flat_below_deg) | np.isnan(aspect_deg.data)
    codes = np.where(flat, 0.0, sectors).astype(np.float32)
    codes[np.isnan(slope_deg.data)] = np.nan
    return Raster(codes, aspect_deg.transform, aspect_deg.crs)


def elevation_bands(elevation: Raster, *, band_m: float) -> Raster:
    """Lower edge of each cell's elevation band, metres (e.g. 1750 for 1,750-2,000 m)."""
    return Raster((np.floor(elevation.data / band_m) * band_m).astype(np.float32), elevation.transform,
                  elevation.crs)


def cell_area_ha(raster: Raster) -> float:
    """Area of one cell of a projected raster, hectares."""
    _require_projected(raster, "cell_area_ha")
    return abs(raster.transform.a * raster.transform.e) / SQUARE_METRES_PER_HECTARE


def class_area_table(codes: Raster, labels: Mapping[float, str], *, layer: str,
                     mask: np.ndarray | None = None) -> pd.DataFrame:
    """Area of each class, hectares, from cell counts.

    Parameters
    ----------
    codes : Raster
        Class codes on a projected grid (NaN = nodata).
    labels : mapping of code to class name
        Every class listed gets a row, with 0 ha where absent.
    layer : str
        Name of the classification, written in the ``layer`` column.
    mask : numpy.ndarray of bool, optional
        Only cells where True are counted.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``class``, ``area_ha``, ``share_pct`` (of the
        classified area), in the order of `labels`.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import WORKING_CRS
    >>> codes = Raster(np.array([[0.0, 1.0], [1.0, np.nan]]), Affine(100, 0, 0, 0, -100, 200), WORKING_CRS)
    >>> class_area_table(codes, {0: "low", 1: "high"}, layer="demo")[["class", "area_ha"]].values.tolist()
    [['low', 1.0], ['high', 2.0]]
    """
    data = codes.data if mask is None else np.where(mask, codes.data, np.nan)
    per_cell = cell_area_ha(codes)
    areas = [float(np.count_nonzero(data == code)) * per_cell for code in labels]
    total = sum(areas)
    return pd.DataFrame({
        "layer": layer,
        "class": list(labels.values()),
        "area_ha": areas,
        "share_pct": [100.0 * a / total if total else 0.0 for a in areas],
    })


def class_polygons(codes: Raster, labels: Mapping[float, str], *, layer: str,
                   mask: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """One (multi)polygon per class present, in the raster's CRS, with its area.

    Parameters
    ----------
    codes : Raster
        Class codes on a projected grid (NaN = nodata).
    labels : mapping of code to class name
    layer : str
        Name of the classification (``layer`` column).
    mask : numpy.ndarray of bool, optional
        Only cells where True are polygonised.

    Returns
    -------
    GeoDataFrame
        Columns ``layer``, ``class``, ``area_ha`` (equal-area CRS), ``geometry``;
        classes in the order of `labels`.
    """
    valid = ~np.isnan(codes.data) if mask is None else mask & ~np.isnan(codes.data)
    values = np.where(valid, codes.data, -1).astype(np.int32)
    parts: dict[int, list[shapely.Geometry]] = {}
    for geometry, value in rasterio.features.shapes(values, mask=valid, transform=codes.transform):
        parts.setdefault(int(value), []).append(shape(geometry))
    rows = [
        {"layer": layer, "class": name, "geometry": shapely.union_all(parts[int(code)])}
        for code, name in labels.items() if int(code) in parts
    ]
    frame = gpd.GeoDataFrame(rows, columns=["layer", "class", "geometry"], geometry="geometry", crs=codes.crs)
    frame.insert(2, "area_ha", area_ha(frame) if len(frame) else pd.Series(dtype=float))
    return frame
