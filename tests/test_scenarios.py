"""Scenario comparison (HTML, PDF) and uncertainty runs on the committed default layers.

A workspace that holds a copy of the committed layers and the default plan is a
built workspace (its plan hashes the same), so no test here needs the tiles;
one test builds the shipped industrial-logistics SEZ scenario from them.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from alatau_geo.analysis.comparison import compare_indicators, unique_labels
from alatau_geo.cli import app as cli
from alatau_geo.jobs import uncertainty as job
from alatau_geo.maps.comparison_report import SECTIONS, section_ids
from alatau_geo.plan.uncertainty_params import UncertaintyParams
from alatau_geo.plan.workspace import resolve_workspace

REPOSITORY = Path(__file__).resolve().parents[1]


def built_copy(folder: Path) -> Path:
    """A workspace with the default plan and a copy of the committed layers: built, and current."""
    assert cli.main(["-q", "init", str(folder)]) == 0
    shutil.copytree(REPOSITORY / "layers", folder / "layers")
    return folder


def set_ranges(workspace: Path, ranges: str) -> None:
    """Replace the workspace plan's [uncertainty.ranges] table (this does not make its layers stale)."""
    plan = workspace / "plan.toml"
    text = plan.read_text(encoding="utf-8")
    # The table runs to the next table header (its entries' [low, high] arrays start with a quote, not '[').
    text = re.sub(r"^\[uncertainty\.ranges\]\n(?:[^\[\n][^\n]*\n|\n)*", f"[uncertainty.ranges]\n{ranges}\n\n", text,
                  count=1, flags=re.M)
    plan.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def self_comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    assert cli.main(["-q", "compare", "default", "default", "--out", str(out)]) == 0
    return out


def test_a_workspace_compared_with_itself_differs_in_nothing(self_comparison):
    wide = pd.read_csv(self_comparison / "comparison.csv")
    assert list(wide.columns[-3:]) == ["default", "default (2)", "default (2) - default"]
    assert len(wide) > 90
    assert (wide["default (2) - default"].dropna() == 0).all()
    assert wide["default"].notna().all()  # every indicator is computed (a travel time may be inf)
    needed = wide.set_index("id").loc["facilities_needed.substation", "default"]
    assert needed >= wide.set_index("id").loc["facilities_planned.substation", "default"]
    gate = wide.set_index("id").loc["residents.gate.2050", "default"]
    assert gate == 220_000


def test_the_pdf_has_one_page_per_section_and_names_every_indicator(self_comparison):
    page = (self_comparison / "comparison.html").read_text(encoding="utf-8")
    assert section_ids(page) == list(SECTIONS)
    assert "http://" not in page and "https://" not in page  # self-contained
    reader = PdfReader(self_comparison / "comparison.pdf")
    assert len(reader.pages) == len(SECTIONS)
    text = " ".join(p.extract_text() for p in reader.pages)
    text = re.sub(r"\s+", " ", text)
    names = pd.read_csv(self_comparison / "comparison.csv")["name"]
    missing = [name for name in names if name not in text]
    assert missing == []


def test_names_are_escaped_in_the_report():
    from alatau_geo.core.io import read_layers
    from alatau_geo.maps.comparison_report import ScenarioSummary, comparison_html

    table = pd.DataFrame({"id": ["area_ha.x"], "group": ["land"], "name": ["<script>alert(1)</script>"],
                          "value": [1.0], "unit": ["ha"], "definition": ["d & <b>"], "basis": ["derived"]})
    hostile = "<img src=x onerror=alert(1)>"
    wide = compare_indicators({"a": table, hostile: table})
    definitions = pd.DataFrame({"group": ["land"], "family": ["area_ha"], "unit": ["ha"], "basis": ["derived"],
                                "definition": ["d & <b>"]})
    committed = read_layers(REPOSITORY / "layers")
    page = comparison_html(wide, definitions, scenarios=[ScenarioSummary(label, "<i>f</i>", "p", "0" * 64, "0" * 64)
                                                         for label in ("a", hostile)],
                           layer_sets={"a": committed, hostile: committed})
    assert "<script>" not in page and "<img src=x" not in page and "<i>f</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "d &amp; &lt;b&gt;" in page


def test_unique_labels_and_differences_of_absent_rows():
    assert unique_labels(["a", "a", "a"]) == ["a", "a (2)", "a (3)"]
    a = pd.DataFrame({"id": ["x", "t"], "group": ["land", "travel"], "name": ["X", "T"], "value": [1.0, np.inf],
                      "unit": ["ha", "min"], "definition": ["d", "d"], "basis": ["derived", "derived"]})
    b = pd.concat([a, a.iloc[[0]].assign(id="y", value=5.0)], ignore_index=True)
    wide = compare_indicators({"A": a, "B": b}).set_index("id")
    assert wide.loc["t", "B - A"] == 0  # never reached in both: no difference
    assert np.isnan(wide.loc["y", "A"]) and np.isnan(wide.loc["y", "B - A"])


