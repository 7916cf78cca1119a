"""Who is served, how far, how fast: analyses over the road network.

Every function takes the road graph (or, better, its
:class:`~alatau_geo.analysis.network.NetworkIndex`, built once) and point layers,
attaches the points to the network (see :func:`alatau_geo.analysis.network.attach_points`)
and answers from one sparse shortest-path pass for all points:

- :func:`service_areas`: per facility and time limit, the area reached along
  the streets (isochrone polygon), layer ``service_areas``;
- :func:`travel_time_nodes`: least travel time and network distance from
  every node to the nearest facility, layer ``travel_time_nodes``;
- :func:`destination_times`: travel time from each district centre and
  settlement (:func:`travel_origins`) to Almaty and Konaev;
- :func:`job_access`: jobs at the investment projects within 30 and 45
  minutes of each settlement, and the two-step floating catchment (2SFCA)
  score, residents as demand and jobs as supply (:func:`two_step_fca`).

Missing figures are planning assumptions, never silent:
:func:`settlement_residents` and :func:`project_jobs` fill them from
:class:`~alatau_geo.analysis.network.NetworkParams` and say so in a ``*_basis`` column.

Unreachable is explicit. In tables a travel time that never comes is
``inf``; in the layers (GeoJSON has no infinity) it is null. Either way the
row has ``reachable`` / ``on_network`` false and a ``reason``. A facility
off the network is reported the same way and logged, never dropped.

Direction: service areas run outward from the facility; nearest-facility
times, destination times and job access run from people to the place (node
to facility, origin to destination, settlement to project). On the generated
network every street is two-way, so both agree; on an OSM graph one-way
streets make them differ.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from alatau_geo.analysis.network import (
    DEFAULT_PARAMS,
    NetworkIndex,
    NetworkParams,
    attach_points,
    nearest_point,
    network_index,
    times_from_points,
)
from alatau_geo.core.crs import WORKING_CRS, area_ha, to_working
from alatau_geo.core.errors import LayerError

logger = logging.getLogger(__name__)

Network = nx.MultiDiGraph | NetworkIndex
_QUAD_SEGS = 4  # buffer roundness of service areas: enough at a 50 m half-width


# --------------------------------------------------------------------------
# Service areas


def service_areas(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> gpd.GeoDataFrame:
    """Service area of every facility for every time limit, built from the reached streets.

    For each edge whose tail is reached at ``t_u`` before the limit ``T``,
    the reached part runs from the tail for
    ``(T - t_u) / travel_time * length`` metres (the whole edge when that is
    more than its length); the reached parts, the facility's connector (cut
    the same way) and the facility itself are buffered by
    ``params.isochrone_buffer_m`` and merged. Both directions of a two-way
    street are separate edges, so a street reached from both ends is
    covered from both ends. Times are from the facility outward.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    facilities : GeoDataFrame
        Points with a unique ``id`` and optionally ``kind``.
    params : NetworkParams
        ``isochrone_minutes``, ``isochrone_buffer_m``, ``max_connector_m``,
        ``speeds_kmh['connector']``.

    Returns
    -------
    GeoDataFrame
        One polygon per facility and limit, EPSG:32643: ``id``
        (``<facility>-<minutes>min``), ``facility_id``, ``kind``,
        ``minutes``, ``on_network``, ``connector_m``, ``area_ha``,
        ``reason``. A facility off the network keeps rows whose polygon is
        only the buffer around the facility (a documented fallback), with
        ``on_network`` false and the reason.

    Raises
    ------
    LayerError
        If `facilities` is empty or its ids are missing or repeated.
    """
    index = network_index(network)
    attached = attach_points(index, facilities, max_connector_m=params.max_connector_m,
                             connector_kmh=params.connector_kmh, what="facilities")
    frame = to_working(facilities, what="facilities").set_index("id")
    limits = sorted(params.isochrone_minutes)
    times = times_from_points(index, attached, limit=max(limits) * 60.0)
    kinds = frame["kind"] if "kind" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    rows = []
    for row, (facility_id, link) in enumerate(attached.iterrows()):
        point = frame.geometry[facility_id].representative_point()
        connector = LineString([(point.x, point.y), tuple(index.xy[link["position"]])])
        for minutes in limits:
            if link["on_network"]:
                lines = _reached_lines(index, times[row], minutes * 60.0)
                seconds = float(link["connector_s"])
                lines.append(_cut(connector, minutes * 60.0 / seconds if seconds > 0 else 1.0))
            else:
                lines = []
            polygon = _band([*lines, point], params.isochrone_buffer_m)
            rows.append({"id": f"{facility_id}-{minutes:g}min", "facility_id": facility_id,
                         "kind": kinds[facility_id], "minutes": float(minutes), "on_network": bool(link["on_network"]),
                         "connector_m": float(link["connector_m"]), "reason": link["reason"], "geometry": polygon})
    result = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WORKING_CRS)
    result.insert(len(result.columns) - 2, "area_ha", area_ha(result).round(1))
    return result


def _reached_lines(index: NetworkIndex, times: np.ndarray, limit_s: float) -> list[shapely.Geometry]:
    """The reached parts of the edges: whole edges, and the frontier edges cut at the limit."""
    start = times[index.u]
    reached = start < limit_s
    whole = reached & (start + index.time_s <= limit_s)
    partial = np.flatnonzero(reached & ~whole)
    geometry = index.geometry
    lines = list(geometry[whole])
    fractions = (limit_s - start[partial]) / index.time_s[partial]
    lines.extend(_cut(geometry[i], f) for i, f in zip(partial, fractions, strict=True))
    return lines


def _cut(line: LineString, fraction: float) -> shapely.Geometry:
    """The first `fraction` of `line` (all of it from 1 on)."""
    if fraction >= 1.0:
        return line
    return substring(line, 0.0, max(fraction, 0.0), normalized=True)


def _band(parts: Sequence[shapely.Geometry], buffer_m: float) -> shapely.Geometry:
    """Everything within `buffer_m` of `parts` (lines and points)."""
    parts = [p for p in parts if p is not None and not p.is_empty]
    lines = [p for p in parts if p.geom_type in ("LineString", "MultiLineString")]
    others = [p for p in parts if p.geom_type not in ("LineString", "MultiLineString")]
    pieces = np.asarray([*_merge_collinear(lines), *others], dtype=object)
    # a union of the pieces' buffers: faster in GEOS than one buffer of them all
    return shapely.union_all(shapely.buffer(pieces, buffer_m, quad_segs=_QUAD_SEGS))


def _merge_collinear(lines: Sequence[shapely.Geometry]) -> list[LineString]:
    """The same point set as `lines`, as straight segments, touching collinear ones joined.

    The buffer of the result equals the buffer of `lines`, but a street grid
    becomes a few long lines instead of one piece per block, which GEOS
    buffers about six times faster. Segments are joined only when their
    direction agrees to 1e-9 rad and their offset to 1 mm.
    """
    if not lines:
        return []
    coords, owner = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    same = owner[1:] == owner[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    flip = (b[:, 0] < a[:, 0]) | ((b[:, 0] == a[:, 0]) & (b[:, 1] < a[:, 1]))
    a, b = np.where(flip[:, None], b, a), np.where(flip[:, None], a, b)
    d = b - a
    keep = np.hypot(d[:, 0], d[:, 1]) > 0
    a, b, d = a[keep], b[keep], d[keep]
    theta = np.arctan2(d[:, 1], d[:, 0])
    ux, uy = np.cos(theta), np.sin(theta)
    segments = pd.DataFrame({
        "theta": np.round(theta, 9), "offset": np.round(a[:, 1] * ux - a[:, 0] * uy, 3),
        "lo": a[:, 0] * ux + a[:, 1] * uy, "hi": b[:, 0] * ux + b[:, 1] * uy, "ux": ux, "uy": uy,
        "off": a[:, 1] * ux - a[:, 0] * uy,
    }).sort_values(["theta", "offset", "lo"], kind="stable")
    group = segments.groupby(["theta", "offset"], sort=False)
    reach = group["hi"].cummax().groupby([segments["theta"], segments["offset"]], sort=False).shift()
    run = (reach.isna() | (segments["lo"] > reach + 1e-6)).cumsum()
    runs = segments.groupby(run).agg(lo=("lo", "min"), hi=("hi", "max"), ux=("ux", "first"), uy=("uy", "first"),
                                     off=("off", "first"))
    start = np.column_stack([runs["lo"] * runs["ux"] - runs["off"] * runs["uy"],
                             runs["lo"] * runs["uy"] + runs["off"] * runs["ux"]])
    end = np.column_stack([runs["hi"] * runs["ux"] - runs["off"] * runs["uy"],
                           runs["hi"] * runs["uy"] + runs["off"] * runs["ux"]])
    return list(shapely.linestrings(np.stack([start, end], axis=1)))


# --------------------------------------------------------------------------
# Nearest facility


def travel_time_nodes(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> gpd.GeoDataFrame:
    """Travel time and network distance from every node to its nearest facility.

    Two multi-source searches over the whole graph (one by time, one by
    length), whatever the number of facilities; connectors included. Pass
    the facilities of one kind for the surface of that kind.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    facilities : GeoDataFrame
        Points with a unique ``id``.
    params : NetworkParams

    Returns
    -------
    GeoDataFrame
        One point per graph node, EPSG:32643: ``id`` (node id),
        ``travel_time_min`` and ``facility_id`` (the facility reached
        soonest), ``distance_m`` and ``facility_by_distance`` (the nearest
        along the network, m), ``reachable``, ``reason``. Where no facility
        can be reached (a part of the graph without one, or every facility
        off the network) the figures are null and ``reason`` says why.
    """
    index = network_index(network)
    attached = attach_points(index, facilities, max_connector_m=params.max_connector_m,
                             connector_kmh=params.connector_kmh, what="facilities")
    time_s, by_time = nearest_point(index, attached, weight="time")
    length_m, by_length = nearest_point(index, attached, weight="length")
    ids = attached.index.to_numpy(dtype=object)
    reachable = np.isfinite(time_s)
    if not attached["on_network"].any():
        reason = "no facility on the network"
    else:
        reason = "no facility reachable: this part of the network holds none"
    return gpd.GeoDataFrame({
        "id": index.node_ids,
        "travel_time_min": np.where(reachable, time_s / 60.0, np.nan),
        "facility_id": np.where(by_time >= 0, ids[np.clip(by_time, 0, None)], None),
        "distance_m": np.where(np.isfinite(length_m), length_m, np.nan),
        "facility_by_distance": np.where(by_length >= 0, ids[np.clip(by_length, 0, None)], None),
        "reachable": reachable,
        "reason": np.where(reachable, "", reason),
    }, geometry=gpd.points_from_xy(index.xy[:, 0], index.xy[:, 1]), crs=WORKING_CRS)


# --------------------------------------------------------------------------
# Travel to the destinations


def district_centres(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A centre point per district: a point guaranteed inside it (``representative_point``).

    Returns
    -------
    GeoDataFrame
        ``id`` (district id), ``kind`` (``district_centre``), ``name_en``, points.
    """
    frame = to_working(districts, what="districts")
    names = frame["name_en"] if "name_en" in frame.columns else frame["id"]
    return gpd.GeoDataFrame({"id": frame["id"].to_numpy(), "kind": "district_centre", "name_en": names.to_numpy()},
                            geometry=frame.geometry.representative_point().to_numpy(), crs=WORKING_CRS)


