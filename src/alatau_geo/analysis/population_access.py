"""Job accessibility, travel times and service of the allocated residents and jobs, over the road network.

The origins are the plan's residents and the destinations its jobs, as the
allocation placed them (:mod:`~alatau_geo.analysis.city_population`), summed
into blocks of 500 m so that a few thousand points stand for the city's
cells (:func:`~alatau_geo.analysis.city_population.people_blocks`). A block
is attached to the network at its centre, as a settlement or project is.

- :func:`block_job_access`: jobs within 30 and 45 minutes of every block, of
  each settlement and of each district's residents, and the two-step
  floating catchment (2SFCA) score, residents as demand and jobs as supply
  (:func:`~alatau_geo.analysis.job_access.two_step_fca`); residents within
  reach of each investment project;
- :func:`zone_travel_times`: the residents' travel time to Almaty and
  Konaev, per district, weighted by residents;
- :func:`residents_by_travel_time`: residents and jobs by travel time to the
  nearest facility of each kind.

Times are free-flow minutes over the network, connectors included; ``inf``
where there is no route within the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from alatau_geo.analysis.destinations import attach_origins, destination_times
from alatau_geo.analysis.job_access import two_step_fca
from alatau_geo.analysis.network_index import NetworkIndex, attach_points, network_index, times_from_points
from alatau_geo.analysis.service_areas import travel_time_nodes
from alatau_geo.core.crs import WORKING_CRS, to_working
from alatau_geo.plan.network_params import NetworkParams

_CHUNK = 512  # origins per shortest-path call: bounds the memory of the time matrix


@dataclass(frozen=True)
class BlockAccess:
    """Job accessibility of the allocated residents (see :func:`block_job_access`).

    Attributes
    ----------
    blocks : DataFrame
        Per block (index ``id``): ``zone``, ``residents``, ``jobs``,
        ``on_network``, ``connector_m``, ``jobs_within_<m>min`` for each
        limit, ``access_2sfca`` (jobs per resident within the catchment),
        ``reason``.
    settlements : DataFrame
        Per settlement (index place ``id``): ``name_en``, ``kind``,
        ``on_network``, ``connector_m``, ``jobs_within_<m>min``,
        ``access_2sfca``, ``reason``; the settlements are evaluation points
        only (their people are in the blocks).
    zones : DataFrame
        Per zone (index ``zone``): ``residents``, ``jobs``,
        ``jobs_within_<m>min_mean`` and ``_min`` over its residents
        (residents-weighted mean; the least of its blocks), ``access_2sfca_mean``.
    projects : DataFrame
        Per project (index ``id``): ``jobs``, ``jobs_basis``, ``on_network``,
        ``residents_within_<t0>min`` (allocated residents), ``jobs_per_resident``.
    """

    blocks: pd.DataFrame
    settlements: pd.DataFrame
    zones: pd.DataFrame
    projects: pd.DataFrame


def minutes_between(index: NetworkIndex, origins: pd.DataFrame, destinations: pd.DataFrame, *,
                    limit_min: float) -> np.ndarray:
    """Travel time from every attached origin to every attached destination, minutes.

    Parameters
    ----------
    index : NetworkIndex
    origins, destinations : DataFrame
        From :func:`~alatau_geo.analysis.network_index.attach_points`.
    limit_min : float
        Times above this are ``inf`` (the search stops there).

    Returns
    -------
    numpy.ndarray of float32, shape (len(origins), len(destinations))
        Both connectors included; ``inf`` for an off-network point or no route within the limit.
    """
    out = np.full((len(origins), len(destinations)), np.inf, dtype=np.float32)
    columns = destinations["position"].to_numpy()
    connector = destinations["connector_s"].to_numpy(float)
    off = ~destinations["on_network"].to_numpy(bool)
    limit_s = limit_min * 60.0
    for start in range(0, len(origins), _CHUNK):
        rows = times_from_points(index, origins.iloc[start:start + _CHUNK], limit=limit_s)
        seconds = rows[:, columns] + connector[None, :]
        seconds[:, off] = np.inf
        seconds[seconds > limit_s] = np.inf
        out[start:start + _CHUNK] = seconds / 60.0
    return out


def _settlements(places: gpd.GeoDataFrame, params: NetworkParams) -> gpd.GeoDataFrame:
    frame = to_working(places, what="places")
    frame = frame[frame["kind"].isin(list(params.residents_by_kind))]
    names = frame["name_en"] if "name_en" in frame.columns else frame["id"]
    return gpd.GeoDataFrame({"id": frame["id"].to_numpy(), "name_en": names.to_numpy(),
                             "kind": frame["kind"].to_numpy()}, geometry=frame.geometry.to_numpy(), crs=WORKING_CRS)


def block_job_access(network: NetworkIndex, blocks: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                     projects: gpd.GeoDataFrame, *, params: NetworkParams) -> BlockAccess:
    """Jobs within reach of the allocated residents, and the 2SFCA score, per block, settlement and zone.

    Parameters
    ----------
    network : NetworkIndex
    blocks : GeoDataFrame
        Points with ``id``, ``zone``, ``residents`` and ``jobs``
        (:func:`~alatau_geo.analysis.city_population.people_blocks`).
    places : GeoDataFrame
        The ``places`` layer; its settlements (kinds of
        ``params.residents_by_kind``) are evaluated too.
    projects : GeoDataFrame
        Projects with ``id``, ``jobs`` and ``jobs_basis``
        (:func:`~alatau_geo.analysis.job_figures.project_jobs`).
    params : NetworkParams
        ``job_minutes``, ``catchment_minutes``, connector limits and speed.

    Returns
    -------
    BlockAccess
    """
    index = network_index(network)
    demand = blocks[blocks["residents"] > 0].reset_index(drop=True)
    supply = blocks[blocks["jobs"] > 0].reset_index(drop=True)
    towns = _settlements(places, params)
    origins = gpd.GeoDataFrame(pd.concat([demand[["id", "geometry"]], towns[["id", "geometry"]]], ignore_index=True),
                               geometry="geometry", crs=WORKING_CRS)
    origin_links = attach_origins(index, origins, params=params)
    kmh = params.connector_kmh
    supply_links = attach_points(index, supply, max_connector_m=params.max_connector_m, connector_kmh=kmh,
                                 what="job blocks")
    site_links = attach_points(index, projects, max_connector_m=params.max_connector_m, connector_kmh=kmh,
                               what="projects")
    limit = max(*params.job_minutes, params.catchment_minutes)
    minutes = minutes_between(index, origin_links, pd.concat([supply_links, site_links]), limit_min=limit)
    n_demand, n_supply = len(demand), len(supply)
    jobs = supply["jobs"].to_numpy(float)
    residents = demand["residents"].to_numpy(float)
    to_jobs = minutes[:, :n_supply]
    ratio, access = two_step_fca(to_jobs[:n_demand], jobs, residents, catchment_min=params.catchment_minutes)
    access_all = (to_jobs <= params.catchment_minutes) @ np.nan_to_num(ratio, nan=0.0)
    within = {f"jobs_within_{m:g}min": (to_jobs <= m) @ jobs for m in sorted(params.job_minutes)}
    table = pd.DataFrame({"on_network": origin_links["on_network"].to_numpy(bool),
                          "connector_m": origin_links["connector_m"].to_numpy(), **within,
                          "access_2sfca": access_all, "reason": origin_links["reason"].to_numpy()},
                         index=origin_links.index)
    block_table = demand.set_index("id")[["zone", "residents", "jobs"]].join(table.iloc[:n_demand])
    block_table["access_2sfca"] = access
    town_table = towns.set_index("id")[["name_en", "kind"]].join(table.iloc[n_demand:])
    return BlockAccess(
        blocks=block_table,
        settlements=town_table,
        zones=_zone_access(block_table, blocks, within),
        projects=_project_access(projects, site_links, minutes[:n_demand, n_supply:], residents, params=params),
    )


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else float("nan")


def _zone_access(table: pd.DataFrame, blocks: gpd.GeoDataFrame, within: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = {}
    jobs = blocks.groupby("zone")["jobs"].sum()
    for zone, group in table.groupby("zone", sort=False):
        row = {"residents": int(group["residents"].sum()), "jobs": int(jobs.get(zone, 0))}
        for column in within:
            row[f"{column}_mean"] = _weighted(group[column], group["residents"])
            row[f"{column}_least"] = float(group[column].min())
        row["access_2sfca_mean"] = _weighted(group["access_2sfca"], group["residents"])
        rows[zone] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "zone"
    return frame


def _project_access(projects: gpd.GeoDataFrame, links: pd.DataFrame, minutes: np.ndarray, residents: np.ndarray,
                    *, params: NetworkParams) -> pd.DataFrame:
    within = f"residents_within_{params.catchment_minutes:g}min"
    people = residents @ (minutes <= params.catchment_minutes)
    jobs = projects["jobs"].to_numpy(float)
    ratio = np.divide(jobs, people, out=np.full(len(jobs), np.nan), where=people > 0)
    nobody = f"nobody lives within {params.catchment_minutes:g} min: jobs_per_resident undefined"
    reasons = [link or (nobody if n == 0 else "") for link, n in zip(links["reason"], people, strict=True)]
    return pd.DataFrame({
        "jobs": jobs, "jobs_basis": projects["jobs_basis"].to_numpy(),
        "on_network": links["on_network"].to_numpy(bool), "connector_m": links["connector_m"].to_numpy(),
        within: people, "jobs_per_resident": ratio, "reason": reasons,
    }, index=links.index)


def zone_travel_times(network: NetworkIndex, blocks: gpd.GeoDataFrame, places: gpd.GeoDataFrame, *,
                      params: NetworkParams) -> pd.DataFrame:
    """Travel time of each zone's residents to the destinations (Almaty, Konaev).

    Returns
    -------
    DataFrame
        Index ``zone`` (then ``city``): ``residents``, and per destination
        ``to_<id>_min_mean`` (residents-weighted mean, minutes),
        ``to_<id>_min_p90`` (90 % of the residents are closer) and
        ``residents_without_route_to_<id>``.
    """
    demand = blocks[blocks["residents"] > 0].reset_index(drop=True)
    times = destination_times(network, demand[["id", "geometry"]].assign(kind="block"), places, params=params)
    frame = demand.set_index("id")[["zone", "residents"]].join(times.drop(columns=["kind", "reason"]))
    rows = {}
    for zone, group in [*frame.groupby("zone", sort=False), ("city", frame)]:
        row: dict[str, float] = {"residents": int(group["residents"].sum())}
        for destination in params.destinations:
            column = f"to_{destination}_min"
            reached = group[np.isfinite(group[column])]
            row[f"{column}_mean"] = _weighted(reached[column], reached["residents"])
            row[f"{column}_p90"] = _weighted_quantile(reached[column], reached["residents"], 0.9)
            missing = int(group["residents"].sum() - reached["residents"].sum())
            row[f"residents_without_route_to_{destination}"] = missing
        rows[zone] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "zone"
    return table


def _weighted_quantile(values: pd.Series, weights: pd.Series, q: float) -> float:
    """The value below which a share `q` of the weight lies.

    >>> _weighted_quantile(pd.Series([10.0, 20.0, 30.0]), pd.Series([1, 1, 8]), 0.5)
    30.0
    """
    if weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values.to_numpy(), kind="stable")
    cumulative = np.cumsum(weights.to_numpy(float)[order]) / float(weights.sum())
    return float(values.to_numpy()[order][np.searchsorted(cumulative, q - 1e-12)])


def residents_by_travel_time(network: NetworkIndex, blocks: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *,
                             kinds: Sequence[str], params: NetworkParams) -> pd.DataFrame:
    """Residents and jobs by travel time to the nearest facility of each kind.

    Each block takes the time of its network node to the nearest facility
    (:func:`~alatau_geo.analysis.service_areas.travel_time_nodes`) plus its
    connector; bands end at ``params.isochrone_minutes``.

    Returns
    -------
    DataFrame
        One row per kind and band: ``kind``, ``band`` (``0-10 min``,
        ..., ``more than 30 min``, ``no route``; a band includes its upper
        limit), ``residents``, ``jobs``,
        ``residents_pct`` (of the kind's total).
    """
    index = network_index(network)
    links = attach_points(index, blocks, max_connector_m=params.max_connector_m, connector_kmh=params.connector_kmh,
                          what="blocks")
    limits = sorted(params.isochrone_minutes)
    lowers = [0.0, *limits[:-1]]
    labels = [f"{low:g}-{high:g} min" for low, high in zip(lowers, limits, strict=True)]
    labels += [f"more than {limits[-1]:g} min", "no route"]
    residents = blocks["residents"].to_numpy(np.int64)
    jobs = blocks["jobs"].to_numpy(np.int64)
    rows = []
    for kind in kinds:
        chosen = facilities[facilities["kind"] == kind]
        if chosen.empty:
            continue
        nodes = travel_time_nodes(index, chosen, params=params)["travel_time_min"].to_numpy(float)
        minutes = nodes[links["position"].to_numpy()] + links["connector_s"].to_numpy(float) / 60.0
        minutes[~links["on_network"].to_numpy(bool)] = np.nan
        band = np.where(np.isfinite(minutes), np.searchsorted(np.asarray(limits, float), minutes, side="left"),
                        len(limits) + 1)
        total = max(int(residents.sum()), 1)
        for code, label in enumerate(labels):
            here = band == code
            rows.append({"kind": kind, "band": label, "residents": int(residents[here].sum()),
                         "jobs": int(jobs[here].sum()), "residents_pct": 100.0 * residents[here].sum() / total})
    return pd.DataFrame(rows, columns=["kind", "band", "residents", "jobs", "residents_pct"])
