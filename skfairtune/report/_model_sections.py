"""The sections of a model's report (see :func:`skfairtune.report.model_report`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._labels import label_text
from ._card import card_frame
from ._document import MAX_TABLE_ROWS, Plot, Section, Table, largest, left_out
from ._explanation import explanation_section
from ._measure import SMALL_GROUP
from ._plots import (
    MAX_PANELS,
    new_figure,
    plot_calibration_by_group,
    plot_confusion_matrices,
    plot_group_rates,
    plot_roc_by_group,
    plot_training_curves,
)
from ._search import search_table
from ._summary import summary_sentences
from ._words import gap_name, interval_text, rate_names

# The named metrics shown first, in this order; the rest follow.
_HEADLINE = ("demographic_parity_difference", "equalized_odds_difference",
             "equal_opportunity_difference", "worst_group_accuracy")
# The per-group measures set side by side for the base and the chosen model.
_COMPARED = ("selection_rate", "tpr", "fpr", "accuracy")


def model_sections(report) -> list:
    """The sections of :data:`SECTIONS` that apply to ``report``, in that order."""
    return [s for s in (build(report) for build in SECTIONS) if s is not None]


def _summary(report) -> Section:
    tables = [gap_table(report), *report.tables]
    return Section("Summary", [*summary_sentences(report), *report.notes], tables)


def gap_table(report) -> Table:
    """Every named gap in words, with its interval; the base's beside it."""
    fairness = report.fairness
    order = [k for k in _HEADLINE if k in fairness.index]
    order += [k for k in fairness.index if k not in order]
    frame = pd.DataFrame(index=pd.Index([gap_name(k) for k in order], name="metric"))
    measured = [("model", fairness)] if report.base is None else [
        ("base", report.base.fairness), ("chosen", fairness)]
    for name, gaps in measured:
        frame[name] = gaps.loc[order, "value"].to_numpy()
        if "low" in gaps:
            frame[f"{name} {report.confidence:.0%} interval"] = [
                interval_text(lo, hi) for lo, hi in gaps.loc[order, ["low", "high"]].to_numpy()]
    caption = (f"Fairness metrics on the {report.rows} rows (gaps: lower is fairer; ratios "
               "and worst-group accuracy: higher is fairer)")
    highlight = []
    if report.budget is not None and report.notion_object is not None:
        key = report.notion_object.metric_name("difference")
        highlight = [gap_name(key)]
        caption += f"; the budget of {report.budget:g} is on the {gap_name(key)}"
    return Table(caption, frame, highlight=highlight)


def _comparison(report) -> Section | None:
    if report.base is None:
        return None
    frame = comparison_frame(report)
    text = ["The base model (before fine-tuning) and the chosen model on the same "
            f"{report.rows} rows, group by group. The calibration error is the mean distance "
            "between the predicted probability and the observed share of positives "
            "(0 is perfect)."]
    n_groups = len(frame.index.get_level_values("group").unique())
    text += left_out(report.groups["count"].to_numpy(), {"table shows": n_groups},
                     holder="report.groups and report.base.groups")
    return Section("Before and after, by group", text,
                   [Table("Base and chosen model by group", frame)])


