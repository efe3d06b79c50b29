"""The report of a fitted classifier on held-out data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skfairtune._compat import BaseSearchCV
from skfairtune.metrics import degenerate_reason
from skfairtune.model_selection import BudgetRefit
from skfairtune.notions import NOTIONS, Notion

from .._deprecation import deprecated
from .._groups import encode_for, group_index, other_attribute
from .._labels import label_text, plain, positive_label
from .._pipeline import final_step
from .._validation import check_budget, is_column_names, read_columns
from ._card import model_card, now
from ._document import Document, Table
from ._explanation import EXPLAIN_ROWS, GapExplained, explain_report, sensitive_name
from ._measure import SMALL_GROUP, Measured, measure
from ._model_sections import comparison_frame, model_sections
from ._rendered import Rendered
from ._summary import other_attribute_sentence, summary_sentences, verdict
from ._unseen import unseen_categories

# What the reported rows can be: a test split, or rows that came after training.
ROWS = ("held-out", "new")
# History keys that are bookkeeping, not curves.
_SKIPPED = ("batches", "epoch", "dur", "train_batch_count", "valid_batch_count")


@dataclass
class SearchResults:
    """What the report shows of a search: its results and its choice."""

    cv_results: dict
    best_index: int
    metric: str
    constraint: str | None
    max_value: float | None
    # The refit rule's confidence, and the upper bounds on the gap it chose by.
    confidence: float | None = None
    bounds: np.ndarray | None = None
    # The notion whose gap the constraint's scorer measures, whatever its key.
    notion: str | None = None


@dataclass
class ModelReport(Rendered):
    """A fitted classifier's behaviour by group on held-out or new data.

    Made by :func:`model_report`. Like every report it renders as text
    (:meth:`to_text`, also ``str``), markdown (:meth:`to_markdown`) and HTML
    (:meth:`to_html`, or inline in a notebook), and :meth:`write` writes
    ``report.html`` and ``report.md`` into a folder. With many groups the
    rendered tables show the 50 largest and the plots the 12 largest, each
    saying how many it left out; the attributes keep every group.

    Attributes
    ----------
    title : str
        The report's title.
    groups : pandas.DataFrame
        The :func:`~skfairtune.metrics.group_report` of the rows.
    fairness : pandas.DataFrame
        The named fairness metrics (demographic parity difference, ...).
    confusion : dict
        Per group, its confusion matrix (rows: true class, columns: predicted).
    classes : list
        The class labels, in the order of the confusion matrices.
    history : pandas.DataFrame or None
        The training history by epoch (loss, penalty, monitored metrics).
    search : SearchResults or None
        The grid search behind the model, when there was one.
    tables : list of Table
        Further tables shown in the summary (for instance a comparison).
    notes : list of str
        Paragraphs shown at the top.
    curves : dict or None
        What the ROC and calibration plots read: the 0/1 labels (``"y"``),
        the positive class's scores, the group ids and names, and each
        group's AUC; None for a model without ``predict_proba``.
    intervals : pandas.DataFrame or None
        The bootstrap bounds of every per-group rate: columns
        ``(rate, "low")`` and ``(rate, "high")``; None without ``n_boot``.
        The bounds of the named gaps are the ``low`` and ``high`` columns
        of ``fairness``.
    calibration : pandas.DataFrame or None
        Each group's ``mean_score``, ``share_positive`` and
        ``calibration_error`` (the expected calibration error over ten
        bins); None for a model without ``predict_proba``.
    base : Measured or None
        The base model measured on the same rows (its ``groups``,
        ``fairness`` and ``calibration``), when one was given.
    notion : str or None
        The notion the budget is on.
    budget : float or None
        The largest gap of ``notion`` accepted.
    confidence : float or None
        The coverage of the intervals.
    degenerate : str or None
        Why the model's predictions are degenerate (one class for everyone,
        or for a whole group, or no better than the majority class: by
        balanced accuracy for a model trained with ``class_weight``, by
        accuracy otherwise), or None.
    card : dict
        The model card: data, rows, groups, notion, budget, selection rule,
        seed, package versions and date.
    created : str
        When the report was made (UTC).
    class_names : list of str
        How the plots name the classes.
    rows : str
        What the rows are: ``"held-out"`` or ``"new"`` (see :func:`model_report`).
    unseen_groups : list
        The groups of the rows that the model's last fit did not have (not
        in its ``groups_encoder_``): the penalty was never trained on them.
        They come last in ``groups``. Empty when the rows' groups are of
        another attribute (see ``fitted_on``).
    fitted_on : list of str or None
        The sensitive column(s) the model was fine-tuned on, when the
        report's groups are of another attribute (other columns, or another
        number of them): the penalty acted on the groups of those, and no
        group of the report is called unseen. None when the report reads
        the fit's attribute, or the model keeps no groups.
    unseen_categories : dict
        Per categorical column, the values the model's fitted encoders have
        no category for (their ``categories_``): it reads them as none of
        the categories it knows.
    explanation : GapExplained or None
        With ``explain``: the :func:`~skfairtune.explain.explain_gap` result
        of the model (``explanation.chosen``) and of the base
        (``explanation.base``), their
        :func:`~skfairtune.explain.compare_gaps` table
        (``explanation.comparison``), or why the gap could not be explained
        (``explanation.reason``). None without ``explain``.
    """

    title: str
    groups: pd.DataFrame
    fairness: pd.DataFrame
    confusion: dict
    classes: list
    history: pd.DataFrame | None = None
    search: SearchResults | None = None
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    curves: dict | None = field(default=None, repr=False)
    intervals: pd.DataFrame | None = field(default=None, repr=False)
    calibration: pd.DataFrame | None = None
    base: Measured | None = field(default=None, repr=False)
    notion: str | None = None
    budget: float | None = None
    confidence: float | None = None
    degenerate: str | None = None
    card: dict = field(default_factory=dict)
    created: str = field(default_factory=now)
    class_names: list = field(default_factory=list)
    explanation: GapExplained | None = field(default=None, repr=False)
    rows: str = "held-out"
    unseen_groups: list = field(default_factory=list)
    unseen_categories: dict = field(default_factory=dict)
    fitted_on: list | None = None

    @property
    def notion_object(self) -> Notion | None:
        """The :class:`~skfairtune.notions.Notion` the budget is on, or None."""
        return None if self.notion is None else NOTIONS[self.notion]

    @property
    def verdict(self) -> str | None:
        """The notion's gap against the budget: ``"within"``, ``"over"``,
        ``"uncertain"`` or ``"one group"``.

        "within" when the interval's upper end is at most the budget, "over"
        when its lower end is above it, "uncertain" when it straddles it
        (without intervals the gap itself decides). "one group" when the rows
        hold a single group: a gap compares groups, so there is none to hold
        to the budget (never "within"). None without a budget or a notion.
        """
        if self.budget is None or self.notion is None:
            return None
        key = self.notion_object.metric_name("difference")
        row = self.fairness.loc[key]
        return verdict(float(row["value"]), row.get("low"), row.get("high"), self.budget,
                       n_groups=len(self.groups))

    def summary(self) -> list[str]:
        """The summary in plain words, as the report opens: one sentence a line.

        Written from the numbers: the gaps and their intervals, the budget's
        verdict, what changed from the base model (gaps that narrowed or
        widened, groups whose calibration moved), and the small groups.

        Returns
        -------
        list of str
        """
        return summary_sentences(self)

    @property
    def fitted_on_note(self) -> str | None:
        """A sentence saying the model was fine-tuned on another attribute than
        these groups' (``fitted_on``), or None when it was fine-tuned on theirs."""
        return other_attribute_sentence(self) if self.fitted_on else None

    def by_group(self) -> pd.DataFrame | None:
        """The base and the chosen model side by side, by group; None without a base.

        Returns
        -------
        pandas.DataFrame or None
            Indexed by group and measure (selection rate, true and false
            positive rates, accuracy, calibration error), with the columns
            ``base``, ``chosen`` and ``change``.
        """
        return None if self.base is None else comparison_frame(self)

    @property
    def small_groups(self) -> pd.Series:
        """The groups with fewer than 50 rows, and their sizes.

        Their rates move by tenths from one sample to the next; the report
        marks them and says so.
        """
        counts = self.groups["count"]
        return counts[counts < SMALL_GROUP]

    def document(self) -> Document:
        """The report as a document of sections (tables and figures)."""
        n_rows, n_groups = int(self.groups["count"].to_numpy().sum()), len(self.groups)
        return Document(self.title, f"{n_rows:,} {self.rows} rows, {n_groups} "
                        f"group{'s' if n_groups != 1 else ''}",
                        model_sections(self))


