"""Single-image generators."""
