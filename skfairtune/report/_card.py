"""The model card: what a reader needs to reproduce or question the report.

The data, the rows, the groups, the notion and the budget, the rule that chose
the model, its seed, the versions of the packages that computed it, and when.
What the report can read off the model and the data it fills in; the caller
adds what only it knows (where the data came from, the training rows).
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata

import pandas as pd

from .._labels import label_text
from .._pipeline import final_step

# The packages whose versions change the numbers.
PACKAGES = ("skfairtune", "torch", "skorch", "scikit-learn", "numpy", "pandas")


def versions() -> str:
    """The installed versions of Python and the packages behind the numbers.

    Examples
    --------
    >>> from skfairtune.report._card import versions
    >>> versions().startswith("Python ")
    True
    """
    found = [f"Python {platform.python_version()}"]
    for package in PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def now() -> str:
    """The current time in UTC, to the second, as the card shows it."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def model_card(report, estimator, given: dict) -> dict:
    """The card's entries: the caller's ``given`` first, then what can be read."""
    step = final_step(estimator)[1]
    counts = report.groups["count"]
    card = {"Model": _model_text(step)}
    card.update({str(k): str(v) for k, v in given.items()})
    card.setdefault(f"{report.rows.capitalize()} rows", f"{int(counts.sum()):,}")
    card["Groups"] = ", ".join(f"{label_text(g)} ({n:,.0f})" for g, n in
                               counts.iloc[:20].items()) + (
        f" and {len(counts) - 20} more" if len(counts) > 20 else "")
    if report.notion_object is not None:
        card.setdefault("Notion", report.notion_object.title)
    if report.budget is not None:
        card.setdefault("Budget", f"{report.budget:g} on the {report.notion_object.title} gap"
                        if report.notion_object is not None else f"{report.budget:g}")
    if report.search is not None:
        card.setdefault("Selection rule", _rule_text(report.search))
    seed = getattr(step, "random_state", None)
    card.setdefault("Seed", "not set" if seed is None else str(seed))
    card["Package versions"] = versions()
    card["Date"] = report.created
    return card


def card_frame(card: dict) -> pd.DataFrame:
    """The card as a one-column table."""
    frame = pd.DataFrame({"": list(card.values())}, index=list(card))
    frame.index.name = "item"
    return frame


def _model_text(step) -> str:
    name = type(step).__name__
    penalty = getattr(step, "penalty", None)
    if penalty is None or not hasattr(step, "penalty_strength"):
        return name
    shown = penalty if isinstance(penalty, str) else type(penalty).__name__
    return f"{name}, penalty {shown} at strength {step.penalty_strength:g}"


def _rule_text(search) -> str:
    if search.max_value is None:
        return f"the best candidate by {search.metric} (grid search)"
    bound = ("its mean over the folds" if search.confidence is None else
             f"a {search.confidence:.0%} upper bound over the folds")
    return (f"budget_refit: the best candidate by {search.metric}, subject to "
            f"{search.constraint} <= {search.max_value:g} judged by {bound}")
