"""Each command on small files: what it prints and what it writes."""

import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from safetensors.torch import load_file

from .conftest import QUICK, make_frame


def test_console_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "skfairtune", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("demo", "tune", "audit"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout


# Heavy modules that neither importing skfairtune nor asking for help may load.
HEAVY = ["torch", "skorch", "sklearn", "pandas"]


@pytest.mark.parametrize("code, heavy", [
    ("import skfairtune, skfairtune.metrics", ["torch", "skorch"]),
    ("import skfairtune; skfairtune.__version__", HEAVY),
    *[(f"from skfairtune.cli import main; assert main({args!r}) == 0", HEAVY)
      for args in (["--help"], ["--version"], ["demo", "--help"], ["tune", "--help"],
                   ["audit", "--help"])],
])
def test_imports_and_help_do_not_load_torch(code, heavy):
    check = f"import sys; {code}; print(sorted(set({heavy!r}) & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_estimators_are_still_at_the_top_level():
    import skfairtune
    from skfairtune.estimators import FairTuneClassifier, FairTuneRegressor

    assert skfairtune.FairTuneClassifier is FairTuneClassifier
    assert skfairtune.FairTuneRegressor is FairTuneRegressor
    assert {"FairTuneClassifier", "FairTuneRegressor"} <= set(dir(skfairtune))
    assert skfairtune.metrics.demographic_parity_difference  # submodules on first use
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        skfairtune.nothing  # noqa: B018


def test_the_penalty_names_offered_are_the_registry():
    from skfairtune.cli._common import PENALTY_NAMES
    from skfairtune.penalties import PENALTIES

    assert list(PENALTY_NAMES) == sorted(PENALTIES)  # every penalty is a classifier's


@pytest.mark.parametrize("command, options", [
    ("demo", ["--strengths", "--budget", "--scheduler", "--out", "--sample", "--overwrite"]),
    ("tune", ["--target", "--sensitive", "--penalty", "--strengths", "--pretrained",
              "--budget", "--out", "--scheduler", "--overwrite"]),
    ("audit", ["--target", "--sensitive", "--out", "--overwrite"]),
])
def test_help_of_each_command(run, command, options):
    result = run(command, "--help")
    assert result.code == 0
    for option in options:
        assert option in result.out


def test_version(run):
    result = run("--version")
    assert result.code == 0 and result.out.startswith("skfairtune ")


def test_tune_prints_the_table_and_the_choice(tuned):
    code, out, err, _ = tuned
    assert code == 0, err
    assert "cross-validated (2 folds)" in out and "test split" in out
    rows = {line.split()[0]: line for line in out.splitlines()
            if re.match(r"^(base|0|2)( \*)?( !)?\s", line)}
    assert set(rows) == {"base", "0", "2"}
    assert sum("*" in line for line in rows.values()) == 1
    assert re.search(r"\* chosen: strength (0|2)", out)
    assert "Wrote to" in out


def test_tune_shows_a_progress_bar(tuned):
    err = tuned[2]
    assert "cross-validating" in err and "100%" in err and "fit/s" in err


def test_tune_writes_the_model_the_weights_and_the_report(tuned, csv_file):
    out = tuned[3]
    names = {p.name for p in out.iterdir()}
    assert names == {"base.safetensors", "model.safetensors", "model.json", "model.pkl",
                     "results.csv", "report.html", "report.md"}
    with open(out / "model.pkl", "rb") as file:
        model = pickle.load(file)
    raw = pd.read_csv(csv_file)
    # The file's own labels, not the 0/1 the network was trained on.
    assert model.classes_.tolist() == ["no", "yes"] and model.pos_label_ == "yes"
    pred = model.predict(raw.drop(columns="hired"))
    assert set(pred) == {"no", "yes"}
    assert model.score(raw.drop(columns="hired"), raw["hired"]) == (pred == raw["hired"]).mean()
    weights = load_file(out / "model.safetensors")
    for name, tensor in model.pipeline[-1].module_.state_dict().items():
        np.testing.assert_array_equal(weights[name].numpy(), tensor.numpy())
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 5
    assert "# skfairtune tune: hiring.csv" in (out / "report.md").read_text()


def test_results_csv_holds_the_table(tuned):
    table = pd.read_csv(tuned[3] / "results.csv", index_col=0)
    assert list(table.index.astype(str)) == ["majority class", "base", "0", "2"]
    assert list(table.columns) == ["cv_accuracy", "cv_dp_gap", "cv_eo_gap", "test_accuracy",
                                   "test_dp_gap", "test_eo_gap", "chosen", "degenerate"]
    assert table["chosen"].sum() == 1 and np.isnan(table.loc["base", "cv_accuracy"])
    assert table["test_accuracy"].between(0.5, 1).all()
    # Every model must beat the baseline of predicting the majority class for everyone.
    majority = table.loc["majority class"]
    assert majority[["test_dp_gap", "test_eo_gap", "cv_dp_gap"]].tolist() == [0, 0, 0]
    assert (table.drop(index="majority class")["test_accuracy"] > majority["test_accuracy"]).all()


def test_tune_from_pretrained_weights(tuned, csv_file, tmp_path, run):
    result = run("tune", csv_file, "--target", "hired", "--sensitive", "sex",
                 "--pos-label", "yes", "--pretrained", tuned[3] / "base.safetensors",
                 "--out", tmp_path, "--no-progress", *QUICK)
    assert result.code == 0, result.err
    assert "penalty from the --pretrained weights" in result.out
    assert not (tmp_path / "base.safetensors").exists()
    # Starting from the same weights, on the same split, gives the same table.
    before = pd.read_csv(tuned[3] / "results.csv", index_col=0)
    after = pd.read_csv(tmp_path / "results.csv", index_col=0)
    pd.testing.assert_frame_equal(before, after)


def test_tune_on_a_cluster_matches_the_local_run(tuned, csv_file, tmp_path, run):
    distributed = pytest.importorskip("distributed")

    class Keys(distributed.diagnostics.plugin.SchedulerPlugin):
        def __init__(self):
            self.seen = set()

        def transition(self, key, start, finish, *args, **kwargs):
            self.seen.add(str(key))

    keys = Keys()
    # Threads in this process: no worker start-up to wait for, nothing to time out
    # on a busy machine (and a generous --scheduler-timeout all the same). The
    # scheduler's HTTP server on any free port: without one it takes 8787, which
    # another cluster on the machine may hold.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        cluster.scheduler.add_plugin(keys)
        result = run("tune", csv_file, "--target", "hired", "--sensitive", "sex",
                     "--pos-label", "yes", "--out", tmp_path, "--no-progress",
                     "--scheduler", cluster.scheduler_address, "--scheduler-timeout", "120",
                     *QUICK)
    assert result.code == 0, result.err
    pd.testing.assert_frame_equal(pd.read_csv(tuned[3] / "results.csv", index_col=0),
                                  pd.read_csv(tmp_path / "results.csv", index_col=0))
    # Only the batches of fits ran as tasks: the joblib calls inside a fit (the
    # encoder's) stayed in its thread, and no fit's arguments were scattered on
    # their own, only X and y, once.
    batches = {key for key in keys.seen if re.fullmatch(r"skfairtune-fits-\w+", key)}
    assert batches, sorted(keys.seen)
    assert len(keys.seen - batches) == 2, sorted(keys.seen - batches)


@pytest.mark.slow
def test_tune_on_a_cluster_survives_a_worker_that_dies(tuned, csv_file, tmp_path, run):
    distributed = pytest.importorskip("distributed")
    marker = tmp_path / "killed"

    class KillOnFirstFit(distributed.diagnostics.plugin.WorkerPlugin):
        # The worker process that starts the first batch of fits dies (once: the
        # marker).
        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).startswith("skfairtune-fits-"):
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    return
                os._exit(1)

    # Worker processes, restarted by their nanny; joblib's own dask backend
    # loses the arguments it scattered to the dead worker, and the fits that
    # needed them are "cancelled for reason: already forgotten".
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            client.register_plugin(KillOnFirstFit())
        result = run("tune", csv_file, "--target", "hired", "--sensitive", "sex",
                     "--pos-label", "yes", "--out", tmp_path / "out", "--no-progress",
                     "--scheduler", cluster.scheduler_address, "--scheduler-timeout", "120",
                     *QUICK)
    assert marker.exists()  # a worker did die
    assert result.code == 0, result.err
    pd.testing.assert_frame_equal(pd.read_csv(tuned[3] / "results.csv", index_col=0),
                                  pd.read_csv(tmp_path / "out" / "results.csv", index_col=0))


