"""The skorch network that fine-tunes with a fairness penalty.

skorch hands fit parameters to the module whole, not per batch, so the group
ids and sample weights travel *with the rows*: :class:`GroupDataset` holds
them beside ``X`` and ``y``, and every batch carries its own. Batches are cut
by indexing whole tensors (:class:`TensorBatches`) rather than by a
``DataLoader`` that collates row by row, which is most of the cost a plain
PyTorch loop does not pay.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring
from torch.utils.data import Dataset, Subset

from skfairtune.exceptions import DivergenceError
from skfairtune.pretrained import first_non_finite

_PHASES = {"train": "training", "valid": "validation"}
# The network computes in float32: what exceeds this becomes inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)


class GroupDataset(Dataset):
    """Tensors of features, targets, group ids and sample weights.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
    y : Tensor or None
    groups : Tensor of int64, or None
    weight : Tensor of float, or None
    """

    def __init__(self, X, y=None, groups=None, weight=None):
        self.X, self.y, self.groups, self.weight = X, y, groups, weight

    def __len__(self) -> int:
        return len(self.X)

    def take(self, index) -> GroupDataset:
        """The rows at ``index``, as a new dataset."""
        pick = (lambda t: None if t is None else t[index])  # noqa: E731
        return GroupDataset(pick(self.X), pick(self.y), pick(self.groups), pick(self.weight))

    def batch(self, index=None):
        """``(X_dict, y)`` for the rows at ``index`` (all rows when None)."""
        part = self if index is None else self.take(index)
        X = {"X": part.X}
        if part.weight is not None:
            X["groups"], X["weight"] = part.groups, part.weight
        return X, part.y

    def __getitem__(self, i):
        return self.batch(i)


def _resolve(dataset) -> GroupDataset:
    """Flatten the ``Subset`` that skorch's validation split returns."""
    if isinstance(dataset, Subset):
        return _resolve(dataset.dataset).take(torch.as_tensor(dataset.indices))
    if not isinstance(dataset, GroupDataset):
        raise TypeError(f"expected a GroupDataset, got {type(dataset).__name__}")
    return dataset


