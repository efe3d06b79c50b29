"""skorch callbacks that watch fairness while a network trains.

Give them to an estimator as ``callbacks=[...]``:

- :class:`FairnessMonitor` records group metrics of the training and the
  validation data in the net's history at the end of every epoch, so that they
  show in skorch's epoch table and in ``est.history_``; it reads the group id
  that the estimators carry with every row, so it works through them only;
- :class:`FairEarlyStopping` stops training when a fairness-aware objective
  (a loss plus a weighted gap, within an optional budget) stops improving;
- :class:`EpochProgressBar` draws a tqdm progress bar over the epochs.

The last two read nothing but the net's history, so any skorch net takes them.

The metrics are skfairtune's own (:mod:`skfairtune.metrics`), computed from the
group ids that travel with every row of the net's datasets, so a monitored gap
is the very number ``demographic_parity_difference`` gives on those rows.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from skorch.callbacks import Callback

from skfairtune._tasks import Task
from skfairtune._torch_data import is_group_data, resolve
from skfairtune.metrics import FAIRNESS_METRICS, UndefinedGroupWarning
from skfairtune.notions import NOTIONS, TASKS

__all__ = ["EpochProgressBar", "FairEarlyStopping", "FairnessMonitor"]

_SPLITS = ("train", "valid")
# What a monitor records when no metric is named, by the net's task: the gap
# of every notion that applies to it.
_DEFAULT_METRICS = {
    task: tuple(n.metric_name("difference", task) for n in NOTIONS.values() if task in n.tasks)
    for task in TASKS
}


def _metric_table(metrics) -> dict[str, Callable] | None:
    """``{name: function}`` from names, callables or a mapping; None for the default."""
    if metrics is None:
        return None
    if isinstance(metrics, (str, Callable)):
        metrics = [metrics]
    items = metrics.items() if isinstance(metrics, Mapping) else (
        (m if isinstance(m, str) else getattr(m, "__name__", repr(m)), m) for m in metrics
    )
    table = {}
    for name, metric in items:
        if isinstance(metric, str):
            if metric not in FAIRNESS_METRICS:
                raise ValueError(
                    f"FairnessMonitor: unknown metric {metric!r}; use one of "
                    f"{sorted(FAIRNESS_METRICS)} or a callable."
                )
            metric = FAIRNESS_METRICS[metric][0]
        elif not callable(metric):
            raise ValueError(f"FairnessMonitor: metric {name!r} is not callable: {metric!r}.")
        table[str(name)] = metric
    if not table:
        raise ValueError("FairnessMonitor: metrics is empty; name at least one metric.")
    return table


def _check_on(on) -> tuple:
    on = (on,) if isinstance(on, str) else tuple(on)
    bad = [s for s in on if s not in _SPLITS]
    if bad or not on:
        raise ValueError(f"FairnessMonitor: on must name 'train' and/or 'valid'; got {on!r}.")
    return on


class FairnessMonitor(Callback):
    """Record group fairness metrics in the history at the end of every epoch.

    For each data set named in ``on`` and each metric, the monitor predicts
    every row with the current network as ``predict`` does (a copy in
    evaluation mode, in float64, without gradients) and records
    ``f"{split}_{name}"`` in the net's history, for instance
    ``valid_demographic_parity_difference``. skorch's epoch table
    (``verbose=1``) shows these columns, and ``est.history_`` keeps them for
    plots. The validation data exist when the estimator's ``train_split``
    holds some rows out.

    The group of each row is what the estimators carry with it, from the
    ``sensitive_features`` given to ``fit``: give the monitor to
    :class:`~skfairtune.FairTuneClassifier` or
    :class:`~skfairtune.FairTuneRegressor` as ``callbacks=[...]``. A plain
    skorch net (``NeuralNetClassifier``) has no group ids, and the monitor
    refuses it when training begins.

    Parameters
    ----------
    metrics : str, callable, list or dict, default=None
        The metrics: names from :mod:`skfairtune.metrics`
        (``"demographic_parity_difference"``, ``"worst_group_accuracy"``,
        ...), functions ``f(y_true, y_pred, *, sensitive_features)``, or a
        dict from the name to record to either. None records the
        difference of every notion of :mod:`skfairtune.notions` that applies
        to the task (for a classifier ``demographic_parity_difference``,
        ``equal_opportunity_difference``, ``equalized_odds_difference`` and
        ``predictive_parity_difference``; for a regressor
        ``mean_prediction_difference``).
    on : {"train", "valid"} or tuple of them, default=("train", "valid")
        The data sets to score; a data set the net does not have is skipped.
    batch_size : int, default=8192
        Rows predicted at once, to bound memory on large data.

    Attributes
    ----------
    keys_ : list of str
        The history keys recorded in the last epoch.

    Notes
    -----
    Classifiers give hard predictions (the most probable class) to the
    metrics, as ``predict`` does; the binary metrics need two classes. Rows
    keep their sample weight out of the metrics, as fairlearn's defaults do.
    A group without the rows a rate needs (no positives in a small validation
    set) is left out of a gap without a warning each epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune import FairTuneClassifier
    >>> from skfairtune.callbacks import FairnessMonitor
    >>> rng = np.random.default_rng(0)
    >>> X, group = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    >>> y = (X[:, 0] + group > 0.5).astype(int)
    >>> clf = FairTuneClassifier(max_epochs=3, random_state=0,
    ...                          callbacks=[FairnessMonitor("demographic_parity_difference")])
    >>> gaps = clf.fit(X, y, sensitive_features=group).history_[
    ...     :, "train_demographic_parity_difference"]
    >>> len(gaps)
    3
    """

    def __init__(self, metrics: Any = None, *, on: str | Iterable[str] = _SPLITS,
                 batch_size: int = 8192):
        self.metrics = metrics
        self.on = on
        self.batch_size = batch_size

    def initialize(self):
        self.metrics_ = _metric_table(self.metrics)
        self.on_ = _check_on(self.on)
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # Before any epoch is spent: without group ids there is nothing to monitor.
        if not is_group_data(X):
            raise TypeError(
                "FairnessMonitor needs the group id of every row, which skfairtune's "
                f"estimators carry with the rows they train on; {type(net).__name__} "
                f"was given X of type {type(X).__name__}, which has none. Give the "
                "monitor to an estimator, e.g. FairTuneClassifier(callbacks="
                "[FairnessMonitor()]), and fit it with sensitive_features."
            )

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        task = getattr(net, "task", "classification")
        metrics = self.metrics_ or _metric_table(_DEFAULT_METRICS[task])
        self.keys_ = []
        for split, dataset in zip(_SPLITS, (dataset_train, dataset_valid)):
            if split not in self.on_ or dataset is None:
                continue
            y_true, y_pred, groups = self._predictions(net, dataset)
            for name, metric in metrics.items():
                key = f"{split}_{name}"
                net.history.record(key, _score(metric, y_true, y_pred, groups, key))
                self.keys_.append(key)

    def _predictions(self, net, dataset):
        """Labels, predictions and group ids of every row of ``dataset``."""
        data = resolve(dataset)
        if data.groups is None or data.y is None:
            raise ValueError(
                "FairnessMonitor needs the labels and group ids of the data; fit "
                "the estimator with sensitive_features."
            )
        # The outputs that constraint mode and early stopping read of the same
        # rows this epoch, computed once between them.
        scores = net.outputs_of(dataset, data, batch_size=self.batch_size)
        groups = data.groups.cpu().numpy()
        known = groups >= 0  # rows of unknown group (missing_groups="ignore")
        return (data.y.cpu().numpy()[known], _hard(scores, net.task_type)[known],
                groups[known])


def _hard(outputs: torch.Tensor, task: Task) -> np.ndarray:
    """What ``predict`` gives: class indices, or the regression outputs (a vector
    for one target)."""
    task = task.for_outputs(outputs.shape[1])
    if not task.rates_per_group:
        raise ValueError(
            f"FairnessMonitor: the network has {outputs.shape[1]} classes; the group "
            "metrics compare binary predictions. Give a metric function that "
            "takes multiclass predictions."
        )
    pred = task.predictions(outputs)
    return pred[:, 0] if pred.ndim == 2 and pred.shape[1] == 1 else pred


def _score(metric, y_true, y_pred, groups, key) -> float:
    # Every epoch would repeat the same warning about a group without
    # positives; the gap is computed over the groups that have them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        try:
            return float(metric(y_true, y_pred, sensitive_features=groups))
        except ValueError as exc:
            raise ValueError(f"FairnessMonitor could not compute {key!r}: {exc}") from exc


class FairEarlyStopping(Callback):
    """Stop training when a fairness-aware objective stops improving.

    The objective of an epoch is ``monitor + gap_weight * gap``, read from
    the history (the gap as recorded by a :class:`FairnessMonitor` placed
    before this callback). With ``max_gap``, an epoch whose gap exceeds the
    budget never counts as an improvement: training goes on while the
    network is out of budget, and stops ``patience`` epochs after the last
    epoch that improved within it. The objective is recorded as
    ``fair_objective`` (shown in the epoch table, highlighted where it
    improved).

    Parameters
    ----------
    gap : str, default="valid_demographic_parity_difference"
        The history key of the gap (lower is fairer).
    monitor : str, default="valid_loss"
        The history key of the loss (lower is better).
    gap_weight : float, default=1.0
        The weight of the gap in the objective.
    max_gap : float, default=None
        A budget on the gap; None for none.
    patience : int, default=5
        Epochs without improvement before training stops.
    threshold : float, default=1e-4
        The least decrease of the objective that counts as an improvement.
    load_best : bool, default=False
        Restore the weights of the best epoch when training ends.

    Attributes
    ----------
    best_epoch_ : int
        The epoch of the best objective so far (0 before any).
    best_score_ : float
        The best objective so far.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune import FairTuneClassifier
    >>> from skfairtune.callbacks import FairEarlyStopping, FairnessMonitor
    >>> rng = np.random.default_rng(0)
    >>> X, group = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    >>> y = (X[:, 0] + group > 0.5).astype(int)
    >>> clf = FairTuneClassifier(
    ...     max_epochs=50, n_iter_no_change=None, random_state=0,
    ...     callbacks=[FairnessMonitor(on="train"),
    ...                FairEarlyStopping(gap="train_demographic_parity_difference",
    ...                                  monitor="train_loss", patience=2)])
    >>> clf.fit(X, y, sensitive_features=group).n_iter_ < 50
    True
    """

    def __init__(self, gap: str = "valid_demographic_parity_difference", *,
                 monitor: str = "valid_loss", gap_weight: float = 1.0,
                 max_gap: float | None = None, patience: int = 5,
                 threshold: float = 1e-4, load_best: bool = False):
        self.gap = gap
        self.monitor = monitor
        self.gap_weight = gap_weight
        self.max_gap = max_gap
        self.patience = patience
        self.threshold = threshold
        self.load_best = load_best

    def __getstate__(self):
        # The best weights are a copy of the module's; a pickle needs them once.
        state = self.__dict__.copy()
        state["best_weights_"] = None
        return state

    def on_train_begin(self, net, **kwargs):
        self.misses_ = 0
        self.best_score_ = math.inf
        self.best_epoch_ = 0
        self.best_weights_ = None

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        missing = [k for k in (self.monitor, self.gap) if k not in row]
        if missing:
            raise ValueError(
                f"FairEarlyStopping: the history has no {missing} this epoch; it has "
                f"{sorted(k for k in row if k != 'batches')}. Record the gap with a "
                "FairnessMonitor placed before FairEarlyStopping in callbacks."
            )
        objective = float(row[self.monitor]) + self.gap_weight * float(row[self.gap])
        within = self.max_gap is None or float(row[self.gap]) <= self.max_gap
        improved = within and objective < self.best_score_ - self.threshold
        net.history.record("fair_objective", objective)
        net.history.record("fair_objective_best", bool(improved))
        if improved:
            self.misses_, self.best_score_, self.best_epoch_ = 0, objective, row["epoch"]
            if self.load_best:
                self.best_weights_ = copy.deepcopy(net.module_.state_dict())
        else:
            self.misses_ += 1
        if self.misses_ >= self.patience:
            raise KeyboardInterrupt  # how skorch's own EarlyStopping ends the loop

    def on_train_end(self, net, **kwargs):
        if self.load_best and self.best_weights_ is not None:
            net.module_.load_state_dict(self.best_weights_)


class EpochProgressBar(Callback):
    """A tqdm progress bar over the epochs of a fit.

    Parameters
    ----------
    keys : list of str, default=("train_loss", "valid_loss")
        History keys shown beside the bar, where the epoch has them.
    leave : bool, default=True
        Keep the finished bar on screen.
    file : file-like, default=None
        Where to draw it; tqdm's default (standard error) when None.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skfairtune import FairTuneClassifier
    >>> from skfairtune.callbacks import EpochProgressBar
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(100, 3)), rng.integers(0, 2, 100)
    >>> out = io.StringIO()
    >>> _ = FairTuneClassifier(penalty=None, max_epochs=2,
    ...                        callbacks=[EpochProgressBar(file=out)]).fit(X, y)
    >>> "2/2" in out.getvalue()
    True
    """

    def __init__(self, keys: Iterable[str] = ("train_loss", "valid_loss"), *,
                 leave: bool = True, file: Any = None):
        self.keys = keys
        self.leave = leave
        self.file = file

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)  # a live terminal bar does not pickle
        return state

    def __deepcopy__(self, memo):
        # The estimators copy their callbacks at every fit, and clone copies
        # them too; a copy must still draw on the same stream (a terminal
        # cannot be copied at all).
        twin = copy.copy(self)
        twin.__dict__.pop("bar_", None)
        return twin

    def __sklearn_clone__(self):
        return self.__deepcopy__({})

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, unit="epoch", leave=self.leave,
                         file=self.file, dynamic_ncols=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        shown = {k: f"{row[k]:.4f}" for k in self.keys if k in row}
        self.bar_.set_postfix(shown, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
