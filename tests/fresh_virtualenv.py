"""A fresh virtualenv whose only AuditKit is the one a test installs into it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def clean_env() -> dict[str, str]:
    """This process's environment without PYTHON* (a PYTHONPATH naming the checkout would import it, and
    pip would count its egg-info as AuditKit installed), AWS_* and MOTO_* (the emulator fixture's settings)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "PYTHON"))}


def site_packages(python: Path) -> Path:
    probe = [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    return Path(subprocess.run(probe, check=True, capture_output=True, text=True, env=clean_env()).stdout.strip())


def create(where: Path, *, with_pip: bool = False) -> Path:
    """A virtualenv at `where`; returns its interpreter."""
    flags = [] if with_pip else ["--without-pip"]
    subprocess.run([sys.executable, "-m", "venv", *flags, str(where)], check=True, capture_output=True, timeout=240)
    return where / "bin" / "python"


def see_third_party_packages(python: Path, links: Path) -> None:
    """Let `python` import this environment's third-party packages, through a .pth naming a folder of links
    to them, with AuditKit (the editable checkout and its finder) left out."""
    links.mkdir()
    for entry in site_packages(Path(sys.executable)).iterdir():
        if not entry.name.lower().startswith(("auditkit", "pulumi_auditkit", "__editable__", "_auditkit")):
            (links / entry.name).symlink_to(entry)
    (site_packages(python) / "third_party.pth").write_text(f"{links}\n")


def install_alone(python: Path, wheel: Path) -> None:
    """pip (this environment's) installs the wheel into `python`'s environment, offline, no dependencies."""
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--no-index", "--no-deps", str(wheel)], check=True, capture_output=True, timeout=240, env=clean_env()
    )
