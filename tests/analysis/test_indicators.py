"""Indicators on a tiny synthetic workspace whose answers are known by construction.

The town (UTM 43N, near 77 E 43.5 N), in metres:

- Gate, a 2 x 2 km district (400 ha) at x 660-662 km; Golden, the same at x 664-666 km;
- the city boundary x 659-666 km, y 4819-4823 km (2,800 ha);
- an SEZ x 665-667 km: half of it (200 ha) outside the city;
- a water protection zone of 50 ha (with a strip of 10 ha) inside Gate;
- a corridor along y = 4821 km from Almaty (just west of Gate) to Konaev (20 km east);
- one substation at Gate's centre; no water intake;
- 1,000 residents and 500 jobs in each district (population parameters of the test).
"""

from __future__ import annotations

import math
from dataclasses import replace
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, Point, box

from alatau_geo.analysis.indicator_model import BASES, GROUPS, INDICATOR_COLUMNS, NOT_COMPUTED
from alatau_geo.analysis.indicators import IndicatorOptions, indicator_table
from alatau_geo.analysis.indicators_access import weighted_quantile
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.population_params import PopulationParams

X0, Y0 = 660_000.0, 4_820_000.0
GATE = box(X0, Y0, X0 + 2000, Y0 + 2000)
GOLDEN = box(X0 + 4000, Y0, X0 + 6000, Y0 + 2000)
CITY = box(X0 - 1000, Y0 - 1000, X0 + 6000, Y0 + 3000)


def _layer(name: str, rows: list[dict], geometries: list) -> Layer:
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs=WORKING_CRS)
    return Layer(name, frame, Provenance(source="test", method="drawn by hand", quality="derived"))


def town() -> LayerSet:
    middle = Y0 + 1000
    return LayerSet([
        _layer("districts", [{"id": "gate", "name_en": "Gate District"},
                             {"id": "golden", "name_en": "Golden District"}], [GATE, GOLDEN]),
        _layer("city_boundary", [{"id": "test_city", "name_en": "Test city"}], [CITY]),
        _layer("sez", [{"id": "sez_test", "name_en": "Test SEZ"}], [box(X0 + 5000, Y0, X0 + 7000, Y0 + 2000)]),
        _layer("water_protection_zone", [{"id": "river_zone"}], [box(X0, Y0, X0 + 1000, Y0 + 500)]),
        _layer("water_protection_strip", [{"id": "river_strip"}], [box(X0, Y0, X0 + 1000, Y0 + 100)]),
        _layer("places", [{"id": "almaty", "name_en": "Almaty", "kind": "city"},
                          {"id": "konaev", "name_en": "Konaev", "kind": "city"}],
               [Point(X0 - 600, middle), Point(X0 + 26_000, middle)]),
        _layer("corridors", [{"id": "a3", "name_en": "A3", "kind": "highway"}],
               [LineString([(X0 - 800, middle), (X0 + 26_200, middle)])]),
        _layer("infrastructure", [{"id": "ss_1", "kind": "substation"}], [Point(X0 + 1000, middle)]),
        _layer("infrastructure_lines", [
            {"id": "road_1", "kind": "road", "works": "new"},
            {"id": "gas_1", "kind": "gas_pipeline", "works": "new"},
            {"id": "gas_old", "kind": "gas_pipeline", "works": "reconstruction"},
        ], [LineString([(X0, Y0 - 500), (X0 + 3000, Y0 - 500)]), LineString([(X0, Y0 - 700), (X0 + 2000, Y0 - 700)]),
            LineString([(X0, Y0 - 900), (X0 + 1000, Y0 - 900)])]),
        _layer("projects", [{"id": "inside"}, {"id": "outside"}], [Point(X0 + 500, Y0 + 500), Point(X0 + 9000, Y0)]),
    ])


def flat_dem(*, steep_golden_half: bool = False) -> Raster:
    """100 m cells over the town; flat, or with a 45 degree ramp over the eastern half of Golden."""
    transform = Affine(100.0, 0.0, X0 - 2000, 0.0, -100.0, Y0 + 4000)
    data = np.full((60, 100), 500.0, dtype=np.float32)
    if steep_golden_half:
        columns = np.arange(100)
        x = X0 - 2000 + (columns + 0.5) * 100.0
        ramp = np.clip(x - (X0 + 5000), 0, None)  # 1 m up per m east of x = 665 km
        data += ramp[None, :].astype(np.float32)
    return Raster(data=data, transform=transform, crs=WORKING_CRS)


PARAMS = PopulationParams.from_mapping({
    "city_residents": 2000, "city_jobs": 1000,
    "targets": {"gate": {"residents": 1000, "jobs": 500}, "golden": {"residents": 1000, "jobs": 500},
                "city_rest": {"residents_weight": 0.0, "jobs_weight": 0.0}},
    "phases": {"city": {"2030": 0.5, "2050": 1.0}, "gate": {"2030": 0.4, "2050": 1.0}},
})


@pytest.fixture(scope="module")
def plan():
    base = load_plan()
    return replace(base, service_radii_m=MappingProxyType({"substation": 2000.0, "water_intake": 5000.0}))


@pytest.fixture(scope="module")
def table(plan):
    result = indicator_table(town(), plan, elevation=flat_dem(), options=IndicatorOptions(population=PARAMS))
    return result.set_index("id")


def value(table, indicator):
    return float(table.loc[indicator, "value"])


def test_every_row_is_documented(table):
    frame = table.reset_index()
    assert list(frame.columns) == list(INDICATOR_COLUMNS)
    assert frame["id"].is_unique
    assert set(frame["group"]) == set(GROUPS)
    assert set(frame["basis"]) <= set(BASES)
    assert (frame["unit"].str.len() > 0).all() and (frame["definition"].str.len() > 20).all()


