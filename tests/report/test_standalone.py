"""A report that stands on its own: intervals, base beside chosen, the summary in
words written from the numbers, small groups, the model card, and the plots'
small defects."""

import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import skfairtune
from skfairtune._groups import encode_groups
from skfairtune.metrics import group_report
from skfairtune.report import model_report
from skfairtune.report._measure import SMALL_GROUP, calibration_by_group
from skfairtune.report._plots import plot_training_curves

DP, EO = "demographic_parity_difference", "equalized_odds_difference"


def make_data(n=3000, seed=0, small=0.0):
    """Group "b" has the higher base rate; the last column is 1 for group "a"."""
    rng = np.random.default_rng(seed)
    p = [0.5 - small / 2, 0.5 - small / 2, small] if small else [0.5, 0.5]
    group = rng.choice(["a", "b", "c"][:len(p)], n, p=p)
    x = rng.normal(size=n) + (group == "b")
    y = (x + 0.1 * rng.normal(size=n) > 0.8).astype(int)
    return np.c_[x, (group == "a") * 1.0], y, group


class RaisedForA(ClassifierMixin, BaseEstimator):
    """The base's probabilities, raised by ``shift`` for group "a": its selection
    rate rises (the DP gap narrows) and so do its false positives (the EO gap
    widens), and its scores stop being calibrated."""

    def __init__(self, base=None, shift=0.45):
        self.base = base
        self.shift = shift

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = self.base.predict_proba(X)[:, 1] + self.shift * X[:, 1]
        p = np.clip(p, 0, 1)
        return np.c_[1 - p, p]

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def compared(data):
    X, y, group = data
    base = LogisticRegression().fit(X[:, :1], y)
    base_on_all = _FirstColumn(base)
    chosen = RaisedForA(base_on_all).fit(X, y)
    report = model_report(chosen, X, y, sensitive_features=group, base=base_on_all,
                          notion="demographic_parity", budget=0.05, n_boot=200,
                          card={"Data": "synthetic hiring"})
    return report, base_on_all, chosen


class _FirstColumn(ClassifierMixin, BaseEstimator):
    """A fitted classifier of the first column only, fed the whole X."""

    def __init__(self, model=None):
        self.model = model
        self.classes_ = getattr(model, "classes_", None)

    def predict_proba(self, X):
        return self.model.predict_proba(X[:, :1])

    def predict(self, X):
        return self.model.predict(X[:, :1])


def test_every_gap_has_its_bootstrap_interval(compared, data):
    report, _, chosen = compared
    X, y, group = data
    expected = group_report(y, chosen.predict(X), sensitive_features=group, n_boot=200,
                            random_state=0, confidence=0.9).attrs["fairness"]
    pd.testing.assert_frame_equal(report.fairness, expected)
    assert report.fairness.loc[DP, "value"] == pytest.approx(
        demographic_parity_difference(y, chosen.predict(X), sensitive_features=group))
    low, high = report.fairness.loc[DP, ["low", "high"]]
    for text in (report.to_markdown(), report.to_html()):
        assert "chosen 90% interval" in text and f"{low:.3f} to {high:.3f}" in text


def test_base_and_chosen_side_by_side_by_group(compared, data):
    report, base, chosen = compared
    X, y, group = data
    section = {s.heading: s for s in report.document().sections}["Before and after, by group"]
    frame = section.tables[0].frame
    for g in ("a", "b"):
        rows = group == g
        assert frame.loc[(g, "selection rate"), "base"] == pytest.approx(
            base.predict(X[rows]).mean())
        assert frame.loc[(g, "selection rate"), "chosen"] == pytest.approx(
            chosen.predict(X[rows]).mean())
        assert frame.loc[(g, "accuracy"), "chosen"] == pytest.approx(
            (chosen.predict(X[rows]) == y[rows]).mean())
    assert {"true positive rate", "false positive rate", "calibration error"} <= set(
        frame.index.get_level_values("measure"))
    pd.testing.assert_frame_equal(report.by_group(), frame)
    np.testing.assert_allclose(frame["change"], frame["chosen"] - frame["base"])
    markdown = report.to_markdown()
    assert "## Before and after, by group" in markdown
    assert "| a / false positive rate |" in markdown


def test_the_summary_says_which_gap_narrowed_and_which_widened(compared, data):
    report, base, chosen = compared
    X, y, group = data
    dp = [demographic_parity_difference(y, m.predict(X), sensitive_features=group)
          for m in (base, chosen)]
    eo = [equalized_odds_difference(y, m.predict(X), sensitive_features=group)
          for m in (base, chosen)]
    assert dp[1] < dp[0] - 0.02 and eo[1] > eo[0] + 0.02  # what the data were built for
    assert report.document().sections[0].paragraphs == report.summary()
    text = " ".join(report.summary())
    assert f"demographic parity gap narrowed from {dp[0]:.3f} to {dp[1]:.3f}" in text
    # Alone, or after the equal opportunity gap when both widened for one reason.
    widened = re.search(rf"[^.]* widened [^.:]*the equalized odds gap (widened )?from "
                        rf"{eo[0]:.3f} to {eo[1]:.3f}|The equalized odds gap widened from "
                        rf"{eo[0]:.3f} to {eo[1]:.3f}", text)
    assert widened, text
    fpr = {g: chosen.predict(X[(group == g) & (y == 0)]).mean() for g in ("a", "b")}
    assert (f"the false positive rate is {fpr['b']:.3f} for b against {fpr['a']:.3f} "
            "for a") in text
    assert "Calibration worsened for a (calibration error" in text
    assert "Calibration worsened for b" not in text  # its scores did not move


