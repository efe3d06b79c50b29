"""Numeric group values print as numbers (0, not np.int64(0)) in every output."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from sklearn.linear_model import LogisticRegression

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report
from skfairtune.report._markdown import document_markdown


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 3, 300)  # int64 values
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    X.loc[:10, "a"] = np.nan
    y = (X["b"] + 0.3 * groups > 0).astype(int).to_numpy()
    return X, y, groups


def outputs(thing) -> list[str]:
    document = thing.document()
    figures = [p.figure for s in document.sections for p in s.plots]
    return [str(thing), document_markdown(document), thing.to_html(full_page=False),
            *(t.get_text() for f in figures for t in f.findobj(Text))]


def assert_numbers_plain(texts):
    joined = "\n".join(texts)
    assert "np." not in joined and "int64" not in joined


def test_audit_prints_numeric_groups_and_labels_plainly(data):
    X, y, groups = data
    audit = audit_dataset(X, y.astype(np.int64), sensitive_features=groups)
    texts = outputs(audit)
    assert_numbers_plain(texts)
    assert "The smallest group, 0, holds 30.0% of the rows; the largest, 2," in texts[0]
    assert "share of label 1)" in texts[0]
    assert {"0", "1", "2"} <= set(texts[3:])  # bar and heat-map tick labels


def test_model_report_prints_numeric_groups_plainly(data):
    X, y, groups = data
    features = X.fillna(0)
    both = pd.DataFrame({"g": groups, "h": np.int64(groups % 2)})
    report = model_report(LogisticRegression().fit(features, y), features, y,
                          sensitive_features=both)
    texts = outputs(report)
    assert_numbers_plain(texts)
    assert list(report.confusion)[:2] == ["0 / 0", "1 / 1"]
    assert "0 / 0" in texts[3:]  # a confusion matrix's title, a curve's legend


def test_multiclass_message_lists_the_classes_plainly(data):
    X, _, groups = data
    features = X.fillna(0)
    y3 = np.arange(300) % 3
    with pytest.raises(ValueError, match=r"it has classes \[0, 1, 2\]\."):
        model_report(LogisticRegression().fit(features, y3), features, y3,
                     sensitive_features=groups)
