"""Where the jobs figures come from: published, target, derived and assumed, side by side.

The city's job supply is known only in parts: Gate's ~181,000 jobs
(published 2025-10-08), the investment portfolio's totals (February 2026:
44 projects, more than 30,000 jobs; November 2025: a pool of 41 projects,
more than 21,000 jobs) and no figure per named project. :func:`job_figures`
lists every figure the analysis uses with its basis, and
:func:`project_jobs` gives each investment project its published figure or,
failing one, the portfolio's average, a derived lower bound (the totals are
"more than"), replacing the flat planning assumption per project.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.plan.population_params import PopulationParams, Portfolio

JOB_FIGURE_COLUMNS = ("figure", "jobs", "projects", "basis")


def latest_portfolio(params: PopulationParams) -> Portfolio:
    """The most recent published portfolio (by date).

    Raises
    ------
    PlanError
        If the plan lists none.
    """
    if not params.portfolio:
        raise PlanError("'population.portfolio' is empty: give at least one published portfolio")
    return max(params.portfolio, key=lambda item: item.date)


def jobs_per_project(params: PopulationParams) -> tuple[float, str]:
    """Average jobs per project of the latest portfolio, and its basis.

    Examples
    --------
    >>> from alatau_geo.plan.population_params import DEFAULT_PARAMS
    >>> value, basis = jobs_per_project(DEFAULT_PARAMS)
    >>> round(value), basis.split(":")[0]
    (682, 'derived')
    """
    latest = latest_portfolio(params)
    if latest.projects == 0:
        raise PlanError(f"'population.portfolio' ({latest.date}) counts 0 projects: no average per project")
    value = latest.jobs / latest.projects
    return value, (f"derived: {latest.jobs:,} jobs / {latest.projects} projects in the {latest.date} portfolio "
                   "(a lower bound: the total is published as 'more than')")


def job_figures(params: PopulationParams, targets: pd.DataFrame) -> pd.DataFrame:
    """Every jobs figure of the analysis with its basis.

    Parameters
    ----------
    params : PopulationParams
    targets : DataFrame
        From :func:`~alatau_geo.analysis.population_targets.targets_table`
        (``jobs_target``, ``jobs_basis`` per zone).

    Returns
    -------
    DataFrame
        Columns :data:`JOB_FIGURE_COLUMNS`: the city total, each zone's
        target, each published portfolio and the derived jobs per project.

    Examples
    --------
    >>> from alatau_geo.analysis.population_targets import DEFAULT_PARAMS, targets_table
    >>> zones = ["gate", "golden", "growing", "green", "city_rest"]
    >>> table = job_figures(DEFAULT_PARAMS, targets_table(DEFAULT_PARAMS, zones)).set_index("figure")
    >>> table.loc[["zone gate", "portfolio 2026-02"], "jobs"].tolist()
    [181000.0, 30000.0]
    """
    rows = [{"figure": "city", "jobs": params.city_jobs, "projects": np.nan, "basis": params.city_jobs_basis}]
    rows += [{"figure": f"zone {zone}", "jobs": row.jobs_target, "projects": np.nan, "basis": row.jobs_basis}
             for zone, row in targets.iterrows()]
    rows += [{"figure": f"portfolio {item.date}", "jobs": item.jobs, "projects": item.projects, "basis": item.basis}
             for item in sorted(params.portfolio, key=lambda item: item.date)]
    if params.portfolio:
        value, basis = jobs_per_project(params)
        rows.append({"figure": "per project", "jobs": round(value, 1), "projects": 1, "basis": basis})
    table = pd.DataFrame(rows, columns=list(JOB_FIGURE_COLUMNS))
    table["jobs"] = table["jobs"].astype(float)
    return table


def project_jobs(projects: gpd.GeoDataFrame, *, params: PopulationParams) -> gpd.GeoDataFrame:
    """The projects with jobs everywhere: the published figure, else the portfolio average.

    Parameters
    ----------
    projects : GeoDataFrame
        The ``projects`` layer (``id``, optional ``jobs``).
    params : PopulationParams

    Returns
    -------
    GeoDataFrame
        A copy with ``jobs`` (whole jobs, float) and ``jobs_basis``
        (``published`` or the derivation of the average).

    Raises
    ------
    LayerError
        If a published figure is negative.
    """
    frame = projects.copy()
    given = pd.to_numeric(frame["jobs"], errors="coerce") if "jobs" in frame.columns \
        else pd.Series(np.nan, index=frame.index)
    if (given < 0).any():
        raise LayerError(f"projects: negative jobs for {', '.join(map(str, frame.loc[given < 0, 'id']))}")
    average, basis = jobs_per_project(params)
    frame["jobs"] = given.fillna(float(np.floor(average + 0.5)))
    frame["jobs_basis"] = np.where(given.notna(), "published", basis)
    return frame
