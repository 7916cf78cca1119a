"""Road network: a routable osmnx-compatible graph, and the shortest-path engine the analyses share.

The graph
---------
:func:`road_network` gives one :class:`networkx.MultiDiGraph` in the form
osmnx makes (graph attribute ``crs`` EPSG:32643; nodes with ``x``, ``y`` in
metres and ``street_count``; edges with ``osmid``, ``highway``, ``length`` in
metres, ``speed_kph``, ``travel_time`` in seconds and a ``geometry``
LineString), so :func:`osmnx.convert.graph_to_gdfs`,
:func:`osmnx.stats.basic_stats` and :func:`osmnx.distance.nearest_nodes` work
on it. It is either

- **generated from the plan** (:func:`build_network`): every highway of the
  ``corridors`` layer becomes ``trunk`` edges; the railway is not a road.
  Each district gets a street grid of ``block_m`` spacing (class
  ``residential``), aligned to whole multiples of ``block_m`` in UTM 43N so a
  rebuild gives the same grid, clipped to the districts; the grid joins the
  corridor at interchanges (``connector`` edges), one wherever a grid node
  lies within ``block_m`` of the corridor, every ``interchange_spacing_m``
  along it; a piece of grid that gets no interchange (a district part away
  from the corridor) is joined by one straight connector from its node
  nearest to the network built so far. Every street is two-way. Or
- **read from OpenStreetMap** (:func:`network_from_osm`): the road graph of an
  :class:`~alatau_geo.reference.osm.OsmExtract` (a local file through
  :func:`alatau_geo.reference.osm.read_osm_xml`, or :func:`alatau_geo.reference.osm.download_osm`
  where the network allows), with speeds by road class where OSM has no
  ``maxspeed``.

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

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString
from shapely.ops import substring

from alatau_geo.core.crs import WORKING_CRS, area_ha, to_working
from alatau_geo.core.errors import CRSError, InputDataError, LayerError
from alatau_geo.plan.network_params import (
    CONNECTOR_CLASS,
    CORRIDOR_CLASS,
    OSM_CLASSES,
    STREET_CLASS,
    NetworkParams,
    positive,
)
from alatau_geo.reference.osm import OsmExtract

logger = logging.getLogger(__name__)

GRAPH_CRS = "EPSG:32643"

KM_PER_H_TO_M_PER_S = 1 / 3.6
_MIN_WEIGHT = 1e-9  # a zero-length edge still counts as an edge in the sparse matrix
_KEY_DECIMALS = 2  # corridor nodes closer than 1 cm are one node

Weight = Literal["time", "length"]


DEFAULT_PARAMS = NetworkParams()


# --------------------------------------------------------------------------
# Building the graph


def road_network(
    corridors: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    osm: OsmExtract | nx.MultiDiGraph | None = None,
    params: NetworkParams = DEFAULT_PARAMS,
) -> nx.MultiDiGraph:
    """The routable road network: OpenStreetMap roads when given, else generated from the plan.

    Parameters
    ----------
    corridors, districts : GeoDataFrame
        The ``corridors`` and ``districts`` layers (used only when `osm` is ``None``).
    osm : OsmExtract or networkx.MultiDiGraph, optional
        An extract from :func:`alatau_geo.reference.osm.read_osm_xml` /
        :func:`~alatau_geo.reference.osm.download_osm`, or its road graph.
    params : NetworkParams

    Returns
    -------
    networkx.MultiDiGraph
        See :func:`build_network` and :func:`network_from_osm`.
    """
    if osm is None:
        return build_network(corridors, districts, params=params)
    graph = osm.graph if isinstance(osm, OsmExtract) else osm
    if graph is None:
        raise InputDataError(f"{osm.source}: the OpenStreetMap extract holds no roads; "
                             "give an extract with highways, or none to use the generated network")
    return network_from_osm(graph, params=params)


def build_network(
    corridors: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> nx.MultiDiGraph:
    """Generate the planned road network: corridor highways plus a street grid per district.

    Parameters
    ----------
    corridors : GeoDataFrame
        Lines with ``kind`` (``highway`` rows become trunk roads; others,
        the railway, are ignored).
    districts : GeoDataFrame
        Polygons with ``id``.
    params : NetworkParams
        ``block_m``, ``interchange_spacing_m`` and ``speeds_kmh`` are used.

    Returns
    -------
    networkx.MultiDiGraph
        Two-way streets as pairs of opposite edges sharing an ``osmid``.
        Nodes: ``x``, ``y`` (m), ``street_count``, ``source``
        (``corridor`` / ``grid``), ``district`` (id, ``None`` on the
        corridor). Edges: ``osmid``, ``highway`` (``trunk``,
        ``residential``, ``connector``), ``length`` (m), ``speed_kph``,
        ``travel_time`` (s), ``geometry``, ``oneway`` (false), ``reversed``.

    Raises
    ------
    LayerError
        If `corridors` holds no highway or `districts` no polygon.
    """
    lines = _corridor_lines(corridors)
    area, district_frame = _district_area(districts)
    grid_xy, grid_edges = _lattice(area, params.block_m)
    grid_district = _district_of(grid_xy, district_frame)
    builder = _Builder(params)
    grid_ids = builder.add_nodes(grid_xy, source="grid", district=grid_district)
    for a, b in grid_edges:
        builder.add_street(grid_ids[a], grid_ids[b], STREET_CLASS)
    tree = cKDTree(grid_xy) if len(grid_xy) else None
    joined = np.zeros(len(grid_xy), dtype=bool)
    for line in lines:
        joined |= _add_corridor(builder, line, grid_ids, grid_xy, tree, params=params)
    _join_components(builder, grid_ids, grid_xy, grid_edges, joined)
    graph = builder.graph
    nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), "street_count")
    logger.debug("generated road network: %d nodes, %d edges", graph.number_of_nodes(), graph.number_of_edges())
    return graph


def _corridor_lines(corridors: gpd.GeoDataFrame) -> list[LineString]:
    frame = to_working(corridors, what="corridors")
    if "kind" not in frame.columns:
        raise LayerError("corridors: missing 'kind' column (highway / railway)")
    roads = frame[frame["kind"] == "highway"].geometry
    roads = roads[~(roads.isna() | roads.is_empty)]
    if roads.empty:
        raise LayerError("corridors: no feature of kind 'highway'; the generated network needs a corridor road")
    # union nodes the lines where they cross; line_merge joins them again
    # wherever only two meet, so a corridor stays one line between junctions
    merged = shapely.line_merge(shapely.union_all(roads.to_numpy()))
    return [part for part in shapely.get_parts(merged) if part.length > 0]


def _district_area(districts: gpd.GeoDataFrame) -> tuple[shapely.Geometry, gpd.GeoDataFrame]:
    frame = to_working(districts, what="districts")
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        raise LayerError("districts: no polygon; the generated network needs at least one district")
    area = shapely.union_all(frame.geometry.to_numpy())
    shapely.prepare(area)
    return area, frame


def _lattice(area: shapely.Geometry, block_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of the whole-multiple grid inside `area`, and the grid edges it covers."""
    west, south, east, north = area.bounds
    xs = np.arange(math.ceil(west / block_m), math.floor(east / block_m) + 1) * block_m
    ys = np.arange(math.ceil(south / block_m), math.floor(north / block_m) + 1) * block_m
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(area, gx, gy)
    index = np.full(gx.shape, -1)
    index[inside] = np.arange(int(inside.sum()))
    xy = np.column_stack([gx[inside], gy[inside]])
    pairs = []
    for a, b in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        both = (a >= 0) & (b >= 0)
        pairs.append(np.column_stack([a[both], b[both]]))
    edges = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=int)
    segments = shapely.linestrings(np.stack([xy[edges[:, 0]], xy[edges[:, 1]]], axis=1)) if len(edges) else []
    keep = shapely.covers(area, segments) if len(edges) else np.empty(0, dtype=bool)
    return xy, edges[keep]