class TensorBatches:
    """Mini-batches cut from whole tensors, optionally group-stratified.

    With ``stratify=True`` each epoch interleaves the groups, so that every
    batch holds each group in proportion to its size and a small group is
    seen in every batch, not in a lucky few.
    """

    def __init__(self, dataset, batch_size, shuffle=False, stratify=False, seed=0):
        self.dataset = _resolve(dataset)
        self.batch_size = batch_size
        self.shuffle, self.stratify = shuffle, stratify
        self.generator = torch.Generator().manual_seed(int(seed))

    def __len__(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return None
        if self.stratify and self.dataset.groups is not None:
            return _stratified_order(self.dataset.groups, self.generator)
        return torch.randperm(n, generator=self.generator)

    def __iter__(self):
        order = self._order()
        # One gather of the whole epoch, then batches are views: far cheaper
        # than a gather of every tensor for every batch.
        data = self.dataset if order is None else self.dataset.take(order)
        for start in range(0, len(data), self.batch_size):
            yield data.batch(slice(start, start + self.batch_size))


def _stratified_order(groups, generator):
    # Each row's position within its group, shuffled and scaled to [0, 1):
    # sorting by it deals the groups out evenly across the epoch.
    n = len(groups)
    perm = torch.randperm(n, generator=generator)
    shuffled = groups[perm]
    counts = torch.bincount(shuffled)
    order_in_group = torch.argsort(torch.argsort(shuffled, stable=True), stable=True)
    starts = torch.cumsum(counts, 0) - counts
    rank = order_in_group - starts[shuffled]
    jitter = torch.rand(n, generator=generator, dtype=torch.float64)
    position = (rank.double() + jitter) / counts[shuffled].double()
    return perm[torch.argsort(position)]


class FairNet(NeuralNet):
    """A skorch ``NeuralNet`` whose loss adds a fairness penalty per batch.

    The estimators build and drive it; users configure it through the
    estimators' parameters.

    Parameters
    ----------
    *args, **kwargs
        As for ``skorch.NeuralNet``.
    penalty : Penalty or None
        The penalty; None trains on the loss alone.
    penalty_strength : float
        The penalty's weight (the starting multiplier when ``max_gap`` is set).
    max_gap : float or None
        Constraint mode: the largest penalty value accepted. The multiplier
        then rises while the batch's penalty exceeds it and falls otherwise
        (projected gradient ascent on the Lagrangian), staying >= 0.
    multiplier_lr : float
        Step size of the multiplier's updates.
    task : {"classification", "regression"}
    stratify : bool
        Group-stratified batches.
    seed : int
        Seed of the batch order.
    """

    def __init__(self, *args, penalty=None, penalty_strength=0.0, max_gap=None,
                 multiplier_lr=1.0, task="classification", stratify=False, seed=0,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.penalty = penalty
        self.penalty_strength = penalty_strength
        self.max_gap = max_gap
        self.multiplier_lr = multiplier_lr
        self.task = task
        self.stratify = stratify
        self.seed = seed
        self.multiplier = float(penalty_strength)
        self.n_groups = 1
        self.n_iterators = 0
        # The last training batch's penalty weight and value, so that a
        # divergence can be blamed on the penalty when it is the cause.
        self.penalty_term_ = None
        self.float64_ok_ = True

    def get_default_callbacks(self):
        return [
            *super().get_default_callbacks(),
            ("train_penalty", PassthroughScoring(name="train_penalty", on_train=True)),
        ]

    def _set_training(self, training=True):
        # skorch sets the mode on every batch; walking the module tree each
        # time costs as much as a small network's forward pass. Module.train
        # sets every submodule, so the top-level flags tell the mode.
        modules = [getattr(self, name + "_") for name in self._modules + self._criteria]
        if any(isinstance(m, torch.nn.Module) and m.training != training for m in modules):
            super()._set_training(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch loop, reading batch sizes off our batches directly.

        skorch measures each batch by walking its (dict) structure, a cost
        per batch that a plain PyTorch loop does not pay.
        """
        if iterator is None:
            return
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].item()
            # The value is read anyway; a NaN caught here is free, one caught
            # after fit would have predicted a single class everywhere.
            if not math.isfinite(loss):
                raise DivergenceError(self._divergence_message(
                    f"the {_PHASES[prefix]} loss became {loss} at epoch {len(self.history)}, "
                    f"batch {batch_count + 1}{self._blame()}"
                ))
            self.history.record_batch(prefix + "_loss", loss)
            self.history.record_batch(prefix + "_batch_size", len(batch[0]["X"]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            batch_count += 1
        self.history.record(prefix + "_batch_count", batch_count)

    def initialize_optimizer(self, *args, **kwargs):
        # With every parameter frozen there is nothing to optimise, and torch
        # refuses an empty list; the estimator lets that pass only when no
        # training step is asked for (max_epochs=0).
        if next(iter(self.get_all_learnable_params()), None) is None:
            self.optimizer_ = None
            return self
        return super().initialize_optimizer(*args, **kwargs)

    def check_finite_weights(self) -> None:
        """Raise :class:`DivergenceError` if a weight is NaN or infinite.

        The last step of training has no loss after it to reveal that it
        diverged; this looks at the weights themselves.
        """
        name = first_non_finite(self.module_.state_dict())
        if name is not None:
            raise DivergenceError(self._divergence_message(
                f"the network's {name!r} holds NaN or infinite values after "
                f"epoch {len(self.history)}"
            ))

    # A training loss that ends this many times above where it started has
    # blown up: the weights are finite but huge, and the network answers 0 or
    # 1 with full confidence (lr=1e6 does this with adam, without any NaN).
    EXPLOSION = 1000.0

    def check_loss_did_not_explode(self, start: int) -> None:
        """Raise :class:`DivergenceError` if the training loss blew up since epoch ``start``.

        Compares the first training batch of this call with the mean of its
        last epoch; a rise of :attr:`EXPLOSION` times is divergence that no
        NaN reveals.
        """
        epochs = self.history[start:]
        if not epochs or not epochs[0]["batches"] or "train_loss" not in epochs[-1]:
            return
        batches = [b for b in epochs[0]["batches"] if "train_loss" in b]
        if not batches:
            return
        first, last = batches[0]["train_loss"], epochs[-1]["train_loss"]
        if last > self.EXPLOSION * max(first, 1e-3):
            raise DivergenceError(self._divergence_message(
                f"the training loss grew from {first:.3g} at the first batch to "
                f"{last:.3g} at epoch {len(self.history)}"
            ))

    def _blame(self) -> str:
        if self.penalty_term_ is None:
            return ""
        weight, value = self.penalty_term_
        # A NaN penalty only echoes NaN outputs; a finite one can still
        # overflow once weighted.
        if math.isfinite(value) and not abs(weight * value) <= FLOAT32_MAX:
            return (f" (the penalty term, {weight:.3g} times a penalty of {value:.3g}, "
                    "overflowed float32)")
        return ""

    def _divergence_message(self, what: str) -> str:
        fixes = ["scale X (StandardScaler() before the estimator in a Pipeline)"]
        if self.task == "regression":
            fixes.append("scale y (TransformedTargetRegressor(transformer=StandardScaler()))")
        fixes.append(f"lower lr (now {self.lr:g})")
        if self.penalty is not None:
            fixes.append(f"lower penalty_strength (now {self.penalty_strength:g})")
            if self.max_gap is not None:
                fixes.append(f"lower multiplier_lr (now {self.multiplier_lr:g})")
        return (
            f"Training diverged: {what}. The network's outputs would be NaN or "
            f"meaningless, so fitting stopped. To fix it: {'; or '.join(fixes)}."
        )

    def get_all_learnable_params(self):
        # Frozen parameters never reach the optimizer, so nothing (not even
        # weight decay) can move them.
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    def get_iterator(self, dataset, training=False):
        self.n_iterators += 1
        return TensorBatches(
            dataset, self.batch_size if self.batch_size > 0 else len(dataset),
            shuffle=training, stratify=training and self.stratify,
            seed=self.seed + self.n_iterators,
        )

    def infer(self, x, **fit_params):
        return self.module_(x["X"].to(self.device))

    def forward_float64(self, dataset) -> torch.Tensor:
        """The network's outputs on ``dataset``, computed in float64.

        float32 matrix kernels round differently with the number of rows and
        a row's place among them, so a row's float32 output changes in its
        last digits with the rows predicted beside it. From the same
        (float32) weights in float64 those differences are some 1e-16, far
        below what float64 results are compared at. A network that cannot
        run in float64 (one that makes float32 tensors of its own) runs in
        float32.
        """
        if not self.float64_ok_:
            return self.forward(dataset)
        module = self.module_
        state = {name: t.double() if t.is_floating_point() else t
                 for name, t in (*module.named_parameters(), *module.named_buffers())}
        self._set_training(False)
        outputs = []
        try:
            with torch.no_grad():
                for batch in self.get_iterator(dataset, training=False):
                    X = batch[0]["X"].to(self.device, torch.float64)
                    outputs.append(torch.func.functional_call(module, state, (X,)))
        except (RuntimeError, TypeError):
            self.float64_ok_ = False
            return self.forward(dataset)
        return torch.cat(outputs)

    def scores(self, y_pred):
        """What the penalty reads: class probabilities, or the predictions."""
        if self.task == "classification":
            return torch.softmax(y_pred, dim=1)
        return y_pred.squeeze(1) if y_pred.shape[1] == 1 else y_pred

    def get_loss(self, y_pred, y_true, X=None, training=False):
        self.penalty_term_ = None
        y_true = y_true.to(self.device)
        losses = self.criterion_(y_pred, y_true)
        if losses.ndim > 1:  # regression with several targets
            losses = losses.mean(dim=tuple(range(1, losses.ndim)))
        if X is None or "weight" not in X:
            return losses.mean()
        weight = X["weight"].to(self.device)
        # A batch whose rows all weigh 0 contributes nothing, not 0/0.
        loss = (losses * weight).sum() / weight.sum().clamp_min(1e-12)
        # Skipping the penalty at strength 0 makes that fit bit-identical to
        # one without a penalty.
        inactive = self.multiplier == 0 and self.max_gap is None
        if self.penalty is None or self.n_groups < 2 or inactive:
            return loss
        value = self._penalty_value(y_pred, y_true, X, weight, losses)
        if training:
            self.history.record_batch("train_penalty", value.item())
            self._update_multiplier(value.item())
            self.penalty_term_ = (self.multiplier, value.item())
        return loss + self.multiplier * value

    def predict_proba(self, X):
        """Class probabilities (classification) or predictions, as numpy.

        skorch's scoring callbacks call this and :meth:`predict` with the
        net's own datasets, whose targets are class indices.
        """
        # Training-time scoring replays the cached outputs of training steps,
        # which still carry their graph.
        out = self.forward(X).detach().cpu()
        return torch.softmax(out, dim=1).numpy() if self.task == "classification" else out.numpy()

    def predict(self, X):
        """Class indices (classification) or predictions, as numpy."""
        out = self.predict_proba(X)
        return out.argmax(axis=1) if self.task == "classification" else out

    def _penalty_value(self, y_pred, y_true, X, weight, losses):
        groups = X["groups"].to(self.device)
        return self.penalty(
            scores=self.scores(y_pred), y=y_true, groups=groups, weight=weight,
            n_groups=self.n_groups, losses=losses, task=self.task,
        )

    def _update_multiplier(self, value: float) -> None:
        if self.max_gap is None:
            return
        step = self.multiplier_lr * (value - self.max_gap)
        self.multiplier = max(0.0, self.multiplier + step)
        self.history.record_batch("multiplier", self.multiplier)


def to_tensor_data(X, y, groups, weight, *, task):
    """Build a :class:`GroupDataset` from validated numpy arrays."""
    y_t = None
    if y is not None:
        y_t = torch.tensor(y, dtype=torch.long if task == "classification" else torch.float32)
    g_t = None if groups is None else torch.as_tensor(np.asarray(groups), dtype=torch.long)
    w_t = None if weight is None else torch.as_tensor(np.asarray(weight), dtype=torch.float32)
    # torch.tensor copies: the arrays may be read-only memory maps.
    return GroupDataset(torch.tensor(X, dtype=torch.float32), y_t, g_t, w_t)
