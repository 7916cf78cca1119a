"""End to end: a workspace built without tiles gets the plan's residents and jobs, their reports and maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from alatau_geo.cli import app as cli
from alatau_geo.cli import common
from alatau_geo.core.io import read_layers, read_raster

YEARS = (2030, 2040, 2050)


def _build(root: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:  # as on a fresh clone: no ../shared tiles
        patch.delenv(common.DEM_DIR_VARIABLE, raising=False)
        patch.setattr(common, "default_dem_dirs", lambda: [root.parent / "no-shared" / "srtm"])
        assert cli.main(["-q", "-w", str(root), "build", "--no-maps"]) == 0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("population") / "scenario"
    assert cli.main(["-q", "init", str(root)]) == 0
    _build(root)
    return root


def test_build_writes_the_grids_and_the_summary_layer(workspace: Path):
    layers_dir = workspace / "layers"
    layers = read_layers(layers_dir)
    districts = layers["population_districts"].frame.set_index("id")
    for year in YEARS:
        residents = read_raster(layers_dir / f"residents_{year}.tif")
        jobs = read_raster(layers_dir / f"jobs_{year}.tif")
        assert residents.crs.to_epsg() == 32643 and residents.transform.a == 100.0
        # Whole persons per 100 m cell, nodata outside the city; the grid adds up to the layer.
        values = residents.data[np.isfinite(residents.data)]
        assert np.all(values == np.round(values))
        zone_rows = districts[districts["year"] == year]
        assert int(values.sum()) == int(zone_rows["residents"].sum())
        assert int(np.nansum(jobs.data)) == int(zone_rows["jobs"].sum())
    # About 88,000 ha of city on the grid: the finite cells.
    city_cells = int(np.isfinite(read_raster(layers_dir / "residents_2050.tif").data).sum())
    assert city_cells == pytest.approx(88_000, rel=0.01)
    gate = districts.loc["gate_2050"]
    assert (gate["residents"], gate["jobs"], gate["status"]) == (220_000, 181_000, "fits")
    assert gate["residents_per_ha"] == pytest.approx(55.0, abs=0.5)
    assert layers["population_districts"].provenance.quality == "approximate"
    assert set(pyogrio.list_layers(layers_dir / "alatau_geo.gpkg")[:, 0]) >= {"population_districts",
                                                                              "population_blocks"}
    # Coverage gaps count the residents left outside a facility's radius.
    gaps = layers["coverage_gaps"].frame
    assert (gaps["residents_uncovered"] > 0).all() and (gaps["uncovered_residents_pct"] <= 100).all()
    assert (layers["service_areas"].frame["residents"] >= 0).all()


def test_grids_are_the_same_bytes_when_recomputed(workspace: Path, tmp_path: Path):
    from alatau_geo.jobs.build import population_from_layers
    from alatau_geo.jobs.population import write_population_grids
    from alatau_geo.plan.config import load_plan

    layers_dir = workspace / "layers"
    people = population_from_layers(read_layers(layers_dir), load_plan(workspace / "plan.toml"), layers_dir=layers_dir)
    written = write_population_grids(people, tmp_path)
    assert [path.name for path in written] == [f"{kind}_{year}.tif" for kind in ("residents", "jobs") for year in YEARS]
    for path in written:
        assert path.read_bytes() == (layers_dir / path.name).read_bytes()


def test_report_population(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    assert cli.main(["-q", "-w", str(workspace), "report", "population", "--out-dir", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "population.csv").set_index(["zone", "year"])
    assert set(table.index.get_level_values("year")) == set(YEARS)
    gate = table.loc[("gate", 2050)]
    assert (gate["residents_target"], gate["residents"], gate["jobs_target"], gate["jobs"]) == \
        (220_000, 220_000, 181_000, 181_000)
    assert gate["residents_capacity"] > gate["residents_target"] and gate["residents_spare"] > 0
    assert gate["ha_needed"] + gate["ha_spare"] == pytest.approx(gate["buildable_ha"], abs=0.2)
    city = table.loc[("city", 2050)]
    assert abs(city["residents"] - 1_870_000) <= 1_870
    markdown = (tmp_path / "population.md").read_text(encoding="utf-8")
    assert "## Per district and phase" in markdown and "| gate | 2050 | 220,000 |" in markdown
    assert "published: public report, 2025-10-08" in markdown
    figures = pd.read_csv(tmp_path / "population_jobs_figures.csv").set_index("figure")
    assert figures.loc["portfolio 2026-02", "jobs"] == 30_000
    assert "gate 2050: 220,000 of 220,000 residents and 181,000 of 181,000 jobs placed" in capsys.readouterr().out


def test_report_areas_per_district_and_phase(workspace: Path, tmp_path: Path):
    assert cli.main(["-q", "-w", str(workspace), "report", "areas", "--out-dir", str(tmp_path)]) == 0
    phases = pd.read_csv(tmp_path / "areas_by_phase.csv").set_index(["zone", "year"])
    assert phases.loc[("gate", 2030), "residents"] == 88_000
    assert phases.loc[("gate", 2050), "residents_per_ha"] == pytest.approx(55.0, abs=0.5)
    assert phases.loc[("alatau_city", 2050), "jobs"] == pytest.approx(841_500, abs=842)
    assert (phases["residents_per_buildable_ha"] >= phases["residents_per_ha"]).all()
    assert "Residents, jobs and densities per district and phase" in (tmp_path / "areas.md").read_text("utf-8")


def test_report_proximity_counts_residents(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    assert cli.main(["-q", "-w", str(workspace), "report", "proximity", "--out-dir", str(tmp_path)]) == 0
    uncovered = pd.read_csv(tmp_path / "proximity_uncovered_by_district.csv")
    assert (uncovered["residents_uncovered"] <= uncovered["residents"]).all()
    city = uncovered[uncovered["district"] == "alatau_city"].set_index("kind")
    assert city.loc["substation", "residents"] == pytest.approx(1_870_000, abs=1_870)
    access = pd.read_csv(tmp_path / "proximity_job_access_districts.csv", index_col=0)
    assert access.loc["gate", "jobs_within_30min_mean"] > 100_000
    printed = capsys.readouterr().out
    assert "residents (2050) outside the substation radius" in printed
    markdown = (tmp_path / "proximity.md").read_text(encoding="utf-8")
    assert "## job access districts" in markdown and "## job access blocks" not in markdown


def test_population_map_of_the_built_layers(workspace: Path):
    from alatau_geo import maps

    layers = read_layers(workspace / "layers")
    html = maps.render_html(maps.population_map(layers, relief=None, offline=True))
    assert "Residents per ha: 2030" in html and "Residents per ha: 2050" in html
    assert "Districts: 2050" in html and "Gate District" in html
    assert "population_blocks.geojson" in html  # the download link
