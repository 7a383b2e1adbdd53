"""Text input for the readers: encoding detection, line-aligned byte blocks, lines as a Series.

Auto-detection: a BOM decides (UTF-8, UTF-16, UTF-32); else UTF-8 when the first block decodes,
else Windows-1252. In an auto-detected UTF-8 file a line that is not UTF-8 is read as
Windows-1252 (a Latin-1 file whose first block happened to be ASCII). A named encoding is
strict: a line it cannot decode is flagged, and the reader reports it as malformed.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl

from ingest.errors import InputError

BLOCK_BYTES = 4 << 20
"""Bytes read per block; memory stays a small multiple of this and of one batch."""


def _cp1252_undefined(err: UnicodeError) -> tuple[str, int]:
    # NOTE: Windows maps the five bytes cp1252 leaves undefined to the C1 controls, like Latin-1.
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "".join(chr(b) for b in err.object[err.start : err.end]), err.end


codecs.register_error("leadpipe-cp1252", _cp1252_undefined)


@dataclass(frozen=True)
class Codec:
    """How to turn a file's bytes into lines."""

    name: str
    """Python codec of the file."""
    strict: bool
    """A line that does not decode is flagged (else it is read as Windows-1252)."""
    label: str
    """Reported in `Batch.encoding`."""

    @property
    def wide(self) -> bool:
        """UTF-16/32: transcoded to UTF-8 before lines are split."""
        return self.name.startswith(("utf-16", "utf-32"))


def choose_codec(first: bytes, encoding: str | None, path: Path) -> tuple[Codec, int]:
    """The codec for a file and how many BOM bytes to skip.

    >>> choose_codec(b"a,b\\n\\xe9\\n", None, Path("x"))[0].label
    'cp1252'
    >>> choose_codec(b"\\xef\\xbb\\xbfa", None, Path("x"))
    (Codec(name='utf-8', strict=False, label='utf-8-sig'), 3)

    Raises:
        InputError: `encoding` is no codec Python knows.
    """
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            msg = f"cannot read `{path}`: unknown encoding `{encoding}`"
            raise InputError(msg) from exc
        if name in ("utf-8", "utf-8-sig"):
            return Codec("utf-8", True, "utf-8"), 3 if first.startswith(codecs.BOM_UTF8) else 0
        return Codec(name, True, name), 0
    if first.startswith(codecs.BOM_UTF8):
        return Codec("utf-8", False, "utf-8-sig"), 3
    if first.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Codec("utf-32", True, "utf-32"), 0
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Codec("utf-16", True, "utf-16"), 0
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as exc:
        whole = len(first) < BLOCK_BYTES  # else the block may end inside a character
        if whole or exc.start < len(first) - 3 or exc.reason != "unexpected end of data":
            return Codec("cp1252", False, "cp1252"), 0
    return Codec("utf-8", False, "utf-8"), 0


def blocks(stream: IO[bytes], first: bytes, codec: Codec) -> Iterator[tuple[bytes, bool]]:
    """Blocks ending at a line end (the last may not), `True` on the last; wide text as UTF-8."""
    if codec.wide:
        yield from _wide_blocks(stream, first, codec)
        return
    rest, want = first, BLOCK_BYTES // 16
    while True:
        chunk = stream.read(BLOCK_BYTES)
        if not chunk:
            if rest:
                yield rest, True
            return
        data = rest + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        body = data[: cut + 1]
        # NOTE: the first blocks go out in small pieces (1/16 of a block, doubling): the first
        # batch is then parsed from a fraction of the file, and a pipeline starts writing sooner
        while want < BLOCK_BYTES and len(body) > want:
            piece = body.rfind(b"\n", 0, want)
            if piece < 0:
                break
            yield body[: piece + 1], False
            body = body[piece + 1 :]
            want *= 2
        yield body, False


def _wide_blocks(stream: IO[bytes], first: bytes, codec: Codec) -> Iterator[tuple[bytes, bool]]:
    # Undecodable code units become U+FFFD: UTF-16 cannot be split into lines byte-wise.
    text = io.TextIOWrapper(
        io.BufferedReader(_Prefixed(first, stream)),
        encoding=codec.name,
        errors="replace",
        newline="",
    )
    rest = ""
    while True:
        chunk = text.read(BLOCK_BYTES // 2)
        if not chunk:
            if rest:
                yield rest.encode("utf-8"), True
            return
        data = rest + chunk
        cut = data.rfind("\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield data[: cut + 1].encode("utf-8"), False


class _Prefixed(io.RawIOBase):
    """A raw stream that replays bytes already read before the rest of `stream`."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)


def decode_block(block: bytes, codec: Codec) -> tuple[pl.Series, pl.Series | None]:
    """Split a block into lines (no `\\n`, no trailing `\\r`) and flag the undecodable ones.

    >>> lines, bad = decode_block(b"a\\r\\nb\\xff\\n", Codec("utf-8", True, "utf-8"))
    >>> lines.to_list(), bad.to_list()
    (['a', 'b\\\\xff'], [False, True])
    """
    if block.endswith(b"\n"):
        block = block[:-1]
    name = "utf-8" if codec.wide else codec.name
    errors = "leadpipe-cp1252" if name == "cp1252" else "strict"
    try:
        text = block.decode(name, errors)
    except UnicodeDecodeError:
        texts: list[str] = []
        bad: list[bool] = []
        for part in block.split(b"\n"):
            try:
                texts.append(part.decode(name, errors))
                bad.append(False)
            except UnicodeDecodeError:
                if codec.strict:
                    texts.append(part.decode(name, "backslashreplace"))
                    bad.append(True)
                else:
                    texts.append(part.decode("cp1252", "leadpipe-cp1252"))
                    bad.append(False)
        lines = pl.Series("line", texts, dtype=pl.String).str.strip_suffix("\r")
        return lines, (pl.Series("bad", bad, dtype=pl.Boolean) if any(bad) else None)
    # NOTE: Python's split is ~3x faster here than polars' split + explode of one big string.
    lines = pl.Series("line", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    return lines, None
