"""The siting job: demand, sizing and optimal sites of the plan's facilities, written out.

Siting takes tens of seconds (three models per kind on the road network),
so it is its own command (``alatau-geo site``) rather than a step of every
build. :func:`read_inputs` reads the workspace's built layers and terrain
raster, :func:`run_siting` runs the study on them
(:func:`~alatau_geo.analysis.siting_study.study_siting`) and makes its
layers; the writers put its outputs in the workspace:

- :func:`write_siting_layers`: ``siting_recommended``, ``siting_catchments``
  and ``siting_moves`` as GeoJSON, a GeoPackage (``siting.gpkg``) and a
  manifest in ``layers/siting/`` (:data:`SITING_DIR`), whose ``built_by``
  records the plan's hash as the build's manifest does, plus the hash of
  the ``[siting]`` section, the phase, kinds and districts; the build's own
  ``layers/manifest.json`` is left as it is;
- :func:`write_siting_report`: ``reports/siting_<table>.csv`` and
  ``reports/siting.md``;
- :func:`write_siting_map`: ``maps/siting.html``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from alatau_geo import maps
from alatau_geo.analysis.siting_layers import siting_layers
from alatau_geo.analysis.siting_report import report_markdown, report_tables
from alatau_geo.analysis.siting_study import SitingStudy, study_siting
from alatau_geo.core.io import ExportResult, export_layers, read_layers, read_raster, write_text
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.jobs.build import TERRAIN_RASTER
from alatau_geo.jobs.pages import WrittenMap
from alatau_geo.jobs.population import population_of
from alatau_geo.maps.siting import siting_map
from alatau_geo.plan.config import Plan

logger = logging.getLogger(__name__)

SITING_DIR = "siting"
"""Folder of the siting layers inside the workspace's layers folder."""
SITING_GPKG = "siting.gpkg"
REPORT_STEM = "siting"
"""Reports are ``siting.md`` and ``siting_<table>.csv``."""
MAP_NAME = "siting.html"


@dataclass(frozen=True, eq=False)
class SitingRun:
    """A siting study and its layers.

    Attributes
    ----------
    study : SitingStudy
        Demand, sizing and every kind sited (tables through its methods).
    layers : LayerSet
        ``siting_recommended``, ``siting_catchments``, ``siting_moves`` (working CRS).
    reference : LayerSet
        The built layers the study ran on.
    """

    study: SitingStudy
    layers: LayerSet
    reference: LayerSet

    def tables(self) -> dict[str, Any]:
        """The report tables by name (demand, sizing, summary, moves, sites, blocks, rates)."""
        return report_tables(self.study)


def run_siting(
    layers: LayerSet,
    plan: Plan,
    *,
    elevation: Raster,
    kinds: Sequence[str] | None = None,
    phase: int | None = None,
    districts: Sequence[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
    suitability: Raster | None = None,
) -> SitingRun:
    """Run the siting study on built layers and make its layers.

    Parameters
    ----------
    layers : LayerSet
        The workspace's built layers.
    plan : Plan
    elevation : Raster
        The working-grid DEM written beside the layers (:func:`read_inputs`).
    kinds, phase, districts
        See :func:`~alatau_geo.analysis.siting_study.study_siting`.
    graph : networkx.MultiDiGraph, optional
        The road network; generated from the plan when None.
    suitability : Raster, optional
        The suitability classes the build allocated residents on
        (:func:`~alatau_geo.jobs.population.suitability_of_folder`).

    Returns
    -------
    SitingRun

    Notes
    -----
    Residents and jobs are allocated as the build allocates them (the plan's
    ``[population]`` section; :func:`~alatau_geo.jobs.population.population_of`).
    """
    population = population_of(layers, plan, elevation=elevation, suitability=suitability)
    study = study_siting(layers, plan, elevation=elevation, population=population, kinds=kinds, phase=phase,
                         districts=districts, graph=graph)
    made = LayerSet(siting_layers(study, plan.siting.models, source=plan.source))
    logger.debug("siting: %d kinds, %d blocks, phase %d", len(study.kinds), len(study.blocks), study.phase)
    return SitingRun(study=study, layers=made, reference=layers)


def read_inputs(layers_dir: Path) -> tuple[LayerSet, Raster]:
    """The built layers and the working-grid DEM of a layers folder."""
    return read_layers(layers_dir), read_raster(layers_dir / TERRAIN_RASTER)


def siting_record(built_by: Mapping[str, Any], plan: Plan, study: SitingStudy) -> dict[str, Any]:
    """The siting manifest's ``built_by``: the build's record, the ``[siting]`` hash, the phase, kinds, districts."""
    return {**built_by, "siting_sha256": plan.siting.digest(), "phase": study.phase, "kinds": list(study.kinds),
            "districts": list(study.districts)}


def write_siting_layers(run: SitingRun, layers_dir: Path, *, precision: int,
                        built_by: Mapping[str, Any] | None = None) -> ExportResult:
    """Export the siting layers to ``<layers_dir>/siting/`` (GeoJSON, ``siting.gpkg``, manifest)."""
    return export_layers(run.layers, layers_dir / SITING_DIR, precision=precision, gpkg_name=SITING_GPKG,
                         built_by=built_by)


def write_siting_report(run: SitingRun, reports_dir: Path, *, plan_label: str, demand_block_m: float) -> list[Path]:
    """Write ``siting_<table>.csv`` for every report table and ``siting.md``; return the paths, Markdown last."""
    written = [write_text(table.to_csv(index=False, lineterminator="\n"), reports_dir / f"{REPORT_STEM}_{name}.csv")
               for name, table in run.tables().items()]
    text = report_markdown(run.study, plan_label=plan_label, demand_block_m=demand_block_m)
    written.append(write_text(text, reports_dir / f"{REPORT_STEM}.md"))
    return written


def write_siting_map(run: SitingRun, *, maps_dir: Path, layers_dir: Path, offline: bool,
                     language: str = "en") -> WrittenMap:
    """Write ``maps/siting.html``: recommended against planned sites, catchments coloured by load."""
    dem = layers_dir / TERRAIN_RASTER
    shown = LayerSet([*run.reference.values(), *run.layers.values()])
    page = siting_map(shown, relief=maps.relief_images(dem) if dem.is_file() else None, offline=offline,
                      language=language,
                      download_template=_relative(layers_dir, maps_dir) + "/{name}.geojson",
                      siting_download_template=_relative(layers_dir / SITING_DIR, maps_dir) + "/{name}.geojson")
    path = write_text(maps.render_html(page), maps_dir / MAP_NAME)
    return WrittenMap(name="siting", path=path, size_bytes=path.stat().st_size)


def _relative(target: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


__all__ = ["MAP_NAME", "REPORT_STEM", "SITING_DIR", "SITING_GPKG", "SitingRun", "read_inputs", "run_siting",
           "siting_record",
           "write_siting_layers", "write_siting_map", "write_siting_report"]
