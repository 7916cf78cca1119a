"""The gazetteer: named places, transport corridors, outlines and river name points.

All four are small editable CSV tables (UTF-8, one header row) shipped in
``alatau_geo/data``; a plan may point to the user's own copies. Positions
are WGS84 ``lon``, ``lat`` columns. ``position_quality`` says how far a
position can be trusted: ``geonames`` (GeoNames gazetteer), ``published``
(another named published data set, e.g. ``airportsdata``), ``surveyed``,
``openstreetmap``, or ``approximate`` (placed by hand, to be replaced).
Every place and corridor row names its ``source``.

Names are the current official ones in English, Kazakh and Russian; a
place's ``former_names`` (``;``-separated, any language) keep the names a
reader may still search for (Kapshagay for Konaev, Pokrovka for Kenen
Azirbayev). ``in_alatau`` says whether a source puts the place inside the
city of Alatau (``yes``/``no``; empty where no reachable source says).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Polygon

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS, area_ha
from alatau_geo.core.errors import TableError
from alatau_geo.core.extent import StudyArea
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.core.text_input import MAX_TABLE_BYTES, read_user_text
from alatau_geo.reference.terrain import sample

POSITION_QUALITIES = ("geonames", "published", "surveyed", "openstreetmap", "approximate")
PLACE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "lon", "lat", "position_quality", "source",
                 "former_names", "in_alatau", "note")
CORRIDOR_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "ref", "status", "seq", "lon", "lat",
                    "position_quality", "source", "note")
OUTLINE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "seq", "lon", "lat", "position_quality", "source",
                   "note")
RIVER_NAME_COLUMNS = ("river_id", "name_en", "name_kk", "name_ru", "seq", "lon", "lat", "position_quality",
                      "published_length_km", "published_catchment_km2", "lower_reach", "attribute_source", "note")
CORRIDOR_KINDS = ("highway", "railway")
CORRIDOR_STATUSES = ("existing", "under_construction", "planned")
IN_ALATAU = ("yes", "no", "")
LOWER_REACHES = ("perennial", "intermittent")


@dataclass(frozen=True)
class Tables:
    """The editable tables a build reads, each with a note of where it came from."""

    places: pd.DataFrame
    corridors: pd.DataFrame
    river_names: pd.DataFrame
    outlines: pd.DataFrame
    sources: Mapping[str, str]


def packaged_table(name: str) -> Path:
    """Path of a table shipped with the package (``places.csv`` ...)."""
    return Path(str(resources.files("alatau_geo").joinpath("data", name)))


def read_csv_text(path: Path, *, what: str, allow_no_rows: bool = False) -> pd.DataFrame:
    """An editable CSV table as text columns, after :func:`~alatau_geo.core.text_input.read_user_text` checks.

    Parameters
    ----------
    path : Path
    what : str
        What the table is, for messages (``"table"``, ``"projects catalogue"``).
    allow_no_rows : bool, default False
        Accept a header without rows (a catalogue may list nothing).

    Raises
    ------
    TableError
        One line naming the file: a folder, missing, too large, not UTF-8, a
        control character, malformed CSV, or a header without rows.
    """
    text = read_user_text(path, what=what, max_bytes=MAX_TABLE_BYTES, error=TableError)
    if not text.strip():
        raise TableError(f"{path}: the {what} is empty; it needs a header row and at least one row")
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise TableError(f"{path}: cannot read {what} ({str(error).splitlines()[0]})") from None
    if table.empty and not allow_no_rows:
        raise TableError(f"{path}: the {what} has a header but no rows; add at least one row")
    return table


def read_table(path: Path, *, columns: Sequence[str], key: str, unique: bool = False,
               study_area: StudyArea | None = None, what: str = "table") -> pd.DataFrame:
    """Read and check an editable CSV table.

    Checks that the file is a sane UTF-8 text (see
    :func:`~alatau_geo.core.text_input.read_user_text`) with at least one row,
    that the required columns exist, that ``lon``/``lat`` are numbers in
    range, that ``position_quality`` is known and that `key` is filled in
    (and, with `unique`, given once).

    Parameters
    ----------
    path : Path
    columns : sequence of str
        Required columns.
    key : str
        The column naming each row in messages.
    unique : bool, default False
        Whether each `key` may appear once only.
    study_area : StudyArea, optional
        When given, a position more than
        :data:`~alatau_geo.core.extent.NEAR_MARGIN_DEG` degrees outside it is refused.
    what : str, default "table"
        What the table is, for messages (``"places table"``).

    Raises
    ------
    TableError
        One line naming the file, the row (line number and key) and the problem.
    """
    path = Path(path)
    table = read_csv_text(path, what=what)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table[list(columns)].copy()
    for column in ("lon", "lat"):
        table[column] = pd.to_numeric(table[column].str.strip(), errors="coerce")
    first_line: dict[str, int] = {}
    for number, row in enumerate(table.itertuples(index=False), start=2):
        where = f"{path}: line {number} ({key}={getattr(row, key) or '?'})"
        if not getattr(row, key).strip():
            raise TableError(f"{where}: empty '{key}'")
        if unique and getattr(row, key) in first_line:
            raise TableError(f"{where}: duplicate {key} {getattr(row, key)!r} (first on line "
                             f"{first_line[getattr(row, key)]})")
        first_line.setdefault(getattr(row, key), number)
        if not (np.isfinite(row.lon) and -180 <= row.lon <= 180):
            raise TableError(f"{where}: 'lon' must be a longitude in degrees")
        if not (np.isfinite(row.lat) and -90 <= row.lat <= 90):
            raise TableError(f"{where}: 'lat' must be a latitude in degrees")
        if row.position_quality not in POSITION_QUALITIES:
            raise TableError(
                f"{where}: position_quality {row.position_quality!r} is not one of {', '.join(POSITION_QUALITIES)}"
            )
        if not row.name_en.strip():
            raise TableError(f"{where}: empty 'name_en'")
        _check_codes(row, where)
        if study_area is not None and not study_area.near(row.lon, row.lat):
            raise TableError(f"{where}: position ({row.lon:g}, {row.lat:g}) lies far outside the study area "
                             f"{study_area.bounds}; check lon and lat (x = longitude, y = latitude, degrees)")
    return table


_CODED_COLUMNS = {"status": CORRIDOR_STATUSES, "in_alatau": IN_ALATAU, "lower_reach": LOWER_REACHES}


def _check_codes(row: tuple, where: str) -> None:
    for column, allowed in _CODED_COLUMNS.items():
        value = getattr(row, column, None)
        if value is not None and value not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise TableError(f"{where}: {column} {value!r} is not one of {shown}")
    for column in ("published_length_km", "published_catchment_km2"):
        value = getattr(row, column, "")
        if value and not (pd.notna(pd.to_numeric(value, errors="coerce")) and float(value) > 0):
            raise TableError(f"{where}: '{column}' must be a positive number or empty, got {value!r}")


def aliases(former_names: str) -> list[str]:
    """The ``;``-separated former names of a table cell as a list.

    Examples
    --------
    >>> aliases("Kapshagay; Қапшағай; ")
    ['Kapshagay', 'Қапшағай']
    """
    return [name.strip() for name in former_names.split(";") if name.strip()]


def places_layer(table: pd.DataFrame, *, source: str, elevation: Raster | None = None) -> Layer:
    """The ``places`` layer from a checked places table.

    Parameters
    ----------
    table : DataFrame
        As returned by :func:`read_table` with :data:`PLACE_COLUMNS`.
    source : str
        Where the table came from, for the provenance.
    elevation : Raster, optional
        Working-grid DEM; when given, ``elevation_m`` is sampled from it
        (bilinear, rounded to 1 m).
    """
    duplicated = table["id"][table["id"].duplicated()]
    if not duplicated.empty:
        raise TableError(f"{source}: duplicate place id {duplicated.iloc[0]!r}")
    frame = gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=EXPORT_CRS,
    ).to_crs(WORKING_CRS)
    if elevation is not None:
        values = sample(elevation, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
        frame["elevation_m"] = pd.array(np.round(values), dtype="Int64")
    quality = "approximate" if (table["position_quality"] == "approximate").any() else "published"
    return Layer(
        name="places",
        title="Named places",
        frame=frame.sort_values("id").reset_index(drop=True),
        provenance=Provenance(
            source=source + (" ; elevation: NASA SRTM3 (public domain)" if elevation is not None else ""),
            method="positions from the table (see position_quality per place); "
            "elevation bilinearly sampled from the void-filled SRTM3 DEM on the UTM 43N grid",
            parameters={},
            quality=quality,
        ),
    )


def corridors_layer(table: pd.DataFrame, *, source: str) -> Layer:
    """The ``corridors`` layer: one schematic line per corridor from ordered waypoints.

    Each line keeps its ``status`` (existing, under_construction, planned),
    the ``source`` of its waypoints and its ``position_quality``
    (``approximate`` when any waypoint is).

    Raises
    ------
    TableError
        If a corridor has fewer than two waypoints, an unknown kind, a bad
        or repeated ``seq``, or rows whose names or status disagree.
    """
    rows = []
    for corridor_id, points in table.groupby("id", sort=True):
        where = f"{source}: corridor {corridor_id}"
        points = _ordered(points, where=where, minimum=2)
        kinds = set(points["kind"])
        if len(kinds) != 1 or not kinds <= set(CORRIDOR_KINDS):
            raise TableError(f"{where}: kind must be one of {', '.join(CORRIDOR_KINDS)} on every row")
        if points["status"].nunique() != 1:
            raise TableError(f"{where}: 'status' must be the same on every row")
        first = points.iloc[0]
        rows.append({
            "id": corridor_id,
            "name_en": first["name_en"],
            "name_kk": first["name_kk"],
            "name_ru": first["name_ru"],
            "kind": first["kind"],
            "ref": first["ref"] or None,
            "status": first["status"],
            "schematic": bool((points["position_quality"] == "approximate").any()),
            "position_quality": _worst_quality(points["position_quality"]),
            "waypoints": len(points),
            "source": "; ".join(dict.fromkeys(s for s in points["source"] if s)),
            "geometry": LineString(points[["lon", "lat"]].to_numpy()),
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=EXPORT_CRS).to_crs(WORKING_CRS)
    frame["length_km"] = (frame.geometry.length / 1000.0).round(3)
    return Layer(
        name="corridors",
        title="Transport corridors (schematic)",
        frame=frame,
        provenance=Provenance(
            source=source,
            method="straight lines through ordered waypoints; schematic where any waypoint is approximate; "
            "status and source per corridor as in the table",
            parameters={},
            quality="approximate" if frame["schematic"].any() else "published",
        ),
    )


def outlines_layer(table: pd.DataFrame, *, source: str) -> Layer:
    """The ``outlines`` layer: one polygon per outline from ordered vertices.

    Outlines are drawn extents that no construction rule can derive (the
    territory of Almaty); a plan zone refers to them as ``outlines:<id>``.

    Raises
    ------
    TableError
        If an outline has fewer than three vertices, a bad or repeated
        ``seq``, or does not form a valid polygon.
    """
    rows = []
    for outline_id, points in table.groupby("id", sort=True):
        where = f"{source}: outline {outline_id}"
        points = _ordered(points, where=where, minimum=3)
        polygon = Polygon(points[["lon", "lat"]].to_numpy())
        if not polygon.is_valid:
            raise TableError(f"{where}: the vertices cross each other; list them in order around the outline")
        first = points.iloc[0]
        rows.append({
            "id": outline_id, "name_en": first["name_en"], "name_kk": first["name_kk"], "name_ru": first["name_ru"],
            "kind": first["kind"], "position_quality": _worst_quality(points["position_quality"]),
            "vertices": len(points), "source": "; ".join(dict.fromkeys(s for s in points["source"] if s)),
            "geometry": polygon,
        })
    frame = gpd.GeoDataFrame(rows, columns=[*OUTLINE_COLUMNS[:5], "position_quality", "vertices", "source",
                                            "geometry"], geometry="geometry", crs=EXPORT_CRS).to_crs(WORKING_CRS)
    frame["area_ha"] = (area_ha(frame)).round(1) if len(frame) else pd.Series(dtype=float)
    return Layer(
        name="outlines",
        title="Drawn outlines (approximate extents)",
        frame=frame,
        provenance=Provenance(
            source=source,
            method="polygons through ordered vertices (WGS84), area in the equal-area CRS",
            parameters={},
            quality=_worst_quality(frame["position_quality"]) if len(frame) else "approximate",
        ),
    )


def _ordered(points: pd.DataFrame, *, where: str, minimum: int) -> pd.DataFrame:
    seq = pd.to_numeric(points["seq"], errors="coerce")
    bad = seq.isna() | seq.duplicated()
    if bad.any():
        # read_table keeps the row positions: line = position + 2 (after the header).
        raise TableError(f"{where}: line {int(bad.idxmax()) + 2}: 'seq' must be distinct whole numbers, got "
                         f"{points['seq'][bad.idxmax()]!r}")
    if len(points) < minimum:
        raise TableError(f"{where}: needs at least {'two' if minimum == 2 else minimum} "
                         f"{'waypoints' if minimum == 2 else 'vertices'}, has {len(points)}")
    return points.assign(seq=seq).sort_values("seq")


def _worst_quality(qualities: pd.Series) -> str:
    """``approximate`` when any position is; otherwise the qualities found, comma-separated."""
    found = sorted(set(qualities))
    return "approximate" if "approximate" in found else ", ".join(found)


class TableSources(Protocol):
    """Where a plan's gazetteer tables are: a path each, or None for the shipped table."""

    @property
    def places(self) -> Path | None: ...  # noqa: D102

    @property
    def corridors(self) -> Path | None: ...  # noqa: D102

    @property
    def river_names(self) -> Path | None: ...  # noqa: D102

    @property
    def outlines(self) -> Path | None: ...  # noqa: D102


