"""The penalties' group sums on a training batch: one pass for several rates (equalized
odds' two), and no read of the batch on the host."""

import numpy as np
import pytest
import torch

from skfairtune import _group_stats
from skfairtune._group_stats import group_means, rates_group_means
from skfairtune.penalties import BoundedGroupLoss, EqualizedOdds, WorstGroupLoss


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


def _loss_table():
    losses = torch.tensor([0.5, 1.5, 2.0, 0.1, 0.3], requires_grad=True)
    return losses, torch.tensor([0, 0, 1, 2, 2]), torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0])


def test_the_worst_group_of_tensors_leaves_absent_groups_out():
    losses, groups, weight = _loss_table()  # group 1 weighs nothing
    worst = _group_stats.worst_group(losses, groups, weight, 3, largest=True)
    best = _group_stats.worst_group(losses, groups, weight, 3, largest=False)
    assert worst.item() == 1.0 and abs(best.item() - 0.2) < 1e-7
    grad, = torch.autograd.grad(worst, losses)
    assert grad.tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    none = _group_stats.worst_group(losses, groups, torch.zeros(5), 3)
    assert none.item() == 0.0
    assert torch.autograd.grad(none, losses)[0].tolist() == [0.0] * 5


def test_the_worst_group_of_tensors_never_reads_them_on_the_host():
    # Meta tensors have no values: a boolean index or a bool() of one raises.
    losses, groups, weight = (t.detach().to("meta") for t in _loss_table())
    worst = _group_stats.worst_group(losses, groups, weight, 3)
    assert worst.shape == () and worst.device.type == "meta"


# Group 1 weighs nothing: only groups 0 (mean loss 1.0) and 2 (0.2) count; the
# overall mean loss, the default bound, is 0.6.
@pytest.mark.parametrize("penalty, expected", [
    (WorstGroupLoss(), 1.0), (BoundedGroupLoss(), 0.4), (BoundedGroupLoss(bound=0.1), 1.0)])
def test_group_loss_penalties_never_read_the_batch_on_the_host(penalty, expected):
    losses, groups, weight = _loss_table()
    value = penalty(scores=None, y=None, groups=groups, weight=weight, n_groups=3,
                    losses=losses, task="classification")
    assert abs(value.item() - expected) < 1e-6
    meta = penalty(scores=None, y=None, groups=groups.to("meta"), weight=weight.to("meta"),
                   n_groups=3, losses=losses.detach().to("meta"), task="classification")
    assert meta.shape == ()
