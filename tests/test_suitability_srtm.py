"""The build's hazards and suitability on the real SRTM3 tiles and the committed layers.

The suitability job's path from the tiles (flow routing, HAND, drain labels)
and its path without them (the rasters read back) give the same classes; the
Kaskelen's floodplain follows the river; no high land lies in water, a
protection strip or the floodplain. Skipped when ../shared/data/srtm is
absent; one reference build (about 10 s) is shared by the module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from alatau_geo.core.io import read_layers
from alatau_geo.jobs import suitability as job
from alatau_geo.plan.config import load_plan
from alatau_geo.reference import gazetteer, terrain
from alatau_geo.reference.build import build_reference_layers

pytestmark = pytest.mark.srtm

COMMITTED = Path(__file__).resolve().parents[1] / "layers"


@pytest.fixture(scope="module")
def built(srtm_dir):
    plan = load_plan()
    tiles = terrain.read_srtm_tiles(srtm_dir, plan.terrain.tiles)
    reference = build_reference_layers(tiles, gazetteer.load_tables(plan.tables), plan)
    committed = read_layers(COMMITTED)
    rasters = job.rasters_from_tiles(reference, plan)
    layers, result = job.with_suitability(committed, plan, rasters)
    return plan, reference, committed, layers, result


def _union(frame) -> shapely.Geometry:
    return shapely.union_all(frame.geometry.to_numpy())


def test_the_kaskelens_floodplain_contains_its_centreline(built):
    layers = built[3]
    plain = layers["floodplain"].frame
    assert set(plain["river"]) == set(built[0].suitability.hazards.flood_rivers)
    kaskelen = plain[plain["river"] == "kaskelen"]
    river = layers["rivers"].frame.set_index("id").loc["kaskelen"].geometry
    outline = _union(kaskelen)
    assert river.intersection(outline).length / river.length > 0.99
    # A band along the river, not a sheet over the plain: ~100 km of river, a few thousand hectares.
    assert 1_000 < kaskelen["area_ha"].sum() < 10_000
    assert kaskelen.geometry.intersection(river.buffer(3_000)).area.sum() / kaskelen.geometry.area.sum() > 0.99


def test_no_high_land_lies_in_water_a_protection_strip_or_the_floodplain(built):
    layers, result = built[3], built[4]
    classes = layers["suitability_classes"].frame
    high = _union(classes[classes["class"] == "high"])
    assert high.area / 10_000 > 10_000  # hectares of high land in the city and the SEZ
    for name in ("reservoir", "water_protection_strip", "floodplain"):
        assert high.intersection(_union(layers[name].frame)).area < 1.0, name  # m2: they may touch, never overlap
    assert not result.left_out
    excluded = result.surface.excluded_ha
    assert excluded["floodplain"] > 1_000 and excluded["reservoir_max_level"] > 1_000


def test_the_reservoir_bands_reach_the_green_district_only(built):
    table = built[4].hazards.area_by_zone(built[3]["districts"].frame)
    assert table.loc["green", "reservoir_max_ha"] > 1_000
    assert table.loc["gate", ["reservoir_normal_ha", "reservoir_max_ha"]].sum() == 0  # Gate lies far inland
    assert table.loc[["golden", "growing"], "floodplain_ha"].gt(100).all()


def test_a_build_without_tiles_reads_back_the_same_hazards(built, tmp_path):
    plan, reference, committed, layers, result = built
    job.write_suitability_rasters(result, folder=tmp_path)
    job.write_hand_rasters(result.hazards.rasters, folders=[tmp_path])
    rasters = job.rasters_from_folder(plan, folder=tmp_path, elevation=reference.terrain.elevation)
    again = job.suitability_of_layers(committed, plan, rasters)
    np.testing.assert_array_equal(again.surface.classes, result.surface.classes)
    np.testing.assert_array_equal(again.hazards.floodplain, result.hazards.floodplain)
    assert rasters.river_codes == result.hazards.rasters.river_codes
