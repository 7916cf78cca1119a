"""How features are classified for drawing: categories, graduated classes, and splits into map layers.

A layer's features are coloured by the value of a category column
(:class:`Category`), or by a numeric column cut into classes at fixed
breaks (:class:`ValueClasses`, e.g. travel time in 0–5, 5–10, 10–20, 20–30
and over 30 minutes); a layer can be shown as one switchable map layer per
value of a column (:class:`Split`, service areas per facility kind).

Colours are CSS hex strings.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alatau_geo.maps.column_formats import humanise

__all__ = ["Category", "Split", "ValueClasses"]


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
        if isinstance(value, float | int | np.number) and not isinstance(value, bool | np.bool_):
            # A plain number, the common case, needs neither pandas nor a NumPy call (each
            # costs microseconds): a page classifies every feature of every layer one by one.
            # bisect_left on the ascending breaks is searchsorted's side="left".
            number = float(value)
            return bisect.bisect_left(self.breaks, number) if math.isfinite(number) else -1
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
        return dict(self.labels).get(value) or humanise(str(value))

    def ordered(self, present: Iterable[Any]) -> list[Any]:
        """The values in `present`, listed ones first in their order, then the rest sorted."""
        values = set(present)
        listed = [value for value, _ in self.labels if value in values]
        return listed + sorted(values - set(listed), key=str)
