"""Group-aware resampling and reweighing on Adult (sex) and COMPAS (race).

One estimator is trained on the training split as it is, after each of
skfairtune's resamplers, and with reweighing; each is scored on the same
held-out split (never resampled): accuracy, and the demographic-parity and
equalized-odds gaps between groups (fairlearn's definitions).

    .venv/bin/python benchmarks/resampling.py                  # LogisticRegression
    .venv/bin/python benchmarks/resampling.py --estimator fairtune
    .venv/bin/python benchmarks/resampling.py --datasets adult --seeds 1

It prints a markdown table and writes benchmarks/results/resampling.md and
resampling.csv (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfairtune.datasets import load_adult, load_compas
from skfairtune.resampling import GroupResampler, GroupSMOTE, resample

RESULTS = Path(__file__).parent / "results"


def load(name: str, seed: int):
    """Train and held-out splits: Adult's own test file; 30% of COMPAS."""
    if name == "adult":
        train = load_adult(split="train", sensitive="sex", as_frame=True)
        test = load_adult(split="test", sensitive="sex", as_frame=True)
        return (train.data, train.target, train.sensitive), (
            test.data,
            test.target,
            test.sensitive,
        )
    data = load_compas(sensitive="race", race_binary=True, as_frame=True)
    parts = train_test_split(
        data.data,
        data.target,
        data.sensitive,
        test_size=0.3,
        random_state=seed,
        stratify=data.target.astype(str) + data.sensitive.astype(str),
    )
    return (parts[0], parts[2], parts[4]), (parts[1], parts[3], parts[5])


def samplers(seed: int) -> dict:
    """The methods compared, each a ``sampler`` as skfairtune's resample() takes it."""
    return {
        "none": None,
        "oversample": GroupResampler(random_state=seed),
        "undersample": GroupResampler(strategy="undersample", random_state=seed),
        "preferential": GroupResampler(
            strategy="mixed", target="equal_label_rates", random_state=seed
        ),
        "group_smote": GroupSMOTE(categorical_features="auto", random_state=seed),
        "reweighing": "reweighing",
    }


def preprocessing():
    return make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_include="category"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )


def make_estimator(kind: str, seed: int):
    """The estimator every method trains: a pipeline ending in step ``clf``."""
    if kind == "logistic":
        clf = LogisticRegression(max_iter=2000)
    else:
        from skfairtune import FairTuneClassifier  # may not exist on old checkouts

        clf = FairTuneClassifier(random_state=seed)
    pipe = make_pipeline(preprocessing(), clf)
    pipe.steps[-1] = ("clf", clf)
    return pipe


def fit(pipe, kind, X, y, sensitive, weight):
    params = {} if weight is None else {"clf__sample_weight": weight}
    if kind == "fairtune":
        params["clf__sensitive_features"] = sensitive
    return pipe.fit(X, y, **params)


def evaluate(pipe, X, y, sensitive) -> dict:
    pred = pipe.predict(X)
    return {
        "accuracy": accuracy_score(y, pred),
        "dp_gap": demographic_parity_difference(y, pred, sensitive_features=sensitive),
        "eo_gap": equalized_odds_difference(y, pred, sensitive_features=sensitive),
    }


def run_one(dataset, method, sampler, kind, seed, train, test) -> dict:
    X, y, sensitive = train
    start = time.perf_counter()
    X_res, y_res, s_res, w_res = resample(sampler, X, y, sensitive_features=sensitive)
    pipe = fit(make_estimator(kind, seed), kind, X_res, y_res, s_res, w_res)
    seconds = time.perf_counter() - start
    scores = evaluate(pipe, *test)
    return {
        "dataset": dataset,
        "method": method,
        "seed": seed,
        "train_rows": len(y_res),
        **scores,
        "fit_s": seconds,
    }


def run(datasets, kind, seeds) -> pd.DataFrame:
    rows = []
    for dataset in datasets:
        for seed in range(seeds):
            train, test = load(dataset, seed)
            for method, sampler in samplers(seed).items():
                rows.append(run_one(dataset, method, sampler, kind, seed, train, test))
                print(f"{dataset:7s} seed {seed} {method:13s} done", flush=True)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean (and spread over seeds) per data set and method, in method order."""
    order = {name: k for k, name in enumerate(samplers(0))}
    metrics = ["accuracy", "dp_gap", "eo_gap"]
    grouped = results.groupby(["dataset", "method"], sort=False)
    table = grouped[metrics + ["train_rows", "fit_s"]].mean()
    for metric in metrics:
        table[f"{metric}_std"] = grouped[metric].std(ddof=0)
    table = table.reset_index()
    table["order"] = table["method"].map(order)
    return table.sort_values(["dataset", "order"]).drop(columns="order")


def markdown(table: pd.DataFrame, kind: str, seeds: int) -> str:
    lines = [
        f"Estimator: {kind}; held-out scores, mean over {seeds} seed(s) (± std).",
        "",
        "| data set | method | train rows | accuracy | DP gap | EO gap | fit s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.dataset} | {row.method} | {row.train_rows:,.0f} "
            f"| {row.accuracy:.4f} ± {row.accuracy_std:.4f} "
            f"| {row.dp_gap:.4f} ± {row.dp_gap_std:.4f} "
            f"| {row.eo_gap:.4f} ± {row.eo_gap_std:.4f} | {row.fit_s:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--estimator", choices=["logistic", "fairtune"], default="logistic"
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=["adult", "compas"],
        default=["adult", "compas"],
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = run(args.datasets, args.estimator, args.seeds)
    text = markdown(summarise(results), args.estimator, args.seeds)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = (
        "resampling" if args.estimator == "logistic" else f"resampling_{args.estimator}"
    )
    (args.out / f"{stem}.md").write_text(
        f"# Group-aware resampling\n\n`{_command(argv)}`\n\n{text}"
    )
    results.to_csv(args.out / f"{stem}.csv", index=False)


def _command(argv) -> str:
    import sys

    return " ".join(["python benchmarks/resampling.py", *(argv or sys.argv[1:])])


if __name__ == "__main__":
    main()
