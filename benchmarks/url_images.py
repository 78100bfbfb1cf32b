"""Images read from object storage to embed them in an export: one request at a time against
many at once (`veriscene.engine.fetch.read_urls`, which `export --embed-images` uses).

    python benchmarks/url_images.py --images 1000 --threads 1 16 --repeats 3

Makes `--images` JPEGs of `--width` x `--height` pixels (noise, so they do not compress to
nothing), uploads them to an S3 server on this machine (moto's, `_s3.py`: the figures are the
client's and that server's cost, not a network's; a real store adds its latency to each request,
which requests made at once overlap), and writes one sample per image naming it by URL. Then
exports the samples to Parquet with the images embedded, once per thread count, alternated, in
this process. Prints per thread count the median seconds, images/s and MB/s over `--repeats`,
and checks every export embedded every image and wrote the same bytes. Then exports them to
LLaVA JSON with `check_urls` (`export --check-urls`: a metadata request per image, nothing read)
and prints the same per thread count.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import orjson

from _s3 import s3_server  # benchmarks/_s3.py


def _jpeg(rng: np.random.Generator, width: int, height: int) -> bytes:
    from PIL import Image

    pixels = rng.integers(0, 256, size=(height // 8, width // 8, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _samples(path: Path, urls: list[str]) -> None:
    with open(path, "wb") as fh:
        for k, url in enumerate(urls):
            fh.write(orjson.dumps({"id": f"s{k}", "task": "object.count.v1", "family": "counting",
                                   "images": [{"id": f"i{k}", "path": url}], "question": "How many?",
                                   "answer": 1, "answer_type": "int"}) + b"\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import importlib

    from veriscene.engine import fetch
    from veriscene.io.export import export

    common = importlib.import_module("veriscene.io.writers.common")
    rng = np.random.default_rng(0)
    with s3_server() as (_env, client), tempfile.TemporaryDirectory() as tmp:
        urls, total = [], 0
        for k in range(args.images):
            data = _jpeg(rng, args.width, args.height)
            client.put_object(Bucket="bench", Key=f"img/{k:06d}.jpg", Body=data)
            urls.append(f"s3://bench/img/{k:06d}.jpg")
            total += len(data)
        samples = Path(tmp) / "samples.jsonl"
        _samples(samples, urls)
        print(f"{args.images} JPEGs of {args.width}x{args.height} ({total / 1e6:.1f} MB) on an S3 server on this "
              f"machine, exported to Parquet with the images embedded; median of {args.repeats}")
        print(f"{'threads':>7} {'seconds':>8} {'images/s':>9} {'MB/s':>7}")
        seconds: dict[int, list[float]] = {t: [] for t in args.threads}
        digests = set()
        for _ in range(args.repeats):
            for threads in args.threads:
                common.read_urls = partial(fetch.read_urls, threads=threads)
                out = Path(tmp) / f"out-{threads}.parquet"
                start = time.perf_counter()
                summary = export(samples, out, to="parquet", embed_images=True)
                seconds[threads].append(time.perf_counter() - start)
                if summary.images_embedded != args.images or summary.images_missing:
                    raise SystemExit(f"{threads} threads: {summary.images_embedded} of {args.images} images embedded, "
                                     f"{summary.images_missing} missing")
                digests.add(hashlib.blake2b(out.read_bytes(), digest_size=8).hexdigest())
        if len(digests) != 1:
            raise SystemExit(f"the exports differ: {sorted(digests)}")
        for threads in args.threads:
            median = statistics.median(seconds[threads])
            print(f"{threads:>7} {median:>8.2f} {args.images / median:>9.0f} {total / 1e6 / median:>7.1f}", flush=True)
        # not embedded, each URL asked whether it exists (export --check-urls): a metadata request per image
        print(f"the same samples exported to LLaVA JSON with --check-urls; median of {args.repeats}")
        print(f"{'threads':>7} {'seconds':>8} {'images/s':>9}")
        seconds = {t: [] for t in args.threads}
        for _ in range(args.repeats):
            for threads in args.threads:
                common.check_urls = partial(fetch.check_urls, threads=threads)
                start = time.perf_counter()
                summary = export(samples, Path(tmp) / f"out-{threads}.json", to="llava", check_urls=True)
                seconds[threads].append(time.perf_counter() - start)
                if summary.images_checked != args.images or summary.images_missing:
                    raise SystemExit(f"{threads} threads: {summary.images_checked} of {args.images} images found, "
                                     f"{summary.images_missing} missing")
        for threads in args.threads:
            median = statistics.median(seconds[threads])
            print(f"{threads:>7} {median:>8.2f} {args.images / median:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
