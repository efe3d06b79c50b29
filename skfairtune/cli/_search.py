"""The grid search behind ``demo`` and ``tune``, and the strengths that failed in it.

A strength whose training fails (it diverged, or its network predicts NaN)
is left out of the choice, and the run says so; when every strength fails,
the run stops with the first error, before any file is written.

scikit-learn reports a failed fit in three ways, all handled here: with
``error_score=np.nan`` the fit's scores are NaN and a ``FitFailedWarning``
holds the traceback; when every fit of one call failed it raises a
``ValueError`` with the tracebacks instead. A network that predicts NaN
without raising scores NaN through :class:`FiniteScore`.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.model_selection import GridSearchCV, ParameterGrid

from ._common import RunFailed

KEY = "model__penalty_strength"
# The reason shown for a model that trained without an error but predicts NaN.
NOT_FINITE = "its predicted probabilities are not finite: training diverged"
# scikit-learn's error when every fit of one call failed.
_ALL_FAILED = re.compile(r"All the \d+ fits failed")
_DELIMITER = "-" * 80 + "\n"


class FiniteScore:
    """A scikit-learn metric as a scorer, NaN when the probabilities are not finite.

    A diverged network predicts one class everywhere, which scores as
    perfectly fair; NaN makes :func:`~skfairtune.model_selection.budget_refit`
    pass over it. Used for accuracy (which also tells a failed strength) and
    for the metric a run chooses on (``--metric``). A class, not a closure,
    so that it pickles to a cluster.

    Parameters
    ----------
    metric : str
        A scikit-learn scorer's name: ``balanced_accuracy``, ``roc_auc``, ``f1``.
    """

    def __init__(self, metric: str):
        self.metric = metric

    def __call__(self, estimator, X, y) -> float:
        from sklearn.metrics import get_scorer

        if not np.isfinite(estimator.predict_proba(X)).all():
            return np.nan
        return float(get_scorer(self.metric)(estimator, X, y))


def first_error(summary: str) -> str:
    """The first error of scikit-learn's report of failed fits, as ``Type: message``.

    Parameters
    ----------
    summary : str
        The text of a ``FitFailedWarning``, or of the ``ValueError`` raised
        when all fits failed: tracebacks under a header each.

    Returns
    -------
    str
        The exception's class name and the first line of its message.

    Examples
    --------
    >>> from skfairtune.cli._search import first_error
    >>> first_error("-" * 80 + "\\n2 fits failed with the following error:\\n"
    ...             "Traceback (most recent call last):\\n  File \\"x.py\\", line 1\\n"
    ...             "    fit()\\npkg.mod.DivergenceError: Training diverged.\\n")
    'DivergenceError: Training diverged.'
    """
    blocks = summary.split(_DELIMITER)
    lines = (blocks[1] if len(blocks) > 1 else summary).rstrip().splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    # The exception follows the last frame's indented source lines.
    tail = lines[frames[-1] + 1:] if frames else lines
    message = next((line for line in tail if line.strip() and not line[0].isspace()), "")
    if not message:
        return summary.strip().splitlines()[0] if summary.strip() else "unknown error"
    kind, sep, rest = message.partition(": ")
    return f"{kind.rsplit('.', 1)[-1]}{sep}{rest}"


class Failures:
    """The strengths that failed to train, each with the reason shown."""

    def __init__(self, advice: str):
        # What to change when training diverged, in the command line's options.
        self.advice = advice
        self.reasons: dict = {}
        self.details: str | None = None

    def add(self, strengths, reason: str, details: str | None = None) -> None:
        for strength in strengths:
            self.reasons.setdefault(strength, reason)
        self.details = self.details or details

    def notes(self) -> list:
        """One line per failed strength, for the table's reader."""
        return [f"{'the base model' if s is None else f'strength {s:g}'} failed to train "
                f"and was left out: {reason}" for s, reason in self.reasons.items()]

    def all_failed(self) -> RunFailed:
        """The error of a run in which no strength trained."""
        first = next(iter(self.reasons.values())).rstrip(".")
        diverged = first.startswith("DivergenceError") or first == NOT_FINITE
        hint = self.advice if diverged else "--traceback shows where it failed."
        error = RunFailed(f"every penalty strength failed to train in cross-validation, "
                          f"so there is no model to write. The first error: {first}. {hint}")
        # --traceback shows the cause: scikit-learn's report with the tracebacks.
        error.__cause__ = RuntimeError(self.details) if self.details else None
        return error


class StepwiseSearch(GridSearchCV):
    """``GridSearchCV`` over a few candidates at a time, with a watcher.

    The progress bar moves as each few candidates end, and the candidates
    that failed are recorded and left out of the choice. ``watcher`` is set
    after construction (it is not a parameter); it stays in this process
    and is not pickled with the search.
    """

    watcher = None

    def __getstate__(self):
        # A copy: object.__getstate__ may hand back the instance's own __dict__.
        state = dict(super().__getstate__())
        # scikit-learn sends the search to each fit (its callbacks' caller);
        # the watcher holds the progress bar, which stays here.
        state.pop("watcher", None)
        return state

    def _run_search(self, evaluate_candidates):
        candidates = list(ParameterGrid(self.param_grid))
        for start in range(0, len(candidates), self.watcher.step):
            self.watcher.evaluate(evaluate_candidates,
                                  candidates[start:start + self.watcher.step])
        if len(self.watcher.failures.reasons) == len(candidates):
            raise self.watcher.failures.all_failed()


class Watcher:
    """Evaluates each few candidates, ticks the progress bar, records failures.

    Parameters
    ----------
    step : int
        Candidates evaluated at a time.
    progress : Progress
        The run's progress bar.
    caught : list
        The warnings recorded so far in the run, where scikit-learn's
        ``FitFailedWarning`` arrives.
    failures : Failures
        Where the failed strengths go.
    constraint : str
        The scorer of the gap shown beside the progress bar.
    """

    def __init__(self, step, progress, caught, failures, constraint):
        self.step = step
        self.progress = progress
        self.caught = caught
        self.failures = failures
        self.constraint = constraint

    def evaluate(self, evaluate_candidates, chunk: list) -> None:
        from sklearn.exceptions import FitFailedWarning

        strengths = [c[KEY] for c in chunk]
        seen = len(self.caught)
        try:
            results = evaluate_candidates(chunk)
        except ValueError as exc:
            if not _ALL_FAILED.search(str(exc)):
                raise
            self.failures.add(strengths, first_error(str(exc)), str(exc))
            self.progress.candidates(len(chunk), strengths[-1], np.nan)
            return
        reports = [str(w.message) for w in self.caught[seen:]
                   if issubclass(w.category, FitFailedWarning)]
        accuracy = np.asarray(results["mean_test_accuracy"][-len(chunk):], dtype=float)
        failed = [s for s, a in zip(strengths, accuracy) if not np.isfinite(a)]
        if failed:
            reason = first_error(reports[0]) if reports else NOT_FINITE
            self.failures.add(failed, reason, reports[0] if reports else None)
        gap = -results[f"mean_test_{self.constraint}"][-1]
        self.progress.candidates(len(chunk), strengths[-1], gap)
