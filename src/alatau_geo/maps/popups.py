"""Popup and tooltip HTML for map features, escaped here and nowhere else.

Leaflet inserts popup, tooltip and layer-control content with
``innerHTML``, and folium's ``GeoJsonPopup``/``GeoJsonTooltip`` pass
attribute values through unescaped. So the maps never hand an attribute
value to folium or Leaflet as markup: every value is formatted to text here
and escaped (:func:`html.escape`, or :mod:`alatau_geo.maps.i18n`, which
escapes each language) before it becomes part of a fragment. A feature
named ``<script>alert(1)</script>`` then shows as that text.

A popup speaks to people first: the name in the page's language, the names
in the other two, then the values a planner reads (worded: "Under way",
units in the headers); how the feature was built, placed and sourced
(rules, calibrated parameters, sources) is folded under "Technical
details", with the layer, the id and the layer's quality.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from numbers import Integral, Real
from typing import Any

import pandas as pd

from alatau_geo.maps.column_formats import TECHNICAL_COLUMNS, ColumnFormat, column_format, is_worded, value_label
from alatau_geo.maps.i18n import LANGUAGES, feature_names, names_html, text_html
from alatau_geo.maps.style import Badge

__all__ = [
    "MISSING",
    "NAME_COLUMNS",
    "PopupTemplate",
    "badge_icon",
    "badge_text_colour",
    "display_name",
    "feature_head",
    "format_value",
    "popup_columns",
    "popup_html",
    "popup_template",
    "popup_value_rows",
    "popup_values",
    "tooltip_html",
]

NAME_COLUMNS: tuple[str, ...] = ("name_en", "name_kk", "name_ru")
_LANGUAGE_TAGS = {"en": "EN", "kk": "KK", "ru": "RU"}
# Columns that name a feature when it has no name_en, in order of preference.
_FALLBACK_NAME_COLUMNS: tuple[str, ...] = ("name_ru", "name_kk", "name", "water_body", "ref")
# Shown for an empty value, so a blank cell is never mistaken for zero.
MISSING = "—"


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


_SLOT = "\x00"  # where a value goes while a template is built; never in escaped markup


def _value_html(column: str, value: Any) -> str:
    """A cell's escaped markup: numbers and free text as they are, coded values worded and translated."""
    text = format_value(value, column_format(column))
    if isinstance(value, bool) or (isinstance(value, str) and text != MISSING and is_worded(column, value)):
        return text_html(value_label(column, text))
    return escape(text)


def _rows(columns: Sequence[str], numeric: frozenset[str]) -> str:
    rows = []
    for column in columns:
        cell = '<td class="ag-num">' if column in numeric else "<td>"
        rows.append(f"<tr><th>{text_html(column_format(column).header)}</th>{cell}{_SLOT}</td></tr>")
    return f'<table class="ag-popup-table">{"".join(rows)}</table>' if rows else ""


@dataclass(frozen=True)
class PopupTemplate:
    """The fixed, escaped markup of a layer's popups and tooltips, with slots for each feature's values.

    A popup per feature would repeat the layer's headers (in three
    languages) in every feature and weigh megabytes. Instead each feature
    carries only its escaped values (:func:`popup_values`), its title and
    its names in the other languages (:func:`feature_head`), and the page
    joins them with this markup when a popup opens (:func:`popup_html` does
    the same in Python)::

        <div class="ag-popup" data-layer=LAYER data-id=ID>
          <div class="ag-popup-title">TITLE</div> NAMES
          popup[0] values[0] popup[1] ... values[n] popup[n + 1]

    where the last value is the feature's id. Values and markup are escaped
    here, so joining them in the browser inserts nothing unescaped.

    Attributes
    ----------
    layer : str
        The layer's name, escaped for an attribute.
    title : str
        The title markup of features that bring none (the layer's title).
    columns : tuple of str
        The columns whose values fill the slots, in slot order: those a
        planner reads first, then the technical ones; the id comes last.
    popup : tuple of str
        One more part than there are values.
    tooltip : tuple of str
        Two parts around the first value: the tooltip of features without a title.
    """

    layer: str
    title: str
    columns: tuple[str, ...]
    popup: tuple[str, ...]
    tooltip: tuple[str, str]


