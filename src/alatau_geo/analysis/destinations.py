"""Travel times from the district centres and settlements to Almaty and Konaev.

:func:`travel_origins` gives the origins (district centres from
:func:`district_centres`, and the settlements); :func:`destination_times`
answers with one search per destination on the reversed road graph, from
people to the place. The graph may be given as its
:class:`~alatau_geo.analysis.network_index.NetworkIndex`, built once.

Unreachable is explicit. In tables a travel time that never comes is
``inf``; in the layers (GeoJSON has no infinity) it is null. Either way the
row has ``reachable`` / ``on_network`` false and a ``reason``. A facility
off the network is reported the same way and logged, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from alatau_geo.analysis.network import DEFAULT_PARAMS
from alatau_geo.analysis.network_index import Network, NetworkIndex, attach_points, network_index, times_from_points
from alatau_geo.core.crs import WORKING_CRS, to_working
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.network_params import NetworkParams


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
    """Attach origins to the network, as :func:`~alatau_geo.analysis.network_index.attach_points` does.

    An origin that is also a destination (Almaty: the corridor ends 4 km
    short of its centre) is attached within ``max_destination_connector_m``,
    the others within ``max_connector_m``.

    Returns
    -------
    DataFrame
        Indexed by origin id in the order of `origins`; columns as
        :func:`~alatau_geo.analysis.network_index.attach_points` gives them.
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
