"""Checks of the estimators' parameters and inputs that need no estimator.

The estimators call them from ``_validate_params`` (parameters that
scikit-learn's constraints cannot express) and from ``fit`` and ``predict``
(what the network can take).
"""

from __future__ import annotations

import fnmatch
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from skorch.callbacks import Callback

from skfairtune._compat import InvalidParameterError
from skfairtune._groups import encode_groups
from skfairtune._tasks import Task, get_task
from skfairtune._torch_data import FLOAT32_MAX
from skfairtune.estimators._net import AUTOCAST_DTYPES
from skfairtune.penalties import get_penalty


def _check_groups_for_sampler(sensitive_features, missing_groups: str) -> None:
    # Resampling balances the groups, so it needs every row's.
    if missing_groups != "ignore" or sensitive_features is None:
        return
    n_missing = encode_groups(sensitive_features, missing="ignore").n_missing
    if n_missing:
        raise ValueError(
            f"sampler needs the group of every row, but sensitive_features is missing "
            f"in {n_missing} row(s). With missing_groups='ignore', fit without a "
            "sampler, or give the missing values a group of their own ('unknown')."
        )


def _is_callback(item) -> bool:
    """What skorch accepts: a callback, its class, or a (name, either) pair."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
        item = item[1]
    return isinstance(item, Callback) or (isinstance(item, type) and issubclass(item, Callback))


def _check_table_for_the_mlp(X, module) -> None:
    """Refuse a dict or N-D X without a network of the user's: the MLP takes tables."""
    if module is not None:
        return
    # scipy's dok sparse matrices are dicts too: scikit-learn's checks take those.
    is_dict = isinstance(X, dict) and not sp.issparse(X)
    if is_dict or getattr(X, "ndim", 2) > 2:
        what = "a dict of arrays" if is_dict else f"{X.ndim}-D"
        raise ValueError(
            f"X is {what}, but module=None builds an MLP that takes a 2-D table "
            "(n_samples, n_features). Pass module= (a torch.nn.Module that takes X "
            "as it is); see the guide 'Bring your own PyTorch model'.")


def _check_float32_range(X):
    """Refuse finite values that the cast to the network's float32 makes inf."""
    if X.dtype == np.float64 and X.size:
        largest = max(-X.min(), X.max())
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"X holds values as large as {largest:.3g} in absolute value, "
                f"beyond float32's range ({FLOAT32_MAX:.3g}) in which the network "
                "computes. Scale X, e.g. with a StandardScaler in a Pipeline."
            )
    return X


def _check_hidden_layer_sizes(sizes, name: str) -> None:
    # A constraint can say "a tuple or a list", not what its items must be.
    if not all(isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in sizes):
        raise InvalidParameterError(
            f"The 'hidden_layer_sizes' parameter of {name} must hold positive "
            f"integers, the width of each hidden layer. Got {tuple(sizes)!r} "
            "instead; use e.g. (64,), or () for a linear model."
        )


def _check_callbacks(callbacks, name: str) -> None:
    # A constraint can say "a list", not what its items must be.
    for item in callbacks or []:
        if not _is_callback(item):
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {name} must hold skorch callbacks: "
                "Callback instances or classes, or (name, callback) tuples. Got "
                f"{item!r} among them."
            )


def _check_penalty_task(penalty, task: str) -> None:
    # Which penalties fit which task is the penalty's to say.
    penalty = get_penalty(penalty)
    if penalty is None:
        return
    try:
        penalty.check_task(task)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None


def _dense(X):
    # One-hot encoders give sparse matrices by default; the network takes
    # dense tensors, and tabular data fits in memory densely.
    return X.toarray() if sp.issparse(X) else X


def _check_device(device) -> None:
    # A constraint can say "a str", not which strings torch reads as a device.
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidParameterError(f"device={device!r} is not a torch device: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            f"device={str(device)!r} was asked for but CUDA is not available."
        )


