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

from ._common import Job, UsageError, short
from ._output import Progress, print_results, save, warn

# The network the base model and the fine-tuned ones share.
HIDDEN = (64,)
# The parameter names of that network (skfairtune.estimators' MLP).
_MLP_NAME = re.compile(r"^(hidden\.\d+|output)\.(weight|bias)$")


def tune(job: Job) -> None:
    """Base model, grid search, a table on the test split, the saved model and report."""
    X, y, groups = xy(job.train, job)
    with _quiet() as caught, _one_thread():
        encoder = _encoder(X.drop(columns=job.sensitive))
        pretrained, hidden = _starting_point(job, encoder, X, y)
        pipeline = _pipeline(job, encoder, pretrained, hidden)
        with _parallel(job) as threads, Progress(job) as progress:
            search = _search(job, pipeline, threads, progress)
            search.fit(X, y, groups=groups, model__sensitive_features=groups)
            progress.refitted()
            table = _results(job, search, pipeline, (X, y, groups), progress)
    print_results(job, search, table)
    warn(caught)
    save(job, search, table, xy(job.test, job))


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
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

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
    encoder = ColumnTransformer([
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         categorical),
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         numeric),
    ])
    return encoder.fit(features)


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
        batch_size=job.batch_size, lr=job.lr, random_state=job.seed))])
    base.fit(X, y)
    return read_weight_file(base[-1].save_weights(job.out / "base.safetensors")), HIDDEN


def _pretrained(path: Path, width: int):
    """Read ``--pretrained`` and check that its network fits the encoded data."""
    from skfairtune.pretrained import read_weight_file

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
    return state, tuple(int(state[k].shape[0]) for k in layers)


def _pipeline(job: Job, encoder, pretrained, hidden):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from skfairtune import FairTuneClassifier
    from skfairtune.callbacks import FairnessMonitor

    model = FairTuneClassifier(
        pretrained=pretrained, hidden_layer_sizes=hidden, penalty=job.penalty,
        max_epochs=job.epochs, batch_size=job.batch_size, lr=job.lr, n_iter_no_change=None,
        random_state=job.seed, callbacks=[("fairness", FairnessMonitor(on="train"))])
    return Pipeline([("encode", FrozenEstimator(encoder)), ("model", model)])


def _search(job: Job, pipeline, threads, progress):
    from sklearn.model_selection import GridSearchCV, ParameterGrid

    from skfairtune.metrics import make_fairness_scorer
    from skfairtune.model_selection import FairStratifiedKFold, budget_refit

    class StepwiseSearch(GridSearchCV):
        # A few candidates at a time, so that the progress bar moves as they end.
        def _run_search(self, evaluate_candidates):
            candidates = list(ParameterGrid(self.param_grid))
            for start in range(0, len(candidates), step):
                progress.candidates(evaluate_candidates(candidates[start:start + step]))

    workers = threads or max(1, job.n_jobs)
    step = max(1, -(-workers // job.folds))
    scoring = {"accuracy": "accuracy", **{
        gap: make_fairness_scorer(gap, sensitive_features=job.sensitive) for gap in job.gaps}}
    return StepwiseSearch(
        pipeline, {"model__penalty_strength": job.strengths}, scoring=scoring,
        refit=budget_refit(metric="accuracy", constraint=job.constraint,
                           max_value=job.budget),
        cv=FairStratifiedKFold(job.folds, shuffle=True, random_state=job.seed),
        n_jobs=-1 if threads else job.n_jobs, error_score="raise")


def _parallel(job: Job):
    """Where the grid's fits run: here (yields None), or on a dask.distributed
    scheduler (yields its number of worker threads)."""
    if job.scheduler is None:
        return nullcontext()
    try:
        import joblib
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install "
                         "'skfairtune[dask]'") from None
    try:
        client = Client(job.scheduler, timeout=job.scheduler_timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot reach the dask scheduler at {job.scheduler}: {exc}") from None
    return _on_cluster(client, joblib)


@contextmanager
def _on_cluster(client, joblib):
    with client, joblib.parallel_backend("dask"):
        yield max(1, sum(client.nthreads().values()))


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


def _results(job: Job, search, pipeline, train, progress) -> pd.DataFrame:
    """Cross-validated and test-split accuracy and gaps: the base and each strength."""
    from sklearn.base import clone

    from skfairtune.report import search_table

    X, y, groups = train
    X_test, y_test, groups_test = xy(job.test, job)
    chosen = search.best_params_["model__penalty_strength"]
    cv = search_table(search.cv_results_).set_index("penalty_strength")
    rows = {}
    for strength in [None, *job.strengths]:
        if strength == chosen:
            model = search.best_estimator_
        else:
            params = ({"model__max_epochs": 0} if strength is None
                      else {"model__penalty_strength": strength})
            model = clone(pipeline).set_params(**params).fit(
                X, y, model__sensitive_features=groups)
            progress.tested()
        label = "base" if strength is None else f"{strength:g}"
        rows[label] = {**_cv_scores(job, cv, strength),
                       **_test_scores(job, model.predict(X_test), y_test, groups_test)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strength"
    table["chosen"] = table.index == f"{chosen:g}"
    return table


def _cv_scores(job: Job, cv: pd.DataFrame, strength) -> dict:
    """A strength's mean cross-validated scores (gaps positive); NaN for the base."""
    names = ["accuracy", *job.gaps]
    found = strength in cv.index
    return {("cross-validated", short(n)): cv.loc[strength, n] if found else np.nan
            for n in names}


def _test_scores(job: Job, pred, y, groups) -> dict:
    from skfairtune import metrics

    scores = {("test", "accuracy"): float((pred == y).mean())}
    for gap in job.gaps:
        function = getattr(metrics, gap)
        scores[("test", short(gap))] = function(y, pred, sensitive_features=groups)
    return scores
