"""Hectares per zone: counted zone by zone as over the whole grid, to the bit, and overlapping zones each in full."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from alatau_geo.analysis.grid import Grid, cell_area_weights, rasterize_mask
from alatau_geo.analysis.zonal import area_by_zone
from alatau_geo.core.crs import WORKING_CRS, area_ha


def _whole_grid(codes, grid, zones, labels):
    """The definition: each zone rasterised over the whole grid, cells weighed by their true area."""
    row_w, col_w = cell_area_weights(grid)
    table = {label: [] for label in labels.values()}
    for geometry in zones.to_crs(grid.crs).geometry:
        inside = rasterize_mask([geometry], grid, all_touched=False)
        for code, label in labels.items():
            hit = inside & (codes == code)
            table[label].append(float(row_w @ hit.sum(axis=1)) if grid.crs.is_geographic
                                else float(hit.sum(axis=0) @ col_w))
    return table


@pytest.mark.parametrize(("epsg", "transform"), [
    (32643, Affine(90, 0, 600_000, 0, -90, 4_900_000)),
    (4326, Affine(1 / 1200, 0, 76.5, 0, -1 / 1200, 44.0)),
])
def test_windowed_count_equals_whole_grid_count(epsg: int, transform: Affine) -> None:
    rng = np.random.default_rng(1)
    grid = Grid(transform=transform, shape=(120, 150), crs=CRS.from_epsg(epsg))
    codes = rng.integers(0, 3, size=grid.shape)
    west, south, east, north = grid.bounds
    width, height = east - west, north - south
    # Zones inside, across the edge and wholly outside the grid.
    centres = zip(rng.uniform(west - 0.2 * width, east + 0.2 * width, 60),
                  rng.uniform(south - 0.2 * height, north + 0.2 * height, 60), strict=True)
    discs = [shapely.Point(x, y).buffer(rng.uniform(0.01, 0.2) * width) for x, y in centres]
    discs.append(shapely.box(east + width, north + height, east + 2 * width, north + 2 * height))
    zones = gpd.GeoDataFrame({"id": [f"z{i}" for i in range(len(discs))]}, geometry=discs, crs=grid.crs)
    labels = {1: "one", 2: "two"}
    table = area_by_zone(codes, grid, zones, labels=labels)
    expected = _whole_grid(codes, grid, zones, labels)
    for label in labels.values():
        assert table[label].tolist() == expected[label]  # same bits
    assert table.iloc[-1].tolist() == [0.0, 0.0]  # the zone outside the grid holds nothing
    assert table["one"].sum() > 0


def test_overlapping_zones_each_get_their_full_hectares() -> None:
    # 1 ha cells near the city, every cell in the band: a zone's hectares are its own area.
    grid = Grid(transform=Affine(100, 0, 660_000, 0, -100, 4_822_000), shape=(20, 20), crs=CRS.from_epsg(32643))
    codes = np.ones(grid.shape, dtype=np.uint8)
    codes[:, 8:] = 2  # east of x = 660,800 m is another class
    zones = gpd.GeoDataFrame({"id": ["district", "overlapping", "inside", "neighbour", "duplicate"]}, geometry=[
        shapely.box(660_000, 4_820_800, 660_800, 4_821_600),   # 64 ha, all class 1
        shapely.box(660_400, 4_820_400, 661_400, 4_821_400),   # 100 ha, half over the district; 40 ha of class 1
        shapely.box(660_200, 4_821_000, 660_600, 4_821_400),   # 16 ha inside the district
        shapely.box(660_800, 4_820_800, 661_600, 4_821_600),   # touches the district (64 ha, all class 2)
        shapely.box(660_000, 4_820_800, 660_800, 4_821_600),   # the district again
    ], crs=WORKING_CRS)
    table = area_by_zone(codes, grid, zones, labels={1: "one", 2: "two"})
    total = table["one"] + table["two"]
    assert total.round(1).tolist() == [64.0, 100.0, 16.0, 64.0, 64.0]
    assert table["one"].round(1).tolist() == [64.0, 40.0, 16.0, 0.0, 64.0]
    assert total.to_numpy() == pytest.approx(area_ha(zones).to_numpy(), rel=1e-5)  # true hectares, as the polygons
    expected = _whole_grid(codes, grid, zones, {1: "one", 2: "two"})
    assert table["one"].tolist() == expected["one"] and table["two"].tolist() == expected["two"]