def _district_of(xy: np.ndarray, districts: gpd.GeoDataFrame) -> list[str | None]:
    labels: list[str | None] = [None] * len(xy)
    for district_id, geometry in zip(districts["id"], districts.geometry, strict=True):
        hit = shapely.intersects_xy(geometry, xy[:, 0], xy[:, 1]) if len(xy) else []
        for i in np.flatnonzero(hit):
            labels[i] = labels[i] or str(district_id)
    return labels


class _Builder:
    """Accumulates nodes and two-way streets of the generated graph."""

    def __init__(self, params: NetworkParams) -> None:
        self.graph = nx.MultiDiGraph(crs=GRAPH_CRS, created_with="alatau-geo network.build_network")
        self.params = params
        self._next_node = 1
        self._next_street = 1
        self._corridor_nodes: dict[tuple[float, float], int] = {}

    def add_nodes(self, xy: np.ndarray, *, source: str, district: Sequence[str | None]) -> np.ndarray:
        ids = np.arange(self._next_node, self._next_node + len(xy))
        self._next_node += len(xy)
        self.graph.add_nodes_from(
            (int(n), {"x": float(x), "y": float(y), "source": source, "district": d})
            for n, (x, y), d in zip(ids, xy, district, strict=True)
        )
        return ids

    def corridor_node(self, point: tuple[float, float]) -> int:
        key = (round(point[0], _KEY_DECIMALS), round(point[1], _KEY_DECIMALS))
        if key not in self._corridor_nodes:
            node = self._next_node
            self._next_node += 1
            self.graph.add_node(node, x=float(point[0]), y=float(point[1]), source="corridor", district=None)
            self._corridor_nodes[key] = node
        return self._corridor_nodes[key]

    def xy(self, node: int) -> tuple[float, float]:
        data = self.graph.nodes[node]
        return data["x"], data["y"]

    def add_street(self, u: int, v: int, road_class: str, geometry: LineString | None = None) -> None:
        geometry = geometry if geometry is not None else LineString([self.xy(u), self.xy(v)])
        length = float(geometry.length)
        speed = self.params.speeds_kmh[road_class]
        common = {"osmid": self._next_street, "highway": road_class, "oneway": False, "length": length,
                  "speed_kph": speed, "travel_time": length / (speed * KM_PER_H_TO_M_PER_S)}
        self._next_street += 1
        self.graph.add_edge(u, v, **common, reversed=False, geometry=geometry)
        self.graph.add_edge(v, u, **common, reversed=True, geometry=geometry.reverse())