def test_areas_buildable_land_sez_and_hazard_bands(table):
    assert value(table, "area_ha.gate") == pytest.approx(400.0, rel=2e-3)
    assert value(table, "area_ha.test_city") == pytest.approx(2800.0, rel=2e-3)
    # Flat land: buildable is the area less the 50 ha water protection zone.
    assert value(table, "buildable_ha.gate") == pytest.approx(350.0, rel=2e-3)
    assert value(table, "buildable_ha.golden") == pytest.approx(400.0, rel=2e-3)
    assert value(table, "sez_ha.sez_test") == pytest.approx(400.0, rel=2e-3)
    assert value(table, "sez_outside_city_ha.all") == pytest.approx(200.0, rel=2e-3)
    assert value(table, "hazard_ha.water_protection_zone.gate") == pytest.approx(50.0, rel=2e-3)
    assert value(table, "hazard_ha.water_protection_strip.gate") == pytest.approx(10.0, rel=2e-3)
    assert value(table, "hazard_ha.water_protection_zone.golden") == 0.0


def test_steep_land_is_not_buildable(plan):
    steep = indicator_table(town(), plan, elevation=flat_dem(steep_golden_half=True),
                            options=IndicatorOptions(population=PARAMS)).set_index("id")
    # The eastern half of Golden (200 ha) is a 45 degree ramp; the edge cells are within one 100 m column.
    assert value(steep, "buildable_ha.golden") == pytest.approx(200.0, abs=20.0)
    assert value(steep, "buildable_ha.gate") == pytest.approx(350.0, rel=2e-3)


def test_residents_and_jobs_follow_the_targets_and_phases(table):
    assert value(table, "residents.gate.2050") == 1000
    assert value(table, "residents.gate.2030") == 400  # Gate's own phase share
    assert value(table, "residents.golden.2030") == 500  # the city's
    assert value(table, "jobs.golden.2050") == 500
    assert value(table, "residents.city.2050") == 2000
    assert value(table, "residents_shortfall.gate") == 0
    assert table.loc["residents.gate.2050", "basis"] == "target"


def test_residents_served_by_radius_and_by_travel_time(table):
    # Every Gate cell is within 2 km of the substation at its centre (farthest 1.34 km), no Golden cell is (3 km+).
    assert value(table, "served_pct.substation.radius") == pytest.approx(50.0)
    assert value(table, "served_pct.substation.30min") == pytest.approx(100.0)
    shares = [value(table, f"served_pct.substation.{m}min") for m in (10, 20, 30)]
    assert shares == sorted(shares)
    # No water intake is planned: nobody is served.
    assert value(table, "served_pct.water_intake.radius") == 0.0
    assert value(table, "served_pct.water_intake.30min") == 0.0


def test_travel_times_jobs_within_reach_and_2sfca(table):
    to_almaty = value(table, "travel_min.almaty.median")
    to_konaev = value(table, "travel_min.konaev.median")
    # Almaty is beside Gate, Konaev 20 km east of Golden: at most 90 km/h on the corridor.
    assert 0 < to_almaty < to_konaev
    assert to_konaev > 20_000 / (90 / 3.6) / 60
    assert value(table, "travel_min.almaty.p90") >= to_almaty
    assert value(table, "travel_min.jobs.p90") >= value(table, "travel_min.jobs.median") > 0
    # Within 45 minutes everyone reaches all 1,000 jobs; 2SFCA is then jobs / residents for all.
    assert value(table, "jobs_within.45min") == pytest.approx(1000.0)
    assert value(table, "access_2sfca.median") == pytest.approx(0.5)
    assert value(table, "access_2sfca.p10") == pytest.approx(0.5)


def test_networks_facilities_and_projects(table):
    assert value(table, "new_length_km.road") == pytest.approx(3.0)
    assert value(table, "new_length_km.gas_pipeline") == pytest.approx(2.0)  # the reconstructed one is not new
    assert value(table, "facilities_planned.substation") == 1
    assert value(table, "facilities_planned.water_intake") == 0
    assert value(table, "projects.all") == 2
    assert value(table, "projects.outside_city") == 1


def test_facilities_needed_come_from_the_sizing_of_the_demand(table):
    from alatau_geo.analysis.demand import DEFAULT_PARAMS as RATES
    from alatau_geo.analysis.sizing import DEFAULT_PARAMS as SIZES

    # 2,000 residents and 1,000 jobs: a fraction of one substation's firm capacity, so one is needed and
    # the planned one is enough; one water intake is needed and none is planned.
    load_mw = (2000 * RATES.electricity_kw_per_resident + 1000 * RATES.electricity_kw_per_job) / 1000
    assert load_mw < SIZES.facilities["substation"].capacity
    assert value(table, "facilities_needed.substation") == 1
    assert value(table, "facilities_short.substation") == 0
    assert value(table, "facilities_needed.water_intake") == 1
    assert value(table, "facilities_short.water_intake") == 1
    schools = math.ceil(2000 / 1000 * RATES.school_places_per_1000 / SIZES.facilities["school"].capacity)
    assert value(table, "facilities_needed.school") == schools
    assert not table["definition"].str.startswith(NOT_COMPUTED).any()


def test_weighted_quantile_weighs_and_keeps_unreached():
    values = np.array([5.0, 10.0, np.inf])
    assert weighted_quantile(values, np.array([3.0, 1.0, 0.0]), 0.5) == 5.0
    assert weighted_quantile(values, np.array([1.0, 1.0, 1.0]), 0.9) == np.inf
    assert math.isnan(weighted_quantile(values, np.zeros(3), 0.5))
