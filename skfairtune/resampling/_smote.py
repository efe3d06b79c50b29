"""GroupSMOTE: grow group-and-label cells with synthetic rows made inside each cell."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from imblearn.base import BaseSampler
from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

from skfairtune._compat import Interval, StrOptions
from skfairtune._compat import num_features as _num_features

from ._base import BaseGroupSampler, Cells
from ._targets import describe_cell


def _n_categorical(X: Any, categorical_features: Any) -> int:
    if isinstance(categorical_features, str):  # "auto": the category dtypes
        if not isinstance(X, pd.DataFrame):
            return 0
        return sum(isinstance(t, pd.CategoricalDtype) for t in X.dtypes)
    mask = np.asarray(categorical_features)
    if mask.dtype == bool:
        return int(mask.sum())
    return len(set(mask.tolist()))


def _integers_as_floats(X: Any) -> Any:
    """Cast integer columns to float for SMOTENC.

    imbalanced-learn's SMOTENC encodes the categorical columns in the dtype of
    the continuous ones: with only integer continuous columns the scaled
    one-hot values are truncated to 0 and every categorical value of a
    synthetic row is drawn at random, across groups. The returned data get
    their dtypes back afterwards.
    """
    if isinstance(X, pd.DataFrame):
        ints = [c for c, t in X.dtypes.items() if pd.api.types.is_integer_dtype(t)]
        return X.astype(dict.fromkeys(ints, np.float64)) if ints else X
    X = np.asarray(X) if not hasattr(X, "dtype") else X
    return X.astype(np.float64) if X.dtype.kind in "iub" else X


class GroupSMOTE(BaseGroupSampler):
    """Grow the group-and-label cells with synthetic rows made inside each cell.

    SMOTE makes a synthetic row on the segment between a row and one of its
    ``k_neighbors`` nearest neighbours. Run on the data as a whole, it can
    join two groups, or two labels, into a row that belongs to neither.
    Here every cell (one group with one label) is a class of its own for
    imbalanced-learn's SMOTE, so a synthetic row is made only from rows of
    its own cell: it never mixes two groups, nor two labels, and it keeps its
    cell's group in ``sensitive_features_``.

    Categorical features go through imbalanced-learn's SMOTENC (or SMOTEN
    when every feature is categorical): a synthetic row takes, for each of
    them, the most frequent value among its neighbours in the same cell.

    Parameters
    ----------
    k_neighbors : int, default=5
        How many nearest neighbours, within the cell, a synthetic row may be
        made towards. Every cell that grows needs more than ``k_neighbors``
        rows.
    sensitive_features : str, int, list of str or int, callable or None, \
            default=None
        Where the sensitive attribute is in ``X``: column name(s) of a
        DataFrame, column position(s), or a function ``f(X)`` returning the
        values. ``None`` means the values are passed to :meth:`fit_resample`.
    categorical_features : array-like of int, str or bool, "auto" or None, \
            default=None
        The categorical columns of ``X``: positions, names (``X`` a
        DataFrame), a boolean mask, or ``"auto"`` for the columns of pandas
        ``category`` dtype. ``None``: all features are numeric.
    target : {"equal_cells", "equal_groups", "equal_label_rates"} or dict, \
            default="equal_cells"
        How many rows each cell should have, as in :class:`GroupResampler`
        with ``strategy="oversample"`` (cells only grow).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of neighbours and of the points on the segments.

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_samples_resampled,)
        The input row of each returned row, and ``-1`` for a synthetic row.
        The returned data are the input rows, in order, then the synthetic
        ones. Do not index arrays with it directly (``-1`` would pick the
        last row); use ``sensitive_features_`` or :func:`resample`.
    sensitive_features_ : ndarray, Series or DataFrame
        The sensitive values of the returned rows, aligned with them row by
        row; a synthetic row has the value of its cell's group.
    cell_counts_ : DataFrame
        One row per cell with the columns ``group``, ``label``, ``before``
        and ``after``.
    sampling_strategy_ : dict
        ``{(group, label): rows returned}``.
    n_features_in_ : int
        Number of features seen in :meth:`fit_resample`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in :meth:`fit_resample`, when ``X`` is a
        DataFrame with string column names.

    See Also
    --------
    GroupResampler : Balance the cells with copies of rows, or by dropping rows.
    imblearn.over_sampling.SMOTE : The per-class algorithm used in each cell.

    References
    ----------
    N. V. Chawla, K. W. Bowyer, L. O. Hall and W. P. Kegelmeyer, "SMOTE:
    synthetic minority over-sampling technique", Journal of Artificial
    Intelligence Research 16, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune.resampling import GroupSMOTE
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 2))
    >>> y = np.array([0] * 12 + [1] * 8 + [0] * 6 + [1] * 14)
    >>> group = np.array(["a"] * 20 + ["b"] * 20)
    >>> sampler = GroupSMOTE(k_neighbors=3, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y, sensitive_features=group)
    >>> sampler.cell_counts_["after"].tolist()
    [14, 14, 14, 14]
    >>> int((sampler.sample_indices_ == -1).sum())
    16
    """

    _parameter_constraints: dict = {
        **BaseGroupSampler._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "categorical_features": ["array-like", StrOptions({"auto"}), None],
    }

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        sensitive_features: Any = None,
        categorical_features: Any = None,
        target: str | dict = "equal_cells",
        random_state: Any = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.sensitive_features = sensitive_features
        self.categorical_features = categorical_features
        self.target = target
        self.random_state = random_state

    def _check_X_y(self, X, y, accept_sparse=None):
        if self.categorical_features is None:
            # Interpolation needs numbers: imbalanced-learn's numeric checks.
            return BaseSampler._check_X_y(self, X, y)
        # SMOTENC reads column names and "auto" from the DataFrame itself.
        return super()._check_X_y(X, y)

    def _smote(self, X, strategy: dict):
        params = dict(
            sampling_strategy=strategy,
            k_neighbors=self.k_neighbors,
            random_state=self.random_state,
        )
        if self.categorical_features is None:
            return SMOTE(**params)
        if _n_categorical(X, self.categorical_features) >= _num_features(X):
            return SMOTEN(**params)
        return SMOTENC(categorical_features=self.categorical_features, **params)

    def _check_cell_sizes(self, cells: Cells, grows: np.ndarray) -> None:
        small = np.flatnonzero(grows & (cells.counts.ravel() <= self.k_neighbors))
        if not small.size:
            return
        g, c = divmod(int(small[0]), cells.n_classes)
        size = int(cells.counts.ravel()[small[0]])
        cell = describe_cell(g, c, cells.group_labels, cells.classes)
        fix = "use GroupResampler, which copies rows, for cells this small."
        if size > 1:
            fix = f"Lower k_neighbors to {size - 1} or less, or {fix}"
        else:
            fix = fix[0].upper() + fix[1:]
        raise ValueError(
            f"k_neighbors={self.k_neighbors} is too large for the cell {cell}, which "
            f"has {size} row(s): a synthetic row is made towards one of the "
            "k nearest neighbours in its own cell, so every cell that grows "
            f"needs more than k_neighbors rows. {fix}"
        )

    def _fit_resample(self, X, y, cells: Cells):
        n = cells.codes.size
        targets = cells.targets.ravel()
        grows = targets > cells.counts.ravel()
        self._check_cell_sizes(cells, grows)
        if not grows.any():
            return X, np.arange(n), cells.codes
        # Each cell is a class of its own, so SMOTE never crosses a cell.
        strategy = {int(cell): int(targets[cell]) for cell in np.flatnonzero(grows)}
        smote = self._smote(X, strategy)
        if isinstance(smote, SMOTENC):
            X = _integers_as_floats(X)
        X_res, row_cells = smote.fit_resample(X, cells.codes)
        # imbalanced-learn returns the input rows first, then the new ones.
        sources = np.concatenate([np.arange(n), np.full(row_cells.size - n, -1)])
        return X_res, sources, np.asarray(row_cells, dtype=np.int64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = self.categorical_features is not None
        return tags
