"""fairlearn's two metric plots: models compared on two metrics, ROC curves by group.

``plot_model_comparison`` and ``plot_roc_curve_by_group`` draw what
fairlearn's functions of the same names draw (the same points, curves,
labels and legend entries) on a pyplot ``Axes``, with skfairtune's checks of
the inputs. The ROC curves are scikit-learn's ``RocCurveDisplay``, as in
fairlearn; the groups are skfairtune's group encoding.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .._groups import as_frame, encode_groups
from .._validation import check_n_rows
from ._base import as_rows

CHANCE_LEVEL_LABEL = "Chance level (AUC = 0.50)"
OVERALL_LABEL = "Overall"
# fairlearn joins the values of several sensitive columns with this, escaped.
_SEPARATOR = ","


def _check_bool(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False; got {value!r} "
                         f"({type(value).__name__}).")


def _models(y_preds: Any) -> tuple[list, list]:
    """The models' predictions and their default point labels.

    A dict is keyed by model name; anything else holds one model's
    predictions per item, or is itself one model's predictions (1-D).
    """
    if isinstance(y_preds, dict):
        items = list(y_preds.items())
    elif hasattr(y_preds, "shape"):  # an array: its rows are the models
        array = as_rows(y_preds, "y_preds")
        items = list(enumerate(array if array.ndim > 1 else [array]))
    else:
        items = list(enumerate(y_preds))
        if items and np.ndim(items[0][1]) == 0:  # a list of labels: one model
            items = [(0, y_preds)]
    if not items:
        raise ValueError("y_preds is empty: give the predictions of at least one model.")
    return [as_rows(v, f"y_preds[{k!r}]") for k, v in items], [k for k, _ in items]


def _one_model_labelled(y_preds: Any, point_labels: Any) -> bool:
    """Whether ``point_labels=True`` is asked of a bare 1-D ``y_preds``."""
    return (point_labels is True and not isinstance(y_preds, dict)
            and np.ndim(y_preds) == 1 and len(y_preds) > 1)


def _check_labels_option(axis_labels: Any, point_labels: Any, position: Any,
                         n_models: int) -> None:
    if isinstance(axis_labels, (list, tuple)):
        if len(axis_labels) != 2:
            raise ValueError("axis_labels must be True, False or two strings (x, y); "
                             f"got {len(axis_labels)} items.")
    elif not isinstance(axis_labels, bool):
        raise ValueError("axis_labels must be True, False or two strings (x, y); got "
                         f"{type(axis_labels).__name__}.")
    if isinstance(point_labels, list):
        if len(point_labels) != n_models:
            raise ValueError(f"point_labels has {len(point_labels)} labels but y_preds "
                             f"has {n_models} models; give one label per model.")
    elif not isinstance(point_labels, bool):
        raise ValueError("point_labels must be True, False or a list of labels, one per "
                         f"model; got {type(point_labels).__name__}.")
    if not (isinstance(position, (list, tuple)) and len(position) == 2
            and all(isinstance(v, (int, float)) for v in position)):
        raise ValueError("point_labels_position must be two numbers (x and y offsets, "
                         f"in data units); got {position!r}.")


def _takes_groups(metric: Callable) -> bool:
    """Whether ``metric`` accepts ``sensitive_features=`` (a fairness metric)."""
    try:
        parameters = inspect.signature(metric).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "sensitive_features" or p.kind is p.VAR_KEYWORD
               for p in parameters)


def _scores(metric: Callable, name: str, y_true, preds: list, sensitive_features) -> np.ndarray:
    if not callable(metric):
        raise ValueError(f"{name} must be a metric function; got {metric!r}.")
    extra = {"sensitive_features": sensitive_features} if _takes_groups(metric) else {}
    return np.array([metric(y_true, pred, **extra) for pred in preds])


def _metric_name(metric: Callable) -> str:
    """fairlearn's axis label of a metric: its name, with spaces for underscores."""
    name = getattr(metric, "__qualname__", "") or getattr(metric, "__name__", "")
    if not name and hasattr(metric, "_metric_fn") and hasattr(metric, "_transform"):
        name = f"{metric._metric_fn.__name__}, {metric._transform}"  # a derived metric
    return (name or repr(metric)).replace("_", " ")


