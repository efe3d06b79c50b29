"""The plain text the command line prints: data cannot act on the terminal."""

import numpy as np
import pandas as pd

from skfairtune._safe_text import terminal_safe
from skfairtune.audit import audit_dataset


def test_control_characters_show_as_escapes():
    assert terminal_safe("a\nb\x1b[31mred\x07") == "a\\nb\\x1b[31mred\\x07"
    assert terminal_safe("plain, élan, 50K–75K") == "plain, élan, 50K–75K"


def test_an_audit_of_hostile_group_names_prints_them_escaped_and_aligned():
    rng = np.random.default_rng(0)
    n = 200
    group = rng.choice(["a\nb", "\x1b[2J\x1b[31mwipe"], n)
    X = pd.DataFrame({"x": rng.normal(size=n), "group": group})
    text = audit_dataset(X, rng.integers(0, 2, n), sensitive_features="group").to_text()
    assert "\x1b" not in text and "\\x1b[2J" in text
    table = text.split("Representation and base rate by group\n")[1].split("\n\n")[0]
    rows = table.splitlines()[1:]
    assert len(rows) == 2 and {r.split()[0] for r in rows} == {"a\\nb", "\\x1b[2J\\x1b[31mwipe"}
