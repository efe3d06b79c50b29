"""The ``skfairtune`` command line.

``skfairtune demo`` runs the toolkit's main job on the bundled Adult data:
train a base model the ordinary way (the biased starting point), save its
weights, fine-tune from them at several penalty strengths, and print
accuracy and gaps on the official test split.

Exit codes: 0 success, 1 a run that failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input: reported in one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skfairtune",
        description="Fine-tune neural networks for bias reduction.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="fine-tune a biased base model on the bundled Adult data",
        description="Train a base model on Adult (sex), save its weights, fine-tune "
        "from them at several penalty strengths and print accuracy and gaps on "
        "the official test split.",
    )
    demo.add_argument("--strengths", default="0,1,3,10",
                      help="comma-separated penalty strengths (default: 0,1,3,10)")
    demo.add_argument("--epochs", type=int, default=5,
                      help="fine-tuning epochs per strength (default: 5)")
    demo.add_argument("--out", type=Path, default=None,
                      help="folder for the base model's weights (default: a temporary one)")
    return parser


def _parse_strengths(text: str) -> list[float]:
    try:
        values = [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--strengths must be comma-separated numbers; got {text!r}") from None
    if not values or min(values) < 0:
        raise UsageError(f"--strengths must be non-negative numbers; got {text!r}")
    return values


def run_demo(strengths: list[float], epochs: int, out: Path) -> None:
    """Run the demo and print its table."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from skfairtune import FairTuneClassifier
    from skfairtune.datasets import load_adult
    from skfairtune.metrics import (
        demographic_parity_difference,
        equalized_odds_difference,
    )

    train = load_adult(split="train", as_frame=True, drop_sensitive=True)
    test = load_adult(split="test", as_frame=True, drop_sensitive=True)
    pre = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    X_train, X_test = pre.fit_transform(train.data), pre.transform(test.data)
    start = time.perf_counter()
    base = FairTuneClassifier(penalty=None, max_epochs=5, random_state=0)
    base.fit(X_train, train.target)
    weights = base.save_weights(out / "base.safetensors")
    print(f"Base model trained in {time.perf_counter() - start:.1f}s; weights in {weights}")
    print(f"\n{'strength':>8}  {'accuracy':>8}  {'DP gap':>7}  {'EO gap':>7}")
    for strength in [None, *strengths]:
        model = FairTuneClassifier(
            pretrained=weights, penalty_strength=strength or 0.0, random_state=0,
            max_epochs=0 if strength is None else epochs, n_iter_no_change=None,
        ).fit(X_train, train.target, sensitive_features=train.sensitive)
        pred = model.predict(X_test)
        label = "base" if strength is None else f"{strength:g}"
        dp = demographic_parity_difference(test.target, pred, sensitive_features=test.sensitive)
        eo = equalized_odds_difference(test.target, pred, sensitive_features=test.sensitive)
        print(f"{label:>8}  {(pred == test.target).mean():8.3f}  {dp:7.3f}  {eo:7.3f}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``skfairtune`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit code.
    """
    args = build_parser().parse_args(argv)
    try:
        strengths = _parse_strengths(args.strengths)
        if args.out is None:
            with tempfile.TemporaryDirectory() as folder:
                run_demo(strengths, args.epochs, Path(folder))
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            run_demo(strengths, args.epochs, args.out)
    except UsageError as exc:
        print(f"skfairtune: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"skfairtune: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
