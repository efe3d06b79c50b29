"""The skorch networks that fine-tune with a fairness penalty, one per task.

:class:`FairNet` adds the penalty to skorch's loss and refuses a training
that diverges; :class:`FairClassifierNet` and :class:`FairRegressorNet` each
own a task object (``task_type``, :mod:`skfairtune._tasks`), which says how
outputs become the penalty's scores and the predictions, and hold the rest
of what differs: the targets' dtype, a row's loss, the advice when training
diverges. All
of it sits in skorch's public hooks (``get_loss``, ``train_step_single``,
``validation_step``, ``get_iterator``, ``infer``, ``on_batch_end``); skorch's
own loops run the epochs. The rows come with their group ids and weights in a
:class:`~skfairtune._torch_data.GroupDataset`, and each batch's ``X`` is a
:class:`~skfairtune._torch_data.GroupBatch`.
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
import threading

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring
from skorch.dataset import unpack_data

from skfairtune._tasks import BINARY, REGRESSION, Task
from skfairtune._torch_data import (
    FLOAT32_MAX,
    TensorBatches,
    call_module,
    features_to,
    resolve,
)
from skfairtune.exceptions import DivergenceError
from skfairtune.pretrained import first_non_finite

_PHASES = {"train": "training", "valid": "validation"}
# Held while a net makes its inference copy, so that threads predicting at
# once make one copy between them, not one each.
_INFERENCE_LOCK = threading.Lock()
# What torch says when an operation meets tensors of two dtypes.
_DTYPE_WORDS = re.compile(r"dtype|scalar type|\b(double|float)\b", re.IGNORECASE)
# The notifications skorch sends once per batch (the last after the backward pass).
_PER_BATCH = ("on_batch_begin", "on_batch_end", "on_grad_computed")
# Inference's rows per forward pass, at most, when rows are small: more
# rows a pass cost more time per row than they saved (measured on 20
# features), and the values a pass bound its memory for wide rows.
_INFERENCE_ROWS = 1024
_INFERENCE_VALUES = 2**20
# The estimators' ``precision``: the dtype of the forward pass's autocast
# (None: none, float32 throughout).
AUTOCAST_DTYPES = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}


def make_grad_scaler(device_type: str):
    """float16's loss scaler for a device type (before torch 2.3, CUDA's only)."""
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device_type)
    return torch.cuda.amp.GradScaler()


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is torch running out of memory, on a GPU or on the host."""
    message = str(exc)
    return isinstance(exc, torch.OutOfMemoryError) or (
        "out of memory" in message or "can't allocate memory" in message)


def is_dtype_error(exc: BaseException) -> bool:
    """Whether ``exc`` is torch refusing to mix floating-point dtypes.

    What a network that makes float32 tensors of its own raises in float64;
    an out-of-memory error, or any other, is not one.
    """
    return not is_out_of_memory(exc) and _DTYPE_WORDS.search(str(exc)) is not None


def _weights_key(module: torch.nn.Module) -> tuple:
    """What identifies the module's weights: a tensor, its storage and its
    in-place version (which an optimiser step or ``load_state_dict`` bumps)."""
    return tuple((id(t), t.data_ptr(), t._version)
                 for t in (*module.parameters(), *module.buffers()))


