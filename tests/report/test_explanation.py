"""The report's "Explaining the gap" section: explain_gap's own numbers, in words."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skfairtune.audit import audit_dataset
from skfairtune.explain import compare_gaps, explain_gap
from skfairtune.report import model_report

ROWS = 120  # explained rows: small, so that each report takes a fraction of a second


@pytest.fixture(scope="module")
def data():
    """``hours`` carries the group (a proxy of sex); ``skill`` and ``noise`` do not."""
    rng = np.random.default_rng(0)
    sex = pd.Series(rng.choice(["female", "male"], 500), name="sex")
    male = (sex == "male").to_numpy()
    X = pd.DataFrame({"hours": rng.normal(38, 3, 500) + 6 * male,
                      "skill": rng.normal(size=500), "noise": rng.normal(size=500)})
    y = (X["skill"] + 0.4 * (X["hours"] - 38) + rng.normal(size=500) > 1).astype(int)
    base = LogisticRegression().fit(X, y)
    tuned = LogisticRegression(C=0.005).fit(X, y)  # weaker weights: a narrower gap
    return X, y.to_numpy(), sex, base, tuned


@pytest.fixture(scope="module")
def report(data):
    X, y, sex, base, tuned = data
    return model_report(tuned, X, y, sensitive_features=sex, base=base, explain=ROWS,
                        notion="demographic_parity", n_boot=None)


def test_the_numbers_are_explain_gaps_own(data, report):
    X, y, sex, base, tuned = data
    settings = dict(sensitive_features=sex, notion="demographic_parity", y=y,
                    max_rows=ROWS, random_state=0)
    before = explain_gap(base, X, **settings)
    after = explain_gap(tuned, X, groups=before.groups, **settings)
    found = report.explanation
    pd.testing.assert_frame_equal(found.base.contributions, before.contributions)
    pd.testing.assert_frame_equal(found.chosen.contributions, after.contributions)
    expected = compare_gaps(before, after)
    pd.testing.assert_frame_equal(found.comparison.contributions, expected.contributions)
    pd.testing.assert_frame_equal(found.comparison.totals, expected.totals)
    assert found.chosen.gap == after.gap and found.chosen.n_rows == (ROWS // 2, ROWS // 2)
    row = found.comparison.contributions.loc["hours"]
    cells = f"| hours | {row['base']:.3f} | {row['tuned']:.3f} | {row['change']:.3f} |"
    assert cells in report.to_markdown()
    assert f"<td>{row['tuned']:.3f}</td>" in report.to_html()


def test_the_section_follows_the_comparison_and_names_the_proxy(report):
    sections = {s.heading: s for s in report.document().sections}
    assert list(sections)[:3] == ["Summary", "Before and after, by group",
                                  "Explaining the gap"]
    first = sections["Explaining the gap"].paragraphs[0]
    assert "of the gap in mean score between male and female" in first
    assert "runs through hours" in first and "a proxy of sex" in first
    assert first in report.summary()  # the summary's sentence is the section's first
    assert "## Explaining the gap" in report.to_markdown()
    assert "<h2>Explaining the gap</h2>" in report.to_html()


def test_a_feature_that_is_no_proxy_is_said_to_be_none(data):
    X, y, sex, _, _ = data
    # A model that reads skill only: the gap (small) runs through skill, no proxy.
    model = LogisticRegression().fit(X[["skill"]].assign(hours=0.0, noise=0.0)[X.columns], y)
    report = model_report(model, X, y, sensitive_features=sex, explain=ROWS, n_boot=None)
    sentence = report.explanation.sentence()
    assert "skill" in sentence and "hours" not in sentence and ", not a proxy of sex" in sentence


def test_predictive_parity_says_why_it_cannot_be_explained(data):
    X, y, sex, base, tuned = data
    report = model_report(tuned, X, y, sensitive_features=sex, base=base, explain=ROWS,
                          notion="predictive_parity", n_boot=None)
    assert report.explanation.chosen is None
    section = {s.heading: s for s in report.document().sections}["Explaining the gap"]
    assert "cannot be explained" in section.paragraphs[0]
    assert "precision" in section.paragraphs[0]
    assert not section.tables
    assert not any("mean score" in s for s in report.summary())


def test_off_by_default(data):
    X, y, sex, _, tuned = data
    report = model_report(tuned, X, y, sensitive_features=sex, n_boot=None)
    assert report.explanation is None
    assert "Explaining the gap" not in [s.heading for s in report.document().sections]


@pytest.mark.parametrize("explain", [1, -5, 2.5, "yes"])
def test_a_bad_explain_is_named(data, explain):
    X, y, sex, _, tuned = data
    with pytest.raises(ValueError, match="explain must be True, False or a number"):
        model_report(tuned, X, y, sensitive_features=sex, explain=explain)


def test_rows_with_missing_values_are_left_out_and_counted(data):
    X, y, sex, _, _ = data
    X = X.copy()
    X.loc[:9, "noise"] = np.nan
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(X, y)
    report = model_report(model, X, y, sensitive_features=sex,
                          explain=ROWS, n_boot=None)
    complete = X.notna().all(axis=1).to_numpy()
    # The proxies are measured on every row, as the audit measures them.
    audit = audit_dataset(X, y, sensitive_features=sex)
    expected = explain_gap(model, X[complete].reset_index(drop=True),
                           sensitive_features=sex[complete].reset_index(drop=True),
                           y=y[complete], max_rows=ROWS, random_state=0, proxies=audit)
    assert report.explanation.n_dropped == 10
    pd.testing.assert_frame_equal(report.explanation.chosen.contributions,
                                  expected.contributions)
    assert "10 rows with missing values left out" in report.to_markdown()


def test_a_proxy_auc_is_the_audits_on_the_same_rows(data):
    X, y, sex, _, _ = data
    X = X.copy()
    # Hours are missing for a third of the women only: the missing values
    # themselves give the group away, as the audit counts them.
    women = np.flatnonzero((sex == "female").to_numpy())
    X.loc[women[: len(women) // 3], "hours"] = np.nan
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(X, y)
    report = model_report(model, X, y, sensitive_features=sex, explain=ROWS, n_boot=None)
    audit = audit_dataset(X, y, sensitive_features=sex)
    table = report.explanation.chosen.contributions
    pd.testing.assert_series_equal(table["proxy_auc"],
                                   audit.proxies["auc"].reindex(table.index),
                                   check_names=False)
    assert "AUC of at least 0.7 on the 500 held-out rows" in report.to_markdown()


def test_a_small_gap_is_said_small_and_the_base_gap_explained(data):
    X, y, sex, base, _ = data
    # Reads noise only: its mean scores hardly differ between the groups.
    fair = make_pipeline(ColumnTransformer([("noise", "passthrough", ["noise"])]),
                         LogisticRegression()).fit(X, y)
    report = model_report(fair, X, y, sensitive_features=sex, base=base, explain=ROWS,
                          n_boot=None)
    found = report.explanation
    assert abs(found.chosen.gap) < 0.02 <= abs(found.base.gap)
    sentence = found.sentence()
    assert sentence.startswith("The model's gap in mean score between")
    assert f"is small ({abs(found.chosen.gap):.3f}): " in sentence
    assert "the base model's gap in mean score between male and female" in sentence
    assert "through hours" in sentence and "a proxy of sex" in sentence
    assert found.top(3)["share"].isna().all()  # a part over a gap near zero is noise
    assert "no shares: the gap is under 0.02" in report.to_markdown()


def test_a_feature_named_gap_is_a_feature_like_any_other(data):
    X, y, sex, _, _ = data
    X = X.rename(columns={"noise": "gap"})
    base, tuned = LogisticRegression().fit(X, y), LogisticRegression(C=0.005).fit(X, y)
    report = model_report(tuned, X, y, sensitive_features=sex, base=base, explain=ROWS,
                          n_boot=None)
    found = report.explanation
    assert set(found.comparison.contributions.index) == {"hours", "skill", "gap"}
    assert found.comparison.totals.loc["gap", "tuned"] == found.chosen.gap
    sentence = (f"Fine-tuning moved this gap from {found.base.gap:.3f} to "
                f"{found.chosen.gap:.3f}")
    for text in (report.to_markdown(), report.to_text(), report.to_html()):
        assert sentence in text


def test_the_sensitive_column_and_unread_ones_are_said_apart_from_the_features(data):
    X, y, sex, _, _ = data
    X = X.assign(sex=sex)
    model = make_pipeline(ColumnTransformer([("read", "passthrough", ["hours", "skill"])]),
                          LogisticRegression()).fit(X, y)
    report = model_report(model, X, y, sensitive_features=sex, explain=ROWS, n_boot=None)
    found = report.explanation
    assert list(found.top(10).index) == ["hours", "skill"]
    section = {s.heading: s for s in report.document().sections}["Explaining the gap"]
    text = " ".join(section.paragraphs)
    assert ("The sensitive attribute is in the data (sex), but the model's scores do not "
            "move with it.") in text
    assert "Not listed, as the model's scores do not move with them (no part in the gap): "\
        "noise." in text
    assert "reads the sensitive attribute" not in text


def test_a_model_that_reads_the_sensitive_column_is_said_to(data):
    X, y, sex, _, _ = data
    X = X.assign(male=(sex == "male").astype(float))
    y = (X["skill"] + 2 * X["male"] > 1).astype(int).to_numpy()
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=sex,
                          explain=ROWS, n_boot=None)
    found = report.explanation
    assert "male" not in found.top(10).index and found.chosen.direct > 0
    assert ("of the gap in mean score between male and female "
            f"({found.chosen.gap:.3f}) runs through male itself") in found.sentence()
    text = " ".join({s.heading: s for s in report.document().sections}[
        "Explaining the gap"].paragraphs)
    assert (f"The model reads the sensitive attribute itself, in male: that part of the gap "
            f"({found.chosen.direct:.3f}) is direct") in text
