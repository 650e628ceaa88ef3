"""Stack settings: the `auditkit:*` config of a stack, found, parsed and refused early.

A neutral package: the components (`pulumi up`), the policy pack and the CLI all read settings from
here, so none of them imports another face to learn the stack's retention or names. The providers'
own limits (`*_limits`) live here too, because settings are checked against them before anything
is registered.
"""
