"""The launch gate. A job starts only when the user is authorised, the checklist
passed for exactly these files, the cost is within budget and the user confirmed;
every decision is audited, and the launch id is claimed in the store before any
backend call, so double clicks, retried interactions and concurrent replicas make
one job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.checklist.costs import CostTable
from bot.checklist.pricing import Pricing
from bot.checklist.result import ChecklistResult
from bot.checklist.run import file_sha256
from bot.checklist.store import ChecklistStore
from bot.errors import FtAdvisorError
from bot.jobs.backend import Backend, BackendRefused, JobStatus
from bot.jobs.spec import PRESETS, DataFile, JobSpec, LoraHyperparameters, OpenAIHyperparameters
from bot.jobs.store import Job, JobStore


class LaunchRefused(FtAdvisorError):
    """The gate said no; the message says why and what to do."""


@dataclass(frozen=True)
class LaunchRequest:
    checklist_id: str
    user: str  # from the verified Slack payload, or local:USER on the CLI
    confirmed: bool  # the user saw the cost and said yes
    preset: str = "balanced"
    channel: str | None = None  # default: the checklist's thread
    thread_ts: str | None = None


def parse_launchers(value: str | None) -> frozenset[str]:
    """FT_LAUNCHERS: comma- or space-separated Slack user ids (U…/W…), user-group ids
    (S…) and local:USER names. Empty means nobody may launch."""
    return frozenset(part for part in (value or "").replace(",", " ").split() if part)


class Launcher:
    def __init__(self, *, checklists: ChecklistStore, jobs: JobStore, pricing: Pricing,
                 backend_for: Callable[[str], Backend], launchers: frozenset[str],
                 budget: float | None,
                 in_group: Callable[[str, str], bool] | None = None) -> None:
        self._checklists = checklists
        self._jobs = jobs
        self._pricing = pricing
        self._backend_for = backend_for
        self._launchers = launchers
        self._budget = budget
        self._in_group = in_group

    @property
    def jobs(self) -> JobStore:
        return self._jobs

    @property
    def currency(self) -> str:
        """The currency of cost estimates (the pricing's report currency)."""
        return self._pricing.currency

    def authorised(self, user: str) -> bool:
        if user in self._launchers:
            return True
        groups = [g for g in self._launchers if g.startswith("S")]
        return self._in_group is not None and any(self._in_group(g, user) for g in groups)

    def check(self, request: LaunchRequest) -> tuple[ChecklistResult, float]:
        """Everything but the confirmation and the claim; returns the checklist and the
        estimated cost. Raises LaunchRefused (audited)."""
        target = request.checklist_id
        if not self.authorised(request.user):
            self._refuse(request.user, target, "not authorised to launch fine-tuning jobs "
                         "(FT_LAUNCHERS); ask an admin to add you")
        result = self._checklists.get(target)
        if result is None:
            self._refuse(request.user, target, f"no checklist {target} exists")
        assert result is not None
        if not result.passed:
            self._refuse(request.user, target, f"checklist {target} did not pass; fix the "
                         "failing items and run it again")
        self._check_files(request.user, result)
        cost = self._check_cost(request.user, result)
        if request.preset not in PRESETS:
            self._refuse(request.user, target, f"unknown preset {request.preset!r} (choose "
                         f"{', '.join(PRESETS)})")
        return result, cost

    def launch(self, request: LaunchRequest, spec: JobSpec | None = None
               ) -> tuple[Job, bool]:
        """(the job, True) when this call created it; (the existing job, False) for a
        repeated or concurrent launch of the same checklist. A given `spec` must train
        what the checklist checked; by default the spec is built from the checklist."""
        result, cost = self.check(request)
        if not request.confirmed:
            self._refuse(request.user, request.checklist_id,
                         f"the launch was not confirmed (estimated cost {cost:,.2f} "
                         f"{self._pricing.currency})")
        built = self._spec(result, request)
        if spec is not None:
            self._check_spec(request.user, spec, built)
            spec = spec.model_copy(update={"requested_by": request.user,
                                           "checklist_id": result.id})
        spec = spec or built
        job, created = self._jobs.claim(spec)
        self._jobs.audit(request.user, "launch", job.id, True,
                         f"checklist {result.id}, {spec.backend} {spec.base_model}, "
                         f"estimated {cost:,.2f} {self._pricing.currency}"
                         + ("" if created else "; an existing job was returned"))
        if created:
            self.submit(job)
        return self._jobs.get(job.id) or job, created

    def submit(self, job: Job) -> None:
        """Hand a claimed job to its backend. A refusal fails the job with the reason;
        any other failure leaves it PENDING for the watcher to reconcile."""
        backend = self._backend_for(job.backend)
        try:
            external_id = backend.find(job.launch_id) or backend.submit(job.spec)
        except BackendRefused as exc:
            self._jobs.transition(job.id, JobStatus.FAILED, message=f"refused: {exc}",
                                  error=str(exc))
            return
        self._jobs.set_external_id(job.id, external_id)

    def cancel(self, job_id: str, user: str) -> Job:
        """Stop a job for an authorised user; the watcher posts the cancellation."""
        job = self._jobs.get(job_id)
        if not self.authorised(user):
            self._jobs.audit(user, "cancel", job_id, False, "not authorised")
            raise LaunchRefused("Cancel refused: you are not authorised to cancel "
                                "fine-tuning jobs (FT_LAUNCHERS).")
        if job is None:
            raise LaunchRefused(f"There is no job {job_id}.")
        if job.terminal:
            raise LaunchRefused(f"Job {job.id} already {job.status.value}.")
        self._jobs.mark_cancel(job.id, user)
        if job.external_id is not None:
            self._backend_for(job.backend).cancel(job.external_id)
        else:
            self._jobs.transition(job.id, JobStatus.CANCELLED,
                                  message=f"cancelled by {user} before submission")
        self._jobs.audit(user, "cancel", job.id, True, "cancel requested")
        return self._jobs.get(job.id) or job

    def _launch_id(self, result: ChecklistResult) -> str:
        """One launch per checklist at a time: a new attempt only after the previous
        one failed or was cancelled."""
        earlier = self._jobs.recent(limit=100, checklist_id=result.id)
        retried = sum(job.status in {JobStatus.FAILED, JobStatus.CANCELLED} for job in earlier)
        return f"{result.id}-{retried + 1}"

    def _spec(self, result: ChecklistResult, request: LaunchRequest) -> JobSpec:
        answers, ref = result.answers, result.dataset
        assert ref is not None  # a passed checklist has a dataset
        validation = DataFile(path=Path(ref.validation_file), sha256=ref.validation_sha256) \
            if ref.validation_file and ref.validation_sha256 else None
        costs = CostTable.model_validate(result.costs) if result.costs else None
        epochs = next((r.epochs for r in costs.rows if r.kind == answers.backend and r.epochs),
                      None) if costs else None
        lora = LoraHyperparameters.model_validate({
            **PRESETS[request.preset], "max_seq_length": answers.max_seq_length,
            **({"epochs": epochs} if epochs else {})})
        openai_params = OpenAIHyperparameters(
            method="dpo" if (result.validation or {}).get("format") == "preference"
            else "supervised",
            n_epochs=answers.epochs or "auto", suffix=f"ft-advisor-{result.id[:8]}")
        base = (self._pricing.openai_model(answers.openai_model).name
                if answers.backend == "openai" else answers.base_model)
        assert base is not None  # item 7 passed: a base model is named
        return JobSpec(
            launch_id=self._launch_id(result), backend=answers.backend, base_model=base,
            training_file=DataFile(path=Path(ref.train_file), sha256=ref.train_sha256),
            validation_file=validation, lora=lora, openai=openai_params,
            checklist_id=result.id, requested_by=request.user,
            channel=request.channel or result.channel,
            thread_ts=request.thread_ts or result.thread_ts)

    def _check_spec(self, user: str, spec: JobSpec, checked: JobSpec) -> None:
        same = (spec.backend, spec.base_model, spec.training_file.sha256,
                spec.validation_file.sha256 if spec.validation_file else None)
        want = (checked.backend, checked.base_model, checked.training_file.sha256,
                checked.validation_file.sha256 if checked.validation_file else None)
        if same != want:
            self._refuse(user, checked.checklist_id or "", "the spec's backend, base model "
                         "or data differ from what the checklist checked")

    def _check_files(self, user: str, result: ChecklistResult) -> None:
        ref = result.dataset
        if ref is None:
            self._refuse(user, result.id, "the checklist has no dataset")
        assert ref is not None
        pairs = [(ref.train_file, ref.train_sha256)]
        if ref.validation_file and ref.validation_sha256:
            pairs.append((ref.validation_file, ref.validation_sha256))
        for path, sha in pairs:
            file = Path(path)
            if not file.is_file() or file_sha256(file) != sha:
                self._refuse(user, result.id, f"{file.name} changed or disappeared since the "
                             "checklist passed; run the checklist again on the current data")

    def _check_cost(self, user: str, result: ChecklistResult) -> float:
        table = CostTable.model_validate(result.costs) if result.costs else None
        estimate = table.route_estimate(result.answers.backend)[0] if table else None
        if estimate is None:
            self._refuse(user, result.id, "the checklist has no cost estimate")
        assert estimate is not None
        if self._budget is None or estimate > self._budget:
            budget = "no budget is set (FT_BUDGET)" if self._budget is None else \
                f"the budget is {self._budget:,.2f} {self._pricing.currency}"
            self._refuse(user, result.id, f"estimated {estimate:,.2f} "
                         f"{self._pricing.currency} but {budget}")
        return estimate

    def _refuse(self, user: str, target: str, reason: str) -> None:
        self._jobs.audit(user, "launch", target, False, reason)
        raise LaunchRefused(f"Launch refused: {reason}.")
