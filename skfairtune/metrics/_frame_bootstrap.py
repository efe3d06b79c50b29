"""Bootstrap replicates of a MetricFrame's tables, without a frame per replicate.

fairlearn draws ``n_boot`` resamples of the rows (with replacement, as many
as there are) and builds a whole frame, pandas group-by and all, from each.
Here a replicate is only what its metrics read:

* when every metric is read off unweighted confusion counts, the counts of
  a resample are one multinomial draw over the occupied (cell, label,
  prediction) bins, with the bins' shares as probabilities: exactly the
  distribution of counts that resampling the rows gives, at a cost that does
  not grow with the rows;
* otherwise blocks of replicates draw row indices at once (one integer array
  per block), and the recognised metrics' sums of all the block's replicates
  come from the same ``bincount`` passes, one block of cells per replicate;
  any other metric is called on each replicate's cells, as fairlearn calls it.

A cell a resample leaves empty has no value in that replicate (NaN, skipped
by the quantiles where fairlearn skips it).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._frame_evaluate import Evaluation, Metric, Slices, is_number

BOOTSTRAP_QUANTILE_ERROR = (
    "Error calling numpy.quantiles. Most likely due to a metric returning a non-scalar "
    "result")
# Rows drawn per block of replicates: the block's indices take 8 bytes each.
_BLOCK_ROWS = 2**22
_COUNTS_ONLY = {("confusion", None), ("rows",)}


def bootstrap_rng(random_state: Any) -> np.random.Generator:
    """The generator of the resamples: fresh for None, seeded by an int.

    A ``RandomState`` gives the seed (and moves on, as in fairlearn); a
    ``Generator`` is used as it is.
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, size=4,
                                                          dtype=np.uint64))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise ValueError(f"Unsupported random_state: {random_state}")


