"""What the three loaders share: argument checks, categorical typing, the Bunch.

Every loader follows one set of rules, so they are written once here:

- its parameters are checked by scikit-learn's ``validate_params``, so a bad
  one raises scikit-learn's ``InvalidParameterError`` (a ``ValueError`` and
  a ``TypeError``) with scikit-learn's message;
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

from skfairtune._compat import StrOptions

DATA_DIR = Path(__file__).parent / "data"
MISSING = "Unknown"


class SensitiveNames(StrOptions):
    """scikit-learn constraint: one of ``valid``, or a list of them without repeats.

    ``StrOptions`` takes one string; a loader's ``sensitive`` may also be
    several, for intersectional groups. A constraint (a ``StrOptions``, the
    kind ``validate_params`` accepts), so that a bad value gets the message
    scikit-learn gives for any parameter, naming the loader, the parameter
    and the choices, in the loader's own order.
    """

    def __init__(self, valid: Sequence[str]):
        super().__init__(set(valid))
        self.valid = tuple(valid)

    def is_satisfied_by(self, val: object) -> bool:
        names = [val] if isinstance(val, str) else val
        return (isinstance(names, (list, tuple)) and len(names) > 0
                and all(isinstance(n, str) and n in self.valid for n in names)
                and len(set(names)) == len(names))

    def __str__(self) -> str:
        choices = ", ".join(repr(v) for v in self.valid)
        return f"a str among {{{choices}}} or a non-empty list of them without repeats"


def loader_constraints(sensitive: Sequence[str], **more: list) -> dict:
    """The ``validate_params`` constraints of a loader's parameters.

    Every loader takes ``sensitive`` (among its own attributes) and the three
    flags ``as_frame``, ``return_X_y`` and ``drop_sensitive``; ``more`` adds
    its own parameters.
    """
    flags = ("as_frame", "return_X_y", "drop_sensitive")
    return {"sensitive": [SensitiveNames(sensitive)],
            **{flag: ["boolean"] for flag in flags}, **more}


def sensitive_names(value: str | Sequence[str]) -> list[str]:
    """The sensitive attribute names as a list (``value`` already validated)."""
    return [value] if isinstance(value, str) else list(value)


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
