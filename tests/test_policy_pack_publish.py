"""The folder `pulumi policy publish` uploads installs and starts on its own.

What is uploaded: the pack directory, minus `.pulumiignore` patterns and `.git`
(pulumi/pulumi pkg/util/archive/archive.go). What runs it: the CLI starts
`python -m pulumi.policy <engine> .` in that directory (pulumi/policy/__main__.py runs the
folder with runpy) after installing its requirements.txt into the pack's virtualenv.
Here the fresh virtualenv sees the test environment's third-party packages through a .pth of
symlinks WITHOUT auditkit, so auditkit can only come from what requirements.txt names.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

from auditkit.policies.catalog import CONTROLS, EVIDENCE_CONTROLS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "auditkit", "components", "policies", "auditors", "settings", "stacks")


def _third_party_only(site: Path, into: Path) -> Path:
    into.mkdir()
    for entry in site.iterdir():
        if not entry.name.lower().startswith(("auditkit", "pulumi_auditkit", "__editable__", "_auditkit")):
            (into / entry.name).symlink_to(entry)
    return into


def _site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], **_OK)
    return Path(out.stdout.strip())


_OK = {"check": True, "capture_output": True, "text": True, "timeout": 240}


def test_the_requirements_name_auditkit_at_this_version_not_an_editable_checkout():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    lines = [x.strip() for x in (ROOT / "policies/requirements.txt").read_text().splitlines()]
    wanted = [x for x in lines if x and not x.startswith("#")]
    assert wanted == ["--find-links vendor", f"pulumi-auditkit=={version}"]


def test_the_pack_and_the_project_carry_the_package_version():
    """One version: `pulumi policy publish` reads a Python pack's version only from PulumiPolicy.yaml."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert yaml.safe_load((ROOT / "policies/PulumiPolicy.yaml").read_text())["version"] == version
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert all(cloud in project["description"] for cloud in ("AWS", "GCP", "Azure"))


def test_the_uploaded_folder_installs_in_a_fresh_virtualenv_and_serves_the_pack(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "vendor")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=skip)
        else:
            shutil.copy(ROOT / name, src / name)
    uploaded = shutil.copytree(ROOT / "policies", tmp_path / "uploaded", ignore=skip)
    # The documented publish step.
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(uploaded / "vendor"), str(src)]
    subprocess.run(build, **_OK)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **_OK)
    python = venv / "bin" / "python"
    third_party = _third_party_only(_site_packages(Path(sys.executable)), tmp_path / "third-party")
    (_site_packages(python) / "third_party.pth").write_text(f"{third_party}\n")
    probe = [str(python), "-c", "import importlib.util as u; print(u.find_spec('auditkit'))"]
    assert subprocess.run(probe, cwd=uploaded, **_OK).stdout.strip() == "None"

    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-deps"]
    subprocess.run([*install, "-r", "requirements.txt"], cwd=uploaded, **_OK)
    where = subprocess.run(
        [str(python), "-c", "import auditkit.policies.crossguard.pack as p; print(p.__file__, len(p.all_policies()))"],
        cwd=uploaded,
        **_OK,
    ).stdout.split()
    assert where[0].startswith(str(_site_packages(python))) and int(where[1]) == len(set(CONTROLS) - EVIDENCE_CONTROLS)

    # Start it as the CLI does; the analyzer prints the port it serves on, then waits for the engine.
    analyzer = subprocess.Popen(
        [str(python), "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."], cwd=uploaded, stdout=subprocess.PIPE, text=True
    )
    try:
        port = analyzer.stdout.readline().strip()
    finally:
        analyzer.kill()
        analyzer.wait(timeout=30)
    assert port.isdigit() and int(port) > 0
