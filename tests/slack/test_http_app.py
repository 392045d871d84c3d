"""The Slack bot end to end over HTTP: signed requests in, Web API calls out."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request

import pytest

from tests.slack.conftest import (
    TOKEN,
    SlackRig,
    blocks_text,
    eventually,
    mention,
    message,
    verdict_of,
)

pytestmark = pytest.mark.slow


def test_health(rig: SlackRig) -> None:
    with urllib.request.urlopen(rig.url.replace("/slack/events", "/healthz")) as response:
        assert json.loads(response.read()) == {"ok": True}


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_timestamp_is_rejected(rig: SlackRig, skew: int) -> None:
    status, _ = rig.command("should we fine-tune?", timestamp=int(time.time()) + skew)
    assert status == 401
    time.sleep(0.3)
    assert rig.stub.calls("chat.postMessage") == []


def test_forged_signature_is_rejected(rig: SlackRig) -> None:
    status, _ = rig.event(mention("answer me"), secret="not-the-secret")
    assert status == 401
    time.sleep(0.3)
    assert rig.stub.calls("chat.postMessage") == [] and rig.stub.calls("reactions.add") == []


def test_slash_command_answers_in_the_channel(rig: SlackRig) -> None:
    started = time.perf_counter()
    status, body = rig.command("ask We want the bot to answer from our wiki. Fine-tune?")
    assert status == 200 and time.perf_counter() - started < 3
    assert "Thinking" in json.loads(body)["text"]
    post = rig.posts()[0]
    assert post.params["channel"] == "C1" and "thread_ts" not in post.params
    assert verdict_of(post) == "rag"
    assert "&lt;@U1&gt;" not in blocks_text(post) and "<@U1> asked" in blocks_text(post)
    assert eventually(lambda: rig.store.in_thread("C1", "1700000000.000100"))


def test_slash_command_falls_back_to_response_url(rig: SlackRig) -> None:
    rig.stub.fail("chat.postMessage", error="not_in_channel")
    status, _ = rig.command("Should we fine-tune so it follows our 20-step checklist?",
                            channel="G9", response="private")
    assert status == 200
    posted = rig.stub.wait_for("response/private")[0].params
    assert posted["response_type"] == "in_channel"
    assert any(b["type"] == "header" for b in posted["blocks"])


def test_help_and_unconfigured_job_subcommands(rig: SlackRig) -> None:
    _, help_body = rig.command("help")
    assert "/finetune ask" in help_body and "/finetune launch CHECKLIST_ID" in help_body
    for sub in ("launch abc123", "status", "jobs", "cancel j1"):
        _, body = rig.command(sub)
        assert "Fine-tuning jobs are not set up" in json.loads(body)["text"]
    time.sleep(0.3)
    assert rig.stub.calls("chat.postMessage") == []


def test_mention_is_answered_in_its_thread(rig: SlackRig) -> None:
    rig.event(mention("Should we fine-tune so the model knows our product docs?"))
    post = rig.posts()[0]
    assert post.params["thread_ts"] == "1700000001.000100"
    assert verdict_of(post) == "rag"
    rig.stub.wait_for("reactions.remove")
    assert rig.stub.calls("reactions.add")[0].params["timestamp"] == "1700000001.000100"


def test_thread_follow_up_without_mention_uses_the_whole_thread(rig: SlackRig) -> None:
    root = "1700000001.000100"
    first = "We need consistent JSON output and prompting has hit its limit."
    rig.event(mention(first, ts=root))
    assert verdict_of(rig.posts()[0]) == "unclear"
    assert eventually(lambda: rig.store.in_thread("C1", root))
    follow = "we have 2,000 checked examples"
    rig.stub.set_replies("C1", root, [
        {"user": "U1", "text": f"<@UBOT> {first}", "ts": root},
        {"bot_id": "BBOT", "user": "UBOT", "text": "Not enough to decide", "ts": "1700000001.5"},
        {"user": "U1", "text": follow, "ts": "1700000002.000100", "thread_ts": root},
    ])
    rig.event(message(follow, "1700000002.000100", thread_ts=root), event_id="Ev2")
    answer = rig.posts(2)[1]
    assert answer.params["thread_ts"] == root
    assert verdict_of(answer) == "fine_tune"


def test_unrelated_channel_chatter_bots_and_itself_are_ignored(rig: SlackRig) -> None:
    rig.event(message("just chatting", "1700000003.1"), event_id="Ev3")
    rig.event(message("a bot", "1700000003.2", bot_id="B2", subtype="bot_message"),
              event_id="Ev4")
    rig.event({**message("me", "1700000003.3"), "user": "UBOT"}, event_id="Ev5")
    time.sleep(0.5)
    assert rig.stub.calls("chat.postMessage") == []


def test_direct_messages_are_answered(rig: SlackRig) -> None:
    dm = {**message("Would fine-tuning help with our brand voice?", "1700000004.1"),
          "channel": "D1", "channel_type": "im"}
    rig.event(dm, event_id="Ev6")
    post = rig.posts()[0]
    assert post.params["channel"] == "D1" and post.params["thread_ts"] == "1700000004.1"


def test_one_answer_for_retries_and_the_mention_message_pair(rig: SlackRig) -> None:
    event = mention("Should we fine-tune on our support tickets to answer questions?")
    threads = [threading.Thread(target=rig.event, args=(event,),
                                kwargs={"headers": {"X-Slack-Retry-Num": str(n),
                                                    "X-Slack-Retry-Reason": "http_timeout"}})
               for n in (1, 2, 3)]
    rig.event(event)
    for thread in threads:
        thread.start()
    rig.event(message(event["text"], event["ts"]), event_id="EvOther")  # the message twin
    for thread in threads:
        thread.join()
    rig.posts()
    time.sleep(1.0)
    assert len(rig.stub.calls("chat.postMessage")) == 1


def test_a_retry_that_is_the_only_copy_is_answered(rig: SlackRig) -> None:
    rig.event(mention("fine-tune for our house style?", ts="1700000005.1"),
              headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    rig.posts()
    time.sleep(0.5)
    assert len(rig.stub.calls("chat.postMessage")) == 1


def test_rate_limit_is_waited_out(rig: SlackRig) -> None:
    rig.stub.fail("chat.postMessage", status=429, retry_after=1)
    started = time.perf_counter()
    rig.event(mention("Should we fine-tune to get JSON out every time?"))
    rig.stub.wait_for("chat.postMessage", 2, timeout=20)
    attempts = rig.stub.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert time.perf_counter() - started >= 1.0


def test_user_text_never_pings(rig: SlackRig) -> None:
    rig.command("<!channel> <!here> <@U999> should we fine-tune on our wiki? & more")
    post = rig.posts()[0]
    text = blocks_text(post)
    assert "&lt;!channel&gt;" in text and "&lt;@U999&gt;" in text
    assert "<!channel>" not in text and "<!here>" not in text and "<@U999>" not in text
    assert "link_names" not in post.params


def test_failure_posts_an_apology_and_logs(rig: SlackRig, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    from bot.advisor import Advisor

    def broken(self: Advisor, turns: list[str]) -> None:
        raise RuntimeError("vector store exploded")

    monkeypatch.setattr(Advisor, "answer", broken)
    caplog.set_level(logging.INFO)
    rig.event(mention("secret project phoenix: should we fine-tune?"))
    post = rig.posts()[0]
    assert "Sorry" in post.params["text"]
    assert "vector store exploded" in caplog.text  # the traceback is logged
    assert "phoenix" not in caplog.text  # message text is not
    assert TOKEN not in caplog.text


def test_feedback_click_is_stored(rig: SlackRig) -> None:
    rig.event(mention("Would fine-tuning help us?"))
    buttons = rig.posts()[0].json_field("blocks")[-1]
    value = buttons["elements"][0]["value"]
    answer_id = json.loads(value)["answer"]
    payload = {"type": "block_actions", "user": {"id": "U7"}, "team": {"id": "T1"},
               "channel": {"id": "C1"}, "trigger_id": "t", "api_app_id": "A1",
               "container": {"type": "message"}, "response_url": rig.stub.response_url("fb"),
               "actions": [{"type": "button", "action_id": "answer_feedback_up",
                            "block_id": buttons["block_id"], "value": value,
                            "action_ts": "1"}]}
    status, _ = rig.action(payload)
    assert status == 200
    assert eventually(lambda: rig.store.feedback(answer_id) == [("U7", "up", "unclear")])


def test_app_home(rig: SlackRig) -> None:
    rig.event(mention("Would fine-tuning help us?"))
    rig.posts()
    assert eventually(lambda: bool(rig.store.recent_answers("U1")))
    rig.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home",
               "event_ts": "1"}, event_id="EvHome")
    view = rig.stub.wait_for("views.publish")[0].json_field("view")
    assert view["type"] == "home" and "Not enough to decide yet" in json.dumps(view)
