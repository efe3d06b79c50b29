"""Reading, converting, loading and saving pre-trained weights.

The implementation behind :mod:`skfairtune.pretrained`, which re-exports its
public names, where users look for them. It sits a layer below both that
module and ``_embedding`` (``EmbeddingTransformer``), which loads a network's
weights with it: neither imports the other's layer back.

Weight files are read safely: ``.safetensors`` holds tensors only, and
``.pt``/``.pth`` files are read with ``torch.load(weights_only=True)``, which
refuses pickled objects that carry code instead of running it.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from torch import nn

from skfairtune._mlp import build_mlp
from skfairtune._tasks import TASK_NAMES

WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth")


@dataclass
class PretrainedSource:
    """Where fine-tuning starts.

    Attributes
    ----------
    state_dict : dict of str to Tensor
        The weights.
    module : torch.nn.Module or None
        The network the weights belong to, when the source carries one (a
        module, a fitted estimator, a converted scikit-learn model); None for
        bare weights.
    classes : ndarray or None
        The classes the source predicts, in the order of its outputs, when it
        is a fitted classifier.
    task : {"classification", "regression"} or None
        What the source was fitted for, when it is an estimator that says;
        None for weights and modules, whose outputs could be either.
    """

    state_dict: dict
    module: nn.Module | None = None
    classes: np.ndarray | None = field(default=None)
    task: str | None = None


def read_weight_file(path: str | Path) -> dict:
    """Read a ``.safetensors``, ``.pt`` or ``.pth`` state-dict file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict of str to Tensor

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the suffix is not a weight file's, if the file is truncated or is
        no weight file, or if a ``.pt`` file holds pickled objects other than
        tensors (they are refused, and their code never runs).
    """
    path = Path(path)
    if path.suffix not in WEIGHT_SUFFIXES:
        raise ValueError(
            f"pretrained={str(path)!r}: unsupported file type {path.suffix!r}; "
            f"weight files must end in one of {WEIGHT_SUFFIXES}."
        )
    if path.is_dir():
        raise ValueError(
            f"pretrained={str(path)!r} is a folder, not a weight file; pass the "
            "path of the weight file itself."
        )
    if not path.is_file():
        raise FileNotFoundError(f"pretrained={str(path)!r}: no such file.")
    state = _read_safetensors(path) if path.suffix == ".safetensors" else _read_pt(path)
    return _check_state_dict(state, f"pretrained={str(path)!r}")


def _read_safetensors(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(
            f"pretrained={str(path)!r} is not a readable .safetensors file "
            f"(truncated or another format): {exc}"
        ) from None


def _read_pt(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message suggests weights_only=False, which would run
        # whatever code the file carries: ours must not pass that on.
        raise ValueError(
            f"pretrained={str(path)!r} was refused: it holds pickled objects other "
            "than tensors, which cannot be loaded safely. Re-save the weights "
            "with torch.save(module.state_dict(), path), or as .safetensors."
        ) from None
    # torch.load fails on non-PyTorch files with whatever its parser hits
    # first; a record claiming more elements than an int64 holds gives a
    # TypeError from torch's C++ binding.
    except (RuntimeError, EOFError, OSError, IndexError, KeyError, ValueError,
            TypeError, OverflowError):
        raise ValueError(
            f"pretrained={str(path)!r} is not a valid weight file: it could not "
            "be read as a PyTorch state dict (truncated, corrupt or not made by "
            "torch.save)."
        ) from None


def _check_state_dict(state: Any, what: str) -> dict:
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(
            f"{what} is not a state dict: expected a mapping of parameter names "
            f"to tensors, got {type(state).__name__}."
        )
    if not state:
        raise ValueError(f"{what} holds no tensors.")
    return state


def read_pretrained(pretrained: Any) -> PretrainedSource:
    """Turn any supported pre-trained source into weights (and a network).

    Parameters
    ----------
    pretrained : str, Path, dict, torch.nn.Module or fitted estimator
        A weight file, a state dict, a module, a fitted skfairtune estimator
        or skorch net, or a fitted scikit-learn ``MLPClassifier``,
        ``MLPRegressor`` or ``LogisticRegression``.

    Returns
    -------
    PretrainedSource
    """
    if isinstance(pretrained, (str, Path)):
        return PretrainedSource(read_weight_file(pretrained))
    if isinstance(pretrained, dict):
        return PretrainedSource(_check_state_dict(dict(pretrained), "pretrained"))
    if isinstance(pretrained, nn.Module):
        return _from_module(pretrained)
    if hasattr(pretrained, "net_") or hasattr(pretrained, "module_"):
        return _from_torch_estimator(pretrained)
    if _is_sklearn_convertible(pretrained):
        module, classes = module_from_sklearn(pretrained)
        return PretrainedSource(module.state_dict(), module, classes, task_of(pretrained))
    if hasattr(pretrained, "get_params") and hasattr(pretrained, "fit"):
        raise NotFittedError(
            f"pretrained={type(pretrained).__name__}(...) is not fitted (or not a "
            "kind that can be converted); fit it first, or pass a fitted "
            "MLPClassifier, MLPRegressor, LogisticRegression, skorch net or "
            "skfairtune estimator."
        )
    raise TypeError(
        "pretrained must be a .safetensors/.pt/.pth path, a state dict, a "
        "torch.nn.Module, a fitted skfairtune or skorch estimator, or a fitted "
        "MLPClassifier, MLPRegressor or LogisticRegression; got "
        f"{type(pretrained).__name__}."
    )


def _from_module(module: nn.Module) -> PretrainedSource:
    module = copy.deepcopy(module).cpu()
    return PretrainedSource({k: v.clone() for k, v in module.state_dict().items()}, module)


def _from_torch_estimator(estimator: Any) -> PretrainedSource:
    net = getattr(estimator, "net_", estimator)
    module = getattr(net, "module_", None)
    if module is None:
        raise NotFittedError(
            f"pretrained={type(estimator).__name__} is not fitted: fit it before "
            "fine-tuning from it."
        )
    source = _from_module(module)
    source.classes = getattr(estimator, "classes_", None)
    source.task = task_of(estimator)
    return source


def task_of(model: Any) -> str | None:
    """``"classification"`` or ``"regression"``: what an estimator is for, or None.

    scikit-learn's tags say it for scikit-learn, skorch and skfairtune
    estimators; skfairtune's own skorch nets carry a ``task``.
    """
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(model):
        return "classification"
    if is_regressor(model):
        return "regression"
    task = getattr(model, "task", None)
    return task if task in TASK_NAMES else None


def _is_sklearn_convertible(model: Any) -> bool:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if not isinstance(model, (LogisticRegression, MLPClassifier, MLPRegressor)):
        return False
    if not hasattr(model, "coef_") and not hasattr(model, "coefs_"):
        raise NotFittedError(
            f"pretrained={type(model).__name__}(...) is not fitted: fit it first."
        )
    return True


def module_from_sklearn(model: Any) -> tuple[nn.Module, np.ndarray | None]:
    """Convert a fitted scikit-learn network or logistic regression to an MLP.

    The result computes the same predictions: for a binary classifier its two
    output logits are ``(0, z)``, whose softmax is the sigmoid of ``z``.

    Parameters
    ----------
    model : MLPClassifier, MLPRegressor or LogisticRegression
        A fitted model.

    Returns
    -------
    module : MLP
        The equivalent network, in float32.
    classes : ndarray or None
        The model's ``classes_``, or None for a regressor.
    """
    from sklearn.linear_model import LogisticRegression

    if isinstance(model, LogisticRegression):
        coefs, intercepts, activation = [model.coef_.T], [model.intercept_], "identity"
    else:
        coefs, intercepts, activation = model.coefs_, model.intercepts_, model.activation
    classes = getattr(model, "classes_", None)
    coefs, intercepts = list(coefs), list(intercepts)
    if classes is not None and len(classes) == 2:
        if coefs[-1].shape[1] != 1:
            raise ValueError("Cannot convert a binary model with several outputs.")
        coefs[-1] = np.hstack([np.zeros_like(coefs[-1]), coefs[-1]])
        intercepts[-1] = np.concatenate([np.zeros(1), intercepts[-1]])
    elif classes is not None:
        _check_softmax(model)
    hidden = tuple(c.shape[1] for c in coefs[:-1])
    # Its initial weights are overwritten: drawn from a generator of its own,
    # they leave the process's random state alone.
    module = build_mlp(coefs[0].shape[0], coefs[-1].shape[1], hidden, activation,
                       generator=torch.Generator())
    layers = [*module.hidden, module.output]
    with torch.no_grad():
        for layer, coef, intercept in zip(layers, coefs, intercepts):
            layer.weight.copy_(torch.as_tensor(coef.T, dtype=torch.float32))
            layer.bias.copy_(torch.as_tensor(intercept, dtype=torch.float32))
    return module, classes


def _check_softmax(model: Any) -> None:
    out = getattr(model, "out_activation_", "softmax")
    solver = getattr(model, "solver", None)
    if out != "softmax" or (type(model).__name__ == "LogisticRegression"
                            and solver == "liblinear"):
        raise ValueError(
            f"Cannot convert {type(model).__name__} with several classes fitted "
            "one-vs-rest (or multilabel): only softmax (multinomial) models "
            "convert exactly. Refit it with a multinomial solver such as lbfgs."
        )


def load_state_dict(module: nn.Module, state_dict: dict) -> None:
    """Copy ``state_dict`` into ``module``, checking names and shapes first.

    Parameters
    ----------
    module : torch.nn.Module
        The network to load into.
    state_dict : dict of str to Tensor
        The weights.

    Raises
    ------
    ValueError
        If a name is missing or unexpected, or a shape differs (the message
        names the layer and both shapes), or a weight is NaN or infinite.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing or unexpected:
        raise ValueError(
            "The pre-trained weights do not fit the network: "
            f"missing {missing or 'none'}, unexpected {unexpected or 'none'}.\n"
            f"{_both_sides(state_dict, own)}\n{_KEY_FIX}"
        )
    wrong = [n for n, t in state_dict.items() if tuple(t.shape) != tuple(own[n].shape)]
    if wrong:
        name = wrong[0]
        raise ValueError(
            f"The pre-trained weights do not fit the network: layer {name!r} "
            f"has shape {tuple(state_dict[name].shape)} in the weights but "
            f"{tuple(own[name].shape)} in the network ({len(wrong)} layer(s) differ). "
            "Check the number of features, of classes and hidden_layer_sizes (or "
            f"the module__* arguments).\n{_both_sides(state_dict, own)}"
        )
    _check_dtypes(state_dict, own)
    bad = first_non_finite(state_dict)
    if bad is not None:
        raise ValueError(
            f"The pre-trained weights hold NaN or infinite values in {bad!r}: a "
            "network started from them predicts NaN. They probably come from a "
            "training run that diverged; start from other weights."
        )
    with torch.no_grad():
        for name, tensor in own.items():
            tensor.copy_(state_dict[name].to(dtype=tensor.dtype, device=tensor.device))


def _check_dtypes(state_dict: dict, own: dict) -> None:
    """Refuse integer weights for floating-point parameters.

    Casting float64 to the network's float32 only rounds; integers in a
    float parameter are quantized weights without their scale, or weights
    saved with the wrong dtype, and the cast would make another network
    without a word.
    """
    wrong = [n for n, t in state_dict.items()
             if own[n].is_floating_point() and not t.is_floating_point()]
    if wrong:
        name = wrong[0]
        raise ValueError(
            f"The pre-trained weights hold {name!r} as {state_dict[name].dtype}, but "
            f"the network's {name!r} is {own[name].dtype} ({len(wrong)} tensor(s) "
            "hold integers where the network has floats). Integer weights are "
            "quantized or saved with the wrong dtype, and a cast would load other "
            "values than the network was trained with. Dequantize them, or, if they "
            "are the trained values, cast them yourself: "
            "{name: t.float() for name, t in weights.items()}.")


# The usual cause of names that differ: weights saved from another class.
_KEY_FIX = (
    "To fix it: pass module= the class (or an instance) of the network the "
    "weights were saved from, with the same module__* arguments. With "
    "module=None the network is skfairtune's MLP (parameters 'hidden.<i>.*' and "
    "'output.*'), which fits only weights saved from it. A state dict saved from "
    "a wrapper has prefixed names ('model.0.weight'): strip the prefix first."
)

