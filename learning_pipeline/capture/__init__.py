"""Capture layer: trace schemas, validation, redaction, landing zone."""