def model_report(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    sensitive_features: Any,
    search: Any = None,
    pos_label: Any = None,
    title: str = "Fairness report",
    tables: dict | None = None,
    notes: list | None = None,
    base: Any = None,
    notion: str | None = None,
    budget: float | None = None,
    n_boot: int | None = 500,
    confidence: float = 0.9,
    random_state: Any = 0,
    card: dict | None = None,
    class_names: dict | None = None,
    explain: bool | int = False,
    rows: str = "held-out",
) -> ModelReport:
    """Report a fitted binary classifier's behaviour by group on held-out data.

    The report opens with a summary in plain words, written from its numbers:
    the gaps with their bootstrap intervals, the gap of ``notion`` against
    ``budget``, what changed from the ``base`` model (a gap that narrowed,
    another notion's gap that widened, a group's calibration), and what the
    data are too few to tell (small groups). Then the base and the model
    side by side by group, the grid search, the
    :func:`~skfairtune.metrics.group_report` with the group sizes, a
    confusion matrix per group, ROC and calibration curves by group, the
    training curves, and a model card (data, rows, groups, notion, budget,
    selection rule, seed, package versions, date).

    Parameters
    ----------
    estimator : estimator
        A fitted classifier: a skfairtune estimator, a pipeline ending in
        one, any scikit-learn classifier, or a fitted search (its
        ``best_estimator_`` is reported and the search shown).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Held-out features, as the estimator takes them.
    y : array-like of shape (n_samples,)
        Held-out labels.
    sensitive_features : array-like, or str or list of str
        The groups: their values, or the name(s) of column(s) of ``X``.
    search : fitted GridSearchCV, default=None
        The search that chose the model, when ``estimator`` is not the search.
        With a :func:`~skfairtune.model_selection.budget_refit` rule, the
        Pareto plot marks its budget.
    pos_label : object, default=None
        The positive class; the last of ``classes_`` when None (the one
        rule everywhere in skfairtune).
    title : str, default="Fairness report"
        The report's title.
    tables : dict of str to DataFrame, default=None
        Further tables for the summary, by caption. Rows whose boolean
        ``chosen`` column is True are highlighted.
    notes : list of str, default=None
        Paragraphs for the top of the report.
    base : estimator, default=None
        The model before fine-tuning, fitted on the same features: shown
        beside ``estimator``, group by group, and compared in the summary.
    notion : str, default=None
        The notion (a key of :data:`skfairtune.notions.NOTIONS`) the budget
        is on. None takes the notion of the search's
        :func:`~skfairtune.model_selection.budget_refit` constraint (read off
        its scorer, whatever its key in ``scoring``), else the estimator's
        ``penalty`` when it names a notion.
    budget : float, default=None
        The largest gap of ``notion`` accepted, in (0, 1]: the summary says
        whether the gap's interval is within it, over it, or straddles it,
        or that rows of one group cannot tell (``verdict`` is "one group").
        None falls back on the search's budget (``budget_refit``'s
        ``max_value``) when its constraint is on ``notion``.
    n_boot : int or None, default=500
        Bootstrap replicates of the intervals; None for none.
    confidence : float, default=0.9
        The coverage of the two-sided bootstrap intervals (see
        :func:`~skfairtune.metrics.group_report`); each holds its estimate.
    random_state : int, RandomState instance or None, default=0
        Seeds the bootstrap (0: the same report each time).
    card : dict of str to str, default=None
        Entries for the model card that only the caller knows (where the
        data came from, the training rows); the rest is read off the model.
    class_names : dict, default=None
        How to name each class in the plots, by class label (the command
        line trains on 0/1 and names them by the original labels).
    explain : bool or int, default=False
        Add the section "Explaining the gap": which features carry the gap of
        ``notion`` (demographic parity when None) in mean score, for the
        model and the base, and what fine-tuning changed per feature
        (:func:`~skfairtune.explain.explain_gap` and
        :func:`~skfairtune.explain.compare_gaps`), with a sentence in the
        summary. True explains a sample of 500 held-out rows (half from each
        of the two groups compared), an int that many; rows with missing
        values are left out. Off by default because it is the report's one
        costly part: it calls the model some 25 times per feature on the
        sample, more than all the rest together. ``random_state`` seeds the
        sample when it is an int (0 otherwise).
    rows : {"held-out", "new"}, default="held-out"
        What the rows are, in the report's words. "held-out": rows kept out
        of the model's training (a test split), with the training curves
        shown. "new": rows that came after training, as ``skfairtune check``
        reads them; the training curves, which describe the fit and not these
        rows, are left out. Either way the report flags the groups and the
        categories the model never saw in training.

    Returns
    -------
    ModelReport

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairtune.report import model_report
    >>> rng = np.random.default_rng(0)
    >>> X, group = rng.normal(size=(300, 2)), rng.choice(["a", "b"], 300)
    >>> y = (X[:, 0] + (group == "b") > 0.5).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> report = model_report(clf, X, y, sensitive_features=group,
    ...                       notion="demographic_parity", budget=0.05)
    >>> report.groups["count"].tolist()
    [148, 152]
    >>> report.verdict
    'uncertain'
    >>> "<img src=\\"data:image/png;base64," in report.to_html()
    True
    """
    if search is None and isinstance(estimator, BaseSearchCV):
        search, estimator = estimator, estimator.best_estimator_
    sensitive = _sensitive_values(X, sensitive_features)
    classes = list(getattr(estimator, "classes_", np.unique(y)))
    if len(classes) != 2:
        raise ValueError(f"model_report needs a binary classifier; it has classes "
                         f"{[plain(c) for c in classes]}.")
    positive = positive_label(classes, pos_label, name="the classifier's classes_")
    searched = _search_results(search)
    notion = _check_notion(notion, estimator, searched)
    budget = _check_budget(budget, searched, notion)
    explained_rows = None if explain is False else _check_explain(explain)
    _check_rows(rows)
    y = np.asarray(y)
    # Coded once, by the model's own groups (its unseen ones flagged), and
    # handed as it is to every measure below.
    encoding = encode_for(estimator, sensitive, n_samples=len(y))
    fitted_on = other_attribute(estimator, encoding)
    boot = None if n_boot is None else {"n_boot": n_boot, "confidence": confidence,
                                        "random_state": random_state}
    where = {"encoding": encoding, "classes": classes, "boot": boot}
    measured = measure(estimator, X, y, positive, **where)
    before = None if base is None else measure(base, X, y, positive, **where)
    groups = measured.groups
    report = ModelReport(
        title=title, groups=groups, fairness=measured.fairness,
        confusion=_confusions(y, measured.y_pred, encoding, classes), classes=classes,
        history=_history(estimator), search=searched,
        tables=[Table(caption, frame, highlight=_chosen_rows(frame))
                for caption, frame in (tables or {}).items()],
        notes=list(notes or []),
        curves=None if measured.score is None else {
            "y": (y == positive).astype(int), "score": measured.score,
            "codes": encoding.codes, "labels": [label_text(v) for v in group_index(encoding)],
            "auc": groups.get("auc")},
        intervals=measured.intervals, calibration=measured.calibration, base=before,
        notion=notion, budget=budget, confidence=None if boot is None else confidence,
        degenerate=degenerate_reason(y, measured.y_pred, sensitive_features=encoding,
                                     metric=degeneracy_metric(estimator),
                                     class_names=class_names),
        class_names=[label_text((class_names or {}).get(c, c)) for c in classes],
        rows=rows, unseen_groups=[] if fitted_on else list(encoding.unseen),
        unseen_categories=unseen_categories(estimator, X), fitted_on=fitted_on,
    )
    report.card = model_card(report, estimator, card or {})
    if explained_rows is not None:
        report.explanation = explain_report(
            estimator, base, X, y, sensitive, encoding, notion=notion, pos_label=positive,
            max_rows=explained_rows, random_state=random_state,
            name=sensitive_name(X, sensitive_features))
    return report


