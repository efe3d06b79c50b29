"""Features read from a ``torch.utils.data.Dataset``, a batch at a time.

Data larger than memory reaches the estimators as a map-style ``Dataset``
(``__len__`` and ``__getitem__``) that reads its rows from disk. Its
features are never loaded all at once: :class:`DatasetRows` stands where a
tensor of features stands in a :class:`~skfairtune._torch_data.GroupDataset`,
indexing it only composes row numbers, and a batch's rows are read when the
batch is cut (``TensorBatches``). The labels and group ids are small: they
are held in memory, given beside the dataset or read from its items once.

An item is the features of one row (a tensor or an array), or, as skorch
reads a dataset, a tuple whose first entry is the features: ``(x, y)`` or
``(x, y, s)`` with the row's label and sensitive value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset

# Rows read per call of the dataset while its labels and groups are collected.
LABEL_PASS_ROWS = 1024


def is_dataset(X: Any) -> bool:
    """Whether ``X`` is a torch ``Dataset`` (rather than arrays in memory)."""
    return isinstance(X, Dataset)


class DatasetRows:
    """Rows of a map-style dataset, read only when :meth:`load` is called.

    Stands for a tensor of features of shape ``shape``: indexing it (by a
    slice or row numbers) gives other rows of the same dataset without
    reading any, and :meth:`split` cuts it into batches as ``Tensor.split``
    does.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
    index : Tensor of int64, or None
        The dataset's items that are these rows, in order; None: all of them.
    tuple_items : bool
        Whether an item is a tuple whose first entry is the features.
    row_shape : tuple of int
        The shape of one row's features, as the first item has it.
    dtype : numpy dtype
        The features' dtype as the first item has it; integers are passed on
        as they are, floats as float32.
    floats : bool
        Cast integers to float32 too: what the built-in MLP, which takes a
        table of floats, reads.
    """

    def __init__(self, dataset, index=None, *, tuple_items: bool, row_shape: tuple,
                 dtype: np.dtype, floats: bool = False):
        self.dataset, self.index = dataset, index
        self.tuple_items, self.row_shape, self.dtype = tuple_items, row_shape, dtype
        self.floats = floats

    def __len__(self) -> int:
        return len(self.dataset) if self.index is None else len(self.index)

    @property
    def shape(self) -> tuple:
        return (len(self), *self.row_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.row_shape)

    @property
    def device(self) -> torch.device:
        # On the host: a batch is read there, then moved where the network is.
        return torch.device("cpu")

    def _rows(self) -> torch.Tensor:
        return torch.arange(len(self)) if self.index is None else self.index

    def _like(self, index: torch.Tensor) -> DatasetRows:
        return DatasetRows(self.dataset, index, tuple_items=self.tuple_items,
                           row_shape=self.row_shape, dtype=self.dtype, floats=self.floats)

    def __getitem__(self, index) -> DatasetRows:
        if isinstance(index, torch.Tensor):
            index = index.cpu()
        return self._like(self._rows()[index])

    def split(self, sizes: list) -> list:
        """Consecutive runs of rows of the given ``sizes``, none of them read yet."""
        return [self._like(part) for part in self._rows().split(sizes)]

    def load(self) -> torch.Tensor:
        """Read these rows from the dataset: one call of its ``__getitems__`` when
        it has one (as a ``DataLoader`` fetches a batch), else one call of
        ``__getitem__`` per row."""
        positions = self._rows().tolist()
        items = read_items(self.dataset, positions)
        features = [_features(item, self.tuple_items, position)
                    for position, item in zip(positions, items)]
        for position, row in zip(positions, features):
            _check_row(row, position, self.row_shape, self.dtype)
        rows = (np.stack(features) if features
                else np.empty((0, *self.row_shape), self.dtype))
        return _as_tensor(rows, positions, floats=self.floats)


def read_items(dataset, positions: list) -> list:
    """The dataset's items at ``positions``, in one batched read where it offers one."""
    getitems = getattr(dataset, "__getitems__", None)
    if getitems is not None:
        return list(getitems(positions))
    return [dataset[i] for i in positions]


def _numpy(value: Any) -> Any:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _features(item: Any, tuple_items: bool, position: int) -> np.ndarray:
    if tuple_items:
        if not isinstance(item, tuple) or not item:
            raise ValueError(
                f"X's item {position} is a {type(item).__name__}, but item 0 is a tuple "
                "(features first): every item must be laid out alike.")
        item = item[0]
    if not isinstance(item, (torch.Tensor, np.ndarray)):
        raise ValueError(
            f"X's item {position} holds features of type {type(item).__name__}; a "
            "Dataset given as X must yield a tensor or a numpy array per row (or a "
            "tuple whose first entry is one: (x, y) or (x, y, s)).")
    return _numpy(item)


