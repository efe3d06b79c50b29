"""Fine-tune on rows read from disk, a batch at a time.

The features live in a file (here an ``np.memmap`` of float32 rows) that a
map-style ``torch.utils.data.Dataset`` reads one row per item; the labels
and the sensitive attribute, one number per row, are held in memory beside
it. A second dataset carries them in its items, ``(x, y, s)``, as a skorch
user's dataset carries its labels.
"""

import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from skfairtune import FairTuneClassifier


class RowsOnDisk(Dataset):
    """One row of features per item, read from a float32 file on demand."""

    def __init__(self, path, n_rows, n_features):
        self.rows = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, n_features))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return torch.from_numpy(np.array(self.rows[i]))

    def __getitems__(self, indices):  # optional: a whole batch in one read
        return list(torch.from_numpy(np.array(self.rows[indices])))


class LabelledRowsOnDisk(RowsOnDisk):
    """Items (x, y, s): the features, the label and the sensitive value."""

    def __init__(self, path, n_rows, n_features, y, group):
        super().__init__(path, n_rows, n_features)
        self.y, self.group = y, group

    def __getitem__(self, i):
        return super().__getitem__(i), self.y[i], self.group[i]

    def __getitems__(self, indices):
        rows = super().__getitems__(indices)
        return [(x, self.y[i], self.group[i]) for x, i in zip(rows, indices)]


rng = np.random.default_rng(0)
n, d = 4000, 6
group = rng.integers(0, 2, n)
X = (rng.normal(size=(n, d)) + 0.4 * group[:, None]).astype(np.float32)
y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.5, size=n) > 0.8).astype(int)

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "features.f32"
    X.tofile(path)  # in practice the file is written once, chunk by chunk

    settings = dict(max_gap=0.1, validation_fraction=0.25, batch_size=128, max_epochs=10,
                    random_state=0)
    rows = RowsOnDisk(path, n, d)
    clf = FairTuneClassifier(**settings).fit(rows, y, sensitive_features=group)
    proba = clf.predict_proba(rows)  # a Dataset at predict time too

    items = LabelledRowsOnDisk(path, n, d, y, group)
    from_items = FairTuneClassifier(**settings).fit(items, None)  # y=None, as skorch
    proba_from_items = from_items.predict_proba(items)

    in_memory = FairTuneClassifier(**settings).fit(X, y, sensitive_features=group)

print(f"held-out gap {clf.validation_gap_:.3f}; largest difference from the fit in "
      f"memory {np.abs(proba - in_memory.predict_proba(X)).max():.1e}")
