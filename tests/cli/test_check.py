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
    ({"budget": "0"}, "--budget: budget must be a number in \\(0, 1\\]"),
    ({"budget": "1.5"}, "--budget: budget must be a number in \\(0, 1\\]"),
    ({"budget": "nan"}, "--budget: budget must be a number in \\(0, 1\\]"),
    ({"budget": "x"}, "--budget: not a number"),
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


ESCAPES = ["\x1b[31mRED\x1b[0m", "\x1b]0;TITLE\x07x", "\u202eevil"]


def _no_control(text):
    return not any(c in text for c in ("\x1b", "\x07", "\u202e"))


def test_group_values_reach_the_terminal_escaped(run, files, tmp_path):
    new = files[2].copy()
    for k, value in enumerate(ESCAPES):
        new.loc[new.index[k * 60:(k + 1) * 60], "sex"] = value
    new.loc[new.index[180:190], "job"] = "\x1b[2Jchef"
    new.to_csv(tmp_path / "escapes.csv", index=False)
    result = run("check", files[0] / "model.pkl", tmp_path / "escapes.csv", *COLUMNS,
                 "--budget", "0.5", "--n-boot", "100", "--out", tmp_path / "out")
    assert result.code in (EXIT_OK, EXIT_OVER, EXIT_UNSURE), result.err
    assert _no_control(result.out) and _no_control(result.err)
    # Each shown as its escapes: in the group sizes, and in the warnings of groups
    # and categories that training never saw.
    assert "\\x1b[31mRED\\x1b[0m 60, \\x1b]0;TITLE\\x07x 60" in result.out
    assert "\\u202eevil" in result.out
    assert "\\x1b[31mRED\\x1b[0m, \\x1b]0;TITLE\\x07x, \\u202eevil" in result.err
    assert "values of job never seen in training" in result.err and "\\x1b[2Jchef" in (
        result.err)
    # check.json keeps the values as they are (JSON escapes them itself).
    summary = json.loads((tmp_path / "out" / "check.json").read_text())
    assert summary["unseen_groups"] == sorted(ESCAPES)
    assert summary["unseen_categories"] == {"job": ["\x1b[2Jchef"]}


def test_column_names_and_labels_in_errors_reach_the_terminal_escaped(run, files, tmp_path):
    new = files[2].assign(**{"\x1b[31mnote": "x"})
    new["hired"] = new["hired"].replace({"no": "\u202eno"})
    new.to_csv(tmp_path / "names.csv", index=False)
    data = [files[0] / "model.pkl", tmp_path / "names.csv"]
    missing = run("check", *data, "--target", "salary", "--sensitive", "sex",
                  "--budget", "0.5", "--out", tmp_path / "out")
    assert missing.code == EXIT_USAGE and "\\x1b[31mnote" in missing.err
    label = run("check", *data, "--target", "hired", "--sensitive", "sex", "--pos-label",
                "maybe", "--budget", "0.5", "--out", tmp_path / "out")
    assert label.code == EXIT_USAGE and "its labels include: yes, \\u202eno" in label.err
    assert _no_control(missing.err + label.err) and not (tmp_path / "out").exists()


def test_one_group_exits_2_and_writes_nothing(run, files, tmp_path):
    new = files[2].assign(sex="\x1b[31mfemale")
    new.to_csv(tmp_path / "one.csv", index=False)
    new.iloc[:1].to_csv(tmp_path / "row.csv", index=False)
    for name in ("one.csv", "row.csv"):
        result = run("check", files[0] / "model.pkl", tmp_path / name, *COLUMNS,
                     "--budget", "0.5", "--out", tmp_path / "out")
        assert result.code == EXIT_USAGE, result.out
        assert (f"every row of {tmp_path / name} is in one group of --sensitive sex "
                "(\\x1b[31mfemale): a gap compares groups") in result.err
        assert _no_control(result.err) and not (tmp_path / "out").exists()


