"""The [population] plan section: defaults with their basis, targets that add up, one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from alatau_geo.analysis.population_targets import phase_targets, targets_table, zone_targets
from alatau_geo.core.errors import PlanError
from alatau_geo.plan.population_params import DEFAULT_PARAMS, PopulationParams

ZONES = ["gate", "golden", "growing", "green", "city_rest"]
SECTION = Path(__file__).resolve().parents[2] / "docs" / "plan_sections" / "population.toml"


def test_proposed_section_is_exactly_the_defaults():
    data = tomllib.loads(SECTION.read_text("utf-8"))
    assert PopulationParams.from_mapping(data["population"], source=str(SECTION)) == DEFAULT_PARAMS


def test_district_targets_add_up_to_the_city_and_keep_the_published_figures():
    table = targets_table(DEFAULT_PARAMS, ZONES)
    assert int(table["residents_target"].sum()) == 1_870_000
    assert int(table["jobs_target"].sum()) == DEFAULT_PARAMS.city_jobs
    assert table.loc["gate", ["residents_target", "jobs_target"]].tolist() == [220_000, 181_000]
    assert table.loc["gate", "residents_basis"].startswith("published")
    # The remainder, 1,650,000, by the assumed role weights 0.48 / 0.32 / 0.20.
    assert table.loc[["golden", "growing", "green"], "residents_target"].tolist() == [792_000, 528_000, 330_000]
    assert all(basis.startswith("assumed") for basis in table.loc[["golden", "growing", "green"], "residents_basis"])


def test_a_figure_in_the_plan_replaces_a_zones_weight():
    params = PopulationParams.from_mapping({"targets": {"golden": {"residents": 700_000}}})
    table = zone_targets(params, ZONES)
    assert table.loc["golden", "target"] == 700_000
    assert int(table["target"].sum()) == 1_870_000


def test_phase_targets_grow_to_the_target():
    targets = zone_targets(DEFAULT_PARAMS, ZONES)["target"]
    phases = phase_targets(DEFAULT_PARAMS, targets)
    assert list(phases) == [2030, 2040, 2050]
    pd.testing.assert_series_equal(phases[2050], targets, check_names=False)
    assert phases[2030]["gate"] == 88_000  # 40 % of 220,000 (Gate's own phase table)
    assert phases[2030]["golden"] == 198_000  # 25 % of 792,000 (the city's)
    assert all((phases[2030] <= phases[2040]) & (phases[2040] <= phases[2050]))


@pytest.mark.parametrize(("section", "message"), [
    ({"density": {"gate": {"floor_area_ratio": -3}}},
     "plan.toml: 'population.density.gate.floor_area_ratio' must be at least 0, got -3"),
    ({"density": {"gate": {"m2_floor_per_resident": 0}}},
     "plan.toml: 'population.density.gate.m2_floor_per_resident' must be greater than 0, got 0"),
    ({"density": {"north": {"floor_area_ratio": 1.0}}},
     "plan.toml: 'population.density.north.residential_floor_share' is missing"),
    ({"density": {"gate": {"dwellings_per_ha": 80}}},
     "plan.toml: unknown entry 'population.density.gate.dwellings_per_ha'"),
    ({"density": {"gate": {"residential_floor_share": 1.5}}},
     "plan.toml: 'population.density.gate.residential_floor_share' must be at most 1, got 1.5"),
    ({"land_shares": {"green": -0.1}}, "plan.toml: 'population.land_shares.green' must be at least 0, got -0.1"),
    ({"classes": {"score": {"high": "yes"}}}, "plan.toml: 'population.classes.score.high' must be a number"),
    ({"phases": {"gate": {"2040": 0.3}}},
     "plan.toml: 'population.phases.gate.2040' must not fall below the year before (0.3 < 0.4)"),
    ({"phases": {"city": {"2050": 0.9}}}, "plan.toml: 'population.phases.city.2050' must be 1"),
    ({"targets": {"gate": {"residents": 2_000_000}}},
     "plan.toml: 'population.targets' give 2,000,000 residents to zones, more than 'population.city_residents'"),
    ({"targets": {"golden": {"residents": -5}}},
     "plan.toml: 'population.targets.golden.residents' must be a whole number of at least 0, got -5"),
    ({"city_jobs": 10.5}, "plan.toml: 'population.city_jobs' must be a whole number of at least 0, got 10.5"),
    ({"homes": 3}, "plan.toml: unknown entry 'population.homes'"),
])
def test_bad_entries_give_one_line_naming_the_entry(section, message):
    with pytest.raises(PlanError) as caught:
        PopulationParams.from_mapping(section, source="plan.toml")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_zone_without_targets_or_a_homeless_remainder_is_named():
    with pytest.raises(PlanError, match="'population.targets.north' is missing"):
        zone_targets(DEFAULT_PARAMS, ["gate", "north"])
    with pytest.raises(PlanError, match="1,650,000 residents of the city total go to no zone"):
        zone_targets(DEFAULT_PARAMS, ["gate", "city_rest"])
