"""The plan's [suitability] section: defaults, what a user's plan replaces, one-line errors naming the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from alatau_geo.core.errors import PlanError
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.placement_context import PlacementContext, flood_reference_level_m
from alatau_geo.plan.workspace import plan_fingerprint
from alatau_geo.reference.terrain import slope

LAYERS = Path(__file__).resolve().parents[1] / "layers"


def _plan(tmp_path: Path, text: str):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path)


def test_the_default_plan_holds_the_section():
    params = load_plan().suitability
    weights = params.normalised_weights()
    assert weights.sum() == pytest.approx(1.0)
    assert weights[["slope", "flood_height", "corridors", "settlements", "infrastructure"]].gt(0).all()
    assert [c.name for c in params.constraints] == [
        "water", "protection_strip", "protection_zone", "floodplain", "steep_slope", "reservoir_max_level"]
    steep = next(c for c in params.constraints if c.name == "steep_slope")
    assert steep.above == load_plan().analysis.max_buildable_slope_deg
    assert params.cell_size_m == 100.0 and params.area_layers == ("city_boundary", "sez")
    assert params.hazards.reservoir_max_level_m == 485.0


def test_a_users_weight_is_merged_key_by_key(tmp_path):
    plan = _plan(tmp_path, "[suitability.weights]\nslope = 0.5\n")
    raw = dict(plan.suitability.weights)
    assert raw["slope"] == 0.5 and raw["corridors"] == 0.20  # the others keep the default's
    assert plan_fingerprint(plan)["sha256"] != plan_fingerprint(load_plan())["sha256"]  # layers go stale


def test_a_users_constraints_replace_the_defaults_whole(tmp_path):
    plan = _plan(tmp_path, "[suitability.constraints.water]\nsource = 'reservoir'\nbuffer_m = 200.0\n")
    assert [(c.name, c.buffer_m) for c in plan.suitability.constraints] == [("water", 200.0)]


def test_a_users_criteria_bring_their_own_weights(tmp_path):
    criteria = "[suitability.criteria.slope]\nsource = 'slope'\none_at = 0.0\nzero_at = 5.0\n"
    plan = _plan(tmp_path, criteria + "[suitability.weights]\nslope = 1.0\n[suitability]\nweighting = 'weights'\n")
    assert [c.name for c in plan.suitability.criteria] == ["slope"]
    assert plan.suitability.normalised_weights().to_dict() == {"slope": 1.0}
    with pytest.raises(PlanError, match=r"plan\.toml: 'suitability\.weights' must give a weight for slope"):
        _plan(tmp_path, criteria)


@pytest.mark.parametrize(("text", "message"), [
    ("[suitability.weights]\nslope = -1\n", "plan.toml: 'suitability.weights.slope' must be at least 0, got -1"),
    ("[suitability.weights]\nslopes = 1\n", "plan.toml: unknown entry 'suitability.weights.slopes'"),
    ("[suitability.criteria.slope]\nsource = 'slope'\none_at = 1\nzero_at = 1\n[suitability.weights]\nslope = 1\n",
     "plan.toml: 'suitability.criteria.slope.zero_at' must differ from 'suitability.criteria.slope.one_at'"),
    ("[suitability.constraints.steep]\nsource = 'slope'\nabove = 10.0\n",
     "plan.toml: 'suitability.constraints.steep.above' (10) must equal 'analysis.max_buildable_slope_deg' (8)"),
    ("[suitability.hazards]\nreservoir_max_level_m = 478.0\n",
     "plan.toml: 'suitability.hazards.reservoir_max_level_m' (478) must not be below "
     "'hydrology.reservoir_level_m' (479)"),
    ("[suitability.classes]\nhigh_min = 0.4\n", "plan.toml: 'suitability.classes' thresholds must rise"),
    ("[suitability]\ncriteria = 3\n", "plan.toml: 'suitability.criteria' must be a table"),
    ("[suitability]\narea_layers = []\n", "plan.toml: 'suitability.area_layers' must name at least one layer"),
])
def test_invalid_entries_are_one_line_plan_errors(tmp_path, text, message):
    with pytest.raises(PlanError) as info:
        _plan(tmp_path, text)
    assert str(info.value).startswith(str(tmp_path / "plan.toml")) and "\n" not in str(info.value)
    assert message.split("plan.toml: ", 1)[1] in str(info.value)


def test_the_flood_rules_measure_from_the_reservoirs_maximum_level(tmp_path):
    plan = _plan(tmp_path, "[suitability.hazards]\nreservoir_max_level_m = 487.5\n")
    assert flood_reference_level_m(plan) == 487.5
    dem = read_raster(LAYERS / "terrain_dem.tif")
    context = PlacementContext.from_layers(read_layers(LAYERS), elevation=dem, slope=slope(dem), plan=plan)
    assert context.flood_level_m == 487.5 + plan.analysis.flood_freeboard_m == 488.5
