"""Labels: the one rule for which class is positive, and how labels print.

The audit, the command line, the model report and the metrics all ask the
same question of a binary target; they all get their answer here, so that a
target coded {1, 2} or {"No", "Yes"} has the same positive class everywhere.

The rule is scikit-learn's: the classes are sorted as ``np.unique`` sorts
them (``classes_``), and without an explicit ``pos_label`` the positive class
is the last of them: 1 for {0, 1} and {-1, 1}, 2 for {1, 2}, "Yes" for
{"No", "Yes"}, True for booleans.

Labels and group values print through :func:`plain` and :func:`label_text`
everywhere (messages, tables, plots), so that ``np.int64(0)`` shows as ``0``
and an intersectional group as ``"f / a"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def sorted_labels(values: Any) -> list:
    """The distinct non-missing labels of ``values``, in ``classes_`` order.

    Labels of mixed types (which ``np.unique`` cannot sort) are sorted by type
    name first, so the order is still deterministic.
    """
    unique = pd.unique(pd.Series(np.asarray(values, dtype=object).ravel()).dropna())
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=lambda v: (type(v).__name__, v))


def positive_label(values: Any, pos_label: Any = None, *, name: str = "y") -> Any:
    """The positive class of the labels ``values``.

    Parameters
    ----------
    values : array-like
        The labels (or the classes themselves, such as ``classes_``).
    pos_label : object, default=None
        The positive class when the user names it; it must be one of the
        labels. When None, the last label in sorted order.
    name : str, default="y"
        What ``values`` is called in error messages.

    Returns
    -------
    object
        The positive label, as it appears in ``values``.

    Raises
    ------
    ValueError
        If ``pos_label`` is not one of the labels, or there are no labels.
    """
    labels = sorted_labels(values)
    if not labels:
        raise ValueError(f"{name} has no labels (it is empty or all missing).")
    if pos_label is None:
        return labels[-1]
    for label in labels:
        if label == pos_label or str(label) == str(pos_label) and not _is_number(pos_label):
            return label
    shown = ", ".join(repr(plain(v)) for v in labels[:10])
    raise ValueError(f"pos_label={plain(pos_label)!r} is not a label of {name}; "
                     f"its labels are: {shown}{', ...' if len(labels) > 10 else ''}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def label_text(value: Any) -> str:
    """A group, index or column label as text: a tuple's levels joined by
    ``" / "`` (the empty padding of an ``"all"`` row left out), numpy
    scalars as the values they hold."""
    if isinstance(value, tuple):
        return " / ".join(str(plain(v)) for v in value if not _is_padding(v))
    return str(plain(value))


def _is_padding(value: Any) -> bool:
    return isinstance(value, str) and value == ""


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, so that it prints as ``0``,
    not ``np.int64(0)``; a tuple (an intersectional group) element-wise.

    The one such helper: messages, tables and reports all print labels with it.
    """
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value
