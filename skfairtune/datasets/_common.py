"""What the three loaders share: argument checks, categorical typing, the Bunch.

Every loader follows one set of rules, so they are written once here:

- missing categorical values become the explicit category ``"Unknown"``, so
  ``as_frame=True`` data goes straight into ``OneHotEncoder`` with no NaN;
- ``data`` holds every feature, the sensitive column(s) included, unless
  ``drop_sensitive=True`` removes the column(s) the attribute is read from;
- ``sensitive`` is a separate copy: a Series (one attribute) or a DataFrame
  (several), or a 1-D / 2-D object array when ``as_frame=False``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..exceptions import InvalidParameterError

DATA_DIR = Path(__file__).parent / "data"
MISSING = "Unknown"


def _choices(valid: Sequence[str]) -> str:
    return "{" + ", ".join(repr(v) for v in valid) + "}"


def check_choice(func: str, name: str, value: object, valid: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``valid``; raise naming all choices."""
    if not isinstance(value, str) or value not in valid:
        raise InvalidParameterError(
            f"The {name!r} parameter of {func} must be a str among "
            f"{_choices(valid)}. Got {value!r} instead."
        )
    return value


def check_bool(func: str, **flags: object) -> None:
    """Raise unless every keyword's value is a bool (numpy's included)."""
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The {name!r} parameter of {func} must be a bool. "
                f"Got {value!r} instead."
            )


def check_sensitive(func: str, value: object, valid: Sequence[str]) -> list[str]:
    """Return the sensitive attribute names as a list, one or several."""
    expected = (
        f"The 'sensitive' parameter of {func} must be a str among "
        f"{_choices(valid)} or a non-empty list of them without repeats."
    )
    names = [value] if isinstance(value, str) else value
    # A str is a Sequence too, hence the explicit check above before this one.
    if not isinstance(names, (list, tuple)) or not names:
        raise InvalidParameterError(f"{expected} Got {value!r} instead.")
    unknown = [n for n in names if not isinstance(n, str) or n not in valid]
    if unknown or len(set(names)) != len(names):
        raise InvalidParameterError(f"{expected} Got {value!r} instead.")
    return list(names)


def to_categories(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Type ``columns`` as sorted categoricals, missing values as ``"Unknown"``.

    The categories come from the whole table, so every split or subset cut
    from it later shares one dtype and concatenates cleanly.
    """
    for column in columns:
        values = frame[column].astype(object).fillna(MISSING)
        dtype = pd.CategoricalDtype(sorted(values.unique()))
        frame[column] = values.astype(dtype)
    return frame


def make_bunch(
    data: pd.DataFrame,
    target: pd.Series,
    sensitive: pd.DataFrame,
    *,
    drop: Sequence[str],
    target_names: list[str],
    descr: str,
    as_frame: bool,
    return_X_y: bool,
):
    """Build the loaders' return value from views of a cached table.

    Every piece is copied, so users who mutate what they get cannot change
    what the next call returns.
    """
    data = data.drop(columns=list(drop)).reset_index(drop=True).copy()
    target = target.reset_index(drop=True).astype(np.int64).copy()
    sensitive = sensitive.reset_index(drop=True).copy()
    if sensitive.shape[1] == 1:
        sensitive = sensitive.iloc[:, 0]
    frame = pd.concat([data, target], axis=1) if as_frame else None
    feature_names = list(data.columns)
    if not as_frame:
        # copy=True: under copy-on-write pandas would hand back read-only views.
        data = data.to_numpy(dtype=object, copy=True)
        target = target.to_numpy(copy=True)
        sensitive = sensitive.to_numpy(dtype=object, copy=True)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        sensitive=sensitive,
        frame=frame,
        feature_names=feature_names,
        target_names=list(target_names),
        DESCR=descr,
    )
