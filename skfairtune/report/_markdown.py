"""A :class:`~skfairtune.report._document.Document` as markdown or plain text.

The markdown summary carries the tables and the text; the plots live in the
HTML report beside it. The plain text is what the command line prints.
"""

from __future__ import annotations

from ._document import Document, Section, Table, formatted


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def table_markdown(table: Table) -> str:
    """A table in GitHub's pipe syntax, highlighted rows in bold."""
    frame = formatted(table.frame)
    marked = {str(h) for h in table.highlight}
    header = [frame.index.name or ""] + list(frame.columns)
    lines = [
        f"**{_escape(table.caption)}**",
        "",
        "| " + " | ".join(_escape(h) for h in header) + " |",
        "|" + "|".join([" --- "] + [" ---: "] * len(frame.columns)) + "|",
    ]
    for label, values in zip(frame.index, frame.itertuples(index=False)):
        cells = [str(label), *values]
        if str(label) in marked:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return "\n".join(lines)


def section_markdown(section: Section) -> str:
    parts = [f"## {section.heading}", *section.paragraphs]
    parts += [table_markdown(t) for t in section.tables]
    if section.plots:
        names = "; ".join(p.caption for p in section.plots)
        parts.append(f"_Plots in the HTML report: {names}._")
    return "\n\n".join(parts)


def document_markdown(document: Document) -> str:
    """The document as markdown: title, text and tables."""
    parts = [f"# {document.title}"]
    if document.subtitle:
        parts.append(f"_{document.subtitle}_")
    parts += [section_markdown(s) for s in document.sections]
    return "\n\n".join(parts) + "\n"


def table_text(table: Table) -> str:
    """A table as aligned plain text, highlighted rows marked with ``*``."""
    frame = formatted(table.frame)
    marked = {str(h) for h in table.highlight}
    if marked:
        frame.index = [f"{label} *" if str(label) in marked else str(label)
                       for label in frame.index]
    return f"{table.caption}\n{frame.to_string()}"


def document_text(document: Document) -> str:
    """The document as plain text for a terminal (tables, no plots)."""
    parts = [document.title, "=" * len(document.title)]
    if document.subtitle:
        parts.append(document.subtitle)
    for section in document.sections:
        parts += ["", section.heading, "-" * len(section.heading), *section.paragraphs]
        parts += [table_text(t) + "\n" for t in section.tables]
    return "\n".join(parts).rstrip() + "\n"
