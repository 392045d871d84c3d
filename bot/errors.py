"""Domain errors. Their messages say what went wrong and how to fix it; the CLI and
the Slack handlers translate them into one-line replies at the edge."""


class FtAdvisorError(Exception):
    """Base class: `str(error)` is safe to show to a user."""

    exit_code = 1


class InputError(FtAdvisorError):
    """The user's input cannot be used (empty, too long, undecodable, missing file)."""

    exit_code = 2


class ConfigError(FtAdvisorError):
    """The installation or settings are incomplete."""

    exit_code = 2


class StoreError(FtAdvisorError):
    """The vector store cannot be reached or used."""

    exit_code = 1
