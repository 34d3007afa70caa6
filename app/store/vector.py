"""Chunk vectors in Chroma: embedded PersistentClient by default, HttpClient when a server URL is set.

The embedded store belongs to one process per data dir (data_dir_lock.py); a Chroma server is what
several processes share.

Embeddings are always computed by Citewire and passed in, so Chroma never reaches for its own
(downloading) default embedding function.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import numpy as np

from app.config import Settings
from app.dependency_errors import VectorCollectionMissing
from app.store.data_dir_lock import claim_chroma_dir
from app.store.models import Filters

log = logging.getLogger(__name__)


class EmbedderMismatch(RuntimeError):
    """The collection was built with another embedder: its vectors are not comparable."""


class RecordMismatch(EmbedderMismatch):
    """The collection holds the vectors of another record (another deployment on the same Chroma server with the
    same CITEWIRE_COLLECTION): each would read the other's vectors as orphans, and `repair` delete them."""


def make_chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        # no port given: 443 for https (a TLS proxy), else `chroma run`'s 8000
        host, port = url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 8000)
        _answers_in_time(f"{'https' if url.scheme == 'https' else 'http'}://{host}:{port}", settings.chroma_timeout_s)
        client = chromadb.HttpClient(host=host, port=port, ssl=url.scheme == "https", settings=chroma_settings)
        _bound_wait(client, settings.chroma_timeout_s)
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _answers_in_time(base_url: str, seconds: float) -> None:
    """HttpClient's constructor calls the server before _bound_wait can bound it: a hung server held start-up (and
    every CLI command) for good, SIGTERM included. A heartbeat within the same bounds first; its failure is the
    usual "vector store is not reachable" (an httpx error)."""
    import httpx

    httpx.get(f"{base_url}/api/v2/heartbeat", timeout=httpx.Timeout(seconds, connect=min(seconds, 10.0)))


