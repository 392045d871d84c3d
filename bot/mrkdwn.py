"""Slack mrkdwn escaping, shared by every module that writes text for Slack (and
importable without loading the Slack layer)."""


def escape(text: str) -> str:
    """Escape the only three characters with control meaning in Slack mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
