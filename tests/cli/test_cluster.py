"""The command line's cluster route (``--scheduler``): joblib calls on dask.

A ``LocalCluster`` of threads in this process: nothing to wait for, and each
call's thread is one this test can compare with its own.
"""

import threading

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from joblib import Parallel, delayed  # noqa: E402

from skfairtune.cli._cluster import on_cluster  # noqa: E402
from skfairtune.cli._common import UsageError  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster:
        yield cluster


def _fit_like(rows, X):
    """A call that makes joblib calls of its own, as a pipeline's fit does."""
    inner = Parallel(n_jobs=2)(delayed(threading.get_ident)() for _ in range(3))
    return threading.get_ident(), inner, X[rows].sum()


def test_calls_inside_a_call_run_in_its_thread(cluster):
    X = np.arange(10_000.0)
    with on_cluster(distributed.Client(cluster), [X]) as threads:
        results = Parallel(n_jobs=-1)(delayed(_fit_like)(slice(i, i + 10), X)
                                      for i in range(6))
    assert threads == 2
    for (outer, inner, total), i in zip(results, range(6)):
        assert outer != threading.get_ident()  # on the cluster's worker threads
        assert inner == [outer] * 3
        assert total == X[i:i + 10].sum()  # the worker's copy of X stands in for it


def test_one_job_runs_in_this_thread(cluster):
    with on_cluster(distributed.Client(cluster), []):
        idents = Parallel(n_jobs=1)(delayed(threading.get_ident)() for _ in range(3))
    assert idents == [threading.get_ident()] * 3


def test_a_failed_call_raises_its_own_error(cluster):
    with on_cluster(distributed.Client(cluster), []), \
            pytest.raises(ValueError, match="invalid literal"):
        Parallel(n_jobs=-1)(delayed(int)(text) for text in ["1", "x", "3"])


def test_a_cluster_of_one_thread_runs_the_calls():
    # joblib runs calls in this thread when a backend offers one job.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            on_cluster(distributed.Client(cluster), []) as threads:
        idents = Parallel(n_jobs=-1)(delayed(threading.get_ident)() for _ in range(3))
    assert threads == 1
    assert threading.get_ident() not in idents


def test_a_cluster_without_workers_is_named():
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=":0") as cluster, \
            pytest.raises(UsageError, match=f"scheduler at {cluster.scheduler_address} "
                                            "has no workers"), \
            on_cluster(distributed.Client(cluster), [], wait=0.2):
        pass
