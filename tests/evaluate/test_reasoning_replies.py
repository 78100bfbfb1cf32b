"""A "perfect model" trained on `export --reasoning`: `veriscene eval` against a fake server that
replies with the exported reasoning targets reads every answer from its answer block, whatever
the reasoning before it says, and whether the server split the think block off or the chat
template opened it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.evaluate.conftest import is_scored, samples
from tests.evaluate.fake_server import FakeServer
from veriscene.evaluate import evaluate
from veriscene.evaluate.adapters.base import image_hash
from veriscene.evaluate.prompts import REASONING_REQUEST, PromptSet, load_prompts
from veriscene.io.export import export

# reasoning full of other answers: a number, a boxed one, a box, an image, a letter and a yes
MISLEADING = r"The answer is 9. \boxed{9} At [0.100, 0.200, 0.300, 0.400]. Image 3. Answer: D. Yes."


def _targets(run: Path, out: Path, **options: Any) -> dict[str, str]:
    """sample id -> its assistant target in a trl export with reasoning (one or several turns)."""
    export(run, out, "trl", reasoning=True, **options)
    targets: dict[str, str] = {}
    for row in map(orjson.loads, out.read_bytes().splitlines()):
        if "messages" in row:
            said = [m["content"][0]["text"] for m in row["messages"] if m["role"] == "assistant"]
            targets.update(zip(row["sample_ids"], said))
        else:
            targets[row["sample_id"]] = row["completion"][0]["content"][0]["text"]
    return targets


def _message(target: str, style: str) -> dict[str, Any]:
    """The assistant message a server returns for a target, in one of the reply styles."""
    # every reasoning target has the think / answer format, captions and object descriptions too
    m = re.fullmatch(r"<think>\n(.*)\n</think>\n(<answer>(.*)</answer>)", target, flags=re.DOTALL)
    assert m is not None, f"not a reasoning target: {target!r}"
    think, block, answer = m.groups()
    content = {"whole": target,
               "split": block,  # Qwen3 / vLLM reasoning parser: the think block in reasoning_content
               "opened": f"{think}\n</think> {answer}",  # <think> was in the prompt; a bare answer
               "misleading": f"<think>\n{MISLEADING}\n</think>\n{block}"}[style]
    return {"role": "assistant", "content": content, **({"reasoning_content": think} if style == "split" else {})}


class ReplyServer(FakeServer):
    """The fake server, answering each prompt with a whole assistant message."""

    messages: dict[tuple[str, tuple[str, ...]], dict[str, Any]]

    def handle(self, handler: Any, body: dict) -> None:
        text, images = self.content(body)
        self._send(handler, 200, {"id": "x", "object": "chat.completion", "model": body["model"],
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": self.messages[(text, tuple(images))]}]})


def _server(run: Path, targets: dict[str, str], style: str, prompts: PromptSet | None = None) -> ReplyServer:
    """A fake server replying to each sample's prompt (`prompts`' text) with its target, in `style`."""
    prompts = prompts or PromptSet()
    server = ReplyServer(lambda text, images: "")
    server.messages = {}
    for s in samples(run):
        p = prompts.build(s, run)
        server.messages[(p.text, tuple(image_hash(i) for i in p.images))] = _message(targets[s["id"]], style)
    return server


@pytest.mark.parametrize(("style", "options"), [
    ("whole", {}),
    ("split", {}),
    ("opened", {"mc_style": "letter_text"}),
    ("misleading", {"turns": 3, "mc_style": "letter_text"}),
])
def test_every_reasoning_target_scores_right(demo_run: Path, tmp_path: Path, style: str,
                                             options: dict[str, Any]) -> None:
    records = samples(demo_run)
    with _server(demo_run, _targets(demo_run, tmp_path / "trl.jsonl", **options), style) as server:
        summary = evaluate(demo_run, "openai:fake", tmp_path / "eval", base_url=server.url, freeform="off",
                           cache=False)
    results = [orjson.loads(line) for line in (tmp_path / "eval" / "results.jsonl").read_bytes().splitlines()]
    scored = [r for r in results if r["status"] == "scored"]
    assert len(scored) == sum(map(is_scored, records)) and len(results) == len(records)
    assert [r["id"] for r in scored if not r["correct"]] == []
    boxes = [r["score"] for r in scored if r["answer_type"] == "box" and r["mode"] == "qa"]
    assert boxes and min(boxes) > 0.97  # IoU of a box at three decimals with the exact one
    assert all(r["score"] == 1.0 for r in scored if not (r["answer_type"] == "box" and r["mode"] == "qa"))
    assert summary.accuracy == 1.0
    if style == "misleading":
        assert all(r["reply"].startswith(f"<think>\n{MISLEADING}") for r in scored if "<answer>" in r["reply"])


@pytest.mark.parametrize("style", ["whole", "split", "misleading"])
def test_eval_process_scores_the_reasoning_steps(demo_run: Path, tmp_path: Path, style: str) -> None:
    """`evaluate(..., process=True)`: the exported rationales state every step (F1 1.0), whether
    inline or returned apart (kept as the record's `reasoning`); a reasoning of other facts, none."""
    with _server(demo_run, _targets(demo_run, tmp_path / "trl.jsonl"), style) as server:
        summary = evaluate(demo_run, "openai:fake", tmp_path / "eval", base_url=server.url, freeform="off",
                           cache=False, process=True).summary
    process = summary["process"]
    rows = [orjson.loads(line) for line in (tmp_path / "eval" / "process.jsonl").read_bytes().splitlines()]
    assert process["samples"] == len(rows) > 0 and process["unscorable"] == 0
    if style == "misleading":
        assert process["score"] < 0.1 and process["perfect"] == 0
    else:
        assert process["score"] == 1.0 and process["perfect"] == len(rows)
        assert process["without_reasoning_block"] == 0
    if style == "split":
        results = [orjson.loads(line) for line in (tmp_path / "eval" / "results.jsonl").read_bytes().splitlines()]
        assert all(r.get("reasoning") for r in results if r["id"] in {row["id"] for row in rows})
    assert "## Reasoning steps" in (tmp_path / "eval" / "report.md").read_text()


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(orjson.loads, path.read_bytes().splitlines())}


