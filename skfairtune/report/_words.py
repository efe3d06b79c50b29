"""The names a report's reader sees: gaps and rates in words, from the notions.

Tables and sentences say "equalized odds gap" and "true positive rate", not
``equalized_odds_difference`` and ``tpr``; the names come from the registry
of notions (:mod:`skfairtune.notions`), so a new notion is named too.
"""

from __future__ import annotations

from skfairtune.notions import NOTIONS

# The columns of group_report that are no notion's rate.
_OTHER_RATES = {"count": "rows", "base_rate": "share positive", "accuracy": "accuracy",
                "auc": "AUC", "worst_group_accuracy": "worst-group accuracy"}


def rate_names() -> dict:
    """Every per-group column of ``group_report`` and its name in words."""
    names = dict(_OTHER_RATES)
    for notion in NOTIONS.values():
        names.update({rate.key: rate.name for rate in notion.rates})
    return names


def gap_name(metric: str) -> str:
    """A named fairness metric in words: ``"equalized odds gap"``.

    Examples
    --------
    >>> from skfairtune.report._words import gap_name
    >>> gap_name("equalized_odds_difference"), gap_name("demographic_parity_ratio")
    ('equalized odds gap', 'demographic parity ratio')
    """
    for notion in NOTIONS.values():
        if metric == notion.metric_name("difference"):
            return f"{notion.title} gap"
        if metric == notion.metric_name("ratio"):
            return f"{notion.title} ratio"
    return _OTHER_RATES.get(metric, metric.replace("_", " "))


def classification_notions() -> list:
    """The notions that apply to a classifier, in the registry's order."""
    return [n for n in NOTIONS.values() if "classification" in n.tasks]


def interval_text(low: float, high: float) -> str:
    """An interval as a table shows it: ``"0.012 to 0.048"``."""
    return f"{low:.3f} to {high:.3f}"
