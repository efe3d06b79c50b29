"""A :class:`~skfairtune.report._document.Document` as markdown or plain text.

The markdown summary carries the tables and the text; the plots live in the
HTML report beside it. The plain text is what the command line prints.

Every piece of text that the markdown takes from a document (title, headings,
paragraphs, captions, index and column labels, cells) passes through
:func:`escape_markdown` here, and nowhere else: group values, column names,
scorer names and user titles are data, and a ``<script>`` or a ``|`` in one
of them must show as written, not as HTML or as a broken table.
"""

from __future__ import annotations

import re

from .._safe_text import shown_as_drawn, terminal_safe
from ._document import Document, Section, Table, formatted

# Markdown's inline specials are backslash-escaped. HTML's are escaped only
# where a reader would take them for HTML: a "<" that could open a tag, a
# comment or an autolink (not one before a space, nor "<=" before a space), a
# "&" that could start an entity, a ">" that would open a quote; "gap <= 0.05"
# and "R&D" read as written, in the file as on the page. Escaping is the
# markdown's own (a backslash), never an HTML entity, except "$": GitHub reads
# "$...$" as math, and a backslash does not stop every math parser.
_SPECIAL = re.compile(r"[$\\`*\[\]|~#]|<(?!\s|=\s|=$|$)|^>"
                      r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
# Line breaks and other control characters end a table row or a paragraph.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An underscore between two letters or digits cannot open or close emphasis
# (metric names keep their underscores readable); any other one can.
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# What makes a paragraph a list item (headings, quotes and code fences start
# with characters that are escaped everywhere).
_LIST_MARKER = re.compile(r"(\d{1,9}[.)]|[-+])(?=\s|$)")


def escape_markdown(text: object) -> str:
    """``text`` as markdown that shows it literally, on one line.

    Parameters
    ----------
    text : object
        Any value; it is turned into a string first.

    Returns
    -------
    str
        The text with markdown's inline specials backslash-escaped, as are
        ``<``, ``&`` and ``>`` where they could open HTML, an entity or a
        quote (``<=`` and ``a & b`` stay as written), ``$`` as an entity,
        and line breaks and other control characters as spaces, so that it
        fits in a table cell, a heading or a paragraph without changing
        them. Spaces at either end, which markdown drops anyway, are dropped.

    Examples
    --------
    >>> from skfairtune.report._markdown import escape_markdown
    >>> print(escape_markdown("DP gap <= 0.05 for R&D, not <b>"))
    DP gap <= 0.05 for R&D, not \\<b>
    """
    text = _SPECIAL.sub(_escaped, shown_as_drawn(_CONTROL.sub(" ", str(text))).strip())
    return _LOOSE_UNDERSCORE.sub(r"\_", text)


def _escaped(match: re.Match) -> str:
    return "&#36;" if match.group() == "$" else "\\" + match.group()


def _paragraph(text: object) -> str:
    """A paragraph: escaped, and never read as a list item or a code block."""
    text = escape_markdown(text)
    marker = _LIST_MARKER.match(text)
    if marker:
        text = text[:marker.end() - 1] + "\\" + text[marker.end() - 1:]
    return text


def table_markdown(table: Table) -> str:
    """A table in GitHub's pipe syntax, highlighted rows in bold."""
    frame = formatted(table.frame)
    marked = {str(h) for h in table.highlight}
    header = [frame.index.name or ""] + list(frame.columns)
    lines = [
        f"**{escape_markdown(table.caption)}**",
        "",
        "| " + " | ".join(escape_markdown(h) for h in header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * len(frame.columns)) + "|",
    ]
    for label, values in zip(frame.index, frame.itertuples(index=False)):
        cells = [escape_markdown(c) for c in (label, *values)]
        if str(label) in marked:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def section_markdown(section: Section) -> str:
    """A section: heading, paragraphs, tables, and the names of its plots."""
    parts = [f"## {escape_markdown(section.heading)}"]
    parts += [_paragraph(p) for p in section.paragraphs]
    parts += [table_markdown(t) for t in section.tables]
    if section.plots:
        names = "; ".join(escape_markdown(p.caption) for p in section.plots)
        parts.append(f"_Plots in the HTML report: {names}._")
    return "\n\n".join(parts)


def document_markdown(document: Document) -> str:
    """The document as markdown: title, text and tables."""
    parts = [f"# {escape_markdown(document.title)}"]
    if document.subtitle.strip():
        parts.append(f"_{escape_markdown(document.subtitle)}_")
    parts += [section_markdown(s) for s in document.sections]
    return "\n\n".join(parts) + "\n"


def table_text(table: Table) -> str:
    """A table as aligned plain text, highlighted rows marked with ``*``."""
    frame = formatted(table.frame).map(terminal_safe)
    marked = {str(h) for h in table.highlight}
    frame.index = [terminal_safe(f"{label} *" if str(label) in marked else label)
                   for label in frame.index]
    frame.columns = [terminal_safe(c) for c in frame.columns]
    return f"{terminal_safe(table.caption)}\n{frame.to_string()}"


def document_text(document: Document) -> str:
    """The document as plain text for a terminal (tables, no plots)."""
    title = terminal_safe(document.title)
    parts = [title, "=" * len(title)]
    if document.subtitle:
        parts.append(terminal_safe(document.subtitle))
    for section in document.sections:
        heading = terminal_safe(section.heading)
        parts += ["", heading, "-" * len(heading), *map(terminal_safe, section.paragraphs)]
        parts += [table_text(t) + "\n" for t in section.tables]
    return "\n".join(parts).rstrip() + "\n"
