"""The commands that train or audit: ``demo``, ``tune`` and ``audit``."""

from __future__ import annotations

import warnings

from skfairtune._labels import label_text, plain, sorted_labels
from skfairtune.notions import budget_metric

from ._common import Job, UsageError
from ._files import OutputFolder
from ._inputs import (
    binary_target,
    check_columns,
    check_dropped,
    check_folds,
    label_value,
    read_table,
)
from ._tune import tune

# What demo and tune write into --out; base.safetensors only when they train a base.
TUNE_FILES = ["model.safetensors", "model.json", "model.pkl", "results.csv", "report.html",
              "report.md"]
# What audit writes into --out: the report's two files, as DatasetAudit.write names them.
AUDIT_FILES = ["audit.html", "audit.md"]


def run_demo(args) -> int:
    """Fine-tune on the bundled Adult data (sensitive attribute: sex)."""
    from skfairtune.datasets import load_adult

    out = tune_output(args, pretrained=None)
    train = load_adult(split="train", as_frame=True).frame
    test = load_adult(split="test", as_frame=True).frame
    if args.sample is not None and args.sample < len(train):
        train = train.sample(n=args.sample, random_state=args.seed)
    job = make_job(args, train, test, out, target="income", sensitive=["sex"],
                   title="skfairtune demo: Adult, sex")
    job.data_name = "Adult (UCI census income), bundled: its train and test files"
    job.class_names = {0: "<=50K", 1: ">50K"}
    return tune(job)


def run_tune(args) -> int:
    """Fine-tune on the user's file, holding out a test split for the report."""
    from sklearn.model_selection import train_test_split

    frame = read_table(args.data)
    target, sensitive = check_columns(frame, args.target, args.sensitive, args.data)
    frame = frame.drop(columns=check_dropped(frame, args.drop, target, sensitive, args.data))
    original = frame[target]
    frame = frame.assign(**{target: binary_target(frame[target], args.pos_label, target)})
    cells = frame[sensitive].astype(str).agg(" / ".join, axis=1) + " | " + \
        frame[target].astype(str)
    # Stratified on group and label where every cell can be split.
    stratify = cells if cells.value_counts().min() >= 2 else None
    try:
        train, test = train_test_split(frame, test_size=args.test_size, stratify=stratify,
                                       random_state=args.seed)
    except ValueError as exc:
        raise UsageError(f"{args.data} is too small to hold out a test split: {exc}") from None
    labels = file_labels(original, frame[target])
    job = make_job(args, train, test, tune_output(args, pretrained=args.pretrained),
                   target=target, sensitive=sensitive,
                   title=f"skfairtune tune: {args.data.name}", labels=labels)
    job.pretrained = args.pretrained
    job.data_name = str(args.data)
    job.labels = labels
    job.class_names = {k: label_text(v) for k, v in job.labels.items()}
    return tune(job)


def file_labels(original, binary) -> dict:
    """The file's label of each 0/1 class: the positive label, and the other one
    (or "not <positive>" when several labels are negative)."""
    positive = sorted_labels(original[binary == 1])
    negative = sorted_labels(original[binary == 0])
    name = plain(positive[0]) if len(positive) == 1 else "positive"
    return {1: name, 0: plain(negative[0]) if len(negative) == 1 else f"not {label_text(name)}"}


def run_audit(args) -> None:
    """Audit the user's file: print the tables, write ``audit.html`` and ``audit.md``."""
    from skfairtune.audit import audit_dataset

    frame = read_table(args.data)
    target, sensitive = check_columns(frame, args.target, args.sensitive, args.data)
    out = OutputFolder(args.out, AUDIT_FILES, overwrite=args.overwrite)
    y = frame[target]
    if y.isna().any():
        raise UsageError(f"the target {target!r} has {int(y.isna().sum())} missing "
                         "value(s); drop or fill those rows first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            audit = audit_dataset(frame.drop(columns=[target]), y, sensitive_features=sensitive,
                                  pos_label=label_value(y, args.pos_label, target))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    print(audit.to_text())
    with out:
        audit.write(out.staging, name="audit")
        written = out.commit()
    print(f"Wrote to {out}/: {', '.join(written)}")


def tune_output(args, *, pretrained) -> OutputFolder:
    """The ``--out`` folder of demo and tune, checked before any training."""
    names = TUNE_FILES if pretrained is not None else ["base.safetensors", *TUNE_FILES]
    return OutputFolder(args.out, names, overwrite=args.overwrite)


def make_job(args, train, test, out: OutputFolder, *, target, sensitive, title,
             labels: dict | None = None) -> Job:
    """The run's settings from the parsed options and the data; ``labels`` are the
    file's label of each 0/1 class."""
    if args.folds < 2:
        raise UsageError(f"--folds must be at least 2; got {args.folds}")
    check_folds(train, target, sensitive, args.folds, class_names=labels)
    constraint = args.constraint or budget_metric(args.penalty)
    return Job(train=train, test=test, target=target, sensitive=sensitive,
               penalty=args.penalty, strengths=args.strengths, budget=args.budget,
               constraint=constraint, epochs=args.epochs, base_epochs=args.base_epochs,
               batch_size=args.batch_size, lr=args.lr,
               folds=args.folds, n_jobs=args.n_jobs, seed=args.seed,
               out=out, progress=not args.no_progress,
               scheduler=args.scheduler, scheduler_timeout=args.scheduler_timeout,
               title=title, metric=args.metric, confidence=args.confidence,
               class_weight=args.class_weight)