def replicate(evaluation: Evaluation, metrics: list[Metric], n_boot: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every metric on every cell and control cell of ``n_boot`` resamples.

    Returns
    -------
    by : ndarray of shape (n_boot, n_cells, n_metrics)
    overall : ndarray of shape (n_boot, n_control, n_metrics)
        NaN where a resample leaves the cell empty.
    """
    g = evaluation.grouping
    by = np.full((n_boot, g.n_cells, len(metrics)), np.nan)
    overall = np.full((n_boot, g.n_control, len(metrics)), np.nan)
    counts_only = all(m.plan is not None and set(m.plan.needs) <= _COUNTS_ONLY
                      for m in metrics)
    n_rows = len(g.codes)
    per_block = (4 * g.n_cells) if counts_only else n_rows
    size = max(1, _BLOCK_ROWS // max(per_block, 1))
    called = [j for j, m in enumerate(metrics) if m.plan is None]
    values = {j: np.full((n_boot, g.n_cells), np.nan, dtype=object) for j in called}
    totals = {j: np.full((n_boot, g.n_control), np.nan, dtype=object) for j in called}
    for start in range(0, n_boot, size):
        block = slice(start, min(start + size, n_boot))
        n_block = block.stop - block.start
        if counts_only:
            draws, rows = None, _multinomial_rows(evaluation, n_block, rng)
        else:
            # 32-bit indices draw several times faster than 64-bit ones.
            draws = rng.integers(0, n_rows, size=(n_block, n_rows),
                                 dtype=np.int32 if n_rows < 2**31 else np.int64)
            rows = evaluation.rows.resample(draws)
        for j, metric in enumerate(metrics):
            if metric.plan is not None:
                _read(evaluation, metric, rows, n_block, by[block, :, j],
                      overall[block, :, j])
        for r in range(n_block if called else 0):
            _call(evaluation, [metrics[j] for j in called], draws[r],
                  [values[j][start + r] for j in called],
                  [totals[j][start + r] for j in called])
    for j in called:
        by[:, :, j], overall[:, :, j] = _as_float(values[j]), _as_float(totals[j])
    return by, overall


def _multinomial_rows(evaluation: Evaluation, n_block: int, rng):
    """Replicates' confusion counts: a multinomial draw over the occupied bins."""
    rows = evaluation.rows
    plain = rows.sums(("confusion", None)).ravel()
    occupied = np.flatnonzero(plain)
    n = plain.sum()
    draws = rng.multinomial(int(n), plain[occupied] / n, size=n_block)
    counts = np.zeros((n_block, plain.size))
    counts[:, occupied] = draws
    confusion = counts.reshape(-1, 2, 2)
    return rows.known_sums(n_block * rows.n_cells, {
        ("confusion", None): confusion,
        ("rows",): confusion.sum((1, 2)).astype(np.int64)})


def _read(evaluation: Evaluation, metric: Metric, rows, n_block: int, by, overall):
    """A recognised metric's values in a block of replicates, off their sums."""
    plan = metric.plan
    sums = [rows.sums(need) for need in plan.needs]
    counts = rows.sums(("rows",))
    by[:] = _settled(metric, plan.finish(*sums), counts, sums, rows, None,
                     evaluation).reshape(n_block, -1)
    control = [evaluation.to_control(s) for s in sums]
    overall[:] = _settled(metric, plan.finish(*control), evaluation.to_control(counts),
                          control, rows, evaluation.to_control, evaluation
                          ).reshape(n_block, -1)


def _settled(metric: Metric, read, counts, sums, rows, combine, evaluation) -> np.ndarray:
    """Values where the sums settle them; the metric on four weighted rows elsewhere.

    A cell that the counts leave unsettled holds the same labels and
    predictions, with the same weights, as the four (label, prediction) rows
    of its confusion counts: the metric gives them the value (and the
    warning) it gives the cell's rows. Empty cells are NaN.
    """
    values, settled = read
    values = np.where(counts > 0, values, np.nan)
    todo = np.flatnonzero(~settled & (counts > 0))
    if todo.size == 0:
        return values
    if not metric.plan.confusion:
        values[todo] = np.nan
        return values
    plain = rows.sums(("confusion", None))
    plain = plain if combine is None else combine(plain)
    memo: dict = {}
    dtypes = (evaluation.y_true.dtype, evaluation.y_pred.dtype)
    for k in todo:
        values[k] = _from_counts(metric, plain[k], sums[0][k], dtypes, memo)
    return values


def _from_counts(metric: Metric, plain, weighted, dtypes: tuple, memo: dict):
    """``metric`` on the four (label, prediction) rows of confusion counts.

    ``plain`` says which rows occur, ``weighted`` weighs them; the rows take
    the dtypes of the frame's labels and predictions.
    """
    key = (plain.tobytes(), weighted.tobytes())
    if key not in memo:
        kept = plain.ravel() > 0
        labels = np.array([0, 0, 1, 1])[kept].astype(dtypes[0])
        predictions = np.array([0, 1, 0, 1])[kept].astype(dtypes[1])
        memo[key] = metric.func(labels, predictions, sample_weight=weighted.ravel()[kept])
    return memo[key]


def _call(evaluation: Evaluation, metrics: list[Metric], drawn: np.ndarray,
          by: list, overall: list) -> None:
    """Metrics that are not recognised, on one resample's cells and control cells."""
    g = evaluation.grouping
    y, p = evaluation.y_true[drawn], evaluation.y_pred[drawn]
    drawn_metrics = [Metric(m.name, m.func, {k: v[drawn] for k, v in m.params.items()})
                     for m in metrics]
    cells = Slices(g.codes[drawn], g.n_cells)
    counts = np.bincount(g.codes[drawn], minlength=g.n_cells)
    controls = None if g.n_control_columns == 0 else Slices(g.control_codes[drawn],
                                                            g.n_control)
    control_counts = evaluation.to_control(counts)
    for metric, cell_values, control_values in zip(drawn_metrics, by, overall,
                                                   strict=True):
        # One by one: a list of arrays would be read as one array of more axes.
        for k in np.flatnonzero(counts):
            cell_values[k] = metric.call(y, p, cells[k])
        for c in np.flatnonzero(control_counts):
            control_values[c] = metric.call(y, p, None if controls is None else controls[c])


def _as_float(values: np.ndarray) -> np.ndarray:
    """Replicates' values as floats; an error like fairlearn's where they are not numbers."""
    flat = values.ravel()
    numbers_only = all(v is None or is_number(v) for v in flat)
    if numbers_only:
        return np.array([np.nan if v is None else v for v in flat],
                        dtype=np.float64).reshape(values.shape)
    try:
        np.quantile(values, 0.5, axis=0)  # numpy's own words for why not
    except (TypeError, ValueError) as error:
        raise ValueError(BOOTSTRAP_QUANTILE_ERROR) from error
    raise ValueError(BOOTSTRAP_QUANTILE_ERROR)
