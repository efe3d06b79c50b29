"""The report's summary in plain words, written from its numbers.

Each sentence is a reading of a number the report shows: the budget's gap and
its interval, what changed from the base model (a gap that narrowed, another
notion's gap that widened, a group's calibration), and what the data are too
few to tell. Nothing is said that a number does not back.
"""

from __future__ import annotations

import numpy as np

from .._labels import label_text
from ._explanation import headline
from ._measure import SMALL_GROUP
from ._words import classification_notions, gap_name, rate_names

# A gap or a calibration error that moves less than this is not called a change.
CHANGE = 0.02
# A group whose calibration error is at least this is called poorly calibrated.
MISCALIBRATED = 0.05
# At most this many groups are named in one kind of sentence.
NAMED = 5
# The verdict on rows of one group: there is no gap to hold to a budget.
ONE_GROUP = "one group"


def verdict(value: float, low: float | None, high: float | None, budget: float, *,
            n_groups: int = 2) -> str:
    """Where a gap stands against its budget: ``"within"``, ``"over"``,
    ``"uncertain"`` or ``"one group"``.

    With an interval, "within" needs its upper end at most the budget and
    "over" its lower end above it; anything else is "uncertain". Without
    one, the value decides. Rows of fewer than two groups are "one group",
    whatever the numbers: a gap compares groups, and one group's gap of 0
    is no evidence of fairness.

    Examples
    --------
    >>> from skfairtune.report._summary import verdict
    >>> verdict(0.03, 0.01, 0.04, 0.05), verdict(0.03, 0.01, 0.07, 0.05)
    ('within', 'uncertain')
    >>> verdict(0.09, 0.06, 0.12, 0.05), verdict(0.09, None, None, 0.05)
    ('over', 'over')
    >>> verdict(0.0, 0.0, 0.0, 0.05, n_groups=1)
    'one group'
    """
    if n_groups < 2:
        return ONE_GROUP
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        low = high = value
    if high <= budget:
        return "within"
    return "over" if low > budget else "uncertain"


def summary_sentences(report) -> list[str]:
    """What the report's numbers say, in sentences."""
    parts = [*_headline(report), *_unseen(report), *_changes(report), *_explained(report),
             *_calibration(report), *_small_groups(report)]
    if report.degenerate:
        parts.append(f"Warning: the model {report.degenerate}, so its small gaps say "
                     "nothing about fairness.")
    return parts


def _bounds(fairness, key):
    if "low" not in fairness:
        return None, None
    return float(fairness.loc[key, "low"]), float(fairness.loc[key, "high"])


def _headline(report) -> list[str]:
    rows = int(report.groups["count"].sum())
    if len(report.groups) < 2:
        text = [f"On {rows:,} {report.rows} rows, all of one group "
                f"({label_text(report.groups.index[0])}): a gap compares groups, so these "
                "rows have none to measure, and the gaps below say nothing about fairness."]
    else:
        text = [f"On {rows:,} {report.rows} rows in {len(report.groups)} groups, "
                f"{'; '.join(_gaps(report))}."]
    if report.budget is not None and report.notion_object is not None:
        text.append(_budget_sentence(report))
    return text


def _gaps(report) -> list[str]:
    """Each gap the headline names (the budget's, or every notion's), with its interval."""
    notions = ([report.notion_object] if report.notion_object is not None
               else classification_notions())
    gaps = []
    for notion in notions:
        key = notion.metric_name("difference")
        value = float(report.fairness.loc[key, "value"])
        low, high = _bounds(report.fairness, key)
        shown = f"the {gap_name(key)} is {value:.3f}"
        if low is not None:
            shown += f" ({report.confidence:.0%} interval {low:.3f} to {high:.3f})"
        gaps.append(shown)
    return gaps


