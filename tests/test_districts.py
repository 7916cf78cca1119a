"""Zones of the default plan, built on the committed reference layers, and plan errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from alatau_geo.core.crs import area_ha
from alatau_geo.core.errors import PlanError
from alatau_geo.core.io import read_layers
from alatau_geo.core.layers import LayerSet
from alatau_geo.jobs.build import PLAN_LAYERS
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.districts import TOLERANCE_PCT, build_zones, zone_layers

LAYERS = Path(__file__).resolve().parents[1] / "layers"
PUBLISHED = {"gate": 4_000.0, "green": 31_730.0, "alatau_city": 88_000.0, "sez_alatau": 97_900.0}


@pytest.fixture(scope="module")
def reference() -> LayerSet:
    committed = read_layers(LAYERS)
    return LayerSet(layer for name, layer in committed.items() if name not in PLAN_LAYERS)


@pytest.fixture(scope="module")
def zones(reference):
    plan = load_plan()
    results = build_zones(plan.zones, reference, min_part_ha=plan.analysis.min_part_ha, source=plan.source)
    return {layer.name: layer for layer in zone_layers(results, source=plan.source)}


def test_calibrated_areas_match_published_figures(zones):
    for layer in zones.values():
        frame = layer.frame.set_index("id")
        for zone_id, published in PUBLISHED.items():
            if zone_id in frame.index:
                measured = float(area_ha(frame.loc[[zone_id]]).iloc[0])
                assert abs(measured - published) / published * 100 <= TOLERANCE_PCT, zone_id
                assert abs(frame.loc[zone_id, "residual_pct"]) <= TOLERANCE_PCT


def test_zones_before_an_edited_district_are_read_back_exact(reference, tmp_path):
    from dataclasses import replace

    from alatau_geo.jobs.memo import ZoneMemo
    from alatau_geo.plan import rules

    plan = load_plan()
    memo = ZoneMemo(tmp_path / "zones")
    build_zones(plan.zones, reference, min_part_ha=plan.analysis.min_part_ha, source=plan.source, known=memo)
    assert len(memo) == len(plan.zones)
    # Widen Growing: the zones before it come from the memo, it and the later ones are built again.
    position = [spec.id for spec in plan.zones].index("growing")
    edited = plan.zones[position]
    path, width = next(iter(rules.numeric_parameters(edited.rule).items()))
    specs = (*plan.zones[:position], replace(edited, rule=rules.with_parameter(edited.rule, path, width + 500)),
             *plan.zones[position + 1:])
    first = {name: memo[name] for name in memo}
    again = build_zones(specs, reference, min_part_ha=plan.analysis.min_part_ha, source=plan.source, known=memo)
    assert len(memo) == len(plan.zones) + len(plan.zones) - position  # the edited zone and every later one
    fresh = build_zones(specs, reference, min_part_ha=plan.analysis.min_part_ha, source=plan.source)
    for kept, made in zip(again, fresh, strict=True):
        assert shapely.equals_exact(kept.geometry, made.geometry, tolerance=0.0), kept.spec.id
        assert kept.solved_value == made.solved_value and kept.area_ha == made.area_ha
    assert [shapely.to_wkb(geometry) for geometry, _ in first.values()] == [
        shapely.to_wkb(memo[name][0]) for name in first]  # the memo's entries are the zones themselves


def test_sez_holds_more_than_24000_ha_outside_the_city(zones):
    sez = zones["sez"].frame.iloc[0]
    city = zones["city_boundary"].frame.geometry.iloc[0]
    outside = float(area_ha(zones["sez"].frame.set_geometry([shapely.difference(sez.geometry, city)])).iloc[0])
    assert outside > 24_000
    assert sez["outside_city_ha"] == pytest.approx(outside, abs=0.1)


def test_districts_do_not_overlap_lie_in_the_city_and_have_no_slivers(zones):
    districts = zones["districts"].frame
    assert set(districts["id"]) == {"gate", "golden", "growing", "green"}
    city = zones["city_boundary"].frame.geometry.iloc[0]
    geometries = list(districts.geometry)
    for i, a in enumerate(geometries):
        assert a.is_valid and not a.is_empty
        assert shapely.difference(a, city).area < 1.0  # m2
        for b in geometries[i + 1:]:
            assert shapely.intersection(a, b).area < 1.0
        for part in shapely.get_parts(a):
            assert part.area / 10_000 >= load_plan().analysis.min_part_ha


def test_districts_keep_out_of_the_reservoir(zones, reference):
    reservoir = reference["reservoir"].frame.geometry.iloc[0]
    for geometry in zones["districts"].frame.geometry:
        assert shapely.intersection(geometry, reservoir).area < 1.0


def write_plan(tmp_path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def gate_plan(rule: str, extra: str = "") -> str:
    return (f'[[districts]]\nid = "gate"\npublished_ha = 4000.0\n{extra}\n[districts.rule]\n{rule}\n'
            '[city_boundary]\nid = "c"\n[city_boundary.rule]\nkind = "layer"\nref = "districts:*"\n'
            '[sez]\nid = "s"\n[sez.rule]\nkind = "layer"\nref = "city_boundary:c"\n')


@pytest.mark.parametrize(
    ("rule", "extra", "message"),
    [
        ('kind = "hull"\nplaces = ["places:otegen_batyr", "places:pokrovkaa"]\nbuffer_m = 500.0', "",
         "'districts.gate.rule': unknown place 'pokrovkaa'"),
        ('kind = "band"\nlines = ["roads:ring"]\nwidth_m = 500.0', "",
         "'districts.gate.rule': rule refers to a missing layer 'roads'"),
        ('kind = "disc"\nplace = "places:otegen_batyr"\nradius_m = 100.0', 'solve = "rule.radius_m"\n'
         "solve_range = [0.0, 200.0]", "published area 4,000 ha cannot be reached"),
    ],
)
def test_invalid_plans_fail_with_one_line_naming_the_entry(tmp_path, reference, rule, extra, message):
    path = write_plan(tmp_path, gate_plan(rule, extra))
    plan = load_plan(path)
    with pytest.raises(PlanError) as error:
        build_zones(plan.zones, reference, min_part_ha=5.0, source=plan.source)
    assert message in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_negative_width_is_refused_at_load(tmp_path):
    path = write_plan(tmp_path, gate_plan('kind = "band"\nlines = ["corridors:a3"]\nwidth_m = -100.0'))
    with pytest.raises(PlanError, match=r"'districts.gate.rule.width_m' must be at least 0"):
        load_plan(path)
    path = write_plan(tmp_path, gate_plan('kind = "band"\nlines = ["corridors:a3"]\nwidth_m = 100.0',
                                          'solve = "rule.buffer_m"'))
    with pytest.raises(PlanError, match=r"'districts.gate.solve' names 'rule.buffer_m'"):
        load_plan(path)
