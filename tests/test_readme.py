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


def demo_table(text: str) -> str:
    """The table the demo prints: from its header to the line of the choice."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "cross-validated (" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("* chosen:"))
    return "\n".join(lines[start:end + 1])


def readme_table() -> str:
    match = re.search(r"<!-- demo-table.*?-->\s*```\n(.*?)\n```", README.read_text(), re.S)
    assert match, "README.md has no demo-table block"
    return match.group(1)


@pytest.mark.slow
def test_the_readme_and_the_guide_show_the_table_the_demo_prints(tmp_path, capsys):
    from skfairtune.cli import main

    # What `make demo` runs, into a folder of its own.
    assert main(["demo", "--no-progress", "--out", str(tmp_path)]) == 0
    printed = demo_table(capsys.readouterr().out)
    assert readme_table() == printed, f"README.md's table is stale; the demo prints:\n{printed}"
    guide = README.parent / "docs" / "guide" / "command_line.rst"
    # The guide's code blocks, indented by four spaces, and their blank lines.
    code = "\n".join(line[4:] for line in guide.read_text().splitlines()
                     if line.startswith("    ") or not line.strip())
    assert demo_table(code) == printed, (
        f"{guide.name}'s table is stale; the demo prints:\n{printed}")


def test_make_test_installs_no_system_package():
    """`make test` runs the tests; CI installs Chromium first, with `make browser`."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = README.parent
    # A dry run: make prints every command the target would run, and runs none.
    planned = subprocess.run(["make", "-n", "test"], cwd=root, capture_output=True,
                             text=True, check=True).stdout
    assert "pytest" in planned and "apt-get" not in planned
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert ci.index("make browser") < ci.index("make test")
