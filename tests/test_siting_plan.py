"""The plan's [siting] section: defaults with their basis, user overrides and new kinds, one-line errors."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from alatau_geo.core.errors import PlanError
from alatau_geo.plan.capacity_params import SizingParams
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.demand_params import DemandParams
from alatau_geo.plan.siting_params import DEFAULT_SECTION, SitingParams, SitingSection
from alatau_geo.plan.workspace import plan_fingerprint

PROPOSED = Path(__file__).resolve().parents[1] / "docs" / "plan_sections" / "siting.toml"


def _default_plan() -> dict:
    return tomllib.loads(resources.files("alatau_geo").joinpath("data", "default_plan.toml").read_text("utf-8"))


def _plan(tmp_path: Path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_default_plan_spells_out_the_documented_defaults():
    section = _default_plan()["siting"]
    # The shipped plan holds every key (it is what `alatau-geo init` copies), each equal to the code's default.
    assert SitingSection.from_mapping(section) == DEFAULT_SECTION
    assert DemandParams.from_mapping(section["demand"]) == DemandParams()
    assert SizingParams.from_mapping(section["capacity"]) == SizingParams()
    assert load_plan().siting == DEFAULT_SECTION
    # The documented section (docs/plan_sections) is the same as the default plan's.
    assert tomllib.loads(PROPOSED.read_text(encoding="utf-8"))["siting"] == section
    models = load_plan().siting.models
    assert (models.time_limit_s, models.demand_block_m, models.max_candidates) == (60.0, 2000.0, 200)
    assert models.block_cells == 20
    assert models.kinds["substation"].limit == 8.0
    # A substation's firm capacity: 126 MVA x 0.92 x 0.7 = 81.144 MW.
    assert load_plan().siting.capacity.facilities["substation"].capacity == pytest.approx(81.144)


def test_user_plan_overrides_only_the_keys_it_names(tmp_path):
    plan = _plan(tmp_path, "[siting]\ntime_limit_s = 5\n[siting.kinds.substation]\nlimit = 10\n"
                           "[siting.demand]\nwater_l_per_resident_day = 250\n")
    assert plan.siting.models.time_limit_s == 5.0
    assert plan.siting.models.kinds["substation"].limit == 10.0
    assert plan.siting.models.kinds["substation"].demand == "electric_mw"
    assert plan.siting.demand.water_l_per_resident_day == 250.0
    assert plan.siting.demand.water_max_day_factor == 1.2
    assert plan.siting.capacity == SizingParams()


def test_a_plan_can_add_a_facility_kind(tmp_path):
    plan = _plan(tmp_path, '[siting.kinds.fire_station]\ndemand = "school_places"\ncost = "length"\nlimit = 3000\n'
                           '[siting.capacity.fire_station]\ndemand = "school_places"\ninstalled = 20000\n'
                           'installed_unit = "places"\n')
    assert plan.siting.models.kinds["fire_station"].limit == 3000.0
    assert plan.siting.capacity.facilities["fire_station"].capacity == 20000.0


def test_changing_siting_leaves_the_built_layers_current(tmp_path):
    # No layer of a build depends on [siting]: `site` records its hash apart, so no rebuild is needed.
    edited = _plan(tmp_path, "[siting]\nmax_candidates = 50\n")
    assert plan_fingerprint(edited)["sha256"] == plan_fingerprint(load_plan())["sha256"]
    assert edited.siting.digest() != load_plan().siting.digest()


@pytest.mark.parametrize(("text", "message"), [
    ("[siting]\ntime_limit_s = 0\n", "'siting.time_limit_s' must be greater than 0 s, got 0"),
    ("[siting]\ntime_limit_s = \"long\"\n", "'siting.time_limit_s' must be a number, got 'long'"),
    ("[siting]\ndemand_block_m = 1550\n", "'siting.demand_block_m' must be a whole multiple of the 100 m"),
    ("[siting]\nmax_candidates = 2.5\n", "'siting.max_candidates' must be a whole number of at least 1, got 2.5"),
    ("[siting]\ntime_limt_s = 5\n", "unknown entry 'siting.time_limt_s'"),
    ("[siting.kinds.substation]\nlimit = -1\n", "'siting.kinds.substation.limit' must be greater than 0 min"),
    ("[siting.kinds.substation]\ncost = \"money\"\n", "'siting.kinds.substation.cost' must be one of time, length"),
    ("[siting.kinds.fire_station]\ndemand = \"school_places\"\n", "'siting.kinds.fire_station' has no size"),
    ("[siting.capacity.substation]\ndemand = \"water_m3_day\"\n",
     "'siting.kinds.substation.demand' (electric_mw) must equal 'siting.capacity.substation.demand'"),
    ("[siting.capacity.substation]\npower_factor = 1.5\n",
     "'siting.capacity.substation.power_factor' must be greater than 0 and at most 1"),
    ("[siting.demand]\nwater_l_per_resident_dai = 3\n", "unknown entry 'siting.demand.water_l_per_resident_dai'"),
    ("[siting.demand]\nwater_l_per_resident_day = -1\n",
     "'siting.demand.water_l_per_resident_day' must be at least 0, got -1"),
    ("siting = 3\n", "'siting' must be a table, got 3"),
    ("[siting.kinds]\nsubstation = 4\n", "'siting.kinds.substation' must be a table, got 4"),
])
def test_invalid_entries_give_one_line_naming_the_file_and_entry(tmp_path, text, message):
    with pytest.raises(PlanError) as error:
        _plan(tmp_path, text)
    text_of = str(error.value)
    assert message in text_of and "\n" not in text_of
    assert text_of.startswith(f"{tmp_path / 'plan.toml'}: ")
    assert text_of.count(str(tmp_path / "plan.toml")) == 1


def test_siting_params_block_cells_follow_the_block_size():
    assert SitingParams(demand_block_m=500.0).block_cells == 5
