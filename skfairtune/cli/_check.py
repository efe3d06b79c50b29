"""``skfairtune check``: a saved model held to a fairness budget on new labeled data.

The model is scored on the new rows; the gap of its notion gets a bootstrap
interval, and the exit code says where the interval stands against the
budget, for a CI job or a scheduled job to act on:

* 0 (``EXIT_OK``): the interval's upper end is within the budget;
* 1 (``EXIT_OVER``): its lower end is above the budget;
* 3 (``EXIT_UNSURE``): it straddles the budget, and the rows cannot tell;
* 2 (``EXIT_USAGE``): bad options or input, before anything is scored or
  written: rows of one group only (a gap compares groups), or a label the
  model does not know, among others.

The report (``check.html``, ``check.md``) and a machine-readable summary
(``check.json``) go into ``--out``, under the rules of every command.
"""

from __future__ import annotations

import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from skfairtune._labels import label_text, positive_label, sorted_labels
from skfairtune.notions import NOTIONS

from ._common import EXIT_OK, EXIT_OVER, EXIT_UNSURE, UsageError
from ._files import OutputFolder
from ._inputs import binary_target, check_columns, read_table
from ._output import group_sizes, number, shown

CHECK_FILES = ["check.html", "check.md", "check.json"]
_CODES = {"within": EXIT_OK, "over": EXIT_OVER, "uncertain": EXIT_UNSURE}


def run_check(args) -> int:
    """Score the model on the data, print the gaps, write the report; the exit code."""
    model = load_model(args.model)
    notion = model_notion(model, args.notion)
    frame = read_table(args.data)
    target, sensitive = check_columns(frame, args.target, args.sensitive, args.data)
    groups = check_groups(frame, sensitive, args.data)
    X = model_features(model, frame.drop(columns=[target]), args.data)
    y, names = check_target(model, frame[target], args.pos_label, target)
    check_scores(model, X, args.data)
    out = OutputFolder(args.out, CHECK_FILES, overwrite=args.overwrite)
    report = _report(args, model, X, y, groups, notion, names)
    code = _CODES[report.verdict]
    print_check(args, report, code)
    _warn(report)
    with out:
        report.write(out.staging, name="check")
        out.file("check.json").write_text(json.dumps(summary(args, report, code), indent=2))
        written = out.commit()
    print(f"Wrote to {out}/: {', '.join(written)}")
    return code


def load_model(path: Path):
    """Read a fitted binary classifier, with errors that say what is wrong.

    ``path`` is the safe form that ``tune`` writes (its folder, or the
    ``model.json`` or ``model.safetensors`` in it), rebuilt without running
    anything from the files, or a pickle, which runs code as it loads. The
    model ``tune`` saves predicts the file's labels; check reads the 0/1
    pipeline inside it, with the names ``tune`` recorded (``class_names_``).
    """
    from ._model_file import TunedModel, is_model_files, read_model

    if not path.exists():
        raise UsageError(f"MODEL {path}: no such file or folder")
    if is_model_files(path):
        model = read_model(path)
    elif not path.is_file():
        raise UsageError(f"MODEL {path}: not a file")
    else:
        model = _unpickle(path)
    if isinstance(model, TunedModel):
        model = model.pipeline
    classes = getattr(model, "classes_", None)
    if not hasattr(model, "predict") or classes is None:
        raise UsageError(f"MODEL {path} holds a {type(model).__name__}, not a fitted "
                         "classifier (one with predict and classes_)")
    if len(classes) != 2:
        raise UsageError(f"MODEL {path} is a classifier of {len(classes)} classes; check "
                         "reads binary classifiers")
    return model


def _unpickle(path: Path):
    try:
        with open(path, "rb") as file:
            return pickle.load(file)  # noqa: S301 - the user's own file, as --help warns
    except (pickle.UnpicklingError, EOFError, ImportError, AttributeError, ValueError,
            TypeError, IndexError) as exc:
        raise UsageError(f"MODEL {path} is not a saved model (the model.pkl that "
                         f"'skfairtune tune' writes): {type(exc).__name__}: {exc}") from None


def model_notion(model, notion: str | None) -> str:
    """``--notion``, or the notion the model was trained with (its penalty)."""
    if notion is not None:
        return notion
    from sklearn.pipeline import Pipeline

    step = model[-1] if isinstance(model, Pipeline) else model
    penalty = getattr(step, "penalty", None)
    if isinstance(penalty, str) and penalty in NOTIONS:
        return penalty
    raise UsageError(f"--notion: the model was not trained with a notion's penalty "
                     f"(penalty={penalty!r}); name the notion to check with --notion "
                     f"({', '.join(NOTIONS)})")


def check_groups(frame: pd.DataFrame, sensitive: list, path) -> pd.Series | pd.DataFrame:
    """The sensitive column(s), after checking that they hold two groups or more.

    A gap compares groups: rows of one group have none, and a gap of 0 there
    would pass any budget while saying nothing about fairness.
    """
    distinct = frame[sensitive].drop_duplicates()
    if len(distinct) < 2:
        group = tuple(distinct.iloc[0]) if len(sensitive) > 1 else distinct.iloc[0, 0]
        raise UsageError(f"every row of {path} is in one group of --sensitive "
                         f"{','.join(map(shown, sensitive))} ({shown(group)}): a gap compares "
                         "groups, so these rows cannot tell whether the model is within the "
                         "budget; check it on rows of two groups or more")
    return frame[sensitive[0]] if len(sensitive) == 1 else frame[sensitive]