def _check_precision(precision: str, device) -> None:
    """Refuse a ``precision`` that torch cannot autocast to on ``device``.

    Asked of torch itself, which refuses (or warns and runs in float32) where
    a device or a torch version lacks the dtype: bfloat16 on a GPU older than
    Ampere, float16 on the CPU before torch 2.3.
    """
    dtype = AUTOCAST_DTYPES[precision]
    if dtype is None:
        return
    device = torch.device(device)
    why = _autocast_refusal(device.type, dtype)
    if why is None and precision == "float16" and device.type != "cuda" and not hasattr(
            torch.amp, "GradScaler"):
        why = "this torch has no loss scaler for float16 off CUDA (torch.amp.GradScaler)"
    if why is not None:
        raise InvalidParameterError(
            f"precision={precision!r} cannot run on device={str(device)!r}: {why}. "
            "Use precision='float32', or another precision or device."
        )


def _autocast_refusal(device_type: str, dtype: torch.dtype) -> str | None:
    """Why torch will not autocast to ``dtype`` on ``device_type``, or None."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.autocast(device_type, dtype=dtype)
    except (RuntimeError, ValueError) as exc:
        return str(exc).rstrip(".")
    return str(caught[0].message).rstrip(".") if caught else None


def _check_param_groups_form(groups) -> None:
    """Refuse what skorch cannot unpack as ``[(pattern, options), ...]``."""
    def is_pair(item):
        return (isinstance(item, (tuple, list)) and len(item) == 2
                and isinstance(item[0], str) and isinstance(item[1], dict))

    if not isinstance(groups, (list, tuple)) or not all(is_pair(g) for g in groups):
        raise InvalidParameterError(
            "optimizer__param_groups must be a list of (pattern, options) pairs: a "
            "glob pattern of parameter names and a dict of the optimizer's options "
            "for them, e.g. [('body.*', {'lr': 1e-4})]. Got "
            f"{groups!r} instead.")


def _check_param_groups(groups, module) -> None:
    """Refuse an ``optimizer__param_groups`` pattern that reaches no trainable parameter.

    skorch matches each pattern with ``fnmatch`` and quietly skips one that
    matches nothing, so a typo (or a group frozen by ``freeze``/``train_last``)
    would train at the default learning rate, or not at all, without a word.
    """
    if groups is None:
        return
    _check_param_groups_form(groups)
    names = [name for name, _ in module.named_parameters()]
    trainable = [name for name, p in module.named_parameters() if p.requires_grad]
    for pattern, _ in groups:
        if any(fnmatch.fnmatch(name, pattern) for name in trainable):
            continue
        frozen = any(fnmatch.fnmatch(name, pattern) for name in names)
        why = ("matches only frozen parameters (freeze or train_last)" if frozen
               else "matches no parameter")
        raise ValueError(
            f"optimizer__param_groups: the pattern {pattern!r} {why}. The network's "
            f"parameters are {names[:12]}{' ...' if len(names) > 12 else ''}.")


def _check_pretrained_task(source, pretrained, name: str, task: Task) -> None:
    """Refuse a fitted source of the other task: its outputs mean something else.

    A regressor's single output would be read as a logit (a binary
    classifier takes single-logit networks), and a classifier's logits as
    predicted values, without any shape to tell.
    """
    if not task.refuses(source.task):
        return
    other = get_task(source.task)
    what, needed = other.noun, task.noun
    raise InvalidParameterError(
        f"pretrained={type(pretrained).__name__}(...) is a {what}, but {name} "
        f"fine-tunes a {needed}: the {what}'s outputs are not what a {needed}'s "
        f"network gives. Pass a fitted {needed} as pretrained, or fine-tune this "
        f"{what} with {other.tuner}.")


def _check_class_weight(class_weight, classes) -> None:
    """Refuse a dict ``class_weight`` that names unknown classes or bad weights.

    scikit-learn's own message for an unknown key lists the classes that are
    *not* in the dict, which reads as the opposite of what went wrong.
    """
    if not isinstance(class_weight, dict):
        return
    unknown = [key for key in class_weight if key not in set(classes.tolist())]
    if unknown:
        raise ValueError(
            f"class_weight names {unknown!r}, which are not classes of y (the classes "
            f"are {classes.tolist()}); give weights for those classes only (a class "
            "left out weighs 1).")
    bad = {key: value for key, value in class_weight.items()
           if not isinstance(value, (Integral, float, np.floating))
           or not np.isfinite(value) or value < 0}
    if bad:
        raise ValueError(
            f"class_weight must map each class to a finite, non-negative number; got "
            f"{bad!r}.")
