"""model_report: the group report, confusion matrices, curves, training and search."""

import base64
import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skfairtune import FairTuneClassifier
from skfairtune.callbacks import FairnessMonitor
from skfairtune.metrics import group_report, make_fairness_scorer
from skfairtune.model_selection import FairStratifiedKFold, budget_refit
from skfairtune.report import ModelReport, model_report, search_table

torch.set_num_threads(1)
DP = "demographic_parity_difference"


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    group = rng.choice(["f", "m"], n)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    X["a"] += 1.5 * (group == "m")
    X["group"] = group
    y = (X["b"] + (group == "m") + 0.5 * rng.normal(size=n) > 0.5).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def search():
    X, y = make_data(300, 0)
    model = make_pipeline(
        ColumnTransformer([("keep", "passthrough", ["a", "b", "c"])]),
        FairTuneClassifier(max_epochs=3, random_state=0, n_iter_no_change=None,
                           callbacks=[FairnessMonitor(on="train")]))
    scoring = {"accuracy": "accuracy",
               DP: make_fairness_scorer(DP, sensitive_features="group")}
    grid = GridSearchCV(model, {"fairtuneclassifier__penalty_strength": [0.0, 3.0]},
                        scoring=scoring, cv=FairStratifiedKFold(2),
                        refit=budget_refit(constraint=DP, max_value=0.5))
    return grid.fit(X, y, groups=X["group"], fairtuneclassifier__sensitive_features=X["group"])


@pytest.fixture(scope="module")
def report(search):
    X, y = make_data(200, 1)
    return model_report(search, X, y, sensitive_features="group", title="Test report")


def test_group_table_is_the_group_report_of_the_chosen_model(search, report):
    X, y = make_data(200, 1)
    model = search.best_estimator_
    expected = group_report(y, model.predict(X), sensitive_features=X["group"],
                            y_score=model.predict_proba(X)[:, 1])
    pd.testing.assert_frame_equal(report.groups, expected)
    assert report.fairness.loc[DP, "value"] == expected.attrs["fairness"].loc[DP, "value"]


def test_confusion_matrices_by_group(report):
    assert list(report.confusion) == ["f", "m"]
    for group, matrix in report.confusion.items():
        assert matrix.shape == (2, 2)
        assert matrix.sum() == report.groups.loc[group, "count"]
        assert matrix[1].sum() == pytest.approx(
            report.groups.loc[group, "count"] * report.groups.loc[group, "base_rate"])


def test_training_history_and_search_are_read(search, report):
    assert list(report.history.index) == [1, 2, 3]
    assert {"train_loss", f"train_{DP}"} <= set(report.history.columns)
    assert "train_batch_count" not in report.history
    assert report.search.best_index == search.best_index_
    assert (report.search.constraint, report.search.max_value) == (DP, 0.5)


def test_sections(report):
    headings = [s.heading for s in report.document().sections]
    assert headings == ["Summary", "Model selection", "Groups", "Scores by group", "Training",
                        "Model card"]


def test_html_is_self_contained_with_png_images(report, tmp_path):
    paths = report.write(tmp_path / "new", name="r")
    assert sorted(p.name for p in paths.values()) == ["r.html", "r.md"]
    page = paths["html"].read_text()
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 5  # Pareto, rates, confusion, ROC and calibration, training
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing to fetch
    assert "<title>Test report</title>" in page
    # The chosen candidate, and the gap the budget is on.
    assert page.count('class="highlight"') == 2


def test_markdown_summary(report):
    text = report.to_markdown()
    assert text.startswith("# Test report")
    assert "## Model selection" in text and "| candidate |" in text
    assert "**demographic_parity_difference**" not in text
    assert "_Plots in the HTML report:" in text
    assert re.search(r"\| \*\*\d\*\* \|", text)  # the chosen candidate in bold


def test_extra_tables_highlight_the_chosen_row(search):
    X, y = make_data(100, 2)
    table = pd.DataFrame({"accuracy": [0.8, 0.7], "chosen": [False, True]}, index=["0", "3"])
    report = model_report(search.best_estimator_, X, y, sensitive_features=X["group"],
                          search=search, tables={"By strength": table}, notes=["Hello."])
    summary = report.document().sections[0]
    assert summary.paragraphs[-1] == "Hello."
    assert summary.tables[1].caption == "By strength" and summary.tables[1].highlight == ["3"]
    assert '<tr class="highlight"><th>3</th>' in report.to_html()


