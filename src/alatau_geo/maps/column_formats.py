"""How an attribute is labelled, rounded and worded in popups.

:data:`COLUMN_FORMATS` gives the label, unit and decimals of the columns the
toolkit writes; a column without an entry is labelled from its name and its
unit is read from the suffix (``_m``, ``_km``, ``_km2``, ``_ha``, ``_pct``).
:data:`VALUE_LABELS` words coded values for people ("under_way" reads
"Under way"); the values of :data:`WORDED_COLUMNS`, and the coded values
:data:`VALUE_LABELS` lists in any column, are translated on the maps
(:func:`is_worded`); :data:`TECHNICAL_COLUMNS` are shown only behind a
popup's "Technical details" fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COLUMN_FORMATS",
    "TECHNICAL_COLUMNS",
    "VALUE_LABELS",
    "WORDED_COLUMNS",
    "ColumnFormat",
    "column_format",
    "humanise",
    "is_worded",
    "value_label",
]


@dataclass(frozen=True)
class ColumnFormat:
    """How an attribute is shown in a popup.

    Parameters
    ----------
    label : str
        Row header.
    unit : str or None
        Unit shown in the header, e.g. ``"m"``.
    decimals : int
        Decimal places of numbers.
    """

    label: str
    unit: str | None = None
    decimals: int = 0

    @property
    def header(self) -> str:
        """Label with the unit in brackets."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


COLUMN_FORMATS: Mapping[str, ColumnFormat] = MappingProxyType(
    {
        "elevation_m": ColumnFormat("Elevation", "m", 0),
        "upstream_area_km2": ColumnFormat("Upstream area", "km²", 1),
        "length_km": ColumnFormat("Length", "km", 1),
        "width_m": ColumnFormat("Width", "m", 0),
        "area_ha": ColumnFormat("Area", "ha", 1),
        "water_body": ColumnFormat("Water body"),
        "kind": ColumnFormat("Kind"),
        "position_quality": ColumnFormat("Position quality"),
        "ref": ColumnFormat("Route number"),
        "schematic": ColumnFormat("Schematic alignment"),
        "works": ColumnFormat("Works"),
        "broken_rules": ColumnFormat("Placement rules broken"),
        "rules": ColumnFormat("Placement rules checked"),
        "via": ColumnFormat("Placed via"),
        "investment_kzt": ColumnFormat("Investment", "KZT", 0),
        "jobs": ColumnFormat("Jobs"),
        "travel_time_min": ColumnFormat("Travel time", "min", 1),
        "minutes": ColumnFormat("Travel-time limit", "min", 0),
        "facility_id": ColumnFormat("Facility"),
        "facility_by_distance": ColumnFormat("Nearest facility by distance"),
        "facility_count": ColumnFormat("Facilities"),
        "facility_ids": ColumnFormat("Facility ids"),
        "radius_m": ColumnFormat("Service radius", "m", 0),
        "uncovered_pct": ColumnFormat("Share of the city uncovered", "%", 1),
        "on_network": ColumnFormat("Facility on the network"),
        "connector_m": ColumnFormat("Connector to the network", "m", 0),
        "reachable": ColumnFormat("Reachable"),
        "reason": ColumnFormat("Note"),
        "role": ColumnFormat("Role"),
        "published_ha": ColumnFormat("Published area", "ha", 0),
        "residual_pct": ColumnFormat("Difference from the published area", "%", 3),
        "difference_pct": ColumnFormat("Difference from the published area", "%", 3),
        "solved_parameter": ColumnFormat("Calibrated parameter"),
        "solved_value_m": ColumnFormat("Calibrated value", "m", 0),
        "rule": ColumnFormat("Construction rule"),
        "published_source": ColumnFormat("Source of the published area"),
        "residents_target": ColumnFormat("Residents (target)"),
        "jobs_target": ColumnFormat("Jobs (target)"),
        "share_of_city_pct": ColumnFormat("Share of the city", "%", 1),
        "buildable_ha": ColumnFormat("Buildable land", "ha", 0),
        "buildable_pct": ColumnFormat("Buildable share", "%", 1),
        "sez_overlap_ha": ColumnFormat("Overlap with the SEZ", "ha", 0),
        "residents_per_ha": ColumnFormat("Residents per ha", None, 1),
        "jobs_per_ha": ColumnFormat("Jobs per ha", None, 1),
        "company": ColumnFormat("Company"),
        "district": ColumnFormat("District"),
        "sector": ColumnFormat("Sector"),
        "status": ColumnFormat("Status"),
        "source": ColumnFormat("Source"),
        "basis": ColumnFormat("Basis"),
        "financing": ColumnFormat("Financing"),
        "placement": ColumnFormat("Placement"),
        "note": ColumnFormat("Note"),
        "surface_m": ColumnFormat("Reservoir level", "m", 0),
        "raw_area_km2": ColumnFormat("Area before simplification", "km²", 1),
        "islands": ColumnFormat("Islands"),
        "ends_in": ColumnFormat("Ends in"),
        "mouth_upstream_area_km2": ColumnFormat("Upstream area at the mouth", "km²", 1),
        "named_points_matched": ColumnFormat("Named points matched"),
        "named_points": ColumnFormat("Named points"),
        "waypoints": ColumnFormat("Waypoints"),
        "strahler_order": ColumnFormat("Stream order (Strahler)"),
        "downstream_id": ColumnFormat("Downstream segment"),
        "river_id": ColumnFormat("River"),
        "band": ColumnFormat("Band"),
        "distance_m": ColumnFormat("Distance", "m", 0),
        "former_names": ColumnFormat("Former names"),
        "outside_city_ha": ColumnFormat("Outside the city", "ha", 0),
        "in_alatau": ColumnFormat("Inside Alatau"),
        "east_cut_lon": ColumnFormat("Cut at longitude", "°E", 2),
        "srtm_date": ColumnFormat("SRTM date"),
        "attribute_source": ColumnFormat("Attribute source"),
        "lower_reach": ColumnFormat("Lower reach"),
        "place": ColumnFormat("Place"),
        "vertices": ColumnFormat("Vertices"),
        "min_outside_city_ha_target": ColumnFormat("Outside the city (minimum, target)", "ha", 0),
        # A share of one facility's firm capacity (0.65, 1.2): whole numbers would hide it.
        "load_share": ColumnFormat("Load share", None, 2),
    }
)

