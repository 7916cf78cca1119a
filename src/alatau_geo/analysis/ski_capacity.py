"""Capacity check of the mountain cluster: run length the terrain allows, visitors the lifts carry.

Two rules of thumb, each beside the published figure it checks (seed 004:
ski runs beyond 250 km; 62 lifts; up to 40,000 visitors a day):

- **Run length.** Terrain of skiable slope and elevation, in patches big
  enough for a run, is packed with parallel runs of width *w* separated by
  strips of width *s*; a usable fraction *f* allows for lift access, forest,
  protected land and avalanche run-outs. Runs follow the fall line, so a
  cell's surface area (plan area / cos(slope)) is what they cover::

      run length = f * surface area / (w + s)

- **Visitors per day.** Each lift moves *c* persons per hour at design
  capacity for *h* hours, at a mean load factor *u*; a visitor rides *r*
  times a day::

      visitors per day = lifts * c * h * u / r

Every input is a plan parameter with its basis
(:class:`~alatau_geo.plan.mountain_params.CapacityParams`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from alatau_geo.analysis.terrain_classes import cell_area_ha
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import CapacityParams

PUBLISHED_SOURCE = "seed 004 (BAQ.KZ, 2026-01-29): Almaty mountain cluster feasibility study"


@dataclass(frozen=True)
class SuitableTerrain:
    """Terrain that can carry ski runs.

    Attributes
    ----------
    mask : numpy.ndarray of bool
        Suitable cells on the DEM grid.
    plan_area_ha : float
        Horizontal (map) area of the suitable cells, hectares.
    surface_area_ha : float
        Their area along the ground (plan area / cos(slope)), hectares.
    patches : int
        Number of patches kept (8-connected, at least the minimum size).
    """

    mask: np.ndarray
    plan_area_ha: float
    surface_area_ha: float
    patches: int


def suitable_terrain(dem: Raster, slope_deg: Raster, *, slope_range_deg: tuple[float, float],
                     elevation_range_m: tuple[float, float], min_patch_ha: float) -> SuitableTerrain:
    """Cells whose slope and elevation suit ski runs, in patches of at least `min_patch_ha`.

    Parameters
    ----------
    dem, slope_deg : Raster
        Elevation (m) and slope (degrees) on the same projected grid.
    slope_range_deg : (low, high)
        Suitable slopes, degrees, ``low <= slope < high``.
    elevation_range_m : (low, high)
        Suitable elevations, metres, inclusive.
    min_patch_ha : float
        Smaller 8-connected patches are dropped, hectares.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import WORKING_CRS
    >>> grid = Affine(100, 0, 0, 0, -100, 1000)
    >>> dem = Raster(np.full((10, 10), 2000.0), grid, WORKING_CRS)
    >>> slope = Raster(np.full((10, 10), 10.0), grid, WORKING_CRS)
    >>> found = suitable_terrain(dem, slope, slope_range_deg=(3.5, 30), elevation_range_m=(1600, 3500), min_patch_ha=5)
    >>> round(found.plan_area_ha), round(found.surface_area_ha, 1), found.patches
    (100, 101.5, 1)
    """
    s = slope_deg.data
    z = dem.data
    with np.errstate(invalid="ignore"):
        mask = (s >= slope_range_deg[0]) & (s < slope_range_deg[1]) & \
               (z >= elevation_range_m[0]) & (z <= elevation_range_m[1])
    per_cell = cell_area_ha(dem)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1) * per_cell
    keep = sizes >= min_patch_ha
    keep[0] = False
    mask = keep[labels]
    secant = 1.0 / np.cos(np.radians(np.where(mask, s, 0.0)))
    return SuitableTerrain(
        mask=mask,
        plan_area_ha=float(mask.sum() * per_cell),
        surface_area_ha=float((secant * mask).sum() * per_cell),
        patches=int(keep.sum()),
    )


def run_length_km(surface_area_ha: float, *, run_width_m: float, run_spacing_m: float,
                  usable_fraction: float) -> float:
    """Length of parallel runs that fit on a surface, km.

    Examples
    --------
    >>> run_length_km(100.0, run_width_m=40, run_spacing_m=60, usable_fraction=1.0)
    10.0
    """
    return surface_area_ha * 10_000.0 * usable_fraction / (run_width_m + run_spacing_m) / 1000.0


def visitors_per_day(lifts: float, *, lift_capacity_pph: float, operating_hours: float, load_factor: float,
                     rides_per_visitor: float) -> float:
    """Visitors a day that `lifts` lifts carry.

    Examples
    --------
    >>> visitors_per_day(62, lift_capacity_pph=1000, operating_hours=8, load_factor=0.5, rides_per_visitor=10)
    24800.0
    """
    return lifts * lift_capacity_pph * operating_hours * load_factor / rides_per_visitor


def capacity_check(suitable: SuitableTerrain, params: CapacityParams) -> pd.DataFrame:
    """The capacity check as a tidy table for the report.

    Returns
    -------
    DataFrame
        Columns ``quantity``, ``value``, ``unit``, ``basis`` (published /
        derived / assumed) and ``source``; derived figures sit beside the
        published ones they check, followed by the assumptions.
    """
    p = params
    run_km = run_length_km(suitable.surface_area_ha, run_width_m=p.run_width_m, run_spacing_m=p.run_spacing_m,
                           usable_fraction=p.usable_fraction)
    visitors = visitors_per_day(p.published_lifts, lift_capacity_pph=p.lift_capacity_pph,
                                operating_hours=p.operating_hours, load_factor=p.load_factor,
                                rides_per_visitor=p.rides_per_visitor)
    lifts_needed = p.published_visitors_per_day / visitors_per_day(
        1, lift_capacity_pph=p.lift_capacity_pph, operating_hours=p.operating_hours, load_factor=p.load_factor,
        rides_per_visitor=p.rides_per_visitor)
    dem = "NASA SRTM3 in the study window; slope and elevation limits below"
    rule = "assumed rule of thumb (plan parameter mountain.capacity)"
    rows = [
        ("suitable terrain, map area", suitable.plan_area_ha, "ha", "derived", dem),
        ("suitable terrain, surface area", suitable.surface_area_ha, "ha", "derived", dem),
        ("suitable terrain patches", float(suitable.patches), "count", "derived", dem),
        ("run length the terrain allows", run_km, "km", "derived", "f * surface area / (w + s)"),
        ("ski runs, published", p.published_run_km, "km", "published", PUBLISHED_SOURCE),
        ("allowed / published run length", run_km / p.published_run_km, "ratio", "derived", ""),
        ("lifts, published", p.published_lifts, "count", "published", PUBLISHED_SOURCE),
        ("visitors per day the lifts carry", visitors, "visitors/day", "derived", "lifts * c * h * u / r"),
        ("visitors per day, published", p.published_visitors_per_day, "visitors/day", "published",
         PUBLISHED_SOURCE),
        ("lifts needed for the published visitors", lifts_needed, "count", "derived", "visitors * r / (c * h * u)"),
        ("gentlest run slope", p.run_slope_deg[0], "deg", "assumed", rule),
        ("steepest run slope", p.run_slope_deg[1], "deg", "assumed", rule),
        ("lowest run elevation", p.run_elevation_m[0], "m", "assumed", rule),
        ("highest run elevation", p.run_elevation_m[1], "m", "assumed", rule),
        ("smallest patch for a run", p.min_patch_ha, "ha", "assumed", rule),
        ("run width w", p.run_width_m, "m", "assumed", rule),
        ("spacing between runs s", p.run_spacing_m, "m", "assumed", rule),
        ("usable fraction f", p.usable_fraction, "share", "assumed", rule),
        ("lift capacity c", p.lift_capacity_pph, "persons/h", "assumed",
         "between a double chair (~1,200) and a detachable quad (~2,400)"),
        ("operating hours h", p.operating_hours, "h/day", "assumed", rule),
        ("load factor u", p.load_factor, "share", "assumed", rule),
        ("rides per visitor r", p.rides_per_visitor, "rides/day", "assumed", rule),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "unit", "basis", "source"])
