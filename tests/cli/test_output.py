"""The table, the choice and the progress bar show gaps as they are: never "-0.000"."""

import io

import numpy as np
import pandas as pd
import pytest

from skfairtune.cli._common import Job
from skfairtune.cli._output import Progress, choice, format_table, number


def job(**changes) -> Job:
    settings = dict(train=None, test=None, target="y", sensitive=["s"],
                    penalty="demographic_parity", strengths=[0.0, 1.0], budget=0.05,
                    constraint="demographic_parity_difference", epochs=1, base_epochs=1,
                    batch_size=8, lr=1e-3, folds=2, n_jobs=1, seed=0, out=None,
                    progress=True)
    return Job(**{**settings, **changes})


@pytest.fixture
def table():
    columns = pd.MultiIndex.from_tuples([
        ("cross-validated", "accuracy"), ("cross-validated", "DP gap"),
        ("cross-validated", "EO gap"), ("test", "accuracy"), ("test", "DP gap"),
        ("test", "EO gap")])
    values = [[np.nan, np.nan, np.nan, 0.8, 0.1, 0.2],
              [0.81, -0.0, -1e-12, 0.8, -0.0, 0.05],
              [0.80, 0.02, 0.1, 0.79, -0.0004, 0.04]]
    frame = pd.DataFrame(values, index=["base", "0", "1"], columns=columns)
    frame.index.name = "strength"
    frame[("chosen", "")] = [False, True, False]
    frame[("degenerate", "")] = ["", "", ""]  # as the run's table: none flagged
    return frame


@pytest.mark.parametrize("value, shown", [
    (-0.0, "0.000"), (-1e-12, "0.000"), (-0.0004, "0.000"), (0.0004, "0.000"),
    (0.1235, "0.123"), (-0.25, "-0.250"), (np.float64(-0.0), "0.000")])
def test_number(value, shown):
    assert number(value) == shown


def test_the_table_never_shows_a_negative_zero(table):
    text = format_table(table, {"cross-validated": "cv", "test": "test split"})
    assert "-0.000" not in text
    assert "0 *" in text and text.count("0.000") == 4


def test_the_choice_never_shows_a_negative_zero(table):
    line = choice(job(), table)
    assert "-0.000" not in line and "DP gap 0.100 -> 0.000" in line


@pytest.mark.parametrize("gap, shown", [(-0.0, "DP gap 0.000"), (0.25, "DP gap 0.250"),
                                        (np.nan, "DP gap failed")])
def test_the_progress_bar_shows_the_last_gap(monkeypatch, gap, shown):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with Progress(job()) as progress:
        progress.candidates(1, 0.0, gap)
        assert shown in str(progress.bar)
        assert progress.bar.n == 2  # one candidate, two folds


def test_tune_sends_no_escape_sequence_from_the_file_to_the_terminal(run, tmp_path):
    from .conftest import QUICK, make_frame

    frame = make_frame(300).rename(columns={"job": "\x1b]0;TITLE\x07job"})
    frame["sex"] = frame["sex"].map({"female": "\x1b[31mfemale", "male": "\u202emale"})
    frame.to_csv(tmp_path / "hostile.csv", index=False)
    result = run("tune", tmp_path / "hostile.csv", "--target", "hired", "--sensitive",
                 "sex", "--pos-label", "yes", "--out", tmp_path / "out", *QUICK)
    assert result.code in (0, 4), result.err
    for text in (result.out, result.err):
        assert not any(c in text for c in ("\x1b", "\x07", "\u202e")), text
    assert "\\x1b[31mfemale" in result.out


def test_a_failure_message_reaches_the_terminal_escaped(run, tmp_path):
    result = run("tune", tmp_path / "\x1b[2Jmissing.csv", "--target", "hired",
                 "--sensitive", "sex", "--out", tmp_path / "out")
    assert result.code == 2
    assert "\x1b" not in result.err and "\\x1b[2Jmissing.csv: no such file" in result.err
