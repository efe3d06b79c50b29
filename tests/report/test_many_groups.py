"""Thousands of groups: the audit and the report stay linear in the rows, and
their tables and plots show the largest groups, saying what they left out."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report
from skfairtune.report._document import MAX_TABLE_ROWS
from skfairtune.report._markdown import document_markdown
from skfairtune.report._plots import MAX_BARS, MAX_PANELS

N_GROUPS, N_BIG = 2_000, 30


@pytest.fixture(scope="module")
def data():
    """20,000 rows: 30 groups of 300 rows, and 1,970 groups of 5 or 6."""
    rng = np.random.default_rng(0)
    small = np.resize(np.arange(N_BIG, N_GROUPS), 20_000 - 300 * N_BIG)
    groups = np.concatenate([np.arange(N_BIG).repeat(300), small])
    names = np.array([f"g{k:04d}" for k in range(N_GROUPS)])[rng.permutation(groups)]
    X = pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000),
                      "c": rng.choice(list("xyz"), 20_000)})
    X.loc[X.index % 7 == 0, "b"] = np.nan
    y = (X["a"] + rng.normal(size=20_000) > 0).astype(int)
    return X, y, names


BIG = {f"g{k:04d}" for k in range(N_BIG)}


def tick_labels(ax, axis="y"):
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def test_audit_shows_the_largest_groups_and_says_how_many_are_left_out(data):
    X, y, groups = data
    audit = audit_dataset(X, y, sensitive_features=groups)
    assert len(audit.groups) == N_GROUPS  # the object keeps every group
    assert audit.missing.shape == (1, N_GROUPS + 1) and len(audit.labels) == N_GROUPS + 1
    sections = {s.heading: s for s in audit.document().sections}

    table = sections["Groups"].tables[0].frame
    assert len(table) == MAX_TABLE_ROWS and BIG <= set(table.index)
    left = 20_000 - int(table["count"].sum())
    note = ("Of the 2,000 groups, the table shows the 50 largest (1,950 groups, "
            f"{left:,} rows left out) and the plots show the 20 largest (1,980 groups, "
            f"{20_000 - 300 * MAX_BARS:,} rows left out); audit.groups holds them all.")
    assert note in sections["Groups"].paragraphs
    share = sections["Groups"].plots[0].figure.axes[0]
    assert len(tick_labels(share)) == MAX_BARS and set(tick_labels(share)) <= BIG
    assert sections["Groups"].plots[0].figure.get_size_inches()[1] < 15

    labels = sections["Labels"].tables[0].frame
    assert len(labels) == MAX_TABLE_ROWS + 1 and labels.index[-1] == "all"
    assert any(p.startswith("Of the 2,000 groups") for p in sections["Labels"].paragraphs)

    missing = sections["Missing values"]
    assert missing.tables[0].frame.shape == (1, MAX_TABLE_ROWS + 1)
    heat = missing.plots[0].figure.axes[0]
    assert len(tick_labels(heat, "x")) == MAX_BARS + 1 and tick_labels(heat, "x")[-1] == "all"
    assert any("the plot shows the 20 largest" in p for p in missing.paragraphs)

    text = str(audit)
    assert "Of the 2,000 groups" in text and len(text.splitlines()) < 300
    assert "Of the 2,000 groups" in document_markdown(audit.document())


def test_model_report_shows_the_largest_groups_and_says_how_many_are_left_out(data):
    X, y, groups = data
    features = X[["a"]]
    report = model_report(LogisticRegression().fit(features, y), features, y,
                          sensitive_features=groups)
    assert len(report.groups) == len(report.confusion) == N_GROUPS
    big = report.confusion["g0000"]
    assert big.sum() == 300 and big.shape == (2, 2)
    sections = {s.heading: s for s in report.document().sections}

    section = sections["Groups"]
    assert len(section.tables[0].frame) == MAX_TABLE_ROWS
    assert any(re.match(r"Of the 2,000 groups, the table shows the 50 largest \(1,950 "
                        r"groups, [\d,]+ rows left out\) and the plots show the 12 largest",
                        p) for p in section.paragraphs)
    rates, confusion = (p.figure for p in section.plots)
    assert len(rates.axes[0].get_legend().get_texts()) == MAX_PANELS
    titles = [ax.get_title() for ax in confusion.axes if ax.get_visible()]
    assert len(titles) == MAX_PANELS and set(titles) <= BIG

    scores = sections["Scores by group"]
    roc = scores.plots[0].figure.axes[0]
    assert len(roc.get_legend().get_texts()) == MAX_PANELS
    assert all(t.get_text().split(" ")[0] in BIG for t in roc.get_legend().get_texts())
    assert any("the plots show the 12 largest" in p for p in scores.paragraphs)
    assert len(report.to_markdown().splitlines()) < 200
