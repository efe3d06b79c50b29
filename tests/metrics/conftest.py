"""Helpers of the metric tests that take fairlearn as their oracle."""

import inspect
import warnings

import numpy as np


def outcome(func, *args, **kwargs):
    """The value, or the builtin type of the error (ValueError, TypeError, ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(func(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            return next(t for t in type(exc).__mro__ if t.__module__ == "builtins")


def assert_same(ours, theirs):
    if isinstance(theirs, type) or isinstance(ours, type):
        # sklearn's InvalidParameterError is a ValueError: compare builtins.
        assert ours is theirs
    elif np.isnan(theirs):
        assert np.isnan(ours)
    else:
        assert abs(ours - theirs) <= 1e-12


def parameters(func):
    """Each parameter's name, kind and default: a signature without annotations."""
    return [(p.name, p.kind, p.default)
            for p in inspect.signature(func).parameters.values()]
