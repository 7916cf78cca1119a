"""Flood hazards from the terrain: height above drainage, floodplains, reservoir shore bands.

All three are computed on the grid of the flow routing
(:func:`alatau_geo.reference.hydrology.route_flow`: D8 over the void-filled WGS84 SRTM
mosaic) and returned as boolean masks or a :class:`~alatau_geo.core.raster.Raster`
on that grid. :func:`alatau_geo.analysis.zonal.code_polygons` turns a mask into
polygons with hectares and :func:`alatau_geo.analysis.zonal.area_by_zone` gives
hectares per district; :func:`hazard_layer` wraps the polygons as a layer with
provenance. Nothing here reads or writes files.

Height above nearest drainage (HAND, Nobre et al. 2016) is the drop from a
cell to the first drainage cell its D8 path meets, taken with pyflwdir's own
routines (see :func:`height_above_drainage`). A floodplain for a water depth *d* is the land with HAND at
most *d* (the HAND-contour approximation of inundation: water standing *d*
metres above the drain floods every cell draining to it that lies lower).

References
----------
Nobre A D et al. (2016) HAND contour: a new proxy predictor of inundation
extent. Hydrological Processes 30, 320-333.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from alatau_geo.analysis.grid import Grid
from alatau_geo.analysis.zonal import code_polygons
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.reference import hydrology, terrain
from alatau_geo.reference.hydrology import FlowModel, NamedRiver

_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)
_NO_DRAIN = -1.0e12  # sentinel for "no drain downstream" (pyflwdir's fillnodata cannot use NaN)


def height_above_drainage(flow: FlowModel, elevation: Raster, *, drains: np.ndarray) -> Raster:
    """Height above nearest drainage (HAND), metres, with pyflwdir.

    HAND is the drop from a cell to the first drain on its D8 path. Summed
    step by step along the path (pyflwdir's ``FlwdirRaster.hand``) the drops
    telescope to ``z(cell) - z(drain)``; this function takes that difference
    with pyflwdir's ``FlwdirRaster.fillnodata(direction="up")``, which hands
    every cell the value of its nearest downstream drain. The result is the
    same (the tests compare both), but ``hand`` is an uncompiled Python loop
    in pyflwdir 0.5 (10-20 s on the four-tile mosaic) where ``fillnodata`` is
    compiled with numba (well under a second).

    Parameters
    ----------
    flow : FlowModel
        D8 flow directions (:func:`alatau_geo.reference.hydrology.route_flow`).
    elevation : Raster
        Elevation in metres on the flow grid, normally the void-filled
        mosaic that was routed. A cell in a closed depression lower than the
        drain it spills to gets a negative HAND (it lies below the drain).
    drains : numpy.ndarray of bool
        Drainage cells on the flow grid: streams (upstream area above the
        plan's threshold), and usually the reservoir as well.

    Returns
    -------
    Raster
        float32 HAND in metres on the flow grid; 0 on drains; NaN where the
        D8 path meets no drain (it leaves the grid or ends in a pit first)
        or the elevation is missing.
    """
    _check_grid(flow, elevation.data, what="elevation")
    _check_grid(flow, drains, what="drains")
    z = elevation.data.astype(np.float64)
    drain_z = np.where(drains & ~np.isnan(z), z, _NO_DRAIN)
    nearest = flow.flwdir.fillnodata(drain_z, _NO_DRAIN, direction="up")
    hand = np.where(nearest == _NO_DRAIN, np.nan, z - nearest).astype(np.float32)
    return Raster(hand, flow.grid.transform, flow.grid.crs)


def drain_cells(flow: FlowModel, *, threshold_km2: float, lakes: np.ndarray) -> np.ndarray:
    """The drainage cells HAND is measured to: streams, and the lakes (the reservoir).

    Parameters
    ----------
    flow : FlowModel
    threshold_km2 : float
        A cell is a stream where its upstream area exceeds this, km2
        (``hydrology.stream_threshold_km2``).
    lakes : numpy.ndarray of bool
        Lake cells on the flow grid, drains whatever their upstream area.

    Returns
    -------
    numpy.ndarray of bool
    """
    return (flow.upstream_area_km2 > threshold_km2) | lakes


@dataclass(frozen=True)
class MosaicDrainage:
    """Flow routing and height above drainage of the SRTM mosaic (:func:`mosaic_drainage`).

    Attributes
    ----------
    filled : Raster
        The void-filled WGS84 mosaic, metres.
    reservoir : numpy.ndarray of bool
        The reservoir's flat surface in the raw mosaic, routed as a lake.
    flow : FlowModel
    rivers : list of NamedRiver
        The named rivers traced on `flow`, stopping at the reservoir.
    drains : numpy.ndarray of bool
        Streams and the reservoir (:func:`drain_cells`).
    hand : Raster
        Height above nearest drainage, metres (:func:`height_above_drainage`).
    """

    filled: Raster
    reservoir: np.ndarray
    flow: FlowModel
    rivers: list[NamedRiver]
    drains: np.ndarray
    hand: Raster


def mosaic_drainage(tiles: Mapping[str, np.ndarray], river_names: pd.DataFrame, plan: Plan) -> MosaicDrainage:
    """Route the SRTM tiles' mosaic, trace the named rivers and measure the height above drainage.

    The reservoir is its flat surface in the raw mosaic
    (:func:`alatau_geo.reference.hydrology.flat_region_mask` at
    ``hydrology.srtm_surface_m``), the lake of the routing and a drain; the
    reference build draws it at its water level instead.

    Parameters
    ----------
    tiles : mapping of str to numpy.ndarray
        SRTM3 tiles by name (:func:`alatau_geo.reference.terrain.read_srtm_tiles`).
    river_names : DataFrame
        The river-name table (``gazetteer.load_tables(plan.tables).river_names``).
    plan : Plan
        Its ``terrain`` (void filling) and ``hydrology`` (reservoir surface,
        stream threshold, name snap radius) sections.

    Returns
    -------
    MosaicDrainage
    """
    hp = plan.hydrology
    raw = terrain.mosaic_srtm(tiles)
    filled, _ = terrain.fill_voids(raw, max_distance_cells=plan.terrain.void_fill_max_distance_cells)
    reservoir = hydrology.flat_region_mask(raw, level_m=hp.srtm_surface_m)
    flow = hydrology.route_flow(filled, lakes=reservoir)
    rivers = hydrology.trace_named_rivers(flow, river_names, threshold_km2=hp.stream_threshold_km2,
                                         snap_radius_m=hp.name_snap_radius_m, stop_mask=reservoir)
    drains = drain_cells(flow, threshold_km2=hp.stream_threshold_km2, lakes=reservoir)
    hand = height_above_drainage(flow, filled, drains=drains)
    return MosaicDrainage(filled=filled, reservoir=reservoir, flow=flow, rivers=rivers, drains=drains, hand=hand)


def draining_to(flow: FlowModel, *, drains: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Cells whose nearest downstream drain lies in `targets`.

    Uses pyflwdir's ``basins`` with every drain cell as an outlet, so a cell
    is labelled by the first drain its D8 path meets.

    Parameters
    ----------
    flow : FlowModel
    drains : numpy.ndarray of bool
        All drainage cells (streams, reservoir).
    targets : numpy.ndarray of bool
        The drains of interest (one named river), a subset of `drains`.

    Returns
    -------
    numpy.ndarray of bool
        True on the target drains and on every cell that first drains into them.
    """
    _check_grid(flow, drains, what="drains")
    _check_grid(flow, targets, what="targets")
    outlets = np.flatnonzero(drains | targets)
    if outlets.size == 0:
        return np.zeros(flow.grid.shape, dtype=bool)
    ids = np.where(targets.ravel()[outlets], 1, 2).astype(np.uint32)
    basins = flow.flwdir.basins(idxs=outlets, ids=ids)
    return np.asarray(basins == 1).reshape(flow.grid.shape)


NO_DRAIN_LABEL = 255
"""Label of a cell whose D8 path meets no drain (:func:`drain_labels`)."""


def river_labels(flow: FlowModel, rivers: Sequence[NamedRiver]) -> tuple[np.ndarray, dict[str, int]]:
    """The traced rivers' cells coded 1..n (by river id, sorted), 0 elsewhere, on the flow grid.

    Where two rivers' paths share a cell (a tributary's last cell on the main
    river), the later id in sorted order keeps it.

    Returns
    -------
    labels : numpy.ndarray of uint8
    codes : dict of str to int
        River id to its code.
    """
    if len(rivers) >= NO_DRAIN_LABEL:
        raise ValueError(f"at most {NO_DRAIN_LABEL - 1} rivers can be coded, got {len(rivers)}")
    codes = {river.river_id: code for code, river in enumerate(sorted(rivers, key=lambda r: r.river_id), start=1)}
    labels = np.zeros(flow.grid.shape, dtype=np.uint8)
    for river in sorted(rivers, key=lambda r: r.river_id):
        labels.flat[river.path_cells] = codes[river.river_id]
    return labels, codes


def drain_labels(flow: FlowModel, *, drains: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of the first drain on every cell's D8 path (uint8).

    Like :func:`draining_to` for every labelled river at once, so that the
    floodplain of any set of rivers is ``numpy.isin(result, codes)`` without
    the flow directions (a build without the tiles keeps this raster). Uses
    pyflwdir's ``fillnodata(direction="up")``, as :func:`height_above_drainage` does.

    Parameters
    ----------
    flow : FlowModel
    drains : numpy.ndarray of bool
        All drainage cells (streams, reservoir).
    labels : numpy.ndarray of uint8
        Code of the named drain on each cell (:func:`river_labels`), 0 on
        other cells; labelled cells count as drains too.

    Returns
    -------
    numpy.ndarray of uint8
        The label of the cell's nearest downstream drain: 0 an unnamed drain
        (a stream, the reservoir), :data:`NO_DRAIN_LABEL` when the path meets
        no drain.
    """
    _check_grid(flow, drains, what="drains")
    _check_grid(flow, labels, what="labels")
    if labels.max(initial=0) >= NO_DRAIN_LABEL:
        raise ValueError(f"labels must lie below {NO_DRAIN_LABEL}")
    seeded = np.where(drains | (labels > 0), labels, NO_DRAIN_LABEL).astype(np.uint8)
    return np.asarray(flow.flwdir.fillnodata(seeded, NO_DRAIN_LABEL, direction="up"), dtype=np.uint8)


def floodplain(hand: Raster, *, depth_m: float, draining: np.ndarray | None = None) -> np.ndarray:
    """Cells flooded by water standing `depth_m` above their nearest drain.

    Parameters
    ----------
    hand : Raster
        Height above nearest drainage (:func:`height_above_drainage`), metres.
    depth_m : float
        Water depth above the drain, metres (greater than 0).
    draining : numpy.ndarray of bool, optional
        Keep only these cells, e.g. :func:`draining_to` one named river.

    Returns
    -------
    numpy.ndarray of bool
        ``HAND <= depth_m`` (NaN HAND never floods), on the HAND grid.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import EXPORT_CRS
    >>> hand = Raster(np.array([[0.0, 1.5, 3.0, np.nan]], dtype=np.float32), Affine.identity(), EXPORT_CRS)
    >>> floodplain(hand, depth_m=2.0).tolist()
    [[True, True, False, False]]
    """
    if not depth_m > 0:
        raise ValueError(f"depth_m must be greater than 0, got {depth_m}")
    with np.errstate(invalid="ignore"):
        flooded = hand.data <= depth_m
    if draining is not None:
        flooded &= draining
    return flooded


def river_cells(flow: FlowModel, rivers: Sequence[NamedRiver], river_ids: Iterable[str]) -> np.ndarray:
    """Flow-grid cells of the named rivers' traced D8 paths.

    Raises
    ------
    PlanError
        If a river id was not traced (the plan names a river that is not in
        the river-name table).
    """
    wanted = list(river_ids)
    by_id = {river.river_id: river for river in rivers}
    missing = [river_id for river_id in wanted if river_id not in by_id]
    if missing:
        raise PlanError(f"'suitability.hazards.flood_rivers' names {', '.join(missing)}, which no traced river "
                        f"is (traced: {', '.join(sorted(by_id))})")
    mask = np.zeros(flow.grid.shape, dtype=bool)
    for river_id in wanted:
        mask.flat[by_id[river_id].path_cells] = True
    return mask


@dataclass(frozen=True)
class ReservoirBands:
    """Land the reservoir covers when it rises to its operating levels.

    Attributes
    ----------
    normal : numpy.ndarray of bool
        Land between the DEM's water surface and the normal operating level.
    maximum : numpy.ndarray of bool
        Land between the normal and the maximum level (not overlapping `normal`).
    normal_level_m, max_level_m : float
        The levels, metres above sea level (SRTM's EGM96 heights).
    """

    normal: np.ndarray
    maximum: np.ndarray
    normal_level_m: float
    max_level_m: float

    @property
    def below_maximum(self) -> np.ndarray:
        """All land flooded at the maximum level (both bands)."""
        return self.normal | self.maximum


def reservoir_inundation(elevation: Raster, reservoir: np.ndarray, *, level_m: float) -> np.ndarray:
    """Cells at or below `level_m` connected (8-neighbour) to the reservoir's surface.

    Land lower than the level but cut off from the reservoir by higher
    ground (a closed depression, a polder) is not flooded by the reservoir
    and is left out. The reservoir's own cells are included.

    Parameters
    ----------
    elevation : Raster
        Elevation in metres, NaN = unknown (never flooded).
    reservoir : numpy.ndarray of bool
        The flat water surface (:func:`alatau_geo.reference.hydrology.flat_region_mask`).
    level_m : float
        Water level, metres.

    Examples
    --------
    >>> from affine import Affine
    >>> from alatau_geo.core.crs import EXPORT_CRS
    >>> z = Raster(np.array([[475, 477, 480, 476]], dtype=np.float32), Affine.identity(), EXPORT_CRS)
    >>> reservoir_inundation(z, np.array([[True, False, False, False]]), level_m=479).tolist()
    [[True, True, False, False]]
    """
    if reservoir.shape != elevation.shape:
        raise ValueError(f"reservoir mask {reservoir.shape} and elevation {elevation.shape} differ in shape")
    with np.errstate(invalid="ignore"):
        low = (elevation.data <= level_m) | reservoir
    labels, _ = ndimage.label(low, structure=_EIGHT_NEIGHBOURS)
    touching = np.unique(labels[reservoir])
    return np.isin(labels, touching[touching > 0])


def reservoir_bands(elevation: Raster, reservoir: np.ndarray, *, normal_level_m: float,
                    max_level_m: float) -> ReservoirBands:
    """Shore bands of the reservoir between its surface, normal and maximum level.

    Parameters
    ----------
    elevation : Raster
        Elevation in metres on the reservoir mask's grid (the mosaic).
    reservoir : numpy.ndarray of bool
    normal_level_m, max_level_m : float
        Normal and maximum operating levels, metres; ``normal <= max``.

    Returns
    -------
    ReservoirBands
    """
    if normal_level_m > max_level_m:
        raise ValueError(f"normal level {normal_level_m} m lies above the maximum level {max_level_m} m")
    normal = reservoir_inundation(elevation, reservoir, level_m=normal_level_m)
    maximum = reservoir_inundation(elevation, reservoir, level_m=max_level_m)
    return ReservoirBands(normal=normal & ~reservoir, maximum=maximum & ~normal,
                          normal_level_m=normal_level_m, max_level_m=max_level_m)


def as_raster(mask: np.ndarray, like: Raster) -> Raster:
    """A mask as a float32 raster on `like`'s grid: 1 inside, 0 outside, NaN where `like` has no data.

    The form constraints resample onto the suitability grid.
    """
    if mask.shape != like.shape:
        raise ValueError(f"mask {mask.shape} and raster {like.shape} differ in shape")
    values = mask.astype(np.float32)
    values[np.isnan(like.data)] = np.nan
    return Raster(values, like.transform, like.crs)


def hazard_layer(mask: np.ndarray, grid: Grid, *, name: str, title: str, provenance: Provenance) -> Layer:
    """A hazard mask as a polygon layer with provenance (working CRS, hectares per polygon).

    Parameters
    ----------
    mask : numpy.ndarray of bool
    grid : Grid
        The mask's grid (e.g. ``Grid.of(flow.grid)``).
    name, title : str
        Layer name (lower case, underscores) and human-readable title.
    provenance : Provenance
        Inputs, method and the plan parameters used, units in the key names
        (``{"depth_m": 2.0}``).

    Returns
    -------
    Layer
        Columns ``id``, ``code``, ``label``, ``area_ha``; one row per 4-connected region.
    """
    return Layer(name, code_polygons(mask, grid, labels={1: name}), provenance, title, disjoint=True)


def _check_grid(flow: FlowModel, array: np.ndarray, *, what: str) -> None:
    if array.shape != flow.grid.shape:
        raise ValueError(f"{what} {array.shape} is not on the flow grid {flow.grid.shape}")
