"""Service areas and the travel-time surface: how far the streets reach from each facility.

Both take the road graph (or, better, its
:class:`~alatau_geo.analysis.network_index.NetworkIndex`, built once) and the
facilities, attach the facilities to the network
(:func:`~alatau_geo.analysis.network_index.attach_points`) and answer from one
sparse shortest-path pass for all of them:

- :func:`service_areas`: per facility and time limit, the area reached along
  the streets (isochrone polygon), layer ``service_areas``; times run
  outward from the facility;
- :func:`travel_time_nodes`: least travel time and network distance from
  every node to the nearest facility, layer ``travel_time_nodes``; times
  run from the node to the facility. On the generated network every street
  is two-way, so both directions agree; on an OSM graph one-way streets make
  them differ.

Unreachable is explicit. In tables a travel time that never comes is
``inf``; in the layers (GeoJSON has no infinity) it is null. Either way the
row has ``reachable`` / ``on_network`` false and a ``reason``. A facility
off the network is reported the same way and logged, never dropped.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from alatau_geo.analysis.network import DEFAULT_PARAMS
from alatau_geo.analysis.network_index import (
    Network,
    NetworkIndex,
    attach_points,
    nearest_point,
    network_index,
    times_from_points,
)
from alatau_geo.core.cores import usable_cores
from alatau_geo.core.crs import WORKING_CRS, area_ha, to_working
from alatau_geo.core.stage_store import geometry_digest
from alatau_geo.plan.network_params import NetworkParams

_QUAD_SEGS = 4  # buffer roundness of service areas: enough at a 50 m half-width
_OUTLINE_SIMPLIFY_M = 10.0  # a fifth of the default buffer


def service_areas(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    params: NetworkParams = DEFAULT_PARAMS,
    known: MutableMapping[str, shapely.Geometry] | None = None,
    threads: int | None = None,
    fill_holes_m2: float | None = None,
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
    known : mutable mapping of str to shapely.Geometry, optional
        Areas already worked out, by the SHA-256 of what they are the buffer
        of (the reached lines and the facility, as WKB, and the buffer width); each
        area made here is added. A build passes a memo kept between builds
        (:func:`alatau_geo.jobs.memo.geometry_memo`): after an edit, the
        facilities whose streets did not change read their areas back.
    threads : int, optional
        How many areas are merged at once (default: one per core this
        process may use). GEOS merges the buffers, most of the work, without
        Python's lock, so a caller with free cores gets the areas sooner; a
        build, which works them out beside its other stages, asks for one.
        The areas are the same whatever the number.
    fill_holes_m2 : float, optional
        Draw the areas as a map shows them (:func:`filled_outline`): holes
        up to this size in m2 filled, the outline simplified by 10 m;
        ``area_ha`` is then that of the outline. A build fills holes up to
        two blocks. With `known`, the outlines are what it keeps.

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
    rows, parts = [], []
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
            parts.append([*lines, point])
            rows.append({"id": f"{facility_id}-{minutes:g}min", "facility_id": facility_id,
                         "kind": kinds[facility_id], "minutes": float(minutes), "on_network": bool(link["on_network"]),
                         "connector_m": float(link["connector_m"]), "reason": link["reason"]})
    with ThreadPoolExecutor(max_workers=threads or usable_cores()) as pool:
        polygons = list(pool.map(lambda reached: _band(reached, params.isochrone_buffer_m, known=known,
                                                       fill_holes_m2=fill_holes_m2), parts))
    for record, polygon in zip(rows, polygons, strict=True):
        record["geometry"] = polygon
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
    lines.extend(_cut_all(geometry[partial], fractions))
    return lines


def _cut_all(lines: np.ndarray, fractions: np.ndarray) -> list[shapely.Geometry]:
    """:func:`_cut` of each line at its fraction; straight two-point lines at once.

    For a two-point line cut inside it, :func:`shapely.ops.substring` gives
    the first point and the point interpolated at ``fraction * length``:
    :func:`shapely.line_interpolate_point` computes the same point for all
    of them in one call. Other lines take :func:`_cut`.
    """
    lines = np.asarray(lines, dtype=object)
    fractions = np.asarray(fractions, dtype="float64")
    cut: list[shapely.Geometry] = [None] * len(lines)
    straight = (shapely.get_num_coordinates(lines) == 2) & (fractions > 0.0) & (fractions < 1.0)
    chosen = np.flatnonzero(straight)
    if len(chosen):
        # substring scales the fraction by the length in Python, then interpolates at that distance.
        distances = [float(f) * length for f, length in zip(fractions[chosen].tolist(),
                                                             shapely.length(lines[chosen]).tolist(), strict=True)]
        ends = shapely.get_coordinates(shapely.line_interpolate_point(lines[chosen], distances))
        starts = shapely.get_coordinates(shapely.get_point(lines[chosen], 0))
        for slot, part in zip(chosen.tolist(), shapely.linestrings(np.stack([starts, ends], axis=1)), strict=True):
            cut[slot] = part
    for slot in np.flatnonzero(~straight).tolist():
        cut[slot] = _cut(lines[slot], float(fractions[slot]))
    return cut


def _cut(line: LineString, fraction: float) -> shapely.Geometry:
    """The first `fraction` of `line` (all of it from 1 on)."""
    if fraction >= 1.0:
        return line
    return substring(line, 0.0, max(fraction, 0.0), normalized=True)


def _band(parts: Sequence[shapely.Geometry], buffer_m: float, *,
          known: MutableMapping[str, shapely.Geometry] | None = None,
          fill_holes_m2: float | None = None) -> shapely.Geometry:
    """Everything within `buffer_m` of `parts` (lines and points), from `known` when it is there.

    Given `fill_holes_m2`, its :func:`filled_outline`.
    """
    parts = np.asarray([p for p in parts if p is not None], dtype=object)
    parts = parts[~shapely.is_empty(parts)]
    key = None
    if known is not None:
        outline = "" if fill_holes_m2 is None else f" filled {fill_holes_m2!r} {_OUTLINE_SIMPLIFY_M!r}"
        key = geometry_digest(parts, f"{buffer_m!r} {_QUAD_SEGS}{outline}")
        found = known.get(key)
        if found is not None:
            return found
    linear = np.isin(shapely.get_type_id(parts), (1, 5))  # LineString, MultiLineString
    pieces = np.asarray([*_merge_collinear(list(parts[linear])), *parts[~linear]], dtype=object)
    # a union of the pieces' buffers: faster in GEOS than one buffer of them all
    band = shapely.union_all(shapely.buffer(pieces, buffer_m, quad_segs=_QUAD_SEGS))
    if fill_holes_m2 is not None:
        band = filled_outline(band, max_hole_m2=fill_holes_m2)
    if known is not None and key is not None:
        known[key] = band
    return band


def filled_outline(area: shapely.Geometry, *, max_hole_m2: float,
                   simplify_m: float = _OUTLINE_SIMPLIFY_M) -> shapely.Geometry:
    """A service area as a map shows it: the holes up to `max_hole_m2` filled, the outline simplified.

    A block whose surrounding streets are all reached is served; the hole
    inside it is an artefact of buffering streets, and thousands of them
    make the layer too large to open. The outline is then simplified by
    `simplify_m` metres, keeping its topology.
    """
    # Every part's rings at once: its exterior first, then the holes bigger than the limit.
    rings, part = shapely.get_rings(shapely.get_parts(area), return_index=True)
    exterior = np.r_[True, part[1:] != part[:-1]] if len(part) else np.zeros(0, dtype=bool)
    kept = exterior | (shapely.area(shapely.polygons(rings)) > max_hole_m2)
    filled = shapely.union_all(shapely.polygons(rings[kept], indices=part[kept]))
    return shapely.simplify(filled, simplify_m, preserve_topology=True)


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
