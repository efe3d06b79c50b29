"""The penalty makes the model fairer on biased data, at a bounded cost."""

import numpy as np
import pytest
import torch

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune._torch_data import GroupDataset, TensorBatches

from .conftest import dp_gap, make_biased

# A fixed schedule on every row: these tests compare penalties, not defaults.
COMMON = dict(max_epochs=30, batch_size=128, lr=0.01, random_state=0,
              validation_fraction=None)


def _fit(X, y, group, **kwargs):
    est = FairTuneClassifier(**{**COMMON, **kwargs})
    return est.fit(X, y, sensitive_features=group)


@pytest.fixture(scope="module")
def biased():
    return make_biased(600, 0), make_biased(600, 1)


@pytest.fixture(scope="module")
def unconstrained(biased):
    (X, y, group), _ = biased
    return _fit(X, y, group, penalty_strength=0)


def _gaps(est, biased):
    (X, _, group), (X_test, _, group_test) = biased
    return dp_gap(est.predict(X), group), dp_gap(est.predict(X_test), group_test)


def _accuracies(est, biased):
    (X, y, _), (X_test, y_test, _) = biased
    return est.score(X, y), est.score(X_test, y_test)


def test_data_are_biased(unconstrained, biased):
    """Without a penalty the model's positive rates differ between groups."""
    train_gap, test_gap = _gaps(unconstrained, biased)
    assert train_gap > 0.12 and test_gap > 0.12
    assert min(_accuracies(unconstrained, biased)) > 0.75


def test_penalty_reduces_gap_at_bounded_cost(unconstrained, biased):
    (X, y, group), _ = biased
    strong = _fit(X, y, group, penalty_strength=5)
    base_gaps, strong_gaps = _gaps(unconstrained, biased), _gaps(strong, biased)
    for base, fair in zip(base_gaps, strong_gaps):
        assert fair < base / 2
        assert fair < 0.07
    accuracies = zip(_accuracies(unconstrained, biased), _accuracies(strong, biased))
    for base, fair in accuracies:
        assert fair > base - 0.1


def test_gap_falls_as_strength_grows(unconstrained, biased):
    (X, y, group), _ = biased
    path = [unconstrained] + [_fit(X, y, group, penalty_strength=strength)
                              for strength in (0.5, 2)]
    train_gaps, test_gaps = zip(*(_gaps(est, biased) for est in path))
    assert train_gaps[0] > train_gaps[1] > train_gaps[2]
    assert test_gaps[0] > test_gaps[1] > test_gaps[2]
    accuracies = [_accuracies(est, biased)[1] for est in path]
    assert min(accuracies) > accuracies[0] - 0.1


@pytest.fixture(scope="module")
def larger():
    # 3000 rows: a validation slice of 300, on which a gap of 0.02 can be told
    # apart from noise (on 60 rows one standard error is some 0.12).
    return make_biased(3000, 0), make_biased(3000, 1)


@pytest.mark.parametrize("batch_sampling", ["random", "stratified"])
def test_constraint_mode_keeps_the_budget_on_held_out_rows(larger, batch_sampling):
    (X, y, group), (X_test, y_test, group_test) = larger
    est = FairTuneClassifier(penalty_strength=0, max_gap=0.02, lr=0.01, random_state=0,
                             batch_sampling=batch_sampling).fit(X, y, sensitive_features=group)
    # The kept epoch is within the budget on the validation slice ...
    assert est.budget_met_ and est.validation_gap_ <= 0.02
    gaps = est.history_[:, "valid_gap"]
    assert gaps[est.best_epoch_ - 1] == est.validation_gap_
    assert not est.history_[est.best_epoch_ - 1, "valid_degenerate"]
    assert est.multiplier_ > 0 and len(est.history_[:, "multiplier"]) == est.n_iter_
    # ... and on new rows within it plus the sampling noise: two standard
    # errors of the slice's gap (groups of 150 rows: some 0.11, which
    # BudgetUncertainWarning reports) and of the test split's (groups of 1500
    # rows: 0.036).
    assert dp_gap(est.predict(X_test), group_test) < (
        0.02 + 2 * est.validation_gap_se_ + 0.036)
    assert est.score(X_test, y_test) > 0.7


def test_constraint_mode_passes_over_constant_epochs(larger):
    # A strong start makes the first epochs near-constant: gap 0, and useless.
    (X, y, group), _ = larger
    est = FairTuneClassifier(penalty_strength=50, max_gap=0.02, lr=0.01,
                             random_state=0).fit(X, y, sensitive_features=group)
    degenerate = est.history_[:, "valid_degenerate"]
    assert any(degenerate)  # the trap is there ...
    assert not degenerate[est.best_epoch_ - 1]  # ... and not taken


