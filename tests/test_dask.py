"""A grid search over a skfairtune pipeline on a dask cluster, through joblib.

The cluster is a real ``distributed.LocalCluster``: two worker processes on
the loopback interface, so the pipeline, the sensitive features and the
scorers are pickled to other processes and the results pickled back, as they
would be on a cluster of machines.
"""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
import torch  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skfairtune import FairTuneClassifier  # noqa: E402
from skfairtune.datasets import load_german  # noqa: E402
from skfairtune.metrics import make_fairness_scorer  # noqa: E402
from skfairtune.model_selection import budget_refit  # noqa: E402

pytestmark = pytest.mark.slow


def _search() -> GridSearchCV:
    data = load_german(sensitive="age", as_frame=True, drop_sensitive=True)
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), list(data.data.select_dtypes("category"))),
        (StandardScaler(), list(data.data.select_dtypes("number"))),
    )
    model = make_pipeline(encode, FairTuneClassifier(max_epochs=8, random_state=0))
    return GridSearchCV(
        model,
        {"fairtuneclassifier__penalty_strength": [0.0, 1.0, 4.0],
         "fairtuneclassifier__lr": [1e-3, 3e-3]},
        scoring={
            "accuracy": "accuracy",
            "dp": make_fairness_scorer("demographic_parity_difference",
                                       sensitive_features="age_group"),
        },
        refit=budget_refit(metric="accuracy", constraint="dp", max_value=0.1),
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=-1,
    ), data.data.assign(age_group=data.sensitive), data.target


def _fit(search, X, y):
    return search.fit(X, y, fairtuneclassifier__sensitive_features=X["age_group"])


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    # The scheduler's HTTP server on any free port, not on 8787, which another
    # cluster on the machine may hold.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        # One torch thread per worker process, as in this process below:
        # the same arithmetic, and no contention between the two workers.
        client.run(torch.set_num_threads, 1)
        yield client
    assert cluster.status.name == "closed"


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_grid_search_on_a_dask_cluster_matches_a_local_one(client, one_thread):
    search, X, y = _search()
    local = _fit(search.set_params(n_jobs=None), X, y)  # in this process, one fit at a time
    search, X, y = _search()
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        _fit(search, X, y)
    # The fits ran on the cluster's workers, not in this process.
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    for key in ("mean_test_accuracy", "mean_test_dp", "rank_test_accuracy"):
        np.testing.assert_array_equal(search.cv_results_[key], local.cv_results_[key])
    assert search.best_index_ == local.best_index_
    np.testing.assert_array_equal(search.predict(X), local.predict(X))
