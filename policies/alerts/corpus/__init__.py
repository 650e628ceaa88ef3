"""Corpora: provider-documented events each alert must and must not match, one module per cloud."""
