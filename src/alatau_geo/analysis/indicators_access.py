"""Service and travel indicators over the road network, weighted by the allocated residents and jobs.

The network is the plan's (:func:`alatau_geo.analysis.outputs.plan_network`:
corridors and a district street grid, free-flow speeds). A cell or block
reaches the network by a straight connector to its nearest node at the
connector speed; farther than ``network.max_connector_m`` it is off the
network and reaches nothing (its time is ``inf``). Every figure is weighted
by the target-year residents (and jobs) of
:mod:`~alatau_geo.analysis.indicators_people`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from alatau_geo.analysis import network_index as network
from alatau_geo.analysis import outputs, population_grid
from alatau_geo.analysis.indicator_model import indicator_row
from alatau_geo.analysis.indicators_people import PeopleGrid
from alatau_geo.analysis.job_access import two_step_fca
from alatau_geo.analysis.network import KM_PER_H_TO_M_PER_S
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import Plan
from alatau_geo.plan.network_params import NetworkParams

_NETWORK = ("network at the plan's free-flow speeds (assumptions), reached from the cell centre by a straight "
            "connector to the nearest street node at the connector speed; a cell farther than "
            "network.max_connector_m from every node reaches nothing")
_SERVED = ("Share of the target-year residents (100 m cells) whose travel time to the nearest facility of this "
           f"kind is at most the limit; {_NETWORK}; %.")
_RADIUS = ("Share of the target-year residents whose cell centre lies within the straight-line service radius "
           "of the kind (service_radii_m, a planning assumption) of a facility of that kind; %.")
_DESTINATION = ("Travel time from the cells holding residents to the destination's point (places layer), "
                f"residents-weighted over 100 m cells; {_NETWORK}; min.")
_PAIRS = ("Travel time between residents and jobs over all resident-job pairs (1 km blocks, each resident counted "
          "with every job of the target year): the commute if a resident took any job of the city at random; "
          f"{_NETWORK}; min.")
_JOBS_WITHIN = ("Jobs of the target year reachable within the limit from a resident's 1 km block, averaged over "
                f"residents; {_NETWORK}; jobs.")
_TWO_STEP = ("Two-step floating catchment (Luo and Wang, 2003) on 1 km blocks: jobs per resident in reach within "
             "network.catchment_minutes, residents as demand and the allocated jobs as supply; residents-weighted "
             "over blocks; jobs per resident.")
_PERCENT = 100.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The `q` quantile of `values` weighted by `weights` (the smallest value whose cumulative weight reaches it).

    ``inf`` values (never reached) take part; NaN if the weights sum to 0.

    Examples
    --------
    >>> weighted_quantile(np.array([10.0, 20.0, np.inf]), np.array([1.0, 1.0, 2.0]), 0.5)
    20.0
    >>> weighted_quantile(np.array([10.0, 20.0, np.inf]), np.array([1.0, 1.0, 2.0]), 0.9)
    inf
    """
    values = np.asarray(values, dtype=float).ravel()
    weights = np.asarray(weights, dtype=float).ravel()
    keep = weights > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep], kind="stable")
    cumulative = np.cumsum(weights[keep][order])
    position = np.searchsorted(cumulative, q * cumulative[-1], side="left")
    return float(values[keep][order][min(position, len(cumulative) - 1)])


#: The quantiles a travel indicator reports, by the label that ends its id: (q, how its name says it).
_QUANTILES = {"median": (0.5, "median"), "p90": (0.9, "90th percentile"), "p10": (0.1, "10th percentile")}


def _quantile_rows(prefix: str, name: str, values: np.ndarray, weights: np.ndarray, *, unit: str,
                   definition: str, labels: tuple[str, ...] = ("median", "p90")) -> list[dict[str, object]]:
    """Travel rows ``<prefix>.<label>``, named ``<name>, <quantile>``: weighted quantiles of `values`."""
    return [indicator_row(f"{prefix}.{label}", "travel", f"{name}, {_QUANTILES[label][1]}",
                          weighted_quantile(values, weights, _QUANTILES[label][0]), unit, definition, "derived")
            for label in labels]


@dataclass(frozen=True)
class _Cells:
    """Points weighted by residents (or jobs), attached to the network."""

    xy: np.ndarray
    weight: np.ndarray
    position: np.ndarray
    connector_s: np.ndarray
    on_network: np.ndarray


def _attach(index: network.NetworkIndex, xy: np.ndarray, weight: np.ndarray, *, params: NetworkParams) -> _Cells:
    distance, position = index.tree.query(xy)
    speed = params.connector_kmh * KM_PER_H_TO_M_PER_S
    return _Cells(xy=xy, weight=weight, position=position, connector_s=distance / speed,
                  on_network=distance <= params.max_connector_m)


def _cells(people: PeopleGrid, grid: np.ndarray, index: network.NetworkIndex, *, params: NetworkParams,
           block: int = 1) -> _Cells:
    frame = population_grid.cells_frame({"value": grid}, people.zones, zone_ids=people.zone_ids,
                                        transform=people.transform, block=block)
    xy = np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()]) if len(frame) \
        else np.empty((0, 2))
    return _attach(index, xy, frame["value"].to_numpy(float), params=params)


def _times(cells: _Cells, node_seconds: np.ndarray) -> np.ndarray:
    """Seconds from each cell through its connector to a target whose time from every node is `node_seconds`."""
    seconds = cells.connector_s + node_seconds[cells.position]
    return np.where(cells.on_network, seconds, np.inf)


