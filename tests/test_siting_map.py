"""The siting map on synthetic layers: what it draws, its downloads, and hostile text shown as text."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.maps import render_html
from alatau_geo.maps.siting import siting_map

X0, Y0 = 660_000.0, 4_810_000.0
HOSTILE = "{{7*7}} </script> ${alert(1)} {% oops"


def _layer(name: str, rows: list[dict]) -> Layer:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)
    return Layer(name, frame, Provenance(source="test", method="test", quality="approximate"), title=name)


def _siting_layers() -> LayerSet:
    sites = [{"id": f"substation_s{i}", "kind": "substation", "site": f"s{i} {HOSTILE}", "role": role,
              "district": "gate", "phase": 2050, "facilities": 2, "load": load, "load_unit": "MW",
              "capacity": 81.144, "load_share": load / 81.144, "covered_load": load, "demand_blocks": 3,
              "mean_cost": 4.0, "max_cost": 7.5, "cost_unit": "min", "limit": 8.0, "planned_match": match,
              "moved_m": moved, "status": "optimal", "geometry": shapely.Point(X0 + 3000.0 * i, Y0)}
             for i, (role, load, match, moved) in enumerate((("fixed", 110.0, None, None),
                                                              ("candidate", 40.0, f"ss_gate_1 {HOSTILE}", 1500.0)))]
    catchments = [{"id": row["id"], "kind": "substation", "site": row["site"], "district": "gate", "phase": 2050,
                   "load": row["load"], "load_unit": "MW", "capacity": 81.144, "load_share": row["load_share"],
                   "residents": 1000, "jobs": 500, "demand_blocks": 3, "area_ha": 900.0, "mean_cost": 4.0,
                   "max_cost": 7.5, "cost_unit": "min",
                   "geometry": shapely.box(X0 + 3000.0 * i - 1500.0, Y0 - 1500.0, X0 + 3000.0 * i + 1500.0,
                                           Y0 + 1500.0)}
                  for i, row in enumerate(sites)]
    moves = [{"id": "substation_ss_gate_1", "kind": "substation", "planned": f"ss_gate_1 {HOSTILE}",
              "site": sites[1]["site"], "moved_m": 1500.0,
              "geometry": shapely.LineString([(X0 + 3000.0, Y0 + 1500.0), (X0 + 3000.0, Y0)])}]
    return LayerSet([_layer("siting_recommended", sites), _layer("siting_catchments", catchments),
                     _layer("siting_moves", moves)])


def test_the_map_draws_sites_catchments_and_moves_and_links_their_folder():
    html = render_html(siting_map(_siting_layers(), relief=None, offline=True))
    assert "Recommended site: Substations" in html and "Catchment: Substations" in html
    # the legend's load classes: share of one facility's firm capacity
    assert "over 100 %: more than one facility can carry" in html
    assert "../layers/siting/siting_catchments.geojson" in html
    assert "../layers/siting/siting_recommended.geojson" in html


def test_hostile_names_are_shown_as_text():
    html = render_html(siting_map(_siting_layers(), relief=None, offline=True))
    assert "{{7*7}}" in html and "{% oops" in html and "${alert(1)}" in html
    assert "</script> ${alert" not in html  # the closing tag never reaches the page raw


def test_without_recommended_sites_there_is_no_map():
    with pytest.raises(LayerError, match="run alatau-geo site first"):
        siting_map(LayerSet([]), relief=None, offline=True)
