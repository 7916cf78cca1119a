"""End to end on the default plan: `alatau-geo site` in a workspace built without tiles, and its one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from alatau_geo.cli import app as cli
from alatau_geo.cli import common
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.plan.config import load_plan
from alatau_geo.plan.placement_context import PlacementContext, Target
from alatau_geo.plan.placement_rules import evaluate
from alatau_geo.plan.workspace import plan_fingerprint
from alatau_geo.reference import terrain


def _no_tiles(patch: pytest.MonkeyPatch, root: Path) -> None:
    patch.delenv(common.DEM_DIR_VARIABLE, raising=False)
    patch.setattr(common, "default_dem_dirs", lambda: [root.parent / "no-shared" / "srtm"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace of the default plan, built from the committed layers (as on a fresh clone)."""
    root = tmp_path_factory.mktemp("siting") / "scenario"
    with pytest.MonkeyPatch.context() as patch:
        _no_tiles(patch, root)
        assert cli.main(["-q", "init", str(root)]) == 0
        assert cli.main(["-q", "-w", str(root), "build", "--no-maps"]) == 0
    return root


@pytest.fixture(scope="module")
def sited(built: Path) -> tuple[Path, str, bytes]:
    """`alatau-geo site --kind substation` on the whole city, 2050; its stdout and the build's manifest before it."""
    manifest = (built / "layers" / "manifest.json").read_bytes()
    with pytest.MonkeyPatch.context() as patch:
        _no_tiles(patch, built)
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["-q", "-w", str(built), "site", "--kind", "substation"]) == 0
    return built, out.getvalue(), manifest


def _copy(built: Path, tmp_path: Path, *, siting: str) -> Path:
    """A copy of the built workspace whose plan ends with `siting` (a [siting] override)."""
    root = tmp_path / "copy"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("siting*", "maps", "reports"))
    plan = root / "plan.toml"
    text = plan.read_text(encoding="utf-8")
    head, _, _ = text.partition("\n# --------------------------------------------------------------------------\n"
                                "# Infrastructure demand, sizing and optimal siting")
    plan.write_text(head + "\n" + siting, encoding="utf-8")
    return root


def test_every_recommended_site_passes_the_placement_rules(sited):
    root, _, _ = sited
    layers = read_layers(root / "layers")
    recommended = read_layers(root / "layers" / "siting")["siting_recommended"].frame
    assert set(recommended["kind"]) == {"substation"}
    # 1.45 GW of load in 2050 at 81.1 MW of firm capacity per substation: 18 substations, more than the 8 planned
    assert len(recommended) == 18 and (recommended["facilities"] == 18).all()
    elevation = read_raster(root / "layers" / "terrain_dem.tif")
    context = PlacementContext.from_layers(layers, elevation=elevation, slope=terrain.slope(elevation),
                                           plan=load_plan(root / "plan.toml"))
    rules = ("in_district", "outside_strips", "max_slope", "above_flood")
    chosen = recommended[recommended["role"] == "candidate"]
    assert len(chosen) == 17
    for district, group in chosen.groupby("district"):
        checks = evaluate(group.geometry.to_numpy(), rules, Target(id="site", district=district), context)
        for rule, (ok, value) in checks.items():
            assert ok.all(), f"{rule} broken at {group['site'][~ok].tolist()}: {value[~ok]}"
    # the reconstructed Otegen Batyr substation is kept where the catalogue puts it
    fixed = recommended[recommended["role"] == "fixed"]
    catalogue = layers["infrastructure"].frame.set_index("id")
    assert fixed["site"].tolist() == ["ss_otegen_batyr"]
    assert fixed.geometry.iloc[0].distance(catalogue.loc["ss_otegen_batyr", "geometry"]) < 0.5


