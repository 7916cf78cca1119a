"""Hectares per zone counted in each zone's window equal the count over the whole grid, to the bit."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from alatau_geo.analysis.grid import Grid, cell_area_weights, rasterize_mask
from alatau_geo.analysis.zonal import area_by_zone


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
