"""How each layer looks on a map: the style registry and the attribute formats.

Styling is table-driven. :data:`STYLES` maps a layer name to a
:class:`LayerStyle`; a layer without an entry gets a generic grey style for
its geometry type from :func:`style_for`, so a new layer appears on the maps
before anyone styles it, and styling it is one entry here.

:data:`COLUMN_FORMATS` says how an attribute is labelled and rounded in
popups; a column without an entry is labelled from its name and its unit
is read from the suffix (``_m``, ``_km``, ``_km2``, ``_ha``, ``_pct``).

Graduated layers (a numeric column cut into classes, e.g. travel time in
0–5, 5–10, 10–20, 20–30 and over 30 minutes) use :class:`ValueClasses`;
layers shown as one switchable map layer per value of a column (service
areas per facility kind) use :class:`Split`.

Colours are CSS hex strings; widths and radii are CSS pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COLUMN_FORMATS",
    "CONTEXT_STYLES",
    "KIND_COLORS",
    "STYLES",
    "Badge",
    "Category",
    "ColumnFormat",
    "LayerStyle",
    "Split",
    "ValueClasses",
    "column_format",
    "hatch_fill",
    "hatch_id",
    "style_for",
]

# Layer-control groups, in the order the control lists them.
GROUP_BOUNDARIES = "Boundaries"
GROUP_PLAN = "Plan"
GROUP_INFRASTRUCTURE = "Infrastructure and projects"
GROUP_WATER = "Water"
GROUP_SETTLEMENTS = "Settlements and transport"
GROUP_TERRAIN = "Terrain"
GROUP_SERVICE_AREAS = "Service areas (road network)"
GROUP_COVERAGE = "Coverage and gaps (straight-line radius)"
GROUP_TRAVEL_TIME = "Travel time (road network)"
GROUP_OTHER = "Other layers"
GROUP_ORDER: tuple[str, ...] = (
    GROUP_TERRAIN,
    GROUP_BOUNDARIES,
    GROUP_PLAN,
    GROUP_INFRASTRUCTURE,
    GROUP_SERVICE_AREAS,
    GROUP_COVERAGE,
    GROUP_TRAVEL_TIME,
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
class ValueClasses:
    """Graduated colours: a numeric column cut into classes at fixed breaks.

    A value equal to a break belongs to the class below it, so a node
    reached in exactly 10 minutes is in "5–10 min", as an area reached
    "within 10 min" includes its limit. A missing or non-finite value (a
    node no facility can reach) gets the missing class.

    Parameters
    ----------
    column : str
        The numeric column.
    breaks : tuple of float
        Upper limits of every class but the last, strictly ascending:
        n breaks make n + 1 classes.
    colors : tuple of str
        One colour per class, lowest class first.
    unit : str
        Unit written in generated labels, e.g. ``"min"``.
    labels : tuple of str
        Legend text per class; empty generates ``"0–5 min"``, ``"5–10 min"``,
        ..., ``"> 30 min"`` from `start`, `breaks` and `unit`.
    start : float
        Lower end of the first class in generated labels.
    missing_label, missing_color : str
        Legend text and colour of features without a value.
    low_on_top : bool
        Draw features of lower classes over those of higher ones (nested
        service areas: 10 min over 20 over 30); False draws higher classes on top.

    Examples
    --------
    >>> classes = ValueClasses("t", (5.0, 10.0), ("#1", "#2", "#3"), unit="min")
    >>> classes.class_labels
    ('0–5 min', '5–10 min', '> 10 min')
    >>> classes.classify([0.0, 5.0, 5.01, 10.0, 12.0, None, float("nan")]).tolist()
    [0, 0, 1, 1, 2, -1, -1]
    """

    column: str
    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    unit: str = ""
    labels: tuple[str, ...] = ()
    start: float = 0.0
    missing_label: str = "No value"
    missing_color: str = "#9e9e9e"
    low_on_top: bool = False

    def __post_init__(self) -> None:
        if any(not b > a for a, b in zip(self.breaks, self.breaks[1:], strict=False)):
            raise ValueError(f"ValueClasses {self.column!r}: 'breaks' must be strictly ascending, got {self.breaks}")
        if len(self.colors) != len(self.breaks) + 1:
            raise ValueError(
                f"ValueClasses {self.column!r}: 'colors' needs one colour per class "
                f"({len(self.breaks) + 1} for {len(self.breaks)} breaks), got {len(self.colors)}"
            )
        if self.labels and len(self.labels) != len(self.colors):
            raise ValueError(
                f"ValueClasses {self.column!r}: 'labels' needs one label per class "
                f"({len(self.colors)}) or none, got {len(self.labels)}"
            )

    @property
    def class_labels(self) -> tuple[str, ...]:
        """Legend text of each class, lowest first."""
        if self.labels:
            return self.labels
        unit = f" {self.unit}" if self.unit else ""
        lowers = (self.start, *self.breaks[:-1])
        bounded = tuple(f"{lower:g}–{upper:g}{unit}" for lower, upper in zip(lowers, self.breaks, strict=True))
        return (*bounded, f"> {self.breaks[-1]:g}{unit}") if self.breaks else (f"All{unit}",)

    def classify(self, values: Iterable[Any]) -> np.ndarray:
        """Class index of each value (0 is the lowest class); -1 where the value is missing."""
        numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
        index = np.searchsorted(np.asarray(self.breaks, dtype=float), numbers, side="left")
        return np.where(np.isfinite(numbers), index, -1)

    def index_of(self, value: Any) -> int:
        """Class index of one value; -1 if it is missing."""
        return int(self.classify([value])[0])

    def color_of(self, value: Any) -> str:
        """Colour of one value (the missing colour if it has none)."""
        index = self.index_of(value)
        return self.colors[index] if index >= 0 else self.missing_color

    def label_of(self, value: Any) -> str:
        """Legend text of one value's class."""
        index = self.index_of(value)
        return self.class_labels[index] if index >= 0 else self.missing_label


