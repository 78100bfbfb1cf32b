"""The dataset card's account of where the data comes from: how the run was made (from its
manifest: release, inputs and their checksums, seed, selection, shards), the command that makes it
again (`veriscene.engine.reproduce`), and what verification found. `veriscene.card_text` renders
these sections with the others.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import yaml

from veriscene import __version__
from veriscene.card import CardFacts
from veriscene.engine.manifest import scene_inputs, wording_said
from veriscene.engine.remote import is_url
from veriscene.engine.source_digest import source_said
from veriscene.engine.reproduce import generate_command, read_stamp

_LISTED_FILES = 20  # input files listed one by one in a card (the manifest lists all)
SHARD_LAYOUT = {  # shard format -> where a sample record is (veriscene.engine.codecs)
    "zstd": " (zstandard-compressed JSON lines)",
    "parquet": " (the `record` column of each row holds the sample record; `id`, `task`, `family`, `mode`, "
               "`answer_type`, `question`, `image_ids` are columns for filtering)",
}


def run_label(facts: CardFacts) -> str:
    """How commands in the card name the run: the folder's (or samples file's) name."""
    return facts.run.resolve().name


def verify_command(facts: CardFacts) -> str:
    command = f"veriscene verify {run_label(facts)}"
    if len(facts.scene_files) == 1:  # the file verified against, by name (no local path)
        command += f" --scenes {facts.scene_files[0].name}"
    elif facts.scene_files or not (facts.run_dir / "manifest.json").is_file():
        command += " --scenes SCENES.jsonl"  # no manifest names the scene graphs
    return f"`{command}`"


def version(facts: CardFacts) -> str:
    if facts.manifest is None:
        return "veriscene (release unknown: no manifest.json)"
    return f"veriscene {facts.manifest['config'].get('veriscene_version', '(release not recorded)')}"


# ---- how it was made ------------------------------------------------------------------------------

def _weights(weights: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in (weights or {}).items()) or "none"


def selection(config: dict[str, Any], made_samples: set[str]) -> str:
    mixture = config.get("mixture")
    generators = config.get("generators") or {}
    idle = sorted(set(generators) - made_samples)
    idle_text = f"; {len(idle)} made no sample: {', '.join(f'`{g}`' for g in idle)}" if idle else ""
    if not mixture:
        return f"{len(generators)} generators (those with samples are listed per task below{idle_text})"
    budget = mixture.get("budget")
    return (f"a mixture of {len(generators)} generators ("
            + (f"at most {budget} samples per scene" if budget else "no per-scene budget")
            + f"; family weights: {_weights(mixture.get('families'))}; generator weights: "
            f"{_weights(mixture.get('weights'))}; default weight {mixture.get('default_weight', 1.0):g}{idle_text})")


def _relative(path: str) -> bool:
    return not is_url(path) and not os.path.isabs(path)


def made(facts: CardFacts) -> str:
    if facts.manifest is None:
        return "## How it was made\n\nUnknown: no `manifest.json` was given with the samples."
    manifest, config = facts.manifest, facts.manifest["config"]
    counts = manifest.get("counts") or {}
    inputs = scene_inputs(config)
    lines = [f"- Made with {version(facts)}; run key `{manifest.get('key', 'unknown')}`, status "
             f"`{manifest.get('status', 'unknown')}`."]
    # paths are relative to the run folder, but absolute ones (a run at a URL) and URLs (an input read from one)
    relative = " (relative to the run folder)" if any(_relative(str(e["path"])) for e in inputs) else ""
    if len(inputs) == 1:
        lines.append(f"- Input scene graphs: `{inputs[0]['path']}`{relative}, "
                     f"sha256 `{inputs[0].get('sha256')}`.")
    else:
        lines.append(f"- Input scene graphs: {len(inputs)} files read as one input, in this order{relative}:")
        lines += [f"  - `{entry['path']}`, sha256 `{entry.get('sha256')}`" for entry in inputs[:_LISTED_FILES]]
        if len(inputs) > _LISTED_FILES:
            lines.append(f"  - and {len(inputs) - _LISTED_FILES} more, to `{inputs[-1]['path']}` "
                         "(`manifest.json` lists every file with its sha256)")
    stamp = read_stamp(facts.run_dir)
    if stamp is not None:
        key = stamp["key"]
        source = os.path.relpath(str(key.get("input")), facts.run_dir.resolve())
        lines.append(f"- Converted into that file from `{source}` (relative to the run folder), read as "
                     f"`{key.get('format')}`, fingerprint `{key.get('fingerprint')}` (`scenes.source.json`).")
    if any(str(entry["path"]).startswith("..") for entry in inputs):
        lines.append(f"- The scenes file{'s lie' if len(inputs) > 1 else ' lies'} outside the run folder: publish "
                     f"{'them' if len(inputs) > 1 else 'it'} too, at that place, for `veriscene verify` to work.")
    samples_at = (manifest.get("files") or {}).get("samples")
    if samples_at:
        lines.append(f"- Samples: `{samples_at}`{SHARD_LAYOUT.get(config.get('shard_format', 'jsonl'), '')}.")
    if counts:
        oversized, limit = (manifest.get("summary") or {}).get("oversized"), config.get("max_scene_objects")
        over = (f"; {oversized:,} for holding more than {limit:,} objects, `--max-scene-objects`"
                if isinstance(oversized, int) and oversized and isinstance(limit, int) else "")
        lines.append(f"- Scenes: {counts.get('lines', 0):,} input lines, {counts.get('scenes', 0):,} scenes read, "
                     f"{counts.get('rejected_scenes', 0):,} rejected (listed in `rejects.jsonl`{over}), "
                     f"{counts.get('repeats_dropped', 0):,} repeated multi-image samples dropped.")
    modes = ", ".join(config.get("modes") or [])
    captions = " (and captions, which captioning generators always make)" if facts.report.per_mode["caption"] else ""
    lines += [f"- Seed: {config.get('seed')}. Modes: {modes}{captions}.",
              f"- Selection: {selection(config, set(facts.report.per_task))}; each generator's filled config "
              "is in `manifest.json` "
              "(`config.generators`) and in every sample's `meta.config`.",
              f"- Shards: {config.get('shard_size')} scenes each, format `{config.get('shard_format')}`; "
              f"multi-image pool of {config.get('pool_size')} scenes."]
    return "## How it was made\n\n" + "\n".join(lines) + "\n\n" + reproduce(facts)


def reproduce(facts: CardFacts) -> str:
    assert facts.manifest is not None
    again = generate_command(facts.manifest, facts.run_dir)
    text = (f"To make it again, from the folder holding `{run_label(facts)}` (generation is deterministic "
            f"given the input, the configuration and the release, {version(facts)}):\n\n"
            f"```bash\n{again.command}\n```")
    if again.mixture is not None:
        text += ("\n\nwith `MIXTURE.yaml`:\n\n```yaml\n" + yaml.safe_dump(again.mixture, sort_keys=False).rstrip()
                 + "\n```")
    release = again.release_text()
    if release is not None:
        text += "\n\n" + release
    if again.notes:
        text += ("\n\nThe command line cannot give everything the run used:\n\n"
                 + "\n".join(f"- {n}" for n in again.notes))
    return text


# ---- verification ---------------------------------------------------------------------------------

def verification(facts: CardFacts) -> str:
    command = verify_command(facts)
    v = facts.verification
    if v is None and facts.verify_error:
        body = f"Verification could not run when this card was written: {facts.verify_error}. To check: {command}."
    elif v is None:
        body = f"Not checked when this card was written. To check every answer: {command}."
    elif not v.problems:
        body = (f"Checked when this card was written: {v.verified:,} of {v.samples:,} samples' programs "
                f"recompute the stored answer ({command}).")
    else:
        kinds = Counter(p.kind for p in v.problems)
        listed = ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
        body = (f"Checked when this card was written: {v.verified:,} of {v.samples:,} samples' programs "
                f"recompute the stored answer; {len(v.problems):,} do not ({listed}). {command} lists them.")
        if v.made_by is not None and v.made_by != __version__:
            body += (f" The run was made by veriscene {v.made_by} and checked with {__version__}: where an operation "
                     f"or phrasing changed between them the programs compute other answers (to check the data as "
                     f"made, verify with veriscene {v.made_by}).")
    files = v.files if v is not None else None
    if files is not None and files.ok:
        there = ("its one shard is there, with" if files.shards == 1 else
                 f"the {files.shards:,} shards' samples are all there, each with")
        body += f" The sample files are the run that was made: {there} the SHA-256 the manifest records."
    elif files is not None:
        body += (f" The sample files differ from the manifest ({files.intact:,} of {files.shards:,} shards as "
                 f"recorded): {files.problems[0]}" + (f", and {len(files.problems) - 1:,} more." if len(files.problems) > 1
                                                     else "."))
    if v is not None and v.wording_changed:
        body += (f" Note: {wording_said(v.wording_changed)}, so their questions may be worded otherwise than veriscene "
                 f"{__version__} as installed words them (the answers are checked by program all the same).")
    if v is not None and v.code_changed:
        body += (f" Note: {source_said(v.code_changed)}, so its questions may be worded otherwise than this code words "
                 "them (the answers are checked by program all the same).")
    return "## Verification\n\n" + body
