"""What a report is made of, whatever it is rendered to.

A :class:`Document` is a title and a list of :class:`Section` objects, each
holding paragraphs, tables (pandas frames) and figures (matplotlib figures).
The audit and the model report build documents; ``_html`` renders one as a
self-contained page with the figures embedded, ``_markdown`` as a markdown
summary or as plain text for the terminal. Figures are drawn with
``matplotlib.figure.Figure`` directly, never through ``pyplot``, so that no
window opens and no global state is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._labels import label_text


@dataclass
class Table:
    """A captioned table; ``highlight`` names index labels to emphasise."""

    caption: str
    frame: pd.DataFrame
    highlight: list = field(default_factory=list)


@dataclass
class Plot:
    """A captioned matplotlib figure, its texts drawn as written (no mathtext)."""

    caption: str
    figure: Any
    alt: str = ""

    def __post_init__(self):
        # Every figure of a report passes here, so no label from the data
        # reaches matplotlib's math parser, whichever plot drew it.
        if self.figure is not None:
            from ._plots import literal_text

            literal_text(self.figure)


@dataclass
class Section:
    """A heading with its paragraphs, tables and plots, in that order."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)


@dataclass
class Document:
    """A titled list of sections."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)


# A table shows at most this many groups (or features): a thousand rows is a
# table nobody reads, and a page that takes minutes to build. The frames on
# the report object keep every row.
MAX_TABLE_ROWS = 50


def largest(counts: Any, limit: int) -> np.ndarray:
    """Positions of the ``limit`` largest ``counts``, in their original order.

    Ties go to the earlier position, so the choice is deterministic.
    """
    counts = np.asarray(counts, dtype=float)
    if len(counts) <= limit:
        return np.arange(len(counts))
    return np.sort(np.argsort(-counts, kind="stable")[:limit])


def left_out(counts: Any, shown: dict, *, holder: str, noun: str = "groups",
             by: str = "largest", unit: str | None = "rows") -> list[str]:
    """A note of what the tables and plots leave out; empty when nothing is.

    Parameters
    ----------
    counts : array-like
        The size of each group (or the value that ranks each feature).
    shown : dict of str to int
        How many each place shows, for example ``{"table shows": 50}``.
    holder : str
        Where every one of them can be read, for example ``"audit.groups"``.
    noun, by, unit : str
        What they are, how they are ranked, and what ``counts`` counts
        (None: do not sum what is left out).

    Returns
    -------
    list of str
        One paragraph, or none.
    """
    counts = np.sort(np.asarray(counts, dtype=float))[::-1]
    n = len(counts)
    parts = []
    for where, k in shown.items():
        if k < n:
            gone = f"{n - k:,} {noun}" + (f", {counts[k:].sum():,.0f} {unit}" if unit else "")
            parts.append(f"the {where} the {k} {by} ({gone} left out)")
    if not parts:
        return []
    return [f"Of the {n:,} {noun}, " + " and ".join(parts) + f"; {holder} holds them all."]


def format_value(value: Any, digits: int = 3) -> str:
    """A cell as text: floats rounded, missing values as a dash."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return "–"
        return f"{value:.{digits}f}" if digits else f"{value:,.0f}"
    if isinstance(value, (int, np.integer)):
        return f"{value:d}"
    return str(value)


def formatted(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The frame with every cell turned into display text.

    A float column that holds whole numbers above 1 only (counts kept as
    floats) is shown without decimals.
    """
    columns = {}
    for j, (_, column) in enumerate(frame.items()):
        places = 0 if _whole_numbers(column) else digits
        columns[j] = [format_value(v, places) for v in column]
    out = pd.DataFrame(columns, index=[label_text(i) for i in frame.index])
    out.columns = [label_text(c) for c in frame.columns]
    names = [n for n in frame.index.names if n is not None]
    out.index.name = " / ".join(str(n) for n in names) or None
    return out


def _whole_numbers(column: pd.Series) -> bool:
    if column.dtype.kind != "f":
        return False
    finite = column.to_numpy()[np.isfinite(column.to_numpy())]
    return bool(finite.size) and bool((finite == np.round(finite)).all()) and finite.max() > 1


