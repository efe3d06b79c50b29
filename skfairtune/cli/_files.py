"""The ``--out`` folder: checked before a run starts, filled when it ends.

A command names the files it will write. Before any training, the folder is
created and checked: a file of that name already there is the user's, and
is replaced only with ``--overwrite``. The run writes into a private folder
of its own inside ``--out``, and its files are moved into place at the end,
so that

* a run that fails leaves the user's files as they were;
* no write goes through a symbolic link planted in ``--out``: moving a file
  onto a link replaces the link itself, never the file it points to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ._common import RunFailed, UsageError

# The private folder's prefix: a dot file, which listings hide.
_STAGING = ".skfairtune-partial-"


class OutputFolder:
    """The folder given by ``--out``, checked for the files a command writes.

    Parameters
    ----------
    path : Path
        The folder; created when missing.
    names : list of str
        The files the command will write into it.
    overwrite : bool
        Whether files of those names that are already there may be replaced.

    Raises
    ------
    UsageError
        If the folder cannot be created or written, if one of ``names`` is
        there already and ``overwrite`` is False, or if one is a folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skfairtune.cli._files import OutputFolder
    >>> folder = Path(tempfile.mkdtemp())
    >>> with OutputFolder(folder, ["a.txt"], overwrite=False) as out:
    ...     _ = out.file("a.txt").write_text("results")
    ...     out.commit()
    ['a.txt']
    >>> OutputFolder(folder, ["a.txt"], overwrite=False)
    Traceback (most recent call last):
    ...
    skfairtune.cli._common.UsageError: --out ... already holds a.txt; ...
    """

    def __init__(self, path: Path, names: list, *, overwrite: bool):
        self.path = Path(path)
        self.names = list(names)
        self.overwrite = overwrite
        self.staging: Path | None = None
        _create(self.path)
        self._check(self.names)

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r})"

    def __str__(self) -> str:
        return str(self.path)

    def __enter__(self) -> OutputFolder:
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=self.path))
        except OSError as exc:
            raise UsageError(f"cannot write to --out {self.path}: "
                             f"{exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def file(self, name: str) -> Path:
        """Where the run writes ``name`` until :meth:`commit` moves it into place."""
        if self.staging is None:
            raise RuntimeError("OutputFolder.file is for use inside its with block")
        return self.staging / name

    def commit(self) -> list:
        """Move the files written so far into the folder; return their names.

        Raises
        ------
        RunFailed
            If, without ``overwrite``, a file of the same name appeared in the
            folder while the run went on; the results are then kept in the
            private folder, which the message names.
        """
        written = sorted(p.name for p in self.staging.iterdir())
        try:
            self._check(written)
        except UsageError as exc:
            kept, self.staging = self.staging, None  # not removed on exit
            raise RunFailed(f"{exc} (it appeared while the run went on); the results "
                            f"are kept in {kept}") from None
        for name in written:
            # os.replace swaps the directory entry: a link there is replaced
            # itself, and the file it points to is left alone.
            os.replace(self.staging / name, self.path / name)
        return written

    def _check(self, names: list) -> None:
        present = [n for n in names if os.path.lexists(self.path / n)]
        folders = [n for n in present
                   if (self.path / n).is_dir() and not (self.path / n).is_symlink()]
        if folders:
            raise UsageError(f"--out {self.path} holds a folder named {_listed(folders)} "
                             "where a file is to be written; move it, or choose "
                             "another --out")
        if present and not self.overwrite:
            shown = [f"{n} (a link)" if (self.path / n).is_symlink() else n
                     for n in present]
            them = "it" if len(present) == 1 else "them"
            raise UsageError(f"--out {self.path} already holds {_listed(shown)}; pass "
                             f"--overwrite to replace {them}, or choose another --out")


def _create(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write to --out {path}: {exc.strerror or exc}") from None


def _listed(names: list) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
