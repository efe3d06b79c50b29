"""Constraint mode's parts: per-group multipliers and the held-out gap's error."""

import math
import warnings

import numpy as np
import pytest

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.estimators._budget import (
    GroupMultipliers,
    HeldOut,
    gap_standard_error,
    gap_upper_bound,
    hard_gap,
)
from skfairtune.exceptions import (
    BudgetNotMetWarning,
    BudgetUncertainWarning,
    DegenerateModelWarning,
)
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


def test_the_upper_bound_is_one_sided_at_95_percent():
    assert gap_upper_bound(0.03, 0.01) == pytest.approx(0.03 + 1.6449 * 0.01, abs=1e-4)
    assert math.isnan(gap_upper_bound(0.03, math.nan))  # several classes: not estimated


def test_the_bounds_error_does_not_take_a_small_groups_rate_of_0_as_exact():
    # 5 rows of group 1, all predicted 1; 200 of group 0 at rate 0.5
    held = held_out([1] * 5 + [0, 1] * 100, [0] * 205, [1] * 5 + [0] * 200)
    plain = gap_standard_error("demographic_parity", "classification", held, 2)
    adjusted = gap_standard_error("demographic_parity", "classification", held, 2,
                                  adjusted=True)
    assert plain == pytest.approx(math.sqrt(0.25 / 200))  # group 1 adds nothing
    # group 1 as 7 of 9: (7/9)(2/9)/9, plus group 0's 102 of 204
    assert adjusted == pytest.approx(math.sqrt(14 / 729 + 0.25 / 204))


def make_two_groups(n, seed):
    """Group 1's scores sit 0.8 higher, and a feature tells the groups apart:
    an unconstrained DP gap of about 0.3."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 4))
    X[:, 1] += 1.5 * group
    score = X[:, 0] + 0.8 * group + 0.7 * rng.normal(size=n)
    return X, (score > 0.4).astype(int), group


def dp_gap(pred, group):
    return abs(pred[group == 1].mean() - pred[group == 0].mean())


def test_the_stated_bound_covers_the_gap_on_new_rows():
    # 20,000 fresh rows measure each model's gap almost without noise: the
    # bound must be at or above it in at least 4 of 5 fits (95% nominal).
    X_new, _, group_new = make_two_groups(20_000, 99)
    held, gaps = [], []
    for seed in range(5):
        X, y, group = make_two_groups(1500, seed)
        est = FairTuneClassifier(max_gap=0.1, max_epochs=20, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y, sensitive_features=group)
        gaps.append(dp_gap(est.predict(X_new), group_new))
        held.append(gaps[-1] <= est.gap_upper_bound_)
    # the 150-row slice's gap alone vouches for nothing: new rows break the budget
    assert max(gaps) > 0.1
    assert sum(held) >= 4, (held, gaps)


def test_the_budget_warning_fires_when_its_bound_is_over_the_budget():
    X, y, group = make_two_groups(1500, 0)
    est = FairTuneClassifier(max_gap=0.1, max_epochs=20, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y, sensitive_features=group)
    uncertain = [str(w.message) for w in caught if w.category is BudgetUncertainWarning]
    assert est.budget_met_ and est.gap_upper_bound_ > 0.1
    assert len(uncertain) == 1 and f"gap_upper_bound_={est.gap_upper_bound_:.4f}" in uncertain[0]
    # a budget the bound is within: vouched for, no warning
    loose = FairTuneClassifier(max_gap=0.5, max_epochs=20, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loose.fit(X, y, sensitive_features=group)
    assert loose.budget_met_ and loose.gap_upper_bound_ <= loose.max_gap
    assert not [w for w in caught if w.category is BudgetUncertainWarning]


def test_a_model_degenerate_on_its_training_rows_never_meets_the_budget():
    # 3% positives: the 150-row slice passes an epoch that says "no" to
    # nearly every training row (issue 21); it was kept with budget_met_=True.
    rng = np.random.default_rng(6)
    group = rng.integers(0, 2, 1500)
    X = rng.normal(size=(1500, 4))
    score = X[:, 0] + 0.5 * group + rng.normal(size=1500)
    y = (score > np.quantile(score, 0.97)).astype(int)
    est = FairTuneClassifier(max_gap=0.05, random_state=6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y, sensitive_features=group)
    kinds = {w.category for w in caught}
    assert not est.budget_met_
    assert DegenerateModelWarning in kinds
    (message,) = [str(w.message) for w in caught if w.category is BudgetNotMetWarning]
    assert f"epoch {est.best_epoch_}" in message and "no better than a constant" in message


def test_when_no_useful_epoch_meets_the_budget_the_closest_useful_one_is_kept():
    X, y, group = make_two_groups(1500, 0)
    est = FairTuneClassifier(penalty_strength=0, max_gap=0.0, multiplier_lr=1e-6,
                             max_epochs=5, random_state=0)
    with pytest.warns(BudgetNotMetWarning, match=r"the useful epoch with the smallest gap, "
                      r"epoch \d+, with a gap of 0\.\d+ \(95% upper bound 0\.\d+\)"):
        est.fit(X, y, sensitive_features=group)
    assert not est.budget_met_
    assert not est.history_[:, "valid_degenerate"][est.best_epoch_ - 1]
    assert len(np.unique(est.predict(X))) == 2
