"""Group-aware metrics and scorers.

Every metric takes ``(y_true, y_pred, *, sensitive_features,
sample_weight=None)`` like fairlearn's function of the same name, encodes
the groups once as integer codes and reads each fairness notion from
:mod:`skfairtune.notions`, the declarations the training penalties use.

Every public name of ``fairlearn.metrics`` is here too, with its signature
and numbers: the base metrics (``count``, ``selection_rate``,
``true_positive_rate``, ...), ``make_derived_metric`` and the 25 metrics it
generates (``accuracy_score_difference``, ``recall_score_group_min``, ...),
``MetricFrame``, ``plot_model_comparison`` and ``plot_roc_curve_by_group``.

``FAIRNESS_METRICS`` maps each group metric's name to the function and
whether greater is better; ``PERFORMANCE_METRICS`` the performance metrics a
trade-off may start from.
"""

from ._auc import roc_auc_by_group
from ._base import UndefinedGroupWarning
from ._base_metrics import (
    count,
    false_negative_rate,
    false_positive_rate,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from ._classification import (
    accuracy_by_group,
    false_positive_rate_by_group,
    precision_by_group,
    selection_rate_by_group,
    true_positive_rate_by_group,
    worst_group_accuracy,
    worst_group_error_rate,
)
from ._degenerate import degenerate_reason, is_degenerate, make_degeneracy_scorer
from ._derived import (
    accuracy_score_difference,
    accuracy_score_group_min,
    accuracy_score_ratio,
    balanced_accuracy_score_group_min,
    f1_score_group_min,
    false_negative_rate_difference,
    false_negative_rate_ratio,
    false_positive_rate_difference,
    false_positive_rate_ratio,
    log_loss_group_max,
    make_derived_metric,
    mean_absolute_error_group_max,
    mean_squared_error_group_max,
    precision_score_group_min,
    r2_score_group_min,
    recall_score_group_min,
    roc_auc_score_group_min,
    selection_rate_difference,
    selection_rate_ratio,
    true_negative_rate_difference,
    true_negative_rate_ratio,
    true_positive_rate_difference,
    true_positive_rate_ratio,
    zero_one_loss_difference,
    zero_one_loss_group_max,
    zero_one_loss_ratio,
)
from ._gaps import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    mean_prediction_difference,
    mean_prediction_ratio,
    predictive_parity_difference,
    predictive_parity_ratio,
)
from ._metric_frame import MetricFrame
from ._plotting import plot_model_comparison, plot_roc_curve_by_group
from ._regression import (
    worst_group_mean_absolute_error,
    worst_group_mean_squared_error,
)
from ._report import group_report
from ._scorers import (
    FAIRNESS_METRICS,
    PERFORMANCE_METRICS,
    make_fairness_scorer,
    make_tradeoff_scorer,
    tradeoff_score,
)

__all__ = [
    "FAIRNESS_METRICS",
    "MetricFrame",
    "PERFORMANCE_METRICS",
    "UndefinedGroupWarning",
    "accuracy_by_group",
    "accuracy_score_difference",
    "accuracy_score_group_min",
    "accuracy_score_ratio",
    "balanced_accuracy_score_group_min",
    "count",
    "degenerate_reason",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "f1_score_group_min",
    "false_negative_rate",
    "false_negative_rate_difference",
    "false_negative_rate_ratio",
    "false_positive_rate",
    "false_positive_rate_by_group",
    "false_positive_rate_difference",
    "false_positive_rate_ratio",
    "group_report",
    "is_degenerate",
    "log_loss_group_max",
    "make_degeneracy_scorer",
    "make_derived_metric",
    "make_fairness_scorer",
    "make_tradeoff_scorer",
    "mean_absolute_error_group_max",
    "mean_prediction",
    "mean_prediction_difference",
    "mean_prediction_ratio",
    "mean_squared_error_group_max",
    "plot_model_comparison",
    "plot_roc_curve_by_group",
    "precision_by_group",
    "precision_score_group_min",
    "predictive_parity_difference",
    "predictive_parity_ratio",
    "r2_score_group_min",
    "recall_score_group_min",
    "roc_auc_by_group",
    "roc_auc_score_group_min",
    "selection_rate",
    "selection_rate_by_group",
    "selection_rate_difference",
    "selection_rate_ratio",
    "tradeoff_score",
    "true_negative_rate",
    "true_negative_rate_difference",
    "true_negative_rate_ratio",
    "true_positive_rate",
    "true_positive_rate_by_group",
    "true_positive_rate_difference",
    "true_positive_rate_ratio",
    "worst_group_accuracy",
    "worst_group_error_rate",
    "worst_group_mean_absolute_error",
    "worst_group_mean_squared_error",
    "zero_one_loss_difference",
    "zero_one_loss_group_max",
    "zero_one_loss_ratio",
]
