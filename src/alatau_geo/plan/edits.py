"""Edits made on the editing map: the edit file read and checked (no I/O).

The editing map (``alatau-geo map --edit``) downloads one JSON file::

    {"format": "alatau-geo-edits", "version": 1, "plan_sha256": "<hash of the plan the map showed>",
     "edits": [
        {"op": "move", "layer": "infrastructure", "id": "ss_gate_1", "lon": 77.05, "lat": 43.43},
        {"op": "add", "layer": "infrastructure", "id": "ss_new_1", "kind": "substation",
         "name_en": "Substation N-1", "name_kk": "", "name_ru": "", "district": "gate",
         "lon": 77.06, "lat": 43.44},
        {"op": "redraw", "layer": "districts", "id": "gate",
         "geometry": {"type": "Polygon", "coordinates": [[[77.0, 43.4], [77.1, 43.4], ...]]}},
        {"op": "set", "layer": "districts", "id": "gate", "parameter": "rule.buffer_m", "value": 600}
     ]}

Nothing in the file is trusted. :func:`parse_edits` refuses unknown fields
and operations, keeps names as plain text (one line, no control
characters, no leading ``=``, ``+``, ``-`` or ``@`` that a spreadsheet would
run as a formula), checks ids, numbers and coordinates (finite, WGS84,
inside the study area) and geometries (valid polygons), each with a
one-line :class:`~alatau_geo.core.errors.PlanError` naming the file and the
edit. :mod:`alatau_geo.plan.edit_changes` turns the edits into changes of the
workspace's plan and tables. Nothing here reads or writes a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from alatau_geo.core.errors import PlanError
from alatau_geo.core.extent import StudyArea
from alatau_geo.plan import rules
from alatau_geo.plan.catalogues import DISTRICT_IDS, INFRASTRUCTURE_KINDS

__all__ = [
    "EDITS_FORMAT",
    "AddFacility",
    "Edit",
    "EditSet",
    "MoveObject",
    "RedrawZone",
    "SetParameter",
    "parse_edits",
]

EDITS_FORMAT = "alatau-geo-edits"
EDITS_VERSION = 1
MAX_EDITS = 1000
MAX_NAME_CHARS = 200
MAX_RING_POINTS = 20_000
POINT_KINDS = tuple(kind for kind, geometry in INFRASTRUCTURE_KINDS.items() if geometry == "point")
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_PARAMETER = re.compile(r"rule(\.(of|minus)\[\d{1,3}\]|\.base)*\.[a-z]{1,16}(?:_[a-z]{1,16}){0,3}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_FIELDS: Mapping[str, frozenset[str]] = {
    "move": frozenset({"op", "layer", "id", "lon", "lat"}),
    "add": frozenset({"op", "layer", "id", "kind", "name_en", "name_kk", "name_ru", "district", "lon", "lat"}),
    "redraw": frozenset({"op", "layer", "id", "geometry"}),
    "set": frozenset({"op", "layer", "id", "parameter", "value"}),
}
_REQUIRED: Mapping[str, frozenset[str]] = {
    "move": _FIELDS["move"],
    "add": frozenset({"op", "layer", "id", "kind", "name_en", "lon", "lat"}),
    "redraw": _FIELDS["redraw"],
    "set": _FIELDS["set"],
}
_LAYERS: Mapping[str, tuple[str, ...]] = {
    "move": ("infrastructure", "projects"),
    "add": ("infrastructure",),
    "redraw": ("districts",),
    "set": ("districts", "city_boundary", "sez"),
}


@dataclass(frozen=True)
class MoveObject:
    """Put an engineering object or a project at a position of its own (``placement = given``)."""

    layer: str
    id: str
    lon: float
    lat: float


@dataclass(frozen=True)
class AddFacility:
    """A new engineering object (substation, water intake, wastewater plant) at a given position."""

    id: str
    kind: str
    name_en: str
    name_kk: str
    name_ru: str
    district: str
    lon: float
    lat: float
    layer: str = "infrastructure"


@dataclass(frozen=True)
class RedrawZone:
    """A district redrawn as a fixed outline: one outer ring of (lon, lat) points per part."""

    layer: str
    id: str
    rings: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class SetParameter:
    """A new value for a numeric parameter of a zone's rule, e.g. ``rule.buffer_m``, metres."""

    layer: str
    id: str
    parameter: str
    value: float


