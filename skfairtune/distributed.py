"""Fine-tuning one estimator with several processes, through ``torch.distributed``.

When one device is not enough (a network or a data set too large for one
GPU's time), several processes can train one network together: each reads
the same rows, trains on its share of every batch, and
``torch.nn.parallel.DistributedDataParallel`` averages their gradients, so
that every process holds the same weights after every step. Add
:class:`DistributedTraining` to an estimator's ``callbacks`` inside an
initialised process group (``torchrun`` and
``torch.distributed.init_process_group``) and call ``fit`` in every process.

A fairness penalty is not a sum of per-row terms: it compares group means,
and the means of a share of a batch are not the batch's. During a
distributed step the penalties' per-group sums and totals are summed over
the processes (:data:`skfairtune._group_stats.GROUP_SUMS_REDUCER`, with an
all-reduce whose backward pass sends each process its share of the
gradient), so that every step narrows the gap
of the whole batch, as one process training on the whole batch would.

Searches over many settings stay with dask (see the cluster guide): they
fit many small models side by side, where this fits one model with many
processes.
"""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback

from skfairtune._group_stats import GROUP_SUMS_REDUCER
from skfairtune._torch_data import GroupDataset, resolve

__all__ = ["DistributedTraining"]

# The net's methods that the callback's stand in for while it trains.
_STAND_INS = ("train_step_single", "get_iterator", "forward_float64")


class DistributedTraining(Callback):
    """Train an estimator's network with the processes of a process group.

    Every process of the group builds the same estimator (the same
    parameters, an int ``random_state`` included) and calls ``fit`` with the
    same rows. During training, each batch of ``batch_size`` rows (the
    *global* batch, as in a one-process fit) is dealt out among the
    processes, row ``i`` of the batch to process ``i % world_size``, as
    ``torch.utils.data.DistributedSampler`` deals out an epoch; the module
    runs in ``DistributedDataParallel``, which averages the gradients; the
    penalty's group sums are summed over the processes, so the penalty is the
    whole batch's gap. Evaluations of the network during training
    (constraint mode's held-out gap, :class:`~skfairtune.callbacks.FairnessMonitor`)
    are split among the processes and their outputs gathered, so each
    process reads the same, whole, gap.

    The fitted estimator is the same in every process, and an ordinary one:
    it predicts, pickles and saves its weights without a process group.

    The processes that train together are those of the default process
    group (``torch.distributed.init_process_group``).

    Notes
    -----
    The task loss of a step is each process's (weighted) mean loss over its
    share, and the gradients are averaged over the processes, as with any
    ``DistributedDataParallel`` training: that is the whole batch's mean
    loss when the shares weigh the same, as they do with unit sample
    weights and a ``batch_size`` that the number of processes divides. The
    penalty is the whole batch's in every case, except
    ``BoundedGroupLoss()`` without a ``bound``, whose bound is the share's
    mean loss. Every evaluation of the network during training is a
    collective call: each process must make it (the estimator's own
    callbacks do).

    Examples
    --------
    In a script that ``torchrun --nproc-per-node 2 script.py`` starts::

        import torch.distributed as dist
        from skfairtune import FairTuneClassifier
        from skfairtune.distributed import DistributedTraining

        dist.init_process_group("gloo")        # "nccl" for GPUs
        clf = FairTuneClassifier(batch_size=256, random_state=0,
                                 callbacks=[DistributedTraining()])
        clf.fit(X, y, sensitive_features=A)    # the same rows in every process
    """

    # The default process group: a group object cannot be copied or pickled,
    # as an estimator's parameters must be.
    group = None

    # -- skorch's hooks -------------------------------------------------------
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._restore(net)  # what a fit that failed may have left
        dist = _distributed()
        self.world_size_ = dist.get_world_size(self.group)
        self.rank_ = dist.get_rank(self.group)
        self._check_same_fit(net, X)
        self.ddp_ = _wrap(net.module_, self.group)
        for name in _STAND_INS:
            # The net's own method, bound, before this callback's stands in for it.
            original = getattr(net, name)
            vars(net)[name] = getattr(self, "_" + name)(net, original)

    def on_train_end(self, net, **kwargs):
        self._restore(net)

    def __getstate__(self):
        # A process group and DistributedDataParallel belong to the processes
        # that made them; a pickled net leaves them behind.
        state = dict(self.__dict__)
        state.pop("ddp_", None)
        return state

    def _restore(self, net) -> None:
        for name in _STAND_INS:
            vars(net).pop(name, None)
        self.ddp_ = None

    # -- what stands in for the net's methods during training -----------------
    def _train_step_single(self, net, original):
        """The step through ``DistributedDataParallel``, with the group sums
        summed over the processes; the loss recorded is the processes' mean,
        so that every process's history, early stopping and divergence check
        read the same number."""
        ddp, group, world = self.ddp_, self.group, self.world_size_
        reducer = _group_sums_reducer(group)

        def train_step_single(batch, **fit_params):
            plain = net.module_
            # The net sets the mode of its modules only when their flag says
            # it differs, and the validation steps set the plain module's.
            ddp.training = plain.training
            # skorch's __setattr__ would register the wrapper as a module of the net.
            object.__setattr__(net, "module_", ddp)
            token = GROUP_SUMS_REDUCER.set(reducer)
            try:
                step = original(batch, **fit_params)
            finally:
                GROUP_SUMS_REDUCER.reset(token)
                object.__setattr__(net, "module_", plain)
            loss = step["loss"].detach().clone()
            _distributed().all_reduce(_on_backend(loss, group), group=group)
            step["loss"] = loss / world
            return step

        return train_step_single

    def _get_iterator(self, net, original):
        """The net's batches, each dealt out among the processes."""
        rank, world = self.rank_, self.world_size_

        def get_iterator(dataset, training=False):
            batches = original(dataset, training=training)
            return _Shares(batches, rank, world) if training else batches

        return get_iterator

    def _forward_float64(self, net, original):
        """The network's outputs on ``dataset``: each process computes a slice
        of the rows, and every process gets them all, in order."""
        rank, world, group = self.rank_, self.world_size_, self.group

        def forward_float64(dataset, batch_size=None):
            data = resolve(dataset)
            size = math.ceil(len(data) / world)
            part = data.take(slice(rank * size, (rank + 1) * size))
            mine = original(part, batch_size) if len(part) else None
            parts = [None] * world
            _distributed().all_gather_object(parts, mine, group=group)
            return torch.cat([p for p in parts if p is not None])

        return forward_float64

    # -- checks -----------------------------------------------------------------
    def _check_same_fit(self, net, dataset) -> None:
        """Refuse processes that would not train one network together.

        Every process must shuffle the same rows the same way, or the shares
        of a batch would overlap and miss rows: the seed (from
        ``random_state``), the epochs trained and the rows, in their order,
        are compared (the features too when they are in memory; a dataset on
        disk is not read for it).
        """
        data = resolve(dataset)
        mine = torch.tensor([
            float(net.seed), float(net.n_iterators), float(len(data)),
            _fingerprint(data.groups), _fingerprint(data.weight), _fingerprint(data.y),
            _fingerprint(data.X),
        ], dtype=torch.float64)
        sent = _on_backend(mine, self.group)
        everyone = [torch.zeros_like(sent) for _ in range(self.world_size_)]
        _distributed().all_gather(everyone, sent, group=self.group)
        # Every process reads every other's, so all of them refuse together:
        # one that went on would wait for the others forever.
        first, *others = (t.cpu() for t in everyone)
        odd = {rank: _what_differs(first, t) for rank, t in enumerate(others, 1)}
        odd = {rank: what for rank, what in odd.items() if what}
        if not odd:
            return
        rank, what = next(iter(odd.items()))
        raise ValueError(
            f"DistributedTraining: process {rank} of {self.world_size_} differs from "
            f"process 0 in {what}. Every process must build the estimator with the same "
            "parameters, random_state an int (not None), and fit it on the same rows "
            "(X, y, sensitive_features and sample_weight); each process trains on its "
            "share of every batch."
        )


