"""The mountain parameters: defaults, the proposed plan section, and one-line errors naming the entry."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from alatau_geo.core.errors import PlanError
from alatau_geo.plan.mountain_params import CapacityParams, CorridorParams, MountainParams, SkiTerrainParams

PROPOSED = Path(__file__).resolve().parents[2] / "docs" / "plan_sections" / "mountain.toml"


def test_proposed_plan_section_gives_the_defaults():
    section = tomllib.loads(PROPOSED.read_text("utf-8"))["mountain"]
    assert MountainParams.from_mapping(section, source=str(PROPOSED)) == MountainParams()


def test_a_partial_section_keeps_the_other_defaults():
    params = MountainParams.from_mapping({"lifts": {"pairs": [["medeu", "shymbulak"]]}})
    assert params.lifts.pairs == (("medeu", "shymbulak"),)
    assert params.capacity == CapacityParams()


@pytest.mark.parametrize(("section", "message"), [
    ({"capacity": {"run_width_m": -1}}, "plan.toml: 'mountain.capacity.run_width_m' must be greater than 0, got -1.0"),
    ({"capacity": {"usable_fraction": 1.5}}, "'mountain.capacity.usable_fraction' must be between 0 and 1"),
    ({"capacity": {"run_slope_deg": [30, 10]}}, "'mountain.capacity.run_slope_deg' must be [low, high] with low"),
    ({"terrain": {"slope_breaks_deg": [3.5, 22, 14, 30, 45]}}, "'mountain.terrain.slope_breaks_deg' must be strictly"),
    ({"terrain": {"slope_breaks_deg": [14, 22]}}, "'mountain.terrain.slope_breaks_deg' must list 5 slope limits"),
    ({"terrain": {"elevation_band": 100}}, "plan.toml: unknown entry 'mountain.terrain.elevation_band'"),
    ({"lifts": {"pairs": [["medeu", "medeu"]]}}, "'mountain.lifts.pairs' must list pairs of two different place ids"),
    ({"lifts": {"steepest_section_m": 10}}, "'mountain.lifts.steepest_section_m' must be at least 'sample_spacing_m'"),
    ({"corridors": {"city_bounds": [76.0, 43.15, 77.06, 43.39]}},
     "'mountain.corridors.city_bounds' must lie inside 'routing_bounds'"),
    ({"corridors": {"hand_max_m": True}}, "'mountain.corridors.hand_max_m' must be a number, got True"),
    ({"avalanche": {}}, "plan.toml: unknown entry 'mountain.avalanche'"),
    ({"terrain": 5}, "plan.toml: 'mountain.terrain' must be a table"),
])
def test_invalid_entries_are_one_line_plan_errors_naming_the_entry(section, message):
    with pytest.raises(PlanError) as error:
        MountainParams.from_mapping(section, source="plan.toml")
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert error.value.exit_code == 3


def test_dataclasses_validate_when_built_directly():
    with pytest.raises(PlanError, match="'mountain.terrain.avalanche_slope_deg' must be"):
        SkiTerrainParams(avalanche_slope_deg=(45.0, 30.0))
    with pytest.raises(PlanError, match="'mountain.corridors.routing_bounds' must have west < east"):
        CorridorParams(routing_bounds=(77.25, 42.95, 76.60, 43.45))
