"""How each layer looks on a map: the style registry and the attribute formats.

Styling is table-driven. :data:`STYLES` maps a layer name to a
:class:`LayerStyle`; a layer without an entry gets a generic grey style for
its geometry type from :func:`style_for`, so a new layer appears on the maps
before anyone styles it, and styling it is one entry here.

:data:`COLUMN_FORMATS` says how an attribute is labelled and rounded in
popups; a column without an entry is labelled from its name and its unit
is read from the suffix (``_m``, ``_km``, ``_km2``, ``_ha``, ``_pct``).

Colours are CSS hex strings; widths and radii are CSS pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "COLUMN_FORMATS",
    "Category",
    "ColumnFormat",
    "LayerStyle",
    "STYLES",
    "column_format",
    "style_for",
]

# Layer-control groups, in the order the control lists them.
GROUP_BOUNDARIES = "Boundaries"
GROUP_PLAN = "Plan"
GROUP_WATER = "Water"
GROUP_SETTLEMENTS = "Settlements and transport"
GROUP_TERRAIN = "Terrain"
GROUP_OTHER = "Other layers"
GROUP_ORDER: tuple[str, ...] = (
    GROUP_TERRAIN,
    GROUP_BOUNDARIES,
    GROUP_PLAN,
    GROUP_WATER,
    GROUP_SETTLEMENTS,
    GROUP_OTHER,
)


@dataclass(frozen=True)
class Category:
    """A value of a layer's category column and how it is drawn."""

    value: str
    label: str
    color: str


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    Parameters
    ----------
    group : str
        Layer-control group.
    color : str
        Stroke colour (lines, outlines, marker rims); the colour of features
        whose category is not listed in `categories`.
    fill_color : str or None
        Polygon and marker fill; None draws outlines only.
    fill_opacity : float
        0 to 1.
    weight : float
        Stroke width, pixels.
    dash_array : str or None
        SVG dash pattern, e.g. ``"6 4"``; None is a solid line.
    radius_px : float
        Circle-marker radius for points, pixels.
    category_column : str or None
        Column whose values pick the colour from `categories`.
    categories : tuple of Category
        Colours by value of `category_column`; each also gets a legend entry.
    flag_column : str or None
        A boolean column; features where it is true are drawn with `flag_dash`.
    flag_label : str
        Legend text for flagged features.
    flag_dash : str
        Dash pattern of flagged features.
    order : int
        Drawing order: higher is drawn later (on top).
    show : bool
        Whether the layer is switched on when the map opens.
    simplify_m : float
        Display simplification tolerance, metres (0 keeps every vertex).
    searchable : bool
        Whether the map's search box finds features of this layer by name.
    on_terrain_map : bool
        Whether the terrain map shows this layer for orientation.
    """

    group: str
    color: str
    fill_color: str | None = None
    fill_opacity: float = 0.25
    weight: float = 2.0
    dash_array: str | None = None
    radius_px: float = 5.0
    category_column: str | None = None
    categories: tuple[Category, ...] = ()
    flag_column: str | None = None
    flag_label: str = ""
    flag_dash: str = "2 6"
    order: int = 50
    show: bool = True
    simplify_m: float = 10.0
    searchable: bool = False
    on_terrain_map: bool = False

    def category_of(self, value: Any) -> Category | None:
        """The listed category for `value`, or None."""
        for category in self.categories:
            if category.value == value:
                return category
        return None

    def leaflet_style(self, properties: Mapping[str, Any], *, geometry_type: str) -> dict[str, Any]:
        """Leaflet path options for a feature with these attribute values.

        Parameters
        ----------
        properties : Mapping
            The feature's attributes (the category and flag columns are read).
        geometry_type : str
            ``Point``, ``LineString`` or ``Polygon``, optionally ``Multi``-prefixed:
            lines are never filled (Leaflet would fill the shape a line encloses),
            points take the category colour as fill and keep a dark rim.
        """
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        tint = category.color if category else None
        style: dict[str, Any] = {"weight": self.weight, "opacity": 0.9}
        dash = (
            self.flag_dash
            if self.flag_column and properties.get(self.flag_column) is True
            else self.dash_array
        )
        if dash:
            style["dashArray"] = dash
        kind = geometry_type.removeprefix("Multi")
        if kind == "LineString":
            style.update(color=tint or self.color, fill=False)
        elif kind == "Point":
            style.update(
                color=self.color,
                fill=True,
                fillColor=tint or self.fill_color or self.color,
                fillOpacity=self.fill_opacity,
                radius=self.radius_px,
            )
        else:
            fill = tint or self.fill_color
            style.update(color=tint or self.color, fill=fill is not None)
            if fill is not None:
                style.update(fillColor=fill, fillOpacity=self.fill_opacity)
        return style


STYLES: Mapping[str, LayerStyle] = MappingProxyType(
    {
        "study_area": LayerStyle(
            group=GROUP_BOUNDARIES,
            color="#3c3c3c",
            weight=2.0,
            dash_array="10 6",
            order=0,
            simplify_m=50.0,
            on_terrain_map=True,
        ),
        "city_boundary": LayerStyle(
            group=GROUP_BOUNDARIES,
            color="#7a0177",
            weight=3.0,
            order=5,
            simplify_m=10.0,
            on_terrain_map=True,
        ),
        "districts": LayerStyle(
            group=GROUP_PLAN,
            color="#6a51a3",
            fill_color="#bcbddc",
            fill_opacity=0.45,
            weight=1.5,
            order=10,
            category_column="id",
            categories=(
                Category("gate", "Gate: finance, business, trade", "#6a51a3"),
                Category("golden", "Golden: science, education, medicine, food", "#d4a017"),
                Category("growing", "Growing: export industry, logistics", "#e6550d"),
                Category("green", "Green: tourism, resorts, parks", "#31a354"),
            ),
        ),
        "sez": LayerStyle(
            group=GROUP_PLAN,
            color="#b35806",
            fill_color="#fdb863",
            fill_opacity=0.3,
            dash_array="6 3",
            order=12,
        ),
        "water_protection_zone": LayerStyle(
            group=GROUP_WATER,
            color="#4292c6",
            fill_color="#c6dbef",
            fill_opacity=0.35,
            weight=1.0,
            dash_array="4 4",
            order=20,
            simplify_m=20.0,
        ),
        "water_protection_strip": LayerStyle(
            group=GROUP_WATER,
            color="#08519c",
            fill_color="#6baed6",
            fill_opacity=0.45,
            weight=1.0,
            order=21,
            simplify_m=10.0,
        ),
        "reservoir": LayerStyle(
            group=GROUP_WATER,
            color="#2171b5",
            fill_color="#4a90c8",
            fill_opacity=0.7,
            weight=1.0,
            order=25,
            simplify_m=20.0,
            on_terrain_map=True,
        ),
        "streams": LayerStyle(
            group=GROUP_WATER,
            color="#1f78b4",
            weight=1.8,
            order=30,
            simplify_m=15.0,
            on_terrain_map=True,
        ),
        "rivers": LayerStyle(
            group=GROUP_WATER,
            color="#08519c",
            weight=3.0,
            order=31,
            simplify_m=15.0,
            on_terrain_map=True,
        ),
        "corridors": LayerStyle(
            group=GROUP_SETTLEMENTS,
            color="#666666",
            weight=3.0,
            order=40,
            simplify_m=15.0,
            category_column="kind",
            categories=(
                Category("highway", "Highway", "#d7301f"),
                Category("railway", "Railway", "#252525"),
            ),
            flag_column="schematic",
            flag_label="Schematic alignment (dotted)",
        ),
        "infrastructure": LayerStyle(
            group=GROUP_PLAN,
            color="#54278f",
            fill_color="#9e9ac8",
            fill_opacity=0.8,
            radius_px=5.0,
            order=45,
        ),
        "projects": LayerStyle(
            group=GROUP_PLAN,
            color="#8c2d04",
            fill_color="#fe9929",
            fill_opacity=0.5,
            order=46,
        ),
        "places": LayerStyle(
            group=GROUP_SETTLEMENTS,
            color="#252525",
            fill_color="#ffffff",
            fill_opacity=1.0,
            weight=1.5,
            radius_px=6.0,
            order=60,
            simplify_m=0.0,
            searchable=True,
            on_terrain_map=True,
            category_column="kind",
            categories=(
                Category("city", "City", "#e31a1c"),
                Category("town", "Town", "#fd8d3c"),
                Category("village", "Village", "#fed976"),
                Category("station", "Station", "#737373"),
            ),
        ),
    }
)

# Generic styles for layers without an entry, by base geometry type.
_GENERIC: Mapping[str, LayerStyle] = MappingProxyType(
    {
        "Polygon": LayerStyle(
            group=GROUP_OTHER, color="#525252", fill_color="#969696", fill_opacity=0.25, order=15
        ),
        "LineString": LayerStyle(group=GROUP_OTHER, color="#525252", weight=2.0, order=35),
        "Point": LayerStyle(
            group=GROUP_OTHER,
            color="#252525",
            fill_color="#969696",
            fill_opacity=0.9,
            weight=1.0,
            order=55,
            simplify_m=0.0,
        ),
    }
)


def style_for(name: str, *, geometry_type: str) -> LayerStyle:
    """The style of layer `name`, or the generic style for its geometry type.

    Parameters
    ----------
    name : str
        Layer name, e.g. ``"reservoir"``.
    geometry_type : str
        The layer's geometry type (``Layer.geometry_type``), used only for
        layers without an entry in :data:`STYLES`.

    Returns
    -------
    LayerStyle

    Examples
    --------
    >>> style_for("reservoir", geometry_type="Polygon").group
    'Water'
    >>> style_for("new_layer", geometry_type="MultiLineString").group
    'Other layers'
    """
    if name in STYLES:
        return STYLES[name]
    return _GENERIC.get(geometry_type.removeprefix("Multi"), _GENERIC["Polygon"])


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
            return ColumnFormat(_humanise(column.removesuffix(suffix)), unit, decimals)
    return ColumnFormat(_humanise(column))


def _humanise(column: str) -> str:
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
