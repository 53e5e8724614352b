"""The on-disk compile cache.

Key: a hash of the optimized IR, the resolved target, the options that change code, the host
and a hash of ircc's own source (so a change to code generation never reloads a stale kernel).
An entry is one file, ``<key>.ircc``: a header line (format, key, body length, body sha256) and
the pickled backend payload. Writes go to a temporary file that is renamed into place, so a
reader never sees half an entry; an entry whose header, length or checksum does not match is
deleted and rebuilt, never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from ircc import env

FORMAT = "ircc-cache-1"


@lru_cache(maxsize=1)
def ircc_source_hash() -> str:
    """sha256 over every .py file of the installed ircc package."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(ir_text: str, target: str, options: dict[str, Any], host: str) -> str:
    h = hashlib.sha256()
    for part in (FORMAT, ir_text, target, json.dumps(options, sort_keys=True), host, ircc_source_hash()):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:40]


class CompileCache:
    def __init__(self, directory: Path | None = None):
        self.directory = directory or env.cache_dir()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.ircc"

    def load(self, key: str) -> dict[str, Any] | None:
        """The payload stored under ``key``, or None (missing, corrupt or unreadable: then deleted)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            header, _, body = data.partition(b"\n")
            meta = json.loads(header)
            if meta.get("format") != FORMAT or meta.get("key") != key or meta.get("length") != len(body) \
                    or meta.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("header does not match the body")
            payload = pickle.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("payload is not a dict")
            return payload
        except Exception:
            self.discard(key)
            return None

    def store(self, key: str, payload: dict[str, Any]) -> None:
        body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        header = json.dumps({"format": FORMAT, "key": key, "length": len(body),
                             "sha256": hashlib.sha256(body).hexdigest()}).encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(header + b"\n" + body)
            os.replace(tmp, self.path(key))
        except OSError:
            pass  # a read-only or full disk costs a recompile next time, nothing more

    def discard(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except OSError:
            pass
