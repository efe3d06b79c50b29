"""model_report on rows that came after training: one group is no verdict, the
report speaks of new rows, and flags the groups and categories training never saw."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.report import model_report

torch.set_num_threads(1)


def make_rows(n, seed, groups=("f", "m"), jobs=("clerk", "nurse")):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"skill": rng.normal(size=n), "job": rng.choice(jobs, n),
                      "group": rng.choice(groups, n)})
    y = (X["skill"] + (X["group"] == "m") + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def tuned():
    """A pipeline as ``tune`` builds it: a frozen encoder, then a fine-tuned network."""
    X, y = make_rows(300, 0)
    encoder = ColumnTransformer([
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["job"]),
        ("numbers", StandardScaler(), ["skill"])]).fit(X)
    model = Pipeline([("encode", FrozenEstimator(encoder)),
                      ("model", FairTuneClassifier(max_epochs=2, random_state=0))])
    return model.fit(X, y, model__sensitive_features=X["group"])


def test_one_group_is_not_within_any_budget():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    report = model_report(LogisticRegression().fit(X, y), X, y,
                          sensitive_features=np.full(200, "a"),
                          notion="demographic_parity", budget=0.05, n_boot=50)
    assert report.fairness.loc["demographic_parity_difference", "value"] == 0
    assert report.verdict == "one group"
    text = " ".join(report.summary())
    assert "all of one group (a)" in text
    assert "cannot tell whether the model is within the budget of 0.05" in text
    assert "The model is within the budget" not in report.to_markdown()
    assert report.document().subtitle == "200 held-out rows, 1 group"


@pytest.mark.parametrize("budget", [0, 0.0, -0.1, 1.5, float("nan"), True, "0.05"])
def test_a_budget_outside_zero_to_one_is_refused(budget):
    X, y = make_rows(100, 1)
    with pytest.raises(ValueError, match=r"^budget must be a number in \(0, 1\], such as "
                       r"0\.05; got "):
        model_report(LogisticRegression().fit(X[["skill"]], y), X[["skill"]], y,
                     sensitive_features=X["group"], notion="demographic_parity",
                     budget=budget)


def test_new_rows_are_called_new_and_the_training_curves_left_out(tuned):
    X, y = make_rows(200, 1)
    held_out = model_report(tuned, X, y, sensitive_features=X["group"], n_boot=50)
    new = model_report(tuned, X, y, sensitive_features=X["group"], n_boot=50, rows="new")
    headings = [s.heading for s in held_out.document().sections]
    assert "Training" in headings
    assert "Training" not in [s.heading for s in new.document().sections]
    markdown = new.to_markdown()
    assert "held-out" not in markdown.lower()
    assert "_200 new rows, 2 groups_" in markdown and "On 200 new rows in 2 groups" in markdown
    assert "Fairness metrics on the new rows" in markdown
    assert new.card["New rows"] == "200" and "Held-out rows" not in new.card


def test_rows_must_be_held_out_or_new(tuned):
    X, y = make_rows(50, 1)
    with pytest.raises(ValueError, match=r"rows must be one of \['held-out', 'new'\]; "
                       r"got 'test'"):
        model_report(tuned, X, y, sensitive_features=X["group"], rows="test")


def test_groups_and_categories_training_never_saw_are_flagged(tuned):
    X, y = make_rows(300, 2, groups=("f", "m", "x"), jobs=("clerk", "nurse", "pilot"))
    report = model_report(tuned, X, y, sensitive_features=X["group"], n_boot=50, rows="new")
    assert report.unseen_groups == ["x"]
    assert report.unseen_categories == {"job": ["pilot"]}
    text = " ".join(report.summary())
    assert "1 group of these rows was not among the groups the model was fine-tuned on: x" in (
        text)
    assert "Values that training never saw, which the model reads as none of the " \
           "categories it knows: job: pilot." in text
    groups = {s.heading: s for s in report.document().sections}["Groups"].tables[0].frame
    assert groups["unseen in training"].tolist() == [False, False, True]


def test_rows_like_the_training_rows_flag_nothing(tuned):
    X, y = make_rows(100, 3)
    report = model_report(tuned, X, y, sensitive_features=X["group"], n_boot=None)
    assert report.unseen_groups == [] and report.unseen_categories == {}
    assert "never saw" not in " ".join(report.summary())


def test_an_encoder_behind_an_imputer_is_found_by_its_columns():
    X, y = make_rows(200, 0)
    encode = ColumnTransformer([
        ("categories", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                     OneHotEncoder(handle_unknown="ignore")), ["job"]),
        ("numbers", "passthrough", ["skill"])])
    model = make_pipeline(encode, LogisticRegression()).fit(X, y)
    new, y_new = make_rows(200, 1, jobs=("clerk", "chef"))
    report = model_report(model, new, y_new, sensitive_features=new["group"], n_boot=None)
    # A model fitted without a sensitive attribute says nothing about groups.
    assert report.unseen_groups == []
    assert report.unseen_categories == {"job": ["chef"]}


@pytest.fixture(scope="module")
def two_columns():
    """A model fine-tuned on two sensitive columns (sex and race), and its rows."""
    rng = np.random.default_rng(0)
    S = pd.DataFrame({"sex": rng.choice(["f", "m"], 300), "race": rng.choice(["a", "b"], 300)})
    X = rng.normal(size=(300, 3)).astype(np.float32)
    y = (X[:, 0] + (S["sex"] == "m") > 0.5).astype(int).to_numpy()
    return FairTuneClassifier(max_epochs=10, random_state=0).fit(
        X, y, sensitive_features=S), X, y, S


@pytest.mark.parametrize("column", ["sex", "race"])
def test_groups_of_another_attribute_are_not_called_unseen(two_columns, column):
    # Fine-tuned on sex x race, reported by one of them: the penalty acted on
    # these rows' groups (through the pairs), so none is unseen.
    model, X, y, S = two_columns
    report = model_report(model, X, y, sensitive_features=S[column], n_boot=None)
    assert report.unseen_groups == []
    assert report.fitted_on == ["sex", "race"]
    text = " ".join(report.summary())
    assert "not among the groups" not in text and "never acted on" not in text
    assert (f"These groups ({column}) are not of the sensitive attribute the model was "
            f"fine-tuned on (sex, race)") in text
    groups = {s.heading: s for s in report.document().sections}["Groups"].tables[0].frame
    assert "unseen in training" not in groups


def test_a_column_of_another_name_is_another_attribute(tuned):
    X, y = make_rows(200, 1)
    report = model_report(tuned, X, y, sensitive_features=X["job"], n_boot=None)
    assert report.unseen_groups == [] and report.fitted_on == ["group"]


def test_the_fit_s_attribute_lists_its_unseen_groups_named_or_not(two_columns):
    model, X, y, S = two_columns
    S = S.assign(race=S["race"].replace({"b": "c"}))
    named = model_report(model, X, y, sensitive_features=S, n_boot=None)
    # Arrays without names, of as many columns, are taken for the fit's attribute.
    unnamed = model_report(model, X, y, sensitive_features=S.to_numpy(), n_boot=None)
    for report in (named, unnamed):
        assert report.fitted_on is None
        assert report.unseen_groups == [("f", "c"), ("m", "c")]
