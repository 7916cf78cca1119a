"""The plan file: defaults, overrides and one-line errors naming the entry."""

from __future__ import annotations

import pytest

from alatau_geo.core.errors import PlanError
from alatau_geo.plan.config import load_plan


def write(tmp_path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_plan_has_documented_values():
    plan = load_plan()
    # The SRTM water surface (Feb 2000) and the assumed normal operating level above it.
    assert plan.hydrology.srtm_surface_m == 475
    assert plan.hydrology.reservoir_level_m == 479.0
    assert plan.water_protection.reservoir_strip_m <= plan.water_protection.reservoir_zone_m
    assert plan.study_area.west < 77.0 < plan.study_area.east
    assert plan.terrain.tiles == ("N42E076", "N42E077", "N43E076", "N43E077")


def test_user_plan_overrides_only_what_it_names(tmp_path):
    path = write(tmp_path, "[water_protection]\nriver_zone_m = 1000\n[tables]\nplaces = 'my_places.csv'\n")
    plan = load_plan(path)
    assert plan.water_protection.river_zone_m == 1000.0
    assert plan.water_protection.reservoir_zone_m == load_plan().water_protection.reservoir_zone_m
    assert plan.tables.places == tmp_path / "my_places.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[water_protection]\nriver_strip_m = -5\n", "'water_protection.river_strip_m' must be at least 0"),
        ("[hydrology]\nstream_threshold_km2 = 'big'\n", "'hydrology.stream_threshold_km2' must be a number"),
        ("[hydrology]\nstream_treshold_km2 = 10\n", "unknown entry 'hydrology.stream_treshold_km2'"),
        ("[study_area]\nwest = 78.5\n", "'study_area' must have west < east"),
        ("[water_protection]\nriver_strip_m = 900\n", "must not exceed 'water_protection.river_zone_m'"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_invalid_plans_give_one_line_naming_the_entry(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError, match="plan file not found"):
        load_plan(tmp_path / "nope.toml")


def test_reservoir_level_below_the_srtm_surface_is_refused(tmp_path):
    path = write(tmp_path, "[hydrology]\nreservoir_level_m = 470.0\n")
    with pytest.raises(PlanError, match=r"'hydrology.reservoir_level_m' must be at least 475, got 470.0"):
        load_plan(path)
