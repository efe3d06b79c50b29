"""The UCI Statlog German Credit data set, read from the bundled files."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skfairtune._compat import validate_params

from ._common import DATA_DIR, MISSING, loader_constraints, make_bunch, sensitive_names

# Column name -> the key of its codebook in values_maps.json.gz, or None for
# a numeric column; in the order of the raw file (UCI's attributes 1-20).
_COLUMNS = {
    "checking_status": "status",
    "duration": None,
    "credit_history": "credit_history",
    "purpose": "purpose",
    "credit_amount": None,
    "savings": "savings",
    "employment": "present_employment",
    "installment_rate": None,
    "personal_status": "status_sex",
    "other_debtors": "other_debtors",
    "residence_since": None,
    "property": "property",
    "age": None,
    "other_installment_plans": "installment_plans",
    "housing": "housing",
    "existing_credits": None,
    "job": "job",
    "num_dependents": None,
    "own_telephone": "telephone",
    "foreign_worker": "foreign_worker",
}
_FEATURES = list(_COLUMNS)
_SENSITIVE = ("age", "sex")
# The sensitive attribute -> the column of `table` that holds it, and the
# feature it is read from (which drop_sensitive removes).
_SENSITIVE_COLUMN = {"age": "age_group", "sex": "sex"}
_SOURCE_FEATURE = {"age": "age", "sex": "personal_status"}
_FEMALE_CODES = ["A92", "A95"]

DESCR = """\
.. _german_dataset:

UCI Statlog German Credit data set
----------------------------------

**Data Set Characteristics:**

:Number of Instances: 1,000
:Number of Attributes: 20 (7 numeric, 13 categorical)
:Target: 1 for good credit risk (700), 0 for bad (300); the raw file codes
    good as 1 and bad as 2
:Positive rate: 0.7
:Sensitive attributes: ``age``, cut at 25 into ``age_group`` "over_25" (810)
    or "25_or_under" (190); ``sex``, "Female" (310) or "Male" (690), read
    from ``personal_status``
:Missing Attribute Values: none (a missing categorical would read
    ``"Unknown"``)
:Source: UCI Machine Learning Repository, https://doi.org/10.24432/C5NC77
:Creator: Hans Hofmann (1994), University of Hamburg
:License: Creative Commons Attribution 4.0 International (CC BY 4.0)

Applicants for credit at a German bank, each described by 20 attributes.
The coded attributes (A11, A12, ...) are decoded into readable categories
from UCI's documentation, in the codebook's order; ``own_telephone`` and
``foreign_worker`` read "yes" or "no". The sensitive attributes are not
columns of the raw file: ``age_group`` is cut from ``age`` (over 25 or not,
the usual cut) and ``sex`` is read from ``personal_status`` (A92 and A95
female; A91, A93 and A94 male).

Caveats: ``personal_status`` mixes sex with marital status, and the code
A95 (female, single) never occurs, so single women cannot be told apart;
Grömping (2019) reports errors in UCI's code table, this attribute among
them, and published corrected "South German Credit" data; this loader
follows UCI's documentation, as most fairness work does. With 1,000 rows
some groups are small and group metrics are noisy. UCI recommends a cost
matrix (rating a bad applicant good costs 5, the reverse 1).

Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine
Learning Repository. https://doi.org/10.24432/C5NC77
"""


def _readable(label: str | bool) -> str:
    # Two codebooks map to JSON booleans, and some labels carry stray spaces.
    if isinstance(label, bool):
        return "yes" if label else "no"
    return label.strip()


def _codebooks() -> dict[str, dict[str, str]]:
    raw = json.loads(gzip.decompress((DATA_DIR / "values_maps.json.gz").read_bytes()))
    return {
        key: {code: _readable(label) for code, label in book.items()}
        for key, book in raw.items()
    }


def _decode(codes: pd.Series, book: dict[str, str]) -> pd.Series:
    """Readable categories in the codebook's order, unseen ones left out."""
    labels = codes.map(book).fillna(MISSING)
    seen = set(labels)
    order = [label for label in [*book.values(), MISSING] if label in seen]
    return labels.astype(pd.CategoricalDtype(order))


