"""Road network: the routable osmnx-compatible graph, generated from the plan or read from OpenStreetMap.

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

Routing on the graph (points attached to it, one sparse shortest-path pass
for all of them) is :mod:`alatau_geo.analysis.network_index`; street
statistics per district are :mod:`alatau_geo.analysis.street_stats`.

Coordinates are (x, y) in metres, EPSG:32643.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import LineString
from shapely.ops import substring

from alatau_geo.core.crs import WORKING_CRS, to_working
from alatau_geo.core.errors import CRSError, InputDataError, LayerError
from alatau_geo.plan.network_params import (
    CONNECTOR_CLASS,
    CORRIDOR_CLASS,
    OSM_CLASSES,
    STREET_CLASS,
    NetworkParams,
)

if TYPE_CHECKING:  # osmnx (imported by reference.osm) takes seconds to import: only OSM input needs it
    from alatau_geo.reference.osm import OsmExtract

logger = logging.getLogger(__name__)

GRAPH_CRS = "EPSG:32643"

KM_PER_H_TO_M_PER_S = 1 / 3.6
_KEY_DECIMALS = 2  # corridor nodes closer than 1 cm are one node

DEFAULT_PARAMS = NetworkParams()


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
    graph = osm if isinstance(osm, nx.MultiDiGraph) else osm.graph
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
    builder.add_straight_streets(grid_ids, grid_xy, grid_edges, STREET_CLASS)
    tree = cKDTree(grid_xy) if len(grid_xy) else None
    joined = np.zeros(len(grid_xy), dtype=bool)
    for line in lines:
        joined |= _add_corridor(builder, line, grid_ids, grid_xy, tree, params=params)
    _join_components(builder, grid_ids, grid_xy, grid_edges, joined)
    graph = builder.graph
    nx.set_node_attributes(graph, street_counts(graph), "street_count")
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
        self._add_two_way(u, v, road_class, geometry, geometry.reverse(), float(geometry.length))

    def add_straight_streets(self, ids: np.ndarray, xy: np.ndarray, pairs: np.ndarray, road_class: str) -> None:
        """A straight street from node ``ids[a]`` to ``ids[b]`` for each pair ``(a, b)`` of `pairs`, in order.

        As :meth:`add_street` one by one, with the lines made in one call
        (a street grid has thousands of them); `xy` are the nodes' coordinates (m).
        """
        if not len(pairs):
            return
        lines = shapely.linestrings(np.stack([xy[pairs[:, 0]], xy[pairs[:, 1]]], axis=1))
        for u, v, line, back, length in zip(ids[pairs[:, 0]], ids[pairs[:, 1]], lines, shapely.reverse(lines),
                                            shapely.length(lines).tolist(), strict=True):
            self._add_two_way(u, v, road_class, line, back, length)

    def _add_two_way(self, u: int, v: int, road_class: str, geometry: LineString, reverse: LineString,
                     length: float) -> None:
        """The two edges of a street `geometry` (`reverse` drawn the other way) of `length` m, under one osmid."""
        speed = self.params.speeds_kmh[road_class]
        common = {"osmid": self._next_street, "highway": road_class, "oneway": False, "length": length,
                  "speed_kph": speed, "travel_time": length / (speed * KM_PER_H_TO_M_PER_S)}
        self._next_street += 1
        self.graph.add_edge(u, v, **common, reversed=False, geometry=geometry)
        self.graph.add_edge(v, u, **common, reversed=True, geometry=reverse)


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
    by class (see :meth:`~alatau_geo.plan.network_params.NetworkParams.speed`; a class that is neither in
    the table nor in :data:`~alatau_geo.plan.network_params.OSM_CLASSES` is read at the residential speed
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
    check_graph_crs(graph)
    if graph.number_of_edges() == 0:
        raise InputDataError("OSM road graph: no edges")
    graph = graph.copy()
    classes = {_first(h) for _, _, h in graph.edges(data="highway")}
    unknown = sorted(c for c in classes if c not in params.speeds_kmh and c not in OSM_CLASSES)
    if unknown:
        logger.warning("OSM road classes without a speed, read at the residential speed (%g km/h): %s",
                       params.speeds_kmh[STREET_CLASS], ", ".join(map(str, unknown)))
    hwy_speeds = {str(c): params.speed(str(c)) for c in classes}
    import osmnx as ox  # here only: importing osmnx takes seconds

    ox.routing.add_edge_speeds(graph, hwy_speeds=hwy_speeds, fallback=params.speeds_kmh[STREET_CLASS])
    bad = [(u, v, k) for u, v, k, s in graph.edges(keys=True, data="speed_kph") if not (s is not None and s > 0)]
    if bad:
        raise InputDataError(f"OSM road graph: {len(bad)} edges without a positive speed (first: {bad[0]}); "
                             "check their maxspeed tags")
    ox.routing.add_edge_travel_times(graph)
    if any("street_count" not in data for _, data in graph.nodes(data=True)):
        nx.set_node_attributes(graph, street_counts(graph), "street_count")
    return graph


def street_counts(graph: nx.MultiDiGraph) -> dict[Any, int]:
    """Streets meeting at each node, as ``osmnx.stats.count_streets_per_node`` counts them.

    Each undirected edge counts once at both ends (a two-way street stored
    as two directed edges is one street; parallel streets count apart), and
    a self-loop twice, at its node (both of its ends), as in osmnx. Written here so that
    a build need not import osmnx, which takes seconds; a test checks it
    against osmnx.

    Examples
    --------
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_edges_from([(1, 2), (2, 1), (2, 3), (3, 3)])
    [0, 0, 0, 0]
    >>> street_counts(graph)
    {1: 1, 2: 2, 3: 3}
    """
    undirected = graph.to_undirected(reciprocal=False, as_view=True)
    loops = set(nx.selfloop_edges(undirected))
    counts: dict[Any, int] = dict.fromkeys(graph.nodes, 0)
    for u, v in undirected.edges(keys=False):
        if (u, v) in loops:
            continue
        counts[u] += 1
        counts[v] += 1
    for u, _ in loops:
        counts[u] += 2
    return counts


def _first(value: Any) -> Any:
    """Osmnx keeps a list where simplification merged ways of several classes: the first, as osmnx does."""
    return value[0] if isinstance(value, list) else value


def check_graph_crs(graph: nx.MultiDiGraph) -> None:
    """Refuse a road graph that is not in EPSG:32643.

    Raises
    ------
    CRSError
        Naming the graph's CRS and how to project it.
    """
    crs = graph.graph.get("crs")
    if crs is None or not WORKING_CRS.equals(CRS.from_user_input(crs)):
        raise CRSError(f"road graph: must be in EPSG:32643 (osmnx.project_graph(G, to_crs='EPSG:32643')), "
                       f"got {crs}")
