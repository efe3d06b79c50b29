"""Small files for the command line's tests, and a runner that captures its output."""

from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO

import numpy as np
import pandas as pd
import pytest
import torch

from skfairtune.cli import main

torch.set_num_threads(1)

# Quick settings for a few hundred rows: two strengths, two folds, small batches.
QUICK = ["--strengths", "0,2", "--folds", "2", "--epochs", "3", "--base-epochs", "10",
         "--batch-size", "32"]


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Hiring data: ``hours`` is a proxy of sex; labels favour men; a few gaps."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.4, 0.6])
    male = sex == "male"
    skill = rng.normal(size=n)
    frame = pd.DataFrame({
        "skill": skill,
        "hours": rng.normal(38, 6, n) + 5 * male,
        "job": rng.choice(["clerk", "driver", "nurse"], n),
        "sex": sex,
        "hired": np.where(skill + male + 0.5 * rng.normal(size=n) > 0.6, "yes", "no"),
    })
    frame.loc[:9, "hours"] = np.nan
    frame.loc[10:14, "job"] = np.nan
    return frame


@pytest.fixture(scope="session")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "hiring.csv"
    make_frame().to_csv(path, index=False)
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys):
    """``run(*args)`` runs the command in-process and returns its code and output."""
    def call(*args) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return call


@pytest.fixture(scope="session")
def tuned(csv_file, tmp_path_factory):
    """One ``tune`` run, with its progress bar, shared by the tests that read it:
    its exit code, standard output and error, and its ``--out`` folder."""
    out = tmp_path_factory.mktemp("tuned")
    # A session-scoped fixture cannot use capsys: the streams are redirected here.
    stdout, stderr = StringIO(), StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["tune", str(csv_file), "--target", "hired", "--sensitive", "sex",
                     "--pos-label", "yes", "--out", str(out), *QUICK])
    return code, stdout.getvalue(), stderr.getvalue(), out
