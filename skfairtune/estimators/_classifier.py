"""FairTuneClassifier: fine-tune a classifier network with a fairness penalty."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from skfairtune._compat import StrOptions
from skfairtune._compat import fit_context as _fit_context
from skfairtune.estimators._base import _BaseFairTune, _input_tags
from skfairtune.estimators._checks import _check_class_weight
from skfairtune.estimators._docs import NOTES_DOC, PARAMETERS_DOC, TRAINING_ATTRIBUTES_DOC
from skfairtune.estimators._net import FairClassifierNet
from skfairtune.estimators._tags import with_expected_failures

CLASS_WEIGHT_DOC = """class_weight : dict, "balanced" or None, default=None
    Weights of the classes, multiplied into ``sample_weight``, with
    scikit-learn's meaning (``sklearn.utils.class_weight.compute_sample_weight``):
    a dict maps a class to its weight (a class left out weighs 1);
    ``"balanced"`` weighs each class by ``n_samples / (n_classes *
    count)``, so that a rare class counts as much as a common one in the
    loss. On an imbalanced table (10% positives, say) ``"balanced"`` trades
    accuracy for a model that finds the rare class; the balanced accuracy
    rises. ``partial_fit`` takes a dict only (as scikit-learn's
    ``SGDClassifier``): the classes' counts in one chunk are not the data's.
    Class weights change what the loss and the held-out score favour, not
    the gap: constraint mode's gaps (``validation_gap_``,
    ``gap_upper_bound_``, ``budget_met_``) are read with the sample weights
    alone, as the metrics read them.
"""


# The (weighted) share of the rarest class, relative to an even split, below
# which a fixed-strength penalty is weighed down.
EVEN_ENOUGH = 0.5


def rare_class_scale(y_enc, sample_weight) -> float:
    """The factor on ``penalty_strength``: 1 unless the rarest class is rare.

    A gap penalty is satisfied most cheaply by predicting the majority class
    for everyone, and with a rare class the cross-entropy gains little by
    finding it: at the strength that suits a balanced table, the penalty
    swamps the task loss and the network collapses (issue 21: 10-20%
    positives, ``benchmarks/unseen_tables.py``). The scale is the square of
    the rarest class's share times the number of classes over
    :data:`EVEN_ENOUGH`, capped at 1: 1 for a binary target with at least
    25% of each class, 0.16 with 10% positives. Class weights count, so with
    ``class_weight="balanced"`` the penalty keeps its full weight.
    """
    counts = np.bincount(y_enc, weights=sample_weight)
    present = counts[counts > 0]
    if present.size < 2:
        return 1.0
    evenness = present.min() / present.sum() * present.size
    return float(min(1.0, (evenness / EVEN_ENOUGH) ** 2))


def _with_class_weight(init):
    """The base's signature with ``class_weight=None`` before ``**kwargs``.

    ``get_params``, ``clone`` and the repr read the parameters from the
    signature of ``__init__``; the classifier adds one parameter to the
    base's many without repeating them.
    """
    params = list(inspect.signature(_BaseFairTune.__init__).parameters.values())
    extra = inspect.Parameter("class_weight", inspect.Parameter.KEYWORD_ONLY, default=None)
    init.__signature__ = inspect.Signature([*params[:-1], extra, params[-1]])
    return init


class FairTuneClassifier(ClassifierMixin, _BaseFairTune):
    __doc__ = (
        """Fine-tune a classification network with a fairness penalty.

A scikit-learn classifier that wraps a skorch network, starts it from
pre-trained weights when asked, and trains it on the cross-entropy plus
``penalty_strength`` times a fairness penalty computed on every mini-batch
from the predicted probabilities and the batch's groups. With ``module=None``
it builds a multi-layer perceptron sized from the data, so that it is a
drop-in for ``MLPClassifier``. Binary and multiclass.
"""
        + PARAMETERS_DOC.replace("**kwargs\n", CLASS_WEIGHT_DOC + "**kwargs\n", 1)
        + """
Attributes
----------
classes_ : ndarray of shape (n_classes,)
    The class labels, in the order of the network's outputs.
net_ : skorch.NeuralNet
    The fitted skorch network; ``net_.history`` holds the loss and the
    penalty by epoch.
module_ : torch.nn.Module
    The fitted torch network.
n_features_in_ : int
    Number of features seen in fit (2-D X only: not set for N-D or dict X).
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in fit, when ``X`` had string column names.
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
FairTuneRegressor : The same for regression.
skfairtune.penalties : The penalties to choose from.
"""
        + NOTES_DOC
        + """
