"""Several rates of one notion share one pass of group sums (equalized odds' two)."""

import numpy as np
import torch

from skfairtune import _group_stats
from skfairtune._group_stats import group_means, rates_group_means
from skfairtune.penalties import EqualizedOdds


def _terms(n=12):
    gen = torch.Generator().manual_seed(0)
    p = torch.rand(n, generator=gen, requires_grad=True)
    y = torch.tensor([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1])[:n]
    # Group 2 has positives only: the false positive rate has no mean there.
    groups = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 2, 2])[:n]
    weight = torch.rand(n, generator=gen)
    return p, groups, [(p, weight * (y == 1)), (p, weight * (y == 0))]


def test_shared_sums_give_each_rates_own_means_and_gradients():
    p, groups, terms = _terms()
    shared = rates_group_means(terms, groups, 3)
    alone = [group_means(v, groups, w, 3) for v, w in terms]
    for (means, present), (means_1, present_1) in zip(shared, alone):
        torch.testing.assert_close(means, means_1)
        assert torch.equal(present, present_1)
    assert shared[1][1].tolist() == [True, True, False]
    grad, = torch.autograd.grad(sum(m.sum() for m, _ in shared), p)
    grad_1, = torch.autograd.grad(sum(m.sum() for m, _ in alone), p)
    torch.testing.assert_close(grad, grad_1)


def test_numpy_rates_are_averaged_one_at_a_time():
    p, groups, terms = _terms()
    terms = [(v.detach().numpy(), w.numpy()) for v, w in terms]
    for (means, present), (v, w) in zip(rates_group_means(terms, groups.numpy(), 3), terms):
        expected, expected_present = group_means(v, groups.numpy(), w, 3)
        np.testing.assert_array_equal(means, expected)
        np.testing.assert_array_equal(present, expected_present)


def test_the_equalized_odds_penalty_makes_one_pass_over_the_rows(monkeypatch):
    masks = []
    one_hot = _group_stats._one_hot
    monkeypatch.setattr(_group_stats, "_one_hot", lambda *a: masks.append(a) or one_hot(*a))
    p, groups, _ = _terms()
    y = torch.tensor([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1])
    EqualizedOdds()(scores=torch.stack([1 - p, p], 1), y=y, groups=groups,
                    weight=torch.ones(12), n_groups=3, losses=None, task="classification")
    assert len(masks) == 1  # the true and false positive rates' sums at once
