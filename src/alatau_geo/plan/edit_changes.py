"""The edits of the editing map as changes of a workspace's tables and plan, and what the rebuild shows.

:func:`apply_to_tables` changes the infrastructure and projects tables as
their CSV files hold them (every cell text, so untouched rows stay as they
were): a moved object gets its position, ``placement = given`` and a note in
its ``basis``; an added facility a new row. :func:`apply_to_plan` changes the
plan as a ``tomlkit`` document (comments and layout stay): a redrawn
district gets a ``polygon`` rule and no calibration (the outline is fixed); a
changed rule parameter its value, and when it was the parameter calibrated
to the published area, the calibration is dropped so the value holds.
:func:`edit_outcomes` says, after the rebuild, where each object now is and
how each zone's area changed. Nothing here reads or writes a file; the
edits were checked by :func:`alatau_geo.plan.edits.parse_edits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tomlkit
from pyproj import Geod
from shapely.geometry import Point

from alatau_geo.core.crs import EXPORT_CRS, area_ha
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan import rules
from alatau_geo.plan.config import Plan
from alatau_geo.plan.edits import AddFacility, Edit, EditSet, MoveObject, RedrawZone, SetParameter

__all__ = ["EDITED_BASIS", "Table", "apply_to_plan", "apply_to_tables", "edit_outcomes"]

Table = tuple[list[str], list[dict[str, str]]]
"""A table as its CSV holds it: the column names and the rows, every cell text."""

EDITED_BASIS = "position set on the editing map (alatau-geo apply)"
ADDED_BASIS = "added on the editing map (alatau-geo apply); kind, name and position are a planning assumption"
# The rules a facility added on the map is checked against (those of the shipped objects of its kind).
ADDED_RULES = ("in_district", "outside_strips", "max_slope", "above_flood")
_GEOD = Geod(ellps="WGS84")
_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def _row(table: Table, row_id: str, *, where: str, file: str) -> dict[str, str]:
    for row in table[1]:
        if row.get("id", "").strip() == row_id:
            return row
    raise PlanError(f"{where}: no row with id {row_id!r} in {file}; the edits were made on a map of another plan")


def _move(table: Table, edit: MoveObject, *, where: str, file: str) -> str:
    row = _row(table, edit.id, where=where, file=file)
    if row.get("geometry_kind", "point").strip() not in ("", "point"):
        raise PlanError(f"{where}: {edit.layer} {edit.id!r} is a line, drawn through its stops; it cannot be moved")
    row.update(lon=f"{edit.lon:.6f}", lat=f"{edit.lat:.6f}", placement="given", position_quality="approximate")
    basis = row.get("basis", "").strip()
    if EDITED_BASIS not in basis:
        row["basis"] = f"{basis}; {EDITED_BASIS}" if basis else EDITED_BASIS
    return f"{edit.layer} {edit.id}: moved to {edit.lon:.6f}, {edit.lat:.6f} (placement given)"


def _add(table: Table, edit: AddFacility, *, where: str, file: str) -> str:
    columns, rows = table
    if any(row.get("id", "").strip() == edit.id for row in rows):
        raise PlanError(f"{where}: id {edit.id!r} is already in {file}; give the new facility another id")
    rules_checked = ADDED_RULES if edit.district else ADDED_RULES[1:]
    values = {
        "id": edit.id, "name_en": edit.name_en, "name_kk": edit.name_kk, "name_ru": edit.name_ru, "kind": edit.kind,
        "works": "new", "district": edit.district, "geometry_kind": "point", "placement": "given",
        "rules": ";".join(rules_checked), "via": "", "lon": f"{edit.lon:.6f}", "lat": f"{edit.lat:.6f}",
        "status": "planned", "financing": "", "position_quality": "approximate", "basis": ADDED_BASIS,
    }
    missing = [column for column in values if column not in columns]
    if missing:
        raise PlanError(f"{where}: {file} has no column(s) {', '.join(missing)}; cannot add a facility to it")
    rows.append({column: values.get(column, "") for column in columns})
    return f"infrastructure {edit.id}: added, {edit.kind.replace('_', ' ')} {edit.name_en!r} at " \
           f"{edit.lon:.6f}, {edit.lat:.6f}" + (f" in the {edit.district} district" if edit.district else "")


def apply_to_tables(edits: EditSet, tables: Mapping[str, Table], *, source: str,
                    files: Mapping[str, str]) -> tuple[dict[str, Table], list[str]]:
    """Apply the moves and additions of `edits` to copies of the tables.

    Parameters
    ----------
    edits : EditSet
    tables : mapping of str to Table
        ``infrastructure`` and ``projects``, as read from their CSV files.
    source : str
        The edit file, for messages.
    files : mapping of str to str
        Each table's file name, for messages.

    Returns
    -------
    (dict of str to Table, list of str)
        The tables that changed, and one line per edit saying what changed.

    Raises
    ------
    PlanError
        If an edit names an object the table does not hold, moves a line, or
        adds an id that is taken.

    Examples
    --------
    >>> table = (["id", "lon", "lat", "placement", "position_quality", "basis"],
    ...          [{"id": "p1", "lon": "", "lat": "", "placement": "rule", "position_quality": "approximate",
    ...            "basis": "assumed"}])
    >>> changed, said = apply_to_tables(EditSet((MoveObject("projects", "p1", 77.05, 43.43),)),
    ...                                 {"projects": table}, source="e.json", files={"projects": "projects.csv"})
    >>> changed["projects"][1][0]["lon"], changed["projects"][1][0]["placement"], said
    ('77.050000', 'given', ['projects p1: moved to 77.050000, 43.430000 (placement given)'])
    """
    copies = {name: (list(columns), [dict(row) for row in rows]) for name, (columns, rows) in tables.items()}
    changed: set[str] = set()
    said = []
    for number, edit in enumerate(edits.edits, start=1):
        if not isinstance(edit, (MoveObject, AddFacility)):
            continue
        where = f"{source}: edit {number}"
        if edit.layer not in copies:
            raise PlanError(f"{where}: the workspace has no {edit.layer} table")
        file = files.get(edit.layer, edit.layer)
        if isinstance(edit, MoveObject):
            said.append(_move(copies[edit.layer], edit, where=where, file=file))
        else:
            said.append(_add(copies[edit.layer], edit, where=where, file=file))
        changed.add(edit.layer)
    return {name: copies[name] for name in sorted(changed)}, said


def _zone_table(document: Any, layer: str, zone_id: str, *, where: str) -> Any:
    if layer == "districts":
        for item in document.get("districts", []):
            if item.get("id") == zone_id:
                return item
    elif layer in document and document[layer].get("id") == zone_id:
        return document[layer]
    raise PlanError(f"{where}: the plan file has no {layer} zone {zone_id!r}; copy it from the default plan "
                    f"(alatau-geo init) before editing it on the map")


def _set_value(table: Any, parameter: str, value: float, *, where: str) -> None:
    node = table
    steps = parameter.split(".")
    for step in steps[:-1]:
        name, index = _STEP.fullmatch(step).groups()  # the path was checked by parse_edits
        node = node[name] if index is None else node[name][int(index)]
    if steps[-1] not in node:
        raise PlanError(f"{where}: the plan file has no {parameter!r}")
    node[steps[-1]] = value


def _spec(plan: Plan, layer: str, zone_id: str, *, where: str) -> Any:
    for spec in plan.zones:
        if spec.layer == layer and spec.id == zone_id:
            return spec
    raise PlanError(f"{where}: the plan has no {layer} zone {zone_id!r}")


def _redraw(document: Any, plan: Plan, edit: RedrawZone, *, where: str) -> str:
    spec = _spec(plan, edit.layer, edit.id, where=where)
    table = _zone_table(document, edit.layer, edit.id, where=where)
    rule = tomlkit.table()
    rule.add("kind", "polygon")
    rings = tomlkit.array()
    rings.multiline(True)
    for ring in edit.rings:
        rings.append([[lon, lat] for lon, lat in ring])
    rule.add("rings", rings)
    table["rule"] = rule
    dropped = spec.solve is not None
    for key in ("solve", "solve_range"):
        if key in table:
            del table[key]
    points = sum(len(ring) - 1 for ring in edit.rings)
    note = "; its calibration to the published area is dropped" if dropped else ""
    return f"{edit.layer} {edit.id}: redrawn as a fixed outline of {points} points{note}"


def _set(document: Any, plan: Plan, edit: SetParameter, *, where: str) -> str:
    spec = _spec(plan, edit.layer, edit.id, where=where)
    known = rules.numeric_parameters(spec.rule)
    if edit.parameter not in known:
        listed = ", ".join(known) or "none"
        raise PlanError(f"{where}: {edit.layer} {edit.id!r} has no parameter {edit.parameter!r} (it has: {listed})")
    table = _zone_table(document, edit.layer, edit.id, where=where)
    _set_value(table, edit.parameter, edit.value, where=where)
    line = (f"{edit.layer} {edit.id}: {edit.parameter} set to {edit.value:,.1f} m "
            f"(the plan said {known[edit.parameter]:,.1f} m")
    if spec.solve == edit.parameter:
        for key in ("solve", "solve_range"):
            if key in table:
                del table[key]
        line += " and calibrated it to the published area; the calibration is dropped so the value holds"
    return line + ")"


def apply_to_plan(edits: EditSet, document: Any, plan: Plan, *, source: str) -> list[str]:
    """Apply the redrawn zones and changed parameters of `edits` to a plan document, in place.

    Parameters
    ----------
    edits : EditSet
    document : tomlkit.TOMLDocument
        The workspace's plan file, parsed with ``tomlkit`` (a copy the caller may discard).
    plan : Plan
        The same plan, validated: its zones say which parameters exist and which is calibrated.
    source : str
        The edit file, for messages.

    Returns
    -------
    list of str
        One line per edit saying what changed.

    Raises
    ------
    PlanError
        If an edit names a zone or parameter the plan does not have.
    """
    said = []
    for number, edit in enumerate(edits.edits, start=1):
        where = f"{source}: edit {number}"
        if isinstance(edit, RedrawZone):
            said.append(_redraw(document, plan, edit, where=where))
        elif isinstance(edit, SetParameter):
            said.append(_set(document, plan, edit, where=where))
    return said


def _outcome(edit: Edit, before: LayerSet, after: LayerSet) -> str | None:
    if edit.layer not in after:
        return f"{edit.layer} {edit.id}: the rebuilt layers have no {edit.layer} layer"
    now = after[edit.layer].frame
    rows = now[now["id"] == edit.id]
    if rows.empty:
        return f"{edit.layer} {edit.id}: not in the rebuilt layers"
    if isinstance(edit, (MoveObject, AddFacility)):
        point = rows.to_crs(EXPORT_CRS).geometry.iloc[0]
        _, _, off = _GEOD.inv(edit.lon, edit.lat, point.x, point.y)
        line = f"{edit.layer} {edit.id}: rebuilt at {point.x:.6f}, {point.y:.6f} ({off:.1f} m from the edit)"
        if edit.layer in before and (before[edit.layer].frame["id"] == edit.id).any():
            old = before[edit.layer].frame
            was: Point = old[old["id"] == edit.id].to_crs(EXPORT_CRS).geometry.iloc[0]
            _, _, moved = _GEOD.inv(was.x, was.y, point.x, point.y)
            line += f", moved {moved / 1000:,.2f} km"
        broken = str(rows["broken_rules"].iloc[0]) if "broken_rules" in rows else ""
        return line + (f"; breaks: {broken}" if broken and broken != "nan" else "; breaks no placement rule")
    area = float(area_ha(rows).sum())
    if edit.layer in before and (before[edit.layer].frame["id"] == edit.id).any():
        old = before[edit.layer].frame
        was_ha = float(area_ha(old[old["id"] == edit.id]).sum())
        return f"{edit.layer} {edit.id}: {was_ha:,.1f} ha -> {area:,.1f} ha ({area - was_ha:+,.1f} ha)"
    return f"{edit.layer} {edit.id}: {area:,.1f} ha"


def edit_outcomes(edits: EditSet, before: LayerSet | None, after: LayerSet) -> list[str]:
    """What the rebuilt layers show for each edit: where each object is, how each zone's area changed.

    Parameters
    ----------
    edits : EditSet
    before : LayerSet or None
        The layers before the rebuild (None: none were built).
    after : LayerSet
        The rebuilt layers (working CRS).

    Returns
    -------
    list of str
        One line per edit.
    """
    return [line for edit in edits.edits if (line := _outcome(edit, before or LayerSet(), after))]