# Where a layer says how a value was got: derived, assumed or published (elsewhere the column is free text).
_BASIS_LABELS = MappingProxyType({"derived": "Derived", "assumed": "Assumed", "published": "Published"})
# Suitability classes, in the suitability layers' columns "class" and "base_class".
_SUITABILITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low", "unsuitable": "Unsuitable"}
# Coded values worded for people, by column. Values not listed are humanised ("in_talks" -> "In talks") in
# the columns of _HUMANISED and shown as they are in the others (which also hold free text or numbers).
VALUE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "status": MappingProxyType({"under_way": "Under way", "in_talks": "In talks",
                                    "time_limit": "Best found within the time limit"}),
        "kind": MappingProxyType({
            "wastewater_plant": "Wastewater treatment plant",
            "gas_pipeline": "Gas pipeline",
        }),
        "placement": MappingProxyType({"rule": "Placed by rule", "given": "Given position"}),
        "position_quality": MappingProxyType({"geonames": "GeoNames", "openstreetmap": "OpenStreetMap"}),
        "district": MappingProxyType({"gate": "Gate", "golden": "Golden", "growing": "Growing", "green": "Green"}),
        "ends_in": MappingProxyType({"reservoir": "Reservoir", "river": "River"}),
        "class": MappingProxyType({
            "too_flat": "Too flat", "beginner": "Beginner", "intermediate": "Intermediate", "expert": "Expert",
            "extreme": "Extreme", "too_steep": "Too steep", "flat": "Flat", **_SUITABILITY_LABELS,
        }),
        "base_class": MappingProxyType(_SUITABILITY_LABELS),
        "meets": MappingProxyType({"steep": "Steep city", "upper": "Upper city",
                                   "steep and upper": "Steep and upper city"}),
        "label": MappingProxyType({"normal": "up to the normal level", "maximum": "normal to maximum level"}),
        "lower_reach": MappingProxyType({"perennial": "Perennial", "intermittent": "Intermittent"}),
        "basis": _BASIS_LABELS,
        "position_basis": _BASIS_LABELS,
        "elevation_basis": _BASIS_LABELS,
        "load_unit": MappingProxyType({"places": "places for children"}),
    }
)
_HUMANISED = frozenset({"status", "kind", "works", "placement", "position_quality", "district", "ends_in"})
# Columns whose values are codes or the plan's own wording: worded for people and translated.
# Free text from the tables (names, companies, sectors, sources) is shown as it is.
WORDED_COLUMNS: frozenset[str] = frozenset({
    *_HUMANISED, "band", "rules", "broken_rules", "role", "class", "base_class", "meets", "label", "quality",
    "lower_reach", "load_unit", "cost_unit",
})
# Placement rule names (columns ``rules`` and ``broken_rules``, semicolon-separated).
RULE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "in_district": "inside its district",
        "near_corridor": "near a corridor",
        "outside_strips": "outside the water protection strips",
        "max_slope": "slope within the limit",
        "above_flood": "above the flood level",
    }
)
# Columns for the technically minded: how a feature was built, placed and sourced.
TECHNICAL_COLUMNS: frozenset[str] = frozenset(
    {
        "rule", "rules", "solved_parameter", "solved_value_m", "residual_pct", "difference_pct", "via",
        "placement", "basis", "financing", "source", "published_source", "note", "position_quality",
        "waypoints", "named_points", "named_points_matched", "downstream_id", "river_id", "strahler_order",
        "mouth_upstream_area_km2", "raw_area_km2", "islands", "on_network", "connector_m",
        "facility_by_distance", "distance_m", "reachable", "reason", "facility_ids", "geometry_kind", "band",
        "min_outside_city_ha_target", "schematic",
    }
)

