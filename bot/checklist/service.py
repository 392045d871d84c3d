"""The checklist as one object the CLI and the Slack bot share: run, store, look up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.advice.framework import Goal
from bot.checklist.answers import ChecklistAnswers
from bot.checklist.pricing import Pricing, load_pricing
from bot.checklist.result import ChecklistResult
from bot.checklist.run import (
    BaselineLookup,
    CheckContext,
    Requester,
    backend_limits,
    run_checklist,
)
from bot.checklist.store import ChecklistStore
from bot.config import Settings
from bot.datasets.report import ValidationReport
from bot.datasets.validate import validate_dataset


class ChecklistService:
    def __init__(self, settings: Settings, goal_of: Callable[[str], Goal | None],
                 store: ChecklistStore, baselines: BaselineLookup | None = None) -> None:
        self.settings = settings
        self.store = store
        self._baselines = baselines
        self._goal_of = goal_of
        self._pricing: Pricing | None = None

    @property
    def pricing(self) -> Pricing:
        if self._pricing is None:
            self._pricing = load_pricing(self.settings.pricing_file)
        return self._pricing

    def check(self, answers: ChecklistAnswers, dataset: Path | None,
              requester: Requester | None = None) -> ChecklistResult:
        """Run the checklist and store its result."""
        context = CheckContext(self.settings, self.pricing, self._goal_of,
                               self.settings.current_date(), self._baselines)
        result = run_checklist(answers, dataset, context, requester)
        self.store.save(result)
        return result

    def validate(self, path: Path, answers: ChecklistAnswers | None = None) -> ValidationReport:
        """Validate a dataset against the limits of the (default) backend."""
        answers = answers or ChecklistAnswers()
        min_examples, max_tokens, model = backend_limits(answers, self.pricing)
        return validate_dataset(path, model=model, max_example_tokens=max_tokens,
                                min_examples=min_examples)
