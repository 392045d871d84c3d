"""The one place that builds services from `Settings`. Everything is created on
first use, so commands that need no model or store never load one."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.advice.answer import OfflineWriter, Writer
from bot.advice.exemplars import build_index
from bot.advice.framework import Goal
from bot.advice.signals import ExemplarIndex
from bot.advice.verdict_model import VerdictModel
from bot.advisor import Advisor, read_goal
from bot.config import Settings
from bot.errors import ConfigError
from bot.rag.embeddings import MiniLMEmbedder
from bot.rag.ingest import IngestReport, ensure_bundled_knowledge
from bot.rag.retrieve import Retriever
from bot.rag.store import open_client, open_vectorstore
from bot.slack.store import SlackStore

if TYPE_CHECKING:
    from bot.checklist.service import ChecklistService
    from bot.checklist.store import ChecklistStore
    from bot.evaluation.store import BaselineStore
    from bot.jobs.backend import Backend
    from bot.jobs.launch import Launcher
    from bot.jobs.store import JobStore


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bundled_report: IngestReport | None = None
        self._backends: dict[str, Backend] = {}

    @cached_property
    def embedder(self) -> MiniLMEmbedder:
        return MiniLMEmbedder()

    @cached_property
    def chroma(self) -> Any:
        return open_client(self.settings)

    @cached_property
    def vectorstore(self) -> Any:
        return open_vectorstore(self.settings, self.embedder, self.chroma)

    @cached_property
    def exemplar_index(self) -> ExemplarIndex:
        return build_index(self.embedder.encode, self.embedder.model_name,
                           self.settings.data_dir / "cache")

    @cached_property
    def retriever(self) -> Retriever:
        """The retriever over a store that holds the current bundled knowledge."""
        store = self.vectorstore
        collection = self.chroma.get_collection(self.settings.collection)
        self.bundled_report = ensure_bundled_knowledge(store, collection)
        return Retriever(store)

    @cached_property
    def writer(self) -> Writer:
        if self.settings.uses_llm:
            from bot.advice.llm_writer import LLMWriter

            return LLMWriter.from_settings(self.settings)
        return OfflineWriter()

    @cached_property
    def slack_store(self) -> SlackStore:
        return SlackStore(self.settings.data_dir / "slack.sqlite3")

    @cached_property
    def advisor(self) -> Advisor:
        return Advisor(
            encode_units=self.embedder.encode_units,
            index=self.exemplar_index,
            retriever=self.retriever,
            writer=self.writer,
            today=self.settings.current_date,
            top_k=self.settings.top_k,
            estimate=VerdictModel(self.embedder).probabilities,
        )

    @cached_property
    def db(self) -> Any:
        from bot.db import database_url, open_engine

        return open_engine(database_url(self.settings.database_url, self.settings.data_dir))

    @cached_property
    def checklist_store(self) -> ChecklistStore:
        from bot.checklist.store import ChecklistStore

        return ChecklistStore(self.db)

    @cached_property
    def checklist(self) -> ChecklistService:
        from bot.checklist.service import ChecklistService

        return ChecklistService(self.settings, self.goal_of, self.checklist_store,
                                self.baseline_store)

    @cached_property
    def baseline_store(self) -> BaselineStore:
        from bot.evaluation.store import BaselineStore

        return BaselineStore(self.db)

    @cached_property
    def job_store(self) -> JobStore:
        from bot.jobs.store import JobStore

        return JobStore(self.db)

    def backend_for(self, name: str) -> Backend:
        """The backend for "openai" or "lora" (local subprocess or Ray), made once."""
        if name not in self._backends:
            self._backends[name] = _make_backend(name, self.settings)
        return self._backends[name]

    def launcher(self, in_group: Callable[[str, str], bool] | None = None) -> Launcher:
        from bot.jobs.launch import Launcher, parse_launchers

        return Launcher(checklists=self.checklist_store, jobs=self.job_store,
                        pricing=self.checklist.pricing, backend_for=self.backend_for,
                        launchers=parse_launchers(self.settings.launchers),
                        budget=self.settings.budget, in_group=in_group)

    def goal_of(self, text: str) -> Goal | None:
        """The goal a use-case description is about (loads the model, not the store)."""
        return read_goal(text, self.embedder.encode_units, self.exemplar_index,
                         self.settings.current_date())

    def warm_up(self) -> None:
        """Load the model and the exemplars and check the knowledge base now, so the
        first user does not wait for it."""
        self.advisor.answer(["Should we fine-tune?"])


def _make_backend(name: str, settings: Settings) -> Backend:
    if name == "openai":
        from bot.jobs.openai_backend import OpenAIBackend

        return OpenAIBackend.from_settings(settings)
    from bot.finetune.runners import LocalRunner, RayRunner

    jobs_dir = settings.data_dir / "jobs"
    if settings.lora_runner == "ray":
        if not settings.ray_address:
            raise ConfigError("FT_LORA_RUNNER is 'ray' but RAY_ADDRESS is not set.")
        return RayRunner(settings.ray_address, jobs_dir)
    return LocalRunner(jobs_dir)


def build_services(settings: Settings) -> Services:
    return Services(settings)
