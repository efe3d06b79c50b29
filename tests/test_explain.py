"""explain_gap: the contributions add up to the gap, and land where they should."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune import FairTuneClassifier
from skfairtune.explain import compare_gaps, explain_gap


def make_data(n=600, seed=0, n_groups=2):
    """A feature that carries the group, one that drives the label alone, and
    one independent of everything."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, n)
    X = pd.DataFrame({
        "proxy": group + rng.normal(0, 0.4, n),
        "skill": rng.normal(size=n),
        "noise": rng.normal(size=n),
    })
    y = (X["proxy"] + X["skill"] + rng.normal(0, 0.5, n) > 0.5).astype(int).to_numpy()
    return X, y, group


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def network(data):
    X, y, _ = data
    return FairTuneClassifier(max_epochs=5, penalty=None, random_state=0).fit(
        X.to_numpy(), y)


def model_gap(model, X, group, higher, lower, rows=None):
    """The gap in mean probability of class 1, computed directly."""
    score = model.predict_proba(X)[:, 1]
    keep = np.ones(len(score), dtype=bool) if rows is None else rows
    return score[keep & (group == higher)].mean() - score[keep & (group == lower)].mean()


def test_contributions_add_up_to_the_models_gap(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    result = explain_gap(model, X, sensitive_features=group, max_rows=None)
    assert result.groups == (1, 0) and result.method == "shapley_sampling"
    assert result.gap == pytest.approx(model_gap(model, X, group, 1, 0), abs=1e-12)
    assert result.contributions["contribution"].sum() == pytest.approx(result.gap, abs=1e-12)
    assert abs(result.residual) < 1e-12
    assert result.contributions["share"].sum() == pytest.approx(1.0, abs=1e-9)


def test_the_group_carrying_feature_leads_and_noise_gets_about_nothing(data):
    X, y, group = data
    result = explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group)
    table = result.contributions
    assert table.index[0] == "proxy"
    assert table.loc["proxy", "share"] > 0.8
    assert abs(table.loc["noise", "share"]) < 0.03
    assert table.loc["proxy", "proxy"] and not table.loc["noise", "proxy"]
    assert table.loc["proxy", "proxy_auc"] > 0.9
    assert table.loc["noise", "proxy_auc"] == pytest.approx(0.5, abs=0.1)


def test_a_pipeline_with_a_categorical_column_is_explained_on_its_raw_columns():
    X, y, group = make_data(seed=1)
    X["city"] = np.where(group == 1, "north", np.random.default_rng(2).choice(
        ["south", "east"], len(group)))
    X["city"] = X["city"].astype("category")
    X = X.drop(columns="proxy")
    y = ((X["city"] == "north") + X["skill"] > 0.5).astype(int)
    model = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(), ["city"])], remainder=StandardScaler()),
        LogisticRegression()).fit(X, y)
    result = explain_gap(model, X, sensitive_features=group, max_rows=None)
    assert list(result.contributions.index[:1]) == ["city"]
    assert set(result.contributions.index) == {"city", "skill", "noise"}
    assert result.gap == pytest.approx(model_gap(model, X, group, 1, 0), abs=1e-12)
    assert abs(result.residual) < 1e-12


def test_the_network_uses_integrated_gradients(data, network):
    X, _, group = data
    X = X.to_numpy()
    result = explain_gap(network, X, sensitive_features=group, max_rows=300)
    assert result.method == "integrated_gradients"
    assert result.n_rows == (150, 150)
    full = explain_gap(network, X, sensitive_features=group, max_rows=None)
    assert full.gap == pytest.approx(model_gap(network, X, group, 1, 0), abs=1e-9)
    # Complete up to the path integral's error, which is reported.
    assert abs(full.residual) < 1e-3 * abs(full.gap)
    assert full.residual == pytest.approx(
        full.gap - full.contributions["contribution"].sum(), abs=1e-15)
    assert full.contributions.index[0] == "x0"


@pytest.mark.slow
def test_integrated_gradients_agree_with_shapley_sampling(data, network):
    X, _, group = data
    X = X.to_numpy()
    fast = explain_gap(network, X, sensitive_features=group, n_steps=128)
    slow = explain_gap(network, X, sensitive_features=group, method="shapley_sampling",
                       n_samples=50)
    assert abs(slow.residual) < 1e-12
    assert slow.gap == pytest.approx(fast.gap, abs=1e-9)
    # Two different attributions of a non-additive score: they agree on the
    # story (which feature, which sign), not to the digit.
    diff = fast.contributions["contribution"] - slow.contributions["contribution"]
    assert diff.abs().max() < 0.25 * abs(fast.gap)
    assert fast.contributions.index[0] == slow.contributions.index[0] == "x0"
    assert (np.sign(fast.contributions["contribution"].loc[["x0", "x1"]])
            == np.sign(slow.contributions["contribution"].loc[["x0", "x1"]])).all()


