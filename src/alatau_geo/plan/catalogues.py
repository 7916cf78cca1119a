"""The infrastructure and projects catalogues: reading and checking the CSV tables.

Two catalogues, both UTF-8 CSV tables a user may edit (``data/infrastructure.csv``
and ``data/projects.csv``; a plan's ``[tables]`` may point to other copies):

- the **infrastructure** catalogue holds the 30 priority engineering objects
  (substations, the water intake node, wastewater treatment plants as points;
  gas pipelines and roads as lines). The sources publish the count and the
  kinds only; every name, district and position in the shipped table is a
  planning assumption and its ``basis`` column says so;
- the **projects** catalogue holds every named investment project. Per-project
  investment and jobs stay empty unless a source publishes them.

Both are read and checked by :func:`read_catalogue`; a row's ``rules`` must
name rules of :data:`~alatau_geo.plan.placement_rules.RULES`, its ``via``
tokens stops :mod:`alatau_geo.plan.placement` can resolve. Coordinates are
(lon, lat) in the tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from alatau_geo.core.errors import TableError
from alatau_geo.plan.config import Plan
from alatau_geo.plan.placement_rules import RULES
from alatau_geo.reference.gazetteer import read_csv_text

CatalogueKind = Literal["infrastructure", "projects"]
DISTRICT_IDS = ("gate", "golden", "growing", "green")
INFRASTRUCTURE_KINDS: Mapping[str, str] = MappingProxyType({
    "substation": "point",
    "water_intake": "point",
    "wastewater_plant": "point",
    "gas_pipeline": "line",
    "road": "line",
})
WORKS = ("new", "reconstruction")
PLACEMENTS = ("rule", "given")
GEOMETRY_KINDS = ("point", "line")
INFRASTRUCTURE_STATUSES = ("planned", "design", "construction", "operating")
PROJECT_STATUSES = ("planned", "in_talks", "agreed", "under_way", "operating")
POSITION_QUALITIES = ("approximate", "geonames", "openstreetmap", "surveyed", "published")

INFRASTRUCTURE_COLUMNS = (
    "id", "name_en", "name_kk", "name_ru", "kind", "works", "district", "geometry_kind", "placement", "rules",
    "via", "lon", "lat", "status", "financing", "position_quality", "basis",
)
PROJECT_COLUMNS = (
    "id", "name_en", "name_kk", "name_ru", "company", "district", "sector", "investment_kzt", "jobs", "status",
    "placement", "rules", "via", "lon", "lat", "position_quality", "source", "basis",
)
CATALOGUE_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "infrastructure": INFRASTRUCTURE_COLUMNS,
    "projects": PROJECT_COLUMNS,
})


def cell_text(value: Any) -> str:
    """A table cell as text; missing values (None, NaN, NA) are empty."""
    return value.strip() if isinstance(value, str) else ""


def split_cell(value: Any) -> tuple[str, ...]:
    """The semicolon-separated items of a table cell, stripped; empty items dropped.

    Examples
    --------
    >>> split_cell("in_district; max_slope;")
    ('in_district', 'max_slope')
    """
    return tuple(part.strip() for part in cell_text(value).split(";") if part.strip())


def _via_problem(tokens: tuple[str, ...], *, line: bool) -> str | None:
    """What is wrong with a row's via tokens, or None."""
    for token in tokens:
        prefix, _, name = token.rpartition(":")
        if prefix not in ("", "corridor", "district") or not name:
            return f"via token {token!r}: use a place id, corridor:<id>, district:<id> or reservoir"
        if prefix == "district" and name not in DISTRICT_IDS:
            return f"via token {token!r}: district must be one of {', '.join(DISTRICT_IDS)}"
    if not line:
        return "a point takes at most one via token (its anchor)" if len(tokens) > 1 else None
    if not tokens:
        return "a line needs its stops in 'via' (e.g. konaev;alatau or corridor:a3)"
    if "reservoir" in tokens:
        return "via token 'reservoir' is for points only"
    if len(tokens) == 1 and not tokens[0].startswith("corridor:"):
        return "a line needs two stops, or one corridor:<id>"
    corridors = [t.startswith("corridor:") for t in tokens]
    if any(a and b for a, b in itertools.pairwise(corridors)):
        return "two corridors in a row: put a place or district between them"
    return None


