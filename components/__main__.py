"""Entry point for `pulumi up` / `pulumi preview` (Pulumi.yaml: main: components/)."""

from auditkit.components.stack import build_stack, settings_from_pulumi_config

build_stack(settings_from_pulumi_config())