def test_the_optimum_is_no_worse_than_the_catalogue_for_as_many_sites(sited):
    root, stdout, _ = sited
    summary = pd.read_csv(root / "reports" / "siting_summary.csv").set_index(["model", "placement"])
    plan, best = summary.loc[("p_median", "plan")], summary.loc[("p_median", "optimum")]
    assert plan["sites"] == best["sites"] == 8
    assert best["objective"] <= plan["objective"]
    assert best["status"] == "optimal"
    # maximal covering: at least as much load within 8 minutes; set covering: every block within 8 minutes
    assert summary.loc[("mclp", "optimum"), "objective"] >= summary.loc[("mclp", "plan"), "objective"]
    assert summary.loc[("lscp", "optimum"), "coverage"] == pytest.approx(1.0)
    assert summary.loc[("lscp", "optimum"), "sites"] > 8
    moves = pd.read_csv(root / "reports" / "siting_moves.csv")
    median = moves[(moves["model"] == "p_median") & moves["planned"].notna()]
    assert len(median) == 7 and set(median["planned"]) == {f"ss_{d}" for d in (
        "gate_1", "gate_2", "golden_1", "golden_2", "green_1", "growing_1", "growing_2")}
    assert "substation (2050): 18 needed, 8 in the catalogue." in stdout
    assert "p-median for 8 sites" in stdout


def test_catchments_partition_the_load_and_the_demand_adds_up(sited):
    root, _, _ = sited
    siting = read_layers(root / "layers" / "siting")
    catchments = siting["siting_catchments"].frame
    demand = pd.read_csv(root / "reports" / "siting_demand.csv")
    total = demand[(demand["district"] == "total") & (demand["phase"] == 2050)].iloc[0]
    # Gate's published 220,000 residents and 181,000 jobs; 1.87 million residents in the city
    gate = demand[(demand["district"] == "gate") & (demand["phase"] == 2050)].iloc[0]
    assert (gate["residents"], gate["jobs"]) == (220_000, 181_000)
    assert total["residents"] == pytest.approx(1_870_000, rel=0.001)
    assert catchments["load"].sum() == pytest.approx(total["electric_mw"])
    assert catchments["residents"].sum() == total["residents"]
    # one catchment per recommended site; they do not overlap
    assert sorted(catchments["id"]) == sorted(siting["siting_recommended"].frame["id"])
    union = shapely.union_all(catchments.geometry.to_numpy())
    assert union.area == pytest.approx(catchments.area.sum(), rel=1e-6)
    shares = catchments["load"] / catchments["capacity"]
    assert np.allclose(shares, catchments["load_share"], atol=5e-4)
    sizing = pd.read_csv(root / "reports" / "siting_sizing.csv")
    row = sizing[(sizing["district"] == "total") & (sizing["phase"] == 2050) & (sizing["kind"] == "substation")]
    assert row[["needed", "in_catalogue", "verdict"]].values.tolist() == [[18, 8, "10 more"]]


