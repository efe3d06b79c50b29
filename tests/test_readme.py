"""The README's quick start runs as written, and stays short."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_start() -> str:
    text = README.read_text()
    match = re.search(r"<!-- quick-start.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "README.md has no quick-start block"
    return match.group(1)


def test_quick_start_is_short():
    assert len(quick_start().strip().splitlines()) < 25


@pytest.mark.slow
def test_quick_start_runs_and_penalty_narrows_the_gap(capsys):
    exec(compile(quick_start(), "README.md", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    gaps = [float(re.search(r"DP gap ([0-9.]+)", line).group(1)) for line in lines]
    accuracies = [float(re.search(r"accuracy ([0-9.]+)", line).group(1)) for line in lines]
    assert len(gaps) == 2
    assert gaps[1] < gaps[0]
    assert accuracies[1] > accuracies[0] - 0.05
