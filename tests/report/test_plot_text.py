"""Labels from the data are drawn as written: a "$" is a dollar, not mathtext."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from sklearn.linear_model import LogisticRegression

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report

# Unbalanced braces, an unknown macro's half, and an income bracket.
NAMES = ["$10{-$20", r"$\frac{a}{$", "$50K-$75K"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    groups = np.array(NAMES)[rng.integers(0, 3, 300)]
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=NAMES[:2])
    X.loc[:10, NAMES[0]] = np.nan
    y = (X[NAMES[1]] + rng.normal(size=300) > 0).astype(int)
    return X, y, groups


def texts(figures) -> list[Text]:
    return [t for f in figures for t in f.findobj(Text)]


def assert_drawn_as_written(figures, names):
    drawn = texts(figures)
    assert all(not t.get_parse_math() and not t.get_usetex() for t in drawn)
    shown = {t.get_text() for t in drawn}
    for name in names:
        assert name in shown or any(s.startswith(f"{name} (AUC") for s in shown), name


def test_model_report_draws_group_names_as_text(data):
    X, y, groups = data
    features = X.fillna(0)
    report = model_report(LogisticRegression().fit(features, y), features, y,
                          sensitive_features=groups)
    page = report.to_html()  # renders: mathtext would raise on the first two names
    assert page.count("<img") == 3
    figures = [p.figure for s in report.document().sections for p in s.plots]
    assert_drawn_as_written(figures, NAMES)


def test_audit_draws_group_and_column_names_as_text(data):
    X, y, groups = data
    audit = audit_dataset(X, y, sensitive_features=groups)
    assert audit.to_html().count("<img") == 3
    groups_plot, missing, proxies = audit.plot()
    assert_drawn_as_written([groups_plot], NAMES)
    assert_drawn_as_written([missing], NAMES)  # features by groups
    assert_drawn_as_written([proxies], NAMES[:2])
