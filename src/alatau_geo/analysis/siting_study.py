"""The siting study of a plan: demand per district and phase, sizing, and each facility kind sited.

:func:`study_siting` strings the steps together on a built layer set:

1. the residents and jobs the build allocates on the 100 m grid for every
   phase (:class:`~alatau_geo.analysis.city_population.CityPopulation`),
   summed into demand blocks of ``siting.demand_block_m``
   (:func:`~alatau_geo.analysis.siting_demand.demand_blocks`);
2. the demand of every block and phase from the plan's rates
   (:func:`~alatau_geo.analysis.demand.point_demand`), summed per district
   and phase and for the area studied;
3. the facilities each kind needs per phase, beside the catalogue's count,
   for the area and per district (:func:`~alatau_geo.analysis.sizing.facilities_needed`);
4. for each kind, in the phase studied: candidate sites on the placement
   grid that pass the kind's placement rules
   (:func:`~alatau_geo.analysis.siting_candidates.candidate_sites`), the
   cost matrix over the road network (:func:`~alatau_geo.analysis.cost_matrix.cost_matrix`),
   and the models beside the catalogue (:func:`~alatau_geo.analysis.siting_kind.site_kind`).

The catalogue's objects of a kind are its points in the ``infrastructure``
layer: those whose ``works`` is ``reconstruction`` (existing structures) are
fixed, kept open by every model; the others are the planned objects the
optimum is compared with. Nothing here reads or writes a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import geopandas as gpd
import networkx as nx
import pandas as pd
import shapely

from alatau_geo.analysis.city_population import CityPopulation
from alatau_geo.analysis.cost_matrix import cost_matrix
from alatau_geo.analysis.demand import demand_rates, demand_totals, point_demand
from alatau_geo.analysis.network_index import NetworkIndex, network_index
from alatau_geo.analysis.outputs import plan_network
from alatau_geo.analysis.siting_candidates import candidate_sites, kind_rules
from alatau_geo.analysis.siting_demand import block_areas, demand_blocks, zone_areas
from alatau_geo.analysis.siting_kind import KindSitingResult, site_kind
from alatau_geo.analysis.sizing import facilities_needed
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.plan.placement_context import PlacementContext
from alatau_geo.reference import terrain

TOTAL = "total"
"""The ``district`` of the rows that sum the area studied."""


@dataclass(frozen=True, eq=False)
class SitingStudy:
    """Demand, sizing and the siting of every kind studied, for one phase and area.

    Attributes
    ----------
    phase : int
        The phase year sited.
    districts : tuple of str
        The zones studied (district ids; ``city_rest`` is city land outside them).
    people : CityPopulation
        Residents and jobs per 100 m cell and phase year.
    blocks : GeoDataFrame
        The demand blocks of `phase` in the area: ``id``, ``district``,
        residents, jobs and every demand column; points, working CRS.
    block_polygons : GeoSeries
        The polygon of every block (index of `blocks`).
    zones : Mapping[str, shapely.Geometry]
        The polygon of every zone (districts, and the city outside them).
    demand : DataFrame
        Per district (and :data:`TOTAL`) and phase: blocks, residents, jobs, every demand column.
    sizing : DataFrame
        Per district (and :data:`TOTAL`), phase and kind: needed, in the catalogue, verdict.
    rates : DataFrame
        Every demand rate with unit and basis (:func:`~alatau_geo.analysis.demand.demand_rates`).
    kinds : dict of str to KindSitingResult
    candidates : dict of str to GeoDataFrame
        The candidate sites of each kind.
    """

    phase: int
    districts: tuple[str, ...]
    people: CityPopulation
    blocks: gpd.GeoDataFrame
    block_polygons: gpd.GeoSeries
    zones: Mapping[str, shapely.Geometry]
    demand: pd.DataFrame
    sizing: pd.DataFrame
    rates: pd.DataFrame
    kinds: dict[str, KindSitingResult]
    candidates: dict[str, gpd.GeoDataFrame]

    @property
    def notes(self) -> tuple[str, ...]:
        """Every kind's notes (capped counts, time limits reached)."""
        return tuple(note for result in self.kinds.values() for note in result.notes)

    def summary(self) -> pd.DataFrame:
        """Objective and coverage of every model, plan, optimum and recommended, per kind."""
        return pd.concat([result.summary() for result in self.kinds.values()], ignore_index=True)

    def sites(self) -> pd.DataFrame:
        """Every open site of every result with its catchment figures."""
        return pd.concat([result.sites() for result in self.kinds.values()], ignore_index=True)

    def moves(self) -> pd.DataFrame:
        """Which planned object each model's optimum moves, by how far (m), per kind."""
        frames = [result.moves.assign(kind=kind) for kind, result in self.kinds.items() if len(result.moves)]
        if not frames:
            return pd.DataFrame(columns=["kind", "model", "planned", "optimum", "distance_m", "change"])
        table = pd.concat(frames, ignore_index=True)
        return table[["kind", *[c for c in table.columns if c != "kind"]]]


