"""The environment variables veriscene reads, as `veriscene --help` lists them after its commands
(the README says more of each where it acts). Plain text: the command line imports it at start."""

from __future__ import annotations

# (name, what it sets): every VERISCENE_ variable the package reads, and Ray's own it defers to
ENVIRONMENT = (
    ("VERISCENE_MAX_IMAGE_PIXELS", "Pillow's decompression-bomb limit every image is opened under: a number of "
     "pixels (1_000_000_000) or none; an image over it is read with a warning, one over twice it refused (default "
     "Pillow's, 89,478,485). Checked at start: a bad value stops every command (exit 2)."),
    ("VERISCENE_DOWNLOADS", "where files at URLs are kept, downloaded again only when they change: inputs, images, "
     "depth maps, runs (default ~/.cache/veriscene/downloads)."),
    ("VERISCENE_STAGING", "where a run or an export to a URL is made before it is uploaded, unless generate's "
     "--staging says (default ~/.cache/veriscene/staging)."),
    ("VERISCENE_UNPACKED", "where an archive given as input (a tar, a zip of a folder) is unpacked, once (default "
     "~/.cache/veriscene/unpacked)."),
    ("VERISCENE_LEASE_SECONDS", "how long the lease of a run writing to a URL lives unrefreshed before another run "
     "takes it over (default 120)."),
    ("VERISCENE_START_METHOD", "how local workers start: fork, forkserver or spawn (default fork on Linux, a "
     "forkserver once torch or Ray is loaded, spawn elsewhere)."),
    ("VERISCENE_PROGRESS_SECONDS", "off a terminal (a pipe, a log file: nohup, ray job submit, a batch job), how "
     "often a command prints a plain progress line in place of its bar: seconds, 0 for none (default 30). Checked at "
     "start: a bad value stops every command (exit 2)."),
    ("RAY_ADDRESS", "the Ray cluster of --backend ray without --address (ray job submit sets it)."),
    ("VERISCENE_COMPILE", "1 at pip install: build the compiled modules (veriscene --version says which build runs)."),
)

EPILOG = ("Environment variables (read as a command runs; its worker processes take the command's):\n\n"
          + "\n\n".join(f"{name}: {text}" for name, text in ENVIRONMENT))
