"""A :class:`~skfairtune.report._document.Document` as one self-contained HTML page.

Figures are embedded as base64 PNG data URIs and the style sheet is inline,
so the file opens anywhere, offline, and can be mailed or attached as is.
"""

from __future__ import annotations

import base64
import html
import io
import re

from .._safe_text import shown_as_drawn
from ._document import Document, Plot, Section, Table, formatted

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em;
     margin-top: 2em; }
p.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: right; }
td.text { text-align: left; }
th { background: #f5f5f5; }
tbody th { text-align: left; }
tr.highlight td, tr.highlight th { background: #fff4d6; font-weight: 600; }
figure { margin: 0.5em 0 1.5em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
"""


# A cell that reads as a number (or a dash, or an interval of numbers) is
# right-aligned; any other text reads from the left.
_NUMBER = re.compile(r"[-+–]?[\d,.]*( to [-+]?[\d,.]+)?|yes")


def figure_to_data_uri(figure, dpi: int = 100) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def table_html(table: Table) -> str:
    """A table as HTML, its cells escaped, highlighted rows marked."""
    frame = formatted(table.frame)
    marked = {str(h) for h in table.highlight}
    head = "".join(f"<th>{_escape(str(c))}</th>" for c in frame.columns)
    corner = _escape(frame.index.name or "")
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False)):
        cls = ' class="highlight"' if str(label) in marked else ""
        cells = "".join(_cell(v) for v in values)
        rows.append(f"<tr{cls}><th>{_escape(str(label))}</th>{cells}</tr>")
    return (
        f"<table>\n<caption>{_escape(table.caption)}</caption>\n"
        f"<thead><tr><th>{corner}</th>{head}</tr></thead>\n"
        f"<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _cell(value: str) -> str:
    aligned = "" if _NUMBER.fullmatch(value) else ' class="text"'
    return f"<td{aligned}>{_escape(value)}</td>"


def plot_html(plot: Plot) -> str:
    """A figure as an embedded image with its caption."""
    alt = _escape(plot.alt or plot.caption, quote=True)
    return (
        f'<figure><img src="{figure_to_data_uri(plot.figure)}" alt="{alt}">'
        f"<figcaption>{_escape(plot.caption)}</figcaption></figure>"
    )


def section_html(section: Section) -> str:
    """A section: heading, paragraphs, tables, then figures."""
    parts = [f"<h2>{_escape(section.heading)}</h2>"]
    parts += [f"<p>{_escape(p)}</p>" for p in section.paragraphs]
    parts += [table_html(t) for t in section.tables]
    parts += [plot_html(p) for p in section.plots]
    return "\n".join(parts)


def body_html(document: Document) -> str:
    """The document without the page around it, as a notebook shows it."""
    parts = [f"<h1>{_escape(document.title)}</h1>"]
    if document.subtitle:
        parts.append(f'<p class="subtitle">{_escape(document.subtitle)}</p>')
    parts += [section_html(s) for s in document.sections]
    return "\n".join(parts)


def page_html(document: Document) -> str:
    """The document as a complete, self-contained HTML page."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_escape(document.title)}</title>\n<style>{_STYLE}</style>\n"
        f"</head>\n<body>\n{body_html(document)}\n</body>\n</html>\n"
    )


def _escape(text: str, quote: bool = True) -> str:
    # Data reaches the page through here: HTML's specials as entities, and
    # bidirectional overrides and control characters as visible escapes.
    return html.escape(shown_as_drawn(text), quote=quote)