def _add_corridor(builder: _Builder, line: LineString, grid_ids: np.ndarray, grid_xy: np.ndarray,
                  tree: cKDTree | None, *, params: NetworkParams) -> np.ndarray:
    """Add one corridor line as trunk edges split at its interchanges; return the grid nodes joined."""
    joined = np.zeros(len(grid_xy), dtype=bool)
    length = line.length
    candidates = np.unique(np.append(np.arange(0.0, length, params.interchange_spacing_m), length))
    cuts = {0.0, length}
    links: list[tuple[float, int]] = []
    if tree is not None:
        points = shapely.get_coordinates(shapely.line_interpolate_point(line, candidates))
        distance, nearest = tree.query(points)
        for at, d, i in zip(candidates, distance, nearest, strict=True):
            if d <= params.block_m:
                cuts.add(float(at))
                links.append((float(at), int(i)))
    stops = sorted(cuts)
    for start, end in zip(stops[:-1], stops[1:], strict=False):
        piece = substring(line, start, end)
        u = builder.corridor_node(piece.coords[0])
        v = builder.corridor_node(piece.coords[-1])
        builder.add_street(u, v, CORRIDOR_CLASS, piece)
    for at, i in links:
        point = line.interpolate(at)
        node = builder.corridor_node((point.x, point.y))
        if builder.xy(node) != tuple(grid_xy[i]):
            builder.add_street(int(grid_ids[i]), node, CONNECTOR_CLASS)
        joined[i] = True
    return joined