def test_different_reference_data_is_said_in_the_report_and_on_stderr(tmp_path, capsys):
    other = built_copy(tmp_path / "other")
    manifest = other / "layers" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["built_by"]["terrain_sha256"] = "f" * 64
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["-q", "compare", "default", str(other), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    err = capsys.readouterr().err
    assert "different reference data" in err
    assert "different reference data" in (tmp_path / "out" / "comparison.html").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "comparison.pdf").exists()


def test_missing_or_unbuilt_workspaces_give_one_line(tmp_path, capsys):
    assert cli.main(["compare", "default", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert cli.main(["-q", "init", str(tmp_path / "fresh")]) == 0
    assert cli.main(["compare", "default", str(tmp_path / "fresh"), "--out", str(tmp_path / "out")]) == 4
    assert cli.main(["uncertainty", str(tmp_path / "fresh"), "--runs", "1"]) == 4
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("alatau-geo: error")]
    assert len(lines) == 3
    assert "not a workspace" in lines[0] and "not built" in lines[1] and "alatau-geo -w" in lines[1]
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("no_default_tiles")
def test_the_industrial_logistics_sez_scenario_builds_and_compares(tmp_path):
    scenario = tmp_path / "sez"
    assert cli.main(["-q", "init", str(scenario), "--from", "industrial_logistics_sez"]) == 0
    plan = resolve_workspace(str(scenario)).load_plan()
    assert [z.id for z in plan.zones if z.layer == "sez"] == ["sez_alatau", "sez_industrial_logistics"]
    assert "ss_sez_il_1" in (scenario / "tables" / "infrastructure.csv").read_text(encoding="utf-8")
    assert cli.main(["-q", "-w", str(scenario), "build", "--no-maps"]) == 0
    out = tmp_path / "out"
    assert cli.main(["-q", "compare", "default", str(scenario), "--out", str(out), "--no-pdf"]) == 0
    wide = pd.read_csv(out / "comparison.csv").set_index("id")
    # The new zone holds the published "more than 24,000 ha" outside the city; SEZ Alatau keeps the city part.
    assert wide.loc["sez_ha.sez_industrial_logistics", "sez"] == pytest.approx(24_000, rel=0.005)
    assert np.isnan(wide.loc["sez_ha.sez_industrial_logistics", "default"])
    assert wide.loc["sez_outside_city_ha.all", "sez"] == pytest.approx(24_000, rel=0.005)
    assert wide.loc["sez_outside_city_ha.all", "default"] > 24_000
    assert wide.loc["facilities_planned.substation", "sez - default"] == 1
    assert wide.loc["area_ha.gate", "sez - default"] == 0  # the districts are the default plan's


def test_an_unknown_shipped_scenario_is_one_line(tmp_path, capsys):
    assert cli.main(["init", str(tmp_path / "x"), "--from", "no_such_scenario"]) == 3
    assert "industrial_logistics_sez" in capsys.readouterr().err


# ---------------------------------------------------------------------------- uncertainty


TOWN_PLAN = """
settlements = []  # no settlement outlines: the default plan's name places this town lacks

[[districts]]
id = "gate"
name_en = "Gate District"
published_ha = 400.0
published_source = "test"
solve = "rule.radius_m"
solve_range = [100.0, 5000.0]
[districts.rule]
kind = "disc"
place = "places:gate_centre"
radius_m = 1000.0

[[districts]]
id = "golden"
name_en = "Golden District"
[districts.rule]
kind = "band"
lines = ["corridors:a3"]
width_m = 500.0

[city_boundary]
id = "town"
name_en = "Test town"
[city_boundary.rule]
kind = "union"
[[city_boundary.rule.of]]
kind = "layer"
ref = "districts:*"
[[city_boundary.rule.of]]
kind = "band"
lines = ["corridors:a3"]
width_m = 1500.0

[sez]
id = "sez_town"
name_en = "Test SEZ"
[sez.rule]
kind = "difference"
base = { kind = "band", lines = ["corridors:a3"], width_m = 3000.0 }
minus = [{ kind = "layer", ref = "city_boundary:town" }]

[uncertainty.ranges]
"network.speeds_kmh.trunk" = [60.0, 100.0]
"districts.golden.rule.width_m" = [400.0, 800.0]
"""
X0, Y0 = 660_000.0, 4_820_000.0


def _lonlat(x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    return Transformer.from_crs(32643, 4326, always_xy=True).transform(x, y)


def _csv(path: Path, header: tuple[str, ...], rows: list[dict]) -> Path:
    frame = pd.DataFrame([{column: row.get(column, "") for column in header} for row in rows], columns=list(header))
    frame.to_csv(path, index=False)
    return path


def town_inputs(folder: Path) -> job.UncertaintyInputs:
    """A town of two districts along a 27 km corridor: every run takes a fraction of a second."""
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import box

    from alatau_geo.analysis.population_grid import grid_over
    from alatau_geo.core.crs import WORKING_CRS
    from alatau_geo.core.layers import Layer, LayerSet, Provenance
    from alatau_geo.core.raster import Raster
    from alatau_geo.plan.catalogues import INFRASTRUCTURE_COLUMNS, PROJECT_COLUMNS, read_catalogue
    from alatau_geo.plan.config import load_plan
    from alatau_geo.reference import gazetteer

    (folder / "plan.toml").write_text(TOWN_PLAN, encoding="utf-8")
    plan = load_plan(folder / "plan.toml")
    middle = Y0 + 1000
    places = [("almaty", "Almaty", "city", X0 - 600, "geonames"), ("konaev", "Konaev", "city", X0 + 26_000, "geonames"),
              ("gate_centre", "Gate centre", "village", X0 + 1000, "approximate")]
    place_rows = [dict(zip(("id", "name_en", "kind", "lon", "lat", "position_quality", "in_alatau"),
                           (i, n, k, *_lonlat(x, middle), q, "no"), strict=True)) for i, n, k, x, q in places]
    corridor_rows = [dict(id="a3", name_en="A3", kind="highway", status="existing", seq=str(seq),
                          position_quality="approximate",
                          **dict(zip(("lon", "lat"), _lonlat(x, middle), strict=True)))
                     for seq, x in enumerate((X0 - 800, X0 + 12_000, X0 + 26_200), start=1)]
    lon, lat = _lonlat(X0 + 1000, middle)
    common = {"district": "gate", "placement": "given", "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "status": "planned",
              "position_quality": "approximate", "basis": "test", "rules": "", "via": ""}
    infrastructure = [{**common, "id": "ss_1", "name_en": "Substation", "kind": "substation", "works": "new",
                       "geometry_kind": "point"}]
    projects = [{**common, "id": "plant", "name_en": "Plant", "district": "golden"}]
    tables = {
        "places": gazetteer.read_table(_csv(folder / "places.csv", gazetteer.PLACE_COLUMNS, place_rows),
                                       columns=gazetteer.PLACE_COLUMNS, key="id"),
        "corridors": gazetteer.read_table(_csv(folder / "corridors.csv", gazetteer.CORRIDOR_COLUMNS, corridor_rows),
                                          columns=gazetteer.CORRIDOR_COLUMNS, key="id"),
        "infrastructure": read_catalogue(_csv(folder / "infra.csv", INFRASTRUCTURE_COLUMNS, infrastructure),
                                         kind="infrastructure"),
        "projects": read_catalogue(_csv(folder / "projects.csv", PROJECT_COLUMNS, projects), kind="projects"),
    }

    def layer(name: str, geometry: object) -> Layer:
        frame = gpd.GeoDataFrame({"id": [name], "name_en": [name]}, geometry=[geometry], crs=WORKING_CRS)
        return Layer(name, frame, Provenance(source="test", method="drawn", quality="derived"))

    reference = LayerSet([
        layer("study_area", box(X0 - 5000, Y0 - 5000, X0 + 30_000, Y0 + 7000)),
        layer("reservoir", box(X0 + 28_000, Y0 - 4800, X0 + 29_000, Y0 - 4000)),
        layer("water_protection_strip", box(X0 + 27_000, Y0 - 4800, X0 + 28_000, Y0 - 4000)),
    ])
    elevation = Raster(data=np.full((60, 175), 600.0, dtype=np.float32), crs=WORKING_CRS,
                       transform=Affine(200.0, 0.0, X0 - 5000, 0.0, -200.0, Y0 + 7000))
    tolerances = {"places": np.array([500.0, 500.0, 300.0]), "corridors": np.full(3, 300.0),
                  "infrastructure": np.array([200.0]), "projects": np.array([200.0])}
    return job.UncertaintyInputs(plan=plan, reference=reference, elevation=elevation, tables=tables,
                                 tolerances=tolerances, sources={"places": "test", "corridors": "test"},
                                 grid=grid_over((X0 - 4000, Y0 - 2000, X0 + 29_000, Y0 + 4000), cell_m=500.0),
                                 district_ids=("gate", "golden"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return town_inputs(tmp_path_factory.mktemp("town"))


def test_the_same_seed_gives_the_same_result_on_any_number_of_workers(inputs):
    results = []
    for workers in (2, 1):
        with job.dask_client(workers=workers, processes=False) as client:
            results.append(job.summarise(job.run_on_dask(inputs, runs=3, seed=11, client=client), inputs, seed=11))
    first, second = results
    assert first.runs["ok"].all(), first.runs["error"].tolist()
    pd.testing.assert_frame_equal(first.samples, second.samples)
    pd.testing.assert_frame_equal(first.bands, second.bands)
    pd.testing.assert_frame_equal(first.zones, second.zones)
    np.testing.assert_array_equal(first.probability, second.probability)
    assert first.runs.columns.tolist()[-2:] == ["districts.golden.rule.width_m", "network.speeds_kmh.trunk"]
    # The draws moved something; Gate stays calibrated to its published 400 ha while its centre moves.
    zones = first.zones.set_index("id")
    assert zones.loc["gate", "area_median_ha"] == pytest.approx(400, rel=0.005)
    assert zones.loc["golden", "area_p05_ha"] < zones.loc["golden", "area_p95_ha"]
    bands = first.bands.set_index("id")
    assert bands.loc["travel_min.konaev.median", "band_width"] > 0
    computed = bands.dropna(subset=["median"])
    assert (computed["p05"] <= computed["median"]).all() and (computed["median"] <= computed["p95"]).all()
    # Another seed draws otherwise.
    other = job.summarise(job.run_sequentially(inputs, runs=1, seed=12), inputs, seed=12)
    assert not other.samples.iloc[0].equals(first.samples.iloc[0])


def test_a_running_scheduler_takes_the_same_runs(inputs):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=None) as cluster, job.dask_client(cluster.scheduler_address) as client:
        remote = job.run_on_dask(inputs, runs=2, seed=4, client=client)
    local = job.run_sequentially(inputs, runs=2, seed=4)
    assert [r.run for r in remote] == [-1, 0, 1]
    for a, b in zip(remote, local, strict=True):
        assert a.error is None
        pd.testing.assert_frame_equal(a.indicators, b.indicators)


def test_zero_tolerances_and_no_ranges_give_zero_width_bands(inputs):
    still = job.with_overrides(
        inputs, tolerances={name: np.zeros_like(values) for name, values in inputs.tolerances.items()},
        plan=replace(inputs.plan, uncertainty=UncertaintyParams()))
    result = job.summarise(job.run_sequentially(still, runs=3, seed=3), still, seed=3)
    computed = result.bands[result.bands["runs"] > 0]
    assert len(computed) > 50
    assert (computed["band_width"] == 0).all()
    assert (computed["median"] == computed["planned"]).all()
    assert set(np.unique(result.probability)) == {0.0, 1.0}
    assert (result.zones["cells_kept_p05"].dropna() == 1).all()


def test_failed_runs_are_recorded_and_the_others_go_on(tmp_path, capsys):
    workspace = built_copy(tmp_path / "ws")
    # Gate alone publishes 181,000 jobs: a city total drawn below it is refused by the population parameters.
    set_ranges(workspace, '"population.city_jobs" = [100000, 260000]')
    out = tmp_path / "reports"
    assert cli.main(["-q", "uncertainty", str(workspace), "--runs", "3", "--seed", "5", "--workers", "1",
                     "--threads", "--out-dir", str(out)]) == 0
    runs = pd.read_csv(out / "uncertainty_runs.csv")
    failed = runs[~runs["ok"]]
    assert 0 < len(failed) < len(runs)
    assert failed["error"].str.contains("population.targets").all()
    assert all("\n" not in error for error in failed["error"])
    errors = [line for line in capsys.readouterr().err.splitlines() if "failed:" in line]
    assert len(errors) == len(failed)
    bands = pd.read_csv(out / "uncertainty_indicators.csv").set_index("id")
    assert (bands["runs"].max()) == (runs["ok"]).sum()
    assert {f"district_probability_{d}.tif" for d in ("gate", "golden", "growing", "green")} <= \
        {p.name for p in out.iterdir()}
    cells = json.loads((out / "district_probability.geojson").read_text(encoding="utf-8"))["features"]
    shares = np.array([[f["properties"][f"p_{d}"] for d in ("gate", "golden", "growing", "green")] for f in cells])
    assert shares.min() >= 0 and shares.sum(axis=1).max() <= 1 + 1e-9
    assert (shares.max(axis=1) == 1).any()  # some cells lie in one district in every run
