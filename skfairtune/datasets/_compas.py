"""ProPublica's COMPAS two-year recidivism data, read from the bundled file."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
from sklearn.utils import Bunch

from skfairtune._compat import StrOptions, validate_params

from ._common import DATA_DIR, loader_constraints, make_bunch, sensitive_names, to_categories

_NUMERIC = [
    "age",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
]
_CATEGORICAL = ["age_cat", "sex", "race", "c_charge_degree"]
# Demographics and criminal history known at screening time. Left out: the
# COMPAS scores themselves (decile_score, score_text, v_*), everything about
# the outcome (is_recid, r_*, vr_*, violent_recid, event, end), dates, ids,
# and c_charge_desc (389 free-text values, some missing).
_FEATURES = [
    "age",
    "age_cat",
    "sex",
    "race",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "c_charge_degree",
]
_SENSITIVE = ("race", "sex")
# The target's name -> the meaning of its 0 and 1.
_TARGETS = {
    "two_year_recid": ["no_recid", "recid"],
    "violent_recid": ["no_violent_recid", "violent_recid"],
}
# ProPublica's own two-year window, in days after the screening.
_WINDOW_DAYS = 730
_BINARY_RACES = ["African-American", "Caucasian"]

DESCR = """\
.. _compas_dataset:

ProPublica COMPAS two-year recidivism data set
----------------------------------------------

**Data Set Characteristics:**

:Number of Instances: 6,172 after ProPublica's filter (7,214 in the file);
    5,278 with ``race_binary=True``
:Number of Attributes: 9 (5 numeric, 4 categorical), sensitive ones included
:Target: ``two_year_recid``, 1 if the person was arrested again within
    two years of the COMPAS screening; or, with ``target="violent_recid"``,
    1 if the new arrest within those two years was for a violent offence
:Positive rate: ``two_year_recid`` 2,809 / 6,172 = 0.4551; 2,483 / 5,278 =
    0.4704 (binary race). ``violent_recid`` 600 / 6,172 = 0.0972; 534 / 5,278
    = 0.1012 (binary race): a constant "no" is right for 90% of the rows
:Sensitive attributes: ``race`` (African-American 3,175, Asian 31,
    Caucasian 2,103, Hispanic 509, Native American 11, Other 343),
    ``sex`` (Female 1,175, Male 4,997)
:Missing Attribute Values: none among the features kept (a missing
    categorical would read ``"Unknown"``)
:Source: ProPublica, "Machine Bias" (Angwin, Larson, Mattu and Kirchner,
    2016), https://github.com/propublica/compas-analysis
:License: published by ProPublica with its analysis for reuse; the source
    repository states no formal licence. The columns name, first, last and
    dob were removed before bundling.

Defendants screened with COMPAS in Broward County, Florida, in 2013-2014.
ProPublica's filter is applied: ``days_b_screening_arrest`` within
[-30, 30], ``is_recid != -1``, ``c_charge_degree != "O"`` and
``score_text != "N/A"``. The features are demographics and criminal history
known at screening: age, age_cat, sex, race, juv_fel_count, juv_misd_count,
juv_other_count, priors_count and c_charge_degree (F felony, M
misdemeanor). The COMPAS scores and every column recorded after screening
(the outcome and its details) are left out, as they leak the label or the
tool being audited.

The violent target is derived from the file's violent-recidivism columns,
within the same two-year window as ``two_year_recid``: ``is_violent_recid``
is 1 and ``vr_offense_date`` falls at most 730 days after
``compas_screening_date``. Every such row also has ``two_year_recid`` 1
(violent re-arrest is a subset of re-arrest); 92 rows whose violent offence
came later count as 0. The rows and features are the same for both targets,
so a network trained on one takes the other's data. (ProPublica's own
violent analysis used a different file and filter; the file's
``violent_recid`` column is empty.)

Caveats: the label is a new *arrest*, not a new crime committed, so it
inherits policing's own disparities; the two-year window and the filter follow
ProPublica and have been disputed (Flores, Bechtel and Lowenkamp, 2016;
Rudin, Wang and Coker, 2020). Use it to study methods, not to build a
risk tool.
"""


@lru_cache(maxsize=1)
def _read_compas() -> pd.DataFrame:
    """Parse the file and apply ProPublica's filter, once per process."""
    raw = pd.read_csv(DATA_DIR / "compas-scores-two-years.csv.gz")
    keep = (
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & raw["score_text"].notna()
        & (raw["score_text"] != "N/A")
    )
    raw["violent_recid"] = _violent_within_window(raw)
    table = raw.loc[keep, [*_FEATURES, *_TARGETS]].reset_index(drop=True)
    table[_NUMERIC] = table[_NUMERIC].astype("int64")
    return to_categories(table, _CATEGORICAL)


