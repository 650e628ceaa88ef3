"""`auditkit seal gcp|azure` and the sealed-archive verification behind `auditkit verify gcp|azure`."""
