"""The torch penalties against the numpy notions and fairlearn's metrics."""

import numpy as np
import pytest
import torch
from fairlearn.metrics import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune import notions as _notions
from skfairtune.penalties import (
    PENALTIES,
    BoundedGroupLoss,
    DemographicParity,
    EqualizedOdds,
    EqualOpportunity,
    Penalty,
    WorstGroupLoss,
    get_penalty,
)

NOTION_PENALTIES = {
    "demographic_parity": (DemographicParity, demographic_parity_difference),
    "equalized_odds": (EqualizedOdds, equalized_odds_difference),
    "equal_opportunity": (EqualOpportunity, equal_opportunity_difference),
}


@st.composite
def labelled_groups(draw, max_groups=4, max_extra=40, weighted=False):
    """Group ids, 0/1 labels, 0/1 predictions and weights.

    One row is added for every (group, label) cell, so that every rate that
    fairlearn computes is defined.
    """
    n_groups = draw(st.integers(2, max_groups))
    extra = draw(st.integers(0, max_extra))
    ints = lambda hi: st.integers(0, hi)  # noqa: E731
    more_groups = draw(arrays(np.int64, extra, elements=ints(n_groups - 1)))
    groups = np.concatenate([np.repeat(np.arange(n_groups), 2), more_groups])
    y = np.concatenate([np.tile([0, 1], n_groups),
                        draw(arrays(np.int64, extra, elements=ints(1)))])
    pred = draw(arrays(np.int64, len(y), elements=ints(1)))
    if weighted:
        weight = draw(arrays(np.float64, len(y), elements=st.integers(1, 4).map(float)))
    else:
        weight = np.ones(len(y))
    return groups, y, pred, weight, n_groups


def _call(penalty, scores, y, groups, weight=None, n_groups=None, losses=None,
          task="classification"):
    weight = torch.ones(len(y)) if weight is None else weight
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    return penalty(scores=scores, y=y, groups=groups, weight=weight,
                   n_groups=n_groups, losses=losses, task=task)


def _hard_scores(pred):
    return torch.nn.functional.one_hot(torch.as_tensor(pred), 2).float()


@pytest.mark.parametrize("name", sorted(NOTION_PENALTIES))
@settings(max_examples=60, deadline=None)
@given(data=labelled_groups(weighted=True))
def test_penalty_on_hard_predictions_equals_fairlearn(name, data):
    groups, y, pred, weight, n_groups = data
    Penalty_, metric = NOTION_PENALTIES[name]
    expected = metric(y, pred, sensitive_features=groups, sample_weight=weight)
    value = _call(Penalty_(), _hard_scores(pred), torch.as_tensor(y),
                  torch.as_tensor(groups), torch.as_tensor(weight, dtype=torch.float32),
                  n_groups)
    assert value.dtype == torch.float32
    assert float(value) == pytest.approx(expected, abs=1e-6)
    # and the numpy face of the same notion
    notion = _notions.NOTIONS[name]
    numpy_value = notion.difference(pred.astype(float), y, groups, weight, n_groups)
    assert float(numpy_value) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=labelled_groups(), seed=st.integers(0, 2**31))
def test_demographic_parity_on_probabilities(data, seed):
    """On soft scores the penalty is the spread of the groups' mean P(y=1)."""
    groups, y, _, _, n_groups = data
    p = np.random.default_rng(seed).uniform(size=len(y)).astype(np.float32)
    scores = torch.tensor(np.column_stack([1 - p, p]))
    value = _call(DemographicParity(), scores, torch.as_tensor(y),
                  torch.as_tensor(groups), n_groups=n_groups)
    means = [p[groups == g].mean() for g in range(n_groups)]
    assert float(value) == pytest.approx(max(means) - min(means), abs=1e-6)


def _grad_of(penalty, logits, y, groups, n_groups, weight=None, losses=None):
    scores = torch.softmax(logits, dim=1)
    value = _call(penalty, scores, y, groups, weight, n_groups,
                  losses=losses if losses is not None else -scores[:, 0].log())
    # Not allow_unused: a penalty cut off from the logits would train nothing,
    # and its gradient must exist for the tests below to check it.
    (grad,) = torch.autograd.grad(value, logits)
    return value.detach(), grad


def _assert_finite_gradient(grad, logits):
    assert grad is not None
    assert grad.shape == logits.shape
    assert torch.isfinite(grad).all()


PENALTY_OBJECTS = [DemographicParity(), EqualizedOdds(), EqualOpportunity(),
                   WorstGroupLoss(), BoundedGroupLoss(), BoundedGroupLoss(bound=0.1)]


