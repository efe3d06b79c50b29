"""The fine-tuning run behind ``demo`` and ``tune``.

A base model is trained the ordinary way (or read from ``--pretrained``),
then fine-tuned from its weights over a grid of penalty strengths with
group-aware cross-validation (:class:`~skfairtune.model_selection.FairStratifiedKFold`),
scored on accuracy and the gaps, and refit by
:func:`~skfairtune.model_selection.budget_refit`: the most accurate strength
within the fairness budget. The base and every strength are then measured
on the held-out test split.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import EXIT_NOT_MET, EXIT_OK, PASSED_OVER, Job, RunFailed, UsageError, short
from ._encoding import encoding
from ._output import Progress, met_budget, print_results, save, warn

# The network the base model and the fine-tuned ones share.
HIDDEN = (64,)
# The parameter names of that network (skfairtune.estimators' MLP).
_MLP_NAME = re.compile(r"^(hidden\.\d+|output)\.(weight|bias)$")


def tune(job: Job) -> int:
    """Base model, grid search, a table on the test split, the saved model and report.

    Returns the exit code: ``EXIT_OK``, or ``EXIT_NOT_MET`` when no strength met
    the budget (the fairest was chosen and saved all the same).
    """
    from ._search import Failures

    X, y, groups = xy(job.train, job)
    failures = Failures(advice(job))
    with job.out:  # files are written into it at the end, and only on success
        with _quiet() as caught, _one_thread():
            encoder = _encoder(X.drop(columns=job.sensitive))
            pretrained, hidden = _starting_point(job, encoder, X, y)
            pipeline = _pipeline(job, encoder, pretrained, hidden)
            with Progress(job) as progress:
                with _parallel(job, [X, y]) as threads:
                    search = _search(job, pipeline, threads, progress, caught, failures)
                    with _diverged(job, "refitting the chosen strength on all training rows"), \
                            _all_degenerate(job):
                        search.fit(X, y, groups=groups, model__sensitive_features=groups)
                progress.refitted()
                table, base = _results(job, search, pipeline, (X, y, groups), progress,
                                       failures)
        print_results(job, search, table, failures.notes())
        warn(caught)
        save(job, search, table, xy(job.test, job), failures.notes(), base=base)
    return EXIT_OK if met_budget(job, table) else EXIT_NOT_MET


def advice(job: Job, *, penalty: bool = True) -> str:
    """What to change when training diverged, in the command line's options."""
    smaller = (" or the penalty strengths (--strengths)"
               if penalty and max(job.strengths) > 0 else "")
    return f"On the command line: lower --lr (now {job.lr:g}){smaller}."


@contextmanager
def _diverged(job: Job, what: str, *, penalty: bool = True):
    """Turn a diverged training into a one-line error with the options to change."""
    from skfairtune.exceptions import DivergenceError

    try:
        yield
    except DivergenceError as exc:
        raise RunFailed(f"{what} failed: {str(exc).rstrip('.')}. "
                        f"{advice(job, penalty=penalty)}") from exc


@contextmanager
def _all_degenerate(job: Job):
    """budget_refit's refusal to choose among degenerate models, in the options' words."""
    from skfairtune.exceptions import AllDegenerateError

    try:
        yield
    except AllDegenerateError as exc:
        raise RunFailed(
            "every penalty strength gave a degenerate model on some fold: it predicts "
            "one class for everyone (or for a whole group), or does no better than the "
            "majority class, so its small gap says nothing about fairness. "
            f"{imbalance_advice(job)}Try smaller --strengths or more --epochs.") from exc


# Below this share of rows, the rarer class is what a network learns to ignore.
IMBALANCED = 0.35


def imbalance_advice(job: Job) -> str:
    """The way out of a collapse on an imbalanced target, or "" when it is balanced.

    ``--metric balanced_accuracy`` changes which strength is chosen, not how
    the network trains: class weights change the training.
    """
    share = float(np.mean(job.train[job.target] == 1))  # the run trains on 0/1
    rare = min(share, 1 - share)
    if rare >= IMBALANCED or job.class_weight == "balanced":
        return ""
    return (f"The rarer class is {rare:.0%} of the training rows: rerun with "
            "--class-weight balanced (and --metric balanced_accuracy), so that the "
            "network learns to find it. ")