def _text_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """An empty name or basis, or an unknown district."""
    if not row["name_en"]:
        return "empty 'name_en'"
    if not row["basis"]:
        return "empty 'basis': say where the entry comes from, or that it is a planning assumption"
    if row["district"] and row["district"] not in DISTRICT_IDS:
        return f"unknown district {row['district']!r}; use one of {', '.join(DISTRICT_IDS)} or leave it empty"
    return None


def _kind_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """For an infrastructure row: an unknown kind or works, or a kind drawn as the wrong geometry."""
    if kind != "infrastructure":
        return None
    if row["kind"] not in INFRASTRUCTURE_KINDS:
        return f"unknown kind {row['kind']!r}; use one of {', '.join(INFRASTRUCTURE_KINDS)}"
    if row["works"] not in WORKS:
        return f"unknown works {row['works']!r}; use one of {', '.join(WORKS)}"
    drawn_as = INFRASTRUCTURE_KINDS[row["kind"]]
    if row["geometry_kind"] != drawn_as:
        return f"kind {row['kind']} is drawn as a {drawn_as}, not {row['geometry_kind']!r}"
    return None


def _choice_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """A status, placement or position quality that is not one of the allowed values."""
    statuses = INFRASTRUCTURE_STATUSES if kind == "infrastructure" else PROJECT_STATUSES
    for column, allowed in (("status", statuses), ("placement", PLACEMENTS), ("position_quality", POSITION_QUALITIES)):
        if row[column] not in allowed:
            return f"unknown {column} {row[column]!r}; use one of {', '.join(allowed)}"
    return None


def _rules_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """An unknown or repeated rule, or ``in_district`` without a district."""
    rules = split_cell(row["rules"])
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown:
        return f"unknown rule {unknown[0]!r}; use one of {', '.join(RULES)}"
    if len(set(rules)) != len(rules):
        return "a rule is listed twice"
    if "in_district" in rules and not row["district"]:
        return "rule in_district needs a district"
    return None


def _via_row_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """Malformed ``via`` tokens for the row's geometry (see :func:`_via_problem`)."""
    return _via_problem(split_cell(row["via"]), line=row["geometry_kind"] == "line")


def _position_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """A position that does not fit the placement: lon/lat with a rule, none when given, a given line."""
    if row["placement"] == "rule":
        if row["lon"] or row["lat"]:
            return "lon/lat filled in but placement is 'rule'; set placement to 'given' or clear them"
        if row["position_quality"] != "approximate":
            return "a position placed by rule is 'approximate', not " + repr(row["position_quality"])
        return None
    if row["geometry_kind"] == "line":
        return "lines are drawn through their 'via' stops; placement must be 'rule'"
    if not (row["lon"] and row["lat"]):
        return "placement 'given' needs lon and lat"
    return None


#: The checks of one row, in the order their problems are reported.
_ROW_CHECKS = (_text_problem, _kind_problem, _choice_problem, _rules_problem, _via_row_problem, _position_problem)


def _row_problem(row: Mapping[str, Any], *, kind: CatalogueKind) -> str | None:
    """The first problem of one catalogue row, or None."""
    for check in _ROW_CHECKS:
        problem = check(row, kind=kind)
        if problem:
            return problem
    return None


#: Number columns of the catalogues: (lowest, highest, whole numbers only).
_NUMBER_LIMITS: Mapping[str, tuple[float, float, bool]] = MappingProxyType({
    "lon": (-180.0, 180.0, False),
    "lat": (-90.0, 90.0, False),
    "investment_kzt": (0.0, 1e16, True),
    "jobs": (0.0, 1e8, True),
})


def _number(text: str, *, column: str) -> tuple[float | None, str | None]:
    """(value, None), (None, None) for an empty cell, or (None, problem)."""
    if not text:
        return None, None
    low, high, whole = _NUMBER_LIMITS[column]
    try:
        value = float(text)
    except ValueError:
        return None, f"{column} {text!r} is not a number"
    if not (np.isfinite(value) and low <= value <= high):
        return None, f"{column} {text} is out of range ({low:g} to {high:g})"
    if whole and not value.is_integer():
        return None, f"{column} {text} must be a whole number"
    return value, None


