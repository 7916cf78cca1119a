"""The command line, as a user meets it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyogrio
import pytest

from alatau_geo.cli import app as cli
from alatau_geo.core.io import read_layers
from alatau_geo.jobs.forked import forks

REPOSITORY = Path(__file__).resolve().parents[1]
COMMITTED_LAYERS = REPOSITORY / "layers"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.geojson"))}


def test_help_of_every_command_has_an_example(capsys):
    for command in ("init", "build", "map", "export", "validate", "report", "site", "diff", "info"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        assert "example" in capsys.readouterr().out


def test_build_without_tiles_uses_committed_layers(tmp_path, no_default_tiles, capsys):
    layers = tmp_path / "layers"
    shutil.copytree(COMMITTED_LAYERS, layers, ignore=shutil.ignore_patterns("*.gpkg"))
    before = digests(layers)
    assert cli.main(["build", "--layers-dir", str(layers), "--maps-dir", str(tmp_path / "maps")]) == 0
    said = capsys.readouterr().err
    assert "SRTM tiles not found" in said and "keeping the DEM-derived layers already built" in said
    # Nothing changed, so the files are byte-identical, and the GeoPackage is there for QGIS.
    assert digests(layers) == before
    assert "unchanged" in said
    assert set(pyogrio.list_layers(layers / "alatau_geo.gpkg")[:, 0]) >= {"reservoir", "places", "layer_provenance"}


def test_edited_position_is_rebuilt_with_committed_terrain(tmp_path, no_default_tiles, capsys):
    layers = tmp_path / "layers"
    shutil.copytree(COMMITTED_LAYERS, layers, ignore=shutil.ignore_patterns("*.gpkg"))
    places = (REPOSITORY / "src/alatau_geo/data/places.csv").read_text(encoding="utf-8")
    edited = tmp_path / "places.csv"
    # A surveyed position for Kenen Azirbayev (ex-Pokrovka) replaces the approximate one.
    edited.write_text(places.replace("76.985,43.440,approximate", "76.990,43.445,surveyed"), encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text(f"[tables]\nplaces = '{edited.name}'\n", encoding="utf-8")
    assert cli.main(["--plan", str(plan), "build", "--layers-dir", str(layers), "--no-maps"]) == 0
    assert "places: changed" in capsys.readouterr().err
    frame = read_layers(layers)["places"].frame.set_index("id")
    assert frame.loc["kenen_azirbayev", "position_quality"] == "surveyed"
    assert 550 < frame.loc["kenen_azirbayev", "elevation_m"] < 750


def test_corrupt_tile_is_one_line_and_exit_4(tmp_path, capsys):
    dem = tmp_path / "srtm"
    dem.mkdir()
    for name in ("N42E076", "N42E077", "N43E076"):
        with zipfile.ZipFile(dem / f"{name}.hgt.zip", "w") as archive:
            archive.writestr(f"{name}.hgt", b"\x00\x01" * (1201 * 1201))
    (dem / "N43E077.hgt.zip").write_bytes(b"PK\x03\x04 truncated")
    code = cli.main(["build", "--dem-dir", str(dem), "--layers-dir", str(tmp_path / "out"), "--no-maps"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4
    assert err[-1].startswith("alatau-geo: error: ") and "N43E077.hgt.zip: corrupt tile" in err[-1]
    assert not (tmp_path / "out").exists()


def test_missing_tile_and_missing_folder(tmp_path, capsys):
    assert cli.main(["build", "--dem-dir", str(tmp_path / "nowhere"), "--no-maps"]) == 4
    assert "DEM folder not found" in capsys.readouterr().err
    (tmp_path / "srtm").mkdir()
    assert cli.main(["build", "--dem-dir", str(tmp_path / "srtm"), "--no-maps"]) == 4
    assert "tile N42E076 missing" in capsys.readouterr().err


def test_invalid_plan_exit_3(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text("[hydrology]\nstream_threshold_km2 = -1\n", encoding="utf-8")
    assert cli.main(["--plan", str(plan), "export", "--out", str(tmp_path / "x")]) == 3
    assert cli.main(["export", "--plan", str(plan), "--out", str(tmp_path / "x")]) == 3
    assert "'hydrology.stream_threshold_km2' must be greater than 0" in capsys.readouterr().err


def test_validate_reports_each_problem_and_exits_1(tmp_path, capsys):
    path = tmp_path / "substations.geojson"
    features = [
        {"type": "Feature", "properties": {"id": "a", "name": "ok"},
         "geometry": {"type": "Point", "coordinates": [77.02, 43.42]}},
        {"type": "Feature", "properties": {"id": "a", "name": "swapped"},
         "geometry": {"type": "Point", "coordinates": [43.42, 77.02]}},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    assert cli.main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert any("feature 2 (id=a)" in line and "swapped" in line for line in lines)
    assert any("duplicate id" in line for line in lines)
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_validate_clean_file_exits_0(tmp_path, capsys):
    assert cli.main(["validate", str(COMMITTED_LAYERS / "places.geojson"), "--require", "id",
                     "--require", "name_en"]) == 0
    assert "no problems found" in capsys.readouterr().err


def test_user_mistake_never_shows_a_traceback(tmp_path):
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"SQLite format 3\x00 but not really")
    run = subprocess.run([sys.executable, "-m", "alatau_geo.cli", "validate", str(broken)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert len(run.stdout.strip().splitlines()) == 1


@pytest.mark.srtm
def test_rebuild_from_tiles_is_deterministic(tmp_path, srtm_dir, capsys):
    layers = tmp_path / "layers"
    args = ["build", "--dem-dir", str(srtm_dir), "--layers-dir", str(layers), "--cache-dir", str(tmp_path / "cache"),
            "--maps-dir", str(tmp_path / "maps")]
    assert cli.main(["-v", *args]) == 0
    first = digests(layers)
    stages = capsys.readouterr().err
    if forks():  # a first build computes the mountain cluster beside the reference layers
        assert re.search(r"^  mountain +computed .*beside the others", stages, re.MULTILINE)
    assert cli.main(args) == 0
    said = capsys.readouterr().err
    assert digests(layers) == first
    assert "reservoir: unchanged" in said and "changed," not in said.split("Reservoir:")[-1]
    # The committed layers are what a build from the tiles gives.
    assert digests(COMMITTED_LAYERS) == first
    assert any((tmp_path / "cache" / "terrain").glob("*/slope_deg_utm43n.tif"))


def test_build_with_an_osm_extract_adds_osm_layers(tmp_path, no_default_tiles, capsys):
    layers = tmp_path / "layers"
    shutil.copytree(COMMITTED_LAYERS, layers, ignore=shutil.ignore_patterns("*.gpkg"))
    osm = REPOSITORY / "tests" / "data" / "alatau_small.osm"
    assert cli.main(["build", "--layers-dir", str(layers), "--osm", str(osm), "--no-maps"]) == 0
    built = read_layers(layers)
    assert {"places_osm", "corridors_osm", "rivers_osm"} <= set(built)
    places = built["places_osm"].frame
    assert (places["position_quality"] == "openstreetmap").all()
    assert "Otegen Batyr" in set(places["name_en"])
    assert "places_osm: new" in capsys.readouterr().err


def test_map_command_writes_self_contained_offline_maps(tmp_path, capsys):
    maps_dir = tmp_path / "maps"
    assert cli.main(["map", "--layers-dir", str(COMMITTED_LAYERS), "--maps-dir", str(maps_dir), "--offline"]) == 0
    pages = {p.name: p for p in maps_dir.glob("*.html")}
    assert set(pages) == {"overview.html", "districts.html", "infrastructure.html", "proximity.html", "terrain.html",
                          "population.html", "mountain.html", "suitability.html"}
    assert '<script src="http' not in pages["suitability.html"].read_text(encoding="utf-8")
    overview = pages["overview.html"].read_text(encoding="utf-8")
    assert pages["overview.html"].stat().st_size < 5_000_000
    assert '<script src="http' not in overview and '<link href="http' not in overview
    assert "Kapchagay reservoir" in overview and "Otegen Batyr" in overview
    assert "offline" in capsys.readouterr().err


def test_map_refuses_layers_a_build_replaced_while_it_read_them(tmp_path, capsys, monkeypatch):
    from alatau_geo.cli import build_pages

    looks = []

    def another_generation_each_look(folder):  # as if a build swapped the folder in between
        looks.append(folder)
        return {"districts.geojson": f"{len(looks):064x}"}

    monkeypatch.setattr(build_pages, "generation_files", another_generation_each_look)
    maps_dir = tmp_path / "maps"
    code = cli.main(["map", "--layers-dir", str(COMMITTED_LAYERS), "--maps-dir", str(maps_dir), "--offline"])
    said = capsys.readouterr().err
    assert code == 4 and "the layers were replaced while they were read" in said and "Traceback" not in said
    assert not list(maps_dir.glob("*.html"))  # no page of mixed layers


def test_progress_shows_each_step_on_a_terminal_and_nothing_when_quiet(monkeypatch):
    import io

    from alatau_geo.cli.common import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for quiet in (False, True):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        with progress(2, quiet=quiet) as step:
            step("reading SRTM tiles")
            step("zones and placement")
        assert ("zones and placement" in terminal.getvalue()) is not quiet


def test_report_areas_writes_csv_and_markdown(tmp_path, capsys):
    out = tmp_path / "reports"
    assert cli.main(["report", "areas", "--out-dir", str(out)]) == 0
    import pandas as pd

    table = pd.read_csv(out / "areas.csv").set_index("zone")
    assert set(table.index) == {"gate", "golden", "growing", "green", "alatau_city"}
    assert abs(table.loc["green", "area_ha"] - 31_730) / 31_730 < 0.005
    assert abs(table.loc["alatau_city", "area_ha"] - 88_000) / 88_000 < 0.005
    assert (table["buildable_ha"] < table["area_ha"]).all()
    # Gate's published targets: ~220,000 residents and ~181,000 jobs on ~4,000 ha.
    assert table.loc["gate", "residents_per_ha"] == pytest.approx(55, abs=1)
    assert "| gate |" in (out / "areas.md").read_text(encoding="utf-8")


def test_diff_reports_changed_districts(tmp_path, capsys):
    default = (REPOSITORY / "src/alatau_geo/data/default_plan.toml").read_text(encoding="utf-8")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(default, encoding="utf-8")
    growing_lines = 'lines = ["corridors:a3", "corridors:almaty_bypass", "corridors:zhetygen_altynkol"]'
    b.write_text(default.replace(f"{growing_lines}\nwidth_m = 3000.0", f"{growing_lines}\nwidth_m = 4000.0"),
                 encoding="utf-8")
    assert cli.main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    growing = next(line for line in out.splitlines() if line.startswith("districts.growing"))
    assert "ha (+" in growing and "4,000 m each side" in growing
    assert "districts.gate: unchanged" in out


def test_diff_reports_a_bad_plan_before_building_either(tmp_path, capsys):
    default = (REPOSITORY / "src/alatau_geo/data/default_plan.toml").read_text(encoding="utf-8")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(default, encoding="utf-8")
    b.write_text(default.replace("width_m = 3000.0", "width_m = -5.0", 1), encoding="utf-8")
    assert cli.main(["diff", str(a), str(b)]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert "b.toml" in line and "width_m" in line and "Traceback" not in captured.err


def test_diff_names_objects_whose_rules_newly_break(tmp_path, capsys):
    default = (REPOSITORY / "src/alatau_geo/data/default_plan.toml").read_text(encoding="utf-8")
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(default, encoding="utf-8")
    # A flood freeboard of 40 m puts the low plain near the reservoir under the flood level.
    b.write_text(default.replace("flood_freeboard_m = 1.0", "flood_freeboard_m = 40.0"), encoding="utf-8")
    assert cli.main(["diff", str(a), str(b)]) == 0
    captured = capsys.readouterr()
    assert "newly breaks above_flood" in captured.out
    assert "districts.gate: unchanged" in captured.out


def test_report_placement_lists_every_broken_rule(tmp_path, capsys):
    out = tmp_path / "reports"
    assert cli.main(["report", "placement", "--out-dir", str(out)]) == 0
    import pandas as pd

    report = pd.read_csv(out / "placement.csv")
    assert report["id"].nunique() == 52  # 30 engineering objects and 22 projects
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == int((~report["ok"]).sum())
    assert all(": breaks " in line for line in printed)


def test_report_proximity_writes_the_tables(tmp_path, capsys):
    out = tmp_path / "reports"
    assert cli.main(["report", "proximity", "--out-dir", str(out)]) == 0
    import pandas as pd

    times = pd.read_csv(out / "proximity_travel_times.csv", index_col=0)
    centres = times[times["kind"] == "district_centre"]
    assert set(centres.index) == {"gate", "golden", "growing", "green"}
    # Every district centre reaches Almaty within 85 minutes on the planned network (Green's, the
    # farthest, about 78 min: it lies 10 km west of the A3 beside Konaev).
    assert (centres["to_almaty_min"] < 85).all()
    uncovered = pd.read_csv(out / "proximity_uncovered_by_district.csv")
    assert (uncovered["uncovered_ha"] <= uncovered["area_ha"] + 0.1).all()
    assert "gate:" in capsys.readouterr().out
    assert (out / "proximity.md").read_text(encoding="utf-8").startswith("# Proximity and accessibility")


def test_the_command_runs_with_what_its_imports_made_out_of_the_collectors_way():
    """``alatau-geo``'s process freezes the import-time objects and collects young ones less often."""
    code = ("import gc, sys\n"
            "from alatau_geo.cli import app\n"
            "app.main = lambda: print(gc.get_freeze_count() > 50_000 and gc.get_threshold()[0] == 20_000) or 0\n"
            "app.run()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "True")
