"""group_report: its table, its gaps, its AUC and its bootstrap intervals."""

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

import skfairtune.metrics as sfm
from skfairtune.metrics import UndefinedGroupWarning, group_report


def _data(n=400, n_groups=3, seed=0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    y = (rng.random(n) < 0.2 + 0.05 * groups).astype(int)
    score = np.clip(0.5 * y + rng.normal(0.25, 0.25, n), 0, 1)
    p = (score > 0.5).astype(int)
    return y, p, np.array([f"g{g}" for g in groups]), score, rng.random(n) + 0.5


def test_table_equals_the_metric_functions():
    y, p, sf, score, w = _data()
    report = group_report(y, p, sensitive_features=sf, y_score=score, sample_weight=w)
    kw = {"sensitive_features": sf, "sample_weight": w}
    pd.testing.assert_series_equal(report["accuracy"],
                                   sfm.accuracy_by_group(y, p, **kw))
    pd.testing.assert_series_equal(
        report["tpr"], sfm.true_positive_rate_by_group(y, p, **kw), check_names=False)
    pd.testing.assert_series_equal(report["auc"], sfm.roc_auc_by_group(y, score, **kw))
    assert report["count"].tolist() == [float((sf == g).sum()) for g in report.index]
    fairness = report.attrs["fairness"]["value"]
    for name in fairness.index:
        expected = getattr(sfm, name)(y, p, **kw)
        assert fairness[name] == pytest.approx(expected, abs=1e-12)


def test_gaps_rows_are_differences_and_ratios_of_the_columns():
    y, p, sf, *_ = _data()
    report = group_report(y, p, sensitive_features=sf)
    gaps = report.attrs["gaps"]
    assert list(gaps.index) == ["difference", "ratio"]
    col = report["selection_rate"]
    difference = gaps.loc["difference", "selection_rate"]
    assert difference == pytest.approx(col.max() - col.min())
    assert gaps.loc["ratio", "selection_rate"] == pytest.approx(col.min() / col.max())
    assert gaps.loc["difference", "selection_rate"] == pytest.approx(
        report.attrs["fairness"].loc["demographic_parity_difference", "value"])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_auc_equals_scikit_learn_per_group(data):
    n = data.draw(st.integers(4, 40))
    ints = st.lists(st.integers(0, 1), min_size=n, max_size=n)
    y, groups = np.array(data.draw(ints)), np.array(data.draw(ints))
    score = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.9]),
                                        min_size=n, max_size=n)))
    w = np.array(data.draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        auc = sfm.roc_auc_by_group(y, score, sensitive_features=groups,
                                   sample_weight=w)
    for g in auc.index:
        rows = groups == g
        if len(set(y[rows])) < 2:
            assert np.isnan(auc[g])
        else:
            assert auc[g] == pytest.approx(
                roc_auc_score(y[rows], score[rows], sample_weight=w[rows]), abs=1e-12)


def test_undefined_rates_are_nan_and_named():
    y = [1, 0, 0, 0]
    p = [1, 0, 1, 0]
    with pytest.warns(UndefinedGroupWarning) as record:
        report = group_report(y, p, sensitive_features=["a", "a", "b", "b"],
                              y_score=[0.9, 0.1, 0.8, 0.2])
    messages = [str(r.message) for r in record]
    assert any(m.startswith("tpr") and "['b'] (no positive labels)" in m
               for m in messages)
    assert any(m.startswith("auc") and "['b'] (only one class)" in m for m in messages)
    assert np.isnan(report.loc["b", "tpr"]) and np.isnan(report.loc["b", "auc"])
    assert report.loc["b", "fpr"] == 0.5


def test_intersectional_groups_make_a_multiindex():
    y, p, _, _, _ = _data(60)
    sf = pd.DataFrame({"race": ["x", "y"] * 30, "sex": ["f"] * 30 + ["m"] * 30})
    report = group_report(y, p, sensitive_features=sf)
    assert report.index.names == ["race", "sex"] and len(report) == 4


def test_bootstrap_intervals_are_reproducible_and_bracket():
    y, p, sf, *_ = _data(2000)
    a = group_report(y, p, sensitive_features=sf, n_boot=200, random_state=0)
    b = group_report(y, p, sensitive_features=sf, n_boot=200, random_state=0)
    pd.testing.assert_frame_equal(a, b)
    assert a.columns.nlevels == 2
    assert set(a.columns.get_level_values(1)) == {"value", "low", "high"}
    acc = a["accuracy"]
    assert ((acc["low"] <= acc["value"]) & (acc["value"] <= acc["high"])).all()
    fair = a.attrs["fairness"]
    assert (fair["low"] <= fair["high"]).all() and list(fair.columns) == [
        "value", "low", "high"]


def test_cell_and_row_bootstraps_agree():
    # Without weights the replicates are drawn over cells; unit weights force
    # the row-by-row path. Both are the same bootstrap.
    y, p, sf, *_ = _data(3000)
    cells = group_report(y, p, sensitive_features=sf, n_boot=400, random_state=1)
    rows = group_report(y, p, sensitive_features=sf, sample_weight=np.ones(len(y)),
                        n_boot=400,
                        random_state=2)
    for column in ("selection_rate", "tpr"):
        for bound in ("low", "high"):
            np.testing.assert_allclose(cells[column][bound], rows[column][bound],
                                       atol=0.02)


def test_a_thousand_replicates_are_fast():
    y, p, sf, *_ = _data(100_000, n_groups=10)
    start = time.perf_counter()
    group_report(y, p, sensitive_features=sf, n_boot=1000, random_state=0)
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("kwargs, message", [
    ({"n_boot": 0}, "n_boot must be None or a positive integer"),
    ({"confidence": 1.5}, "confidence must be in"),
    ({"y_score": [0.1, 0.2]}, "y_score has 2 rows"),
])
def test_report_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        group_report([0, 1, 0, 1], [0, 1, 1, 1], sensitive_features=["a", "a", "b", "b"],
                     **kwargs)


def test_sensitive_features_by_position_still_works_with_a_warning():
    y, p, sf = [0, 1, 0, 1], [0, 1, 1, 1], ["a", "a", "b", "b"]
    with pytest.warns(FutureWarning, match="sensitive_features=... by keyword"):
        old = group_report(y, p, sf)
    pd.testing.assert_frame_equal(old, group_report(y, p, sensitive_features=sf))
    with pytest.warns(FutureWarning, match="sensitive_features, y_score"):
        scored = group_report(y, p, sf, [0.2, 0.9, 0.6, 0.7])
    assert "auc" in scored.columns


def _cells(*groups):
    """Rows from each group's confusion cells: ``{(label, prediction): rows}``."""
    y, p, g = [], [], []
    for name, cells in zip("abcdefgh", groups):
        for (label, prediction), n in cells.items():
            y += [label] * n
            p += [prediction] * n
            g += [name] * n
    return np.array(y), np.array(p), np.array(g)


@pytest.mark.parametrize("groups", [
    # Equal precision (1/2) and equal rates: every gap's estimate is 0.
    ({(1, 1): 10, (0, 1): 10, (0, 0): 200, (1, 0): 30},
     {(1, 1): 20, (0, 1): 20, (0, 0): 150, (1, 0): 40}),
    ({(1, 1): 40, (0, 1): 20, (0, 0): 100, (1, 0): 40},
     {(1, 1): 40, (0, 1): 20, (0, 0): 100, (1, 0): 40},
     {(1, 1): 4, (0, 1): 2, (0, 0): 10, (1, 0): 4}),
    # A small group, a group without positive predictions, one with no negatives.
    ({(1, 1): 3, (0, 1): 1, (0, 0): 8, (1, 0): 2},
     {(0, 0): 30, (1, 0): 10},
     {(1, 1): 50, (1, 0): 5}),
])
def test_every_interval_holds_its_estimate(groups):
    # A gap near zero has a bootstrap distribution above its estimate: the
    # percentile interval of "predictive parity gap 0.000" was 0.017 to 0.438.
    y, p, sf = _cells(*groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        report = group_report(y, p, sensitive_features=sf, n_boot=300, random_state=0,
                              confidence=0.9)
    fair = report.attrs["fairness"].dropna()
    assert ((fair["low"] <= fair["value"]) & (fair["value"] <= fair["high"])).all(), fair
    for column in report.columns.get_level_values(0).unique():
        frame = report[column].dropna()
        assert ((frame["low"] <= frame["value"]) & (frame["value"] <= frame["high"])).all()


def _known_gap(seed, positive_rate, sizes=(300, 150)):
    """Rows whose groups' true positive and false positive rates are known."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    y = (rng.random(groups.size) < 0.4).astype(int)
    rate = np.asarray(positive_rate)[groups, 1 - y]
    return y, (rng.random(groups.size) < rate).astype(int), groups


@pytest.mark.parametrize("metric, rates, true_gap", [
    # The same selection rate in both groups: a true gap of zero, which a
    # percentile interval of the gap misses nearly always.
    ("demographic_parity_difference", [[0.3, 0.3], [0.3, 0.3]], 0.0),
    ("equalized_odds_difference", [[0.7, 0.2], [0.6, 0.2]], 0.1),
])
def test_gap_intervals_cover_the_true_gap(metric, rates, true_gap):
    covered = 0
    for seed in range(200):
        y, p, groups = _known_gap(seed, rates)
        bounds = group_report(y, p, sensitive_features=groups, n_boot=200,
                              random_state=seed, confidence=0.9).attrs["fairness"]
        covered += bounds.loc[metric, "low"] <= true_gap <= bounds.loc[metric, "high"]
    assert covered >= 0.85 * 200


@pytest.mark.parametrize("weighted", [False, True])
def test_counts_are_integers_in_the_frame_and_in_every_format(weighted):
    from skfairtune.report._document import Table
    from skfairtune.report._markdown import table_markdown

    # Groups of one row: a count of 1 once printed as "1.000", 268 as "268.0".
    y, p = np.array([1, 0, 1]), np.array([1, 1, 0])
    weight = np.array([0.5, 1.5, 2.25]) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        report = group_report(y, p, sensitive_features=["a", "b", "c"],
                              sample_weight=weight)
    assert report["count"].dtype == np.int64 and report["count"].tolist() == [1, 1, 1]
    assert "1.0" not in report[["count"]].to_string()
    assert "| a | 1 |" in table_markdown(Table("groups", report[["count"]]))
    y, p, sf, _, w = _data(300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        boot = group_report(y, p, sensitive_features=sf, n_boot=50, random_state=0,
                            sample_weight=w if weighted else None)
    assert (boot["count"].dtypes == np.int64).all()
    assert (boot[("count", "low")] <= boot[("count", "value")]).all()
