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

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "COLUMN_FORMATS",
    "Badge",
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
GROUP_INFRASTRUCTURE = "Infrastructure and projects"
GROUP_WATER = "Water"
GROUP_SETTLEMENTS = "Settlements and transport"
GROUP_TERRAIN = "Terrain"
GROUP_OTHER = "Other layers"
GROUP_ORDER: tuple[str, ...] = (
    GROUP_TERRAIN,
    GROUP_BOUNDARIES,
    GROUP_PLAN,
    GROUP_INFRASTRUCTURE,
    GROUP_WATER,
    GROUP_SETTLEMENTS,
    GROUP_OTHER,
)


@dataclass(frozen=True)
class Category:
    """A value of a layer's category column and how it is drawn.

    Parameters
    ----------
    value : str
        The column value.
    label : str
        Legend text.
    color : str
        Line colour, polygon fill, marker or badge fill.
    dash_array : str or None
        Dash pattern of lines (and outlines) of this category; None uses the layer's.
    badge : str
        One or two letters written on the badge of points of this category
        (layers drawn with ``badge_shape``); empty uses the layer's ``badge_text``.
    """

    value: str
    label: str
    color: str
    dash_array: str | None = None
    badge: str = ""


@dataclass(frozen=True)
class Badge:
    """How one point is drawn as a badge: a coloured round or square label with letters.

    Badges stand in for icons: an offline map cannot load an icon font, so a
    point's kind is told by colour and one or two letters, drawn with plain
    HTML and CSS (see :func:`alatau_geo.maps.popups.badge_icon`).
    """

    text: str
    fill: str
    rim: str
    shape: str
    size_px: int
    dashed: bool


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
        Features of categories listed later are drawn on top.
    flag_column : str or None
        A column that flags features to draw with `flag_dash` (a dashed
        outline or line; a dashed rim on badges).
    flag_values : tuple or None
        Values of `flag_column` that flag a feature (default: boolean true);
        None flags every feature with a non-empty value (e.g. a list of broken rules).
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
    legend_title : str
        Short layer name that starts this layer's legend rows (e.g.
        ``"Engineering objects: Substation"``); empty uses the layer's title.
    searchable : bool
        Whether the map's search box finds features of this layer by name.
    search_noun : str
        What the search box finds in this layer, in its placeholder
        (e.g. ``"places"``); used when `searchable`.
    on_terrain_map : bool
        Whether the terrain map shows this layer for orientation.
    badge_shape : {'round', 'square'} or None
        Draw points as badges of this shape with letters (``Category.badge``
        or `badge_text`) instead of circle markers.
    badge_text : str
        Letters on badges whose category gives none.
    badge_size_px : int
        Badge width and height, pixels.
    cluster_until_zoom : int or None
        Points are grouped into numbered clusters where they crowd each other
        at zoom levels below this one (leaflet.markercluster's
        ``disableClusteringAtZoom``); None never clusters.
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
    flag_values: tuple[Any, ...] | None = (True,)
    flag_label: str = ""
    flag_dash: str = "2 6"
    order: int = 50
    show: bool = True
    simplify_m: float = 10.0
    legend_title: str = ""
    searchable: bool = False
    search_noun: str = ""
    on_terrain_map: bool = False
    badge_shape: str | None = None
    badge_text: str = ""
    badge_size_px: int = 22
    cluster_until_zoom: int | None = None

    def category_of(self, value: Any) -> Category | None:
        """The listed category for `value`, or None."""
        for category in self.categories:
            if category.value == value:
                return category
        return None

    def is_flagged(self, properties: Mapping[str, Any]) -> bool:
        """Whether the feature is flagged (drawn with `flag_dash`).

        Examples
        --------
        >>> LayerStyle("Plan", "#000", flag_column="schematic").is_flagged({"schematic": True})
        True
        >>> style = LayerStyle("Plan", "#000", flag_column="broken_rules", flag_values=None)
        >>> style.is_flagged({"broken_rules": ""}), style.is_flagged({"broken_rules": "max_slope"})
        (False, True)
        """
        if not self.flag_column:
            return False
        value = properties.get(self.flag_column)
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar -> Python scalar
        if self.flag_values is not None:
            # A flag value True matches only a boolean True, not 1 or "yes".
            return any(
                value is flag if isinstance(flag, bool) else (not isinstance(value, bool) and value == flag)
                for flag in self.flag_values
            )
        if value is None or value is False or (isinstance(value, float) and math.isnan(value)):
            return False
        return bool(str(value).strip())

    def badge(self, properties: Mapping[str, Any]) -> Badge | None:
        """The badge of a point with these attribute values, or None if the layer draws circle markers."""
        if self.badge_shape is None:
            return None
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        return Badge(
            text=(category.badge if category and category.badge else self.badge_text),
            fill=category.color if category else (self.fill_color or self.color),
            rim=self.color,
            shape=self.badge_shape,
            size_px=self.badge_size_px,
            dashed=self.is_flagged(properties),
        )

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
            if self.is_flagged(properties)
            else (category.dash_array if category and category.dash_array else self.dash_array)
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
        # Engineering objects: badges by kind (SS, WI, WW), a dashed rim where an
        # existing object is reconstructed; clustered where they crowd each other.
        "infrastructure_lines": LayerStyle(
            group=GROUP_INFRASTRUCTURE,
            color="#525252",
            weight=3.0,
            order=44,
            simplify_m=10.0,
            legend_title="Engineering lines",
            category_column="kind",
            categories=(  # pipelines follow roads: listed last, so drawn over them
                Category("road", "Road", "#54301a"),
                Category("gas_pipeline", "Gas pipeline (dashed)", "#e7298a", dash_array="8 6"),
            ),
        ),
        "infrastructure": LayerStyle(
            group=GROUP_INFRASTRUCTURE,
            color="#1a1a1a",
            fill_color="#737373",
            fill_opacity=1.0,
            order=45,
            simplify_m=0.0,
            legend_title="Engineering objects",
            category_column="kind",
            categories=(
                Category("substation", "Substation (SS)", "#d94801", badge="SS"),
                Category("water_intake", "Water intake (WI)", "#0570b0", badge="WI"),
                Category("wastewater_plant", "Wastewater treatment plant (WW)", "#6a3d9a", badge="WW"),
            ),
            flag_column="works",
            flag_values=("reconstruction",),
            flag_label="Reconstruction of an existing object (dashed rim)",
            badge_shape="round",
            badge_text="?",
            badge_size_px=24,
            cluster_until_zoom=13,
        ),
        # Investment projects: square badges coloured by how far each has got;
        # a dashed rim where the placement breaks one of the plan's rules.
        "projects": LayerStyle(
            group=GROUP_INFRASTRUCTURE,
            color="#1a1a1a",
            fill_color="#737373",
            fill_opacity=1.0,
            order=46,
            simplify_m=0.0,
            legend_title="Investment projects",
            category_column="status",
            categories=(
                Category("under_way", "Under way", "#1a9850"),
                Category("agreed", "Agreed", "#66a61e"),
                Category("in_talks", "In talks", "#e6ab02"),
                Category("planned", "Planned", "#2b8cbe"),
            ),
            flag_column="broken_rules",
            flag_values=None,
            flag_label="Breaks a placement rule (dashed rim)",
            searchable=True,
            search_noun="projects",
            badge_shape="square",
            badge_text="P",
            badge_size_px=20,
            cluster_until_zoom=13,
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
            search_noun="places",
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
        "works": ColumnFormat("Works"),
        "broken_rules": ColumnFormat("Placement rules broken"),
        "rules": ColumnFormat("Placement rules checked"),
        "via": ColumnFormat("Placed via"),
        "investment_kzt": ColumnFormat("Investment", "KZT", 0),
        "jobs": ColumnFormat("Jobs"),
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
