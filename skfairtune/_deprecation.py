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
                both = sorted(set(moved) & set(kwargs))
                if both:
                    raise TypeError(f"{func.__name__}() got multiple values for "
                                    f"argument {both[0]!r}")
                kwargs.update(moved)
            return func(*args[:n_positional], **kwargs)

        return wrapper

    return decorate


def deprecated(old: str, new: str) -> Callable:
    """Keep a renamed function or method working, with a warning that names ``new``.

    Parameters
    ----------
    old : str
        The deprecated name, as users write it (``"write_report"``).
    new : str
        What to write instead (``"report.write(out, name=...)"``).

    Returns
    -------
    callable
        A decorator: the function it wraps behaves as before and warns, on
        every call, ``"<old> is deprecated and will be removed in a future
        release; use <new>."``
    """
    message = f"{old} is deprecated and will be removed in a future release; use {new}."

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            warnings.warn(message, FutureWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper

    return decorate
