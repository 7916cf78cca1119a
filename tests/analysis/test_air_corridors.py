"""Air corridors on a synthetic range: two V-shaped valleys run from mountains across a plain into a city."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point

from alatau_geo.analysis import air_corridors as ac
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import CorridorParams
from alatau_geo.reference.terrain import geographic_cell_areas_km2

STEP = 1 / 1200
N = 241                      # 0.2 deg square: 77.0-77.2 E, 43.2-43.4 N
VALLEYS = (70, 170)          # valley floor columns
WALL_M = 5.0                 # valley walls rise 5 m per column (~67 m): 4.3 deg


def synthetic_range() -> Raster:
    """Plain in the north half (1 m per row), mountains in the south half (15 m per row), two valleys."""
    rows, cols = np.mgrid[0:N, 0:N]
    base = 600.0 + np.minimum(rows, 120) * 1.0 + np.maximum(rows - 120, 0) * 15.0
    walls = WALL_M * np.minimum(np.abs(cols - VALLEYS[0]), np.abs(cols - VALLEYS[1]))
    transform = Affine(STEP, 0, 77.0 - STEP / 2, 0, -STEP, 43.4 + STEP / 2)
    return Raster((base + walls).astype(np.float32), transform, EXPORT_CRS)


def params(**changes) -> CorridorParams:
    values = dict(routing_bounds=(77.0, 43.2, 77.2, 43.4), city_bounds=(77.0, 43.35, 77.2, 43.4),
                  city_max_elevation_m=1700.0, published_city_area_km2=90.0, stream_threshold_km2=1.0,
                  mountain_elevation_m=1500.0, hand_max_m=15.0, half_width_m=250.0, min_length_in_city_m=1000.0,
                  steep_slope_deg=3.0, upper_city_elevation_m=640.0, resolution_m=50.0)
    return CorridorParams(**(values | changes))


@pytest.fixture(scope="module")
def dem() -> Raster:
    return synthetic_range()


@pytest.fixture(scope="module")
def city(dem) -> gpd.GeoDataFrame:
    return ac.city_extent(dem, params())


@pytest.fixture(scope="module")
def corridors(dem, city) -> ac.Corridors:
    west_river = gpd.GeoDataFrame({"river_id": ["west_river"], "name_en": ["West river"]},
                                  geometry=[Point(77.0 + VALLEYS[0] * STEP, 43.4 - 200 * STEP)], crs=EXPORT_CRS)
    return ac.air_corridors(dem, city, params(), river_points=west_river)


def test_city_extent_is_the_box_below_the_highest_elevation(dem, city):
    # The box holds rows 0-60 (43.35-43.40 N), all below 1,700 m.
    box_km2 = float(geographic_cell_areas_km2(dem)[:61].sum() * N)
    assert float(city["area_ha"].iloc[0]) == pytest.approx(box_km2 * 100, rel=0.002)
    assert city["quality"].iloc[0] == "approximate"
    assert city["difference_pct"].iloc[0] == pytest.approx(100 * (city["area_ha"].iloc[0] / 9000 - 1))
    cut = ac.city_extent(dem, params(city_max_elevation_m=650.0))
    assert float(cut["area_ha"].iloc[0]) < 0.9 * float(city["area_ha"].iloc[0])


def test_both_valleys_are_corridors_that_run_downhill_into_the_city(corridors):
    streams = corridors.streams.set_index("id")
    assert list(streams.index) == ["corridor_01", "corridor_02"]
    assert (streams["source_elevation_m"] > 1500).all()
    assert (streams["source_elevation_m"] > streams["city_entry_elevation_m"]).all()
    assert (streams["city_entry_elevation_m"] > streams["outlet_elevation_m"]).all()
    # Each leaves the grid at the city's north edge after about 60 rows (5.6 km) inside the city.
    assert streams["length_in_city_km"].to_numpy() == pytest.approx([60 * 0.0926] * 2, rel=0.02)
    xs = corridors.streams.to_crs(EXPORT_CRS).geometry.apply(lambda line: line.coords[-1][0])
    assert xs.to_numpy() == pytest.approx([77.0 + VALLEYS[0] * STEP, 77.0 + VALLEYS[1] * STEP], abs=2 * STEP)


def test_valley_floor_area_inside_the_city_matches_its_width_and_length(corridors):
    frame = corridors.frame.set_index("id")
    # Valley floor: HAND is the drop along the flow path, which runs diagonally down the wall to the
    # stream: 5 m per column plus 1 m per row. Two columns out that is 12 m (<= 15), three is 18 m:
    # the floor is 5 columns (~340 m) wide.
    width_m = 5 * STEP * 111_320 * np.cos(np.radians(43.375))
    expected_ha = width_m * 60 * STEP * 111_120 / 10_000
    assert frame["area_in_city_ha"].to_numpy() == pytest.approx([expected_ha] * 2, rel=0.15)
    assert (frame["area_ha"] > frame["area_in_city_ha"]).all()
    # Upper city: above 640 m. The valley line passes 640 m 40 rows into the city, the walls 5 and
    # 10 m higher 5 and 10 rows sooner: (20 + 2 * 25 + 2 * 30) / (5 * 60) of the floor lies above.
    share_upper = frame["area_in_city_upper_ha"] / frame["area_in_city_ha"]
    assert share_upper.to_numpy() == pytest.approx([130 / 300] * 2, abs=0.03)
    # The 4.3 deg walls are steep by the 3 deg rule; the valley line itself is not.
    share_steep = frame["area_in_city_steep_ha"] / frame["area_in_city_ha"]
    assert ((share_steep > 0.5) & (share_steep < 0.95)).all()
    assert frame.at["corridor_01", "name_en"] == "West river"
    assert frame.at["corridor_02", "name_en"] == "unnamed"
    assert corridors.frame.crs == WORKING_CRS and set(corridors.frame["basis"]) == {"derived"}


def test_meeting_places_and_summary_add_up(corridors):
    meets = corridors.meets
    assert set(meets["meets"]) <= {"steep", "upper", "steep and upper"}
    frame = corridors.frame.set_index("id")
    steep = meets[meets["meets"].isin(["steep", "steep and upper"])].groupby("corridor_id")["area_ha"].sum()
    assert steep.to_numpy() == pytest.approx(frame["area_in_city_steep_ha"].to_numpy(), rel=0.01)
    summary = corridors.summary.set_index("quantity")
    assert summary.at["corridor valley floor inside Almaty", "value"] == pytest.approx(
        frame["area_in_city_ha"].sum())
    assert summary.at["green space target", "value"] == 3800.0
    assert summary.at["green space target", "basis"] == "target"
    assert summary.at["Almaty extent used", "basis"] == "assumed"


def test_no_corridor_without_mountains_above_the_threshold(dem, city):
    # No cell reaches 3,000 m, so no river drains mountain land that high.
    none = ac.air_corridors(dem, city, params(mountain_elevation_m=3000.0))
    assert len(none.frame) == 0 and len(none.streams) == 0
    assert none.summary.set_index("quantity").at["corridor valley floor inside Almaty", "value"] == 0.0
    # A corridor must also run far enough inside the city.
    short = ac.air_corridors(dem, city, params(min_length_in_city_m=10_000.0))
    assert len(short.frame) == 0