def degeneracy_metric(estimator: Any) -> str:
    """The metric the model must beat the majority class on: balanced accuracy
    for a model trained with class weights, accuracy otherwise.

    Class weights trade accuracy for finding the rare class, so by accuracy a
    weighted model that works would lose to the majority class; ``tune``
    judges its weighted candidates so, and the report must agree.
    """
    step = final_step(estimator)[1]
    return "accuracy" if getattr(step, "class_weight", None) is None else "balanced_accuracy"


def _check_explain(explain) -> int:
    """The rows to explain, from ``explain=True`` or a number of rows."""
    if explain is True:
        return EXPLAIN_ROWS
    if isinstance(explain, bool) or not isinstance(explain, (int, np.integer)) or explain < 2:
        raise ValueError(f"explain must be True, False or a number of rows to explain "
                         f"(at least 2); got {explain!r}.")
    return int(explain)


def _check_rows(rows) -> None:
    if rows not in ROWS:
        raise ValueError(f"rows must be one of {list(ROWS)}; got {rows!r}.")


def _check_notion(notion, estimator, searched=None) -> str | None:
    if notion is None:
        # The search's budget says which gap the user held the model to.
        if searched is not None and searched.notion is not None:
            return searched.notion
        penalty = getattr(final_step(estimator)[1], "penalty", None)
        return penalty if isinstance(penalty, str) and penalty in NOTIONS else None
    known = [n for n, v in NOTIONS.items() if "classification" in v.tasks]
    if notion not in known:
        raise ValueError(f"notion={notion!r} is not a fairness notion of a classifier; "
                         f"the notions are {known}.")
    return notion


