"""``skfairtune check``: a saved model held to a fairness budget on new labeled data.

The model is scored on the new rows; the gap of its notion gets a bootstrap
interval, and the exit code says where the interval stands against the
budget, for a CI job or a scheduled job to act on:

* 0 (``EXIT_OK``): the interval's upper end is within the budget;
* 1 (``EXIT_OVER``): its lower end is above the budget;
* 3 (``EXIT_UNSURE``): it straddles the budget, and the rows cannot tell;
* 2 (``EXIT_USAGE``): bad options or input, before anything is scored.

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

from skfairtune._labels import label_text, positive_label
from skfairtune.notions import NOTIONS

from ._common import EXIT_OK, EXIT_OVER, EXIT_UNSURE, UsageError
from ._files import OutputFolder
from ._inputs import binary_target, check_columns, read_table
from ._output import number

CHECK_FILES = ["check.html", "check.md", "check.json"]
_CODES = {"within": EXIT_OK, "over": EXIT_OVER, "uncertain": EXIT_UNSURE}


def run_check(args) -> int:
    """Score the model on the data, print the gaps, write the report; the exit code."""
    model = load_model(args.model)
    notion = model_notion(model, args.notion)
    frame = read_table(args.data)
    target, sensitive = check_columns(frame, args.target, args.sensitive, args.data)
    out = OutputFolder(args.out, CHECK_FILES, overwrite=args.overwrite)
    X = frame.drop(columns=[target])
    check_features(model, X, args.data)
    y, names = check_target(model, frame[target], args.pos_label, target)
    report = _report(args, model, X, y, sensitive, notion, names)
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


def check_features(model, X: pd.DataFrame, path) -> None:
    """Refuse data that lacks a column the model reads."""
    expected = getattr(model, "feature_names_in_", None)
    if expected is None:
        return
    missing = [c for c in expected if c not in X.columns]
    if missing:
        raise UsageError(f"{path} lacks {len(missing)} column(s) the model reads: "
                         f"{', '.join(map(str, missing[:10]))}")


def check_target(model, y: pd.Series, pos_label, name: str):
    """The labels in the model's classes, and the classes' names for the report.

    Labels the model knows are used as they are; otherwise (a model that
    ``tune`` trained on 0/1 from labels such as "yes"/"no") they become
    0/1 by the ``--pos-label`` rule, as ``tune`` made them.
    """
    if y.isna().any():
        raise UsageError(f"the target {name!r} has {int(y.isna().sum())} missing value(s); "
                         "drop or fill those rows first")
    classes = list(model.classes_)
    if set(y.unique()) <= set(classes):
        if pos_label is not None and str(pos_label) != str(positive_label(classes)):
            raise UsageError(f"--pos-label {pos_label!r}: the model's positive class is "
                             f"{label_text(positive_label(classes))!r}")
        return y.to_numpy(), None
    if not _zero_one(classes):
        shown = ", ".join(map(label_text, y.unique()[:10]))
        raise UsageError(f"the target {name!r} has labels ({shown}) that are not the model's "
                         f"classes ({', '.join(map(label_text, classes))})")
    tuned = getattr(model, "class_names_", {}).get(1)
    if tuned is not None:
        binary = _as_tuned(y, tuned, pos_label, name)
    else:
        binary = binary_target(y, pos_label, name).to_numpy()
    positive = {label_text(v) for v in y[binary == 1].unique()}
    negative = {label_text(v) for v in y[binary == 0].unique()}
    names = {classes[1]: positive.pop() if len(positive) == 1 else "positive",
             classes[0]: negative.pop() if len(negative) == 1 else "negative"}
    return np.where(binary == 1, classes[1], classes[0]), names


def _as_tuned(y: pd.Series, positive: str, pos_label, name: str) -> np.ndarray:
    """0/1 by the positive label ``tune`` recorded with the model (its class_names_)."""
    if pos_label is not None and str(pos_label) != positive:
        raise UsageError(f"--pos-label {pos_label!r}: the model was tuned with {positive!r} "
                         "as the positive class; drop --pos-label or name that class")
    texts = y.map(label_text)
    if not (texts == positive).any():
        raise UsageError(f"no row of the target {name!r} holds {positive!r}, the positive "
                         "class the model was tuned for")
    return (texts == positive).astype(int).to_numpy()


def _zero_one(classes: list) -> bool:
    """Whether the classes are 0 and 1 (as numbers of any type), as ``tune`` trains."""
    try:
        return [float(c) for c in classes] == [0.0, 1.0]
    except (TypeError, ValueError):
        return False


def _report(args, model, X, y, sensitive, notion, names):
    from skfairtune.report import model_report

    groups = X[sensitive[0]] if len(sensitive) == 1 else X[sensitive]
    card = {"Data": str(args.data), "Model file": str(args.model),
            "Check": f"the {NOTIONS[notion].title} gap against {args.budget:g}, "
                     f"{args.confidence:.0%} interval from {args.n_boot} bootstrap replicates"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report and the lines below say what matters
        try:
            return model_report(
                model, X, y, sensitive_features=groups, notion=notion, budget=args.budget,
                n_boot=args.n_boot, confidence=args.confidence, random_state=args.seed,
                title=f"skfairtune check: {args.data.name}", class_names=names, card=card)
        except ValueError as exc:
            raise UsageError(f"the model cannot score {args.data}: {exc}") from None


def print_check(args, report, code: int) -> None:
    """The gaps with their intervals, the groups, and the verdict."""
    notion = report.notion_object
    key = notion.metric_name("difference")
    print(f"{report.title}\n{len(report.groups)} groups, "
          f"{int(report.groups['count'].sum()):,} rows: "
          + ", ".join(f"{label_text(g)} {n:,.0f}" for g, n in
                      report.groups["count"].iloc[:10].items()) + "\n")
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
        shown = ", ".join(f"{label_text(g)} ({n:,.0f} rows)" for g, n in small.iloc[:5].items())
        print(f"skfairtune: warning: small groups, whose rates are uncertain: {shown}",
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
            "degenerate": report.degenerate, "model": str(args.model), "data": str(args.data),
            "date": report.created}


def _float(value) -> float | None:
    return None if pd.isna(value) else float(value)