def comparison_frame(report) -> pd.DataFrame:
    """The base's and the chosen model's rates, by group and measure (largest groups)."""
    rows, names = [], rate_names()
    base, chosen = report.base, report.groups
    for k in largest(chosen["count"].to_numpy(), MAX_TABLE_ROWS // len(_COMPARED)):
        group = label_text(chosen.index[k])
        for key in _COMPARED:
            rows.append((group, names[key], base.groups[key].iloc[k], chosen[key].iloc[k]))
        if report.calibration is not None and base.calibration is not None:
            rows.append((group, "calibration error",
                         base.calibration["calibration_error"].iloc[k],
                         report.calibration["calibration_error"].iloc[k]))
    frame = pd.DataFrame(rows, columns=["group", "measure", "base", "chosen"])
    frame["change"] = frame["chosen"] - frame["base"]
    return frame.set_index(["group", "measure"])


def _search(search) -> Section:
    table = search_table(search.cv_results, best_index=search.best_index)
    text = ["Mean scores over the cross-validation folds, one row per candidate; "
            "gaps are shown positive (lower is fairer)."]
    gap = None if search.constraint is None else gap_name(search.constraint)
    judged = gap
    if search.bounds is not None:
        judged = f"{gap} {search.confidence:.0%} bound"
        table.insert(table.columns.get_loc(search.constraint) + 1, judged, search.bounds)
        text.append(f"The {judged} column is a one-sided {search.confidence:.0%} upper "
                    f"confidence bound on the {gap} from its spread over the "
                    "folds: the budget was applied to it, not to the mean.")
    if "degenerate" in table:
        text.append("A candidate with degenerate > 0 predicted one class overall or within "
                    "a group, or did no better than the majority class, on some fold: its "
                    "small gaps say nothing about fairness, and the rule passed it over.")
    # The scorers' names in words, where they are a named metric's.
    table = table.rename(columns={c: gap_name(c) for c in table.columns
                                  if isinstance(c, str) and c not in ("chosen", "degenerate")})
    if search.max_value is not None:
        shown = table[judged].to_numpy(dtype=float)[search.best_index]
        if shown <= search.max_value:
            text.append(f"The chosen candidate ({search.best_index}) is the best by "
                        f"{search.metric} among those with {judged} at most "
                        f"{search.max_value:g}.")
        else:
            text.append(_budget_not_met(table, judged, search, shown))
    section = Section("Model selection", text, [Table(
        "Grid search candidates (cross-validated)", table, highlight=[search.best_index])])
    if search.constraint is not None:
        section.plots.append(_pareto(search))
    return section


def _budget_not_met(table, judged: str, search, shown: float) -> str:
    """No candidate the rule considered met the budget; nor did any it passed over,
    or, if some did, how many were degenerate (as budget_refit's warning says)."""
    # A candidate without a flag (NaN) is passed over, as budget_refit does.
    flagged = (table["degenerate"].fillna(1) > 0) if "degenerate" in table else False
    met = np.flatnonzero(flagged & (table[judged] <= search.max_value))
    which = "candidate that is not degenerate" if met.size else "candidate"
    text = (f"No {which} has {judged} at most {search.max_value:g}: the chosen candidate "
            f"({search.best_index}) is the fairest of those the rule considered, at "
            f"{shown:.3f}.")
    if met.size:
        text += (f" {met.size} degenerate candidate{'s' if met.size > 1 else ''} "
                 f"({', '.join(map(str, table.index[met]))}) met it and "
                 f"{'were' if met.size > 1 else 'was'} passed over; budget_refit("
                 "allow_degenerate=True) lets the rule choose among them.")
    return text


def _pareto(search) -> Plot:
    from skfairtune.model_selection import plot_pareto_front

    figure, (ax,) = new_figure(1, width=6.5, height=4.2)
    plot_pareto_front(search.cv_results, metric=search.metric, constraint=search.constraint,
                      chosen=search.best_index, max_value=search.max_value, ax=ax)
    ax.set_title("Accuracy and fairness of the candidates")
    ax.set_xlabel(f"{gap_name(search.constraint)} (lower is fairer)")
    return Plot("Pareto front of the search; the star marks the chosen model, the dashed "
                "line the budget", figure)


def _groups(report) -> Section:
    counts = report.groups["count"].to_numpy()
    rows, panels = largest(counts, MAX_TABLE_ROWS), largest(counts, MAX_PANELS)
    figure, (ax,) = new_figure(1, width=7.5, height=3.6)
    plot_group_rates(report.groups.iloc[panels], ax)
    matrices = list(report.confusion.items())
    confusion = plot_confusion_matrices(dict(matrices[k] for k in panels),
                                        report.class_names or [str(c) for c in report.classes])
    table = report.groups.rename(columns=rate_names())
    text = []
    if (counts < SMALL_GROUP).any():
        table["small"] = counts < SMALL_GROUP
        text.append(f"A group marked small has fewer than {SMALL_GROUP} {report.rows} rows: "
                    "its rates would move by tenths from one sample to the next, so read "
                    "its numbers, and the gaps it takes part in, with care.")
    if report.unseen_groups:
        table["unseen in training"] = table.index.isin(report.unseen_groups)
        text.append("A group marked unseen in training was not among the groups the model "
                    "was fine-tuned on: the fairness penalty never acted on it.")
    text += left_out(counts, {"table shows": len(rows), "plots show": len(panels)},
                     holder="report.groups")
    return Section("Groups", text, [Table("Rates by group", table.iloc[rows])], [
        Plot("Selection rate, accuracy, true and false positive rates by group", figure),
        Plot("Confusion matrix of each group (counts and shares of each true class)",
             confusion),
    ])


def _scores(report) -> Section | None:
    if report.curves is None:
        return None
    curves, counts = report.curves, report.groups["count"].to_numpy()
    panels = largest(counts, MAX_PANELS)
    figure, (roc, calibration) = new_figure(2, width=5.0, height=4.2)
    plot_roc_by_group(curves["y"], curves["score"], curves["codes"], curves["labels"],
                      curves["auc"], roc, shown=panels)
    plot_calibration_by_group(curves["y"], curves["score"], curves["codes"],
                              curves["labels"], calibration, shown=panels)
    text = ["A model can rank each group's rows equally well (close ROC curves) and still "
            "be miscalibrated for one group: its curve below the diagonal means its "
            "predicted probabilities are higher than the share of positives they stand for, "
            "above it lower. The chance level is the calibration error that a perfectly "
            "calibrated model exceeds only 5% of the time on the group's rows: an error "
            "below it cannot be told from noise."]
    text += left_out(counts, {"plots show": len(panels)}, holder="report.groups")
    table = report.calibration.rename(columns={
        "mean_score": "mean predicted probability", "share_positive": "share positive",
        "calibration_error": "calibration error",
        "calibration_noise": "chance level (95%)"})
    if report.base is not None and report.base.calibration is not None:
        table["base calibration error"] = report.base.calibration["calibration_error"]
    return Section("Scores by group", text,
                   [Table("Calibration by group", table.iloc[largest(counts, MAX_TABLE_ROWS)])],
                   [Plot("ROC and calibration curves by group", figure)])


def _training(report) -> Section | None:
    history = report.history
    # New rows are not the fit's: its curves belong to the report of the run.
    if history is None or not len(history) or report.rows == "new":
        return None
    return Section("Training", [
        "The fine-tuning run of the reported model, by epoch: its loss, the fairness "
        "penalty, and the group metrics that a FairnessMonitor recorded."],
        plots=[Plot("Training curves", plot_training_curves(history))])


def _card(report) -> Section:
    return Section("Model card", [
        "What the numbers above were computed from and with: enough to reproduce them, "
        "or to question them."], [Table("Model card", card_frame(report.card))])


def _search_section(report) -> Section | None:
    return None if report.search is None else _search(report.search)


# The sections of a model report, in order: each builder returns a Section, or
# None where it does not apply. A new section is one more builder here.
SECTIONS = [_summary, _comparison, explanation_section, _search_section, _groups, _scores,
            _training, _card]