def plot_model_comparison(
    *,
    y_preds: Any,
    y_true: Any = None,
    sensitive_features: Any = None,
    x_axis_metric: Callable[..., float | int] | None = None,
    y_axis_metric: Callable[..., float | int] | None = None,
    ax: Any = None,
    axis_labels: bool | list | tuple = True,
    point_labels: bool | list = False,
    point_labels_position: list | tuple = (0, 0),
    legend: bool = False,
    show_plot: bool = False,
    **kwargs: Any,
) -> Any:
    """Scatter several models' predictions on two metrics, one point per model.

    Typically a performance metric on one axis (``balanced_accuracy_score``)
    and a fairness metric on the other (``false_negative_rate_difference``).
    A metric that takes ``sensitive_features=`` is given them.

    Parameters
    ----------
    y_preds : array-like or dict of array-like
        Each model's predictions: ``y_preds[i]`` (a list or 2-D array) or
        ``y_preds[name]`` (a dict). A 1-D array is one model.
    y_true : array-like of shape (n_samples,)
        The labels (or targets).
    sensitive_features : array-like, DataFrame or dict, default=None
        The groups, for the metrics that take them.
    x_axis_metric, y_axis_metric : callable
        ``metric(y_true, y_pred[, sensitive_features=...])`` returning a
        number.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure's axes when None.
    axis_labels : bool or (str, str), default=True
        Label the axes with the metrics' names, or with these two strings.
    point_labels : bool or list, default=False
        Label each point with its model's key (or index), or with these labels.
    point_labels_position : (float, float), default=(0, 0)
        The labels' offset from their points, in data units.
    legend : bool, default=False
        Add a legend (of the ``label=`` given in ``kwargs``).
    show_plot : bool, default=False
        Call ``matplotlib.pyplot.show``.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If an option has the wrong type, or a model's predictions are not one
        per row of ``y_true``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.metrics import accuracy_score
    >>> from skfairtune.metrics import plot_model_comparison, selection_rate_difference
    >>> ax = plot_model_comparison(
    ...     x_axis_metric=accuracy_score, y_axis_metric=selection_rate_difference,
    ...     y_true=[1, 0, 1, 0], y_preds={"a": [1, 0, 1, 1], "b": [1, 1, 1, 1]},
    ...     sensitive_features=["f", "f", "m", "m"], point_labels=True)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('accuracy score', 'selection rate difference')
    """
    import matplotlib.pyplot as plt

    if y_true is None:
        raise ValueError("y_true is required: the metrics compare the predictions to it.")
    y_true = as_rows(y_true, "y_true")
    if _one_model_labelled(y_preds, point_labels):
        # fairlearn labels the points of a 1-D y_preds by the index of each
        # prediction and fails on the second one with an IndexError: the
        # same type, said plainly.
        raise IndexError(
            "point_labels=True labels each model of y_preds with its index, but y_preds "
            "is 1-D: one model's predictions, not a list of models. Pass [y_pred] or "
            "{'name': y_pred} to label it.")
    preds, inferred = _models(y_preds)
    for k, pred in zip(inferred, preds):
        check_n_rows(pred.shape[0], y_true.shape[0], name=f"y_preds[{k!r}]",
                     reference="y_true")
    if sensitive_features is not None:
        check_n_rows(as_frame(sensitive_features).shape[0], y_true.shape[0],
                     name="sensitive_features", reference="y_true")
    _check_labels_option(axis_labels, point_labels, point_labels_position, len(preds))
    _check_bool(legend, "legend")
    _check_bool(show_plot, "show_plot")
    x = _scores(x_axis_metric, "x_axis_metric", y_true, preds, sensitive_features)
    y = _scores(y_axis_metric, "y_axis_metric", y_true, preds, sensitive_features)
    if ax is None:
        _, ax = plt.subplots()
    if axis_labels is True:
        ax.set_xlabel(_metric_name(x_axis_metric))
        ax.set_ylabel(_metric_name(y_axis_metric))
    elif axis_labels is not False:
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
    labels = inferred if point_labels is True else point_labels or []
    for i, label in enumerate(labels):
        ax.text(x[i] + point_labels_position[0], y[i] + point_labels_position[1], label)
    ax.scatter(x, y, **kwargs)
    if legend:
        ax.legend()
    if show_plot:
        plt.show()
    return ax


