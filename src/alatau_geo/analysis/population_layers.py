"""The allocated residents and jobs as layers with provenance, and as tables per zone and phase.

- :func:`population_districts`: one feature per zone and phase year, the zone's
  polygon with its residents, jobs, hectares, densities, targets, capacity and
  what is short (layer ``population_districts``);
- :func:`population_blocks`: residents and jobs per 1 km block and phase year,
  squares for the map's choropleth (layer ``population_blocks``);
- :func:`zone_polygons`: the zones as polygons (the districts, and the city
  land outside them as ``city_rest``);
- :func:`population_report`: the report table, per zone and phase, capacity
  beside the targets and what is short or spare, in residents, jobs and hectares.

Nothing is computed from scratch here: the figures are those of
:func:`~alatau_geo.analysis.city_population.allocate_city`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from alatau_geo.analysis.city_population import CityPopulation
from alatau_geo.analysis.layer_names import POPULATION_LAYERS  # noqa: F401 - named in one place, re-exported
from alatau_geo.analysis.population_grid import REST_OF_CITY, block_sum, cell_squares
from alatau_geo.core.crs import SQUARE_METRES_PER_HECTARE, WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.plan.population_params import PopulationParams

BLOCK_CELLS = 10
"""Cells per side of the map's blocks (1 km on the 100 m grid)."""
SLIVER_M = 1.0
"""City land outside the districts narrower than twice this is a sliver of their shared edges, metres."""
REPORT_COLUMNS = (
    "zone", "name_en", "year", "ha", "buildable_ha", "residents_target", "residents", "residents_capacity",
    "residents_spare", "jobs_target", "jobs", "jobs_capacity", "jobs_spare", "ha_needed", "ha_spare",
    "residents_per_ha", "jobs_per_ha", "residents_shortfall", "jobs_shortfall", "status",
)
_METHOD = ("capacity per 100 m cell from the zone's density and the cell's suitability class; residents and jobs "
           "allocated in proportion to capacity x suitability score, today's settlements and the investment "
           "projects as seeds, each phase on top of the one before (alatau_geo.analysis.allocation)")