def load_tables(given: TableSources, *, study_area: StudyArea | None = None) -> Tables:
    """Read the places, corridor, outline and river-name tables (a plan's ``tables``; the shipped ones where None).

    With `study_area`, a position far outside it is refused naming its table row (see :func:`read_table`).
    """
    paths = {
        "places": given.places or packaged_table("places.csv"),
        "corridors": given.corridors or packaged_table("corridors.csv"),
        "river_names": given.river_names or packaged_table("river_names.csv"),
        "outlines": given.outlines or packaged_table("outlines.csv"),
    }
    sources = {
        name: (str(path) if getattr(given, name) else f"alatau_geo/data/{path.name} (shipped table)")
        for name, path in paths.items()
    }
    return Tables(
        places=read_table(paths["places"], columns=PLACE_COLUMNS, key="id", unique=True, study_area=study_area,
                          what="places table"),
        corridors=read_table(paths["corridors"], columns=CORRIDOR_COLUMNS, key="id", study_area=study_area,
                             what="corridors table"),
        river_names=read_table(paths["river_names"], columns=RIVER_NAME_COLUMNS, key="river_id",
                               study_area=study_area, what="river names table"),
        outlines=read_table(paths["outlines"], columns=OUTLINE_COLUMNS, key="id", study_area=study_area,
                            what="outlines table"),
        sources=sources,
    )
