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

__all__ = ["SlopeClass", "SLOPE_CLASSES", "classify_slope", "hillshade", "slope_degrees"]


@dataclass(frozen=True)
class SlopeClass:
    """One slope class: ``lower_deg <= slope < upper_deg``, in degrees."""

    code: int
    lower_deg: float
    upper_deg: float
    label: str
    color: str


# Slope classes in degrees, the unit of the plan's buildable limit
# (analysis.max_buildable_slope_deg, 8 degrees by default): flat (drainage
# needs care, 2 deg = 3.5 %), gentle (5 deg = 8.7 %), moderate up to the
# plan's limit (8 deg = 14 %), steep (terracing; 15 deg = 27 %), very steep.
# Breaks: planning practice for site suitability (assumed), with 8 deg the
# plan's default limit.
SLOPE_CLASSES: tuple[SlopeClass, ...] = (
    SlopeClass(1, 0.0, 2.0, "0–2°", "#1a9850"),
    SlopeClass(2, 2.0, 5.0, "2–5°", "#a6d96a"),
    SlopeClass(3, 5.0, 8.0, "5–8°", "#fee08b"),
    SlopeClass(4, 8.0, 15.0, "8–15°", "#f46d43"),
    SlopeClass(5, 15.0, float("inf"), "> 15°", "#a50026"),
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


def slope_degrees(dem: np.ndarray, *, cell_size_m: tuple[float, float]) -> np.ndarray:
    """Slope of each cell in degrees from the horizontal.

    Parameters
    ----------
    dem : ndarray, shape (rows, cols)
        Elevation in metres; as `elevation` of :func:`alatau_geo.reference.terrain.gradients`.
    cell_size_m : (float, float)
        As in :func:`alatau_geo.reference.terrain.gradients`.

    Returns
    -------
    ndarray of float64
        ``atan(|grad z|)`` in degrees; NaN where the 3x3 window has a NaN.

    Examples
    --------
    >>> ramp = np.tile(np.arange(5.0) * 90.0, (4, 1))  # rises 90 m per 90 m cell eastwards
    >>> float(slope_degrees(ramp, cell_size_m=(90.0, 90.0))[1, 2])
    45.0
    """
    dzdx, dzdy = _gradients(dem, cell_size_m=cell_size_m)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy)))


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
    dem, cell_size_m
        As in :func:`slope_degrees`.
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
    zenith = np.radians(90.0 - altitude_deg)
    azimuth = np.radians(azimuth_deg)
    # The formula above without a trigonometric function per cell: with the
    # gradient p = |grad z| and the downhill aspect (sin, cos) = -(dz/dx, dz/dy) / p,
    # cos(slope) = 1 / sqrt(1 + p^2), sin(slope) = p / sqrt(1 + p^2), and
    # p cos(azimuth - aspect) = -(sin(azimuth) dz/dx + cos(azimuth) dz/dy).
    toward = z_factor * (np.sin(azimuth) * dzdx + np.cos(azimuth) * dzdy)
    steepness = np.sqrt(1.0 + z_factor**2 * (dzdx * dzdx + dzdy * dzdy))
    shade = (np.cos(zenith) - np.sin(zenith) * toward) / steepness
    return np.clip(shade, 0.0, 1.0)


def classify_slope(slope_deg: np.ndarray, *, classes: tuple[SlopeClass, ...] = SLOPE_CLASSES) -> np.ndarray:
    """Slope class code of each cell.

    Parameters
    ----------
    slope_deg : ndarray
        Slope in degrees; NaN where unknown.
    classes : tuple of SlopeClass
        Contiguous classes in increasing order.

    Returns
    -------
    ndarray of uint8
        The class ``code``; 0 where the slope is NaN.

    Examples
    --------
    >>> classify_slope(np.array([0.5, 2.0, 7.9, 14.9, 45.0, np.nan])).tolist()
    [1, 2, 3, 4, 5, 0]
    """
    slope_deg = np.asarray(slope_deg, dtype="float64")
    codes = np.zeros(slope_deg.shape, dtype="uint8")
    for slope_class in classes:
        inside = (slope_deg >= slope_class.lower_deg) & (slope_deg < slope_class.upper_deg)
        codes[inside] = slope_class.code
    return codes
