"""The lending domain: one sub-package per concept."""
