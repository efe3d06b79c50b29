"""Cell counts after resampling are exactly the target (property tests)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfairtune.resampling import GroupResampler
from skfairtune.resampling._targets import apportion, cell_targets

SETTINGS = settings(max_examples=40, deadline=None)

# A count matrix (n_groups x n_classes) with every cell non-empty.
count_matrices = st.integers(1, 4).flatmap(
    lambda n_groups: st.integers(2, 3).flatmap(
        lambda n_classes: st.lists(
            st.lists(st.integers(1, 12), min_size=n_classes, max_size=n_classes),
            min_size=n_groups,
            max_size=n_groups,
        )
    )
)
strategies = st.sampled_from(["oversample", "undersample", "mixed"])
targets = st.sampled_from(["equal_cells", "equal_groups", "equal_label_rates"])


def after_counts(sampler, counts):
    table = sampler.cell_counts_
    return table["after"].to_numpy().reshape(np.shape(counts))


@SETTINGS
@given(
    counts=count_matrices, strategy=strategies, target=targets, seed=st.integers(0, 9)
)
def test_counts_after_are_the_target(counts, strategy, target, seed, cells_data):
    X, y, g = cells_data(counts, seed=seed)
    sampler = GroupResampler(strategy=strategy, target=target, random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y, sensitive_features=g)
    expected = cell_targets(
        np.asarray(counts), target, strategy, list(range(len(counts))), [0, 1, 2]
    )
    np.testing.assert_array_equal(after_counts(sampler, counts), expected)
    # The returned rows really are what the report says.
    seen = np.zeros_like(expected)
    np.add.at(seen, (X_res[:, 0].astype(int), y_res), 1)
    np.testing.assert_array_equal(seen, expected)


@SETTINGS
@given(counts=count_matrices, seed=st.integers(0, 9))
def test_equal_cells_oversampling_keeps_every_row(counts, seed, cells_data):
    X, y, g = cells_data(counts, seed=seed)
    sampler = GroupResampler(random_state=seed)
    X_res, _ = sampler.fit_resample(X, y, sensitive_features=g)
    assert set(sampler.cell_counts_["after"]) == {np.max(counts)}
    assert set(sampler.sample_indices_) == set(range(len(y)))
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    # Copies are spread evenly: each row of a cell appears k or k + 1 times.
    uses = np.bincount(sampler.sample_indices_, minlength=len(y))
    for cell_rows in [np.flatnonzero((g == a) & (y == b)) for a, b in set(zip(g, y))]:
        assert np.ptp(uses[cell_rows]) <= 1


@SETTINGS
@given(counts=count_matrices, target=targets, seed=st.integers(0, 9))
def test_undersampling_keeps_only_original_rows_once(counts, target, seed, cells_data):
    X, y, g = cells_data(counts, seed=seed)
    sampler = GroupResampler(strategy="undersample", target=target, random_state=seed)
    X_res, _ = sampler.fit_resample(X, y, sensitive_features=g)
    indices = sampler.sample_indices_
    assert np.unique(indices).size == indices.size
    np.testing.assert_array_equal(X_res, X[indices])
    if target == "equal_cells":
        assert set(sampler.cell_counts_["after"]) == {np.min(counts)}


@SETTINGS
@given(counts=count_matrices, strategy=strategies, seed=st.integers(0, 9))
def test_equal_label_rates_gives_every_group_the_overall_rate(
    counts, strategy, seed, cells_data
):
    counts = np.asarray(counts)
    X, y, g = cells_data(counts, seed=seed)
    sampler = GroupResampler(strategy=strategy, target="equal_label_rates")
    sampler.set_params(random_state=seed).fit_resample(X, y, sensitive_features=g)
    after = after_counts(sampler, counts)
    overall = counts.sum(axis=0) / counts.sum()
    for row in after:
        # Rounding to whole rows moves a rate by less than one row's share.
        assert np.all(np.abs(row / row.sum() - overall) < 1 / row.sum() + 1e-12)
    if strategy == "mixed":  # Kamiran and Calders: group sizes kept
        np.testing.assert_array_equal(after.sum(axis=1), counts.sum(axis=1))


@SETTINGS
@given(counts=count_matrices, strategy=strategies)
def test_equal_groups_keeps_each_groups_label_rate(counts, strategy, cells_data):
    counts = np.asarray(counts)
    X, y, g = cells_data(counts)
    sampler = GroupResampler(strategy=strategy, target="equal_groups", random_state=0)
    sampler.fit_resample(X, y, sensitive_features=g)
    after = after_counts(sampler, counts)
    assert np.unique(after.sum(axis=1)).size == 1
    rates = counts / counts.sum(axis=1, keepdims=True)
    sizes = after.sum(axis=1, keepdims=True)
    assert np.all(np.abs(after / sizes - rates) < 1 / sizes)


@SETTINGS
@given(
    total=st.integers(0, 500),
    weights=st.lists(st.integers(0, 50), min_size=1, max_size=6).filter(any),
)
def test_apportion_is_exact_and_fair(total, weights):
    parts = apportion(total, np.array(weights))
    assert parts.sum() == total
    share = total * np.array(weights) / sum(weights)
    assert np.all(np.abs(parts - share) < 1)


def test_mixed_equal_cells_is_the_mean_cell(cells_data):
    X, y, g = cells_data([[10, 2], [4, 8]])
    sampler = GroupResampler(strategy="mixed", random_state=0)
    sampler.fit_resample(X, y, sensitive_features=g)
    assert set(sampler.cell_counts_["after"]) == {6}


def test_dict_target_sets_named_cells_and_keeps_the_rest(cells_data):
    X, y, g = cells_data([[10, 2], [4, 8]])
    sampler = GroupResampler(target={(0, 1): 7, (1, 0): 6}, random_state=0)
    sampler.fit_resample(X, y, sensitive_features=g)
    assert sampler.sampling_strategy_ == {(0, 0): 10, (0, 1): 7, (1, 0): 6, (1, 1): 8}


@pytest.mark.parametrize(
    "target, message",
    [({(5, 0): 3}, "not a \\(group, label\\) cell"), ({(0, 0): -1}, "non-negative")],
)
def test_dict_target_errors(target, message, cells_data):
    X, y, g = cells_data([[3, 3], [3, 3]])
    with pytest.raises(ValueError, match=message):
        GroupResampler(target=target).fit_resample(X, y, sensitive_features=g)


def test_a_target_too_large_for_memory_is_refused_before_allocating():
    from skfairtune.resampling import GroupResampler

    rng = np.random.default_rng(0)
    X, y, group = rng.normal(size=(50, 3)), rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    with pytest.raises(ValueError, match=r"target asks for 1,000,000,000,0\d\d rows in all "
                                         r"\(1,000,000,000,000 in the cell \(group=0, label=1\)\)"
                                         r".* GiB of memory. Ask for fewer rows"):
        GroupResampler(target={(0, 1): 10**12}).fit_resample(X, y, sensitive_features=group)


def test_an_unknown_cell_lists_the_cells_as_plain_values():
    from skfairtune.resampling import GroupResampler

    rng = np.random.default_rng(0)
    X, y, group = rng.normal(size=(40, 2)), rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    with pytest.raises(ValueError, match=r"the cells are \[\(0, 0\), \(0, 1\), \(1, 0\), "
                                         r"\(1, 1\)\]") as caught:
        GroupResampler(target={(7, 0): 5}).fit_resample(X, y, sensitive_features=group)
    assert "np." not in str(caught.value)
