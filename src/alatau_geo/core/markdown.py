r"""Markdown text for the reports: tables whose cells are data, never markup.

A name in a table is shown as text wherever a report is read (a Markdown
viewer renders inline HTML and table syntax), so every cell is escaped:
``&``, ``<`` and ``>`` as HTML entities, ``|`` and ``\\`` with a backslash,
line breaks as spaces.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

__all__ = ["markdown_cell", "markdown_table"]


def markdown_cell(value: object) -> str:
    r"""`value` as the text of one Markdown table cell: numbers with thousands separators, text escaped.

    Examples
    --------
    >>> markdown_cell("<script>a|b</script>")
    '&lt;script&gt;a\\|b&lt;/script&gt;'
    >>> markdown_cell(1234567), markdown_cell(12.3456), markdown_cell(float("nan"))
    ('1,234,567', '12.3', '')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.1f}" if abs(value) >= 100 else f"{float(value):,.3g}"
    text = escape(" ".join(str(value).splitlines()), quote=False)
    return text.replace("\\", "\\\\").replace("|", "\\|")


def markdown_table(table: pd.DataFrame, *, title: str | None = None) -> str:
    """A Markdown table of `table`, numeric columns right-aligned, every cell escaped.

    Parameters
    ----------
    table : DataFrame
    title : str, optional
        A level-2 heading above the table.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"name": ["Gate"], "area_ha": [4000.1]})), end="")
    | name | area_ha |
    |---|---:|
    | Gate | 4,000.1 |
    """
    lines = [f"## {markdown_cell(title)}", ""] if title else []
    lines.append("| " + " | ".join(markdown_cell(str(c)) for c in table.columns) + " |")
    lines.append("|" + "|".join("---:" if pd.api.types.is_numeric_dtype(table[c]) else "---"
                                for c in table.columns) + "|")
    lines.extend("| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in table.itertuples(index=False))
    return "\n".join(lines) + "\n"