def _violent_within_window(raw: pd.DataFrame) -> pd.Series:
    """1 where a violent offence led to a new arrest within the two-year window.

    The file's ``is_violent_recid`` counts such an offence at any time up to
    the end of data collection; ``two_year_recid`` counts any offence within
    two years, so the violent target is held to the same window.
    """
    screened = pd.to_datetime(raw["compas_screening_date"])
    offence = pd.to_datetime(raw["vr_offense_date"])
    within = (offence - screened).dt.days.between(0, _WINDOW_DAYS)
    return ((raw["is_violent_recid"] == 1) & within).astype("int64")


@validate_params(
    loader_constraints(_SENSITIVE, race_binary=["boolean"],
                       target=[StrOptions(set(_TARGETS))]),
    prefer_skip_nested_validation=True,
)
def load_compas(
    *,
    sensitive: str | list[str] = "race",
    as_frame: bool = False,
    return_X_y: bool = False,
    drop_sensitive: bool = False,
    race_binary: bool = False,
    target: str = "two_year_recid",
) -> Bunch | tuple[Any, Any]:
    """Load ProPublica's COMPAS two-year recidivism data (classification).

    Predict whether a defendant was arrested again within two years of the
    COMPAS screening (or, with ``target="violent_recid"``, arrested for a
    violent offence), from demographics and criminal history. The data ship
    with the package; nothing is downloaded.

    =================   ==========================================
    Samples             6,172 (5,278 with ``race_binary=True``)
    Features            9: 5 numeric, 4 categorical
    Target              ``two_year_recid``, 1 = arrested again
    Positive rate       0.4551 (0.4704 with ``race_binary=True``)
    Violent target      ``violent_recid``, positive rate 0.0972
                        (0.1012 with ``race_binary=True``)
    =================   ==========================================

    Read more in :doc:`/datasets/compas`.

    Parameters
    ----------
    sensitive : {"race", "sex"} or list of them, default="race"
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
    race_binary : bool, default=False
        If True, keep only African-American and Caucasian defendants (5,278
        rows), the usual binary cut; ``race`` then has those two categories.
    target : {"two_year_recid", "violent_recid"}, default="two_year_recid"
        The label. ``"two_year_recid"``: 1 if arrested again within two
        years of the screening (the file's ``two_year_recid``).
        ``"violent_recid"``: 1 if arrested again within the same two years
        for a *violent* offence, i.e. ``is_violent_recid`` is 1 and
        ``vr_offense_date`` is at most 730 days after
        ``compas_screening_date`` (600 of the 6,172 rows, 9.7%; a constant
        "no" is right for 90.3% of them). The rows and features do not
        change with the target, so a network trained for one fits the
        other's data.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : {ndarray, DataFrame} of shape (n_samples, n_features)
            The features, in the order of ``feature_names``.
        target : {ndarray, Series} of shape (n_samples,)
            The ``target`` column: 1 if arrested again (for a violent
            offence, with ``target="violent_recid"``) within two years.
        sensitive : {ndarray, Series, DataFrame}
            The sensitive attribute(s), one row per sample.
        frame : DataFrame or None
            ``data`` and ``target`` side by side, when ``as_frame=True``.
        feature_names : list of str
            The names of the columns of ``data``.
        target_names : list of str
            The meaning of target 0 and 1: ``["no_recid", "recid"]``, or
            ``["no_violent_recid", "violent_recid"]``.
        DESCR : str
            The description of the data set: source, licence, caveats.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` (and ``TypeError``) naming the argument and its
        valid choices, when an argument has the wrong value or type.

    Notes
    -----
    Source: ProPublica, "Machine Bias" (Angwin, Larson, Mattu and Kirchner,
    2016), https://github.com/propublica/compas-analysis, published with
    the analysis for reuse; the repository states no formal licence. The
    columns name, first, last and dob were removed before bundling.

    ProPublica's filter is applied: ``days_b_screening_arrest`` within
    [-30, 30], ``is_recid != -1``, ``c_charge_degree != "O"``,
    ``score_text != "N/A"``. The COMPAS scores and every column about the
    outcome are left out of the features. The kept features have no missing
    values; a missing categorical would read ``"Unknown"``, as in the other
    loaders.

    The label records a new arrest, not a new crime committed; see the caveats in
    :doc:`/datasets/compas`.

    Examples
    --------
    >>> from skfairtune.datasets import load_compas
    >>> compas = load_compas(as_frame=True)
    >>> compas.data.shape
    (6172, 9)
    >>> int(compas.target.sum())
    2809
    >>> X, y = load_compas(race_binary=True, drop_sensitive=True, return_X_y=True)
    >>> X.shape
    (5278, 8)
    >>> violent = load_compas(target="violent_recid")
    >>> violent.data.shape, int(violent.target.sum())
    ((6172, 9), 600)
    """
    names = sensitive_names(sensitive)
    table = _read_compas()
    if race_binary:
        table = table[table["race"].isin(_BINARY_RACES)].copy()
        table["race"] = table["race"].cat.remove_unused_categories()
    return make_bunch(
        table[_FEATURES],
        table[target],
        table[names],
        drop=names if drop_sensitive else [],
        target_names=_TARGETS[target],
        descr=DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
