"""What a fine-tuning run shows and leaves behind: its progress bar, its table,
the saved model and the report."""

from __future__ import annotations

import sys
import warnings

import pandas as pd

from ._common import GAP_NAMES, Job, short


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

    def candidates(self, cv_results: dict) -> None:
        done = len(cv_results["params"]) * self.job.folds
        last = cv_results["params"][-1]["model__penalty_strength"]
        gap = -cv_results[f"mean_test_{self.job.constraint}"][-1]
        self.bar.set_postfix_str(f"strength {last:g}: {GAP_NAMES[self.job.constraint]} {gap:.3f}")
        self.bar.update(done - self.bar.n)
        if done == len(self.job.strengths) * self.job.folds:
            self.bar.set_description("refitting the chosen strength")

    def refitted(self) -> None:
        self.bar.update(1)
        self.bar.set_description("testing each strength")

    def tested(self) -> None:
        self.bar.update(1)


def warn(caught: list) -> None:
    from skfairtune.metrics import UndefinedGroupWarning
    from skfairtune.model_selection import BudgetNotMetWarning

    # The table already says when the budget was missed, and shows undefined rates.
    skipped = (BudgetNotMetWarning, UndefinedGroupWarning, DeprecationWarning)
    messages = dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                             if not issubclass(w.category, skipped))
    for message in list(messages)[:5]:
        print(f"skfairtune: warning: {message}", file=sys.stderr)


def print_results(job: Job, search, table: pd.DataFrame) -> None:
    """The run's table and its choice, on standard output."""
    start = "--pretrained weights" if job.pretrained else "a base model trained here"
    print(f"{job.title}\nFine-tuned from {start} with the {job.penalty} penalty; "
          f"{len(job.train):,} training rows, {len(job.test):,} test rows.\n")
    print(format_table(table, {"cross-validated": f"cross-validated ({job.folds} folds)",
                               "test": "test split"}))
    print(f"\n{choice(job, table)}")


def format_table(table: pd.DataFrame, parts: dict, width: int = 9) -> str:
    """The results as aligned text under a header per part; ``*`` marks the choice."""
    labels = [f"{s} *" if chosen else str(s) for s, chosen in zip(table.index, table["chosen"])]
    first = max(len(table.index.name or ""), *map(len, labels)) + 2
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
    return ("-" if pd.isna(value) else f"{value:.3f}").rjust(width)


def choice(job: Job, table: pd.DataFrame) -> str:
    """Which strength was chosen and why, and what it changed on the test split."""
    chosen = table.index[table["chosen"]][0]
    gap = short(job.constraint)
    if table.loc[chosen, ("cross-validated", gap)] <= job.budget:
        head = (f"* chosen: strength {chosen}, the most accurate with a cross-validated "
                f"{gap} <= {job.budget:g}.")
    else:
        head = (f"* chosen: strength {chosen}, the fairest: no strength met the budget "
                f"({gap} <= {job.budget:g}). Raise --budget or try larger --strengths.")
    base, best = table.loc["base"], table.loc[chosen]
    changes = ", ".join(f"{name} {base[('test', name)]:.3f} -> {best[('test', name)]:.3f}"
                        for name in ["accuracy", *map(short, job.gaps)])
    return f"{head}\n  On the test split, base -> chosen: {changes}."


def save(job: Job, search, table: pd.DataFrame, test: tuple) -> None:
    """Write the chosen model, the table and the report into ``job.out``."""
    import pickle

    model = search.best_estimator_
    model[-1].save_weights(job.out / "model.safetensors")
    with open(job.out / "model.pkl", "wb") as file:
        pickle.dump(model, file)
    _flat(table, lambda part, name: f"{_PREFIX[part]}_{name}".lower().replace(" ", "_")
          ).to_csv(job.out / "results.csv")
    paths = _report(job, search, _flat(table, "{} {}".format), choice(job, table), test)
    written = ["model.safetensors", "model.pkl", "results.csv", paths["html"].name,
               paths["markdown"].name]
    if job.pretrained is None:
        written.insert(0, "base.safetensors")
    print(f"\nWrote to {job.out}/: {', '.join(written)}")


_PREFIX = {"cross-validated": "cv", "test": "test"}


def _flat(table: pd.DataFrame, join) -> pd.DataFrame:
    """The table with one level of column names: ``join(part, name)``, and ``chosen``."""
    flat = table.copy()
    flat.columns = [part if not name else join(part, name) for part, name in flat.columns]
    return flat


def _report(job: Job, search, flat: pd.DataFrame, chosen: str, test: tuple) -> dict:
    from skfairtune.report import model_report

    X_test, y_test, groups_test = test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined rates show as dashes in the tables
        report = model_report(
            search.best_estimator_, X_test, y_test, sensitive_features=groups_test,
            search=search, title=job.title, notes=[chosen.replace("* chosen", "Chosen")],
            tables={"Accuracy and gaps by penalty strength": flat})
        return report.write(job.out)
