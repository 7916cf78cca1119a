"""The shortest-path engine the network analyses share: a road graph as sparse matrices.

Points on the graph
-------------------
Facilities, settlements and destinations are not added to the graph: each is
attached to its nearest graph node by a straight connector
(:func:`attach_points`) travelled at the ``connector`` speed; a point
farther than ``max_connector_m`` from every node is *off the network*, is
reported (``on_network`` false and a ``reason``) and reaches nothing.

The engine
----------
:func:`network_index` turns the graph once into sparse matrices
(travel time and length, the shortest of parallel edges);
:func:`times_from_points` runs one :func:`scipy.sparse.csgraph.dijkstra` call
for all points (a row per point) and :func:`nearest_point` one multi-source
search (``min_only``) for the nearest point of every node, the connectors
entering as edges from one virtual node per point. No analysis runs one
search per facility in Python.

Travel times are free-flow: length over the class speed, no junction delays
or congestion. Coordinates are (x, y) in metres, EPSG:32643.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from alatau_geo.analysis.network import KM_PER_H_TO_M_PER_S, check_graph_crs
from alatau_geo.core.crs import to_working
from alatau_geo.core.errors import InputDataError, LayerError
from alatau_geo.plan.network_params import positive

logger = logging.getLogger(__name__)

_MIN_WEIGHT = 1e-9  # a zero-length edge still counts as an edge in the sparse matrix

Weight = Literal["time", "length"]


@dataclass(frozen=True, eq=False)
class NetworkIndex:
    """A road graph as arrays for fast shortest paths. Build with :func:`network_index`.

    Attributes
    ----------
    graph : networkx.MultiDiGraph
    node_ids : ndarray
        Graph node ids; position ``i`` in every array is node ``node_ids[i]``.
    xy : ndarray, shape (n, 2)
        Node coordinates, metres.
    u, v : ndarray
        Positions of the tail and head of each edge (parallel edges reduced
        to the fastest).
    time_s, length_m : ndarray
        Travel time (s) and length (m) of each of those edges.
    keys : ndarray
        Graph key of each of those edges.
    """

    graph: nx.MultiDiGraph
    node_ids: np.ndarray
    xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    time_s: np.ndarray
    length_m: np.ndarray
    keys: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree of the node coordinates."""
        return cKDTree(self.xy)

    @cached_property
    def geometry(self) -> np.ndarray:
        """Edge geometries from tail to head (straight where the graph has none)."""
        out = np.empty(len(self.u), dtype=object)
        for i, (a, b, key) in enumerate(zip(self.u, self.v, self.keys, strict=True)):
            data = self.graph.edges[self.node_ids[a], self.node_ids[b], key]
            geometry = data.get("geometry")
            out[i] = geometry if geometry is not None else LineString([self.xy[a], self.xy[b]])
        return out

    def matrix(self, weight: Weight = "time", *, reverse: bool = False) -> sparse.csr_matrix:
        """The graph as a sparse matrix of `weight` (``reverse``: edges turned round)."""
        values = self.time_s if weight == "time" else self.length_m
        rows, cols = (self.v, self.u) if reverse else (self.u, self.v)
        return sparse.csr_matrix((values, (rows, cols)), shape=(self.n, self.n))


#: What the analyses take as a network: a road graph, or its index (faster when reused).
Network = nx.MultiDiGraph | NetworkIndex