def test_a_scikit_learn_classifier_without_training_curves():
    X, y = make_data(200, 3)
    clf = LogisticRegression().fit(X[["a", "b"]], y)
    report = model_report(clf, X[["a", "b"]], y, sensitive_features=X["group"])
    assert isinstance(report, ModelReport) and report.history is None
    assert [s.heading for s in report.document().sections] == [
        "Summary", "Groups", "Scores by group", "Model card"]
    assert "Rates by group" in str(report)
    assert report._repr_html_().startswith("<h1>")


def test_a_classifier_without_probabilities_has_no_curves():
    X, y = make_data(200, 4)
    report = model_report(LinearSVC().fit(X[["a", "b"]], y), X[["a", "b"]], y,
                          sensitive_features=X["group"])
    assert report.curves is None and "auc" not in report.groups
    assert "Scores by group" not in [s.heading for s in report.document().sections]


def test_string_labels_and_pos_label():
    X, y = make_data(200, 5)
    labels = np.where(y == 1, "yes", "no")
    clf = LogisticRegression().fit(X[["a", "b"]], labels)
    report = model_report(clf, X[["a", "b"]], labels, sensitive_features=X["group"])
    flipped = model_report(clf, X[["a", "b"]], labels, sensitive_features=X["group"],
                           pos_label="no")
    np.testing.assert_allclose(report.groups["base_rate"], 1 - flipped.groups["base_rate"])
    assert report.classes == ["no", "yes"]


def test_multiclass_is_refused():
    X, y = make_data(150, 6)
    y3 = np.digitize(X["b"], [-0.5, 0.5])
    clf = LogisticRegression().fit(X[["a", "b"]], y3)
    with pytest.raises(ValueError, match="needs a binary classifier"):
        model_report(clf, X[["a", "b"]], y3, sensitive_features=X["group"])


def test_search_table_shows_gaps_positive(search):
    table = search_table(search.cv_results_, best_index=search.best_index_)
    assert list(table.columns) == ["penalty_strength", "accuracy", DP, "chosen"]
    np.testing.assert_allclose(table[DP], -search.cv_results_[f"mean_test_{DP}"])
    assert table["chosen"].sum() == 1


def test_a_model_trained_with_class_weights_is_judged_by_balanced_accuracy():
    # 13% positives: a weighted model that finds them is less accurate than
    # always saying 0, as it should be, and is no degenerate model for that.
    rng = np.random.default_rng(0)
    group = (rng.random(1500) < 0.25).astype(int)
    X = rng.normal(size=(1500, 5)) - 0.5 * group[:, None]
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=1.5, size=1500) > 2.2).astype(int)
    weighted = LogisticRegression(class_weight="balanced").fit(X, y)
    assert (weighted.predict(X) == y).mean() < 1 - y.mean()
    assert model_report(weighted, X, y, sensitive_features=group, n_boot=None).degenerate \
        is None
    # The same predictions from an unweighted model are judged by accuracy.
    plain = DummyClassifier().fit(X, y)
    plain.predict = weighted.predict
    assert model_report(plain, X, y, sensitive_features=group, n_boot=None).degenerate == (
        "is no better than always predicting the majority class 0 (accuracy 0.793 against "
        "0.870)")


def test_a_degenerate_model_is_described_in_the_users_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    groups = rng.choice(["a", "b"], 200)
    always_yes = make_pipeline(DummyClassifier(strategy="constant", constant=1)).fit(X, y)
    report = model_report(always_yes, X, y, sensitive_features=groups,
                          class_names={0: "no", 1: "yes"})
    assert report.degenerate == "predicts 'yes' for every row"


class _Scores:
    """A fitted 'model' whose positive-class probabilities are given."""

    classes_ = np.array([0, 1])

    def __init__(self, score):
        self.score = score

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        p = self.score[np.asarray(X)[:, 0].astype(int)]
        return np.c_[1 - p, p]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _calibration_flags(shift: float, n: int, seed: int) -> bool:
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < np.clip(score + shift, 0, 1)).astype(int)
    groups = np.repeat(["a", "b"], n // 2)
    report = model_report(_Scores(score), np.arange(n)[:, None], y, sensitive_features=groups,
                          n_boot=None)
    return any("poorly calibrated" in s for s in report.summary())


def test_calibration_is_called_poor_only_above_what_chance_gives():
    # Perfectly calibrated scores, 200 rows a group: the error is 0.05 and more by
    # chance alone (the flag fired on 63% of such groups before).
    false_alarms = sum(_calibration_flags(0.0, 400, seed) for seed in range(40))
    assert false_alarms <= 6
    # Scores 0.15 too low are told apart at the same size.
    assert sum(_calibration_flags(0.15, 400, seed) for seed in range(20)) >= 18
