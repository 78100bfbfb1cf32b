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

Other inputs and options: `--input` names scene files (or a folder, or annotations with
`--args "--from coco"`) in place of the demo scenes, and `--args` adds `veriscene generate`
options to every run (`--args "--per-scene 3 --shard-format parquet --mixture mix.yaml"`). A run
whose samples stay in shards (`--shard-format zstd` or `parquet`) is compared shard file by
shard file. Every round must also leave the reference's manifest shard entries (lines, counts,
checksums), vocabulary.json and rejects.jsonl. `--hash-seeds` runs every start and resume with
its own PYTHONHASHSEED (the reference with 0), drawn apart from the kill moments:

    python benchmarks/kill_resume.py --input vg-shaped-300-0.jsonl --rounds 4 --args "--per-scene 3" --hash-seeds
    python benchmarks/kill_resume.py --input coco.json --args "--from coco --shard-format zstd" --rounds 3
"""

from __future__ import annotations

import argparse
import os
import hashlib
import json
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _command(scenes: Path, out: Path, args: argparse.Namespace, resume: bool) -> list[str]:
    inputs = [str(p) for p in args.input] if args.input else [str(scenes)]
    cmd = [sys.executable, "-m", "veriscene", "generate", *inputs, "--out", str(out), "--seed", "3",
           "--shard-size", str(args.shard_size), "--workers", str(args.workers)]
    if args.generators:
        cmd += ["-g", args.generators]
    if args.backend == "ray":
        cmd += ["--backend", "ray"] + (["--shared-output"] if args.shared_output else [])
    return cmd + shlex.split(args.args) + (["--resume"] if resume else [])


def _outcome(out: Path) -> dict[str, object]:
    """What a finished run must share with the reference: the bytes of its samples (samples.jsonl,
    or each shard file a --shard-format zstd/parquet run keeps), its vocabulary and rejects, and
    the manifest's counts and shard entries (lines, samples, checksums)."""
    manifest = json.loads((out / "manifest.json").read_text())
    kept = sorted((out / "shards").glob("shard-*")) if (out / "shards").exists() else []
    files = [out / "samples.jsonl", out / "vocabulary.json", out / "rejects.jsonl", *kept]
    return {"files": {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.exists()},
            "counts": manifest["counts"], "shards": manifest["shards"]}


def _environment(hash_seed: int | None) -> dict[str, str] | None:
    """The environment of a run: this one's, with PYTHONHASHSEED set when given."""
    return None if hash_seed is None else {**os.environ, "PYTHONHASHSEED": str(hash_seed)}


def _finished_shards(out: Path) -> int:
    shards = out / "shards"
    return len(list(shards.glob("*.json"))) if shards.exists() else 0


class RunFailed(Exception):
    """A run (not killed) that exited with an error: its status and the end of what it said."""


def _run_killed(cmd: list[str], after: float | None, env: dict[str, str] | None = None) -> bool:
    """Run cmd in its own process group; SIGKILL the group after `after` seconds. True if it
    finished first (RunFailed if it failed); `after` None: never killed."""
    with tempfile.TemporaryFile() as said:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=said, start_new_session=True, env=env)
        try:
            proc.wait(timeout=after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False
        if proc.returncode:
            said.seek(0)
            raise RunFailed(f"exit {proc.returncode}: {said.read().decode(errors='replace')[-1500:]}")
        return True


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
    parser.add_argument("--input", type=Path, nargs="+", default=[],
                        help="scene files, a folder or annotations (with --args '--from FORMAT') in place of the demo scenes")
    parser.add_argument("--args", default="", help="more veriscene generate options for every run, one string")
    parser.add_argument("--hash-seeds", action="store_true",
                        help="every run after the reference with its own PYTHONHASHSEED (the reference: 0)")
    args = parser.parse_args()
    if args.input and (args.files > 1 or args.compression != "none"):
        parser.error("--input is read as given: --files and --compression make demo scenes")
    args.input = [p.resolve() for p in args.input]

    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    rand = random.Random(args.seed)
    hashes = random.Random(f"hash seeds {args.seed}")  # apart from `rand`: the kill moments stay those of --seed
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
    subprocess.run(_command(whole, ref_out, args, resume=False), check=True, stdout=subprocess.DEVNULL,
                   env=_environment(0 if args.hash_seeds else None))
    duration = time.perf_counter() - t
    reference = _outcome(ref_out)
    lines = reference["counts"]["samples"]  # type: ignore[index]
    print(f"reference: {lines} samples in {duration:.1f} s; kills drawn in [0, {duration:.1f}] s")
    print(f"{'round':>5}  {'kills (s after start: shards finished)':<50} {'runs':>4}  verdict")
    failures = 0
    for r in range(args.rounds):
        out = work / f"round{r}" / "out"
        kills: list[str] = []
        resume = False
        runs = 0
        failed = ""
        while True:
            runs += 1
            cmd = _command(scenes, out, args, resume=resume)
            env = _environment(hashes.randrange(1, 2**32) if args.hash_seeds else None)
            try:
                if len(kills) < args.kills:
                    after = rand.uniform(0.0, duration)
                    if not _run_killed(cmd, after, env):
                        kills.append(f"{after:.1f}:{_finished_shards(out)}")
                        resume = (out / "manifest.json").exists()
                        continue
                elif not _run_killed(cmd, None, env):
                    raise AssertionError("not killed")
            except RunFailed as exc:  # e.g. the resume refused: said under the table's row
                failed = f"run {runs} ({'--resume' if resume else 'fresh'}) failed, {exc}"
            break
        if failed:
            failures += 1
            print(f"{r:>5}  {' '.join(kills) or '-':<50} {runs:>4}  FAILED\n{failed}")
            shutil.rmtree(out.parent)
            continue
        same = _outcome(out) == reference
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
