"""Training speed of FairTuneClassifier against plain skorch and plain PyTorch.

Three measurements:

* the penalty's cost per epoch, against the same training without it
  (goal: at most 1.15x);
* samples per second against a plain PyTorch loop on the same network
  (goal: at least 0.9x);
* scaling in rows, 10k to 1M synthetic rows: the time and the peak memory of
  one epoch, each in a fresh process, and the exponent of their growth
  (goal: linear, an exponent near 1).

Run::

    .venv/bin/python benchmarks/speed.py [--rows 50000] [--epochs 5] [--quick]

It prints markdown tables and writes ``benchmarks/results/speed.md`` and
``speed.csv``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNetClassifier

from skfairtune import FairTuneClassifier
from skfairtune._mlp import MLP

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


def cost_table(rows, features, epochs, batch_size, repeats, hidden=(64,)):
    """Seconds per epoch of each method at one batch size and network size."""
    X, y, group = make_data(rows, features)
    common = dict(epochs=epochs, batch_size=batch_size, lr=1e-3, hidden=hidden)
    fairtune(X[:1000], y[:1000], group[:1000], penalty=None, **common)  # warm-up
    runs = {
        "plain PyTorch loop": best_of(repeats, plain_torch, X, y, **common),
        "skorch NeuralNetClassifier": best_of(repeats, plain_skorch, X, y, **common),
        "FairTune, no penalty": best_of(repeats, fairtune, X, y, group, penalty=None, **common),
    }
    for name in ("demographic_parity", "equalized_odds", "worst_group_loss"):
        runs[f"FairTune, {name}"] = best_of(repeats, fairtune, X, y, group, penalty=name,
                                            **common)
    runs["FairTune, demographic_parity, stratified"] = best_of(
        repeats, fairtune, X, y, group, penalty="demographic_parity", sampling="stratified",
        **common)
    base, torch_time = runs["FairTune, no penalty"], runs["plain PyTorch loop"]
    return pd.DataFrame([
        {
            "hidden": str(hidden),
            "batch size": batch_size,
            "method": name,
            "s per epoch": seconds / epochs,
            "samples per s": rows * epochs / seconds,
            "vs no penalty": seconds / base,
            "throughput vs PyTorch": torch_time / seconds,
        }
        for name, seconds in runs.items()
    ])


_ONE_EPOCH = """
import resource, sys, time
sys.path.insert(0, {here!r})
import torch
torch.set_num_threads({threads})
from speed import make_data, fairtune
common = dict(penalty="demographic_parity", epochs=1, batch_size=128, lr=1e-3, hidden=(64,))
fairtune(*make_data(1000, {features}), **common)  # start-up costs are not the rows'
X, y, group = make_data({rows}, {features})
start = time.perf_counter()
fairtune(X, y, group, **common)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, peak / 1024)
"""


def scaling_table(sizes, features):
    """Time and peak memory of one penalised epoch, each size in a fresh process.

    The time is that of ``fit`` alone, after a warm-up fit. The memory is the
    process's peak resident set (data included), and its growth over the
    smallest size's peak is what the rows cost: linear growth there is the
    goal.
    """
    records = []
    for rows in sizes:
        code = _ONE_EPOCH.format(here=str(Path(__file__).parent), rows=rows,
                                 features=features, threads=torch.get_num_threads())
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        seconds, mib = map(float, out.stdout.split()[-2:])
        records.append({"rows": rows, "s per epoch": seconds, "peak MiB": mib})
    table = pd.DataFrame(records)
    table["growth MiB"] = table["peak MiB"] - table["peak MiB"].iloc[0]
    return table, {
        "time": _exponent(table["rows"], table["s per epoch"]),
        "memory": _exponent(table["rows"].iloc[1:], table["growth MiB"].iloc[1:]),
    }


def _bytes_per_row(table):
    rows, mib = table["rows"].to_numpy(), table["peak MiB"].to_numpy()
    return (mib[-1] - mib[-2]) * 2**20 / (rows[-1] - rows[-2])


def _exponent(rows, values):
    """Slope of log(value) on log(rows) over the larger half of the sizes,
    where fixed costs no longer dominate."""
    keep = rows >= rows.median()
    return float(np.polyfit(np.log(rows[keep]), np.log(np.maximum(values[keep], 1e-9)), 1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: stable timings on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.quick:
        args.rows, args.epochs, args.repeats = 5_000, 1, 1
        sizes = [2_000, 4_000, 8_000]
        configs = [(128, (64,))]
    else:
        sizes = [10_000, 30_000, 100_000, 300_000, 1_000_000]
        configs = [(128, (64,)), (512, (64,)), (512, (256, 256))]
    costs = pd.concat([cost_table(args.rows, args.features, args.epochs, b, args.repeats, h)
                       for b, h in configs], ignore_index=True)
    scaling, exponents = scaling_table(sizes, args.features)
    header = (
        f"{args.rows} rows x {args.features} features, {args.epochs} epochs, "
        f"best of {args.repeats}; torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    markdown = "\n\n".join([
        header,
        costs.to_markdown(index=False, floatfmt=".3f"),
        "Scaling in rows (one epoch with the demographic-parity penalty, batch 128, "
        "each size in a fresh process):",
        scaling.to_markdown(index=False, floatfmt=".3f"),
        f"Growth exponents over the larger sizes: time {exponents['time']:.2f}, "
        f"memory growth {exponents['memory']:.2f} (1 is linear). Below a few hundred "
        "thousand rows the start-up peak (torch's own buffers) hides the rows' memory, "
        "so the growth is best read as bytes per row between the two largest sizes: "
        f"{_bytes_per_row(scaling):.0f}, against 320 for the data's own copies (the "
        "float64 input, its float32 tensor and the per-epoch shuffled copy).",
    ])
    print(markdown)
    if args.quick:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.md").write_text(
        "# Training speed\n\nCommand: `.venv/bin/python benchmarks/speed.py`\n\n"
        + markdown + "\n"
    )
    pd.concat([costs.assign(table="cost"), scaling.assign(table="scaling")]).to_csv(
        RESULTS / "speed.csv", index=False)


if __name__ == "__main__":
    main()
