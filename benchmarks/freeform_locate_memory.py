"""Memory the free-form RL reward keeps over a long run of rows without sample_id: are its caches bounded?

    python benchmarks/freeform_locate_memory.py                   # a new 200-scene demo run, 20,000 rows
    python benchmarks/freeform_locate_memory.py --run demo_out --rows 20000

Input: the free-form samples of a demo run (`--run`, or a new `veriscene demo` run of `--scenes`
scenes). Rows: `--rows` rows without sample_id, in batches of `--batch`, each a sample's gold
description with one made-up word appended ("There is a zorvak17.": a new word for the word memo, a
new reply for the score memo) and a prompt of its own ("Row 17: <question>", as a data set of the
user's own prompts has: a new key for the locator); half scored as TRL rows (by gold and prompt:
`FreeformScorer.score_many(prompts=)`), half as verl rows (by gold and extra_info's image_ids
and task: `infos=`). Every row is found (counted).

Each configuration runs in a process of its own (`--bounds`): "default" (the bounds the package
sets: `rewards.freeform.MEMO`, `ITEMS_KEPT`, `rewards.locate.ROWS_KEPT`, `IMAGES_KEPT`,
`evaluate.freeform.scorer.IMAGES_KEPT`, `WORDS_KEPT`) and "none" (every bound but the score
memo's 10^9: as 0.32.0 kept them, growing with every distinct row and word; its score memo,
`MEMO`, was bounded already).
Printed per configuration: the resident memory (VmRSS) after the scorer is made and after the
rows, the growth, what each cache holds at the end (`FreeformScorer.cache_sizes`), the rows found,
the CPU seconds, the time of day and the load (`uptime`).

Measured (helper-273, 200-scene demo run, seed 0: its 600 free-form samples and 200 scenes, 20,000
rows, one run each, 20:56-21:07 UTC, load 12-16): with the locator's keys as 0.32.0 kept them (the
row's gold and prompt text, a caption's gold over a kilobyte) and no bound, the rows told grew to
10,616 keys and the process by 53.0 MB (79.9 -> 132.9); bounded to 4,096 keys, 21.9 MB. With the
keys kept as 16-byte digests: 10.6 MB unbounded, 10.0 MB bounded (the rest: the score memo's
4,096 results, bounded since 0.31, and 20,026 words read). What each cache holds at the end, bounded:
scores 4,096, items 600, facts 200, words 20,026, rows 4,096. CPU 29.5-32.1 s either way (about
1.5 ms a row). Rows told grow with distinct prompts (a data set of the user's own prompts: as
many as rows, a million on a long run), words with the words a policy makes up: the bounds hold
both however long the run. (Image digests were not exercised here: no row gave images.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

BIG = 10**9


def rss_mb() -> float:
    """The process's resident memory (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def unbound() -> None:
    """Every cache bound of the free-form reward but the score memo's set to 10^9 (as good as
    none: as 0.32.0 kept them)."""
    import veriscene.evaluate.freeform.scorer as scorer
    import veriscene.rewards.freeform as freeform
    import veriscene.rewards.locate as locate

    freeform.ITEMS_KEPT = BIG
    locate.ROWS_KEPT = locate.IMAGES_KEPT = BIG
    scorer.IMAGES_KEPT = scorer.WORDS_KEPT = BIG


def word(k: int) -> str:
    """A made-up word of its own for row k ("zorvak17"-like, letters only)."""
    letters = "bdfgklmnprstvz"
    vowels = "aeiou"
    out, n = "", k + 1
    while n:
        out += letters[n % len(letters)] + vowels[(n // len(letters)) % len(vowels)]
        n //= len(letters) * len(vowels)
    return "zo" + out


def measure(run: Path, rows: int, batch: int, bounds: str) -> dict[str, Any]:
    if bounds == "none":
        unbound()
    from veriscene.rewards.freeform import FreeformScorer, is_freeform

    samples = [s for s in (orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines() if line)
               if is_freeform(s)]
    scorer = FreeformScorer(run, matcher="lexical")
    start_rss, start_cpu = rss_mb(), time.process_time()
    for first in range(0, rows, batch):
        ks = range(first, min(rows, first + batch))
        chosen = [samples[k % len(samples)] for k in ks]
        replies = [f"{s['answer']} There is a {word(k)}." for k, s in zip(ks, chosen)]
        answers = [s["answer"] for s in chosen]
        if (first // batch) % 2 == 0:  # TRL rows: gold and the user's own prompt
            prompts = [f"Row {k}: {s['question']}" for k, s in zip(ks, chosen)]
            scorer.score_many(replies, [None] * len(chosen), answers, prompts=prompts)
        else:  # verl rows: gold and extra_info
            infos = [{"index": k, "task": s["task"], "image_ids": [i["id"] for i in s["images"]]}
                     for k, s in zip(ks, chosen)]
            scorer.score_many(replies, [None] * len(chosen), answers, infos=infos)
    return {"bounds": bounds, "rows": rows, "samples": len(samples), "rss_start_mb": round(start_rss, 1),
            "rss_end_mb": round(rss_mb(), 1), "cpu_s": round(time.process_time() - start_cpu, 1),
            "located": scorer.located, "unknown": scorer.unknown, "kept": scorer.cache_sizes()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="a run folder (samples.jsonl, scenes); else a new demo run")
    ap.add_argument("--scenes", type=int, default=200)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--bounds", choices=("default", "none", "both"), default="both")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(orjson.dumps(measure(Path(args.run), args.rows, args.batch, args.bounds)).decode())
        return 0
    if not args.run:
        from veriscene.demo.pipeline import run_demo

        with tempfile.TemporaryDirectory(prefix="freeform_memory_") as tmp:
            run_demo(tmp, scenes=args.scenes, seed=0)
            return report(Path(tmp), args)
    return report(Path(args.run), args)


def report(run: Path, args: argparse.Namespace) -> int:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()[0]:.1f}; run {run}, {args.rows} rows "
          f"without sample_id in batches of {args.batch}")
    for bounds in (("default", "none") if args.bounds == "both" else (args.bounds,)):
        out = subprocess.run([sys.executable, __file__, "--child", "--run", str(run), "--rows", str(args.rows),
                              "--batch", str(args.batch), "--bounds", bounds], capture_output=True, text=True)
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        r = orjson.loads(out.stdout.strip().splitlines()[-1])
        print(f"  bounds {bounds:8} RSS {r['rss_start_mb']:.1f} -> {r['rss_end_mb']:.1f} MB "
              f"(+{r['rss_end_mb'] - r['rss_start_mb']:.1f}), {r['cpu_s']} CPU s, located {r['located']}, "
              f"unknown {r['unknown']}; kept {r['kept']}")
    print(f"  (end: {time.strftime('%H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
