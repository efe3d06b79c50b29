"""The violent-recidivism target of load_compas, against the raw file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skfairtune import datasets
from skfairtune.datasets import load_compas
from skfairtune.exceptions import InvalidParameterError


def _raw_filtered() -> pd.DataFrame:
    """ProPublica's filter, written out again so the test does not read the loader's."""
    raw = pd.read_csv(Path(datasets.__file__).parent / "data" / "compas-scores-two-years.csv.gz")
    keep = (raw["days_b_screening_arrest"].between(-30, 30) & (raw["is_recid"] != -1)
            & (raw["c_charge_degree"] != "O") & (raw["score_text"] != "N/A")
            & raw["score_text"].notna())
    return raw[keep].reset_index(drop=True)


def test_violent_target_is_violent_rearrest_within_two_years():
    raw = _raw_filtered()
    days = (pd.to_datetime(raw["vr_offense_date"])
            - pd.to_datetime(raw["compas_screening_date"])).dt.days
    expected = ((raw["is_violent_recid"] == 1) & (days <= 730)).to_numpy()
    violent = load_compas(target="violent_recid")
    np.testing.assert_array_equal(violent.target, expected.astype(np.int64))
    assert int(violent.target.sum()) == 600
    assert violent.target.mean() == pytest.approx(0.0972, abs=1e-4)
    assert violent.target_names == ["no_violent_recid", "violent_recid"]


def test_violent_is_a_subset_of_two_year_recid():
    violent = load_compas(target="violent_recid").target
    any_recid = load_compas().target
    assert np.all(any_recid[violent == 1] == 1)
    assert violent.sum() < any_recid.sum()


def test_same_rows_and_features_for_both_targets():
    # A network trained on one target must take the other's data.
    two_year = load_compas(as_frame=True, race_binary=True)
    violent = load_compas(as_frame=True, race_binary=True, target="violent_recid")
    pd.testing.assert_frame_equal(two_year.data, violent.data)
    pd.testing.assert_series_equal(two_year.sensitive, violent.sensitive)
    assert int(violent.target.sum()) == 534
    assert violent.frame.columns[-1] == "violent_recid"


def test_default_target_unchanged():
    assert int(load_compas().target.sum()) == 2_809
    assert load_compas().target_names == ["no_recid", "recid"]


def test_bad_target_names_the_choices():
    with pytest.raises(InvalidParameterError, match="'target' parameter of load_compas"):
        load_compas(target="violent")
