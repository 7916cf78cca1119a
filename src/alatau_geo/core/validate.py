"""Checks a user's vector layer before it is used: ``alatau-geo validate FILE``.

Each problem found is a :class:`Problem` whose ``str`` is one line,
``FILE: feature 3 (id=pk-2): invalid geometry (Self-intersection at 76.95 43.41)``,
or ``FILE: layer: ...`` for a problem of the whole file. Features are
numbered from 1 in file order. Nothing here prints; the CLI prints the lines.

Checks, in the order problems are listed
----------------------------------------
Whole file: unreadable or unknown file type (then nothing else is checked),
no CRS, a CRS that is neither WGS84 geographic nor projected, a CRS that
cannot be converted to WGS84, a missing required attribute column.

Each feature: missing or empty geometry, invalid geometry
(:func:`shapely.is_valid_reason`), longitude and latitude swapped, position
more than 0.5 degree outside the study area, missing required value,
duplicate id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from pyproj.exceptions import ProjError
from shapely.geometry.base import BaseGeometry

from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.extent import NEAR_MARGIN_DEG, StudyArea
from alatau_geo.core.geojson import format_coordinate
from alatau_geo.core.vector_input import read_vector

#: How far outside the study area a position may lie before it is reported, degrees.
STUDY_AREA_MARGIN_DEG = NEAR_MARGIN_DEG
LAYER = "layer"
_REASON = re.compile(r"^(?P<reason>[^\[]*)\[(?P<x>\S+) (?P<y>\S+)\]$")
# How read_vector names a feature it could not read: "feature 3 (id=pk-2): geometry cannot be built (...)".
_FEATURE = re.compile(r"^(?P<label>feature \d+(?: \(id=[^)]*\))?): (?P<message>.+)$")


@dataclass(frozen=True)
class Problem:
    """One problem of a checked file.

    Parameters
    ----------
    file : str
        The file as the user named it.
    feature : str
        ``"feature 3 (id=pk-2)"`` (numbered from 1 in file order), or
        ``"layer"`` for a problem of the whole file.
    message : str
        What is wrong, one line.
    """

    file: str
    feature: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.feature}: {self.message}"


def validate_layer(
    path: str | Path,
    *,
    study_area: StudyArea,
    required: Sequence[str] = ("id", "name"),
    layer: str | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[Problem]:
    """Check a vector file and list its problems.

    Parameters
    ----------
    path : str or Path
        A ``.geojson``, ``.json``, ``.gpkg`` or ``.shp`` file.
    study_area : StudyArea
        Positions are expected inside its bounds, degrees.
    required : sequence of str, default ("id", "name")
        Attributes every feature must have a value for.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage).
    on_warning : callable, optional
        Receives a line for what was read on a guess (a Shapefile's text
        encoding); default: logged as a warning.

    Returns
    -------
    list of Problem
        Empty if the file is clean. Whole-file problems first, then by feature.
        A file that cannot be read gives exactly one problem.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> problems = ag.validate_layer("substations.gpkg", study_area=ag.load_plan().study_area)  # doctest: +SKIP
    >>> for problem in problems:  # doctest: +SKIP
    ...     print(problem)
    """
    file = str(path)
    options = {} if on_warning is None else {"on_warning": on_warning}
    try:
        frame = read_vector(path, layer=layer, **options)
    except LayerError as error:
        # read_vector names the file first; the Problem names it already.
        message = str(error).removeprefix(f"{Path(path)}: ")
        feature = _FEATURE.match(message)
        if feature:
            return [Problem(file, feature["label"], feature["message"])]
        return [Problem(file, LAYER, message)]
    return validate_frame(frame, file=file, study_area=study_area, required=required)


def validate_frame(
    frame: gpd.GeoDataFrame,
    *,
    file: str,
    study_area: StudyArea,
    required: Sequence[str] = ("id", "name"),
) -> list[Problem]:
    """Check features already in memory; see :func:`validate_layer`.

    Parameters
    ----------
    frame : GeoDataFrame
        Features in file order, in any CRS.
    file : str
        Name used in the problems.
    study_area : StudyArea
    required : sequence of str, default ("id", "name")

    Returns
    -------
    list of Problem
    """
    found: list[tuple[int, Problem]] = []  # (feature position or -1, problem)
    labels = _feature_labels(frame)

    def layer_problem(message: str) -> None:
        found.append((-1, Problem(file, LAYER, message)))

    def feature_problem(position: int, message: str) -> None:
        found.append((position, Problem(file, labels[position], message)))

    lonlat, crs_message = _lonlat(frame)
    if lonlat is not None and crs_message is None:
        crs_message = _degrees_in_metres(frame, study_area)
        lonlat = None if crs_message else lonlat
    if crs_message:
        layer_problem(crs_message)
    broken = set()
    for position, message in _geometry_problems(frame.geometry):
        feature_problem(position, message)
        broken.add(position)
    if lonlat is not None:
        for position, message in _position_problems(lonlat, study_area):
            if position not in broken:  # a NaN or broken geometry is reported once, above
                feature_problem(position, message)
    for column in required:
        if column not in frame.columns:
            layer_problem(f"missing required attribute '{column}'")
            continue
        for position in np.flatnonzero(_missing(frame[column])):
            feature_problem(int(position), f"missing value for required attribute '{column}'")
    if "id" in frame.columns:
        for position, message in _duplicate_ids(frame["id"]):
            feature_problem(position, message)
    # Stable sort: within one feature, problems keep the order of the checks.
    return [problem for _, problem in sorted(found, key=lambda item: item[0])]


def _feature_labels(frame: gpd.GeoDataFrame) -> list[str]:
    ids = frame["id"].tolist() if "id" in frame.columns else [None] * len(frame)
    return [
        f"feature {number}" if _is_missing(value) else f"feature {number} (id={value})"
        for number, value in enumerate(ids, start=1)
    ]


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays are values, not missing
        return False


def _missing(column: pd.Series) -> np.ndarray:
    return np.array([_is_missing(value) for value in column.tolist()], dtype=bool)


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    if epsg:
        return f"EPSG:{epsg} ({crs.name})"
    return crs.srs if crs.name == "unknown" else crs.name


def _is_wgs84(crs: CRS) -> bool:
    if crs.equals(EXPORT_CRS, ignore_axis_order=True):
        return True
    # Also WGS84 in 3D or in another datum realisation of the ensemble.
    datum = crs.datum.name if crs.datum is not None else ""
    return crs.is_geographic and datum.startswith("World Geodetic System 1984")


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoSeries | None, str | None]:
    """The geometries in WGS84 degrees for the position checks, and a CRS problem."""
    if frame.crs is None:
        return None, "no coordinate reference system; set one (e.g. EPSG:4326 for longitude, latitude)"
    crs = CRS.from_user_input(frame.crs)
    message = None
    if crs.is_geographic and not _is_wgs84(crs):
        message = f"CRS {_crs_name(crs)} is geographic but not WGS84; reproject it to EPSG:4326"
    elif not crs.is_geographic and not crs.is_projected:
        return None, f"CRS {_crs_name(crs)} is neither WGS84 longitude, latitude nor projected"
    if _is_wgs84(crs):
        return frame.geometry, message
    try:
        lonlat = frame.geometry.to_crs(EXPORT_CRS)
    except (ProjCRSError, ProjError) as error:
        return None, f"cannot convert CRS {_crs_name(crs)} to WGS84 ({error})"
    return lonlat, message


def _degrees_in_metres(frame: gpd.GeoDataFrame, study_area: StudyArea) -> str | None:
    """A projected CRS on coordinates that are plainly longitude, latitude near the study area."""
    crs = CRS.from_user_input(frame.crs)
    if not crs.is_projected:
        return None
    coords = shapely.get_coordinates(frame.geometry.dropna().to_numpy())
    coords = coords[np.isfinite(coords).all(axis=1)]
    if coords.size == 0 or not all(study_area.near(x, y) for x, y in coords):
        return None
    return (f"coordinates are longitude, latitude in degrees, but the CRS says {_crs_name(crs)}, in metres; set the "
            "CRS to EPSG:4326")


def _geometry_problems(geometries: gpd.GeoSeries) -> list[tuple[int, str]]:
    problems = []
    for position, geometry in enumerate(geometries):
        if geometry is None:
            problems.append((position, "missing geometry"))
        elif geometry.is_empty:
            problems.append((position, "empty geometry"))
        elif not np.isfinite(shapely.get_coordinates(geometry)).all():
            problems.append((position, "a coordinate is not a number (NaN or infinite)"))
        elif not geometry.is_valid:
            problems.append((position, f"invalid geometry ({_reason(geometry)})"))
    return problems


def _reason(geometry: BaseGeometry) -> str:
    """GEOS's ``Self-intersection[x y]`` as ``Self-intersection at x y``."""
    reason = shapely.is_valid_reason(geometry)
    match = _REASON.match(reason)
    if match is None:
        return reason
    try:
        x, y = float(match["x"]), float(match["y"])
    except ValueError:
        return reason
    return f"{match['reason'].strip()} at {format_coordinate(x)} {format_coordinate(y)}"


