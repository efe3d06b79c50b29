"""The multi-layer perceptron that ``module=None`` builds.

Shared by the estimators, which build it, and :mod:`skfairtune.pretrained`,
which converts fitted scikit-learn networks to it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "logistic": torch.sigmoid,
    "identity": lambda x: x,
    "gelu": nn.functional.gelu,
}


class MLP(nn.Module):
    """A fully connected network: hidden layers, then a linear output layer.

    Its parameters are named ``hidden.<i>.weight``, ``hidden.<i>.bias``,
    ``output.weight`` and ``output.bias``, which is what ``freeze`` patterns
    and weight files refer to. The activations are those of scikit-learn's
    ``MLPClassifier`` (plus ``"gelu"``), so that a fitted scikit-learn network
    converts to this one exactly.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_outputs : int
        Width of the output: the number of logits, or of regression targets.
    hidden_layer_sizes : tuple of int, default=(64,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
        The non-linearity after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden layer, in training only.
    """

    def __init__(
        self,
        n_features: int,
        n_outputs: int,
        hidden_layer_sizes: tuple = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
    ):
        super().__init__()
        sizes = [int(n_features), *(int(h) for h in hidden_layer_sizes)]
        self.hidden = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.output = nn.Linear(sizes[-1], int(n_outputs))
        self.activation = activation
        self.dropout = nn.Dropout(dropout)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        for layer in self.hidden:
            X = self.dropout(act(layer(X)))
        return self.output(X)


def build_mlp(
    n_features: int,
    n_outputs: int,
    hidden_layer_sizes: tuple = (64,),
    activation: str = "relu",
    dropout: float = 0.0,
    *,
    generator: torch.Generator | None = None,
) -> MLP:
    """An :class:`MLP` initialised as torch initialises ``nn.Linear``, from ``generator``.

    ``nn.Linear`` draws its initial weights from torch's process-wide
    generator, which fits running in threads share and race on; built here
    on the ``meta`` device and then initialised from ``generator``, the
    network draws nothing from it. With a generator seeded ``s``, the
    weights are those ``torch.manual_seed(s); MLP(...)`` gives.

    Parameters
    ----------
    n_features, n_outputs, hidden_layer_sizes, activation, dropout
        As for :class:`MLP`.
    generator : torch.Generator, default=None
        Where the initial weights are drawn from; None: the process's.

    Returns
    -------
    MLP
        On the CPU.
    """
    with torch.device("meta"):
        module = MLP(n_features, n_outputs, hidden_layer_sizes, activation, dropout)
    module.to_empty(device="cpu")
    for layer in (*module.hidden, module.output):
        # nn.Linear.reset_parameters, with the generator.
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
        bound = 1 / math.sqrt(layer.in_features) if layer.in_features > 0 else 0.0
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return module