def _share(weight: np.ndarray, mask: np.ndarray) -> float:
    total = weight.sum()
    return float(_PERCENT * weight[mask].sum() / total) if total > 0 else float("nan")


def access_rows(layers: LayerSet, plan: Plan, *, people: PeopleGrid,
                block_m: float = 1000.0) -> list[dict[str, object]]:
    """Services reached in time and radius, travel times to the destinations and to jobs, 2SFCA.

    Parameters
    ----------
    layers : LayerSet
        ``corridors``, ``districts``, ``places``, ``infrastructure``.
    plan : Plan
        Network parameters and service radii.
    people : PeopleGrid
        Residents and jobs of the target year.
    block_m : float
        Block size of the job figures, metres (a multiple of the grid's cell).

    Returns
    -------
    list of dict
    """
    params = plan.network or NetworkParams()
    index = network.network_index(outputs.plan_network(layers, plan))
    residents = _cells(people, people.residents, index, params=params)
    rows = service_rows(index, residents, layers, plan)
    rows += destination_rows(index, residents, layers, params=params)
    block = max(1, int(round(block_m / people.transform.a)))
    rows += job_rows(index, _cells(people, people.residents, index, params=params, block=block),
                     _cells(people, people.jobs, index, params=params, block=block), params=params)
    return rows


def service_rows(index: network.NetworkIndex, residents: _Cells, layers: LayerSet,
                 plan: Plan) -> list[dict[str, object]]:
    """Share of residents within each travel-time limit, and within the straight-line radius, of each facility kind."""
    params = plan.network or NetworkParams()
    points = outputs.facilities(layers, plan)
    rows = []
    for kind in sorted(plan.service_radii_m):
        own = points[points["kind"] == kind]
        seconds = np.full(len(residents.weight), np.inf)
        distance = np.full(len(residents.weight), np.inf)
        if len(own):
            attached = network.attach_points(index, own, max_connector_m=params.max_connector_m,
                                             connector_kmh=params.connector_kmh, what=f"{kind} facilities")
            node_seconds, _ = network.nearest_point(index, attached, weight="time")
            seconds = _times(residents, node_seconds)
            xy = np.column_stack([own.geometry.x.to_numpy(), own.geometry.y.to_numpy()])
            distance = cKDTree(xy).query(residents.xy)[0] if len(residents.xy) else distance
        for limit in sorted(params.isochrone_minutes):
            rows.append(indicator_row(f"served_pct.{kind}.{limit:g}min", "services",
                                      f"Residents within {limit:g} min of a {kind.replace('_', ' ')}",
                                      _share(residents.weight, seconds <= limit * 60.0), "%", _SERVED, "derived"))
        radius = plan.service_radii_m[kind]
        rows.append(indicator_row(f"served_pct.{kind}.radius", "services",
                                  f"Residents within {radius / 1000:g} km of a {kind.replace('_', ' ')}",
                                  _share(residents.weight, distance <= radius), "%", _RADIUS, "derived"))
    return rows


def destination_rows(index: network.NetworkIndex, residents: _Cells, layers: LayerSet, *,
                     params: NetworkParams) -> list[dict[str, object]]:
    """Residents-weighted median and 90th percentile of the travel time to each destination."""
    places = layers["places"].frame
    ends = places[places["id"].isin(list(params.destinations))].set_index("id").loc[list(params.destinations)]
    links = network.attach_points(index, ends.reset_index(), max_connector_m=params.max_destination_connector_m,
                                  connector_kmh=params.connector_kmh, what="destinations")
    to_end = network.times_from_points(index, links, reverse=True)
    rows = []
    for row, (end_id, name) in enumerate(zip(ends.index, ends["name_en"], strict=True)):
        minutes = _times(residents, to_end[row]) / 60.0
        rows += _quantile_rows(f"travel_min.{end_id}", f"Travel time to {name}", minutes, residents.weight,
                               unit="min", definition=_DESTINATION)
    return rows


def job_rows(index: network.NetworkIndex, residents: _Cells, jobs: _Cells, *,
             params: NetworkParams) -> list[dict[str, object]]:
    """Travel time between residents and jobs, jobs within reach, and 2SFCA, on blocks."""
    minutes = np.full((len(residents.weight), len(jobs.weight)), np.inf)
    if len(residents.weight) and len(jobs.weight):
        on = residents.on_network
        sources, row_of = np.unique(residents.position[on], return_inverse=True)
        from_sources = dijkstra(index.matrix("time"), directed=True, indices=sources)
        seconds = residents.connector_s[on, None] + from_sources[row_of][:, jobs.position] + jobs.connector_s[None, :]
        seconds[:, ~jobs.on_network] = np.inf
        minutes[on] = seconds / 60.0
    pairs = np.outer(residents.weight, jobs.weight)
    rows = _quantile_rows("travel_min.jobs", "Travel time between residents and jobs", minutes, pairs, unit="min",
                          definition=_PAIRS)
    total = residents.weight.sum()
    for limit in sorted(params.job_minutes):
        reached = (minutes <= limit) @ jobs.weight
        mean = float(residents.weight @ reached / total) if total > 0 else float("nan")
        rows.append(indicator_row(f"jobs_within.{limit:g}min", "travel", f"Jobs within {limit:g} min, mean per "
                                  "resident", mean, "jobs", _JOBS_WITHIN, "derived"))
    _, access = two_step_fca(minutes, jobs.weight, residents.weight, catchment_min=params.catchment_minutes)
    return rows + _quantile_rows("access_2sfca", "2SFCA jobs per resident", access, residents.weight,
                                 unit="jobs per resident", definition=_TWO_STEP, labels=("median", "p10"))
