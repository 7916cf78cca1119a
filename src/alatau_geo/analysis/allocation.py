"""Allocation: whole residents (or jobs) placed on the grid so that zone targets are met.

Method, zone by zone:

1. Capacity becomes whole persons per cell
   (:func:`~alatau_geo.analysis.capacity.whole_capacity`: floor or ceil of
   each cell, the zone keeping the floor of its total).
2. Seeds come first: a cell's seed (today's residents of a settlement, or
   the previous phase's) stays where it is, even above the cell's capacity
   (then the cell's capacity is taken as its seed, and the note says so).
3. What the target leaves after the seeds is shared among cells with room
   in proportion to ``capacity x score`` (the suitability score, 0-1), no cell
   above its capacity: the overflow of full cells is redistributed to the
   others in the same proportion until none overflows
   (:func:`~alatau_geo.analysis.apportion.capped_shares`). Cells with room
   but a score of 0 are used only when the scored cells are full.
4. Whole numbers by largest remainder, ties to the lower cell index, never
   above a cell's capacity: the zone's total is exactly its target.

A zone whose target exceeds its capacity is filled to capacity and reported
with its ``shortfall``; a zone whose seeds already exceed its target keeps
them and reports ``above_target``. Nothing is ever scaled silently: for every
zone ``allocated == target - shortfall + above_target``. Cells outside the
city (zone -1) and cells without capacity receive nobody.

Phases (:func:`allocate_phases`) run in year order, each seeded with the
previous phase's grid, so no cell ever loses residents from one phase to the
next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alatau_geo.analysis.apportion import capped_shares, largest_remainder
from alatau_geo.analysis.capacity import check_grids, whole_capacity
from alatau_geo.core.errors import InputDataError

ALLOCATION_COLUMNS = ("target", "seeded", "allocated", "capacity", "shortfall", "above_target", "cells", "note")


@dataclass(frozen=True)
class Allocation:
    """Residents (or jobs) per cell and the zone table that accounts for them.

    Attributes
    ----------
    grid : numpy.ndarray of int64
        Whole persons per cell; 0 outside the city.
    table : DataFrame
        Index ``zone``; columns :data:`ALLOCATION_COLUMNS`: ``target``,
        ``seeded`` (kept from the seeds), ``allocated`` (total placed),
        ``capacity`` (whole persons, seeds above capacity included),
        ``shortfall`` (target not placed for want of capacity),
        ``above_target`` (seeds beyond the target), ``cells`` (cells holding
        anyone), ``note``.
    """

    grid: np.ndarray
    table: pd.DataFrame


@dataclass(frozen=True)
class _ZoneResult:
    values: np.ndarray
    capacity: int
    shortfall: int
    above: int
    seed_over_capacity: int


def _fill_zone(target: int, capacity: np.ndarray, weight: np.ndarray, seeds: np.ndarray) -> _ZoneResult:
    """Place `target` persons on one zone's cells (1-D arrays), seeds first."""
    effective = np.maximum(capacity, seeds)
    over = int((seeds - capacity).clip(min=0).sum())
    room = effective - seeds
    need = target - int(seeds.sum())
    if need <= 0:
        return _ZoneResult(seeds.copy(), int(effective.sum()), 0, -need, over)
    total_room = int(room.sum())
    if need >= total_room:
        return _ZoneResult(effective.copy(), int(effective.sum()), need - total_room, 0, over)
    scored = np.where((room > 0) & (weight > 0), room, 0)
    scored_room = int(scored.sum())
    if scored_room >= need:
        quotas = capped_shares(float(need), weight, scored)
    else:
        rest = room - scored
        quotas = scored + capped_shares(float(need - scored_room), rest.astype(np.float64), rest)
    added = largest_remainder(quotas, need, limits=room)
    return _ZoneResult(seeds + added, int(effective.sum()), 0, 0, over)


def _note(result: _ZoneResult) -> str:
    parts = []
    if result.shortfall:
        parts.append(f"target exceeds capacity: {result.shortfall:,} short")
    if result.above:
        parts.append(f"seeds exceed the target by {result.above:,}")
    if result.seed_over_capacity:
        parts.append(f"seeds exceed their cells' capacity by {result.seed_over_capacity:,}")
    return "; ".join(parts)


