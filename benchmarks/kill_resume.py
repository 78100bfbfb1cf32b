"""Kill -9 at random moments, resume, compare: the stress version of the engine's resume test.

    python benchmarks/kill_resume.py --scenes 400 --rounds 10 --workers 2
    python benchmarks/kill_resume.py --scenes 400 --rounds 6 --workers 2 --backend ray --shared-output
    python benchmarks/kill_resume.py --scenes 400 --rounds 6 --workers 2 --compression gzip
    python benchmarks/kill_resume.py --scenes 400 --rounds 6 --workers 2 --files 7 --compression zstd

Makes `--scenes` demo scene graphs, runs `veriscene generate` once uninterrupted (the reference),
then for each round starts the same command in a fresh output folder, kills its whole process
group (driver and workers) with SIGKILL at a random moment, and runs `--resume` (killing that too,
at random, up to `--kills` times in all) until the run completes. The finished `samples.jsonl`
must equal the reference byte for byte and `veriscene verify` must pass; a table prints, per
round, the kill times, the shards already finished at each kill and the verdict. Exit status 1
if any round differs.

Kill moments are drawn uniformly over the reference run's duration (`--seed` fixes them), so
they land before the manifest, mid-scan, mid-shard, mid-write and mid-merge. With `--backend ray`
each run starts its own local Ray, killed with it (its processes are in the group); with
`--shared-output` too, the Ray workers write the shards, so kills land mid-write in them. With
`--compression`, the scene file is compressed (the scan decompresses it in the driver, and a
resumed run reads past its finished shards in the stream). With `--files N`, the scenes are cut
into N files (each compressed with `--compression`) given as a folder, and the reference is the
uninterrupted run over the one plain file they came from, in the same folder: the killed and
resumed runs over the N files must make its samples.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _command(scenes: Path, out: Path, args: argparse.Namespace, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "veriscene", "generate", str(scenes), "--out", str(out), "--seed", "3",
           "--shard-size", str(args.shard_size), "--workers", str(args.workers)]
    if args.generators:
        cmd += ["-g", args.generators]
    if args.backend == "ray":
        cmd += ["--backend", "ray"] + (["--shared-output"] if args.shared_output else [])
    return cmd + (["--resume"] if resume else [])


def _finished_shards(out: Path) -> int:
    shards = out / "shards"
    return len(list(shards.glob("*.json"))) if shards.exists() else 0


def _run_killed(cmd: list[str], after: float) -> bool:
    """Run cmd in its own process group; SIGKILL the group after `after` seconds. True if it
    finished first."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=after)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--kills", type=int, default=3, help="most kills per round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=20)
    parser.add_argument("-g", "--generators", default="")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--shared-output", action="store_true", help="with --backend ray: workers write the shards")
    parser.add_argument("--compression", choices=["none", "gzip", "zstd", "bz2", "xz"], default="none",
                        help="compress the scene file so")
    parser.add_argument("--files", type=int, default=1, help="cut the scenes into this many files, read as one input")
    args = parser.parse_args()

    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    rand = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="veriscene-kill-"))
    suffix = {"none": "", "gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}[args.compression]
    if args.files > 1:  # the parts in a folder, beside the whole file (image paths are relative to the folder)
        scenes = work / "parts"
        scenes.mkdir()
        whole = scenes / "all.scenes"  # not a *.jsonl name: the folder's files are the parts alone
        graphs = list(iter_scene_graphs(args.scenes, seed=1))
        write_scenes(graphs, whole)
        for k in range(args.files):
            write_scenes(graphs[len(graphs) * k // args.files : len(graphs) * (k + 1) // args.files],
                         scenes / f"part-{k:03d}.jsonl{suffix}")
    else:
        scenes = whole = work / ("scenes.jsonl" + suffix)
        write_scenes(iter_scene_graphs(args.scenes, seed=1), scenes)
    # Same folder depth for every run: sample image paths are written relative to the output.
    ref_out = work / "ref" / "out"
    t = time.perf_counter()
    subprocess.run(_command(whole, ref_out, args, resume=False), check=True, stdout=subprocess.DEVNULL)
    duration = time.perf_counter() - t
    reference = (ref_out / "samples.jsonl").read_bytes()
    lines = reference.count(b"\n")
    print(f"reference: {lines} samples in {duration:.1f} s; kills drawn in [0, {duration:.1f}] s")
    print(f"{'round':>5}  {'kills (s after start: shards finished)':<50} {'runs':>4}  verdict")
    failures = 0
    for r in range(args.rounds):
        out = work / f"round{r}" / "out"
        kills: list[str] = []
        resume = False
        runs = 0
        while True:
            runs += 1
            cmd = _command(scenes, out, args, resume=resume)
            if len(kills) < args.kills:
                after = rand.uniform(0.0, duration)
                if not _run_killed(cmd, after):
                    kills.append(f"{after:.1f}:{_finished_shards(out)}")
                    resume = (out / "manifest.json").exists()
                    continue
            else:
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            break
        same = (out / "samples.jsonl").read_bytes() == reference
        verified = subprocess.run([sys.executable, "-m", "veriscene", "verify", str(out)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        ok = same and verified
        failures += not ok
        verdict = "identical, verified" if ok else f"DIFFERS (same bytes: {same}, verify passed: {verified})"
        print(f"{r:>5}  {' '.join(kills) or '-':<50} {runs:>4}  {verdict}")
        shutil.rmtree(out.parent)
    shutil.rmtree(work)
    print(f"{args.rounds - failures} of {args.rounds} rounds identical to the uninterrupted run")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
