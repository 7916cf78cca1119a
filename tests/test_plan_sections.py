"""The plan's [population] and [mountain] sections: defaults, user overrides, one-line errors."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from alatau_geo.core.errors import PlanError
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.mountain_params import MountainParams
from alatau_geo.plan.population_params import DEFAULT_PARAMS, PopulationParams


def _default_plan() -> dict:
    return tomllib.loads(resources.files("alatau_geo").joinpath("data", "default_plan.toml").read_text("utf-8"))


def test_default_plan_sections_are_the_documented_defaults():
    plan = load_plan()
    assert plan.population == DEFAULT_PARAMS
    assert plan.mountain == MountainParams()
    data = _default_plan()
    # The shipped plan spells out every key (it is what `alatau-geo init` copies).
    assert PopulationParams.from_mapping(data["population"]) == DEFAULT_PARAMS
    assert MountainParams.from_mapping(data["mountain"]) == MountainParams()
    assert plan.population.city_residents == 1_870_000
    assert plan.population.residents["gate"].value == 220_000 and plan.population.jobs["gate"].value == 181_000
    assert plan.mountain.capacity.published_run_km == 250 and plan.mountain.corridors.green_target_ha == 3800


def _plan(tmp_path: Path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_user_plan_overrides_only_the_keys_it_names(tmp_path):
    plan = _plan(tmp_path, "[population.targets.golden]\nresidents = 700000\n"
                           "[population.density.gate]\nfloor_area_ratio = 0.5\n"
                           "[population.phases.city]\n2030 = 0.3\n"
                           "[mountain.capacity]\nrun_width_m = 50\n")
    golden = plan.population.residents["golden"]
    # A figure replaces the default weight of the zone; the rest of the section keeps its defaults.
    assert (golden.value, golden.weight) == (700_000, 0.0)
    assert plan.population.density["gate"].floor_area_ratio == 0.5
    assert plan.population.density["gate"].m2_floor_per_resident == 29.5
    assert plan.population.phase_share("golden", 2030) == 0.3
    assert plan.mountain.capacity.run_width_m == 50.0 and plan.mountain.capacity.run_spacing_m == 60.0
    assert plan.mountain.lifts == MountainParams().lifts


def test_a_new_zone_can_be_added_with_its_density_and_target(tmp_path):
    plan = _plan(tmp_path, "[population.density.airport]\nfloor_area_ratio = 0.4\nresidential_floor_share = 0.1\n"
                           "m2_floor_per_resident = 30\nm2_floor_per_job = 50\n"
                           "[population.targets.airport]\nresidents_weight = 0.1\njobs_weight = 0.2\n")
    assert plan.population.density["airport"].floor_area_ratio == 0.4
    assert plan.population.jobs["airport"].weight == 0.2


@pytest.mark.parametrize(("text", "message"), [
    ("[population.density.gate]\nfloor_area_ratio = -1\n",
     "'population.density.gate.floor_area_ratio' must be at least 0, got -1"),
    ("[population.density.gate]\nm2_floor_per_job = 0\n",
     "'population.density.gate.m2_floor_per_job' must be greater than 0"),
    ("[population]\ncity_residentz = 5\n", "unknown entry 'population.city_residentz'"),
    ("[population.targets.gate]\nresidents = 2000000\n", "more than 'population.city_residents'"),
    ("population = 3\n", "'population' must be a table"),
    ("[mountain.capacity]\nrun_width_m = -1\n", "'mountain.capacity.run_width_m' must be greater than 0"),
    ("[mountain.terrain]\nslope_brakes_deg = [1, 2]\n", "unknown entry 'mountain.terrain.slope_brakes_deg'"),
])
def test_invalid_entries_give_one_line_naming_the_entry(tmp_path, text, message):
    with pytest.raises(PlanError) as error:
        _plan(tmp_path, text)
    text_of = str(error.value)
    assert message in text_of and "\n" not in text_of
    assert text_of.startswith(str(tmp_path / "plan.toml"))