def network_index(graph: nx.MultiDiGraph | NetworkIndex) -> NetworkIndex:
    """Index a road graph for the analyses (once; pass the index on to every analysis).

    Parameters
    ----------
    graph : networkx.MultiDiGraph or NetworkIndex
        A graph from :func:`~alatau_geo.analysis.network.road_network` (or
        any osmnx graph in EPSG:32643 with ``length`` and ``travel_time`` on
        every edge). An index is returned as it is.

    Returns
    -------
    NetworkIndex

    Raises
    ------
    InputDataError
        If the graph has no edges, or an edge lacks ``length`` or
        ``travel_time`` or has a negative or non-finite one (e.g. from a
        negative speed); the message names the first such edge.
    CRSError
        If the graph is not in EPSG:32643.
    """
    if isinstance(graph, NetworkIndex):
        return graph
    check_graph_crs(graph)
    node_ids = np.array(list(graph.nodes), dtype=object)
    try:
        xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)], dtype=float)
    except KeyError:
        raise InputDataError("road graph: every node needs 'x' and 'y' (metres)") from None
    position = {node: i for i, node in enumerate(graph.nodes)}
    # One pass into flat lists of numbers: keeping 100,000 edge tuples alive
    # would set Python's cyclic garbage collector walking the whole graph.
    tails, heads, key_list, times, lengths = [], [], [], [], []
    for a, b, k, d in graph.edges(keys=True, data=True):
        tails.append(position[a])
        heads.append(position[b])
        key_list.append(k)
        times.append(d.get("travel_time"))
        lengths.append(d.get("length"))
    if not tails:
        raise InputDataError("road graph: no edges")
    u = np.array(tails, dtype=np.int64)
    v = np.array(heads, dtype=np.int64)
    keys = np.empty(len(key_list), dtype=object)
    keys[:] = key_list
    time_s = _weights(times, "travel_time", graph)
    length_m = _weights(lengths, "length", graph)
    time_s = np.maximum(time_s.astype(float), _MIN_WEIGHT)
    length_m = np.maximum(length_m.astype(float), _MIN_WEIGHT)
    order = np.lexsort((time_s, v, u))  # the fastest of parallel edges first
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u[order][1:] != u[order][:-1]) | (v[order][1:] != v[order][:-1])
    keep = order[first]
    if node_ids.dtype == object and all(isinstance(n, (int, np.integer)) for n in node_ids):
        node_ids = node_ids.astype(np.int64)
    return NetworkIndex(graph=graph, node_ids=node_ids, xy=xy, u=u[keep], v=v[keep], time_s=time_s[keep],
                        length_m=length_m[keep], keys=keys[keep])


def _weights(raw: list[Any], name: str, graph: nx.MultiDiGraph) -> np.ndarray:
    """Edge attribute `name` (`raw`, in edge order) as floats; refuse a missing, negative or non-finite value."""
    try:
        values = np.array(raw, dtype=float)  # None becomes NaN
    except (TypeError, ValueError):
        values = np.array([_float(value) for value in raw])
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        u, v, k, d = next(itertools.islice(graph.edges(keys=True, data=True), i, None))
        raise InputDataError(
            f"road graph: {int(bad.sum())} edges with a missing, negative or non-finite '{name}' "
            f"(first: edge ({u}, {v}, {k}), {d.get(name)!r}); build the graph with network.road_network "
            "(speeds must be positive)"
        )
    return values


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return np.nan
    return float(value)


def attach_points(
    network: nx.MultiDiGraph | NetworkIndex,
    points: gpd.GeoDataFrame,
    *,
    max_connector_m: float,
    connector_kmh: float,
    what: str = "points",
) -> pd.DataFrame:
    """Attach points to their nearest graph node by a straight connector.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    points : GeoDataFrame
        Points (or any geometry: its representative point) with a unique ``id``.
    max_connector_m : float
        Points farther than this from every node are off the network, metres.
    connector_kmh : float
        Speed on the connector, km/h.
    what : str
        Name of the points in messages.

    Returns
    -------
    DataFrame
        Indexed by point ``id``: ``node`` (graph node id), ``position``
        (array position of the node), ``connector_m`` (straight distance to
        the node, m), ``connector_s`` (s), ``on_network`` (bool), ``reason``
        (empty when on the network). Off-network points are logged as a
        warning listing them.

    Raises
    ------
    LayerError
        If `points` is empty, lacks ``id``, has duplicate ids or empty geometries.
    """
    index = network_index(network)
    frame = _points(points, what=what)
    positive(max_connector_m, "max_connector_m", unit=" m")
    positive(connector_kmh, "connector_kmh", unit=" km/h")
    xy = shapely.get_coordinates(frame.geometry.representative_point().to_numpy())
    distance, position = index.tree.query(xy)
    on = distance <= max_connector_m
    reasons = np.where(on, "", [
        f"off network: nearest road node {d / 1000:.1f} km away (limit {max_connector_m / 1000:.1f} km)"
        for d in distance
    ])
    result = pd.DataFrame({
        "node": index.node_ids[position], "position": position, "connector_m": distance,
        "connector_s": distance / (connector_kmh * KM_PER_H_TO_M_PER_S), "on_network": on, "reason": reasons,
    }, index=pd.Index(frame["id"].to_numpy(), name="id"))
    if not on.all():
        logger.warning("%s off the network: %s", what,
                       "; ".join(f"{i} ({r})" for i, r in result.loc[~on, "reason"].items()))
    return result


