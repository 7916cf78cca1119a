"""Edits from the editing map: checked as untrusted input, applied to a workspace's plan and tables, rebuilt.

Unit tests of :mod:`alatau_geo.plan.edits` and :mod:`alatau_geo.plan.edit_changes` on
small data, then ``alatau-geo apply`` on a scratch workspace built from the
committed layers (no tiles).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from pyproj import Geod

from alatau_geo.cli import app as cli
from alatau_geo.cli import common
from alatau_geo.cli import edit as edit_command
from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.errors import PlanError
from alatau_geo.core.extent import StudyArea
from alatau_geo.core.io import read_layers
from alatau_geo.plan import rules
from alatau_geo.plan.config import load_plan, parse_plan
from alatau_geo.plan.edit_changes import EDITED_BASIS, apply_to_plan, apply_to_tables
from alatau_geo.plan.edits import AddFacility, MoveObject, RedrawZone, SetParameter, parse_edits

AREA = StudyArea(76.55, 43.10, 78.00, 44.00)
HOSTILE = "{{7*7}} <script>alert(1)</script> {% oops"
GATE_SQUARE = [[77.00, 43.40], [77.06, 43.40], [77.06, 43.45], [77.00, 43.45], [77.00, 43.40]]


def _file(*edits: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"format": "alatau-geo-edits", "version": 1, "edits": list(edits), **extra}


def _parse(*edits: dict[str, Any], **extra: Any) -> Any:
    return parse_edits(_file(*edits, **extra), source="edits.json", study_area=AREA)


MOVE = {"op": "move", "layer": "infrastructure", "id": "ss_gate_1", "lon": 77.05, "lat": 43.43}
ADD = {"op": "add", "layer": "infrastructure", "id": "ss_new_1", "kind": "substation", "name_en": "North <b>",
       "name_kk": "", "name_ru": "Северная", "district": "gate", "lon": 77.06, "lat": 43.44}
REDRAW = {"op": "redraw", "layer": "districts", "id": "gate",
          "geometry": {"type": "Polygon", "coordinates": [GATE_SQUARE]}}
SET = {"op": "set", "layer": "districts", "id": "gate", "parameter": "rule.buffer_m", "value": 600}


# --- reading the edit file ------------------------------------------------------------------------------------


def test_every_kind_of_edit_is_read_as_typed_values() -> None:
    edits = _parse(MOVE, ADD, REDRAW, SET, plan_sha256="a" * 64).edits
    assert edits[0] == MoveObject("infrastructure", "ss_gate_1", 77.05, 43.43)
    assert edits[1] == AddFacility("ss_new_1", "substation", "North <b>", "", "Северная", "gate", 77.06, 43.44)
    assert isinstance(edits[2], RedrawZone) and edits[2].rings == (tuple(map(tuple, GATE_SQUARE)),)
    assert edits[3] == SetParameter("districts", "gate", "rule.buffer_m", 600.0)


def test_a_hostile_name_stays_text() -> None:
    (added,) = _parse({**ADD, "name_en": HOSTILE}).edits
    assert added.name_en == HOSTILE  # kept as it is: never evaluated, escaped wherever it is shown


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"note": "x"}, "edit 1: unknown field(s) 'note' in a 'move' edit"),
        ({"op": "delete"}, "'op' must be one of move, add, redraw, set, got 'delete'"),
        ({"layer": "places"}, "'layer' must be one of infrastructure, projects, got 'places'"),
        ({"id": "SS Gate"}, "'id' must be an id of lower-case letters"),
        ({"lon": "77.05"}, "'lon' must be a number, got '77.05'"),
        ({"lon": float("nan")}, "'lon' must be a number, got nan"),
        ({"lat": 95.0}, "'lat' must be between -90 and 90, got 95"),
        ({"lon": 80.0}, "position 80.000000, 43.430000 is outside the study area"),
        ({"lat": True}, "'lat' must be a number, got True"),
    ],
)
def test_a_bad_move_is_refused_in_one_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as caught:
        _parse({**MOVE, **change})
    text = str(caught.value)
    assert message in text and text.startswith("edits.json: ") and "\n" not in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'name_en' must not be empty"),
        ("=HYPERLINK(\"http://x\")", "must not start with '='"),
        ("line one\nline two", "one line of text without control characters"),
        ("x" * 201, "at most 200 characters"),
        (["a list"], "'name_en' must be text, got list"),
    ],
)
def test_a_bad_name_is_refused(name: Any, message: str) -> None:
    with pytest.raises(PlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _parse({**ADD, "name_en": name})


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [77.0, 43.4]}, "must be a Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [[[77.0, 43.4], [77.1, 43.5], [77.1, 43.4], [77.0, 43.5]]]},
         "is not a valid polygon (Self-intersection"),
        ({"type": "Polygon", "coordinates": [[[75.0, 43.4], [77.1, 43.4], [77.1, 43.5]]]},
         "reaches outside the study area"),
        ({"type": "Polygon", "coordinates": [[[77.0, 43.4], [77.1, 43.4]]]}, "3 to 20,000 [lon, lat] points"),
        ({"type": "Polygon", "coordinates": [[[77.0, 43.4], [77.1, 43.4], [77.1, 543.5]]]},
         "outside WGS84 degrees"),
        ({"type": "Polygon", "coordinates": [[[77.0, 43.4], [77.1, 43.4], [77.1, 43.5]]], "crs": "x"},
         "only 'type' and 'coordinates'"),
    ],
)
def test_a_bad_outline_is_refused(geometry: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as caught:
        _parse({**REDRAW, "geometry": geometry})
    assert message in str(caught.value) and "edit 1" in str(caught.value)


def test_a_file_that_is_not_an_edit_file_is_refused() -> None:
    for data, message in (([], "not an edit file"), (_file(MOVE, extra=1), "unknown field(s) 'extra'"),
                          ({**_file(MOVE), "version": 2}, "not an edit file of this version"),
                          (_file(), "'edits' must be a non-empty list"),
                          (_file(MOVE, plan_sha256="nope"), "'plan_sha256' must be a SHA-256"),
                          (_file({**SET, "parameter": "rule.__class__"}), "'parameter' must be a rule parameter")):
        with pytest.raises(PlanError) as caught:
            parse_edits(data, source="edits.json", study_area=AREA)
        assert message in str(caught.value)


# --- the plan's polygon rule ----------------------------------------------------------------------------------


def test_a_drawn_polygon_rule_is_a_fixed_outline_in_the_working_crs() -> None:
    rule = rules.parse_rule({"kind": "polygon", "rings": [GATE_SQUARE]}, entry="districts.gate.rule",
                            source="plan.toml")
    assert rules.numeric_parameters(rule) == {} and rules.references(rule) == []
    assert rules.describe(rule) == "polygon drawn on the map (1 part, 4 points)"
    square = rule.geometry()
    # 0.06 deg x 0.05 deg at 43.4 N: 4.85 km x 5.56 km = 2,700 ha (geodesic).
    geodesic = abs(Geod(ellps="WGS84").polygon_area_perimeter(*zip(*GATE_SQUARE, strict=True))[0]) / 1e4
    assert square.area / 1e4 == pytest.approx(geodesic, rel=0.002) and 2_600 < geodesic < 2_800


# --- applying the edits -----------------------------------------------------------------------------------------


def _tables() -> dict[str, Any]:
    columns = ["id", "name_en", "name_kk", "name_ru", "kind", "works", "district", "geometry_kind", "placement",
               "rules", "via", "lon", "lat", "status", "financing", "position_quality", "basis"]
    row = dict.fromkeys(columns, "")
    row.update(id="ss_gate_1", kind="substation", geometry_kind="point", placement="rule", basis="assumed")
    line = {**row, "id": "gp_gate", "kind": "gas_pipeline", "geometry_kind": "line"}
    return {"infrastructure": (columns, [row, line]), "projects": (["id", "lon", "lat", "placement", "basis"], [])}


def test_moves_and_additions_change_copies_of_the_tables() -> None:
    tables = _tables()
    original = copy.deepcopy(tables)
    changed, said = apply_to_tables(_parse(MOVE, {**ADD, "name_en": HOSTILE}), tables, source="e.json",
                                    files={"infrastructure": "tables/infrastructure.csv"})
    assert tables == original  # the caller's tables are not touched
    columns, rows = changed["infrastructure"]
    moved, new = rows[0], rows[-1]
    assert (moved["lon"], moved["lat"], moved["placement"]) == ("77.050000", "43.430000", "given")
    assert moved["basis"] == f"assumed; {EDITED_BASIS}"
    assert new["id"] == "ss_new_1" and new["name_en"] == HOSTILE and new["placement"] == "given"
    assert new["rules"] == "in_district;outside_strips;max_slope;above_flood" and list(new) == columns
    assert said[0] == "infrastructure ss_gate_1: moved to 77.050000, 43.430000 (placement given)"


def test_a_line_cannot_be_moved_and_a_taken_id_cannot_be_added() -> None:
    files = {"infrastructure": "tables/infrastructure.csv"}
    with pytest.raises(PlanError, match="'gp_gate' is a line, drawn through its stops"):
        apply_to_tables(_parse({**MOVE, "id": "gp_gate"}), _tables(), source="e.json", files=files)
    with pytest.raises(PlanError, match="id 'ss_gate_1' is already in tables/infrastructure.csv"):
        apply_to_tables(_parse({**ADD, "id": "ss_gate_1"}), _tables(), source="e.json", files=files)
    with pytest.raises(PlanError, match="no row with id 'ss_nowhere'"):
        apply_to_tables(_parse({**MOVE, "id": "ss_nowhere"}), _tables(), source="e.json", files=files)


def test_a_redrawn_district_gets_a_polygon_rule_and_a_set_parameter_drops_its_calibration() -> None:
    from importlib import resources

    text = resources.files("alatau_geo").joinpath("data", "default_plan.toml").read_text("utf-8")
    plan = load_plan()
    document = tomlkit.parse(text)
    redraw = {**REDRAW, "id": "golden"}
    said = apply_to_plan(_parse(redraw, SET), document, plan, source="e.json")
    assert said[0] == "districts golden: redrawn as a fixed outline of 4 points"
    assert "calibration is dropped" in said[1] and "the plan said 1,000.0 m" in said[1]
    new = parse_plan(tomlkit.dumps(document), source="plan.toml", base_dir=None)
    golden = next(zone for zone in new.zones if zone.id == "golden")
    gate = next(zone for zone in new.zones if zone.id == "gate")
    assert isinstance(golden.rule, rules.Drawn) and golden.solve is None
    assert gate.rule.buffer_m == 600.0 and gate.solve is None and gate.published_ha == 4000.0
    # Comments and the other zones stay as they were.
    assert "# Zones. Each is built by a construction rule" in tomlkit.dumps(document)
    assert [zone.rule for zone in new.zones if zone.id == "green"] == [z.rule for z in plan.zones if z.id == "green"]
    with pytest.raises(PlanError, match=r"has no parameter 'rule.radius_m' \(it has: rule.buffer_m\)"):
        apply_to_plan(_parse({**SET, "parameter": "rule.radius_m"}), tomlkit.parse(text), plan, source="e.json")


# --- alatau-geo apply -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch workspace built from the committed layers (no tiles)."""
    workspace = tmp_path_factory.mktemp("edits") / "scenario"
    patch = pytest.MonkeyPatch()
    patch.delenv(common.DEM_DIR_VARIABLE, raising=False)
    patch.setattr(common, "default_dem_dirs", lambda: [workspace.parent / "no-shared" / "srtm"])
    try:
        assert cli.main(["-q", "init", str(workspace)]) == 0
        assert cli.main(["-q", "-w", str(workspace), "build", "--no-maps"]) == 0
    finally:
        patch.undo()
    return workspace


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_apply_refuses_the_default_scenario(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    edits = _write(tmp_path / "edits.json", _file(MOVE))
    assert cli.main(["-w", "default", "apply", str(edits)]) == 2
    err = capsys.readouterr().err.strip()
    assert "never the default scenario's; make a workspace first: alatau-geo init my_scenario" in err
    assert len(err.splitlines()) == 1


def test_apply_refuses_a_bad_file_in_one_line_and_changes_nothing(built: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    before = {path: path.read_bytes() for path in (built / "plan.toml", built / "tables" / "infrastructure.csv")}
    for content, code, message in (
        ("not json", 4, "not JSON"),
        (json.dumps(_file({**MOVE, "lon": 90.0})), 3, "outside the study area"),
        (json.dumps(_file({**MOVE, "id": "ss_nowhere"})), 3, "no row with id 'ss_nowhere'"),
    ):
        (tmp_path / "edits.json").write_text(content, encoding="utf-8")
        assert cli.main(["-q", "-w", str(built), "apply", str(tmp_path / "edits.json")]) == code
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
    assert cli.main(["-q", "-w", str(built), "apply", str(tmp_path / "missing.json")]) == 4
    assert "edit file not found" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in before} == before


def test_a_failed_rebuild_puts_the_plan_and_tables_back(built: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = {path: path.read_bytes() for path in (built / "plan.toml", built / "tables" / "infrastructure.csv")}

    def failing(*args: Any, **kwargs: Any) -> None:
        raise PlanError("plan.toml: the rebuild failed (test)")

    monkeypatch.setattr(edit_command, "build_workspace", failing)
    edits = _write(tmp_path / "edits.json", _file(MOVE, SET))
    assert cli.main(["-q", "-w", str(built), "apply", str(edits)]) == 3
    assert {path: path.read_bytes() for path in before} == before


def test_apply_moves_adds_and_changes_then_rebuilds_and_prints_the_diff(built: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(common.DEM_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(common, "default_dem_dirs", lambda: [tmp_path / "no-shared" / "srtm"])
    old = read_layers(built / "layers")
    gate_before = old["districts"].frame.set_index("id").geometry.loc["gate"].area / 1e4
    edits = _write(tmp_path / "edits.json", _file(MOVE, {**ADD, "name_en": HOSTILE}, SET))
    assert cli.main(["-q", "-w", str(built), "apply", str(edits)]) == 0
    out = capsys.readouterr().out
    assert "Applied 3 edit(s)" in out and "infrastructure ss_gate_1: moved to 77.050000, 43.430000" in out
    assert "infrastructure: changed, features 13 -> 14" in out and "districts: changed" in out
    assert "infrastructure ss_gate_1: rebuilt at 77.050000, 43.430000 (0.0 m from the edit), moved" in out
    layers = read_layers(built / "layers")
    objects = layers["infrastructure"].frame.to_crs(EXPORT_CRS).set_index("id")
    moved = objects.geometry.loc["ss_gate_1"]
    assert math.isclose(moved.x, 77.05, abs_tol=1e-6) and math.isclose(moved.y, 43.43, abs_tol=1e-6)
    assert objects.loc["ss_new_1", "name_en"] == HOSTILE  # the name stays text, all the way
    gate_after = layers["districts"].frame.set_index("id").geometry.loc["gate"].area / 1e4
    assert gate_after != pytest.approx(gate_before, rel=1e-3)  # the buffer is no longer calibrated
    assert "solve = \"rule.buffer_m\"" not in (built / "plan.toml").read_text("utf-8")
    # The rebuilt maps show the hostile name as text only.
    html = (built / "maps" / "infrastructure.html").read_text("utf-8")
    assert "49" not in html.split("ss_new_1")[0][-200:] and "<script>alert(1)" not in html
