"""Text from the user's data made safe to show: on a terminal, a page or a plot.

Group values, labels and column names come from files nobody here wrote. An
escape sequence in one would act on the terminal that prints it (move the
cursor, change colours, set the title), and a bidirectional override would
reorder the text around it, on a terminal, a page or a plot alike (U+202E
shows "evil" as "live"). Every surface shows them as escapes instead, by the
two functions here.
"""

from __future__ import annotations

import re

# What a terminal acts on: control characters, line breaks, and the
# bidirectional marks, overrides and isolates, which reorder the text around
# them (U+202E shows "evil" as "live").
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_TERMINAL = re.compile(rf"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
# What a report page or a plot must not draw as is: the same, less the line
# breaks that a page or a plot's label lays out itself.
_UNDRAWABLE = re.compile(rf"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")


def terminal_safe(text: object) -> str:
    """``text`` on one line, its control characters shown as escapes.

    A line break in a group name would break a table's alignment, and an
    escape sequence from the data would reach the user's terminal and act on
    it (move the cursor, change colours, set the title), and a bidirectional
    override would reorder what follows it: all show as ``\\n``, ``\\x1b``,
    ``\\u202e`` instead.

    Parameters
    ----------
    text : object
        Any value; it is turned into a string first.

    Returns
    -------
    str
    """
    return _TERMINAL.sub(lambda m: repr(m.group())[1:-1], str(text))


def shown_as_drawn(text: object) -> str:
    """``text`` with the characters a page or a plot must not draw as escapes.

    A group name that holds a bidirectional override would reorder the
    table cell, legend or sentence it stands in on the HTML page, in the
    markdown file and in the plots (U+202E shows "evil" as "live"), and a
    control character draws as a missing glyph: both show as escapes
    (``\\u202e``, ``\\x1b``). Line breaks are kept: pages and plots lay
    them out.

    Parameters
    ----------
    text : object
        Any value; it is turned into a string first.

    Returns
    -------
    str
    """
    return _UNDRAWABLE.sub(lambda m: repr(m.group())[1:-1], str(text))
