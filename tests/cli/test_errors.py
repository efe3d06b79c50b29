"""Bad input gets one clear line on standard error and a non-zero exit code.

2 means bad usage or input, 1 a run that failed; never a traceback.
"""

import importlib.util
import re
import sys

import numpy as np
import pytest

from skfairtune._mlp import MLP
from skfairtune.pretrained import save_weights

from .conftest import QUICK, make_frame

TUNE = ["--target", "hired", "--sensitive", "sex", "--pos-label", "yes", "--no-progress"]


def assert_usage_error(result, *fragments):
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skfairtune: error: "), result.err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def files(tmp_path):
    """A dictionary of bad inputs, by name."""
    frame = make_frame(60)
    paths = {"directory": tmp_path}
    paths["binary"] = tmp_path / "image.csv"
    paths["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    paths["empty"] = tmp_path / "empty.csv"
    paths["empty"].write_text("")
    paths["one_column"] = tmp_path / "words.csv"
    paths["one_column"].write_text("just\nsome\nwords\n")
    for name, change in {
        "one_class": lambda f: f.assign(hired="yes"),
        "three_classes": lambda f: f.assign(hired=np.resize(["a", "b", "c"], len(f))),
        "missing_group": lambda f: f.assign(sex=f["sex"].where(f.index > 0)),
        "missing_target": lambda f: f.assign(hired=f["hired"].where(f.index > 0)),
    }.items():
        paths[name] = tmp_path / f"{name}.csv"
        change(frame).to_csv(paths[name], index=False)
    paths["good"] = tmp_path / "good.csv"
    frame.to_csv(paths["good"], index=False)
    paths["narrow"] = save_weights(MLP(3, 2), tmp_path / "narrow.safetensors")
    paths["corrupt"] = tmp_path / "corrupt.safetensors"
    paths["corrupt"].write_text("not weights")
    return paths


@pytest.mark.parametrize("name, fragments", [
    ("missing", ["no such file"]),
    ("directory", ["not a file"]),
    ("binary", ["is not a table that can be read"]),
    ("empty", ["is not a table that can be read"]),
    ("one_column", ["not a table of rows and at least two columns"]),
])
@pytest.mark.parametrize("command", ["tune", "audit"])
def test_files_that_are_not_tables(run, files, tmp_path, command, name, fragments):
    path = files.get(name, tmp_path / "missing.csv")
    assert_usage_error(run(command, path, *TUNE[:4], "--out", tmp_path / "o"), *fragments)


@pytest.mark.parametrize("command", ["tune", "audit"])
@pytest.mark.parametrize("option, value", [("--target", "salary"), ("--sensitive", "gender")])
def test_columns_not_in_the_file_are_listed(run, files, tmp_path, command, option, value):
    args = {"--target": "hired", "--sensitive": "sex", option: value}
    result = run(command, files["good"], "--target", args["--target"], "--sensitive",
                 args["--sensitive"], "--out", tmp_path / "o")
    assert_usage_error(result, f"{option} '{value}' is not a column of",
                       "its columns are: skill, hours, job, sex, hired")


@pytest.mark.parametrize("name, extra, fragments", [
    ("one_class", [], ["the target 'hired' has one class only ('yes')"]),
    ("three_classes", ["--pos-label", "none"], ["--pos-label 'none' is not a label",
                                                "a, b, c"]),
    ("missing_group", [], ["the sensitive column 'sex' has 1 missing value"]),
    ("missing_target", [], ["the target 'hired' has 1 missing value"]),
    ("good", ["--sensitive", "hired"], ["cannot be both the target and a sensitive column"]),
])
def test_bad_targets_and_groups(run, files, tmp_path, name, extra, fragments):
    result = run("tune", files[name], *TUNE[:4], "--no-progress", *extra,
                 "--out", tmp_path / "o")
    assert_usage_error(result, *fragments)


def test_a_target_with_many_classes_needs_a_positive_label(run, files, tmp_path):
    result = run("tune", files["three_classes"], *TUNE[:4], "--out", tmp_path / "o")
    assert_usage_error(result, "has 3 classes", "--pos-label")


@pytest.mark.parametrize("name, fragments", [
    ("narrow", ["does not fit the data: its network takes 3 inputs",
                "the encoded data has 6 columns"]),
    ("corrupt", ["--pretrained:", "corrupt.safetensors"]),
    ("absent", ["--pretrained:", "no such file"]),
])
def test_pretrained_weights_that_do_not_fit(run, files, tmp_path, name, fragments):
    path = files.get(name, tmp_path / "absent.safetensors")
    result = run("tune", files["good"], *TUNE, "--pretrained", path, "--out", tmp_path / "o",
                 *QUICK)
    assert_usage_error(result, *fragments)


@pytest.mark.parametrize("command", ["demo", "tune", "audit"])
def test_an_output_folder_that_cannot_be_written(run, files, command):
    blocked = files["good"] / "out"  # below a file: cannot be created
    args = [] if command == "demo" else [files["good"], *TUNE[:4]]
    assert_usage_error(run(command, *args, "--out", blocked), "cannot write to --out")


def test_a_scheduler_that_cannot_be_reached(run, files, tmp_path):
    pytest.importorskip("distributed")
    result = run("tune", files["good"], *TUNE, "--out", tmp_path, "--scheduler",
                 "tcp://127.0.0.1:1", "--scheduler-timeout", "0.5")
    assert_usage_error(result, "cannot reach the dask scheduler at tcp://127.0.0.1:1")


def test_a_scheduler_without_dask_installed(run, files, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    result = run("tune", files["good"], *TUNE, "--out", tmp_path, "--scheduler",
                 "tcp://127.0.0.1:8786")
    assert_usage_error(result, "--scheduler needs dask.distributed", "skfairtune[dask]")


def test_parquet_without_an_engine(run, tmp_path):
    if any(importlib.util.find_spec(engine) for engine in ("pyarrow", "fastparquet")):
        pytest.skip("a Parquet engine is installed: test_parquet_files_are_read reads one")
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1")
    assert_usage_error(run("audit", path, *TUNE[:4], "--out", tmp_path),
                       "reading Parquet needs pyarrow")


@pytest.mark.parametrize("args", [
    ["demo", "--strengths", "1,x"],
    ["demo", "--strengths", "-1"],
    ["demo", "--budget", "-0.1"],
    ["demo", "--penalty", "no_such_penalty"],
    ["demo", "--folds", "0"],
    ["tune", "data.csv"],  # no --target, no --sensitive
    ["nothing"],
    [],
])
def test_bad_usage_exits_with_2(run, args):
    result = run(*args)
    assert result.code == 2 and "Traceback" not in result.err
    assert "usage: skfairtune" in result.err


@pytest.mark.parametrize("option, value", [
    ("--strengths", "nan"),
    ("--strengths", "0,inf"),
    ("--strengths", "0,-inf"),
    ("--lr", "inf"),
    ("--lr", "nan"),
    ("--budget", "inf"),
    ("--budget", "nan"),
    ("--scheduler-timeout", "inf"),
    ("--n-jobs", "0"),
    ("--seed", "-1"),
    ("--seed", str(2**32)),
])
@pytest.mark.parametrize("command", ["demo", "tune"])
def test_values_no_run_can_use_are_bad_usage(run, files, tmp_path, command, option, value):
    args = [] if command == "demo" else [files["good"], *TUNE]
    result = run(command, *args, option, value, "--out", tmp_path / "o")
    assert result.code == 2 and "Traceback" not in result.err
    assert f"error: argument {option}: " in result.err
    assert not (tmp_path / "o").exists()  # stopped before anything started


def test_more_folds_than_the_smallest_cell_has_rows(run, files, tmp_path):
    result = run("tune", files["good"], *TUNE, "--folds", "1000", "--out", tmp_path)
    assert_usage_error(result, "--folds 1000 is more than the", "training rows of group",
                       "use --folds")
    # The cell is named by the file's label, not the 0/1 code tune trains on.
    assert re.search(r"with label '(yes|no)'", result.err), result.err
    allowed = int(result.err.split("use --folds ")[1].split()[0])
    assert run("tune", files["good"], *TUNE, "--folds", str(allowed + 1),
               "--out", tmp_path).code == 2


def test_numeric_groups_and_labels_are_shown_as_written(run, tmp_path):
    frame = make_frame(60).assign(sex=lambda f: (f["sex"] == "male").astype(int),
                                  hired=lambda f: (f["hired"] == "yes").astype(int))
    path = tmp_path / "numeric.csv"
    frame.to_csv(path, index=False)
    result = run("tune", path, "--target", "hired", "--sensitive", "sex", "--folds", "1000",
                 "--out", tmp_path / "o")
    assert_usage_error(result, "training rows of group '")
    assert "np." not in result.err
    audit = run("audit", path, "--target", "hired", "--sensitive", "sex", "--out", tmp_path)
    assert audit.code == 0 and "np." not in audit.out


def test_one_fold_is_bad_usage(run, tmp_path):
    assert_usage_error(run("demo", "--folds", "1", "--out", tmp_path),
                       "--folds must be at least 2")


def test_a_failed_run_exits_with_1_without_traceback(run, files, tmp_path, monkeypatch):
    def broken(job):
        raise RuntimeError("the network diverged")

    monkeypatch.setattr("skfairtune.cli._commands.tune", broken)
    result = run("tune", files["good"], *TUNE, "--out", tmp_path)
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.strip() == ("skfairtune: error: the run failed: RuntimeError: "
                                  "the network diverged")
    shown = run("--traceback", "tune", files["good"], *TUNE, "--out", tmp_path)
    assert shown.code == 1 and "Traceback (most recent call last)" in shown.err