Edit = MoveObject | AddFacility | RedrawZone | SetParameter


@dataclass(frozen=True)
class EditSet:
    """The edits of one file, in order, and the plan hash of the map they were made on (if it says)."""

    edits: tuple[Edit, ...]
    plan_sha256: str | None = None


# --------------------------------------------------------------------------- reading


class _Reader:
    """Checks one edit's fields; every message names the file and the edit."""

    def __init__(self, item: Mapping[str, Any], *, where: str) -> None:
        self.item = item
        self.where = where

    def fail(self, message: str) -> PlanError:
        return PlanError(f"{self.where}: {message}")

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.item.get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"'{key}' must be text, got {type(value).__name__}")
        value = value.strip()
        if required and not value:
            raise self.fail(f"'{key}' must not be empty")
        if len(value) > MAX_NAME_CHARS:
            raise self.fail(f"'{key}' must be at most {MAX_NAME_CHARS} characters, got {len(value)}")
        if _CONTROL.search(value):
            raise self.fail(f"'{key}' must be one line of text without control characters")
        if value[:1] in ("=", "+", "-", "@"):
            raise self.fail(f"'{key}' must not start with {value[0]!r} (a spreadsheet would run it as a formula)")
        return value

    def ident(self, key: str = "id") -> str:
        value = self.item.get(key)
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise self.fail(f"'{key}' must be an id of lower-case letters, digits and '_' (at most 64), "
                            f"got {value!r}")
        return value

    def choice(self, key: str, choices: Sequence[str], *, required: bool = True) -> str:
        value = self.item.get(key, "")
        if (value == "" and not required) or value in choices:
            return str(value)
        raise self.fail(f"'{key}' must be one of {', '.join(choices)}, got {value!r}")

    def number(self, key: str, *, low: float, high: float) -> float:
        value = self.item.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(f"'{key}' must be a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(f"'{key}' must be between {low:g} and {high:g}, got {value:g}")
        return float(value)

    def position(self, area: StudyArea) -> tuple[float, float]:
        lon = self.number("lon", low=-180.0, high=180.0)
        lat = self.number("lat", low=-90.0, high=90.0)
        if not (area.west <= lon <= area.east and area.south <= lat <= area.north):
            raise self.fail(f"position {lon:.6f}, {lat:.6f} is outside the study area "
                            f"({area.west}..{area.east} E, {area.south}..{area.north} N)")
        return round(lon, 6), round(lat, 6)


def _rings(reader: _Reader, area: StudyArea) -> tuple[tuple[tuple[float, float], ...], ...]:
    geometry = reader.item.get("geometry")
    if not isinstance(geometry, Mapping) or set(geometry) != {"type", "coordinates"}:
        raise reader.fail("'geometry' must be a GeoJSON object with only 'type' and 'coordinates'")
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(coordinates, list) or not coordinates:
        raise reader.fail(f"'geometry' must be a Polygon or MultiPolygon, got {kind!r}")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    rings = []
    for number, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            raise reader.fail(f"'geometry' part {number} has no ring")
        # The outer ring; holes are left to the build, which removes the water and the other districts.
        drawn = rules.parse_rule({"kind": "polygon", "rings": [polygon[0]]}, entry=f"geometry part {number}",
                                 source=reader.where)
        rings.extend(drawn.rings)
    if sum(len(ring) for ring in rings) > MAX_RING_POINTS:
        raise reader.fail(f"'geometry' has more than {MAX_RING_POINTS:,} points")
    box = shapely.box(area.west, area.south, area.east, area.north)
    for ring in rings:
        if not shapely.Polygon(ring).within(box):
            raise reader.fail("'geometry' reaches outside the study area; redraw it inside")
    return tuple(rings)


def _edit(item: Any, *, where: str, area: StudyArea) -> Edit:
    if not isinstance(item, Mapping):
        raise PlanError(f"{where}: an edit must be an object with an 'op'")
    op = item.get("op")
    if op not in _FIELDS:
        raise PlanError(f"{where}: 'op' must be one of {', '.join(_FIELDS)}, got {op!r}")
    unknown = sorted(set(item) - _FIELDS[op])
    if unknown:
        raise PlanError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))} in a {op!r} edit")
    missing = sorted(_REQUIRED[op] - set(item))
    if missing:
        raise PlanError(f"{where}: a {op!r} edit needs {', '.join(map(repr, missing))}")
    reader = _Reader(item, where=where)
    layer = reader.choice("layer", _LAYERS[op])
    if op == "move":
        return MoveObject(layer, reader.ident(), *reader.position(area))
    if op == "add":
        return AddFacility(
            reader.ident(), reader.choice("kind", POINT_KINDS), reader.text("name_en"),
            reader.text("name_kk", required=False), reader.text("name_ru", required=False),
            reader.choice("district", DISTRICT_IDS, required=False), *reader.position(area),
        )
    if op == "redraw":
        return RedrawZone(layer, reader.ident(), _rings(reader, area))
    parameter = item["parameter"]
    if not isinstance(parameter, str) or not _PARAMETER.fullmatch(parameter):
        raise reader.fail(f"'parameter' must be a rule parameter such as 'rule.buffer_m', got {parameter!r}")
    return SetParameter(layer, reader.ident(), parameter, reader.number("value", low=0.0, high=1_000_000.0))


