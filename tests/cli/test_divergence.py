"""A run that diverges never writes a model, and never marks a failed strength chosen.

Whether the estimator raises on a diverged training or returns a network that
predicts NaN, the command line checks for itself: these tests hold either way.
"""

import numpy as np
import pandas as pd

from .conftest import QUICK

TUNE = ["--target", "hired", "--sensitive", "sex", "--pos-label", "yes", "--no-progress"]


def assert_failed_run(result, out, *fragments):
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skfairtune: error: "), result.err
    for fragment in fragments:
        assert fragment in lines[0]
    assert list(out.iterdir()) == []  # no model, no report, no working folder


def test_a_base_model_that_diverges_stops_the_run(run, csv_file, tmp_path):
    result = run("tune", csv_file, *TUNE, *QUICK, "--lr", "1e30", "--out", tmp_path)
    assert_failed_run(result, tmp_path, "training the base model failed",
                      "lower --lr (now 1e+30)")


def test_when_every_strength_diverges_no_model_is_written(run, tuned, csv_file, tmp_path):
    result = run("tune", csv_file, *TUNE, *QUICK, "--lr", "1e30", "--out", tmp_path,
                 "--pretrained", tuned[3] / "base.safetensors")
    assert_failed_run(result, tmp_path, "every penalty strength failed to train",
                      "The first error: ", "lower --lr (now 1e+30)")


def test_a_strength_that_diverges_is_left_out_of_the_choice(run, tuned, csv_file, tmp_path):
    # A weight of 1e39 overflows float32: the penalty term is inf or NaN.
    quick = QUICK[2:]  # without --strengths
    # A budget that strength 0 meets, so that the run exits 0 (not 4).
    result = run("tune", csv_file, *TUNE, *quick, "--strengths", "0,1e39", "--budget", "1",
                 "--out", tmp_path, "--pretrained", tuned[3] / "base.safetensors")
    assert result.code == 0, result.err
    assert "! strength 1e+39 failed to train and was left out: " in result.out
    assert "* chosen: strength 0," in result.out
    table = pd.read_csv(tmp_path / "results.csv", index_col=0)
    assert table["chosen"].tolist() == [False, False, True, False]  # majority, base, 0, 1e39
    assert table.loc["1e+39"].drop("chosen").isna().all()
    report = (tmp_path / "report.md").read_text()
    assert "strength 1e+39 failed to train" in report


def test_weights_that_are_not_finite_are_bad_input(run, tuned, csv_file, tmp_path):
    from safetensors.torch import load_file, save_file

    weights = load_file(tuned[3] / "base.safetensors")
    weights["output.bias"][0] = np.nan
    save_file(weights, tmp_path / "nan.safetensors")
    result = run("tune", csv_file, *TUNE, *QUICK, "--out", tmp_path / "out",
                 "--pretrained", tmp_path / "nan.safetensors")
    assert result.code == 2, result.err
    assert "holds NaN or infinite values in 'output.bias'" in result.err
