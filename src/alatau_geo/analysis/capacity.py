"""Capacity: how many residents and jobs each grid cell can hold, and each zone beside its targets.

A cell of ``cell_m`` x ``cell_m`` metres holds floor area

    floor_m2 = cell_m**2 * developable_share * floor_area_ratio(zone) * density_factor(class)

where ``developable_share`` is what streets, green and social infrastructure
leave (``population.land_shares``), the floor-area ratio is the zone's
(``population.density.<zone>``) and the density factor that of the cell's
suitability class (0 unsuitable holds nothing; 1 low, 2 medium, 3 high). The
floor splits into housing and workplaces by the zone's residential share:

    residents = floor_m2 * residential_floor_share / m2_floor_per_resident
    jobs      = floor_m2 * (1 - residential_floor_share) / m2_floor_per_job

Until the suitability grid exists, a boolean buildable mask stands for it
(:func:`classes_from_buildable`: buildable is class 3, the rest 0).

Grids are numpy arrays on one raster grid: the zone grid holds the index of a
zone in a list of zone ids, and -1 outside the city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alatau_geo.analysis.apportion import whole_per_zone
from alatau_geo.core.crs import SQUARE_METRES_PER_HECTARE
from alatau_geo.core.errors import InputDataError, PlanError
from alatau_geo.plan.population_params import CLASS_NAMES, PopulationParams

N_CLASSES = 4
"""Suitability classes 0 (unsuitable) to 3 (high)."""
CAPACITY_COLUMNS = (
    "ha", "buildable_ha", "high_ha", "medium_ha", "low_ha", "residents_capacity", "jobs_capacity",
    "residents_target", "residents_basis", "jobs_target", "jobs_basis", "residents_spare", "jobs_spare",
    "ha_needed", "ha_spare", "status",
)


@dataclass(frozen=True)
class Capacity:
    """What every cell can hold.

    Attributes
    ----------
    residents, jobs : numpy.ndarray of float64
        Per cell, persons (fractions where cells are small); 0 outside the
        city and on unsuitable land.
    floor_m2 : numpy.ndarray of float64
        Gross floor area per cell, m2.
    """

    residents: np.ndarray
    jobs: np.ndarray
    floor_m2: np.ndarray


def classes_from_buildable(buildable: np.ndarray) -> np.ndarray:
    """Suitability classes from a buildable mask: buildable is high (3), the rest unsuitable (0).

    Examples
    --------
    >>> classes_from_buildable(np.array([True, False])).tolist()
    [3, 0]
    """
    return np.where(np.asarray(buildable, dtype=bool), 3, 0).astype(np.int8)


def check_grids(zones: np.ndarray, *, n_zones: int, **grids: np.ndarray) -> None:
    """Raise if a grid's shape differs from the zone grid's or a zone index is out of range.

    Raises
    ------
    InputDataError
        Naming the grid and both shapes, or the bad index.
    """
    for name, grid in grids.items():
        if grid is not None and np.shape(grid) != np.shape(zones):
            raise InputDataError(f"{name} grid has shape {np.shape(grid)}, the zone grid {np.shape(zones)}: "
                                 "give every grid on the same cells")
    if zones.size and (zones.max(initial=-1) >= n_zones or zones.min(initial=-1) < -1):
        raise InputDataError(f"zone grid: indices must lie in -1 (outside the city) .. {n_zones - 1} "
                             f"(one per zone id), found {int(zones.min())} .. {int(zones.max())}")


def _class_codes(classes: np.ndarray, inside: np.ndarray) -> np.ndarray:
    codes = np.asarray(classes)
    values = codes[inside]
    bad = (values < 0) | (values >= N_CLASSES) | (values != np.floor(values))
    if bad.any():
        raise InputDataError(f"suitability classes: {int(bad.sum())} cells in the city hold "
                             f"{values[bad][0]!r}; classes are 0 unsuitable, 1 low, 2 medium, 3 high")
    return np.where(inside, codes, 0).astype(np.int64)


def _zone_values(params: PopulationParams, zone_ids: Sequence[str]) -> dict[str, np.ndarray]:
    missing = [zone for zone in zone_ids if zone not in params.density]
    if missing:
        raise PlanError(f"'population.density.{missing[0]}' is missing: give floor_area_ratio, "
                        "residential_floor_share, m2_floor_per_resident and m2_floor_per_job for every zone")
    densities = [params.density[zone] for zone in zone_ids]
    return {key: np.array([getattr(d, key) for d in densities] + [0.0], dtype=np.float64)
            for key in ("floor_area_ratio", "residential_floor_share", "m2_floor_per_resident", "m2_floor_per_job")}


def cell_capacity(zones: np.ndarray, classes: np.ndarray, *, cell_m: float, zone_ids: Sequence[str],
                  params: PopulationParams) -> Capacity:
    """Residents and jobs each cell can hold, from the zone's density and the cell's class.

    Parameters
    ----------
    zones : numpy.ndarray of int
        Zone index per cell (position in `zone_ids`), -1 outside the city.
    classes : numpy.ndarray of int
        Suitability class per cell, 0-3 (see :func:`classes_from_buildable`).
    cell_m : float
        Cell size, metres (square cells on a projected grid).
    zone_ids : sequence of str
    params : PopulationParams

    Returns
    -------
    Capacity

    Raises
    ------
    PlanError
        If a zone has no density in the plan.
    InputDataError
        If the grids differ in shape or hold a class outside 0-3 in the city.

    Examples
    --------
    One hectare of high-class Gate land: 10,000 m2 x 0.55 developable x 1.0 = 5,500 m2 of floor,
    64 % housing at 29.5 m2 per resident.

    >>> from alatau_geo.plan.population_params import DEFAULT_PARAMS
    >>> cap = cell_capacity(np.array([[0, -1]]), np.array([[3, 3]]), cell_m=100.0, zone_ids=["gate"],
    ...                     params=DEFAULT_PARAMS)
    >>> round(float(cap.residents[0, 0]), 1), round(float(cap.jobs[0, 0]), 1), float(cap.residents[0, 1])
    (119.3, 99.5, 0.0)
    """
    zones = np.asarray(zones)
    check_grids(zones, n_zones=len(zone_ids), classes=classes)
    if not cell_m > 0:
        raise InputDataError(f"cell size must be greater than 0 m, got {cell_m!r}")
    inside = zones >= 0
    codes = _class_codes(classes, inside)
    factor = np.array([0.0] + [params.class_density[c] for c in sorted(CLASS_NAMES.values())])
    values = _zone_values(params, zone_ids)
    index = np.where(inside, zones, len(zone_ids))
    floor = (cell_m * cell_m * params.developable_share) * values["floor_area_ratio"][index] * factor[codes]
    share = values["residential_floor_share"][index]
    with np.errstate(divide="ignore", invalid="ignore"):
        residents = np.where(inside, floor * share / values["m2_floor_per_resident"][index], 0.0)
        jobs = np.where(inside, floor * (1.0 - share) / values["m2_floor_per_job"][index], 0.0)
    return Capacity(residents=residents, jobs=jobs, floor_m2=np.where(inside, floor, 0.0))


def suitability_score(classes: np.ndarray, *, params: PopulationParams) -> np.ndarray:
    """The allocation score of each cell from its class (``population.classes.score``); 0 on class 0.

    Examples
    --------
    >>> from alatau_geo.plan.population_params import DEFAULT_PARAMS
    >>> suitability_score(np.array([0, 1, 3]), params=DEFAULT_PARAMS).tolist()
    [0.0, 0.3, 1.0]
    """
    codes = np.clip(np.asarray(classes).astype(np.int64), 0, N_CLASSES - 1)
    lookup = np.array([0.0] + [params.class_score[c] for c in sorted(CLASS_NAMES.values())])
    return lookup[codes]


def _class_hectares(zones: np.ndarray, classes: np.ndarray, *, n_zones: int, cell_ha: float) -> pd.DataFrame:
    inside = zones >= 0
    codes = np.where(inside, np.asarray(classes), 0).astype(np.int64)
    counts = np.bincount(zones[inside] * N_CLASSES + codes[inside], minlength=n_zones * N_CLASSES)
    by_class = counts.reshape(n_zones, N_CLASSES) * cell_ha
    return pd.DataFrame({
        "ha": by_class.sum(axis=1), "buildable_ha": by_class[:, 1:].sum(axis=1),
        "high_ha": by_class[:, 3], "medium_ha": by_class[:, 2], "low_ha": by_class[:, 1],
    })


def capacity_table(zones: np.ndarray, classes: np.ndarray, capacity: Capacity, *, cell_m: float,
                   zone_ids: Sequence[str], targets: pd.DataFrame) -> pd.DataFrame:
    """Per zone and for the city: land, capacity, targets, and what is short or spare.

    Parameters
    ----------
    zones, classes : numpy.ndarray
        As for :func:`cell_capacity`.
    capacity : Capacity
        From :func:`cell_capacity`.
    cell_m : float
        Cell size, metres.
    zone_ids : sequence of str
    targets : DataFrame
        Index zone ids; columns ``residents_target``, ``residents_basis``,
        ``jobs_target``, ``jobs_basis`` (see
        :func:`~alatau_geo.analysis.population_targets.zone_targets`).

    Returns
    -------
    DataFrame
        Index ``zone`` (the zones, then ``city``); columns
        :data:`CAPACITY_COLUMNS`. Areas in ha; capacities in whole residents
        and jobs (each zone's floor of its cells' sum). ``*_spare`` is
        capacity less target (negative: a shortfall). ``ha_needed`` is the
        buildable land the targets need at the zone's average capacity per
        buildable ha, ``ha_spare`` the buildable land beyond it (negative:
        hectares short). ``status`` names every shortfall.
    """
    zones = np.asarray(zones)
    n = len(zone_ids)
    check_grids(zones, n_zones=n, classes=classes, residents=capacity.residents, jobs=capacity.jobs)
    missing = [zone for zone in zone_ids if zone not in targets.index]
    if missing:
        raise InputDataError(f"targets: no row for zone {missing[0]!r}; give targets for every zone id")
    cell_ha = cell_m * cell_m / SQUARE_METRES_PER_HECTARE
    table = _class_hectares(zones, classes, n_zones=n, cell_ha=cell_ha)
    table.index = pd.Index(list(zone_ids), name="zone")
    inside = zones >= 0
    for kind in ("residents", "jobs"):
        sums = np.bincount(zones[inside], weights=getattr(capacity, kind)[inside], minlength=n)
        table[f"{kind}_capacity"] = np.floor(sums + 1e-9 * np.maximum(1.0, sums)).astype(np.int64)
        table[f"{kind}_target"] = targets.loc[list(zone_ids), f"{kind}_target"].astype("int64").to_numpy()
        table[f"{kind}_basis"] = targets.loc[list(zone_ids), f"{kind}_basis"].to_numpy()
        table[f"{kind}_spare"] = table[f"{kind}_capacity"] - table[f"{kind}_target"]
    table["ha_needed"] = _hectares_needed(table)
    table["ha_spare"] = table["buildable_ha"] - table["ha_needed"]
    table["status"] = [_status(row) for row in table.itertuples()]
    short = [f"{zone} ({status})" for zone, status in table["status"].items() if status != "fits"]
    city = table.select_dtypes("number").sum(min_count=1).to_dict()
    city.update(residents_basis="sum of the zones", jobs_basis="sum of the zones",
                status="zones short: " + ", ".join(short) if short else "fits")
    table = pd.concat([table, pd.DataFrame([city], index=pd.Index(["city"], name="zone"))])
    for column in ("residents_capacity", "jobs_capacity", "residents_target", "jobs_target",
                   "residents_spare", "jobs_spare"):
        table[column] = table[column].astype("int64")
    return table[list(CAPACITY_COLUMNS)]


def _hectares_needed(table: pd.DataFrame) -> np.ndarray:
    # Land needed for both targets at the zone's capacity per buildable hectare; undefined without capacity.
    ratios = []
    for kind in ("residents", "jobs"):
        target = table[f"{kind}_target"].to_numpy(np.float64)
        capacity = table[f"{kind}_capacity"].to_numpy(np.float64)
        ratio = np.divide(target, capacity, out=np.full(target.shape, np.nan), where=capacity > 0)
        ratios.append(np.where(target == 0, 0.0, ratio))
    return table["buildable_ha"].to_numpy() * np.maximum(*ratios)


def _status(row: object) -> str:
    short = [f"short of {-getattr(row, f'{kind}_spare'):,} {kind}" for kind in ("residents", "jobs")
             if getattr(row, f"{kind}_spare") < 0]
    return "; ".join(short) if short else "fits"


def whole_capacity(capacity: np.ndarray, zones: np.ndarray, *, n_zones: int) -> np.ndarray:
    """Capacity in whole persons per cell, each zone keeping the floor of its total.

    On fine grids a cell holds a fraction of a resident; rounding every cell
    down would lose the zone's capacity. Each cell gets ``floor`` or ``ceil``
    of its capacity (largest remainder within its zone), so no cell gains a
    whole person and every zone keeps ``floor(sum)``.

    Examples
    --------
    >>> whole_capacity(np.array([[0.5, 0.5, 0.5, 0.5]]), np.array([[0, 0, 0, 0]]), n_zones=1).tolist()
    [[1, 1, 0, 0]]
    """
    return whole_per_zone(capacity, zones, n_zones=n_zones)
