"""Candidate lift lines between stations: straight lines with their elevation profiles.

A ropeway runs straight in plan between its stations, so each candidate is the
straight line from one station to another on the UTM 43N grid. Its profile is
the DEM sampled at even steps along the line (bilinear interpolation), from
which come the horizontal length, the vertical drop, the steepest section and
whether the line crosses a ridge higher than its upper station (then it needs
an intermediate station or another route). Figures are derived from the DEM;
on SRTM3 (~90 m cells) short steep pitches are smoothed out.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from alatau_geo.core.errors import DemError, PlanError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import LiftLineParams
from alatau_geo.reference.terrain import sample

PROFILE_COLUMNS = ("line_id", "distance_m", "x", "y", "elevation_m")


def elevation_profile(dem: Raster, start: tuple[float, float], end: tuple[float, float], *,
                      spacing_m: float) -> pd.DataFrame:
    """The DEM along the straight line from `start` to `end`, sampled every `spacing_m` or less.

    The line is cut into the fewest equal steps no longer than `spacing_m`, so
    both ends are sampled exactly.

    Parameters
    ----------
    dem : Raster
        Elevation in metres on a projected grid.
    start, end : (x, y)
        Station positions in the DEM's CRS, metres.
    spacing_m : float
        Largest horizontal step between samples, metres.

    Returns
    -------
    DataFrame
        ``distance_m`` (horizontal, from `start`), ``x``, ``y``, ``elevation_m`` (NaN off the DEM).

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import WORKING_CRS
    >>> ramp = Raster(np.tile(np.arange(10.0) * 10, (10, 1)), Affine(10, 0, 0, 0, -10, 100), WORKING_CRS)
    >>> profile = elevation_profile(ramp, (5, 50), (95, 50), spacing_m=30)
    >>> profile["distance_m"].tolist(), profile["elevation_m"].round(1).tolist()
    ([0.0, 30.0, 60.0, 90.0], [0.0, 30.0, 60.0, 90.0])
    """
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0)
    steps = max(1, math.ceil(length / spacing_m - 1e-9))
    fraction = np.linspace(0.0, 1.0, steps + 1)
    xs = x0 + fraction * (x1 - x0)
    ys = y0 + fraction * (y1 - y0)
    return pd.DataFrame({
        "distance_m": fraction * length,
        "x": xs,
        "y": ys,
        "elevation_m": sample(dem, xs, ys),
    })


def profile_summary(profile: pd.DataFrame, *, steepest_section_m: float, ridge_tolerance_m: float) -> dict[str, float]:
    """Length, drop, steepest section and ridge crossing of an elevation profile.

    Parameters
    ----------
    profile : DataFrame
        From :func:`elevation_profile` (no NaN).
    steepest_section_m : float
        Horizontal length over which the steepest section is measured, metres.
    ridge_tolerance_m : float
        The line crosses a ridge when the profile rises more than this above its higher end, metres.

    Returns
    -------
    dict
        ``horizontal_length_m``, ``start_elevation_m``, ``end_elevation_m``,
        ``vertical_drop_m`` (higher minus lower end), ``chord_length_m``
        (straight station-to-station distance in 3-D), ``mean_gradient_pct``,
        ``steepest_section_deg``, ``steepest_section_from_m`` (where that
        section starts), ``highest_m``, ``lowest_m``, ``ridge_above_upper_station_m``,
        ``crosses_ridge`` (1.0 or 0.0).

    Examples
    --------
    >>> profile = pd.DataFrame({"distance_m": [0.0, 100.0, 200.0], "elevation_m": [1000.0, 1100.0, 1150.0]})
    >>> s = profile_summary(profile, steepest_section_m=100, ridge_tolerance_m=30)
    >>> s["vertical_drop_m"], s["steepest_section_deg"], s["steepest_section_from_m"]
    (150.0, 45.0, 0.0)
    """
    distance = profile["distance_m"].to_numpy(dtype=float)
    z = profile["elevation_m"].to_numpy(dtype=float)
    step = distance[1] - distance[0]
    k = min(max(1, round(steepest_section_m / step)), len(z) - 1)
    rise = np.abs(z[k:] - z[:-k]) / (distance[k:] - distance[:-k])
    steepest = int(np.argmax(rise))
    length = float(distance[-1])
    drop = float(abs(z[-1] - z[0]))
    ridge = float(z.max() - max(z[0], z[-1]))
    return {
        "horizontal_length_m": length,
        "start_elevation_m": float(z[0]),
        "end_elevation_m": float(z[-1]),
        "vertical_drop_m": drop,
        "chord_length_m": math.hypot(length, drop),
        "mean_gradient_pct": 100.0 * drop / length if length else 0.0,
        "steepest_section_deg": float(np.degrees(np.arctan(rise[steepest]))),
        "steepest_section_from_m": float(distance[steepest]),
        "highest_m": float(z.max()),
        "lowest_m": float(z.min()),
        "ridge_above_upper_station_m": ridge,
        "crosses_ridge": float(ridge > ridge_tolerance_m),
    }


def lift_lines(dem: Raster, stations: gpd.GeoDataFrame, params: LiftLineParams) -> tuple[gpd.GeoDataFrame,
                                                                                           pd.DataFrame]:
    """Candidate lift lines between station pairs, with their profiles.

    Parameters
    ----------
    dem : Raster
        Elevation in metres on the UTM 43N grid.
    stations : GeoDataFrame
        Points with an ``id`` column, in the DEM's CRS.
    params : LiftLineParams

    Returns
    -------
    lines : GeoDataFrame
        One straight line per pair, id ``"<from>-<to>"``, with the
        :func:`profile_summary` attributes (``crosses_ridge`` as bool),
        ``basis`` (``derived``) and the DEM's CRS.
    profiles : DataFrame
        Tidy profiles: :data:`PROFILE_COLUMNS`.

    Raises
    ------
    PlanError
        If a pair names a station not in `stations`.
    DemError
        If a line leaves the DEM.
    """
    by_id = stations.set_index("id").geometry
    rows, profiles = [], []
    for first, second in params.pairs:
        missing = [i for i in (first, second) if i not in by_id.index]
        if missing:
            raise PlanError(f"'mountain.lifts.pairs' names unknown station {missing[0]!r} "
                            f"(known: {', '.join(sorted(by_id.index))})")
        line_id = f"{first}-{second}"
        a, b = by_id[first], by_id[second]
        profile = elevation_profile(dem, (a.x, a.y), (b.x, b.y), spacing_m=params.sample_spacing_m)
        if profile["elevation_m"].isna().any():
            raise DemError(f"lift line {line_id}: leaves the DEM window; widen mountain.terrain.window_buffer_m")
        summary = profile_summary(profile, steepest_section_m=params.steepest_section_m,
                                  ridge_tolerance_m=params.ridge_tolerance_m)
        rows.append({"id": line_id, "from_id": first, "to_id": second, **summary,
                     "samples": len(profile), "geometry": LineString([(a.x, a.y), (b.x, b.y)])})
        profiles.append(profile.assign(line_id=line_id))
    lines = gpd.GeoDataFrame(rows, geometry="geometry", crs=dem.crs)
    lines["crosses_ridge"] = lines["crosses_ridge"].astype(bool)
    lines["basis"] = "derived"
    lines["source"] = "straight line between table positions; NASA SRTM3 profile, bilinear"
    table = pd.concat(profiles, ignore_index=True)[list(PROFILE_COLUMNS)]
    return lines.sort_values("id").reset_index(drop=True), table.sort_values(["line_id", "distance_m"],
                                                                              ignore_index=True)
