"""class_weight: scikit-learn's class weights, multiplied into the sample weights."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from skfairtune import FairTuneClassifier
from skfairtune.metrics import demographic_parity_difference

from .conftest import make_imbalanced

FAST = dict(penalty=None, max_epochs=5, lr=0.01, random_state=0)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 4.0}])
def test_class_weight_is_sklearns_weights_times_the_sample_weights(class_weight):
    X, y, group = make_imbalanced(400, 0)
    rows = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    weighted = FairTuneClassifier(class_weight=class_weight, **FAST).fit(
        X, y, sensitive_features=group, sample_weight=rows)
    by_hand = FairTuneClassifier(**FAST).fit(
        X, y, sensitive_features=group,
        sample_weight=rows * compute_sample_weight(class_weight, y))
    plain = FairTuneClassifier(**FAST).fit(X, y, sensitive_features=group,
                                           sample_weight=rows)
    np.testing.assert_allclose(weighted.predict_proba(X), by_hand.predict_proba(X), rtol=1e-6)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=1e-3)


def test_balanced_weights_find_the_rare_class():
    X, y, group = make_imbalanced(1400, 3)
    train, test = slice(0, 1000), slice(1000, None)
    scores = {}
    for class_weight in (None, "balanced"):
        est = FairTuneClassifier(penalty=None, class_weight=class_weight,
                                 random_state=0).fit(X[train], y[train])
        scores[class_weight] = balanced_accuracy_score(y[test], est.predict(X[test]))
    assert scores["balanced"] > max(scores[None], 0.7)


def test_string_labels_and_a_dict_by_label():
    X, y, group = make_imbalanced(300, 1)
    labels = np.array(["deny", "approve"])[y]
    weighted = FairTuneClassifier(class_weight={"approve": 3.0}, **FAST).fit(X, labels)
    by_hand = FairTuneClassifier(**FAST).fit(
        X, labels, sample_weight=np.where(labels == "approve", 3.0, 1.0))
    np.testing.assert_allclose(weighted.predict_proba(X), by_hand.predict_proba(X), rtol=1e-6)


def test_partial_fit_takes_a_dict_and_refuses_balanced():
    X, y, _ = make_imbalanced(300, 2)
    weights = dict(zip([0, 1], compute_class_weight("balanced", classes=np.array([0, 1]), y=y)))
    est = FairTuneClassifier(class_weight=weights, **FAST).partial_fit(X, y, classes=[0, 1])
    by_hand = FairTuneClassifier(**FAST).partial_fit(
        X, y, classes=[0, 1], sample_weight=compute_sample_weight(weights, y))
    np.testing.assert_allclose(est.predict_proba(X), by_hand.predict_proba(X), rtol=1e-6)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported by "
                                         "partial_fit.*compute_class_weight"):
        FairTuneClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("class_weight, error, message", [
    ({2: 1.0}, ValueError, r"class_weight names \[2\], which are not classes of y "
                           r"\(the classes are \[0, 1\]\)"),
    ({1: -1.0}, ValueError, "class_weight must map each class to a finite, non-negative"),
    ({1: float("nan")}, ValueError, "finite, non-negative"),
    ("balance", InvalidParameterError, "'class_weight' parameter of FairTuneClassifier"),
])
def test_bad_class_weight_is_named(class_weight, error, message):
    X, y, _ = make_imbalanced(100, 0)
    with pytest.raises(error, match=message):
        FairTuneClassifier(class_weight=class_weight, **FAST).fit(X, y)


def test_class_weight_defaults_to_none_and_survives_clone():
    from sklearn.base import clone

    assert FairTuneClassifier().class_weight is None
    est = clone(FairTuneClassifier(class_weight="balanced"))
    assert est.get_params()["class_weight"] == "balanced"
    assert repr(FairTuneClassifier()) == "FairTuneClassifier()"


def _imbalanced(n=1500, seed=0):
    """About 15% negatives, more of them in group 1: a loan-approval table."""
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < 0.25).astype(int)
    X = rng.normal(size=(n, 5)) - 0.5 * group[:, None]
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.7, size=n) > -1.4).astype(int)
    return X.astype(np.float32), y, group


def _keeper(clf):
    """The constraint-mode callback that holds ``pooled_gap_`` (as the guide says)."""
    return next(cb for _, cb in clf.net_.callbacks_ if hasattr(cb, "pooled_gap_"))


def _budget_fit(**params):
    X, y, group = _imbalanced()
    clf = FairTuneClassifier(max_gap=0.05, validation_fraction=0.3, max_epochs=10,
                             random_state=0, **params)
    with warnings.catch_warnings():  # whether the budget is met is not the point here
        warnings.simplefilter("ignore")
        clf.fit(X, y, sensitive_features=group)
    return clf, X, y, group


def test_pooled_gap_is_the_metrics_gap_without_class_weight():
    # The control: on every row fitted on (the slice and the training rows),
    # the kept epoch's gap is the demographic parity gap the metrics report.
    clf, X, y, group = _budget_fit()
    measured = demographic_parity_difference(y, clf.predict(X), sensitive_features=group)
    assert clf.fitted_gap_ == _keeper(clf).pooled_gap_
    assert clf.fitted_gap_ == pytest.approx(measured, abs=1e-6)


def test_class_weight_does_not_change_the_gap_the_budget_reads():
    # Class weights change what the loss and the held-out score favour; the
    # budget bounds the gap the metrics report (a trial found a pooled gap of
    # 0.189 where the metric said 0.086).
    clf, X, y, group = _budget_fit(class_weight="balanced")
    measured = demographic_parity_difference(y, clf.predict(X), sensitive_features=group)
    assert clf.fitted_gap_ == _keeper(clf).pooled_gap_
    assert clf.fitted_gap_ == pytest.approx(measured, abs=1e-6)