def _inside(coords: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    west, south, east, north = bounds
    x, y = coords[:, 0], coords[:, 1]
    return (x >= west) & (x <= east) & (y >= south) & (y <= north)


def _position_problems(lonlat: gpd.GeoSeries, study_area: StudyArea) -> list[tuple[int, str]]:
    west, south, east, north = study_area.bounds
    margin = STUDY_AREA_MARGIN_DEG
    near = (west - margin, south - margin, east + margin, north + margin)
    problems = []
    for position, geometry in enumerate(lonlat):
        if geometry is None or geometry.is_empty:
            continue
        coords = shapely.get_coordinates(geometry)
        if not np.isfinite(coords).all():
            # PROJ gives inf for a position outside the domain of the file's CRS.
            problems.append((position, "position cannot be converted to WGS84 from the file's CRS"))
            continue
        inside = _inside(coords, near)
        if inside.all():
            continue
        # A feature whose every position lands in the study area once x and
        # y trade places was written (lat, lon).
        if not inside.any() and _inside(coords[:, ::-1], study_area.bounds).all():
            problems.append((position, "longitude and latitude look swapped"))
            continue
        x, y = coords[np.flatnonzero(~inside)[0]]
        problems.append((position, f"outside the study area ({format_coordinate(x)}, {format_coordinate(y)})"))
    return problems


def _duplicate_ids(ids: pd.Series) -> list[tuple[int, str]]:
    first_seen: dict[Any, int] = {}
    problems = []
    for position, value in enumerate(ids.tolist()):
        if _is_missing(value):
            continue
        key = str(value)  # 7 and "7" are the same id to a reader of the file
        if key in first_seen:
            problems.append((position, f"duplicate id {key} (first used by feature {first_seen[key] + 1})"))
        else:
            first_seen[key] = position
    return problems