def test_equal_opportunity_explains_the_gap_among_positives(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="pass y="):
        explain_gap(model, X, sensitive_features=group, notion="equal_opportunity")
    result = explain_gap(model, X, sensitive_features=group, notion="equal_opportunity",
                         y=y, max_rows=None)
    assert result.rate == "tpr" and result.n_rows == (
        int(((group == 1) & (y == 1)).sum()), int(((group == 0) & (y == 1)).sum()))
    assert result.gap == pytest.approx(model_gap(model, X, group, 1, 0, y == 1), abs=1e-12)
    assert result.contributions["contribution"].sum() == pytest.approx(result.gap, abs=1e-12)


def test_predictive_parity_is_refused_with_the_reason(data):
    X, y, group = data
    with pytest.raises(ValueError, match="rows depend on the predictions"):
        explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group, y=y,
                    notion="predictive_parity")


def test_several_groups_explain_the_highest_against_the_lowest():
    X, y, group = make_data(n=900, n_groups=3)
    model = LogisticRegression().fit(X, y)
    result = explain_gap(model, X, sensitive_features=np.array(["a", "b", "c"])[group])
    assert result.groups == ("c", "a")
    chosen = explain_gap(model, X, sensitive_features=np.array(["a", "b", "c"])[group],
                         groups=("b", "a"), max_rows=None)
    assert chosen.groups == ("b", "a")
    assert chosen.gap == pytest.approx(model_gap(model, X, group, 1, 0), abs=1e-12)
    with pytest.raises(ValueError, match="not a group"):
        explain_gap(model, X, sensitive_features=group, groups=(0, 7))


def test_rows_are_sampled_per_group_and_reproducibly(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    first = explain_gap(model, X, sensitive_features=group, max_rows=100, random_state=3)
    again = explain_gap(model, X, sensitive_features=group, max_rows=100, random_state=3)
    assert first.n_rows == (50, 50)
    pd.testing.assert_frame_equal(first.contributions, again.contributions)
    assert first.contributions["contribution"].sum() == pytest.approx(first.gap, abs=1e-12)


def test_compare_gaps_shows_what_changed(data):
    X, y, group = data
    base = explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group)
    # Without the proxy the model cannot lean on it: its contribution vanishes.
    blind = make_pipeline(ColumnTransformer([("drop", "drop", ["proxy"])],
                                            remainder="passthrough"),
                          LogisticRegression()).fit(X, y)
    tuned = explain_gap(blind, X, sensitive_features=group, groups=base.groups)
    assert tuned.no_effect == ("proxy",) and "proxy" not in tuned.contributions.index
    comparison = compare_gaps(base, tuned)
    table = comparison.contributions
    assert table.index[0] == "proxy" and set(table.index) == {"proxy", "skill", "noise"}
    assert table.loc["proxy", "tuned"] == 0.0  # not read: no part, rather than unknown
    assert table.loc["proxy", "proxy"]
    assert comparison.totals.loc["gap", "change"] == pytest.approx(tuned.gap - base.gap)
    flipped = explain_gap(blind, X, sensitive_features=group, groups=(0, 1))
    with pytest.raises(ValueError, match="differ in groups"):
        compare_gaps(base, flipped)


def test_a_baseline_of_ones_own_cancels_out_of_the_gap(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    result = explain_gap(model, X, sensitive_features=group, baseline=[0.0, 0.0, 0.0])
    assert result.baseline.tolist() == [0.0, 0.0, 0.0]
    assert result.contributions["contribution"].sum() == pytest.approx(result.gap, abs=1e-12)


@pytest.mark.parametrize("change, error, match", [
    ({"sensitive_features": [0, 1]}, ValueError, "sensitive_features has 2 rows"),
    ({"sensitive_features": np.zeros(600)}, ValueError, "fewer than two groups"),
    ({"model": LogisticRegression()}, NotFittedError, "not fitted"),
    ({"model": StandardScaler().fit([[0.0], [1.0]])}, TypeError, "predict_proba"),
    ({"method": "lime"}, ValueError, "method must be one of"),
    ({"method": "integrated_gradients"}, ValueError, "FairTuneClassifier"),
    ({"notion": "parity"}, ValueError, "Unknown fairness notion"),
    ({"max_rows": 1}, ValueError, "max_rows"),
    ({"baseline": [0.0]}, ValueError, "one value per feature"),
    ({"y": [1, 0]}, ValueError, "y has 2 rows"),
    ({"proxies": "audit"}, TypeError, "proxies must be None, an audit_dataset result"),
])
def test_bad_input_gets_a_clear_error(data, change, error, match):
    X, y, group = data
    args = {"model": LogisticRegression().fit(X, y), "X": X, "sensitive_features": group,
            **change}
    with pytest.raises(error, match=match):
        explain_gap(**args)


def test_missing_values_in_X_are_refused(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    X = X.copy()
    X.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match="missing values in column"):
        explain_gap(model, X, sensitive_features=group)


def test_several_classes_need_the_class_named():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 300)
    X = np.column_stack([group + rng.normal(0, 0.5, 300), rng.normal(size=300)])
    y = rng.integers(0, 3, 300) + (X[:, 0] > 1)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="name it with pos_label"):
        explain_gap(model, X, sensitive_features=group)
    result = explain_gap(model, X, sensitive_features=group, pos_label=3, max_rows=60)
    assert abs(result.contributions["contribution"].sum() - result.gap) < 1e-9


