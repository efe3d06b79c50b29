"""Deprecating a public name or a way of calling, one rule for the package.

A changed public name keeps working for a while with a ``FutureWarning``
(shown to users by default, unlike ``DeprecationWarning``) that names what to
write instead.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable


def keyword_only(*names: str) -> Callable:
    """Let the keyword-only parameters ``names`` still be passed by position, with a warning.

    For a function whose parameters became keyword-only: calls that pass
    them by position keep working, map to the same parameters, and warn.
    """
    def decorate(func: Callable) -> Callable:
        params = inspect.signature(func).parameters.values()
        n_positional = sum(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            extra = args[n_positional:]
            if extra:
                moved = dict(zip(names, extra))
                warnings.warn(
                    f"Passing {', '.join(moved)} to {func.__name__} by position is "
                    f"deprecated and will stop working in a future release; pass "
                    f"{', '.join(f'{k}=...' for k in moved)} by keyword.",
                    FutureWarning, stacklevel=2)
                if len(extra) > len(names):
                    raise TypeError(f"{func.__name__} takes {n_positional + len(names)} "
                                    f"positional arguments at most; got {len(args)}.")
                kwargs.update(moved)
            return func(*args[:n_positional], **kwargs)

        return wrapper

    return decorate
