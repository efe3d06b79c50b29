"""The UCI Adult (Census Income) data set, read from the bundled files."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
from sklearn.utils import Bunch

from skfairtune._compat import StrOptions, validate_params

from ._common import DATA_DIR, loader_constraints, make_bunch, sensitive_names, to_categories

_NUMERIC = [
    "age",
    "fnlwgt",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
]
_CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
# The order of the columns in the raw files.
_FEATURES = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
]
_SPLITS = ("train", "test", "all")
_SENSITIVE = ("sex", "race")

DESCR = """\
.. _adult_dataset:

UCI Adult (Census Income) data set
----------------------------------

**Data Set Characteristics:**

:Number of Instances: 32,561 (train), 16,281 (test), 48,842 (all)
:Number of Attributes: 14 (6 numeric, 8 categorical), sensitive ones included
:Target: income, 1 for ``>50K`` a year, 0 for ``<=50K``
:Positive rate: 7,841 / 32,561 = 0.2408 (train), 3,846 / 16,281 = 0.2362 (test)
:Sensitive attributes: ``sex`` (Female, Male), ``race`` (Amer-Indian-Eskimo,
    Asian-Pac-Islander, Black, Other, White)
:Missing Attribute Values: ``?`` in workclass, occupation and native_country,
    replaced by the category ``"Unknown"``; every row is kept
:Source: UCI Machine Learning Repository, https://doi.org/10.24432/C5XW20
:Creators: Barry Becker and Ronny Kohavi (1996), from the 1994 US Census
:License: Creative Commons Attribution 4.0 International (CC BY 4.0)

Extracted by Barry Becker from the 1994 Census database. The task is to
predict whether a person earns more than 50,000 dollars a year. The official
train and test splits are kept as published; ``split="all"`` stacks them,
train first. Whitespace around values is stripped and the trailing dot of
the test labels (``>50K.``) removed. ``fnlwgt`` is the census sampling
weight and ``education_num`` a numeric coding of ``education``; both are
kept as in the source. ``relationship`` (Husband, Wife) is a strong proxy of
``sex``: dropping ``sex`` does not hide it.

Becker, B. and Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning
Repository. https://doi.org/10.24432/C5XW20
"""


def _read_split(filename: str, skiprows: int) -> pd.DataFrame:
    return pd.read_csv(
        DATA_DIR / filename,
        header=None,
        names=[*_FEATURES, "income"],
        skiprows=skiprows,
        skipinitialspace=True,
        na_values=["?"],
        keep_default_na=False,
    )


@lru_cache(maxsize=1)
def _read_adult() -> tuple[pd.DataFrame, int]:
    """Parse both official splits once per process: the table and n_train."""
    train = _read_split("adult.data.gz", skiprows=0)
    # The test file opens with the comment line "|1x3 Cross validator".
    test = _read_split("adult.test.gz", skiprows=1)
    table = pd.concat([train, test], ignore_index=True)
    # The test file writes its labels with a trailing dot (">50K.").
    table["income"] = (table["income"].str.rstrip(".") == ">50K").astype("int64")
    table[_NUMERIC] = table[_NUMERIC].astype("int64")
    return to_categories(table, _CATEGORICAL), len(train)


@validate_params(
    loader_constraints(_SENSITIVE, split=[StrOptions(set(_SPLITS))]),
    prefer_skip_nested_validation=True,
)
def load_adult(
    *,
    split: str = "train",
    sensitive: str | list[str] = "sex",
    as_frame: bool = False,
    return_X_y: bool = False,
    drop_sensitive: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Load the UCI Adult (Census Income) data set (classification).

    Predict whether a person earns more than 50,000 dollars a year, from the
    1994 US Census. The data ship with the package; nothing is downloaded.

    =================   ===========================================
    Samples             32,561 (train), 16,281 (test), 48,842 (all)
    Features            14: 6 numeric, 8 categorical
    Target              1 for ``>50K``, 0 for ``<=50K``
    Positive rate       0.2408 (train), 0.2362 (test)
    =================   ===========================================

    Read more in :doc:`/datasets/adult`.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        The official train split (32,561 rows), the official test split
        (16,281 rows), or both, train first (48,842 rows).
    sensitive : {"sex", "race"} or list of them, default="sex"
        The sensitive attribute returned in ``sensitive``. A list of several
        gives one column each, for intersectional groups.
    as_frame : bool, default=False
        If True, ``data`` is a DataFrame (categorical columns of dtype
        ``category``, numeric ones ``int64``), ``target`` a Series and
        ``sensitive`` a Series (one attribute) or a DataFrame (several). If
        False, they are numpy arrays: ``data`` an object array (strings and
        integers), ``target`` int64, ``sensitive`` an object array, 1-D or
        2-D.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch. The sensitive
        attribute is then only in ``data`` (as its own column), unless
        ``drop_sensitive=True`` removed it.
    drop_sensitive : bool, default=False
        If True, remove the sensitive column(s) from ``data`` and
        ``feature_names``, so the model cannot read the attribute directly.
        ``relationship`` still encodes sex through "Husband" and "Wife".

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (n_samples, n_features)
            The features, in the order of ``feature_names``.
        target : {ndarray, Series} of shape (n_samples,)
            1 for income ``>50K``, 0 otherwise.
        sensitive : {ndarray, Series, DataFrame}
            The sensitive attribute(s), one row per sample.
        frame : DataFrame or None
            ``data`` and ``target`` side by side, when ``as_frame=True``.
        feature_names : list of str
            The names of the columns of ``data``.
        target_names : list of str
            ``["<=50K", ">50K"]``, the meaning of target 0 and 1.
        DESCR : str
            The description of the data set: source and licence.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` (and ``TypeError``) naming the argument and its
        valid choices, when an argument has the wrong value or type.

    Notes
    -----
    Source: UCI Machine Learning Repository, Becker, B. and Kohavi, R.
    (1996), Adult, https://doi.org/10.24432/C5XW20, licensed under Creative
    Commons Attribution 4.0 International (CC BY 4.0).

    Missing values (``?``, in workclass, occupation and native_country) are
    replaced by the category ``"Unknown"``; no row is dropped. Categories
    are the same for every split.

    Examples
    --------
    >>> from skfairtune.datasets import load_adult
    >>> adult = load_adult(as_frame=True)
    >>> adult.data.shape
    (32561, 14)
    >>> int(adult.target.sum())
    7841
    >>> adult.sensitive.value_counts().to_dict()
    {'Male': 21790, 'Female': 10771}
    >>> X, y = load_adult(split="test", drop_sensitive=True, return_X_y=True)
    >>> X.shape, y.shape
    ((16281, 13), (16281,))
    """
    names = sensitive_names(sensitive)
    table, n_train = _read_adult()
    rows = {"train": slice(0, n_train), "test": slice(n_train, None)}
    table = table.iloc[rows.get(split, slice(None))]
    return make_bunch(
        table[_FEATURES],
        table["income"],
        table[names],
        drop=names if drop_sensitive else [],
        target_names=["<=50K", ">50K"],
        descr=DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
