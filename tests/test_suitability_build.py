"""Suitability and hazards end to end: a workspace built without tiles, its rasters, reports, map and API.

One workspace is built once for the module (from the committed layers, as on
a fresh clone). Without the tiles the height above drainage comes from the
committed ``layers/hand.tif``; where that was never built, the build says so
and leaves out what needs it (tested apart, on an empty folder).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

import alatau_geo as ag
from alatau_geo import maps
from alatau_geo.cli import app as cli
from alatau_geo.core.generation import generation_files
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.jobs import pages
from alatau_geo.jobs import suitability as job
from alatau_geo.maps.controls import GroupedLayers
from alatau_geo.maps.legend import Legend
from alatau_geo.maps.suitability import suitability_map
from alatau_geo.plan.config import load_plan
from conftest_maps import untranslated

REPOSITORY = Path(__file__).resolve().parents[1]
COMMITTED = REPOSITORY / "layers"
ZONES = ["gate", "green", "golden", "growing", "alatau_city"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, str]:
    """A workspace built without tiles; what the build said on stderr."""
    from alatau_geo.cli import common

    root = tmp_path_factory.mktemp("suitability")
    ws = root / "ws"
    said = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(said):
        patch.delenv(common.DEM_DIR_VARIABLE, raising=False)
        patch.setattr(common, "default_dem_dirs", lambda: [root / "no-shared" / "srtm"])
        assert cli.main(["-q", "init", str(ws)]) == 0
        assert cli.main(["-w", str(ws), "build", "--no-maps"]) == 0
    return ws, said.getvalue()


def test_the_build_adds_the_suitability_layers_and_cogs(workspace):
    ws, said = workspace
    layers_dir = ws / "layers"
    names = {entry["name"] for entry in json.loads((layers_dir / "manifest.json").read_text())["layers"]}
    assert {"suitability_classes", "suitability_sensitivity", "reservoir_bands"} <= names
    with_hand = (COMMITTED / job.HAND_RASTER).is_file()
    assert ("floodplain" in names) == with_hand
    assert ("no height-above-drainage raster" in said) != with_hand
    assert "Suitability: unsuitable" in said and "high" in said
    for name, dtype in ((job.SCORE_RASTER, "float32"), (job.CLASS_RASTER, "uint8")):
        with rasterio.open(layers_dir / name) as dataset:
            assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG" and dataset.profile["tiled"]
            assert dataset.overviews(1) and dataset.dtypes[0] == dtype
            assert dataset.crs.to_epsg() == 32643 and dataset.res == (100.0, 100.0)
    with rasterio.open(layers_dir / job.CLASS_RASTER) as dataset:
        assert dataset.tags()["classes"] == "0=unsuitable;1=low;2=medium;3=high" and dataset.nodata == 255
    # The rasters belong to the generation: the manifest records their hashes.
    files = generation_files(layers_dir)
    assert {job.SCORE_RASTER, job.CLASS_RASTER, "terrain_dem.tif"} <= set(files)
    assert (job.HAND_RASTER in files) == with_hand


def test_the_class_raster_and_the_class_polygons_hold_the_same_hectares(workspace):
    layers_dir = workspace[0] / "layers"
    layers = read_layers(layers_dir)
    polygons = layers["suitability_classes"].frame.groupby("class")["area_ha"].sum()
    classes = read_raster(layers_dir / job.CLASS_RASTER)
    cell_ha = 1.0  # 100 m cells; UTM's scale factor changes this by < 0.1 % here
    for code, label in enumerate(("unsuitable", "low", "medium", "high")):
        assert np.count_nonzero(classes.data == code) * cell_ha == pytest.approx(polygons[label], rel=2e-3)
    # The analysis area is the union of the city and the SEZ.
    union = shapely.union_all([*layers["city_boundary"].frame.geometry, *layers["sez"].frame.geometry])
    assert polygons.sum() == pytest.approx(ag.area_ha(gpd.GeoSeries([union], crs=32643)).sum(), rel=0.01)


def test_recomputing_gives_the_same_bytes(workspace, tmp_path):
    from alatau_geo.jobs.stage_cache import StageCache

    layers_dir = workspace[0] / "layers"
    plan = load_plan(workspace[0] / "plan.toml")
    layers, dem = read_layers(layers_dir), read_raster(layers_dir / "terrain_dem.tif")
    # Without a cache; then with one (what `map` does), empty and once its memos hold the slope and the cells.
    cache = StageCache(tmp_path / "cache")
    kept: list[dict[str, int]] = []
    for run, memo in enumerate((None, cache, cache)):
        result = job.suitability_of(layers, plan, layers_dir=layers_dir, elevation=dem, cache=memo)
        written = tmp_path / str(run)
        job.write_suitability_rasters(result, folder=written)
        for name in (job.SCORE_RASTER, job.CLASS_RASTER):
            assert (written / name).read_bytes() == (layers_dir / name).read_bytes(), (run, name)
        kept.append({folder.name.split("-")[1]: len(list(folder.iterdir())) for folder in cache.folder.glob("memo-*")})
    # One slope, the cells of each criterion and constraint read from a layer or a DEM raster, the layers as
    # exported; the second run with the cache adds nothing (it read them all back).
    assert kept[1]["slope"] == 1 and kept[1]["cells"] >= 8 and kept[1]["exported"] > 0 and kept[2] == kept[1]


def test_without_the_height_above_drainage_the_build_says_what_it_leaves_out(tmp_path, caplog):
    layers = read_layers(COMMITTED)
    plan = load_plan()
    with caplog.at_level(logging.WARNING, logger="alatau_geo"):
        rasters = job.rasters_from_folder(plan, folder=tmp_path,
                                          elevation=read_raster(COMMITTED / "terrain_dem.tif"))
    assert "holds no height-above-drainage raster (hand.tif)" in caplog.text and "--dem-dir" in caplog.text
    updated, result = job.with_suitability(layers, plan, rasters)
    assert result.left_out == ("suitability.criteria.flood_height", "suitability.constraints.floodplain")
    assert "floodplain" not in updated and "reservoir_bands" in updated
    assert "left out" in job.suitability_note(result)


def test_report_areas_and_suitability(workspace, capsys):
    ws = workspace[0]
    assert cli.main(["-q", "-w", str(ws), "report", "areas"]) == 0
    assert cli.main(["-q", "-w", str(ws), "report", "suitability"]) == 0
    capsys.readouterr()
    reports = ws / "reports"
    table = pd.read_csv(reports / "areas.csv").set_index("zone")
    assert {"high_ha", "medium_ha", "low_ha", "unsuitable_ha", "reservoir_max_ha", "floodplain_ha"} <= set(table)
    classes = pd.read_csv(reports / "suitability_classes.csv").set_index("zone")
    assert classes.index.tolist() == ["gate", "golden", "green", "growing", "alatau_city", "sez_alatau", "all"]
    # Buildable: the zone less what a hard constraint excludes, the same land the suitability classes.
    for zone in ZONES:
        expected = table.loc[zone, "area_ha"] - classes.loc[zone, "constrained_ha"]
        assert table.loc[zone, "buildable_ha"] == pytest.approx(expected, abs=0.2)
        classed = classes.loc[zone, ["unsuitable_ha", "low_ha", "medium_ha", "high_ha"]].sum()
        assert classed == pytest.approx(table.loc[zone, "area_ha"], rel=0.01)
    assert table.loc["gate", "reservoir_max_ha"] == 0 and table.loc["green", "reservoir_max_ha"] > 100
    weights = pd.read_csv(reports / "suitability_weights.csv").set_index("criterion")
    assert weights["weight"].sum() == pytest.approx(1.0, abs=1e-3)
    sensitivity = pd.read_csv(reports / "suitability_sensitivity.csv")
    assert len(sensitivity) == int((weights["weight"] > 0).sum()) * 2 * 4
    assert sensitivity.groupby(["criterion", "weight_change_pct"])["change_ha"].sum().abs().max() < 1.0
    text = (reports / "suitability.md").read_text(encoding="utf-8")
    assert "## Area per class and zone (ha)" in text and "## Class areas with each weight moved by -20 %" in text


def test_api_suitability_hazards_and_a_changed_weight(workspace):
    layers_dir = workspace[0] / "layers"
    layers = ag.read_layers(layers_dir)
    plan = load_plan(workspace[0] / "plan.toml")
    land = ag.suitability(layers, plan, layers_dir=layers_dir)
    assert land.classes.index.name == "zone" and land.weights.index.name == "criterion"
    assert land.consistency_ratio is None  # the default plan gives weights, not comparisons
    steeper = ag.suitability(layers, plan, layers_dir=layers_dir, weights={"slope": 0.6})
    assert steeper.weights.loc["slope", "weight"] > land.weights.loc["slope", "weight"]
    # The plain is flat: weighing slope more lifts land into the high class; constraints do not move.
    assert steeper.classes.loc["all", "high_ha"] > land.classes.loc["all", "high_ha"]
    assert steeper.classes["constrained_ha"].equals(land.classes["constrained_ha"])
    with pytest.raises(ag.AlatauGeoError, match="'suitability.weights.slope' must be at least 0"):
        ag.suitability(layers, plan, layers_dir=layers_dir, weights={"slope": -1.0})
    found = ag.hazards(layers, plan, layers_dir=layers_dir)
    bands = found.by_zone[["reservoir_normal_ha", "reservoir_max_ha"]]
    assert bands.loc["green", "reservoir_max_ha"] > 100 and bands.loc["gate"].sum() == 0
    assert "reservoir_bands" in found.layers


@pytest.fixture(scope="module")
def suited(workspace):
    """The built layers of the default plan and its suitability worked out on them."""
    layers_dir = workspace[0] / "layers"
    layers = read_layers(layers_dir)
    plan = load_plan(workspace[0] / "plan.toml")
    return layers, job.suitability_of(layers, plan, layers_dir=layers_dir,
                                      elevation=read_raster(layers_dir / "terrain_dem.tif"))


def test_the_layers_of_cells_are_measured_by_their_sum_the_same_hectares_as_their_union(suited):
    """The class, sensitivity and hazard polygons do not overlap: the change report adds up their areas."""
    from dataclasses import replace

    from alatau_geo.analysis.suitability_layers import suitability_layers
    from alatau_geo.core.changes import layer_measure

    made = {layer.name: layer for layer in suitability_layers(suited[1])}
    assert sorted(name for name, layer in made.items() if layer.disjoint) == [
        "floodplain", "reservoir_bands", "suitability_classes", "suitability_sensitivity"]
    for layer in made.values():
        measure, summed = layer_measure(layer)
        _, merged = layer_measure(replace(layer, disjoint=False))
        assert measure == "area_ha" and summed > 100
        assert summed == pytest.approx(merged, abs=0.01), layer.name  # hectares: the polygons share only edges


def test_the_suitability_map_draws_classes_criteria_and_hazards(workspace, suited, tmp_path):
    layers_dir = workspace[0] / "layers"
    layers, result = suited
    page = suitability_map(layers, result, relief=None, offline=True)
    html = maps.render_html(page)
    assert "Suitability classes" in html and "Class changes with the weights" in html
    # Its legend and layer switcher speak Kazakh and Russian too (the criteria keep the plan's names).
    (legend,) = [child for child in page._children.values() if isinstance(child, Legend)]
    (control,) = [child for child in page._children.values() if isinstance(child, GroupedLayers)]
    texts = {section.title for section in legend.sections} | {section.note for section in legend.sections}
    texts |= {entry.label for section in legend.sections for entry in section.entries} | set(control.layer_names)
    assert untranslated(texts, names=result.surface.criteria) == []
    assert html.count("L.imageOverlay(") == 2 + len(result.surface.criteria)
    assert "Reservoir shore bands" in html and "slope (weight" in html
    # Registered with the map pages: a suitability result adds suitability.html.
    few = ag.LayerSet(layers[name] for name in ("reservoir", "city_boundary", "reservoir_bands"))
    written = pages.write_maps(few, maps_dir=tmp_path, layers_dir=layers_dir, dem_path=None, offline=True,
                               suitability=result)
    assert [page.name for page in written] == ["overview", "suitability"]
    assert "Reservoir shore bands" not in (tmp_path / "overview.html").read_text(encoding="utf-8")


def test_overlay_images_kept_between_builds_are_those_drawn_afresh(suited, tmp_path):
    """The suitability page's images read back from a build's memo make the same page, byte for byte."""
    from alatau_geo.jobs.pages import ImageMemo
    from alatau_geo.maps.suitability import kept_grid_image

    layers, result = suited
    fresh = maps.render_html(suitability_map(layers, result, relief=None, offline=True))
    kept = maps.render_html(suitability_map(layers, result, relief=None, offline=True,
                                            images=ImageMemo(tmp_path / "images")))
    memo = ImageMemo(tmp_path / "images")
    assert 2 <= len(memo) <= 2 + len(result.surface.criteria)  # images that coincide share one entry
    read = maps.render_html(suitability_map(layers, result, relief=None, offline=True, images=memo))
    assert fresh == kept == read
    # Another grid, or other cells, is another image.
    surface = result.surface
    codes = (surface.classes == 1).astype("uint8")
    first = kept_grid_image(codes, surface.grid.transform, surface.grid.crs, [(0, 0, 0, 0), (1, 2, 3, 255)],
                            images=memo)
    count = len(memo)
    codes[0, 0] = 1 - codes[0, 0]
    assert kept_grid_image(codes, surface.grid.transform, surface.grid.crs, [(0, 0, 0, 0), (1, 2, 3, 255)],
                           images=memo) != first
    assert len(memo) == count + 1


def test_the_hazards_a_build_keeps_are_those_worked_out(suited, tmp_path):
    """The floodplain and shore bands read back from the cache (an edit of a district) are the computed ones."""
    from dataclasses import replace

    from alatau_geo.analysis.hazard_layers import flood_hazards
    from alatau_geo.jobs.stage_cache import StageCache

    rasters, params = suited[1].hazards.rasters, suited[1].hazards.params
    fresh = flood_hazards(rasters, params)
    cache = StageCache(tmp_path / "cache")
    computed, kept = job.cached_hazards(cache)(rasters, params), job.cached_hazards(cache)(rasters, params)
    assert [run.status for run in cache.runs] == []  # part of the suitability stage's time
    assert len(list(cache.folder.glob("hazards-*"))) == 1
    for found in (computed, kept):
        np.testing.assert_array_equal(found.floodplain, fresh.floodplain)
        np.testing.assert_array_equal(found.bands.normal, fresh.bands.normal)
        np.testing.assert_array_equal(found.bands.maximum, fresh.bands.maximum)
        assert found.bands.max_level_m == fresh.bands.max_level_m
        for layer, made in zip(found.layers(), fresh.layers(), strict=True):
            assert (layer.name, layer.provenance, layer.disjoint) == (made.name, made.provenance, made.disjoint)
            pd.testing.assert_frame_equal(pd.DataFrame(layer.frame), pd.DataFrame(made.frame))
    assert kept.area_by_zone(suited[0]["districts"].frame).equals(fresh.area_by_zone(suited[0]["districts"].frame))
    deeper = job.cached_hazards(cache)(rasters, replace(params, flood_depth_m=params.flood_depth_m + 1.0))
    assert deeper.floodplain.sum() > fresh.floodplain.sum()  # another depth: worked out, not read back
    assert len(list(cache.folder.glob("hazards-*"))) == 2
