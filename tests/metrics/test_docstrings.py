"""The examples in the docstrings of metrics and model_selection run."""

import doctest
import importlib

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = [
    "skfairtune.metrics._auc",
    "skfairtune.metrics._base_metrics",
    "skfairtune.metrics._classification",
    "skfairtune.metrics._derived",
    "skfairtune.metrics._gaps",
    "skfairtune.metrics._plotting",
    "skfairtune.metrics._regression",
    "skfairtune.metrics._report",
    "skfairtune.metrics._scorers",
    "skfairtune.model_selection._split",
    "skfairtune.model_selection._refit",
    "skfairtune.model_selection._pareto",
    "skfairtune.notions",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


GUIDES = ["docs/guide/metrics.rst", "docs/guide/coming_from_fairlearn.rst",
          "docs/guide/model_selection.rst",
          "docs/guide/notions.rst", "docs/guide/choosing_a_budget.rst",
          "docs/guide/explaining_the_gap.rst", "docs/guide/transfer_examples.rst",
          "docs/guide/bring_your_own_model.rst", "docs/guide/fine_tuning.rst",
          # Three fits and three bootstrapped reports: half a minute.
          pytest.param("docs/guide/checking_new_data.rst", marks=pytest.mark.slow)]


@pytest.mark.parametrize("path", GUIDES)
def test_guide_examples_run(path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = doctest.testfile(str(root / path), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# Guides whose examples a test of their own runs beside the code they show.
RUN_ELSEWHERE = {"penalty_path.rst", "monitoring_and_reports.rst", "resampling.rst"}


def test_every_guide_with_examples_is_run():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    listed = {Path(p if isinstance(p, str) else p.values[0]).name for p in GUIDES}
    with_examples = {p.name for p in (root / "docs" / "guide").glob("*.rst")
                     if ">>>" in p.read_text()}
    assert with_examples - listed - RUN_ELSEWHERE == set()