@lru_cache(maxsize=1)
def _read_german() -> pd.DataFrame:
    """Parse and decode the file once per process, sensitive columns added."""
    raw = pd.read_csv(
        DATA_DIR / "german.data.gz", sep=" ", header=None, names=[*_FEATURES, "credit"]
    )
    books = _codebooks()
    table = pd.DataFrame(
        {
            column: raw[column].astype("int64")
            if key is None
            else _decode(raw[column], books[key])
            for column, key in _COLUMNS.items()
        }
    )
    # The raw file codes good credit as 1 and bad as 2.
    table["credit"] = (raw["credit"] == 1).astype("int64")
    age_group = np.where(raw["age"] > 25, "over_25", "25_or_under")
    table["age_group"] = pd.Categorical(
        age_group, categories=["25_or_under", "over_25"]
    )
    sex = np.where(raw["personal_status"].isin(_FEMALE_CODES), "Female", "Male")
    table["sex"] = pd.Categorical(sex, categories=["Female", "Male"])
    return table


@validate_params(loader_constraints(_SENSITIVE), prefer_skip_nested_validation=True)
def load_german(
    *,
    sensitive: str | list[str] = "age",
    as_frame: bool = False,
    return_X_y: bool = False,
    drop_sensitive: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Load the UCI Statlog German Credit data set (classification).

    Predict whether a credit applicant is a good or a bad risk. The data
    ship with the package; nothing is downloaded.

    =================   ==========================================
    Samples             1,000
    Features            20: 7 numeric, 13 categorical
    Target              1 = good credit risk, 0 = bad
    Positive rate       0.7
    =================   ==========================================

    Read more in :doc:`/datasets/german`.

    Parameters
    ----------
    sensitive : {"age", "sex"} or list of them, default="age"
        The sensitive attribute returned in ``sensitive``. ``"age"`` gives
        ``age_group``, "over_25" or "25_or_under"; ``"sex"`` gives ``sex``,
        "Female" or "Male", read from ``personal_status``. A list of several
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
        attribute is then only in ``data``, through the feature it is read
        from, unless ``drop_sensitive=True`` removed it.
    drop_sensitive : bool, default=False
        If True, remove from ``data`` and ``feature_names`` the feature each
        sensitive attribute is read from: ``age`` for ``"age"``,
        ``personal_status`` for ``"sex"``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (n_samples, n_features)
            The features, in the order of ``feature_names``.
        target : {ndarray, Series} of shape (n_samples,)
            1 for good credit risk, 0 for bad.
        sensitive : {ndarray, Series, DataFrame}
            The sensitive attribute(s), one row per sample; the Series or
            columns are named ``age_group`` and ``sex``.
        frame : DataFrame or None
            ``data`` and ``target`` side by side, when ``as_frame=True``.
        feature_names : list of str
            The names of the columns of ``data``.
        target_names : list of str
            ``["bad", "good"]``, the meaning of target 0 and 1.
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
    Source: UCI Machine Learning Repository, Hofmann, H. (1994), Statlog
    (German Credit Data), https://doi.org/10.24432/C5NC77, licensed under
    Creative Commons Attribution 4.0 International (CC BY 4.0).

    The data have no missing values; a missing categorical would read
    ``"Unknown"``, as in the other loaders.

    Examples
    --------
    >>> from skfairtune.datasets import load_german
    >>> german = load_german(as_frame=True)
    >>> german.data.shape
    (1000, 20)
    >>> int(german.target.sum())
    700
    >>> german.sensitive.value_counts().to_dict()
    {'over_25': 810, '25_or_under': 190}
    >>> X, y = load_german(sensitive="sex", drop_sensitive=True, return_X_y=True)
    >>> X.shape
    (1000, 19)
    """
    names = sensitive_names(sensitive)
    table = _read_german()
    return make_bunch(
        table[_FEATURES],
        table["credit"],
        table[[_SENSITIVE_COLUMN[name] for name in names]],
        drop=[_SOURCE_FEATURE[name] for name in names] if drop_sensitive else [],
        target_names=["bad", "good"],
        descr=DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
