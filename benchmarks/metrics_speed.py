"""Speed of skfairtune's group metrics against fairlearn's MetricFrame.

On the same random inputs (binary labels and predictions, sensitive features
given as strings "g0", "g1", ...) at 100k and 1M rows with 2 and 20 groups it
times:

- ``demographic_parity_difference`` against fairlearn's function of that name;
- ``equalized_odds_difference`` likewise;
- a full per-group table, ``group_report``, against a ``MetricFrame`` with
  count, selection rate, accuracy, precision, true and false positive rate.

Each time is the best of a few runs (fewer for fairlearn, which takes
seconds). The numbers must agree: the last column is the largest absolute
difference between the two libraries' outputs.

    .venv/bin/python benchmarks/metrics_speed.py
    .venv/bin/python benchmarks/metrics_speed.py --rows 100000 --groups 2

It prints a markdown table and writes benchmarks/results/metrics_speed.md and
metrics_speed.csv (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import fairlearn
import fairlearn.metrics as flm
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_score

import skfairtune.metrics as sfm
from skfairtune.metrics._base import encode

RESULTS = Path(__file__).parent / "results"
TABLE_COLUMNS = ["count", "selection_rate", "accuracy", "precision", "tpr", "fpr"]


def make_inputs(n_rows: int, n_groups: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_groups, n_rows)
    names = np.array([f"g{k}" for k in range(n_groups)], dtype=object)
    # Rates that differ by group, so the gaps are not all zero.
    y = (rng.random(n_rows) < 0.3 + 0.4 * codes / n_groups).astype(np.int64)
    p = (rng.random(n_rows) < 0.2 + 0.3 * y + 0.2 * codes / n_groups).astype(np.int64)
    return y, p, names[codes]


def best_time(call, repeats: int):
    """The fastest of ``repeats`` runs, in milliseconds, and the last result."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best * 1e3, result


def fairlearn_table(y, p, sf):
    metrics = {
        "count": flm.count,
        "selection_rate": flm.selection_rate,
        "accuracy": accuracy_score,
        "precision": lambda t, q: precision_score(t, q, zero_division=np.nan),
        "tpr": flm.true_positive_rate,
        "fpr": flm.false_positive_rate,
    }
    frame = flm.MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf)
    return frame.by_group


def cases(y, p, sf):
    """(metric, ours, fairlearn's, how to compare) for one input."""
    kw = {"sensitive_features": sf}
    return [
        ("demographic_parity_difference",
         lambda: sfm.demographic_parity_difference(y, p, **kw),
         lambda: flm.demographic_parity_difference(y, p, **kw), _scalar_diff),
        ("equalized_odds_difference",
         lambda: sfm.equalized_odds_difference(y, p, **kw),
         lambda: flm.equalized_odds_difference(y, p, **kw), _scalar_diff),
        ("per-group table (6 metrics)",
         lambda: sfm.group_report(y, p, sensitive_features=sf),
         lambda: fairlearn_table(y, p, sf), _table_diff),
    ]


def _scalar_diff(ours, theirs) -> float:
    return abs(float(ours) - float(theirs))


def _table_diff(ours, theirs) -> float:
    theirs = theirs.loc[ours.index, TABLE_COLUMNS].astype(float)
    return float(np.nanmax(np.abs(ours[TABLE_COLUMNS].to_numpy() - theirs.to_numpy())))


def run(rows: list[int], groups: list[int], repeats: int) -> pd.DataFrame:
    records = []
    for n_rows in rows:
        for n_groups in groups:
            y, p, sf = make_inputs(n_rows, n_groups)
            slow_repeats = 1 if n_rows >= 1_000_000 else 2
            for metric, ours, theirs, diff in cases(y, p, sf):
                ours_ms, ours_value = best_time(ours, repeats)
                theirs_ms, theirs_value = best_time(theirs, slow_repeats)
                records.append({
                    "rows": n_rows, "groups": n_groups, "metric": metric,
                    "ours ms": ours_ms, "fairlearn ms": theirs_ms,
                    "speed-up": theirs_ms / ours_ms,
                    "max abs diff": diff(ours_value, theirs_value),
                })
                print(_line(records[-1]), flush=True)
    return pd.DataFrame(records)


def _line(record: dict) -> str:
    return (f"{record['rows']:>9,} rows {record['groups']:>3} groups "
            f"{record['metric']:<30} ours {record['ours ms']:9.2f} ms  fairlearn "
            f"{record['fairlearn ms']:10.1f} ms  x{record['speed-up']:.0f}")


def encoding_share(n_rows: int, n_groups: int, repeats: int) -> str:
    """How much of one metric call is turning strings into group codes."""
    y, p, sf = make_inputs(n_rows, n_groups)
    total, _ = best_time(lambda: sfm.equalized_odds_difference(
        y, p, sensitive_features=sf), repeats)
    encoding, _ = best_time(lambda: encode(sf, n_rows), repeats)
    return (f"At {n_rows:,} rows and {n_groups} groups, encoding the string "
            f"groups takes {encoding:.1f} ms of the {total:.1f} ms that "
            "equalized_odds_difference takes; the rest is a few bincount passes.")


def speed_rows(table: pd.DataFrame, ms_digits: int) -> list:
    """A table of timings against fairlearn as markdown lines: header, rule, rows."""
    shown = table.copy()
    shown["rows"] = shown["rows"].map("{:,}".format)
    for column in ("ours ms", "fairlearn ms"):
        shown[column] = shown[column].map(f"{{:.{ms_digits}f}}".format)
    shown["speed-up"] = shown["speed-up"].map("{:.0f}x".format)
    shown["max abs diff"] = shown["max abs diff"].map("{:.1e}".format)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    return [header, rule, *("| " + " | ".join(str(v) for v in row) + " |"
                            for row in shown.itertuples(index=False))]


def machine_line() -> str:
    """The machine and the versions the timings depend on."""
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
            f"CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}, fairlearn {fairlearn.__version__}")


def markdown(table: pd.DataFrame, note: str) -> str:
    return "\n".join([
        "# Group metrics: skfairtune against fairlearn's MetricFrame", "",
        "Command: `.venv/bin/python benchmarks/metrics_speed.py`", "",
        f"Machine: {machine_line()}.", "",
        "Sensitive features are strings; times are the best of a few runs.", "",
        *speed_rows(table, 2), "", note, "",
    ])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--groups", type=int, nargs="+", default=[2, 20])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    table = run(args.rows, args.groups, args.repeats)
    note = encoding_share(max(args.rows), max(args.groups), args.repeats)
    text = markdown(table, note)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics_speed.md").write_text(text)
    table.to_csv(args.out / "metrics_speed.csv", index=False)


if __name__ == "__main__":
    main()