def _join_components(builder: _Builder, grid_ids: np.ndarray, grid_xy: np.ndarray,
                     grid_edges: np.ndarray, joined: np.ndarray) -> None:
    """Join every piece of grid without an interchange to the nearest node already joined."""
    n = len(grid_xy)
    if n == 0:
        return
    adjacency = sparse.coo_matrix((np.ones(len(grid_edges)), (grid_edges[:, 0], grid_edges[:, 1])), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    connected = set(np.unique(labels[joined]).tolist())
    corridor = [node for node, source in builder.graph.nodes(data="source") if source == "corridor"]
    targets_xy = [builder.xy(node) for node in corridor]
    targets_id = list(corridor)
    for label in connected:
        members = np.flatnonzero(labels == label)
        targets_xy.extend(map(tuple, grid_xy[members]))
        targets_id.extend(int(g) for g in grid_ids[members])
    pending = sorted(set(labels.tolist()) - connected)
    while pending:
        tree = cKDTree(np.asarray(targets_xy))
        best = None
        for label in pending:
            members = np.flatnonzero(labels == label)
            distance, nearest = tree.query(grid_xy[members])
            k = int(np.argmin(distance))
            if best is None or distance[k] < best[0]:
                best = (float(distance[k]), label, int(members[k]), int(nearest[k]))
        _, label, member, target = best
        builder.add_street(int(grid_ids[member]), targets_id[target], CONNECTOR_CLASS)
        members = np.flatnonzero(labels == label)
        targets_xy.extend(map(tuple, grid_xy[members]))
        targets_id.extend(int(g) for g in grid_ids[members])
        pending.remove(label)


def network_from_osm(graph: nx.MultiDiGraph, *, params: NetworkParams = DEFAULT_PARAMS) -> nx.MultiDiGraph:
    """An OpenStreetMap road graph made routable: speeds and travel times on every edge.

    Speeds come from each edge's ``maxspeed`` where OSM has one (through
    :func:`osmnx.routing.add_edge_speeds`), else from ``params.speeds_kmh``
    by class (see :meth:`NetworkParams.speed`; a class that is neither in
    the table nor in :data:`OSM_CLASSES` is read at the residential speed
    and logged). Travel times by :func:`osmnx.routing.add_edge_travel_times`.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        An osmnx graph projected to EPSG:32643 (``OsmExtract.graph``).
    params : NetworkParams

    Returns
    -------
    networkx.MultiDiGraph
        A copy with ``speed_kph``, ``travel_time`` (s) and ``street_count``.

    Raises
    ------
    CRSError
        If the graph is not in EPSG:32643.
    InputDataError
        If the graph has no edges, or an edge ends up without a positive speed.
    """
    _check_crs(graph)
    if graph.number_of_edges() == 0:
        raise InputDataError("OSM road graph: no edges")
    graph = graph.copy()
    classes = {_first(h) for _, _, h in graph.edges(data="highway")}
    unknown = sorted(c for c in classes if c not in params.speeds_kmh and c not in OSM_CLASSES)
    if unknown:
        logger.warning("OSM road classes without a speed, read at the residential speed (%g km/h): %s",
                       params.speeds_kmh[STREET_CLASS], ", ".join(map(str, unknown)))
    hwy_speeds = {str(c): params.speed(str(c)) for c in classes}
    ox.routing.add_edge_speeds(graph, hwy_speeds=hwy_speeds, fallback=params.speeds_kmh[STREET_CLASS])
    bad = [(u, v, k) for u, v, k, s in graph.edges(keys=True, data="speed_kph") if not (s is not None and s > 0)]
    if bad:
        raise InputDataError(f"OSM road graph: {len(bad)} edges without a positive speed (first: {bad[0]}); "
                             "check their maxspeed tags")
    ox.routing.add_edge_travel_times(graph)
    if any("street_count" not in data for _, data in graph.nodes(data=True)):
        nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), "street_count")
    return graph


def _first(value: Any) -> Any:
    """Osmnx keeps a list where simplification merged ways of several classes: the first, as osmnx does."""
    return value[0] if isinstance(value, list) else value


def _check_crs(graph: nx.MultiDiGraph) -> None:
    crs = graph.graph.get("crs")
    if crs is None or not WORKING_CRS.equals(CRS.from_user_input(crs)):
        raise CRSError(f"road graph: must be in EPSG:32643 (osmnx.project_graph(G, to_crs='EPSG:32643')), "
                       f"got {crs}")


# --------------------------------------------------------------------------
# The routing index and points on the network


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


