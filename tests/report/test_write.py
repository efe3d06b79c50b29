"""write_report: the files' name is a bare name, never a hidden file or a path."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from skfairtune.report import model_report, write_report


@pytest.fixture(scope="module")
def report():
    X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    clf = DummyClassifier(strategy="stratified", random_state=0).fit(X, y)
    return model_report(clf, X, y, sensitive_features=[0, 0, 0, 0, 1, 1, 1, 1])


@pytest.mark.parametrize("name, message", [
    ("", r"name='' is blank: it would write '\.html' and '\.md'"),
    ("  ", r"name='  ' is blank"),
    (".hidden", r"name='\.hidden' starts with a dot: it would write the hidden files"),
    ("..", r"name='\.\.' starts with a dot"),
    ("sub/report", r"name='sub/report' holds the path separator '/'.*Put the folder in out="),
    ("../report", r"starts with a dot"),
    ("sub\\report", r"holds the path separator '\\\\'"),
    ("re\0port", r"holds a NUL character"),
])
def test_bad_names_are_refused_and_nothing_is_written(report, tmp_path, name, message):
    with pytest.raises(ValueError, match=message):
        write_report(report, tmp_path, name=name)
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_is_not_a_string(report, tmp_path):
    with pytest.raises(TypeError, match="name must be a str.*got int 3"):
        report.write(tmp_path, name=3)


def test_a_bare_name(report, tmp_path):
    paths = write_report(report, tmp_path, name="fairness report-2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fairness report-2.html", "fairness report-2.md"]
    assert paths["html"].parent == tmp_path
