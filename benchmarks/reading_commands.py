"""Every command that reads a finished run, at two sizes: peak memory and CPU time per command.

    python benchmarks/reading_commands.py --sizes 10000 100000 --keep /tmp/reading-runs
    python benchmarks/reading_commands.py --sizes 2000 20000 --commands stats view-html-all eval --repeats 3

Input: demo scene graphs with masks and depth (a base of `--base` distinct scenes tiled to each
size with fresh image ids, cached in `--cache`; see `_scenes.py`), generated once per size with
every generator (or `-g`) into zstd shards, 2 workers: 821,566 samples of 10,000 scenes, about
8.2 M of 100,000. With `--keep DIR` the runs (and the files made from them) are kept there and
reused by the next call: a run of 100,000 scenes takes 10 to 20 minutes to make.

Each command runs as `veriscene ...` would (`veriscene.cli.app`), in a fresh process of its own
(Linux keeps a parent's peak RSS across fork and exec), its outputs in a temporary folder removed
after it; `--repeats` times, the commands alternated, the median printed. Measured: the peak RSS
of the process or of its largest worker (MiB), its CPU seconds (user and system, workers
included: on a machine others share this is steadier than the wall clock) and its wall seconds.
Commands (`--commands`; by default all): `verify` on 1 and 2 workers, `stats` on 1 and 2, `card`,
`export` to each format, `view --html` with the default `--limit` and with `--limit 0` (every
sample read, one task shown), `eval --limit 1000` of a replay of the first 1,000 samples' stored
answers (`--freeform off`), `eval-all`: the same replay and `eval` of every sample,
`eval-process`: `eval --process --limit 100000` replaying those samples' stored answers (the
multi-step replies scored again by their steps), `eval-freeform`: `eval --freeform lexical` of
every description (captions, region and multi-image descriptions) replaying its stored text,
`compare` of that evaluation with a copy of it, `score-freeform` of
the first 1,000 captions' stored text against the run (`--samples RUN --matcher lexical`), and
`split` of the run's scene file. The replies are as many at every size: what grows is the run
those two commands read. The demo scene graphs name image files that do not exist, so `eval`
answers every request with an error before any reply is read (and exits 1, said after its row):
what it measures is the reading of the run, which is what grows. `eval --limit` holds a few bytes
of each sample of the run and the chosen samples parsed (before, every sample parsed: about 8.5 KiB
each, 5.3 GB for 821,566 samples); `eval` of every sample holds a block of 4,096 samples and, for
the summary, 6 bytes of each sample's record, 31 of an answered one (here every record is an
error; before, every sample and record: 6.9 GB). `export-hf`'s peak RSS counts the pages of the
Arrow file that `save_to_disk` maps and copies (file pages, not the process's own memory). The last columns
divide the largest size's figures by the smallest's: memory that does not grow shows about 1.0,
CPU time that grows with the run about the ratio of the sizes. No figure is checked: this prints
what it measured.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _scenes import alternated, base_scenes, made_run, tiled  # benchmarks/_scenes.py

# one command in this process, as `veriscene ARGS` runs it; then its figures as the last line
_RUN = r"""
import json, resource, sys, time
from veriscene.cli import app
from veriscene.engine.summary import peak_memory_mb
t = time.perf_counter()
try:
    code = app(sys.argv[1:], standalone_mode=False)  # (an exit code when the command exits with one)
