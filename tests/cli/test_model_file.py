"""The model ``tune`` saves: it predicts the file's own labels, and its safe form
(``model.json`` beside ``model.safetensors``) loads without running anything from
the files and predicts exactly what the pickle predicts."""

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from safetensors.torch import load_file, save_file

from skfairtune.cli import EXIT_USAGE

from .conftest import make_frame

COLUMNS = ["--target", "hired", "--sensitive", "sex"]


def _unpickle(path):
    with open(path, "rb") as file:
        return pickle.load(file)


def _rows(csv_file) -> pd.DataFrame:
    """The file's rows (missing numbers and categories among them), and one of a
    category never seen in training."""
    rows = pd.read_csv(csv_file)
    unseen = rows.iloc[:1].assign(job="pilot")
    return pd.concat([rows, unseen], ignore_index=True)


def test_the_safe_form_predicts_exactly_what_the_pickle_predicts(tuned, csv_file):
    from skfairtune.cli._model_file import read_model

    folder = tuned[3]
    pickled = _unpickle(folder / "model.pkl")
    rows = _rows(csv_file)
    for path in (folder, folder / "model.json", folder / "model.safetensors"):
        model = read_model(path)
        np.testing.assert_array_equal(model.predict_proba(rows), pickled.predict_proba(rows))
        np.testing.assert_array_equal(model.predict(rows), pickled.predict(rows))
    assert model.classes_.tolist() == pickled.classes_.tolist() == ["no", "yes"]
    assert model.pipeline.class_names_ == pickled.pipeline.class_names_ == {0: "no", 1: "yes"}
    assert model.pipeline[-1].sensitive_groups_ == ["female", "male"]
    assert model.pipeline[-1].penalty == "demographic_parity"
    assert list(model.feature_names_in_) == ["skill", "hours", "job"]


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_the_safe_form_holds_what_the_hiring_file_does_not(tmp_path):
    """Two hidden layers and another activation, a number column with no value at
    training, two sensitive columns, and numeric labels whose positive one is the
    first in order: the rebuilt model still predicts exactly what the pickle does."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from skfairtune import FairTuneClassifier
    from skfairtune.cli._files import OutputFolder
    from skfairtune.cli._model_file import read_model, write_model
    from skfairtune.cli._tune import _encoder

    frame = make_frame(200, seed=3).assign(empty=np.nan, age=lambda f: np.where(
        f["skill"] > 0, "old", "young"))
    y = np.where(frame.pop("hired") == "yes", 1, 2)
    features = frame.drop(columns=["sex", "age"])
    pipeline = Pipeline([("encode", FrozenEstimator(_encoder(features))), ("model",
                        FairTuneClassifier(hidden_layer_sizes=(8, 4), activation="tanh",
                                           max_epochs=30, random_state=0))])
    pipeline.fit(frame, (y == 1).astype(int), model__sensitive_features=frame[["sex", "age"]])
    pipeline.class_names_ = {0: "2", 1: "1"}
    with OutputFolder(tmp_path, [], overwrite=False) as out:
        write_model(out, pipeline, {0: 2, 1: 1})
        out.commit()
    pickled, rebuilt = _unpickle(tmp_path / "model.pkl"), read_model(tmp_path)
    assert json.loads((tmp_path / "model.json").read_text())["numeric"][-1] == {
        "column": "empty", "median": None}
    np.testing.assert_array_equal(rebuilt.predict_proba(frame), pickled.predict_proba(frame))
    # The file's labels, sorted as classes_ are; the positive one is 1, the first.
    assert rebuilt.classes_.tolist() == [1, 2] and rebuilt.pos_label_ == 1
    proba = rebuilt.predict_proba(frame)
    np.testing.assert_array_equal(proba[:, 0], pipeline.predict_proba(frame)[:, 1])
    np.testing.assert_array_equal(rebuilt.predict(frame), rebuilt.classes_[proba.argmax(1)])
    assert rebuilt.pipeline[-1].sensitive_groups_ == pipeline[-1].sensitive_groups_


def test_a_model_json_cannot_describe_is_left_out_with_a_warning(tmp_path, capsys):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from skfairtune import FairTuneClassifier
    from skfairtune.cli._files import OutputFolder
    from skfairtune.cli._model_file import write_model
    from skfairtune.cli._tune import _encoder

    frame = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-02-01"] * 5),
                          "x": np.arange(10.0), "sex": ["f", "m"] * 5})
    pipeline = Pipeline([("encode", FrozenEstimator(_encoder(frame[["day", "x"]]))),
                         ("model", FairTuneClassifier(max_epochs=0))])
    pipeline.fit(frame, np.arange(10) % 2, model__sensitive_features=frame["sex"])
    with OutputFolder(tmp_path, [], overwrite=False) as out:
        write_model(out, pipeline, None)
        assert out.commit() == ["model.pkl", "model.safetensors"]
    assert ("warning: model.json was not written: a category of 'day' is datetime.datetime("
            "2024, 1, 1, 0, 0) (datetime), which JSON cannot hold as data; check reads "
            "model.pkl instead") in capsys.readouterr().err


def test_the_labels_of_a_file_with_several_negative_labels():
    from skfairtune.cli._commands import file_labels

    original = pd.Series(["approve", "deny", "review", "approve"])
    assert file_labels(original, (original == "approve").astype(int)) == {
        1: "approve", 0: "not approve"}
    numbers = pd.Series(np.array([1, 2, 2]))
    labels = file_labels(numbers, (numbers == 2).astype(int))
    assert labels == {1: 2, 0: 1} and type(labels[1]) is int


def test_check_reads_the_safe_form_and_never_the_pickle_beside_it(tuned, csv_file, run,
                                                                  tmp_path):
    """A model.pkl that runs code as it loads sits in the folder: checking the
    folder reads model.json and model.safetensors, and the pickle never runs."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("model.json", "model.safetensors"):
        shutil.copy(tuned[3] / name, folder / name)
    marker = tmp_path / "the pickle ran"
    with open(folder / "model.pkl", "wb") as file:
        pickle.dump(_RunsOnLoad(marker), file)
    args = [csv_file, *COLUMNS, "--budget", "0.5", "--n-boot", "200", "--overwrite"]
    safe = run("check", folder, *args, "--out", tmp_path / "safe")
    assert safe.code == 0, safe.err
    assert not marker.exists()
    pickled = run("check", tuned[3] / "model.pkl", *args, "--out", tmp_path / "pickled")
    assert pickled.code == 0, pickled.err
    gaps = [json.loads((tmp_path / name / "check.json").read_text())["gaps"]
            for name in ("safe", "pickled")]
    assert gaps[0] == gaps[1]


