"""Training speed of FairTuneClassifier against plain skorch and plain PyTorch.

Two goals from the estimators' issue:

* the penalty's cost per epoch, against the same training without it:
  at most 1.15x;
* samples per second against a plain PyTorch loop on the same network:
  at least 0.9x.

Run::

    .venv/bin/python benchmarks/estimator_speed.py [--rows 50000] [--epochs 5]

It prints a markdown table and writes ``benchmarks/results/estimator_speed.md``
and ``.csv``.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNetClassifier

from skfairtune import FairTuneClassifier
from skfairtune.estimators._mlp import MLP

RESULTS = Path(__file__).parent / "results"


def make_data(n_rows: int, n_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n_rows)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    X[:, 0] += group
    y = (X[:, :3].sum(axis=1) + 0.5 * group + rng.normal(size=n_rows) > 0.5).astype(np.int64)
    return X, y, group


def plain_torch(X, y, *, epochs, batch_size, lr, hidden):
    torch.manual_seed(0)
    module = MLP(X.shape[1], 2, hidden)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    criterion = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.tensor(X), torch.tensor(y)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt), generator=generator)
        for i in range(0, len(Xt), batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = criterion(module(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def plain_skorch(X, y, *, epochs, batch_size, lr, hidden):
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        MLP, module__n_features=X.shape[1], module__n_outputs=2,
        module__hidden_layer_sizes=hidden, criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=lr, max_epochs=epochs, batch_size=batch_size,
        train_split=None, verbose=0, iterator_train__shuffle=True,
    )
    start = time.perf_counter()
    net.fit(X, y)
    return time.perf_counter() - start


def fairtune(X, y, group, *, penalty, epochs, batch_size, lr, hidden, sampling="random"):
    clf = FairTuneClassifier(
        penalty=penalty, penalty_strength=1.0, max_epochs=epochs, batch_size=batch_size,
        lr=lr, hidden_layer_sizes=hidden, n_iter_no_change=None, random_state=0,
        batch_sampling=sampling,
    )
    start = time.perf_counter()
    clf.fit(X, y, sensitive_features=group)
    return time.perf_counter() - start


def best_of(repeats, fn, *args, **kwargs):
    return min(fn(*args, **kwargs) for _ in range(repeats))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    X, y, group = make_data(args.rows, args.features)
    common = dict(epochs=args.epochs, batch_size=args.batch_size, lr=1e-3, hidden=(64,))
    fairtune(X[:1000], y[:1000], group[:1000], penalty=None, **common)  # warm-up
    runs = {
        "plain PyTorch loop": best_of(args.repeats, plain_torch, X, y, **common),
        "skorch NeuralNetClassifier": best_of(args.repeats, plain_skorch, X, y, **common),
        "FairTune, no penalty": best_of(args.repeats, fairtune, X, y, group,
                                        penalty=None, **common),
    }
    for name in ("demographic_parity", "equalized_odds", "worst_group_loss"):
        runs[f"FairTune, {name}"] = best_of(args.repeats, fairtune, X, y, group,
                                            penalty=name, **common)
    runs["FairTune, demographic_parity, stratified"] = best_of(
        args.repeats, fairtune, X, y, group, penalty="demographic_parity",
        sampling="stratified", **common)
    base, torch_time = runs["FairTune, no penalty"], runs["plain PyTorch loop"]
    table = pd.DataFrame([
        {
            "method": name,
            "s per epoch": seconds / args.epochs,
            "samples per s": args.rows * args.epochs / seconds,
            "vs no penalty": seconds / base,
            "throughput vs PyTorch": torch_time / seconds,
        }
        for name, seconds in runs.items()
    ])
    header = (
        f"{args.rows} rows x {args.features} features, MLP (64,), batch "
        f"{args.batch_size}, {args.epochs} epochs, best of {args.repeats}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}"
    )
    markdown = header + "\n\n" + table.to_markdown(index=False, floatfmt=".3f")
    print(markdown)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "estimator_speed.md").write_text(
        "# Estimator training speed\n\nCommand: `python benchmarks/estimator_speed.py`\n\n"
        + markdown + "\n"
    )
    table.to_csv(RESULTS / "estimator_speed.csv", index=False)


if __name__ == "__main__":
    main()
