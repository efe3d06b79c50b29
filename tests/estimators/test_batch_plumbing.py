"""What each training batch costs beyond the step itself: notifications and cutting."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skfairtune import FairTuneClassifier
from skfairtune._torch_data import GroupDataset, TensorBatches, to_tensor_data


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    group = rng.integers(0, 2, 400)
    return X, (X[:, 0] + 0.5 * group > 0).astype(int), group


class _BatchCounter(Callback):
    def on_train_begin(self, net, **kwargs):
        self.ends_, self.grads_ = [], []

    def on_batch_end(self, net, training=False, **kwargs):
        self.ends_.append(training)

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.grads_.append(len(list(named_parameters)))


def _fit(data, callbacks, **params):
    X, y, group = data
    params = {"penalty": None, "max_epochs": 2, "lr": 0.01, **params}
    return FairTuneClassifier(batch_size=100, random_state=0, callbacks=callbacks,
                              **params).fit(X, y, sensitive_features=group)


def test_a_callback_with_a_batch_method_hears_every_batch(data):
    est = _fit(data, [("count", _BatchCounter())])
    ends = dict(est.net_.callbacks_)["count"].ends_
    # Without a penalty 40 rows are held out: 360 training rows in batches of 100,
    # then one validation batch, per epoch.
    assert ends == [True] * 4 + [False] + [True] * 4 + [False]
    # After each training batch's backward pass, with the MLP's 4 parameters.
    assert dict(est.net_.callbacks_)["count"].grads_ == [4] * 8


def test_a_batch_method_set_on_the_instance_is_heard(data):
    heard = []
    callback = Callback()
    callback.on_batch_begin = lambda net, **kwargs: heard.append(kwargs["training"])
    _fit(data, [callback], penalty="demographic_parity", max_epochs=1)
    assert heard == [True] * 4  # a fixed penalty trains on every row, without a slice


def test_callbacks_without_batch_methods_are_not_called_per_batch(data, monkeypatch):
    calls = []
    for name in ("on_batch_begin", "on_batch_end", "on_grad_computed"):
        monkeypatch.setattr(Callback, name, lambda self, net, **kw: calls.append(self))
    est = _fit(data, [])
    assert len(est.net_.callbacks_) > 3  # skorch's and ours, none of them listening
    assert calls == []


def test_an_epoch_is_cut_with_one_gather_and_views(monkeypatch):
    dataset = GroupDataset({"a": torch.arange(9.0)[:, None], "b": torch.arange(9)},
                           torch.arange(9), torch.arange(9) % 2, torch.ones(9))
    takes = []
    take = GroupDataset.take
    monkeypatch.setattr(GroupDataset, "take",
                        lambda self, index: takes.append(index) or take(self, index))
    batches = list(TensorBatches(dataset, 4, shuffle=True, seed=0))
    assert len(takes) == 1  # the epoch's shuffle, not one per batch
    # A last batch of one row joins the one before it.
    assert [len(X) for X, _ in batches] == [4, 5]
    order = torch.cat([y for _, y in batches])
    assert sorted(order.tolist()) == list(range(9))
    for X, y in batches:
        assert torch.equal(X.X["b"], y) and torch.equal(X.X["a"][:, 0].long(), y)
        assert torch.equal(X.groups, y % 2) and X.weight.shape == y.shape


def test_an_empty_dataset_gives_no_batch():
    dataset = GroupDataset(torch.zeros(0, 3), torch.zeros(0), None, None)
    assert list(TensorBatches(dataset, 4)) == []


def test_inference_cuts_the_rows_into_views_in_order(data, monkeypatch):
    X, y, group = data
    net = _fit(data, []).net_
    dataset = to_tensor_data(X, y, group, None, y_dtype=torch.long)
    whole = net.forward_float64(dataset, batch_size=len(X))
    takes = []
    take = GroupDataset.take
    monkeypatch.setattr(GroupDataset, "take",
                        lambda self, index: takes.append(index) or take(self, index))
    in_batches = net.forward_float64(dataset, batch_size=64)
    assert takes == []
    torch.testing.assert_close(in_batches, whole)


def _rows(n=9):
    return GroupDataset(torch.arange(float(n))[:, None], torch.arange(n), torch.arange(n) % 2,
                        torch.ones(n))


def test_rows_that_do_not_fit_on_the_device_stay_on_the_host(monkeypatch):
    def out_of_memory(self, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    dataset = _rows()
    monkeypatch.setattr(GroupDataset, "_moved", out_of_memory)
    assert dataset.to("meta") is dataset
    with pytest.raises(torch.OutOfMemoryError):  # on the host there is nowhere else
        dataset.to("cpu")


def test_rows_on_the_host_are_streamed_to_the_device_a_batch_at_a_time():
    # The meta device stands in for an accelerator: it takes copies, not values.
    batches = list(TensorBatches(_rows(), 4, device="meta"))
    assert [len(y) for _, y in batches] == [4, 4, 1]
    for X, y in batches:
        assert {t.device.type for t in (X.X, X.groups, X.weight, y)} == {"meta"}
    on_the_host = list(TensorBatches(_rows(), 4, device="cpu"))
    assert all(X.X.device.type == "cpu" for X, _ in on_the_host)


class _PenaltyWatch(Callback):
    """Whether the batch's penalty is on record after the backward pass, and after the batch."""

    def on_train_begin(self, net, **kwargs):
        self.seen_ = []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.seen_.append(("after backward", "train_penalty" in net.history[-1]["batches"][-1]))

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.seen_.append(("after the batch", net.history[-1]["batches"][-1]["train_penalty"]))


def test_the_penalty_is_read_on_the_host_after_the_step_not_before_backward(data):
    est = _fit(data, [("watch", _PenaltyWatch())], penalty="demographic_parity",
               max_epochs=1)
    seen = dict(est.net_.callbacks_)["watch"].seen_
    assert [when for when, _ in seen] == ["after backward", "after the batch"] * 4
    assert not any(value for when, value in seen if when == "after backward")
    recorded = [value for when, value in seen if when == "after the batch"]
    assert all(isinstance(v, float) and v >= 0 for v in recorded)
    assert recorded == [b["train_penalty"] for b in est.history_[-1]["batches"]]
