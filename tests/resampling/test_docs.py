"""The examples in the docstrings and in the user guide run as written."""

import doctest
from pathlib import Path

import pytest

from skfairtune.resampling import (
    _group_resampler,
    _resample,
    _reweighing,
    _smote,
)

GUIDE = Path(__file__).parents[2] / "docs" / "guide" / "resampling.rst"


@pytest.mark.parametrize("module", [_group_resampler, _resample, _reweighing, _smote])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.skipif(not GUIDE.exists(), reason="docs not in this checkout")
def test_user_guide_examples():
    result = doctest.testfile(str(GUIDE), module_relative=False)
    assert result.attempted > 0 and result.failed == 0