def test_audit_prints_and_writes_html_and_markdown(csv_file, tmp_path, run):
    result = run("audit", csv_file, "--target", "hired", "--sensitive", "sex",
                 "--pos-label", "yes", "--out", tmp_path)
    assert result.code == 0, result.err
    assert "Data set audit: sex" in result.out
    proxies = result.out.split("Proxies of the sensitive attribute")[1]
    assert proxies.index("hours") < proxies.index("skill")  # the proxy ranks first
    assert "hours" in result.out.split("Missing values")[1]
    page = (tmp_path / "audit.html").read_text()
    assert page.count("<img") == 3
    assert (tmp_path / "audit.md").read_text().startswith("# Data set audit: sex")
    assert result.out.rstrip().endswith(f"Wrote to {tmp_path}/: audit.html, audit.md")


def test_demo_on_a_sample(tmp_path, run):
    result = run("demo", "--sample", "1500", "--strengths", "0,1", "--folds", "2",
                 "--epochs", "1", "--base-epochs", "1", "--no-progress", "--out", tmp_path)
    assert result.code == 0, result.err
    assert result.out.startswith("skfairtune demo: Adult, sex")
    assert "1,500 training rows, 16,281 test rows" in result.out
    assert {"base.safetensors", "model.pkl", "report.html", "report.md", "results.csv",
            "model.safetensors", "model.json"} == {p.name for p in tmp_path.iterdir()}


