"""The build's stage cache: exact storage, keys that follow the inputs, and a rebuild of only what changed."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, MultiPolygon, Point, box

from alatau_geo.cli import app as cli
from alatau_geo.cli import build as cli_build
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import StageCacheError
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.core.stage_store import FILES_FOLDER, read_stage, write_stage
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs import forked, handover
from alatau_geo.jobs.forked import forks
from alatau_geo.jobs.stage_cache import KEEP_PER_STAGE, StageCache, StageOutput, stage_keys
from alatau_geo.plan.config import load_plan

REPOSITORY = Path(__file__).resolve().parents[1]
X0, Y0 = 660_000.0, 4_820_000.0


@pytest.fixture
def layer() -> Layer:
    frame = gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": pd.array(["Жетысу", None, "Core"], dtype="str"),
            "note": [None, "x", np.nan],
            "area_ha": [100.12345678901234, np.nan, np.inf],
            "count": np.array([1, 2, 3], dtype="uint8"),
            "share": pd.array([5, pd.NA, 7], dtype="Int64"),
            "flag": [True, False, True],
            "approved": pd.to_datetime(["2024-05-01", None, "2025-01-02"]),
            "tags": [("x", 1.5), [], {"k": None, 2: np.float64(0.1)}],
        },
        geometry=[MultiPolygon([box(X0, Y0, X0 + 1000.1, Y0 + 700.3)]),
                  LineString([(X0, Y0, 5.0), (X0 + 0.1, Y0 + 0.2, 7.5)]), Point(X0 + 1 / 3, Y0 + 2 / 3)],
        crs=WORKING_CRS,
    )
    frame.attrs = {"warnings": ["one", "two"]}
    return Layer("mixed", frame, Provenance("test", "drawn", {"widths_m": (30.0, 50.0), "n": 2}), "Mixed")


def test_stored_layers_rasters_figures_and_files_read_back_exactly(layer: Layer, tmp_path: Path) -> None:
    raster = Raster(np.array([[1.5, np.nan], [1 / 3, 2e-9]], dtype="float32"), Affine(90, 0, X0, 0, -90, Y0),
                    CRS.from_epsg(32643))
    figures = {"area_km2": 1059.9123456789, "rivers": {"ili": {"length_km": 10.4}}, "counts": (1, 2), "notes": ["a"]}
    (tmp_path / FILES_FOLDER).mkdir()
    (tmp_path / FILES_FOLDER / "grid.tif").write_bytes(b"\x00\x01 a raster")
    cells = Layer("cells", gpd.GeoDataFrame({"id": ["x"]}, geometry=[box(X0, Y0, X0 + 90, Y0 + 90)], crs=WORKING_CRS),
                  Provenance("test", "cells"), disjoint=True)
    write_stage(tmp_path, layers=LayerSet([layer, cells]), rasters={"dem": raster},
                arrays={"drains": np.array([[0, 255]], dtype="uint8")}, figures=figures, files=["grid.tif"])
    stored = read_stage(tmp_path)
    back = stored.layers["mixed"]
    assert (back.name, back.title, back.provenance) == (layer.name, layer.title, layer.provenance)
    assert not back.disjoint and stored.layers["cells"].disjoint  # the sum of its areas is its measure
    pd.testing.assert_frame_equal(back.frame.drop(columns="geometry"), layer.frame.drop(columns="geometry"),
                                  check_exact=True)
    assert back.frame["tags"].tolist() == [("x", 1.5), [], {"k": None, 2: np.float64(0.1)}]
    assert (shapely.to_wkb(back.frame.geometry.values) == shapely.to_wkb(layer.frame.geometry.values)).all()
    assert back.frame.crs == layer.frame.crs and back.frame.attrs == layer.frame.attrs
    assert stored.figures == figures and stored.files == {"grid.tif": stored.files["grid.tif"]}
    assert stored.rasters["dem"].transform == raster.transform and stored.rasters["dem"].crs == raster.crs
    np.testing.assert_array_equal(stored.rasters["dem"].data, raster.data)
    assert stored.rasters["dem"].data.dtype == np.float32 and stored.arrays["drains"].dtype == np.uint8


def test_a_value_the_store_cannot_hold_is_not_cached(layer: Layer, tmp_path: Path) -> None:
    frame = layer.frame.copy()
    frame["kind"] = pd.Categorical(["a", "b", "a"])
    categorical = LayerSet([Layer("mixed", frame, layer.provenance)])
    (tmp_path / "entry").mkdir()
    with pytest.raises(StageCacheError, match="kind"):
        write_stage(tmp_path / "entry", layers=categorical)
    cache, calls = StageCache(tmp_path), []
    for _ in range(2):  # computed both times, and the result is the same
        output = cache.run("zones", "k", lambda _: calls.append(1) or StageOutput(layers=categorical, value=1))
        assert output.computed and output.layers["mixed"].frame["kind"].dtype == "category"
    assert len(calls) == 2 and not list((tmp_path / "stages").glob("zones-*"))


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_cache_computes_once_keeps_the_newest_and_recomputes_a_damaged_entry(
        layer: Layer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache, calls = StageCache(tmp_path), []

    def compute(files: Path | None) -> StageOutput:
        calls.append(1)
        (files / "grid.tif").write_bytes(b"raster bytes")
        return StageOutput(layers=LayerSet([layer]), files=("grid.tif",), value=1)

    first = cache.run("zones", "k0", compute)
    again = cache.run("zones", "k0", compute)
    assert len(calls) == 1 and first.computed and not again.computed and list(again.layers) == ["mixed"]
    assert (again.files_dir / "grid.tif").read_bytes() == b"raster bytes"
    assert [run.status for run in cache.runs] == ["computed", "cached"]
    for number in range(1, KEEP_PER_STAGE + 2):
        cache.run("zones", f"k{number}", compute)
    assert len(list((tmp_path / "stages").glob("zones-*"))) == KEEP_PER_STAGE
    newest = tmp_path / "stages" / f"zones-k{KEEP_PER_STAGE + 1}"
    for damage in (lambda: _damage(newest / "arrays.npz"), lambda: _damage(newest / FILES_FOLDER / "grid.tif"),
                   lambda: (newest / "entry.json").write_text('{"format": 1, "layers": [', encoding="utf-8")):
        damage()
        calls.clear()
        with caplog.at_level(logging.WARNING, logger="alatau_geo"):
            assert cache.run("zones", f"k{KEEP_PER_STAGE + 1}", compute).computed
        assert calls == [1] and "damaged stage cache entry" in caplog.text
        caplog.clear()
    assert not cache.run("zones", f"k{KEEP_PER_STAGE + 1}", compute).computed  # stored afresh


def test_a_stage_another_process_stored_meanwhile_is_kept_as_it_is(layer: Layer, tmp_path: Path) -> None:
    # diff builds its two scenarios side by side; two equal plans compute the same stage at once.
    other, mine = StageCache(tmp_path), StageCache(tmp_path)

    def compute(text: bytes, files: Path | None) -> StageOutput:
        (files / "grid.tif").write_bytes(text)
        return StageOutput(layers=LayerSet([layer]), files=("grid.tif",), value=1)

    def compute_while_the_other_stores(files: Path | None) -> StageOutput:
        first = other.run("zones", "k", partial(compute, b"stored first"))
        held = first.files_dir / "grid.tif"
        output = compute(b"stored second", files)
        assert held.read_bytes() == b"stored first"  # not removed under the other process's feet
        return output

    output = mine.run("zones", "k", compute_while_the_other_stores)
    assert output.computed and (output.files_dir / "grid.tif").read_bytes() == b"stored first"
    assert sorted(path.name for path in (tmp_path / "stages").iterdir()) == ["zones-k"]  # no temporary left
    assert not mine.run("zones", "k", partial(compute, b"never")).computed


def test_what_a_killed_build_left_in_the_cache_is_removed(layer: Layer, tmp_path: Path) -> None:
    stages = tmp_path / "stages"
    stages.mkdir()
    dead = stages / ".zones.pid999999999.abc.tmp"  # no process has that id
    alive = stages / f".zones.pid{os.getpid()}.abc.tmp"  # a build still writing
    for folder in (dead, alive):
        (folder / FILES_FOLDER).mkdir(parents=True)
    StageCache(tmp_path).run("zones", "k", lambda _: StageOutput(layers=LayerSet([layer]), value=1))
    assert not dead.exists() and alive.exists()


def test_keys_follow_exactly_what_each_stage_reads() -> None:
    plan = load_plan()
    base = stage_keys(plan, reference="r")
    assert stage_keys(load_plan(), reference="r") == base  # the same plan read again: the same keys

    def keys(**changes: object) -> tuple[bool, ...]:
        changed = stage_keys(dataclasses.replace(plan, **changes), reference="r")
        return tuple(a != b for a, b in zip(changed.values()[2:], base.values()[2:], strict=True))

    zones = list(plan.zones)
    growing = next(i for i, zone in enumerate(zones) if zone.id == "growing")
    zones[growing] = dataclasses.replace(zones[growing], name_en="Growing (edited)")
    # zones, placement, population, analyses, suitability
    assert keys(zones=tuple(zones)) == (True, True, True, True, True)
    # The suitability comes before the people (they are allocated on its classes) and reads neither.
    assert keys(network=dataclasses.replace(plan.network, block_m=450.0)) == (False, False, False, True, False)
    assert keys(population=dataclasses.replace(plan.population, city_residents=1_800_000)) == (
        False, False, True, True, False)
    assert keys(maps=dataclasses.replace(plan.maps, language="kk")) == (False,) * 5
    assert keys(uncertainty=dataclasses.replace(plan.uncertainty, runs=5)) == (False,) * 5
    assert all(a != b for a, b in zip(stage_keys(plan, reference="other").values()[2:], base.values()[2:],
                                      strict=True))
    other_hand = stage_keys(plan, reference="r", hazards="h")
    assert (other_hand.zones, other_hand.placement) == (base.zones, base.placement)
    assert all(getattr(other_hand, name) != getattr(base, name) for name in ("suitability", "population", "analyses"))


def test_tile_bytes_and_sections_key_the_reference_and_mountain_stages(tmp_path: Path) -> None:
    plan = load_plan()
    paths = {}
    for name in plan.terrain.tiles:
        paths[name] = tmp_path / f"{name}.hgt"
        paths[name].write_bytes(name.encode() * 100)
    reference, mountain = pipeline.tiles_keys(plan, paths)
    paths[plan.terrain.tiles[0]].touch()  # a newer time, the same bytes
    assert pipeline.tiles_keys(plan, paths) == (reference, mountain)
    paths[plan.terrain.tiles[0]].write_bytes(b"other samples")
    assert all(a != b for a, b in zip(pipeline.tiles_keys(plan, paths), (reference, mountain), strict=True))
    paths[plan.terrain.tiles[0]].write_bytes(plan.terrain.tiles[0].encode() * 100)
    hydrology = dataclasses.replace(plan.hydrology, stream_threshold_km2=150.0)
    assert pipeline.tiles_keys(dataclasses.replace(plan, hydrology=hydrology), paths)[1] == mountain
    assert pipeline.tiles_keys(dataclasses.replace(plan, hydrology=hydrology), paths)[0] != reference
    tweaked = dataclasses.replace(plan.mountain.lifts, sample_spacing_m=plan.mountain.lifts.sample_spacing_m + 5)
    other = pipeline.tiles_keys(dataclasses.replace(plan, mountain=dataclasses.replace(plan.mountain,
                                                                                      lifts=tweaked)), paths)
    assert other[0] == reference and other[1] != mountain
    zones = pipeline.tiles_keys(dataclasses.replace(plan, zones=plan.zones[:-1]), paths)
    assert zones == (reference, mountain)


def test_committed_layers_key_their_bytes_not_the_rebuilt_gazetteer(tmp_path: Path) -> None:
    plan = load_plan()
    committed = REPOSITORY / "layers"
    layers = tmp_path / "layers"
    shutil.copytree(committed, layers, ignore=shutil.ignore_patterns("*.gpkg"))
    key = pipeline.committed_key(plan, committed)
    assert pipeline.committed_key(plan, layers) == key  # its bytes, not where it is
    (layers / "places.geojson").write_text((layers / "places.geojson").read_text(encoding="utf-8") + " ")
    (layers / "districts.geojson").write_text("{}", encoding="utf-8")
    assert pipeline.committed_key(plan, layers) == key  # rebuilt from the tables / built by the plan
    (layers / "rivers.geojson").write_text((layers / "rivers.geojson").read_text(encoding="utf-8") + " ")
    assert pipeline.committed_key(plan, layers) != key


def test_layer_names_are_those_the_modules_make() -> None:
    from alatau_geo.analysis import layer_names
    from alatau_geo.analysis.hazard_layers import HAZARD_LAYERS
    from alatau_geo.analysis.suitability_layers import SURFACE_LAYERS
    from alatau_geo.jobs.suitability import SUITABILITY_LAYERS
    from alatau_geo.reference.build import REFERENCE_STEPS

    assert layer_names.SUITABILITY_LAYERS == SUITABILITY_LAYERS == (*SURFACE_LAYERS, *HAZARD_LAYERS)
    assert pipeline.BUILD_STEPS == REFERENCE_STEPS + 7


# --------------------------------------------------------------------------- a workspace built again


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _statuses(outcome: pipeline.BuildOutcome) -> dict[str, str]:
    return {run.stage: run.status for run in outcome.stages}


PLAN_STAGES = ("zones", "placement", "population", "analyses", "suitability")
EARLY_PAGES = "maps: the pages without the residents and analyses"
"""The step of the map pages drawn while the residents are allocated and the analyses worked out."""
PLACED_PAGES = "maps: the pages of the zones and placed objects"
"""The step of the map pages drawn while the suitability is worked out."""


def test_edit_of_one_district_rebuilds_only_what_depends_on_it(tmp_path: Path, no_default_tiles: None,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture) -> None:
    ws = tmp_path / "ws"
    assert cli.main(["-q", "init", str(ws)]) == 0
    outcomes: list[pipeline.BuildOutcome] = []
    original = cli_build.build_workspace
    monkeypatch.setattr(cli_build, "build_workspace", lambda *a, **k: outcomes.append(original(*a, **k)))

    def build(*options: str) -> dict[str, str]:
        assert cli.main(["-q", "-w", str(ws), "build", *options]) == 0
        return _statuses(outcomes[-1])

    first = build()
    assert {first[stage] for stage in ("reference", *PLAN_STAGES, "maps")} == {"computed"}
    layers, maps = _contents(ws / "layers"), _contents(ws / "maps")
    # Nothing edited: every stage from the cache, the layers and maps in place kept, byte for byte.
    assert build() == {**dict.fromkeys(("reference", *PLAN_STAGES), "cached"), "layers in place": "reused",
                       "maps": "reused"}
    assert (_contents(ws / "layers"), _contents(ws / "maps")) == (layers, maps)
    assert all(change.status == "unchanged" for change in outcomes[-1].changes)

    # A damaged entry is computed again with a warning, never a traceback.
    (entry,) = (ws / "cache" / "stages").glob("population-*")
    _damage(entry / "arrays.npz")
    capsys.readouterr()
    statuses = build("--no-maps")
    said = capsys.readouterr().err
    assert statuses["population"] == "computed" and statuses["analyses"] == "cached"
    assert "ignoring a damaged stage cache entry" in said and "Traceback" not in said
    assert _contents(ws / "layers") == layers

    plan = (ws / "plan.toml").read_text(encoding="utf-8")
    growing = plan.index('id = "growing"')
    edited = plan[:growing] + plan[growing:].replace("width_m = 3000.0", "width_m = 3500.0", 1)
    assert edited != plan
    (ws / "plan.toml").write_text(edited, encoding="utf-8")
    statuses = build()
    assert statuses["reference"] == "cached"
    assert {stage: statuses[stage] for stage in PLAN_STAGES} == dict.fromkeys(PLAN_STAGES, "computed")
    # The hazard layers read no district: kept as they were (by the key of what they read), the others redrawn.
    changes = {change.name: change.status for change in outcomes[-1].changes}
    assert changes["floodplain"] == changes["reservoir_bands"] == "unchanged" and changes["districts"] == "changed"
    if forks():  # the pages that show no layer still to come are drawn while those are worked out
        assert statuses[PLACED_PAGES] == statuses[EARLY_PAGES] == statuses["maps"] == "computed"
        # and the timing marks what ran in the other processes (the benchmark's profile leaves them out of the sum)
        assert {run.stage for run in outcomes[-1].stages if run.beside} == {
            "analyses: service areas, travel times, coverage", PLACED_PAGES, EARLY_PAGES, "maps"}
    edited_maps = _contents(ws / "maps")
    assert edited_maps["districts.html"] != maps["districts.html"]
    changes = {change.name: change.status for change in outcomes[-1].changes}
    assert changes["districts"] == changes["service_areas"] == changes["suitability_classes"] == "changed"
    assert changes["reservoir"] == changes["rivers"] == changes["mountain_terrain_classes"] == "unchanged"
    once = _contents(ws / "layers")
    assert once["districts.geojson"] != layers["districts.geojson"]
    assert once["reservoir.geojson"] == layers["reservoir.geojson"]

    # A second edit in a row: nothing the first left in the cache (memos, records, kept pages) may leak into it.
    (ws / "plan.toml").write_text(plan[:growing] + plan[growing:].replace("width_m = 3000.0", "width_m = 2800.0", 1),
                                  encoding="utf-8")
    statuses = build()
    assert {stage: statuses[stage] for stage in PLAN_STAGES} == dict.fromkeys(PLAN_STAGES, "computed")
    cached, edited_maps = _contents(ws / "layers"), _contents(ws / "maps")
    assert cached["districts.geojson"] not in (layers["districts.geojson"], once["districts.geojson"])

    # Every page drawn once the layers are all in place, not some beside the analyses:
    monkeypatch.setattr(handover, "early_of", lambda *_args, **_options: None)
    statuses = build("--no-cache")
    assert set(statuses.values()) == {"computed", "ran"} and not {PLACED_PAGES, EARLY_PAGES} & set(statuses)
    assert _contents(ws / "layers") == cached  # the cached build is the uncached one, byte for byte
    assert _contents(ws / "maps") == edited_maps  # and the pages drawn in steps are those drawn at once
    # `map` reads part of the layers while a forked process renders the relief and reads the rest: the pages
    # it draws so are those it draws in one process.
    assert cli.main(["-q", "-w", str(ws), "map", "--no-cache"]) == 0
    beside = _contents(ws / "maps")
    monkeypatch.setattr(forked, "forks", lambda _workers=None: False)
    assert cli.main(["-q", "-w", str(ws), "map", "--no-cache"]) == 0
    assert _contents(ws / "maps") == beside and set(beside) == set(edited_maps)


@pytest.mark.parametrize("staged", [True, False], ids=["into a staging folder", "over the layers in place"])
def test_an_export_says_what_changed_against_the_layers_it_replaces(tmp_path: Path, staged: bool) -> None:
    from alatau_geo.core.io import export_layers, read_layers
    from alatau_geo.jobs.reuse import export_or_reuse

    def zone(name: str, width_m: float) -> Layer:
        frame = gpd.GeoDataFrame({"id": [name]}, geometry=[box(X0, Y0, X0 + width_m, Y0 + 1_000.0)], crs=WORKING_CRS)
        return Layer(name, frame, Provenance("test", "drawn"), name.title())

    layers_dir = tmp_path / "layers"
    export_layers(LayerSet([zone("kept", 1_000.0), zone("widened", 1_000.0)]), layers_dir)
    out_dir = tmp_path / "staging" if staged else layers_dir
    # Compared beside the export when it writes elsewhere; before it, when it writes over the files compared with.
    export, changes = export_or_reuse(
        LayerSet([zone("kept", 1_000.0), zone("widened", 1_500.0)]), load_plan(), cache=StageCache(None), keys=[],
        layers_dir=layers_dir, out_dir=out_dir, built_by=None, outputs=[], sources={},
        previous=lambda: read_layers(layers_dir))
    said = {change.name: (change.status, change.before, change.after) for change in changes}
    assert said["kept"] == ("unchanged", pytest.approx(100.0, rel=1e-3), pytest.approx(100.0, rel=1e-3))
    assert said["widened"] == ("changed", pytest.approx(100.0, rel=1e-3), pytest.approx(150.0, rel=1e-3))
    assert read_layers(export.directory)["widened"].frame.area.sum() == pytest.approx(1.5e6, rel=1e-3)


def test_geometry_memo_reads_back_exactly_drops_damaged_entries_and_keeps_the_recent(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from alatau_geo.jobs.memo import GeometryMemo, geometry_memo

    memo = geometry_memo(StageCache(tmp_path), "service-areas")
    band = Point(X0 + 1 / 3, Y0 + 2 / 3).buffer(50.123456789, quad_segs=4)
    memo["a" * 64] = band
    assert shapely.to_wkb(memo["a" * 64]) == shapely.to_wkb(band)  # exact to the bit
    assert "b" * 64 not in memo and list(memo) == ["a" * 64]
    with pytest.raises(KeyError, match="not a hex key"):
        memo["../plan"] = band
    # A damaged entry is a warning and a miss (computed again), never a wrong geometry.
    (memo.folder / f"{'a' * 64}.wkb").write_bytes(b"\x01\x03\x00")
    with caplog.at_level(logging.WARNING):
        assert ("a" * 64) not in memo
    assert "damaged memo entry" in caplog.text and len(memo) == 0
    # So is one torn short after a whole geometry (its WKB still reads: the SHA-256 at its end does not match).
    memo["a" * 64] = band
    whole = (memo.folder / f"{'a' * 64}.wkb").read_bytes()
    (memo.folder / f"{'a' * 64}.wkb").write_bytes(whole[:-1])
    assert shapely.from_wkb(whole[:len(shapely.to_wkb(band))]) == band and ("a" * 64) not in memo
    # The most recently used are kept.
    for index in range(5):
        memo[f"{index:064x}"] = band
        os.utime(memo.folder / f"{index:064x}.wkb", (1_000_000 + index, 1_000_000 + index))
    memo[f"{0:064x}"]  # read: used now
    memo.prune(keep=2)
    assert list(memo) == [f"{0:064x}", f"{4:064x}"]
    # Another code version starts afresh; without a cache nothing is kept.
    (tmp_path / "stages" / "memo-service-areas-0123456789abcdef").mkdir()
    geometry_memo(StageCache(tmp_path), "service-areas")
    assert [p.name for p in (tmp_path / "stages").glob("memo-*")] == [memo.folder.name]
    empty = GeometryMemo(None)
    empty["c" * 64] = band
    assert len(empty) == 0


def test_suitability_cells_are_kept_by_entry_source_and_grid(tmp_path: Path) -> None:
    from alatau_geo.analysis.criteria import constraint_mask, criterion_score
    from alatau_geo.analysis.grid import grid_for_bounds
    from alatau_geo.jobs.suitability import cached_cells
    from alatau_geo.plan.suitability_criteria import Constraint, Criterion, Linear

    grid = grid_for_bounds((X0, Y0, X0 + 2_000, Y0 + 1_000), cell_size_m=100.0)
    slope = Raster(np.random.default_rng(7).random((15, 25), dtype=np.float32) * 12,
                   Affine(90.0, 0, X0 - 100, 0, -90.0, Y0 + 1_100), CRS.from_epsg(32643))
    gentle = Criterion(name="slope", source="slope", transform=Linear(one_at=0.0, zero_at=15.0))
    roads = gpd.GeoDataFrame({"kind": ["road", "rail"]}, crs=WORKING_CRS,
                             geometry=[LineString([(X0, Y0 + 500), (X0 + 2_000, Y0 + 500)]),
                                       LineString([(X0 + 1_000, Y0), (X0 + 1_000, Y0 + 1_000)])])
    near_roads = Constraint(name="roads", source="roads", buffer_m=150.0, kinds=("road",))
    calls: list[str] = []

    def counted(function):  # the memo keys by the function's name: keep it
        def call(entry, source, on):
            calls.append(entry.name)
            return function(entry, source, on)
        call.__name__ = function.__name__
        return call

    score, mask = counted(criterion_score), counted(constraint_mask)
    first = cached_cells(StageCache(tmp_path))
    scores, excluded = first(score, gentle, slope, grid), first(mask, near_roads, roads, grid)
    np.testing.assert_array_equal(scores, criterion_score(gentle, slope, grid))
    assert excluded.dtype == bool and 0 < excluded.sum() < excluded.size
    # The next build reads them back, exact; it computes only what changed.
    later = cached_cells(StageCache(tmp_path))
    np.testing.assert_array_equal(later(score, gentle, slope, grid), scores)
    np.testing.assert_array_equal(later(mask, near_roads, roads, grid), excluded)
    assert calls == ["slope", "roads"]
    steeper = Raster(slope.data * 2, slope.transform, slope.crs)
    assert not np.array_equal(later(score, gentle, steeper, grid), scores)
    later(mask, dataclasses.replace(near_roads, buffer_m=300.0), roads, grid)
    moved = roads.assign(kind=["rail", "road"])
    later(mask, near_roads, moved, grid)
    later(score, gentle, slope, grid_for_bounds((X0, Y0, X0 + 2_100, Y0 + 1_000), cell_size_m=100.0))
    assert calls == ["slope", "roads", "slope", "roads", "roads", "slope"]
    # Without a cache (--no-cache) nothing is kept.
    bare = cached_cells(StageCache(None))
    bare(score, gentle, slope, grid)
    bare(score, gentle, slope, grid)
    assert calls[-2:] == ["slope", "slope"]


def test_suitability_parameters_pickle_to_equal_read_only_parameters() -> None:
    import pickle
    from types import MappingProxyType

    plan = load_plan(Path(__file__).resolve().parents[1] / "src" / "alatau_geo" / "data" / "default_plan.toml")
    params = plan.suitability
    assert params is not None
    again = pickle.loads(pickle.dumps(params))
    assert again == params and isinstance(again.weights, MappingProxyType)
