"""Facilities needed: ceil(demand / firm capacity), beside the catalogue's count; arithmetic on round numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from alatau_geo.analysis.sizing import facilities_needed
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.plan.capacity_params import FacilityCapacity, SizingParams

SUBSTATION = FacilityCapacity("electric_mw", 125.0, "MVA", power_factor=0.8, max_loading=1.0)  # 100 MW firm
PLANT = FacilityCapacity("wastewater_m3_day", 50_000.0, "m3/day")
PARAMS = SizingParams(facilities={"substation": SUBSTATION, "wastewater_plant": PLANT})


def _catalogue() -> pd.DataFrame:
    kinds = ["substation"] * 8 + ["wastewater_plant"] * 4 + ["road"]
    districts = ["gate"] * 3 + ["golden"] * 2 + ["growing"] * 2 + ["green"] + ["gate", "golden", "growing", "green"] \
        + [None]
    return pd.DataFrame({"kind": kinds, "district": districts})


def test_city_totals_by_phase_against_the_whole_catalogue():
    totals = pd.DataFrame({"electric_mw": [500.0, 1000.0], "wastewater_m3_day": [200_000.0, 250_001.0]},
                          index=pd.Index([2030, 2050], name="phase"))
    table = facilities_needed(totals, PARAMS, catalogue=_catalogue()).set_index(["phase", "kind"])
    assert SUBSTATION.capacity == pytest.approx(100.0)
    assert table.loc[(2030, "substation"), "needed"] == 5
    assert table.loc[(2030, "substation"), "verdict"] == "enough, 3 spare"
    assert table.loc[(2050, "substation"), "needed"] == 10
    assert table.loc[(2050, "substation"), "more_needed"] == 2
    assert table.loc[(2050, "substation"), "verdict"] == "2 more"
    assert table.loc[(2030, "wastewater_plant"), "verdict"] == "enough"  # 4 needed, 4 planned
    assert table.loc[(2050, "wastewater_plant"), "needed"] == 6  # 250,001 m3/day: just over 5 plants
    assert table.loc[(2050, "wastewater_plant"), "unit"] == "m3/day"


def test_exact_multiples_need_no_extra_facility():
    totals = pd.DataFrame({"electric_mw": [300.0000000001], "wastewater_m3_day": [0.0]})
    table = facilities_needed(totals, PARAMS)
    assert table.set_index("kind").loc["substation", "needed"] == 3
    assert table.set_index("kind").loc["wastewater_plant", "needed"] == 0
    assert (table["in_catalogue"] == 0).all()


def test_district_totals_count_only_that_districts_objects():
    index = pd.MultiIndex.from_tuples([("gate", 2050), ("green", 2050)], names=["district", "phase"])
    totals = pd.DataFrame({"electric_mw": [450.0, 50.0], "wastewater_m3_day": [40_000.0, 120_000.0]}, index=index)
    table = facilities_needed(totals, PARAMS, catalogue=_catalogue()).set_index(["district", "kind"])
    assert table.loc[("gate", "substation"), ["needed", "in_catalogue", "verdict"]].tolist() == [5, 3, "2 more"]
    assert table.loc[("green", "substation"), ["needed", "in_catalogue", "verdict"]].tolist() == [1, 1, "enough"]
    assert table.loc[("green", "wastewater_plant"), "verdict"] == "2 more"


def test_default_sizes_and_their_basis():
    params = SizingParams()
    substation = params.facilities["substation"]
    assert substation.capacity == pytest.approx(126.0 * 0.92 * 0.7)  # firm MW of 2 x 63 MVA
    assert params.basis("substation").kind == "assumed"
    changed = SizingParams.from_mapping({"substation": {"installed": 80.0}})
    assert changed.facilities["substation"].installed == 80.0
    assert changed.facilities["substation"].power_factor == 0.92  # the rest keeps its default
    assert changed.basis("substation").kind == "plan"


def test_plan_entries_are_checked():
    with pytest.raises(PlanError) as caught:
        SizingParams.from_mapping({"substation": {"power_factor": 1.2}}, source="plan.toml")
    assert str(caught.value) == ("plan.toml: 'siting.capacity.substation.power_factor' must be greater than 0 "
                                 "and at most 1, got 1.2")
    with pytest.raises(PlanError, match="'siting.capacity.hospital' needs installed, installed_unit"):
        SizingParams.from_mapping({"hospital": {"demand": "clinic_visits_per_shift"}})
    with pytest.raises(PlanError, match="'siting.capacity.school.demand' must be one of"):
        SizingParams.from_mapping({"school": {"demand": "pupils"}})
    with pytest.raises(PlanError, match="unknown entry 'siting.capacity.school.size'"):
        SizingParams.from_mapping({"school": {"size": 900}})


def test_missing_demand_column_is_named():
    with pytest.raises(LayerError, match="no column 'wastewater_m3_day' for the kind 'wastewater_plant'"):
        facilities_needed(pd.DataFrame({"electric_mw": [1.0]}), PARAMS)
