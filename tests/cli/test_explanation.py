"""``tune`` prints the features that carry the gap, base -> chosen."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skfairtune.cli._output import TOP_FEATURES, number, print_explanation
from skfairtune.report import model_report

ROW = re.compile(r"^(?P<feature>\S+)\s+(?P<base>-?\d\.\d{3}) -> (?P<chosen>-?\d\.\d{3})\s+"
                 r"(?P<share>-?\d+%|-)\s+(?P<proxy>yes \(AUC \d\.\d\d\)|no)$")


def explanation_rows(out: str) -> list:
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("Where the "))
    header = next(k for k in range(start, len(lines)) if lines[k].startswith("feature"))
    return [ROW.match(line) for line in lines[header + 1:header + 1 + TOP_FEATURES]]


def test_tune_prints_the_top_features_of_the_gap(tuned):
    code, out, err, folder = tuned
    assert code == 0, err
    assert re.search(r"Where the demographic parity gap in mean score \((female - male|"
                     r"male - female)\) comes from, top 3 features:", out)
    assert "Fine-tuning moved this gap from" in out
    rows = explanation_rows(out)
    assert all(rows), out
    # The columns the model reads: not the sensitive one, which it never sees.
    assert {r["feature"] for r in rows} == {"skill", "hours", "job"}
    assert out.index("Where the ") < out.index("Wrote to")
    assert "## Explaining the gap" in (folder / "report.md").read_text()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    sex = pd.Series(rng.choice(["female", "male"], 400), name="sex")
    X = pd.DataFrame({"hours": rng.normal(38, 3, 400) + 6 * (sex == "male"),
                      "skill": rng.normal(size=400), "age": rng.normal(40, 9, 400),
                      "noise": rng.normal(size=400)})
    y = (X["skill"] + 0.4 * (X["hours"] - 38) + rng.normal(size=400) > 1).astype(int)
    return X, y.to_numpy(), sex


def test_the_printed_numbers_are_the_reports(data, capsys):
    X, y, sex = data
    base, tuned = LogisticRegression().fit(X, y), LogisticRegression(C=0.005).fit(X, y)
    report = model_report(tuned, X, y, sensitive_features=sex, base=base, explain=100,
                          n_boot=None)
    print_explanation(report)
    rows = explanation_rows(capsys.readouterr().out)
    comparison = report.explanation.comparison.contributions
    top = report.explanation.chosen.contributions.head(TOP_FEATURES)
    assert [r["feature"] for r in rows] == list(top.index)
    assert rows[0]["feature"] == "hours" and rows[0]["proxy"].startswith("yes")
    for row in rows:
        assert row["base"] == number(comparison.loc[row["feature"], "base"])
        assert row["chosen"] == number(top.loc[row["feature"], "contribution"])
        assert int(row["share"][:-1]) == round(100 * top.loc[row["feature"], "share"])


def test_a_gap_that_cannot_be_explained_is_said_so(data, capsys):
    X, y, sex = data
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=sex,
                          notion="predictive_parity", explain=100, n_boot=None)
    print_explanation(report)
    out = capsys.readouterr().out
    assert "The gap cannot be explained feature by feature:" in out and "precision" in out


def test_intersectional_groups_print_as_the_labels_do_everywhere(data, capsys):
    X, y, sex = data
    groups = pd.concat([sex, pd.Series(np.where(X["age"] > 40, "older", "younger"),
                                       name="age")], axis=1)
    report = model_report(LogisticRegression().fit(X, y), X, y, sensitive_features=groups,
                          explain=100, n_boot=None)
    print_explanation(report)
    out = capsys.readouterr().out
    a, b = (" / ".join(g) for g in report.explanation.chosen.groups)
    assert f"gap in mean score ({a} - {b}) comes from" in out
    assert "('" not in out