@dataclass(frozen=True)
class Split:
    """Show a layer as one switchable map layer per value of a column.

    Parameters
    ----------
    column : str
        The column, e.g. ``"kind"``.
    labels : tuple of (value, str)
        Names of the values in the layer switcher, in the order listed there;
        other values follow, named from the value.
    shown : tuple
        Values whose map layer is on when the map opens; when none of them
        is present, the first value's is. Empty: every part starts off.
    """

    column: str
    labels: tuple[tuple[Any, str], ...] = ()
    shown: tuple[Any, ...] = ()

    def label(self, value: Any) -> str:
        """The switcher name of `value`."""
        return dict(self.labels).get(value) or _humanise(str(value))

    def ordered(self, present: Iterable[Any]) -> list[Any]:
        """The values in `present`, listed ones first in their order, then the rest sorted."""
        values = set(present)
        listed = [value for value, _ in self.labels if value in values]
        return listed + sorted(values - set(listed), key=str)


def hatch_id(color: str) -> str:
    """The id of the SVG hatch pattern drawn in `color` (letters and digits of the colour only).

    >>> hatch_id("#D94801")
    'ag-hatch-d94801'
    """
    return "ag-hatch-" + re.sub(r"[^0-9a-z]", "", color.lower())


def hatch_fill(color: str) -> str:
    """An SVG fill that paints the hatch pattern of `color` (see :class:`~alatau_geo.maps.controls.HatchPatterns`)."""
    return f"url(#{hatch_id(color)})"


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
    classes : ValueClasses or None
        Graduated colours by a numeric column; they take the place of
        `categories` for the colour (categories still name features).
    split : Split or None
        Show the layer as one switchable map layer per value of a column.
    hatch : bool
        Fill polygons with diagonal hatching in their colour instead of a
        flat tint (gaps, areas to avoid).
    pane_opacity : float or None
        Draw the layer in its own map pane, below the other vectors, with
        this opacity: features are filled opaquely inside the pane, so where
        they overlap (service areas of neighbouring facilities) the colour
        does not build up. None draws it with the other vectors.
    popup_columns : tuple of str or None
        The columns the popup lists; None lists every attribute.
    compact_popups : bool
        Build popups in the browser from one shared, escaped template and
        each feature's escaped values, instead of a full popup per feature:
        for layers with thousands of features. The popup lists
        `popup_columns`; the tooltip shows the first of them.
    legend_note : str
        A note under the layer's legend group.
    merge_by : tuple of str
        Show features sharing these columns' values as one feature, their
        union (:func:`alatau_geo.maps.features.merge_for_display`): where many
        features overlap, the browser would otherwise paint each. The
        download keeps every feature.
    merge_lists : tuple of (str, str)
        On a merged feature, the values of column ``source`` listed in
        column ``target`` (e.g. the ids of the merged facilities).
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
    classes: ValueClasses | None = None
    split: Split | None = None
    hatch: bool = False
    pane_opacity: float | None = None
    popup_columns: tuple[str, ...] | None = None
    compact_popups: bool = False
    legend_note: str = ""
    merge_by: tuple[str, ...] = ()
    merge_lists: tuple[tuple[str, str], ...] = ()

    def category_of(self, value: Any) -> Category | None:
        """The listed category for `value`, or None."""
        for category in self.categories:
            if category.value == value:
                return category
        return None

    def tint_of(self, properties: Mapping[str, Any]) -> str | None:
        """The feature's colour from its class or category, or None for the layer's own colours."""
        if self.classes is not None:
            return self.classes.color_of(properties.get(self.classes.column))
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        return category.color if category else None

    def fill_paint(self, color: str) -> str:
        """The SVG fill of polygons of `color`: the colour, or its hatch pattern."""
        return hatch_fill(color) if self.hatch else color

    def hatch_colors(self) -> tuple[str, ...]:
        """Colours whose hatch pattern the page must define for this layer."""
        if not self.hatch:
            return ()
        colors = [c.color for c in self.categories]
        if self.classes is not None:
            colors += [*self.classes.colors, self.classes.missing_color]
        return tuple(dict.fromkeys([*colors, self.fill_color or self.color]))

    def feature_label(self, properties: Mapping[str, Any], *, title: str) -> str | None:
        """A name for a feature without one, from its split value, category and class.

        >>> style = STYLES["service_areas"]
        >>> style.feature_label({"kind": "substation", "minutes": 10.0}, title="Service areas by travel time")
        'Service areas: Substation · Within 10 min'
        """
        parts: list[str] = []
        if self.split is not None:
            parts.append(self.split.label(properties.get(self.split.column)))
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        if category is not None and category.label not in parts:
            parts.append(category.label)
        if self.classes is not None:
            parts.append(self.classes.label_of(properties.get(self.classes.column)))
        return f"{self.legend_title or title}: {' · '.join(parts)}" if parts else None

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
        tint = self.tint_of(properties)
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
                style.update(fillColor=self.fill_paint(fill), fillOpacity=self.fill_opacity)
        return style


