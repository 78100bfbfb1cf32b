"""Multi-image generators: questions over groups of 2-4 images drawn from the partner pool."""
