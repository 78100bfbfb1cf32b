"""`view`: browse a run in a web browser, served from this machine.

Routes (all GET):
    /                      the sample list; query: task, family, mode, image, text, outcome,
                           max_helpfulness, max_truthfulness, sort, page
    /sample/<position>     one sample (position in the list of readable samples, from 0); the list's
                           query (task, family, ...) makes previous / next stay within that list
    /scene/<image id>      one scene graph and the samples showing it
    /image/<image id>      the image file; upright RGB (`scene.image_files.payload`) when a browser
                           might show it otherwise (EXIF-turned, animated, 16-bit, TIFF, ...)
    /masks/<image id>?o=1,2  a PNG overlay of those objects' masks

The server binds to 127.0.0.1 by default: it serves files named by the run, so expose it to a
network only on purpose (`host="0.0.0.0"`).
"""

from __future__ import annotations

import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Sequence
from urllib.parse import parse_qs, quote, unquote, urlsplit

from veriscene.scene.image_files import ImageFileError, payload
from veriscene.viewer.catalog import DEFAULT_LIMIT, Catalog, Filters
from veriscene.viewer.entries import score_limit
from veriscene.viewer.filter_names import filter_error
from veriscene.viewer.images import mask_overlay
from veriscene.viewer.pages import PALETTE, listing_href, listing_page, page, esc, sample_page, scene_page



class ServerLinks:
    """Links to the server's own routes."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def image(self, image_id: str) -> str | None:
        """The image's route, None when it has no readable file (the page draws a grey canvas
        and says where the file was looked for)."""
        if self.catalog.image_file(image_id) is None:
            return None
        return f"/image/{quote(image_id, safe='')}"

    def masks(self, image_id: str, objects: Sequence[int]) -> str | None:
        return f"/masks/{quote(image_id, safe='')}?o={','.join(map(str, objects))}"

    def sample(self, position: int, filters: Filters | None = None) -> str:
        query = listing_href(filters or Filters())[1:]  # "?task=..." or ""
        return f"/sample/{position}{query}"

    def scene(self, image_id: str) -> str:
        return f"/scene/{quote(image_id, safe='')}"

    def listing(self, filters: Filters, page_no: int = 0) -> str:
        return listing_href(filters, page_no)


def _handler(catalog: Catalog) -> type[BaseHTTPRequestHandler]:
    links = ServerLinks(catalog)

    class Handler(BaseHTTPRequestHandler):
        server_version = "veriscene-view"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (stdlib's name)
            pass  # quiet: the command prints the address once

        def _send(self, status: int, body: bytes, mime: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _html(self, text: str, status: int = HTTPStatus.OK) -> None:
            self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

        def _not_found(self, what: str) -> None:
            self._html(page("veriscene: not found", f"<p class='bad'>{esc(what)}</p><p><a href='/'>all samples</a></p>"),
                       HTTPStatus.NOT_FOUND)

        def do_GET(self) -> None:  # noqa: N802  (stdlib's name)
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            parts = [unquote(p) for p in url.path.split("/")[1:]]
            route, rest = (parts[0], "/".join(parts[1:])) if parts else ("", "")
            try:
                catalog.refresh()  # results a running evaluation added since the last page
                if route == "":
                    self._listing(query)
                elif route == "sample":
                    self._sample(rest, query)
                elif route == "scene":
                    shown = scene_page(catalog, rest, links)  # (the page says when the scene is unknown)
                    self._html(shown, HTTPStatus.OK if catalog.scene(rest) is not None else HTTPStatus.NOT_FOUND)
                elif route == "image":
                    self._image(rest)
                elif route == "masks":
                    self._masks(rest, query.get("o", ""))
                else:
                    self._not_found(f"no page {url.path}")
            except BrokenPipeError:
                pass  # the browser went away

        def _filters(self, query: dict[str, str]) -> Filters | None:
            """The query's filters; None, with the page saying why, for a value none can match
            (a mode, outcome or sort not known; a task or family of no sample nor generator:
            `filter_error`, as `veriscene view --family` says it)."""
            try:
                filters = Filters(task=query.get("task", ""), family=query.get("family", ""),
                                  mode=query.get("mode", ""), image=query.get("image", ""), text=query.get("text", ""),
                                  outcome=query.get("outcome", ""), sort=query.get("sort", ""),
                                  max_helpfulness=score_limit("max_helpfulness", query.get("max_helpfulness")),
                                  max_truthfulness=score_limit("max_truthfulness", query.get("max_truthfulness")))
            except ValueError as exc:
                self._not_found(str(exc))
                return None
            unknown = filter_error(catalog, filters)
            if unknown is not None:  # (was: an empty list, unsaid)
                self._not_found(unknown)
                return None
            return filters

        def _listing(self, query: dict[str, str]) -> None:
            filters = self._filters(query)
            if filters is None:
                return
            page_no = int(query["page"]) if query.get("page", "").isdigit() else 0
            self._html(listing_page(catalog, filters, links, page_no))

        def _sample(self, rest: str, query: dict[str, str]) -> None:
            if not rest.isdigit() or int(rest) >= len(catalog.entries):
                self._not_found(f"no sample {rest!r}: positions run from 0 to {len(catalog.entries) - 1}")
                return
            filters = self._filters(query)  # the list it was opened from: previous / next stay in it
            if filters is not None:
                self._html(sample_page(catalog, int(rest), links, filters))

        def _image(self, image_id: str) -> None:
            path = catalog.image_file(image_id)
            if path is None:
                self._not_found(f"no image file for {image_id}")
                return
            try:  # its own bytes when every browser shows them as the boxes were drawn, else upright RGB
                data, mime, _ = payload(path)
            except (ImageFileError, OSError) as exc:
                self._not_found(str(exc))
                return
            self._send(HTTPStatus.OK, data, mime)

        def _masks(self, image_id: str, objects: str) -> None:
            scene = catalog.scene(image_id)
            if scene is None or scene.masks is None:
                self._not_found(f"no masks for {image_id}")
                return
            wanted = [int(o) for o in objects.split(",") if o.isdigit()]
            self._send(HTTPStatus.OK, mask_overlay(scene, wanted, PALETTE), "image/png")

    return Handler


MAX_PORT = 65535  # TCP ports are 16-bit; a larger one makes `socket.bind` raise OverflowError


def check_port(port: int) -> int:
    """`port` when it is a TCP port number (0 to 65535, 0: any free port), else ValueError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise ValueError(f"port must be an integer from 0 (any free port) to {MAX_PORT}, got {port!r}")
    return port


