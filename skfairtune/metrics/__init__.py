"""Group-aware metrics and scorers.

Every metric takes ``(y_true, y_pred, *, sensitive_features,
sample_weight=None)`` like fairlearn's function of the same name, encodes
the groups once as integer codes and reads each fairness notion from
:mod:`skfairtune.notions`, the declarations the training penalties use.

``FAIRNESS_METRICS`` maps each group metric's name to the function and
whether greater is better; ``PERFORMANCE_METRICS`` the performance metrics a
trade-off may start from.
"""

from ._auc import roc_auc_by_group
from ._base import UndefinedGroupWarning
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
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "degenerate_reason",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "false_positive_rate_by_group",
    "group_report",
    "is_degenerate",
    "make_degeneracy_scorer",
    "make_fairness_scorer",
    "make_tradeoff_scorer",
    "mean_prediction_difference",
    "mean_prediction_ratio",
    "precision_by_group",
    "predictive_parity_difference",
    "predictive_parity_ratio",
    "roc_auc_by_group",
    "selection_rate_by_group",
    "tradeoff_score",
    "true_positive_rate_by_group",
    "worst_group_accuracy",
    "worst_group_error_rate",
    "worst_group_mean_absolute_error",
    "worst_group_mean_squared_error",
]
