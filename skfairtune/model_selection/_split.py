"""A K-fold splitter stratified on group and label together.

A fold without, say, positive women gives no true positive rate for women, so
its fairness scores are undefined or noisy. Stratifying on the cells (group,
label) keeps every cell's share in every fold within one row of its share in
the whole. The allocation is scikit-learn's own ``StratifiedKFold``, fed the
cell of each row as its class.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.multiclass import type_of_target

from .._groups import encode_groups
from .._labels import plain
from .._validation import check_n_rows, num_rows


class _SensitiveFeaturesConsumer:
    """Request the attribute in ``split`` by default, as ``GroupKFold`` does
    ``groups``: a fair splitter is useless without it."""

    __metadata_request__split = {"groups": True, "sensitive_features": True}


class FairStratifiedKFold(_SensitiveFeaturesConsumer, StratifiedKFold):
    """K-fold cross-validation stratified on each (group, label) cell.

    Every cell of the sensitive attribute and the label is spread over the
    folds as evenly as it can be: a cell of ``m`` rows puts ``m // n_splits``
    or one more in each fold, so each fold holds every cell that has at least
    ``n_splits`` rows.

    The attribute comes as ``groups`` (no routing needed:
    ``GridSearchCV(...).fit(X, y, groups=A)``) or as ``sensitive_features``,
    which the splitter requests by default, so with metadata routing enabled
    ``GridSearchCV(cv=FairStratifiedKFold()).fit(X, y, sensitive_features=A)``
    routes it here with no further step.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Whether to shuffle each cell's rows before they are dealt to folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling; ignored when ``shuffle=False``.

    See Also
    --------
    sklearn.model_selection.StratifiedKFold : Stratified on the label only.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune.model_selection import FairStratifiedKFold
    >>> y = np.array([0, 1] * 10)
    >>> sex = np.array(["f"] * 8 + ["m"] * 12)
    >>> cv = FairStratifiedKFold(n_splits=2)
    >>> for train, test in cv.split(np.zeros((20, 1)), y, groups=sex):
    ...     print(sorted(zip(sex[test], y[test])).count(("f", 1)))
    2
    2
    """

    def split(self, X: Any, y: Any, groups: Any = None,
              sensitive_features: Any = None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        groups : array-like of shape (n_samples,) or (n_samples, n_features)
            The sensitive attribute, under scikit-learn's usual name.
        sensitive_features : array-like, default=None
            The sensitive attribute, as routed by metadata routing. Give one of
            the two.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        cells = self._cells(X, y, groups, sensitive_features)
        return self._split_cells(X, cells)

    def _split_cells(self, X, cells):
        # Cells were checked (and warned about) in our words above.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            yield from super().split(X, cells)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None,
                     sensitive_features: Any = None) -> int:
        """Return the number of splitting iterations.

        Parameters
        ----------
        X, y, groups, sensitive_features : object
            Ignored; present for API compatibility.

        Returns
        -------
        int
            ``n_splits``.
        """
        return self.n_splits

    def _cells(self, X, y, groups, sensitive_features) -> np.ndarray:
        """One integer per (group, label) cell, after checking the counts."""
        name, attribute = _pick_attribute(groups, sensitive_features)
        n_samples = num_rows(X)
        y = np.asarray(y)
        check_n_rows(y.shape[0], n_samples, name="y")
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                "FairStratifiedKFold stratifies on class labels: y must be binary "
                f"or multiclass, got {kind!r}. Bin a regression target first."
            )
        group = encode_groups(attribute, n_samples=n_samples, name=name)
        # The cells from the group ids and the label's codes: the attribute is
        # hashed once, and the cells are numbered in (group, label) order.
        label_codes, classes = pd.factorize(y, sort=True)
        cells, codes = np.unique(group.codes * len(classes) + label_codes,
                                 return_inverse=True)
        codes = codes.reshape(-1)
        self._check_cells(codes, [(group.labels[c // len(classes)], classes[c % len(classes)])
                                  for c in cells])
        return codes

    def _check_cells(self, codes, cells) -> None:
        """Warn of cells smaller than ``n_splits``; ``cells[k]`` is cell k's (group, label)."""
        sizes = np.bincount(codes, minlength=len(cells))
        small = [(plain(cells[k][0]), plain(cells[k][1]), int(sizes[k]))
                 for k in np.flatnonzero(sizes < self.n_splits)]
        shown = ", ".join(f"group {g!r} with label {v!r} has {n}" for g, v, n in small)
        if len(small) == len(cells):
            raise ValueError(
                f"n_splits={self.n_splits} is greater than the number of rows in "
                f"every (group, label) cell: {shown}."
            )
        if small:
            warnings.warn(
                f"Some (group, label) cells have fewer rows than n_splits="
                f"{self.n_splits}, so some test folds will lack them: {shown}.",
                UserWarning,
                stacklevel=3,
            )


def _pick_attribute(groups, sensitive_features):
    if groups is None and sensitive_features is None:
        raise ValueError(
            "FairStratifiedKFold needs the sensitive attribute: pass groups=A to "
            "split (GridSearchCV(...).fit(X, y, groups=A)), or enable metadata "
            "routing and pass sensitive_features=A to fit."
        )
    if groups is not None and sensitive_features is not None:
        raise ValueError(
            "FairStratifiedKFold got both groups and sensitive_features; pass the "
            "sensitive attribute once."
        )
    if groups is not None:
        return "groups", groups
    return "sensitive_features", sensitive_features
