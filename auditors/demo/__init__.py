"""`auditkit demo` and the AWS emulator harness it runs on (moto's server on 127.0.0.1).

Everything that applies rendered resources to the emulator, forges CloudTrail records and signed
digests, and tells the demo's story lives here: a test-and-demo harness, never a deploy path.
"""
