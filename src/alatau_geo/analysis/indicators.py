"""Scenario indicators: one documented set of figures computed for any built workspace.

:func:`indicator_table` turns a workspace's layers, its plan and its terrain
raster into one tidy table, a row per indicator:

========== ==================================================================
group      indicators
========== ==================================================================
land       area and buildable area by district and for the city; SEZ area,
           and SEZ land outside the city; land in each hazard band by
           district (the water protection zones and strips today)
residents  residents by zone and phase year, and what the allocation could
           not place (:func:`alatau_geo.analysis.population.plan_population`)
jobs       the same for jobs
services   share of residents within each travel-time limit of each facility
           kind (network), and within its straight-line service radius
travel     median and 90th percentile of the travel time to each destination
           (Almaty, Konaev) and between residents and jobs; jobs within
           reach; 2SFCA jobs per resident
infra-     kilometres of new gas pipelines and roads; facilities planned, needed
structure  (sizing of the siting analysis) and missing by kind; investment
           projects in and outside the city
========== ==================================================================

Every row has an ``id`` (``<family>.<subject>``, e.g. ``area_ha.gate``),
a ``name``, the ``value`` (float; NaN when not computed, ``inf`` when never
reached), its ``unit``, a ``definition`` (shared by the rows of a family)
and its ``basis``: ``published`` (a figure from a named source),
``target`` (a plan target), ``derived`` (computed from the plan and the
data; the assumptions it rests on are named in the definition) or
``assumed`` (a planning assumption itself).

The residents and jobs come from the population analysis with its default
parameters (until the plan has a ``[population]`` section, pass others as
`population`), allocated on a 100 m grid whose buildable cells follow
:mod:`alatau_geo.analysis.areas` (slope, water, water protection zones); the
facilities needed from the siting analysis's demand rates and facility sizes,
also with their defaults until the plan has a ``[siting]`` section.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from alatau_geo.analysis import indicators_access, indicators_infrastructure, indicators_land, indicators_people
from alatau_geo.analysis.indicator_model import (
    BASES,
    GROUP_TITLES,
    GROUPS,
    INDICATOR_COLUMNS,
    NOT_COMPUTED,
    as_table,
    indicator_row,
)
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.plan.population_params import DEFAULT_PARAMS, PopulationParams

__all__ = ["BASES", "GROUPS", "GROUP_TITLES", "INDICATOR_COLUMNS", "NOT_COMPUTED", "IndicatorOptions", "as_table",
           "indicator_row", "indicator_table"]


@dataclass(frozen=True)
class IndicatorOptions:
    """How the indicators are computed.

    Attributes
    ----------
    population : PopulationParams
        Densities, targets and phases of the residents and jobs.
    cell_m : float
        Cell of the population grid, metres.
    block_m : float
        Residents and jobs are summed into blocks of this size for the
        travel time between residents and jobs and 2SFCA, metres (a
        multiple of `cell_m`).
    """

    population: PopulationParams = DEFAULT_PARAMS
    cell_m: float = 100.0
    block_m: float = 1000.0


def indicator_table(layers: LayerSet, plan: Plan, *, elevation: Raster,
                    options: IndicatorOptions | None = None) -> pd.DataFrame:
    """Every indicator of a built workspace.

    Parameters
    ----------
    layers : LayerSet
        The workspace's layers: ``districts``, ``city_boundary``, ``sez``,
        ``reservoir``, ``water_protection_zone`` and ``_strip``, ``places``,
        ``corridors``, ``infrastructure``, ``infrastructure_lines``, ``projects``.
    plan : Plan
        The plan that built them (slope limit, service radii, network).
    elevation : Raster
        The working-grid DEM written beside the layers, metres.
    options : IndicatorOptions, optional

    Returns
    -------
    DataFrame
        Columns :data:`INDICATOR_COLUMNS`, one row per indicator, in
        :data:`GROUPS` order.
    """
    options = options or IndicatorOptions()
    people = indicators_people.people_grid(layers, plan, elevation=elevation, params=options.population,
                                           cell_m=options.cell_m)
    rows = [
        *indicators_land.land_rows(layers, plan, elevation=elevation),
        *indicators_people.people_rows(people),
        *indicators_access.access_rows(layers, plan, people=people, block_m=options.block_m),
        *indicators_infrastructure.infrastructure_rows(layers, people=people),
    ]
    return as_table(rows)
