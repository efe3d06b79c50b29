"""What the command line's modules share: its errors, exit codes and a run's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and the output folder are not needed to build the parser
    from pathlib import Path

    import pandas as pd

    from ._files import OutputFolder

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# The penalties the command line offers. The registry, skfairtune.penalties,
# imports torch, which `skfairtune --help` must not wait for; a test checks
# that the two agree.
PENALTY_NAMES = ("bounded_group_loss", "demographic_parity", "equal_opportunity",
                 "equalized_odds", "worst_group_loss")
# The gap that each penalty narrows: what its budget is on by default.
CONSTRAINT_OF = {
    "demographic_parity": "demographic_parity_difference",
    "equalized_odds": "equalized_odds_difference",
    "equal_opportunity": "equal_opportunity_difference",
}
# How the table names each gap.
GAP_NAMES = {"demographic_parity_difference": "DP gap",
             "equalized_odds_difference": "EO gap",
             "equal_opportunity_difference": "EOpp gap"}


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
    base_epochs: int
    batch_size: int
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

    @property
    def gaps(self) -> list:
        """The gaps scored and shown: DP and EO, and the budget's own."""
        gaps = ["demographic_parity_difference", "equalized_odds_difference"]
        return gaps if self.constraint in gaps else [*gaps, self.constraint]


def short(name: str) -> str:
    """A metric's name as the table shows it."""
    return GAP_NAMES.get(name, name)