def _copy_for_inference(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """A copy of ``module`` in evaluation mode, its floating-point tensors in ``dtype``."""
    twin = copy.deepcopy(module)
    for param in twin.parameters():
        param.grad = None
    return twin.eval().requires_grad_(False).to(dtype)


def _listens(callback, method_name: str) -> bool:
    """Whether ``callback`` does something on ``method_name``: a method of its
    own, on its class or on the instance, rather than ``Callback``'s no-op."""
    noop = getattr(Callback, method_name)
    return (getattr(type(callback), method_name, None) is not noop
            or method_name in getattr(callback, "__dict__", {}))


class FairNet(NeuralNet):
    """A skorch ``NeuralNet`` whose loss adds a fairness penalty per batch.

    The estimators build and drive a subclass, one per task; users configure
    it through the estimators' parameters.

    Parameters
    ----------
    *args, **kwargs
        As for ``skorch.NeuralNet``.
    penalty : Penalty or None
        The penalty; None trains on the loss alone.
    penalty_strength : float
        The penalty's weight (the starting multiplier when ``max_gap`` is set).
    max_gap : float or None
        Constraint mode: the budget on the hard-prediction gap. The
        estimators add a :class:`~skfairtune.estimators._budget.BudgetKeeper`
        callback that moves the multipliers by the held-out gap after each
        epoch (``group_multipliers``, one per group, for a notion's gap with
        two classes or for regression; else ``multiplier``); within an epoch
        they stay as they are.
    multiplier_lr : float
        Step size of the multiplier's updates.
    stratify : bool
        Group-stratified batches.
    seed : int
        Seed of the batch order.
    precision : {"float32", "bfloat16", "float16"}
        The dtype of the forward pass and the task loss, under
        ``torch.autocast`` on the net's device; the weights, the penalty and
        the multipliers stay float32, and float16 scales the loss
        (``grad_scaler_``).

    Attributes
    ----------
    task_type : Task
        What differs by task (:mod:`skfairtune._tasks`): the outputs'
        layout, the penalty's scores, the predictions, the gaps; for a
        classifier, binary until :meth:`~skfairtune._tasks.Task.for_outputs`
        says how many classes the outputs have.
    task : str
        The task's name, as the penalties and ``FairnessMonitor`` name it.
    target_dtype : torch.dtype
        The dtype of the targets that the loss takes.
    grad_scaler_ : torch.amp.GradScaler or None
        float16's loss scaler, kept across ``partial_fit`` calls; None
        for the other precisions.
    """

    task_type: Task
    target_dtype: torch.dtype = torch.float32
    # What to scale when training diverges, before the settings to lower.
    SCALING_FIXES: tuple[str, ...] = (
        "scale X (StandardScaler() before the estimator in a Pipeline)",
    )

    def __init__(self, *args, penalty=None, penalty_strength=0.0, max_gap=None,
                 multiplier_lr=1.0, stratify=False, seed=0, precision="float32", **kwargs):
        super().__init__(*args, **kwargs)
        self.penalty = penalty
        self.penalty_strength = penalty_strength
        self.max_gap = max_gap
        self.multiplier_lr = multiplier_lr
        self.stratify = stratify
        self.seed = seed
        self.precision = precision
        self.grad_scaler_ = None
        self.multiplier = float(penalty_strength)
        # Constraint mode's per-group multipliers, set by the BudgetKeeper.
        self.group_multipliers = None
        # Whether some rows' group is unknown (missing_groups="ignore"): set
        # by the estimator with n_groups.
        self.groups_missing = False
        self.n_groups = 1
        self.n_iterators = 0
        # The last training batch's penalty weight and value, so that a
        # divergence can be blamed on the penalty when it is the cause.
        self.penalty_term_ = None
        self.float64_ok_ = True

    @property
    def task(self) -> str:
        return self.task_type.name

    def scores(self, y_pred: torch.Tensor) -> torch.Tensor:
        """What the penalty reads of the network's outputs ``y_pred``."""
        return self.task_type.scores(y_pred)

    def get_default_callbacks(self):
        return [
            *super().get_default_callbacks(),
            ("train_penalty", PassthroughScoring(name="train_penalty", on_train=True)),
            # The validation loss without the penalty: what early stopping
            # judges an epoch by. The penalised loss favours the first epochs,
            # whose near-constant outputs have a small gap and a loss that is
            # no worse yet: it would bring back an untrained network.
            ("valid_task_loss", PassthroughScoring(name="valid_task_loss")),
        ]

    # -- the steps ----------------------------------------------------------
    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``, which sends a batch's notifications only to the
        callbacks that do something with them.

        skorch calls every callback three times per training batch; the
        default ones (the epoch timer, the scorings, the log, early stopping)
        do nothing then, yet the calls cost tens of microseconds a batch, a
        few percent of a small network's step.
        """
        if method_name not in _PER_BATCH:
            super().notify(method_name, **cb_kwargs)
            return
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._batch_listeners(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _batch_listeners(self, method_name: str) -> list:
        """The callbacks whose ``method_name`` is not skorch's ``Callback``'s no-op.

        Worked out again whenever ``callbacks_`` is another list or changes length.
        """
        callbacks = self.callbacks_
        cache = self.__dict__.setdefault("_listeners_cache_", {})
        cached = cache.get(method_name)
        if cached is None or cached[0] is not callbacks or cached[1] != len(callbacks):
            listeners = [cb for _, cb in callbacks if _listens(cb, method_name)]
            cache[method_name] = cached = (callbacks, len(callbacks), listeners)
        return cached[2]

    def _ensure_mode(self, training: bool) -> None:
        # skorch's steps set the mode of every module on every batch: a walk
        # of the module tree (some 25 microseconds, 3 to 5% of a step of a
        # small network). Module.train sets every submodule, so the top-level
        # flags tell the mode, and after an epoch's first batch there is
        # nothing to set.
        modules = (self.module_, self.criterion_)
        if any(getattr(m, "training", training) != training for m in modules):
            for m in modules:
                if isinstance(m, torch.nn.Module):
                    m.train(training)

    def autocast(self):
        """The context of the forward pass and the task loss: ``torch.autocast``
        to ``precision`` on the net's device, or none for float32."""
        dtype = AUTOCAST_DTYPES[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=dtype)

    def train_step_single(self, batch, **fit_params):
        """skorch's training step, setting the training mode only when it changes."""
        self._ensure_mode(True)
        Xi, yi = unpack_data(batch)
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if self.grad_scaler_ is None:
            loss.backward()
        else:
            self.scaled_backward(loss)
        return {"loss": loss, "y_pred": y_pred}

    def scaled_backward(self, loss: torch.Tensor) -> None:
        """float16's backward pass: gradients of the scaled loss, unscaled.

        The scale carries small gradients past float16's underflow. skorch's
        step runs this inside the optimizer's closure, where
        ``GradScaler.step`` cannot, so a step whose gradients overflowed is
        skipped as the scaler would skip it: the scaler lowers its scale,
        and the gradients are dropped, which torch's optimizers read as no
        step for those parameters. The callbacks (gradient clipping) and the
        optimizer see the true gradients; the loss recorded is the true one.
        """
        scaler = self.grad_scaler_
        scaler.scale(loss).backward()
        if self.optimizer_ is None:
            return
        scaler.unscale_(self.optimizer_)
        scale = scaler.get_scale()
        scaler.update()
        if scaler.get_scale() < scale:  # update() lowers it only on overflow
            for group in self.optimizer_.param_groups:
                for param in group["params"]:
                    param.grad = None

    def validation_step(self, batch, **fit_params):
        """skorch's validation step, setting the evaluation mode only when it changes."""
        self._ensure_mode(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            with self.autocast():
                y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        """Raise :class:`DivergenceError` if the batch's loss is NaN or infinite.

        skorch has just read the loss to record it, so a NaN caught here costs
        next to nothing; one caught after fit would have predicted a single
        class everywhere, which looks perfectly fair.
        """
        super().on_batch_end(net, batch=batch, training=training, loss=loss, **kwargs)
        if loss is None:  # a notification from outside skorch's epoch loop
            return
        if training:
            self._record_penalty()
        value = loss.item()
        if math.isfinite(value):
            return
        prefix = "train" if training else "valid"
        row = self.history[-1]
        # The validation batches follow the epoch's training batches.
        number = len(row["batches"]) - (0 if training else row.get("train_batch_count", 0))
        raise DivergenceError(self._divergence_message(
            f"the {_PHASES[prefix]} loss became {value} at epoch {len(self.history)}, "
            f"batch {number}{self._blame()}"
        ))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        self.penalty_term_ = None
        y_true = y_true.to(self.device)
        with self.autocast():
            losses = self.row_losses(y_pred, y_true)
        if AUTOCAST_DTYPES[self.precision] is not None:
            # The weighted mean, the penalty's group sums and the multipliers
            # in float32: in half precision a gap of 0.01 between two means
            # of 0.5 is lost to rounding.
            y_pred, losses = y_pred.float(), losses.float()
        if X is None or X.weight is None:
            return self._task_loss(losses.mean(), training)
        weight = X.weight.to(self.device)
        # A batch whose rows all weigh 0 contributes nothing, not 0/0.
        loss = self._task_loss((losses * weight).sum() / weight.sum().clamp_min(1e-12),
                               training)
        # Skipping the penalty at strength 0 makes that fit bit-identical to
        # one without a penalty.
        inactive = self.multiplier == 0 and self.max_gap is None
        if self.penalty is None or self.n_groups < 2 or inactive:
            return loss
        scores, y_true, groups, weight, losses = self._known_rows(
            self.scores(y_pred), y_true, X.groups.to(self.device), weight, losses)
        if self.group_multipliers is not None:
            term = self.group_multipliers.term(scores, y_true, groups, weight, self.n_groups)
            return loss if term is None else self._add_penalty(loss, term[1], term[0], training)
        value = self.penalty(scores=scores, y=y_true, groups=groups, weight=weight,
                             n_groups=self.n_groups, losses=losses, task=self.task)
        return self._add_penalty(loss, value, self.multiplier, training)

    def _add_penalty(self, loss, value, weight, training):
        if training:
            # Read on the host in on_batch_end, after the step, where skorch
            # reads the loss: read here, the device would finish the forward
            # pass before the backward pass could be queued.
            self.penalty_term_ = (weight, value.detach())
        return loss + weight * value

    def _record_penalty(self) -> None:
        """Record the training batch's penalty, read on the host once its step is done."""
        if self.penalty_term_ is None or not torch.is_tensor(self.penalty_term_[1]):
            return
        weight, value = self.penalty_term_
        number = value.item()
        self.history.record_batch("train_penalty", number)
        self.penalty_term_ = (weight, number)

    def _task_loss(self, loss: torch.Tensor, training: bool) -> torch.Tensor:
        if not training:
            self.history.record_batch("valid_task_loss", loss.item())
        return loss

    def row_losses(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """The loss of each row, which the weights and some penalties read."""
        return self.criterion_(y_pred, y_true)

    def _known_rows(self, *rows):
        """The rows whose group is known (``groups``, the third, is not negative).

        Rows of unknown group (``missing_groups="ignore"``) train on the loss
        alone: the penalty reads the others. Only a fit that has such rows
        masks, so the others pay no host sync per batch for it.
        """
        if not self.groups_missing:
            return rows
        known = rows[2] >= 0
        return tuple(t[known] for t in rows)

    def initialize_optimizer(self, *args, **kwargs):
        # With every parameter frozen there is nothing to optimise, and torch
        # refuses an empty list; the estimator lets that pass only when no
        # training step is asked for (max_epochs=0).
        self.grad_scaler_ = (make_grad_scaler(torch.device(self.device).type)
                             if self.precision == "float16" else None)
        if next(iter(self.get_all_learnable_params()), None) is None:
            self.optimizer_ = None
            return self
        return super().initialize_optimizer(*args, **kwargs)

    def get_all_learnable_params(self):
        # Frozen parameters never reach the optimizer, so nothing (not even
        # weight decay) can move them.
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param

    def get_iterator(self, dataset, training=False):
        # The batch order of an epoch follows from the seed and the epochs
        # trained before it, whatever was predicted in between.
        self.n_iterators += bool(training)
        return TensorBatches(
            dataset, self.batch_size if self.batch_size > 0 else len(dataset),
            shuffle=training, stratify=training and self.stratify,
            seed=self.seed + self.n_iterators, device=self.device,
        )

    def infer(self, x, **fit_params):
        return self.as_outputs(call_module(self.module_, features_to(x.X, self.device)))

    def as_outputs(self, out: torch.Tensor) -> torch.Tensor:
        """The module's outputs in the task's layout: one column per output.

        A vector (one value per row) becomes a column.
        """
        return self.task_type.layout(out)

    # -- divergence ---------------------------------------------------------
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
        fixes = [*self.SCALING_FIXES, f"lower lr (now {self.lr:g})"]
        if self.penalty is not None:
            fixes.append(f"lower penalty_strength (now {self.penalty_strength:g})")
            if self.max_gap is not None:
                fixes.append(f"lower multiplier_lr (now {self.multiplier_lr:g})")
        return (
            f"Training diverged: {what}. The network's outputs would be NaN or "
            f"meaningless, so fitting stopped. To fix it: {'; or '.join(fixes)}."
        )

    # -- outputs ------------------------------------------------------------
    def forward_float64(self, dataset, batch_size: int | None = None) -> torch.Tensor:
        """The network's outputs on ``dataset``: a CPU float64 tensor.

        The one inference path: ``predict*``, ``decision_function``,
        constraint mode's held-out gap, :class:`~skfairtune.callbacks.FairnessMonitor`,
        the degeneracy check and ``explain_gap`` read the network through it.
        It runs :meth:`inference_module`, a copy of the module in evaluation
        mode, so it leaves training alone (the module's mode, its weights,
        the batch order of later epochs) and several threads may call it at
        once.

        It computes in float64: float32 matrix kernels round differently
        with the number of rows and a row's place among them, so a row's
        float32 output changes in its last digits with the rows predicted
        beside it. From the same (float32) weights in float64 those
        differences are some 1e-16, far below what float64 results are
        compared at. A network that cannot run in float64 (one that makes
        float32 tensors of its own) runs in float32 from its first dtype
        failure on; any other error is raised as it is.

        Parameters
        ----------
        dataset : GroupDataset or a Subset of one
        batch_size : int, default=None
            Rows per forward pass; None: the net's ``batch_size``, or more
            for small rows (up to 1024, and 2**20 feature values a pass).

        Returns
        -------
        Tensor of shape (n_rows, n_outputs)
        """
        data = resolve(dataset)
        if batch_size is None:
            batch_size = self._inference_rows(data)
        if not self.float64_ok_:
            return self._run_inference(data, torch.float32, batch_size)
        try:
            return self._run_inference(data, torch.float64, batch_size)
        except (RuntimeError, TypeError) as exc:
            if not is_dtype_error(exc):
                raise
            out = self._run_inference(data, torch.float32, batch_size)
        # Only once float32 has worked is the failure known to be float64's.
        self.float64_ok_ = False
        return out

    def _inference_rows(self, data) -> int:
        """Rows per forward pass of inference: the training batch, or more when
        rows are small (up to :data:`_INFERENCE_ROWS`, and
        :data:`_INFERENCE_VALUES` feature values a pass).

        Each pass costs tens of microseconds of Python whatever its size: at
        the training batch of 128 those were half the time of predicting a
        table of 20 features. Rows read from disk go a training batch at a time.
        """
        rows = self.batch_size if self.batch_size > 0 else len(data)
        tensors = list(data.X.values()) if isinstance(data.X, dict) else [data.X]
        if not len(data) or not all(torch.is_tensor(t) for t in tensors):
            return rows
        values = sum(t[0].numel() for t in tensors)
        return max(rows, min(_INFERENCE_ROWS, _INFERENCE_VALUES // max(values, 1)))

    def outputs_of(self, dataset, resolved=None, batch_size: int | None = None) -> torch.Tensor:
        """:meth:`forward_float64` on ``dataset``, computed once per weights.

        During an epoch's end the callbacks (constraint mode's
        ``BudgetKeeper``, ``UsefulEarlyStopping``, ``FairnessMonitor``) read
        the same skorch dataset with the same weights; the first call's
        outputs serve the others. They are kept until the weights change
        (an optimiser step, a ``load_state_dict``: :func:`_weights_key`) or
        training ends, and never pickled.

        Parameters
        ----------
        dataset : GroupDataset or a Subset of one
            What the outputs are of: the same object, not equal rows, hits.
        resolved : GroupDataset, default=None
            ``resolve(dataset)`` when the caller has it already.
        batch_size : int, default=None
            As for :meth:`forward_float64`, for the first call: a later one
            with another batch size gets the same outputs (in float64 the
            batch moves them by some 1e-16, see :meth:`forward_float64`).

        Returns
        -------
        Tensor of shape (n_rows, n_outputs)
        """
        key = (_weights_key(self.module_), self.float64_ok_)
        cache = self.__dict__.get("_outputs_cache_")
        if cache is None or cache[0] != key:
            cache = self._outputs_cache_ = (key, [])
        for seen, out in cache[1]:
            if seen is dataset:
                return out
        out = self.forward_float64(dataset if resolved is None else resolved,
                                   batch_size=batch_size)
        # Only while the weights stay: a key that has changed drops them all.
        cache[1].append((dataset, out))
        return out

    def forget_outputs(self) -> None:
        """Drop :meth:`outputs_of`'s outputs, and with them the datasets they are of."""
        self.__dict__.pop("_outputs_cache_", None)

    def on_train_end(self, net, **kwargs):
        # The cache holds the training rows: a fitted net must not.
        super().on_train_end(net, **kwargs)
        self.forget_outputs()

    def predictions(self, outputs: torch.Tensor) -> np.ndarray:
        """What ``predict`` makes of :meth:`forward_float64`'s ``outputs``, as numpy."""
        return self.task_type.predictions(outputs)

    def _run_inference(self, data, dtype: torch.dtype, batch_size: int) -> torch.Tensor:
        forward = self.inference_forward(dtype)
        outputs = []
        with torch.no_grad():
            for batch, _ in TensorBatches(data, batch_size):  # in order, as views
                outputs.append(forward(batch.X))
        return torch.cat(outputs)

    def inference_forward(self, dtype: torch.dtype | None = None):
        """The network as a function of features to outputs: what :meth:`forward_float64`
        runs on each batch.

        The function runs :meth:`inference_module` (in ``dtype``; None: float64
        unless the network cannot run in it) on the net's device and returns
        the outputs in the task's layout (a single logit becomes two) as a CPU
        float64 tensor. It keeps the autograd graph, so that
        ``explain_gap``'s integrated gradients read the very scores
        ``predict_proba`` gives.

        Parameters
        ----------
        dtype : torch.dtype, default=None

        Returns
        -------
        callable
            Features (a tensor or a dict of them) to a tensor of shape
            (n_rows, n_outputs).
        """
        dtype = self._inference_dtype(dtype)
        module = self.inference_module(dtype)

        def forward(X) -> torch.Tensor:
            out = call_module(module, features_to(X, self.device, dtype))
            return self.as_outputs(out).to("cpu", torch.float64)

        return forward

    def inference_module(self, dtype: torch.dtype | None = None) -> torch.nn.Module:
        """A copy of ``module_`` in evaluation mode, in ``dtype``, for inference.

        Inference never touches the module being trained: switching its mode
        or swapping in float64 weights per call would race with another
        thread's call, and with training. The copy is made once and kept
        until the module's weights or buffers change (an optimiser step, a
        ``load_state_dict``, moving it to another device); it is not pickled.
        It holds the weights a second time, on the net's device (in float64,
        twice their float32 size).

        Parameters
        ----------
        dtype : torch.dtype, default=None
            The floating-point dtype of the copy; None: float64 unless the
            network cannot run in it (``float64_ok_``).

        Returns
        -------
        torch.nn.Module
            Not to be trained: its parameters do not require gradients.
        """
        dtype = self._inference_dtype(dtype)
        key = (dtype, _weights_key(self.module_))
        cached = self.__dict__.get("_inference_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        with _INFERENCE_LOCK:
            cached = self.__dict__.get("_inference_cache")
            if cached is None or cached[0] != key:
                copy = _copy_for_inference(self.module_, dtype)
                # A tuple, not a module: skorch registers a module attribute as a
                # part of the net to train and to move between devices.
                self._inference_cache = cached = (key, copy)
        return cached[1]

    def _inference_dtype(self, dtype: torch.dtype | None) -> torch.dtype:
        """``dtype``, or for None float64 unless the network cannot run in it."""
        if dtype is not None:
            return dtype
        return torch.float64 if self.float64_ok_ else torch.float32

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_inference_cache", None)  # rebuilt from module_ when needed
        state.pop("_listeners_cache_", None)  # it holds the callbacks a second time
        state.pop("_outputs_cache_", None)  # outputs of the training rows, and the rows
        return state

    def predict(self, X):
        """What :meth:`predictions` makes of the outputs on ``X``: class indices, or values.

        skorch's scoring callbacks call this and ``predict_proba`` with the
        net's own datasets.
        """
        return self.predictions(self._outputs(X))

    def _outputs(self, X) -> torch.Tensor:
        # Training-time scoring replays the cached outputs of training steps,
        # which still carry their graph, and are half precision under
        # autocast (which numpy cannot hold).
        out = self.forward(X).detach().cpu()
        return out.float() if AUTOCAST_DTYPES[self.precision] is not None else out


class FairClassifierNet(FairNet):
    """The :class:`FairNet` of :class:`~skfairtune.FairTuneClassifier`.

    Its outputs are one logit per class; the penalty reads their softmax,
    and the targets are class indices. A binary network may instead return
    a single logit ``z`` (the ``BCEWithLogitsLoss`` convention): it is read
    as the logits ``(0, z)``, whose softmax is ``(1 - sigmoid(z),
    sigmoid(z))`` and whose cross-entropy is the binary one, so everything
    downstream sees one logit per class.
    """

    task_type = BINARY
    target_dtype = torch.long

    def predict_proba(self, X):
        """Class probabilities, as numpy, for skorch's scoring callbacks."""
        return self.scores(self._outputs(X)).numpy()


class FairRegressorNet(FairNet):
    """The :class:`FairNet` of :class:`~skfairtune.FairTuneRegressor`.

    Its outputs are one column per target, which the penalty reads as they
    are; a row's loss is the mean over its targets.
    """

    task_type = REGRESSION
    target_dtype = torch.float32
    SCALING_FIXES = (
        *FairNet.SCALING_FIXES,
        "scale y (TransformedTargetRegressor(transformer=StandardScaler()))",
    )

    def row_losses(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """The loss of each row, averaged over its targets."""
        losses = self.criterion_(y_pred, y_true)
        return losses.mean(dim=tuple(range(1, losses.ndim))) if losses.ndim > 1 else losses

    def predict_proba(self, X):
        """The predictions, as numpy (what skorch's scoring callbacks read)."""
        return self._outputs(X).numpy()
