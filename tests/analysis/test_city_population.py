"""The population analysis on built layers: the suitability seam, seeds, allocation, layers and report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, box

from alatau_geo.analysis import city_population as cp
from alatau_geo.analysis import population_layers as pl
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.population_params import PopulationParams

X0, Y0 = 660_000.0, 4_810_000.0
LAYERS = Path(__file__).resolve().parents[2] / "layers"
NEEDED = ("districts", "city_boundary", "places", "projects", "reservoir", "water_protection_zone", "corridors")
VILLAGES = ("alatau", "otegen_batyr", "kenen_azirbayev", "koyankus", "yntymak", "zhanalyk")


def _layer(name: str, rows: list[dict]) -> Layer:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)
    return Layer(name, frame, Provenance(source="synthetic", method="hand-made"))


def _box(west: float, south: float, east: float, north: float):
    return box(X0 + west, Y0 + south, X0 + east, Y0 + north)


@pytest.fixture(scope="module")
def small_city() -> LayerSet:
    """Gate (0-2 km) and Golden (2-5 km) in a 6 x 4 km city; water in the north-east; six villages."""
    places = [{"id": place, "name_en": place, "kind": "village",
               "geometry": Point(X0 + 300 + 700 * i, Y0 + 600)} for i, place in enumerate(VILLAGES)]
    return LayerSet([
        _layer("districts", [{"id": "gate", "name_en": "Gate District", "geometry": _box(0, 0, 2000, 4000)},
                             {"id": "golden", "name_en": "Golden District", "geometry": _box(2000, 0, 5000, 4000)}]),
        _layer("city_boundary", [{"id": "alatau_city", "name_en": "Alatau city", "geometry": _box(0, 0, 6000, 4000)}]),
        _layer("reservoir", [{"id": "lake", "geometry": _box(4000, 3000, 6000, 4000)}]),
        _layer("water_protection_zone", [{"id": "lake_zone", "geometry": _box(4000, 2800, 6000, 3000)}]),
        _layer("places", places),
        _layer("projects", [{"id": "plant", "name_en": "Plant", "jobs": 400.0,
                             "geometry": Point(X0 + 3500, Y0 + 500)}]),
    ])


@pytest.fixture(scope="module")
def slope() -> Raster:
    """1 degree everywhere, 20 degrees on the strip 1,000-1,500 m east (inside Gate)."""
    data = np.ones((40, 60), dtype=np.float32)
    data[:, 10:15] = 20.0
    return Raster(data, Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 4000), WORKING_CRS)


@pytest.fixture(scope="module")
def plan():
    params = PopulationParams.from_mapping({
        "city_residents": 30_000, "city_jobs": 12_000,
        "targets": {"gate": {"residents": 10_000, "jobs": 5_000}},
        "current": {place: {"residents": 200} for place in VILLAGES},
    })
    return dataclasses.replace(load_plan(), population=params)


@pytest.fixture(scope="module")
def allocated(small_city, slope, plan) -> cp.CityPopulation:
    return cp.allocate_city(small_city, plan, slope=slope)


def test_the_suitability_seam_is_the_buildable_rule(small_city, slope, plan):
    grid = cp.city_grid(small_city)
    classes = cp.suitability_classes(small_city, slope, grid, plan=plan)
    assert grid.zone_ids == ("gate", "golden", "city_rest")
    assert set(np.unique(classes)) == {0, 3}
    xs, ys = grid.centres()
    inside = grid.zones >= 0
    steep = (xs > X0 + 1000) & (xs < X0 + 1500)
    wet = (xs > X0 + 4000) & (ys > Y0 + 2800)
    assert (classes[inside & (steep | wet)] == 0).all()
    assert (classes[inside & ~steep & ~wet] == 3).all()
    # 24 km2 of city less 2 km2 of steep land and 2.4 km2 of water and its zone: 1,960 buildable cells of 1 ha.
    assert int((classes == 3).sum()) == 1960


def test_the_suitability_classes_come_from_the_class_raster(small_city, slope, plan):
    # The suitability analysis's classes on a 100 m grid shifted by a quarter cell, one row short
    # in the south: each city cell takes the class at its centre; no class there is unsuitable.
    codes = np.full((39, 60), 3, dtype=np.uint8)
    codes[:, :20] = 1  # low in the west (Gate)
    codes[:, 20:30] = 0  # excluded by a hard constraint
    codes[:10, 50:] = 255  # no data
    raster = Raster(codes.astype(np.float32), Affine(100.0, 0.0, X0 + 25, 0.0, -100.0, Y0 + 4025), WORKING_CRS)
    grid = cp.city_grid(small_city)
    classes = cp.suitability_classes(small_city, slope, grid, plan=plan, suitability=raster)
    xs, ys = grid.centres()
    north = ys > Y0 + 100  # the southern row of the city lies off the raster
    assert (classes[~north] == 0).all()
    assert (classes[north & (xs < X0 + 2000)] == 1).all()
    assert (classes[north & (xs > X0 + 2000) & (xs < X0 + 3000)] == 0).all()
    assert (classes[(xs > X0 + 5000) & (ys > Y0 + 3000)] == 0).all()  # no data
    assert (classes[north & (xs > X0 + 3000) & (ys < Y0 + 3000)] == 3).all()
    # Nobody but today's villagers on unsuitable land; Golden's high land holds its 20,000.
    allocated = cp.allocate_city(small_city, plan, slope=slope, suitability=raster)
    assert allocated.residents(2050)[classes == 0].sum() <= allocated.resident_seeds[classes == 0].sum()
    assert allocated.result.residents[2050].table.loc["golden", ["allocated", "shortfall"]].tolist() == [20_000, 0]


def test_allocation_meets_the_targets_on_buildable_land(allocated):
    final = allocated.result.residents[2050].table
    assert final.loc["gate", ["allocated", "shortfall"]].tolist() == [10_000, 0]
    assert final.loc["golden", ["allocated", "shortfall"]].tolist() == [20_000, 0]
    residents = allocated.residents(2050)
    # Nobody on unsuitable land but today's villagers (seeds stay where they live).
    assert residents[allocated.classes == 0].sum() <= allocated.resident_seeds[allocated.classes == 0].sum()
    assert residents[allocated.grid.zones < 0].sum() == 0
    assert allocated.resident_seeds.sum() == 6 * 200
    # The project's 400 jobs are seeds of Golden's jobs.
    assert allocated.job_seeds.sum() == 400
    assert np.all(allocated.jobs(2050) >= allocated.job_seeds)
    for earlier, later in ((2030, 2040), (2040, 2050)):
        assert np.all(allocated.residents(later) >= allocated.residents(earlier))


def test_people_within_counts_cells_by_centre(allocated):
    gate_land = gpd.GeoSeries([_box(0, 0, 2000, 4000), _box(0, 0, 0.5, 0.5)], crs=WORKING_CRS)
    counted = cp.people_within(gate_land, allocated)
    assert counted["residents"].tolist() == [10_000, 0]
    assert counted.loc[0, "jobs"] == allocated.result.jobs[2050].table.loc["gate", "allocated"]


def test_a_seed_place_missing_from_the_places_names_the_entry(small_city, slope, plan):
    params = PopulationParams.from_mapping({"city_residents": 30_000, "city_jobs": 12_000,
                                            "targets": {"gate": {"residents": 10_000, "jobs": 5_000}},
                                            "current": {"nowhere": {"residents": 10}}})
    with pytest.raises(PlanError, match=r"'population.current.nowhere': no place with this id"):
        cp.allocate_city(small_city, dataclasses.replace(plan, population=params), slope=slope)


def test_population_layers_per_zone_phase_and_block(small_city, allocated):
    districts, blocks = pl.population_layers(allocated, small_city)
    frame = districts.frame.set_index("id")
    assert len(frame) == 9  # gate, golden, city_rest x 2030, 2040, 2050
    gate = frame.loc["gate_2050"]
    assert (gate["residents"], gate["jobs"], gate["ha"]) == (10_000, 5_000, 800.0)
    assert gate["residents_per_ha"] == pytest.approx(12.5)
    assert frame.loc["gate_2030", "residents"] == 4_000  # Gate reaches 40 % by 2030 (default phases)
    assert districts.provenance.quality == "approximate" and "suitability" in districts.provenance.method
    squares = blocks.frame
    for year in (2030, 2040, 2050):
        part = squares[squares["year"] == year]
        assert part["residents"].sum() == allocated.residents(year).sum()
        assert part["jobs"].sum() == allocated.jobs(year).sum()
    assert (squares.geometry.area == 1_000_000).all()


def test_report_names_a_shortfall_instead_of_scaling(small_city, slope, plan):
    params = PopulationParams.from_mapping({"city_residents": 300_000, "city_jobs": 12_000,
                                            "targets": {"gate": {"residents": 200_000, "jobs": 5_000}},
                                            "current": {place: {"residents": 200} for place in VILLAGES}})
    short = cp.allocate_city(small_city, dataclasses.replace(plan, population=params), slope=slope)
    report = pl.population_report(short, small_city).set_index(["zone", "year"])
    gate = report.loc[("gate", 2050)]
    # Gate is filled to what its land holds (plus today's villagers on unsuitable land), the rest named.
    assert gate["residents_capacity"] <= gate["residents"] < 200_000
    assert gate["residents"] + gate["residents_shortfall"] == 200_000
    assert gate["status"] == f"short of {gate['residents_shortfall']:,} residents"
    assert gate["ha_spare"] < 0  # hectares short, too


@pytest.fixture(scope="module")
def default_city():
    from alatau_geo.core.io import read_layer, read_raster
    from alatau_geo.reference import terrain

    # Only the layers the analysis reads (the whole folder takes seconds to read).
    layers = LayerSet(read_layer(LAYERS / f"{name}.geojson") for name in NEEDED)
    plan = load_plan()
    # On the suitability classes the build wrote, as the build allocates.
    return layers, cp.allocate_city(layers, plan, slope=terrain.slope(read_raster(LAYERS / "terrain_dem.tif")),
                                    suitability=read_raster(LAYERS / "suitability_class.tif"))


def test_default_plan_city_total_and_gate(default_city):
    layers, allocated = default_city
    report = pl.population_report(allocated, layers).set_index(["zone", "year"])
    city = report.loc[("city", 2050)]
    # The city total equals the 2050 target within 0.1 % (today's residents outside the districts add to it).
    assert abs(city["residents"] - 1_870_000) <= 1_870
    assert abs(city["jobs"] - 841_500) <= 842
    gate = report.loc[("gate", 2050)]
    assert (gate["residents"], gate["jobs"]) == (220_000, 181_000) or gate["status"].startswith("short of")
    assert gate["status"] == "fits" and gate["residents_capacity"] > 220_000
    assert report.loc[("gate", 2030), "residents"] == 88_000