def _unseen(report) -> list[str]:
    """The groups and the categories of these rows that training never saw."""
    text = [other_attribute_sentence(report)] if report.fitted_on else []
    groups = report.unseen_groups
    if groups:
        text.append(f"{_count(groups, 'group')} of these rows {_verb(groups)} not among "
                    f"the groups the model was fine-tuned on: {_named(groups)}. The "
                    "fairness penalty never acted on "
                    f"{'them' if len(groups) > 1 else 'it'}.")
    categories = report.unseen_categories
    if categories:
        listed = "; ".join(f"{label_text(column)}: {_named(values)}"
                           for column, values in list(categories.items())[:NAMED])
        text.append("Values that training never saw, which the model reads as none of the "
                    f"categories it knows: {listed}.")
    return text


def other_attribute_sentence(report) -> str:
    """That the model was fine-tuned on another attribute than the report's groups."""
    read = ", ".join(label_text(n) for n in report.groups.index.names if n is not None)
    fitted = ", ".join(map(label_text, report.fitted_on))
    return (f"These groups ({read}) are not of the sensitive attribute the model was "
            f"fine-tuned on ({fitted}): its fairness penalty acted on the groups of "
            f"{fitted}, and the gaps here show how that fine-tuning carries over to "
            f"{read}.")


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) > 1 else ''}"


def _verb(items: list) -> str:
    return "were" if len(items) > 1 else "was"


def _named(items: list) -> str:
    """The first few ``items`` by name, and how many more."""
    more = f" and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return ", ".join(label_text(v) for v in items[:NAMED]) + more


def _budget_sentence(report) -> str:
    budget, state = report.budget, report.verdict
    if state == ONE_GROUP:
        return (f"These rows cannot tell whether the model is within the budget of "
                f"{budget:g}: they hold one group; rows of two groups or more can.")
    if state == "within":
        bound = "the interval's upper end is" if "low" in report.fairness else "it is"
        return f"The model is within the budget of {budget:g}: {bound} at most {budget:g}."
    if state == "over":
        bound = "even the interval's lower end is" if "low" in report.fairness else "it is"
        return f"The model is over the budget of {budget:g}: {bound} above it."
    return (f"The interval straddles the budget of {budget:g}: these rows cannot tell "
            "whether the model is within it. More rows would narrow the interval.")


def _changes(report) -> list[str]:
    base = report.base
    if base is None:
        return []
    before, after = _accuracy(base.groups), _accuracy(report.groups)
    better, worse = [], {}
    for notion in classification_notions():
        key = notion.metric_name("difference")
        a, b = float(base.fairness.loc[key, "value"]), float(report.fairness.loc[key, "value"])
        if np.isnan(a) or np.isnan(b) or abs(b - a) < CHANGE:
            continue
        noise = _within_noise(report.fairness, key, a)
        if b < a:
            better.append(f"the {gap_name(key)} narrowed from {a:.3f} to {b:.3f}{noise}")
        else:
            # Gaps that widened for one reason (equal opportunity and equalized
            # odds, both by the true positive rate) share one sentence.
            gaps = worse.setdefault(_widest_rate(report.groups, notion), [])
            gaps.append(f"the {gap_name(key)} {'' if gaps else 'widened '}from {a:.3f} to "
                        f"{b:.3f}{noise}")
    head = f"Compared with the base model, accuracy went from {before:.3f} to {after:.3f}"
    head += f", and {' and '.join(better)}." if better else "."
    widened = [" and ".join(gaps) + f": {why}." for why, gaps in worse.items()]
    return [head, *(text[0].upper() + text[1:] for text in widened)]


def _explained(report) -> list[str]:
    """The top feature of the gap, and whether it is a proxy, when explained."""
    found = report.explanation
    sentence = None if found is None else headline(found)
    return [] if sentence is None else [sentence]


def _accuracy(groups) -> float:
    counts = groups["count"].to_numpy(dtype=float)
    return float(np.nansum(counts * groups["accuracy"].to_numpy()) / counts.sum())


