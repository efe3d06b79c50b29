"""``tune`` exits 4 when no strength met the budget, so that a CI job can tell."""

from skfairtune.cli import EXIT_NOT_MET, EXIT_OK, build_parser

from .conftest import QUICK


def test_tune_exits_4_when_no_strength_met_the_budget_and_saves_the_fairest(
        run, csv_file, tmp_path):
    # Strength 0 alone leaves the hiring data's gap (labels favour men) far above 0.001.
    result = run("tune", csv_file, "--target", "hired", "--sensitive", "sex", *QUICK,
                 "--strengths", "0", "--budget", "0.001", "--no-progress", "--out", tmp_path)
    assert result.code == EXIT_NOT_MET == 4, result.err
    assert "no strength met the budget" in result.out
    assert {"model.json", "model.safetensors", "model.pkl", "report.md"} <= {
        p.name for p in tmp_path.iterdir()}


def test_tune_exits_0_when_the_chosen_strength_met_the_budget(tuned):
    code, out, err, _ = tuned
    assert code == EXIT_OK, err
    assert "the most accurate with a cross-validated DP gap <= 0.05" in out


def test_help_documents_the_exit_code():
    parser = build_parser()
    assert "4 tune or demo went through but no strength met the budget" in " ".join(
        parser.format_help().split())
    commands = parser._subparsers._group_actions[0].choices
    for name in ("tune", "demo"):
        assert "4 no strength met the budget" in " ".join(commands[name].format_help().split())
