"""audit_dataset: representation, base rates, imbalance, missing values, proxies."""

import base64
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from skfairtune.audit import DatasetAudit, _held_out_auc, audit_dataset
from skfairtune.metrics import demographic_parity_difference


@pytest.fixture
def data():
    """400 rows: a strong proxy of sex, a weak one, noise, and missing values."""
    rng = np.random.default_rng(0)
    n = 400
    sex = rng.choice(["f", "m"], n, p=[0.3, 0.7])
    male = sex == "m"
    X = pd.DataFrame({
        "sex": sex,
        "title": np.where(male, "Mr", rng.choice(["Ms", "Mrs"], n)),  # gives sex away
        "height": rng.normal(size=n) + 0.8 * male,
        "noise": rng.normal(size=n),
        "city": rng.choice(["a", "b", "c"], n),
    })
    X.loc[np.flatnonzero(~male)[:30], "height"] = np.nan  # missing for women only
    y = pd.Series((rng.normal(size=n) + male > 0.6).astype(int), name="hired")
    return X, y


def test_groups_count_share_and_base_rate(data):
    X, y = data
    audit = audit_dataset(X, y, sensitive_features="sex")
    expected = pd.DataFrame({"y": y, "sex": X["sex"]}).groupby("sex")["y"].agg(
        ["size", "mean"])
    assert audit.groups["count"].tolist() == expected["size"].tolist()
    np.testing.assert_allclose(audit.groups["share"], expected["size"] / len(y))
    np.testing.assert_allclose(audit.groups["base_rate"], expected["mean"])
    assert audit.groups.index.name == "sex"
    assert audit.positive_label == 1 and audit.target_name == "hired"


def test_imbalance_reads_the_base_rate_gap_from_the_parity_metric(data):
    X, y = data
    audit = audit_dataset(X, y, sensitive_features="sex")
    assert audit.imbalance["base_rate_difference"] == pytest.approx(
        demographic_parity_difference(y, y, sensitive_features=X["sex"]))
    shares = y.value_counts(normalize=True)
    assert audit.imbalance["minority_class_share"] == pytest.approx(shares.min())
    assert audit.imbalance["imbalance_ratio"] == pytest.approx(shares.max() / shares.min())
    counts = X["sex"].value_counts()
    assert audit.imbalance["representation_ratio"] == pytest.approx(counts.min() / counts.max())
    np.testing.assert_allclose(audit.labels.loc["all"], [shares[0], shares[1]])


def test_missing_values_by_group(data):
    X, y = data
    audit = audit_dataset(X, y, sensitive_features="sex")
    assert audit.missing.index.tolist() == ["height"]
    n_women = (X["sex"] == "f").sum()
    assert audit.missing.loc["height", "f"] == pytest.approx(30 / n_women)
    assert audit.missing.loc["height", "m"] == 0
    assert audit.missing.loc["height", "all"] == pytest.approx(30 / len(X))
    assert audit.groups.loc["f", "rows_with_missing"] == pytest.approx(30 / n_women)


def test_proxies_are_ranked_and_leave_out_the_sensitive_column(data):
    X, y = data
    proxies = audit_dataset(X, y, sensitive_features="sex").proxies
    assert "sex" not in proxies.index
    assert proxies.index[0] == "title" and proxies.loc["title", "auc"] > 0.99
    assert proxies.loc["height", "auc"] > 0.65
    assert abs(proxies.loc["noise", "auc"] - 0.5) < 0.1
    assert proxies["auc"].is_monotonic_decreasing
    assert proxies.loc["height", "kind"] == "numeric"
    assert proxies.loc["city", ["kind", "n_values"]].tolist() == ["categorical", 3]


def test_sensitive_values_given_directly(data):
    X, y = data
    by_name = audit_dataset(X, y, sensitive_features="sex")
    by_value = audit_dataset(X.drop(columns="sex"), y, sensitive_features=X["sex"].to_numpy())
    np.testing.assert_allclose(by_value.groups["base_rate"], by_name.groups["base_rate"])
    pd.testing.assert_frame_equal(by_value.proxies, by_name.proxies)


def test_intersectional_groups_and_string_labels(data):
    X, y = data
    labels = np.where(y == 1, "yes", "no")
    audit = audit_dataset(X, labels, sensitive_features=["sex", "city"])
    assert len(audit.groups) == 6 and audit.groups.index.names == ["sex", "city"]
    assert audit.positive_label == "yes"
    assert "city" not in audit.proxies.index and 0.5 < audit.proxies["auc"].max() <= 1
    no = audit_dataset(X, labels, sensitive_features="sex", pos_label="no")
    yes = audit_dataset(X, labels, sensitive_features="sex")
    np.testing.assert_allclose(no.groups["base_rate"], 1 - yes.groups["base_rate"])


def test_continuous_target_and_numpy_input():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    group = rng.integers(0, 3, 200)
    X[:, 2] += group
    y = X[:, 0] + group
    audit = audit_dataset(X, y, sensitive_features=group)
    assert "mean_target" in audit.groups and audit.labels.empty
    assert audit.imbalance["mean_target_difference"] > 1
    assert audit.proxies.index[0] == "x2"


