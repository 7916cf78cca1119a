"""The build's stage cache: exact storage, keys that follow the inputs, and a rebuild of only what changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, Point, box

from alatau_geo import cli
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.core.stage_store import Uncacheable, read_stage, write_stage
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs.stage_cache import KEEP_PER_STAGE, StageCache, StageResult, stage_keys
from alatau_geo.plan.config import load_plan

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
            "tags": [("x", 1.5), [], {"k": None}],
        },
        geometry=[box(X0, Y0, X0 + 1000.1, Y0 + 700.3), LineString([(X0, Y0, 5.0), (X0 + 0.1, Y0 + 0.2, 7.5)]),
                  Point(X0 + 1 / 3, Y0 + 2 / 3)],
        crs=WORKING_CRS,
    )
    return Layer("mixed", frame, Provenance("test", "drawn", {"widths_m": (30.0, 50.0), "n": 2}), "Mixed")


def test_stored_layers_and_raster_read_back_exactly(layer: Layer, tmp_path: Path) -> None:
    raster = Raster(np.array([[1.5, np.nan], [1 / 3, 2e-9]], dtype="float32"), Affine(90, 0, X0, 0, -90, Y0),
                    CRS.from_epsg(32643))
    figures = {"area_km2": 1059.9123456789, "rivers": {"ili": {"length_km": 10.4}}, "counts": (1, 2)}
    write_stage(tmp_path / "s.json", layers=LayerSet([layer]), raster=raster, figures=figures)
    layers, back_raster, back_figures = read_stage(tmp_path / "s.json")
    back = layers["mixed"]
    assert (back.name, back.title, back.provenance) == (layer.name, layer.title, layer.provenance)
    assert list(back.frame.columns) == list(layer.frame.columns)
    pd.testing.assert_frame_equal(back.frame.drop(columns="geometry"), layer.frame.drop(columns="geometry"),
                                  check_exact=True)
    assert back.frame["tags"].tolist() == [("x", 1.5), [], {"k": None}]
    assert (shapely.to_wkb(back.frame.geometry.values) == shapely.to_wkb(layer.frame.geometry.values)).all()
    assert back_figures == figures
    assert back_raster.transform == raster.transform and back_raster.crs == raster.crs
    np.testing.assert_array_equal(back_raster.data, raster.data)
    assert back_raster.data.dtype == np.float32


def test_a_value_the_store_cannot_keep_is_refused(layer: Layer, tmp_path: Path) -> None:
    frame = layer.frame.copy()
    frame["kind"] = pd.Categorical(["a", "b", "a"])
    with pytest.raises(Uncacheable, match="kind"):
        write_stage(tmp_path / "s.json", layers=LayerSet([Layer("mixed", frame, layer.provenance)]))
    assert not (tmp_path / "s.json").exists()


def test_cache_computes_once_keeps_the_newest_and_ignores_a_damaged_file(layer: Layer, tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    calls = []

    def compute() -> StageResult:
        calls.append(1)
        return StageResult(LayerSet([layer]))

    first = cache.run("zones", "k0", compute)
    again = cache.run("zones", "k0", compute)
    assert len(calls) == 1 and list(again.layers) == list(first.layers) == ["mixed"]
    for number in range(1, KEEP_PER_STAGE + 3):
        cache.run("zones", f"k{number}", compute)
    assert len(list((tmp_path / "stages").glob("zones-*.json"))) == KEEP_PER_STAGE
    newest = cache.path("zones", f"k{KEEP_PER_STAGE + 2}")
    newest.write_text('{"format": 1, "layers": [', encoding="utf-8")  # cut short
    calls.clear()
    cache.run("zones", f"k{KEEP_PER_STAGE + 2}", compute)
    assert calls == [1]


def test_keys_follow_what_each_stage_reads() -> None:
    plan = load_plan()
    base = stage_keys(plan, tiles=None, osm_path=None, reference_digest="r")
    zones = list(plan.zones)
    wider = dataclasses.replace(zones[-1], published_source=zones[-1].published_source + " (edited)")
    district = stage_keys(dataclasses.replace(plan, zones=tuple([*zones[:-1], wider])), tiles=None, osm_path=None,
                          reference_digest="r")
    assert district.reference == base.reference
    assert district.zones != base.zones and district.placement != base.placement
    assert district.analyses != base.analyses
    faster = dataclasses.replace(plan.network, block_m=plan.network.block_m + 50)
    network = stage_keys(dataclasses.replace(plan, network=faster), tiles=None, osm_path=None, reference_digest="r")
    assert (network.reference, network.zones, network.placement) == (base.reference, base.zones, base.placement)
    assert network.analyses != base.analyses
    other_dem = stage_keys(plan, tiles=None, osm_path=None, reference_digest="other")
    assert other_dem.zones != base.zones


def _calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count how often each plan stage really runs."""
    from alatau_geo.analysis import outputs

    counts = {"zones": 0, "placement": 0, "analyses": 0}
    for module, name, stage in ((pipeline, "build_zones", "zones"), (pipeline, "place_catalogues", "placement"),
                                (outputs, "analysis_layers", "analyses")):
        original = getattr(module, name)

        def counted(*args, _original=original, _stage=stage, **kwargs):
            counts[_stage] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return counts


def _contents(layers_dir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(layers_dir.glob("*.geojson"))} | {
        "manifest.json": (layers_dir / "manifest.json").read_bytes()}


def test_edit_of_one_district_rebuilds_only_what_depends_on_it(tmp_path, no_default_tiles, monkeypatch) -> None:
    ws = tmp_path / "ws"
    assert cli.main(["-q", "init", str(ws)]) == 0
    counts = _calls(monkeypatch)
    assert cli.main(["-q", "-w", str(ws), "build", "--no-maps"]) == 0
    before = _contents(ws / "layers")
    assert counts == {"zones": 1, "placement": 1, "analyses": 1}

    plan = (ws / "plan.toml").read_text(encoding="utf-8")
    growing = plan.index('id = "growing"')
    edited = plan[:growing] + plan[growing:].replace("width_m = 3000.0", "width_m = 3500.0", 1)
    assert edited != plan
    (ws / "plan.toml").write_text(edited, encoding="utf-8")
    assert cli.main(["-q", "-w", str(ws), "build", "--no-maps"]) == 0
    assert counts == {"zones": 2, "placement": 2, "analyses": 2}
    cached = _contents(ws / "layers")
    changed = {name for name in before if before[name] != cached[name]}
    assert {"districts.geojson", "service_areas.geojson", "manifest.json"} <= changed
    for unchanged in ("reservoir", "rivers", "streams", "places", "corridors", "water_protection_zone"):
        assert f"{unchanged}.geojson" not in changed

    assert cli.main(["-q", "-w", str(ws), "build", "--no-maps"]) == 0  # nothing edited: nothing recomputed
    assert counts == {"zones": 2, "placement": 2, "analyses": 2}
    assert cli.main(["-q", "-w", str(ws), "build", "--no-maps", "--no-cache"]) == 0
    assert counts == {"zones": 3, "placement": 3, "analyses": 3}
    assert _contents(ws / "layers") == cached  # the cached build is the uncached one, byte for byte
