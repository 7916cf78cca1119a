"""Where the demand is: the plan's residents and jobs on the 100 m grid, summed into demand blocks.

:func:`allocate_people` runs the population analysis
(:func:`~alatau_geo.analysis.population.plan_population`) on the built
layers: the zone of every 100 m cell from the districts and the city
boundary, the buildable cells as suitability class 3 (slope at most the
plan's limit, outside the reservoir and the water protection zones; the
rest class 0), today's residents of the ``population.current`` places and
the investment projects' jobs as seeds.

The seam: this is the population step a build will run once the population
and suitability analyses are wired into it; siting only needs the grids of
residents and jobs per phase year (:class:`PeopleGrid`), so a build's own
allocation can replace :func:`allocate_people` without touching the rest.

:func:`demand_blocks` sums the cells into square blocks of ``block`` x
``block`` cells, split by zone, so every demand block lies in one district
and the district totals stay exact: one demand point per block and zone,
at the centre of its people (cells weighted by residents plus jobs).
:func:`block_areas` gives each block its polygon (the square cut to its
zone), from which catchments are drawn.

All in the working CRS (UTM 43N, metres); grids are numpy arrays with an
affine transform, rows from north to south.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine

from alatau_geo.analysis import population_grid
from alatau_geo.analysis.capacity import classes_from_buildable
from alatau_geo.analysis.job_figures import project_jobs
from alatau_geo.analysis.population import plan_population
from alatau_geo.analysis.population_params import PopulationParams
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import sample

CELL_M = 100.0
"""Cell of the population grid, metres."""
BLOCKED_LAYERS = ("reservoir", "water_protection_zone")
"""Layers whose land holds nobody (by cell centre)."""
BLOCK_COLUMNS = ("id", "district", "phase", "residents", "jobs", "block_row", "block_col", "geometry")


@dataclass(frozen=True)
class PeopleGrid:
    """Residents and jobs of the plan on one grid, per phase year.

    Attributes
    ----------
    transform : Affine
        North-up, cells of `cell_m` aligned to whole multiples (UTM 43N).
    shape : (int, int)
        Rows, columns.
    zones : numpy.ndarray of int32
        Index into `zone_ids` of every cell, -1 outside the city.
    zone_ids : tuple of str
        District ids, then ``city_rest`` (city land outside them).
    cell_m : float
        Cell size, metres.
    residents, jobs : Mapping[int, numpy.ndarray]
        Whole persons per cell, by phase year (cumulative).
    summary : DataFrame
        Per zone and year: residents, jobs, hectares, densities, shortfall
        (:func:`~alatau_geo.analysis.population.phase_summary`).
    """

    transform: Affine
    shape: tuple[int, int]
    zones: np.ndarray
    zone_ids: tuple[str, ...]
    cell_m: float
    residents: Mapping[int, np.ndarray]
    jobs: Mapping[int, np.ndarray]
    summary: pd.DataFrame

    @property
    def years(self) -> tuple[int, ...]:
        """Phase years, ascending; the last is the target year."""
        return tuple(sorted(self.residents))

    def year(self, year: int | None) -> int:
        """`year` checked against the phase years; None gives the target year.

        Raises
        ------
        PlanError
            If `year` is not a phase year.
        """
        if year is None:
            return self.years[-1]
        if year not in self.residents:
            raise PlanError(f"phase {year} is not a phase year of 'population.phases' "
                            f"({', '.join(map(str, self.years))}); give one of them")
        return int(year)


def allocate_people(layers: LayerSet, params: PopulationParams, *, slope: Raster, max_slope_deg: float,
                    pad_cells: int = 10) -> PeopleGrid:
    """The plan's residents and jobs per phase year on the city's 100 m grid.

    Parameters
    ----------
    layers : LayerSet
        Built layers: ``districts``, ``city_boundary``, ``places``; and
        ``reservoir``, ``water_protection_zone``, ``projects`` where present.
    params : PopulationParams
        The ``[population]`` parameters (targets, densities, phases, seeds).
    slope : Raster
        Slope in degrees on the working grid.
    max_slope_deg : float
        Steeper cells are not buildable (``analysis.max_buildable_slope_deg``).
    pad_cells : int
        The grid's rows and columns are padded to a multiple of this, so
        blocks of that many cells (or a divisor) hold every city cell.

    Returns
    -------
    PeopleGrid

    Raises
    ------
    LayerError
        If the zones are not built.
    PlanError
        If a place of ``population.current`` is not in the ``places`` layer.
    """
    for name in ("districts", "city_boundary", "places"):
        if name not in layers:
            raise LayerError(f"no {name!r} layer: run alatau-geo build before siting")
    city = layers["city_boundary"].frame
    transform, (rows, cols) = population_grid.grid_over(tuple(city.total_bounds), cell_m=CELL_M)
    shape = (-(-rows // pad_cells) * pad_cells, -(-cols // pad_cells) * pad_cells)
    zones, zone_ids = population_grid.zone_grid(layers["districts"].frame, transform=transform, shape=shape,
                                                city=city)
    classes = classes_from_buildable(_buildable(layers, slope, zones, transform, max_slope_deg=max_slope_deg))
    result = plan_population(zones, classes, cell_m=CELL_M, zone_ids=zone_ids, params=params,
                             resident_seeds=_settlement_seeds(layers, params, zones, transform),
                             job_seeds=_project_seeds(layers, params, zones, transform))
    return PeopleGrid(transform=transform, shape=shape, zones=zones, zone_ids=zone_ids, cell_m=CELL_M,
                      residents={year: a.grid for year, a in result.residents.items()},
                      jobs={year: a.grid for year, a in result.jobs.items()}, summary=result.summary)


def _buildable(layers: LayerSet, slope: Raster, zones: np.ndarray, transform: Affine, *,
               max_slope_deg: float) -> np.ndarray:
    """City cells whose centre is gentle enough and outside the reservoir and water protection zones."""
    rows, cols = np.indices(zones.shape)
    xs = transform.c + (cols + 0.5) * transform.a
    ys = transform.f + (rows + 0.5) * transform.e
    steepness = sample(slope, xs.ravel(), ys.ravel()).reshape(zones.shape)
    blocked = [g for name in BLOCKED_LAYERS if name in layers for g in layers[name].frame.geometry
               if g is not None and not g.is_empty]
    wet = rasterio.features.geometry_mask(blocked, out_shape=zones.shape, transform=transform, invert=True) \
        if blocked else np.zeros(zones.shape, dtype=bool)
    return (zones >= 0) & (np.nan_to_num(steepness, nan=90.0) <= max_slope_deg) & ~wet


def _settlement_seeds(layers: LayerSet, params: PopulationParams, zones: np.ndarray,
                      transform: Affine) -> np.ndarray:
    """Today's residents of ``population.current`` spread over discs around their places."""
    if not params.current:
        return np.zeros(zones.shape, dtype=np.int64)
    places = layers["places"].frame
    missing = sorted(set(params.current) - set(places["id"]))
    if missing:
        raise PlanError(f"'population.current.{missing[0]}': no place with this id in the places table; "
                        "fix the id or add the place")
    today = places[places["id"].isin(list(params.current))].copy()
    today["residents"] = today["id"].map({place: value for place, (value, _) in params.current.items()})
    discs = population_grid.settlement_discs(today, "residents", per_ha=params.seed_residents_per_ha)
    return population_grid.seeds_from_polygons(discs, "residents", zones=zones, transform=transform)