@pytest.mark.parametrize("sensitive, message", [
    ("nope", r"sensitive_features names column\(s\) \['nope'\] that X does not have; "
             r"the columns of X are \['sex', 'title'"),
    (["sex", "sex"], r"non-empty list of column names without repeats; got \['sex', 'sex'\]"),
    (np.array(["a"] * 399 + [None]), "contains missing values"),
])
def test_bad_sensitive_features(data, sensitive, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        audit_dataset(X, y, sensitive_features=sensitive)


@pytest.mark.parametrize("names, shown", [(["sex", "title", "height", "height", "city"],
                                           "'height' (2 columns)"),
                                          (["sex", "title", 0, "0", "city"], "'0' (2 columns)")])
def test_duplicated_column_names_are_refused_not_merged(data, names, shown):
    # Once named alike, the proxy table kept one of the two and dropped the other.
    X, y = data
    with pytest.raises(ValueError, match=f"X has duplicated column names: {re.escape(shown)}"):
        audit_dataset(X.set_axis(names, axis=1), y, sensitive_features="sex")


def test_bad_target(data):
    X, y = data
    with pytest.raises(ValueError, match="y has 3 rows but X has 400"):
        audit_dataset(X, y[:3], sensitive_features="sex")
    with pytest.raises(ValueError, match="1 missing value"):
        audit_dataset(X, y.astype(float).where(y.index > 0), sensitive_features="sex")
    with pytest.raises(ValueError, match="pos_label=7 is not a label of y"):
        audit_dataset(X, y, sensitive_features="sex", pos_label=7)


def test_shows_itself_as_text_html_and_plots(data):
    X, y = data
    audit = audit_dataset(X, y, sensitive_features="sex")
    text = str(audit)
    for heading in ("Groups", "Labels", "Missing values", "Proxies of the sensitive attribute"):
        assert heading in text
    assert re.search(r"title\s+1\.000\s+categorical", text)
    page = audit.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3  # groups, missing values, proxies
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert not audit._repr_html_().startswith("<!DOCTYPE")
    assert len(audit.plot()) == 3


def test_write(data, tmp_path):
    X, y = data
    audit = audit_dataset(X.drop(columns="height"), y, sensitive_features="sex")
    paths = audit.write(tmp_path)
    page = paths["html"].read_text()
    assert "No feature has missing values." in page
    assert page.count("<img") == 2
    assert paths["markdown"].read_text().startswith("# Data set audit: sex")


def test_sensitive_features_by_position_still_works_with_a_warning(data):
    X, y = data
    with pytest.warns(FutureWarning, match=r"Passing sensitive_features to audit_dataset by "
                      r"position is deprecated.*pass sensitive_features=\.\.\. by keyword"):
        old = audit_dataset(X, y, "sex", pos_label=0)
    new = audit_dataset(X, y, sensitive_features="sex", pos_label=0)
    for table in ("groups", "labels", "missing", "proxies"):
        pd.testing.assert_frame_equal(getattr(old, table), getattr(new, table))
    pd.testing.assert_series_equal(old.imbalance, new.imbalance)
    assert old.to_text() == new.to_text()
    with pytest.warns(FutureWarning), pytest.raises(
            TypeError, match="multiple values for argument 'sensitive_features'"):
        audit_dataset(X, y, "sex", sensitive_features="sex")


def test_audit_is_a_dataclass_of_frames(data):
    audit = audit_dataset(*data, sensitive_features="sex")
    assert isinstance(audit, DatasetAudit)
    assert all(isinstance(getattr(audit, k), pd.DataFrame)
               for k in ("groups", "labels", "missing", "proxies"))


@pytest.mark.parametrize("seed", range(6))
def test_proxy_auc_equals_roc_auc_score_on_every_row_and_group(seed):
    """The linear proxy AUC is the macro one-vs-rest AUC of the smoothed
    held-out frequencies, as roc_auc_score computes it on rows × groups."""
    rng = np.random.default_rng(seed)
    n_groups = 2 if seed == 0 else 7
    if seed % 3 == 1:  # round numbers: the same priors in every fold, many exact ties
        groups, categories = np.repeat(np.arange(n_groups), 12), rng.integers(0, 3, 12 * n_groups)
    else:
        groups = rng.integers(0, n_groups, 300)
        categories = (rng.integers(0, 9, 300) + groups * (seed % 2)) % 9
    folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(groups, groups))
    proba = np.empty((len(groups), n_groups))
    for train, test in folds:
        cells = np.zeros((9, n_groups))
        np.add.at(cells, (categories[train], groups[train]), 1)
        prior = np.bincount(groups[train], minlength=n_groups) / len(train)
        width = np.bincount(categories[train], minlength=9) + 1.0
        proba[test] = ((cells + prior) / width[:, None])[categories[test]]
    expected = (roc_auc_score(groups, proba[:, 1]) if n_groups == 2 else
                np.mean([roc_auc_score(groups == g, proba[:, g]) for g in range(n_groups)]))
    assert _held_out_auc(categories, groups, n_groups, folds) == pytest.approx(expected, abs=1e-12)
