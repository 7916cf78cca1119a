"""Charts of indicators by scenario, as PNG bytes (matplotlib, no pyplot state).

Every text (indicator names, scenario labels) is drawn as plain text: names
are data and are never parsed as mathtext.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

SCENARIO_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
"""Bar colours of the scenarios, in order."""


def grouped_bars_png(table: pd.DataFrame, *, labels: Sequence[str], category: str, title: str, unit: str,
                     width_in: float = 4.2, dpi: int = 110) -> bytes:
    """Horizontal bars: one group per row of `table`, one bar per scenario.

    Parameters
    ----------
    table : DataFrame
        One row per bar group; column `category` names the group, one
        column per scenario label holds the values (NaN and ``inf`` are
        left out).
    labels : sequence of str
        Scenario columns, in order.
    category : str
        Column naming each group.
    title, unit : str
        Chart title and the unit of the value axis.
    width_in : float
        Figure width, inches.
    dpi : int

    Returns
    -------
    bytes
        The PNG file's content.
    """
    groups = len(table)
    height = min(0.9 + 0.22 * groups * max(1, len(labels)) ** 0.5, 3.2)
    figure = Figure(figsize=(width_in, height), dpi=dpi, layout="constrained")
    ax = figure.subplots()
    positions = np.arange(groups)
    bar = 0.8 / max(1, len(labels))
    for i, label in enumerate(labels):
        values = pd.to_numeric(table[label], errors="coerce").to_numpy(dtype=float)
        shown = np.where(np.isfinite(values), values, 0.0)
        ax.barh(positions + i * bar - 0.4 + bar / 2, shown, height=bar,
                color=SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], label=label)
    ax.set_yticks(positions)
    ax.set_yticklabels([str(v) for v in table[category]], fontsize=6)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=6)
    ax.set_xlabel(unit, fontsize=6)
    ax.set_title(title, fontsize=7, parse_math=False)
    ax.grid(axis="x", linewidth=0.3, alpha=0.6)
    if len(labels) > 1:
        legend = figure.legend(fontsize=6, frameon=False, loc="outside lower center", ncol=min(len(labels), 4))
        for text in legend.get_texts():
            text.set_parse_math(False)
    for text in ax.get_yticklabels():
        text.set_parse_math(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
