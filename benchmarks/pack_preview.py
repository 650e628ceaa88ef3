"""How long the policy pack takes to answer a preview, through pulumi-policy's analyzer service.

The Azure health stack (stacks/Pulumi.azure-health.yaml) with its diagnostic resources grown to N
Key Vaults, at its first preview: every account, container and workspace output is an unknown the
pack resolves through the plan's dependencies (tests/test_policy_pack_azure_preview.py). Each
preview is every resource's `Analyze` plus one `AnalyzeStack`, as the engine sends them.
Run: `.venv/bin/python benchmarks/pack_preview.py` (or `make bench`).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from _pytest.monkeypatch import MonkeyPatch  # noqa: E402

from tests.engine_harness import Analyzer, stack_config  # noqa: E402
from tests.test_policy_pack_azure_preview import new_stack  # noqa: E402

VAULT = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-phi/providers/Microsoft.KeyVault/vaults/kv-{:04d}"


def stack_with(vaults: int, folder: Path) -> Path:
    doc = yaml.safe_load((ROOT / "stacks/Pulumi.azure-health.yaml").read_text())
    doc["config"]["auditkit:azure"]["diagnosticResources"] = [VAULT.format(i) for i in range(vaults)]
    path = folder / f"Pulumi.bench-{vaults}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def main() -> None:
    print(f"{'Key Vaults':>10} {'resources':>10} {'violations':>11} {'seconds (median of 3)':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        for vaults in (1, 50, 200, 400):
            path = stack_with(vaults, Path(tmp))
            resources = new_stack(stack_file=path)
            config = yaml.safe_load(path.read_text())["config"]
            times, found = [], []
            for _ in range(3):
                patch = MonkeyPatch()
                with stack_config(patch, config):
                    analyzer = Analyzer()
                    started = time.perf_counter()
                    found = analyzer.preview(resources)
                    times.append(time.perf_counter() - started)
                patch.undo()
            print(f"{vaults:>10} {len(resources):>10} {len(found):>11} {statistics.median(times):>22.3f}")


if __name__ == "__main__":
    main()
