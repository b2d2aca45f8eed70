"""The live page's HTTP server: stdlib :mod:`http.server` on 127.0.0.1, the simulation in this process.

``GET /`` is the page (plotly.js, ``live.js`` and the styles inline, as the offline explorer's); ``GET
/api/controls?preset=NAME`` and ``POST /api/point`` and ``POST /api/tornado`` (a JSON request, see
:mod:`accelsim.present.live`) answer JSON. Bad input answers ``{"error": one line}`` with status 400: the
line the command line prints for the same value. Requests are served one at a time, in one thread (a point
takes milliseconds; a tornado, seconds, and the points asked for meanwhile wait for it).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from accelsim.base.errors import InputError
from accelsim.present import live
from accelsim.present.explorer import asset, inline_script, plotly_js

#: Request bodies above this size are refused (a request is a few hundred bytes of JSON).
MAX_BODY_BYTES = 1 << 20


def render_live_page(library_js: str) -> str:
    """The live page: styles, the plotting library and ``live.js``, all inline."""
    return "\n".join([
        "<!doctype html>", "<html lang='en'><head><meta charset='utf-8'>", "<title>accelsim explore --live</title>",
        "<link rel='icon' href='data:,'>",  # no icon: the browser asks for none
        f"<style>{asset('explorer.css')}{asset('live.css')}</style>", f"<script>{inline_script(library_js)}</script>",
        "</head><body>",
        f"<header><h1>{html.escape('accelsim explore --live')}</h1><p id='status' role='status'></p></header>",
        "<main><aside id='controls-box' aria-label='the point'></aside>",
        "<section id='result'><p id='error' role='alert'></p><div id='headline'></div>"
        "<div id='plot-tornado' class='plot'></div></section>",
        "<aside id='detail' aria-label='figures and breakdowns'></aside></main>",
        f"<script>{inline_script(asset('common.js') + asset('live.js'))}</script>", "</body></html>"])


def _handler(traces: Sequence[str], page: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # no line per request on the terminal

        def _send(self, status: int, body: str, ctype: str = "application/json") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{ctype}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, fn, *args: Any) -> None:
            try:
                out = fn(*args)
            except InputError as exc:
                self._send(400, json.dumps({"error": exc.one_line()}))
                return
            self._send(200, json.dumps(out, default=float))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/":
                self._send(200, page, "text/html")
            elif url.path == "/api/controls":
                preset = parse_qs(url.query).get("preset", [None])[0] or None
                self._answer(live.controls, preset, traces)
            else:
                self._send(404, json.dumps({"error": f"{url.path}: no such page"}))

        def do_POST(self) -> None:
            fn = {"/api/point": live.evaluate, "/api/tornado": live.tornado}.get(urlsplit(self.path).path)
            if fn is None:
                self._send(404, json.dumps({"error": f"{self.path}: no such page"}))
                return
            n = int(self.headers.get("Content-Length") or 0)
            if not 0 <= n <= MAX_BODY_BYTES:
                self._send(413, json.dumps({"error": f"request body: expected at most {MAX_BODY_BYTES} bytes"}))
                return
            try:
                req = json.loads(self.rfile.read(n) or b"{}")
            except ValueError:
                self._send(400, json.dumps({"error": "request body: expected a JSON object"}))
                return
            if not isinstance(req, dict):
                self._send(400, json.dumps({"error": "request body: expected a JSON object"}))
                return
            self._answer(fn, req, traces)

    return Handler


def make_server(traces: Sequence[str], port: int = 0) -> HTTPServer:
    """A server for ``traces`` (paths) on 127.0.0.1:``port`` (0: a free port; ``server.server_address[1]`` says
    which), not yet serving: call ``serve_forever()`` (and ``shutdown()`` from another thread)."""
    try:
        return HTTPServer(("127.0.0.1", port), _handler(list(traces), render_live_page(plotly_js())))
    except OSError as exc:
        raise InputError("--port", str(port), f"cannot listen on 127.0.0.1 ({exc.strerror or exc})") from None