def test_layers_report_and_map_are_written_with_provenance(sited):
    root, _, manifest_before = sited
    folder = root / "layers" / "siting"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    plan = load_plan(root / "plan.toml")
    record = manifest["built_by"]
    assert record["sha256"] == plan_fingerprint(plan)["sha256"]
    assert record["siting_sha256"] == plan.siting.digest()
    assert (record["phase"], record["kinds"]) == (2050, ["substation"])
    assert {entry["name"] for entry in manifest["layers"]} == {"siting_recommended", "siting_catchments",
                                                              "siting_moves"}
    assert all(entry["provenance"]["quality"] == "approximate" for entry in manifest["layers"])
    assert set(pyogrio.list_layers(folder / "siting.gpkg")[:, 0]) >= {"siting_recommended", "siting_catchments"}
    # the build's own manifest is untouched, so `map` and `report` still accept the layers
    assert (root / "layers" / "manifest.json").read_bytes() == manifest_before
    assert cli.main(["-q", "-w", str(root), "report", "placement"]) == 0
    report = (root / "reports" / "siting.md").read_text(encoding="utf-8")
    assert report.startswith("# Infrastructure demand, sizing and siting, 2050")
    assert "For the catalogue's 8 sites, the p-median optimum has" in report
    assert "siting.demand.electricity_kwh_per_resident_year" in report
    for table in ("demand", "sizing", "summary", "moves", "sites", "blocks", "rates"):
        assert (root / "reports" / f"siting_{table}.csv").is_file()
    html = (root / "maps" / "siting.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and "Recommended site: Substations" in html
    assert "../layers/siting/siting_recommended.geojson" in html and "../layers/districts.geojson" in html


def test_report_siting_writes_the_tables_of_every_catalogued_kind(built, tmp_path, capsys):
    # coarse blocks, few candidates and wide limits: every catalogued kind in seconds
    root = _copy(built, tmp_path, siting="[siting]\ndemand_block_m = 4000.0\nmax_candidates = 40\n"
                 "[siting.kinds.substation]\nlimit = 30.0\n[siting.kinds.wastewater_plant]\nlimit = 30.0\n"
                 "[siting.kinds.water_intake]\nlimit = 45.0\n")
    with pytest.MonkeyPatch.context() as patch:
        _no_tiles(patch, root)
        assert cli.main(["-q", "-w", str(root), "report", "siting"]) == 0
    out = capsys.readouterr().out
    for kind in ("substation", "wastewater_plant", "water_intake"):
        assert f"{kind} (2050):" in out
    summary = pd.read_csv(root / "reports" / "siting_summary.csv")
    assert set(summary["kind"]) == {"substation", "wastewater_plant", "water_intake"}
    assert not (root / "layers" / "siting").exists() and not (root / "maps" / "siting.html").exists()


def test_gate_alone_keeps_the_existing_substation_next_to_it(built, tmp_path, capsys):
    root = _copy(built, tmp_path, siting="")
    with pytest.MonkeyPatch.context() as patch:
        _no_tiles(patch, root)
        assert cli.main(["-q", "-w", str(root), "site", "--kind", "substation", "--district", "gate", "--no-map"]) == 0
    summary = pd.read_csv(root / "reports" / "siting_summary.csv").set_index(["model", "placement"])
    # GT-1, GT-2 and the Otegen Batyr substation (in no district, outside the city) beside the optimum for three
    assert summary.loc[("p_median", "plan"), "sites"] == summary.loc[("p_median", "optimum"), "sites"] == 3
    assert summary.loc[("p_median", "optimum"), "objective"] <= summary.loc[("p_median", "plan"), "objective"]
    recommended = read_layers(root / "layers" / "siting")["siting_recommended"].frame
    assert "ss_otegen_batyr" in set(recommended["site"])
    assert set(recommended.loc[recommended["role"] == "candidate", "district"]) == {"gate"}
    demand = pd.read_csv(root / "reports" / "siting_demand.csv")
    assert set(demand["district"]) == {"gate", "total"}
    assert "substation (2050): 3 needed, 3 in the catalogue." in capsys.readouterr().out


@pytest.mark.parametrize(("siting", "arguments", "message"), [
    ("[siting.kinds.substation]\nlimit = 0.5\n", ["--kind", "substation", "--district", "gate"],
     "substation: set covering is infeasible:"),
    ("", ["--kind", "schools"], "facility kind 'schools' is not in [siting.kinds]"),
    ("", ["--district", "gat"], "district 'gat' is not a zone of the plan"),
    ("", ["--phase", "2035"], "phase 2035 is not a phase year of 'population.phases' (2030, 2040, 2050)"),
    ("[siting]\nmax_candidates = 0\n", [], "'siting.max_candidates' must be a whole number of at least 1, got 0"),
])
def test_errors_are_one_line_with_exit_code_3(built, tmp_path, capsys, siting, arguments, message):
    root = _copy(built, tmp_path, siting=siting)
    with pytest.MonkeyPatch.context() as patch:
        _no_tiles(patch, root)
        code = cli.main(["-q", "-w", str(root), "site", "--no-map", *arguments])
    err = capsys.readouterr().err
    assert code == 3
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alatau-geo: error: ") and message in lines[0]
    if "infeasible" in message:
        # the blocks no site reaches, where they are and their district
        assert "demand block(s) no site reaches within 0.5 min:" in lines[0] and "_gate at " in lines[0]
        assert " E " in lines[0] and " N (gate)" in lines[0]
    assert not (root / "layers" / "siting").exists()


def test_stale_layers_are_refused(built, tmp_path, capsys):
    root = _copy(built, tmp_path, siting="")
    (root / "plan.toml").write_text((root / "plan.toml").read_text(encoding="utf-8").replace(
        "placement_grid_m = 250.0", "placement_grid_m = 300.0"), encoding="utf-8")
    assert cli.main(["-q", "-w", str(root), "site"]) == 4
    assert "run alatau-geo build" in capsys.readouterr().err.lower()
