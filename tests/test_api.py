"""The public API (``import alatau_geo as ag``): documented, and working on the committed layers."""

from __future__ import annotations

from pathlib import Path

import folium
import pytest

import alatau_geo as ag

LAYERS = Path(__file__).resolve().parents[1] / "layers"


def test_every_public_name_has_a_docstring_with_an_example():
    missing = [name for name in ag.__all__ if "Examples" not in (getattr(ag, name).__doc__ or "")]
    assert not missing, f"public names without an example: {missing}"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        ag.nothing  # noqa: B018


def test_area_table_and_placement_report_on_the_committed_layers():
    layers = ag.read_layers(LAYERS)
    table = ag.area_table(layers, layers_dir=LAYERS).set_index("zone")
    assert table.loc["gate", "area_ha"] == pytest.approx(4_000, rel=0.005)
    assert table.loc["alatau_city", "area_ha"] == pytest.approx(88_000, rel=0.005)
    report = ag.placement_report(layers, layers_dir=LAYERS)
    assert report["id"].nunique() == 52
    assert set(report["rule"]) <= {"in_district", "near_corridor", "outside_strips", "max_slope", "above_flood"}


def test_same_plan_twice_changes_nothing():
    zones, objects = ag.compare_plans(ag.load_plan(), ag.load_plan(), layers_dir=LAYERS)
    assert {z.status for z in zones} == {"unchanged"}
    assert objects == []


def test_show_map_gives_a_folium_map():
    layers = ag.read_layers(LAYERS)
    m = ag.show_map(layers, "districts", layers_dir=LAYERS, offline=True)
    assert isinstance(m, folium.Map)
    with pytest.raises(ValueError, match="kind must be one of"):
        ag.show_map(layers, "nonsense", layers_dir=LAYERS)
