"""GroupResampler: balance group-and-label cells by duplicating or dropping rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from skfairtune._compat import StrOptions
from skfairtune._compat import safe_indexing as _safe_indexing

from ._base import BaseGroupSampler, Cells
from ._targets import STRATEGIES


def _draw(rows: np.ndarray, target: int, rng: np.random.RandomState) -> np.ndarray:
    """Pick ``target`` rows from a cell: whole copies first, then a random rest.

    Oversampling this way repeats every row ``target // len(rows)`` or one more
    times, rather than leaving it to chance as drawing with replacement would.
    """
    n = rows.size
    if target == n:
        return rows
    if target < n:
        return rng.choice(rows, size=target, replace=False)
    rest = rng.choice(rows, size=target % n, replace=False)
    return np.concatenate([np.tile(rows, target // n), rest])


class GroupResampler(BaseGroupSampler):
    """Balance the group-and-label cells by duplicating or dropping rows.

    A *cell* is one (group, label) pair. Every cell is brought to the row count
    that ``target`` asks for: by adding copies of its own rows
    (``strategy="oversample"``), by dropping some of its rows
    (``"undersample"``), or both (``"mixed"``). No row is invented and no row
    changes cell, so the sensitive features of the returned rows are known
    exactly: see ``sensitive_features_`` and :func:`resample`.

    Resampling happens at fit time only: inside
    :class:`imblearn.pipeline.Pipeline`, prediction and scoring see the data
    untouched.

    Parameters
    ----------
    strategy : {"oversample", "undersample", "mixed"}, default="oversample"
        How cells reach their target:

        - ``"oversample"``: cells only grow, by duplicating their rows; every
          original row is kept.
        - ``"undersample"``: cells only shrink, by dropping rows at random; no
          row appears twice.
        - ``"mixed"``: cells above their target are undersampled and cells
          below it oversampled, so the data keep about their size.

    target : {"equal_cells", "equal_groups", "equal_label_rates"} or dict, \
            default="equal_cells"
        What to balance:

        - ``"equal_cells"``: every cell gets the same number of rows: the
          largest cell's count when oversampling, the smallest cell's when
          undersampling, the mean cell count when mixed.
        - ``"equal_groups"``: every group gets the same number of rows (the
          largest group's size, the smallest's, or the mean), and each group
          keeps its own label rate.
        - ``"equal_label_rates"``: every group gets the overall label rate
          (Kamiran and Calders' sampling, which makes the label independent of
          the group). With ``strategy="mixed"`` the group sizes are kept,
          as in the paper; oversampling grows and undersampling shrinks each
          group as little as the rate allows. Rows are picked at random
          (the paper's *uniform* sampling), not by a ranker.
        - a dict ``{(group, label): n_rows}``: the count of each cell named;
          cells left out keep their count. For several sensitive columns,
          ``group`` is a tuple of their values.

        Counts that do not divide evenly are rounded so that each group's
        rows add up (largest-remainder rounding).
    sensitive_features : str, int, list of str or int, callable or None, \
            default=None
        Where the sensitive attribute is in ``X``: column name(s) of a
        DataFrame, column position(s), or a function ``f(X)`` returning the
        values. ``None`` means the values are passed to :meth:`fit_resample`
        (directly, or by metadata routing). Several columns make
        intersectional groups.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the rows to add or drop.

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_samples_resampled,)
        The input row of each returned row.
    sensitive_features_ : ndarray, Series or DataFrame
        The sensitive values of the returned rows, aligned with them row by
        row, of the type they were given in (pandas ones with a fresh index,
        like the returned ``X``).
    cell_counts_ : DataFrame
        One row per cell with the columns ``group``, ``label``, ``before``
        (rows in the input) and ``after`` (rows returned).
    sampling_strategy_ : dict
        ``{(group, label): rows returned}``, the same counts as
        ``cell_counts_["after"]``.
    n_features_in_ : int
        Number of features seen in :meth:`fit_resample`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in :meth:`fit_resample`, when ``X`` is a
        DataFrame with string column names.

    See Also
    --------
    GroupSMOTE : Grow the cells with synthetic rows instead of copies.
    reweighing_weights : Balance the cells with sample weights instead.
    resample : Resample X, y, sensitive features and sample weights together.

    Notes
    -----
    An empty cell (a group without any row of some label) cannot be grown:
    ``"equal_cells"`` and ``"equal_label_rates"`` raise an error that names
    it, and ``"equal_groups"`` works.

    References
    ----------
    F. Kamiran and T. Calders, "Data preprocessing techniques for
    classification without discrimination", Knowledge and Information
    Systems 33, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune.resampling import GroupResampler
    >>> X = np.arange(10).reshape(-1, 1)
    >>> y = np.array([0, 0, 0, 1, 1, 0, 0, 1, 1, 1])
    >>> sex = np.array(["f"] * 5 + ["m"] * 5)
    >>> sampler = GroupResampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y, sensitive_features=sex)
    >>> sampler.cell_counts_
      group  label  before  after
    0     f      0       3      3
    1     f      1       2      3
    2     m      0       2      3
    3     m      1       3      3
    >>> sampler.sensitive_features_.tolist() == sex[sampler.sample_indices_].tolist()
    True
    """

    _parameter_constraints: dict = {
        **BaseGroupSampler._parameter_constraints,
        "strategy": [StrOptions(set(STRATEGIES))],
    }

    def __init__(
        self,
        *,
        strategy: str = "oversample",
        target: str | dict = "equal_cells",
        sensitive_features: Any = None,
        random_state: Any = None,
    ) -> None:
        self.strategy = strategy
        self.target = target
        self.sensitive_features = sensitive_features
        self.random_state = random_state

    def _direction(self) -> str:
        return self.strategy

    def _fit_resample(self, X, y, cells: Cells):
        rng = check_random_state(self.random_state)
        chosen = [
            _draw(rows, int(target), rng)
            for rows, target in zip(cells.rows_by_cell(), cells.targets.ravel())
        ]
        # Sorted, the rows keep their input order (copies next to their original).
        sources = np.sort(np.concatenate(chosen)).astype(np.int64)
        X_res = _safe_indexing(X, sources)
        if hasattr(X_res, "reset_index"):
            X_res = X_res.reset_index(drop=True)
        return X_res, sources, cells.codes[sources]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags
