"""End to end on the real tiles: the mountain step of a build, its report, its map, its layers kept without tiles.

Skipped when ../shared/data/srtm is absent.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from alatau_geo.analysis.mountain_report import MOUNTAIN_REPORT_LAYERS, mountain_report
from alatau_geo.cli import app as cli
from alatau_geo.core.errors import InputDataError
from alatau_geo.core.io import export_layers, read_layer, read_layers, read_raster, write_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.jobs.build import TERRAIN_RASTER, committed_reference
from alatau_geo.jobs.mountain import MOUNTAIN_DEM, MOUNTAIN_LAYERS, build_mountain
from alatau_geo.maps.profiles import parse_profile
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.workspace import Workspace, built_by_record
from alatau_geo.reference import gazetteer, terrain

pytestmark = pytest.mark.srtm
COMMITTED = Path(__file__).resolve().parents[1] / "layers"


@pytest.fixture(scope="module")
def mountain(srtm_dir: Path):
    plan = load_plan()
    raw = terrain.mosaic_srtm(terrain.read_srtm_tiles(srtm_dir, plan.terrain.tiles))
    filled, _ = terrain.fill_voids(raw, max_distance_cells=plan.terrain.void_fill_max_distance_cells)
    return build_mountain(filled, plan, river_names=gazetteer.load_tables(plan.tables).river_names)


@pytest.fixture(scope="module")
def workspace(mountain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose layers are the committed plain's plus the mountain layers, recorded as the default plan's."""
    root = tmp_path_factory.mktemp("mountain") / "scenario"
    assert cli.main(["-q", "init", str(root)]) == 0
    plan = load_plan(root / "plan.toml")
    plain = [layer for name, layer in read_layers(COMMITTED).items() if name not in MOUNTAIN_LAYERS]
    export_layers([*plain, *mountain.layers], root / "layers",
                  built_by=built_by_record(Workspace(root, root / "plan.toml"), plan))
    shutil.copy(COMMITTED / TERRAIN_RASTER, root / "layers" / TERRAIN_RASTER)
    write_raster(mountain.dem, root / "layers" / MOUNTAIN_DEM, dtype="float32")
    return root


def test_mountain_step_makes_layers_with_profiles(mountain):
    assert mountain is not None and [layer.name for layer in mountain.layers] == list(MOUNTAIN_LAYERS)
    layers = LayerSet(mountain.layers)
    lines = layers["mountain_lift_lines"].frame.set_index("id")
    for line in lines.itertuples():
        profile = parse_profile(line.profile_elevations_m)
        # The profile attribute is the sampled profile: one value per sample, ending at the stations.
        assert len(profile) == line.samples and line.profile_step_m <= 30.0
        assert profile[0] == pytest.approx(line.start_elevation_m, abs=0.5)
        assert profile[-1] == pytest.approx(line.end_elevation_m, abs=0.5)
    assert lines.loc["medeu-shymbulak", "name_en"] == "Medeu - Shymbulak"
    ski = layers["mountain_ski_terrain"].frame.set_index("class")
    assert ski.geometry.is_valid.all() and ski.loc["beginner", "area_ha"] > 1_000
    # The display copy keeps the areas of the unsimplified classes.
    full = layers["mountain_terrain_classes"].frame
    full_slopes = full[full["layer"] == "slope_class"].set_index("class")["area_ha"]
    assert ski.loc["expert", "area_ha"] == pytest.approx(full_slopes["expert"], rel=0.01)
    assert mountain.dem.crs.to_epsg() == 32643 and mountain.dem.transform.a == 90.0


def test_report_mountain(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    assert cli.main(["-q", "-w", str(workspace), "report", "mountain", "--out-dir", str(tmp_path)]) == 0
    capacity = pd.read_csv(tmp_path / "mountain_capacity.csv").set_index("quantity")["value"]
    assert capacity["ski runs, published"] == 250 and capacity["visitors per day, published"] == 40_000
    assert capacity["run length the terrain allows"] > 250
    assert capacity["visitors per day the lifts carry"] == pytest.approx(62 * 1800 * 7 * 0.6 / 10)
    corridors = pd.read_csv(tmp_path / "mountain_corridor_summary.csv").set_index("quantity")["value"]
    assert corridors["green space target"] == 3_800
    assert 1_000 < corridors["corridor valley floor inside Almaty"] < 10_000
    classes = pd.read_csv(tmp_path / "mountain_classes.csv")
    slope = classes[classes["layer"] == "slope_class"]
    assert slope["share_pct"].sum() == pytest.approx(100.0)
    lifts = pd.read_csv(tmp_path / "mountain_lifts.csv", index_col=0)
    assert not lifts.loc["medeu-shymbulak", "crosses_ridge"]
    markdown = (tmp_path / "mountain.md").read_text(encoding="utf-8")
    assert "## What the terrain cannot tell without land cover" in markdown
    assert "cannot say how far the 3,800 ha green target is met today" in markdown
    printed = capsys.readouterr().out
    assert "Runs: the terrain allows about" in printed and "published 250 km" in printed


def test_capacity_check_follows_the_plan_without_the_tiles(workspace: Path):
    layers = LayerSet(read_layer(workspace / "layers" / f"{name}.geojson") for name in MOUNTAIN_REPORT_LAYERS)
    dem = read_raster(workspace / "layers" / MOUNTAIN_DEM)
    plan = load_plan()
    wider = dataclasses.replace(plan.mountain, capacity=dataclasses.replace(plan.mountain.capacity, run_width_m=80.0))
    runs = {}
    for label, params in (("default", plan.mountain), ("wider", wider)):
        table = mountain_report(layers, dem, params).capacity.set_index("quantity")["value"]
        runs[label] = table["run length the terrain allows"]
    # Runs of 80 m instead of 40 m, 60 m apart: (40 + 60) / (80 + 60) of the length.
    assert runs["wider"] == pytest.approx(runs["default"] * 100 / 140)


def test_mountain_layers_are_kept_without_tiles_unless_their_settings_change(workspace: Path, tmp_path: Path):
    kept = committed_reference(load_plan(workspace / "plan.toml"), layers_dir=workspace / "layers")
    assert set(MOUNTAIN_LAYERS) <= set(kept)
    changed = tmp_path / "plan.toml"
    changed.write_text('[mountain.lifts]\npairs = [["medeu", "shymbulak"]]\n', encoding="utf-8")
    with pytest.raises(InputDataError, match=r"mountain cluster and air corridor layers .* needs the SRTM tiles"):
        committed_reference(load_plan(changed), layers_dir=workspace / "layers")


def test_mountain_map_of_the_real_layers(mountain, workspace: Path):
    from alatau_geo import maps

    relief = maps.relief_images(workspace / "layers" / MOUNTAIN_DEM)
    html = maps.render_html(maps.mountain_map(LayerSet(mountain.layers), relief=relief, offline=True))
    assert "ag-profile" in html and "Medeu - Shymbulak" in html and "Ulken Almaty" in html
    assert len(html) < 4_000_000