def study_siting(
    layers: LayerSet,
    plan: Plan,
    *,
    elevation: Raster,
    population: CityPopulation,
    kinds: Sequence[str] | None = None,
    phase: int | None = None,
    districts: Sequence[str] | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> SitingStudy:
    """Demand, sizing and optimal sites of the plan's facilities for one phase.

    Parameters
    ----------
    layers : LayerSet
        Built layers: districts, city boundary, places, corridors,
        infrastructure, water protection strips and zones, reservoir, projects.
    plan : Plan
        Its ``siting`` section, network speeds and placement grid.
    elevation : Raster
        The working-grid DEM (metres), for the placement rules.
    population : CityPopulation
        The plan's residents and jobs on the city grid, per phase (the
        build's allocation, :func:`~alatau_geo.analysis.city_population.allocate_city`).
    kinds : sequence of str, optional
        Facility kinds of ``[siting.kinds]``; default: those with point
        objects in the ``infrastructure`` layer.
    phase : int, optional
        A phase year of the population plan; default the last (2050).
    districts : sequence of str, optional
        Study only these zones (demand, candidates, the catalogue's objects
        of these districts and the existing ones in no district); default
        the whole city.
    graph : networkx.MultiDiGraph, optional
        The road network; generated from the plan when None.

    Returns
    -------
    SitingStudy

    Raises
    ------
    PlanError
        For an unknown kind, district or phase, an infeasible set covering,
        or a solver that finds no solution in time.
    LayerError
        If a needed layer is missing.
    """
    slope = terrain.slope(elevation)
    year = population.years[-1] if phase is None else _phase(population, phase)
    area = _area(population, districts)
    demand, blocks = _demand(population, plan, area=area, year=year)
    infrastructure = _points(layers, area, whole=area == population.grid.zone_ids)
    zones = zone_areas(layers, population.grid.zone_ids)
    sizing = _sizing(demand, plan, infrastructure)
    grid = set(map(str, layers["districts"].frame["id"]))
    inputs = _Inputs(
        plan=plan, blocks=blocks, infrastructure=infrastructure, rules_from=layers["infrastructure"].frame,
        context=PlacementContext.from_layers(layers, elevation=elevation, slope=slope, plan=plan),
        index=network_index(graph if graph is not None else plan_network(layers, plan)),
        districts=tuple(d for d in area if d in grid))
    results, candidates = {}, {}
    for kind in _kinds(plan, infrastructure, kinds):
        row = sizing[(sizing["district"] == TOTAL) & (sizing["phase"] == year) & (sizing["kind"] == kind)]
        candidates[kind], results[kind] = _site(kind, inputs, needed=int(row["needed"].iloc[0]))
    return SitingStudy(phase=year, districts=area, people=population, blocks=blocks,
                       block_polygons=block_areas(blocks, population.grid, block=plan.siting.models.block_cells,
                                                  areas=zones),
                       zones=MappingProxyType(zones), demand=_totals(demand), sizing=sizing,
                       rates=demand_rates(plan.siting.demand), kinds=results, candidates=candidates)


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What siting every kind shares: plan, blocks of the phase, catalogue, rules' context, network."""

    plan: Plan
    blocks: gpd.GeoDataFrame
    infrastructure: gpd.GeoDataFrame
    rules_from: gpd.GeoDataFrame
    context: PlacementContext
    index: NetworkIndex
    districts: tuple[str, ...]


def _site(kind: str, inputs: _Inputs, *, needed: int) -> tuple[gpd.GeoDataFrame, KindSitingResult]:
    """Candidates, cost matrix and the models of one kind; the catalogue's existing objects fixed."""
    params = inputs.plan.siting.models
    objects = inputs.infrastructure[inputs.infrastructure["kind"] == kind]
    existing = objects["works"] == "reconstruction"
    fixed, planned = objects[existing], objects[~existing]
    candidates = candidate_sites(inputs.context, districts=inputs.districts, rules=kind_rules(inputs.rules_from, kind),
                                 max_count=params.max_candidates, planned=planned)
    settings = params.kinds[kind]
    costs = cost_matrix(inputs.index, inputs.blocks, candidates, fixed=fixed if len(fixed) else None,
                        planned=planned if len(planned) else None, weight=settings.cost, params=inputs.plan.network)
    weights = pd.Series(inputs.blocks[settings.demand].to_numpy(), index=inputs.blocks["id"].to_numpy(),
                        name=settings.demand)
    result = site_kind(kind, costs, weights, needed=needed,
                       capacity=inputs.plan.siting.capacity.facilities[kind].capacity, params=params)
    return candidates, result


def _demand(people: CityPopulation, plan: Plan, *, area: tuple[str, ...],
            year: int) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The demand of every block and phase in the area, and the blocks of `year` as points with their demand."""
    block = plan.siting.models.block_cells
    every = pd.concat([demand_blocks(people.grid, people.residents(y), people.jobs(y), block=block, year=y)
                       for y in people.years], ignore_index=True)
    every = every[every["district"].isin(area)]
    demand = point_demand(every, plan.siting.demand)
    located = demand.join(every[["block_row", "block_col", "geometry"]])[demand["phase"] == year]
    return demand, gpd.GeoDataFrame(located, geometry="geometry", crs=every.crs).reset_index(drop=True)


def _totals(demand: pd.DataFrame) -> pd.DataFrame:
    """Demand per district and phase, then the area's per phase (district :data:`TOTAL`)."""
    totals = pd.concat([demand_totals(demand, by=("district", "phase")).reset_index(),
                        demand_totals(demand, by=("phase",)).reset_index().assign(district=TOTAL)],
                       ignore_index=True).rename(columns={"points": "blocks"})
    totals = totals.astype({"blocks": "int64", "residents": "int64", "jobs": "int64"})
    return totals[["district", *[column for column in totals.columns if column != "district"]]]


def _phase(people: CityPopulation, phase: int) -> int:
    if phase not in people.years:
        raise PlanError(f"phase {phase} is not a phase year of 'population.phases' "
                        f"({', '.join(map(str, people.years))}); give one of them")
    return int(phase)


def _area(people: CityPopulation, districts: Sequence[str] | None) -> tuple[str, ...]:
    zone_ids = people.grid.zone_ids
    if not districts:
        return zone_ids
    unknown = [d for d in districts if d not in zone_ids]
    if unknown:
        raise PlanError(f"district {unknown[0]!r} is not a zone of the plan (zones: {', '.join(zone_ids)})")
    return tuple(d for d in zone_ids if d in set(districts))


def _points(layers: LayerSet, area: tuple[str, ...], *, whole: bool) -> gpd.GeoDataFrame:
    """The catalogue's point objects in the area.

    For the whole city, all of them. For some districts, those of the
    districts, and the existing objects that lie in no district (the Otegen
    Batyr substation stands in a village outside the city and serves its
    neighbours all the same).
    """
    if "infrastructure" not in layers:
        raise LayerError("no 'infrastructure' layer: run alatau-geo build before siting")
    points = layers["infrastructure"].frame
    points = points[points.geometry.geom_type == "Point"]
    district = points["district"].fillna("").astype(str)
    existing = (district == "") & (points["works"] == "reconstruction")
    return points[district.isin(area) | ((district == "") & whole) | existing].reset_index(drop=True)


def _kinds(plan: Plan, infrastructure: gpd.GeoDataFrame, kinds: Sequence[str] | None) -> tuple[str, ...]:
    known = plan.siting.models.kinds
    if kinds:
        unknown = [kind for kind in kinds if kind not in known]
        if unknown:
            raise PlanError(f"facility kind {unknown[0]!r} is not in [siting.kinds] (kinds: {', '.join(known)}); "
                            f"add [siting.kinds.{unknown[0]}] and [siting.capacity.{unknown[0]}] to the plan")
        return tuple(dict.fromkeys(kinds))
    catalogued = set(infrastructure["kind"].astype(str))
    chosen = tuple(kind for kind in known if kind in catalogued)
    if not chosen:
        raise PlanError("no facility kind of [siting.kinds] has objects in the infrastructure catalogue; "
                        "name the kinds to site (--kind)")
    return chosen


def _sizing(demand: pd.DataFrame, plan: Plan, infrastructure: gpd.GeoDataFrame) -> pd.DataFrame:
    """Facilities needed per phase for the area, and per district and phase."""
    capacity = plan.siting.capacity
    area = facilities_needed(demand_totals(demand, by=("phase",)), capacity, catalogue=infrastructure)
    by_district = facilities_needed(demand_totals(demand, by=("district", "phase")), capacity,
                                    catalogue=infrastructure)
    table = pd.concat([area.assign(district=TOTAL), by_district], ignore_index=True)
    return table[["district", *[c for c in table.columns if c != "district"]]]


__all__ = ["TOTAL", "SitingStudy", "study_siting"]
