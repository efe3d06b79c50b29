"""``skfairtune check``: a saved model's gaps on new data, against a budget, as exit codes."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.cli import EXIT_OK, EXIT_OVER, EXIT_UNSURE, EXIT_USAGE, build_parser

from .conftest import make_frame

COLUMNS = ["--target", "hired", "--sensitive", "sex", "--pos-label", "yes"]


def _pipeline(model):
    encode = ColumnTransformer([
        ("categories", OneHotEncoder(handle_unknown="ignore"), ["job"]),
        ("numbers", StandardScaler(), ["skill"])])
    return Pipeline([("encode", encode), ("model", model)])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A model trained as ``tune`` trains one (0/1 target, a pipeline), pickled as
    ``tune`` writes ``model.pkl``, and new labeled data in the file's own labels."""
    folder = tmp_path_factory.mktemp("check")
    train = make_frame(400, seed=0).dropna()
    y = (train["hired"] == "yes").astype(int)
    model = _pipeline(FairTuneClassifier(penalty="demographic_parity", max_epochs=5,
                                         random_state=0))
    model.fit(train.drop(columns="hired"), y, model__sensitive_features=train["sex"])
    with open(folder / "model.pkl", "wb") as file:
        pickle.dump(model, file)
    new = make_frame(600, seed=5).dropna()
    new.to_csv(folder / "new.csv", index=False)
    return folder, model, new


def check(run, files, *args):
    folder = files[0]
    return run("check", folder / "model.pkl", folder / "new.csv", *COLUMNS,
               "--out", folder / "out", "--overwrite", "--n-boot", "300", *args)


def _json(files):
    return json.loads((files[0] / "out" / "check.json").read_text())


def test_within_the_budget_exits_0(run, files):
    result = check(run, files, "--budget", "0.5")
    assert result.code == EXIT_OK, result.err
    _, model, new = files
    pred = model.predict(new.drop(columns="hired"))
    dp = demographic_parity_difference((new["hired"] == "yes").astype(int), pred,
                                       sensitive_features=new["sex"])
    summary = _json(files)
    assert summary["verdict"] == "within" and summary["exit_code"] == 0
    assert summary["notion"] == "demographic_parity"  # the model's own penalty
    assert summary["gap"]["value"] == pytest.approx(dp)
    assert summary["gap"]["high"] <= 0.5
    assert f"demographic parity gap         {dp:.3f}" in result.out
    assert "Within the budget" in result.out and "(exit code 0)" in result.out


def test_over_the_budget_exits_1(run, files):
    result = check(run, files, "--notion", "equalized_odds", "--budget", "0.01")
    assert result.code == EXIT_OVER == 1, result.err
    _, model, new = files
    eo = equalized_odds_difference((new["hired"] == "yes").astype(int),
                                   model.predict(new.drop(columns="hired")),
                                   sensitive_features=new["sex"])
    summary = _json(files)
    assert summary["metric"] == "equalized_odds_difference"
    assert summary["gap"]["value"] == pytest.approx(eo)
    assert summary["gap"]["low"] > 0.01
    assert "Over the budget" in result.out


def test_an_interval_that_straddles_the_budget_exits_3(run, files):
    assert check(run, files, "--budget", "1").code == EXIT_OK
    gap = _json(files)["gap"]
    budget = (gap["low"] + gap["high"]) / 2
    result = check(run, files, "--budget", f"{budget:.6f}")
    assert result.code == EXIT_UNSURE == 3, result.err
    assert "Cannot tell" in result.out and "straddles" in result.out
    assert _json(files)["verdict"] == "uncertain"


def test_the_report_holds_the_intervals_and_the_model_card(run, files):
    assert check(run, files, "--budget", "0.5", "--confidence", "0.8").code == EXIT_OK
    out = files[0] / "out"
    gap = _json(files)["gap"]
    markdown = (out / "check.md").read_text()
    assert f"{gap['low']:.3f} to {gap['high']:.3f}" in markdown
    assert "model 80% interval" in markdown
    assert "The model is within the budget of 0.5" in markdown
    assert "## Model card" in markdown and "model.pkl" in markdown
    html = (out / "check.html").read_text()
    assert "<h2>Summary</h2>" in html and "<h2>Model card</h2>" in html