@pytest.mark.parametrize("style", ["whole", "split"])
def test_reasoning_prompts_ask_every_question_and_descriptions_score_by_their_answer(
        demo_run: Path, tmp_path: Path, style: str) -> None:
    """`--prompts reasoning` asks for the think / answer format with every question, descriptions
    too (their targets think as well); a description's reply is scored by its answer block alone:
    the same claims and scores as the bare answer, replayed."""
    targets = _targets(demo_run, tmp_path / "trl.jsonl")
    with _server(demo_run, targets, style, load_prompts("reasoning")) as server:
        summary = evaluate(demo_run, "openai:fake", tmp_path / "eval", base_url=server.url, freeform="lexical",
                           cache=False, process=True, prompts="reasoning").summary
    results = _rows(tmp_path / "eval" / "results.jsonl")
    described = [r for r in results.values() if r["status"] == "not_scored"]
    assert described and all(r["prompt"].endswith("\n" + REASONING_REQUEST) for r in results.values())
    assert summary["overall"]["accuracy"] == 1.0 and summary["process"]["score"] == 1.0
    bare = tmp_path / "bare.jsonl"
    bare.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": re.search(
        r"<answer>(.*)</answer>", targets[r["id"]], flags=re.DOTALL).group(1)}) + b"\n" for r in described))
    evaluate(demo_run, f"replay:{bare}", tmp_path / "bare", freeform="lexical", prompts="reasoning",
             families=sorted({r["family"] for r in described}))
    thought, plain = _rows(tmp_path / "eval" / "freeform.jsonl"), _rows(tmp_path / "bare" / "freeform.jsonl")
    assert set(thought) == {r["id"] for r in described} == set(plain)
    assert thought == plain
