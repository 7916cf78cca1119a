"""The population step of a build: the plan's residents and jobs on the city grid, and their GeoTIFFs.

:func:`population_of` runs the allocation
(:func:`~alatau_geo.analysis.city_population.allocate_city`) on the built
layers with the slope of the working-grid DEM; :func:`write_population_grids`
writes one GeoTIFF of residents and one of jobs per phase year beside the
layers (:data:`GRID_NAME`), whole persons per 100 m cell, nodata outside the
city.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np

from alatau_geo.analysis.city_population import CityPopulation, allocate_city
from alatau_geo.analysis.population_grid import CellSpread, Spread, spread_on_cells
from alatau_geo.core.io import read_raster, write_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.core.stage_store import geometry_digest
from alatau_geo.jobs.stage_cache import StageCache, StageOutput, code_digest, digest
from alatau_geo.plan.config import Plan
from alatau_geo.reference import terrain

logger = logging.getLogger(__name__)

GRID_NAME = "{kind}_{year}.tif"
"""File name of a population grid in the layers folder (``residents_2030.tif``, ``jobs_2050.tif``)."""
GRID_KINDS = ("residents", "jobs")


def population_of(layers: LayerSet, plan: Plan, *, elevation: Raster,
                  suitability: Raster | None = None, spread: Spread = spread_on_cells,
                  slope: Raster | None = None) -> CityPopulation:
    """The plan's residents and jobs allocated on the built `layers`.

    `suitability` is the suitability analysis's class raster (what
    :func:`suitability_of_folder` reads); without it the buildable rule, with
    the slope (`slope` in degrees when the caller has it, else worked out
    from `elevation`, the working-grid DEM), stands for it. `spread` spreads
    the seeds over the cells (:func:`cached_spread` keeps them).
    """
    slope = slope if slope is not None else terrain.slope(elevation)
    return allocate_city(layers, plan, slope=slope, suitability=suitability, spread=spread)


def cached_spread(cache: StageCache) -> Spread:
    """:func:`~alatau_geo.analysis.population_grid.spread_on_cells`, kept in `cache` by exactly what it reads.

    The key is the polygons' geometries (WKB) and values, the column, the
    cell size and the toolkit's code. After an edit of a district the
    settlements (and mostly the projects) are the same polygons, so their
    spread is read back (exact arrays) instead of being worked out again. Entries are
    ``spread-<column>-<key>`` stage entries, the last three of each column kept.
    """
    def spread(polygons: gpd.GeoDataFrame, column: str, cell_m: float) -> CellSpread:
        values = np.ascontiguousarray(polygons[column].to_numpy(np.float64)).tobytes()
        key = digest("spread", code_digest(), column, cell_m, geometry_digest(polygons.geometry.to_numpy(), values))

        def compute(_files_dir: Path | None) -> StageOutput:
            made = spread_on_cells(polygons, column, cell_m)
            return StageOutput(arrays={"columns": made.columns, "rows": made.rows, "values": made.values}, value=made)

        output = cache.run(f"spread-{column}", key, compute, timed=False)
        return output.value if output.computed else CellSpread(**output.arrays)

    return spread


def suitability_of_folder(plan: Plan, layers_dir: Path) -> Raster | None:
    """The suitability classes a build wrote into `layers_dir`, for a plan with ``[suitability]``; else None.

    The build allocated its residents on them, so reports and siting read
    the same classes instead of working the suitability out again.
    """
    from alatau_geo.jobs.suitability import CLASS_RASTER

    path = layers_dir / CLASS_RASTER
    if plan.suitability is None or not path.is_file():
        return None
    return read_raster(path)


def grid_paths(years: tuple[int, ...], layers_dir: Path) -> dict[tuple[str, int], Path]:
    """The GeoTIFF of every kind and phase year in `layers_dir`."""
    return {(kind, year): layers_dir / GRID_NAME.format(kind=kind, year=year)
            for kind in GRID_KINDS for year in years}


def write_population_grids(population: CityPopulation, layers_dir: Path) -> list[Path]:
    """Write residents and jobs per 100 m cell for every phase year as GeoTIFFs (float32, whole persons).

    Returns
    -------
    list of Path
        The files written, residents then jobs, years ascending.
    """
    written = []
    for (kind, year), path in grid_paths(population.years, layers_dir).items():
        values = population.residents(year) if kind == "residents" else population.jobs(year)
        written.append(write_raster(population.grid.raster(values), path, dtype="float32"))
    logger.debug("population grids in %s", layers_dir)
    return written
