"""X as a torch Dataset read from disk: the same fit as in memory, a batch at a time."""

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, IterableDataset

from skfairtune import FairTuneClassifier, FairTuneRegressor
from skfairtune.callbacks import FairnessMonitor

from .conftest import make_biased

SETTINGS = dict(max_epochs=4, batch_size=32, lr=1e-2, random_state=0)


class MemmapRows(Dataset):
    """Rows of an ``np.memmap`` file, one per item; counts the rows of each read."""

    def __init__(self, path, shape, dtype=np.float32):
        self.rows = np.memmap(path, dtype=dtype, mode="r", shape=shape)
        self.reads = []

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        self.reads.append(1)
        return torch.from_numpy(np.array(self.rows[i]))


class BatchedRows(MemmapRows):
    """Reads a batch of rows in one call, as a ``DataLoader`` would ask."""

    def __getitems__(self, indices):
        self.reads.append(len(indices))
        return list(torch.from_numpy(np.array(self.rows[indices])))


class Items(Dataset):
    """Items ``(x, y, s)``, as a skorch user's dataset carries its labels."""

    def __init__(self, X, y, group):
        self.X, self.y, self.group = X, y, group

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return torch.as_tensor(self.X[i]), self.y[i], self.group[i]


class ListRows(Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


class Stream(IterableDataset):
    def __iter__(self):
        yield from np.zeros((3, 2), dtype=np.float32)


def on_disk(tmp_path, X, cls=MemmapRows):
    path = tmp_path / "rows.f32"
    X.astype(np.float32).tofile(path)
    return cls(path, X.shape)


@pytest.fixture
def biased():
    X, y, group = make_biased(240, 0)
    return X.astype(np.float32), y, group


@pytest.mark.parametrize("params", [{}, {"penalty": None}, {"max_gap": 0.1}],
                         ids=["penalty", "early-stopping", "constraint"])
def test_memmap_dataset_fits_as_in_memory(tmp_path, biased, params):
    """Aligned y and groups beside the dataset: the fit of the same rows in memory."""
    X, y, group = biased
    rows = on_disk(tmp_path, X)
    memory = FairTuneClassifier(**SETTINGS, **params).fit(X, y, sensitive_features=group)
    disk = FairTuneClassifier(**SETTINGS, **params).fit(rows, y, sensitive_features=group)
    expected = memory.predict_proba(X)
    np.testing.assert_allclose(disk.predict_proba(rows), expected, atol=1e-6)
    np.testing.assert_allclose(disk.predict_proba(X), expected, atol=1e-6)
    np.testing.assert_array_equal(disk.predict(rows), memory.predict(X))
    np.testing.assert_allclose(disk.decision_function(rows), memory.decision_function(X),
                               atol=1e-6)
    assert disk.n_features_in_ == X.shape[1] and disk.n_iter_ == memory.n_iter_
    if "max_gap" in params:  # the held-out gap that moved the multipliers
        assert disk.validation_gap_ == pytest.approx(memory.validation_gap_, abs=1e-12)
        assert disk.budget_met_ == memory.budget_met_


def test_items_carry_labels_and_groups(biased):
    X, y, group = biased
    memory = FairTuneClassifier(**SETTINGS, max_gap=0.1).fit(X, y, sensitive_features=group)
    items = FairTuneClassifier(**SETTINGS, max_gap=0.1).fit(Items(X, y, group), None)
    np.testing.assert_allclose(items.predict_proba(Items(X, y, group)),
                               memory.predict_proba(X), atol=1e-6)
    assert items.sensitive_groups_ == memory.sensitive_groups_


def test_items_of_x_and_y_take_groups_beside_them(biased):
    X, y, group = biased
    pairs = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    memory = FairTuneClassifier(**SETTINGS).fit(X, y, sensitive_features=group)
    disk = FairTuneClassifier(**SETTINGS).fit(pairs, None, sensitive_features=group)
    np.testing.assert_allclose(disk.predict_proba(pairs), memory.predict_proba(X),
                               atol=1e-6)


def test_regressor_and_partial_fit(tmp_path, biased):
    X, _, group = biased
    target = (X[:, 1] + group).astype(np.float64)
    rows = on_disk(tmp_path, X)
    memory = FairTuneRegressor(**SETTINGS).fit(X, target, sensitive_features=group)
    disk = FairTuneRegressor(**SETTINGS).fit(rows, target, sensitive_features=group)
    np.testing.assert_allclose(disk.predict(rows), memory.predict(X), atol=1e-6)
    memory.partial_fit(X, target, sensitive_features=group)
    disk.partial_fit(rows, target, sensitive_features=group)
    np.testing.assert_allclose(disk.predict(rows), memory.predict(X), atol=1e-6)


def test_network_of_images_reads_items_of_any_shape(biased):
    X, y, group = biased
    images = X.reshape(-1, 1, 2, 2)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    kw = dict(SETTINGS, module=module)
    memory = FairTuneClassifier(**kw).fit(images, y, sensitive_features=group)
    disk = FairTuneClassifier(**kw).fit(ListRows(images), y, sensitive_features=group)
    np.testing.assert_allclose(disk.predict_proba(ListRows(images)),
                               memory.predict_proba(images), atol=1e-6)
    with pytest.raises(ValueError, match="rows have shape"):
        disk.predict(ListRows(X))


def test_monitor_reads_the_dataset(tmp_path, biased):
    X, y, group = biased
    kw = dict(SETTINGS, penalty=None)
    memory = FairTuneClassifier(**kw, callbacks=[FairnessMonitor()]).fit(
        X, y, sensitive_features=group)
    disk = FairTuneClassifier(**kw, callbacks=[FairnessMonitor()]).fit(
        on_disk(tmp_path, X), y, sensitive_features=group)
    key = "train_demographic_parity_difference"
    assert disk.history_[:, key] == pytest.approx(memory.history_[:, key], abs=1e-12)


def test_reads_a_batch_at_most_per_call(tmp_path, biased):
    """The features are read through the dataset, never all at once."""
    X, y, group = biased
    rows = on_disk(tmp_path, X, BatchedRows)
    clf = FairTuneClassifier(**SETTINGS, max_gap=0.1,
                             callbacks=[FairnessMonitor(batch_size=32)])
    clf.fit(rows, y, sensitive_features=group)
    clf.predict_proba(rows)
    assert max(rows.reads) <= SETTINGS["batch_size"]
    # Every epoch reads its rows, and the held-out slice, in batches.
    assert sum(rows.reads) >= clf.n_iter_ * len(X)


def test_pickled_model_holds_no_rows(tmp_path, biased):
    import pickle

    X, y, group = biased
    memory = FairTuneClassifier(**SETTINGS).fit(X, y, sensitive_features=group)
    disk = FairTuneClassifier(**SETTINGS).fit(on_disk(tmp_path, X), y,
                                              sensitive_features=group)
    assert len(pickle.dumps(disk)) <= len(pickle.dumps(memory)) + 1000


@pytest.mark.parametrize("X, y, sensitive, match", [
    (ListRows([np.zeros(3, np.float32)] * 5 + [np.zeros(4, np.float32)] * 5),
     np.arange(10) % 2, None, r"has features of shape \(4,\), but item 0 has \(3,\)"),
    (ListRows([[0.0, 1.0]] * 10), np.arange(10) % 2, None, "item 0 holds features of type list"),
    (ListRows([np.array(["a", "b"])] * 10), np.arange(10) % 2, None, "must hold numbers"),
    (ListRows([np.zeros(2, np.float32)] * 9 + [np.full(2, np.nan, np.float32)]),
     np.arange(10) % 2, None, "item 9 holds NaN"),
    (ListRows([np.zeros(2, np.float32)] * 10), np.arange(9) % 2, None, "y has 9 rows"),
    (ListRows([np.zeros(2, np.float32)] * 10), np.arange(10) % 2, np.arange(8) % 2,
     "sensitive_features"),
    (ListRows([np.zeros(2, np.float32)] * 10), None, None, "y is None"),
    (Items(np.zeros((10, 2), np.float32), np.arange(10) % 2, np.arange(10) % 2),
     np.arange(10) % 2, None, "pass y=None"),
    (Items(np.zeros((10, 2), np.float32), np.arange(10) % 2, np.arange(10) % 2),
     None, np.arange(10) % 2, "pass sensitive_features=None"),
    (ListRows([(np.zeros(2, np.float32), 1, 0, 5)] * 10), None, None, "tuples of 4"),
    (Stream(), np.arange(3) % 2, None, "map-style Dataset"),
    (ListRows([]), np.arange(0), None, "0 items"),
    (ListRows([np.zeros((2, 2), np.float32)] * 10), np.arange(10) % 2, None,
     "module=None builds an MLP"),
])
def test_bad_datasets_are_named(X, y, sensitive, match):
    with pytest.raises(ValueError, match=match):
        FairTuneClassifier(**SETTINGS).fit(X, y, sensitive_features=sensitive)


def test_predict_refuses_rows_of_another_width(biased):
    X, y, group = biased
    clf = FairTuneClassifier(**SETTINGS).fit(ListRows(X), y, sensitive_features=group)
    with pytest.raises(ValueError, match="expecting 4 features"):
        clf.predict(ListRows(X[:, :3]))


def test_sampler_that_adds_rows_is_refused(biased):
    from skfairtune.resampling import GroupResampler

    X, y, group = biased
    with pytest.raises(ValueError, match="Resample the rows when the Dataset is built"):
        FairTuneClassifier(**SETTINGS, sampler=GroupResampler()).fit(
            ListRows(X), y, sensitive_features=group)


def test_weights_and_reweighing_follow_the_items(biased):
    X, y, group = biased
    weight = np.linspace(0.5, 2.0, len(y))
    for kw, fit_kw in [({}, {"sample_weight": weight}), ({"sampler": "reweighing"}, {})]:
        memory = FairTuneClassifier(**SETTINGS, **kw).fit(
            X, y, sensitive_features=group, **fit_kw)
        disk = FairTuneClassifier(**SETTINGS, **kw).fit(
            ListRows(X), y, sensitive_features=group, **fit_kw)
        np.testing.assert_allclose(disk.predict_proba(ListRows(X)),
                                   memory.predict_proba(X), atol=1e-6)
    with pytest.raises(ValueError, match="sample_weight"):
        FairTuneClassifier(**SETTINGS).fit(ListRows(X), y, sensitive_features=group,
                                           sample_weight=weight[:-1])


def test_integer_items_are_features_of_the_mlp(biased):
    X, y, group = biased
    counts = np.rint(X * 3).astype(np.int64)
    memory = FairTuneClassifier(**SETTINGS).fit(counts, y, sensitive_features=group)
    disk = FairTuneClassifier(**SETTINGS).fit(ListRows(counts), y, sensitive_features=group)
    np.testing.assert_allclose(disk.predict_proba(ListRows(counts)),
                               memory.predict_proba(counts), atol=1e-6)


def test_one_process_group_reads_the_dataset(tmp_path, biased):
    import torch.distributed as dist

    from skfairtune.distributed import DistributedTraining

    X, y, group = biased
    alone = FairTuneClassifier(**SETTINGS, max_gap=0.1).fit(X, y, sensitive_features=group)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}",
                            rank=0, world_size=1)
    try:
        grouped = FairTuneClassifier(**SETTINGS, max_gap=0.1,
                                     callbacks=[DistributedTraining()])
        grouped.fit(ListRows(X), y, sensitive_features=group)
    finally:
        dist.destroy_process_group()
    np.testing.assert_allclose(grouped.predict_proba(ListRows(X)), alone.predict_proba(X),
                               atol=1e-6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
def test_dataset_streams_to_the_gpu(tmp_path, biased):
    """Rows read on the host, a batch at a time, are moved to the GPU with their groups."""
    X, y, group = biased
    kw = dict(SETTINGS, max_gap=0.1, device="cuda")
    memory = FairTuneClassifier(**kw).fit(X, y, sensitive_features=group)
    disk = FairTuneClassifier(**kw).fit(on_disk(tmp_path, X), y, sensitive_features=group)
    np.testing.assert_allclose(disk.predict_proba(ListRows(X)), memory.predict_proba(X),
                               atol=1e-5)
