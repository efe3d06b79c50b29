"""Speed of skfairtune's MetricFrame against fairlearn's MetricFrame.

On the same random inputs (binary labels and predictions; 2 or 3 sensitive
columns of strings, intersectional groups) at 100k and 1M rows it times:

- a dict of six metrics the fast path recognises (count, selection rate,
  accuracy, precision, fairlearn's true and false positive rates), with
  sample weights;
- the same with the last column as a control feature (comparisons within
  each of its groups);
- ``f1_score``, which it does not recognise: both libraries call it once per
  group, so this row shows what the encoding alone saves;
- the floor: one encoding of the sensitive columns (``encode_groups``) and
  two ``bincount`` passes (weighted and plain confusion counts), the least
  that any frame of the recognised metrics must do; "x floor" is each
  frame's time over it;
- with ``--bootstrap``, the recognised metrics with ``n_boot=100``
  intervals, against fairlearn timed at ``n_boot=10`` and scaled to 100.

Each time is the best of a few runs (one for fairlearn at 1M rows). The
results must agree: the last column is the largest absolute difference
between the two ``by_group`` tables and ``difference()``.

    .venv/bin/python benchmarks/metric_frame.py
    .venv/bin/python benchmarks/metric_frame.py --rows 100000 --columns 2 --bootstrap

It prints a markdown table and writes benchmarks/results/metric_frame.md
(``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score

from skfairtune._groups import encode_groups
from skfairtune.metrics import MetricFrame

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.metrics_speed import best_time, machine_line, speed_rows  # noqa: E402

RESULTS = Path(__file__).parent / "results"
FAST = {"count": flm.count, "selection_rate": flm.selection_rate,
        "accuracy": accuracy_score, "precision": precision_score,
        "tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate}
LEVELS = (["f", "m"], ["a", "b", "c", "d"], ["young", "middle", "old"])


def make_inputs(n_rows: int, n_columns: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    sf = pd.DataFrame({f"s{j}": np.asarray(LEVELS[j], dtype=object)[
        rng.integers(0, len(LEVELS[j]), n_rows)] for j in range(n_columns)})
    shift = (sf["s0"] == "m").to_numpy() * 0.2
    y = (rng.random(n_rows) < 0.3 + shift).astype(np.int64)
    p = (rng.random(n_rows) < 0.2 + 0.4 * y + shift).astype(np.int64)
    return y, p, sf, rng.random(n_rows) + 0.5


FLOOR = "floor: one encoding + two bincounts"
BOOT = "6 recognised, weighted, n_boot=100"


def cases(w, sf):
    """(what, the frames' keyword arguments) for one input."""
    weights = {name: {"sample_weight": w} for name in FAST if name != "count"}
    recognised = {"metrics": FAST, "sample_params": weights}
    return [
        ("6 recognised metrics, weighted", recognised),
        ("6 recognised, weighted, 1 control", {
            **recognised, "sensitive_features": sf.iloc[:, :-1],
            "control_features": sf.iloc[:, -1:]}),
        ("f1_score (called per group)", {"metrics": {"f1": f1_score}}),
    ]


def floor(y, p, sf, w) -> None:
    """One encoding and two bincount passes: the least a frame of counts does."""
    encoding = encode_groups(sf, n_samples=len(y))
    cells = encoding.codes * 4 + y * 2 + p
    np.bincount(cells, weights=w, minlength=4 * encoding.n_groups)
    np.bincount(cells, minlength=4 * encoding.n_groups)


def bootstrap_record(y, p, sf, w, repeats: int) -> dict:
    """Intervals from 100 resamples, against fairlearn's 10 scaled to 100."""
    kwargs = {**cases(w, sf)[0][1], "y_true": y, "y_pred": p, "sensitive_features": sf,
              "ci_quantiles": [0.025, 0.975], "random_state": 0}
    ours_ms, ours = best_time(partial(MetricFrame, n_boot=100, **kwargs), repeats)
    theirs_ms, theirs = best_time(partial(flm.MetricFrame, n_boot=10, **kwargs), 1)
    return {"metrics": BOOT, "ours ms": ours_ms, "fairlearn ms": 10 * theirs_ms,
            "speed-up": 10 * theirs_ms / ours_ms, "max abs diff": largest_diff(ours, theirs)}


def largest_diff(ours, theirs) -> float:
    by_group = np.abs(ours.by_group.to_numpy(float) - theirs.by_group.to_numpy(float))
    gap = np.abs(ours.difference().to_numpy(float) - theirs.difference().to_numpy(float))
    return float(max(np.nanmax(by_group), np.nanmax(gap)))


def run(rows: list[int], columns: list[int], repeats: int,
        bootstrap: bool = False) -> pd.DataFrame:
    records = []
    for n_rows in rows:
        for n_columns in columns:
            y, p, sf, w = make_inputs(n_rows, n_columns)
            slow_repeats = 1 if n_rows >= 1_000_000 else 2
            floor_ms, _ = best_time(partial(floor, y, p, sf, w), repeats)
            found = [{"metrics": FLOOR, "ours ms": floor_ms, "fairlearn ms": np.nan,
                      "speed-up": np.nan, "max abs diff": np.nan}]
            for what, kwargs in cases(w, sf):
                args = {"y_true": y, "y_pred": p, "sensitive_features": sf, **kwargs}
                ours_ms, ours = best_time(partial(MetricFrame, **args), repeats)
                theirs_ms, theirs = best_time(partial(flm.MetricFrame, **args),
                                              slow_repeats)
                found.append({"metrics": what, "ours ms": ours_ms,
                              "fairlearn ms": theirs_ms, "speed-up": theirs_ms / ours_ms,
                              "max abs diff": largest_diff(ours, theirs)})
            if bootstrap:
                found.append(bootstrap_record(y, p, sf, w, repeats))
            groups = len(encode_groups(sf).labels)
            for record in found:
                records.append({"rows": n_rows, "columns": n_columns, "groups": groups,
                                **record, "x floor": record["ours ms"] / floor_ms})
                print(_line(records[-1]), flush=True)
    return pd.DataFrame(records)


def _line(record: dict) -> str:
    return (f"{record['rows']:>9,} rows {record['columns']} columns "
            f"{record['metrics']:<36} ours {record['ours ms']:9.1f} ms "
            f"(x{record['x floor']:.2f} floor)  fairlearn "
            f"{record['fairlearn ms']:10.1f} ms  x{record['speed-up']:.0f}")


def markdown(table: pd.DataFrame, command: str) -> str:
    machine = f"{machine_line()}, load average {os.getloadavg()[0]:.1f} at the end"
    return "\n".join([
        "# MetricFrame: skfairtune against fairlearn", "",
        f"Command: `{command}`", "",
        f"Machine: {machine}.", "",
        "Sensitive columns are strings; groups are their combinations. Times are "
        "the best of a few runs (one for fairlearn at 1M rows). The floor is one "
        "encoding of the sensitive columns and two `bincount` passes; x floor is "
        "each row's time over it. A bootstrap row's fairlearn time is its time "
        "at n_boot=10, times 10.", "",
        *(_dash_for_nan(line) for line in speed_rows(_floor_column(table), 1)), "",
    ])


def _floor_column(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    shown["x floor"] = shown["x floor"].map("{:.2f}x".format)
    return shown


def _dash_for_nan(line: str) -> str:
    """The floor row has no fairlearn time: a dash, not "nan"."""
    for text in ("| nan |", "| nanx |"):
        while text in line:
            line = line.replace(text, "| - |")
    return line


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--columns", type=int, nargs="+", default=[2, 3],
                        choices=[1, 2, 3])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bootstrap", action="store_true",
                        help="add the bootstrap row (fairlearn: minutes per 100k rows)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    table = run(args.rows, args.columns, args.repeats, args.bootstrap)
    command = " ".join([".venv/bin/python benchmarks/metric_frame.py",
                        *(sys.argv[1:] if argv is None else argv)])
    text = markdown(table, command.strip())
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metric_frame.md").write_text(text)


if __name__ == "__main__":
    main()