Examples
--------
>>> from skfairtune import FairTuneClassifier
>>> from skfairtune.datasets import load_german
>>> from sklearn.preprocessing import OneHotEncoder
>>> data = load_german(as_frame=True)
>>> X = OneHotEncoder(sparse_output=False).fit_transform(
...     data.data.select_dtypes("category"))
>>> clf = FairTuneClassifier(max_epochs=5, random_state=0)
>>> clf.fit(X, data.target, sensitive_features=data.sensitive).predict(X[:3]).shape
(3,)
"""
    )

    _net_class = FairClassifierNet
    _parameter_constraints: dict = {
        **_BaseFairTune._parameter_constraints,
        "class_weight": [None, dict, StrOptions({"balanced"})],
    }

    @_with_class_weight
    def __init__(self, module=None, *, class_weight=None, **kwargs):
        super().__init__(module, **kwargs)
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sensitive_features=None, sample_weight=None):
        """Fine-tune the network on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset
            Numeric features; a map-style ``torch.utils.data.Dataset`` is
            read a batch at a time, never whole (see the guide "Data larger
            than memory").
        y : array-like of shape (n_samples,), or None
            Class labels. None when the items of a Dataset ``X`` carry them,
            as ``(x, y)`` or ``(x, y, s)``.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, k), default=None
            The sensitive attribute(s); several columns make intersectional
            groups. Read by the penalty only, never fed to the network.
            Without it the penalty is inactive (with a warning).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the loss and the penalty.

        Returns
        -------
        self
        """
        return self._fit(X, y, sensitive_features, sample_weight,
                         epochs=None, first=True)

    def _weigh_classes(self, y_enc, sample_weight, *, partial: bool):
        if self.class_weight is None:
            return sample_weight, None
        if partial and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one chunk's "
                "class counts are not the data's. Compute the weights once from all "
                "the labels, compute_class_weight('balanced', classes=classes, y=y), "
                "and pass them as a dict: class_weight=dict(zip(classes, weights)).")
        _check_class_weight(self.class_weight, self.classes_)
        weights = compute_sample_weight(self.class_weight, self.classes_[y_enc])
        factors = np.ones(len(self.classes_))
        factors[y_enc] = weights  # the same on every row of a class
        return (sample_weight * weights).astype(sample_weight.dtype), factors

    def _penalty_scale(self, y_enc, sample_weight) -> float:
        return rare_class_scale(y_enc, sample_weight)

    def _degenerate_reason(self, pred, y_enc, sample_weight) -> str | None:
        # In the labels' own words: "predicts 'No' for every row".
        return super()._degenerate_reason(self.classes_[pred], self.classes_[y_enc],
                                          sample_weight)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sensitive_features=None, sample_weight=None):
        """Continue fine-tuning from the current weights on new data, one epoch.

        The first call initialises the network as ``fit`` does (from
        ``pretrained`` when given) and needs ``classes`` unless ``y`` holds
        them all.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the classes, at the first call.
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
        return self._fit(X, y, sensitive_features, sample_weight, epochs=1,
                         first=first, classes=classes)

    def _encode_y(self, y, *, classes, first, source=None):
        check_classification_targets(y)
        if first:
            known = np.unique(y) if classes is None else np.unique(classes)
            self.classes_ = self._classes_from(known, source)
            if len(self.classes_) < 2:
                raise ValueError(
                    "y has only one class "
                    f"({self.classes_[0]!r}); a classifier needs at least 2 classes."
                )
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes of "
                f"the first partial_fit call, {self.classes_.tolist()}."
            )
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y holds labels {unseen.tolist()} that were not seen in fit (the "
                f"classes are {self.classes_.tolist()}); pass every class in "
                "`classes` at the first partial_fit call."
            )
        codes = pd.Index(self.classes_).get_indexer(y)
        if (codes < 0).any():
            # numpy calls 1 and True one label (so the checks above pass),
            # pandas does not: say so rather than train on class -1.
            raise ValueError(
                f"y holds labels of type {np.asarray(y).dtype} but the classes are "
                f"{self.classes_.tolist()} (type {self.classes_.dtype}), as the "
                "pretrained model or the first fit had them; pass y with the same "
                f"type, e.g. y.astype({self.classes_.dtype.name!r}).")
        return codes

    @staticmethod
    def _classes_from(known, source):
        """The classes: the data's, or the pre-trained classifier's, which may
        include classes this data set lacks."""
        if source is None or source.classes is None:
            return known
        source_classes = np.asarray(source.classes)
        missing = np.setdiff1d(known, source_classes)
        if missing.size:
            raise ValueError(
                f"The pretrained model predicts the classes {source_classes.tolist()} "
                f"but y holds {missing.tolist()} too."
            )
        return source_classes

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _outputs_meaning(self) -> str:
        if len(self.classes_) == 2:
            return ("one logit per class, or a single logit for the positive class "
                    "as with BCEWithLogitsLoss")
        return "one logit per class"

    def _output_widths(self) -> tuple[int, ...]:
        # A binary network may give the positive class's logit alone.
        return (2, 1) if len(self.classes_) == 2 else (len(self.classes_),)

    def _criterion(self):
        return torch.nn.CrossEntropyLoss(reduction="none")

    def decision_function(self, X):
        """The network's logits: one column per class (a log-odds for binary).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        logits = self._forward(X).numpy()
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities, the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return torch.softmax(self._forward(X).double(), dim=1).numpy()

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or torch Dataset

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "net_")
        return self.classes_[self._forward(X).argmax(dim=1).numpy()]

    def __sklearn_tags__(self):
        return with_expected_failures(_input_tags(super().__sklearn_tags__()), self)
