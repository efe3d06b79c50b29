"""The base class of skfairtune's samplers: validation, cells and the report.

imbalanced-learn's template method is kept: the public ``fit_resample``
validates and works out the target of every group-and-label cell, then
``_fit_resample`` (all a subclass writes) returns the rows. What the base adds
is the alignment record: which input row each output row came from, so that
the sensitive features and sample weights can follow the rows (imbalanced-learn
issues 457 and 1111).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from imblearn.base import BaseSampler
from imblearn.utils import check_target_type
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from skfairtune._compat import ArraysTransformer, StrOptions
from skfairtune._compat import check_X as _check_X
from skfairtune._compat import fit_context as _fit_context
from skfairtune._compat import num_samples as _num_samples

from .._groups import encode_groups
from .._labels import plain
from ._columns import sensitive_from_X
from ._targets import TARGETS, cell_counts, cell_targets, describe_cell


@dataclass(frozen=True)
class Cells:
    """The group-and-label cells of one call to ``fit_resample``.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,)
        The cell of each input row: ``group * n_classes + label_index``.
    counts, targets : ndarray of shape (n_groups, n_classes)
        Rows per cell before, and as asked after, resampling.
    classes : ndarray of shape (n_classes,)
        The labels, sorted, with the dtype of ``y``.
    group_labels : list
        The value(s) each group id stands for.
    """

    codes: np.ndarray
    counts: np.ndarray
    targets: np.ndarray
    classes: np.ndarray
    group_labels: list

    @property
    def n_classes(self) -> int:
        return self.classes.size

    def rows_by_cell(self) -> list[np.ndarray]:
        """The input rows of each cell, in cell order, each in input order."""
        order = np.argsort(self.codes, kind="stable")
        return np.split(order, np.cumsum(self.counts.ravel())[:-1])


def _row_bytes(X: Any) -> float:
    """Bytes one row of ``X`` takes (on average, for sparse and mixed frames)."""
    n_rows = max(_num_samples(X), 1)
    if sp.issparse(X):
        return X.data.nbytes / n_rows + X.indices.itemsize * X.nnz / n_rows + 8
    if isinstance(X, pd.DataFrame):
        return float(X.memory_usage(index=False, deep=False).sum()) / n_rows + 8
    return float(np.asarray(X[:1]).nbytes) + 8


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not on this platform
        return float("inf")


def _check_result_fits_in_memory(cells: Cells, X: Any) -> None:
    # A target such as {(0, 1): 10**12} would otherwise start allocating
    # terabytes and end in a MemoryError (or the OOM killer) deep inside numpy.
    n_rows = int(cells.targets.sum())
    needed = n_rows * (_row_bytes(X) + 16)  # + the bookkeeping arrays per row
    available = _memory_bytes()
    if needed > available / 2:
        g, c = np.unravel_index(int(np.argmax(cells.targets)), cells.targets.shape)
        raise ValueError(
            f"target asks for {n_rows:,} rows in all ({cells.targets[g, c]:,} in the "
            f"cell {describe_cell(g, c, cells.group_labels, list(cells.classes))}), "
            f"about {needed / 2**30:,.1f} GiB, more than half of this machine's "
            f"{available / 2**30:,.1f} GiB of memory. Ask for fewer rows."
        )


def take_rows(values: Any, rows: np.ndarray) -> Any:
    """Rows ``rows`` of ``values``, keeping pandas types with a fresh index."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        # A fresh RangeIndex matches the X and y that the sampler returns.
        return values.iloc[rows].reset_index(drop=True)
    return np.asarray(values)[rows]


def _first_row_of_each_cell(codes: np.ndarray, n_cells: int) -> np.ndarray:
    first = np.full(n_cells, -1, dtype=np.int64)
    cells, index = np.unique(codes, return_index=True)
    first[cells] = index
    return first


