"""``--out``: a file already there is the user's; it is replaced only with ``--overwrite``,
and never through a link."""

import os
import pickle

import pytest

from skfairtune.cli._common import RunFailed, UsageError
from skfairtune.cli._files import OutputFolder

from .conftest import QUICK

TUNE = ["--target", "hired", "--sensitive", "sex", "--pos-label", "yes", "--no-progress"]


def assert_refused(result, *fragments):
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skfairtune: error: --out "), result.err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if the command gets as far as training."""
    def train(job):
        raise AssertionError("training started")

    monkeypatch.setattr("skfairtune.cli._commands.tune", train)


@pytest.mark.parametrize("command", ["demo", "tune"])
def test_files_of_an_earlier_run_stop_the_command_before_training(
        run, csv_file, tmp_path, no_training, command):
    (tmp_path / "report.md").write_text("my notes")
    (tmp_path / "model.pkl").write_text("my model")
    args = [] if command == "demo" else [csv_file, *TUNE]
    result = run(command, *args, "--out", tmp_path)
    assert_refused(result, "already holds model.pkl and report.md", "--overwrite")
    assert (tmp_path / "report.md").read_text() == "my notes"


@pytest.mark.parametrize("name", ["audit.html", "audit.md"])
def test_audit_does_not_replace_its_files(run, csv_file, tmp_path, name):
    (tmp_path / name).write_text("mine")
    result = run("audit", csv_file, *TUNE[:4], "--out", tmp_path)
    assert_refused(result, f"already holds {name}; pass --overwrite to replace it")
    assert (tmp_path / name).read_text() == "mine"
    assert run("audit", csv_file, *TUNE[:4], "--out", tmp_path, "--overwrite").code == 0
    assert "<img" in (tmp_path / "audit.html").read_text()
    assert (tmp_path / "audit.md").read_text().startswith("# Data set audit")


def test_a_link_is_refused_and_with_overwrite_replaced_not_followed(run, csv_file, tmp_path):
    outside = tmp_path / "elsewhere.html"
    outside.write_text("not to be touched")
    out = tmp_path / "out"
    out.mkdir()
    (out / "audit.html").symlink_to(outside)
    assert_refused(run("audit", csv_file, *TUNE[:4], "--out", out), "audit.html (a link)")
    assert run("audit", csv_file, *TUNE[:4], "--out", out, "--overwrite").code == 0
    assert outside.read_text() == "not to be touched"
    assert not (out / "audit.html").is_symlink()
    assert "<img" in (out / "audit.html").read_text()


def test_a_dangling_link_counts_as_a_file(run, csv_file, tmp_path):
    (tmp_path / "audit.html").symlink_to(tmp_path / "nowhere" / "audit.html")
    assert_refused(run("audit", csv_file, *TUNE[:4], "--out", tmp_path), "(a link)")


def test_a_folder_in_the_way_is_refused_even_with_overwrite(run, csv_file, tmp_path,
                                                            no_training):
    (tmp_path / "report.html").mkdir()
    result = run("tune", csv_file, *TUNE, "--out", tmp_path, "--overwrite")
    assert_refused(result, "holds a folder named report.html")


def test_tune_with_overwrite_replaces_an_earlier_run_and_no_link_is_followed(
        run, csv_file, tmp_path):
    outside = tmp_path / "notes.md"
    outside.write_text("my notes")
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.pkl").write_text("an old model")
    (out / "report.md").symlink_to(outside)
    (out / "mine.txt").write_text("kept")
    result = run("tune", csv_file, *TUNE, "--out", out, "--overwrite", *QUICK)
    assert result.code == 0, result.err
    assert outside.read_text() == "my notes"
    assert not (out / "report.md").is_symlink()
    assert "# skfairtune tune" in (out / "report.md").read_text()
    with open(out / "model.pkl", "rb") as file:
        assert hasattr(pickle.load(file), "predict")
    # Nothing else was touched, and no working folder is left behind.
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "base.safetensors", "mine.txt", "model.json", "model.pkl", "model.safetensors",
        "report.html", "report.md", "results.csv"])


def test_a_failed_run_leaves_the_folder_as_it_was(run, csv_file, tmp_path, monkeypatch):
    (tmp_path / "results.csv").write_text("an earlier table")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("skfairtune.cli._output._report", broken)
    result = run("tune", csv_file, *TUNE, "--out", tmp_path, "--overwrite", *QUICK)
    assert result.code == 1
    assert sorted(os.listdir(tmp_path)) == ["results.csv"]
    assert (tmp_path / "results.csv").read_text() == "an earlier table"


def test_a_file_that_appears_during_the_run_is_not_replaced(tmp_path):
    with OutputFolder(tmp_path, ["a.txt"], overwrite=False) as out:
        out.file("a.txt").write_text("results")
        (tmp_path / "a.txt").write_text("written meanwhile")
        with pytest.raises(RunFailed, match="already holds a.txt.*appeared while the run") \
                as caught:
            out.commit()
    assert (tmp_path / "a.txt").read_text() == "written meanwhile"
    kept = str(caught.value).rsplit("kept in ", 1)[1]
    assert open(os.path.join(kept, "a.txt")).read() == "results"


def test_the_names_checked_are_the_files_written(tmp_path):
    with pytest.raises(UsageError, match="already holds b.txt"):
        (tmp_path / "b.txt").write_text("")
        OutputFolder(tmp_path, ["a.txt", "b.txt"], overwrite=False)
    assert OutputFolder(tmp_path, ["a.txt"], overwrite=False).names == ["a.txt"]