def test_predictive_parity_is_refused_before_asking_for_labels():
    X, group = np.random.default_rng(1).normal(size=(50, 2)), np.arange(50) % 2
    model = LogisticRegression().fit(X, group)
    with pytest.raises(ValueError, match="whose rows depend on the predictions"):
        explain_gap(model, X, sensitive_features=group, notion="predictive_parity")


@pytest.mark.parametrize("notion", ["equalized_odds", "equal_opportunity"])
def test_a_missing_label_is_refused_never_counted_as_a_negative(data, notion):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    half = y.astype(float)
    half[::2] = np.nan
    with pytest.raises(ValueError, match=r"y has 300 missing label\(s\), the first in row 0"):
        explain_gap(model, X, sensitive_features=group, notion=notion, y=half)
    unknown = y.astype(object)
    unknown[5] = None
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\), the first in row 5"):
        explain_gap(model, X, sensitive_features=group, notion=notion, y=unknown)


def test_demographic_parity_reads_no_label_so_a_missing_one_does_not_matter(data):
    X, y, group = data
    model = LogisticRegression().fit(X, y)
    half = y.astype(float)
    half[::2] = np.nan
    with_labels = explain_gap(model, X, sensitive_features=group, y=half)
    without = explain_gap(model, X, sensitive_features=group)
    pd.testing.assert_frame_equal(with_labels.contributions, without.contributions)


def test_compare_gaps_refuses_explanations_over_different_features(data):
    X, y, group = data
    base = explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group)
    fewer = X[["proxy", "skill"]]
    tuned = explain_gap(LogisticRegression().fit(fewer, y), fewer, sensitive_features=group,
                        groups=base.groups)
    with pytest.raises(ValueError, match=r"different features: only base has \['noise'\], "
                                         r"only tuned has none"):
        compare_gaps(base, tuned)


def test_compare_gaps_names_an_argument_that_is_no_explanation(data):
    X, y, group = data
    base = explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group)
    with pytest.raises(TypeError, match=r"tuned must be a GapExplanation \(what "
                                        r"explain_gap returns\); got str"):
        compare_gaps(base, "x")
    with pytest.raises(TypeError, match="base must be a GapExplanation .*got DataFrame"):
        compare_gaps(base.contributions, base)


@pytest.mark.parametrize("names, shown", [(["a", "a", "b"], "'a' (2 columns)"),
                                          ([0, "0", "b"], "'0' (2 columns)")])
def test_duplicated_column_names_are_refused_by_name(data, names, shown):
    X, y, group = data
    model = LogisticRegression().fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match=f"X has duplicated column names: {re.escape(shown)}"):
        explain_gap(model, X.set_axis(names, axis=1), sensitive_features=group)


@pytest.mark.parametrize("selector", [
    ColumnTransformer([("read", "passthrough", ["proxy", "skill"])], remainder="drop"),
    ColumnTransformer([("drop", "drop", ["sex", "noise"])], remainder="passthrough"),
], ids=["selects", "drops"])
def test_a_column_the_model_does_not_read_is_no_feature_of_the_gap(data, selector):
    X, y, group = data
    X = X.assign(sex=np.where(group == 1, "m", "f"))
    model = make_pipeline(selector, LogisticRegression()).fit(X, y)
    result = explain_gap(model, X, sensitive_features=X["sex"], max_rows=None)
    assert sorted(result.contributions.index) == ["proxy", "skill"]
    assert result.sensitive_columns == ("sex",) and result.no_effect == ("noise", "sex")
    assert result.direct == 0.0
    assert result.contributions["contribution"].sum() == pytest.approx(result.gap, abs=1e-12)


def test_the_sensitive_column_the_model_reads_is_the_direct_part_not_a_feature(data):
    X, y, group = data
    # The model reads the group itself, coded 0/1 where the groups are "f" and "m".
    X = X.assign(male=group.astype(float))
    y = (X["skill"] + 2 * X["male"] + np.random.default_rng(3).normal(size=len(y)) > 1)
    model = LogisticRegression().fit(X, y.astype(int))
    result = explain_gap(model, X, sensitive_features=np.array(["f", "m"])[group],
                         max_rows=None)
    assert result.sensitive_columns == ("male",)
    assert "male" not in result.contributions.index
    assert result.direct > 0.5 * result.gap > 0
    assert result.contributions["contribution"].sum() + result.direct == pytest.approx(
        result.gap, abs=1e-12)
    assert abs(result.residual) < 1e-12
