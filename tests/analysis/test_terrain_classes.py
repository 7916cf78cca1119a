"""Terrain classes on synthetic cones and ramps whose slope and aspect are known by construction."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from alatau_geo.analysis import terrain_classes as tc
from alatau_geo.analysis.mountain import classify_terrain
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import CRSError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import SkiTerrainParams
from alatau_geo.reference.terrain import slope

CELL = 30.0
N = 101


def raster(data: np.ndarray) -> Raster:
    """30 m cells in UTM 43N with the north-west corner at (660000, 4800000)."""
    return Raster(data.astype(np.float32), Affine(CELL, 0, 660_000, 0, -CELL, 4_800_000), WORKING_CRS)


def ramp(*, gradient: float, rising: str) -> Raster:
    """A plane rising towards `rising` ('east' or 'south') by `gradient` metres per metre."""
    rows, cols = np.mgrid[0:N, 0:N]
    steps = cols if rising == "east" else rows
    return raster(1000.0 + gradient * CELL * steps)


def cone(*, gradient: float) -> Raster:
    """A cone whose apex is the centre cell, falling by `gradient` metres per metre in every direction."""
    rows, cols = np.mgrid[0:N, 0:N]
    distance = np.hypot(rows - N // 2, cols - N // 2) * CELL
    return raster(3000.0 - gradient * distance)


def interior(values: np.ndarray) -> np.ndarray:
    return values[2:-2, 2:-2]


@pytest.mark.parametrize(("rising", "faces", "sector"), [("east", 270.0, "W"), ("south", 0.0, "N")])
def test_a_ramp_faces_away_from_where_it_rises(rising, faces, sector):
    dem = ramp(gradient=0.25, rising=rising)
    aspect = tc.aspect(dem)
    assert np.allclose(interior(aspect.data) % 360.0, faces)
    codes = tc.aspect_classes(aspect, slope(dem), flat_below_deg=3.5)
    assert set(np.unique(interior(codes.data))) == {float(tc.ASPECT_CLASSES.index(sector))}


def test_a_ramp_of_25_percent_is_the_top_of_the_beginner_class():
    # 25 % is 14.04 deg: just above the 14 deg beginner limit, so intermediate.
    dem = ramp(gradient=0.25, rising="east")
    slopes = slope(dem)
    assert np.allclose(interior(slopes.data), np.degrees(np.arctan(0.25)), atol=1e-4)
    classes = tc.slope_classes(slopes, breaks_deg=(3.5, 14, 22, 30, 45))
    assert set(np.unique(interior(classes.data))) == {float(tc.SLOPE_CLASSES.index("intermediate"))}
    gentle = tc.slope_classes(slope(ramp(gradient=0.20, rising="east")), breaks_deg=(3.5, 14, 22, 30, 45))
    assert set(np.unique(interior(gentle.data))) == {float(tc.SLOPE_CLASSES.index("beginner"))}


def test_cone_aspects_point_away_from_the_apex_and_split_evenly():
    dem = cone(gradient=0.7)  # 35 deg: expert skiers only, avalanche-prone
    aspect = tc.aspect(dem)
    centre = N // 2
    assert aspect.data[centre - 20, centre] == pytest.approx(0.0, abs=1e-6)    # north of the apex faces north
    assert aspect.data[centre, centre + 20] == pytest.approx(90.0, abs=1e-6)   # east of it faces east
    assert aspect.data[centre + 20, centre - 20] == pytest.approx(225.0, abs=1e-6)
    codes = tc.aspect_classes(aspect, slope(dem), flat_below_deg=3.5)
    table = tc.class_area_table(codes, dict(enumerate(tc.ASPECT_CLASSES)), layer="aspect_class")
    sectors = table.set_index("class").loc[list(tc.ASPECT_CLASSES[1:]), "area_ha"]
    # The grid is symmetric under quarter turns, so opposite and perpendicular sectors are equal.
    assert sectors["N"] == sectors["E"] == sectors["S"] == sectors["W"]
    assert sectors["NE"] == sectors["SE"] == sectors["SW"] == sectors["NW"]
    assert sectors.sum() == pytest.approx(N * N * CELL * CELL / 10_000 - table.set_index("class").at["flat", "area_ha"])


def test_classify_terrain_gives_hectares_for_every_class_and_polygons_that_agree():
    dem = cone(gradient=0.7)
    params = SkiTerrainParams(elevation_band_m=500)
    result = classify_terrain(dem, params)
    total_ha = (N - 2) * (N - 2) * CELL * CELL / 10_000  # the outer ring of cells has no gradient
    by_layer = result.table.groupby("layer")["area_ha"].sum()
    assert np.allclose(by_layer.to_numpy(), total_ha)
    slopes = result.table[result.table["layer"] == "slope_class"].set_index("class")["area_ha"]
    # Away from the apex and the edges every cell is 35 deg: extreme and avalanche-prone.
    assert slopes["extreme"] > 0.95 * total_ha
    flags = result.table.set_index(["layer", "class"])["area_ha"]
    assert flags[("avalanche_prone", "yes")] == pytest.approx(slopes["extreme"])
    # North-west to north-east is a quarter of the compass (the flat apex excepted).
    assert flags[("snow_holding", "yes")] == pytest.approx(total_ha / 4, rel=0.03)
    polygons = result.polygons.set_index("id")
    assert polygons.at["slope_class:extreme", "area_ha"] == pytest.approx(slopes["extreme"], rel=1e-3)
    assert polygons.at["avalanche_prone:yes", "area_ha"] == pytest.approx(flags[("avalanche_prone", "yes")],
                                                                          rel=1e-3)
    assert result.polygons.crs == WORKING_CRS and result.polygons.geometry.is_valid.all()
    assert set(result.table["basis"]) == {"derived"}
    bands = result.table[result.table["layer"] == "elevation_band"]["class"].tolist()
    assert bands[0] == "1500-2000 m" and bands[-1] == "3000-3500 m"


def test_value_on_a_break_belongs_to_the_class_above():
    assert tc.classify(np.array([13.99, 14.0, 22.0, 45.0]), (3.5, 14, 22, 30, 45)).tolist() == [1, 2, 3, 5]


def test_north_sector_wraps_around_zero():
    assert tc.in_sector(np.array([315.0, 0.0, 45.0, 46.0, 180.0]), 315, 45).tolist() == [True, True, True, False,
                                                                                          False]


def test_aspect_refuses_a_geographic_raster():
    geographic = Raster(np.zeros((3, 3), dtype=np.float32), Affine(1 / 1200, 0, 77, 0, -1 / 1200, 43), EXPORT_CRS)
    with pytest.raises(CRSError, match="projected raster"):
        tc.aspect(geographic)
