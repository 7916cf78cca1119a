"""Residents and jobs of the plan, phase by phase: capacity, allocation and their summary.

:func:`plan_population` runs the whole analysis on one grid: the capacity
of every cell (:mod:`~alatau_geo.analysis.capacity`), the zone targets with
their basis (:mod:`~alatau_geo.plan.population_params`), and residents
and jobs allocated for every phase year (:mod:`~alatau_geo.analysis.allocation`).
:func:`phase_summary` turns the grids into the table a planner reads: per
zone and year, residents, jobs, hectares and densities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alatau_geo.analysis.allocation import Allocation, allocate_phases
from alatau_geo.analysis.capacity import Capacity, capacity_table, cell_capacity, check_grids, suitability_score
from alatau_geo.analysis.population_targets import phase_targets, targets_table
from alatau_geo.core.crs import SQUARE_METRES_PER_HECTARE
from alatau_geo.plan.population_params import PopulationParams

SUMMARY_COLUMNS = ("residents", "jobs", "ha", "built_ha", "residents_per_ha", "jobs_per_ha",
                   "residents_per_built_ha", "residents_shortfall", "jobs_shortfall")


@dataclass(frozen=True)
class PopulationPlan:
    """Everything :func:`plan_population` computes.

    Attributes
    ----------
    zone_ids : tuple of str
    capacity : Capacity
        Per cell.
    capacity_table : DataFrame
        Per zone and city: land, capacity, targets, spare and short
        (:func:`~alatau_geo.analysis.capacity.capacity_table`).
    residents, jobs : dict of year to Allocation
        Per phase year, cumulative.
    summary : DataFrame
        :func:`phase_summary` of the phases.
    """

    zone_ids: tuple[str, ...]
    capacity: Capacity
    capacity_table: pd.DataFrame
    residents: dict[int, Allocation]
    jobs: dict[int, Allocation]
    summary: pd.DataFrame


def plan_population(zones: np.ndarray, classes: np.ndarray, *, cell_m: float, zone_ids: Sequence[str],
                    params: PopulationParams, score: np.ndarray | None = None,
                    resident_seeds: np.ndarray | None = None, job_seeds: np.ndarray | None = None) -> PopulationPlan:
    """Capacity, targets and phased allocation of residents and jobs on one grid.

    Parameters
    ----------
    zones : numpy.ndarray of int
        Zone index per cell (position in `zone_ids`), -1 outside the city.
    classes : numpy.ndarray of int
        Suitability class per cell, 0-3.
    cell_m : float
        Cell size, metres.
    zone_ids : sequence of str
    params : PopulationParams
    score : numpy.ndarray of float, optional
        Suitability score per cell, 0-1; by default the class score of the plan.
    resident_seeds, job_seeds : numpy.ndarray of int, optional
        Residents and jobs there today (see
        :func:`~alatau_geo.analysis.population_grid.seeds_from_polygons`).

    Returns
    -------
    PopulationPlan

    Examples
    --------
    >>> from alatau_geo.plan.population_params import PopulationParams
    >>> params = PopulationParams.from_mapping({"city_residents": 300, "city_jobs": 100,
    ...     "targets": {"gate": {"residents": 300, "jobs": 100}}})
    >>> zones = np.zeros((2, 2), dtype=int)
    >>> result = plan_population(zones, np.full((2, 2), 3), cell_m=100.0, zone_ids=["gate"], params=params)
    >>> int(result.residents[2050].grid.sum()), int(result.residents[2030].grid.sum())
    (300, 120)
    """
    zones = np.asarray(zones)
    zone_ids = tuple(zone_ids)
    check_grids(zones, n_zones=len(zone_ids), classes=classes, score=score)
    capacity = cell_capacity(zones, classes, cell_m=cell_m, zone_ids=zone_ids, params=params)
    targets = targets_table(params, zone_ids)
    weights = suitability_score(classes, params=params) if score is None else score
    phases = {}
    for kind, seeds in (("residents", resident_seeds), ("jobs", job_seeds)):
        by_year = phase_targets(params, targets[f"{kind}_target"])
        phases[kind] = allocate_phases(zones, getattr(capacity, kind), by_year, zone_ids=zone_ids, score=weights,
                                       seeds=seeds)
    return PopulationPlan(
        zone_ids=zone_ids,
        capacity=capacity,
        capacity_table=capacity_table(zones, classes, capacity, cell_m=cell_m, zone_ids=zone_ids, targets=targets),
        residents=phases["residents"],
        jobs=phases["jobs"],
        summary=phase_summary(phases["residents"], phases["jobs"], zones, zone_ids=zone_ids, cell_m=cell_m),
    )


def phase_summary(residents: Mapping[int, Allocation], jobs: Mapping[int, Allocation], zones: np.ndarray, *,
                  zone_ids: Sequence[str], cell_m: float) -> pd.DataFrame:
    """Per zone and phase year (and the city): residents, jobs, hectares and densities.

    Parameters
    ----------
    residents, jobs : mapping of year to Allocation
        The same years in both.
    zones : numpy.ndarray of int
    zone_ids : sequence of str
    cell_m : float
        Cell size, metres.

    Returns
    -------
    DataFrame
        Index (``zone``, ``year``), zones then ``city``; columns
        :data:`SUMMARY_COLUMNS`: whole ``residents`` and ``jobs``; ``ha``
        the zone's area; ``built_ha`` the area of cells holding anyone;
        ``residents_per_ha`` and ``jobs_per_ha`` per ha of zone (gross);
        ``residents_per_built_ha``; the ``*_shortfall`` the allocation
        could not place.
    """
    zones = np.asarray(zones)
    n = len(zone_ids)
    inside = zones >= 0
    cell_ha = cell_m * cell_m / SQUARE_METRES_PER_HECTARE
    ha = np.bincount(zones[inside], minlength=n) * cell_ha
    frames = []
    for year in sorted(residents):
        people, work = residents[year].grid, jobs[year].grid
        check_grids(zones, n_zones=n, residents=people, jobs=work)
        used = (people > 0) | (work > 0)
        table = pd.DataFrame({
            "residents": np.bincount(zones[inside], weights=people[inside], minlength=n).round().astype(np.int64),
            "jobs": np.bincount(zones[inside], weights=work[inside], minlength=n).round().astype(np.int64),
            "ha": ha,
            "built_ha": np.bincount(zones[inside], weights=used[inside], minlength=n) * cell_ha,
            "residents_shortfall": residents[year].table["shortfall"].reindex(list(zone_ids)).to_numpy(),
            "jobs_shortfall": jobs[year].table["shortfall"].reindex(list(zone_ids)).to_numpy(),
        }, index=list(zone_ids))
        table.loc["city"] = table.sum()
        table.index.name = "zone"
        frames.append(table.assign(year=year).set_index("year", append=True))
    summary = pd.concat(frames)
    order = {zone: i for i, zone in enumerate([*zone_ids, "city"])}
    summary = summary.sort_index(key=lambda index: index.map(order) if index.name == "zone" else index)
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["residents_per_ha"] = (summary["residents"] / summary["ha"]).round(1)
        summary["jobs_per_ha"] = (summary["jobs"] / summary["ha"]).round(1)
        summary["residents_per_built_ha"] = (summary["residents"] / summary["built_ha"]).round(1)
    for column in ("residents", "jobs", "residents_shortfall", "jobs_shortfall"):
        summary[column] = summary[column].astype(np.int64)
    return summary[list(SUMMARY_COLUMNS)]
