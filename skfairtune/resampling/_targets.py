"""How many rows each group-and-label cell should have after resampling.

A *cell* is one (group, label) pair. Counts and targets are integer matrices
of shape ``(n_groups, n_classes)``; everything here is exact integer
arithmetic, so that a target is met to the row and never off by a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np

from .._labels import plain

TARGETS = ("equal_cells", "equal_groups", "equal_label_rates")
STRATEGIES = ("oversample", "undersample", "mixed")

# What a user can do about an empty cell, said once for every message.
_EMPTY_CELL_HINT = (
    "Use target='equal_groups' (it keeps each group's own label rate, so it "
    "needs no row of an absent label), merge the small groups into larger "
    "ones, or drop that group."
)


def cell_counts(cells: np.ndarray, n_groups: int, n_classes: int) -> np.ndarray:
    """Count the rows of each cell; ``cells`` is ``group * n_classes + label``."""
    counts = np.bincount(cells, minlength=n_groups * n_classes)
    return counts.reshape(n_groups, n_classes)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder).

    The parts sum to ``total`` exactly, and each part is the floor or the
    ceiling of its exact share.
    """
    weights = np.asarray(weights, dtype=np.int64)
    whole = int(weights.sum())
    parts, remainders = np.divmod(total * weights, whole)
    # Ties go to the earlier label (stable sort), so the result is deterministic.
    order = np.argsort(-remainders, kind="stable")
    parts[order[: total - int(parts.sum())]] += 1
    return parts


def _size(sizes: np.ndarray, strategy: str) -> int:
    """The common size: the largest, the smallest, or the rounded mean."""
    if strategy == "oversample":
        return int(sizes.max())
    if strategy == "undersample":
        return int(sizes.min())
    return max(1, int(np.rint(sizes.mean())))


def _equal_cells(counts: np.ndarray, strategy: str) -> np.ndarray:
    return np.full_like(counts, _size(counts.ravel(), strategy))


def _equal_groups(counts: np.ndarray, strategy: str) -> np.ndarray:
    size = _size(counts.sum(axis=1), strategy)
    return np.stack([apportion(size, row) for row in counts])


def _equal_label_rates(counts: np.ndarray, strategy: str) -> np.ndarray:
    """Kamiran and Calders: every group gets the overall label distribution."""
    totals, n = counts.sum(axis=0), int(counts.sum())
    # The group size at which cell (g, y) holds exactly n_gy rows at the
    # overall rate n_y / n is n_gy * n / n_y; integer ceil/floor keep it exact.
    if strategy == "oversample":
        sizes = (-(-counts * n // totals)).max(axis=1)
    elif strategy == "undersample":
        sizes = (counts * n // totals).min(axis=1)
    else:
        sizes = counts.sum(axis=1)
    return np.stack([apportion(int(size), totals) for size in sizes])


def _from_mapping(
    counts: np.ndarray, target: Mapping, group_labels: Sequence, classes: Sequence
) -> np.ndarray:
    targets = counts.copy()
    index = {
        (group, label): (g, c)
        for g, group in enumerate(group_labels)
        for c, label in enumerate(classes)
    }
    for key, value in target.items():
        if key not in index:
            raise ValueError(
                f"target has the key {key!r}, which is not a (group, label) cell of "
                f"the data; the cells are "
                f"{sorted(((plain(g), plain(c)) for g, c in index), key=str)}."
            )
        if not isinstance(value, Integral) or value < 0:
            raise ValueError(
                f"target[{key!r}] must be a non-negative int; got {value!r}."
            )
        targets[index[key]] = value
    return targets


def describe_cell(g: int, c: int, group_labels: Sequence, classes: Sequence) -> str:
    """A cell as users name it: ``(group='b', label=1)``."""
    return f"(group={plain(group_labels[g])!r}, label={plain(classes[c])!r})"


def _check_empty(counts, targets, group_labels, classes, target=None) -> None:
    # targets=None: the target needs every cell (checked before it is computed).
    needs = counts == 0 if targets is None else (counts == 0) & (targets > 0)
    empty = np.argwhere(needs)
    if not empty.size:
        return
    g, c = empty[0]
    cell = describe_cell(g, c, group_labels, classes)
    if targets is None:
        asks = f"target={target!r} needs rows in every cell"
    else:
        asks = f"the target asks for {targets[g, c]} rows there"
    raise ValueError(
        f"The group-and-label cell {cell} has no rows, and {asks} "
        f"({len(empty)} empty cell(s) in all). {_EMPTY_CELL_HINT}"
    )


def _check_direction(counts, targets, strategy, group_labels, classes) -> None:
    wrong = targets < counts if strategy == "oversample" else targets > counts
    if strategy == "mixed" or not wrong.any():
        return
    g, c = np.argwhere(wrong)[0]
    cell = describe_cell(g, c, group_labels, classes)
    verb = "remove rows" if strategy == "oversample" else "add rows"
    raise ValueError(
        f"target cannot be met with strategy={strategy!r}: the cell {cell} has "
        f"{counts[g, c]} rows and the target asks for {targets[g, c]}, which would "
        f"{verb}. Use strategy='mixed', or a target within reach."
    )


def cell_targets(
    counts: np.ndarray,
    target: str | Mapping,
    strategy: str,
    group_labels: Sequence,
    classes: Sequence,
) -> np.ndarray:
    """Return the number of rows each cell must have after resampling.

    Parameters
    ----------
    counts : ndarray of shape (n_groups, n_classes)
        Rows per cell before resampling.
    target : {"equal_cells", "equal_groups", "equal_label_rates"} or dict
        What to balance (see :class:`GroupResampler`), or a dict mapping
        ``(group, label)`` to a row count (cells left out keep their count).
    strategy : {"oversample", "undersample", "mixed"}
        Whether cells may only grow, only shrink, or both.
    group_labels, classes : sequence
        The group and label values, for error messages and dict keys.

    Returns
    -------
    targets : ndarray of shape (n_groups, n_classes)
    """
    if isinstance(target, Mapping):
        targets = _from_mapping(counts, target, group_labels, classes)
    else:
        if target in ("equal_cells", "equal_label_rates"):
            # These targets give every cell rows, so an empty cell is fatal
            # (and would make "the smallest cell" zero when undersampling).
            _check_empty(counts, None, group_labels, classes, target)
        make = {
            "equal_cells": _equal_cells,
            "equal_groups": _equal_groups,
            "equal_label_rates": _equal_label_rates,
        }[target]
        targets = make(counts, strategy)
    _check_empty(counts, targets, group_labels, classes)
    _check_direction(counts, targets, strategy, group_labels, classes)
    return targets
