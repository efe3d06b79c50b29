"""The ``skfairtune`` command line.

``skfairtune demo`` runs the main job on the bundled Adult data: train a base
model the ordinary way (the biased starting point), save its weights,
fine-tune from them over a grid of penalty strengths with group-aware
cross-validation, choose within a fairness budget, print the table and write
the report. ``skfairtune tune`` does the same on a CSV or Parquet file, and
``skfairtune audit`` audits a file's data, and ``skfairtune check`` holds a
saved model to a fairness budget on new labeled data.

Exit codes: 0 success, 1 a run that failed, 2 bad usage or input; ``check``
exits 0 within the budget, 1 over it and 3 when the data cannot tell;
``tune`` and ``demo`` exit 4 when no strength met the budget. Errors
are one line on standard error, never a traceback (``--traceback`` shows it).

The modules: ``_parser`` (options), ``_commands`` (demo, tune, audit),
``_check`` (check), ``_inputs`` (reading and checking the user's table),
``_files`` (the ``--out`` folder), ``_tune`` (the fine-tuning run),
``_encoding`` (the columns' encoding, shared by the run and the saved model),
``_search`` (its grid search and the strengths that failed), ``_cluster``
(``--scheduler``), ``_output`` (the progress bar, table, files and report)
and ``_model_file`` (the saved model: a pickle, and the description and
weights that ``check`` loads without running code). Only ``_parser`` and
``_common`` are imported to parse the options: ``--help`` loads neither
torch nor pandas.
"""

from __future__ import annotations

import sys

from ._common import (
    EXIT_FAILED,
    EXIT_NOT_MET,
    EXIT_OK,
    EXIT_OVER,
    EXIT_UNSURE,
    EXIT_USAGE,
    RunFailed,
    UsageError,
)
from ._parser import build_parser

__all__ = ["EXIT_FAILED", "EXIT_NOT_MET", "EXIT_OK", "EXIT_OVER", "EXIT_UNSURE", "EXIT_USAGE",
           "RunFailed", "UsageError", "build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``skfairtune`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit code: 0 success, 1 a run that failed, 2 bad usage or input;
        ``check`` gives 0 within the budget, 1 over it, 3 when the interval
        straddles it; ``tune`` and ``demo`` give 4 when no strength met the
        budget (the fairest is saved).

    Examples
    --------
    >>> from skfairtune.cli import main
    >>> main(["audit", "no-such-file.csv", "--target", "y", "--sensitive", "sex"])
    2
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), or a usage error (2)
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    # Imported once the options are good: they bring pandas and scikit-learn.
    from ._check import run_check
    from ._commands import run_audit, run_demo, run_tune

    run = {"demo": run_demo, "tune": run_tune, "audit": run_audit,
           "check": run_check}[args.command]
    try:
        code = run(args)
    except UsageError as exc:
        return _fail(f"error: {exc}", EXIT_USAGE, args.traceback)
    except RunFailed as exc:
        return _fail(f"error: {exc}", EXIT_FAILED, args.traceback)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_FAILED, args.traceback)
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into codes
        kind = "" if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: "
        return _fail(f"error: the run failed: {kind}{exc}", EXIT_FAILED, args.traceback)
    return EXIT_OK if code is None else code


def _fail(message: str, code: int, traceback: bool) -> int:
    if traceback:
        import traceback as tb

        tb.print_exc()
    # A message may quote a value from the user's file (a column, a label), and
    # an escape sequence in it must not act on the terminal; its own line
    # breaks are kept.
    from skfairtune._safe_text import terminal_safe

    safe = "\n".join(terminal_safe(line) for line in str(message).split("\n"))
    print(f"skfairtune: {safe}", file=sys.stderr)
    return code
