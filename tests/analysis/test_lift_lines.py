"""Lift-line profiles on synthetic ramps and ridges with known length, drop and steepness."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point

from alatau_geo.analysis import lift_lines as ll
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import DemError, PlanError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import LiftLineParams

CELL = 30.0
X0, Y0 = 660_000.0, 4_800_000.0


def raster(data: np.ndarray) -> Raster:
    return Raster(data.astype(np.float32), Affine(CELL, 0, X0, 0, -CELL, Y0), WORKING_CRS)


def centre_x(col: float) -> float:
    return X0 + (col + 0.5) * CELL


def centre_y(row: float) -> float:
    return Y0 - (row + 0.5) * CELL


def ramp(gradient: float = 0.25, cols: int = 120) -> Raster:
    """1500 m + `gradient` per metre eastwards: 25 % by default."""
    _, c = np.mgrid[0:40, 0:cols]
    return raster(1500.0 + gradient * (X0 + (c + 0.5) * CELL - X0))


def stations(**points: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": list(points)}, geometry=[Point(xy) for xy in points.values()], crs=WORKING_CRS)


def test_profile_along_a_25_percent_ramp_has_known_length_drop_and_steepness():
    dem = ramp()
    base, top = (centre_x(10), centre_y(20)), (centre_x(110), centre_y(20))  # 3,000 m apart
    lines, profiles = ll.lift_lines(dem, stations(base=base, top=top),
                                    LiftLineParams(pairs=(("base", "top"),), sample_spacing_m=30))
    line = lines.iloc[0]
    assert line["id"] == "base-top"
    assert line["horizontal_length_m"] == pytest.approx(3000.0)
    assert line["vertical_drop_m"] == pytest.approx(750.0, abs=0.01)
    assert line["start_elevation_m"] == pytest.approx(1500.0 + 0.25 * 315.0, abs=0.01)
    assert line["chord_length_m"] == pytest.approx(math.hypot(3000.0, 750.0), abs=0.01)
    assert line["mean_gradient_pct"] == pytest.approx(25.0)
    assert line["steepest_section_deg"] == pytest.approx(math.degrees(math.atan(0.25)), abs=1e-3)
    assert not line["crosses_ridge"]
    assert line["samples"] == 101
    profile = profiles[profiles["line_id"] == "base-top"]
    steps = np.diff(profile["distance_m"].to_numpy())
    assert steps.max() <= 30.0 + 1e-9 and len(profile) == 101
    assert lines.crs == WORKING_CRS and line.geometry.length == pytest.approx(3000.0)


def test_a_line_over_a_ridge_reports_how_far_it_rises_above_the_upper_station():
    _, c = np.mgrid[0:40, 0:121]
    ridge = 2000.0 + 600.0 - np.abs(c - 60) * 10.0  # peak of 2,600 m at column 60, 10 m per 30 m cell
    dem = raster(ridge)
    a, b = (centre_x(20), centre_y(20)), (centre_x(100), centre_y(20))
    lines, _ = ll.lift_lines(dem, stations(west=a, east=b), LiftLineParams(pairs=(("west", "east"),)))
    line = lines.iloc[0]
    assert line["vertical_drop_m"] == pytest.approx(0.0, abs=1e-6)
    assert line["highest_m"] == pytest.approx(2600.0, abs=0.01)
    assert line["ridge_above_upper_station_m"] == pytest.approx(400.0, abs=0.01)
    assert line["crosses_ridge"]
    # 10 m per 30 m is 18.4 deg on either flank.
    assert line["steepest_section_deg"] == pytest.approx(math.degrees(math.atan(1 / 3)), abs=1e-3)


def test_unknown_station_and_a_line_off_the_dem_are_one_line_errors():
    dem = ramp()
    inside = (centre_x(10), centre_y(10))
    with pytest.raises(PlanError, match=r"'mountain.lifts.pairs' names unknown station 'nowhere'"):
        ll.lift_lines(dem, stations(a=inside), LiftLineParams(pairs=(("a", "nowhere"),)))
    with pytest.raises(DemError, match="lift line a-far: leaves the DEM"):
        ll.lift_lines(dem, stations(a=inside, far=(X0 + 10_000.0, centre_y(10))),
                      LiftLineParams(pairs=(("a", "far"),)))
