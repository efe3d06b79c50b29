"""``check`` on random files: a clear usage error (exit 2) or the right answer, never
a crash and never a silent wrong number."""

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from skfairtune.cli import EXIT_OK, EXIT_OVER, EXIT_UNSURE, EXIT_USAGE
from skfairtune.cli._check import load_model

from .conftest import make_frame

COLUMNS = ["--target", "hired", "--sensitive", "sex"]


def _mostly_as_is(*changes):
    # Each change alone is tried often, and files that pass reach the oracle.
    return st.one_of(st.just("as is"), st.sampled_from(changes))


GROUPS = _mostly_as_is("one group", "unseen", "missing", "numbers", "hostile")
LABELS = _mostly_as_is("Yes", "unknown", "missing", "one label", "numbers")
SHAPES = _mostly_as_is("shuffled", "extra", "no feature", "no target")
VALUES = _mostly_as_is("text in a number", "inf", "missing", "new category")
BUDGETS = st.one_of(st.floats(0.001, 1.0), st.floats(0.001, 1.0),
                    st.sampled_from([0.0, -0.1, 1.5, float("nan")]))


def _mutate(frame, rng, groups, labels, shape, values):
    frame = frame.copy()
    some = rng.random(len(frame)) < 0.2
    if groups == "one group":
        frame["sex"] = "female"
    elif groups == "unseen":
        frame.loc[some, "sex"] = "other"
    elif groups == "missing":
        frame.loc[some, "sex"] = np.nan
    elif groups == "numbers":
        frame["sex"] = (frame["sex"] == "male").astype(int)
    elif groups == "hostile":
        frame["sex"] = frame["sex"].map({"female": "\x1b[31mf", "male": "\u202em"})
    if labels == "Yes":
        frame["hired"] = frame["hired"].str.capitalize()
    elif labels == "unknown":
        frame.loc[some, "hired"] = "maybe"
    elif labels == "missing":
        frame.loc[some, "hired"] = np.nan
    elif labels == "one label":
        frame["hired"] = "no"
    elif labels == "numbers":
        frame["hired"] = (frame["hired"] == "yes").astype(int)
    if values == "text in a number":
        frame["skill"] = frame["skill"].astype(object)
        frame.loc[frame.index[0], "skill"] = "high"
    elif values == "inf":
        frame.loc[some, "hours"] = np.inf
    elif values == "missing":
        frame.loc[some, "skill"] = np.nan
    elif values == "new category":
        frame.loc[some, "job"] = "astronaut"
    if shape == "shuffled":
        frame = frame[rng.permutation(frame.columns)]
    elif shape == "extra":
        frame["note"] = "x"
    elif shape == "no feature":
        frame = frame.drop(columns="skill")
    elif shape == "no target":
        frame = frame.drop(columns="hired")
    return frame


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.one_of(st.just(300), st.integers(1, 300)), groups=GROUPS, labels=LABELS,
       shape=SHAPES, values=VALUES, budget=BUDGETS, seed=st.integers(0, 2**16))
def test_check_on_a_random_file_is_a_usage_error_or_the_right_answer(
        run, tuned, tmp_path_factory, rows, groups, labels, shape, values, budget, seed):
    folder = tuned[3]
    rng = np.random.default_rng(seed)
    frame = _mutate(make_frame(300, seed=7).iloc[:rows], rng, groups, labels, shape, values)
    work = tmp_path_factory.mktemp("random")
    frame.to_csv(work / "new.csv", index=False)
    result = run("check", folder, work / "new.csv", *COLUMNS, "--budget", repr(budget),
                 "--n-boot", "50", "--out", work / "out")
    event(f"exit {result.code}")
    assert "the run failed" not in result.err and "Traceback" not in result.err, result.err
    assert result.code in (EXIT_OK, EXIT_OVER, EXIT_USAGE, EXIT_UNSURE), result.err
    if result.code == EXIT_USAGE:
        if values == "text in a number" and shape != "no feature" and "the model cannot" in (
                result.err):
            assert "text in a number column: skill ('high' among numbers)" in result.err
        # Ours, or argparse's for an option it refuses; either names the problem.
        assert result.err.startswith(("skfairtune: error: ", "usage: ")), result.err
        assert not (work / "out").exists()
        return
    # An answer: the gap is the one fairlearn computes for the saved model on these rows.
    read = pd.read_csv(work / "new.csv")
    model = load_model(folder)
    predicted = model.predict(read[list(model.feature_names_in_)])
    truth = read["hired"].map(str).str.lower() == "yes"
    expected = demographic_parity_difference(truth.astype(int), predicted,
                                             sensitive_features=read["sex"])
    summary = json.loads((work / "out" / "check.json").read_text())
    gap = summary["gap"]
    assert summary["rows"] == len(read)
    assert gap["value"] == pytest.approx(expected, abs=1e-12)
    assert gap["low"] <= gap["value"] <= gap["high"]
    within, over = gap["high"] <= budget, gap["low"] > budget
    assert result.code == (EXIT_OK if within else EXIT_OVER if over else EXIT_UNSURE)
