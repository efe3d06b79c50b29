"""One encoding that travels: the fitted model's GroupEncoder codes every later
look at its groups (reports, scorers, explanations), and names the groups it
never saw in fit."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.linear_model import LogisticRegression

import skfairtune._groups as groups_module
from skfairtune import FairTuneClassifier
from skfairtune._groups import MISSING_GROUP, GroupEncoder, encode_for, encode_groups
from skfairtune.exceptions import FairnessWarning
from skfairtune.explain import explain_gap
from skfairtune.metrics import demographic_parity_difference, make_fairness_scorer
from skfairtune.model_selection import FairStratifiedKFold
from skfairtune.report import model_report

torch.set_num_threads(1)


def make_rows(n, seed, groups=("a", "b")):
    rng = np.random.default_rng(seed)
    group = rng.choice(groups, n)
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n)])
    y = (X[:, 0] + (group == groups[-1]) + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    return X, y, group


@pytest.fixture(scope="module")
def fitted():
    X, y, group = make_rows(200, 0, groups=("b", "c"))
    return FairTuneClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive_features=group)


# -- the encoder ------------------------------------------------------------
def test_transform_codes_by_the_fit_groups_and_names_an_unseen_one():
    encoder = GroupEncoder().fit(pd.Series(["m", "f", "m"], name="sex"))
    assert encoder.labels_ == ["f", "m"] and encoder.names_ == ["sex"]
    # A batch without "f" still gives "m" its fit id, 1, not 0.
    assert encoder.transform(["m", "m"]).tolist() == [1, 1]
    with pytest.raises(ValueError, match=r"holds 1 group\(s\) that the model never saw in "
                       r"fit.*: 'x' \(it was fitted on 2 group\(s\) of \['sex'\]\)"):
        encoder.transform(["m", "x"])


def test_encode_flags_unseen_groups_after_the_known_ones():
    encoder = GroupEncoder().fit(["b", "c"])
    encoding = encoder.encode(["a", "c", "a", "z"], unseen="flag")
    assert encoding.labels == ["c", "a", "z"] and encoding.unseen == ("a", "z")
    assert encoding.codes.tolist() == [1, 0, 1, 2]
    with pytest.raises(ValueError, match="never saw in fit.*'a', 'z'"):
        encoder.encode(["a", "c", "z"])
    with pytest.raises(ValueError, match=r"unseen must be one of \['error', 'flag'\]"):
        encoder.encode(["c"], unseen="ignore")


def test_missing_rows_stay_missing():
    encoder = GroupEncoder().fit(["a", "b"])
    codes = encoder.transform(["b", None, "a"], missing="ignore")
    assert codes.tolist() == [1, MISSING_GROUP, 0]


def test_several_columns():
    frame = pd.DataFrame({"sex": ["m", "f", "m"], "race": [1, 2, 2]})
    encoder = GroupEncoder().fit(frame)
    assert encoder.names_ == ["sex", "race"]
    assert encoder.labels_ == [("f", 2), ("m", 1), ("m", 2)]
    later = pd.DataFrame({"sex": ["m", "f"], "race": [2, 1]})
    assert encoder.encode(later, unseen="flag").unseen == (("f", 1),)
    with pytest.raises(ValueError, match=r"sensitive_features has 1 column\(s\) but the "
                       r"model was fitted on 2 \(\['sex', 'race'\]\)"):
        encoder.transform(["m", "f"])
    # Measuring other columns than the fit's: every group is new to the model.
    assert encoder.encode(["m", "f"], unseen="flag").unseen == ("f", "m")


def test_extend_keeps_each_id_and_adds_new_groups_last():
    encoder = GroupEncoder().fit(["b", "c"])
    encoding = encoder.extend(["a", "c"])
    assert encoder.labels_ == ["b", "c", "a"] and encoder.n_groups_ == 3
    assert encoding.codes.tolist() == [2, 1]
    assert encoder.transform(["a", "b"]).tolist() == [2, 0]


def test_the_encoder_pickles():
    encoder = GroupEncoder().fit(pd.DataFrame({"s": ["x", "y"], "t": [0, 1]}))
    loaded = pickle.loads(pickle.dumps(encoder))
    assert loaded.labels_ == encoder.labels_ and loaded.names_ == encoder.names_
    assert repr(loaded) == repr(encoder)
    assert loaded.transform([["y", 1], ["x", 0]]).tolist() == [1, 0]


# -- the estimator keeps it --------------------------------------------------
def test_fit_keeps_the_encoder_beside_the_labels(fitted):
    assert fitted.groups_encoder_.labels_ == fitted.sensitive_groups_ == ["b", "c"]


def test_partial_fit_extends_the_encoder():
    X, y, group = make_rows(120, 1, groups=("b", "c"))
    est = FairTuneClassifier(random_state=0)
    est.partial_fit(X, y, classes=[0, 1], sensitive_features=group)
    X2, y2, group2 = make_rows(120, 2, groups=("a", "c"))
    est.partial_fit(X2, y2, sensitive_features=group2)
    assert est.groups_encoder_.labels_ == est.sensitive_groups_ == ["b", "c", "a"]
    # A fit without groups keeps no encoder of an earlier one.
    with pytest.warns(FairnessWarning):
        est.fit(X, y)
    assert not hasattr(est, "groups_encoder_") and not hasattr(est, "sensitive_groups_")


# -- the places that read the groups of a fitted model -----------------------
def test_the_report_names_an_unseen_group_from_the_models_encoder(fitted):
    X, y, group = make_rows(300, 3, groups=("a", "b", "c"))
    report = model_report(fitted, X, y, sensitive_features=group, n_boot=20)
    assert report.unseen_groups == ["a"]
    # The model's groups first, in its order, then the one it never saw.
    assert report.groups.index.tolist() == ["b", "c", "a"]
    assert list(report.confusion) == ["b", "c", "a"]


def routed(metric, **kwargs):
    """A scorer that takes the attribute routed (call it inside ``routing()``)."""
    with routing():
        return make_fairness_scorer(metric, **kwargs).set_score_request(
            sensitive_features=True)


def routing():
    return sklearn.config_context(enable_metadata_routing=True)


def test_a_scorer_names_the_group_a_fitted_model_never_saw(fitted):
    X, y, group = make_rows(300, 4, groups=("a", "b", "c"))
    scorer = routed("demographic_parity_difference")
    with routing(), pytest.warns(FairnessWarning, match="never saw in fit.*: 'a'"):
        score = scorer(fitted, X, y, sensitive_features=group)
    expected = demographic_parity_difference(y, fitted.predict(X), sensitive_features=group)
    assert score == pytest.approx(-expected)


def test_a_scorer_reading_another_attribute_calls_no_group_unseen(fitted):
    # The model was fine-tuned on one column; scoring it on two (its own and
    # another) reads another attribute, whose groups the fit could not see.
    X, y, group = make_rows(300, 4, groups=("b", "c"))
    other = np.column_stack([group, np.where(np.arange(len(group)) % 2, "x", "y")])
    scorer = routed("demographic_parity_difference")
    with routing(), warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        scorer(fitted, X, y, sensitive_features=other)


def test_a_scorer_of_another_estimator_reads_the_values_as_before():
    X, y, group = make_rows(200, 5)
    clf = LogisticRegression().fit(X, y)
    scorer = routed("demographic_parity_difference")
    with routing(), warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        score = scorer(clf, X, y, sensitive_features=group)
    assert score == pytest.approx(
        -demographic_parity_difference(y, clf.predict(X), sensitive_features=group))


def test_a_user_metric_gets_the_values_themselves(fitted):
    X, y, group = make_rows(100, 6, groups=("b", "c"))
    seen = []

    def metric(y_true, y_pred, *, sensitive_features):
        seen.append(sensitive_features)
        return 0.0

    scorer = routed(metric, greater_is_better=False)
    with routing():
        scorer(fitted, X, y, sensitive_features=group)
    assert seen[0] is group


def test_explain_codes_by_the_models_groups(fitted):
    X, y, group = make_rows(200, 7, groups=("b", "c"))
    result = explain_gap(fitted, X, sensitive_features=group, max_rows=40, n_steps=8)
    assert set(result.groups) == {"b", "c"}


# -- a model pickled before groups_encoder_ existed -------------------------
def test_a_model_without_the_encoder_still_predicts_reports_and_extends(fitted):
    old = pickle.loads(pickle.dumps(fitted))
    del old.groups_encoder_  # as a model pickled before the encoder was kept
    old = pickle.loads(pickle.dumps(old))
    X, y, group = make_rows(200, 8, groups=("a", "b", "c"))
    np.testing.assert_array_equal(old.predict(X), fitted.predict(X))
    assert encode_for(old, group).unseen == ("a",)
    report = model_report(old, X, y, sensitive_features=group, n_boot=None)
    assert report.unseen_groups == ["a"]
    old.partial_fit(X, y, sensitive_features=group)
    assert old.groups_encoder_.labels_ == old.sensitive_groups_ == ["b", "c", "a"]


# -- how often the rows are hashed -------------------------------------------
def test_one_fit_and_its_report_hash_the_groups_twice(monkeypatch):
    """Once in fit, once in the report (five times before the encoder travelled)."""
    calls = []
    hash_rows = groups_module._combined_codes

    def counted(source):
        calls.append(len(source))
        return hash_rows(source)

    monkeypatch.setattr(groups_module, "_combined_codes", counted)
    X, y, group = make_rows(200, 9)
    model = FairTuneClassifier(max_epochs=2, random_state=0).fit(
        X, y, sensitive_features=group)
    model_report(model, X, y, sensitive_features=group, n_boot=20)
    assert len(calls) == 2


def test_the_splitter_hashes_the_attribute_once(monkeypatch):
    calls = []
    hash_rows = groups_module._combined_codes
    monkeypatch.setattr(groups_module, "_combined_codes",
                        lambda source: calls.append(1) or hash_rows(source))
    X, y, group = make_rows(100, 10)
    folds = list(FairStratifiedKFold(3).split(X, y, groups=group))
    assert len(calls) == 1 and len(folds) == 3
    # The same folds as stratifying on the (group, label) cells encoded as one.
    cells = encode_groups({"group": group, "label": y}).codes
    expected = list(FairStratifiedKFold(3).split(X, cells, groups=np.zeros(100)))
    for (_, test), (_, same) in zip(folds, expected):
        np.testing.assert_array_equal(test, same)
