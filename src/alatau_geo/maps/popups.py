"""Popup and tooltip HTML for map features, escaped here and nowhere else.

Leaflet inserts popup, tooltip and layer-control content with
``innerHTML``, and folium's ``GeoJsonPopup``/``GeoJsonTooltip`` pass
attribute values through unescaped. So the maps never hand an attribute
value to folium or Leaflet as markup: every value is formatted to text here
and passed through :func:`html.escape` before it becomes part of a
fragment. A feature named ``<script>alert(1)</script>`` then shows as that
text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from numbers import Integral, Real
from typing import Any

import pandas as pd

from alatau_geo.maps.column_formats import ColumnFormat, column_format
from alatau_geo.maps.style import Badge

__all__ = [
    "MISSING",
    "NAME_COLUMNS",
    "PopupTemplate",
    "badge_icon",
    "badge_text_colour",
    "display_name",
    "format_value",
    "popup_columns",
    "popup_html",
    "popup_template",
    "popup_values",
    "tooltip_html",
]

NAME_COLUMNS: tuple[str, ...] = ("name_en", "name_kk", "name_ru")
# Columns that name a feature when it has no name_en, in order of preference.
_FALLBACK_NAME_COLUMNS: tuple[str, ...] = ("name_ru", "name_kk", "name", "water_body", "ref")
# Shown for an empty value, so a blank cell is never mistaken for zero.
MISSING = "—"
_LANGUAGES: tuple[tuple[str, str, str], ...] = (("name_kk", "kk", "KK"), ("name_ru", "ru", "RU"))


def _is_missing(value: Any) -> bool:
    if isinstance(value, (str, bytes, bool)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is a value, not a missing scalar
        return False


def format_value(value: Any, fmt: ColumnFormat) -> str:
    """An attribute value as display text (not yet escaped).

    Numbers get thousands separators and `fmt.decimals` decimal places;
    booleans read yes/no; missing values read :data:`MISSING`.

    Examples
    --------
    >>> format_value(1234.4, ColumnFormat("Elevation", "m", 0))
    '1,234'
    >>> format_value(15320.25, ColumnFormat("Upstream area", "km²", 1))
    '15,320.2'
    >>> format_value(None, ColumnFormat("Kind"))
    '—'
    >>> format_value(True, ColumnFormat("Schematic alignment"))
    'yes'
    """
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{value:,}"
    if isinstance(value, Real):
        return f"{value:,.{fmt.decimals}f}"
    return str(value).strip() or MISSING


def display_name(properties: Mapping[str, Any], *, fallback: str) -> str:
    """The name a feature is shown under (not yet escaped).

    The English name, else the first of the Russian or Kazakh name, a
    ``name``, ``water_body`` or ``ref`` attribute that has a value, else
    `fallback`.

    Examples
    --------
    >>> display_name({"name_en": None, "name_ru": "Каскелен"}, fallback="Stream")
    'Каскелен'
    >>> display_name({"name_en": None}, fallback="Unnamed stream")
    'Unnamed stream'
    """
    for column in ("name_en", *_FALLBACK_NAME_COLUMNS):
        value = properties.get(column)
        if not _is_missing(value) and str(value).strip():
            return str(value).strip()
    return fallback


def popup_columns(columns: Iterable[str]) -> list[str]:
    """The attribute columns a popup lists as table rows, in their order.

    Names are in the popup's heading and the id in its footer, so they are
    not repeated; the geometry is never shown.
    """
    skip = {"id", "geometry", *NAME_COLUMNS}
    return [column for column in columns if column not in skip and not column.startswith("_")]


def popup_html(
    properties: Mapping[str, Any],
    *,
    layer_title: str,
    columns: Iterable[str],
    quality: str | None = None,
    unnamed: str | None = None,
) -> str:
    """The popup of one feature: name heading, Kazakh and Russian names, attribute table.

    Parameters
    ----------
    properties : Mapping
        The feature's attributes.
    layer_title : str
        Human-readable layer title, shown in the footer with the feature id.
    columns : iterable of str
        Attribute columns to list, in order (see :func:`popup_columns`).
    quality : str, optional
        The layer's provenance quality flag, shown in the footer so a reader
        knows how far to trust the geometry.
    unnamed : str, optional
        Heading of a feature without a name (default: "Unnamed feature (<layer title>)").

    Returns
    -------
    str
        An HTML fragment in which every value is escaped.

    Examples
    --------
    >>> html = popup_html({"id": 1, "name_en": "<b>", "elevation_m": 612},
    ...                   layer_title="Places", columns=["elevation_m"])
    >>> "&lt;b&gt;" in html and "<b>" not in html and "Elevation (m)" in html
    True
    """
    title = display_name(properties, fallback=unnamed or f"Unnamed feature ({layer_title})")
    parts = [f'<div class="ag-popup"><div class="ag-popup-title">{escape(title)}</div>']
    names = [
        f'<span class="ag-lang">{tag}</span> <span lang="{lang}">{escape(str(properties[column]).strip())}</span>'
        for column, lang, tag in _LANGUAGES
        if not _is_missing(properties.get(column)) and str(properties[column]).strip()
    ]
    if names:
        parts.append(f'<div class="ag-popup-names">{"<br>".join(names)}</div>')
    rows = []
    for column in columns:
        fmt = column_format(column)
        value = format_value(properties.get(column), fmt)
        raw = properties.get(column)
        numeric = ' class="ag-num"' if isinstance(raw, Real) and not isinstance(raw, bool) else ""
        rows.append(f"<tr><th>{escape(fmt.header)}</th><td{numeric}>{escape(value)}</td></tr>")
    if rows:
        parts.append(f'<table class="ag-popup-table">{"".join(rows)}</table>')
    feature_id = format_value(properties.get("id"), ColumnFormat("id"))
    footer = f"{layer_title} · id {feature_id}" + (f" · layer quality: {quality}" if quality else "")
    parts.append(f'<div class="ag-popup-source">{escape(footer)}</div></div>')
    return "".join(parts)


@dataclass(frozen=True)
class PopupTemplate:
    """The fixed, escaped markup of a layer's popups and tooltips, with slots for values.

    For layers with thousands of features a popup per feature would weigh
    megabytes. Instead each feature carries only its escaped values
    (:func:`popup_values`), and the page joins them with this markup when
    a popup opens: ``popup[0] + values[0] + popup[1] + ... + popup[n]``;
    the tooltip is ``tooltip[0] + values[0] + tooltip[1]``. Values and
    markup are escaped here, so joining them in the browser inserts nothing
    unescaped.

    Attributes
    ----------
    popup : tuple of str
        One more part than there are values: the columns' values, then the id.
    tooltip : tuple of str
        Two parts around the first column's value.
    """

    popup: tuple[str, ...]
    tooltip: tuple[str, ...]


def popup_template(columns: Iterable[str], *, layer_title: str, quality: str | None = None) -> PopupTemplate:
    """The shared popup of a layer: title, one table row per column, footer with the feature id.

    Examples
    --------
    >>> template = popup_template(["travel_time_min"], layer_title="Travel <time>")
    >>> template.tooltip
    ('Travel time (min): ', '')
    >>> "Travel &lt;time&gt;" in template.popup[0] and len(template.popup)
    3
    """
    columns = list(columns)
    rows = [f"<tr><th>{escape(column_format(column).header)}</th><td>" for column in columns]
    head = f'<div class="ag-popup"><div class="ag-popup-title">{escape(layer_title)}</div>'
    footer = f'<div class="ag-popup-source">{escape(layer_title)} · id '
    # The markup before each value (every column's, then the id's), then after the last.
    before = [head + '<table class="ag-popup-table">' + rows[0]] if rows else []
    before += ["</td></tr>" + row for row in rows[1:]]
    before.append(("</td></tr></table>" if rows else head) + footer)
    after = (f" · layer quality: {escape(quality)}" if quality else "") + "</div></div>"
    parts = [*before, after]
    first = f"{column_format(columns[0]).header}: " if columns else ""
    return PopupTemplate(popup=tuple(parts), tooltip=(escape(first), ""))


def popup_values(properties: Mapping[str, Any], columns: Iterable[str]) -> list[str]:
    """A feature's escaped values for a :class:`PopupTemplate`: the columns' values, then its id.

    Examples
    --------
    >>> popup_values({"id": 7, "travel_time_min": 12.345, "facility_id": "<b>"}, ["travel_time_min", "facility_id"])
    ['12.3', '&lt;b&gt;', '7']
    """
    values = [escape(format_value(properties.get(column), column_format(column))) for column in columns]
    return [*values, escape(format_value(properties.get("id"), ColumnFormat("id")))]


def tooltip_html(properties: Mapping[str, Any], *, layer_title: str) -> str:
    """The hover tooltip of one feature: its escaped display name.

    Examples
    --------
    >>> tooltip_html({"name_en": "<script>alert(1)</script>"}, layer_title="Places")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return escape(display_name(properties, fallback=layer_title))


