"""Turning a sensitive attribute into integer group ids.

Every part of skfairtune (penalties, metrics, resamplers, splitters) works on
integer group codes in ``[0, n_groups)``. This module is the one place where
user input (1-D or 2-D, strings or numbers, pandas or numpy) becomes codes, so
that the same rows always land in the same group whichever part reads them.

A fitted estimator keeps its groups as a :class:`GroupEncoder`
(``groups_encoder_``): the reports, scorers and explanations of that model
code their rows by it (:func:`encode_for`), so that a group reads the same
everywhere and a group the model never saw in fit is named as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._labels import label_text
from ._pipeline import final_step
from ._validation import check_n_rows

# The group id of a row whose sensitive value is unknown, with
# missing="ignore": consumers of the codes skip such rows.
MISSING_GROUP = -1


@dataclass(frozen=True)
class GroupEncoding:
    """Integer group codes of a sensitive attribute.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        The group id of each row, in ``[0, n_groups)``; ``MISSING_GROUP``
        (-1) for a row whose value is missing, when the encoding allowed it.
    labels : list
        ``labels[k]`` is the value (a tuple of values for several columns)
        that group ``k`` stands for: sorted, or in a :class:`GroupEncoder`'s
        order for an encoding it made.
    names : list of str
        The names of the sensitive columns (``"sensitive_feature_0"`` ... when
        the input has none).
    unseen : tuple
        The labels, among ``labels``, that the :class:`GroupEncoder` which
        made this encoding did not have: groups a model never saw in fit.
        Empty for an encoding made without an encoder.
    """

    codes: np.ndarray
    labels: list
    names: list
    unseen: tuple = ()

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    @property
    def n_missing(self) -> int:
        """The number of rows whose group is unknown."""
        return int(np.count_nonzero(self.codes == MISSING_GROUP))


def group_index(encoding: GroupEncoding) -> pd.Index:
    """A pandas index of the groups, one level per sensitive column.

    Tables by group (the metrics' reports, the audit) are indexed by it, so
    that a group reads the same in all of them.
    """
    if len(encoding.names) > 1:
        return pd.MultiIndex.from_tuples(encoding.labels, names=encoding.names)
    return pd.Index(encoding.labels, name=encoding.names[0])


def as_frame(sensitive_features: Any, *, name: str = "sensitive_features") -> pd.DataFrame:
    """Return the sensitive attribute as a DataFrame with one column per feature."""
    if sensitive_features is None:
        raise ValueError(f"{name} is required here but got None.")
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features
    elif isinstance(sensitive_features, pd.Series):
        label = sensitive_features.name
        frame = sensitive_features.to_frame(
            name=label if label is not None else "sensitive_feature_0"
        )
    elif isinstance(sensitive_features, dict):
        frame = pd.DataFrame(sensitive_features)
    else:
        if hasattr(sensitive_features, "detach"):  # torch tensors
            sensitive_features = sensitive_features.detach().cpu().numpy()
        array = np.asarray(sensitive_features, dtype=object)
        if array.ndim == 0:
            raise ValueError(
                f"{name} must be a 1-D or 2-D array-like with one row per sample; "
                f"got a scalar {sensitive_features!r}."
            )
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(
                f"{name} must be 1-D or 2-D; got an array with {array.ndim} dimensions."
            )
        frame = pd.DataFrame(
            array, columns=[f"sensitive_feature_{j}" for j in range(array.shape[1])]
        )
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has no columns.")
    return frame


def _check_missing(frame: pd.DataFrame, name: str) -> None:
    missing = frame.isna().to_numpy().any(axis=1)
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if rows.size > 5 else "")
        raise ValueError(
            f"{name} contains missing values (NaN or None) in {rows.size} row(s): "
            f"{shown}. Give missing values a category of their own "
            f"(for example 'unknown') or drop those rows."
        )


def _sorted_codes(column: pd.Series) -> tuple[np.ndarray, list]:
    values = column.to_numpy()
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        # Values that do not compare (a date beside strings): order the
        # groups by type and text, but keep the values themselves as labels,
        # so that two values with the same text stay two groups.
        codes, uniques = pd.factorize(values, sort=False)
        order = sorted(range(len(uniques)),
                       key=lambda k: (type(uniques[k]).__name__, str(uniques[k])))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], [uniques[k] for k in order]
    return codes.astype(np.int64), list(uniques)


def encode_groups(
    sensitive_features: Any,
    *,
    n_samples: int | None = None,
    name: str = "sensitive_features",
    reference: str = "X",
    missing: str = "error",
) -> GroupEncoding:
    """Encode a sensitive attribute as integer group ids.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The attribute. Several columns make intersectional groups: one group
        per combination that occurs. An existing ``GroupEncoding`` is
        returned as it is.
    n_samples : int, default=None
        The number of rows it must have, to check it against ``X``.
    name : str, default="sensitive_features"
        How the argument is called in error messages.
    reference : str, default="X"
        What ``n_samples`` counts the rows of, in error messages
        (``"y_true"`` for a metric, which has no ``X``).
    missing : {"error", "ignore"}, default="error"
        What a missing value (NaN or None) does: raise a ``ValueError`` that
        names the rows, or give the row the code ``MISSING_GROUP`` (-1).

    Returns
    -------
    GroupEncoding
        Groups numbered in the sorted order of their values.
    """
    if isinstance(sensitive_features, GroupEncoding):
        _check_rows(len(sensitive_features.codes), n_samples, name, reference)
        return sensitive_features
    source = _frame_or_array(sensitive_features, name)
    _check_rows(source.shape[0], n_samples, name, reference)
    # Each row becomes a Python object only once per distinct combination:
    # the rows are hashed column by column, the few distinct ones are sorted
    # and labelled, and their codes are broadcast back to every row.
    key = _combined_codes(source)
    if key is None and missing == "ignore":
        return _encode_known(as_frame(source, name=name), name)
    if key is None:  # a missing value: say where
        _check_missing(as_frame(source, name=name), name)
    first = _first_rows(key)
    head = source.iloc[first] if hasattr(source, "iloc") else source[first]
    distinct = _encode_distinct(as_frame(head, name=name))
    return GroupEncoding(codes=distinct.codes[key], labels=distinct.labels,
                         names=distinct.names)


def _encode_known(frame: pd.DataFrame, name: str) -> GroupEncoding:
    """Codes of the rows without a missing value; ``MISSING_GROUP`` for the others."""
    known = ~frame.isna().to_numpy().any(axis=1)
    if not known.any():
        raise ValueError(
            f"{name} is missing (NaN or None) in all {known.size} rows: no row has "
            "a known group, so there is nothing to be fair between. Give the "
            "groups of at least some rows."
        )
    encoding = encode_groups(frame[known], name=name)
    codes = np.full(known.size, MISSING_GROUP, dtype=np.int64)
    codes[known] = encoding.codes
    return GroupEncoding(codes=codes, labels=encoding.labels, names=encoding.names)


def _check_rows(n_rows: int, n_samples: int | None, name: str, reference: str) -> None:
    if n_samples is not None:
        check_n_rows(n_rows, n_samples, name=name, reference=reference)
    if n_rows == 0:
        raise ValueError(f"{name} is empty: it has 0 rows.")


def _encode_distinct(frame: pd.DataFrame) -> GroupEncoding:
    """Sorted group codes of a few rows (each combination once, or a few times)."""
    per_column = [_sorted_codes(frame.iloc[:, j]) for j in range(frame.shape[1])]
    names = [str(c) for c in frame.columns]
    if len(per_column) == 1:
        codes, labels = per_column[0]
        return GroupEncoding(codes=codes, labels=labels, names=names)
    stacked = np.column_stack([codes for codes, _ in per_column])
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    labels = [
        tuple(per_column[j][1][k] for j, k in enumerate(combo)) for combo in combos
    ]
    return GroupEncoding(codes=codes.reshape(-1).astype(np.int64), labels=labels,
                         names=names)


def _frame_or_array(sensitive_features: Any, name: str):
    if isinstance(sensitive_features, np.ndarray) and sensitive_features.ndim in (1, 2):
        return sensitive_features
    if isinstance(sensitive_features, (pd.Series, pd.DataFrame)):
        return sensitive_features
    return as_frame(sensitive_features, name=name)


def _columns(source) -> list:
    # pandas columns stay pandas: a categorical factorizes by its codes.
    if isinstance(source, pd.DataFrame):
        return [source.iloc[:, j] for j in range(source.shape[1])]
    if isinstance(source, pd.Series):
        return [source]
    return [source] if source.ndim == 1 else list(source.T)


def _combined_codes(source) -> np.ndarray | None:
    """One integer per distinct row, numbered in order of first appearance.

    None when a value is missing.
    """
    key = None
    columns = _columns(source)
    if not columns:
        raise ValueError("sensitive_features has no columns.")
    for column in columns:
        codes, uniques = pd.factorize(column)
        if (codes < 0).any():
            return None
        if key is None:
            key = codes.astype(np.int64, copy=False)
        else:  # re-factorize so that the mixed-radix key never overflows
            key, _ = pd.factorize(key * len(uniques) + codes)
    return key


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered in order of appearance."""
    seen = np.maximum.accumulate(codes)
    new = np.ones(codes.shape[0], dtype=bool)
    new[1:] = seen[1:] > seen[:-1]
    return np.flatnonzero(new)


def recode(encoding: GroupEncoding, labels: list, names: list) -> GroupEncoding:
    """``encoding``'s rows coded by ``labels``, the groups of an earlier encoding.

    Each group keeps its id (its place in ``labels``), whatever other groups
    the new rows hold or lack; a group not in ``labels`` gets the next free
    id, after them. This is how a later ``partial_fit`` reads its groups: by
    label, not by their order among the groups of one call.

    Parameters
    ----------
    encoding : GroupEncoding
        The groups of the new rows.
    labels : list
        The groups seen before, in id order (an earlier encoding's ``labels``).
    names : list of str
        The sensitive columns they were read from.

    Returns
    -------
    GroupEncoding
        Its ``labels`` are ``labels``, then the new groups in sorted order.

    Raises
    ------
    ValueError
        If the new rows have another number of sensitive columns.
    """
    if len(encoding.names) != len(names):
        raise ValueError(
            f"sensitive_features has {len(encoding.names)} column(s) but had "
            f"{len(names)} ({names}) before: give the same sensitive columns in "
            "every call.")
    ids = {label: k for k, label in enumerate(labels)}
    labels = list(labels)
    for label in encoding.labels:
        if label not in ids:
            ids[label] = len(labels)
            labels.append(label)
    # The last entry maps a missing row's code (-1) to itself.
    lookup = np.array([ids[label] for label in encoding.labels] + [MISSING_GROUP],
                      dtype=np.int64)
    return GroupEncoding(codes=lookup[encoding.codes], labels=labels, names=encoding.names)


# What an encoder does with a group it does not have: refuse it (the codes feed
# the penalty, where it must not take a seen group's id), or flag it (a report
# or a scorer measures it and names it).
UNSEEN = ("error", "flag")


class GroupEncoder:
    """The groups of a sensitive attribute as a fit saw them, to code later rows alike.

    A fitted skfairtune estimator keeps one as ``groups_encoder_``. Group
    ``k`` of the fit is ``labels_[k]`` for good: later rows are coded by
    their values, so that a group keeps its id whatever other groups the
    rows hold or lack, and a group the fit never saw is named, never given
    a seen group's id. It is cheap to keep and to pickle: the labels and the
    column names, nothing per row.

    Attributes
    ----------
    labels_ : list
        ``labels_[k]`` is the value (a tuple for several columns) of group
        ``k``: the fit's groups sorted, then those each :meth:`extend` added.
    names_ : list of str
        The names of the sensitive columns the fit read.

    Examples
    --------
    >>> from skfairtune._groups import GroupEncoder
    >>> encoder = GroupEncoder().fit(["b", "a", "b"])
    >>> encoder.labels_, encoder.n_groups_
    (['a', 'b'], 2)
    >>> encoder.transform(["b", "b", "a"]).tolist()
    [1, 1, 0]
    >>> encoder.encode(["c", "a"], unseen="flag").unseen
    ('c',)
    """

    def __repr__(self) -> str:
        if not hasattr(self, "labels_"):
            return "GroupEncoder()"
        return f"GroupEncoder(labels_={self.labels_!r}, names_={self.names_!r})"

    @property
    def n_groups_(self) -> int:
        """The number of groups the encoder has."""
        return len(self.labels_)

    @classmethod
    def from_labels(cls, labels: list, names: list | None = None) -> GroupEncoder:
        """An encoder that has ``labels``, in that order (a model's ``sensitive_groups_``).

        Parameters
        ----------
        labels : list
            The groups, in id order; tuples for several columns.
        names : list of str, default=None
            The sensitive columns; None names them ``sensitive_feature_0`` ...

        Returns
        -------
        GroupEncoder
        """
        encoder = cls()
        encoder.labels_ = list(labels)
        if names is None:
            width = len(labels[0]) if labels and isinstance(labels[0], tuple) else 1
            names = [f"sensitive_feature_{j}" for j in range(width)]
        encoder.names_ = list(names)
        return encoder

    def fit(self, sensitive_features: Any, **kwargs: Any) -> GroupEncoder:
        """Learn the groups of ``sensitive_features``, numbered in sorted order.

        Parameters
        ----------
        sensitive_features : array-like or GroupEncoding
            As :func:`encode_groups` takes it.
        **kwargs
            ``n_samples``, ``name``, ``reference`` and ``missing``, as
            :func:`encode_groups` takes them.

        Returns
        -------
        self
        """
        self.fit_encode(sensitive_features, **kwargs)
        return self

    def fit_encode(self, sensitive_features: Any, **kwargs: Any) -> GroupEncoding:
        """Learn the groups and return the rows' encoding (one pass over the rows)."""
        encoding = encode_groups(sensitive_features, **kwargs)
        self.labels_, self.names_ = list(encoding.labels), list(encoding.names)
        return encoding

    def extend(self, sensitive_features: Any, **kwargs: Any) -> GroupEncoding:
        """Code the rows by the groups learnt so far, adding the groups they bring.

        What a later ``partial_fit`` does: each known group keeps its id, a
        new one takes the next free id (see :func:`recode`).

        Returns
        -------
        GroupEncoding
            Coded by all the encoder's groups, the new ones included.
        """
        encoding = recode(encode_groups(sensitive_features, **kwargs), self.labels_,
                          self.names_)
        self.labels_ = list(encoding.labels)
        return encoding

    def transform(self, sensitive_features: Any, **kwargs: Any) -> np.ndarray:
        """The rows' group ids, ``labels_``'s positions; a group not there is refused.

        Parameters
        ----------
        sensitive_features : array-like or GroupEncoding
            The rows' groups.
        **kwargs
            ``n_samples``, ``name``, ``reference`` and ``missing``, as
            :func:`encode_groups` takes them.

        Returns
        -------
        ndarray of shape (n_samples,), dtype int64
            In ``[0, n_groups_)``; ``MISSING_GROUP`` for a missing value.

        Raises
        ------
        ValueError
            If a row's group is not one of ``labels_``: the message names it.
        """
        encoding = encode_groups(sensitive_features, **kwargs)
        ids, unseen = self._ids(encoding, kwargs.get("name", "sensitive_features"))
        if unseen:
            raise ValueError(unseen_message(unseen, self, kwargs.get("name")) + (
                " Fit the model on rows that hold them (partial_fit adds groups)."))
        return np.append(ids, MISSING_GROUP)[encoding.codes]

    def encode(self, sensitive_features: Any, *, unseen: str = "error",
               **kwargs: Any) -> GroupEncoding:
        """The groups the rows hold, in the encoder's order, for measuring them.

        Parameters
        ----------
        sensitive_features : array-like or GroupEncoding
            The rows' groups.
        unseen : {"error", "flag"}, default="error"
            What a group the encoder does not have does: raise a
            ``ValueError`` that names it, or come after the known groups and
            be listed in the result's ``unseen``.
        **kwargs
            ``n_samples``, ``name``, ``reference`` and ``missing``, as
            :func:`encode_groups` takes them.

        Returns
        -------
        GroupEncoding
            Only the groups that the rows hold (so that a measure has no empty
            group), known groups in id order, then the unseen ones sorted.
            With a different number of sensitive columns than the fit's,
            every group is unseen.
        """
        if unseen not in UNSEEN:
            raise ValueError(f"unseen must be one of {list(UNSEEN)}; got {unseen!r}.")
        encoding = encode_groups(sensitive_features, **kwargs)
        ids, new = self._ids(encoding, None if unseen == "flag" else kwargs.get(
            "name", "sensitive_features"))
        if new and unseen == "error":
            raise ValueError(unseen_message(new, self, kwargs.get("name")))
        # Unseen groups (id -1) after the known ones, each in its sorted place.
        known = ids >= 0
        order = np.concatenate([np.flatnonzero(known)[np.argsort(ids[known])],
                                np.flatnonzero(~known)])
        rank = np.empty(order.size + 1, dtype=np.int64)
        rank[order], rank[-1] = np.arange(order.size), MISSING_GROUP
        return GroupEncoding(codes=rank[encoding.codes],
                             labels=[encoding.labels[k] for k in order],
                             names=encoding.names, unseen=tuple(new))

    def _ids(self, encoding: GroupEncoding, name: str | None) -> tuple[np.ndarray, list]:
        """Each of ``encoding``'s groups' id here (-1 where unseen), and the unseen ones.

        A different number of columns is refused, naming ``name``; with
        ``name=None`` it makes every group unseen instead.
        """
        if len(encoding.names) != len(self.names_):
            if name is not None:
                raise ValueError(
                    f"{name} has {len(encoding.names)} column(s) but the model was "
                    f"fitted on {len(self.names_)} ({self.names_}): give the same "
                    "sensitive columns.")
            return np.full(encoding.n_groups, -1, dtype=np.int64), list(encoding.labels)
        known = {label: k for k, label in enumerate(self.labels_)}
        ids = np.array([known.get(label, -1) for label in encoding.labels], dtype=np.int64)
        return ids, [label for label, k in zip(encoding.labels, ids) if k < 0]


def unseen_message(unseen: list, encoder: GroupEncoder, name: str | None = None) -> str:
    """Say which groups ``encoder`` never saw, a few by name."""
    shown = ", ".join(repr(label_text(g)) for g in unseen[:5]) + (
        f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
    return (f"{name or 'sensitive_features'} holds {len(unseen)} group(s) that the model "
            f"never saw in fit, so its fairness penalty never acted on them: {shown} "
            f"(it was fitted on {encoder.n_groups_} group(s) of {encoder.names_}).")


def fitted_encoder(model: Any) -> GroupEncoder | None:
    """The :class:`GroupEncoder` of a fitted model (a pipeline's last step), or None.

    None for a model that keeps no groups (one fitted without a sensitive
    attribute, or not a skfairtune estimator). A model pickled before
    ``groups_encoder_`` existed kept its groups as ``sensitive_groups_``
    only: its encoder is made from them.
    """
    step = final_step(model)[1]
    encoder = getattr(step, "groups_encoder_", None)
    if encoder is not None:
        return encoder
    labels = getattr(step, "sensitive_groups_", None)
    if labels is None:
        return None
    return GroupEncoder.from_labels(labels, getattr(step, "_sensitive_names", None))


def _unnamed(names: list) -> bool:
    """Whether ``names`` are the ones :func:`as_frame` gives columns that had none."""
    return list(names) == [f"sensitive_feature_{j}" for j in range(len(names))]


def other_attribute(model: Any, encoding: GroupEncoding) -> list | None:
    """The sensitive columns ``model`` was fitted on, when ``encoding`` reads others.

    Groups of another attribute (``race`` for a model fine-tuned on ``sex``,
    or ``sex`` alone for one fine-tuned on ``sex`` and ``race``) are not
    groups the model missed: its penalty acted on its own attribute's
    groups, so none of these is "unseen". The attributes differ when the
    numbers of columns do, or when both sides name their columns and the
    names differ; columns without names (arrays) of the same number are
    taken for the fit's.

    Parameters
    ----------
    model : estimator or None
        The fitted model (see :func:`fitted_encoder`).
    encoding : GroupEncoding
        The rows' groups.

    Returns
    -------
    list of str or None
        The fit's column names, or None when ``encoding`` reads the fit's
        attribute or the model keeps no groups.
    """
    encoder = None if model is None else fitted_encoder(model)
    if encoder is None:
        return None
    fitted, read = list(encoder.names_), list(encoding.names)
    if len(fitted) == len(read) and (fitted == read or _unnamed(fitted) or _unnamed(read)):
        return None
    return fitted


def encode_for(model: Any, sensitive_features: Any, **kwargs: Any) -> GroupEncoding:
    """The rows' groups as ``model`` codes them, its unseen groups flagged.

    For a model without an encoder (see :func:`fitted_encoder`), the rows'
    own sorted encoding, as :func:`encode_groups` gives it.

    Parameters
    ----------
    model : estimator or None
        The fitted model whose groups the rows are measured against.
    sensitive_features : array-like or GroupEncoding
        The rows' groups.
    **kwargs
        ``n_samples``, ``name``, ``reference`` and ``missing``, as
        :func:`encode_groups` takes them.

    Returns
    -------
    GroupEncoding
        Its ``unseen`` lists the groups the model never saw in fit.
    """
    encoder = None if model is None else fitted_encoder(model)
    if encoder is None:
        return encode_groups(sensitive_features, **kwargs)
    return encoder.encode(sensitive_features, unseen="flag", **kwargs)
