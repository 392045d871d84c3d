"""Settings from the environment (and a `.env` file), validated once."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ft-advisor", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True,
                                      env_ignore_empty=True)

    data_dir: Path = Field(default_factory=_default_data_dir, alias="FT_DATA_DIR")
    collection: str = Field("ft_guidance", alias="FT_COLLECTION", min_length=3, max_length=63)
    chroma_host: str | None = Field(None, alias="CHROMA_HOST")
    chroma_port: int = Field(8000, alias="CHROMA_PORT")
    chroma_ssl: bool = Field(False, alias="CHROMA_SSL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4o-mini", alias="FT_LLM_MODEL")
    llm_timeout_s: float = Field(60.0, alias="FT_LLM_TIMEOUT_S")
    today: dt.date | None = Field(None, alias="FT_TODAY")
    top_k: int = Field(4, alias="FT_TOP_K", ge=1, le=20)
    log_level: str = Field("WARNING", alias="FT_LOG_LEVEL")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(None, alias="SLACK_API_URL")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    budget: float | None = Field(None, alias="FT_BUDGET", gt=0)
    pricing_file: Path | None = Field(None, alias="FT_PRICING")
    lora_runner: Literal["local", "ray"] = Field("local", alias="FT_LORA_RUNNER")
    ray_address: str | None = Field(None, alias="RAY_ADDRESS")
    max_upload_mb: int = Field(500, alias="FT_MAX_UPLOAD_MB", ge=1)
    launchers: str = Field("", alias="FT_LAUNCHERS")  # user/group ids; empty: nobody
    watch_interval_s: float = Field(30.0, alias="FT_WATCH_INTERVAL_S", gt=0)

    @property
    def uses_llm(self) -> bool:
        """The LLM writer is used when a key or an OpenAI-compatible server is set."""
        return bool(self.openai_api_key or self.openai_base_url)

    def current_date(self) -> dt.date:
        return self.today or dt.date.today()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
