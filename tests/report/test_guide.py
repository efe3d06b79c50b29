"""The examples of the monitoring-and-reports guide run and print what it says."""

import doctest
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "monitoring_and_reports.rst"


def test_guide_examples_run():
    result = doctest.testfile(str(GUIDE), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
