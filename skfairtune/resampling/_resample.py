"""resample(): run any sampler and keep the arrays beside X aligned with its rows.

imbalanced-learn's samplers return only X and y; sensitive features and
sample weights given beside them are left behind (imbalanced-learn issues 457
and 1111). An estimator that takes a ``sampler=`` parameter calls this one
function inside ``fit`` and gets all four back, row for row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skfairtune._compat import num_samples as _num_samples

from .._groups import encode_groups
from .._validation import check_n_rows
from ._base import BaseGroupSampler, take_rows
from ._reweighing import reweighing_weights


def _check_length(values: Any, n_samples: int, name: str) -> None:
    if values is not None:
        check_n_rows(_num_samples(values), n_samples, name=name)


def _mean_weight_of_cell(sample_weight, sampler: BaseGroupSampler) -> np.ndarray:
    """A synthetic row's weight: the mean weight of the rows of its cell."""
    weight = np.asarray(sample_weight, dtype=float)
    cells = sampler._input_cells
    n_cells = len(sampler.cell_counts_)
    total = np.bincount(cells, weights=weight, minlength=n_cells)
    count = np.bincount(cells, minlength=n_cells)
    mean = np.divide(total, count, out=np.zeros(n_cells), where=count > 0)
    synthetic = sampler.sample_indices_ < 0
    aligned = weight[sampler._rows]
    aligned[synthetic] = mean[sampler._output_cells[synthetic]]
    return aligned


def _check_same_groups(sensitive_features, sampler: BaseGroupSampler) -> None:
    """Refuse to guess the caller's groups for a synthetic row of another grouping."""
    synthetic = sampler.sample_indices_ < 0
    if not synthetic.any():
        return
    codes = encode_groups(sensitive_features).codes
    cells = sampler._input_cells
    for cell in np.unique(sampler._output_cells[synthetic]):
        if np.unique(codes[cells == cell]).size > 1:
            raise ValueError(
                f"{type(sampler).__name__} made synthetic rows from its own groups "
                f"(sensitive_features={sampler.sensitive_features!r}), and the "
                "sensitive_features given here differ within one of its cells, so "
                "a synthetic row has no single value of them. Let the sampler use "
                "the same sensitive features (sensitive_features=None in its "
                "constructor), or use GroupResampler, which makes no new rows."
            )


def _ours(sampler, X, y, sensitive_features, sample_weight):
    own_columns = sampler.sensitive_features is not None
    if own_columns:
        X_res, y_res = sampler.fit_resample(X, y)
    else:
        X_res, y_res = sampler.fit_resample(X, y, sensitive_features=sensitive_features)
    if sensitive_features is not None and own_columns:
        _check_same_groups(sensitive_features, sampler)
        sensitive_features = take_rows(sensitive_features, sampler._rows)
    elif sensitive_features is not None:
        sensitive_features = sampler.sensitive_features_
    if sample_weight is not None:
        sample_weight = _mean_weight_of_cell(sample_weight, sampler)
    return X_res, y_res, sensitive_features, sample_weight


def _theirs(sampler, X, y, sensitive_features, sample_weight):
    X_res, y_res = sampler.fit_resample(X, y)
    if sensitive_features is None and sample_weight is None:
        return X_res, y_res, None, None
    indices = getattr(sampler, "sample_indices_", None)
    n_res = _num_samples(X_res)
    if indices is None or len(indices) != n_res or np.min(indices, initial=0) < 0:
        raise ValueError(
            f"{type(sampler).__name__} returned {n_res} rows without a "
            "sample_indices_ attribute that says which input row each one is "
            "(it makes or moves rows, as SMOTE does), so the sensitive features "
            "and sample weights cannot follow them. Use a sampler that sets "
            "sample_indices_ (RandomOverSampler, RandomUnderSampler, ...), or "
            "skfairtune's GroupResampler or GroupSMOTE."
        )
    sensitive_features = (
        None if sensitive_features is None else take_rows(sensitive_features, indices)
    )
    sample_weight = (
        None if sample_weight is None else np.asarray(sample_weight)[indices]
    )
    return X_res, y_res, sensitive_features, sample_weight


