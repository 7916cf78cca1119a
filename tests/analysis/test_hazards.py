"""Hazards on small synthetic DEMs whose answers are known by construction."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import box

from alatau_geo.analysis import hazards
from alatau_geo.analysis.grid import Grid, mask_area_ha
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS, area_ha
from alatau_geo.core.layers import Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.reference import hydrology

STEP = 1.0 / 1200.0  # SRTM3 cell, degrees
SIDE_SLOPE_M = 3.0   # rise per cell away from the channel


def _raster(z: np.ndarray) -> Raster:
    return Raster(z.astype(np.float32), Affine(STEP, 0.0, 77.0, 0.0, -STEP, 43.5), EXPORT_CRS)


def _valley(rows: int = 20, cols: int = 21, channels: tuple[int, ...] = (10,)) -> Raster:
    """Flat channels at 500 m; the ground rises 3 m per cell away from the nearest one."""
    distance = np.min([np.abs(np.arange(cols) - c) for c in channels], axis=0)
    return _raster(np.tile(500.0 + SIDE_SLOPE_M * distance, (rows, 1)))


def _channel_mask(shape: tuple[int, int], columns: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[:, list(columns)] = True
    return mask


def test_hand_of_a_v_shaped_valley_is_the_height_above_its_channel():
    dem = _valley()
    flow = hydrology.route_flow(dem)
    hand = hazards.height_above_drainage(flow, dem, drains=_channel_mask(dem.shape, (10,)))
    expected = SIDE_SLOPE_M * np.abs(np.arange(21) - 10)
    # Interior cells: every path reaches the flat channel, whose height is 500 m.
    np.testing.assert_allclose(hand.data[1:-1, 1:-1], np.tile(expected[1:-1], (18, 1)))
    assert hand.transform == dem.transform and hand.crs == dem.crs


def test_hand_equals_pyflwdirs_own_step_by_step_hand():
    rng = np.random.default_rng(7)
    rows, cols = 30, 31
    z = 500.0 + 0.7 * np.arange(rows)[:, None] + 2.0 * np.abs(np.arange(cols) - 15)[None, :]
    dem = _raster(z + rng.uniform(0, 1.5, size=z.shape))  # rough ground, paths wander
    flow = hydrology.route_flow(dem)
    drains = flow.upstream_area_km2 > 30 * flow.upstream_area_km2.min()
    ours = hazards.height_above_drainage(flow, dem, drains=drains).data
    theirs = flow.flwdir.hand(drain=drains, elevtn=dem.data.astype(np.float64))
    reached = ~np.isnan(ours)
    assert reached.sum() > 0.5 * ours.size and drains.sum() > 10
    np.testing.assert_allclose(ours[reached], theirs[reached], atol=1e-3)


def test_hand_is_nan_where_the_path_meets_no_drain():
    rows, cols = 20, 21
    # The channel falls 0.5 m per row towards the north edge (row 0), its outlet.
    z = 500.0 + 0.5 * np.arange(rows)[:, None] + SIDE_SLOPE_M * np.abs(np.arange(cols) - 10)[None, :]
    dem = _raster(z)
    flow = hydrology.route_flow(dem)
    drains = np.zeros(dem.shape, dtype=bool)
    drains[12:, 10] = True  # only the upstream (southern) reach is a drain
    hand = hazards.height_above_drainage(flow, dem, drains=drains)
    assert np.isnan(hand.data[1:8, 1:-1]).all()  # the northern part drains past no drain
    assert (hand.data[drains] == 0).all()
    assert np.isfinite(hand.data[14:-1, 9:12]).all()  # beside the drained reach


def test_floodplain_grows_monotonically_with_depth():
    dem = _valley()
    flow = hydrology.route_flow(dem)
    hand = hazards.height_above_drainage(flow, dem, drains=_channel_mask(dem.shape, (10,)))
    grid = Grid.of(dem)
    previous = None
    areas = []
    for depth in (0.5, 2.0, 3.0, 5.0, 6.0, 9.0):
        plain = hazards.floodplain(hand, depth_m=depth)
        # Width in cells: the channel plus floor(depth / 3) cells on each side.
        half = int(depth // SIDE_SLOPE_M)
        assert (plain[1:-1, 1:-1].sum(axis=1) == 1 + 2 * half).all()
        if previous is not None:
            assert (plain | previous == plain).all()  # never loses a cell
        previous = plain
        areas.append(mask_area_ha(plain, grid))
    assert areas == sorted(areas) and areas[-1] > areas[0]


def test_floodplain_keeps_only_land_draining_to_the_named_river():
    dem = _valley(cols=31, channels=(7, 23))
    flow = hydrology.route_flow(dem)
    drains = _channel_mask(dem.shape, (7, 23))
    hand = hazards.height_above_drainage(flow, dem, drains=drains)
    river = _channel_mask(dem.shape, (7,))
    draining = hazards.draining_to(flow, drains=drains, targets=river)
    plain = hazards.floodplain(hand, depth_m=6.0, draining=draining)
    interior = plain[1:-1]
    assert interior[:, 5:10].all()           # channel 7 and two cells each side
    assert not interior[:, 14:].any()         # nothing along the other river
    # Without the restriction both rivers flood.
    assert hazards.floodplain(hand, depth_m=6.0)[1:-1, 21:26].all()


def test_drain_labels_give_each_rivers_land_as_draining_to_does():
    rng = np.random.default_rng(3)
    dem = _valley(cols=31, channels=(7, 23))
    dem = _raster(dem.data + 0.4 * np.arange(dem.shape[0])[:, None] + rng.uniform(0, 0.2, size=dem.shape))
    flow = hydrology.route_flow(dem)
    drains = _channel_mask(dem.shape, (7, 23))
    labels = np.zeros(dem.shape, dtype=np.uint8)
    labels[:, 7], labels[5:, 23] = 1, 2  # the upper reach of the second channel is an unnamed drain
    found = hazards.drain_labels(flow, drains=drains, labels=labels)
    for code, column in ((1, 7), (2, 23)):
        target = labels == code
        assert (np.asarray(found == code) == hazards.draining_to(flow, drains=drains, targets=target)).all(), column
    assert (found[:5, 20:27] == 0).any()  # land draining to the unnamed reach
    assert found.dtype == np.uint8 and found.max() <= 2


def test_floodplain_rejects_a_depth_of_zero():
    with pytest.raises(ValueError, match="depth_m"):
        hazards.floodplain(_valley(), depth_m=0.0)


def test_reservoir_bands_follow_levels_and_connectivity():
    # A bowl: the flat reservoir surface at 475 m in the middle, ground rising
    # 1 m per cell outwards, and a closed depression at 476 m far from it.
    size = 41
    rr, cc = np.mgrid[0:size, 0:size]
    ring = np.maximum(np.abs(rr - 20), np.abs(cc - 20))
    z = np.where(ring <= 5, 475.0, 475.0 + (ring - 5))
    z[2, 2] = 476.0  # behind a rim of 490 m: cut off from the reservoir
    dem = _raster(z)
    reservoir = ring <= 5
    bands = hazards.reservoir_bands(dem, reservoir, normal_level_m=479.0, max_level_m=485.0)
    assert (bands.normal == ((ring >= 6) & (ring <= 9))).all()      # 476..479 m
    assert (bands.maximum == ((ring >= 10) & (ring <= 15))).all()   # 480..485 m
    assert not bands.below_maximum[2, 2]
    assert not (bands.normal & reservoir).any() and not (bands.normal & bands.maximum).any()
    with pytest.raises(ValueError, match="normal level"):
        hazards.reservoir_bands(dem, reservoir, normal_level_m=486.0, max_level_m=485.0)


def test_mask_polygons_and_district_areas_agree_in_hectares():
    grid = Grid(Affine(100.0, 0.0, 660_000.0, 0.0, -100.0, 4_821_000.0), (10, 10), WORKING_CRS)
    mask = np.zeros(grid.shape, dtype=bool)
    mask[2:5, 1:9] = True  # 24 cells of 1 ha, one region
    mask[8, 8] = True      # a second region
    polygons = code_polygons(mask, grid, labels={1: "floodplain"})
    assert polygons["id"].tolist() == ["floodplain-0", "floodplain-1"]
    assert polygons["area_ha"].sum() == pytest.approx(25.0, rel=2e-3)
    assert polygons["area_ha"].sum() == pytest.approx(mask_area_ha(mask, grid), rel=1e-5)
    # Two districts split the grid at x = 660,500 m.
    districts = gpd.GeoDataFrame(
        {"id": ["west", "east"]},
        geometry=[box(660_000, 4_820_000, 660_500, 4_821_000), box(660_500, 4_820_000, 661_000, 4_821_000)],
        crs=WORKING_CRS,
    )
    table = area_by_zone(mask, grid, districts, labels={1: "floodplain"})
    assert table.index.tolist() == ["west", "east"]
    assert table.loc["west", "floodplain"] == pytest.approx(12.0, rel=2e-3)
    assert table.loc["east", "floodplain"] == pytest.approx(13.0, rel=2e-3)
    assert table["floodplain"].sum() == pytest.approx(float(area_ha(polygons).sum()), rel=1e-5)


def test_hazard_layer_carries_provenance():
    grid = Grid(Affine(100.0, 0.0, 660_000.0, 0.0, -100.0, 4_821_000.0), (3, 3), WORKING_CRS)
    mask = np.eye(3, dtype=bool)
    provenance = Provenance(source="SRTM3", method="HAND <= depth", parameters={"depth_m": 2.0})
    layer = hazards.hazard_layer(mask, grid, name="floodplain_2m", title="Floodplain, 2 m", provenance=provenance)
    assert layer.provenance.as_dict()["parameters"] == {"depth_m": 2.0}
    assert len(layer.frame) == 3  # diagonal cells are separate 4-connected regions
    assert layer.frame["area_ha"].sum() == pytest.approx(3.0, rel=2e-3)