def parse_edits(data: Any, *, source: str, study_area: StudyArea) -> EditSet:
    """Check an edit file's content (already decoded from JSON) and return its edits.

    Parameters
    ----------
    data : Any
        The decoded JSON.
    source : str
        What error messages name (the file's path).
    study_area : StudyArea
        Positions and outlines must lie inside it.

    Returns
    -------
    EditSet

    Raises
    ------
    PlanError
        One line naming `source`, the edit (by number) and the problem.

    Examples
    --------
    >>> area = StudyArea(76.55, 43.10, 78.00, 44.00)
    >>> parse_edits({"format": "alatau-geo-edits", "version": 1, "edits": [
    ...     {"op": "move", "layer": "projects", "id": "pepsico", "lon": 77.05, "lat": 43.43}]},
    ...     source="edits.json", study_area=area).edits
    (MoveObject(layer='projects', id='pepsico', lon=77.05, lat=43.43),)
    >>> parse_edits({"format": "alatau-geo-edits", "version": 1, "edits": [{"op": "move", "layer": "projects",
    ...     "id": "pepsico", "lon": 77.05, "lat": 43.43, "note": "x"}]}, source="edits.json", study_area=area)
    Traceback (most recent call last):
    alatau_geo.core.errors.PlanError: edits.json: edit 1: unknown field(s) 'note' in a 'move' edit
    """
    if not isinstance(data, Mapping):
        raise PlanError(f"{source}: not an edit file (expected a JSON object with 'format' and 'edits')")
    unknown = sorted(set(data) - {"format", "version", "plan_sha256", "edits"})
    if unknown:
        raise PlanError(f"{source}: unknown field(s) {', '.join(map(repr, unknown))}")
    if data.get("format") != EDITS_FORMAT or data.get("version") != EDITS_VERSION:
        raise PlanError(f"{source}: not an edit file of this version (expected format {EDITS_FORMAT!r}, "
                        f"version {EDITS_VERSION}); download it again from the editing map")
    plan_sha256 = data.get("plan_sha256")
    if plan_sha256 is not None and (not isinstance(plan_sha256, str) or not _SHA256.fullmatch(plan_sha256)):
        raise PlanError(f"{source}: 'plan_sha256' must be a SHA-256 hex digest")
    items = data.get("edits")
    if not isinstance(items, list) or not items:
        raise PlanError(f"{source}: 'edits' must be a non-empty list")
    if len(items) > MAX_EDITS:
        raise PlanError(f"{source}: at most {MAX_EDITS} edits per file, got {len(items)}")
    edits = tuple(_edit(item, where=f"{source}: edit {number}", area=study_area)
                  for number, item in enumerate(items, start=1))
    return EditSet(edits, plan_sha256)
