"""Per-row, per-feature attributions of a classifier's score, with captum.

Two attribution methods, both *complete* against one common baseline row
``b``: a row's attributions add up to ``f(x) - f(b)``.

- Shapley value sampling calls any model's ``predict_proba``. Each sampled
  permutation adds the features to the baseline one at a time and credits
  each with the change in score, so the credits telescope to
  ``f(x) - f(b)`` exactly, whatever the number of permutations (which only
  sets how close each credit is to the exact Shapley value). It is written
  here, not taken from captum: captum's ``ShapleyValueSampling`` sums the
  credits in float32, which leaves the telescoping off by some 1e-7, and
  scoring all of a permutation's steps in one ``predict_proba`` call is
  faster than captum's feature-by-feature calls.
- Integrated gradients (:class:`captum.attr.IntegratedGradients`) read the
  gradients of a skfairtune network: a few dozen batched backward passes
  instead of ``n_features`` model calls per permutation. Completeness holds
  up to the error of the path integral, which is measured and reported.

Inputs are a float64 matrix; :class:`FeatureCoder` turns a DataFrame with
categorical or string columns into one (categories as integer codes) and
back, so that the model always receives its columns as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from skfairtune._validation import check_unique_columns


class FeatureCoder:
    """A table of features as a float matrix, and the matrix back as the table.

    Numeric columns are their values; any other column (categorical, string,
    boolean) is the index of its value among the column's distinct values.
    """

    def __init__(self, X: Any):
        self.frame = isinstance(X, pd.DataFrame)
        if not self.frame:
            array = np.asarray(X)
            if array.ndim != 2:
                raise ValueError(f"X must be 2-D (rows and features); got shape {array.shape}.")
            if array.dtype.kind not in "biuf":
                raise ValueError("X must be numeric or a pandas DataFrame; got an array "
                                 f"of dtype {array.dtype}.")
            self.matrix = array.astype(np.float64)
            _check_complete(pd.DataFrame(self.matrix))
            self.columns, self.categories = None, {}
            return
        check_unique_columns(X)  # features are named by their columns
        _check_complete(X)
        self.columns, self.dtypes = list(X.columns), X.dtypes
        self.categories, columns = {}, []
        for j in range(len(self.columns)):
            column = X.iloc[:, j]
            if _is_numeric(column):
                columns.append(column.to_numpy(dtype=np.float64))
            else:
                codes, uniques = pd.factorize(column, sort=True)
                self.categories[j] = uniques
                columns.append(codes.astype(np.float64))
        self.matrix = np.column_stack(columns) if columns else np.empty((len(X), 0))

    def decode(self, matrix: np.ndarray) -> Any:
        """The rows of ``matrix`` as the model's input."""
        if not self.frame:
            return matrix
        data = {}
        for j, name in enumerate(self.columns):
            values = matrix[:, j]
            if j in self.categories:
                values = self.categories[j].take(np.rint(values).astype(np.int64))
                if isinstance(self.dtypes.iloc[j], pd.CategoricalDtype):
                    values = pd.Categorical(values, dtype=self.dtypes.iloc[j])
            data[name] = values
        return pd.DataFrame(data, columns=self.columns)

    def baseline(self, kind: str) -> np.ndarray:
        """The common reference row: each numeric column's median (or mean),
        each coded column's most frequent value."""
        reduce = np.median if kind == "median" else np.mean
        row = np.array([reduce(col) for col in self.matrix.T], dtype=np.float64)
        for j in self.categories:
            row[j] = np.bincount(self.matrix[:, j].astype(np.int64)).argmax()
        return row


def _check_complete(X: pd.DataFrame) -> None:
    missing = X.isna().sum()
    if missing.any():
        shown = ", ".join(f"{name!r} ({n})" for name, n in missing[missing > 0].items())
        raise ValueError(f"X has missing values in column(s) {shown}; explain_gap "
                         "needs complete rows (impute them as the model's pipeline does, "
                         "or drop those rows).")


def _is_numeric(column: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(column)
            and not pd.api.types.is_bool_dtype(column)
            and not isinstance(column.dtype, pd.CategoricalDtype))


def shapley_sampling(score: Callable, inputs: np.ndarray, baseline: np.ndarray, *,
                     n_samples: int, seed: int,
                     budget: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Shapley value sampling of ``score`` (rows to scores) against ``baseline``.

    Each of ``n_samples`` random orders of the features moves every row from
    the baseline to itself one feature at a time, and credits each feature
    with the change in score; the credits are averaged over the orders. The
    ``n_features`` steps of an order are scored in one call, ``budget``
    numbers at a time.

    Returns attributions of shape ``inputs.shape``, each row adding up to
    ``score(row) - score(baseline)`` up to float64 rounding, and per feature
    the largest change in score that moving it made at any step: zero for a
    feature the score does not read (the attribution alone could be zero by
    gains of both signs cancelling).
    """
    n, d = inputs.shape
    rng = np.random.default_rng(seed)
    attributions = np.zeros((n, d))
    moved = np.zeros(d)
    start = float(np.asarray(score(baseline[None, :]))[0])
    chunk = max(1, budget // max(d * d, 1))
    for _ in range(n_samples):
        order = rng.permutation(d)
        # steps[k] holds the first k + 1 features of the order from the row.
        steps = np.tril(np.ones((d, d), dtype=bool))[:, np.argsort(order)]
        for lo in range(0, n, chunk):
            rows = inputs[lo:lo + chunk]
            path = np.where(steps[:, None, :], rows[None], baseline[None, None, :])
            values = np.asarray(score(path.reshape(-1, d)), dtype=np.float64)
            values = values.reshape(d, len(rows))
            gains = np.diff(values, axis=0, prepend=np.full((1, len(rows)), start))
            attributions[lo:lo + chunk, order] += gains.T
            moved[order] = np.maximum(moved[order], np.abs(gains).max(axis=1))
    return attributions / n_samples, moved


def integrated_gradients(forward: Callable, inputs: np.ndarray, baseline: np.ndarray, *,
                         n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Integrated gradients of ``forward`` (a differentiable torch function of
    rows to scores) from ``baseline`` to each row.

    Returns the attributions and the scores of the rows. A row's
    attributions add up to ``forward(row) - forward(baseline)`` up to the
    error of the Gauss-Legendre path integral with ``n_steps`` points.
    """
    import torch
    from captum.attr import IntegratedGradients

    rows = torch.from_numpy(inputs)
    attributions = IntegratedGradients(forward).attribute(
        rows, baselines=torch.from_numpy(baseline[None, :]), n_steps=n_steps,
        internal_batch_size=max(len(inputs), 1) * 8)
    with torch.no_grad():
        scores = forward(rows)
    return attributions.detach().numpy(), scores.numpy()


def network_score(estimator: Any, pos_index: int) -> Callable:
    """The probability of class ``pos_index`` as a torch function of the inputs
    of a fitted skfairtune classifier's network, in float64.

    It runs the forward pass ``predict_proba`` runs
    (``FairNet.inference_forward``: the net's inference copy, in evaluation
    mode, on the estimator's device, a single logit read as two) and the
    task's scores (the softmax); the inputs pass through float32 first, as
    ``predict_proba`` passes them, so that both give the same scores. The
    scores come back on the CPU, where the inputs are.
    """
    net = estimator.net_
    forward = net.inference_forward()

    def score(X):
        X = X + (X.detach().float().double() - X.detach())  # float32 values, same gradient
        return net.scores(forward(X))[:, pos_index]

    return score