def test_the_sensitive_column_beside_a_model_of_features_alone_is_left_aside(
        run, files, tmp_path):
    """A model fitted on the feature columns alone, without the sensitive one:
    check reads the columns it knows and ignores the others."""
    train = make_frame(400, seed=0).dropna()
    model = FairTuneClassifier(penalty="demographic_parity", max_epochs=3, random_state=0)
    model.fit(train[["skill", "hours"]], (train["hired"] == "yes").astype(int),
              sensitive_features=train["sex"])
    with open(tmp_path / "features.pkl", "wb") as file:
        pickle.dump(model, file)
    result = run("check", tmp_path / "features.pkl", files[0] / "new.csv", *COLUMNS,
                 "--budget", "0.5", "--n-boot", "100", "--out", tmp_path / "out")
    assert result.code in (EXIT_OK, EXIT_OVER, EXIT_UNSURE), result.err
    new = files[2]
    dp = demographic_parity_difference((new["hired"] == "yes").astype(int),
                                       model.predict(new[["skill", "hours"]]),
                                       sensitive_features=new["sex"])
    assert json.loads((tmp_path / "out" / "check.json").read_text())["gap"]["value"] == (
        pytest.approx(dp))
    new.drop(columns="hours").to_csv(tmp_path / "nohours.csv", index=False)
    result = run("check", tmp_path / "features.pkl", tmp_path / "nohours.csv", *COLUMNS,
                 "--budget", "0.5", "--out", tmp_path / "out2")
    assert result.code == EXIT_USAGE and "lacks 1 column(s) the model reads: hours" in (
        result.err)


@pytest.fixture
def zero_one(files, tmp_path):
    """The fixture's model as ``tune`` saves a model trained on a 0/1 file, and new
    rows whose target holds a third label."""
    with open(files[0] / "model.pkl", "rb") as file:
        model = pickle.load(file)
    model.class_names_ = {1: "1", 0: "0"}
    with open(tmp_path / "tuned.pkl", "wb") as file:
        pickle.dump(model, file)
    new = files[2].assign(hired=(files[2]["hired"] == "yes").astype(int))
    new.loc[new.index[:5], "hired"] = 2
    new.to_csv(tmp_path / "three.csv", index=False)
    return tmp_path, model


def test_a_label_the_tuned_model_does_not_know_exits_2(run, zero_one):
    folder, _ = zero_one
    result = run("check", folder / "tuned.pkl", folder / "three.csv", "--target", "hired",
                 "--sensitive", "sex", "--budget", "0.5", "--out", folder / "out")
    assert result.code == EXIT_USAGE
    assert ("the target 'hired' has labels the model was not tuned on: 2 (it knows '1', "
            "the positive class, and '0')") in result.err
    assert not (folder / "out").exists()


def test_a_label_outside_the_classes_of_a_model_exits_2(run, files, zero_one):
    folder, _ = zero_one
    result = run("check", files[0] / "model.pkl", folder / "three.csv", "--target", "hired",
                 "--sensitive", "sex", "--budget", "0.5", "--out", folder / "out")
    assert result.code == EXIT_USAGE
    assert ("the target 'hired' has labels the model does not know: 2 (its classes: 0, 1)"
            in result.err)
    assert not (folder / "out").exists()


def test_labels_are_read_by_what_tune_recorded_even_when_they_are_the_classes(zero_one):
    """tune --pos-label 0 on a 0/1 file trains label 0 as class 1: check reads
    new 0/1 labels the same way, not as the classes they look like."""
    from skfairtune.cli._check import check_target

    _, model = zero_one
    model.class_names_ = {1: "0", 0: "1"}
    y, names = check_target(model, pd.Series([0, 1, 1]), None, "hired")
    assert y.tolist() == [1, 0, 0] and names == {1: "0", 0: "1"}


def test_the_check_report_speaks_of_new_rows(run, files):
    assert check(run, files, "--budget", "0.5").code == EXIT_OK
    markdown = (files[0] / "out" / "check.md").read_text()
    assert "held-out" not in markdown.lower()
    assert f"On {len(files[2]):,} new rows in 2 groups" in markdown
    assert "| New rows |" in markdown
    # The training curves are the fit's, not the new rows': tune's report shows them.
    assert "## Training" not in markdown


def test_the_budget_has_one_range_and_one_message(run, files, tmp_path):
    from skfairtune.report import model_report

    new = files[2]
    with pytest.raises(ValueError) as refused:
        model_report(files[1], new.drop(columns="hired"), (new["hired"] == "yes").astype(int),
                     sensitive_features=new["sex"], budget=0)
    message = str(refused.value)
    assert message == "budget must be a number in (0, 1], such as 0.05; got 0.0."
    for command in (["check", files[0] / "model.pkl", files[0] / "new.csv", *COLUMNS],
                    ["tune", files[0] / "new.csv", *COLUMNS], ["demo"]):
        result = run(*command, "--budget", "0", "--out", tmp_path / "out")
        assert result.code == EXIT_USAGE
        assert f"error: argument --budget: {message}" in result.err
