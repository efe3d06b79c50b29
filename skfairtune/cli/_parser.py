"""The parser of ``skfairtune`` and its sub-commands, with typed options."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from skfairtune._validation import BUDGET_RANGE, check_budget

from ._common import (
    EXIT_CODES,
    GAP_NAMES,
    METRIC_NAMES,
    NOTION_NAMES,
    PENALTY_NAMES,
    TUNE_EXIT_CODES,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``skfairtune`` command and its sub-commands.

    Returns
    -------
    argparse.ArgumentParser
    """
    from skfairtune import __version__

    parser = argparse.ArgumentParser(
        prog="skfairtune", description="Fine-tune neural networks for bias reduction.",
        epilog=f"Exit codes: {EXIT_CODES}.")
    parser.add_argument("--version", action="version", version=f"skfairtune {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_tune(commands)
    _add_audit(commands)
    _add_check(commands)
    return parser


def _add_demo(commands) -> None:
    demo = commands.add_parser(
        "demo", help="fine-tune a biased base model on the bundled Adult data",
        description="Train a base model on Adult (sensitive attribute: sex) the ordinary "
        "way, save its weights, fine-tune from them over a grid of penalty strengths "
        "with group-aware cross-validation, choose the most accurate model within the "
        "fairness budget, print accuracy and gaps, and write the report.",
        epilog=TUNE_EXIT_CODES)
    _add_tuning_options(demo, out="skfairtune-demo")
    demo.add_argument("--sample", type=_positive_int, metavar="N",
                      help="train on a random sample of N rows (a quicker look)")


def _add_tune(commands) -> None:
    tune = commands.add_parser(
        "tune", help="fine-tune on your own CSV or Parquet file",
        description="Hold out a test split of DATA, start from --pretrained weights (or "
        "train a base model), fine-tune over a grid of penalty strengths with "
        "group-aware cross-validation, choose within the budget, and save the chosen "
        "model and its report.", epilog=TUNE_EXIT_CODES)
    tune.add_argument("data", type=Path, help="a .csv, .tsv or .parquet file")
    _add_columns(tune)
    tune.add_argument("--drop", default="", metavar="COLUMN[,COLUMN]",
                      help="columns the model does not read: an identifier, or another "
                      "sensitive attribute to check the model on later (check ignores "
                      "columns the model does not know)")
    tune.add_argument("--pretrained", type=Path, metavar="FILE",
                      help="weights to start from (.safetensors, .pt or .pth) of a network "
                      "trained on the same encoding, such as a model.safetensors that "
                      "'skfairtune tune' wrote; default: train a base model first")
    tune.add_argument("--test-size", type=_fraction, default=0.25, metavar="FRACTION",
                      help="share of rows held out for the report (default: 0.25)")
    _add_tuning_options(tune, out="skfairtune-tune")


def _add_audit(commands) -> None:
    audit = commands.add_parser(
        "audit", help="audit a CSV or Parquet file for bias",
        description="Report how each group is represented, its base rate, the label "
        "imbalance, missing values by group and the features that act as proxies for "
        "the sensitive attribute; print it and write audit.html and audit.md.")
    audit.add_argument("data", type=Path, help="a .csv, .tsv or .parquet file")
    _add_columns(audit)
    audit.add_argument("--out", type=Path, default=Path("skfairtune-audit"), metavar="DIR",
                       help="folder for audit.html and audit.md (default: ./skfairtune-audit)")
    _add_overwrite(audit)


def _add_check(commands) -> None:
    check = commands.add_parser(
        "check", help="check a saved model's gaps on new labeled data against a budget",
        description="Score a saved model on new labeled data: each gap of the notion with "
        "a bootstrap interval, against --budget; print the table, write check.html, "
        "check.md and check.json, and exit with a code a CI or scheduled job can act on. "
        "MODEL is the --out folder that 'skfairtune tune' or 'demo' wrote (or its "
        "model.json or model.safetensors): the model is rebuilt from its description and "
        "weights, and nothing in the files runs, so use this form for a model you did not "
        "write yourself. MODEL may also be a pickle, such as model.pkl; loading a pickle "
        "runs code, so pass one only if you wrote it yourself.",
        epilog="Exit codes: 0 within the budget (the interval's upper end is at most "
        "--budget); 1 over the budget (its lower end is above it); 3 cannot tell (the "
        "interval straddles the budget: more rows would narrow it); 2 bad usage or "
        "input (rows of one group only, a label the model does not know, ...), before "
        "anything is written; 1 also when the check itself fails.")
    check.add_argument("model", type=Path, help="the saved model: the folder 'skfairtune "
                       "tune' wrote, or its model.json or model.safetensors (read without "
                       "running code); or a pickled fitted classifier or pipeline, such as "
                       "model.pkl (runs code as it loads)")
    check.add_argument("data", type=Path, help="new labeled rows: a .csv, .tsv or .parquet "
                       "file with the model's feature columns, the target and the "
                       "sensitive column(s)")
    _add_columns(check)
    check.add_argument("--budget", type=_budget, required=True, metavar="GAP",
                       help=f"the largest gap accepted, {BUDGET_RANGE}")
    check.add_argument("--notion", choices=NOTION_NAMES, default=None, metavar="NAME",
                       help=f"the notion whose gap is checked: {', '.join(NOTION_NAMES)} "
                       "(default: the one the model was trained with, from its penalty)")
    check.add_argument("--confidence", type=_fraction, default=0.9, metavar="LEVEL",
                       help="coverage of the two-sided bootstrap interval (default: 0.9)")
    check.add_argument("--n-boot", type=_positive_int, default=1000, metavar="N",
                       help="bootstrap replicates (default: 1000)")
    check.add_argument("--seed", type=_seed, metavar="N", default=0,
                       help="seed of the bootstrap (default: 0)")
    check.add_argument("--out", type=Path, default=Path("skfairtune-check"), metavar="DIR",
                       help="folder for check.html, check.md and check.json "
                       "(default: ./skfairtune-check)")
    _add_overwrite(check)


def _add_columns(parser) -> None:
    parser.add_argument("--target", required=True, metavar="COLUMN", help="the label column")
    parser.add_argument("--sensitive", required=True, metavar="COLUMN[,COLUMN]",
                        help="the sensitive column(s); several make intersectional groups")
    parser.add_argument("--pos-label", metavar="LABEL",
                        help="the positive label (default: 1, True, or the last in order); "
                        "with it, any other label counts as negative")


def _add_overwrite(parser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the files of an earlier run in --out (without it, "
                        "a file already there stops the command before it starts)")


def _add_tuning_options(parser, *, out: str) -> None:
    add = parser.add_argument
    add("--penalty", choices=PENALTY_NAMES, default="demographic_parity", metavar="NAME",
        help=f"the fairness penalty: {', '.join(PENALTY_NAMES)} "
        "(default: demographic_parity)")
    add("--strengths", type=_strengths, default=[0.0, 0.3, 1.0, 3.0, 10.0], metavar="LIST",
        help="comma-separated penalty strengths to search, finite and non-negative "
        "(default: 0,0.3,1,3,10)")
    add("--budget", type=_budget, default=0.05, metavar="GAP",
        help=f"the largest cross-validated gap accepted: {BUDGET_RANGE} (default: 0.05)")
    add("--constraint", choices=sorted(GAP_NAMES), default=None, metavar="GAP_NAME",
        help=f"the gap the budget is on: {', '.join(sorted(GAP_NAMES))} (default: the "
        "penalty's own difference; worst_group_error_rate for the group-loss penalties)")
    add("--metric", choices=sorted(METRIC_NAMES), default="accuracy", metavar="NAME",
        help=f"what the most accurate strength is chosen on: {', '.join(sorted(METRIC_NAMES))} "
        "(default: accuracy; on an imbalanced target, balanced_accuracy keeps the "
        "choice away from predicting the majority class)")
    add("--class-weight", choices=["balanced"], default=None, metavar="balanced",
        help="weigh each class by n_rows / (2 * its count) in training, as scikit-learn's "
        "class_weight='balanced': on an imbalanced target (10-30%% positives), a model "
        "that finds the rare class instead of predicting the majority for everyone "
        "(default: every row weighs 1)")
    add("--confidence", type=_fraction, default=None, metavar="LEVEL",
        help="choose by an upper confidence bound on the cross-validated gap at this "
        "level (0.9, say) instead of its mean, so that the budget holds on new data "
        "more often (default: the mean)")
    add("--epochs", type=_positive_int, metavar="N", default=3,
        help="fine-tuning epochs (default: 3)")
    add("--base-epochs", type=_auto_or_positive_int, metavar="N", default="auto",
        help="epochs of the base model, when one is trained (default: auto, as the "
        "estimators: enough steps for the data, stopped on a held-out slice)")
    add("--batch-size", type=_auto_or_positive_int, metavar="N", default="auto",
        help="rows per training step (default: auto, about the square root of the rows)")
    add("--lr", type=_positive_float, metavar="RATE", default=1e-3,
        help="learning rate (default: 0.001)")
    add("--folds", type=_positive_int, metavar="N", default=3,
        help="cross-validation folds, at least 2 (default: 3)")
    add("--n-jobs", type=_n_jobs, metavar="N", default=1,
        help="parallel fits; -1 for one per core (default: 1)")
    add("--scheduler", metavar="ADDRESS",
        help="run the grid search on this dask.distributed scheduler")
    add("--scheduler-timeout", type=_non_negative, default=10.0, metavar="SECONDS",
        help="how long to try reaching the scheduler (default: 10)")
    add("--seed", type=_seed, metavar="N", default=0, help="random seed (default: 0)")
    add("--no-progress", action="store_true", help="no progress bar")
    add("--out", type=Path, default=Path(out), metavar="DIR",
        help=f"folder for the weights, the model and the report (default: ./{out})")
    _add_overwrite(parser)


def _strengths(text: str) -> list:
    try:
        # + 0.0: "-0" is the strength 0, not a row labelled -0.
        values = [float(s) + 0.0 for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated numbers: {text!r}") from None
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"need finite non-negative numbers: {text!r}")
    return sorted(set(values))


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _auto_or_positive_int(text: str) -> int | str:
    return "auto" if text.strip().lower() == "auto" else _positive_int(text)


def _n_jobs(text: str) -> int:
    value = _whole(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive number of fits, or negative "
                                         "to count back from the cores (-1: all): got 0")
    return value


def _seed(text: str) -> int:
    value = _whole(text)
    # numpy's seeds are 32-bit unsigned integers.
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be between 0 and {2**32 - 1}: {text!r}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _non_negative(text: str) -> float:
    value = _number(text)
    # nan fails every comparison, so this refuses it too.
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite non-negative number: {text!r}")
    return value + 0.0  # -0 is 0


def _budget(text: str) -> float:
    try:
        return check_budget(_number(text))
    except ValueError as exc:  # the range and its message are model_report's too
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _non_negative(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value
