"""The README's container recipe, parsed as Docker parses it, and run the way the container runs it.

No Docker engine runs on this machine: the recipe is read with dockerfile-parse (Docker's own rule:
a `#` starts a comment only at the beginning of a line, so an inline "comment" after WORKDIR becomes
part of the path). Where `docker info` answers, the recipe is also built.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]


def _recipe() -> str:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```dockerfile\n(.*?)```", readme, re.S)
    assert len(blocks) == 1, "the README holds one container recipe"
    return blocks[0]


def _instructions(tmp_path: Path) -> dict[str, str]:
    parser = DockerfileParser(path=str(tmp_path))
    parser.content = _recipe()
    return {i["instruction"]: i["value"] for i in parser.structure}


def test_workdir_is_a_plain_path_and_the_entrypoint_is_the_command(tmp_path):
    steps = _instructions(tmp_path)
    assert steps["WORKDIR"] == "/work"
    assert json.loads(steps["ENTRYPOINT"]) == ["auditkit"]


def test_the_users_mounted_stack_is_the_one_scanned_not_the_shipped_example(tmp_path):
    """The user's `production` keeps 6 years; the example shipped under the same name keeps 21 (NY minors)."""
    container = tmp_path / "container"
    mounted = container / "work" / "stacks"  # where the README tells users to mount their stacks/
    mounted.mkdir(parents=True)
    workdir = container / PurePosixPath(_instructions(tmp_path)["WORKDIR"]).relative_to("/")
    workdir.mkdir(parents=True, exist_ok=True)  # Docker creates the WORKDIR
    (mounted / "Pulumi.production.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  auditkit:jurisdictions: [US]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plan = subprocess.run(
        [sys.executable, "-m", "auditkit", "plan", "--stack", "production", "--format", "json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["retention"].startswith("6 years")
    assert "example stack" not in plan.stderr


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0,
    reason="no Docker engine here (the client alone cannot build)",
)
def test_the_recipe_builds(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)], check=True)
    (tmp_path / "Dockerfile").write_text(_recipe())
    subprocess.run(["docker", "build", "-t", "auditkit-recipe-test", str(tmp_path)], check=True, timeout=1800)