def zone_polygons(layers: LayerSet, zone_ids: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The zones as polygons: each district, and ``city_rest`` = the city boundary less the districts.

    Returns
    -------
    GeoDataFrame
        Index ``zone`` (in `zone_ids` order), ``name_en``, working CRS.
    """
    districts = layers["districts"].frame.set_index("id")
    city = shapely.union_all(layers["city_boundary"].frame.geometry.to_numpy())
    rows = []
    for zone in zone_ids:
        if zone == REST_OF_CITY:
            rows.append((zone, "City land outside the districts", _rest_of_city(city, districts.geometry)))
        else:
            name = districts.at[zone, "name_en"] if "name_en" in districts.columns else zone
            rows.append((zone, name, districts.geometry[zone]))
    frame = gpd.GeoDataFrame(rows, columns=["zone", "name_en", "geometry"], geometry="geometry", crs=WORKING_CRS)
    return frame.set_index("zone")


def _rest_of_city(city: shapely.Geometry, districts: gpd.GeoSeries) -> shapely.Geometry:
    """The city less the districts, without the slivers their shared edges leave.

    The districts' edges follow the city boundary's only to rounding, so the
    plain difference holds hair-thin slivers along them that cannot be
    rounded for export. An opening by :data:`SLIVER_M` (mitred, so corners
    keep their shape) removes them; parts under 1 ha are dropped.
    """
    rest = shapely.difference(city, shapely.union_all(districts.to_numpy()))
    opened = shapely.buffer(shapely.buffer(rest, -SLIVER_M, join_style="mitre"), SLIVER_M, join_style="mitre")
    parts = [part for part in shapely.get_parts(shapely.make_valid(shapely.set_precision(opened, 0.01)))
             if part.geom_type == "Polygon" and part.area >= SQUARE_METRES_PER_HECTARE]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _phase_targets(population: CityPopulation, kind: str) -> pd.Series:
    """Target per (zone, year) of every phase."""
    tables = getattr(population.result, kind)
    return pd.concat({year: tables[year].table["target"] for year in sorted(tables)}, names=["year", "zone"]) \
        .swaplevel().sort_index()


def population_report(population: CityPopulation, layers: LayerSet) -> pd.DataFrame:
    """Per zone and phase (and the city): targets beside what was placed and what the land holds.

    Parameters
    ----------
    population : CityPopulation
    layers : LayerSet
        For the districts' names.

    Returns
    -------
    DataFrame
        Columns :data:`REPORT_COLUMNS`, one row per zone and phase year, then
        the city's. ``*_target`` is the phase's target, ``residents`` and
        ``jobs`` what was placed, ``*_capacity`` what the zone's land can
        hold (the same every year), ``*_spare`` capacity less the target
        (negative: short). ``ha_needed`` is the buildable land the phase's
        targets need at the zone's capacity per buildable ha and
        ``ha_spare`` the buildable land beyond it (negative: hectares
        short). ``*_shortfall`` is what could not be placed. Areas in ha,
        densities per ha of zone.
    """
    summary = population.result.summary.reset_index()
    capacity = population.result.capacity_table
    names = zone_polygons(layers, population.grid.zone_ids)["name_en"].to_dict() | {"city": "Alatau city"}
    targets = {kind: _phase_targets(population, kind) for kind in ("residents", "jobs")}
    rows = []
    for record in summary.to_dict("records"):
        zone, year = record["zone"], record["year"]
        cap = capacity.loc[zone]
        row = {"zone": zone, "name_en": names.get(zone, zone), "year": year, "ha": record["ha"],
               "buildable_ha": cap["buildable_ha"]}
        for kind in ("residents", "jobs"):
            target = (int(targets[kind].xs(year, level="year").sum()) if zone == "city"
                      else int(targets[kind].loc[(zone, year)]))
            row |= {f"{kind}_target": target, kind: record[kind], f"{kind}_capacity": int(cap[f"{kind}_capacity"]),
                    f"{kind}_spare": int(cap[f"{kind}_capacity"]) - target,
                    f"{kind}_shortfall": record[f"{kind}_shortfall"]}
        row["ha_needed"] = _hectares_needed(row, cap["buildable_ha"])
        row["ha_spare"] = cap["buildable_ha"] - row["ha_needed"]
        row |= {"residents_per_ha": record["residents_per_ha"], "jobs_per_ha": record["jobs_per_ha"]}
        row["status"] = _status(row)
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    table["ha_needed"] = table["ha_needed"].round(1)
    table["ha_spare"] = table["ha_spare"].round(1)
    return table


def _hectares_needed(row: dict, buildable_ha: float) -> float:
    ratios = [row[f"{kind}_target"] / row[f"{kind}_capacity"] if row[f"{kind}_capacity"] > 0
              else (0.0 if row[f"{kind}_target"] == 0 else np.inf) for kind in ("residents", "jobs")]
    return float(buildable_ha * max(ratios))


def _status(row: dict) -> str:
    short = [f"short of {row[f'{kind}_shortfall']:,} {kind}" for kind in ("residents", "jobs")
             if row[f"{kind}_shortfall"] > 0]
    return "; ".join(short) if short else "fits"


def population_districts(population: CityPopulation, layers: LayerSet) -> Layer:
    """Layer ``population_districts``: each zone's polygon once per phase year, with its figures.

    Columns: ``id`` (``<zone>_<year>``), ``zone``, ``name_en``, ``year``,
    ``residents``, ``jobs``, ``ha``, ``residents_per_ha``, ``jobs_per_ha``,
    ``residents_target``, ``jobs_target``, ``residents_capacity``,
    ``jobs_capacity``, ``residents_shortfall``, ``jobs_shortfall``, ``status``;
    areas in ha, densities per ha of zone (gross).
    """
    report = population_report(population, layers)
    report = report[report["zone"] != "city"]
    polygons = zone_polygons(layers, population.grid.zone_ids)
    columns = ["zone", "name_en", "year", "residents", "jobs", "ha", "residents_per_ha", "jobs_per_ha",
               "residents_target", "jobs_target", "residents_capacity", "jobs_capacity", "residents_shortfall",
               "jobs_shortfall", "status"]
    frame = gpd.GeoDataFrame(report[columns].reset_index(drop=True),
                             geometry=polygons.geometry.reindex(report["zone"]).to_numpy(), crs=WORKING_CRS)
    frame = frame[~frame.geometry.is_empty]
    frame.insert(0, "id", [f"{zone}_{year}" for zone, year in zip(frame["zone"], frame["year"], strict=True)])
    return Layer("population_districts", frame.reset_index(drop=True),
                 _provenance(population, "per zone (the districts, and city land "
                             "outside them) and phase year; zone polygons from the districts and city boundary"),
                 title="Residents and jobs per district and phase")


def population_blocks(population: CityPopulation, *, block: int = BLOCK_CELLS) -> Layer:
    """Layer ``population_blocks``: residents and jobs per block of `block` x `block` cells and phase year.

    One square per block holding anyone in the target year, once per phase
    year: ``id`` (``b<row>_<col>_<year>``), ``year``, ``residents``,
    ``jobs``, ``residents_per_ha`` and ``jobs_per_ha`` (per ha of block,
    gross), ``block_m``. Blocks at the grid's east and south edges that do not
    fill a whole block are dropped (they lie outside the city).
    """
    grid = population.grid
    size = block * grid.cell_m
    block_ha = size * size / SQUARE_METRES_PER_HECTARE
    final = block_sum(population.residents(), block) + block_sum(population.jobs(), block)
    cells = np.flatnonzero(final.ravel() > 0)
    rows, cols = np.divmod(cells, final.shape[1])
    squares = cell_squares(grid.transform @ Affine.scale(block), final.shape, cells)
    frames = []
    for year in population.years:
        residents = block_sum(population.residents(year), block).ravel()[cells]
        jobs = block_sum(population.jobs(year), block).ravel()[cells]
        frames.append(gpd.GeoDataFrame({
            "id": [f"b{r}_{c}_{year}" for r, c in zip(rows, cols, strict=True)], "year": year,
            "residents": residents.astype(np.int64), "jobs": jobs.astype(np.int64),
            "residents_per_ha": np.round(residents / block_ha, 1), "jobs_per_ha": np.round(jobs / block_ha, 1),
            "block_m": size,
        }, geometry=squares, crs=WORKING_CRS))
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
    parameters = {"block_m": size, "cell_m": grid.cell_m, "years": list(population.years)}
    return Layer("population_blocks", frame, Provenance(
        source="plan [population] section; built layers (districts, city boundary, places, projects, water); "
        "suitability classes (without [suitability]: the working-grid DEM's slope)",
        method=f"{_METHOD}; summed over {size:g} m blocks; {population.classes_basis}",
        parameters=parameters, quality="approximate"), title=f"Residents per ha ({size / 1000:g} km blocks)")


def _provenance(population: CityPopulation, what: str) -> Provenance:
    params: PopulationParams = population.params
    parameters = {
        "cell_m": population.grid.cell_m, "years": list(population.years),
        "city_residents": params.city_residents, "city_jobs": params.city_jobs,
        "developable_share": round(params.developable_share, 4),
    }
    return Provenance(
        source="plan [population] section (targets and densities with their basis); built layers (districts, "
        "city boundary, places, projects, water); suitability classes (without [suitability]: the working-grid "
        "DEM's slope)",
        method=f"{_METHOD}; {population.classes_basis}; {what}", parameters=parameters, quality="approximate")


def population_layers(population: CityPopulation, layers: LayerSet) -> list[Layer]:
    """Both population layers (:data:`POPULATION_LAYERS`)."""
    return [population_districts(population, layers), population_blocks(population)]


@dataclass(frozen=True)
class PopulationTables:
    """Residents and jobs of a plan, per district and phase (see :func:`population_tables`).

    Attributes
    ----------
    report : DataFrame
        Index (``zone``, ``year``), the districts, ``city_rest`` (city land
        outside them) and ``city``: :func:`population_report`.
    summary : DataFrame
        Index (``zone``, ``year``): residents, jobs, ha, built ha, densities, shortfalls.
    capacity : DataFrame
        Index ``zone``: land by suitability class, capacity, targets and
        their basis, spare and short, ha needed (target year).
    job_figures : DataFrame
        Every jobs figure used, with its basis (published, target, derived, assumed).
    allocation : CityPopulation
        The grids: ``allocation.residents(2050)`` and ``allocation.jobs(2050)``
        per 100 m cell, ``allocation.grid.raster(...)`` as a raster.
    """

    report: pd.DataFrame
    summary: pd.DataFrame
    capacity: pd.DataFrame
    job_figures: pd.DataFrame
    allocation: CityPopulation


def population_tables(population: CityPopulation, layers: LayerSet) -> PopulationTables:
    """The named tables of an allocation (the notebook API's result)."""
    return PopulationTables(report=population_report(population, layers).set_index(["zone", "year"]),
                            summary=population.result.summary, capacity=population.result.capacity_table,
                            job_figures=population.job_figures, allocation=population)