def make_server(catalog: Catalog, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for `catalog`, bound but not started (`serve_forever()` starts it; port 0 picks
    a free port, read back from `server.server_address`). A port outside 0-65535: ValueError."""
    check_port(port)
    server = ThreadingHTTPServer((host, port), _handler(catalog))
    server.daemon_threads = True
    return server


def view(path: str | os.PathLike[str], scenes: str | os.PathLike[str] | None = None, *, host: str = "127.0.0.1",
         port: int = 8000, limit: int = DEFAULT_LIMIT, results: str | os.PathLike[str] | None = None,
         freeform: str | os.PathLike[str] | None = None, on_ready: Callable[[str, Catalog], None] | None = None) -> None:
    """Serve a run (a run folder, or a samples file with its `scenes` file) for browsing until
    interrupted: the sample list with filters, each sample's images, objects and program trace,
    each scene graph; with `results` (a `veriscene eval` output folder), each sample's reply and
    score, and a filter by outcome; free-form replies with their helpfulness, truthfulness and
    claims not in the scene graph (from the eval folder, or the `score-freeform --out` file
    `freeform`), to filter and sort by. Reads the first `limit` samples (0: all). `on_ready(url,
    catalog)` is called once the server listens. A `port` outside 0-65535 raises ValueError."""
    check_port(port)  # before the run is read
    catalog = Catalog.open(path, scenes, limit=limit, results=results, freeform=freeform)
    server = make_server(catalog, host, port)
    try:
        if on_ready is not None:
            bound_host, bound_port = server.server_address[:2]
            assert isinstance(bound_host, str)  # an AF_INET server's address is (host text, port), never bytes
            on_ready(f"http://{bound_host}:{bound_port}/", catalog)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        catalog.close()