def _check_budget(budget, searched, notion) -> float | None:
    if budget is None:
        if searched is not None and notion is not None and searched.notion == notion:
            return searched.max_value
        return None
    return check_budget(budget)


@deprecated("write_report", "report.write(out, name=...)")
def write_report(report: ModelReport, out: str | Path, *, name: str = "report") -> dict:
    """Write a report as a self-contained HTML file and a markdown summary.

    .. deprecated:: 0.1.0
        Use ``report.write(out, name=...)``, the method every report has;
        this function calls it, and warns.

    Parameters
    ----------
    report : ModelReport
        From :func:`model_report`.
    out : str or Path
        The folder to write into; created when missing.
    name : str, default="report"
        The files' name without suffix.

    Returns
    -------
    dict
        The paths written, under ``"html"`` and ``"markdown"``.
    """
    return report.write(out, name=name)


def _chosen_rows(frame: pd.DataFrame) -> list:
    if "chosen" not in frame or frame["chosen"].dtype != bool:
        return []
    return list(frame.index[frame["chosen"].to_numpy()])


def _sensitive_values(X, sensitive_features):
    if is_column_names(sensitive_features):
        return read_columns(X, sensitive_features)
    return sensitive_features


def _confusions(y, y_pred, encoding, classes) -> dict:
    """Each group's confusion matrix, from one count over the rows (not a pass
    over the rows per group)."""
    truth, predicted = (_class_index(v, classes) for v in (y, y_pred))
    known = (truth >= 0) & (predicted >= 0)  # as confusion_matrix, other labels drop out
    n = len(classes)
    cells = (encoding.codes * n + truth) * n + predicted
    counts = np.bincount(cells[known], minlength=encoding.n_groups * n * n)
    matrices = counts.reshape(encoding.n_groups, n, n)
    labels = [label_text(v) for v in group_index(encoding)]
    return dict(zip(labels, matrices))


