"""AuditKit as users get it: one `auditkit` import package, a complete wheel, a light CLI.

The wheel is built once per session (conftest `wheel`). What it requires is checked statically against
pyproject.toml and against the versions this environment has installed. The fresh-virtualenv test installs
the wheel alone (no index, no dependencies) into a virtualenv that sees this environment's third-party
packages but not AuditKit, and runs the CLI from a temporary directory outside the repo. Installing it with
pip resolving every dependency from the index takes minutes: that test is marked `slow` and runs in the full suite.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests import fresh_virtualenv

REPO = Path(__file__).resolve().parent.parent

USERS_OWN = {
    # A user's project commonly has packages named like AuditKit's folders; they must not collide.
    "components/__init__.py": "MARK = 'the user own components'\n",
    "policies/__init__.py": "MARK = 'the user own policies'\n",
}

RENDER = """
import json, runpy, sys
sys.path.insert(0, ".")
import components, policies
from auditkit.components.mock_engine import render
resources = render(lambda: runpy.run_path("__main__.py"), "mine", region="us-east-2")
print(json.dumps({
    "users": [components.MARK, policies.MARK],
    "resources": [{"type": r.type, "name": r.name, "component": r.component, "inputs": r.inputs} for r in resources],
}, default=str))
"""


def readme_program() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Use the components in your own program", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_program_renders_beside_the_users_own_components_and_policies(tmp_path):
    for rel, text in USERS_OWN.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "__main__.py").write_text(readme_program())
    run = subprocess.run(
        [sys.executable, "-c", RENDER], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads(run.stdout.strip().splitlines()[-1])
    assert doc["users"] == ["the user own components", "the user own policies"]
    by_type = {}
    for r in doc["resources"]:
        by_type.setdefault(r["type"], []).append(r)
    assert [r["name"] for r in by_type["auditkit:aws:ImmutableLogArchive"]] == ["audit-archive"]
    trail = by_type["aws:cloudtrail/trail:Trail"][0]
    assert trail["component"] == "audit-trail"
    assert trail["inputs"]["isMultiRegionTrail"] is True
    assert trail["inputs"]["name"] == "acme-audit"
    lock = by_type["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"][0]
    assert lock["inputs"]["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "years": 7}


def test_help_and_scan_never_import_the_pulumi_sdk():
    probe = (
        "import sys, contextlib, io\n"
        "from auditkit.auditors.cli import main\n"
        "import auditkit.auditors.aws.scan, auditkit.auditors.gcp.scan, auditkit.auditors.azure.scan\n"
        "for argv in (['--help'], ['scan', 'aws', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_policy')))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip() == "[]"


def test_every_option_has_help_text():
    from auditkit.auditors.cli import build_parser

    missing = []

    def walk(parser, path):
        for action in parser._actions:
            if action.option_strings and action.help is None:
                missing.append(f"{path} {action.option_strings[0]}")
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")

    walk(build_parser(), "auditkit")
    assert missing == []


def test_the_wheel_holds_one_package_and_everything_the_cli_reads(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.startswith("pulumi_auditkit-")}
    assert top == {"auditkit"}
    for data in (
        "auditkit/stacks/Pulumi.demo.yaml",
        "auditkit/stacks/Pulumi.production.yaml",
        "auditkit/auditors/aws/scan-policy.json",
        "auditkit/auditors/aws/history-writer-policy.json",
        "auditkit/auditors/history/chain.py",
        "auditkit/auditors/evidence/package.py",
        "auditkit/auditors/gcp/scan-role.json",
        "auditkit/auditors/azure/scan-role.json",
        "auditkit/policies/PulumiPolicy.yaml",
        "auditkit/policies/policy-config.example.json",
    ):
        assert data in names, data
    assert not any(n.startswith("auditkit/tests") or "/tests/" in n for n in names)


def _requirement(text: str) -> tuple[str, frozenset[str], frozenset[str], str]:
    req = Requirement(text)
    return canonicalize_name(req.name), frozenset(req.extras), frozenset(map(str, req.specifier)), str(req.marker)


def test_the_wheel_requires_what_pyproject_declares(wheel):
    """Requires-Dist, Provides-Extra and Requires-Python, read from the wheel's METADATA: the dependencies the
    fresh-virtualenv test takes from this environment are the ones a user's pip is asked for."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as whl:
        text = whl.read(next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    metadata = Parser().parsestr(text)
    extras = project["optional-dependencies"]
    declared = [*project["dependencies"], *(f'{d}; extra == "{x}"' for x, deps in extras.items() for d in deps)]
    assert sorted(map(_requirement, metadata.get_all("Requires-Dist"))) == sorted(map(_requirement, declared))
    assert re.search(r"Requires-Dist: moto\[server\].*extra == \"demo\"", text)
    # The fresh-virtualenv test borrows them from this environment: each is installed at a version it allows.
    for req in map(Requirement, metadata.get_all("Requires-Dist")):
        if req.marker is None or req.marker.evaluate({"extra": "demo"}):
            assert req.specifier.contains(installed_version(req.name), prereleases=True), req
    assert sorted(metadata.get_all("Provides-Extra")) == sorted(extras) == ["demo", "test"]
    assert metadata["Requires-Python"] == project["requires-python"]


def _the_cli_runs_outside_the_repo(cli: Path, work: Path) -> None:
    """What a user does first, from a folder of their own: version, plan (their stack and the shipped example),
    help, and the demo (the embedded emulator, the `demo` extra)."""
    (work / "stacks").mkdir(parents=True)
    (work / "stacks" / "Pulumi.mine.yaml").write_text(
        # As `pulumi config set` writes it: strings for the boolean and the number.
        "config:\n  aws:region: us-east-2\n  auditkit:jurisdictions:\n    - NY\n"
        "  auditkit:minors: 'true'\n  auditkit:retentionYears: '22'\n"
    )
    env = fresh_virtualenv.clean_env()

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(cli), *argv], cwd=work, env=env, capture_output=True, text=True, timeout=600)

    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"auditkit \d+\.\d+\.\d+\n", version.stdout)
    plan = run("plan", "--stack", "mine", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["retention"].startswith("22 years")
    # A folder with its own stacks/ never gets a shipped example under a name it lacks; one without does.
    refused = run("plan", "--stack", "demo")
    assert refused.returncode == 2 and "the examples shipped with AuditKit" in refused.stderr
    bare = work / "no-stacks-here"
    bare.mkdir()
    example = subprocess.run(
        [str(cli), "plan", "--stack", "demo", "--output", "demo-plan.txt"],
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert example.returncode == 0, example.stderr
    assert "using the example stack shipped with AuditKit" in example.stderr
    assert "audit-archive" in (bare / "demo-plan.txt").read_text()
    help_text = run("scan", "aws", "--help")
    assert help_text.returncode == 0 and "--role-arn" in help_text.stdout
    demo = run("demo", "--reports", "reports")
    assert demo.returncode == 0, demo.stderr[-3000:]
    report = json.loads((work / "reports" / "3-drift.json").read_text())
    assert report["tool"]["version"] == version.stdout.split()[1]


@pytest.mark.emulator  # `auditkit demo` starts it
@pytest.mark.slow
def test_the_wheel_in_a_fresh_virtualenv_runs_from_any_directory(wheel, tmp_path):
    python = fresh_virtualenv.create(tmp_path / "venv")
    fresh_virtualenv.see_third_party_packages(python, tmp_path / "third-party")
    probe = [str(python), "-c", "import importlib.util as u; print(u.find_spec('auditkit'))"]
    run = {"check": True, "capture_output": True, "text": True, "env": fresh_virtualenv.clean_env()}
    assert subprocess.run(probe, cwd=tmp_path, **run).stdout.strip() == "None"
    fresh_virtualenv.install_alone(python, wheel)
    where = subprocess.run([str(python), "-c", "import auditkit; print(auditkit.__file__)"], cwd=tmp_path, **run)
    assert Path(where.stdout.strip()).is_relative_to(fresh_virtualenv.site_packages(python))
    _the_cli_runs_outside_the_repo(python.parent / "auditkit", tmp_path / "elsewhere")


@pytest.mark.slow
@pytest.mark.emulator  # `auditkit demo` starts it
def test_the_wheel_installs_with_its_dependencies_and_runs_from_any_directory(wheel, tmp_path):
    """pip resolves and installs every dependency of the wheel and its `demo` extra from the index."""
    python = fresh_virtualenv.create(tmp_path / "venv", with_pip=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, f"{wheel}[demo]"], check=True, capture_output=True, timeout=1200, env=fresh_virtualenv.clean_env()
    )
    _the_cli_runs_outside_the_repo(python.parent / "auditkit", tmp_path / "elsewhere")


def test_the_wheel_is_the_documented_distribution_and_no_install_line_names_another(wheel):
    """`auditkit` on PyPI is an unrelated project: every install line must resolve to ours."""
    with zipfile.ZipFile(wheel) as whl:
        text = whl.read(next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert Parser().parsestr(text)["Name"] == "pulumi-auditkit"
    assert wheel.name.startswith("pulumi_auditkit-")
    readme = (REPO / "README.md").read_text()
    installs = re.findall(r"pip install ([^\n`#]+)", readme)
    assert installs, "the README documents how to install"
    for line in installs:
        for arg in line.split():
            name = re.split(r"[\[ @=<>]", arg.strip("'\""))[0]
            assert name != "auditkit", f"README installs the unrelated PyPI project: pip install {line}"
    requirement = (REPO / "policies" / "requirements.txt").read_text()
    assert re.search(r"^pulumi-auditkit==", requirement, re.M)