def popup_template(
    columns: Iterable[str], *, layer_title: str, quality: str | None = None, layer: str = "",
    numeric: Iterable[str] = (),
) -> PopupTemplate:
    """The shared popup of a layer: the values a planner reads, then technical details and the id in a fold.

    Parameters
    ----------
    columns : iterable of str
        Attribute columns to list (see :func:`popup_columns`); those in
        :data:`~alatau_geo.maps.column_formats.TECHNICAL_COLUMNS` go under
        the "Technical details" fold.
    layer_title : str
        Human-readable layer title: the title of features without a name,
        and the footer with the feature id.
    quality : str, optional
        The layer's provenance quality flag, shown in the footer so a reader
        knows how far to trust the geometry.
    layer : str
        The layer's name, written into the popup's ``data-layer`` attribute.
    numeric : iterable of str
        Columns whose values are numbers (aligned right).

    Examples
    --------
    >>> template = popup_template(["travel_time_min", "source"], layer_title="Travel <time>")
    >>> template.columns, len(template.popup)
    (('travel_time_min', 'source'), 4)
    >>> "Travel time" in template.tooltip[0] and "&lt;time&gt;" in template.title
    True
    """
    columns = list(columns)
    primary = [column for column in columns if column not in TECHNICAL_COLUMNS]
    technical = [column for column in columns if column in TECHNICAL_COLUMNS]
    numbers = frozenset(numeric)
    footer = [text_html(layer_title), f"{text_html('id')} {_SLOT}"]
    if quality:
        footer.append(f"{text_html('layer quality')}: {text_html(quality)}")
    body = (
        _rows(primary, numbers)
        + f'<details class="ag-details"><summary>{text_html("Technical details")}</summary>'
        + _rows(technical, numbers)
        + f'<div class="ag-popup-source">{" · ".join(footer)}</div></details></div>'
    )
    ordered = (*primary, *technical)
    first = f"{text_html(column_format(ordered[0]).header)}: " if ordered else ""
    return PopupTemplate(
        layer=escape(layer, quote=True),
        title=text_html(layer_title),
        columns=ordered,
        popup=tuple(body.split(_SLOT)),
        tooltip=(first, ""),
    )


def popup_values(properties: Mapping[str, Any], template: PopupTemplate) -> list[str]:
    """A feature's escaped values for `template`: its columns' values, then its id.

    Examples
    --------
    >>> template = popup_template(["travel_time_min", "facility_id"], layer_title="Travel time")
    >>> popup_values({"id": 7, "travel_time_min": 12.345, "facility_id": "<b>"}, template)
    ['12.3', '&lt;b&gt;', '7']
    """
    values = [_value_html(column, properties.get(column)) for column in template.columns]
    return [*values, escape(format_value(properties.get("id"), ColumnFormat("id")))]


def popup_value_rows(records: Sequence[Mapping[str, Any]], template: PopupTemplate, *,
                     kinds: Mapping[str, str]) -> list[list[str]]:
    """:func:`popup_values` of each of `records` (the rows of a frame as ``to_dict("records")`` gives them).

    The same texts, made column by column: a column of floats, integers
    or booleans (`kinds`: each column's numpy dtype kind, ``f``, ``i``,
    ``u`` or ``b``) is formatted with its format looked up once, which is
    what most of the time of a page of thousands of blocks went to; other
    columns value by value.

    Examples
    --------
    >>> template = popup_template(["travel_time_min", "facility_id"], layer_title="Travel time")
    >>> rows = [{"id": 7, "travel_time_min": 12.345, "facility_id": "<b>"}]
    >>> popup_value_rows(rows, template, kinds={"travel_time_min": "f", "facility_id": "O"})
    [['12.3', '&lt;b&gt;', '7']]
    """
    columns = [_column_texts([record.get(column) for record in records], column, kinds.get(column, "O"))
               for column in template.columns]
    ids = _column_texts([record.get("id") for record in records], "id", kinds.get("id", "O"), fmt=ColumnFormat("id"))
    return [list(row) for row in zip(*columns, ids, strict=True)]