def destination_times(
    network: Network,
    origins: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> pd.DataFrame:
    """Travel time from each origin to each destination (Almaty, Konaev).

    One search per destination on the reversed graph serves every origin.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    origins : GeoDataFrame
        Points with a unique ``id`` and optionally ``kind``, e.g.
        :func:`travel_origins`. An origin that is itself a destination
        (Almaty) is attached within ``max_destination_connector_m`` too.
    places : GeoDataFrame
        The ``places`` layer; the destinations are ``params.destinations``,
        attached within ``params.max_destination_connector_m``.
    params : NetworkParams

    Returns
    -------
    DataFrame
        Indexed by origin id: ``kind``, ``on_network``, ``connector_m``, and
        per destination ``to_<id>_min`` (minutes, both connectors included;
        0 from the destination itself; ``inf`` when there is no route),
        ``reason`` (every unreachable figure explained; empty when all are
        reached).

    Raises
    ------
    LayerError
        If a destination is not in `places`, or `origins` is empty.
    """
    index = network_index(network)
    ends = _select(places, params.destinations, what="places")
    end_links = attach_points(index, ends, max_connector_m=params.max_destination_connector_m,
                              connector_kmh=params.connector_kmh, what="destinations")
    links = attach_origins(index, origins, params=params)
    to_end = times_from_points(index, end_links, reverse=True)  # node -> destination, seconds
    minutes = (links["connector_s"].to_numpy()[None, :] + to_end[:, links["position"].to_numpy()]) / 60.0
    minutes[:, ~links["on_network"].to_numpy(bool)] = np.inf
    frame = to_working(origins, what="origins").set_index("id")
    result = pd.DataFrame({
        "kind": frame["kind"] if "kind" in frame.columns else None,
        "on_network": links["on_network"], "connector_m": links["connector_m"],
    }, index=links.index)
    reasons: list[list[str]] = [[r] if r else [] for r in links["reason"]]
    for row, (end_id, end) in enumerate(end_links.iterrows()):
        minutes[row, (links.index == end_id) & links["on_network"].to_numpy(bool)] = 0.0  # already there
        result[f"to_{end_id}_min"] = minutes[row]
        for i in np.flatnonzero(~np.isfinite(minutes[row])):
            if not end["on_network"]:
                reasons[i].append(f"{end_id} {end['reason']}")
            elif links["on_network"].iloc[i]:
                reasons[i].append(f"no route to {end_id}")
    result["reason"] = ["; ".join(r) for r in reasons]
    return result


def attach_origins(index: NetworkIndex, origins: gpd.GeoDataFrame, *, params: NetworkParams) -> pd.DataFrame:
    """Attach origins to the network, a destination among them farther out than the others.

    An origin that is also a destination (Almaty: the corridor ends 4 km
    short of its centre) is attached within ``max_destination_connector_m``,
    the others within ``max_connector_m``
    (:func:`~alatau_geo.analysis.network.attach_points`).
    """
    is_end = origins["id"].isin(list(params.destinations)).to_numpy() if "id" in origins.columns else None
    if is_end is None or not is_end.any() or is_end.all():
        limit = params.max_destination_connector_m if is_end is not None and is_end.all() else params.max_connector_m
        return attach_points(index, origins, max_connector_m=limit, connector_kmh=params.connector_kmh,
                             what="origins")
    parts = [attach_points(index, origins[~is_end], max_connector_m=params.max_connector_m,
                           connector_kmh=params.connector_kmh, what="origins"),
             attach_points(index, origins[is_end], max_connector_m=params.max_destination_connector_m,
                           connector_kmh=params.connector_kmh, what="origins")]
    return pd.concat(parts).loc[origins["id"].to_numpy()]


def travel_origins(
    districts: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> gpd.GeoDataFrame:
    """The district centres and the settlements, as origins for :func:`destination_times`.

    Returns
    -------
    GeoDataFrame
        ``id`` (district or place id), ``kind`` (``district_centre`` or the
        place kind), ``name_en``, points; settlements are the places whose
        kind is in ``params.residents_by_kind``.

    Raises
    ------
    LayerError
        If a district and a place share an id.
    """
    centres = district_centres(districts)
    towns = to_working(places, what="places")
    towns = towns[towns["kind"].isin(list(params.residents_by_kind))]
    names = towns["name_en"] if "name_en" in towns.columns else towns["id"]
    towns = gpd.GeoDataFrame({"id": towns["id"].to_numpy(), "kind": towns["kind"].to_numpy(),
                              "name_en": names.to_numpy()}, geometry=towns.geometry.to_numpy(), crs=WORKING_CRS)
    shared = sorted(set(centres["id"]) & set(towns["id"]))
    if shared:
        raise LayerError(f"districts and places share the id {', '.join(map(str, shared))}; rename one")
    return gpd.GeoDataFrame(pd.concat([centres, towns], ignore_index=True), crs=WORKING_CRS)


def _select(places: gpd.GeoDataFrame, ids: Sequence[str], *, what: str) -> gpd.GeoDataFrame:
    missing = [i for i in ids if i not in set(places["id"])]
    if missing:
        raise LayerError(f"{what}: no feature with id {', '.join(missing)}")
    return places[places["id"].isin(ids)].set_index("id").loc[list(ids)].reset_index()


# --------------------------------------------------------------------------
# Residents, jobs and job accessibility


def settlement_residents(
    places: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None = None,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> gpd.GeoDataFrame:
    """The settlements with their residents, each figure's basis stated.

    Settlements are the places whose ``kind`` is in
    ``params.residents_by_kind`` (the airport is not one). A settlement's
    residents are, in order: its own ``residents`` value; else its share of
    a district's ``residents_target`` (the Gate district: 220,000,
    shared equally among the settlements inside it); else the default for
    its kind. Every figure except the first is a planning assumption.

    Parameters
    ----------
    places : GeoDataFrame
        The ``places`` layer (``id``, ``kind``, optional ``residents``).
    districts : GeoDataFrame, optional
        The ``districts`` layer, for ``residents_target``.
    params : NetworkParams

    Returns
    -------
    GeoDataFrame
        The settlement rows of `places` with ``residents`` (float),
        ``residents_basis`` and ``in_demand`` (false for
        ``params.demand_excluded``).
    """
    frame = to_working(places, what="places")
    frame = frame[frame["kind"].isin(list(params.residents_by_kind))].copy()
    given = pd.to_numeric(frame["residents"], errors="coerce") if "residents" in frame.columns \
        else pd.Series(np.nan, index=frame.index)
    residents = frame["kind"].map(params.residents_by_kind).astype(float)
    basis = "planning assumption: default for a " + frame["kind"].astype(str)
    if districts is not None and "residents_target" in districts.columns:
        for _, district in to_working(districts, what="districts").iterrows():
            target = district["residents_target"]
            if pd.isna(target):
                continue
            inside = frame.geometry.intersects(district.geometry)
            if inside.any():
                residents[inside] = float(target) / int(inside.sum())
                basis[inside] = (f"planning assumption: district {district['id']} target {target:,.0f} "
                                 f"shared equally among its {int(inside.sum())} settlements")
    has = given.notna()
    residents[has] = given[has]
    basis[has] = "given"
    frame["residents"] = residents
    frame["residents_basis"] = basis
    frame["in_demand"] = ~frame["id"].isin(list(params.demand_excluded))
    return frame


def project_jobs(projects: gpd.GeoDataFrame, *, params: NetworkParams = DEFAULT_PARAMS) -> gpd.GeoDataFrame:
    """The projects with jobs everywhere: the published figure, else the planning assumption.

    Returns
    -------
    GeoDataFrame
        A copy with ``jobs`` (float) and ``jobs_basis`` (``given`` or
        ``planning assumption: <n> jobs per project without a published figure``).
    """
    frame = to_working(projects, what="projects").copy()
    given = pd.to_numeric(frame["jobs"], errors="coerce") if "jobs" in frame.columns \
        else pd.Series(np.nan, index=frame.index)
    if (given < 0).any():
        raise LayerError(f"projects: negative jobs for {', '.join(map(str, frame.loc[given < 0, 'id']))}")
    frame["jobs"] = given.fillna(params.default_project_jobs).astype(float)
    frame["jobs_basis"] = np.where(given.notna(), "given",
                                   f"planning assumption: {params.default_project_jobs:,.0f} jobs per project "
                                   "without a published figure")
    assumed = int(given.isna().sum())
    if assumed:
        logger.info("jobs assumed (%g each) for %d of %d projects", params.default_project_jobs, assumed, len(frame))
    return frame


def two_step_fca(
    times_min: np.ndarray,
    supply: np.ndarray,
    demand: np.ndarray,
    *,
    catchment_min: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-step floating catchment area (2SFCA) scores (Luo and Wang, 2003).

    Step 1, for each supply site j: ``R_j = S_j / sum(P_k for t_kj <= t0)``.
    Step 2, for each demand site i: ``A_i = sum(R_j for t_ij <= t0)``.

    Parameters
    ----------
    times_min : ndarray, shape (n_demand, n_supply)
        Travel time from each demand site to each supply site, minutes
        (``inf`` where there is no route).
    supply : ndarray, shape (n_supply,)
        S_j, e.g. jobs.
    demand : ndarray, shape (n_demand,)
        P_k, e.g. residents.
    catchment_min : float
        t0, minutes.

    Returns
    -------
    ratio : ndarray, shape (n_supply,)
        R_j, supply per person in its catchment; NaN where its catchment
        holds nobody (such a site adds nothing to any A_i).
    access : ndarray, shape (n_demand,)
        A_i, supply per person reachable from i.

    Examples
    --------
    Two villages of 100 and 300 people, both within reach of one site with
    40 jobs: 0.1 jobs per resident each.

    >>> ratio, access = two_step_fca(np.array([[10.0], [20.0]]), np.array([40.0]),
    ...                              np.array([100.0, 300.0]), catchment_min=30)
    >>> ratio.tolist(), access.tolist()
    ([0.1], [0.1, 0.1])
    """
    times_min = np.asarray(times_min, dtype=float)
    supply = np.asarray(supply, dtype=float)
    demand = np.asarray(demand, dtype=float)
    if times_min.shape != (len(demand), len(supply)):
        raise ValueError(f"times_min must have shape (n_demand, n_supply) = ({len(demand)}, {len(supply)}), "
                         f"got {times_min.shape}")
    if (supply < 0).any() or (demand < 0).any() or np.isnan(supply).any() or np.isnan(demand).any():
        raise ValueError("supply and demand must be numbers of at least 0 (no NaN)")
    within = times_min <= catchment_min
    people = demand @ within
    ratio = np.divide(supply, people, out=np.full(len(supply), np.nan), where=people > 0)
    access = within @ np.nan_to_num(ratio, nan=0.0)
    return ratio, access


@dataclass(frozen=True)
class JobAccess:
    """Job accessibility results.

    Attributes
    ----------
    settlements : DataFrame
        Per settlement (index id): ``kind``, ``residents``,
        ``residents_basis``, ``in_demand``, ``on_network``,
        ``connector_m``, ``jobs_within_<m>min`` for each limit,
        ``access_2sfca`` (jobs per resident within the catchment, 2SFCA),
        ``reason``.
    projects : DataFrame
        Per project (index id): ``jobs``, ``jobs_basis``, ``on_network``,
        ``connector_m``, ``residents_within_<t0>min``, ``jobs_per_resident``
        (2SFCA step 1; NaN with a reason when nobody lives within reach),
        ``reason``.
    """

    settlements: pd.DataFrame
    projects: pd.DataFrame


def job_access(
    network: Network,
    settlements: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
) -> JobAccess:
    """Jobs within reach of each settlement, and the 2SFCA score of residents against jobs.

    Parameters
    ----------
    network : networkx.MultiDiGraph or NetworkIndex
    settlements : GeoDataFrame
        From :func:`settlement_residents` (``residents``, ``in_demand``); a
        frame without them gets the defaults by kind. A settlement that is
        also a destination (Almaty) is attached within
        ``max_destination_connector_m``.
    projects : GeoDataFrame
        The ``projects`` layer; missing ``jobs`` are filled by :func:`project_jobs`.
    params : NetworkParams
        ``job_minutes``, ``catchment_minutes``, ``default_project_jobs``,
        ``max_connector_m``.

    Returns
    -------
    JobAccess
        A low ``access_2sfca`` where people live marks jobs out of their reach.
    """
    index = network_index(network)
    people = settlements if {"residents", "in_demand"} <= set(settlements.columns) \
        else settlement_residents(settlements, params=params)
    sites = project_jobs(projects, params=params)
    people_links = attach_origins(index, people, params=params)
    site_links = attach_points(index, sites, max_connector_m=params.max_connector_m,
                               connector_kmh=params.connector_kmh, what="projects")
    limit_s = max(*params.job_minutes, params.catchment_minutes) * 60.0
    from_people = times_from_points(index, people_links, limit=limit_s)
    seconds = from_people[:, site_links["position"].to_numpy()] + site_links["connector_s"].to_numpy()[None, :]
    seconds[:, ~site_links["on_network"].to_numpy(bool)] = np.inf
    minutes = seconds / 60.0
    jobs = sites["jobs"].to_numpy(float)
    residents = people["residents"].to_numpy(float)
    demand = np.where(people["in_demand"].to_numpy(bool), residents, 0.0)
    ratio, access = two_step_fca(minutes, jobs, demand, catchment_min=params.catchment_minutes)
    return JobAccess(
        settlements=_settlement_table(people, people_links, minutes, jobs, access, params=params),
        projects=_project_table(sites, site_links, minutes, demand, ratio, params=params),
    )


def _settlement_table(people: gpd.GeoDataFrame, links: pd.DataFrame, minutes: np.ndarray, jobs: np.ndarray,
                      access: np.ndarray, *, params: NetworkParams) -> pd.DataFrame:
    table = pd.DataFrame({
        "kind": people["kind"].to_numpy() if "kind" in people.columns else None,
        "residents": people["residents"].to_numpy(float),
        "residents_basis": people["residents_basis"].to_numpy() if "residents_basis" in people.columns else "given",
        "in_demand": people["in_demand"].to_numpy(bool),
        "on_network": links["on_network"].to_numpy(bool), "connector_m": links["connector_m"].to_numpy(),
    }, index=links.index)
    for limit in sorted(params.job_minutes):
        table[f"jobs_within_{limit:g}min"] = (minutes <= limit) @ jobs
    table["access_2sfca"] = access
    table["reason"] = [reason if reason else "" for reason in links["reason"]]
    return table


def _project_table(sites: gpd.GeoDataFrame, links: pd.DataFrame, minutes: np.ndarray, demand: np.ndarray,
                   ratio: np.ndarray, *, params: NetworkParams) -> pd.DataFrame:
    within = f"residents_within_{params.catchment_minutes:g}min"
    people = demand @ (minutes <= params.catchment_minutes)
    nobody = f"nobody lives within {params.catchment_minutes:g} min: jobs_per_resident undefined"
    reasons = [link if link else (nobody if n == 0 else "") for link, n in zip(links["reason"], people, strict=True)]
    return pd.DataFrame({
        "jobs": sites["jobs"].to_numpy(float), "jobs_basis": sites["jobs_basis"].to_numpy(),
        "on_network": links["on_network"].to_numpy(bool), "connector_m": links["connector_m"].to_numpy(),
        within: people, "jobs_per_resident": ratio, "reason": reasons,
    }, index=links.index)
