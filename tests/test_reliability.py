"""Nothing a user does makes the toolkit crash, lie or leave a mess (issue 12).

Each hostile input runs the command line in a subprocess, as a user meets it,
and checks the exit code, that stderr holds exactly one line naming the file
and the cause, and that no output changed. Builds run without the SRTM tiles
(as on a fresh clone without ``../shared``), killed at chosen moments.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from alatau_geo.cli import app as cli
from alatau_geo.core.errors import ExportError

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCE = REPOSITORY / "src"
STUDY_POINT = [77.02, 43.42]  # inside the default study area (lon, lat)
# The command line as on a fresh clone: no SRTM tiles anywhere near.
WITHOUT_TILES = (
    "import sys\nfrom pathlib import Path\nfrom alatau_geo.cli import common\n"
    "common.default_dem_dirs = lambda: [Path('/nonexistent/srtm')]\n"
    "from alatau_geo.cli.app import main\nsys.exit(main(sys.argv[1:]))\n"
)


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "200"}
    env.pop("ALATAU_DEM_DIR", None)
    return env


def command(*args: str, launcher: str | None = None) -> list[str]:
    """``python -m alatau_geo.cli ARGS``, or `launcher` (Python code) given ARGS."""
    if launcher is None:
        return [sys.executable, "-m", "alatau_geo.cli", *args]
    return [sys.executable, "-c", launcher, *args]


def run(*args: str, cwd: Path, launcher: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args, launcher=launcher), cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300, check=False)


def start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command(*args, launcher=WITHOUT_TILES), cwd=cwd, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def one_line(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The single stderr line of a failed command, checked: exit code, no traceback, the words named."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` but hidden ones (locks, staging folders), by relative path."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
            if not any(part.startswith(".") for part in p.relative_to(root).parts)}


def leftovers(root: Path) -> list[str]:
    """Hidden entries (locks, staging and old folders, temporary files) anywhere under `root`."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".*"))


def write_geojson(path: Path, features: list[dict], **members: object) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", **members, "features": features}), encoding="utf-8")
    return path


def point(properties: dict, coordinates: list) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": coordinates}}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace built once, without tiles, with its maps: generation 1."""
    root = tmp_path_factory.mktemp("reliability")
    assert run("-q", "init", "ws", cwd=root).returncode == 0
    built = run("-q", "-w", "ws", "build", cwd=root, launcher=WITHOUT_TILES)
    assert built.returncode == 0, built.stderr
    return root / "ws"


@pytest.fixture(scope="module")
def first_generation(workspace: Path) -> dict[str, str]:
    assert leftovers(workspace) == []
    return snapshot(workspace)


# --------------------------------------------------------------------------- one line per bad input


