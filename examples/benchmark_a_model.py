"""Make a small benchmark and evaluate a model on it, scored by program.

    python examples/benchmark_a_model.py    # writes ./bench_run/ and ./bench_eval/ (a few seconds)

A model is reached as a server speaking the OpenAI chat-completions API (vLLM, SGLang, Ollama,
llama.cpp, hosted APIs). To stay offline this script starts a tiny fake one in a thread, a
"baseline" that answers by the instruction alone; with a real model, drop the fake server:

    vllm serve Qwen/Qwen2-VL-7B-Instruct --port 8000
    evaluate("bench_run", "openai:Qwen/Qwen2-VL-7B-Instruct", "bench_eval/qwen",
             base_url="http://localhost:8000/v1", model_options={"concurrency": 16})

It also scores replies stored in a file ("replay:FILE", one {"id", "reply"} per line: replies
computed elsewhere), here the training targets of the export: they should all be right.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from veriscene.demo.pipeline import run_demo
from veriscene.evaluate import compare, evaluate

# --- 1. a benchmark: 8 scenes of the demo world, every generator, open and multiple choice ---
demo = run_demo("bench_run", scenes=8, seed=0)  # images, scenes.jsonl, samples.jsonl, llava.json
print(f"benchmark: {demo.summary.samples} samples, "
      f"{demo.verification.mismatches} verification mismatches")


# --- 2. a fake OpenAI-compatible server: the baseline answers from the instruction alone -------
def baseline(prompt: str) -> str:
    if "yes or no" in prompt:
        return "Yes"
    if "single number" in prompt:
        return "2"
    if "letter" in prompt:  # multiple choice
        return "A"
    return "red"


class ChatCompletions(BaseHTTPRequestHandler):
    def log_message(self, *args):  # no access log on stderr
        pass

    def do_POST(self):  # POST /v1/chat/completions
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = body["messages"][-1]["content"]  # [{"type": "image_url", ...}, {"type": "text", ...}]
        prompt = " ".join(part["text"] for part in user if part["type"] == "text")
        reply = {"choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": baseline(prompt)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletions)  # port 0: any free port
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/v1"

# --- 3. evaluate: 150 samples drawn with seed 0; rerunning resumes from OUT/requests.sqlite ----
# freeform="lexical": descriptions scored without loading MiniLM ("auto" uses it when installed)
result = evaluate("bench_run", "openai:baseline", "bench_eval/baseline", base_url=url,
                  limit=150, seed=0, freeform="lexical")
server.shutdown()
overall = result.summary["overall"]
print(f"baseline: accuracy {overall['accuracy']:.3f} "
      f"[{overall['ci_low']:.3f}, {overall['ci_high']:.3f}] "
      f"over {overall['n']} samples, {overall['parse_failures']} unparseable")
for family, stats in sorted(result.summary["by_family"].items()):
    if stats["accuracy"] is not None:
        print(f"  {family:16s} {stats['accuracy']:.2f} (n={stats['n']})")
first = json.loads(result.results_path.read_text().splitlines()[0])
print("one result:", {k: first[k] for k in ("prompt", "reply", "parsed", "score", "status")})

# --- 4. replay stored replies: the LLaVA export's targets, as if a model had answered them -----
targets = json.loads((demo.out_dir / "llava.json").read_text())
replies = [{"id": record["veriscene"]["sample_id"], "reply": record["conversations"][1]["value"]}
           for record in targets]
Path("bench_eval/targets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in replies))
oracle = evaluate("bench_run", "replay:bench_eval/targets.jsonl", "bench_eval/targets",
                  limit=150, seed=0, freeform="lexical")
print(f"targets: accuracy {oracle.accuracy:.3f} over {oracle.summary['overall']['n']} samples")

# --- 5. side by side, with paired differences: bench_eval/compare/compare.md and .html --------
table = compare(["bench_eval/baseline", "bench_eval/targets"], "bench_eval/compare")
paired = table["paired_vs_first"][0]  # the second run minus the first, over the samples both answered
print(f"targets - baseline: {100 * paired['diff']:+.1f} points "
      f"[{100 * paired['ci'][0]:.1f}, {100 * paired['ci'][1]:.1f}] over {paired['n']} paired samples")
