"""Scenario workspaces: every command reads and writes inside its workspace, and never mixes two plans."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from alatau_geo.cli import app as cli
from alatau_geo.core.errors import UsageError
from alatau_geo.core.io import read_layers
from alatau_geo.core.manifest import read_built_by
from alatau_geo.plan.workspace import TABLES, default_workspace, resolve_workspace

REPOSITORY = Path(__file__).resolve().parents[1]


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def repository_before() -> dict[str, dict[str, str]]:
    return {name: _tree_digest(REPOSITORY / name) for name in ("layers", "maps")}


@pytest.fixture
def workspace(tmp_path: Path, no_default_tiles: None) -> Path:
    root = tmp_path / "ws"
    assert cli.main(["-q", "init", str(root)]) == 0
    return root


def test_init_writes_an_editable_plan_tables_and_readme(workspace: Path, capsys: pytest.CaptureFixture) -> None:
    assert (workspace / "plan.toml").is_file() and (workspace / "README.md").is_file()
    assert sorted(p.stem for p in (workspace / "tables").glob("*.csv")) == sorted(TABLES)
    plan = resolve_workspace(str(workspace)).load_plan()
    assert plan.tables.places == (workspace / "tables" / "places.csv").resolve()
    assert cli.main(["init", str(workspace)]) == UsageError.exit_code == 2
    assert "already a workspace" in capsys.readouterr().err


def test_a_workspace_build_writes_only_inside_it(workspace: Path, repository_before: dict,
                                                 capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["-q", "-w", str(workspace), "build"]) == 0
    layers = read_layers(workspace / "layers")
    assert {"districts", "city_boundary", "sez", "reservoir", "places"} <= set(layers)
    assert {p.name for p in (workspace / "maps").glob("*.html")} >= {"overview.html", "districts.html"}
    assert read_built_by(workspace / "layers")["plan"] == "plan.toml"
    assert (workspace / "layers" / "terrain_dem.tif").is_file()  # copied from the default scenario
    # Reports go to the workspace too; the repository's layers and maps are as they were.
    assert cli.main(["-q", "-w", str(workspace), "report", "areas"]) == 0
    assert (workspace / "reports" / "areas.csv").is_file()
    assert {name: _tree_digest(REPOSITORY / name) for name in ("layers", "maps")} == repository_before


def test_layers_built_from_another_version_of_the_plan_are_refused(workspace: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["-q", "-w", str(workspace), "build", "--no-maps"]) == 0
    plan = workspace / "plan.toml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("river_strip_m = 35.0", "river_strip_m = 80.0"),
                    encoding="utf-8")
    assert cli.main(["-w", str(workspace), "report", "areas"]) == 4
    assert "the plan or its tables changed since" in capsys.readouterr().err
    assert cli.main(["-w", str(workspace), "map"]) == 4
    # Rebuilt without the tiles, the strips follow the new width instead of staying as they were.
    before = read_layers(workspace / "layers")["water_protection_strip"].frame.area.sum()
    assert cli.main(["-w", str(workspace), "build", "--no-maps"]) == 0
    assert "water_protection_strip: changed" in capsys.readouterr().err
    after = read_layers(workspace / "layers")["water_protection_strip"].frame.area.sum()
    assert after > 1.5 * before
    assert cli.main(["-q", "-w", str(workspace), "report", "areas"]) == 0


def test_a_terrain_setting_changed_without_tiles_says_tiles_are_needed(workspace: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    plan = workspace / "plan.toml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("stream_threshold_km2 = 100.0",
                                                             "stream_threshold_km2 = 50.0"), encoding="utf-8")
    assert cli.main(["-w", str(workspace), "build", "--no-maps"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "needs the SRTM tiles" in err[-1]


def test_a_plan_beside_the_default_scenario_cannot_build_into_its_layers() -> None:
    root = default_workspace().root
    with pytest.raises(UsageError, match="make a workspace for it: alatau-geo init"):
        resolve_workspace(None, plan=str(root / "my_plan.toml"))
    assert resolve_workspace("default").is_default


def test_diff_of_a_fresh_workspace_against_default_changes_nothing(workspace: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["diff", "default", str(workspace)]) == 0
    captured = capsys.readouterr()
    assert "0 of 13 zones differ; 0 objects changed" in captured.err


def test_validate_accepts_every_layer_the_toolkit_exports(capsys: pytest.CaptureFixture) -> None:
    for path in sorted((REPOSITORY / "layers").glob("*.geojson")):
        assert cli.main(["-q", "validate", str(path)]) == 0, capsys.readouterr().out


def test_validate_a_missing_file_or_a_folder_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["validate", str(tmp_path / "missing.geojson")]) == 4
    (tmp_path / "x.geojson").mkdir()
    assert cli.main(["validate", str(tmp_path / "x.geojson")]) == 4
    err = capsys.readouterr().err
    assert "missing.geojson: file not found" in err and "x.geojson: is a folder" in err


def test_a_closed_pipe_ends_quietly() -> None:
    run = subprocess.run(f"'{sys.executable}' -m alatau_geo.cli info | head -1", shell=True, capture_output=True,
                         text=True, check=False, cwd=REPOSITORY)
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr
    assert len(run.stdout.splitlines()) == 1



def test_the_tool_ends_with_its_exit_code_its_output_flushed_and_exit_handlers_run(tmp_path: Path) -> None:
    # alatau-geo ends without Python's module teardown (cli.app.run): nothing it writes may be lost.
    marker = tmp_path / "exit-handler-ran"
    script = (
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "from alatau_geo.cli import run\n"
        "sys.argv = ['alatau-geo'] + sys.argv[1:]\n"
        "run()\n"
    )
    listed = subprocess.run([sys.executable, "-c", script, "info"], capture_output=True, text=True, check=False,
                            cwd=REPOSITORY)
    assert listed.returncode == 0 and marker.read_text() == "yes"
    assert len(listed.stdout.splitlines()) >= 30 and listed.stdout.endswith("\n")  # every layer, to the last line
    missing = subprocess.run([sys.executable, "-m", "alatau_geo.cli", "validate", str(tmp_path / "none.geojson")],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 4 and "none.geojson: file not found" in missing.stderr


def test_each_message_is_shown_once(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # The travel-time table and the job access both attach the settlements off the generated network.
    assert cli.main(["report", "proximity", "--out-dir", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert any("off the network" in line for line in lines)
    assert len(lines) == len(set(lines)), lines
