"""Opens the Chroma vector store: embedded (`PersistentClient` under the data dir)
by default, a Chroma server (`HttpClient`) when `CHROMA_HOST` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.errors import StoreError

if TYPE_CHECKING:
    from langchain_chroma import Chroma

COLLECTION_CONFIGURATION = {"hnsw": {"space": "cosine"}}


def open_client(settings: Settings) -> Any:
    """A chromadb client for the configured mode."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:"
                f"{settings.chroma_port} ({type(exc).__name__}). Start it (e.g. "
                "`chroma run --host 127.0.0.1 --port 8000`) or unset CHROMA_HOST to use "
                "the embedded store."
            ) from exc
    path = settings.data_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"Cannot open the embedded Chroma store at {path} ({exc}). Check that "
            "FT_DATA_DIR points at a writable folder."
        ) from exc


def open_vectorstore(settings: Settings, embedder: Any, client: Any | None = None) -> Chroma:
    """The LangChain vector store over the guidance collection."""
    from langchain_chroma import Chroma

    try:
        return Chroma(
            collection_name=settings.collection,
            embedding_function=embedder,
            client=client if client is not None else open_client(settings),
            collection_configuration=COLLECTION_CONFIGURATION,  # type: ignore[arg-type]
        )
    except StoreError:
        raise
    except Exception as exc:
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else f"the embedded store in {settings.data_dir}"
        )
        raise StoreError(
            f"Cannot open collection '{settings.collection}' in {where} "
            f"({type(exc).__name__}: {exc})."
        ) from exc
