"""The rows a fairness-penalised network trains on, as torch tensors.

skorch hands fit parameters to the module whole, not per batch, so the group
ids and sample weights travel *with the rows*: :class:`GroupDataset` holds
them beside ``X`` and ``y``, and every batch carries its own
(:class:`GroupBatch`). Batches are cut by indexing whole tensors
(:class:`TensorBatches`) rather than by a ``DataLoader`` that collates row by
row, which is most of the cost a plain PyTorch loop does not pay.

The estimators' networks build and iterate these; the callbacks read them to
know each row's group. Both import them from here.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from skfairtune._disk_data import DatasetRows

# The network computes in float32: what exceeds this becomes inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)


class GroupBatch:
    """The features of a batch of rows, with their group ids and weights.

    What the networks read as a batch's ``X``.

    Parameters
    ----------
    X : Tensor of shape (n_rows, ...), or dict of str to such tensors
    groups : Tensor of int64, or None
        Group ids; a negative id (``skfairtune._groups.MISSING_GROUP``) marks
        a row whose group is unknown.
    weight : Tensor of float, or None
    """

    __slots__ = ("X", "groups", "weight")
    # skorch measures every batch with get_len, which walks the values of a
    # dict but takes the len of anything else: a third of the time. It also
    # asks whether the batch is sparse; the answer here spares it an
    # AttributeError.
    is_sparse = False

    def __init__(self, X, groups=None, weight=None):
        self.X, self.groups, self.weight = X, groups, weight

    def __len__(self) -> int:
        return n_rows_of(self.X)


class GroupDataset(Dataset):
    """Tensors of features, targets, group ids and sample weights.

    Parameters
    ----------
    X : Tensor of shape (n_samples, ...), or dict of str to such tensors
        A dict is what a network with several inputs takes as keyword
        arguments; every entry has one row per sample.
    y : Tensor or None
    groups : Tensor of int64, or None
    weight : Tensor of float, or None
    """

    def __init__(self, X, y=None, groups=None, weight=None):
        self.X, self.y, self.groups, self.weight = X, y, groups, weight

    def __len__(self) -> int:
        return n_rows_of(self.X)

    def take(self, index) -> GroupDataset:
        """The rows at ``index`` (a slice, or row numbers on any device), as a new dataset."""
        if isinstance(index, torch.Tensor):
            index = index.to(device_of(self.X))
        pick = (lambda t: None if t is None else t[index])  # noqa: E731
        X = ({k: v[index] for k, v in self.X.items()} if isinstance(self.X, dict)
             else self.X[index])
        return GroupDataset(X, pick(self.y), pick(self.groups), pick(self.weight))

    def to(self, device) -> GroupDataset:
        """The rows on ``device``: each tensor copied once, or kept where it is already.

        Rows that do not fit on an accelerator stay where they are:
        :class:`TensorBatches` given the ``device`` then streams them, a batch
        at a time, as do rows of a dataset on disk (with their labels and
        groups, so that a batch is moved whole).
        """
        if isinstance(self.X, DatasetRows):
            return self
        try:
            return self._moved(device)
        except torch.OutOfMemoryError:
            if torch.device(device).type == "cpu":
                raise
            return self

    def _moved(self, device) -> GroupDataset:
        move = (lambda t: None if t is None else t.to(device))  # noqa: E731
        return GroupDataset(features_to(self.X, device), move(self.y), move(self.groups),
                            move(self.weight))

    def batch(self, index=None) -> tuple[GroupBatch, torch.Tensor | None]:
        """``(GroupBatch, y)`` for the rows at ``index`` (all rows when None)."""
        part = self if index is None else self.take(index)
        return GroupBatch(part.X, part.groups, part.weight), part.y

    def __getitem__(self, i):
        return self.batch(i)

    def batches(self, sizes: list):
        """``(GroupBatch, y)`` for consecutive runs of rows of the given ``sizes``.

        Every batch is a view: each tensor is split once, in one call, where
        cutting each batch with :meth:`take` costs several microseconds a
        batch in Python alone.
        """
        if not sizes:
            return
        parts = [_split(t, sizes) for t in (self.X, self.y, self.groups, self.weight)]
        for X, y, groups, weight in zip(*parts):
            yield GroupBatch(X, groups, weight), y


def _split(tensors, sizes: list):
    """``tensors`` (a tensor, a dict of them, or None) cut into runs of rows of ``sizes``."""
    if tensors is None:
        return repeat(None, len(sizes))
    if isinstance(tensors, dict):
        cuts = zip(*(v.split(sizes) for v in tensors.values()))
        return [dict(zip(tensors, parts)) for parts in cuts]
    return tensors.split(sizes)


def is_group_data(dataset) -> bool:
    """Whether ``dataset`` is a :class:`GroupDataset`, or a ``Subset`` of one."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return isinstance(dataset, GroupDataset)


