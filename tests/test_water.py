"""Water protection bands: widths from the plan, water removed, strips inside zones."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, box

from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.plan.config import load_plan
from alatau_geo.reference.water import polygonal, protection_bands, protection_layers

X0, Y0 = 660_000.0, 4_820_000.0


def water() -> gpd.GeoDataFrame:
    lake = box(X0, Y0, X0 + 4_000, Y0 + 2_000)  # 800 ha
    river = LineString([(X0 + 2_000, Y0 - 5_000), (X0 + 2_000, Y0)])  # 5 km, flowing into the lake
    return gpd.GeoDataFrame(
        {"id": ["lake", "river"], "name_en": ["Lake", "River"], "water_kind": ["reservoir", "river"]},
        geometry=[lake, river], crs=WORKING_CRS,
    )


def test_band_areas_follow_the_widths():
    bands = protection_bands(water(), widths_m={"reservoir": 100.0, "river": 50.0}, kind="strip")
    by_id = bands.set_index("id")
    lake_ha = float(area_ha(by_id.loc[["lake_strip"]]).iloc[0])
    # A 100 m ring around a 4 x 2 km box: perimeter 12 km x 0.1 km + rounded corners (pi x 0.01 km2).
    expected = (12_000 * 100 + 3.14159 * 100**2) / 10_000
    assert lake_ha == pytest.approx(expected, rel=0.01)
    river_ha = float(area_ha(by_id.loc[["river_strip"]]).iloc[0])
    # 50 m each side of 5 km, with the half disc at the source; the end inside the lake is removed.
    assert river_ha == pytest.approx((5_000 * 100 + 3.14159 * 50**2 / 2) / 10_000, rel=0.01)
    assert (bands["width_m"] == [100.0, 50.0]).all()


def test_layers_use_plan_widths_and_strips_lie_inside_zones():
    zone, strip = protection_layers(water(), load_plan().water_protection)
    assert zone.provenance.quality == "approximate"
    assert zone.provenance.parameters["reservoir_zone_m"] == load_plan().water_protection.reservoir_zone_m
    for z, s in zip(zone.frame.geometry, strip.frame.geometry, strict=False):
        assert shapely.difference(s, z).area < 1e-6
    lake = water().geometry.iloc[0]
    assert all(shapely.intersection(g, lake).area < 1e-6 for g in zone.frame.geometry)
    assert set(zone.frame.geom_type) <= {"Polygon", "MultiPolygon"}


def test_zero_width_gives_no_band():
    bands = protection_bands(water(), widths_m={"reservoir": 0.0, "river": 35.0}, kind="strip")
    assert list(bands["id"]) == ["river_strip"]


def test_polygonal_drops_stray_lines():
    mixed = shapely.GeometryCollection([box(0, 0, 1, 1), LineString([(2, 2), (3, 3)])])
    assert polygonal(mixed).equals(box(0, 0, 1, 1))