def read_catalogue(path: str | Path, *, kind: CatalogueKind) -> pd.DataFrame:
    """Read and check an infrastructure or projects catalogue.

    Parameters
    ----------
    path : str or Path
        UTF-8 CSV with :data:`INFRASTRUCTURE_COLUMNS` or :data:`PROJECT_COLUMNS`.
    kind : {'infrastructure', 'projects'}

    Returns
    -------
    DataFrame
        The catalogue's columns in order, sorted by id; ``lon``, ``lat`` as
        floats (NaN where empty), ``investment_kzt`` and ``jobs`` (projects)
        as nullable integers, other columns as strings (empty where empty).
        Projects get ``geometry_kind = 'point'``. ``attrs`` holds
        ``catalogue`` (the kind) and ``source`` (the path).

    Raises
    ------
    TableError
        One line naming the file, the line, the id and the problem: missing
        column, empty or duplicate id, unknown kind, district, status,
        placement or rule name, a given placement without lon/lat, a bad
        number, malformed ``via``.
    """
    if kind not in CATALOGUE_COLUMNS:
        raise ValueError(f"kind must be one of {', '.join(CATALOGUE_COLUMNS)}, got {kind!r}")
    path = Path(path)
    table = read_csv_text(path, what=f"{kind} catalogue", allow_no_rows=True)
    columns = CATALOGUE_COLUMNS[kind]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table[list(columns)].apply(lambda column: column.str.strip())
    if kind == "projects":
        table["geometry_kind"] = "point"
    numbers = {column: [] for column in _NUMBER_LIMITS if column in table.columns}
    seen: set[str] = set()
    for number, row in enumerate(table.to_dict("records"), start=2):
        where = f"{path}: line {number} (id={row['id'] or '?'})"
        if not row["id"]:
            raise TableError(f"{where}: empty 'id'")
        if row["id"] in seen:
            raise TableError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        for column, values in numbers.items():
            value, problem = _number(row[column], column=column)
            if problem:
                raise TableError(f"{where}: {problem}")
            values.append(value)
        problem = _row_problem(row, kind=kind)
        if problem:
            raise TableError(f"{where}: {problem}")
    for column, values in numbers.items():
        if column in ("lon", "lat"):
            table[column] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            table[column] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
    table = table.sort_values("id", kind="stable").reset_index(drop=True)
    table.attrs = {"catalogue": kind, "source": str(path)}
    return table


def packaged_catalogue(kind: CatalogueKind) -> Path:
    """Path of the catalogue shipped with the package."""
    from alatau_geo.reference.gazetteer import packaged_table

    return packaged_table(f"{kind}.csv")


def load_catalogues(plan: Plan) -> dict[str, pd.DataFrame]:
    """Read the plan's infrastructure and projects catalogues (shipped ones by default)."""
    catalogues = {}
    for kind in ("infrastructure", "projects"):
        path = getattr(plan.tables, kind) or packaged_catalogue(kind)
        catalogue = read_catalogue(path, kind=kind)
        _check_near(catalogue, plan)
        if getattr(plan.tables, kind) is None:
            catalogue.attrs["source"] = f"alatau_geo/data/{kind}.csv (shipped table)"
        catalogues[kind] = catalogue
    return catalogues


def _check_near(catalogue: pd.DataFrame, plan: Plan) -> None:
    """Refuse a given position far outside the plan's study area, naming the catalogue row."""
    for row in catalogue.itertuples(index=False):
        if np.isfinite(row.lon) and np.isfinite(row.lat) and not plan.study_area.near(row.lon, row.lat):
            raise TableError(
                f"{catalogue.attrs['source']}: id={row.id}: position ({row.lon:g}, {row.lat:g}) lies far outside the "
                f"study area {plan.study_area.bounds}; check lon and lat (x = longitude, y = latitude, degrees)"
            )
