"""Reading the user's table and checking it, with errors that name what is wrong.

Every check raises :class:`UsageError` (exit code 2) with one line that says
what to change: the columns a missing column could have been, the labels a
``--pos-label`` could name, the number of folds the data allows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from skfairtune._labels import plain, positive_label, sorted_labels

from ._common import UsageError
from ._output import shown


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file, with errors that say what is wrong.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    UsageError
        If the file is missing, unreadable, or not a table.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if not path.is_file():
        raise UsageError(f"{path}: not a file")
    suffix = "".join(s.lower() for s in path.suffixes[-2:] if s.lower() != ".gz") or ".csv"
    try:
        if suffix.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix.endswith(".tsv") else ",")
    except ImportError:
        raise UsageError(f"{path}: reading Parquet needs pyarrow or fastparquet "
                         "(pip install pyarrow)") from None
    except (ValueError, OSError, UnicodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path} is not a table that can be read: {first}") from None
    if frame.shape[0] < 1 or frame.shape[1] < 2:
        raise UsageError(f"{path} is not a table of rows and at least two columns "
                         f"(it reads as {frame.shape[0]} rows x {frame.shape[1]} columns)")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def check_columns(frame, target: str, sensitive: str, path) -> tuple[str, list]:
    names = [s.strip() for s in sensitive.split(",") if s.strip()]
    listed = ", ".join(map(shown, frame.columns))
    for option, name in [("--target", target)] + [("--sensitive", n) for n in names]:
        if name not in frame.columns:
            raise UsageError(f"{option} {name!r} is not a column of {path}; its columns "
                             f"are: {listed}")
    if not names:
        raise UsageError("--sensitive names no column")
    if target in names:
        raise UsageError(f"{target!r} cannot be both the target and a sensitive column")
    for name in names:
        if frame[name].isna().any():
            raise UsageError(f"the sensitive column {name!r} has {int(frame[name].isna().sum())}"
                             " missing value(s); give them a category of their own or drop "
                             "those rows")
    return target, names


def check_dropped(frame, drop: str, target: str, sensitive: list, path) -> list:
    """The columns ``--drop`` names: columns of the file, neither the target nor a
    sensitive column (those are never features already)."""
    names = [s.strip() for s in drop.split(",") if s.strip()]
    listed = ", ".join(map(shown, frame.columns))
    for name in names:
        if name not in frame.columns:
            raise UsageError(f"--drop {shown(name)!r} is not a column of {path}; its columns "
                             f"are: {listed}")
        if name == target or name in sensitive:
            raise UsageError(f"--drop {shown(name)!r} is the target or a sensitive column, "
                             "which the model never reads as a feature: drop only features")
    return names


def label_value(y: pd.Series, pos_label: str | None, name: str):
    """The label that ``--pos-label`` names, matched by its text; None if not given."""
    if pos_label is None:
        return None
    try:
        return positive_label(y, pos_label, name=repr(name))
    except ValueError:
        labels = ", ".join(map(shown, sorted_labels(y)[:10]))
        raise UsageError(f"--pos-label {pos_label!r} is not a label of {name!r}; its labels "
                         f"include: {labels}") from None


def binary_target(y: pd.Series, pos_label: str | None, name: str) -> pd.Series:
    """The target as 0/1, positive = 1, after checking it has two classes."""
    if y.isna().any():
        raise UsageError(f"the target {name!r} has {int(y.isna().sum())} missing value(s); "
                         "drop or fill those rows first")
    labels = sorted_labels(y)
    if len(labels) < 2:
        raise UsageError(f"the target {name!r} has one class only ({labels[0]!r}); "
                         "fine-tuning a classifier needs two")
    positive = label_value(y, pos_label, name)
    if positive is None and len(labels) > 2:
        raise UsageError(f"the target {name!r} has {len(labels)} classes; tune handles "
                         "binary targets: name the positive class with --pos-label")
    if positive is None:
        positive = positive_label(labels)
    return (y == positive).astype(int)


def check_folds(frame: pd.DataFrame, target: str, sensitive: list, folds: int,
                class_names: dict | None = None) -> None:
    """Check that each (group, label) cell of the training rows fills every fold.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training rows.
    target : str
        The label column.
    sensitive : list of str
        The sensitive columns.
    folds : int
        The value of ``--folds``.
    class_names : dict, default=None
        The file's label of each 0/1 class, so that the message names it.

    Raises
    ------
    UsageError
        If the smallest cell has fewer rows than ``folds``: some test folds
        would lack that group and label, and its gaps could not be measured.
    """
    sizes = frame.groupby([*sensitive, target], observed=True, dropna=False).size()
    smallest, n = sizes.idxmin(), int(sizes.min())
    if n >= folds:
        return
    *group, label = smallest
    # A numpy scalar's repr is np.int64(1); the user wrote 1.
    label = (class_names or {}).get(plain(label), label)
    cell = f"group {' / '.join(map(str, group))!r} with label {plain(label)!r}"
    if n < 2:
        raise UsageError(f"--folds: the training split has {n} row of {cell}, and "
                         "cross-validation needs at least 2 of each group and label; "
                         "merge the rare groups or use more data")
    raise UsageError(f"--folds {folds} is more than the {n} training rows of {cell}, "
                     f"so some folds would lack it; use --folds {n} or fewer")