def test_validate_an_unclosed_ring_names_the_feature(tmp_path: Path) -> None:
    ring = [[77.0, 43.5], [77.1, 43.5], [77.1, 43.6]]  # not closed
    write_geojson(tmp_path / "plots.geojson", [
        {"type": "Feature", "properties": {"id": "p1"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
    ])
    result = run("validate", "plots.geojson", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.strip().splitlines() == [
        "plots.geojson: feature 1 (id=p1): geometry cannot be built (Points of LinearRing do not form a closed "
        "linestring)"
    ]


def test_validate_geojson_in_cp1251_says_so(tmp_path: Path) -> None:
    text = json.dumps({"type": "FeatureCollection", "features": [point({"id": "a", "name": "Алатау"}, STUDY_POINT)]},
                      ensure_ascii=False)
    (tmp_path / "names.geojson").write_bytes(text.encode("cp1251"))
    result = run("validate", "names.geojson", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("names.geojson: layer: text is not UTF-8") and "cp1251" in line


def test_validate_nan_coordinates_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "nan.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"}, '
        '"geometry": {"type": "Point", "coordinates": [NaN, 43.5]}}]}', encoding="utf-8")
    result = run("validate", "nan.geojson", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == ["nan.geojson: feature 1 (id=a): a coordinate is not a number "
                                                  "(NaN or infinite)"]


def test_validate_a_metric_crs_on_degrees_says_so(tmp_path: Path) -> None:
    write_geojson(tmp_path / "utm.geojson", [point({"id": "a"}, STUDY_POINT), point({"id": "b"}, [77.1, 43.6])],
                  crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32643"}})
    result = run("validate", "utm.geojson", cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stdout.strip().splitlines()
    assert line.startswith("utm.geojson: layer: coordinates are longitude, latitude in degrees, but the CRS says "
                           "EPSG:32643") and "set the CRS to EPSG:4326" in line


def test_validate_a_folder_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "x.geojson").mkdir()
    one_line(run("validate", "x.geojson", cwd=tmp_path), 4, "x.geojson: is a folder")


def test_an_unreadable_dem_folder_is_exit_4(tmp_path: Path) -> None:
    dem = tmp_path / "srtm"
    dem.mkdir()
    launcher = None
    if os.geteuid() == 0:  # root reads any folder: refuse it the way the kernel refuses other users
        launcher = (f"import pathlib\noriginal = pathlib.Path.iterdir\n"
                    f"def iterdir(self):\n    if self.resolve() == pathlib.Path({str(dem)!r}):\n"
                    "        raise PermissionError(13, 'Permission denied', str(self))\n    return original(self)\n"
                    "pathlib.Path.iterdir = iterdir\n" + WITHOUT_TILES)
    else:
        dem.chmod(0)
    try:
        result = run("build", "--dem-dir", "srtm", "--layers-dir", "out", cwd=tmp_path, launcher=launcher)
    finally:
        dem.chmod(0o755)
    one_line(result, 4, "srtm: cannot read the DEM folder (Permission denied)")
    assert not (tmp_path / "out").exists()


def test_info_on_an_unknown_geometry_type_is_exit_4(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    layers.mkdir()
    (layers / "manifest.json").write_text(json.dumps({"layers": [{"name": "wells", "file": "wells.geojson"}]}),
                                          encoding="utf-8")
    feature = {"type": "Feature", "properties": {"id": "w1"}, "geometry": {"type": "Circle", "coordinates": [77, 43]}}
    write_geojson(layers / "wells.geojson", [feature], name="wells",
                  provenance={"source": "survey", "method": "GPS", "quality": "surveyed"})
    one_line(run("info", "--layers-dir", "layers", cwd=tmp_path), 4,
             "wells.geojson: feature 1: bad geometry (Unknown geometry type: 'circle')")


def test_a_malformed_tile_name_is_a_plan_error_before_any_work(fresh: Path, tmp_path: Path) -> None:
    shutil.copytree(fresh, tmp_path / "ws")
    edit(tmp_path / "ws" / "plan.toml", lambda text: text.replace('"N43E077"]', '"X43E077"]'))
    one_line(run("-w", "ws", "build", cwd=tmp_path), 3, "plan.toml: 'terrain.tiles': 'X43E077' is not an SRTM tile")
    assert not (tmp_path / "ws" / "layers").exists()


def _tile(path: Path, samples: np.ndarray) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{path.name[:7]}.hgt", samples.astype(">i2").tobytes())


def test_an_all_void_tile_is_named_before_any_work(tmp_path: Path) -> None:
    dem = tmp_path / "srtm"
    dem.mkdir()
    for name in ("N42E076", "N42E077", "N43E076"):
        _tile(dem / f"{name}.hgt.zip", np.full((1201, 1201), 500))
    _tile(dem / "N43E077.hgt.zip", np.full((1201, 1201), -32768))
    one_line(run("build", "--dem-dir", "srtm", "--layers-dir", "out", cwd=tmp_path), 4,
             "N43E077.hgt.zip: every sample is void")
    assert not (tmp_path / "out").exists()


def test_voids_left_after_filling_are_named_per_tile(tmp_path: Path) -> None:
    from affine import Affine

    from alatau_geo.core.crs import EXPORT_CRS
    from alatau_geo.core.raster import Raster
    from alatau_geo.reference.terrain import void_warnings

    mosaic = np.zeros((1201, 2401), dtype="float32")  # N43E076 west of N43E077, sharing a column
    mosaic[:300, 1500:1800] = np.nan  # 90,000 cells of N43E077 beyond the fill distance
    filled = Raster(mosaic, Affine(1 / 1200, 0, 76 - 1 / 2400, 0, -1 / 1200, 44 + 1 / 2400), EXPORT_CRS)
    tiles = {"N43E076": Path("srtm/N43E076.hgt.zip"), "N43E077": Path("srtm/N43E077.hgt.zip")}
    assert void_warnings(filled, tiles, max_distance_cells=100) == [
        "srtm/N43E077.hgt.zip: 90,000 of 1,442,401 cells still void after filling (farther than 100 cells from "
        "data, terrain.void_fill_max_distance_cells); streams, rivers and the reservoir there may be missing or "
        "wrong"
    ]


@pytest.mark.srtm
def test_strict_refuses_a_build_with_voids_left_and_writes_nothing(srtm_dir: Path, fresh: Path,
                                                                   tmp_path: Path) -> None:
    dem = tmp_path / "srtm"
    dem.mkdir()
    for name in ("N42E077", "N43E076", "N43E077"):
        (dem / f"{name}.hgt.zip").symlink_to(srtm_dir / f"{name}.hgt.zip")
    with zipfile.ZipFile(srtm_dir / "N42E076.hgt.zip") as archive:
        samples = np.frombuffer(archive.read("N42E076.hgt"), dtype=">i2").reshape(1201, 1201).copy()
    samples[-500:, :500] = -32768  # a south-west corner no fill reaches
    _tile(dem / "N42E076.hgt.zip", samples)
    shutil.copytree(fresh, tmp_path / "ws")
    # Cells more than 100 cells (the plan's fill distance) from data: 400 x 400 of the 500 x 500 corner.
    one_line(run("-q", "--strict", "-w", "ws", "build", "--dem-dir", "srtm", cwd=tmp_path), 4,
             "srtm/N42E076.hgt.zip: 160,000 of 1,442,401 cells still void after filling",
             "(--strict makes this an error)")
    assert sorted(p.name for p in (tmp_path / "ws").iterdir()) == ["README.md", "cache", "plan.toml", "tables"]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace as `alatau-geo init` makes it, never built; tests edit copies of it."""
    root = tmp_path_factory.mktemp("fresh") / "ws"
    assert cli.main(["-q", "init", str(root)]) == 0
    return root


@pytest.fixture
def scenario(fresh: Path, tmp_path: Path, no_default_tiles: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fresh workspace to edit, the current folder; builds in it find no tiles."""
    shutil.copytree(fresh, tmp_path / "ws")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "ws"


def fails(capsys: pytest.CaptureFixture, args: list[str], code: int, *words: str) -> str:
    """Run the command line in this process; like :func:`one_line`."""
    assert cli.main(args) == code
    captured = capsys.readouterr()
    return one_line(subprocess.CompletedProcess(args, code, captured.out, captured.err), code, *words)


def edit(path: Path, change) -> Path:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_a_places_table_without_rows_says_no_rows(scenario: Path, capsys: pytest.CaptureFixture) -> None:
    edit(scenario / "tables" / "places.csv", lambda text: text.splitlines()[0] + "\n")
    fails(capsys, ["-w", "ws", "build"], 4, "ws/tables/places.csv: the places table has a header but no rows")
    assert not (scenario / "layers").exists()


def test_a_settlement_far_outside_the_study_area_names_its_row(scenario: Path, capsys: pytest.CaptureFixture) -> None:
    def move_konaev(text: str) -> str:
        lines = text.splitlines()
        number = next(i for i, line in enumerate(lines) if line.startswith("konaev,"))
        cells = lines[number].split(",")
        cells[5:7] = ["70.0", "40.0"]
        lines[number] = ",".join(cells)
        return "\n".join(lines) + "\n"

    places = edit(scenario / "tables" / "places.csv", move_konaev)
    number = next(i for i, line in enumerate(places.read_text(encoding="utf-8").splitlines(), 1)
                  if line.startswith("konaev,"))
    fails(capsys, ["-w", "ws", "build"], 4,
          f"places.csv: line {number} (id=konaev): position (70, 40) lies far outside the study area")


def test_a_duplicate_place_id_gives_both_line_numbers(scenario: Path, capsys: pytest.CaptureFixture) -> None:
    places = edit(scenario / "tables" / "places.csv", lambda text: text + text.splitlines()[2] + "\n")
    lines = places.read_text(encoding="utf-8").splitlines()
    duplicate = lines[2].split(",")[0]
    fails(capsys, ["-w", "ws", "build"], 4,
          f"places.csv: line {len(lines)} (id={duplicate}): duplicate id '{duplicate}' (first on line 3)")


def test_a_table_path_that_is_a_folder_is_a_folder(scenario: Path, capsys: pytest.CaptureFixture) -> None:
    (scenario / "tables" / "places.csv").unlink()
    (scenario / "tables" / "places.csv").mkdir()
    fails(capsys, ["-w", "ws", "build"], 4, "places.csv: is a folder; expected the places table")


def test_tables_and_plans_from_untrusted_hands(scenario: Path, capsys: pytest.CaptureFixture) -> None:
    corridors = scenario / "tables" / "corridors.csv"
    # A right-to-left override makes a cell display otherwise than it reads.
    edit(corridors, lambda text: text.replace("\n", "\n\u202e", 1))
    line = fails(capsys, ["-w", "ws", "build"], 4, "corridors.csv: line 2, column 1: control character U+202E")
    assert line.endswith("remove it")
    corridors.write_bytes(b"")
    with open(corridors, "wb") as handle:
        handle.truncate(25_000_000)  # a sparse file: the size is refused before anything is read
    fails(capsys, ["-w", "ws", "build"], 4, "corridors.csv: 25,000,000 bytes is too large for a corridors table")
    plan = scenario / "plan.toml"
    plan.write_bytes(plan.read_bytes().replace(b"[study_area]", b"[study_area]\x07", 1))
    fails(capsys, ["-w", "ws", "build"], 3, "plan.toml: line", "control character U+0007")
    assert not (scenario / "layers").exists()


def test_a_missing_osm_extract_is_reported_first(fresh: Path, tmp_path: Path) -> None:
    shutil.copytree(fresh, tmp_path / "ws")
    # Exactly one line: not even the build's first message ("SRTM tiles not found ...") came before it.
    one_line(run("-w", "ws", "build", "--osm", "missing.osm", cwd=tmp_path, launcher=WITHOUT_TILES), 4,
             "missing.osm: OpenStreetMap extract (--osm) not found")
    assert not (tmp_path / "ws" / "layers").exists()


def test_a_shapefile_without_cpg_warns_of_the_guess_and_strict_refuses(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"id": ["a"], "name": ["Алатау"]}, geometry=[Point(*STUDY_POINT)], crs="EPSG:4326")
    frame.to_file(tmp_path / "towns.shp", engine="pyogrio", encoding="cp1251")
    (tmp_path / "towns.cpg").unlink()
    result = run("validate", "towns.shp", "--require", "name", cwd=tmp_path)
    assert result.returncode == 0
    assert "alatau-geo: warning: towns.shp: no towns.cpg says the text encoding; read as CP1251" in result.stderr
    one_line(run("--strict", "validate", "towns.shp", cwd=tmp_path), 4, "towns.shp: no towns.cpg", "--strict")


def test_an_unforeseen_error_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture) -> None:
    from alatau_geo.cli import inspection

    def broken(args: object) -> int:
        return 1 // 0

    monkeypatch.setattr(inspection, "run_info", broken)  # the parser is built when main() runs
    assert cli.main(["info"]) == cli.INTERNAL_ERROR
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("alatau-geo: internal error: ZeroDivisionError: integer division or modulo by zero (a bug")


# --------------------------------------------------------------------------- generations


def test_readers_refuse_a_file_from_another_generation(workspace: Path, first_generation: dict,
                                                       tmp_path: Path) -> None:
    copy = tmp_path / "layers"
    shutil.copytree(workspace / "layers", copy)
    places = copy / "places.geojson"
    places.write_text(places.read_text(encoding="utf-8").replace("Almaty", "Almatu"), encoding="utf-8")
    one_line(run("info", "--layers-dir", str(copy), cwd=tmp_path), 4,
             "places.geojson: does not belong to the build recorded in manifest.json")
    (copy / "places.geojson").write_bytes((workspace / "layers" / "places.geojson").read_bytes())
    (copy / "alatau_geo.gpkg").write_bytes(b"SQLite format 3\x00 from another build")
    one_line(run("info", "--layers-dir", str(copy), cwd=tmp_path), 4, "alatau_geo.gpkg: does not belong")
    manifest = json.loads((workspace / "layers" / "manifest.json").read_text(encoding="utf-8"))
    files = set(manifest["generation"]["files"])
    layers = {*(f"{entry['name']}.geojson" for entry in manifest["layers"]), "alatau_geo.gpkg", "terrain_dem.tif"}
    grids = {f"{kind}_{year}.tif" for kind in ("residents", "jobs") for year in (2030, 2040, 2050)}
    assert layers | grids <= files
    # The rest are the other rasters the build writes beside the layers (mountain DEM, suitability, HAND).
    assert all(name.endswith(".tif") and (workspace / "layers" / name).is_file() for name in files - layers)


def test_a_second_build_at_the_same_time_is_refused(workspace: Path, first_generation: dict) -> None:
    # Without its stage cache the first build takes long enough for the second to find it running.
    first = start("-q", "-w", "ws", "build", "--no-cache", cwd=workspace.parent)
    try:
        lock = workspace / ".layers.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = run("-w", "ws", "build", cwd=workspace.parent, launcher=WITHOUT_TILES)
        one_line(second, 5, "ws/layers: another alatau-geo process (PID", f"{first.pid}) is writing it")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert snapshot(workspace) == first_generation


def test_a_killed_build_leaves_the_previous_generation_and_the_next_run_cleans_up(
        workspace: Path, first_generation: dict) -> None:
    def locked(pid: int) -> bool:
        lock = workspace / ".layers.lock"
        return lock.is_file() and lock.read_text(encoding="ascii", errors="replace") == str(pid)

    def writing(pid: int) -> bool:  # a temporary file of the build's (rasters, GeoJSON, GeoPackage) in its staging
        return any((workspace / ".layers.staging").glob(f".*.pid{pid}.*.tmp"))

    def writing_gpkg(pid: int) -> bool:
        return any((workspace / ".layers.staging").glob(f".alatau_geo.gpkg.pid{pid}.*.tmp"))

    # Killed at points the build itself shows, not after fixed delays (a fast machine is done before them):
    # holding the lock while it computes, writing its files, writing the GeoPackage.
    for moment, reached in (("computing", locked), ("writing files", writing), ("writing the GeoPackage",
                                                                                writing_gpkg)):
        # Every stage computed (a build from the cache would be done before the kill).
        build = start("-q", "-w", "ws", "build", "--no-cache", cwd=workspace.parent)
        deadline = time.monotonic() + 240
        while not reached(build.pid):
            assert build.poll() is None, f"the build ended before it was {moment}"
            assert time.monotonic() < deadline, f"the build was not {moment} within 240 s"
            time.sleep(0.005)
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert snapshot(workspace) == first_generation, f"killed while {moment}"
        assert leftovers(workspace), f"killed while {moment}: a lock or a staging folder should be left behind"
    # The next run takes the stale locks over, removes the staging folders, and writes the same bytes.
    rebuilt = run("-w", "ws", "build", "--no-maps", cwd=workspace.parent, launcher=WITHOUT_TILES)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "left by an interrupted run" in rebuilt.stderr or "took over the lock" in rebuilt.stderr
    assert leftovers(workspace) == []
    assert snapshot(workspace) == first_generation  # GeoJSON, GeoPackage, manifest, raster, and the maps kept


def test_outputs_carry_no_timestamps(workspace: Path) -> None:
    from alatau_geo.core.gpkg import GPKG_TIMESTAMP

    with sqlite3.connect(workspace / "layers" / "alatau_geo.gpkg") as connection:
        changes = {row[0] for row in connection.execute("SELECT last_change FROM gpkg_contents")}
        metadata = " ".join(row[0] for row in connection.execute("SELECT metadata FROM gpkg_metadata"))
    assert changes == {GPKG_TIMESTAMP}
    assert time.strftime("%Y-%m-%d") not in metadata
    import rasterio

    with rasterio.open(workspace / "layers" / "terrain_dem.tif") as dataset:
        assert "TIFFTAG_DATETIME" not in dataset.tags()


def test_a_kill_while_swapping_is_completed_by_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alatau_geo.core.staging import StagedFolders

    layers, maps = tmp_path / "layers", tmp_path / "maps"
    for folder, text in ((layers, "old layers"), (maps, "old maps")):
        folder.mkdir()
        (folder / "page.txt").write_text(text, encoding="utf-8")
    renames = []
    original = Path.rename

    def rename_then_die(self: Path, target: Path) -> Path:
        if len(renames) == 2:  # layers swapped in, maps not yet: the moment a kill would hurt most
            raise KeyboardInterrupt
        renames.append(target)
        return original(self, target)

    with pytest.raises(KeyboardInterrupt), StagedFolders([layers, maps], on_message=lambda _: None) as staged:
        for folder, text in ((layers, "new layers"), (maps, "new maps")):
            (staged.folder(folder) / "page.txt").write_text(text, encoding="utf-8")
        monkeypatch.setattr(Path, "rename", rename_then_die)
        staged.commit()
    monkeypatch.setattr(Path, "rename", original)
    assert (layers / "page.txt").read_text(encoding="utf-8") == "new layers"
    assert (maps / "page.txt").read_text(encoding="utf-8") == "old maps"  # mixed: the journal says what is left
    said: list[str] = []
    with StagedFolders([layers, maps], on_message=said.append):
        pass
    assert (maps / "page.txt").read_text(encoding="utf-8") == "new maps"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers", "maps"]
    assert any("completed swapping in" in line for line in said)


def test_a_generation_replaces_the_outputs_and_keeps_the_users_files(tmp_path: Path) -> None:
    from alatau_geo.core.staging import StagedFolders

    layers = tmp_path / "layers"
    layers.mkdir()
    for name in ("a.geojson", "gone.geojson", "project.qgz", ".qgis_backup"):
        (layers / name).write_text(f"old {name}", encoding="utf-8")
    outputs = {"a.geojson", "gone.geojson"}  # what the previous build wrote, as its manifest would say
    with StagedFolders([layers], is_output=[lambda path: path.name in outputs], on_message=lambda _: None) as staged:
        (staged.folder(layers) / "a.geojson").write_text("new a.geojson", encoding="utf-8")
        staged.commit()
    assert {p.name: p.read_text(encoding="utf-8") for p in layers.iterdir()} == {
        "a.geojson": "new a.geojson", "project.qgz": "old project.qgz", ".qgis_backup": "old .qgis_backup"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers"]
    (tmp_path / "maps").write_text("a file where a folder belongs", encoding="utf-8")
    with pytest.raises(ExportError, match="maps: is a file; an output folder was expected there"):
        StagedFolders([tmp_path / "maps"]).__enter__()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers", "maps"]


def test_a_generation_reaches_the_disk_before_its_journal_not_file_by_file(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from alatau_geo.core import atomic
    from alatau_geo.core.atomic import atomic_write, text_writer
    from alatau_geo.core.staging import StagedFolders

    events: list[str] = []
    flush = atomic._flush_to_disk
    monkeypatch.setattr(atomic, "_flush_to_disk", lambda path: (events.append(f"flush {path.name}"), flush(path)))
    monkeypatch.setattr(atomic, "_flush_folder", lambda path: events.append(f"flush folder {path.name}"))
    layers = tmp_path / "layers"
    with StagedFolders([layers], on_message=lambda _: None) as staged:
        (staged.folder(layers) / "rasters").mkdir()
        for name in ("a.geojson", "rasters/b.tif"):
            atomic_write(staged.folder(layers) / name, text_writer(name))
        assert events == []  # written into the staging folder: not flushed one by one
        original = atomic.atomic_path

        def journal_path(path: str | Path, **options: bool):  # noqa: ANN202 - the context manager atomic_path gives
            events.append(f"journal {Path(path).name}")
            return original(path, **options)

        monkeypatch.setattr(atomic, "atomic_path", journal_path)
        staged.commit()
    journal = events.index("journal .layers.commit")
    assert sorted(events[:journal]) == ["flush a.geojson", "flush b.tif", "flush folder .layers.staging",
                                        "flush folder rasters"]
    assert events[journal + 1:] == ["flush .layers.commit"]  # a file outside a staging folder: flushed itself
    assert (layers / "rasters" / "b.tif").read_text(encoding="utf-8") == "rasters/b.tif"
