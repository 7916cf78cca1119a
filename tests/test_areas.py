"""Area table: hectares, shares, buildable land and densities on hand-checkable zones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from alatau_geo.analysis import areas
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.markdown import markdown_table
from alatau_geo.core.raster import Raster

X0, Y0 = 660_000.0, 4_820_000.0
P = Provenance(source="test", method="test", quality="derived")


def layer(name: str, rows: list[dict]) -> Layer:
    return Layer(name, gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS), P)


def zone_set() -> LayerSet:
    a = box(X0, Y0, X0 + 2_000, Y0 + 2_000)            # 400 ha
    b = box(X0 + 2_000, Y0, X0 + 3_000, Y0 + 2_000)    # 200 ha
    return LayerSet([
        layer("districts", [
            {"id": "a", "name_en": "A", "published_ha": 410.0, "residents_target": 20_000, "jobs_target": 8_000,
             "geometry": a},
            {"id": "b", "name_en": "B", "published_ha": np.nan, "geometry": b}]),
        layer("city_boundary", [{"id": "city", "name_en": "City", "published_ha": 800.0,
                                 "geometry": box(X0, Y0, X0 + 4_000, Y0 + 2_000)}]),
        layer("sez", [{"id": "sez", "name_en": "SEZ", "geometry": box(X0 + 1_000, Y0, X0 + 5_000, Y0 + 2_000)}]),
        layer("water_protection_zone", [{"id": "z", "geometry": box(X0, Y0, X0 + 500, Y0 + 2_000)}]),  # 100 ha in A
    ])


def test_area_table_figures():
    # A: 100 ha of water protection zone; B: 50 ha steep; the city both, and 1,000 ha more than its area.
    unbuildable = pd.Series({"a": 100.0, "b": 50.0, "city": 1_000_000.0})
    table = areas.area_table(zone_set(), unbuildable_ha=unbuildable).set_index("zone")
    assert table.loc["a", "area_ha"] == pytest.approx(400.0, rel=1e-3)
    assert table.loc["a", "share_of_city_pct"] == pytest.approx(50.0, rel=1e-3)
    assert table.loc["a", "buildable_ha"] == pytest.approx(300.0, rel=1e-3)
    assert table.loc["b", "buildable_ha"] == pytest.approx(150.0, rel=1e-3)
    assert table.loc["a", "sez_overlap_ha"] == pytest.approx(200.0, rel=1e-3)
    assert table.loc["a", "difference_pct"] == pytest.approx(100 * (400 - 410) / 410, abs=0.05)
    assert table.loc["a", "residents_per_ha"] == pytest.approx(50.0, rel=1e-3)
    assert np.isnan(table.loc["b", "difference_pct"])
    assert table.loc["city", "share_of_city_pct"] == pytest.approx(100.0)
    assert table.loc["city", "buildable_ha"] == 0.0  # never below nothing


def test_steep_land_polygonises_cells_above_the_limit():
    data = np.zeros((10, 10), dtype=np.float32)
    data[:, 5:] = 12.0  # the east half is steep
    slope = Raster(data, Affine(100, 0, X0, 0, -100, Y0 + 1_000), WORKING_CRS)
    steep = areas.steep_land(slope, max_slope_deg=8.0)
    assert steep.area == pytest.approx(50 * 100 * 100)
    assert areas.steep_land(slope, max_slope_deg=15.0).is_empty


def test_markdown_has_thousands_separators():
    table = areas.area_table(zone_set(), unbuildable_ha=pd.Series(dtype=float))
    text = markdown_table(table, title="Areas")
    assert text.startswith("## Areas") and "| a | A | 400.1 |" in text and "20,000" in text


def test_markdown_cells_are_text_not_markup():
    table = areas.area_table(zone_set(), unbuildable_ha=pd.Series(dtype=float))
    table.loc[0, "name_en"] = "<script>alert(1)</script> | {{7*7}}\nnext"
    text = markdown_table(table)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| {{7*7}} next" in text
    assert "<script>" not in text and text.count("\n") == 2 + len(table)