def resample(
    sampler: Any,
    X: Any,
    y: Any,
    *,
    sensitive_features: Any = None,
    sample_weight: Any = None,
) -> tuple[Any, Any, Any, Any]:
    """Resample ``X`` and ``y`` and keep the sensitive features and weights aligned.

    This is the function an estimator with a ``sampler=`` parameter calls in
    ``fit``: whatever the sampler does to the rows, the sensitive features and
    sample weights it returns belong to the rows of ``X`` and ``y`` it
    returns, row by row.

    Parameters
    ----------
    sampler : sampler, "reweighing", "passthrough" or None
        What to do:

        - a skfairtune sampler (:class:`GroupResampler`, :class:`GroupSMOTE`):
          it is given ``sensitive_features`` unless its constructor names
          columns of ``X``. A synthetic row gets the sensitive value of its
          cell and the mean sample weight of its cell.
        - any other sampler with ``fit_resample`` (imbalanced-learn's): fine
          when it sets ``sample_indices_`` (``RandomOverSampler``,
          ``RandomUnderSampler``, ...), which then indexes the arrays. One
          that makes rows without it (``SMOTE``) raises an error when there
          are sensitive features or weights to carry.
        - ``"reweighing"``: the rows stay as they are and the weights become
          :func:`reweighing_weights` (times ``sample_weight`` when given).
        - ``None`` or ``"passthrough"``: everything is returned unchanged.

        The sampler is fitted in place: pass a clone (``clone(self.sampler)``)
        when it is an estimator's parameter, and keep it as ``sampler_``.
    X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
        The data.
    y : array-like of shape (n_samples,)
        The labels.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k), \
            default=None
        The sensitive values of the rows of ``X``.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights of the rows of ``X``.

    Returns
    -------
    X_resampled : {array-like, dataframe, sparse matrix}
        The returned rows.
    y_resampled : array-like
        Their labels.
    sensitive_features_resampled : array-like or None
        Their sensitive values (pandas input keeps its type, with a fresh
        index); None when ``sensitive_features`` is None.
    sample_weight_resampled : ndarray or None
        Their weights; None when ``sample_weight`` is None, except for
        ``"reweighing"``, which always returns weights.

    Raises
    ------
    ValueError
        When ``sensitive_features`` or ``sample_weight`` has the wrong length,
        or cannot follow the rows of a sampler that makes new rows.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> from skfairtune.resampling import resample
    >>> X = np.arange(8).reshape(-1, 1)
    >>> y = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    >>> group = np.array(list("aabbbaab"))
    >>> X_res, y_res, g_res, w_res = resample(
    ...     RandomUnderSampler(random_state=0), X, y, sensitive_features=group
    ... )
    >>> (g_res == group[X_res[:, 0]]).all()
    np.True_
    """
    n_samples = _num_samples(X)
    _check_length(sensitive_features, n_samples, "sensitive_features")
    _check_length(sample_weight, n_samples, "sample_weight")
    if sampler is None or (isinstance(sampler, str) and sampler == "passthrough"):
        return X, y, sensitive_features, sample_weight
    if isinstance(sampler, str) and sampler == "reweighing":
        if sensitive_features is None:
            raise ValueError("sampler='reweighing' needs the sensitive_features.")
        weights = reweighing_weights(y, sensitive_features=sensitive_features,
                                     sample_weight=sample_weight)
        return X, y, sensitive_features, weights
    if isinstance(sampler, str) or not hasattr(sampler, "fit_resample"):
        raise ValueError(
            "sampler must be an object with fit_resample, 'reweighing', "
            f"'passthrough' or None; got {sampler!r}."
        )
    if isinstance(sampler, BaseGroupSampler):
        return _ours(sampler, X, y, sensitive_features, sample_weight)
    return _theirs(sampler, X, y, sensitive_features, sample_weight)
