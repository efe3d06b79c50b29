"""Constraint mode's parts: per-group multipliers and the held-out gap's error."""

import math

import numpy as np
import pytest

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators._budget import (
    GroupMultipliers,
    HeldOut,
    gap_standard_error,
    hard_gap,
)
from skfairtune.exceptions import BudgetNotMetWarning, BudgetUncertainWarning
from skfairtune.notions import get_notion


def held_out(pred, y, groups, n_outputs=2):
    pred, y, groups = map(np.asarray, (pred, y, groups))
    return HeldOut(pred, n_outputs, y, groups, np.ones(len(y)))


def three_groups_at(rates, n=100):
    """Hard predictions whose positive rate in group g is ``rates[g]``."""
    pred = np.concatenate([(np.arange(n) < r * n).astype(int) for r in rates])
    groups = np.repeat(np.arange(len(rates)), n)
    return held_out(pred, np.zeros(len(pred), dtype=int), groups)


def test_each_group_is_pushed_only_as_far_as_its_own_excess():
    # Rates 0.2, 0.5, 0.3: the midpoint is 0.35. With B = 0.1 a group may sit
    # 0.05 from it: the first is 0.15 below, the second 0.15 above, the third
    # 0.05 below, inside the band.
    multipliers = GroupMultipliers(get_notion("demographic_parity"), "classification")
    held = three_groups_at([0.2, 0.5, 0.3])
    multipliers.start(held, 3, max_gap=0.1, strength=0.0)
    multipliers.step(held, 3, max_gap=0.1, lr=1.0)
    (signed,) = multipliers.signed()
    # the high group's positive rate is penalised, the low one's rewarded
    assert signed[1] > 0 > signed[0]
    assert signed[2] == 0
    # each step is twice the excess gap, 2 * 0.15 - 0.1, times multiplier_lr
    assert signed[1] == pytest.approx(2 * (2 * 0.15 - 0.1))
    # once every group is inside the band the multipliers fall back to 0
    inside = three_groups_at([0.33, 0.37, 0.35])
    for _ in range(5):
        multipliers.step(inside, 3, max_gap=0.1, lr=1.0)
    assert multipliers.largest() == 0


def test_the_start_weighs_only_the_groups_outside_the_budget():
    multipliers = GroupMultipliers(get_notion("demographic_parity"), "classification")
    multipliers.start(three_groups_at([0.2, 0.5, 0.3]), 3, max_gap=0.1, strength=2.0)
    assert multipliers.signed()[0].tolist() == [-2.0, 2.0, 0.0]


def test_the_multipliers_keep_a_rate_for_each_of_equalized_odds_rates():
    multipliers = GroupMultipliers(get_notion("equalized_odds"), "classification")
    held = held_out([1, 1, 0, 0, 1, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0],
                    [0, 0, 0, 0, 1, 1, 1, 1])
    multipliers.start(held, 2, max_gap=0.0, strength=0.0)
    multipliers.step(held, 2, max_gap=0.0, lr=1.0)
    tpr, fpr = multipliers.signed()
    # TPRs are equal (1/2 each); group 0's false-positive rate is higher
    assert tpr.tolist() == [0.0, 0.0]
    assert fpr[0] > 0 > fpr[1]


def test_the_standard_error_of_a_two_group_gap():
    held = three_groups_at([0.2, 0.6], n=50)
    expected = math.sqrt(0.2 * 0.8 / 50 + 0.6 * 0.4 / 50)
    assert gap_standard_error("demographic_parity", "classification", held, 2) == (
        pytest.approx(expected))
    assert hard_gap("demographic_parity", "classification", held, 2) == pytest.approx(0.4)
    # the worst group's error, for a group loss
    worst = gap_standard_error("worst_group_loss", "classification", held, 2)
    assert worst == pytest.approx(math.sqrt(0.6 * 0.4 / 50))


def make_three_groups(n, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4))
    X[:, 0] += group
    y = (X[:, 1] + 0.6 * group + 0.5 * rng.normal(size=n) > 0.6).astype(int)
    return X, y, group


def test_a_budget_over_three_groups_holds_on_new_rows():
    X, y, group = make_three_groups(6000, 0)
    X_test, y_test, group_test = make_three_groups(6000, 1)
    est = FairTuneClassifier(max_gap=0.05, random_state=0).fit(
        X, y, sensitive_features=group)
    pred = est.predict(X_test)
    rates = [pred[group_test == g].mean() for g in range(3)]
    unconstrained = FairTuneClassifier(penalty=None, random_state=0).fit(X, y)
    free = unconstrained.predict(X_test)
    free_rates = [free[group_test == g].mean() for g in range(3)]
    assert max(free_rates) - min(free_rates) > 0.15  # the gap to close is there
    assert est.budget_met_
    # within the budget, plus two standard errors of the validation slice's
    # gap and of the test split's (groups of 2000 rows: 0.03)
    assert max(rates) - min(rates) < 0.05 + 2 * est.validation_gap_se_ + 0.03
    assert est.score(X_test, y_test) > 0.7


def test_a_slice_too_small_for_the_budget_warns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    group = rng.integers(0, 2, 400)
    y = (X[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    # 40 rows held out, 20 per group: a gap's standard error is about 0.16
    est = FairTuneClassifier(max_gap=0.25, random_state=0)
    with pytest.warns(BudgetUncertainWarning, match=r"validation_fraction \(now 0.1\)"):
        est.fit(X, y, sensitive_features=group)
    assert est.budget_met_ and est.validation_gap_se_ > 0.125


def make_regression_with_groups(n, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3))
    X[:, 0] += group
    return X, 0.3 * X[:, 1] + group + 0.3 * rng.normal(size=n), group


def test_a_regressor_budget_on_the_mean_prediction():
    X, y, group = make_regression_with_groups(3000, 0)
    X_test, _, group_test = make_regression_with_groups(6000, 1)
    est = FairTuneRegressor(max_gap=0.2, random_state=0).fit(X, y, sensitive_features=group)
    assert est.budget_met_ and est.validation_gap_ <= 0.2
    pred = est.predict(X_test)
    # the unconstrained gap is 1; two standard errors on 3000 rows a group: 0.02
    assert abs(pred[group_test == 1].mean() - pred[group_test == 0].mean()) < 0.2 + 0.02


def test_a_budget_needs_a_penalty():
    X, y, group = make_three_groups(200, 0)
    with pytest.raises(ValueError, match="penalty=None names none"):
        FairTuneClassifier(max_gap=0.05, penalty=None).fit(X, y, sensitive_features=group)


def test_the_warnings_point_at_the_users_call():
    X, y, group = make_three_groups(300, 0)
    est = FairTuneClassifier(max_gap=0.0, max_epochs=2, random_state=0)
    with pytest.warns(BudgetNotMetWarning) as caught:
        est.fit(X, y, sensitive_features=group)
    assert {w.filename for w in caught if w.category is BudgetNotMetWarning} == {__file__}