def resolve(dataset) -> GroupDataset:
    """The rows of ``dataset`` as one :class:`GroupDataset`.

    Flattens the ``Subset`` that skorch's validation split returns.
    """
    if isinstance(dataset, Subset):
        return resolve(dataset.dataset).take(torch.as_tensor(dataset.indices))
    if not isinstance(dataset, GroupDataset):
        raise TypeError(
            "skfairtune's networks read a GroupDataset, whose rows carry their group "
            f"ids and weights; got a {type(dataset).__name__}. Fit and predict "
            "through FairTuneClassifier or FairTuneRegressor."
        )
    return dataset


def n_rows_of(X) -> int:
    """The rows of a tensor, or of the first entry of a dict of tensors."""
    return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)


def device_of(X) -> torch.device:
    """Where a tensor, or the first entry of a dict of tensors, is."""
    return next(iter(X.values())).device if isinstance(X, dict) else X.device


def features_to(X, device, float_dtype=None):
    """``X`` (a tensor or a dict of them) on ``device``.

    With ``float_dtype``, floating-point tensors are cast to it; integer
    tensors (token ids, indices) keep their dtype. Rows of a dataset on disk
    stay there: each batch is read, then moved (:class:`TensorBatches`).
    """
    if isinstance(X, DatasetRows):
        return X
    if isinstance(X, dict):
        return {k: features_to(v, device, float_dtype) for k, v in X.items()}
    if float_dtype is not None and X.is_floating_point():
        return X.to(device, float_dtype)
    return X.to(device)


def call_module(module, X):
    """Run ``module`` on ``X``: a dict of inputs goes as keyword arguments, as in skorch."""
    return module(**X) if isinstance(X, dict) else module(X)


