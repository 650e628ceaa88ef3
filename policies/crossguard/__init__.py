"""The CrossGuard policy pack: the controls as Pulumi policies, and an offline runner for them."""
