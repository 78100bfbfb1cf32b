"""Input and output formats: readers (scene graphs in) and writers (samples out)."""
