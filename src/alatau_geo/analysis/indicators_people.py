"""Residents and jobs of a built workspace on a grid, and their indicators by zone and phase.

:func:`people_grid` runs the population analysis
(:func:`~alatau_geo.analysis.population.plan_population`) on a grid over the
city: zones from the ``districts`` and ``city_boundary`` layers, buildable
cells as in :mod:`~alatau_geo.analysis.areas` (not steeper than the plan's
limit, outside the reservoir and the water protection zones; class "high",
the rest unsuitable), and today's residents seeded at the settlements the
population parameters name. Not the suitability classes the build allocates
on: the uncertainty runs rebuild hundreds of plans without the suitability
analysis, and every scenario's indicators must be worked out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio.features
from affine import Affine

from alatau_geo.analysis import population_grid
from alatau_geo.analysis.capacity import classes_from_buildable
from alatau_geo.analysis.indicator_model import indicator_row
from alatau_geo.analysis.population import PopulationPlan, plan_population
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.plan.population_params import PopulationParams
from alatau_geo.reference import terrain

CITY = "city"
"""Subject id of the whole city in the population rows."""
_RESIDENTS = ("Residents placed in the zone by the phase year: the zone's target (published for Gate, else the city "
              "total shared by the assumed weights of the population parameters) times the phase share, allocated "
              "on the 100 m grid in proportion to capacity x suitability, today's settlements kept; persons.")
_JOBS = ("Jobs placed in the zone by the phase year: the zone's job target (published for Gate, else the assumed "
         "city total shared by weights) times the phase share, allocated on the grid like the residents; jobs.")
_SHORT = ("Part of the target-year figure the allocation could not place for want of buildable capacity in the "
          "zone (0 when the zone holds its target); persons or jobs.")


@dataclass(frozen=True)
class PeopleGrid:
    """Residents and jobs of a workspace on a grid.

    Attributes
    ----------
    transform : Affine
        Of the grid (working CRS, square cells).
    zones : numpy.ndarray of int
        Zone index per cell, -1 outside the city.
    zone_ids : tuple of str
        The district ids, then ``city_rest``.
    zone_names : dict of str to str
        English names of the zones and of ``city``.
    population : PopulationPlan
        Capacity, targets, allocation by phase, summary.
    """

    transform: Affine
    zones: np.ndarray
    zone_ids: tuple[str, ...]
    zone_names: dict[str, str]
    population: PopulationPlan

    @property
    def final_year(self) -> int:
        """The target year (the last phase year)."""
        return max(self.population.residents)

    @property
    def residents(self) -> np.ndarray:
        """Residents per cell in the target year."""
        return self.population.residents[self.final_year].grid

    @property
    def jobs(self) -> np.ndarray:
        """Jobs per cell in the target year."""
        return self.population.jobs[self.final_year].grid


def buildable_cells(layers: LayerSet, *, slope: Raster, max_slope_deg: float, transform: Affine,
                    shape: tuple[int, int]) -> np.ndarray:
    """Cells (by their centre) not steeper than `max_slope_deg`, outside the reservoir and water protection zones.

    Returns
    -------
    numpy.ndarray of bool
    """
    rows, cols = np.indices(shape)
    xs = transform.c + (cols.ravel() + 0.5) * transform.a
    ys = transform.f + (rows.ravel() + 0.5) * transform.e
    steep = terrain.sample(slope, xs, ys).reshape(shape)
    water = [g for name in ("reservoir", "water_protection_zone") if name in layers
             for g in layers[name].frame.geometry if g is not None and not g.is_empty]
    wet = np.zeros(shape, dtype=bool)
    if water:
        wet = rasterio.features.geometry_mask(water, out_shape=shape, transform=transform, invert=True)
    return ~wet & (np.nan_to_num(steep, nan=90.0) <= max_slope_deg)


def people_grid(layers: LayerSet, plan: Plan, *, elevation: Raster, params: PopulationParams,
                cell_m: float = 100.0) -> PeopleGrid:
    """Residents and jobs of the workspace allocated on a grid over the city.

    Parameters
    ----------
    layers : LayerSet
        ``districts``, ``city_boundary``, ``places``; ``reservoir`` and
        ``water_protection_zone`` when present.
    plan : Plan
        Supplies the buildable slope limit.
    elevation : Raster
        Working-grid DEM, metres.
    params : PopulationParams
    cell_m : float
        Cell size, metres.

    Returns
    -------
    PeopleGrid

    Raises
    ------
    PlanError
        If a zone has no density or target in `params`.
    """
    city = layers["city_boundary"].frame
    districts = layers["districts"].frame
    transform, shape = population_grid.grid_over(tuple(city.total_bounds), cell_m=cell_m)
    zones, ids = population_grid.zone_grid(districts, transform=transform, shape=shape, city=city)
    buildable = buildable_cells(layers, slope=terrain.slope(elevation), transform=transform, shape=shape,
                                max_slope_deg=plan.analysis.max_buildable_slope_deg)
    seeds = _resident_seeds(layers, params=params, zones=zones, transform=transform)
    result = plan_population(zones, classes_from_buildable(buildable & (zones >= 0)), cell_m=cell_m, zone_ids=ids,
                             params=params, resident_seeds=seeds)
    names = dict(zip(districts["id"].astype(str), districts["name_en"].astype(str), strict=True))
    names[population_grid.REST_OF_CITY] = "city land outside the districts"
    names[CITY] = str(city["name_en"].iloc[0]) if "name_en" in city.columns else "the city"
    return PeopleGrid(transform=transform, zones=zones, zone_ids=tuple(ids), zone_names=names, population=result)


def _resident_seeds(layers: LayerSet, *, params: PopulationParams, zones: np.ndarray,
                    transform: Affine) -> np.ndarray | None:
    places = layers["places"].frame
    today = places[places["id"].isin(list(params.current))].copy()
    if today.empty:
        return None
    today["residents"] = today["id"].map({place: n for place, (n, _) in params.current.items()})
    discs = population_grid.settlement_discs(today, "residents", per_ha=params.seed_residents_per_ha)
    return population_grid.seeds_from_polygons(discs, "residents", zones=zones, transform=transform)


def people_rows(people: PeopleGrid) -> list[dict[str, object]]:
    """Residents and jobs by zone (and the city) and phase year; what the target year could not place.

    Returns
    -------
    list of dict
        Indicator rows: ``residents.<zone>.<year>``, ``jobs.<zone>.<year>``,
        ``residents_shortfall.<zone>`` and ``jobs_shortfall.<zone>`` (target year).
    """
    summary = people.population.summary
    final = people.final_year
    rows = []
    for kind, definition in (("residents", _RESIDENTS), ("jobs", _JOBS)):
        noun = kind.capitalize()
        for zone in [*people.zone_ids, CITY]:
            name = people.zone_names.get(zone, zone)
            for year in sorted(people.population.residents):
                rows.append(indicator_row(f"{kind}.{zone}.{year}", kind, f"{noun} {year}: {name}",
                                          summary.loc[(zone, year), kind], kind, definition, "target"))
            rows.append(indicator_row(f"{kind}_shortfall.{zone}", kind, f"{noun} not placed {final}: {name}",
                                      summary.loc[(zone, final), f"{kind}_shortfall"], kind, _SHORT, "derived"))
    return rows
