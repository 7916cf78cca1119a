"""DEM-derived image overlays (shaded relief, slope classes) ready for Leaflet.

Terrain is analysed on the DEM's own metric grid (UTM 43N), then the small
display image is warped to Web Mercator (EPSG:3857). Leaflet stretches an
image overlay linearly between its corner coordinates *in Web Mercator*, so
an image on a 3857 grid lands exactly where it belongs; an image on a WGS84
grid would be off by up to a few hundred metres at the edges of the study
area (Mercator y is not linear in latitude).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import CRS
from rasterio.transform import Affine, array_bounds
from rasterio.warp import Resampling, reproject, transform, transform_bounds

from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.errors import CRSError
from alatau_geo.core.io import read_raster
from alatau_geo.maps.png import encode_paletted_png, png_data_url
from alatau_geo.maps.relief import (
    SLOPE_CLASSES,
    SlopeClass,
    classify_slope,
    hillshade,
    slope_degrees,
)

__all__ = [
    "RELIEF_Z_FACTOR",
    "Dem",
    "RasterImage",
    "ReliefImages",
    "hillshade_image",
    "read_dem",
    "relief_images",
    "slope_class_image",
]

log = logging.getLogger(__name__)

WEB_MERCATOR = CRS.from_epsg(3857)
# Largest side of a display image, pixels. The 90 m DEM of the study area is
# about 1,300 x 1,100 cells, so this keeps full resolution there and caps
# the HTML size for anything larger.
MAX_IMAGE_SIDE_PX = 1600
# Vertical exaggeration of the shaded relief: the Ili plain is gentle.
RELIEF_Z_FACTOR = 2.0
# Grey levels of the shaded relief: index 0 is transparent (no data), 1..64
# run from the darkest shadow to full light. The darkest shadow is kept at
# 60 so labels and lines stay readable on it. 64 levels (a step of 3 in 255)
# cannot be told from 255 on screen and compress to 60 % of the size, which
# keeps every page of a build under 3 MB.
_DARKEST_GREY = 60
_GREY_LEVELS = 64


@dataclass(frozen=True)
class Dem:
    """An elevation grid: metres, NaN where unknown, on a projected metric CRS."""

    elevation_m: np.ndarray
    transform: Affine
    crs: CRS

    @property
    def cell_size_m(self) -> tuple[float, float]:
        """Cell width and height in metres (x, y)."""
        return (abs(self.transform.a), abs(self.transform.e))


@dataclass(frozen=True)
class RasterImage:
    """A PNG image for a Leaflet image overlay.

    Attributes
    ----------
    url : str
        ``data:image/png;base64,...`` URL.
    bounds : (float, float, float, float)
        (west, south, east, north) of the image, WGS84 degrees.
    size_px : (int, int)
        Width and height in pixels.
    """

    url: str
    bounds: tuple[float, float, float, float]
    size_px: tuple[int, int]


def read_dem(path: Path) -> Dem:
    """Read band 1 of a DEM GeoTIFF.

    Parameters
    ----------
    path : Path
        A single-band raster on a projected CRS in metres (the terrain build
        writes ``layers/terrain_dem.tif``: EPSG:32643, int16, nodata -32768).

    Returns
    -------
    Dem

    Raises
    ------
    InputDataError
        If the file is missing or unreadable.
    CRSError
        If the raster has no CRS, or one that is not projected in metres.
    """
    raster = read_raster(path)
    crs = raster.crs
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        raise CRSError(
            f"{path}: DEM must be on a projected CRS in metres (e.g. EPSG:32643), got {crs.to_string()}"
        )
    return Dem(raster.data.astype("float64"), raster.transform, crs)


def _mercator_grid(dem: Dem, *, max_side_px: int) -> tuple[Affine, int, int]:
    """A north-up Web Mercator grid over the DEM with about as many cells, at most `max_side_px` a side."""
    rows, cols = dem.elevation_m.shape
    left, bottom, right, top = transform_bounds(
        dem.crs, WEB_MERCATOR, *array_bounds(rows, cols, dem.transform)
    )
    span_x, span_y = right - left, top - bottom
    # Square pixels covering the extent with the DEM's cell count, or coarser if that exceeds the cap.
    resolution = max(math.sqrt(span_x * span_y / (rows * cols)), max(span_x, span_y) / max_side_px)
    width, height = max(1, math.ceil(span_x / resolution)), max(1, math.ceil(span_y / resolution))
    return Affine(resolution, 0.0, left, 0.0, -resolution, top), width, height


def _warp(
    values: np.ndarray, dem: Dem, *, nodata: float, resampling: Resampling, max_side_px: int
) -> tuple[np.ndarray, Affine]:
    grid, width, height = _mercator_grid(dem, max_side_px=max_side_px)
    out = np.full((height, width), nodata, dtype=values.dtype)
    reproject(
        source=values,
        destination=out,
        src_transform=dem.transform,
        src_crs=dem.crs,
        src_nodata=nodata,
        dst_transform=grid,
        dst_crs=WEB_MERCATOR,
        dst_nodata=nodata,
        resampling=resampling,
    )
    return out, grid


def _image(indices: np.ndarray, grid: Affine, palette: list[tuple[int, int, int, int]]) -> RasterImage:
    height, width = indices.shape
    left, bottom, right, top = array_bounds(height, width, grid)
    (west, east), (south, north) = transform(WEB_MERCATOR, EXPORT_CRS, [left, right], [bottom, top])
    png = encode_paletted_png(indices, palette)
    log.debug("overlay image %d x %d px, %d bytes", width, height, len(png))
    return RasterImage(png_data_url(png), (west, south, east, north), (width, height))


def hillshade_image(
    dem: Dem, *, z_factor: float = RELIEF_Z_FACTOR, max_side_px: int = MAX_IMAGE_SIDE_PX
) -> RasterImage:
    """Grey shaded relief of the DEM as a Web Mercator PNG.

    Parameters
    ----------
    dem : Dem
    z_factor : float, default :data:`RELIEF_Z_FACTOR`
        Vertical exaggeration.
    max_side_px : int
        Largest image side in pixels; larger grids are resampled down.

    Returns
    -------
    RasterImage
        Opaque greys; transparent where the DEM has no data.
    """
    shade = hillshade(dem.elevation_m, cell_size_m=dem.cell_size_m, z_factor=z_factor)
    warped, grid = _warp(shade, dem, nodata=np.nan, resampling=Resampling.bilinear, max_side_px=max_side_px)
    indices = np.zeros(warped.shape, dtype="uint8")
    known = np.isfinite(warped)
    indices[known] = 1 + np.round(np.clip(warped[known], 0.0, 1.0) * (_GREY_LEVELS - 1)).astype("uint8")
    greys = np.linspace(_DARKEST_GREY, 255, _GREY_LEVELS).round().astype(int)
    palette = [(0, 0, 0, 0)] + [(int(g), int(g), int(g), 255) for g in greys]
    return _image(indices, grid, palette)


def slope_class_image(
    dem: Dem,
    *,
    classes: tuple[SlopeClass, ...] = SLOPE_CLASSES,
    max_side_px: int = MAX_IMAGE_SIDE_PX,
) -> RasterImage:
    """Slope classes of the DEM (slope in degrees on the metric grid) as a Web Mercator PNG.

    Parameters
    ----------
    dem : Dem
    classes : tuple of SlopeClass
        Class breaks and colours; see :data:`alatau_geo.maps.relief.SLOPE_CLASSES`.
    max_side_px : int
        Largest image side in pixels.

    Returns
    -------
    RasterImage
        One opaque colour per class; transparent where the DEM has no data.
    """
    codes = classify_slope(slope_degrees(dem.elevation_m, cell_size_m=dem.cell_size_m), classes=classes)
    # Class codes are categories: nearest neighbour, never interpolated.
    warped, grid = _warp(codes, dem, nodata=0, resampling=Resampling.nearest, max_side_px=max_side_px)
    palette: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * (max(c.code for c in classes) + 1)
    for slope_class in classes:
        palette[slope_class.code] = (*_rgb(slope_class.color), 255)
    return _image(warped, grid, palette)


@dataclass(frozen=True)
class ReliefImages:
    """The DEM's display images, rendered once and shared by every map of a build.

    Attributes
    ----------
    hillshade : RasterImage
        Grey shaded relief (:func:`hillshade_image`).
    slope_classes : RasterImage
        Slope classes in degrees (:func:`slope_class_image`).
    """

    hillshade: RasterImage
    slope_classes: RasterImage


def relief_images(path: Path) -> ReliefImages:
    """Read the DEM GeoTIFF at `path` once and render its shaded relief and slope classes.

    Raises
    ------
    InputDataError
        If the file is missing or unreadable.
    CRSError
        If the raster is not on a projected CRS in metres.
    """
    dem = read_dem(path)
    return ReliefImages(hillshade=hillshade_image(dem), slope_classes=slope_class_image(dem))


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
