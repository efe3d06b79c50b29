"""Constraint mode: a budget on the gap users measure, kept on rows not trained on.

With ``max_gap=B`` the estimators train on ``loss + multiplier * penalty``,
where the penalty is the notion's *soft* gap on the batch (it has a
gradient), but the multiplier moves by the *hard-prediction* gap, the number
:mod:`skfairtune.metrics` and fairlearn report, measured at the end of every
epoch on the validation slice. This is FairGBM's lesson: the gradient follows
the smooth proxy while the constraint is judged on the true, thresholded
quantity; a budget on the soft gap of training batches lands elsewhere (its
absolute value is biased upwards by sampling noise, and probabilities are not
decisions).

Of all epochs, the one kept is the most accurate on the validation slice
among those whose gap there is within the budget (the best *feasible*
epoch). When none is, the epoch with the smallest gap is kept and a
:class:`~skfairtune.exceptions.BudgetNotMetWarning` says so.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import r2_score
from skorch.callbacks import Callback

from skfairtune._group_stats import worst_group
from skfairtune._torch_data import resolve
from skfairtune.exceptions import BudgetNotMetWarning
from skfairtune.metrics import degenerate_reason
from skfairtune.notions import GROUP_LOSSES, get_notion

# The multiplier's step is the excess gap relative to the budget, so that one
# multiplier_lr serves budgets of 0.05 and 0.2 alike; below this floor the
# excess is measured against the floor, or a held-out gap's noise over a tiny
# budget would throw the multiplier far past where it belongs.
_SMALLEST_BUDGET = 0.05


@dataclass
class HeldOut:
    """An epoch's predictions on the held-out rows, read into numpy once.

    ``pred`` holds class indices (classification) or values shaped as ``y``.
    """

    pred: np.ndarray
    n_outputs: int
    y: np.ndarray
    groups: np.ndarray
    weight: np.ndarray

    @classmethod
    def predict(cls, net, data) -> HeldOut:
        out = net.forward(data, training=False).detach().double().cpu().numpy()
        y = data.y.cpu().numpy()
        pred = out.argmax(axis=1) if net.task == "classification" else out.reshape(y.shape)
        weight = (np.ones(len(y)) if data.weight is None
                  else data.weight.double().cpu().numpy())
        return cls(pred, out.shape[1], y, data.groups.cpu().numpy(), weight)

    def squared_errors(self) -> np.ndarray:
        """Each row's squared error, averaged over its targets."""
        error = (self.y - self.pred) ** 2
        return error if error.ndim == 1 else error.mean(axis=1)


def degenerate_reason_for(task: str, y, pred) -> str | None:
    """Why predictions are no better than a constant, or None: one rule per task.

    A classifier's is :func:`skfairtune.metrics.degenerate_reason` (constant,
    or no better than the majority class); a regressor's majority class is
    the mean, so an R^2 of 0 or less is a model that learned nothing.
    """
    if task == "classification":
        return degenerate_reason(y, pred)
    if np.ptp(y) == 0:
        return None
    r2 = r2_score(y, np.reshape(pred, np.shape(y)))
    return None if r2 > 0 else f"is no better than predicting the mean of y (R^2 {r2:.3f})"


def hard_gap(penalty_name: str, task: str, held: HeldOut, n_groups: int) -> float:
    """The budgeted quantity on hard predictions, as the metrics compute it.

    A notion's difference (one-vs-rest, worst class, for several classes; the
    mean prediction for regression); for a group-loss penalty, the worst-off
    group's error rate (classification) or mean squared error (regression).
    """
    # A row of unknown group (a negative id) weighs nothing in any group.
    g, w = np.maximum(held.groups, 0), np.where(held.groups < 0, 0.0, held.weight)
    if penalty_name in GROUP_LOSSES:
        errors = (held.squared_errors() if task == "regression"
                  else (held.pred != held.y).astype(float))
        return float(worst_group(errors, g, w, n_groups))
    notion = get_notion(penalty_name)
    if task == "regression":
        return float(notion.difference(held.pred, None, g, w, n_groups))
    classes = range(held.n_outputs) if held.n_outputs > 2 else [1]
    return max(float(notion.difference((held.pred == k).astype(float),
                                       (held.y == k).astype(int), g, w, n_groups))
               for k in classes)