def badge_text_colour(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (``#rrggbb``; white otherwise)."""
    if len(fill) != 7 or not fill.startswith("#"):
        return "#ffffff"
    try:
        red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except ValueError:
        return "#ffffff"
    return "#1a1a1a" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.62 else "#ffffff"


def badge_icon(badge: Badge) -> dict[str, Any]:
    """Leaflet ``L.divIcon`` options drawing `badge`: a round or square label, no image, no font file.

    The markup is HTML with inline CSS (the page's style sheet sizes and
    shapes ``.ag-badge``); letters and colours are escaped like any value.

    Examples
    --------
    >>> icon = badge_icon(Badge("<b>", "#d94801", "#1a1a1a", "round", 24, dashed=True))
    >>> icon["html"]  # doctest: +NORMALIZE_WHITESPACE
    '<span class="ag-badge ag-badge-round"
     style="background:#d94801;color:#ffffff;border-color:#1a1a1a;border-style:dashed">&lt;b&gt;</span>'
    >>> icon["iconSize"], icon["iconAnchor"]
    ([24, 24], [12, 12])
    """
    size, half = badge.size_px, badge.size_px // 2
    css = (
        f"background:{badge.fill};color:{badge_text_colour(badge.fill)};border-color:{badge.rim};"
        f"border-style:{'dashed' if badge.dashed else 'solid'}"
    )
    shape = "square" if badge.shape == "square" else "round"
    return {
        "className": "ag-badge-icon",
        "html": (
            f'<span class="ag-badge ag-badge-{shape}" style="{escape(css, quote=True)}">'
            f"{escape(badge.text)}</span>"
        ),
        "iconSize": [size, size],
        "iconAnchor": [half, half],
        "popupAnchor": [0, -half],
        "tooltipAnchor": [half, 0],
    }
