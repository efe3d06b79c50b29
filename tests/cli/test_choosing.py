"""How tune chooses: the metric, degenerate strengths, the baseline, confidence, group loss."""

import json

import numpy as np
import pandas as pd
import pytest

from .conftest import make_frame

QUICK = ["--folds", "2", "--epochs", "3", "--base-epochs", "10", "--batch-size", "32",
         "--no-progress", "--target", "hired", "--sensitive", "sex", "--pos-label", "yes"]


@pytest.fixture(scope="module")
def imbalanced(tmp_path_factory):
    """600 rows, about 11% hired: always saying "no" is 89% accurate."""
    frame = make_frame(600, seed=2)
    rng = np.random.default_rng(1)
    hired = frame["skill"] + 0.5 * (frame["sex"] == "male") + 0.3 * rng.normal(size=600) > 1.6
    path = tmp_path_factory.mktemp("imbalanced") / "imbalanced.csv"
    frame.assign(hired=np.where(hired, "yes", "no")).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def balanced_accuracy_run(imbalanced, tmp_path_factory):
    from skfairtune.cli import main

    out = tmp_path_factory.mktemp("bal")
    code = main(["tune", str(imbalanced), *QUICK, "--strengths", "0,2,50", "--metric",
                 "balanced_accuracy", "--out", str(out), "--overwrite"])
    return code, out


def test_a_constant_strength_is_flagged_and_passed_over(balanced_accuracy_run):
    code, out = balanced_accuracy_run
    assert code == 0
    table = pd.read_csv(out / "results.csv", index_col=0)
    # A penalty of 50 makes the network say "no" to everyone: every gap 0.
    assert table.loc["50", ["test_dp_gap", "test_eo_gap"]].tolist() == [0, 0]
    assert table.loc["50", "degenerate"] == (
        "was passed over: it was degenerate on some cross-validation fold")
    assert not table.loc["50", "chosen"]
    chosen = table.index[table["chosen"]][0]
    assert pd.isna(table.loc[chosen, "degenerate"])
    report = (out / "report.md").read_text()
    assert "strength 50 was passed over" in report


def test_balanced_accuracy_chooses_a_model_that_separates_the_classes(balanced_accuracy_run):
    _, out = balanced_accuracy_run
    table = pd.read_csv(out / "results.csv", index_col=0)
    assert table.loc["majority class", ["cv_bal_acc", "test_bal_acc"]].tolist() == [0.5, 0.5]
    chosen = table.loc[table["chosen"]].iloc[0]
    assert chosen["cv_bal_acc"] == table.drop(index="majority class")["cv_bal_acc"].max()
    assert chosen["test_bal_acc"] > 0.6 and chosen["test_accuracy"] > table.loc[
        "majority class", "test_accuracy"]


def test_the_table_marks_degenerate_rows_and_says_why(run, imbalanced, tmp_path):
    result = run("tune", imbalanced, *QUICK, "--strengths", "0,50", "--out", tmp_path)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert any(line.startswith("majority class ") for line in lines)
    assert any(line.startswith("50 !") for line in lines)
    assert ("! strength 50 was passed over: it was degenerate on some cross-validation fold; "
            "its gaps say nothing about fairness") in result.out


def test_when_every_strength_is_degenerate_nothing_is_written(run, imbalanced, tmp_path):
    result = run("tune", imbalanced, *QUICK, "--strengths", "50,100", "--out", tmp_path)
    assert result.code == 1
    assert "every penalty strength gave a degenerate model on some fold" in result.err
    # The way out that changes the training, with the share that calls for it.
    assert ("The rarer class is 11% of the training rows: rerun with --class-weight "
            "balanced") in result.err
    assert "--metric balanced_accuracy" in result.err
    assert not any(tmp_path.iterdir())


