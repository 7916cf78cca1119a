"""Who the plan's facilities serve: the reached areas with the allocated residents and jobs in them.

:class:`ReachedAreas` holds the geometry of the network and proximity
analyses (service areas, travel times, coverage), which
:func:`~alatau_geo.analysis.outputs.reached_areas` works out from the road
network; :func:`served_layers` counts the people the population analysis
allocated in them and makes the layers. Kept apart from the network code so
that counting the people needs neither networkx nor the road graph: a build
works the areas out in a second process and counts the people here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from alatau_geo.analysis.city_population import CityPopulation, people_within
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.plan.config import Plan

_SOURCE = "placed infrastructure (planning assumptions); network generated from the plan's corridors and districts"


@dataclass(frozen=True)
class ReachedAreas:
    """The geometry of the network and proximity analyses: what does not depend on the residents.

    Attributes
    ----------
    service_areas : GeoDataFrame
        Per facility and time limit, filled and simplified for display (EPSG:32643).
    travel_times : GeoDataFrame
        Least travel time and distance from every node to its nearest facility.
    coverage : LayerSet
        ``coverage`` and ``coverage_gaps`` by service radius.
    """

    service_areas: gpd.GeoDataFrame
    travel_times: gpd.GeoDataFrame
    coverage: LayerSet


def served_layers(reached: ReachedAreas, plan: Plan, *, population: CityPopulation) -> list[Layer]:
    """Coverage, coverage gaps, service areas and the travel-time surface, as layers.

    Coverage, gaps and service areas carry the allocated residents and jobs
    they hold (target year; cells counted by their centre): ``coverage``
    ``residents_covered``, ``jobs_covered``, ``residents_covered_pct``;
    ``coverage_gaps`` ``residents_uncovered``, ``jobs_uncovered``,
    ``uncovered_residents_pct`` (of the city's residents);
    ``service_areas`` ``residents`` and ``jobs``.

    Parameters
    ----------
    reached : ReachedAreas
        :func:`~alatau_geo.analysis.outputs.reached_areas` of the built layers and `plan`.
    plan : Plan
        Its network section, recorded in the provenance.
    population : CityPopulation
        The allocated residents and jobs (:func:`~alatau_geo.analysis.city_population.allocate_city`).
    """
    people_source = f"{_SOURCE}; residents and jobs the plan's [population] section allocates ({population.years[-1]})"
    parameters = {"isochrone_minutes": list(plan.network.isochrone_minutes),
                  "speeds_kmh": dict(plan.network.speeds_kmh), "block_m": plan.network.block_m}
    served = reached.service_areas.join(people_within(reached.service_areas, population))
    return [
        *_with_people(reached.coverage, population),
        Layer("service_areas", served.reset_index(drop=True), Provenance(
            source=people_source, method="reached parts of streets within each travel-time limit from every facility "
            "(partly reached streets cut at the limit), buffered and merged, one multi-source pass; block "
            "interiors (holes up to two blocks) filled, outline simplified by 10 m; residents and jobs of the "
            "100 m cells whose centre it holds",
            parameters=parameters, quality="approximate"), title="Service areas by travel time"),
        Layer("travel_time_nodes", reached.travel_times.reset_index(drop=True), Provenance(
            source=_SOURCE, method="travel time and network distance from every network node to its nearest "
            "facility (multi-source Dijkstra)", parameters=parameters, quality="approximate"),
            title="Travel time to the nearest facility"),
    ]


def _with_people(coverage: LayerSet, population: CityPopulation) -> list[Layer]:
    """The coverage layers with the allocated residents and jobs they hold or leave out."""
    total = max(int(population.residents().sum()), 1)
    out = []
    for name, layer in coverage.items():
        frame = layer.frame.copy()
        people = people_within(frame, population)
        word = "covered" if name == "coverage" else "uncovered"
        frame[f"residents_{word}"] = people["residents"]
        frame[f"jobs_{word}"] = people["jobs"]
        share = (100.0 * people["residents"] / total).round(2)
        frame["residents_covered_pct" if name == "coverage" else "uncovered_residents_pct"] = share
        provenance = Provenance(
            source=f"{layer.provenance.source}; residents and jobs allocated by the plan ({population.years[-1]})",
            method=f"{layer.provenance.method}; residents and jobs of the 100 m cells whose centre it holds",
            parameters=dict(layer.provenance.parameters), quality=layer.provenance.quality)
        out.append(Layer(name, frame, provenance, layer.title))
    return out
