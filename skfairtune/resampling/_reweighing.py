"""Reweighing (Kamiran and Calders): balance the cells with sample weights."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from skfairtune._compat import check_sample_weight as _check_sample_weight

from .._deprecation import keyword_only
from .._groups import encode_groups


@keyword_only("sensitive_features")
def reweighing_weights(
    y: Any, *, sensitive_features: Any, sample_weight: Any = None
) -> np.ndarray:
    """Sample weights that make the label independent of the group.

    Each row of group ``g`` and label ``y`` gets the weight

    .. math:: w(g, y) = \\frac{P(g)\\, P(y)}{P(g, y)},

    the ratio of the cell's expected share, were label and group
    independent, to its observed share (Kamiran and Calders). Weighted by
    them, every group has the overall label rate and keeps its size. The
    weights are scaled to mean 1, so that an estimator's regularisation
    strength means what it meant without them.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The labels (binary or multiclass).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        The sensitive values; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights the data already carry. The probabilities are then weighted
        sums (as in AIF360's ``Reweighing``), and the result is
        ``sample_weight * w(g, y)``, scaled to mean 1.

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        The weight of each row, to pass as ``sample_weight``.

    See Also
    --------
    GroupResampler : The same balance by duplicating or dropping rows.

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for
    classification without discrimination", Knowledge and Information
    Systems 33, 2012.

    Examples
    --------
    >>> from skfairtune.resampling import reweighing_weights
    >>> y = [1, 1, 1, 0, 1, 0, 0, 0]
    >>> sex = ["f", "f", "f", "f", "m", "m", "m", "m"]
    >>> reweighing_weights(y, sensitive_features=sex).round(3).tolist()
    [0.667, 0.667, 0.667, 2.0, 2.0, 0.667, 0.667, 0.667]
    """
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    groups = encode_groups(sensitive_features, n_samples=y.shape[0], reference="y").codes
    weight = _check_sample_weight(sample_weight, y, ensure_non_negative=True)
    classes, labels = np.unique(y, return_inverse=True)
    cells = groups * classes.size + labels.reshape(-1)
    mass = np.bincount(
        cells, weights=weight, minlength=(groups.max() + 1) * classes.size
    )
    mass = mass.reshape(-1, classes.size)
    expected = np.outer(mass.sum(axis=1), mass.sum(axis=0)) / mass.sum()
    # A cell of zero mass has no row that could carry a weight.
    ratio = np.divide(expected, mass, out=np.zeros_like(mass), where=mass > 0)
    weights = weight * ratio.ravel()[cells]
    return weights / weights.mean()
