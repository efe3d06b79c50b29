"""Running the grid search's fits on a dask.distributed cluster (``--scheduler``).

The fits go through a joblib backend of our own, built on public APIs only
(joblib's ``ParallelBackendBase`` and ``parallel_config``, distributed's
``Client.scatter``, ``Client.submit`` and ``Future.add_done_callback``,
pickle's persistent ids). It
differs from joblib's ``"dask"`` backend in three ways, which let a run
survive a busy cluster and a worker that dies or restarts.

* joblib's dask backend runs each batch of calls under
  ``parallel_config(backend="dask")``, so a joblib call made inside a fit (a
  ``ColumnTransformer``'s transform: ``n_jobs=1`` does not stop it) went back
  to the cluster as tasks of its own, from inside a task. Their data were
  scattered from there, through distributed's in-task path
  (``Worker.update_data``); when the worker's state machine failed on it (an
  assertion in its task counter), the worker closed and took with it the data
  of the fits around it, and the scheduler forgot those fits ("cancelled for
  reason: already forgotten"). Here the calls inside a fit run in the fit's
  own thread.
* joblib's dask backend scatters each large argument of a call (the
  estimator, the fold's row indices) to one worker and keeps that single
  copy; when the worker goes, the fits that need it are forgotten too. Here
  each batch of fits travels inside its task, which the scheduler keeps and
  reruns on another worker; only ``X`` and ``y``, which every fit shares, are
  scattered, to every worker, once.
* ``n_jobs=1`` means one job in this thread, as with joblib's other backends
  (joblib's dask backend counts the cluster's cores whatever ``n_jobs`` says).

This module needs distributed (and cloudpickle, which distributed requires), so it
is imported only with ``--scheduler``.
"""

from __future__ import annotations

import io
import pickle
import threading
from contextlib import contextmanager
from uuid import uuid4

import cloudpickle
import joblib
from joblib import ParallelBackendBase

from ._common import UsageError


class InThreadBackend(ParallelBackendBase):
    """joblib calls made inside a fit: one at a time, in the fit's own thread."""

    supports_sharedmem = True
    uses_threads = True

    def effective_n_jobs(self, n_jobs):
        # joblib runs a call sequentially, in the caller's thread, when the
        # backend offers one job: whatever n_jobs the call asks for.
        return 1

    def get_nested_backend(self):
        return InThreadBackend(), None


class _SharedPickler(cloudpickle.Pickler):
    """Pickles a batch with each shared value replaced by its place in the list.

    joblib hands a backend each batch as an opaque callable; pickle's
    persistent ids swap ``X`` and ``y`` for the workers' copies wherever the
    calls hold them, without reading joblib's batch from the inside.
    """

    def __init__(self, file, shared: list):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._places = {id(value): place for place, value in enumerate(shared)}

    def persistent_id(self, obj):
        return self._places.get(id(obj))


class _SharedUnpickler(pickle.Unpickler):
    """Reads a batch back, with the worker's copy of each shared value."""

    def __init__(self, file, shared: list):
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid):
        return self._shared[pid]


def _run_in_thread(payload: bytes, shared: list):
    """The task: a batch of joblib calls, their own joblib calls in this thread.

    dask hands ``shared`` over as the worker's copies of the scattered values.
    """
    batch = _SharedUnpickler(io.BytesIO(payload), shared).load()
    with joblib.parallel_config(backend=InThreadBackend()):
        return batch()


class ClusterBackend(ParallelBackendBase):
    """A joblib backend that runs each batch of calls as one task on ``client``.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    shared : list
        Values every call takes (``X``, ``y``): scattered to every worker once,
        and replaced by the workers' copies wherever a call names them.
    """

    supports_retrieve_callback = True
    default_n_jobs = -1

    def __init__(self, client, shared: list = (), **backend_args):
        super().__init__(**backend_args)
        self.client = client
        self._shared = list(shared)
        self._copies = client.scatter(self._shared, broadcast=True) if shared else []
        self._pending = set()
        self._lock = threading.Lock()

    def effective_n_jobs(self, n_jobs):
        if n_jobs == 1:
            return 1
        # At least 2: joblib runs the calls in this thread when the backend
        # offers one job, and a cluster of one worker thread must still get them.
        return max(2, sum(self.client.nthreads().values()))

    def get_nested_backend(self):
        return InThreadBackend(), None

    def submit(self, func, callback=None):
        buffer = io.BytesIO()
        _SharedPickler(buffer, self._shared).dump(func)
        # The key names what runs, for the dashboard and the task stream.
        future = self.client.submit(_run_in_thread, buffer.getvalue(), self._copies,
                                    key=f"skfairtune-fits-{uuid4().hex}")
        with self._lock:
            self._pending.add(future)
        if callback is not None:
            future.add_done_callback(callback)
        return future

    def retrieve_result_callback(self, out):
        with self._lock:
            self._pending.discard(out)
        return out.result()

    def abort_everything(self, ensure_ready=True):
        # joblib drops the other results after a failure: spare the cluster.
        with self._lock:
            pending, self._pending = list(self._pending), set()
        self.client.cancel(pending)

    def stop_call(self):
        with self._lock:
            self._pending.clear()


@contextmanager
def on_cluster(client, shared: list, *, wait: float = 10.0):
    """Run joblib calls on ``client``'s cluster; yield its number of worker threads.

    Parameters
    ----------
    client : distributed.Client
        Closed when the block ends.
    shared : list
        The arguments every fit takes (``X``, ``y``), scattered to every
        worker once, for the whole run.
    wait : float, default=10.0
        Seconds to wait for a first worker when the cluster has none.

    Raises
    ------
    UsageError
        When no worker joined the cluster within ``wait`` seconds.
    """
    with client:
        threads = _worker_threads(client, wait)
        with joblib.parallel_config(backend=ClusterBackend(client, shared)):
            yield threads


def _worker_threads(client, wait: float) -> int:
    """The cluster's worker threads, once it has a worker (the fits would
    otherwise wait at the scheduler for ever)."""
    if not client.nthreads():
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise UsageError(f"the dask scheduler at {client.scheduler.address} has no "
                             f"workers (waited {wait:g} seconds); start some with "
                             "'dask worker ADDRESS'") from None
    return sum(client.nthreads().values())
