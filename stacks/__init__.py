"""Example stack files (Pulumi.<stack>.yaml), shipped as package data for `--stack`."""
