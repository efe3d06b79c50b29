"""Every report's four ways out (to_text, to_markdown, to_html, write), the
files' name, and the names they replaced (write_report, write_html)."""

import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report, write_report


@pytest.fixture(scope="module")
def report():
    X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    clf = DummyClassifier(strategy="stratified", random_state=0).fit(X, y)
    return model_report(clf, X, y, sensitive_features=[0, 0, 0, 0, 1, 1, 1, 1])


@pytest.fixture(scope="module")
def audit():
    rng = np.random.default_rng(0)
    sex = rng.choice(["f", "m"], 60)
    X = pd.DataFrame({"sex": sex, "height": rng.normal(size=60) + (sex == "m")})
    X.loc[:4, "height"] = np.nan
    return audit_dataset(X, (X["height"] > 0.5).astype(int), sensitive_features="sex")


@pytest.fixture(params=["report", "audit"])
def any_report(request, report, audit):
    return {"report": report, "audit": audit}[request.param]


def test_every_report_has_the_four_methods(any_report):
    for method in ("to_text", "to_markdown", "to_html", "write"):
        assert callable(getattr(any_report, method))
    full_page = inspect.signature(any_report.to_html).parameters["full_page"]
    assert (full_page.kind, full_page.default) == (full_page.KEYWORD_ONLY, True)
    name = inspect.signature(any_report.write).parameters["name"]
    assert name.kind == name.KEYWORD_ONLY


def test_the_files_are_the_methods_written(any_report, tmp_path):
    paths = any_report.write(tmp_path / "new", name="r")
    assert set(paths) == {"html", "markdown"}
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["r.html", "r.md"]
    assert paths["markdown"].read_text(encoding="utf-8") == any_report.to_markdown()
    assert paths["html"].read_text(encoding="utf-8") == any_report.to_html()


def test_text_and_html_agree_with_str_and_the_notebook(any_report):
    assert any_report.to_text() == str(any_report)
    body = any_report.to_html(full_page=False)
    assert body == any_report._repr_html_()
    assert not body.startswith("<!DOCTYPE") and body in any_report.to_html()
    assert "<img" in body  # both reports have figures, embedded in the page


def test_each_report_names_its_files(report, audit, tmp_path):
    assert sorted(p.name for p in report.write(tmp_path / "a").values()) == [
        "report.html", "report.md"]
    assert sorted(p.name for p in audit.write(tmp_path / "b").values()) == [
        "audit.html", "audit.md"]


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
def test_bad_names_are_refused_and_nothing_is_written(any_report, tmp_path, name, message):
    with pytest.raises(ValueError, match=message):
        any_report.write(tmp_path, name=name)
    assert list(tmp_path.iterdir()) == []


def test_a_name_that_is_not_a_string(report, tmp_path):
    with pytest.raises(TypeError, match="name must be a str.*got int 3"):
        report.write(tmp_path, name=3)


def test_a_bare_name(report, tmp_path):
    paths = report.write(tmp_path, name="fairness report-2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fairness report-2.html", "fairness report-2.md"]
    assert paths["html"].parent == tmp_path


def test_write_report_warns_and_does_what_write_does(report, tmp_path):
    with pytest.warns(FutureWarning, match=r"^write_report is deprecated and will be removed "
                      r"in a future release; use report\.write\(out, name=\.\.\.\)\.$"):
        old = write_report(report, tmp_path / "old", name="r")
    new = report.write(tmp_path / "new", name="r")
    assert old == {kind: tmp_path / "old" / path.name for kind, path in new.items()}
    for kind in new:
        assert old[kind].read_text() == new[kind].read_text()


def test_write_html_warns_and_writes_the_page_alone_as_before(audit, tmp_path):
    with pytest.warns(FutureWarning, match=r"^DatasetAudit\.write_html is deprecated and "
                      r"will be removed in a future release; use DatasetAudit\.write\(out, "):
        path = audit.write_html(str(tmp_path / "page.html"))
    assert path == tmp_path / "page.html"
    assert list(tmp_path.iterdir()) == [path]
    assert path.read_text(encoding="utf-8") == audit.to_html()
