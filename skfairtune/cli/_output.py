"""What a fine-tuning run shows and leaves behind: its progress bar, its table,
the saved model and the report."""

from __future__ import annotations

import sys
import warnings

import pandas as pd

from ._common import GAP_NAMES, PASSED_OVER, Job, short


class Progress:
    """The run's tqdm bar: one tick per fit, cross-validation, refit, then testing."""

    def __init__(self, job: Job):
        self.job = job

    def __enter__(self):
        from tqdm.auto import tqdm

        n = len(self.job.strengths)
        # Cross-validation, the refit, then the base and the other strengths on the test split.
        total = n * self.job.folds + 1 + n
        self.bar = tqdm(total=total, unit="fit", desc="cross-validating", file=sys.stderr,
                        disable=not self.job.progress, dynamic_ncols=True)
        return self

    def __exit__(self, *exc):
        self.bar.close()

    def candidates(self, n: int, strength: float, gap: float) -> None:
        """``n`` more candidates evaluated, the last at ``strength`` with ``gap``."""
        shown = "failed" if pd.isna(gap) else number(gap)
        self.bar.set_postfix_str(f"strength {strength:g}: {GAP_NAMES[self.job.constraint]} "
                                 f"{shown}")
        self.bar.update(n * self.job.folds)
        if self.bar.n == len(self.job.strengths) * self.job.folds:
            self.bar.set_description("refitting the chosen strength")

    def refitted(self) -> None:
        self.bar.update(1)
        self.bar.set_description("testing each strength")

    def tested(self) -> None:
        self.bar.update(1)


def warn(caught: list) -> None:
    from sklearn.exceptions import FitFailedWarning

    from skfairtune.exceptions import (
        BudgetNotMetWarning,
        DegenerateModelWarning,
        UndefinedGroupWarning,
    )

    # The table already says when the budget was missed, and shows undefined
    # rates; the notes under it say which strengths failed or are degenerate.
    skipped = (BudgetNotMetWarning, UndefinedGroupWarning, DeprecationWarning,
               FitFailedWarning, DegenerateModelWarning)
    messages = dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                             if not issubclass(w.category, skipped))
    for message in list(messages)[:5]:
        print(f"skfairtune: warning: {message}", file=sys.stderr)


def print_results(job: Job, search, table: pd.DataFrame, notes: list) -> None:
    """The run's table, the strengths that failed, and the choice, on standard output."""
    print(f"{job.title}\n{start_text(job)}; {len(job.train):,} training rows, "
          f"{len(job.test):,} test rows.\n")
    print(format_table(table, {"cross-validated": f"cross-validated ({job.folds} folds)",
                               "test": "test split"}))
    for note in [*notes, *degenerate_notes(table)]:
        print(f"! {note}")
    print(f"\n{choice(job, table)}")


def start_text(job: Job) -> str:
    """Where fine-tuning started, and with which penalty, in words."""
    penalty = job.penalty.replace("_", " ")
    if job.pretrained:
        return f"Fine-tuned with the {penalty} penalty from the --pretrained weights"
    return (f"A base model was trained here without a penalty, then fine-tuned from it "
            f"with the {penalty} penalty")


def degenerate_notes(table: pd.DataFrame) -> list:
    """One line per row marked ``!``: the model it stands for is degenerate."""
    return [f"{'the base model' if label == 'base' else f'strength {label}'} {reason}; "
            "its gaps say nothing about fairness"
            for label, reason in table[("degenerate", "")].items() if reason]


def format_table(table: pd.DataFrame, parts: dict, width: int = 9) -> str:
    """The results as aligned text under a header per part; ``*`` marks the choice."""
    labels = [f"{s}{' *' if chosen else ''}{' !' if flag else ''}"
              for s, chosen, flag in zip(table.index, table["chosen"], table["degenerate"])]
    first = max(len(table.index.name or ""), *map(len, labels)) + 2
    # A space at least between columns, whatever their names.
    width = max(width, *(len(name) + 1 for part, name in table.columns if part in parts))
    lines = [" " * first, (table.index.name or "").ljust(first)]
    for part, title in parts.items():
        names = [name for p, name in table.columns if p == part]
        block = len(names) * width
        lines[0] += "  " + title.center(block)[:block]
        lines[1] += "  " + "".join(n.rjust(width) for n in names)
    for label, (_, row) in zip(labels, table.iterrows()):
        cells = ["  " + "".join(_cell(row[(part, n)], width)
                                for p, n in table.columns if p == part) for part in parts]
        lines.append(label.ljust(first) + "".join(cells))
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: float, width: int) -> str:
    return ("-" if pd.isna(value) else number(value)).rjust(width)


