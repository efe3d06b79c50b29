"""What the command line's modules share: its errors, exit codes and a run's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from skfairtune import notions

if TYPE_CHECKING:  # pandas and the output folder are not needed to build the parser
    from pathlib import Path

    import pandas as pd

    from ._files import OutputFolder

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# skfairtune check: within the budget (EXIT_OK), over it, or the data cannot tell.
EXIT_OVER, EXIT_UNSURE = 1, 3
# tune and demo: the run went through, but no strength met the budget (the
# fairest was saved), so that a CI job need not read the output to tell.
EXIT_NOT_MET = 4
EXIT_CODES = ("0 success (check: within the budget), 1 a run that failed (check: over the "
              "budget), 2 bad usage or input, 3 check could not tell (the interval "
              "straddles the budget), 4 tune or demo went through but no strength met "
              "the budget (the fairest is saved)")
TUNE_EXIT_CODES = (f"Exit codes: {EXIT_OK} a model within the budget was chosen and saved; "
                   f"{EXIT_NOT_MET} no strength met the budget (the fairest was chosen and "
                   f"saved); {EXIT_FAILED} the run failed (nothing is written); {EXIT_USAGE} "
                   "bad usage or input.")

# The penalties and the gaps a budget can be on come from the registry of
# notions, which (unlike skfairtune.penalties) does not import torch: `--help`
# does not wait for it. The command line tunes classifiers.
PENALTY_NAMES = tuple(notions.penalty_names("classification"))
# The notions whose gap `check` can hold to a budget.
NOTION_NAMES = tuple(n.name for n in notions.NOTIONS.values() if "classification" in n.tasks)
# Each gap a budget can be on, with how the table names it.
GAP_NAMES = {name: notions.metric_label(name) for name in (
    *[n for n in notions.gap_metric_names("classification") if n.endswith("_difference")],
    *{g.budget_metrics["classification"] for g in notions.GROUP_LOSSES.values()})}
# Why a strength's row is marked "!" when budget_refit left it out of the choice.
PASSED_OVER = "was passed over: it was degenerate on some cross-validation fold"
# The metrics a strength can be chosen on, and how the table names them.
METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "bal acc",
                "roc_auc": "ROC AUC", "f1": "F1"}


class UsageError(Exception):
    """Bad arguments or input: reported in one line, exit code 2."""


class RunFailed(Exception):
    """A run that could not give a result (training diverged): one line, exit code 1."""


@dataclass
class Job:
    """One fine-tuning run: the data, the grid, and where the results go."""

    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    sensitive: list
    penalty: str
    strengths: list
    budget: float
    constraint: str
    epochs: int
    base_epochs: int | str
    batch_size: int | str
    lr: float
    folds: int
    n_jobs: int
    seed: int
    out: OutputFolder
    progress: bool
    pretrained: Path | None = None
    scheduler: str | None = None
    scheduler_timeout: float = 10.0
    title: str = "skfairtune"
    metric: str = "accuracy"
    confidence: float | None = None
    class_weight: str | None = None
    # What the data are (for the model card), and the classes' names by 0/1
    # label (the run trains on 0/1; the report names them as the file does).
    data_name: str = ""
    class_names: dict | None = None
    # The file's own label of each 0/1 class, which the saved model predicts;
    # None when they are 0 and 1 themselves.
    labels: dict | None = None

    @property
    def bound_name(self) -> str:
        """The table's name for the upper confidence bound on the budget's gap:
        which gap, and at what confidence (``"DP 90% bound"``)."""
        if self.confidence is None:
            return ""
        return f"{short(self.constraint).removesuffix(' gap')} {self.confidence:.0%} bound"

    def bound_beside_its_gap(self, columns: list) -> list:
        """The table's columns with the bound right after the gap it bounds."""
        bound = ("cross-validated", self.bound_name)
        if bound not in columns:
            return columns
        rest = [c for c in columns if c != bound]
        at = rest.index(("cross-validated", short(self.constraint))) + 1
        return [*rest[:at], bound, *rest[at:]]

    @property
    def scores(self) -> list:
        """The performance metrics scored and shown: accuracy, and the chosen one."""
        return ["accuracy"] if self.metric == "accuracy" else ["accuracy", self.metric]

    @property
    def gaps(self) -> list:
        """The gaps scored and shown: DP and EO, and the budget's own."""
        gaps = ["demographic_parity_difference", "equalized_odds_difference"]
        return gaps if self.constraint in gaps else [*gaps, self.constraint]


def short(name: str) -> str:
    """A metric's name as the table shows it."""
    return METRIC_NAMES.get(name) or notions.metric_label(name)