class _RunsOnLoad:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "ran"))


def test_a_model_pkl_written_before_the_labels_were_kept_is_still_checked(
        tuned, csv_file, run, tmp_path):
    # What tune wrote before: the 0/1 pipeline itself, with the names of its classes.
    with open(tmp_path / "model.pkl", "wb") as file:
        pickle.dump(_unpickle(tuned[3] / "model.pkl").pipeline, file)
    result = run("check", tmp_path / "model.pkl", csv_file, *COLUMNS, "--budget", "0.5",
                 "--n-boot", "100", "--out", tmp_path / "out")
    assert result.code == 0, result.err


def _set(path: str, value):
    """A change to the description: ``value`` at ``path`` (keys and indices by dots)."""
    def change(data):
        *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        for key in parents:
            data = data[key]
        data[last] = value
    return change


def _drop(path: str):
    def change(data):
        *parents, last = path.split(".")
        for key in parents:
            data = data[int(key) if key.isdigit() else key]
        del data[int(last) if last.isdigit() else last]
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_set("code", "__import__('os')"), "the description has unknown field\\(s\\) 'code'"),
    (_set("format", "pickle"),
     "the description is not a skfairtune-model description of version 1"),
    (_set("network.activation", "os.system"), "network.activation must be one of relu"),
    (_set("penalty", "builtins.eval"), "penalty must be null or one of"),
    (_set("network.hidden_layer_sizes", [32]),
     "network does not fit model.safetensors: for 'hidden.0.weight' the description "
     "gives \\(32, 6\\) and the weights \\(64, 6\\)"),
    (_set("network.hidden_layer_sizes", [10**12]), "network does not fit"),
    (_set("categorical.0.categories", ["clerk", 3]), "must be distinct values, all text"),
    (_set("categorical.0.categories", {"a": 1}), "categorical\\[0\\].categories must be a "
     "non-empty list"),
    (_set("numeric.0.median", float("nan")),
     "is not a JSON description of a model: NaN is not a number JSON allows"),
    (_set("numeric.0.scale", 0), "numeric\\[0\\].scale must be a finite number above 0"),
    (_drop("numeric.0.median"), "numeric\\[0\\].median is missing"),
    (_drop("numeric.1"), "must describe each of the columns exactly once"),
    (_set("labels.negative", "yes"), "labels must be an object of two different labels"),
    (_set("groups", []), "groups must be a non-empty list"),
    (_set("columns", "skill"), "columns must be a non-empty list"),
    (_set("sensitive", ["sex", "race"]),
     "sensitive names 2 column\\(s\\) but each group has 1 value\\(s\\)"),
    (_set("sensitive", "sex"), "sensitive must be a list of distinct column names"),
    (_set("class_weight", {"0": 2}), "class_weight must be null or 'balanced'"),
])
def test_a_malformed_description_is_refused_naming_the_field(tuned, csv_file, run, tmp_path,
                                                             change, message):
    data = json.loads((tuned[3] / "model.json").read_text())
    change(data)
    (tmp_path / "model.json").write_text(json.dumps(data))
    shutil.copy(tuned[3] / "model.safetensors", tmp_path)
    result = run("check", tmp_path / "model.json", csv_file, *COLUMNS, "--budget", "0.5",
                 "--out", tmp_path / "out")
    assert result.code == EXIT_USAGE
    assert pd.Series([result.err]).str.contains(f"MODEL \\S*model.json.* {message}").all(), \
        result.err
    assert "Traceback" not in result.err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("damage", "message"), [
    (lambda folder: (folder / "model.json").write_text("{"), "is not a JSON description"),
    (lambda folder: (folder / "model.safetensors").unlink(), "model.safetensors is missing"),
    (lambda folder: (folder / "model.safetensors").write_bytes(b"not tensors"),
     "not a readable .safetensors file"),
    (lambda folder: save_file({k: v * np.nan for k, v in load_file(
        folder / "model.safetensors").items()}, folder / "model.safetensors"),
     "NaN or infinite values"),
])
def test_unreadable_files_are_refused(tuned, csv_file, run, tmp_path, damage, message):
    folder = tmp_path / "model"
    shutil.copytree(tuned[3], folder)
    damage(folder)
    result = run("check", folder, csv_file, *COLUMNS, "--budget", "0.5",
                 "--out", tmp_path / "out")
    assert result.code == EXIT_USAGE
    assert message in result.err and "Traceback" not in result.err, result.err


def test_check_help_points_at_the_safe_form():
    from skfairtune.cli import build_parser

    text = build_parser()._subparsers._group_actions[0].choices["check"].format_help()
    flat = " ".join(text.split())
    assert "MODEL is the --out folder that 'skfairtune tune' or 'demo' wrote" in flat
    assert "nothing in the files runs, so use this form for a model you did not write" in flat
    assert "loading a pickle runs code" in flat


def test_a_description_written_before_the_columns_were_kept_is_still_read(tuned, tmp_path):
    from skfairtune.cli._model_file import read_model

    data = json.loads((tuned[3] / "model.json").read_text())
    del data["sensitive"], data["class_weight"]
    (tmp_path / "model.json").write_text(json.dumps(data))
    shutil.copy(tuned[3] / "model.safetensors", tmp_path)
    step = read_model(tmp_path).pipeline[-1]
    assert step.groups_encoder_.names_ == ["sensitive_feature_0"]
    assert step.class_weight is None