class _Shares:
    """A process's share of each batch of ``batches``: rows ``rank``,
    ``rank + world``, ... (the batches stay in step across processes)."""

    def __init__(self, batches, rank: int, world: int):
        self.batches, self.rank, self.world = batches, rank, world

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for Xi, yi in self.batches:
            rows = GroupDataset(Xi.X, yi, Xi.groups, Xi.weight)
            yield rows.take(slice(self.rank, None, self.world)).batch()


def _distributed():
    """``torch.distributed``, once a process group is there."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        raise ValueError(
            "DistributedTraining trains within a process group, and there is none: "
            "call torch.distributed.init_process_group(...) in every process first "
            "(torchrun sets the rank and the world size), or fit without "
            "DistributedTraining in the callbacks."
        )
    return dist


def _wrap(module: torch.nn.Module, group):
    """``module`` in ``DistributedDataParallel``, which broadcasts process 0's
    weights and averages the gradients of every step."""
    from torch.nn.parallel import DistributedDataParallel

    device = next(module.parameters()).device
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, process_group=group)


def _group_sums_reducer(group):
    """A function that sums per-group sums and totals over the processes, in
    one call, keeping them differentiable."""

    def reduce(sums, totals):
        flat = torch.cat([sums.reshape(-1), totals.to(sums.dtype)])
        flat = _SumOverProcesses.apply(_on_backend(flat, group), group).to(sums.device)
        return flat[:sums.numel()].reshape(sums.shape), flat[sums.numel():].to(totals.dtype)

    return reduce


class _SumOverProcesses(torch.autograd.Function):
    """A tensor summed over the processes, differentiably.

    The sum reads every process's tensor, so the gradient that reaches each
    process's own is the sum of every process's upstream gradient; averaged
    by ``DistributedDataParallel``, each step's gradient is then the one of
    the whole batch's penalty. (``torch.distributed.nn.functional.all_reduce``
    does the same, and is deprecated.)
    """

    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        total = tensor.clone()
        torch.distributed.all_reduce(total, group=group)
        return total

    @staticmethod
    def backward(ctx, grad):
        total = grad.clone()
        torch.distributed.all_reduce(total, group=ctx.group)
        return total, None


def _on_backend(tensor: torch.Tensor, group) -> torch.Tensor:
    """``tensor`` where the group's backend reduces: NCCL on the GPU."""
    if torch.distributed.get_backend(group) == "nccl" and tensor.device.type != "cuda":
        return tensor.to(torch.device("cuda", torch.cuda.current_device()))
    return tensor


def _fingerprint(values) -> float:
    """The rows' sums weighted by their position (1, 2, ...): the same rows in
    another order give another number. 0 for what is not in memory."""
    if isinstance(values, dict):
        return sum(_fingerprint(v) for v in values.values())
    if not torch.is_tensor(values):
        return 0.0
    rows = values.double().reshape(len(values), -1).sum(1)
    position = torch.arange(1, len(rows) + 1, dtype=torch.float64, device=rows.device)
    return float((rows * position).sum())


def _what_differs(first: torch.Tensor, other: torch.Tensor) -> str:
    """What of :meth:`DistributedTraining._check_same_fit`'s numbers differ ("" if none)."""
    names = ("the seed (random_state)", "the epochs trained so far", "the number of rows",
             "the sensitive features", "the sample weights", "y", "X")
    return ", ".join(name for name, a, b in zip(names, first.tolist(), other.tolist())
                     if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9))
