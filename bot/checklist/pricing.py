"""The dated prices and throughputs behind the cost comparison: the bundled
`pricing.yaml`, optionally with a user's YAML override merged over it."""

from __future__ import annotations

import datetime as dt
import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigError
from bot.yamlfile import read_yaml

BUNDLED_NAME = "pricing.yaml"
_SIZE_IN_NAME = re.compile(r"(?<![\d.x])(\d+(?:\.\d+)?)-?([bm])(?![a-z0-9])")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenPrice(_Data):
    """USD per 1M tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class OpenAIModel(_Data):
    name: str  # the dated snapshot; filled in from the key
    aliases: tuple[str, ...] = ()
    training_usd_per_1m: float = Field(ge=0)
    fine_tuned_usd_per_1m: TokenPrice
    base_usd_per_1m: TokenPrice
    encoding: str
    max_example_tokens: int = Field(gt=0)
    max_example_tokens_assumed: bool = False
    min_examples: int = Field(10, ge=1)
    retires: dt.date | None = None


class AutoEpochs(_Data):
    target: int = Field(ge=1)
    min_target_examples: int = Field(ge=1)
    max_target_examples: int = Field(ge=1)
    min_epochs: int = Field(ge=1)
    max_epochs: int = Field(ge=1)


class OpenAISection(_Data):
    sources: str
    training_closes: dt.date | None = None
    availability_note: str = ""
    auto_epochs: AutoEpochs
    models: dict[str, OpenAIModel]

    @field_validator("models", mode="before")
    @classmethod
    def _name_from_key(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: {**v, "name": k} if isinstance(v, dict) else v for k, v in value.items()}


class PriceRange(_Data):
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class Gpu(_Data):
    label: str
    memory_gb: int = Field(gt=0)
    eur_per_hour: PriceRange
    assumed: bool


class GpuSection(_Data):
    sources: str
    job_overhead_hours: float = Field(ge=0)
    hours_per_month: float = Field(gt=0)
    types: dict[str, Gpu]


class SizeClass(_Data):
    """Throughput per GPU key; None: does not fit on that GPU in bf16."""

    max_params_b: float = Field(gt=0)
    training_tokens_per_s: dict[str, float | None]
    inference_tokens_per_s: dict[str, float | None]

    @property
    def label(self) -> str:
        return f"≤{self.max_params_b:g}B"


class LoraSection(_Data):
    sources: str
    method: str
    prompt_speedup: float = Field(gt=0)
    size_classes: dict[str, SizeClass]
    open_models: dict[str, float]


class ExchangeRate(_Data):
    usd_to_eur: float = Field(gt=0)
    as_of: dt.date
    sources: str


class Pricing(_Data):
    as_of: dt.date
    currency: Literal["EUR"]  # GPU prices are in euros; USD prices are converted
    exchange_rate: ExchangeRate
    openai: OpenAISection
    gpus: GpuSection
    lora: LoraSection

    @model_validator(mode="after")
    def _known_gpus(self) -> Pricing:
        for key, size in self.lora.size_classes.items():
            for table in ("training_tokens_per_s", "inference_tokens_per_s"):
                unknown = set(getattr(size, table)) - set(self.gpus.types)
                if unknown:
                    raise ValueError(
                        f"lora.size_classes.{key}.{table} names unknown GPUs {sorted(unknown)}"
                    )
        return self

    def openai_model(self, name: str) -> OpenAIModel:
        """The snapshot behind a name: the snapshot itself, an alias ("gpt-4o-mini") or
        a fine-tuned model ("ft:gpt-4o-mini-2024-07-18:org::id")."""
        wanted = name.strip().lower()
        if wanted.startswith("ft:"):
            wanted = wanted[3:].split(":", 1)[0]
        for model in self.openai.models.values():
            if wanted == model.name.lower() or wanted in (a.lower() for a in model.aliases):
                return model
        known = ", ".join(
            f"{m.name} ({', '.join(m.aliases)})" if m.aliases else m.name
            for m in self.openai.models.values()
        )
        raise ConfigError(f"Unknown OpenAI model '{name}'. Known models: {known}.")

    def gpu(self, key: str) -> Gpu:
        try:
            return self.gpus.types[key]
        except KeyError:
            known = ", ".join(sorted(self.gpus.types))
            raise ConfigError(f"Unknown GPU '{key}'. Known GPUs: {known}.") from None

    def parameters_of(self, base_model: str) -> float | None:
        """Billions of parameters: a named open model on file, else the size in the name
        ("Qwen2.5-7B-Instruct" → 7, "SmolLM2-360M" → 0.36); None when neither says."""
        name = re.sub(r"[\s_]+", "-", base_model.strip().lower().rsplit("/", 1)[-1])
        for key in sorted(self.lora.open_models, key=len, reverse=True):
            if re.search(rf"(?:^|-){re.escape(key.lower())}(?:$|-)", name):
                return self.lora.open_models[key]
        match = _SIZE_IN_NAME.search(name)
        if match is None:
            return None
        number = float(match.group(1))
        return number if match.group(2) == "b" else number / 1000

    def size_class(self, params_b: float) -> SizeClass | None:
        """The smallest size class that holds a model this big; None above the largest."""
        fitting = [s for s in self.lora.size_classes.values() if params_b <= s.max_params_b]
        return min(fitting, key=lambda s: s.max_params_b, default=None)

    def auto_epochs(self, n_examples: int) -> int:
        """OpenAI's default epochs for a training set of `n_examples` (Cookbook rule)."""
        if n_examples < 1:
            raise ValueError("auto_epochs needs at least one example")
        rule = self.openai.auto_epochs
        passes = n_examples * rule.target
        if passes < rule.min_target_examples:
            return min(rule.max_epochs, rule.min_target_examples // n_examples)
        if passes > rule.max_target_examples:
            return max(rule.min_epochs, rule.max_target_examples // n_examples)
        return rule.target


def load_pricing(override: Path | None = None) -> Pricing:
    """The bundled prices, with `override` (a partial YAML file) merged over them."""
    data = _bundled()
    source = "the bundled pricing file"
    if override is not None:
        source = f"the pricing override {override}"
        data = _merge(data, _read_override(override))
    try:
        return Pricing.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"In {source}: {where}: {first['msg']}{more}.") from exc


@functools.cache
def _bundled() -> dict[str, Any]:
    text = resources.files("bot.checklist").joinpath(BUNDLED_NAME).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _read_override(path: Path) -> dict[str, Any]:
    raw = read_yaml(path, "the pricing override", ConfigError)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"The pricing override {path} must be a mapping with the same keys as "
            f"{BUNDLED_NAME} (for example `gpus: {{job_overhead_hours: 0.5}}`)."
        )
    return raw


def _merge(base: Any, override: Any) -> Any:
    """`override` over `base`: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in override.items()}}
    return override
