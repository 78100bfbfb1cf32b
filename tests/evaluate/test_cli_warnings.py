"""`veriscene eval` warns on stderr when replies stopped at the token limit (a reasoning model at a
low --max-tokens), besides the report's line."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from typer.testing import CliRunner

from veriscene.cli import app


class CutShort(BaseHTTPRequestHandler):
    """Every reply is thinking cut at the token limit."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        data = json.dumps({"choices": [{"index": 0, "finish_reason": "length", "message": {
            "role": "assistant", "content": "<think>First, I look at the objects and"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_replies_cut_at_the_token_limit_are_warned_on_stderr(demo_run: Path, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CutShort)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = CliRunner().invoke(app, ["eval", str(demo_run), "--model", "openai:thinker", "--base-url",
                                          f"http://127.0.0.1:{server.server_address[1]}/v1", "--out",
                                          str(tmp_path / "o"), "--limit", "3", "--families", "object",
                                          "--max-tokens", "32", "--freeform", "off"])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert ("warning 3 replies stopped at the token limit (finish reason 'length'), 3 of them unparseable: raise "
            "--max-tokens (now 32)") in result.stderr
    assert "unparseable: raise --max-tokens (now 32)" in (tmp_path / "o" / "report.md").read_text()  # (the CLI's)


def test_a_seed_without_a_limit_is_said_to_draw_nothing(demo_run: Path, tmp_path: Path) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text("")
    result = CliRunner().invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out",
                                      str(tmp_path / "o"), "--seed", "3", "--families", "counting",
                                      "--freeform", "off"])
    assert result.stderr.startswith("warning --seed 3 without --limit draws nothing: every sample selected is "
                                    "evaluated")


def test_rejected_sample_lines_are_warned_on_stderr_with_the_first_reason(demo_run: Path, tmp_path: Path) -> None:
    lines = (demo_run / "samples.jsonl").read_bytes().splitlines()[:3]
    samples = tmp_path / "samples.jsonl"
    samples.write_bytes(b"\n".join([lines[0], b'{"id": "x"', lines[1], b"[]"]) + b"\n")
    (tmp_path / "images").symlink_to(demo_run / "images")
    replies = tmp_path / "replies.jsonl"
    replies.write_text("")
    result = CliRunner().invoke(app, ["eval", str(samples), "--model", f"replay:{replies}", "--out",
                                      str(tmp_path / "o"), "--freeform", "off"])
    assert (f"warning 2 line(s) of {samples} were not evaluated (first: line 2: not valid JSON") in result.stderr
    assert f"all are listed in {tmp_path / 'o'}/rejects.jsonl" in result.stderr
