"""mypy follows `auditkit.<face>` imports onto their files, so a wrong call across faces is refused.

A caller outside the package hands a policy judge a str where it takes TrailFacts: mypy must reject
that call by name. The same caller with a TrailFacts must pass, so the rejection is the wrong type's
doing, not an import mypy could not resolve. Run with the project's own configuration, as `make lint` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CALLER = """\
from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.aws.judges import log_validation


def gaps(trail: TrailFacts) -> list[str]:
    return log_validation({argument})
"""
CALL_LINE = 6


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for both runs: the second reads the package's analysis from the first."""
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(caller: Path, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    # follow-imports=silent: the caller's own errors only, whatever the state of the package.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache_dir),
            "--follow-imports=silent",
            str(caller),
        ],
        cwd=ROOT,  # the repository root on mypy's search path, as for `make lint`
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_rejects_a_str_passed_to_a_judge_that_takes_trail_facts(tmp_path: Path, cache_dir: Path) -> None:
    caller = tmp_path / "wrong_caller.py"
    caller.write_text(CALLER.format(argument='"cloudtrail-main"'))

    result = run_mypy(caller, cache_dir)

    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert errors == [
        f'{caller}:{CALL_LINE}: error: Argument 1 to "log_validation" has incompatible type "str"; '
        'expected "TrailFacts"  [arg-type]'
    ]


def test_mypy_accepts_the_same_call_with_trail_facts(tmp_path: Path, cache_dir: Path) -> None:
    caller = tmp_path / "right_caller.py"
    caller.write_text(CALLER.format(argument="trail"))

    result = run_mypy(caller, cache_dir)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Success: no issues found in 1 source file"
