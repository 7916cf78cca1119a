"""How an attribute is labelled and rounded in popups.

:data:`COLUMN_FORMATS` gives the label, unit and decimals of the columns the
toolkit writes; a column without an entry is labelled from its name and its
unit is read from the suffix (``_m``, ``_km``, ``_km2``, ``_ha``, ``_pct``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["COLUMN_FORMATS", "ColumnFormat", "column_format", "humanise"]


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