def number(value: float) -> str:
    """``value`` to three decimals; a zero never shows a minus sign.

    Examples
    --------
    >>> from skfairtune.cli._output import number
    >>> number(-0.0), number(-0.0001), number(0.1234)
    ('0.000', '0.000', '0.123')
    """
    # round() keeps the sign of a tiny negative (-0.0); adding 0.0 drops it.
    return f"{round(float(value), 3) + 0.0:.3f}"


def shown(value) -> str:
    r"""A group, label or column name as the terminal may show it.

    The one path by which names from the user's data reach standard output
    and error: :func:`~skfairtune._labels.label_text` (an intersectional
    group as ``"f / a"``), then control characters and bidirectional
    overrides as escapes (``\x1b``, ``\u202e``), so that a value in a file
    can neither drive the terminal nor reorder the line it is shown on.

    Examples
    --------
    >>> from skfairtune.cli._output import shown
    >>> print(shown("\x1b[31mRED\x1b[0m"), shown(("f", "\u202eb")))
    \x1b[31mRED\x1b[0m f / \u202eb
    """
    from skfairtune._labels import label_text
    from skfairtune._safe_text import terminal_safe

    return terminal_safe(label_text(value))


def met_budget(job: Job, table: pd.DataFrame) -> bool:
    """Whether the chosen strength met the budget, as the choice judged it: its
    cross-validated gap, or the gap's upper bound with ``--confidence``."""
    chosen = table.index[table["chosen"]][0]
    judged = short(job.constraint) if job.confidence is None else job.bound_name
    return bool(table.loc[chosen, ("cross-validated", judged)] <= job.budget)


def choice(job: Job, table: pd.DataFrame) -> str:
    """Which strength was chosen and why, and what it changed on the test split."""
    chosen = table.index[table["chosen"]][0]
    gap = short(job.constraint)
    best_by = "most accurate" if job.metric == "accuracy" else f"best by {job.metric}"
    what = (f"a cross-validated {gap}" if job.confidence is None else
            f"a {job.confidence:.0%} upper bound on the cross-validated {gap}")
    passed_over = (table[("degenerate", "")] == PASSED_OVER).any()
    if met_budget(job, table):
        head = f"* chosen: strength {chosen}, the {best_by} with {what} <= {job.budget:g}."
    elif passed_over:
        head = (f"* chosen: strength {chosen}, the fairest of the strengths that are not "
                f"degenerate: none met the budget ({what} <= {job.budget:g}). Raise "
                "--budget, or train longer (--epochs) or with smaller --strengths, so that "
                "the penalty narrows the gap without collapsing to one class.")
    else:
        head = (f"* chosen: strength {chosen}, the fairest: no strength met the budget "
                f"({what} <= {job.budget:g}). Raise --budget or try larger --strengths.")
    base, best = table.loc["base"], table.loc[chosen]
    changes = ", ".join(f"{name} {number(base[('test', name)])} -> "
                        f"{number(best[('test', name)])}"
                        for name in [*map(short, job.scores), *map(short, job.gaps)])
    text = f"{head}\n  On the test split, base -> chosen: {changes}."
    if table.loc[chosen, ("degenerate", "")]:
        text += (f"\n  Warning: the chosen model {table.loc[chosen, ('degenerate', '')]}: "
                 "do not read its small gaps as fairness.")
    return text


def save(job: Job, search, table: pd.DataFrame, test: tuple, notes: list, *,
         base=None) -> None:
    """Write the chosen model, the table and the report into ``job.out``.

    The model goes in two forms (see ``_model_file``): ``model.json`` beside
    ``model.safetensors``, which ``skfairtune check`` loads without running
    anything from the files, and ``model.pkl``, a pickle: loading it runs
    code, so only load files you trust.
    """
    from ._model_file import write_model

    model = search.best_estimator_
    # The run trains on 0/1: which label of the file was 1 travels with the
    # model, so that check reads new labels by the same rule.
    model.class_names_ = dict(job.class_names or {})
    write_model(job.out, model, job.labels)
    _flat(table, lambda part, name: f"{_PREFIX[part]}_{name}".lower().replace(" ", "_")
          ).to_csv(job.out.file("results.csv"))
    report = _report(job, search, _flat(table, "{} {}".format),
                     [choice(job, table), *notes, *degenerate_notes(table)], test, base)
    print_report(report)
    written = set(job.out.commit())
    # In the order a reader wants them: the weights, the model, the table, the report.
    order = ["base.safetensors", "model.safetensors", "model.json", "model.pkl",
             "results.csv", "report.html", "report.md"]
    shown = [n for n in order if n in written] + sorted(written - set(order))
    print(f"\nWrote to {job.out}/: {', '.join(shown)}")