def test_class_weight_balanced_finds_the_rare_class(run, imbalanced, tmp_path):
    runs = {}
    for weights in ([], ["--class-weight", "balanced"]):
        out = tmp_path / str(len(weights))
        result = run("tune", imbalanced, *QUICK, "--strengths", "0,2", "--metric",
                     "balanced_accuracy", *weights, "--out", out)
        assert result.code == 0, result.err
        runs[bool(weights)] = pd.read_csv(out / "results.csv", index_col=0)
    unweighted, weighted = runs[False], runs[True]
    for strength in ("0", "2"):
        assert (weighted.loc[strength, "test_bal_acc"]
                > unweighted.loc[strength, "test_bal_acc"] + 0.05)
    assert weighted.loc["base", "test_bal_acc"] > 0.75
    # One rule for a weighted model: judged by balanced accuracy in the choice
    # (results.csv's degenerate column), in tune's report and in check.
    chosen = weighted.index[weighted["chosen"]][0]
    assert pd.isna(weighted.loc[chosen, "degenerate"])
    assert weighted.loc[chosen, "test_accuracy"] < weighted.loc["majority class",
                                                                 "test_accuracy"]
    never_better = "no better than always predicting the majority class"
    assert never_better not in (tmp_path / "2" / "report.md").read_text()
    check = run("check", tmp_path / "2", imbalanced, "--target", "hired", "--sensitive",
                "sex", "--pos-label", "yes", "--budget", "0.5", "--n-boot", "50",
                "--out", tmp_path / "check")
    assert never_better not in check.err, check.err
    assert json.loads((tmp_path / "check" / "check.json").read_text())["degenerate"] is None


def test_confidence_judges_by_the_upper_bound(run, csv_file, tmp_path):
    # A budget every bound meets: exit 0 (4 would say that none met it).
    result = run("tune", csv_file, *QUICK, "--strengths", "0,2", "--confidence", "0.9",
                 "--budget", "1", "--out", tmp_path)
    assert result.code == 0, result.err
    table = pd.read_csv(tmp_path / "results.csv", index_col=0)
    bound, mean = table["cv_dp_90%_bound"], table["cv_dp_gap"]
    assert (bound.drop(index="base") >= mean.drop(index="base")).all()
    assert "a 90% upper bound on the cross-validated DP gap" in result.out
    # The bound stands beside the gap it bounds, in the file and on the screen.
    columns = list(table.columns)
    assert columns.index("cv_dp_90%_bound") == columns.index("cv_dp_gap") + 1
    header = next(line for line in result.out.splitlines() if "DP 90% bound" in line)
    assert header.index("DP gap") < header.index("DP 90% bound") < header.index("EO gap")


def test_group_loss_penalties_show_and_budget_their_own_figure(run, csv_file, tmp_path):
    result = run("tune", csv_file, *QUICK, "--strengths", "0,2", "--penalty",
                 "worst_group_loss", "--budget", "0.5", "--out", tmp_path)
    assert result.code == 0, result.err
    assert "with a cross-validated WG error <= 0.5" in result.out
    table = pd.read_csv(tmp_path / "results.csv", index_col=0)
    # The worst-off group's error rate, as the metric computes it.
    assert 0 < table.loc["0", "test_wg_error"] < table.loc["majority class", "test_wg_error"]


def test_negative_zero_is_zero():
    import math

    from skfairtune.cli._parser import build_parser

    args = build_parser().parse_args(["demo", "--strengths=-0,1"])
    assert args.strengths == [0.0, 1.0] and f"{args.strengths[0]:g}" == "0"
    assert math.copysign(1, args.strengths[0]) == 1


def test_when_only_degenerate_strengths_could_meet_the_budget_the_advice_says_so(
        run, imbalanced, tmp_path):
    from skfairtune.cli import EXIT_NOT_MET

    result = run("tune", imbalanced, *QUICK, "--strengths", "0,50", "--budget", "1e-9",
                 "--out", tmp_path)
    assert result.code == EXIT_NOT_MET, result.err
    assert "* chosen: strength 0, the fairest of the strengths that are not degenerate" in (
        result.out)
    assert "try larger --strengths" not in result.out
