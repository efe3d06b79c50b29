"""Test-wide settings.

torch's default of one thread per core spins against the other processes of
a busy 2-core machine and makes small fits several times slower; one thread
keeps the suite's run time steady.
"""

import torch

torch.set_num_threads(1)
