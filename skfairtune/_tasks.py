"""What differs between the tasks, one object per task: binary, multiclass, regression.

A task says how a network's outputs are laid out (one logit per class, or
one column per target), what a penalty reads of them (probabilities, or the
values), what ``predict`` makes of them, how a notion's gap is taken (the
positive class; the worst class against the rest; the values), a row's
error, the held-out score that constraint mode maximises, when predictions
are no better than a constant, and whether a budget has one multiplier per
group. The nets own one (``FairNet.task_type``); the notions, penalties,
metrics and callbacks ask it rather than test the task's name.

The names users and the registry write (``"classification"``,
``"regression"``) are the tasks' ``name``: a binary and a multiclass task are
both ``"classification"``, told apart by the number of classes
(:meth:`Task.for_outputs`). A new task (multi-label, ranking) is one more
subclass of :class:`Task` and an entry of :data:`TASKS`.

This module sits below the notions and the metrics: it imports neither (the
degeneracy rule it shares with the metrics lives in ``_degeneracy``), nor
torch (whose tensors it reads through their own methods).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

# Issue 21's "(near-)constant" classifier has a balanced accuracy at most this
# far above chance (0.52 for two classes).
NEAR_CHANCE_MARGIN = 0.02


def one_vs_rest(values: Any, y: Any, classes: Iterable) -> Iterator[tuple]:
    """Each class against the rest: ``(class, its share, its labels)``.

    ``values`` are probabilities, one column per class (``classes`` are then
    column indices), or hard predictions (labels, compared with each class:
    the share is a boolean). ``y`` holds the labels (None when unread).
    Works on numpy arrays and torch tensors alike.
    """
    for k in classes:
        share = values[:, k] if values.ndim == 2 else values == k
        yield k, share, None if y is None else y == k


class Task:
    """What a task decides; subclasses fill it in.

    Attributes
    ----------
    name : str
        The name that the notions, penalties and metrics use.
    kind : str
        The task itself: ``"binary"``, ``"multiclass"``, ``"regression"``.
    noun : str
        What an estimator of the task is called, in messages (``"classifier"``).
    tuner : str
        skfairtune's estimator of the task.
    rates_per_group : bool
        Whether a notion's rates read one column of predictions (the positive
        class, or the values): then a budget has one multiplier per group
        and rate, and the gap a standard error; with several classes, one
        multiplier weighs the penalty.
    zero_one : bool
        Whether the held-out rates are of 0/1 outcomes, whose standard error
        is adjusted (Agresti-Coull) for the upper bound.
    stratify : bool
        Whether a held-out slice is stratified by the labels.
    """

    name: str = ""
    kind: str = ""
    noun: str = ""
    tuner: str = ""
    rates_per_group: bool = True
    zero_one: bool = False
    stratify: bool = False

    def __repr__(self) -> str:
        return f"<{self.kind} task>"

    def __reduce__(self):
        # One object per task, also after unpickling (a kept BudgetKeeper holds one).
        return (task_of_kind, (self.kind,))

    def for_outputs(self, n_outputs: int | None) -> Task:
        """The task of a network with ``n_outputs`` outputs (None: this one)."""
        return self

    def refuses(self, name: str | None) -> bool:
        """Whether a model fitted for the task ``name`` (None: unknown) is of another task."""
        return name is not None and get_task(name).name != self.name

    def metric_stem(self, notion) -> str:
        """The stem of ``notion``'s metric names for this task."""
        return notion.name

    def layout(self, out):
        """A module's outputs (a tensor) as one column per output: a vector becomes a column."""
        return out.unsqueeze(1) if out.ndim == 1 else out

    def scores(self, outputs):
        """What a penalty reads of the outputs ``outputs`` (a tensor)."""
        raise NotImplementedError

    def predictions(self, outputs) -> np.ndarray:
        """What ``predict`` makes of CPU outputs ``outputs``, as numpy (encoded)."""
        raise NotImplementedError

    def rate_values(self, values):
        """What a notion's rates read of scores or hard predictions ``values``."""
        raise NotImplementedError

    def notion_gap(self, gap_of: Callable, values, y, *, classes: Iterable | None = None,
                   worst: Callable = max):
        """A notion's gap on ``values`` (scores or hard predictions) and labels ``y``.

        ``gap_of(values, labels, class)`` computes the gap of one column;
        ``worst`` picks among several (the worst class's, for several classes).
        """
        return gap_of(self.rate_values(values), y, None)

    def row_errors(self, pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each row's error: what a group loss's budget reads."""
        raise NotImplementedError

    def validation_score(self, pred: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
        """What constraint mode's best feasible epoch maximises (higher is better)."""
        raise NotImplementedError

    def near_chance(self, y, pred, weight) -> bool:
        """Whether predictions are barely better than chance, beyond
        :meth:`degenerate_reason`; a regressor's values never are."""
        return False

    def degenerate_reason(self, y, pred, sample_weight=None) -> str | None:
        """Why predictions ``pred`` are no better than a constant, or None.

        The rows weigh as ``sample_weight`` says: a fit that weighs the
        classes to balance is judged against the balance, not against the
        rare class's absence.
        """
        raise NotImplementedError


class BinaryTask(Task):
    """Two classes: one logit per class, or a single logit ``z`` read as ``(0, z)``.

    A single logit (the ``BCEWithLogitsLoss`` convention) has the softmax
    ``(1 - sigmoid(z), sigmoid(z))`` and the binary cross-entropy, so that
    everything downstream sees one logit per class. A notion reads the
    positive class (index 1).
    """

    name, kind, noun, tuner = "classification", "binary", "classifier", "FairTuneClassifier"
    zero_one = stratify = True

    def for_outputs(self, n_outputs: int | None) -> Task:
        return MULTICLASS if n_outputs is not None and n_outputs > 2 else BINARY

    def layout(self, out):
        """One logit per class: a single logit ``z`` becomes ``(0, z)``."""
        out = super().layout(out)
        if out.ndim == 2 and out.shape[1] == 1:
            import torch  # loaded already: ``out`` is a tensor

            return torch.cat([torch.zeros_like(out), out], dim=1)
        return out

    def scores(self, outputs):
        """Class probabilities: the softmax of the logits."""
        return outputs.softmax(dim=1)

    def predictions(self, outputs) -> np.ndarray:
        """Class indices: the largest logit of each row."""
        return outputs.argmax(dim=1).numpy()

    def rate_values(self, values):
        """The positive class's probability, or 1.0 where it is predicted."""
        return values[:, 1] if values.ndim == 2 else (values == 1) * 1.0

    def row_errors(self, pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        """1.0 where the predicted class is wrong."""
        return (pred != y).astype(float)

    def validation_score(self, pred: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
        """The (weighted) accuracy."""
        return float(np.average(pred == y, weights=weight))

    def degenerate_reason(self, y, pred, sample_weight=None) -> str | None:
        """:func:`skfairtune.metrics.degenerate_reason`: constant, or no better
        than the majority class."""
        # Imported here: the notions import this module, and the command
        # line's help reads the notions without loading pandas.
        from skfairtune._degeneracy import constant_reason, majority_reason

        pred, y = np.asarray(pred), np.asarray(y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        return constant_reason(pred) or majority_reason(y, pred, weight)


    def near_chance(self, y, pred, weight) -> bool:
        """A (weighted) balanced accuracy within 0.02 of chance: an epoch that
        only just beats the majority class on a few hundred held-out rows was
        (near-)constant on new rows in one fit of ten
        (benchmarks/gap_estimate.py). One class for 99% of the rows is
        :meth:`degenerate_reason`'s already."""
        pred, y = np.asarray(pred), np.asarray(y)
        weight = np.asarray(weight, dtype=float)
        classes = np.unique(y)
        recalls = [np.average(pred[y == k] == k, weights=weight[y == k])
                   for k in classes if weight[y == k].sum() > 0]
        return bool(np.mean(recalls) <= 1 / max(classes.size, 2) + NEAR_CHANCE_MARGIN)


class MulticlassTask(BinaryTask):
    """Several classes: a notion's gap is the worst class's, each against the rest."""

    kind = "multiclass"
    rates_per_group = False

    def rate_values(self, values):
        raise ValueError("With several classes a notion reads each class against the "
                         "rest (notion_gap), not one column of predictions.")

    def notion_gap(self, gap_of: Callable, values, y, *, classes: Iterable | None = None,
                   worst: Callable = max):
        if classes is None:
            classes = range(values.shape[1])
        return worst(gap_of(share, labels, k) for k, share, labels in
                     one_vs_rest(values, y, classes))


class RegressionTask(Task):
    """One column per target, which a notion reads as it is (the mean prediction)."""

    name, kind, noun, tuner = "regression", "regression", "regressor", "FairTuneRegressor"

    def metric_stem(self, notion) -> str:
        return notion.regression_name

    def scores(self, outputs):
        """The predictions, a vector when there is one target."""
        return outputs.squeeze(1) if outputs.shape[1] == 1 else outputs

    def predictions(self, outputs) -> np.ndarray:
        """The predicted values, one column per target."""
        return outputs.numpy()

    def rate_values(self, values):
        return values

    def row_errors(self, pred: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each row's squared error, averaged over its targets."""
        error = (y - pred) ** 2
        return error if error.ndim == 1 else error.mean(axis=1)

    def validation_score(self, pred: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
        """Minus the (weighted) mean squared error."""
        return -float(np.average(self.row_errors(pred, y), weights=weight))

    def degenerate_reason(self, y, pred, sample_weight=None) -> str | None:
        """An R^2 of 0 or less: no better than predicting the mean of ``y``."""
        from sklearn.metrics import r2_score  # only when a regressor is judged

        if np.ptp(y) == 0:
            return None
        r2 = r2_score(y, np.reshape(pred, np.shape(y)), sample_weight=sample_weight)
        return None if r2 > 0 else f"is no better than predicting the mean of y (R^2 {r2:.3f})"


BINARY, MULTICLASS, REGRESSION = BinaryTask(), MulticlassTask(), RegressionTask()
# Each name's task before the number of outputs is known.
TASKS: dict[str, Task] = {"classification": BINARY, "regression": REGRESSION}
# The tasks' names, as the notions, the penalties and the metrics write them.
TASK_NAMES = tuple(TASKS)
_KINDS: dict[str, Task] = {t.kind: t for t in (BINARY, MULTICLASS, REGRESSION)}


def task_of_kind(kind: str) -> Task:
    """The task called ``kind`` (``"binary"``, ``"multiclass"``, ``"regression"``)."""
    return _KINDS[kind]


def get_task(task: str | Task, n_outputs: int | None = None) -> Task:
    """The task object of ``task`` (a name or a task), for ``n_outputs`` outputs.

    Parameters
    ----------
    task : {"classification", "regression"} or Task
    n_outputs : int, default=None
        The number of outputs (of classes, for a classifier); None keeps the
        task as named (binary for ``"classification"``).

    Returns
    -------
    Task
    """
    if isinstance(task, Task):
        return task.for_outputs(n_outputs)
    if isinstance(task, str) and task in TASKS:
        return TASKS[task].for_outputs(n_outputs)
    raise ValueError(f"Unknown task {task!r}; the tasks are {list(TASKS)}.")