def validation_score(task: str, held: HeldOut) -> float:
    """What the best feasible epoch maximises: accuracy, or minus the squared error."""
    if task == "regression":
        return -float(np.average(held.squared_errors(), weights=held.weight))
    return float(np.average(held.pred == held.y, weights=held.weight))


class BudgetKeeper(Callback):
    """Moves the multiplier by the hard gap on held-out rows; keeps the best feasible epoch.

    Parameters
    ----------
    max_gap : float
        The budget.
    multiplier_lr : float
        The multiplier's step per epoch, per unit of gap relative to the budget.
    patience : int or None
        Stop this many epochs after the last improvement of the best feasible
        epoch (None trains every epoch).

    Attributes
    ----------
    best_epoch_ : int
        The epoch kept (1-based).
    budget_met_ : bool
        Whether the kept epoch's held-out gap is within the budget.
    gap_ : float
        The kept epoch's held-out gap.
    """

    def __init__(self, max_gap: float, multiplier_lr: float, patience: int | None = None):
        self.max_gap = max_gap
        self.multiplier_lr = multiplier_lr
        self.patience = patience

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_weights", None)  # a copy of the module's: the net has its own
        return state

    def on_train_begin(self, net, **kwargs):
        self._weights = None
        self.best_epoch_, self.gap_, self.budget_met_ = 0, math.inf, False
        self._best_score = -math.inf
        self._since_best = 0
        self._kept_useful = False

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        data = dataset_valid if dataset_valid is not None and len(dataset_valid) else (
            dataset_train)
        held = HeldOut.predict(net, resolve(data))
        gap = hard_gap(net.penalty.name, net.task, held, net.n_groups)
        score = validation_score(net.task, held)
        epoch = len(net.history)
        net.history.record("valid_gap", gap)
        net.history.record("multiplier", net.multiplier)
        # A constant prediction has no gap at all: without this the first
        # epochs of a strongly penalised network would be the "fairest" kept.
        useful = degenerate_reason_for(net.task, held.y, held.pred) is None
        net.history.record("valid_degenerate", not useful)
        if useful and gap <= self.max_gap and (not self.budget_met_ or score > self._best_score):
            self._keep(net, epoch, gap, met=True, useful=True)
            self._best_score = score
        elif not self.budget_met_ and self._closer(gap, useful):
            self._keep(net, epoch, gap, met=False, useful=useful)
        else:
            self._since_best += 1
        step = self.multiplier_lr * (gap - self.max_gap) / max(self.max_gap, _SMALLEST_BUDGET)
        net.multiplier = max(0.0, net.multiplier + step)
        if self.patience is not None and self.budget_met_ and self._since_best >= self.patience:
            raise KeyboardInterrupt  # how skorch's own EarlyStopping ends the loop

    def _closer(self, gap: float, useful: bool) -> bool:
        """Whether an epoch out of budget beats the one kept: better than a
        constant first, then a smaller gap."""
        if self._weights is None or useful != self._kept_useful:
            return self._weights is None or useful
        return gap < self.gap_

    def _keep(self, net, epoch, gap, *, met, useful):
        self._weights = copy.deepcopy(net.module_.state_dict())
        self._kept_useful = useful
        self.best_epoch_, self.gap_, self.budget_met_ = epoch, gap, met
        self._since_best = 0

    def on_train_end(self, net, **kwargs):
        if self._weights is None:
            return
        net.module_.load_state_dict(self._weights)
        if not self.budget_met_:
            warnings.warn(
                f"No epoch met max_gap={self.max_gap:g} on the held-out rows with "
                "predictions better than a constant: the closest, epoch "
                f"{self.best_epoch_} with a gap of {self.gap_:.4f}, is kept. Train "
                "longer (max_epochs), raise multiplier_lr or penalty_strength, or "
                "allow a larger max_gap.", BudgetNotMetWarning, stacklevel=2)
