"""FairTuneRegressor: fine-tune a regression network with a fairness penalty."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin

from skfairtune._compat import fit_context as _fit_context
from skfairtune.estimators._base import _BaseFairTune, _input_tags
from skfairtune.estimators._docs import NOTES_DOC, PARAMETERS_DOC, TRAINING_ATTRIBUTES_DOC
from skfairtune.estimators._net import FairRegressorNet
from skfairtune.estimators._tags import with_expected_failures

# The squared error of a prediction off by twice this overflows float32.
_Y_LIMIT = float(np.sqrt(np.finfo(np.float32).max)) / 2


class FairTuneRegressor(RegressorMixin, _BaseFairTune):
    __doc__ = (
        """Fine-tune a regression network with a fairness penalty.

A scikit-learn regressor that wraps a skorch network, starts it from
pre-trained weights when asked, and trains it on the squared error plus
``penalty_strength`` times a fairness penalty computed on every mini-batch.
For regression the penalties are ``"demographic_parity"`` (the gap in mean
prediction between groups), ``"worst_group_loss"`` and
``"bounded_group_loss"``. One or several targets.
"""
        + PARAMETERS_DOC
        + """
Attributes
----------
net_ : skorch.NeuralNet
    The fitted skorch network.
module_ : torch.nn.Module
    The fitted torch network.
n_features_in_ : int
    Number of features seen in fit (2-D X only: not set for N-D or dict X).
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in fit, when ``X`` had string column names.
n_outputs_ : int
    Number of targets.
sensitive_groups_ : list
    The groups found in ``sensitive_features`` at fit, in id order (sorted;
    a group that a later ``partial_fit`` call brings comes after them).
groups_encoder_ : GroupEncoder
    The groups of the fit as an encoder (its ``labels_`` are
    ``sensitive_groups_``): reports, scorers and explanations of the model
    code their rows by it and name the groups it never saw.
frozen_parameters_ : list of str
    The names of the parameters that ``freeze`` and ``train_last`` kept fixed.
n_missing_groups_ : int
    The rows of the last fit whose sensitive value was missing (with
    ``missing_groups="ignore"``; 0 otherwise).
sampler_ : object
    The fitted copy of ``sampler``, when one was given (its
    ``cell_counts_`` report what resampling did).
multiplier_ : float
    The penalty's weight at the end of training (it moves only when
    ``max_gap`` is set; with one multiplier per group, the largest).
n_iter_ : int
    Number of epochs trained, over all calls.
"""
        + TRAINING_ATTRIBUTES_DOC
        + """
See Also
--------
FairTuneClassifier : The same for classification.
"""
        + NOTES_DOC
        + """
Examples
--------
>>> import numpy as np
>>> from skfairtune import FairTuneRegressor
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); group = rng.integers(0, 2, 200)
>>> y = X @ [1.0, -2.0, 0.5] + group
>>> reg = FairTuneRegressor(max_epochs=5, random_state=0)
>>> reg.fit(X, y, sensitive_features=group).predict(X[:2]).shape
(2,)
"""
    )

    _net_class = FairRegressorNet
    _y_checks = {"multi_output": True, "y_numeric": True}

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sensitive_features=None, sample_weight=None):
        """Fine-tune the network on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset
            Numeric features; a map-style ``torch.utils.data.Dataset`` is
            read a batch at a time, never whole (see the guide "Data larger
            than memory").
        y : array-like of shape (n_samples,) or (n_samples, n_targets), or None
            Targets. None when the items of a Dataset ``X`` carry them,
            as ``(x, y)`` or ``(x, y, s)``.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, k), default=None
            The sensitive attribute(s), read by the penalty only.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows.

        Returns
        -------
        self
        """
        return self._fit(X, y, sensitive_features, sample_weight,
                         epochs=None, first=True)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, sensitive_features=None, sample_weight=None):
        """Continue fine-tuning from the current weights on new data, one epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sensitive_features : array-like, default=None
            The groups of these rows, read by their values: a call may lack
            some groups, and a group no earlier call had joins them (after
            them in ``sensitive_groups_``; in constraint mode its multipliers
            start at 0), while every other group keeps its multipliers.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        first = not hasattr(self, "net_")
        return self._fit(X, y, sensitive_features, sample_weight, epochs=1, first=first)

    def _encode_y(self, y, *, classes, first, source=None):
        largest = float(np.max(np.abs(y))) if np.size(y) else 0.0
        if largest > _Y_LIMIT:
            raise ValueError(
                f"y holds values as large as {largest:.3g} in absolute value; the "
                "network computes in float32, where the squared error of targets "
                f"beyond about {_Y_LIMIT:.0e} overflows. Scale y, e.g. with "
                "TransformedTargetRegressor(regressor=FairTuneRegressor(), "
                "transformer=StandardScaler())."
            )
        y = np.asarray(y, dtype=np.float32)
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        elif (1 if y.ndim == 1 else y.shape[1]) != self.n_outputs_:
            raise ValueError(
                f"y has {1 if y.ndim == 1 else y.shape[1]} targets but the model was "
                f"fitted on {self.n_outputs_}."
            )
        return y.reshape(len(y), -1)

    def _n_outputs(self) -> int:
        return self.n_outputs_

    def _outputs_meaning(self) -> str:
        return "one per target"

    def _criterion(self):
        return torch.nn.MSELoss(reduction="none")

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        out = self._forward(X).numpy().astype(np.float64)
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = _input_tags(super().__sklearn_tags__())
        tags.target_tags.multi_output = True
        return with_expected_failures(tags, self)