def _project_seeds(layers: LayerSet, params: PopulationParams, zones: np.ndarray, transform: Affine) -> np.ndarray:
    """The investment projects' jobs (published, else the portfolio average) spread around their points."""
    if "projects" not in layers or layers["projects"].frame.empty:
        return np.zeros(zones.shape, dtype=np.int64)
    projects = project_jobs(layers["projects"].frame, params=params)
    projects = projects.set_geometry(projects.geometry.representative_point())
    discs = population_grid.settlement_discs(projects, "jobs", per_ha=params.seed_jobs_per_ha)
    return population_grid.seeds_from_polygons(discs, "jobs", zones=zones, transform=transform)


def demand_blocks(people: PeopleGrid, *, block: int, year: int | None = None) -> gpd.GeoDataFrame:
    """Residents and jobs summed into blocks of `block` x `block` cells, one point per block and zone.

    Parameters
    ----------
    people : PeopleGrid
    block : int
        Cells per block side (15: 1.5 km blocks on the 100 m grid).
    year : int, optional
        Phase year; default the target year.

    Returns
    -------
    GeoDataFrame
        One row per block and zone holding anyone, sorted by block then
        zone: ``id`` (``r<row>c<col>_<zone>`` on the block grid),
        ``district`` (the zone id), ``phase``, ``residents``, ``jobs``
        (whole persons), ``block_row``, ``block_col``; points at the centre
        of the block's people (cells weighted by residents plus jobs),
        working CRS.

    Raises
    ------
    PlanError
        If `year` is not a phase year.

    Examples
    --------
    >>> zones = np.array([[0, 0, 1, 1], [0, 0, 1, -1]])
    >>> grid = PeopleGrid(Affine(100.0, 0, 0, 0, -100.0, 200.0), (2, 4), zones, ("gate", "golden"), 100.0,
    ...                   {2050: np.array([[10, 0, 5, 5], [0, 10, 0, 0]])}, {2050: np.zeros((2, 4), int)},
    ...                   pd.DataFrame())
    >>> blocks = demand_blocks(grid, block=2)
    >>> blocks[["id", "district", "residents"]].values.tolist()
    [['r0c0_gate', 'gate', 20], ['r0c1_golden', 'golden', 10]]
    >>> blocks.geometry.iloc[0].coords[0]  # between the two cells of ten residents
    (100.0, 100.0)
    """
    year = people.year(year)
    if block < 1:
        raise ValueError(f"block must be at least 1 cell, got {block}")
    residents, jobs = np.asarray(people.residents[year]), np.asarray(people.jobs[year])
    held = np.flatnonzero(((residents > 0) | (jobs > 0)).ravel() & (people.zones.ravel() >= 0))
    rows, cols = np.divmod(held, people.shape[1])
    zone = people.zones.ravel()[held]
    keys = np.stack([rows // block, cols // block, zone], axis=1)
    unique, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    r, j = residents.ravel()[held].astype(float), jobs.ravel()[held].astype(float)
    weight = r + j
    xs = people.transform.c + (cols + 0.5) * people.transform.a
    ys = people.transform.f + (rows + 0.5) * people.transform.e
    total = np.bincount(group, weights=weight, minlength=len(unique))
    centre_x = np.bincount(group, weights=weight * xs, minlength=len(unique)) / total
    centre_y = np.bincount(group, weights=weight * ys, minlength=len(unique)) / total
    names = np.array(people.zone_ids, dtype=object)[unique[:, 2]]
    frame = pd.DataFrame({
        "id": [f"r{a}c{b}_{z}" for a, b, z in zip(unique[:, 0], unique[:, 1], names, strict=True)],
        "district": names, "phase": year,
        "residents": np.rint(np.bincount(group, weights=r, minlength=len(unique))).astype(np.int64),
        "jobs": np.rint(np.bincount(group, weights=j, minlength=len(unique))).astype(np.int64),
        "block_row": unique[:, 0], "block_col": unique[:, 1],
    })
    return gpd.GeoDataFrame(frame, geometry=shapely.points(centre_x, centre_y), crs=WORKING_CRS)


def zone_areas(layers: LayerSet, zone_ids: tuple[str, ...]) -> dict[str, shapely.Geometry]:
    """The polygon of every zone: each district, and the city outside them for ``city_rest``."""
    districts = layers["districts"].frame
    areas = {str(key): shapely.union_all(group.geometry.to_numpy()) for key, group in districts.groupby("id")}
    if population_grid.REST_OF_CITY in zone_ids:
        city = shapely.union_all(layers["city_boundary"].frame.geometry.to_numpy())
        areas[population_grid.REST_OF_CITY] = shapely.difference(city, shapely.union_all(list(areas.values())))
    return {zone: areas[zone] for zone in zone_ids if zone in areas}


def block_areas(blocks: gpd.GeoDataFrame, people: PeopleGrid, *, block: int,
                areas: Mapping[str, shapely.Geometry]) -> gpd.GeoSeries:
    """The polygon of every demand block: its square cut to its zone (``district``).

    Returns
    -------
    GeoSeries
        Index of `blocks`, working CRS.
    """
    side = people.cell_m * block
    x0 = people.transform.c + blocks["block_col"].to_numpy() * side
    y1 = people.transform.f - blocks["block_row"].to_numpy() * side
    squares = shapely.box(x0, y1 - side, x0 + side, y1)
    zones = np.array([areas.get(str(zone)) for zone in blocks["district"]], dtype=object)
    known = np.array([zone is not None for zone in zones])
    cut = squares.copy()
    cut[known] = shapely.intersection(squares[known], zones[known])
    return gpd.GeoSeries(cut, index=blocks.index, crs=WORKING_CRS)


__all__ = ["BLOCKED_LAYERS", "BLOCK_COLUMNS", "CELL_M", "PeopleGrid", "allocate_people", "block_areas",
           "demand_blocks", "zone_areas"]