def test_small_groups_and_a_degenerate_model_are_warned_of(run, files, tmp_path):
    folder = files[0]
    new = make_frame(300, seed=7).dropna()
    new.loc[new.index[:12], "sex"] = "other"
    new.to_csv(tmp_path / "small.csv", index=False)
    constant = _pipeline(LogisticRegression(C=1e-8)).fit(
        new.drop(columns="hired"), np.r_[[1], np.zeros(len(new) - 1, dtype=int)])
    with open(tmp_path / "constant.pkl", "wb") as file:
        pickle.dump(constant, file)
    result = run("check", tmp_path / "constant.pkl", tmp_path / "small.csv", *COLUMNS[:4],
                 "--budget", "0.5", "--notion", "demographic_parity", "--out",
                 tmp_path / "out", "--n-boot", "100")
    assert result.code in (EXIT_OK, EXIT_UNSURE), result.err
    assert "small groups, whose rates are uncertain: other (12 rows)" in result.err
    assert "warning: the model predicts" in result.err
    assert json.loads((tmp_path / "out" / "check.json").read_text())["small_groups"] == [
        "other"]
    assert folder.exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"model": "missing.pkl"}, "MODEL .*missing.pkl: no such file"),
    ({"model": "new.csv"}, "is not a saved model"),
    ({"data": "missing.csv"}, "missing.csv: no such file"),
    ({"target": "salary"}, "--target 'salary' is not a column"),
    ({"sensitive": "race"}, "--sensitive 'race' is not a column"),
    ({"budget": "0"}, "--budget: .*must be a gap in \\(0, 1\\]"),
    ({"budget": "1.5"}, "--budget: .*must be a gap in \\(0, 1\\]"),
    ({"budget": "nan"}, "--budget: .*must be a finite non-negative number"),
    ({"notion": "fairness"}, "--notion: invalid choice"),
])
def test_bad_input_exits_2_naming_the_option(run, files, change, message):
    folder = files[0]
    options = {"model": "model.pkl", "data": "new.csv", "target": "hired",
               "sensitive": "sex", "budget": "0.05", **change}
    args = [folder / options["model"], folder / options["data"], "--target",
            options["target"], "--sensitive", options["sensitive"], "--budget",
            options["budget"], "--out", folder / "bad"]
    if "notion" in options:
        args += ["--notion", options["notion"]]
    result = run("check", *args)
    assert result.code == EXIT_USAGE
    assert pd.Series([result.err]).str.contains(message).all(), result.err
    assert "Traceback" not in result.err


def test_a_model_without_a_notion_needs_notion(run, files, tmp_path):
    _, _, new = files
    model = _pipeline(LogisticRegression()).fit(new.drop(columns="hired"),
                                                (new["hired"] == "yes").astype(int))
    with open(tmp_path / "lr.pkl", "wb") as file:
        pickle.dump(model, file)
    result = run("check", tmp_path / "lr.pkl", files[0] / "new.csv", *COLUMNS,
                 "--budget", "0.5", "--out", tmp_path / "out")
    assert result.code == EXIT_USAGE and "--notion: the model was not trained" in result.err


def test_data_without_the_model_columns_exits_2(run, files, tmp_path):
    _, _, new = files
    new.drop(columns=["job"]).to_csv(tmp_path / "nojob.csv", index=False)
    result = run("check", files[0] / "model.pkl", tmp_path / "nojob.csv", *COLUMNS,
                 "--budget", "0.5", "--out", tmp_path / "out")
    assert result.code == EXIT_USAGE and "lacks 1 column(s) the model reads: job" in result.err


def test_check_keeps_files_already_in_out(run, files, tmp_path):
    (tmp_path / "check.json").write_text("mine")
    result = run("check", files[0] / "model.pkl", files[0] / "new.csv", *COLUMNS,
                 "--budget", "0.5", "--out", tmp_path)
    assert result.code == EXIT_USAGE and "--overwrite" in result.err
    assert (tmp_path / "check.json").read_text() == "mine"


def test_help_documents_every_exit_code():
    parser = build_parser()
    text = parser._subparsers._group_actions[0].choices["check"].format_help()
    flat = " ".join(text.split())
    for phrase in ("0 within the budget", "1 over the budget", "3 cannot tell",
                   "2 bad usage", "loading a pickle runs code"):
        assert phrase in flat
    assert "3 check could not tell" in " ".join(parser.format_help().split())
