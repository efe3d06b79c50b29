"""The report's figures, each a ``matplotlib.figure.Figure``.

Figures are made with ``Figure`` directly (Agg canvas, no ``pyplot``): they
never open a window, need no backend switch, and are freed with the object.
Per-group curves come from scikit-learn's own ``roc_curve`` and
``calibration_curve`` on each group's rows; the rates and gaps drawn come
from skfairtune's metrics, computed by the caller.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from .._labels import label_text
from .._safe_text import shown_as_drawn

# Beyond this many groups a per-group panel grid, or a legend of one entry
# per group, becomes unreadable; callers pass the largest groups.
MAX_PANELS = 12
# Bars (or heat-map columns) of a plot with one per group or feature.
MAX_BARS = 20


def literal_text(figure: Figure) -> Figure:
    """Draw every text of ``figure`` as written: no mathtext, no TeX.

    Titles, tick labels and legends carry group values, column names and
    scorer names, and those are data: ``"$50K-$75K"`` is an income bracket,
    not a formula, and ``"$10{-$20"`` must not stop the report with a
    mathtext parse error. Control characters and bidirectional overrides are
    drawn as escapes (:func:`~skfairtune._safe_text.shown_as_drawn`).
    Run on each finished figure (every
    :class:`~skfairtune.report._document.Plot` does), it reaches the texts
    of every axes, legend and colour bar, whoever drew them.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        A finished figure; its texts are changed in place.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure.
    """
    for text in figure.findobj(Text):
        text.set_text(shown_as_drawn(text.get_text()))
        text.set_parse_math(False)
        text.set_usetex(False)
    return figure


def new_figure(n_panels: int = 1, *, width: float = 5.0, height: float = 3.6,
               columns: int = 3) -> tuple[Figure, list]:
    """A figure with ``n_panels`` axes on a grid, and the axes as a flat list."""
    columns = max(1, min(columns, n_panels))
    rows = -(-n_panels // columns)
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return figure, list(axes[:n_panels])


def _labels(index: pd.Index) -> list[str]:
    return [shown_as_drawn(label_text(v)) for v in index]


def plot_bars(values: pd.Series, ax, *, title: str, xlabel: str = "",
              reference: float | None = None, reference_label: str = "") -> Any:
    """Horizontal bars, one per index label, with an optional reference line."""
    labels = _labels(values.index)
    positions = np.arange(len(labels))
    ax.barh(positions, values.to_numpy(dtype=float), color="C0")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # first row on top, as in the table
    if reference is not None:
        ax.axvline(reference, color="C3", linestyle="--", label=reference_label)
        ax.legend(loc="lower right")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return ax


def plot_heatmap(frame: pd.DataFrame, ax, *, title: str, vmax: float = 1.0) -> Any:
    """A table of shares in [0, vmax] as an annotated heat map."""
    values = frame.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Oranges", vmin=0.0, vmax=vmax, aspect="auto")
    ax.set_xticks(np.arange(values.shape[1]), _labels(frame.columns), rotation=30,
                  ha="right")
    ax.set_yticks(np.arange(values.shape[0]), _labels(frame.index))
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                color="white" if v > 0.6 * vmax else "black")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title)
    return ax


def plot_group_rates(report: pd.DataFrame, ax, *,
                     rates=("selection_rate", "accuracy", "tpr", "fpr")) -> Any:
    """Grouped bars of per-group rates from a ``group_report`` frame (its first
    ``MAX_PANELS`` rows: callers pass the largest groups)."""
    from ._words import rate_names

    report = report.iloc[:MAX_PANELS]
    rates = [r for r in rates if r in report.columns]
    labels = _labels(report.index)
    width = 0.8 / max(1, len(labels))
    positions = np.arange(len(rates))
    for k, label in enumerate(labels):
        ax.bar(positions + k * width, report.iloc[k][rates].to_numpy(dtype=float),
               width, label=label)
    names = rate_names()
    ax.set_xticks(positions + width * (len(labels) - 1) / 2, [names.get(r, r) for r in rates])
    ax.set_ylim(0, 1)
    ax.set_title("Rates by group")
    # Beside the axes, not over the bars.
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="group")
    return ax


def plot_confusion_matrices(matrices: dict, class_names: list) -> Figure:
    """One row-normalised confusion matrix per group, counts annotated."""
    shown = list(matrices.items())[:MAX_PANELS]
    figure, axes = new_figure(len(shown), width=3.4, height=3.0, columns=4)
    for ax, (group, matrix) in zip(axes, shown):
        totals = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, totals, out=np.zeros_like(matrix, dtype=float),
                           where=totals > 0)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, f"{count:,.0f}\n{shares[i, j]:.0%}", ha="center", va="center",
                    fontsize=8, color="white" if shares[i, j] > 0.6 else "black")
        ticks = np.arange(len(class_names))
        ax.set_xticks(ticks, class_names)
        ax.set_yticks(ticks, class_names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(str(group))
    return figure


def plot_roc_by_group(y: np.ndarray, score: np.ndarray, codes: np.ndarray,
                      labels: list, auc: pd.Series | None, ax, *,
                      shown: Any = None) -> Any:
    """ROC curves of each group's rows, with each group's AUC in the legend.

    ``shown`` lists the group ids to draw (at most ``MAX_PANELS`` of them);
    by default the first ones.
    """
    from sklearn.metrics import roc_curve

    for k in _drawn(shown, labels):
        label, rows = labels[k], codes == k
        if len(np.unique(y[rows])) < 2:
            continue  # a curve needs both classes
        fpr, tpr, _ = roc_curve(y[rows], score[rows])
        text = f"{label}" if auc is None else f"{label} (AUC {auc.iloc[k]:.3f})"
        ax.plot(fpr, tpr, label=text)
    ax.plot([0, 1], [0, 1], color="0.7", linestyle=":")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curves by group")
    _legend(ax, fontsize=8, loc="lower right")
    return ax


def plot_calibration_by_group(y: np.ndarray, score: np.ndarray, codes: np.ndarray,
                              labels: list, ax, *, n_bins: int = 10,
                              shown: Any = None) -> Any:
    """Reliability curves of each group: mean label against mean score, by bin.

    ``shown`` lists the group ids to draw, as in :func:`plot_roc_by_group`.
    """
    from sklearn.calibration import calibration_curve

    for k in _drawn(shown, labels):
        label, rows = labels[k], codes == k
        if rows.sum() < n_bins:
            continue
        observed, predicted = calibration_curve(y[rows], score[rows], n_bins=n_bins,
                                                strategy="quantile")
        ax.plot(predicted, observed, "o-", markersize=3, label=str(label))
    ax.plot([0, 1], [0, 1], color="0.7", linestyle=":")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("share of positives")
    ax.set_title("Calibration by group")
    _legend(ax, fontsize=8, loc="upper left")
    return ax


def plot_training_curves(history: pd.DataFrame) -> Figure:
    """Loss, penalty and monitored metrics by epoch, one panel each."""
    panels = {
        "Loss": [c for c in ("train_loss", "valid_loss") if c in history],
        "Penalty": [c for c in history if c in ("train_penalty", "multiplier")],
        "Group metrics": [c for c in history if c not in _NOT_CURVES
                          and c.startswith(("train_", "valid_"))],
    }
    panels = {title: keys for title, keys in panels.items() if keys}
    figure, axes = new_figure(len(panels), width=4.6, height=3.8)
    epochs = history.index.to_numpy()
    for ax, (title, keys) in zip(axes, panels.items()):
        for key in keys:
            ax.plot(epochs, history[key].to_numpy(dtype=float), "o-", markersize=3,
                    label=key)
        ax.set_xlabel("epoch")
        # Epochs are whole numbers: no tick at 1.25.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.legend(fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.08),
                  frameon=False)
    return figure


def _drawn(shown: Any, labels: list) -> list:
    """The group ids a per-group plot draws: each one a pass over the rows."""
    ids = range(len(labels)) if shown is None else shown
    return list(ids)[:MAX_PANELS]


def _legend(ax, **kwargs) -> None:
    # A group too small for its curve draws nothing; a legend of nothing warns.
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


_NOT_CURVES = {"train_loss", "valid_loss", "train_penalty", "train_batch_count",
               "valid_batch_count", "multiplier"}
