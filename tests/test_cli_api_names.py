"""Every command's options are its Python function's parameters, by the same names.

Each command's help names its function ("(Python: veriscene.generate)"). An option of the command
line with no parameter of that name is either in `CLI_ONLY`, with the reason and the Python way
of doing it, or a fault; an entry of `CLI_ONLY` that is no longer needed is a fault too, so the
list stays what it says.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any, Callable

import pytest
from typer.main import get_command

from veriscene.cli import app

# Options whose Python form is not a parameter of the same name: command -> option -> how.
CLI_ONLY: dict[str, dict[str, str]] = {
    "generate": {
        "scan_chunk_mb": "scan_chunk, in bytes",
        "to": "veriscene.io.export.export(run, out, to) after generate",
        "embed_images": "veriscene.io.export.export(run, out, to, embed_images=True) after generate",
        "reader_option": "KEY=VALUE pairs of the reader_options dict",
    },
    "generators": {"as_json": "the rows are JSON-ready dicts"},
    "stats": {"as_json": "StatsReport.to_dict()", "chart": "veriscene.stats.write_chart(report, path)"},
    "view": {
        "html": "veriscene.viewer.write_html(path, out, ...)",
        "run": "view(path) takes the run; write_html its own",
        **{name: "a field of veriscene.viewer.Filters, given to write_html"
           for name in ("task", "family", "mode", "image", "text", "outcome", "sort", "max_helpfulness",
                        "max_truthfulness")},
        "count": "write_html(..., count=)",
    },
    "eval": {
        **{name: "a key of model_options (an OpenAI-compatible server's client)"
           for name in ("api_key_env", "concurrency", "timeout", "max_retries", "max_retry_wait", "max_tokens",
                        "temperature")},
        "param": "model_options['extra_params'] (a server), model_options['generate_kwargs'] (transformers)",
        "batch_size": "model_options['batch_size'] (transformers)",
        "no_cache": "cache=False",
        "no_extractor_cache": "extractor_cache=False",
    },
    "score-freeform": {
        "extractor_model": "model=veriscene.evaluate.load_model(name, base_url=...)",
        "base_url": "load_model(name, base_url=...)",
        "extractor_api_key_env": "load_model(name, base_url=..., api_key_env=...)",
        "no_cache": "cache=False",
    },
    "convert": {"reader_option": "KEY=VALUE pairs of the reader options, given as keyword arguments"},
}


# Options a function takes through its **options, by the same names: export's format options and
# convert's reader options (`veriscene.io.readers.reader_options` lists each format's).
THROUGH_OPTIONS: dict[str, set[str]] = {
    "export": {"absolute_paths", "mc_style", "turns", "task_name", "split_by", "split", "prompts", "system",
               "max_new_tokens"},
    "convert": {"allow_pickle", "image_root", "image_size", "synonyms", "drop_bad_parts"},
}


def _commands() -> list[tuple[str, Any]]:
    root = get_command(app)
    return sorted(root.commands.items())  # type: ignore[attr-defined]


def _function(command: Any) -> Callable[..., Any]:
    text = " ".join((command.help or "").split())
    found = re.search(r"\(Python: ([\w.]+)", text)
    assert found, f"the help of {command.name} names no Python function"
    module, _, name = found.group(1).rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_options_are_the_functions_parameters(name: str, command: Any) -> None:
    signature = inspect.signature(_function(command))
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    through = THROUGH_OPTIONS.get(name, set())
    assert takes_any or not through, f"{name}'s function takes no **options"
    options = [p.name for p in command.params]
    unmatched = {o for o in options if o not in signature.parameters and o not in through}
    assert unmatched == set(CLI_ONLY.get(name, {})), (
        f"{name}: options without a parameter of their name {sorted(unmatched - set(CLI_ONLY.get(name, {})))}, "
        f"listed but matched {sorted(set(CLI_ONLY.get(name, {})) - unmatched)}")
