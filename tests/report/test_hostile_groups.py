"""Group values that hold bidirectional overrides or control characters are shown
as escapes on every surface a report draws: HTML, markdown, text and plots."""

import warnings

import numpy as np
import pandas as pd
from matplotlib.text import Text
from sklearn.linear_model import LogisticRegression

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report
from skfairtune.report._markdown import document_markdown

RAW = ("\u202e", "\x1b", "\x07")


def _data():
    rng = np.random.default_rng(0)
    groups = rng.choice(["\u202eevil", "\x1b[31mred", "plain"], 300)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "\u202eb"])
    y = (X.iloc[:, 1] + (groups == "plain") > 0).astype(int).to_numpy()
    return X, y, groups


def _surfaces(thing) -> dict:
    document = thing.document()
    figures = [p.figure for s in document.sections for p in s.plots]
    for figure in figures:
        figure.canvas.draw()  # tick labels are laid out (and reset) when drawn
    return {"text": str(thing), "markdown": document_markdown(document),
            "html": thing.to_html(full_page=False),
            "plots": "\n".join(t.get_text() for f in figures for t in f.findobj(Text))}


def _assert_escaped(surfaces):
    for name, text in surfaces.items():
        assert not any(c in text for c in RAW), name
        assert "u202eevil" in text, name


def test_a_model_report_draws_no_override_or_control_character():
    X, y, groups = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "Glyph ... missing"
        warnings.filterwarnings("error", message=".*Glyph.*")
        report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=groups)
        _assert_escaped(_surfaces(report))


def test_an_audit_draws_no_override_or_control_character():
    X, y, groups = _data()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Glyph.*")
        _assert_escaped(_surfaces(audit_dataset(X, y, sensitive_features=groups)))
