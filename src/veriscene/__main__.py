"""`python -m veriscene ...`: the same command line as `veriscene ...`."""

from veriscene.cli import app

app(prog_name="veriscene")
