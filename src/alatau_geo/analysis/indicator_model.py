"""The indicator table's shape: columns, groups, bases, and a checked row.

Shared by the modules that compute the indicators
(:mod:`~alatau_geo.analysis.indicators_land`,
:mod:`~alatau_geo.analysis.indicators_people`,
:mod:`~alatau_geo.analysis.indicators_access`) and by
:mod:`~alatau_geo.analysis.indicators`, which assembles them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import pandas as pd

INDICATOR_COLUMNS = ("id", "group", "name", "value", "unit", "definition", "basis")
"""Columns of :func:`indicator_table`."""
GROUPS = ("land", "residents", "jobs", "services", "travel", "infrastructure")
"""Indicator groups, in report order."""
GROUP_TITLES: Mapping[str, str] = MappingProxyType({
    "land": "Land: area, buildable area, SEZ and hazard bands",
    "residents": "Residents by zone and phase",
    "jobs": "Jobs by zone and phase",
    "services": "Residents served by facilities",
    "travel": "Travel times, jobs within reach and 2SFCA",
    "infrastructure": "Networks to build, facilities and projects",
})
"""A heading for each group."""
BASES = ("published", "target", "derived", "assumed")
"""Allowed values of ``basis``."""
NOT_COMPUTED = "not computed"
"""Start of the definition of a row whose value cannot be computed yet (value NaN)."""



def indicator_row(indicator_id: str, group: str, name: str, value: float, unit: str, definition: str,
                  basis: str) -> dict[str, object]:
    """One row of the indicator table (checked: known group and basis).

    Examples
    --------
    >>> indicator_row("area_ha.gate", "land", "Area: Gate", 4000.0, "ha", "Zone area.", "derived")["value"]
    4000.0
    """
    if group not in GROUPS:
        raise ValueError(f"indicator group must be one of {', '.join(GROUPS)}, got {group!r}")
    if basis not in BASES:
        raise ValueError(f"indicator basis must be one of {', '.join(BASES)}, got {basis!r}")
    return {"id": indicator_id, "group": group, "name": name, "value": float(value), "unit": unit,
            "definition": definition, "basis": basis}


def as_table(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Rows as the indicator table: columns :data:`INDICATOR_COLUMNS`, groups in order, ids unique.

    Raises
    ------
    ValueError
        If an id appears twice.
    """
    table = pd.DataFrame(list(rows), columns=list(INDICATOR_COLUMNS))
    duplicated = table["id"][table["id"].duplicated()]
    if not duplicated.empty:
        raise ValueError(f"indicator id {duplicated.iloc[0]!r} computed twice")
    order = {group: i for i, group in enumerate(GROUPS)}
    table = table.sort_values("group", key=lambda groups: groups.map(order), kind="stable")
    return table.astype({"value": "float64"}).reset_index(drop=True)