_PREFIX = {"cross-validated": "cv", "test": "test"}
# The test rows whose gap is explained feature by feature (half from each group),
# and the features printed: enough to name what carries the gap, in seconds.
EXPLAINED_ROWS = 400
TOP_FEATURES = 3


def _flat(table: pd.DataFrame, join) -> pd.DataFrame:
    """The table with one level of column names: ``join(part, name)``, and ``chosen``."""
    flat = table.copy()
    flat.columns = [part if not name else join(part, name) for part, name in flat.columns]
    return flat


def _report(job: Job, search, flat: pd.DataFrame, notes: list, test: tuple, base) -> dict:
    from skfairtune.report import model_report

    X_test, y_test, groups_test = test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined rates show as dashes in the tables
        report = model_report(
            search.best_estimator_, X_test, y_test, sensitive_features=groups_test,
            search=search, title=job.title, base=base, random_state=job.seed,
            notes=[notes[0].replace("* chosen", "Chosen"), *notes[1:]],
            tables={"Accuracy and gaps by penalty strength": flat},
            class_names=job.class_names, card=_card(job), explain=EXPLAINED_ROWS)
        report.write(job.out.staging)
        return report


def print_report(report) -> None:
    """The report's summary, its gaps with their intervals, and each group before
    and after, on standard output."""
    level = f"{report.confidence:.0%} interval" if report.confidence else "interval"
    print(f"\nOn the test split ({level}s from a bootstrap of its rows):")
    for sentence in report.summary():
        print(f"  {shown(sentence)}")
    gaps = report.fairness.loc[[k for k in GAP_NAMES if k in report.fairness.index]]
    before = None if report.base is None else report.base.fairness
    print(f"\n{'gap':<28}{'base':>8}{'chosen':>9}  {level}")
    for key, row in gaps.iterrows():
        base = "-" if before is None else number(before.loc[key, "value"])
        bounds = (f"{number(row['low'])} to {number(row['high'])}" if "low" in row
                  else "")
        print(f"{short(key):<28}{base:>8}{number(row['value']):>9}  {bounds}")
    frame = report.by_group()
    if frame is not None:
        frame = frame.map(number)
        frame.index = [f"{shown(g)} / {m}" for g, m in frame.index]
        print(f"\nBy group (rows: {group_sizes(report)}):\n{frame.to_string()}")
    print_explanation(report)


def print_explanation(report) -> None:
    """The features that carry most of the gap in mean score, base -> chosen."""
    found = report.explanation
    if found is None:
        return
    if found.chosen is None:
        print(f"\nThe gap cannot be explained feature by feature: {shown(found.reason)}")
        return
    a, b = (shown(g) for g in found.chosen.groups)
    top = found.top(TOP_FEATURES)
    print(f"\nWhere the {found.notion.replace('_', ' ')} gap in mean score ({a} - {b}) "
          f"comes from, top {len(top)} features:")
    if found.comparison is not None:  # the summary above already named the top feature
        print(f"  {shown(found.change_sentence())}")
    features = [shown(f) for f in top.index]
    width = max(len("feature"), *(len(f) for f in features)) + 2
    print(f"{'feature':<{width}}{'base -> chosen':>18}{'share':>8}  proxy")
    for feature, (_, row) in zip(features, top.iterrows()):
        before = f"{number(row['base'])} -> " if "base" in row else ""
        proxy = f"yes (AUC {row['proxy AUC']:.2f})" if row["proxy"] else "no"
        share = "-" if pd.isna(row["share"]) else f"{row['share']:.0%}"
        print(f"{feature:<{width}}{before + number(row['chosen']):>18}{share:>8}  {proxy}")


def group_sizes(report) -> str:
    """The rows of each group (the first ten), as the terminal shows them."""
    return ", ".join(f"{shown(g)} {n:,.0f}" for g, n in report.groups["count"].iloc[:10].items())


def _card(job: Job) -> dict:
    """What only the run knows, for the report's model card."""
    return {"Data": job.data_name, "Training rows": f"{len(job.train):,}",
            "Held-out rows": f"{len(job.test):,} (the test split)",
            "Start": start_text(job),
            "Strengths searched": ", ".join(f"{s:g}" for s in job.strengths),
            "Cross-validation": f"{job.folds} folds, stratified by group and label",
            "Seed": str(job.seed)}
