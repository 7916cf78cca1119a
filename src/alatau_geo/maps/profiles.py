"""Elevation profiles drawn as small inline SVG charts, for the popups of lines (lift lines).

A profile attribute is text (``"1707 1712 1730"``, whole metres at an even
horizontal step); :func:`parse_profile` reads it and :func:`profile_svg`
draws it. Only numbers the toolkit formats itself enter the markup, so a
value that is not a list of numbers gives no chart rather than markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alatau_geo.maps.i18n import svg_text

__all__ = ["parse_profile", "profile_svg"]

_WIDTH, _HEIGHT = 300, 120
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 8, 22


def parse_profile(value: Any) -> list[float]:
    """The elevations of a profile attribute (numbers separated by spaces or commas); [] if it is not one.

    Examples
    --------
    >>> parse_profile("1707 1712,1730")
    [1707.0, 1712.0, 1730.0]
    >>> parse_profile("<script>"), parse_profile(None)
    ([], [])
    """
    if not isinstance(value, str):
        return []
    try:
        numbers = [float(part) for part in value.replace(",", " ").split()]
    except ValueError:
        return []
    return numbers if len(numbers) >= 2 and all(math.isfinite(n) for n in numbers) else []


def profile_svg(elevations: Sequence[float], *, step_m: float) -> str:
    """An SVG line chart of an elevation profile: distance (km) across, elevation (m) up.

    Parameters
    ----------
    elevations : sequence of float
        Metres, at an even horizontal step from the line's start.
    step_m : float
        Horizontal step between samples, metres.

    Returns
    -------
    str
        ``<svg>`` markup (empty for fewer than two samples or a step that is
        not a positive number); the axes give the length and the lowest and
        highest elevation, their units in every language (:func:`~alatau_geo.maps.i18n.svg_text`).

    Examples
    --------
    >>> svg = profile_svg([1700.0, 1800.0, 1750.0], step_m=1000.0)
    >>> svg.startswith("<svg") and '2.0 <tspan class="ag-i"><tspan lang="en">km<' in svg and "1,800 <tspan" in svg
    True
    >>> profile_svg([1700.0], step_m=30.0)
    ''
    """
    values = [float(v) for v in elevations]
    if len(values) < 2 or not (isinstance(step_m, (int, float)) and math.isfinite(step_m) and step_m > 0):
        return ""
    low, high = min(values), max(values)
    span = high - low or 1.0
    length_km = step_m * (len(values) - 1) / 1000.0
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    points = " ".join(
        f"{_LEFT + plot_w * i / (len(values) - 1):.1f},{_TOP + plot_h * (1 - (v - low) / span):.1f}"
        for i, v in enumerate(values)
    )
    base = _TOP + plot_h
    metres = svg_text("m")
    area = f"{_LEFT},{base} {points} {_LEFT + plot_w},{base}"
    return (
        f'<svg class="ag-profile" xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-label="Elevation profile">'
        f'<polygon points="{area}" fill="#c7e9c0" stroke="none"/>'
        f'<polyline points="{points}" fill="none" stroke="#238b45" stroke-width="2"/>'
        f'<line x1="{_LEFT}" y1="{base}" x2="{_LEFT + plot_w}" y2="{base}" stroke="#525252"/>'
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base}" stroke="#525252"/>'
        f'<text x="{_LEFT - 4}" y="{_TOP + 8}" font-size="10" text-anchor="end">{high:,.0f} {metres}</text>'
        f'<text x="{_LEFT - 4}" y="{base}" font-size="10" text-anchor="end">{low:,.0f} {metres}</text>'
        f'<text x="{_LEFT}" y="{_HEIGHT - 6}" font-size="10">0</text>'
        f'<text x="{_LEFT + plot_w}" y="{_HEIGHT - 6}" font-size="10" text-anchor="end">{length_km:,.1f} '
        f'{svg_text("km")}</text>'
        "</svg>"
    )