@pytest.mark.parametrize("penalty", PENALTY_OBJECTS, ids=repr)
@pytest.mark.parametrize(
    "groups, y",
    [
        # group 2 of 3 absent from the batch
        ([0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 1, 0]),
        # group 1 has no positive label, group 0 no negative one
        ([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0]),
        # one group only
        ([2, 2, 2, 2, 2, 2], [0, 1, 0, 1, 0, 1]),
        # a single row
        ([1], [1]),
    ],
    ids=["missing-group", "missing-label", "one-group", "one-row"],
)
def test_incomplete_batch_is_finite(penalty, groups, y):
    torch.manual_seed(0)
    logits = torch.randn(len(y), 2, requires_grad=True)
    value, grad = _grad_of(penalty, logits, torch.tensor(y), torch.tensor(groups), 3)
    assert torch.isfinite(value)
    _assert_finite_gradient(grad, logits)


@pytest.mark.parametrize("penalty", PENALTY_OBJECTS, ids=repr)
def test_group_with_zero_weight_is_finite(penalty):
    torch.manual_seed(0)
    logits = torch.randn(6, 2, requires_grad=True)
    weight = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    value, grad = _grad_of(penalty, logits, torch.tensor([0, 1, 0, 1, 0, 1]),
                           torch.tensor([0, 0, 0, 1, 1, 1]), 2, weight=weight)
    assert torch.isfinite(value)
    _assert_finite_gradient(grad, logits)




@pytest.mark.parametrize(
    "penalty",
    [DemographicParity(), EqualizedOdds(), EqualOpportunity(),
     pytest.param(WorstGroupLoss()),
     pytest.param(BoundedGroupLoss()),
     BoundedGroupLoss(bound=0.1)],
    ids=repr,
)
def test_batch_with_zero_total_weight_is_finite(penalty):
    torch.manual_seed(0)
    logits = torch.randn(4, 2, requires_grad=True)
    value, grad = _grad_of(penalty, logits, torch.tensor([0, 1, 0, 1]),
                           torch.tensor([0, 0, 1, 1]), 2, weight=torch.zeros(4))
    assert torch.isfinite(value)
    _assert_finite_gradient(grad, logits)


@pytest.mark.parametrize("name", sorted(NOTION_PENALTIES))
def test_incomplete_batch_ignores_absent_groups(name):
    """An absent group is left out, not counted as a rate of 0."""
    scores = _hard_scores([1, 1, 1, 1])
    value = _call(PENALTIES[name](), scores, torch.tensor([0, 1, 0, 1]),
                  torch.tensor([0, 0, 1, 1]), n_groups=5)
    assert float(value) == 0.0


def _multiclass_independent_of_group(seed, n_classes=3, n=20):
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(size=(n, n_classes)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, n_classes, n))
    # Groups 0 and 1 hold identical rows: predictions carry no group signal.
    return (torch.cat([logits, logits]), torch.cat([y, y]),
            torch.tensor([0] * n + [1] * n))


@pytest.mark.parametrize("Penalty_",
                         [DemographicParity, EqualizedOdds, EqualOpportunity])
def test_multiclass_penalty(Penalty_):
    logits, y, groups = _multiclass_independent_of_group(0)
    logits.requires_grad_(True)
    value, grad = _grad_of(Penalty_(), logits, y, groups, 2)
    assert float(value) == pytest.approx(0.0, abs=1e-6)
    assert torch.isfinite(grad).all()
    # Move group 1 towards class 2: a gap appears, and it is the worst
    # class's one-vs-rest gap.
    shifted = logits.detach().clone()
    shifted[groups == 1, 2] += 3.0
    scores = torch.softmax(shifted, 1)
    value = _call(Penalty_(), scores, y, groups, n_groups=2)
    notion = _notions.get_notion(Penalty_.notion)
    per_class = [
        float(notion.difference(scores[:, k], (y == k).long(), groups,
                                torch.ones(len(y)), 2))
        for k in range(3)
    ]
    assert float(value) > 0.05
    assert float(value) == pytest.approx(max(per_class), abs=1e-6)


@st.composite
def group_losses(draw):
    n_groups = draw(st.integers(1, 4))
    n = draw(st.integers(1, 30))
    groups = draw(arrays(np.int64, n, elements=st.integers(0, n_groups - 1)))
    losses = draw(arrays(np.float32, n, elements=st.floats(0, 10, width=32)))
    weight = draw(arrays(np.float32, n, elements=st.integers(1, 3).map(float)))
    return groups, losses, weight, n_groups


def _group_mean_losses(groups, losses, weight):
    return np.array([np.average(losses[groups == g], weights=weight[groups == g])
                     for g in np.unique(groups)])


