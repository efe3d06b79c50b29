"""Tests of the bundled data-set loaders, against counts computed from the raw files."""

import importlib
import socket

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import Bunch

from skfairtune.datasets import load_adult, load_compas, load_german
from skfairtune.exceptions import InvalidParameterError

ADULT_FEATURES = [
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
COMPAS_FEATURES = [
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
GERMAN_FEATURES = [
    "checking_status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "num_dependents",
    "own_telephone",
    "foreign_worker",
]
GERMAN_NUMERIC = [
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
]

LOADERS = [load_adult, load_compas, load_german]
# (loader, its sensitive names, the feature each one is read from)
SENSITIVE = [
    (load_adult, {"sex": "sex", "race": "race"}),
    (load_compas, {"race": "race", "sex": "sex"}),
    (load_german, {"age": "age", "sex": "personal_status"}),
]


# -- row counts, labels, columns ------------------------------------------------


@pytest.mark.parametrize(
    "split, n_rows, n_positive",
    [("train", 32_561, 7_841), ("test", 16_281, 3_846), ("all", 48_842, 11_687)],
)
def test_adult_splits(split, n_rows, n_positive):
    adult = load_adult(split=split)
    assert adult.data.shape == (n_rows, 14)
    assert adult.target.shape == (n_rows,)
    assert int(adult.target.sum()) == n_positive
    assert set(np.unique(adult.target)) == {0, 1}


def test_adult_all_is_train_then_test():
    train, test, both = (
        load_adult(split=s, as_frame=True) for s in ("train", "test", "all")
    )
    joined = pd.concat([train.frame, test.frame], ignore_index=True)
    # assert_frame_equal compares categoricals value by value in Python (11 s
    # here); the categories and the integer codes say the same, at once.
    assert joined.columns.tolist() == both.frame.columns.tolist()
    assert joined.dtypes.tolist() == both.frame.dtypes.tolist()
    for name in joined.columns:
        left, right = joined[name], both.frame[name]
        if isinstance(left.dtype, pd.CategoricalDtype):
            assert left.cat.categories.tolist() == right.cat.categories.tolist()
            left, right = left.cat.codes, right.cat.codes
        np.testing.assert_array_equal(left.to_numpy(), right.to_numpy(), err_msg=name)


def test_adult_train_positive_rate():
    assert load_adult().target.mean() == pytest.approx(0.2408, abs=1e-4)


def test_compas_filter_and_label():
    compas = load_compas()
    assert compas.data.shape == (6_172, 9)
    assert int(compas.target.sum()) == 2_809
    assert compas.target.mean() == pytest.approx(0.4551, abs=1e-4)


def test_compas_race_binary():
    compas = load_compas(race_binary=True, as_frame=True)
    assert compas.data.shape == (5_278, 9)
    assert int(compas.target.sum()) == 2_483
    assert compas.sensitive.value_counts().to_dict() == {
        "African-American": 3_175,
        "Caucasian": 2_103,
    }
    assert list(compas.sensitive.cat.categories) == ["African-American", "Caucasian"]


def test_german_rows_and_label():
    german = load_german()
    assert german.data.shape == (1_000, 20)
    assert int(german.target.sum()) == 700
    assert german.target_names == ["bad", "good"]


@pytest.mark.parametrize(
    "loader, features",
    [
        (load_adult, ADULT_FEATURES),
        (load_compas, COMPAS_FEATURES),
        (load_german, GERMAN_FEATURES),
    ],
)
def test_feature_names(loader, features):
    bunch = loader(as_frame=True)
    assert bunch.feature_names == features
    assert list(bunch.data.columns) == features


def test_compas_leaves_out_scores_and_outcomes():
    names = set(load_compas().feature_names)
    leaking = {"decile_score", "score_text", "is_recid", "two_year_recid", "id"}
    assert not names & leaking
    assert not any(n.startswith(("r_", "vr_", "v_")) for n in names)


# -- dtypes and missing values --------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
def test_frame_dtypes(loader):
    bunch = loader(as_frame=True)
    for column in bunch.data:
        dtype = bunch.data[column].dtype
        assert isinstance(dtype, pd.CategoricalDtype) or dtype == np.int64, column
    assert bunch.target.dtype == np.int64
    assert list(bunch.frame.columns) == [*bunch.feature_names, bunch.target.name]


def test_german_numeric_columns():
    data = load_german(as_frame=True).data
    assert list(data.select_dtypes("number").columns) == GERMAN_NUMERIC


@pytest.mark.parametrize("loader", LOADERS)
def test_no_missing_values_anywhere(loader):
    bunch = loader(as_frame=True)
    assert not bunch.data.isna().any().any()
    assert not bunch.sensitive.isna().any()


@pytest.mark.parametrize(
    "split, counts",
    [
        ("train", {"workclass": 1_836, "occupation": 1_843, "native_country": 583}),
        ("test", {"workclass": 963, "occupation": 966, "native_country": 274}),
    ],
)
def test_adult_missing_become_unknown(split, counts):
    data = load_adult(split=split, as_frame=True).data
    found = {c: int((data[c] == "Unknown").sum()) for c in data.columns}
    assert {c: n for c, n in found.items() if n} == counts


def test_adult_values_are_stripped_and_share_categories():
    train = load_adult(as_frame=True).data
    test = load_adult(split="test", as_frame=True).data
    assert (train.dtypes == test.dtypes).all()
    for column in train.select_dtypes("category"):
        categories = train[column].cat.categories
        assert all(c == c.strip() and c != "?" for c in categories)


def test_german_codes_are_decoded():
    data = load_german(as_frame=True).data
    for column in data.select_dtypes("category"):
        assert not any(
            str(c).startswith("A") and str(c)[1:].isdigit()
            for c in data[column].cat.categories
        )
    assert data.loc[0, "checking_status"] == "... < 0 DM"
    assert set(data["own_telephone"]) == {"yes", "no"}
    assert set(data["foreign_worker"]) == {"yes", "no"}


@pytest.mark.parametrize("loader", LOADERS)
def test_frames_feed_a_column_transformer(loader):
    X, y = loader(as_frame=True, return_X_y=True)
    transformer = make_column_transformer(
        (OneHotEncoder(), make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    Xt = transformer.fit_transform(X)
    assert Xt.shape[0] == len(y)
    assert np.isfinite(Xt.toarray() if hasattr(Xt, "toarray") else Xt).all()


# -- the sensitive attribute ----------------------------------------------------


@pytest.mark.parametrize(
    "loader, sensitive, name, counts",
    [
        (load_adult, "sex", "sex", {"Male": 21_790, "Female": 10_771}),
        (
            load_adult,
            "race",
            "race",
            {
                "White": 27_816,
                "Black": 3_124,
                "Asian-Pac-Islander": 1_039,
                "Amer-Indian-Eskimo": 311,
                "Other": 271,
            },
        ),
        (
            load_compas,
            "race",
            "race",
            {
                "African-American": 3_175,
                "Caucasian": 2_103,
                "Hispanic": 509,
                "Other": 343,
                "Asian": 31,
                "Native American": 11,
            },
        ),
        (load_compas, "sex", "sex", {"Male": 4_997, "Female": 1_175}),
        (load_german, "age", "age_group", {"over_25": 810, "25_or_under": 190}),
        (load_german, "sex", "sex", {"Male": 690, "Female": 310}),
    ],
)
def test_sensitive_values(loader, sensitive, name, counts):
    bunch = loader(sensitive=sensitive, as_frame=True)
    assert isinstance(bunch.sensitive, pd.Series)
    assert bunch.sensitive.name == name
    assert bunch.sensitive.value_counts().to_dict() == counts
    array = loader(sensitive=sensitive).sensitive
    assert array.shape == (len(bunch.target),) and array.dtype == object


@pytest.mark.parametrize(
    "loader, sensitive, group, n_positive",
    [
        (load_adult, "sex", "Female", 1_179),
        (load_compas, "race", "African-American", 1_661),
        (load_compas, "race", "Caucasian", 822),
        (load_german, "age", "25_or_under", 110),
        (load_german, "sex", "Female", 201),
    ],
)
def test_positives_per_group(loader, sensitive, group, n_positive):
    bunch = loader(sensitive=sensitive)
    assert int(bunch.target[bunch.sensitive == group].sum()) == n_positive


def test_german_sensitive_follows_source_columns():
    german = load_german(sensitive=["age", "sex"], as_frame=True)
    over_25 = german.data["age"] > 25
    assert ((german.sensitive["age_group"] == "over_25") == over_25).all()
    female = german.data["personal_status"].astype(str).str.startswith("female")
    assert ((german.sensitive["sex"] == "Female") == female).all()


@pytest.mark.parametrize("loader, names", SENSITIVE)
def test_intersectional_sensitive(loader, names):
    chosen = list(names)
    frame = loader(sensitive=chosen, as_frame=True).sensitive
    assert isinstance(frame, pd.DataFrame) and frame.shape[1] == 2
    array = loader(sensitive=tuple(chosen)).sensitive
    assert array.shape == (len(frame), 2) and array.dtype == object
    np.testing.assert_array_equal(array, frame.astype(object).to_numpy())


@pytest.mark.parametrize("loader, names", SENSITIVE)
def test_sensitive_kept_in_data_by_default(loader, names):
    for sensitive, source in names.items():
        assert source in loader(sensitive=sensitive).feature_names


@pytest.mark.parametrize("loader, names", SENSITIVE)
def test_drop_sensitive(loader, names):
    full = loader(as_frame=True)
    for sensitive, source in names.items():
        bunch = loader(sensitive=sensitive, drop_sensitive=True, as_frame=True)
        assert source not in bunch.feature_names
        assert bunch.feature_names == [f for f in full.feature_names if f != source]
        assert len(bunch.sensitive) == len(bunch.target)
    both = loader(sensitive=list(names), drop_sensitive=True)
    assert both.data.shape[1] == full.data.shape[1] - 2


# -- as_frame, return_X_y, copies -----------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
def test_bunch_keys(loader):
    bunch = loader()
    assert isinstance(bunch, Bunch)
    keys = {"data", "target", "sensitive", "frame", "feature_names"}
    assert keys | {"target_names", "DESCR"} <= set(bunch)
    assert len(bunch.target_names) == 2


@pytest.mark.parametrize("loader", LOADERS)
def test_as_frame_false_gives_numpy(loader):
    bunch = loader()
    assert isinstance(bunch.data, np.ndarray) and bunch.data.dtype == object
    assert bunch.data.shape[1] == len(bunch.feature_names)
    assert isinstance(bunch.target, np.ndarray) and bunch.target.dtype == np.int64
    assert bunch.frame is None
    frame = loader(as_frame=True)
    np.testing.assert_array_equal(bunch.data, frame.data.astype(object).to_numpy())


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("as_frame", [False, True])
def test_return_X_y(loader, as_frame):
    X, y = loader(as_frame=as_frame, return_X_y=True)
    bunch = loader(as_frame=as_frame)
    assert X.shape == bunch.data.shape and y.shape == bunch.target.shape
    assert type(X) is type(bunch.data) and type(y) is type(bunch.target)


@pytest.mark.parametrize("loader", LOADERS)
def test_results_are_copies(loader):
    first = loader(as_frame=True)
    first.data.iloc[:, 0] = first.data.iloc[0, 0]
    first.target[:] = 0
    first.sensitive[:] = first.sensitive.iloc[0]
    arrays = loader()
    arrays.data[:] = None
    arrays.target[:] = 0
    again = loader(as_frame=True)
    assert again.target.sum() > 0
    assert again.sensitive.nunique() > 1
    assert again.data.iloc[:, 0].nunique() > 1


@pytest.mark.parametrize("loader", LOADERS)
def test_descr_states_source_and_licence(loader):
    descr = loader().DESCR
    assert ":Source:" in descr and ":License:" in descr
    assert loader.__doc__ and "Source" in loader.__doc__


# -- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("split", ["dev", "Train", "", None, 1])
def test_adult_bad_split(split):
    # scikit-learn's message lists the choices as a set, in no fixed order.
    with pytest.raises(InvalidParameterError, match="The 'split' parameter of load_adult "
                       "must be a str among") as error:
        load_adult(split=split)
    assert all(f"'{choice}'" in str(error.value) for choice in ("train", "test", "all"))


@pytest.mark.parametrize(
    "loader, valid",
    [
        (load_adult, "'sex', 'race'"),
        (load_compas, "'race', 'sex'"),
        (load_german, "'age', 'sex'"),
    ],
)
@pytest.mark.parametrize(
    "sensitive", ["gender", "Sex", ["sex", "nope"], [], ["sex", "sex"], None, 3]
)
def test_bad_sensitive(loader, valid, sensitive):
    with pytest.raises(ValueError, match=f"'sensitive' parameter of {loader.__name__}"):
        loader(sensitive=sensitive)
    with pytest.raises(ValueError, match=valid):
        loader(sensitive=sensitive)


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("flag", ["as_frame", "return_X_y", "drop_sensitive"])
def test_bad_flags(loader, flag):
    with pytest.raises(TypeError, match=f"'{flag}' parameter of {loader.__name__} must be "
                       "an instance of 'bool'"):
        loader(**{flag: "yes"})


def test_compas_bad_race_binary():
    with pytest.raises(ValueError, match="'race_binary' parameter"):
        load_compas(race_binary=1)


@pytest.mark.parametrize("loader", LOADERS)
def test_bad_parameters_raise_scikit_learns_error(loader):
    with pytest.raises(InvalidParameterError) as error:
        loader(sensitive="gender")
    assert type(error.value) is InvalidParameterError  # scikit-learn's own class
    assert isinstance(error.value, ValueError) and isinstance(error.value, TypeError)
    assert str(error.value).endswith("Got 'gender' instead.")


def test_numpy_bool_is_accepted():
    assert load_german(as_frame=np.bool_(True)).frame is not None


@pytest.mark.parametrize("loader", LOADERS)
def test_positional_arguments_are_refused(loader):
    with pytest.raises(TypeError):
        loader("sex")


# -- no network -----------------------------------------------------------------


def test_loaders_never_touch_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # Parse again from disk, not from a cache filled before the patch.
    for name in ("adult", "compas", "german"):
        module = importlib.import_module(f"skfairtune.datasets._{name}")
        getattr(module, f"_read_{name}").cache_clear()
    for split in ("train", "test", "all"):
        load_adult(split=split, sensitive=["sex", "race"], as_frame=True)
    load_compas(sensitive=["race", "sex"], race_binary=True)
    load_german(sensitive=["age", "sex"], as_frame=True)
