"""Running the grid search's fits on a dask.distributed cluster (``--scheduler``).

The fits go through joblib's dask backend, with two changes that let a run
survive a busy cluster and a worker that dies or restarts.

* joblib runs each batch of calls under ``parallel_config(backend="dask")``,
  so a joblib call made inside a fit (a ``ColumnTransformer``'s transform:
  ``n_jobs=1`` does not stop it, the dask backend counts the cluster's cores
  whatever ``n_jobs`` says) went back to the cluster as tasks of its own,
  from inside a task. Their data were scattered from there, through
  distributed's in-task path (``Worker.update_data``); when the worker's
  state machine failed on it (an assertion in its task counter), the worker
  closed and took with it the data of the fits around it, and the scheduler
  forgot those fits ("cancelled for reason: already forgotten"). Here the
  calls inside a fit run in the fit's own thread.
* joblib scatters each large argument of a call (the estimator, the fold's
  row indices) to one worker and keeps that single copy; when the worker
  goes, the fits that need it are forgotten too. Here each fit's arguments
  travel inside its task, which the scheduler keeps and reruns on another
  worker; only ``X`` and ``y``, which every fit shares, are scattered, to
  every worker, once.

This module imports distributed, so it is imported only with ``--scheduler``.
"""

from __future__ import annotations

from contextlib import contextmanager

import joblib
from joblib._dask import Batch, DaskDistributedBackend

BACKEND = "skfairtune-dask"


class InThreadBatch(Batch):
    """A batch of calls whose own joblib calls run in the worker's thread."""

    def __call__(self, tasks=None):
        with joblib.parallel_config(backend="sequential"):
            return [func(*args, **kwargs) for func, args, kwargs in tasks]


class TaskArgumentsBackend(DaskDistributedBackend):
    """joblib's dask backend, with the two changes above, and ``n_jobs=1``
    meaning one job in this thread, as with joblib's other backends."""

    def configure(self, n_jobs=1, parallel=None, **backend_args):
        # joblib's dask backend counts the cluster's cores whatever n_jobs is.
        if n_jobs != 1:
            return super().configure(n_jobs, parallel, **backend_args)
        self.parallel = parallel
        return 1

    async def _to_func_args(self, func):
        # The same contract as joblib's: the batch to run and its calls, the
        # arguments given to scatter= replaced by their futures.
        def shared(values):
            return [self.data_futures.get(id(value), value) for value in values]

        tasks = [(f, shared(args), dict(zip(kwargs, shared(kwargs.values()))))
                 for f, args, kwargs in func.items]
        return InThreadBatch(tasks), tasks


joblib.register_parallel_backend(BACKEND, TaskArgumentsBackend)


@contextmanager
def on_cluster(client, shared: list):
    """Run joblib calls on ``client``'s cluster; yield its number of worker threads.

    Parameters
    ----------
    client : distributed.Client
        Closed when the block ends.
    shared : list
        The arguments every fit takes (``X``, ``y``), scattered to every
        worker once, for the whole run.
    """
    with client, joblib.parallel_backend(BACKEND, client=client, scatter=shared):
        yield max(1, sum(client.nthreads().values()))