def _class_index(values: np.ndarray, classes: list) -> np.ndarray:
    """Each value's position in ``classes``; -1 for a value that is not one."""
    index = np.full(len(values), -1)
    for k, label in enumerate(classes):
        index[values == label] = k
    return index


def _history(estimator) -> pd.DataFrame | None:
    """The last fit's history as a frame by epoch: numbers only, no bookkeeping."""
    history = getattr(getattr(final_step(estimator)[1], "net_", None), "history", None)
    if not history:
        return None
    rows = [{k: v for k, v in row.items() if k not in _SKIPPED and not k.endswith("_best")
             and not k.startswith("event_") and isinstance(v, (int, float))}
            for row in history]
    frame = pd.DataFrame(rows, index=pd.Index([r["epoch"] for r in history], name="epoch"))
    return frame.astype(float)


def _search_results(search) -> SearchResults | None:
    if search is None:
        return None
    refit = search.refit
    if isinstance(refit, BudgetRefit):
        confidence = getattr(refit, "confidence", None)
        bounds = refit.gaps(search.cv_results_) if confidence is not None else None
        return SearchResults(search.cv_results_, int(search.best_index_), refit.metric,
                             refit.constraint, refit.max_value, confidence, bounds,
                             _scored_notion(search.scoring, refit.constraint))
    metric = refit if isinstance(refit, str) else "score"
    return SearchResults(search.cv_results_, int(search.best_index_), metric, None, None)


def _scored_notion(scoring, key: str) -> str | None:
    """The notion whose gap the scorer under ``key`` measures, or None.

    The key is the user's to choose (``"dp"``), so it is the scorer that
    tells: the metric it was made from (``make_fairness_scorer``'s, or
    scikit-learn's ``make_scorer``'s). A key that is a metric's own name
    tells too, whatever the scorer (a custom callable, say).
    """
    scorer = scoring.get(key) if isinstance(scoring, dict) else None
    # scikit-learn's scorers keep their metric there; they have no public name for it.
    metric = getattr(getattr(scorer, "_score_func", None), "__name__", None)
    for notion in NOTIONS.values():
        if "classification" in notion.tasks and \
                notion.metric_name("difference") in (metric, key):
            return notion.name
    return None
