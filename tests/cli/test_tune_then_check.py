"""``tune``'s report sets the base beside the chosen model, and ``check`` reads the
``model.pkl`` that ``tune`` wrote."""

import json

import pandas as pd

from skfairtune.cli import EXIT_OK, EXIT_OVER, EXIT_UNSURE


def test_the_tune_report_stands_on_its_own(tuned):
    code, out, _, folder = tuned
    assert code == 0
    assert "A base model was trained here without a penalty, then fine-tuned" in out
    # The command line prints what the report opens with.
    assert "On the test split (90% intervals from a bootstrap of its rows):" in out
    assert "Compared with the base model, accuracy went from" in out
    assert "By group (rows: female " in out and "male / true positive rate" in out
    markdown = (folder / "report.md").read_text()
    for heading in ("## Summary", "## Before and after, by group", "## Model card"):
        assert heading in markdown
    assert "Compared with the base model, accuracy went from" in markdown
    assert "| base | base 90% interval | chosen | chosen 90% interval |" in markdown
    assert "| Training rows | 300 |" in markdown and "| Seed | 0 |" in markdown


def test_check_reads_the_model_that_tune_wrote(tuned, csv_file, run, tmp_path):
    folder = tuned[3]
    result = run("check", folder / "model.pkl", csv_file, "--target", "hired",
                 "--sensitive", "sex", "--pos-label", "yes", "--budget", "0.05",
                 "--n-boot", "200", "--out", tmp_path)
    assert result.code in (EXIT_OK, EXIT_OVER, EXIT_UNSURE), result.err
    summary = json.loads((tmp_path / "check.json").read_text())
    assert summary["exit_code"] == result.code
    assert summary["notion"] == "demographic_parity"  # tune's --penalty
    assert summary["rows"] == 400
    assert sorted(summary["groups"]) == ["female", "male"]


def test_check_reads_labels_by_the_positive_class_tune_recorded(tuned, csv_file, run,
                                                                tmp_path):
    import pickle

    from skfairtune.cli import EXIT_USAGE
    from skfairtune.cli._check import check_target

    folder = tuned[3]
    with open(folder / "model.pkl", "rb") as file:
        model = pickle.load(file).pipeline  # the 0/1 pipeline, which check reads
    assert model.class_names_ == {1: "yes", 0: "no"}
    result = run("check", folder / "model.pkl", csv_file, "--target", "hired",
                 "--sensitive", "sex", "--pos-label", "no", "--budget", "0.05",
                 "--out", tmp_path)
    assert result.code == EXIT_USAGE and "tuned with 'yes'" in result.err
    # A model tuned with the first label in order as positive reads new labels
    # the same way, with no --pos-label (the rule alone would take the last).
    model.class_names_ = {1: "approve", 0: "deny"}
    y, _ = check_target(model, pd.Series(["approve", "deny", "deny"]), None, "approved")
    assert y.tolist() == [1, 0, 0]


def _check_another_attribute(folder, model, csv_file, run, tmp_path):
    # job is not the attribute tune fine-tuned on (sex): its groups are not
    # "unseen", they are another attribute's.
    rows = pd.read_csv(csv_file).dropna(subset=["job"])
    data = tmp_path / "rows.csv"
    rows.to_csv(data, index=False)
    result = run("check", folder / model, data, "--target", "hired", "--sensitive", "job",
                 "--pos-label", "yes", "--notion", "demographic_parity", "--budget", "0.5",
                 "--n-boot", "50", "--out", tmp_path / "out")
    assert result.code in (EXIT_OK, EXIT_OVER, EXIT_UNSURE), result.err
    assert "not fine-tuned on" not in result.err
    assert "These groups (job) are not of the sensitive attribute the model was " \
           "fine-tuned on (sex)" in result.err
    summary = json.loads((tmp_path / "out" / "check.json").read_text())
    assert summary["unseen_groups"] == [] and summary["fine_tuned_on"] == ["sex"]
    markdown = (tmp_path / "out" / "check.md").read_text()
    assert "never acted on" not in markdown and "fine-tuned on (sex)" in markdown


def test_check_on_another_attribute_lists_no_unseen_group(tuned, csv_file, run, tmp_path):
    _check_another_attribute(tuned[3], "model.pkl", csv_file, run, tmp_path)


def test_the_safe_model_file_keeps_the_attribute_it_was_tuned_on(tuned, csv_file, run,
                                                                  tmp_path):
    assert json.loads((tuned[3] / "model.json").read_text())["sensitive"] == ["sex"]
    _check_another_attribute(tuned[3], "model.json", csv_file, run, tmp_path)