def _checked_inputs(zones: np.ndarray, capacity: np.ndarray, *, n_zones: int, score: np.ndarray | None,
                    seeds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    check_grids(zones, n_zones=n_zones, capacity=capacity, score=score, seeds=seeds)
    inside = zones >= 0
    capacity = np.asarray(capacity, dtype=np.float64)
    if not np.isfinite(capacity[inside]).all() or (capacity[inside] < 0).any():
        raise InputDataError("capacity grid: every cell in the city needs a capacity of at least 0 (no NaN)")
    weight = capacity if score is None else capacity * np.asarray(score, dtype=np.float64)
    if not np.isfinite(weight[inside]).all() or (weight[inside] < 0).any():
        raise InputDataError("score grid: every cell in the city needs a score of at least 0 (no NaN)")
    if seeds is None:
        return weight, np.zeros(zones.shape, dtype=np.int64)
    seeds = np.asarray(seeds)
    if (seeds < 0).any() or (seeds != np.floor(seeds)).any():
        raise InputDataError("seeds grid: seeds must be whole numbers of at least 0")
    outside = int(seeds[~inside].sum())
    if outside:
        raise InputDataError(f"seeds grid: {outside:,} persons on cells outside the city; clip the seeds to the city")
    return weight, seeds.astype(np.int64)


def _allocate_whole(zones: np.ndarray, whole: np.ndarray, weight: np.ndarray, seeds: np.ndarray,
                    targets: pd.Series, zone_ids: Sequence[str]) -> Allocation:
    flat_zones = zones.ravel()
    flat_whole, flat_weight, flat_seeds = whole.ravel(), weight.ravel(), seeds.ravel()
    out = np.zeros(flat_zones.shape, dtype=np.int64)
    rows = []
    for index, zone in enumerate(zone_ids):
        cells = np.flatnonzero(flat_zones == index)
        target = int(targets[zone])
        if target < 0:
            raise InputDataError(f"targets: zone {zone!r} has a negative target ({target})")
        result = _fill_zone(target, flat_whole[cells], flat_weight[cells], flat_seeds[cells])
        out[cells] = result.values
        rows.append({"target": target, "seeded": int(flat_seeds[cells].sum()), "allocated": int(result.values.sum()),
                     "capacity": result.capacity, "shortfall": result.shortfall, "above_target": result.above,
                     "cells": int(np.count_nonzero(result.values)), "note": _note(result)})
    table = pd.DataFrame(rows, index=pd.Index(list(zone_ids), name="zone"), columns=list(ALLOCATION_COLUMNS))
    return Allocation(grid=out.reshape(zones.shape), table=table)


def _target_series(targets: pd.Series | Mapping[str, int], zone_ids: Sequence[str]) -> pd.Series:
    series = pd.Series(targets)
    missing = [zone for zone in zone_ids if zone not in series.index]
    if missing:
        raise InputDataError(f"targets: no target for zone {missing[0]!r}; give one for every zone id")
    return series


def allocate(zones: np.ndarray, capacity: np.ndarray, targets: pd.Series | Mapping[str, int], *,
             zone_ids: Sequence[str], score: np.ndarray | None = None,
             seeds: np.ndarray | None = None) -> Allocation:
    """Place each zone's target on its cells (see the module docstring for the method).

    Parameters
    ----------
    zones : numpy.ndarray of int
        Zone index per cell (position in `zone_ids`), -1 outside the city.
    capacity : numpy.ndarray of float
        Persons each cell can hold (residents or jobs, see
        :func:`~alatau_geo.analysis.capacity.cell_capacity`).
    targets : Series or mapping of zone id to int
        Whole persons per zone.
    zone_ids : sequence of str
    score : numpy.ndarray of float, optional
        Suitability score per cell, 0-1; cells are weighted by
        ``capacity x score``. None weighs by capacity alone.
    seeds : numpy.ndarray of int, optional
        Persons who are there already (they stay, and count towards the
        target); must be 0 outside the city.

    Returns
    -------
    Allocation

    Raises
    ------
    InputDataError
        If grids differ in shape, a capacity, score or seed is negative or
        NaN in the city, a seed lies outside it, or a zone has no target.

    Examples
    --------
    Two zones of three cells; zone ``b`` wants more than it can hold.

    >>> zones = np.array([[0, 0, 0, 1, 1, 1, -1]])
    >>> capacity = np.array([[10.0, 10.0, 0.0, 5.0, 5.0, 5.0, 99.0]])
    >>> result = allocate(zones, capacity, {"a": 7, "b": 20}, zone_ids=["a", "b"])
    >>> result.grid.tolist()
    [[4, 3, 0, 5, 5, 5, 0]]
    >>> result.table.loc["b", ["allocated", "shortfall"]].tolist()
    [15, 5]
    """
    zones = np.asarray(zones)
    series = _target_series(targets, zone_ids)
    weight, whole_seeds = _checked_inputs(zones, capacity, n_zones=len(zone_ids), score=score, seeds=seeds)
    whole = whole_capacity(capacity, zones, n_zones=len(zone_ids))
    return _allocate_whole(zones, whole, weight, whole_seeds, series, zone_ids)


def allocate_phases(zones: np.ndarray, capacity: np.ndarray, targets: Mapping[int, pd.Series], *,
                    zone_ids: Sequence[str], score: np.ndarray | None = None,
                    seeds: np.ndarray | None = None) -> dict[int, Allocation]:
    """Allocate every phase in year order, each on top of the one before.

    Parameters
    ----------
    zones, capacity, zone_ids, score : as for :func:`allocate`
    targets : mapping of year to Series
        Cumulative whole persons per zone reached by that year (see
        :func:`~alatau_geo.analysis.population_targets.phase_targets`).
    seeds : numpy.ndarray of int, optional
        Persons there today; seeds the first phase. Each later phase is
        seeded with the previous phase's grid, so every cell's count never
        falls from one phase to the next.

    Returns
    -------
    dict of year to Allocation
        In year order; ``table['seeded']`` is what the phase inherited.

    Examples
    --------
    >>> zones = np.array([[0, 0]])
    >>> phases = allocate_phases(zones, np.array([[6.0, 2.0]]), {2030: {"a": 4}, 2050: {"a": 8}}, zone_ids=["a"])
    >>> [phases[year].grid.tolist() for year in (2030, 2050)]
    [[[3, 1]], [[6, 2]]]
    """
    zones = np.asarray(zones)
    weight, current = _checked_inputs(zones, capacity, n_zones=len(zone_ids), score=score, seeds=seeds)
    whole = whole_capacity(capacity, zones, n_zones=len(zone_ids))
    out: dict[int, Allocation] = {}
    for year in sorted(targets):
        result = _allocate_whole(zones, whole, weight, current, _target_series(targets[year], zone_ids), zone_ids)
        out[year] = result
        current = result.grid
    return out