except SystemExit as exc:
    code = exc.code
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
print()
print(json.dumps({"wall": time.perf_counter() - t, "cpu": cpu, "peak_mb": peak_memory_mb(), "code": code or 0}))
"""

EXPORTS = ("llava", "sharegpt", "jsonl", "parquet", "verl", "trl", "hf", "lmms_eval")
COMMANDS = ("verify", "verify-2", "stats", "stats-2", "card", *(f"export-{f}" for f in EXPORTS), "view-html",
            "view-html-all", "eval", "eval-all", "eval-process", "eval-freeform", "compare", "score-freeform", "split")


REPLIES = 1000  # replies of `eval` and of `score-freeform`, at every size
STEPPED = 100_000  # samples `eval-process` asks (replied to with their stored answers: the multi-step ones scored)
# the descriptions `eval-freeform` asks (replied to with their stored text, scored free-form)
DESCRIPTIONS = "scene_graph.caption.v1,region.describe.v1,multi.compare_caption.v1"


def answers_of(run: Path) -> Path:
    """A replay of the stored answers of the first STEPPED samples and of every description (the
    samples `eval-process` and `eval-freeform` ask), made from the run once (beside it)."""
    import orjson

    from veriscene.engine.runfiles import sample_lines
    from veriscene.io.writers.text import answer_text

    path = run.with_name(run.name + "-answers.jsonl")
    if not path.exists():
        described = set(DESCRIPTIONS.split(","))
        with open(path, "wb") as fh:
            for k, (_, line) in enumerate(sample_lines(run)):
                sample = orjson.loads(line)
                if k < STEPPED or sample["task"] in described:
                    fh.write(orjson.dumps({"id": sample["id"], "reply": answer_text(sample)}) + b"\n")
    return path


def inputs_of(run: Path) -> tuple[Path, Path]:
    """(replies to replay: the first REPLIES samples' stored answers as a model would say them,
    the first REPLIES caption samples' stored text as free-form replies), made from the run once
    (beside it)."""
    import orjson

    from veriscene.engine.runfiles import sample_lines
    from veriscene.io.writers.text import answer_text

    replies, captions = run.with_name(run.name + "-replies.jsonl"), run.with_name(run.name + "-captions.jsonl")
    if not (replies.exists() and captions.exists()):
        made = [0, 0]  # replies, captions
        with open(replies, "wb") as r, open(captions, "wb") as c:
            for _, line in sample_lines(run):
                sample = orjson.loads(line)
                if made[0] < REPLIES:
                    r.write(orjson.dumps({"id": sample["id"], "reply": answer_text(sample)}) + b"\n")
                    made[0] += 1
                if sample["task"] == "scene_graph.caption.v1":
                    c.write(orjson.dumps({"image_id": sample["images"][0]["id"], "response": sample["answer"]}) + b"\n")
                    made[1] += 1
                    if made[1] == REPLIES:
                        break
    return replies, captions


def argv_of(command: str, run: Path, scenes: Path, out: Path) -> list[str]:
    """The `veriscene` arguments of a command on `run`, writing below `out`."""
    replies, captions = inputs_of(run)
    if command.startswith("export-"):
        fmt = command.removeprefix("export-")
        return ["export", str(run), "--to", fmt, "--out", str(out / fmt)]
    return {
        "verify": ["verify", str(run)],
        "verify-2": ["verify", str(run), "--workers", "2"],
        "stats": ["stats", str(run), "--json", "--no-chart"],
        "stats-2": ["stats", str(run), "--json", "--no-chart", "--workers", "2"],
        "card": ["card", str(run), "--out", str(out / "README.md")],
        "view-html": ["view", str(run), "--html", str(out / "page.html")],
        "view-html-all": ["view", str(run), "--html", str(out / "page.html"), "--limit", "0",
                          "--task", "object.count.v1"],
        "eval": ["eval", str(run), "--model", f"replay:{replies}", "--limit", str(REPLIES), "--out", str(out / "eval"),
                 "--freeform", "off"],
        "eval-all": ["eval", str(run), "--model", f"replay:{replies}", "--out", str(out / "eval-all"),
                     "--freeform", "off"],
        # the stored answers replayed, no request cache (its keys hash the image files the demo scenes lack)
        "eval-process": ["eval", str(run), "--model", f"replay:{answers_of(run)}", "--limit", str(STEPPED),
                         "--no-cache", "--out", str(out / "eval-process"), "--freeform", "off", "--process"],
        "eval-freeform": ["eval", str(run), "--model", f"replay:{answers_of(run)}", "--families", DESCRIPTIONS,
                          "--no-cache", "--out", str(out / "eval-freeform"), "--freeform", "lexical"],
        "compare": ["compare", str(out / "eval"), str(out / "eval-copy")],
        "score-freeform": ["score-freeform", str(captions), "--samples", str(run), "--matcher", "lexical",
                           "--out", str(out / "freeform.jsonl")],
        "split": ["split", str(scenes), "--out", str(out / "split")],
    }[command]


_PREPARE = r"""
import shutil, sys
from veriscene.cli import app
run, replies, out = sys.argv[1:4]
app(["eval", run, "--model", f"replay:{replies}", "--limit", sys.argv[4], "--out", f"{out}/eval", "--freeform", "off"],
    standalone_mode=False)
shutil.copytree(f"{out}/eval", f"{out}/eval-copy")
"""


def measured(commands: list[str], run: Path, scenes: Path, repeats: int, work: Path) -> dict[str, list[dict[str, Any]]]:
    """Each command's figures, `repeats` times, alternated, each in a fresh process."""
    import subprocess

    out = work / "out"
    if "compare" in commands:  # an evaluation to compare, made once
        shutil.rmtree(work / "eval-inputs", ignore_errors=True)
        subprocess.run([sys.executable, "-c", _PREPARE, str(run), str(inputs_of(run)[0]), str(work / "eval-inputs"),
                        str(REPLIES)], check=True, capture_output=True)
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in commands}
    for _ in range(repeats):
        for command in commands:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            if command == "compare":
                for name in ("eval", "eval-copy"):
                    shutil.copytree(work / "eval-inputs" / name, out / name)
            rows = alternated(_RUN, {command: argv_of(command, run, scenes, out)}, 1)
            results[command] += rows[command]
    shutil.rmtree(out, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--commands", nargs="+", choices=COMMANDS,
                        default=list(COMMANDS))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--base", type=int, default=5000, help="distinct scenes, tiled to each size")
    parser.add_argument("-g", "--generators", default=None, help="generators of the runs (default: all)")
    parser.add_argument("--keep", type=Path, default=None, help="make the runs here once and reuse them")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    figures: dict[int, dict[str, list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory(prefix="reading-bench-") as tmp:
        runs = args.keep or Path(tmp)
        for size in args.sizes:
            scenes = tiled(args.cache, base_scenes(args.cache, min(args.base, size)), size)
            run = runs / (f"run-{size}" + ("" if args.generators is None else "-" + args.generators.replace("*", "x")))
            if not (run / "manifest.json").exists():
                shutil.rmtree(run, ignore_errors=True)
                made_run(scenes, run, args.generators)
            figures[size] = measured(args.commands, run, scenes, args.repeats, Path(tmp) / f"work-{size}")
    sizes = args.sizes
    head = " ".join(f"{f'{s:,} MiB':>12} {'CPU s':>8} {'wall s':>8}" for s in sizes)
    ratio = f" {'MiB x':>6} {'CPU x':>6}" if len(sizes) > 1 else ""
    print(f"{'command':<16} {head}{ratio}")
    for command in args.commands:
        cells, first, last, failed = [], None, None, []
        for size in sizes:
            rows = figures[size][command]
            failed += [f"exit {r['code']} at {size:,}" for r in rows if r["code"]][:1]
            mib, cpu = statistics.median(r["peak_mb"] for r in rows), statistics.median(r["cpu"] for r in rows)
            wall = statistics.median(r["wall"] for r in rows)
            cells.append(f"{mib:>12,.0f} {cpu:>8.1f} {wall:>8.1f}")
            first = first or (mib, cpu)
            last = (mib, cpu)
        grown = f" {last[0] / first[0]:>6.2f} {last[1] / first[1]:>6.1f}" if ratio and first and last else ""
        print(f"{command:<16} {' '.join(cells)}{grown}{'  (' + ', '.join(failed) + ')' if failed else ''}")


if __name__ == "__main__":
    main()
