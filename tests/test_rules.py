"""Construction rules on small geometries whose areas are known by hand."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import LineString, Point, box

from alatau_geo.core.errors import PlanError
from alatau_geo.plan import rules

FRAME = box(0, 0, 10_000, 10_000)
FEATURES = {
    "places:a": Point(2_000, 2_000),
    "places:b": Point(4_000, 2_000),
    "places:c": Point(3_000, 4_000),
    "lines:west": LineString([(2_000, 0), (2_000, 10_000)]),
    "lines:east": LineString([(6_000, 0), (6_000, 10_000)]),
    "water:lake": box(7_000, 7_000, 9_000, 9_000),
}


def resolve(name: str) -> shapely.Geometry:
    if name not in FEATURES:
        raise PlanError(f"unknown {name}")
    return FEATURES[name]


def build(data: dict) -> shapely.Geometry:
    return rules.evaluate(rules.parse_rule(data, entry="rule", source="plan.toml"), resolve, frame=FRAME)


def test_hull_of_places_with_buffer():
    triangle = build({"kind": "hull", "places": ["places:a", "places:b", "places:c"], "buffer_m": 0})
    assert triangle.area == pytest.approx(0.5 * 2_000 * 2_000)
    buffered = build({"kind": "hull", "places": ["places:a", "places:b", "places:c"], "buffer_m": 100})
    perimeter = triangle.length
    # Minkowski sum: area + perimeter x r + pi r^2 (polygonal circle, within 0.5 %).
    assert buffered.area == pytest.approx(triangle.area + perimeter * 100 + math.pi * 100**2, rel=0.005)


def test_band_between_side_and_shore():
    band = build({"kind": "band", "lines": ["lines:west"], "width_m": 500})
    assert band.intersection(FRAME).area == pytest.approx(1_000 * 10_000)
    between = build({"kind": "between", "lines": ["lines:west", "lines:east"]})
    assert between.area == pytest.approx(4_000 * 10_000)
    side = build({"kind": "side", "line": "lines:west", "towards": "places:b"})
    assert side.area == pytest.approx(8_000 * 10_000)
    assert side.contains(FEATURES["places:b"])
    shore = build({"kind": "shore", "water": "water:lake", "width_m": 100})
    assert shore.area == pytest.approx(8_000 * 100 + math.pi * 100**2, rel=0.01)
    assert shore.intersection(FEATURES["water:lake"]).area == pytest.approx(0)


def test_combinations():
    data = {"kind": "difference",
            "base": {"kind": "between", "lines": ["lines:west", "lines:east"]},
            "minus": [{"kind": "disc", "place": "places:b", "radius_m": 1_000}]}
    assert build(data).area == pytest.approx(4_000 * 10_000 - math.pi * 1_000**2, rel=0.001)
    both = build({"kind": "intersection", "of": [{"kind": "band", "lines": ["lines:west"], "width_m": 1_000},
                                                 {"kind": "between", "lines": ["lines:west", "lines:east"]}]})
    assert both.area == pytest.approx(1_000 * 10_000)


def test_parameters_can_be_listed_and_replaced():
    rule = rules.parse_rule({"kind": "intersection", "of": [
        {"kind": "band", "lines": ["lines:west"], "width_m": 1_000},
        {"kind": "disc", "place": "places:a", "radius_m": 5_000}]}, entry="rule", source="p")
    assert rules.numeric_parameters(rule) == {"rule.of[0].width_m": 1_000.0, "rule.of[1].radius_m": 5_000.0}
    wider = rules.with_parameter(rule, "rule.of[0].width_m", 2_000)
    assert rules.numeric_parameters(wider)["rule.of[0].width_m"] == 2_000.0
    assert rules.references(rule) == ["lines:west", "places:a"]
    assert "band(lines:west, 1,000 m each side)" in rules.describe(rule)


def test_a_calibration_builds_the_parts_without_its_parameter_once():
    rule = rules.parse_rule({"kind": "intersection", "of": [
        {"kind": "band", "lines": ["lines:west"], "width_m": 1_000},
        {"kind": "side", "line": "lines:east", "towards": "places:a"}]}, entry="rule", source="p")
    resolved: list[str] = []

    def counting(name: str) -> shapely.Geometry:
        resolved.append(name)
        return resolve(name)

    known: dict = {}
    for width in (1_000.0, 1_500.0, 2_000.0, 1_500.0):
        wider = rules.with_parameter(rule, "rule.of[0].width_m", width)
        built = rules.evaluate(wider, counting, frame=FRAME, known=known)
        assert shapely.equals_exact(built, rules.evaluate(wider, resolve, frame=FRAME), tolerance=0)
    # The side of lines:east once; the band for each of the three widths; the fourth rule was built already.
    assert resolved.count("lines:east") == 1 and resolved.count("lines:west") == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "band", "lines": ["x:y"], "width_m": -5}, "'districts.gate.rule.width_m' must be at least 0"),
        ({"kind": "blob"}, "'districts.gate.rule.kind' must be one of"),
        ({"kind": "hull", "places": [], "buffer_m": 1}, "'districts.gate.rule.places' must be a non-empty list"),
        ({"kind": "between", "lines": ["a:b"]}, "must name exactly two lines"),
        ({"kind": "union", "of": [{"kind": "disc", "place": "p:q"}]}, "'districts.gate.rule.of[0].radius_m'"),
    ],
)
def test_bad_rules_name_the_entry(data, message):
    with pytest.raises(PlanError) as error:
        rules.parse_rule(data, entry="districts.gate.rule", source="plan.toml")
    assert message in str(error.value) and str(error.value).startswith("plan.toml: ")