def _points(points: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    if "id" not in points.columns:
        raise LayerError(f"{what}: missing 'id' column")
    if len(points) == 0:
        raise LayerError(f"{what}: no features; give at least one")
    frame = to_working(points, what=what)
    if frame["id"].duplicated().any():
        raise LayerError(f"{what}: duplicate ids {', '.join(map(str, frame.loc[frame['id'].duplicated(), 'id']))}")
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        raise LayerError(f"{what}: empty geometry for {', '.join(map(str, frame.loc[empty, 'id']))}")
    return frame


def times_from_points(
    network: nx.MultiDiGraph | NetworkIndex,
    attached: pd.DataFrame,
    *,
    limit: float = np.inf,
    weight: Weight = "time",
    reverse: bool = False,
) -> np.ndarray:
    """Least cost from every attached point to every node, in one sparse Dijkstra call.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    attached : DataFrame
        From :func:`attach_points`.
    limit : float
        Costs above this are ``inf`` (the search stops there): seconds for
        ``time``, metres for ``length``.
    weight : {'time', 'length'}
    reverse : bool
        Cost from every node *to* the point instead.

    Returns
    -------
    ndarray, shape (len(attached), n_nodes)
        Seconds or metres, connector included; ``inf`` where not reached
        within `limit`, and on every row of an off-network point.
    """
    index = network_index(network)
    out = np.full((len(attached), index.n), np.inf)
    on = attached["on_network"].to_numpy(bool)
    if not on.any():
        return out
    offset = (attached["connector_s"] if weight == "time" else attached["connector_m"]).to_numpy(float)
    sources, row_of = np.unique(attached["position"].to_numpy()[on], return_inverse=True)
    reached = dijkstra(index.matrix(weight, reverse=reverse), directed=True, indices=sources,
                       limit=limit)
    rows = reached[row_of] + offset[on, None]
    rows[rows > limit] = np.inf
    out[on] = rows
    return out


def nearest_point(
    network: nx.MultiDiGraph | NetworkIndex,
    attached: pd.DataFrame,
    *,
    weight: Weight = "time",
    reverse: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost to the nearest attached point from every node: one multi-source search.

    Each point enters the graph as a virtual node joined to its attachment
    node by its connector, so the search also weighs the connectors.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    attached : DataFrame
        From :func:`attach_points`; off-network points take no part.
    weight : {'time', 'length'}
    reverse : bool
        ``True`` (default): cost from the node to the point; ``False``: from
        the point to the node.

    Returns
    -------
    cost : ndarray, shape (n_nodes,)
        Seconds or metres; ``inf`` where no point can be reached.
    nearest : ndarray of int, shape (n_nodes,)
        Row of `attached` of the nearest point; -1 where none.
    """
    index = network_index(network)
    on = np.flatnonzero(attached["on_network"].to_numpy(bool))
    if len(on) == 0:
        return np.full(index.n, np.inf), np.full(index.n, -1)
    virtual = index.n + np.arange(len(on))
    connector = (attached["connector_s"] if weight == "time" else attached["connector_m"]).to_numpy(float)[on]
    node = attached["position"].to_numpy()[on]
    values = index.time_s if weight == "time" else index.length_m
    rows = np.concatenate([index.u, virtual, node])
    cols = np.concatenate([index.v, node, virtual])
    data = np.concatenate([values, np.maximum(connector, _MIN_WEIGHT), np.maximum(connector, _MIN_WEIGHT)])
    if reverse:
        rows, cols = cols, rows
    size = index.n + len(on)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(size, size))
    cost, _, source = dijkstra(matrix, directed=True, indices=virtual, min_only=True, return_predecessors=True)
    nearest = np.where(source[: index.n] >= 0, on[np.clip(source[: index.n] - index.n, 0, None)], -1)
    return cost[: index.n], nearest