def feature_tensor(X):
    """Validated features as tensors: floats in float32, integers kept as they are.

    A copy always: the arrays may be read-only memory maps. Rows of a dataset
    on disk are read later, a batch at a time.
    """
    if isinstance(X, DatasetRows):
        return X
    if isinstance(X, dict):
        return {k: feature_tensor(v) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu()
        return X.to(torch.float32) if X.is_floating_point() else X.clone()
    X = np.asarray(X)
    if X.dtype.kind in "iub":
        return torch.tensor(X)
    return torch.tensor(X, dtype=torch.float32)


def to_tensor_data(X, y, groups, weight, *, y_dtype) -> GroupDataset:
    """Build a :class:`GroupDataset` from validated numpy arrays.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...), or dict of str to such arrays
    y : ndarray or None
    groups : array-like of int, or None
    weight : array-like of float, or None
    y_dtype : torch.dtype
        The dtype the network's loss takes its targets in.

    Returns
    -------
    GroupDataset
    """
    y_t = None if y is None else torch.tensor(y, dtype=y_dtype)
    g_t = None if groups is None else torch.as_tensor(np.asarray(groups), dtype=torch.long)
    w_t = None if weight is None else torch.as_tensor(np.asarray(weight), dtype=torch.float32)
    return GroupDataset(feature_tensor(X), y_t, g_t, w_t)


class TensorBatches:
    """Mini-batches cut from whole tensors, optionally group-stratified.

    With ``stratify=True`` each epoch interleaves the groups, so that every
    batch holds each group in proportion to its size and a small group is
    seen in every batch, not in a lucky few.

    With ``shuffle=True`` (training) a last batch of a single row joins the
    one before it: a ``BatchNorm1d`` layer cannot take the statistics of
    one row in training, and one row's gradient (and gap) is mostly noise.

    With a ``device`` that the rows are not on (they did not fit there),
    each batch is copied to it as the batch before it computes: from pinned
    memory, without blocking, on a CUDA device.

    Rows of a dataset on disk (:class:`~skfairtune._disk_data.DatasetRows`)
    are read a batch at a time, as the batch is reached.
    """

    def __init__(self, dataset, batch_size, shuffle=False, stratify=False, seed=0,
                 device=None):
        self.dataset = resolve(dataset)
        self.batch_size = batch_size
        self.shuffle, self.stratify = shuffle, stratify
        self.generator = torch.Generator().manual_seed(int(seed))
        self.device = device

    def _bounds(self) -> list:
        """Where each batch starts, then where the last one ends."""
        n = len(self.dataset)
        starts = list(range(0, n, self.batch_size))
        if self.shuffle and len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        return [*starts, n]

    def __len__(self) -> int:
        return len(self._bounds()) - 1

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return None
        if self.stratify and self.dataset.groups is not None:
            # On the CPU, where the generator is: one copy of the ids per epoch.
            return _stratified_order(self.dataset.groups.cpu(), self.generator)
        return torch.randperm(n, generator=self.generator)

    def __iter__(self):
        order = self._order()
        # One gather of the whole epoch, then batches are views: far cheaper
        # than a gather of every tensor for every batch.
        data = self.dataset if order is None else self.dataset.take(order)
        bounds = self._bounds()
        batches = data.batches([end - start for start, end in zip(bounds[:-1], bounds[1:])])
        if isinstance(data.X, DatasetRows):
            batches = map(_read, batches)
        if self._streams(data):
            yield from _streamed(batches, torch.device(self.device))
        else:
            yield from batches

    def _streams(self, data) -> bool:
        """Whether the rows are on the host and the batches go to another device."""
        return (self.device is not None and device_of(data.X).type == "cpu"
                and torch.device(self.device).type != "cpu")


def _read(batch):
    """A batch of rows of a dataset on disk, read now: a batch's rows per read."""
    X, y = batch
    return GroupBatch(X.X.load(), X.groups, X.weight), y


def _streamed(batches, device: torch.device):
    """``batches`` copied to ``device`` one batch ahead, so that a copy from
    pinned memory runs while the batch before it computes."""
    ahead = None
    for batch in batches:
        moved = _batch_to(batch, device)
        if ahead is not None:
            yield ahead
        ahead = moved
    if ahead is not None:
        yield ahead


def _batch_to(batch, device: torch.device):
    """A ``(GroupBatch, y)`` on ``device``; to a CUDA device through pinned memory
    (torch's caching host allocator recycles it once the copy is done)."""
    def move(t):
        if t is None:
            return None
        if device.type == "cuda":
            t = t.pin_memory()
        return t.to(device, non_blocking=True)

    X, y = batch
    features = ({k: move(v) for k, v in X.X.items()} if isinstance(X.X, dict)
                else move(X.X))
    return GroupBatch(features, move(X.groups), move(X.weight)), move(y)


def _stratified_order(groups, generator):
    # Each row's position within its group, shuffled and scaled to [0, 1):
    # sorting by it deals the groups out evenly across the epoch. Rows of
    # unknown group are dealt out as one group more.
    groups = torch.where(groups < 0, groups.max() + 1, groups)
    n = len(groups)
    perm = torch.randperm(n, generator=generator)
    shuffled = groups[perm]
    counts = torch.bincount(shuffled)
    order_in_group = torch.argsort(torch.argsort(shuffled, stable=True), stable=True)
    starts = torch.cumsum(counts, 0) - counts
    rank = order_in_group - starts[shuffled]
    jitter = torch.rand(n, generator=generator, dtype=torch.float64)
    position = (rank.double() + jitter) / counts[shuffled].double()
    return perm[torch.argsort(position)]