def _check_row(row: np.ndarray, position: int, row_shape: tuple, dtype: np.dtype) -> None:
    if row.shape != row_shape:
        raise ValueError(
            f"X's item {position} has features of shape {row.shape}, but item 0 has "
            f"{row_shape}: every row of a Dataset given as X must have one shape.")
    if (row.dtype.kind in "iub") != (dtype.kind in "iub"):
        raise ValueError(
            f"X's item {position} holds {row.dtype} but item 0 holds {dtype}: every row "
            "must hold numbers of one kind (integers are passed to the network as "
            "they are).")


def _as_tensor(rows: np.ndarray, positions: list, *, floats: bool) -> torch.Tensor:
    """A batch as the network takes it: floats in float32, integers as they are
    (unless ``floats``)."""
    if rows.dtype.kind in "iub" and not floats:
        return torch.as_tensor(rows)
    batch = torch.as_tensor(rows, dtype=torch.float32)
    finite = torch.isfinite(batch.reshape(len(batch), -1)).all(dim=1)
    if not finite.all():
        where = positions[int((~finite).nonzero()[0])]
        raise ValueError(
            f"X's item {where} holds NaN or infinity (or a value beyond float32's "
            "range, in which the network computes); clean or scale the data.")
    return batch


def dataset_rows(X: Any) -> DatasetRows:
    """``X``, a map-style dataset, checked by its first item, as :class:`DatasetRows`.

    Raises
    ------
    ValueError
        For an iterable dataset, one without ``__len__`` or without items,
        or one whose first item holds no tensor or array of numbers.
    """
    if isinstance(X, IterableDataset) or not hasattr(type(X), "__len__"):
        raise ValueError(
            f"X is a {type(X).__name__}, a Dataset without a length (an iterable "
            "one): give a map-style Dataset, with __len__ and __getitem__, so that "
            "batches and the held-out slice can be read by row number.")
    if len(X) == 0:
        raise ValueError("X is a Dataset of 0 items: it needs at least one row.")
    item = read_items(X, [0])[0]
    tuple_items = isinstance(item, tuple)
    row = _features(item, tuple_items, 0)
    if row.dtype.kind not in "iubf":
        raise ValueError(
            f"X's items must hold numbers (floats, or integers such as token ids); "
            f"item 0 holds dtype {row.dtype}.")
    return DatasetRows(X, tuple_items=tuple_items, row_shape=row.shape, dtype=row.dtype)


def item_targets(rows: DatasetRows, batch_rows: int = LABEL_PASS_ROWS) -> tuple:
    """The labels and, for ``(x, y, s)`` items, the sensitive values of every row.

    One pass over the dataset, ``batch_rows`` rows per read; each item is
    read whole (its features too, then dropped), so it costs one more read
    of the data set, in memory only ``batch_rows`` rows at a time.

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    sensitive_features : ndarray or None
        None when the items are ``(x, y)``.
    """
    n = len(rows)
    width = len(read_items(rows.dataset, [0])[0])
    if width not in (2, 3):
        raise ValueError(
            f"X's items are tuples of {width} entries; with y=None they must be "
            "(x, y) or (x, y, s): the features, the label, and the sensitive value.")
    columns: list = [[] for _ in range(width - 1)]
    for start in range(0, n, batch_rows):
        positions = list(range(start, min(start + batch_rows, n)))
        for position, item in zip(positions, read_items(rows.dataset, positions)):
            if not isinstance(item, tuple) or len(item) != width:
                raise ValueError(
                    f"X's item {position} is not a tuple of {width} entries like item "
                    "0: every item must be laid out alike.")
            for column, value in zip(columns, item[1:]):
                column.append(_numpy(value))
    return np.asarray(columns[0]), (np.asarray(columns[1]) if width == 3 else None)


def dataset_input(X: Any, y: Any, sensitive_features: Any) -> tuple:
    """``X``, a dataset, as :class:`DatasetRows`, with the labels and sensitive values.

    Items of features alone take ``y`` (and ``sensitive_features``) beside
    them; tuple items ``(x, y)`` or ``(x, y, s)`` carry them, read in one
    pass (:func:`item_targets`), and then ``y`` must be None, as skorch
    takes a dataset, and ``sensitive_features`` too when the items hold it.

    Returns
    -------
    rows : DatasetRows
    y : array-like
    sensitive_features : array-like or None
    """
    rows = dataset_rows(X)
    if not rows.tuple_items:
        if y is None:
            raise ValueError(
                "y is None, but X's items are features alone: give y (one label per "
                "item), or a Dataset whose items are (x, y) or (x, y, s).")
        return rows, y, sensitive_features
    if y is not None:
        raise ValueError(
            "X's items are tuples (x, y) or (x, y, s), which carry the labels: pass "
            "y=None, as skorch takes a Dataset, or give a Dataset of features alone "
            "with y beside it.")
    y, groups = item_targets(rows)
    if groups is None:
        return rows, y, sensitive_features
    if sensitive_features is not None:
        raise ValueError(
            "X's items are (x, y, s), which carry the sensitive values: pass "
            "sensitive_features=None, or items (x, y) with sensitive_features "
            "beside them.")
    return rows, y, groups