# Facility kinds: one colour each, shared by the badges, coverage and gaps.
KIND_COLORS: Mapping[str, str] = MappingProxyType(
    {"substation": "#d94801", "water_intake": "#0570b0", "wastewater_plant": "#6a3d9a"}
)
_FACILITY_KINDS = Split(
    "kind",
    labels=(
        ("substation", "Substation"),
        ("water_intake", "Water intake"),
        ("wastewater_plant", "Wastewater treatment plant"),
    ),
    shown=("substation",),
)
_KIND_CATEGORIES = tuple(Category(value, label, KIND_COLORS[value]) for value, label in _FACILITY_KINDS.labels)
# Travel time in minutes: a value on a break is in the class below (10.0 is "5–10 min").
TRAVEL_TIME_BREAKS_MIN: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)

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
                Category("substation", "Substation (SS)", KIND_COLORS["substation"], badge="SS"),
                Category("water_intake", "Water intake (WI)", KIND_COLORS["water_intake"], badge="WI"),
                Category(
                    "wastewater_plant", "Wastewater treatment plant (WW)", KIND_COLORS["wastewater_plant"], badge="WW"
                ),
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
        # Analysis layers (the proximity map). Service areas: one map layer per
        # facility kind, the areas of its facilities merged per limit (painting
        # each facility's made panning 3 times slower), nested limits in one hue,
        # 30 min lightest and drawn beneath; opaque in a translucent pane.
        "service_areas": LayerStyle(
            group=GROUP_SERVICE_AREAS,
            color="#01665e",
            fill_opacity=1.0,
            weight=0.8,
            order=13,
            simplify_m=20.0,
            legend_title="Service areas",
            classes=ValueClasses(
                "minutes",
                breaks=(10.0, 20.0, 30.0),
                colors=("#01665e", "#35978f", "#99d5cb", "#d8efeb"),
                labels=("Within 10 min", "Within 20 min", "Within 30 min", "More than 30 min"),
                missing_label="Limit not given",
                low_on_top=True,
            ),
            split=_FACILITY_KINDS,
            pane_opacity=0.5,
            merge_by=("kind", "minutes"),
            merge_lists=(("facility_id", "facility_ids"), ("reason", "notes")),
            legend_note="Reached over the road network from any facility of the kind (the areas of its "
            "facilities merged; each one is in the download); shorter limits are drawn over longer ones. "
            "One map layer per facility kind.",
        ),
        "coverage": LayerStyle(
            group=GROUP_COVERAGE,
            color="#525252",
            fill_color="#969696",
            fill_opacity=0.06,
            weight=2.0,
            dash_array="6 4",
            order=14,
            simplify_m=20.0,
            legend_title="Coverage",
            category_column="kind",
            categories=_KIND_CATEGORIES,
            split=Split(_FACILITY_KINDS.column, labels=_FACILITY_KINDS.labels, shown=()),
        ),
        "coverage_gaps": LayerStyle(
            group=GROUP_COVERAGE,
            color="#525252",
            fill_color="#969696",
            fill_opacity=1.0,
            weight=1.5,
            order=16,
            simplify_m=20.0,
            legend_title="Coverage gaps",
            category_column="kind",
            categories=_KIND_CATEGORIES,
            split=_FACILITY_KINDS,
            hatch=True,
            legend_note="Coverage: land within the service radius (straight line) of a facility of the kind "
            "(dashed outline). Gaps (hatched): city area outside every such radius. One map layer per kind.",
        ),
        # The travel-time surface: thousands of network nodes, one small dot
        # each, one style per class, popups built in the browser.
        "travel_time_nodes": LayerStyle(
            group=GROUP_TRAVEL_TIME,
            color="#1a1a1a",
            fill_opacity=0.9,
            weight=0.0,
            radius_px=3.0,
            order=38,
            show=False,
            simplify_m=0.0,
            legend_title="Travel time",
            classes=ValueClasses(
                "travel_time_min",
                breaks=TRAVEL_TIME_BREAKS_MIN,
                colors=("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"),
                unit="min",
                missing_label="Unreachable",
                missing_color="#9e9e9e",
            ),
            popup_columns=("travel_time_min", "facility_id"),
            compact_popups=True,
            legend_note="Each dot is a street node, coloured by the travel time over the road network to "
            "the nearest facility of any kind.",
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

# How context layers are drawn on the analysis maps, replacing their STYLES
# entry there: outlines only, so the analysis colours read clearly.
CONTEXT_STYLES: Mapping[str, LayerStyle] = MappingProxyType(
    {
        "districts": LayerStyle(
            group=GROUP_PLAN,
            color="#3f3f3f",
            weight=1.5,
            dash_array="5 4",
            order=10,
            legend_title="District outlines",
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
            return ColumnFormat(_humanise(column.removesuffix(suffix)), unit, decimals)
    return ColumnFormat(_humanise(column))


def _humanise(column: str) -> str:
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
