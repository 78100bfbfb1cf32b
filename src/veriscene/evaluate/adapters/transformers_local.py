"""Local Hugging Face transformers vision-language models ("hf:PATH"), with batching.

Loads `AutoModelForImageTextToText` and `AutoProcessor` from a local folder (or takes a model and
processor built in Python), renders each request with the processor's chat template (images as
``{"type": "image"}`` parts before the text), pads on the left and decodes greedily by default.

Batching and scores: requests are sorted by prompt length and number of images before they are
cut into batches, so that batches hold prompts of similar length (little padding). A batch's
images are read when it is its turn: memory holds one batch of decoded images, whatever the
number of samples. Padding can
still change a model's floating-point results in the last bits; `batch_size=1` rules that out at
the cost of speed. Scoring itself never depends on batch size (it reads only the reply text).

torch, transformers and pillow are imported on first use: install the ``ml`` extra.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from veriscene.errors import MissingExtra
from veriscene.evaluate.adapters.base import Completion, Model, ModelConfigError, OnDone, Request
from veriscene.scene.image_files import ImageFileError, read_rgb
from veriscene.scene.mark_drawing import marked_rgb


def _hf_messages(request: Request) -> list[dict[str, Any]]:
    prompt = request.prompt
    messages: list[dict[str, Any]] = []
    if prompt.system:
        messages.append({"role": "system", "content": [{"type": "text", "text": prompt.system}]})
    parts: list[dict[str, Any]] = [{"type": "image"} for _ in prompt.images]
    parts.append({"type": "text", "text": prompt.text})
    messages.append({"role": "user", "content": parts})
    return messages


class TransformersModel(Model):
    def __init__(self, path: str | None = None, *, model: Any = None, processor: Any = None,
                 name: str | None = None, batch_size: int = 8, max_new_tokens: int = 128,
                 device: str | None = None, dtype: str | None = None, do_sample: bool = False,
                 generate_kwargs: dict[str, Any] | None = None) -> None:
        if (path is None) == (model is None):
            raise ModelConfigError("give either a model folder (hf:PATH) or a model and processor object")
        if batch_size < 1:
            raise ModelConfigError(f"batch_size must be >= 1, got {batch_size}")
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            raise MissingExtra("the transformers adapter", "ml", "torch, transformers") from None
        if path is not None:
            model, processor = self._load(path, dtype)
        if processor is None:
            raise ModelConfigError("a transformers model needs its processor")
        self.model = model.eval()
        if device is not None:
            self.model.to(device)
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.tokenizer.padding_side = "left"
        self.batch_size = batch_size
        self.name = name or (Path(path).name if path else type(model).__name__)
        self.params: dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": do_sample,
                                       **(generate_kwargs or {})}
        self._source = str(Path(path).resolve()) if path else None

    @staticmethod
    def _load(path: str, dtype: str | None) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        folder = Path(path)
        if not folder.is_dir():  # a wrong path, or a Hub name (hf:Qwen/Qwen2-VL-2B-Instruct): not "no config.json"
            hub_name = not folder.is_absolute() and not path.startswith(".") and path.count("/") == 1
            fetch = (f": fetch a Hub model first, `hf download {path} --local-dir models/{folder.name}`, then give "
                     f"hf:models/{folder.name}") if hub_name else ""
            raise ModelConfigError(f"hf:{path}: no such folder (hf: takes a local model folder holding config.json "
                                   f"and the weights; nothing is downloaded{fetch})")
        if not (folder / "config.json").exists():
            raise ModelConfigError(f"hf:{path}: no config.json in that folder (a local model folder is needed; "
                                   "nothing is downloaded)")
        kwargs: dict[str, Any] = {"local_files_only": True}
        if dtype:
            kwargs["dtype"] = getattr(torch, dtype)
        model = AutoModelForImageTextToText.from_pretrained(str(folder), **kwargs)
        processor = AutoProcessor.from_pretrained(str(folder), local_files_only=True)
        return model, processor

    def identity(self) -> dict[str, Any]:
        return {"adapter": "transformers", "model": self.name, "source": self._source, "params": self.params}

    def _render(self, request: Request) -> str:
        return self.processor.apply_chat_template(_hf_messages(request), add_generation_prompt=True, tokenize=False)

    def _batch(self, batch: list[tuple[Request, str, list[Any]]]) -> list[str]:
        import torch

        texts = [text for _, text, _ in batch]
        images = [img for _, _, imgs in batch for img in imgs]
        inputs = self.processor(text=texts, images=images or None, return_tensors="pt", padding=True)
        inputs = inputs.to(self.model.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **self.params)
        new_tokens = out[:, inputs["input_ids"].shape[1]:]
        return [t.strip() for t in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        # sorted by number of images and prompt length; each batch's images are read when it is
        # its turn, so memory holds one batch of decoded images, not the whole evaluation's
        order = sorted(((r, self._render(r)) for r in requests),
                       key=lambda item: (len(item[0].prompt.images), len(self.tokenizer(item[1])["input_ids"]),
                                         item[0].key))
        for start in range(0, len(order), self.batch_size):
            batch: list[tuple[Request, str, list[Any]]] = []
            for r, text in order[start:start + self.batch_size]:
                try:
                    batch.append((r, text, [_rgb(p, r.prompt.marks_of(k)) for k, p in enumerate(r.prompt.images)]))
                except (ImageFileError, FileNotFoundError) as exc:  # each names the file (`scene.image_files`)
                    on_done(Completion(key=r.key, text="", error=str(exc)))
                except OSError as exc:  # a folder, no permission
                    on_done(Completion(key=r.key, text="", error=f"cannot read image: {exc}"))
            if not batch:
                continue
            began = time.perf_counter()
            try:
                replies = self._batch(batch)
            except (RuntimeError, ValueError) as exc:  # e.g. out of memory: fail this batch, report it
                for r, _, _ in batch:
                    on_done(Completion(key=r.key, text="", error=f"generation failed: {type(exc).__name__}: {exc}"))
                continue
            per_item = (time.perf_counter() - began) / len(batch)
            for (r, _, _), text in zip(batch, replies):
                on_done(Completion(key=r.key, text=text, latency_s=per_item, info={"batch": len(batch)}))

    def close(self) -> None:
        self.model = None


def _rgb(path: Path, marks: Sequence[dict[str, Any]] | None = None) -> Any:
    """An image as the model sees it: RGB, upright as its scene graph is, decoded as every command
    decodes it (`scene.image_files.read_rgb`), with the points its question names drawn on it
    (`scene.mark_drawing.marked_rgb`) when it has marks."""
    return marked_rgb(path, marks) if marks else read_rgb(path)
