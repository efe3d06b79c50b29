"""Input checks that several subpackages make: row counts and column names.

The audit, the reports, the resamplers, the splitter and the group encoding
all check that an array beside ``X`` has one row per sample, and several of
them read the sensitive attribute out of ``X`` by column name. Each check is
written once here, so that a mistake gets the same message whichever part of
skfairtune finds it.
"""

from __future__ import annotations

import numbers
from typing import Any

# The one range of a fairness budget (a gap no larger than it is accepted):
# a gap of 0 is met only by a model that treats the groups exactly alike, which
# a finite sample never shows, and no gap exceeds 1.
BUDGET_RANGE = "a number in (0, 1], such as 0.05"


def num_rows(values: Any) -> int:
    """The number of rows (samples) of an array-like, a frame or a sparse matrix."""
    shape = getattr(values, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(values)


def check_n_rows(n_rows: int, n_samples: int, *, name: str, reference: str = "X") -> None:
    """Refuse an argument whose row count differs from the data's.

    Parameters
    ----------
    n_rows : int
        The rows of the argument.
    n_samples : int
        The rows it must have: those of ``reference``.
    name : str
        What the argument is called in the message.
    reference : str, default="X"
        What the rows are counted against (``"y_true"`` for a metric).

    Raises
    ------
    ValueError
        If the counts differ, naming both.

    Examples
    --------
    >>> from skfairtune._validation import check_n_rows
    >>> check_n_rows(2, 3, name="sensitive_features")
    Traceback (most recent call last):
    ...
    ValueError: sensitive_features has 2 rows but X has 3; give sensitive_features \
one row per sample.
    """
    if n_rows != n_samples:
        raise ValueError(
            f"{name} has {n_rows} rows but {reference} has {n_samples}; "
            f"give {name} one row per sample."
        )


def check_budget(budget: Any, *, name: str = "budget") -> float:
    """``budget`` as a float, or an error that says what a budget may be.

    The command line's ``--budget`` and :func:`~skfairtune.report.model_report`
    both check a budget here, so that both accept the same range and say so
    in the same words.

    Parameters
    ----------
    budget : float
        The largest gap accepted.
    name : str, default="budget"
        What the argument is called in the message.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``budget`` is not a number in (0, 1].

    Examples
    --------
    >>> from skfairtune._validation import check_budget
    >>> check_budget(0.05)
    0.05
    >>> check_budget(0)
    Traceback (most recent call last):
    ...
    ValueError: budget must be a number in (0, 1], such as 0.05; got 0.0.
    """
    # bool is a number to Python, never a budget; nan fails both comparisons.
    number = isinstance(budget, numbers.Real) and not isinstance(budget, bool)
    if not number or not 0 < budget <= 1:
        # float() shows np.float64(0.0) as 0.0, as the user wrote it.
        shown = float(budget) if number else budget
        raise ValueError(f"{name} must be {BUDGET_RANGE}; got {shown!r}.")
    return float(budget)


def is_column_names(spec: Any, *, kinds: tuple[type, ...] = (str,)) -> bool:
    """Whether ``spec`` names columns: one name, or a non-empty list or tuple of them.

    ``kinds`` are the types a name may have. Strings only by default, since
    a list of numbers is more often the values themselves than column labels.
    """
    if isinstance(spec, kinds) and not isinstance(spec, bool):
        return True
    return (isinstance(spec, (list, tuple)) and len(spec) > 0
            and all(isinstance(s, kinds) and not isinstance(s, bool) for s in spec))


def column_names(spec: Any, *, name: str = "sensitive_features",
                 kinds: tuple[type, ...] = (str,), otherwise: str = "") -> list:
    """``spec`` as a list of column names, or an error that says what it may be.

    Parameters
    ----------
    spec : str, or list or tuple of str
        One column name or several.
    name : str, default="sensitive_features"
        What the argument is called in the message.
    kinds : tuple of type, default=(str,)
        The types a name may have (``(str, int)`` where X may have integer
        column labels).
    otherwise : str, default=""
        The other forms the caller accepts, appended to the message (", or a
        function of X"), so the message lists everything that would do.

    Returns
    -------
    list
        The names, in the order given.

    Raises
    ------
    ValueError
        If ``spec`` is neither a name nor a non-empty list of names without
        repeats.

    Examples
    --------
    >>> from skfairtune._validation import column_names
    >>> column_names("sex"), column_names(("sex", "race"))
    (['sex'], ['sex', 'race'])
    >>> column_names(["sex", "sex"])
    Traceback (most recent call last):
    ...
    ValueError: sensitive_features must be a column name of X or a non-empty list of \
column names without repeats; got ['sex', 'sex'].
    """
    names = [spec] if isinstance(spec, kinds) else spec
    if not is_column_names(spec, kinds=kinds) or len(set(names)) != len(names):
        raise ValueError(
            f"{name} must be a column name of X or a non-empty list of column names "
            f"without repeats{otherwise}; got {spec!r}."
        )
    return list(names)


def read_columns(X: Any, spec: Any, *, name: str = "sensitive_features",
                 kinds: tuple[type, ...] = (str,), fix: str | None = None) -> Any:
    """The column(s) of ``X`` that ``spec`` names, with errors that name them.

    Parameters
    ----------
    X : pandas.DataFrame
        The data as the user gave it, before validation drops its column names.
    spec : str, or list or tuple of str
        One column name (read as a Series) or several (read as a DataFrame).
    name : str, default="sensitive_features"
        What ``spec`` is called in the messages.
    kinds : tuple of type, default=(str,)
        The types a name may have, as in :func:`column_names`.
    fix : str, default=None
        What to do instead when ``X`` has no column names; by default, pass
        ``X`` as a DataFrame or the values themselves.

    Returns
    -------
    pandas.Series or pandas.DataFrame

    Raises
    ------
    ValueError
        If ``spec`` names no columns, ``X`` has no column names, or a named
        column is not in ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfairtune._validation import read_columns
    >>> X = pd.DataFrame({"sex": ["f", "m"], "age": [30, 40]})
    >>> read_columns(X, "sex").tolist()
    ['f', 'm']
    >>> read_columns(X, ["Sex"])
    Traceback (most recent call last):
    ...
    ValueError: sensitive_features names column(s) ['Sex'] that X does not have; \
the columns of X are ['sex', 'age'].
    """
    names = column_names(spec, name=name, kinds=kinds)
    if not hasattr(X, "columns"):
        fix = fix or (f"Pass X as a pandas DataFrame, or pass the values of {name} "
                      "themselves.")
        raise ValueError(
            f"{name}={spec!r} names column(s) of X, so X must be a pandas DataFrame; "
            f"got a {type(X).__name__} without column names. {fix}"
        )
    columns = list(X.columns)
    missing = [c for c in names if c not in columns]
    if missing:
        raise ValueError(
            f"{name} names column(s) {missing} that X does not have; the columns of X "
            f"are {[str(c) for c in columns]}."
        )
    return X[spec] if isinstance(spec, kinds) else X[names]



def check_unique_columns(X: Any, *, name: str = "X") -> None:
    """Refuse a frame whose column names repeat.

    Tables and reports name each feature by its column name as text, so two
    columns that print alike (``"a"`` and ``"a"``, or ``0`` and ``"0"``) would
    share one row of a result; pandas-to-narwhals conversions inside
    scikit-learn refuse them too, with a message that names neither.

    Parameters
    ----------
    X : object
        The data; only a frame (anything with ``columns``) is checked.
    name : str, default="X"
        What ``X`` is called in the message.

    Raises
    ------
    ValueError
        If two columns have the same name as text, naming each repeated name.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfairtune._validation import check_unique_columns
    >>> check_unique_columns(pd.DataFrame([[1, 2, 3]], columns=["a", "a", "b"]))
    Traceback (most recent call last):
    ...
    ValueError: X has duplicated column names: 'a' (2 columns); each feature is \
named by its column, so rename or drop the repeats.
    """
    columns = getattr(X, "columns", None)
    if columns is None:
        return
    counts: dict = {}
    for column in columns:
        counts[str(column)] = counts.get(str(column), 0) + 1
    repeated = {c: n for c, n in counts.items() if n > 1}
    if repeated:
        shown = ", ".join(f"{c!r} ({n} columns)" for c, n in repeated.items())
        raise ValueError(f"{name} has duplicated column names: {shown}; each feature is "
                         "named by its column, so rename or drop the repeats.")
