"""Shaded relief and slope classes from a DEM grid, for display.

Pure numpy functions on a 2-D elevation array in metres on a regular,
projected grid (UTM 43N in this package). Cells that are NaN stay NaN (or
class 0) and so do their immediate neighbours, whose 3x3 window is
incomplete.

Both use Horn's (1981) third-order finite difference, the estimator GDAL's
``gdaldem`` uses, so the results match what planners see in QGIS; the
gradients come from :func:`alatau_geo.reference.terrain.gradients`, the
ones the terrain analyses use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alatau_geo.reference import terrain

__all__ = ["SlopeClass", "SLOPE_CLASSES", "classify_slope", "hillshade", "slope_percent"]


@dataclass(frozen=True)
class SlopeClass:
    """One slope class: ``lower_pct <= slope < upper_pct``."""

    code: int
    lower_pct: float
    upper_pct: float
    label: str
    color: str


# Breaks used in Kazakh and Soviet planning practice for site suitability:
# flat (drainage needs care), gentle, moderate, steep (terracing), very steep.
SLOPE_CLASSES: tuple[SlopeClass, ...] = (
    SlopeClass(1, 0.0, 2.0, "0–2 %", "#1a9850"),
    SlopeClass(2, 2.0, 5.0, "2–5 %", "#a6d96a"),
    SlopeClass(3, 5.0, 10.0, "5–10 %", "#fee08b"),
    SlopeClass(4, 10.0, 20.0, "10–20 %", "#f46d43"),
    SlopeClass(5, 20.0, float("inf"), "> 20 %", "#a50026"),
)


def _gradients(dem: np.ndarray, *, cell_size_m: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Horn's dz/dx (east) and dz/dy (north), metres per metre; NaN where the cell itself is unknown."""
    dzdx, dzdy = terrain.gradients(dem, cell_size_m=cell_size_m)
    # Horn's window skips the centre cell, so an unknown cell would borrow a
    # slope from its neighbours; keep it unknown.
    unknown = np.isnan(np.asarray(dem, dtype="float64"))
    dzdx[unknown] = np.nan
    dzdy[unknown] = np.nan
    return dzdx, dzdy


def slope_percent(dem: np.ndarray, *, cell_size_m: tuple[float, float]) -> np.ndarray:
    """Slope of each cell in percent (100 × rise / run).

    Parameters
    ----------
    dem : ndarray, shape (rows, cols)
        Elevation in metres, row 0 to the north; NaN where unknown.
    cell_size_m : (float, float)
        Cell width and height in metres (x, y).

    Returns
    -------
    ndarray of float64
        Slope in percent; NaN where the 3x3 window has a NaN.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5.0) * 9.0, (4, 1))  # rises 9 m per 90 m cell eastwards
    >>> float(slope_percent(ramp, cell_size_m=(90.0, 90.0))[1, 2])
    10.0
    """
    dzdx, dzdy = _gradients(dem, cell_size_m=cell_size_m)
    return 100.0 * np.hypot(dzdx, dzdy)


def hillshade(
    dem: np.ndarray,
    *,
    cell_size_m: tuple[float, float],
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
) -> np.ndarray:
    """Shaded relief: illumination of each cell from a distant light, 0 to 1.

    Parameters
    ----------
    dem : ndarray, shape (rows, cols)
        Elevation in metres, row 0 to the north; NaN where unknown.
    cell_size_m : (float, float)
        Cell width and height in metres (x, y).
    azimuth_deg : float, default 315
        Direction the light comes from, degrees clockwise from north
        (north-west, the cartographic convention).
    altitude_deg : float, default 45
        Height of the light above the horizon, degrees.
    z_factor : float, default 1
        Vertical exaggeration; above 1 brings out the gentle relief of the plain.

    Returns
    -------
    ndarray of float64
        ``cos(zenith) cos(slope) + sin(zenith) sin(slope) cos(azimuth - aspect)``,
        clipped to [0, 1]; 1 faces the light, 0 is in shadow; flat ground is
        ``sin(altitude)``. NaN where the 3x3 window has a NaN.

    Examples
    --------
    >>> flat = np.zeros((3, 3))
    >>> round(float(hillshade(flat, cell_size_m=(90.0, 90.0))[1, 1]), 3)
    0.707
    """
    dzdx, dzdy = _gradients(dem, cell_size_m=cell_size_m)
    dzdx, dzdy = z_factor * dzdx, z_factor * dzdy
    slope = np.arctan(np.hypot(dzdx, dzdy))
    # Aspect: the compass direction the slope faces (downhill), radians clockwise from north.
    aspect = np.arctan2(-dzdx, -dzdy)
    zenith = np.radians(90.0 - altitude_deg)
    azimuth = np.radians(azimuth_deg)
    shade = np.cos(zenith) * np.cos(slope) + np.sin(zenith) * np.sin(slope) * np.cos(azimuth - aspect)
    return np.clip(shade, 0.0, 1.0)


def classify_slope(slope_pct: np.ndarray, *, classes: tuple[SlopeClass, ...] = SLOPE_CLASSES) -> np.ndarray:
    """Slope class code of each cell.

    Parameters
    ----------
    slope_pct : ndarray
        Slope in percent; NaN where unknown.
    classes : tuple of SlopeClass
        Contiguous classes in increasing order.

    Returns
    -------
    ndarray of uint8
        The class ``code``; 0 where the slope is NaN.

    Examples
    --------
    >>> classify_slope(np.array([0.5, 2.0, 7.0, 19.9, 45.0, np.nan])).tolist()
    [1, 2, 3, 4, 5, 0]
    """
    slope_pct = np.asarray(slope_pct, dtype="float64")
    codes = np.zeros(slope_pct.shape, dtype="uint8")
    for slope_class in classes:
        inside = (slope_pct >= slope_class.lower_pct) & (slope_pct < slope_class.upper_pct)
        codes[inside] = slope_class.code
    return codes
