"""Jobs within reach of each settlement, and the two-step floating catchment (2SFCA) score.

:func:`job_access` counts the jobs at the investment projects within 30 and
45 minutes of each settlement and scores residents (demand) against jobs
(supply) with :func:`two_step_fca`, travelling from the settlement to the
project along the road graph (or its
:class:`~alatau_geo.analysis.network_index.NetworkIndex`, built once).

Missing figures are planning assumptions, never silent:
:func:`settlement_residents` and :func:`project_jobs` fill them from
:class:`~alatau_geo.plan.network_params.NetworkParams` and say so in a
``*_basis`` column.

Unreachable is explicit. In tables a travel time that never comes is
``inf``; in the layers (GeoJSON has no infinity) it is null. Either way the
row has ``reachable`` / ``on_network`` false and a ``reason``. A facility
off the network is reported the same way and logged, never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from alatau_geo.analysis.destinations import attach_origins
from alatau_geo.analysis.network import DEFAULT_PARAMS
from alatau_geo.analysis.network_index import Network, attach_points, network_index, times_from_points
from alatau_geo.core.crs import to_working
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.network_params import NetworkParams

logger = logging.getLogger(__name__)


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
