"""The markdown summary shows data-derived text literally: no HTML, no broken table."""

import html
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfairtune.audit import audit_dataset
from skfairtune.report import model_report
from skfairtune.report._document import Document, Plot, Section, Table
from skfairtune.report._markdown import document_markdown, escape_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a|b\nc",
    "`code` *em* _u_ [link](javascript:x) ![i](x) ~~s~~ #1 & &lt;",
    "$50K-$75K",
    "back\\slash\\|pipe",
    "- item",
    "12. item\r\n    code",
    "> quote <!-- c --> <http://x.y> <a@b.c> &amp; &#60; R&D",
]
# A pipe that splits a table row: one preceded by an even number of backslashes.
_SPLITTING_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")
# A backslash escape, or an entity (whose "&" is not escaped), as CommonMark reads them.
_ESCAPE_OR_ENTITY = re.compile(
    r"\\([!-/:-@\[-`{-~])|(&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")
# What opens HTML: an unescaped "<" before a letter, "/", "!" or "?" (a tag, a
# comment), or before anything else that could start an autolink.
_OPENS_HTML = re.compile(r"(?<!\\)(?:\\\\)*<(?!\s|=\s|=$|$)")


def shown(markdown: str) -> str:
    """What a CommonMark reader shows for escaped text: escapes and entities undone."""
    return _ESCAPE_OR_ENTITY.sub(lambda m: m.group(1) or html.unescape(m.group(2)),
                                 markdown)


def literal(text: str) -> str:
    """The text as the summary should show it: on one line, ends trimmed."""
    return re.sub(r"[\x00-\x1f]", " ", text).strip()


def table_rows(markdown: str) -> list[list[str]]:
    """Every table line of the markdown, split into its cells."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| "):
            cells = _SPLITTING_PIPE.split(line)
            assert cells[0] == "" and cells[-1] == "", line
            rows.append([c.strip() for c in cells[1:-1]])
    return rows


def assert_inert(markdown: str) -> None:
    """No HTML, no quote, no math, and tables whose rows all have the header's cells."""
    assert not _OPENS_HTML.search(markdown)
    assert not re.search(r"^\s*>", markdown, re.MULTILINE)
    assert "$" not in markdown
    for block in markdown.split("\n\n"):
        lines = block.splitlines()
        if lines and lines[0].startswith("| "):
            widths = {len(_SPLITTING_PIPE.split(line)) for line in lines}
            assert len(widths) == 1, block


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_reads_back_as_written(text):
    escaped = escape_markdown(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert not _OPENS_HTML.search(escaped) and "$" not in escaped
    assert len(_SPLITTING_PIPE.findall(escaped)) == 0
    assert shown(escaped) == literal(text)


def test_every_text_of_a_document_is_escaped():
    frame = pd.DataFrame({h: [h, 1.5] for h in HOSTILE},
                         index=pd.Index(HOSTILE[:2], name=HOSTILE[2]))
    document = Document(HOSTILE[0], HOSTILE[1], [Section(
        HOSTILE[3], HOSTILE, [Table(HOSTILE[4], frame, highlight=[HOSTILE[0]])],
        [Plot(HOSTILE[5], figure=None)])])
    markdown = document_markdown(document)
    assert_inert(markdown)
    header, _, *rows = table_rows(markdown)
    assert [shown(c) for c in header] == [literal(t) for t in [HOSTILE[2], *HOSTILE]]
    assert [shown(c) for c in rows[0]] == [  # the highlighted row, in bold
        f"**{literal(t)}**" for t in [HOSTILE[0], *HOSTILE]]
    assert shown(rows[1][0]) == literal(HOSTILE[1])
    paragraphs = markdown.split("\n\n")
    for text in HOSTILE:
        assert literal(text) in map(shown, paragraphs)
    # Not a list item nor a code block: each paragraph starts with its text.
    assert not any(re.match(r"\s|[-+*]\s|\d+[.)]\s", p) for p in paragraphs)


def test_model_report_markdown_with_hostile_groups_columns_and_scorer(tmp_path):
    rng = np.random.default_rng(0)
    groups = np.array(HOSTILE[:5])[rng.integers(0, 5, 300)]
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    y = (X["a"] + rng.normal(size=300) > 0).astype(int)
    scorer = '<img src=x onerror=alert(1)>|$x$'
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2,
                          scoring={scorer: "accuracy"}, refit=scorer).fit(X, y)
    extra = pd.DataFrame({HOSTILE[0]: [1.0], HOSTILE[2]: [2.0]}, index=[HOSTILE[1]])
    report = model_report(search, X, y, sensitive_features=groups, title=HOSTILE[0],
                          tables={HOSTILE[3]: extra}, notes=[HOSTILE[6]])
    markdown = report.write(tmp_path)["markdown"].read_text()
    assert_inert(markdown)
    cells = {shown(c).strip("*") for row in table_rows(markdown) for c in row}
    assert {literal(g) for g in HOSTILE[:5]} <= cells  # each group's row, as written
    assert literal(scorer) in cells and literal(HOSTILE[2]) in cells


def test_audit_markdown_with_hostile_groups_and_columns():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({HOSTILE[0]: rng.normal(size=200), HOSTILE[2]: rng.normal(size=200),
                      "group": np.array(HOSTILE[:4])[rng.integers(0, 4, 200)]})
    X.loc[:20, HOSTILE[2]] = np.nan
    audit = audit_dataset(X, (X[HOSTILE[0]] > 0).astype(int), sensitive_features="group")
    markdown = document_markdown(audit.document())
    assert_inert(markdown)
    cells = {shown(c) for row in table_rows(markdown) for c in row}
    assert {literal(g) for g in HOSTILE[:4]} <= cells
    assert {literal(HOSTILE[0]), literal(HOSTILE[2])} <= cells


@pytest.mark.parametrize("text", ["DP gap <= 0.05", "a < b and b > c", "R&D & sales",
                                  "0 <= x <="])
def test_comparisons_and_ampersands_read_as_written_in_the_file(text):
    # Only the HTML renderer escapes HTML: in report.md "<=" is "<=", not "&lt;=".
    assert escape_markdown(text) == text


def test_model_report_markdown_shows_the_selection_rule_as_written():
    from skfairtune.metrics import make_fairness_scorer
    from skfairtune.model_selection import budget_refit

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "sex": rng.integers(0, 2, 200)})
    y = (X["a"] + X["sex"] > 0.5).astype(int)
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, cv=2,
        scoring={"accuracy": "accuracy",
                 "dp": make_fairness_scorer("demographic_parity_difference",
                                            sensitive_features="sex")},
        refit=budget_refit(metric="accuracy", constraint="dp", max_value=0.5),
    ).fit(X, y)
    markdown = model_report(search, X, y, sensitive_features="sex").to_markdown()
    assert "dp <= 0.5" in markdown and "&lt;" not in markdown