class BaseGroupSampler(BaseSampler):
    """Base class for samplers that balance group-and-label cells.

    Warning: this class should not be used directly; use the derived classes.
    """

    # No class-level sampling_strategy: the targets are cells, not classes.
    _sampling_type = "bypass"

    _parameter_constraints: dict = {
        "sensitive_features": [str, Integral, list, callable, None],
        "target": [StrOptions(set(TARGETS)), dict],
        "random_state": ["random_state"],
    }

    def _direction(self) -> str:
        """Whether cells may grow ("oversample"), shrink, or both ("mixed")."""
        return "oversample"

    def _check_X_y(self, X, y, accept_sparse=None):
        # Rows are only selected, never computed on, so any dtype (strings,
        # NaN) and any DataFrame pass through untouched.
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X = _check_X(X)
        validate_data(self, X=X, y=y, reset=True, skip_check_array=True)
        return X, y, binarize_y

    def fit(self, X, y, **params):
        """Resample once and keep the report; prefer :meth:`fit_resample`.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,)
            The labels.
        **params : dict
            ``sensitive_features``, as for :meth:`fit_resample`. (Taken as
            ``**params`` so that metadata routing, which maps a pipeline's
            ``fit`` to a sampler's ``fit_resample``, asks for no second request.)

        Returns
        -------
        self : object
            The fitted sampler.
        """
        self.fit_resample(X, y, **params)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, *, sensitive_features=None):
        """Resample the data so that the group-and-label cells meet the target.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,)
            The labels (binary or multiclass).
        sensitive_features : array-like of shape (n_samples,) or (n_samples, k), \
                default=None
            The sensitive values themselves, one per row (several columns make
            intersectional groups). Give these, or name the columns of ``X``
            in the constructor; not both.

        Returns
        -------
        X_resampled : {array-like, dataframe, sparse matrix}
            The resampled data, of the same type as ``X``.
        y_resampled : array-like
            The labels of the returned rows, of the same type as ``y``.
        """
        check_classification_targets(y)
        arrays = ArraysTransformer(X, y)
        X_given, (X, y, binarize_y) = X, self._check_X_y(X, y)
        # Column names are read from X as given: validation may drop them.
        values, name = self._sensitive_values(X_given, sensitive_features)
        cells = self._cells(values, name, y, _num_samples(X))
        _check_result_fits_in_memory(cells, X)
        X_res, sources, row_cells = self._fit_resample(X, y, cells)
        self._record(values, cells, sources, row_cells)
        y_res = cells.classes[row_cells % cells.n_classes]
        if binarize_y:
            y_res = label_binarize(y_res, classes=cells.classes)
        return arrays.transform(X_res, y_res)

    def _sensitive_values(self, X: Any, given: Any) -> tuple[Any, str]:
        spec = self.sensitive_features
        if spec is not None and given is not None:
            raise ValueError(
                f"{type(self).__name__} got sensitive_features twice: the "
                f"constructor names the column(s) {spec!r} of X and fit_resample "
                "was given values. Give one: set sensitive_features=None in the "
                "constructor, or stop passing (or routing) the values."
            )
        if given is not None:
            return given, "sensitive_features"
        if spec is None:
            raise ValueError(
                f"{type(self).__name__} needs the sensitive features: name their "
                "column(s) of X in the constructor, e.g. "
                f"{type(self).__name__}(sensitive_features='sex'), or pass the "
                "values to fit_resample(X, y, sensitive_features=...). In "
                "imbalanced-learn's Pipeline, values reach fit_resample only by "
                "metadata routing (sklearn.set_config(enable_metadata_routing=True) "
                "and sampler.set_fit_resample_request(sensitive_features=True)); "
                "step__sensitive_features=... does not reach it."
            )
        return sensitive_from_X(X, spec), f"sensitive_features={spec!r}"

    def _cells(self, values: Any, name: str, y: np.ndarray, n_samples: int) -> Cells:
        encoding = encode_groups(values, n_samples=n_samples, name=name)
        classes, labels = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes in y to "
                f"balance; y has only one class ({plain(classes[0])!r})."
            )
        codes = encoding.codes * classes.size + labels.reshape(-1)
        counts = cell_counts(codes, encoding.n_groups, classes.size)
        targets = cell_targets(
            counts, self.target, self._direction(), encoding.labels, list(classes)
        )
        return Cells(codes, counts, targets, classes, encoding.labels)

    def _record(self, values, cells: Cells, sources, row_cells) -> None:
        """Keep the report and what lets the sensitive features follow the rows."""
        first = _first_row_of_each_cell(cells.codes, cells.counts.size)
        # A synthetic row takes its group's value from any row of its cell:
        # all rows of a cell share one group, so the choice does not matter.
        rows = np.where(sources >= 0, sources, first[row_cells])
        self.sample_indices_ = sources
        self.sensitive_features_ = take_rows(values, rows)
        self._rows = rows
        self._input_cells = cells.codes
        self._output_cells = row_cells
        after = np.bincount(row_cells, minlength=cells.counts.size)
        self.cell_counts_ = self._report(cells, after)
        self.sampling_strategy_ = {
            (group, label): int(n)
            for group, label, n in self.cell_counts_[
                ["group", "label", "after"]
            ].itertuples(index=False)
        }

    @staticmethod
    def _report(cells: Cells, after: np.ndarray) -> pd.DataFrame:
        n_groups = len(cells.group_labels)
        return pd.DataFrame(
            {
                "group": pd.Series(
                    [g for g in cells.group_labels for _ in cells.classes], dtype=object
                ),
                "label": np.tile(cells.classes, n_groups),
                "before": cells.counts.ravel(),
                "after": after,
            }
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags
