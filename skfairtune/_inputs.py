"""The inputs a user's own network takes: arrays of any shape, or dicts of them.

With ``module=None`` the estimators build an MLP and X is a 2-D table,
checked by scikit-learn's ``validate_data``. A user's network may take
images (N x C x H x W), sequences, token ids (integers, passed as they are),
or several inputs at once, as a dict of arrays that skorch hands to the
module as keyword arguments. Such X is checked here: one row per sample in
every entry, finite numbers, the same layout at predict as at fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from skfairtune._disk_data import DatasetRows
from skfairtune._validation import check_n_rows


def is_dict(X: Any) -> bool:
    """Whether X is a dict of inputs (a ``dok_matrix`` is a dict too, but a table)."""
    return isinstance(X, dict) and not sp.issparse(X)


def to_numpy(X: Any) -> Any:
    """Tensors as numpy arrays (a dict's entries too), and a DataFrame of
    integers (token ids) as an integer array; anything else as it is."""
    if is_dict(X):
        return {k: to_numpy(v) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    if _is_integer_frame(X):
        return X.to_numpy()
    return X


def _is_integer_frame(X: Any) -> bool:
    # Only numpy's integer dtypes: a nullable Int64 column may hold NA, and a
    # boolean one is a table's 0/1 feature, cast to float as tables are.
    return isinstance(X, pd.DataFrame) and X.shape[1] > 0 and all(
        isinstance(dtype, np.dtype) and dtype.kind in "iu" for dtype in X.dtypes)


def is_custom_input(X: Any) -> bool:
    """Whether X is beyond a 2-D float table: a dict, an N-D array, or integers.

    A 1-D X is not: it is a table given the wrong way, which scikit-learn's
    checks refuse with "Reshape your data" (a dict's entries may be 1-D).
    """
    if is_dict(X):
        return True
    return isinstance(X, np.ndarray) and (
        X.ndim > 2 or (X.ndim == 2 and X.dtype.kind in "iub"))


def check_custom_input(X: Any) -> tuple[Any, int]:
    """Check an array or a dict of arrays; return it as numpy, and its rows."""
    if not is_dict(X):
        X = _check_array(X, "X")
        return X, X.shape[0]
    if not X:
        raise ValueError("X is an empty dict; give the network's inputs as its entries.")
    checked = {}
    for key, value in X.items():
        if not isinstance(key, str):
            raise ValueError(
                f"X is a dict whose keys must be strings, the network's keyword "
                f"arguments; got the key {key!r}."
            )
        checked[key] = _check_array(value, f"X[{key!r}]")
    first, *rest = checked
    for key in rest:
        check_n_rows(len(checked[key]), len(checked[first]), name=f"X[{key!r}]",
                     reference=f"X[{first!r}]")
    return checked, len(checked[first])


def _check_array(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "iubf":
        raise ValueError(
            f"{name} must hold numbers (floats, or integers such as token ids); "
            f"got dtype {array.dtype}."
        )
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(
            f"{name} has shape {array.shape}: it needs at least one row (sample)."
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return array


def input_layout(X: Any) -> Any:
    """What predict's X must match: a row's shape and whether it holds integers.

    Per entry for a dict.
    """
    if isinstance(X, dict):
        return {k: _array_layout(v) for k, v in X.items()}
    return _array_layout(X)


def table_layout(n_features: int) -> tuple:
    """The layout of a 2-D float table of ``n_features`` columns."""
    return (n_features,), False


def _array_layout(array: np.ndarray) -> tuple:
    return array.shape[1:], array.dtype.kind in "iub"


def check_layout(X: Any, layout: Any) -> None:
    """Refuse X whose entries or row shapes differ from what fit saw."""
    if isinstance(layout, dict) != isinstance(X, dict):
        seen = "a dict of arrays" if isinstance(layout, dict) else "an array"
        raise ValueError(f"X was {seen} in fit; give the same kind of X to predict.")
    if isinstance(layout, dict):
        if set(X) != set(layout):
            raise ValueError(
                f"X has the entries {sorted(X)} but was fitted on {sorted(layout)}."
            )
        for key, fitted in layout.items():
            _check_array_layout(X[key], fitted, f"X[{key!r}]")
    else:
        _check_array_layout(X, layout, "X")


def _check_array_layout(array: np.ndarray, fitted: tuple, name: str) -> None:
    (shape, integers), (fitted_shape, fitted_integers) = _array_layout(array), fitted
    # Only the number of dimensions: a network may take sequences of any length.
    if len(shape) != len(fitted_shape):
        raise ValueError(
            f"{name}'s rows have shape {shape} but had shape {fitted_shape} in fit."
        )
    if integers != fitted_integers:
        kinds = {True: "integers", False: "floats"}
        raise ValueError(
            f"{name} holds {kinds[integers]} but held {kinds[fitted_integers]} in fit; "
            f"give it as in fit (integers reach the network uncast)."
        )


def describe(X: Any) -> str:
    """X's layout in words, for error messages."""
    if isinstance(X, dict):
        return "X = {" + ", ".join(
            f"{k!r}: {_describe_array(v)}" for k, v in X.items()) + "}"
    return f"X of {_describe_array(X)}"


def _describe_array(array: np.ndarray) -> str:
    return f"shape {array.shape} and dtype {array.dtype}"


def first_rows(X: Any, n: int) -> Any:
    """The first ``n`` rows of an array or of every entry of a dict; of a dataset
    on disk, read."""
    if isinstance(X, DatasetRows):
        return X[:n].load()
    return {k: v[:n] for k, v in X.items()} if isinstance(X, dict) else X[:n]


def has_integers(X: Any) -> bool:
    """Whether X (or an entry of it) holds integers, which are passed uncast."""
    values = X.values() if isinstance(X, dict) else [X]
    return any(v.dtype.kind in "iub" for v in values)


def n_rows(X: Any) -> int:
    """The rows of an array, or of a dict's first entry."""
    return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)


def _embedding_tables(module: torch.nn.Module) -> list:
    """``(name, num_embeddings)`` of each embedding layer of the network."""
    return [(name, m.num_embeddings) for name, m in module.named_modules()
            if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag))]


def _integer_entries(X: Any) -> dict:
    """X's integer arrays by their name in messages (``X``, ``X['tokens']``)."""
    X = to_numpy(X)
    entries = ({f"X[{k!r}]": v for k, v in X.items()} if isinstance(X, dict) else {"X": X})
    # Rows of a dataset on disk are not scanned: that would read it all again.
    return {name: v for name, v in entries.items()
            if isinstance(v, np.ndarray) and v.dtype.kind in "iu" and v.size}


def id_range_message(X: Any, module: torch.nn.Module) -> str | None:
    """Why integer X has no row in the network's embeddings, or None.

    Read only once the network has failed on X: token ids beyond an
    embedding's rows make torch raise an ``IndexError`` (a device-side
    assert on a GPU) from deep inside the network, which does not say which
    input or which ids. Scanning X for them before every batch would cost
    every fit; after a failure it costs one pass.
    """
    tables = _embedding_tables(module)
    if not tables:
        return None
    rows = min(n for _, n in tables)
    for name, ids in _integer_entries(X).items():
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= rows:
            shown = ", ".join(f"{layer!r} (num_embeddings={n})" for layer, n in tables)
            return (
                f"{name} holds ids from {low} to {high}, but the network's "
                f"embedding{'s' if len(tables) > 1 else ''} {shown} "
                f"{'take' if len(tables) > 1 else 'takes'} ids from 0 to {rows - 1}"
                f"{' at least' if len(tables) > 1 else ''}: an id outside has no row. "
                "Map unseen or padding tokens to an id the embedding has (e.g. 0), "
                "or build the network with a larger num_embeddings.")
    return None


def refusal(X: Any, exc: Exception, module: torch.nn.Module, advice: str = "") -> ValueError:
    """The error to raise, from torch's ``exc``, when the network failed on X.

    Ids out of the range of the network's embeddings are named; otherwise
    :func:`refusal_message`, followed by ``advice``.
    """
    ids = id_range_message(X, module)
    return ValueError(refusal_message(X, exc) + advice if ids is None else ids)


def refusal_message(X, exc: Exception) -> str:
    """Why the network refused X, in the words of the input contract."""
    if not isinstance(X, dict) and X.ndim == 2 and X.dtype.kind == "f":
        what = f"X with {X.shape[1]} features"
    else:
        what = describe(X)
    hint = ""
    if has_integers(X):
        hint = (" Integer X is passed to the network as it is (token ids, "
                "indices); if the network expects numbers, give X.astype(np.float32).")
    return f"The network does not accept {what}: {exc}.{hint}"