# Unit suffixes of column names: (suffix, unit, decimals).
_UNIT_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("_km2", "km²", 1),
    ("_m2", "m²", 0),
    ("_pct", "%", 1),
    ("_ha", "ha", 1),
    ("_km", "km", 1),
    ("_m", "m", 0),
    ("_deg", "°", 0),
)


def column_format(column: str) -> ColumnFormat:
    """The popup format of a column, from :data:`COLUMN_FORMATS` or its name.

    Examples
    --------
    >>> column_format("elevation_m").header
    'Elevation (m)'
    >>> column_format("catchment_area_km2").header
    'Catchment area (km²)'
    >>> column_format("operator").header
    'Operator'
    """
    if column in COLUMN_FORMATS:
        return COLUMN_FORMATS[column]
    for suffix, unit, decimals in _UNIT_SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            return ColumnFormat(humanise(column.removesuffix(suffix)), unit, decimals)
    return ColumnFormat(humanise(column))


def humanise(name: str) -> str:
    """A label from a column name or value: underscores as spaces, first letter capitalised.

    >>> humanise("water_intake")
    'Water intake'
    """
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def value_label(column: str, value: str) -> str:
    """A coded value worded for people (still English; :mod:`alatau_geo.maps.i18n` translates it).

    Examples
    --------
    >>> value_label("status", "under_way")
    'Under way'
    >>> value_label("broken_rules", "max_slope;above_flood")
    'slope within the limit; above the flood level'
    >>> value_label("sector", "food industry")
    'food industry'
    """
    if column in ("rules", "broken_rules"):
        names = [part.strip() for part in value.split(";") if part.strip()]
        return "; ".join(RULE_LABELS.get(name, name) for name in names)
    labels = VALUE_LABELS.get(column, {})
    if value in labels:
        return labels[value]
    return humanise(value) if column in _HUMANISED else value


def is_worded(column: str, value: object) -> bool:
    """Whether a popup words and translates `value` of `column`: a column of codes, or a code listed for it.

    Examples
    --------
    >>> is_worded("status", "under_way"), is_worded("basis", "derived"), is_worded("basis", "count (30) published")
    (True, True, False)
    """
    return column in WORDED_COLUMNS or (isinstance(value, str) and value in VALUE_LABELS.get(column, {}))
