"""What every report offers, whatever it reports: text, markdown, HTML, files.

A report (:class:`~skfairtune.report.ModelReport`,
:class:`~skfairtune.audit.DatasetAudit`) builds one
:class:`~skfairtune.report._document.Document`; :class:`Rendered` gives it
the same four methods, each a call of one renderer of ``_html`` or
``_markdown``, so that the text, the markdown, the page and the files never
say different things.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._document import Document


class Rendered:
    """The four ways out of a report: ``to_text``, ``to_markdown``, ``to_html``, ``write``.

    A subclass defines :meth:`document`, and ``_default_name``, the name of
    its files when :meth:`write` is given none.
    """

    _default_name = "report"

    def document(self) -> Document:
        """The report as a document of sections (text, tables and figures)."""
        raise NotImplementedError

    def to_text(self) -> str:
        """The report as plain text for a terminal: the text and the tables.

        It is also what ``str(report)`` and ``print(report)`` give.

        Returns
        -------
        str
        """
        from ._markdown import document_text

        return document_text(self.document())

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self) -> str:
        """The report as markdown: the text and the tables, the plots named.

        Returns
        -------
        str
            What :meth:`write` writes to ``<name>.md``.
        """
        from ._markdown import document_markdown

        return document_markdown(self.document())

    def to_html(self, *, full_page: bool = True) -> str:
        """The report as HTML, its plots embedded as PNG data URIs.

        Parameters
        ----------
        full_page : bool, default=True
            A complete, self-contained page (what :meth:`write` writes to
            ``<name>.html``); False gives the body only, as a notebook shows it.

        Returns
        -------
        str
        """
        from ._html import body_html, page_html

        return page_html(self.document()) if full_page else body_html(self.document())

    def _repr_html_(self) -> str:
        return self.to_html(full_page=False)

    def write(self, out: str | Path, *, name: str | None = None) -> dict[str, Path]:
        """Write ``<name>.html`` and ``<name>.md`` into the folder ``out``.

        The HTML page is self-contained (its plots embedded, its style
        inline); the markdown holds the text and the tables. They are
        :meth:`to_html` and :meth:`to_markdown`, written.

        Parameters
        ----------
        out : str or Path
            The folder; it is created when missing.
        name : str, default=None
            The files' name without suffix: not empty, not starting with a
            dot, without a path separator (the folder goes in ``out``).
            None gives ``"report"`` for a model report and ``"audit"`` for a
            data-set audit.

        Returns
        -------
        dict
            The paths written, under ``"html"`` and ``"markdown"``.

        Raises
        ------
        ValueError
            If ``name`` is empty, starts with a dot or holds a path separator.
        """
        from ._html import page_html
        from ._markdown import document_markdown

        name = self._default_name if name is None else name
        check_name(name)
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        document = self.document()
        paths = {"html": folder / f"{name}.html", "markdown": folder / f"{name}.md"}
        paths["html"].write_text(page_html(document), encoding="utf-8")
        paths["markdown"].write_text(document_markdown(document), encoding="utf-8")
        return paths


def check_name(name) -> None:
    """Refuse a file name that would write hidden files or outside ``out``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, the files' name without suffix; got "
                        f"{type(name).__name__} {name!r}.")
    files = f"'{name}.html' and '{name}.md'"
    if not name.strip():
        raise ValueError(f"name={name!r} is blank: it would write {files}. Give the files' "
                         "name without suffix, for example name='report'.")
    if name.startswith("."):
        raise ValueError(f"name={name!r} starts with a dot: it would write the hidden files "
                         f"{files}. Give a name that starts with a letter or digit.")
    separators = {"/", "\\", os.sep, os.altsep} - {None}
    found = sorted(c for c in separators if c in name)
    if found or "\0" in name:
        what = f"the path separator {found[0]!r}" if found else "a NUL character"
        raise ValueError(f"name={name!r} holds {what}: it is the files' name, not a path. "
                         "Put the folder in out= and give a bare name, for example "
                         "name='report'.")
