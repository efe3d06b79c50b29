"""The sections of a model's report (see :func:`skfairtune.report.model_report`)."""

from __future__ import annotations

from ._document import MAX_TABLE_ROWS, Plot, Section, Table, largest, left_out
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

# The named metrics shown first, in this order; the rest follow.
_HEADLINE = ("demographic_parity_difference", "equalized_odds_difference",
             "equal_opportunity_difference", "worst_group_accuracy")


def model_sections(report) -> list:
    """Summary, search, groups, scores and training, where each applies."""
    sections = [_summary(report)]
    if report.search is not None:
        sections.append(_search(report.search))
    sections.append(_groups(report))
    if report.curves is not None:
        sections.append(_scores(report))
    if report.history is not None and len(report.history):
        sections.append(_training(report.history))
    return sections


def _summary(report) -> Section:
    fairness = report.fairness
    order = [k for k in _HEADLINE if k in fairness.index]
    order += [k for k in fairness.index if k not in order]
    tables = [*report.tables, Table("Fairness metrics on the held-out data",
                                    fairness.loc[order])]
    return Section("Summary", list(report.notes), tables)


def _search(search) -> Section:
    table = search_table(search.cv_results, best_index=search.best_index)
    text = ["Mean scores over the cross-validation folds, one row per candidate; "
            "gaps are shown positive (lower is fairer)."]
    judged = search.constraint
    if search.bounds is not None:
        judged = f"{search.constraint} {search.confidence:.0%} bound"
        table.insert(table.columns.get_loc(search.constraint) + 1, judged, search.bounds)
        text.append(f"The {judged} column is a one-sided {search.confidence:.0%} upper "
                    f"confidence bound on {search.constraint} from its spread over the "
                    "folds: the budget was applied to it, not to the mean.")
    if "degenerate" in table:
        text.append("A candidate with degenerate > 0 predicted one class overall or within "
                    "a group, or did no better than the majority class, on some fold: its "
                    "small gaps say nothing about fairness, and the rule passed it over.")
    if search.max_value is not None:
        shown = table[judged].to_numpy(dtype=float)[search.best_index]
        if shown <= search.max_value:
            text.append(f"The chosen candidate ({search.best_index}) is the best by "
                        f"{search.metric} among those with {judged} at most "
                        f"{search.max_value:g}.")
        else:
            text.append(f"No candidate has {judged} at most {search.max_value:g}: the "
                        f"chosen candidate ({search.best_index}) is the fairest of those "
                        f"the rule considered, at {shown:.3f}.")
    section = Section("Model selection", text, [Table(
        "Grid search candidates (cross-validated)", table, highlight=[search.best_index])])
    if search.constraint is not None:
        section.plots.append(_pareto(search))
    return section


def _pareto(search) -> Plot:
    from skfairtune.model_selection import plot_pareto_front

    figure, (ax,) = new_figure(1, width=6.5, height=4.2)
    plot_pareto_front(search.cv_results, metric=search.metric, constraint=search.constraint,
                      chosen=search.best_index, max_value=search.max_value, ax=ax)
    ax.set_title("Accuracy and fairness of the candidates")
    return Plot("Pareto front of the search; the star marks the chosen model, the dashed "
                "line the budget", figure)


def _groups(report) -> Section:
    counts = report.groups["count"].to_numpy()
    rows, panels = largest(counts, MAX_TABLE_ROWS), largest(counts, MAX_PANELS)
    figure, (ax,) = new_figure(1, width=6.5, height=3.6)
    plot_group_rates(report.groups.iloc[panels], ax)
    matrices = list(report.confusion.items())
    confusion = plot_confusion_matrices(dict(matrices[k] for k in panels),
                                        [str(c) for c in report.classes])
    text = left_out(counts, {"table shows": len(rows), "plots show": len(panels)},
                    holder="report.groups")
    return Section("Groups", text, [Table("Rates by group", report.groups.iloc[rows])], [
        Plot("Selection rate, accuracy, true and false positive rates by group", figure),
        Plot("Confusion matrix of each group (counts and shares of each true class)",
             confusion),
    ])


def _scores(report) -> Section:
    curves, counts = report.curves, report.groups["count"].to_numpy()
    panels = largest(counts, MAX_PANELS)
    figure, (roc, calibration) = new_figure(2, width=5.0, height=4.2)
    plot_roc_by_group(curves["y"], curves["score"], curves["codes"], curves["labels"],
                      curves["auc"], roc, shown=panels)
    plot_calibration_by_group(curves["y"], curves["score"], curves["codes"],
                              curves["labels"], calibration, shown=panels)
    text = ["A model can rank each group's rows equally well (close ROC curves) and still "
            "be miscalibrated for one group (its curve off the diagonal)."]
    text += left_out(counts, {"plots show": len(panels)}, holder="report.groups")
    return Section("Scores by group", text,
                   plots=[Plot("ROC and calibration curves by group", figure)])


def _training(history) -> Section:
    return Section("Training", [
        "The fine-tuning run of the reported model, by epoch: its loss, the fairness "
        "penalty, and the group metrics that a FairnessMonitor recorded."],
        plots=[Plot("Training curves", plot_training_curves(history))])
