"""Travel cost from demand points to facility sites over the road network, for location-allocation.

Every demand point and every site is attached to its nearest graph node by
a straight connector travelled at the network's ``connector`` speed
(:func:`alatau_geo.analysis.network_index.attach_points`; a point farther than
``max_connector_m`` is off the network and reaches nothing). One
:func:`scipy.sparse.csgraph.dijkstra` call, its sources limited to the site
nodes and run on the reversed graph, gives the cost from every node to every
site (:func:`alatau_geo.analysis.network_index.times_from_points`); the cost of a demand
point is then its connector plus the cost from its node. Cost runs from the
people to the site; on the generated network every street is two-way, so
the direction does not matter there.

Demand points attached to the same node share one row of network costs
(:attr:`CostMatrix.node_costs`) and differ only by their connector, which is
what lets the p-median model merge them exactly.

Units: ``time`` costs are minutes, ``length`` costs metres. Unreachable is
``inf``, never a large number.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis.network import DEFAULT_PARAMS
from alatau_geo.analysis.network_index import NetworkIndex, Weight, attach_points, network_index, times_from_points
from alatau_geo.core.crs import to_working
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.network_params import NetworkParams

SiteRole = Literal["fixed", "candidate", "planned"]
ROLES: tuple[SiteRole, ...] = ("fixed", "candidate", "planned")
UNITS = {"time": "min", "length": "m"}
_SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True, eq=False)
class CostMatrix:
    """Cost from every demand point to every site.

    Attributes
    ----------
    node_costs : ndarray, shape (n_nodes_used, n_sites)
        Cost from each graph node holding demand to each site, the site's
        connector included; ``inf`` where the site cannot be reached.
    group : ndarray of int, shape (n_demand,)
        Row of `node_costs` of each demand point; -1 for a point off the network.
    connector : ndarray, shape (n_demand,)
        Cost of each demand point's connector.
    demand : DataFrame
        Indexed by demand id: ``district`` (missing when not given), ``x``,
        ``y`` (m, EPSG:32643), ``on_network``, ``reason``.
    sites : DataFrame
        Indexed by site id, in column order (fixed, candidates, planned):
        ``role`` (fixed / candidate / planned), ``x``, ``y``, ``on_network``,
        ``connector_m``, ``reason``.
    weight : {'time', 'length'}
        ``time``: minutes; ``length``: metres.
    """

    node_costs: np.ndarray
    group: np.ndarray
    connector: np.ndarray
    demand: pd.DataFrame
    sites: pd.DataFrame
    weight: Weight

    @property
    def unit(self) -> str:
        """``min`` or ``m``."""
        return UNITS[self.weight]

    @cached_property
    def values(self) -> np.ndarray:
        """The full matrix, shape (n_demand, n_sites): connector plus network cost; ``inf`` when unreachable."""
        out = np.full((len(self.group), len(self.sites)), np.inf)
        on = self.group >= 0
        out[on] = self.node_costs[self.group[on]] + self.connector[on, None]
        return out

    def columns(self, *roles: SiteRole) -> np.ndarray:
        """Positions of the sites of the given roles, in column order."""
        return np.flatnonzero(self.sites["role"].isin(roles).to_numpy())

    def positions(self, site_ids: list[str] | tuple[str, ...]) -> np.ndarray:
        """Column positions of `site_ids`.

        Raises
        ------
        LayerError
            If an id is not a site of the matrix.
        """
        index = self.sites.index
        unknown = [site for site in site_ids if site not in index]
        if unknown:
            raise LayerError(f"cost matrix: no site {', '.join(map(str, unknown))}")
        return index.get_indexer(list(site_ids))


def cost_matrix(
    network: nx.MultiDiGraph | NetworkIndex,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    fixed: gpd.GeoDataFrame | None = None,
    planned: gpd.GeoDataFrame | None = None,
    weight: Weight = "time",
    params: NetworkParams = DEFAULT_PARAMS,
) -> CostMatrix:
    """Cost from every demand point to every site, by one multi-source Dijkstra over the site nodes.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
        The road graph (EPSG:32643) or its index.
    demand : GeoDataFrame
        Demand points (or cells: their representative point) with a unique
        ``id`` and optionally ``district``.
    candidates : GeoDataFrame
        Points where a new facility may stand (e.g. placement-grid points
        that pass the placement rules), with a unique ``id``.
    fixed : GeoDataFrame, optional
        Existing or fixed facilities, kept open by every model.
    planned : GeoDataFrame, optional
        Planned facilities to compare with the optimum; the models never
        choose them (only :func:`~alatau_geo.analysis.catchments.evaluate_sites` opens them).
    weight : {'time', 'length'}
        Travel time in minutes, or street length in metres.
    params : NetworkParams
        ``max_connector_m`` and the ``connector`` speed.

    Returns
    -------
    CostMatrix

    Raises
    ------
    LayerError
        If a layer is empty, lacks ``id`` or repeats one, or a site id is used
        twice across fixed, candidates and planned.

    Examples
    --------
    A street of three nodes 1 km apart at 60 km/h (1 min per km):

    >>> from shapely.geometry import Point
    >>> graph = nx.MultiDiGraph(crs="EPSG:32643")
    >>> for n in range(3):
    ...     graph.add_node(n, x=500_000.0 + 1000 * n, y=4_800_000.0)
    >>> keys = graph.add_edges_from([(a, b, {"length": 1000.0, "travel_time": 60.0})
    ...                              for a, b in [(0, 1), (1, 0), (1, 2), (2, 1)]])
    >>> points = lambda ids, xs: gpd.GeoDataFrame({"id": ids}, geometry=[Point(x, 4_800_000.0) for x in xs],
    ...                                            crs="EPSG:32643")
    >>> costs = cost_matrix(graph, points(["d0", "d2"], [500_000.0, 502_000.0]),
    ...                     points(["s1"], [501_000.0]))
    >>> costs.values.tolist(), costs.unit
    ([[1.0], [1.0]], 'min')
    """
    index = network_index(network)
    sites = _sites(candidates, fixed, planned)
    site_links = attach_points(index, sites, max_connector_m=params.max_connector_m,
                               connector_kmh=params.connector_kmh, what="sites")
    points = _demand(demand)
    links = attach_points(index, points, max_connector_m=params.max_connector_m,
                          connector_kmh=params.connector_kmh, what="demand points")
    scale = _SECONDS_PER_MINUTE if weight == "time" else 1.0
    to_site = times_from_points(index, site_links, weight=weight, reverse=True) / scale  # (sites, nodes)
    on = links["on_network"].to_numpy(bool)
    nodes, group_on = np.unique(links["position"].to_numpy()[on], return_inverse=True)
    group = np.full(len(links), -1, dtype=np.int64)
    group[on] = group_on
    connector = (links["connector_s"] / scale if weight == "time" else links["connector_m"]).to_numpy(float)
    xy = shapely.get_coordinates(points.geometry.representative_point().to_numpy())
    site_xy = shapely.get_coordinates(sites.geometry.to_numpy())
    demand_table = pd.DataFrame({
        "district": pd.Series(_districts(points), dtype=object).to_numpy(),
        "x": xy[:, 0], "y": xy[:, 1], "on_network": on, "reason": links["reason"].to_numpy(),
    }, index=pd.Index(points["id"].to_numpy(), name="id"))
    site_table = pd.DataFrame({
        "role": sites["role"].to_numpy(), "x": site_xy[:, 0], "y": site_xy[:, 1],
        "on_network": site_links["on_network"].to_numpy(bool), "connector_m": site_links["connector_m"].to_numpy(),
        "reason": site_links["reason"].to_numpy(),
    }, index=pd.Index(sites["id"].to_numpy(), name="id"))
    return CostMatrix(node_costs=np.ascontiguousarray(to_site[:, nodes].T), group=group, connector=connector,
                      demand=demand_table, sites=site_table, weight=weight)


def _demand(demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "id" not in demand.columns:
        raise LayerError("demand points: missing 'id' column")
    if len(demand) == 0:
        raise LayerError("demand points: no features; give at least one")
    return to_working(demand, what="demand points").reset_index(drop=True)


def _districts(points: gpd.GeoDataFrame) -> list[str | None]:
    """The district of each point as text; None where none is given."""
    if "district" not in points.columns:
        return [None] * len(points)
    return [str(d) if isinstance(d, str) and d else None for d in points["district"]]


def _sites(candidates: gpd.GeoDataFrame, fixed: gpd.GeoDataFrame | None,
           planned: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Fixed, candidate and planned sites in one frame (points, working CRS), with their ``role``."""
    parts = []
    for role, frame in zip(ROLES, (fixed, candidates, planned), strict=True):
        if frame is None or len(frame) == 0:
            continue
        if "id" not in frame.columns:
            raise LayerError(f"{role} sites: missing 'id' column")
        frame = to_working(frame, what=f"{role} sites")
        parts.append(gpd.GeoDataFrame({"id": frame["id"].astype(str).to_numpy(), "role": role},
                                      geometry=frame.geometry.representative_point().to_numpy(), crs=frame.crs))
    if not parts:
        raise LayerError("sites: no candidates and no fixed sites; give at least one site")
    sites = pd.concat(parts, ignore_index=True)
    repeated = sites["id"][sites["id"].duplicated()]
    if len(repeated):
        raise LayerError(f"sites: id used twice across fixed, candidates and planned: {', '.join(repeated.unique())}")
    return gpd.GeoDataFrame(sites, geometry="geometry", crs=parts[0].crs)


__all__ = ["ROLES", "UNITS", "CostMatrix", "SiteRole", "cost_matrix"]
