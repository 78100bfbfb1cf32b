"""The transformers adapter on a tiny randomly initialised LLaVA built here (no downloads)."""

from __future__ import annotations


import torch

from tests.evaluate.conftest import samples
from veriscene.evaluate import evaluate, load_model

WORDS = ["<pad>", "<s>", "</s>", "<unk>", "<image>", "yes", "no", "red", "blue", "1", "2", "3", "A", "B",
         "USER:", "ASSISTANT:"]
TEMPLATE = ("{% for m in messages %}{% if m['role'] == 'user' %}USER: {% for c in m['content'] %}"
            "{% if c['type'] == 'image' %}<image> {% else %}{{ c['text'] }} {% endif %}{% endfor %}{% endif %}"
            "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}")


def tiny_llava(folder) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
        PreTrainedTokenizerFast,
    )

    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", extra_special_tokens={"image_token": "<image>"})
    processor = LlavaProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                                  crop_size={"height": 32, "width": 32}),
                               tokenizer=fast, patch_size=16, vision_feature_select_strategy="default",
                               chat_template=TEMPLATE, num_additional_image_tokens=1)
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                       image_size=32, patch_size=16, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                                pad_token_id=0, bos_token_id=1, eos_token_id=2),
        image_token_index=4, vision_feature_select_strategy="default", vision_feature_layer=-1)
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)


def test_tiny_llava_end_to_end(demo_run, tmp_path) -> None:
    tiny_llava(tmp_path / "tiny")
    outs = {}
    for bs in (1, 4):
        model = load_model(f"hf:{tmp_path / 'tiny'}", batch_size=bs, max_new_tokens=3)
        out = tmp_path / f"bs{bs}"
        summary = evaluate(demo_run, model, out, limit=12, seed=0, freeform="off")
        assert summary.counts["selected"] == 12 and summary.complete
        outs[bs] = [(r["id"], r["status"], r["reply"]) for r in
                    (__import__("orjson").loads(x) for x in (out / "results.jsonl").read_bytes().splitlines())]
    assert [i for i, _, _ in outs[1]] == [i for i, _, _ in outs[4]]
    assert len(outs[1]) == 12 and all(s in ("scored", "parse_failed", "not_scored") for _, s, _ in outs[1])
    assert outs[1] == outs[4]  # batching does not change greedy replies of this model, nor scores
    assert len(samples(demo_run)) > 12


def test_a_batch_reads_its_own_images_only(demo_run, tmp_path, monkeypatch) -> None:
    """Images are decoded batch by batch, not all before the first (an evaluation of thousands of
    images held them all in memory); an image that cannot be read fails its request alone."""
    import orjson
    from PIL import Image

    tiny_llava(tmp_path / "tiny")
    model = load_model(f"hf:{tmp_path / 'tiny'}", batch_size=2, max_new_tokens=2)
    opened: list[str] = []
    real_open = Image.open

    def counted(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    real_batch = model._batch
    seen: list[tuple[int, int]] = []  # (images opened so far, images of this batch) at each batch

    def batch(items):
        seen.append((len(opened), sum(len(images) for _, _, images in items)))
        return real_batch(items)

    monkeypatch.setattr(Image, "open", counted)
    monkeypatch.setattr(model, "_batch", batch)
    chosen = [s for s in samples(demo_run) if len(s["images"]) == 1][:6]
    for s in chosen:  # the samples file is written elsewhere: image paths made absolute
        s["images"][0]["path"] = str((demo_run / s["images"][0]["path"]).resolve())
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    chosen[3]["images"][0]["path"] = str(broken)
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in chosen))
    summary = evaluate(path, model, tmp_path / "out", freeform="off", scenes=demo_run / "scenes.jsonl")
    assert summary.counts["errors"] == 1 and len(seen) == 3
    done = 0
    for before, n in seen:  # the images opened by each batch's turn: its own and those before it, no more
        done += n
        assert before <= done + 1  # + the broken one, opened (and failed) in its batch's turn
    results = [orjson.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_bytes().splitlines()]
    failed = [r for r in results if r["error"]]
    assert [r["id"] for r in failed] == [chosen[3]["id"]] and "cannot read the image" in failed[0]["error"]
    assert str(broken) in failed[0]["error"]  # the file named (`scene.image_files.ImageFileError`)