def test_constraint_mode_warns_when_no_epoch_meets_the_budget(larger):
    from skfairtune.exceptions import BudgetNotMetWarning

    (X, y, group), _ = larger
    est = FairTuneClassifier(penalty_strength=0, max_gap=0.0, multiplier_lr=1e-6,
                             max_epochs=3, random_state=0)
    with pytest.warns(BudgetNotMetWarning, match="No epoch met max_gap=0"):
        est.fit(X, y, sensitive_features=group)
    assert not est.budget_met_
    assert est.validation_gap_ == min(est.history_[:, "valid_gap"])


def test_constraint_mode_with_loose_budget_keeps_accuracy(unconstrained, biased):
    """A budget the unconstrained model meets leaves the multiplier at 0."""
    (X, y, group), (X_test, y_test, _) = biased
    est = FairTuneClassifier(penalty_strength=0, max_gap=1.0, lr=0.01, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert est.multiplier_ == 0 and est.budget_met_
    assert est.score(X_test, y_test) > unconstrained.score(X_test, y_test) - 0.03


def test_intersectional_groups(biased):
    (X, y, group), _ = biased
    second = np.where(np.random.default_rng(3).uniform(size=len(y)) < 0.4, "x", "y")
    sensitive = np.column_stack([group, second]).astype(object)
    sensitive[:, 0] = group  # keep the numbers numbers
    base = _fit(X, y, sensitive, penalty_strength=0)
    fair = _fit(X, y, sensitive, penalty_strength=5)
    assert fair.sensitive_groups_ == [(0, "x"), (0, "y"), (1, "x"), (1, "y")]
    cells = np.array([f"{a}-{b}" for a, b in sensitive])
    assert dp_gap(fair.predict(X), cells) < dp_gap(base.predict(X), cells) / 2
    assert fair.n_features_in_ == X.shape[1]


def test_string_groups_same_as_codes(biased):
    (X, y, group), _ = biased
    names = np.array(["female", "male"])[group]
    by_codes = _fit(X, y, group, max_epochs=5, penalty_strength=2)
    by_names = _fit(X, y, names, max_epochs=5, penalty_strength=2)
    assert by_names.sensitive_groups_ == ["female", "male"]
    assert np.array_equal(by_codes.predict_proba(X), by_names.predict_proba(X))


def test_stratified_batches_train(biased):
    (X, y, group), _ = biased
    est = _fit(X, y, group, batch_sampling="stratified", penalty_strength=5)
    assert max(_gaps(est, biased)) < 0.07


def test_regressor_penalty_reduces_mean_gap():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 400)
    X = rng.normal(size=(400, 3))
    X[:, 0] += 2 * group
    y = X[:, 1] + 2 * group + 0.1 * rng.normal(size=400)

    def gap(est):
        pred = est.predict(X)
        return abs(pred[group == 1].mean() - pred[group == 0].mean())

    common = dict(max_epochs=30, lr=0.01, random_state=0)
    base = FairTuneRegressor(penalty_strength=0, **common)
    fair = FairTuneRegressor(penalty_strength=5, **common)
    base.fit(X, y, sensitive_features=group)
    fair.fit(X, y, sensitive_features=group)
    assert gap(base) > 1.0
    assert gap(fair) < gap(base) / 3


# -- group-stratified batches --------------------------------------------------------

def _dataset(groups):
    n = len(groups)
    return GroupDataset(torch.zeros(n, 1), torch.zeros(n, dtype=torch.long),
                        torch.as_tensor(groups), torch.ones(n))


@pytest.mark.parametrize("seed", range(5))
def test_stratified_batches_hold_every_group(seed):
    rng = np.random.default_rng(seed)
    groups = np.zeros(1000, dtype=np.int64)
    groups[rng.choice(1000, 50, replace=False)] = 1  # a 5% minority
    batches = TensorBatches(_dataset(groups), 64, shuffle=True, stratify=True,
                            seed=seed)
    seen = []
    for _ in range(3):  # several epochs
        for X, _y in batches:
            batch_groups = X.groups.numpy()
            assert set(batch_groups) == {0, 1}
            seen.append(X.weight.shape[0])
    assert sum(seen) == 3 * 1000


def test_stratified_batches_are_a_permutation():
    groups = np.repeat([0, 1, 2], [500, 300, 30])
    batches = TensorBatches(_dataset(groups), 50, shuffle=True, stratify=True, seed=0)
    counts = np.zeros(3, dtype=int)
    for X, _y in batches:
        counts += np.bincount(X.groups.numpy(), minlength=3)
        # each group in proportion to its size, within one or two rows
        expected = len(X.groups) * np.array([500, 300, 30]) / 830
        got = np.bincount(X.groups.numpy(), minlength=3)
        assert np.all(np.abs(got - expected) <= 2)
    assert counts.tolist() == [500, 300, 30]


def test_random_batches_miss_the_minority():
    """Why stratification exists: random batches often lack a small group."""
    groups = np.zeros(1000, dtype=np.int64)
    groups[:20] = 1
    batches = TensorBatches(_dataset(groups), 32, shuffle=True, seed=0)
    assert any(1 not in set(X.groups.numpy()) for X, _y in batches)
