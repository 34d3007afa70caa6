"""Token-aware chunking (LangChain's recursive splitter on tiktoken) that keeps exact offsets."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import tiktoken
from langchain_text_splitters import RecursiveCharacterTextSplitter

from app.offline import install_tiktoken_files

# Paragraphs, then lines, then sentence ends (with or without a closing quote), then words.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?][\"”’)])\s+", r"(?<=[.!?])\s+", r"(?<=[;:])\s+", r"\s+", ""]


@dataclass(slots=True)
class ChunkSpan:
    index: int
    char_start: int
    char_end: int
    text: str

    def chunk_id(self, article_id: str, article_hash: str) -> str:
        """article id + index + a hash of the chunk's text and of the whole article's content hash: the same
        article, the same ids; any edit (of the text, or only of its title, source or date, which the vectors'
        metadata and embedded text carry) new ids. An update that fails before its commit then never overwrites
        the vectors the record still points at: it only adds orphans, which the failed write removes."""
        digest = hashlib.sha256(f"{article_hash}\n{self.text}".encode()).hexdigest()[:12]
        return f"{article_id}:{self.index}:{digest}"


class Chunker:
    def __init__(self, chunk_tokens: int = 200, overlap: int = 30, encoding_name: str = "cl100k_base") -> None:
        if overlap >= chunk_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        install_tiktoken_files()
        self.config = (chunk_tokens, overlap, encoding_name)
        # Stamped in the record with the first articles written (IngestService): another chunking's articles are
        # refused, so an index never mixes chunk sizes (two replicas, or a changed CITEWIRE_CHUNK_TOKENS).
        self.stamp = f"chunk_tokens={chunk_tokens} chunk_overlap={overlap} encoding={encoding_name}"
        self._encoding = tiktoken.get_encoding(encoding_name)
        self._lengths = threading.local()
        self._splitter = RecursiveCharacterTextSplitter(
            length_function=self._token_length,
            chunk_size=chunk_tokens,
            chunk_overlap=overlap,
            separators=_SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
        )

    def _token_length(self, text: str) -> int:
        """Token count, remembered for the article being split: the splitter asks up to three
        times per piece, and counting was a quarter of ingest time (docs/performance.md)."""
        memo = getattr(self._lengths, "memo", None)
        n = memo.get(text) if memo is not None else None
        if n is None:
            n = len(self._encoding.encode_ordinary(text))
            if memo is not None:
                memo[text] = n
        return n

    def split(self, text: str) -> list[ChunkSpan]:
        spans: list[ChunkSpan] = []
        cursor = 0
        self._lengths.memo = {}
        try:
            pieces = self._splitter.split_text(text)
        finally:
            self._lengths.memo = {}
        for piece in pieces:
            start = text.find(piece, cursor)
            if start < 0:  # the splitter only cuts, never rewrites; this would be a bug
                raise RuntimeError("chunk text is not a substring of the article")
            spans.append(ChunkSpan(len(spans), start, start + len(piece), piece))
            cursor = start + 1
        return spans
