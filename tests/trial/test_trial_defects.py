"""Reproducers of defects found by trying the package as a new user.

Each defect's test is marked ``xfail(strict=True)`` and names the defect: it
fails today and passes once the defect is fixed (then drop the marker).
"""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "fit_with_several_processes.py"


# Each process fits the guide's example estimator; process 1 shuffles its
# copy of the rows first (the same rows, the same label and group totals).
SHUFFLED_WORKER = textwrap.dedent("""
    import runpy, sys
    import numpy as np
    import torch.distributed as dist
    from skfairtune.distributed import DistributedTraining

    example = runpy.run_path(sys.argv[1])
    dist.init_process_group("gloo")
    X, y, A = example["make_data"]()
    if dist.get_rank() == 1:
        order = np.random.default_rng(1).permutation(len(y))
        X, y, A = X[order], y[order], A[order]
    try:
        example["make_classifier"]([DistributedTraining()]).fit(X, y, sensitive_features=A)
        print("REFUSED: no")
    except ValueError as exc:
        print("REFUSED:", exc)
    dist.destroy_process_group()
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "Defect: DistributedTraining compares only the seed, the row count and the "
    "totals of y, the groups and the weights, so processes given the same rows "
    "in another order (or other X) train on overlapping shares silently, where "
    "the guide (several_processes.rst) says they all refuse, naming what differs."))
def test_processes_given_the_rows_in_another_order_refuse(tmp_path):
    worker = tmp_path / "worker.py"
    worker.write_text(SHUFFLED_WORKER)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
           "WORLD_SIZE": "2", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, str(worker), str(EXAMPLE)],
                              env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(2)]
    logs = [p.communicate(timeout=240)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n".join(logs)
    for log in logs:
        assert "REFUSED: DistributedTraining" in log, log