def degenerate_metric(job: Job) -> str:
    """The metric a model must beat the majority class on (one the guard knows).

    Class weights trade accuracy for finding the rare class: by accuracy, a
    weighted model that works would lose to the majority class.
    """
    if job.metric == "accuracy" and job.class_weight is None:
        return "accuracy"
    return "balanced_accuracy"


def xy(frame: pd.DataFrame, job: Job):
    """Features (sensitive columns kept for the scorers), labels, groups."""
    X = frame.drop(columns=[job.target]).reset_index(drop=True)
    groups = X[job.sensitive[0]] if len(job.sensitive) == 1 else X[job.sensitive]
    return X, frame[job.target].to_numpy(), groups


def _encoder(features: pd.DataFrame):
    """One-hot categories and standardised numbers, fit once on the training rows.

    The base model and every fine-tuned one read the same encoding (a
    pre-trained network comes with its preprocessing), so the encoder is fit
    here and frozen, not refit on each fold.
    """
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features if c not in numeric]
    if not numeric and not categorical:
        raise UsageError("no feature is left besides the target and the sensitive columns")
    for column in categorical:
        n_values = features[column].nunique()
        if n_values > max(50, len(features) // 2):
            warnings.warn(f"the column {column!r} has {n_values} distinct values, each a "
                          "column of the encoding; drop it if it is an identifier",
                          UserWarning, stacklevel=2)
    return encoding(categorical, numeric).fit(features)


def _starting_point(job: Job, encoder, X, y):
    """The weights fine-tuning starts from, and the network's hidden sizes."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from skfairtune import FairTuneClassifier
    from skfairtune.pretrained import read_weight_file

    width = len(encoder.get_feature_names_out())
    if job.pretrained is not None:
        return _pretrained(job.pretrained, width)
    base = Pipeline([("encode", FrozenEstimator(encoder)), ("model", FairTuneClassifier(
        penalty=None, hidden_layer_sizes=HIDDEN, max_epochs=job.base_epochs,
        batch_size=job.batch_size, lr=job.lr, class_weight=job.class_weight,
        random_state=job.seed))])
    with _diverged(job, "training the base model", penalty=False):
        base.fit(X, y)
    reason = non_finite(base, X)
    if reason:
        raise RunFailed(f"training the base model failed: {reason}. "
                        f"{advice(job, penalty=False)}")
    path = base[-1].save_weights(job.out.file("base.safetensors"))
    return read_weight_file(path), HIDDEN


def non_finite(model, X) -> str | None:
    """Why ``model``'s probabilities on ``X`` cannot be trusted; None if they can."""
    from ._search import NOT_FINITE

    try:
        proba = model.predict_proba(X)
    except ValueError as exc:  # outputs that overflow, as the estimator reports them
        return str(exc).rstrip(".")
    return None if np.isfinite(proba).all() else NOT_FINITE


def _pretrained(path: Path, width: int):
    """Read ``--pretrained`` and check that its network fits the encoded data."""
    from skfairtune.pretrained import first_non_finite, read_weight_file

    try:
        state = read_weight_file(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--pretrained: {exc}") from None
    if "output.weight" not in state or not all(_MLP_NAME.match(k) for k in state):
        raise UsageError(f"--pretrained {path} does not hold the weights of skfairtune's "
                         f"network (hidden.<i>.weight, output.weight); it has {sorted(state)}")
    layers = sorted((k for k in state if k.startswith("hidden.") and k.endswith(".weight")),
                    key=lambda k: int(k.split(".")[1]))
    first = state[layers[0] if layers else "output.weight"]
    if first.shape[1] != width or state["output.weight"].shape[0] != 2:
        raise UsageError(
            f"--pretrained {path} does not fit the data: its network takes "
            f"{first.shape[1]} inputs and gives {state['output.weight'].shape[0]} outputs, "
            f"but the encoded data has {width} columns and 2 classes. Start from weights "
            "trained on this encoding, such as the base.safetensors or model.safetensors "
            "that 'skfairtune tune' writes for this file.")
    bad = first_non_finite(state)
    if bad is not None:
        raise UsageError(f"--pretrained {path} holds NaN or infinite values in {bad!r}, "
                         "as a diverged run leaves them; start from other weights")
    return state, tuple(int(state[k].shape[0]) for k in layers)


def _pipeline(job: Job, encoder, pretrained, hidden):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from skfairtune import FairTuneClassifier
    from skfairtune.callbacks import FairnessMonitor

    model = FairTuneClassifier(
        pretrained=pretrained, hidden_layer_sizes=hidden, penalty=job.penalty,
        max_epochs=job.epochs, batch_size=job.batch_size, lr=job.lr, n_iter_no_change=None,
        class_weight=job.class_weight, random_state=job.seed,
        callbacks=[("fairness", FairnessMonitor(on="train"))])
    return Pipeline([("encode", FrozenEstimator(encoder)), ("model", model)])


def _search(job: Job, pipeline, threads, progress, caught, failures):
    from skfairtune.metrics import make_degeneracy_scorer, make_fairness_scorer
    from skfairtune.model_selection import FairStratifiedKFold, budget_refit

    from ._search import FiniteScore, StepwiseSearch, Watcher

    workers = threads or max(1, job.n_jobs)
    scoring = {name: FiniteScore(name) for name in job.scores}
    scoring.update({gap: make_fairness_scorer(gap, sensitive_features=job.sensitive)
                    for gap in job.gaps})
    # budget_refit passes over the strengths flagged here on any fold.
    scoring["degenerate"] = make_degeneracy_scorer(metric=degenerate_metric(job),
                                                   sensitive_features=job.sensitive)
    search = StepwiseSearch(
        pipeline, {"model__penalty_strength": job.strengths}, scoring=scoring,
        refit=budget_refit(metric=job.metric, constraint=job.constraint,
                           max_value=job.budget, confidence=job.confidence),
        cv=FairStratifiedKFold(job.folds, shuffle=True, random_state=job.seed),
        # A failed fit scores NaN, which budget_refit passes over, instead of
        # ending the run: the other strengths may train.
        n_jobs=-1 if threads else job.n_jobs, error_score=np.nan)
    # As many candidates at a time as keep the workers busy, so that the
    # progress bar moves as they end.
    step = max(1, -(-workers // job.folds))
    search.watcher = Watcher(step, progress, caught, failures, job.constraint)
    return search


def _parallel(job: Job, shared: list):
    """Where the grid's fits run: here (yields None), or on a dask.distributed
    scheduler (yields its number of worker threads)."""
    if job.scheduler is None:
        return nullcontext()
    try:
        from distributed import Client

        from ._cluster import on_cluster
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install "
                         "'skfairtune[dask]'") from None
    try:
        client = Client(job.scheduler, timeout=job.scheduler_timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot reach the dask scheduler at {job.scheduler}: {exc}") from None
    return on_cluster(client, shared)


@contextmanager
def _one_thread():
    """Train with one torch thread, then restore the setting.

    A network this small gains nothing from more threads, and when another
    process holds a core, torch's spinning threads make every step many times
    slower (the demo went from 20 seconds to 4 minutes). Parallel fits come
    from --n-jobs or --scheduler instead.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def _quiet():
    """Collect warnings during the run, to be shown once each at the end."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _results(job: Job, search, pipeline, train, progress, failures):
    """Cross-validated and test-split accuracy and gaps: the base and each strength.

    A strength that failed (in cross-validation, or now, refit on all the
    training rows) has no test scores, and is noted in ``failures``. Returns
    the table and the base model (None if it failed), which the report sets
    beside the chosen one.
    """
    from skfairtune.report import search_table

    X_test, y_test, groups_test = xy(job.test, job)
    chosen = search.best_params_["model__penalty_strength"]
    cv = search_table(search.cv_results_).set_index("penalty_strength")
    if job.confidence is not None:
        cv[BOUND] = search.refit.gaps(search.cv_results_)
    rows = {"majority class": _majority_scores(job, search, train, (X_test, y_test,
                                                                     groups_test))}
    flags = {"majority class": ""}
    base = None
    for strength in [None, *job.strengths]:
        if strength == chosen:
            model = search.best_estimator_
            reason = non_finite(model, X_test)
            if reason:  # never written, never shown as chosen
                raise RunFailed(f"the chosen strength {chosen:g} cannot be used: {reason}. "
                                f"{advice(job)}")
        else:
            model = _refit(job, pipeline, strength, train, X_test, failures)
            progress.tested()
        scores = (_test_scores(job, model, X_test, y_test, groups_test)
                  if model is not None else
                  {("test", short(n)): np.nan for n in [*job.scores, *job.gaps]})
        if strength is None:
            base = model
        label = "base" if strength is None else f"{strength:g}"
        # A failed strength's cross-validated gaps (a NaN network predicts one
        # class: no gap) are not shown either.
        failed = strength in failures.reasons
        rows[label] = {**_cv_scores(job, cv, None if failed else strength), **scores}
        flags[label] = _degenerate(job, cv, strength, model, (X_test, y_test, groups_test))
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table[job.bound_beside_its_gap(list(table.columns))]
    table.index.name = "strength"
    # -0.0 (a gap of zero, negated back from a scorer) would print as -0.000.
    table = table + 0.0
    table[("chosen", "")] = table.index == f"{chosen:g}"  # a full key: columns are pairs
    table[("degenerate", "")] = pd.Series(flags)
    return table, base


# The cross-validated column of the budget's upper confidence bound.
BOUND = "bound"


def _majority_scores(job: Job, search, train, test) -> dict:
    """The baseline every model must beat: the training majority class for everyone.

    Its gaps are zero by construction; a strength that scores no better than
    this row is not a fair model, whatever its gap.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import cross_validate

    X, y, groups = train
    dummy = DummyClassifier(strategy="most_frequent")
    scoring = {k: v for k, v in search.scoring.items() if k != "degenerate"}
    cv = cross_validate(dummy, X, y, groups=groups, scoring=scoring, cv=search.cv)
    shown = {name: float(np.mean(cv[f"test_{name}"])) for name in scoring}
    for gap in job.gaps:
        shown[gap] = abs(shown[gap]) + 0.0
    row = {("cross-validated", short(n)): shown[n] for n in [*job.scores, *job.gaps]}
    if job.confidence is not None:
        folds = {f"split{i}_test_{job.constraint}": [v]
                 for i, v in enumerate(cv[f"test_{job.constraint}"])}
        row[("cross-validated", job.bound_name)] = float(
            search.refit.gaps({**folds, f"mean_test_{job.metric}": [0.0]})[0])
    return {**row, **_test_scores(job, dummy.fit(X, y), *test)}


def _degenerate(job: Job, cv: pd.DataFrame, strength, model, test) -> str:
    """Why a strength's model is degenerate (cross-validated or on the test split), or ""."""
    from skfairtune.metrics import degenerate_reason

    if strength is not None and strength in cv.index and cv.loc[strength, "degenerate"] > 0:
        return PASSED_OVER
    if model is None:
        return ""
    X_test, y_test, groups_test = test
    reason = degenerate_reason(y_test, model.predict(X_test), sensitive_features=groups_test,
                               metric=degenerate_metric(job), class_names=job.class_names)
    return f"{reason} on the test split" if reason else ""


def _refit(job: Job, pipeline, strength, train, X_test, failures):
    """The base (``strength`` None) or a strength refit on all training rows;
    None if it failed."""
    from sklearn.base import clone

    from skfairtune.exceptions import DivergenceError

    if strength in failures.reasons:
        return None
    X, y, groups = train
    params = ({"model__max_epochs": 0} if strength is None
              else {"model__penalty_strength": strength})
    try:
        model = clone(pipeline).set_params(**params).fit(
            X, y, model__sensitive_features=groups)
    except DivergenceError as exc:
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = non_finite(model, X_test)
    if reason is None:
        return model
    failures.add([strength], f"refit on all training rows, {reason}")
    return None


def _cv_scores(job: Job, cv: pd.DataFrame, strength) -> dict:
    """A strength's mean cross-validated scores (gaps positive); NaN for the base."""
    found = strength in cv.index
    scores = {("cross-validated", short(n)): cv.loc[strength, n] if found else np.nan
              for n in [*job.scores, *job.gaps]}
    if job.confidence is not None:
        scores[("cross-validated", job.bound_name)] = cv.loc[strength, BOUND] if found \
            else np.nan
    return scores


def _test_scores(job: Job, model, X, y, groups) -> dict:
    from sklearn.metrics import get_scorer

    from skfairtune import metrics

    pred = model.predict(X)
    scores = {("test", "accuracy"): float((pred == y).mean())}
    if job.metric != "accuracy":
        scores[("test", short(job.metric))] = float(get_scorer(job.metric)(model, X, y))
    for gap in job.gaps:
        function = getattr(metrics, gap)
        scores[("test", short(gap))] = function(y, pred, sensitive_features=groups)
    return scores
