"""Infrastructure demand: rates times residents and jobs, on round numbers; totals by district and phase."""

from __future__ import annotations

import pandas as pd
import pytest

from alatau_geo.analysis.demand import DEMAND_COLUMNS, demand_rates, demand_totals, point_demand
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.plan.demand_params import DEFAULT_BASIS, DemandParams

ROUND = DemandParams(
    electricity_kwh_per_resident_year=5000.0, electricity_max_load_hours=5000.0, electricity_kw_per_job=2.0,
    water_l_per_resident_day=200.0, water_l_per_job_day=50.0, water_max_day_factor=1.25, wastewater_share=0.9,
    gas_m3_per_resident_year=2000.0, gas_m3_per_job_year=1000.0, gas_max_load_hours=2000.0,
    school_places_per_1000=200.0, kindergarten_places_per_1000=100.0, clinic_visits_per_shift_per_1000=20.0,
)


def _cells() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["g1", "g2", "g1", "g2", "d1"],
        "district": ["gate", "gate", "gate", "gate", "golden"],
        "phase": [2030, 2030, 2050, 2050, 2050],
        "residents": [1000, 0, 2000, 1000, 500],
        "jobs": [0, 1000, 500, 1000, 0],
    })


def test_each_figure_is_rate_times_people():
    demand = point_demand(_cells(), ROUND).set_index(["id", "phase"])
    homes, work = demand.loc[("g1", 2030)], demand.loc[("g2", 2030)]
    # 1,000 residents at 1 kW; 1,000 jobs at 2 kW
    assert homes["electric_mw"] == pytest.approx(1.0) and work["electric_mw"] == pytest.approx(2.0)
    assert homes["water_m3_day"] == pytest.approx(200.0) and work["water_m3_day"] == pytest.approx(50.0)
    assert homes["water_max_m3_day"] == pytest.approx(250.0)
    assert homes["wastewater_m3_day"] == pytest.approx(180.0)
    assert homes["gas_m3_h"] == pytest.approx(1000.0) and work["gas_m3_h"] == pytest.approx(500.0)
    assert (homes["school_places"], homes["kindergarten_places"], homes["clinic_visits_per_shift"]) == \
        pytest.approx((200.0, 100.0, 20.0))
    assert work["school_places"] == 0.0  # jobs need no school places


def test_default_rates_give_the_norm_figures():
    demand = point_demand(pd.DataFrame({"residents": [1_000_000], "jobs": [0]}))
    # 2,400 kWh/year over 5,800 h: 0.414 kW per resident, 414 MW per million
    assert demand.loc[0, "electric_mw"] == pytest.approx(2400 / 5800 * 1000)
    assert demand.loc[0, "water_m3_day"] == pytest.approx(300_000.0)
    assert demand.loc[0, "clinic_visits_per_shift"] == pytest.approx(18_150.0)


def test_totals_by_district_and_phase_conserve_the_points():
    demand = point_demand(_cells(), ROUND)
    totals = demand_totals(demand)
    assert totals.index.names == ["district", "phase"]
    assert totals.loc[("gate", 2050), "residents"] == 3000
    assert totals.loc[("gate", 2050), "electric_mw"] == pytest.approx(3.0 + 1.0 + 2.0)
    assert totals.loc[("golden", 2050), "points"] == 1
    city = demand_totals(demand, by=["phase"])
    assert city.loc[2050, "school_places"] == pytest.approx(3500 * 0.2)
    assert city[list(DEMAND_COLUMNS)].sum().to_numpy() == pytest.approx(totals[list(DEMAND_COLUMNS)].sum().to_numpy())
    grand = demand_totals(demand, by=())
    assert grand.loc["total", "jobs"] == 2500


def test_points_without_a_district_form_their_own_group():
    cells = _cells()
    cells.loc[4, "district"] = None
    totals = demand_totals(point_demand(cells, ROUND), by=["district"])
    assert totals.loc["", "residents"] == 500


def test_bad_counts_name_the_points():
    cells = _cells()
    cells.loc[1, "residents"] = -5
    cells.loc[3, "residents"] = None
    with pytest.raises(LayerError, match=r"'residents' must be a number of at least 0; bad at g2, g2"):
        point_demand(cells)
    with pytest.raises(LayerError, match="missing column 'jobs'"):
        point_demand(_cells().drop(columns="jobs"))


def test_every_default_has_a_basis_and_user_values_are_marked():
    table = demand_rates()
    assert set(table["basis"]) <= {"norm", "assumed"}
    assert len(table) == len(DEFAULT_BASIS)
    assert table.loc["siting.demand.school_places_per_1000", "basis"] == "assumed"
    assert "SNiP 2.04.02-84*" in table.loc["siting.demand.water_l_per_resident_day", "source"]
    changed = demand_rates(DemandParams(school_places_per_1000=150.0))
    assert changed.loc["siting.demand.school_places_per_1000", "basis"] == "plan"


def test_plan_entries_are_checked_with_one_line_messages():
    assert DemandParams.from_mapping({"water_l_per_resident_day": 250}).water_l_per_resident_day == 250.0
    with pytest.raises(PlanError) as caught:
        DemandParams.from_mapping({"water_l_per_resident_day": -1}, source="plan.toml")
    assert str(caught.value) == "plan.toml: 'siting.demand.water_l_per_resident_day' must be at least 0, got -1"
    with pytest.raises(PlanError, match="plan.toml: unknown entry 'siting.demand.water_per_head'"):
        DemandParams.from_mapping({"water_per_head": 1}, source="plan.toml")
    with pytest.raises(PlanError, match="'siting.demand.wastewater_share' must be greater than 0 and at most 1"):
        DemandParams(wastewater_share=1.5)
    with pytest.raises(PlanError, match="'siting.demand.electricity_max_load_hours' must be greater than 0 h"):
        DemandParams(electricity_max_load_hours=0)
    with pytest.raises(PlanError, match="'siting.demand.gas_m3_per_job_year' must be a number"):
        DemandParams.from_mapping({"gas_m3_per_job_year": "lots"})