def _column_texts(values: list[Any], column: str, kind: str, *, fmt: ColumnFormat | None = None) -> list[str]:
    """The escaped texts of one column's `values` (of numpy dtype kind `kind`), as :func:`_value_html` gives them."""
    if kind == "f":
        # Numbers, thousands separators and the missing mark hold nothing to escape.
        spec = f",.{(fmt or column_format(column)).decimals}f"
        return [MISSING if value != value else format(value, spec) for value in values]  # NaN != NaN
    if kind in ("i", "u"):
        return [format(value, ",") for value in values]
    if kind == "b":
        worded = {flag: text_html(value_label(column, "yes" if flag else "no")) for flag in (True, False)}
        return [worded[bool(value)] for value in values]
    if fmt is not None:
        return [escape(format_value(value, fmt)) for value in values]
    return [_value_html(column, value) for value in values]


def _names_block(properties: Mapping[str, Any]) -> str:
    """The feature's own names, one line per language; the page hides the line of its own language."""
    lines = []
    for language in LANGUAGES:
        value = properties.get(f"name_{language}")
        if not _is_missing(value) and str(value).strip():
            lines.append(
                f'<div data-lang="{language}"><span class="ag-lang">{_LANGUAGE_TAGS[language]}</span> '
                f'<span lang="{language}">{escape(str(value).strip())}</span></div>'
            )
    return f'<div class="ag-popup-names">{"".join(lines)}</div>' if len(lines) > 1 else ""


def feature_head(properties: Mapping[str, Any], *, fallback: str) -> tuple[str, str]:
    """A feature's popup title (its name in every language, else `fallback`) and its names block, escaped.

    Examples
    --------
    >>> title, names = feature_head({"name_en": "Konaev", "name_ru": "Конаев"}, fallback="Places")
    >>> "Конаев" in title and 'data-lang="ru"' in names
    True
    >>> feature_head({}, fallback="Unnamed <stream>")
    ('Unnamed &lt;stream&gt;', '')
    """
    names = feature_names(properties, fallback=display_name(properties, fallback=fallback))
    title = names_html(names) if names["en"] != fallback else text_html(fallback)
    return title, _names_block(properties)


def popup_html(properties: Mapping[str, Any], template: PopupTemplate, *, fallback: str | None) -> str:
    """The popup of one feature, joined as the page joins it (see :class:`PopupTemplate`).

    Parameters
    ----------
    properties : Mapping
        The feature's attributes.
    template : PopupTemplate
        Its layer's template.
    fallback : str or None
        Title of a feature without a name; None titles every feature with the
        layer's title (layers whose features carry no title, e.g. travel-time nodes).

    Returns
    -------
    str
        An HTML fragment in which every value is escaped.

    Examples
    --------
    >>> template = popup_template(["elevation_m", "source"], layer_title="Places", layer="places")
    >>> html = popup_html({"id": 1, "name_en": "<b>", "elevation_m": 612, "source": "GeoNames"}, template,
    ...                   fallback="Places")
    >>> "&lt;b&gt;" in html and "<b>" not in html and 'lang="en">Elevation (m)</span>' in html
    True
    >>> html.index("<details") < html.index("GeoNames")
    True
    """
    values = popup_values(properties, template)
    if fallback is None:
        title, names = template.title, ""
    else:
        title, names = feature_head(properties, fallback=fallback)
    html = (
        f'<div class="ag-popup" data-layer="{template.layer}" data-id="{values[-1]}">'
        f'<div class="ag-popup-title">{title}</div>{names}{template.popup[0]}'
    )
    return html + "".join(value + part for value, part in zip(values, template.popup[1:], strict=True))


def tooltip_html(properties: Mapping[str, Any], *, layer_title: str) -> str:
    """The hover tooltip of one feature: its escaped name in every language.

    Examples
    --------
    >>> tooltip_html({"name_en": "<script>alert(1)</script>"}, layer_title="Places")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    names = feature_names(properties, fallback=display_name(properties, fallback=layer_title))
    return names_html(names)


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