# How many names each side lists before "... and N more".
_LISTED = 12


def _both_sides(weights: dict, own: dict) -> str:
    """The names and shapes of the weights and of the network, side by side."""
    return (f"The weights hold {_names_and_shapes(weights)}.\n"
            f"The network has {_names_and_shapes(own)}.")


def _names_and_shapes(state: dict) -> str:
    items = [f"{name} {tuple(t.shape)}" for name, t in state.items()]
    more = len(items) - _LISTED
    return ", ".join(items[:_LISTED]) + (f", ... and {more} more" if more > 0 else "")


def first_non_finite(tensors: dict) -> str | None:
    """The name of the first floating-point tensor holding NaN or inf, or None."""
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            return name
    return None


def save_weights(module: nn.Module, path: str | Path) -> Path:
    """Write a module's weights as a ``.safetensors`` file.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    path : str or Path
        Where to write; must end in ``.safetensors``.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.safetensors``, or is a folder.
    FileNotFoundError
        If the folder to write into does not exist (it is not created: a
        typo in it would otherwise scatter weights into new folders).
    """
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"path={str(path)!r} must end in '.safetensors'.")
    if path.is_dir():
        raise ValueError(f"path={str(path)!r} is a folder; give the path of a file in it.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"path={str(path)!r}: the folder {str(path.parent)!r} does not exist; "
            "create it first (Path(folder).mkdir(parents=True))."
        )
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(path))
    return path
