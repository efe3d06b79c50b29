"""Which parameters fine-tuning moves: frozen names and patterns, the last layers.

Re-exported by :mod:`skfairtune.pretrained`, where users look for it.
"""

from __future__ import annotations

import fnmatch

from torch import nn


def freeze_parameters(module: nn.Module, patterns: str | list | tuple | None,
                      *, train_last: int | None = None) -> list:
    """Stop gradients for parameters matching names or glob patterns.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    patterns : str or list of str or None
        Parameter names or ``fnmatch`` patterns such as ``"hidden.*"``.
    train_last : int, default=None
        Also freeze every parameter outside the last ``train_last`` layers
        (see :func:`parameterised_layers`); 1 trains the head alone.

    Returns
    -------
    list of str
        The frozen parameters' names.

    Raises
    ------
    ValueError
        If a pattern matches no parameter (a typo would otherwise train
        everything silently), or if the network has fewer than
        ``train_last`` layers.

    Examples
    --------
    >>> import torch
    >>> from skfairtune.pretrained import freeze_parameters
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
    ...                           torch.nn.Linear(4, 1))
    >>> freeze_parameters(net, None, train_last=1)
    ['0.weight', '0.bias']
    """
    # Every flag is set, not just the frozen ones: a module copied from a
    # source may carry requires_grad=False flags of its own.
    if patterns is None:
        patterns = []
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    names = [name for name, _ in module.named_parameters()]
    frozen = []
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise ValueError(
                f"freeze pattern {pattern!r} matches no parameter; the network's "
                f"parameters are {names}."
            )
        frozen.extend(h for h in hits if h not in frozen)
    if train_last is not None:
        _check_layer_count(module, train_last)
        kept = {n for layer in parameterised_layers(module)[-train_last:]
                for n in _parameters_of(module, layer)}
        frozen.extend(n for n in names if n not in kept and n not in frozen)
    for name, param in module.named_parameters():
        param.requires_grad_(name not in frozen)
    return frozen


def parameterised_layers(module: nn.Module) -> list[str]:
    """The names of the layers that hold parameters of their own, in order.

    A layer is a submodule with parameters of its own (a ``Linear``, a
    ``Conv2d``, a ``LayerNorm``), in the order the network registers them,
    which is the order of the forward pass in the usual ``Sequential`` or
    ``__init__`` layout; the last is the head. The network itself counts as
    a layer when it holds parameters directly.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    list of str
        Module names as ``named_modules`` gives them (``""`` for the network).

    Examples
    --------
    >>> import torch
    >>> from skfairtune.pretrained import parameterised_layers
    >>> parameterised_layers(torch.nn.Sequential(
    ...     torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)))
    ['0', '2']
    """
    return [name for name, sub in module.named_modules()
            if next(sub.parameters(recurse=False), None) is not None]


def _parameters_of(module: nn.Module, layer: str) -> list[str]:
    sub = module.get_submodule(layer)
    prefix = f"{layer}." if layer else ""
    return [prefix + n for n, _ in sub.named_parameters(recurse=False)]


def _check_layer_count(module: nn.Module, train_last: int) -> None:
    layers = parameterised_layers(module)
    if train_last > len(layers):
        raise ValueError(
            f"train_last={train_last} asks for more layers than the network has: "
            f"its {len(layers)} layer(s) with parameters are {layers}. Use "
            f"train_last={len(layers)} or less, or None to train every layer."
        )
