"""Fine-tune one FairTuneClassifier with several processes.

Start it with torchrun, one process per device (here two on one CPU)::

    torchrun --nproc-per-node 2 fit_with_several_processes.py [probabilities.npy]

Every process reads the same rows and builds the same estimator; each trains
on its share of every batch of 128 rows, and the penalty narrows the gap of
the whole batch. The fitted model is the same in every process; process 0
saves its probabilities when given a file name.
"""

import sys

import numpy as np
import torch.distributed as dist

from skfairtune import FairTuneClassifier
from skfairtune.distributed import DistributedTraining


def make_data(n=1024, seed=0):
    """Rows whose label leans on the group, so that the penalty has work to do."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 6)) + 0.8 * A[:, None]
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.5, size=n) > 0.8).astype(int)
    return X.astype(np.float32), y, A


def make_classifier(callbacks=None, **params):
    """The estimator every process builds: random_state must be an int."""
    settings = dict(hidden_layer_sizes=(16,), batch_size=128, max_epochs=4, lr=0.05,
                    penalty="demographic_parity", penalty_strength=2.0, random_state=0)
    return FairTuneClassifier(callbacks=callbacks, **{**settings, **params})


if __name__ == "__main__":
    dist.init_process_group("gloo")  # torchrun gives the rank and the world size
    X, y, A = make_data()
    clf = make_classifier([DistributedTraining()]).fit(X, y, sensitive_features=A)
    if dist.get_rank() == 0 and len(sys.argv) > 1:
        np.save(sys.argv[1], clf.predict_proba(X))
    dist.destroy_process_group()