def model_features(model, X: pd.DataFrame, path) -> pd.DataFrame:
    """The columns the model reads, in the order it was fitted on; the rest left aside.

    A model fitted on a frame knows its columns (``feature_names_in_``): the
    sensitive column and any other beside them are not its features, and
    scikit-learn refuses columns it did not see at fit. A model fitted
    without column names is given every column but the target.
    """
    expected = getattr(model, "feature_names_in_", None)
    if expected is None:
        return X
    missing = [c for c in expected if c not in X.columns]
    if missing:
        raise UsageError(f"{path} lacks {len(missing)} column(s) the model reads: "
                         f"{', '.join(map(shown, missing[:10]))}")
    return X[list(expected)]


def check_scores(model, X: pd.DataFrame, path) -> None:
    """Refuse, before anything is written, a file whose rows the model cannot score
    (text in a number column, a value its encoder refuses)."""
    try:
        model.predict(X)
    except ValueError as exc:
        raise UsageError(f"the model cannot score {path}: {exc}{_text_among_numbers(X)}"
                         ) from None


def _text_among_numbers(X: pd.DataFrame) -> str:
    """Which columns hold text among numbers, the usual cause, said by name."""
    found = []
    for name in X.columns:
        if pd.api.types.is_numeric_dtype(X[name]):
            continue
        values = X[name].dropna()
        numbers = pd.to_numeric(values, errors="coerce")
        if len(values) and numbers.notna().mean() > 0.5 and numbers.isna().any():
            found.append(f"{shown(name)} ({shown(values[numbers.isna()].iloc[0])!r} among "
                         "numbers)")
    return f"; text in a number column: {', '.join(found)}" if found else ""


def check_target(model, y: pd.Series, pos_label, name: str):
    """The labels in the model's classes, and the classes' names for the report.

    A model that ``tune`` trained on 0/1 from the file's labels (such as
    "yes"/"no") recorded which label was 1 (its ``class_names_``): new labels
    become 0/1 by that record. Otherwise labels the model knows are used as
    they are, and a 0/1 model's two other labels become 0/1 by the
    ``--pos-label`` rule. A label the model cannot place is an error, never
    a silent negative.
    """
    if y.isna().any():
        raise UsageError(f"the target {name!r} has {int(y.isna().sum())} missing value(s); "
                         "drop or fill those rows first")
    classes = list(model.classes_)
    tuned = getattr(model, "class_names_", None) or {}
    if tuned.get(1) is not None and _zero_one(classes):
        binary = _as_tuned(y, tuned, pos_label, name)
        return np.where(binary == 1, classes[1], classes[0]), dict(tuned)
    labels = sorted_labels(y)
    if set(labels) <= set(classes):
        if pos_label is not None and str(pos_label) != str(positive_label(classes)):
            raise UsageError(f"--pos-label {pos_label!r}: the model's positive class is "
                             f"{label_text(positive_label(classes))!r}")
        return y.to_numpy(), None
    if not _zero_one(classes) or len(labels) > 2:
        unknown = [v for v in labels if v not in set(classes)]
        raise UsageError(f"the target {name!r} has labels the model does not know: "
                         f"{_listed(unknown)} (its classes: {_listed(classes)}); drop those "
                         "rows or relabel them")
    binary = binary_target(y, pos_label, name).to_numpy()
    positive = {label_text(v) for v in y[binary == 1].unique()}
    negative = {label_text(v) for v in y[binary == 0].unique()}
    names = {classes[1]: positive.pop() if len(positive) == 1 else "positive",
             classes[0]: negative.pop() if len(negative) == 1 else "negative"}
    return np.where(binary == 1, classes[1], classes[0]), names


def _as_tuned(y: pd.Series, names: dict, pos_label, name: str) -> np.ndarray:
    """0/1 by the labels ``tune`` recorded with the model (its ``class_names_``)."""
    positive, negative = names[1], names.get(0)
    if pos_label is not None and str(pos_label) != positive:
        raise UsageError(f"--pos-label {pos_label!r}: the model was tuned with {positive!r} "
                         "as the positive class; drop --pos-label or name that class")
    texts = y.map(label_text)
    # tune names the negative class "not <positive>" when several labels made
    # it up: every label but the positive one is negative then, as tune counted.
    if negative is not None and negative != f"not {positive}":
        unknown = sorted_labels(texts[~texts.isin([positive, negative])])
        if unknown:
            raise UsageError(f"the target {name!r} has labels the model was not tuned on: "
                             f"{_listed(unknown)} (it knows {positive!r}, the positive "
                             f"class, and {negative!r}); drop those rows or relabel them")
    if not (texts == positive).any():
        raise UsageError(f"no row of the target {name!r} holds {positive!r}, the positive "
                         "class the model was tuned for")
    return (texts == positive).astype(int).to_numpy()