def test_calibration_error_by_group_against_a_loop(data):
    X, y, group = data
    score = np.random.default_rng(1).uniform(size=len(y))
    frame = calibration_by_group(y * 1.0, score, encode_groups(group, n_samples=len(y)))
    for g in ("a", "b"):
        s, t = score[group == g], y[group == g]
        bins = np.minimum((s * 10).astype(int), 9)
        expected = sum(abs(s[bins == b].mean() - t[bins == b].mean()) * (bins == b).sum()
                       for b in np.unique(bins)) / len(s)
        assert frame.loc[g, "calibration_error"] == pytest.approx(expected)
        assert frame.loc[g, "share_positive"] == pytest.approx(t.mean())


@pytest.mark.parametrize(("budget", "verdict", "sentence"), [
    (0.9, "within", "The model is within the budget of 0.9"),
    (0.001, "over", "The model is over the budget of 0.001"),
])
def test_the_budget_verdict_is_stated(data, budget, verdict, sentence):
    X, y, group = data
    clf = LogisticRegression().fit(X, y)
    report = model_report(clf, X, y, sensitive_features=group, notion="demographic_parity",
                          budget=budget, n_boot=100)
    assert report.verdict == verdict
    assert sentence in report.to_markdown()


def test_an_interval_that_straddles_the_budget_says_the_data_cannot_tell(data):
    X, y, group = data
    clf = LogisticRegression().fit(X, y)
    point = model_report(clf, X, y, sensitive_features=group, n_boot=100,
                         notion="demographic_parity")
    low, high = point.fairness.loc[DP, ["low", "high"]]
    report = model_report(clf, X, y, sensitive_features=group, n_boot=100,
                          notion="demographic_parity", budget=(low + high) / 2)
    assert report.verdict == "uncertain"
    assert "these rows cannot tell whether the model is within it" in report.to_text()


def test_a_small_group_gets_a_caveat():
    X, y, group = make_data(2000, seed=2, small=0.01)
    n_small = int((group == "c").sum())
    assert 0 < n_small < SMALL_GROUP
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=group,
                          n_boot=100)
    text = report.to_markdown()
    assert f"c ({n_small} rows)" in text and "are uncertain" in text
    groups = {s.heading: s for s in report.document().sections}["Groups"]
    shown = groups.tables[0].frame
    assert shown["small"].tolist() == [False, False, True]
    assert shown["rows"].tolist() == [float((group == g).sum()) for g in "abc"]


def test_the_model_card(compared):
    report, _, _ = compared
    card = report.card
    assert card["Data"] == "synthetic hiring"
    assert card["Held-out rows"] == "3,000"
    assert card["Notion"] == "demographic parity"
    assert card["Budget"] == "0.05 on the demographic parity gap"
    assert f"skfairtune {skfairtune.__version__}" in card["Package versions"]
    assert "scikit-learn" in card["Package versions"] and "torch" in card["Package versions"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", card["Date"])
    html = report.to_html()
    assert "<h2>Model card</h2>" in html and card["Date"] in html
    assert report.to_html() == html  # the date is the report's, not the rendering's


def test_no_intervals_without_bootstrap(data):
    X, y, group = data
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=group,
                          n_boot=None)
    assert report.intervals is None and "low" not in report.fairness
    assert "interval" not in report.to_markdown()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"notion": "fairness"}, "notion='fairness' is not a fairness notion"),
    ({"budget": 2.0}, r"budget must be a number in \(0, 1\]"),
    ({"budget": "0.05"}, r"budget must be a number in \(0, 1\]"),
])
def test_bad_notion_or_budget(data, kwargs, match):
    X, y, group = data
    with pytest.raises(ValueError, match=match):
        model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=group,
                     **kwargs)


def test_confusion_matrices_name_groups_and_classes_as_the_tables_do():
    rng = np.random.default_rng(3)
    n = 400
    groups = pd.DataFrame({"race": rng.choice(["Black", "White"], n),
                           "sex": rng.choice(["Female", "Male"], n)})
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] > 0).astype(int)
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=groups,
                          n_boot=None, class_names={0: "<=50K", 1: ">50K"})
    section = {s.heading: s for s in report.document().sections}["Groups"]
    rates, confusion = (p.figure for p in section.plots)
    axes = [ax for ax in confusion.axes if ax.get_visible()]
    assert {ax.get_title() for ax in axes} == {"Black / Female", "Black / Male",
                                               "White / Female", "White / Male"}
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["<=50K", ">50K"]
    # The legend sits beside the bars, not over them.
    rates.canvas.draw()
    ax = rates.axes[0]
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1


def test_training_curves_tick_whole_epochs_with_readable_legends():
    history = pd.DataFrame({"train_loss": [0.6, 0.5, 0.45], "train_penalty": [0.2, 0.1, 0.1]},
                           index=pd.Index([1, 2, 3], name="epoch"))
    figure = plot_training_curves(history)
    figure.canvas.draw()
    for ax in figure.axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
        assert ticks == [1, 2, 3]
        assert ax.get_legend().get_texts()[0].get_fontsize() >= 9
