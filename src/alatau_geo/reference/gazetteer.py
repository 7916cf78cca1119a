"""The gazetteer: named places, transport corridors and river name points.

All three are small editable CSV tables (UTF-8, one header row) shipped in
``alatau_geo/data``; a plan may point to the user's own copies. Positions
are WGS84 ``lon``, ``lat`` columns. ``position_quality`` says how far a
position can be trusted: ``geonames`` (GeoNames gazetteer), ``surveyed``,
``openstreetmap``, or ``approximate`` (placed by hand, to be replaced).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import TableError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import sample

POSITION_QUALITIES = ("geonames", "surveyed", "openstreetmap", "approximate")
PLACE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "lon", "lat", "position_quality", "source", "note")
CORRIDOR_COLUMNS = (
    "id", "name_en", "name_kk", "name_ru", "kind", "ref", "seq", "lon", "lat", "position_quality", "note",
)
RIVER_NAME_COLUMNS = ("river_id", "name_en", "name_kk", "name_ru", "seq", "lon", "lat", "position_quality", "note")
CORRIDOR_KINDS = ("highway", "railway")


@dataclass(frozen=True)
class Tables:
    """The editable tables a build reads, each with a note of where it came from."""

    places: pd.DataFrame
    corridors: pd.DataFrame
    river_names: pd.DataFrame
    sources: Mapping[str, str]


def packaged_table(name: str) -> Path:
    """Path of a table shipped with the package (``places.csv`` ...)."""
    return Path(str(resources.files("alatau_geo").joinpath("data", name)))


def read_table(path: Path, *, columns: Sequence[str], key: str) -> pd.DataFrame:
    """Read and check an editable CSV table.

    Checks that the required columns exist, that ``lon``/``lat`` are numbers
    in range, that ``position_quality`` is known and that `key` is filled in.

    Raises
    ------
    TableError
        One line naming the file, the row (with its key) and the problem.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise TableError(f"{path}: table not found") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TableError(f"{path}: cannot read table ({str(error).splitlines()[0]})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table[list(columns)].copy()
    for column in ("lon", "lat"):
        table[column] = pd.to_numeric(table[column].str.strip(), errors="coerce")
    for number, row in enumerate(table.itertuples(index=False), start=2):
        where = f"{path}: line {number} ({key}={getattr(row, key) or '?'})"
        if not getattr(row, key).strip():
            raise TableError(f"{where}: empty '{key}'")
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
    return table


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

    Raises
    ------
    TableError
        If a corridor has fewer than two waypoints, an unknown kind, a bad
        or repeated ``seq``, or rows whose names disagree.
    """
    rows = []
    for corridor_id, points in table.groupby("id", sort=True):
        seq = pd.to_numeric(points["seq"], errors="coerce")
        where = f"{source}: corridor {corridor_id}"
        if seq.isna().any() or seq.duplicated().any():
            raise TableError(f"{where}: 'seq' must be distinct whole numbers")
        if len(points) < 2:
            raise TableError(f"{where}: needs at least two waypoints, has {len(points)}")
        kinds = set(points["kind"])
        if len(kinds) != 1 or not kinds <= set(CORRIDOR_KINDS):
            raise TableError(f"{where}: kind must be one of {', '.join(CORRIDOR_KINDS)} on every row")
        points = points.assign(seq=seq).sort_values("seq")
        first = points.iloc[0]
        rows.append({
            "id": corridor_id,
            "name_en": first["name_en"],
            "name_kk": first["name_kk"],
            "name_ru": first["name_ru"],
            "kind": first["kind"],
            "ref": first["ref"] or None,
            "schematic": bool((points["position_quality"] == "approximate").any()),
            "waypoints": len(points),
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
            method="straight lines through ordered waypoints; schematic where any waypoint is approximate",
            parameters={},
            quality="approximate" if frame["schematic"].any() else "published",
        ),
    )


class TableSources(Protocol):
    """Where a plan's gazetteer tables are: a path each, or None for the shipped table."""

    @property
    def places(self) -> Path | None: ...  # noqa: D102

    @property
    def corridors(self) -> Path | None: ...  # noqa: D102

    @property
    def river_names(self) -> Path | None: ...  # noqa: D102


def load_tables(given: TableSources) -> Tables:
    """Read the places, corridor and river-name tables (a plan's ``tables``; the shipped ones where None)."""
    paths = {
        "places": given.places or packaged_table("places.csv"),
        "corridors": given.corridors or packaged_table("corridors.csv"),
        "river_names": given.river_names or packaged_table("river_names.csv"),
    }
    sources = {
        name: (str(path) if getattr(given, name) else f"alatau_geo/data/{path.name} (shipped table)")
        for name, path in paths.items()
    }
    return Tables(
        places=read_table(paths["places"], columns=PLACE_COLUMNS, key="id"),
        corridors=read_table(paths["corridors"], columns=CORRIDOR_COLUMNS, key="id"),
        river_names=read_table(paths["river_names"], columns=RIVER_NAME_COLUMNS, key="river_id"),
        sources=sources,
    )