def _within_noise(fairness, key, base_value) -> str:
    low, high = _bounds(fairness, key)
    if low is not None and low <= base_value <= high:
        return (" (the base's value is inside the chosen model's interval: these rows "
                "cannot tell the change from noise)")
    return ""


def _widest_rate(groups, notion) -> str:
    """The notion's rate that differs most between groups, and the two groups."""
    best = None
    for rate in notion.rates:
        values = groups[rate.key].dropna()
        if len(values) >= 2 and (best is None or np.ptp(values) > np.ptp(best[1])):
            best = (rate, values)
    if best is None:
        return "no rate of it is defined for two groups"
    rate, values = best
    low, high = values.idxmin(), values.idxmax()
    return (f"the {rate.name} is {values[low]:.3f} for {label_text(low)} against "
            f"{values[high]:.3f} for {label_text(high)}")


def _calibration(report) -> list[str]:
    calibration = report.calibration
    if calibration is None:
        return []
    big = report.groups["count"].to_numpy() >= SMALL_GROUP
    before = None if report.base is None else report.base.calibration
    text = []
    for k, (group, row) in enumerate(calibration.iterrows()):
        error = row["calibration_error"]
        if not big[k] or np.isnan(error):
            continue
        how = (f"its predicted probabilities average {row['mean_score']:.3f} against an "
               f"observed share of positives of {row['share_positive']:.3f}")
        # An error a perfectly calibrated model reaches on these rows by chance
        # says nothing: only an error above that noise is called off, and a
        # change is called only where one side is off.
        off = error > row["calibration_noise"]
        if before is not None:
            old = before["calibration_error"].iloc[k]
            was_off = old > before["calibration_noise"].iloc[k]
            if error - old >= CHANGE and off:
                text.append(f"Calibration worsened for {label_text(group)} (calibration "
                            f"error {old:.3f} to {error:.3f}, above the "
                            f"{row['calibration_noise']:.3f} that chance gives on its "
                            f"rows): {how}.")
            elif old - error >= CHANGE and was_off:
                text.append(f"Calibration improved for {label_text(group)} (calibration "
                            f"error {old:.3f} to {error:.3f}).")
        elif error >= MISCALIBRATED and off:
            text.append(f"The scores of {label_text(group)} are poorly calibrated "
                        f"(calibration error {error:.3f}, above the "
                        f"{row['calibration_noise']:.3f} that chance gives on its rows): "
                        f"{how}.")
    return text[:NAMED]


def _small_groups(report) -> list[str]:
    counts = report.groups["count"]
    small = counts[counts < SMALL_GROUP]
    if small.empty:
        return []
    named = ", ".join(f"{label_text(g)} ({n:,.0f} rows)" for g, n in small.iloc[:NAMED].items())
    more = f" and {len(small) - NAMED} more" if len(small) > NAMED else ""
    text = (f"{len(small)} group{'s' if len(small) > 1 else ''} ha"
            f"{'ve' if len(small) > 1 else 's'} fewer than {SMALL_GROUP} {report.rows} rows: "
            f"{named}{more}. Their rates, and the gaps they take part in, are uncertain")
    first = int(np.flatnonzero(counts.to_numpy() < SMALL_GROUP)[0])
    return [text + _example_interval(report, first) + "."]


def _example_interval(report, k: int) -> str:
    """The widest rate interval of the ``k``-th group, to show how uncertain it is."""
    if report.intervals is None:
        return ""
    names, group = rate_names(), report.groups.index[k]
    widths = {key: report.intervals[(key, "high")].iloc[k] - report.intervals[(key, "low")].iloc[k]
              for key in ("selection_rate", "tpr", "fpr", "accuracy")}
    key = max(widths, key=lambda r: -1 if np.isnan(widths[r]) else widths[r])
    if np.isnan(widths[key]):
        return ""
    low, high = (report.intervals[(key, end)].iloc[k] for end in ("low", "high"))
    return (f" ({label_text(group)}'s {names[key]} has the {report.confidence:.0%} interval "
            f"{low:.3f} to {high:.3f})")
