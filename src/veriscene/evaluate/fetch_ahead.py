"""Samples asked in parts with their images at URLs downloaded a part ahead (`with_images`): the
model answers one part while the next one's images download on a thread, each image once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from veriscene.engine.fetch import fetch_files, image_urls

Progress = Callable[[int, int], None]  # (done, total)

# Samples whose images at URLs are downloaded together, while the model answers the part before
URL_CHUNK = 512


def with_images(blocks: Iterable[list[dict[str, Any]]], progress: Progress | None, chunk: int | None = None,
                fetch: Callable[..., dict[str, Path | Exception]] = fetch_files,
                ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Path | Exception] | None]]:
    """The samples of `blocks` (the samples to ask, a block at a time) in parts, each with the
    local copies of the images it names by URL: a block that names none is one part (with None),
    one that does is cut in parts of `chunk` (`URL_CHUNK`) samples. The next part's images download
    on a thread while the caller answers this part; each image once. `progress` counts the
    downloads of all parts, of the images of the blocks read so far (all of them, on a run of one
    block). `fetch`: `engine.fetch.fetch_files`, or what the caller downloads with."""
    size = chunk or URL_CHUNK
    fetched: dict[str, Path | Exception] = {}
    named: dict[str, None] = {}  # every image named by URL in the blocks read so far
    counted = [0]

    def parts() -> Iterator[tuple[list[dict[str, Any]], bool]]:  # (part, whether it names images by URL)
        for todo in blocks:
            urls = image_urls(todo)
            if not urls:
                yield todo, False
                continue
            named.update(dict.fromkeys(urls))
            for i in range(0, len(todo), size):
                yield todo[i:i + size], True

    def download(part: list[dict[str, Any]]) -> dict[str, Path | Exception]:
        new = [url for url in image_urls(part) if url not in fetched]
        before = counted[0]

        def step(done: int, total: int) -> None:
            counted[0] = before + done
            if progress is not None:
                progress(counted[0], len(named))

        found = fetch(new, progress=step) if new else {}
        fetched.update(found)  # (only this thread writes, and a part is read after its download)
        return fetched

    stream = parts()
    current = next(stream, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="veriscene-images") as pool:
        ahead: Future[dict[str, Path | Exception]] | None = (
            pool.submit(download, current[0]) if current is not None and current[1] else None)
        try:
            while current is not None:
                ready = ahead.result() if ahead is not None else None
                following = next(stream, None)  # (the next block is read while this part is answered)
                ahead = pool.submit(download, following[0]) if following is not None and following[1] else None
                yield current[0], ready
                current = following
        finally:
            if ahead is not None:
                ahead.cancel()