def _group_names(labels: list, n_columns: int) -> list[str]:
    """fairlearn's names of the groups: the value, or the columns' values
    joined by commas (a comma or backslash in a value escaped)."""
    if n_columns == 1:
        return [str(label) for label in labels]

    def escaped(value):
        return str(value).replace("\\", "\\\\").replace(_SEPARATOR, "\\" + _SEPARATOR)

    return [_SEPARATOR.join(escaped(v) for v in label) for label in labels]


def plot_roc_curve_by_group(
    y_true: Any,
    y_score: Any,
    *,
    sensitive_features: Any,
    ax: Any = None,
    plot_overall: bool = True,
    plot_chance_level: bool = True,
    pos_label: Any = None,
    title: str | None = None,
) -> Any:
    """Plot a binary classifier's ROC curve in each group, with its AUC.

    Curves on top of one another mean that the scores rank positives above
    negatives equally well in every group. Several sensitive columns make
    one curve per combination that occurs, named ``"value1,value2"`` as in
    fairlearn. Rows whose sensitive value is missing count in the overall
    curve only.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class (``predict_proba(X)[:, 1]`` or
        ``decision_function(X)``).
    sensitive_features : array-like, DataFrame or dict
        The groups.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure's axes when None.
    plot_overall : bool, default=True
        Also draw the curve of all rows, labelled "Overall".
    plot_chance_level : bool, default=True
        Also draw the diagonal of a random classifier.
    pos_label : int, float, bool or str, default=None
        The positive label; None lets scikit-learn infer it (1 for {0, 1}
        or {-1, 1}).
    title : str, default=None
        The axes' title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``y_score`` or ``sensitive_features`` do not have one row per
        label, or scikit-learn cannot tell the positive label.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfairtune.metrics import plot_roc_curve_by_group
    >>> ax = plot_roc_curve_by_group(
    ...     [0, 1, 0, 1, 0, 1, 0, 1], [0.1, 0.9, 0.4, 0.6, 0.3, 0.2, 0.5, 0.8],
    ...     sensitive_features=["a", "a", "a", "a", "b", "b", "b", "b"])
    >>> [line.get_label() for line in ax.get_lines()]
    ['Chance level (AUC = 0.50)', 'Overall (AUC = 0.81)', 'a (AUC = 1.00)', 'b (AUC = 0.50)']
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import RocCurveDisplay

    y_true, y_score = as_rows(y_true, "y_true"), as_rows(y_score, "y_score")
    check_n_rows(y_score.shape[0], y_true.shape[0], name="y_score", reference="y_true")
    groups = encode_groups(sensitive_features, n_samples=y_true.shape[0],
                           reference="y_true", missing="ignore")
    names = _group_names(groups.labels, len(groups.names))
    if ax is None:
        _, ax = plt.subplots()
    if plot_chance_level:
        ax.plot([0, 1], [0, 1], linestyle="--", color="0.8", label=CHANCE_LEVEL_LABEL)
    if plot_overall:
        RocCurveDisplay.from_predictions(y_true, y_score, name=OVERALL_LABEL,
                                         pos_label=pos_label, ax=ax)
    # fairlearn draws the groups in the order of their names.
    for k in sorted(range(len(names)), key=lambda k: _order(groups.labels, names, k)):
        rows = groups.codes == k
        RocCurveDisplay.from_predictions(y_true[rows], y_score[rows], name=names[k],
                                         pos_label=pos_label, ax=ax)
    if title is not None:
        ax.set_title(title)
    return ax


def _order(labels: list, names: list, k: int):
    # One column: the values' own order (the encoding's); several: the names'.
    return k if not isinstance(labels[k], tuple) else names[k]


__all__ = ["plot_model_comparison", "plot_roc_curve_by_group"]