class _ReopeningCollection:
    """The collection, found again by name when the server no longer knows its id: Chroma came back from a new or
    restored volume (500s until a restart before), or `citewire repair` made it anew. Missing for good: a
    VectorCollectionMissing (503, "run citewire repair")."""

    def __init__(self, client, collection) -> None:
        self._client, self._collection = client, collection

    def __getattr__(self, name: str):
        value = getattr(self._collection, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            from chromadb.errors import NotFoundError

            try:
                return getattr(self._collection, name)(*args, **kwargs)
            except NotFoundError:
                try:
                    self._collection = self._client.get_collection(self._collection.name, embedding_function=None)
                except NotFoundError:
                    raise VectorCollectionMissing(self._collection.name) from None
                return getattr(self._collection, name)(*args, **kwargs)

        return call


class _AbsentCollection:
    """What a look-only opener (``repair --dry-run``) sees where the collection does not exist: nothing stored,
    and nothing created by looking. Any write is a VectorCollectionMissing."""

    metadata = configuration_json = None

    def __init__(self, name: str) -> None:
        self.name = name

    def count(self) -> int:
        return 0

    def get(self, **_) -> dict:
        return {"ids": [], "metadatas": [], "embeddings": [], "documents": []}

    def __getattr__(self, name: str):
        if name.startswith("__"):  # hasattr(), copy and pickle ask for these: not a use of the collection
            raise AttributeError(name)
        raise VectorCollectionMissing(self.name)


def _bound_wait(client, seconds: float) -> None:
    """Chroma's HTTP client is made with ``timeout=None`` and has no setting for it: a server that accepts and
    never answers (hung, stopped, a half-open connection) held the calling request, and a writer holding the
    write turn held every writer on every host. Its httpx session is reached through the client's server API
    (private, so checked: a future chromadb without it keeps its own behaviour, with a warning)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 10.0))
    else:
        log.warning("cannot bound the Chroma client's waits (this chromadb has no httpx session where expected): "
                    "a hung Chroma server will hold requests and writers")


def chroma_where(filters: Filters | None) -> dict | None:
    if filters is None:
        return None
    clauses: list[dict] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(filters.article_ids)}})
    dated: list[dict] = []
    if filters.published_from_ts is not None:
        dated.append({"published_ts": {"$gte": filters.published_from_ts}})
    if filters.published_to_ts is not None:
        dated.append({"published_ts": {"$lte": filters.published_to_ts}})
    if not filters.undated_pass:
        clauses.extend([*dated, {"published_ts": {"$ne": 0}}])
    elif dated:  # an undated chunk (stored as 0) passes the bounds, whatever side of 1970 they lie on
        clauses.append({"$or": [{"published_ts": {"$eq": 0}}, dated[0] if len(dated) == 1 else {"$and": dated}]})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorStore:
    def __init__(self, settings: Settings, embedder_name: str, release: Callable[[], None] | None = None,
                 create: bool = True) -> None:
        """``release``: a claim on the data dir already taken (build_services takes it before anything opens);
        the store owns it from here, released on close or when opening fails. ``create=False`` only looks: a
        missing collection reads as empty (``absent``) instead of being made."""
        # the embedded store is one process's alone (data_dir_lock.py); a Chroma server is shared
        if release is None:
            release = (lambda: None) if settings.chroma_url else claim_chroma_dir(settings.chroma_dir)
        self._release = release
        self._client = None
        self.absent = False
        try:
            self._open(settings, embedder_name, create)
        except BaseException:
            self.close()
            raise

    def _open(self, settings: Settings, embedder_name: str, create: bool) -> None:
        from chromadb.errors import NotFoundError

        if not create and not settings.chroma_url and not (settings.chroma_dir / "chroma.sqlite3").exists():
            self._collection, self.absent = _AbsentCollection(settings.collection), True  # looking makes no store
            self._batch = 1
            return
        self._client = make_chroma_client(settings)
        if create:
            self._collection = _ReopeningCollection(self._client, self._client.get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine", "ef_construction": settings.hnsw_ef_construction}},
                metadata={"embedder": embedder_name},
                embedding_function=None,
            ))
        else:
            try:
                self._collection = self._client.get_collection(settings.collection, embedding_function=None)
            except NotFoundError:
                self._collection, self.absent = _AbsentCollection(settings.collection), True
        built_with = (self._collection.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise EmbedderMismatch(
                f"collection '{settings.collection}' was built with embedder '{built_with}', "
                f"not '{embedder_name}': use another CITEWIRE_COLLECTION or re-ingest into a fresh data dir"
            )
        self._batch = max(1, min(self._client.get_max_batch_size(), 4096))

    def claim_for(self, record: str, collection: str, stamp: bool = True) -> None:
        """Ties the collection to the record ``record`` (its ``lexical_identity``): stamped on first use (best
        effort; not when only looking, ``stamp=False``), refused when it already belongs to another record."""
        if self.absent:
            return
        metadata = dict(self._collection.metadata or {})
        owner = metadata.get("record")
        if owner == record:
            return
        if owner is not None:
            raise RecordMismatch(
                f"collection '{collection}' holds the vectors of another record (record {owner}, this one is "
                f"{record}): another deployment shares this Chroma server; use another CITEWIRE_COLLECTION"
            )
        if not stamp:
            return
        metadata["record"] = record
        try:
            self._collection.modify(metadata=metadata)
        except Exception:  # noqa: BLE001 - a read-only store still serves; the next writable open stamps it
            log.warning("could not tie collection '%s' to its record", collection, exc_info=True)

    def ping(self) -> None:
        """The server answers and still holds the collection (a new volume without it answers heartbeats)."""
        self._client.heartbeat()
        self._collection.count()

    def hnsw_configuration(self) -> dict:
        """The HNSW parameters this collection was created with (a collection keeps them for life)."""
        return dict((self._collection.configuration_json or {}).get("hnsw") or {})

    def close(self) -> None:
        """Lets another process open this data dir's embedded store once this one is done with it.

        The client is closed first: Chroma keeps one system per path per process, with its HNSW index
        in memory, until its last client closes. Left open, a later reopen here would get that stale
        index back, miss what another process wrote meanwhile and overwrite it at the next flush."""
        try:
            if self._client is not None:
                self._client.close()
        finally:
            self._release()

    def count(self) -> int:
        return self._collection.count()

    def upsert(self, ids: list[str], embeddings: np.ndarray, metadatas: list[dict]) -> None:
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            self._collection.upsert(ids=ids[start:end], embeddings=embeddings[start:end], metadatas=metadatas[start:end])

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self._batch):
            self._collection.delete(ids=ids[start : start + self._batch])

    def present(self, ids: list[str]) -> set[str]:
        """Those of ``ids`` that have a vector here."""
        found: set[str] = set()
        for start in range(0, len(ids), self._batch):
            found.update(self._collection.get(ids=ids[start : start + self._batch], include=[])["ids"])
        return found

    def article_ids_of(self, ids: list[str]) -> dict[str, str]:
        """The ``article_id`` each of ``ids`` was stored with (those that have a vector)."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), self._batch):
            got = self._collection.get(ids=ids[start : start + self._batch], include=["metadatas"])
            found.update((i, (m or {}).get("article_id", "")) for i, m in zip(got["ids"], got["metadatas"] or []))
        return found

    def id_pages(self, page: int = 5000) -> Iterator[list[str]]:
        """Every id in the collection, ``page`` at a time (ids only: no vectors or metadata are read).
        Deleting ids of a page already seen shifts the offsets of the ones after it, so a caller that
        deletes while it pages would skip some; ``repair`` lists first and deletes after."""
        offset = 0
        while True:
            ids = self._collection.get(include=[], limit=page, offset=offset)["ids"]
            if not ids:
                return
            yield ids
            offset += len(ids)

    def query(self, embedding: np.ndarray, limit: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first.

        Filtered HNSW search is slow in Chroma, so the unfiltered neighbours are fetched first and
        filtered here; only when too few survive does the filtered query run.
        """
        if limit <= 0:
            return []
        where = chroma_where(filters)
        head = limit * 4 if where else limit
        # metadatas only when they filter: reading them from Chroma's SQLite is most of an unfiltered
        # query's time (50 neighbours: 1.1 ms without, 4-5 ms with; docs/performance.md *Cold start*)
        result = self._collection.query(
            query_embeddings=embedding.reshape(1, -1), n_results=head,
            include=["distances", "metadatas"] if where else ["distances"],
        )
        hits = _hits(result)
        if where is None:
            return [(cid, sim) for cid, sim, _ in hits][:limit]
        kept = [(cid, sim) for cid, sim, meta in hits if _matches(meta or {}, filters)]
        if len(kept) >= limit or len(hits) < head:
            return kept[:limit]
        result = self._collection.query(
            query_embeddings=embedding.reshape(1, -1), n_results=limit, where=where, include=["distances"],
        )
        return [(cid, sim) for cid, sim, _ in _hits(result)]


def _hits(result) -> list[tuple[str, float, dict | None]]:
    ids = result["ids"][0] if result["ids"] else []
    distances = result["distances"][0] if result.get("distances") else [1.0] * len(ids)
    metadatas = result["metadatas"][0] if result.get("metadatas") else [None] * len(ids)
    return [(cid, 1.0 - float(d), m) for cid, d, m in zip(ids, distances, metadatas)]


def _matches(meta: dict, filters: Filters) -> bool:
    """The same test as chroma_where, in Python."""
    ts = meta.get("published_ts", 0)
    in_range = ((filters.published_from_ts is None or ts >= filters.published_from_ts)
                and (filters.published_to_ts is None or ts <= filters.published_to_ts))
    return (
        (not filters.sources or meta.get("source") in filters.sources)
        and (not filters.article_ids or meta.get("article_id") in filters.article_ids)
        and ((ts == 0 and filters.undated_pass) or (ts != 0 and in_range))
    )