@settings(max_examples=60, deadline=None)
@given(data=group_losses())
def test_worst_group_loss_is_max_group_mean(data):
    groups, losses, weight, n_groups = data
    value = _call(WorstGroupLoss(), None, torch.zeros(len(groups)),
                  torch.as_tensor(groups), torch.as_tensor(weight), n_groups,
                  losses=torch.as_tensor(losses))
    expected = _group_mean_losses(groups, losses, weight).max()
    assert float(value) == pytest.approx(expected, rel=1e-5, abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(data=group_losses(), bound=st.one_of(st.none(), st.floats(0, 10)))
def test_bounded_group_loss_is_sum_of_excess(data, bound):
    groups, losses, weight, n_groups = data
    value = _call(BoundedGroupLoss(bound=bound), None, torch.zeros(len(groups)),
                  torch.as_tensor(groups), torch.as_tensor(weight), n_groups,
                  losses=torch.as_tensor(losses))
    level = np.average(losses, weights=weight) if bound is None else bound
    excess = np.maximum(_group_mean_losses(groups, losses, weight) - level, 0)
    assert float(value) == pytest.approx(excess.sum(), rel=1e-5, abs=1e-4)


def test_bounded_group_loss_negative_bound_is_refused_before_training():
    with pytest.raises(ValueError, match="'bound' parameter of BoundedGroupLoss"):
        BoundedGroupLoss(bound=-1.0).check_task("classification")
    rng = np.random.default_rng(0)
    X, y, group = rng.normal(size=(20, 2)), np.tile([0, 1], 10), np.repeat([0, 1], 10)
    est = FairTuneClassifier(penalty=BoundedGroupLoss(bound=-1.0), max_epochs=1)
    with pytest.raises(ValueError, match="bound"):
        est.fit(X, y, sensitive_features=group)


def test_regression_demographic_parity_is_mean_prediction_gap():
    pred = torch.tensor([1.0, 3.0, 10.0, 12.0, 5.0])
    value = _call(DemographicParity(), pred, pred, torch.tensor([0, 0, 1, 1, 2]),
                  task="regression")
    assert float(value) == pytest.approx(11.0 - 2.0)


# -- get_penalty ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_get_penalty_by_name(name):
    penalty = get_penalty(name)
    assert isinstance(penalty, Penalty)
    assert penalty.name == name


def test_get_penalty_passes_objects_and_none():
    penalty = BoundedGroupLoss(bound=0.2)
    assert get_penalty(penalty) is penalty
    assert get_penalty(None) is None


@pytest.mark.parametrize("bad", ["demographic-parity", "dp", "", 3])
def test_get_penalty_unknown_lists_valid_names(bad):
    with pytest.raises(ValueError) as info:
        get_penalty(bad)
    for name in PENALTIES:
        assert name in str(info.value)


def test_penalties_are_sklearn_params():
    assert BoundedGroupLoss(bound=0.2).get_params() == {"bound": 0.2}
    assert DemographicParity().get_params() == {}


# -- penalties and tasks -------------------------------------------------------------

@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, X[:, 0] + rng.normal(size=60), rng.integers(0, 2, 60)


@pytest.mark.parametrize("penalty", ["equalized_odds", "equal_opportunity",
                                     EqualizedOdds()], ids=str)
def test_classification_only_penalty_on_regressor(regression, penalty):
    X, y, group = regression
    est = FairTuneRegressor(penalty=penalty, max_epochs=1)
    with pytest.raises(ValueError, match="classification") as info:
        est.fit(X, y, sensitive_features=group)
    # the message offers the penalties that do apply
    assert "demographic_parity" in str(info.value)


@pytest.mark.parametrize("penalty", ["demographic_parity", "worst_group_loss",
                                     "bounded_group_loss"])
def test_regression_penalties_train(regression, penalty):
    X, y, group = regression
    est = FairTuneRegressor(penalty=penalty, max_epochs=2, random_state=0)
    est.fit(X, y, sensitive_features=group)
    assert np.isfinite(est.predict(X)).all()
    assert np.isfinite(est.history_[:, "train_penalty"]).all()


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
def test_each_penalty_trains_a_classifier(penalty):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y, group = (X[:, 0] > 0).astype(int), rng.integers(0, 3, 60)
    est = FairTuneClassifier(penalty=penalty, max_epochs=2, batch_size=16,
                             random_state=0).fit(X, y, sensitive_features=group)
    assert np.isfinite(est.history_[:, "train_penalty"]).all()
    assert np.isfinite(est.predict_proba(X)).all()


@pytest.mark.parametrize("shape", [(40,), (40, 3)])
@pytest.mark.parametrize("n_groups", [1, 2, 5])
@pytest.mark.parametrize("notion_name", ["demographic_parity", "equal_opportunity"])
def test_gap_gradient_is_the_derivative_written_out(shape, n_groups, notion_name):
    # The gap moves with the rows of the highest and the lowest group (of the
    # worst column), each by its share of its group's weight under the
    # notion's condition; autograd of the shared definition must give that.
    notion = _notions.NOTIONS[notion_name]
    gen = torch.Generator().manual_seed(n_groups)
    values = torch.rand(*shape, dtype=torch.float64, generator=gen, requires_grad=True)
    groups = torch.randint(0, n_groups, (40,), generator=gen)
    y = torch.randint(0, 2, (40,), generator=gen)
    weight = torch.rand(40, dtype=torch.float64, generator=gen)
    gap = notion.difference(values, y, groups, weight, n_groups)
    grad = (torch.autograd.grad(gap, values)[0] if gap.requires_grad
            else torch.zeros_like(values))
    v, g, w = values.detach().numpy(), groups.numpy(), weight.numpy()
    if notion_name == "equal_opportunity":
        w = w * (y.numpy() == 1)
    table = v if v.ndim == 2 else v[:, None]
    totals = np.bincount(g, weights=w, minlength=n_groups)
    means = np.stack([np.bincount(g, weights=w * c, minlength=n_groups) for c in table.T], 1)
    present = totals > 0
    means = means / np.where(present, totals, 1.0)[:, None]
    expected = np.zeros_like(table)
    if present.sum() >= 2:
        high = np.where(present[:, None], means, -np.inf)
        low = np.where(present[:, None], means, np.inf)
        column = int(np.argmax(high.max(0) - low.min(0)))
        hi, lo = high[:, column].argmax(), low[:, column].argmin()
        expected[:, column] = w * ((g == hi) * 1.0 - (g == lo)) / totals[g]
        assert float(gap) == pytest.approx(means[hi, column] - means[lo, column])
    else:
        assert float(gap) == 0.0
    np.testing.assert_allclose(grad.numpy().reshape(expected.shape), expected, atol=1e-12)


def test_predictive_parity_penalty_is_the_soft_precision_gap():
    p = torch.tensor([0.9, 0.2, 0.6, 0.5, 0.1, 0.7], dtype=torch.float64,
                     requires_grad=True)
    y = torch.tensor([1, 0, 1, 0, 1, 1])
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    scores = torch.stack([1 - p, p], dim=1)
    value = _call(get_penalty("predictive_parity"), scores, y, groups,
                  torch.ones(6, dtype=torch.float64))
    soft = [float((p[groups == k] * y[groups == k]).sum() / p[groups == k].sum())
            for k in (0, 1)]
    assert float(value) == pytest.approx(abs(soft[0] - soft[1]))
    value.backward()
    assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


# -- deterministic group sums --------------------------------------------------

# What adds with atomics on a GPU, in an order that changes from run to run
# (torch.use_deterministic_algorithms refuses the weighted bincount there, and
# lets index_add_ through only by a slower kernel).
_ATOMIC_ON_CUDA = {"index_add", "index_add_", "scatter_add", "scatter_add_",
                   "index_put_", "put_", "histc"}


class _RefuseGpuAtomics(torch.overrides.TorchFunctionMode):
    """On the CPU, refuse what a GPU would compute by atomic adds."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        weighted_bincount = name == "bincount" and (
            kwargs.get("weights") is not None or len(args) > 1)
        if name in _ATOMIC_ON_CUDA or weighted_bincount:
            raise RuntimeError(f"{name} adds with atomics on a GPU")
        return func(*args, **kwargs)


@pytest.fixture
def deterministic():
    torch.use_deterministic_algorithms(True)
    try:
        with _RefuseGpuAtomics():
            yield
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("name", sorted(PENALTIES))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_every_penalty_adds_in_a_fixed_order(name, n_classes, deterministic):
    """The group sums of every penalty, and of their gradients, use no atomic
    adds: the same numbers on every run of a GPU, and torch's deterministic
    mode accepts them."""
    gen = torch.Generator().manual_seed(0)
    n = 64
    logits = torch.randn(n, n_classes, generator=gen, requires_grad=True)
    y = torch.randint(0, n_classes, (n,), generator=gen)
    groups = torch.randint(0, 3, (n,), generator=gen)
    weight = torch.rand(n, generator=gen)
    losses = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    value = get_penalty(name)(scores=torch.softmax(logits, 1), y=y, groups=groups,
                              weight=weight, n_groups=3, losses=losses,
                              task="classification")
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()


def test_group_sums_of_tensors_equal_numpys():
    from skfairtune._group_stats import segment_sum

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 4, 50)
    for values in (rng.normal(size=50), rng.normal(size=(50, 3))):
        np.testing.assert_allclose(
            segment_sum(torch.from_numpy(values), torch.from_numpy(ids), 5).numpy(),
            segment_sum(values, ids, 5), rtol=1e-12, atol=1e-12)