def network_index(graph: nx.MultiDiGraph | NetworkIndex) -> NetworkIndex:
    """Index a road graph for the analyses (once; pass the index on to every analysis).

    Parameters
    ----------
    graph : networkx.MultiDiGraph or NetworkIndex
        A graph from :func:`road_network` (or any osmnx graph in EPSG:32643
        with ``length`` and ``travel_time`` on every edge). An index is
        returned as it is.

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
    _check_crs(graph)
    node_ids = np.array(list(graph.nodes), dtype=object)
    try:
        xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)], dtype=float)
    except KeyError:
        raise InputDataError("road graph: every node needs 'x' and 'y' (metres)") from None
    position = {node: i for i, node in enumerate(graph.nodes)}
    edges = list(graph.edges(keys=True, data=True))
    if not edges:
        raise InputDataError("road graph: no edges")
    u = np.array([position[a] for a, _, _, _ in edges], dtype=np.int64)
    v = np.array([position[b] for _, b, _, _ in edges], dtype=np.int64)
    keys = np.array([k for _, _, k, _ in edges], dtype=object)
    time_s = _weights(edges, "travel_time")
    length_m = _weights(edges, "length")
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


def _weights(edges: list[tuple[Any, Any, Any, dict[str, Any]]], name: str) -> np.ndarray:
    """Edge attribute `name` as floats; refuse a missing, negative or non-finite value."""
    raw = [d.get(name) for _, _, _, d in edges]
    try:
        values = np.array(raw, dtype=float)  # None becomes NaN
    except (TypeError, ValueError):
        values = np.array([_float(value) for value in raw])
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        u, v, k, d = edges[i]
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


# --------------------------------------------------------------------------
# Street-network statistics


STATS_COLUMNS = ("area_km2", "nodes", "street_segments", "street_length_total_m", "street_length_avg_m",
                 "street_density_m_per_km2", "intersection_count", "intersection_density_km2", "reason")


def district_street_stats(network: nx.MultiDiGraph | NetworkIndex, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Osmnx's basic street-network statistics for the part of the network in each district.

    The subgraph of a district is the nodes inside its polygon and the edges
    between them (an edge leaving the district is left out; one with both
    ends inside counts whole). ``street_count`` is taken from the whole
    graph, so a node at the district edge keeps its streets outside.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    districts : GeoDataFrame
        Polygons with ``id``; areas measured in the equal-area CRS.

    Returns
    -------
    DataFrame
        Indexed by district id: ``area_km2``, ``nodes``, ``street_segments``,
        ``street_length_total_m`` (undirected: a two-way street counts once),
        ``street_length_avg_m``, ``street_density_m_per_km2``,
        ``intersection_count`` (osmnx's count: nodes with ``street_count``
        of 2 or more, i.e. every node but dead ends on a simplified graph;
        the generated grid is not simplified, so its corner nodes count
        too), ``intersection_density_km2``
        (per km²), ``reason`` (why a district has no figures, else empty).
    """
    index = network_index(network)
    frame = to_working(districts, what="districts")
    areas_km2 = area_ha(frame).to_numpy() / 100.0
    graph = index.graph
    if any("street_count" not in data for _, data in graph.nodes(data=True)):
        graph = graph.copy()
        nx.set_node_attributes(graph, ox.stats.count_streets_per_node(graph), "street_count")
    rows = []
    for geometry, area_km2 in zip(frame.geometry, areas_km2, strict=True):
        inside = shapely.contains_xy(geometry, index.xy[:, 0], index.xy[:, 1])
        nodes = index.node_ids[inside].tolist()
        if graph.subgraph(nodes).number_of_edges() == 0:
            rows.append({"area_km2": area_km2, "nodes": len(nodes), "street_segments": 0,
                         "street_length_total_m": 0.0, "street_length_avg_m": np.nan,
                         "street_density_m_per_km2": 0.0, "intersection_count": 0,
                         "intersection_density_km2": 0.0, "reason": "no street of the network inside the district"})
        else:
            rows.append(_street_stats(graph, nodes, area_km2))
    return pd.DataFrame(rows, index=pd.Index(frame["id"].to_numpy(), name="id"), columns=list(STATS_COLUMNS))


def _street_stats(graph: nx.MultiDiGraph, nodes: list[Hashable], area_km2: float) -> dict[str, Any]:
    """Osmnx's street statistics of the subgraph on `nodes`.

    The figures are osmnx's own functions (``street_length_total``,
    ``street_segment_count`` on the undirected graph, ``intersection_count``
    on the directed one), as :func:`osmnx.stats.basic_stats` combines them.
    Only the undirected form is made here: one edge per street, the two
    directions of a street told apart from a second street by ``osmid`` and
    length, as osmnx does by ``osmid`` and geometry;
    :func:`osmnx.convert.to_undirected` groups every street in pandas and
    takes seconds per district.
    """
    sub = graph.subgraph(nodes)
    undirected = nx.MultiGraph(**graph.graph)
    undirected.add_nodes_from(sub.nodes(data=True))
    seen: set[tuple[Any, ...]] = set()
    for u, v, d in sub.edges(data=True):
        osmid = d.get("osmid")
        key = (frozenset((u, v)), frozenset(osmid) if isinstance(osmid, list) else osmid, round(d["length"], 3))
        if key not in seen:
            seen.add(key)
            undirected.add_edge(u, v, length=d["length"])
    length = ox.stats.street_length_total(undirected)
    segments = ox.stats.street_segment_count(undirected)
    intersections = ox.stats.intersection_count(sub)
    return {
        "area_km2": area_km2, "nodes": sub.number_of_nodes(), "street_segments": segments,
        "street_length_total_m": length, "street_length_avg_m": length / segments,
        "street_density_m_per_km2": length / area_km2, "intersection_count": intersections,
        "intersection_density_km2": intersections / area_km2, "reason": "",
    }