def _listed(values: list) -> str:
    """The first ten values, terminal-safe, and how many more."""
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return ", ".join(map(shown, values[:10])) + more


def _zero_one(classes: list) -> bool:
    """Whether the classes are 0 and 1 (as numbers of any type), as ``tune`` trains."""
    try:
        return [float(c) for c in classes] == [0.0, 1.0]
    except (TypeError, ValueError):
        return False


def _report(args, model, X, y, groups, notion, names):
    from skfairtune.report import model_report

    card = {"Data": str(args.data), "Model file": str(args.model),
            "Check": f"the {NOTIONS[notion].title} gap against {args.budget:g}, "
                     f"{args.confidence:.0%} interval from {args.n_boot} bootstrap replicates"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report and the lines below say what matters
        try:
            return model_report(
                model, X, y, sensitive_features=groups, notion=notion, budget=args.budget,
                n_boot=args.n_boot, confidence=args.confidence, random_state=args.seed,
                title=f"skfairtune check: {args.data.name}", class_names=names, card=card,
                rows="new")
        except ValueError as exc:
            raise UsageError(f"the model cannot score {args.data}: {exc}") from None


def print_check(args, report, code: int) -> None:
    """The gaps with their intervals, the groups, and the verdict."""
    notion = report.notion_object
    key = notion.metric_name("difference")
    print(f"{shown(report.title)}\n{len(report.groups)} groups, "
          f"{int(report.groups['count'].sum()):,} rows: {group_sizes(report)}\n")
    level = f"{args.confidence:.0%} interval"
    print(f"{'gap':<28}{'value':>8}  {level:<18}budget")
    for other in NOTIONS.values():
        name = other.metric_name("difference")
        if name not in report.fairness.index:
            continue
        row = report.fairness.loc[name]
        line = (f"{other.title + ' gap':<28}{number(row['value']):>8}  "
                f"{number(row['low']) + ' to ' + number(row['high']):<18}"
                + (f"{args.budget:g}  <- checked" if name == key else ""))
        print(line.rstrip())
    print(f"\n{verdict_text(report, args)} (exit code {code})")


def verdict_text(report, args) -> str:
    """The verdict in one sentence."""
    row = report.fairness.loc[report.notion_object.metric_name("difference")]
    gap = f"{report.notion_object.title} gap"
    low, high = number(row["low"]), number(row["high"])
    if report.verdict == "within":
        return f"Within the budget: the {gap}'s interval ends at {high} <= {args.budget:g}."
    if report.verdict == "over":
        return f"Over the budget: the {gap}'s interval starts at {low} > {args.budget:g}."
    if np.isnan(row["value"]):
        return f"Cannot tell: the {gap} is undefined on these rows."
    return (f"Cannot tell: the {gap}'s interval, {low} to {high}, straddles the budget "
            f"{args.budget:g}; more rows would narrow it.")


def _warn(report) -> None:
    if report.degenerate:
        print(f"skfairtune: warning: the model {report.degenerate}; its small gaps say "
              "nothing about fairness", file=sys.stderr)
    small = report.small_groups
    if len(small):
        sizes = ", ".join(f"{shown(g)} ({n:,.0f} rows)" for g, n in small.iloc[:5].items())
        print(f"skfairtune: warning: small groups, whose rates are uncertain: {sizes}",
              file=sys.stderr)
    if report.fitted_on_note:
        print(f"skfairtune: note: {shown(report.fitted_on_note)}", file=sys.stderr)
    if report.unseen_groups:
        print("skfairtune: warning: groups the model was not fine-tuned on (the penalty "
              f"never acted on them): {_listed(report.unseen_groups)}", file=sys.stderr)
    for column, values in report.unseen_categories.items():
        print(f"skfairtune: warning: values of {shown(column)} never seen in training (the "
              f"model reads them as none of its categories): {_listed(values)}",
              file=sys.stderr)


def summary(args, report, code: int) -> dict:
    """What ``check.json`` holds: the verdict and the numbers behind it."""
    key = report.notion_object.metric_name("difference")
    gaps = {name: {k: _float(report.fairness.loc[name, k]) for k in ("value", "low", "high")}
            for name in report.fairness.index}
    return {"verdict": report.verdict, "exit_code": code, "notion": report.notion,
            "metric": key, "budget": args.budget, "confidence": args.confidence,
            "n_boot": args.n_boot, "seed": args.seed, "gap": gaps[key], "gaps": gaps,
            "rows": int(report.groups["count"].sum()),
            "groups": {label_text(g): int(n) for g, n in report.groups["count"].items()},
            "small_groups": [label_text(g) for g in report.small_groups.index],
            "unseen_groups": [label_text(g) for g in report.unseen_groups],
            "fine_tuned_on": report.fitted_on,
            "unseen_categories": {label_text(c): [label_text(v) for v in values]
                                  for c, values in report.unseen_categories.items()},
            "degenerate": report.degenerate, "model": str(args.model), "data": str(args.data),
            "date": report.created}


def _float(value) -> float | None:
    return None if pd.isna(value) else float(value)