def test_parquet_files_are_read(tmp_path, run):
    pytest.importorskip("pyarrow")
    path = tmp_path / "hiring.parquet"
    make_frame().to_parquet(path)
    result = run("audit", path, "--target", "hired", "--sensitive", "sex",
                 "--out", tmp_path / "out")
    assert result.code == 0, result.err


def test_drop_leaves_columns_out_of_the_model_and_check_reads_them_as_groups(run, tmp_path):
    frame = make_frame(300).assign(applicant_id=np.arange(300),
                                   age_band=np.where(np.arange(300) % 3, "30+", "under 30"))
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = run("tune", tmp_path / "data.csv", "--target", "hired", "--sensitive", "sex",
                 "--pos-label", "yes", "--drop", "applicant_id, age_band", "--budget", "1",
                 "--out", tmp_path / "out", *QUICK)
    assert result.code == 0, result.err
    with open(tmp_path / "out" / "model.pkl", "rb") as file:
        model = pickle.load(file)
    assert {"applicant_id", "age_band"}.isdisjoint(model.feature_names_in_)
    # The dropped attribute is one to hold the model to on new rows.
    checked = run("check", tmp_path / "out", tmp_path / "data.csv", "--target", "hired",
                  "--sensitive", "age_band", "--budget", "1", "--out", tmp_path / "check")
    assert checked.code == 0, checked.err


@pytest.mark.parametrize("drop, message", [
    ("salary", "--drop 'salary' is not a column of"),
    ("hired", "--drop 'hired' is the target or a sensitive column"),
    ("sex", "--drop 'sex' is the target or a sensitive column"),
])
def test_drop_names_only_feature_columns(run, csv_file, tmp_path, drop, message):
    result = run("tune", csv_file, "--target", "hired", "--sensitive", "sex", "--drop", drop,
                 "--out", tmp_path / "out")
    assert result.code == 2 and message in result.err, result.err
    assert not (tmp_path / "out").exists()
