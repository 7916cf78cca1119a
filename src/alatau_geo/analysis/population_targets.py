"""Targets: whole residents and jobs per zone and phase year, each with its basis.

:func:`zone_targets` keeps the zones' published figures and shares what the
city total leaves among the other zones by their weights (largest remainder,
so the zones add up to the city exactly); :func:`targets_table` does both
kinds; :func:`phase_targets` gives each phase year's share of the targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alatau_geo.analysis.apportion import largest_remainder
from alatau_geo.core.errors import PlanError
from alatau_geo.plan.population_params import DEFAULT_PARAMS, PopulationParams, Target

__all__ = ["DEFAULT_PARAMS", "phase_targets", "targets_table", "zone_targets"]


def zone_targets(params: PopulationParams, zones: Sequence[str], *, kind: str = "residents") -> pd.DataFrame:
    """Whole residents (or jobs) per zone: published figures, and the city remainder by weight.

    The zones with a figure keep it; what the city total leaves is shared
    among the other zones in proportion to their weights, in whole numbers
    (largest remainder), so the zones sum to the city total exactly.

    Parameters
    ----------
    params : PopulationParams
    zones : sequence of str
        Zone ids, in the order of the zone grid's indices.
    kind : {'residents', 'jobs'}

    Returns
    -------
    DataFrame
        Index `zones` (named ``zone``); columns ``target`` (int) and ``basis``.

    Raises
    ------
    PlanError
        If a zone has no entry in ``population.targets``, or a remainder is
        left that no zone takes.

    Examples
    --------
    >>> table = zone_targets(DEFAULT_PARAMS, ["gate", "golden", "growing", "green", "city_rest"])
    >>> int(table["target"].sum()), int(table.loc["gate", "target"])
    (1870000, 220000)
    """
    if kind not in ("residents", "jobs"):
        raise ValueError(f"kind must be 'residents' or 'jobs', got {kind!r}")
    targets: Mapping[str, Target] = getattr(params, kind)
    missing = [zone for zone in zones if zone not in targets]
    if missing:
        raise PlanError(f"'population.targets.{missing[0]}' is missing: give {kind} or {kind}_weight for every zone")
    city = getattr(params, f"city_{kind}")
    chosen = [targets[zone] for zone in zones]
    remainder = city - sum(t.value for t in chosen if t.value is not None)
    weights = np.array([t.weight if t.value is None else 0.0 for t in chosen])
    if remainder > 0 and weights.sum() == 0:
        raise PlanError(f"'population.targets': {remainder:,} {kind} of the city total go to no zone; "
                        f"give a {kind}_weight above 0 to a zone without a {kind} figure")
    shares = weights / weights.sum() if weights.sum() > 0 else weights
    split = largest_remainder(shares * remainder, remainder) if remainder > 0 else np.zeros(len(zones), int)
    values, bases = [], []
    for target, share, part in zip(chosen, shares, split, strict=True):
        if target.value is not None:
            values.append(target.value)
            bases.append(target.basis or "plan figure")
        else:
            values.append(int(part))
            bases.append(f"assumed: {share:.0%} of the city remainder of {remainder:,} {kind} "
                         f"({city:,} less the zones' published figures)")
    return pd.DataFrame({"target": pd.array(values, dtype="int64"), "basis": bases},
                        index=pd.Index(list(zones), name="zone"))


def targets_table(params: PopulationParams, zones: Sequence[str]) -> pd.DataFrame:
    """Residents and jobs targets per zone with their basis (:func:`zone_targets` for both kinds).

    Returns
    -------
    DataFrame
        Index ``zone``; columns ``residents_target``, ``residents_basis``,
        ``jobs_target``, ``jobs_basis``.
    """
    parts = [zone_targets(params, zones, kind=kind).add_prefix(f"{kind}_") for kind in ("residents", "jobs")]
    return parts[0].join(parts[1])


def phase_targets(params: PopulationParams, targets: pd.Series) -> dict[int, pd.Series]:
    """Targets of every phase year: each zone's share of its target, in whole numbers.

    Parameters
    ----------
    params : PopulationParams
    targets : Series of int
        Target-year figure per zone id (``zone_targets(...)["target"]``).

    Returns
    -------
    dict of year to Series
        Rounded half up; the last year equals `targets`.

    Examples
    --------
    >>> phases = phase_targets(DEFAULT_PARAMS, pd.Series({"gate": 220_000, "golden": 1000}))
    >>> [int(phases[year]["gate"]) for year in (2030, 2040, 2050)]
    [88000, 176000, 220000]
    """
    out: dict[int, pd.Series] = {}
    for year in params.phase_years:
        shares = np.array([params.phase_share(str(zone), year) for zone in targets.index])
        values = np.floor(targets.to_numpy(np.float64) * shares + 0.5).astype(np.int64)
        out[year] = pd.Series(values, index=targets.index, name=f"target_{year}")
    return out
