"""HTTP mode through the real HttpServer and Bolt: signatures, the ack, and retried events."""

from __future__ import annotations

import asyncio

from bot.messages import ButtonPress, Command, FreeText
from tests.slack.conftest import Harness, RecordingCore
from tests.slack.signed import signature


async def test_signed_slash_command_reaches_the_core(recorded: Harness, recording_core: RecordingCore) -> None:
    api = recorded.api
    api.add_user("U1", "Ada")
    response = await recorded.slack.command("U1", "join  hr7k2q")
    assert response.status_code == 200
    await recorded.settle()
    [command] = recording_core.seen
    assert isinstance(command, Command)
    assert (command.name, command.args) == ("join", "hr7k2q")
    assert command.sender.display_name == "Ada"
    assert command.sender.platform == "slack"
    assert command.chat is not None and command.chat.kind == "private"


async def test_unsigned_tampered_stale_and_forged_requests_get_401(
    recorded: Harness, recording_core: RecordingCore
) -> None:
    slack = recorded.slack
    assert (await slack.command("U1", "help", sign=False)).status_code == 401
    assert (await slack.command("U1", "help", tamper=True)).status_code == 401
    assert (await slack.command("U1", "help", age=6 * 60)).status_code == 401
    stale_event = await slack.event({"type": "message", "channel_type": "im", "user": "U1", "text": "hi"}, age=301)
    assert stale_event.status_code == 401
    forged = type(slack)(slack.url, secret="not-the-secret")
    assert (await forged.command("U1", "help")).status_code == 401
    await recorded.settle()
    assert recording_core.seen == []
    assert recorded.api.calls == []  # not even Bolt's auth.test: nothing past the signature check ran


async def test_signature_is_computed_like_slack() -> None:
    # The example from Slack's documentation on verifying requests.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body) == expected


async def test_the_ack_does_not_wait_for_the_core(recorded: Harness, recording_core: RecordingCore) -> None:
    recording_core.gate = asyncio.Event()
    async with asyncio.timeout(2.5):  # well inside Slack's 3 seconds, though the core has not answered
        response = await recorded.slack.command("U1", "profile")
    assert response.status_code == 200
    idle = asyncio.create_task(recorded.adapter.idle())
    async with asyncio.timeout(5):
        await recording_core.entered.wait()  # the core got the command after the ack went out…
    assert not idle.done()  # …and is still working on it
    recording_core.gate.set()
    async with asyncio.timeout(5):
        await idle
    assert len(recording_core.seen) == 1


async def test_a_command_from_a_channel_is_acked_with_a_pointer_to_the_dm(
    recorded: Harness, recording_core: RecordingCore
) -> None:
    response = await recorded.slack.command("U1", "link", channel="C0000777", channel_name="general")
    assert response.status_code == 200
    assert "direct messages" in response.text  # Slack shows a plain-text ack to the user alone
    await recorded.settle()
    [command] = recording_core.seen
    assert isinstance(command, Command) and command.chat is not None
    assert (command.chat.id, command.chat.kind) == ("C0000777", "group")


async def test_bare_slash_command_is_help(recorded: Harness, recording_core: RecordingCore) -> None:
    await recorded.slack.command("U1", "")
    await recorded.settle()
    assert [(c.name, c.args) for c in recording_core.seen if isinstance(c, Command)] == [("help", "")]


async def test_button_press_becomes_a_button_press(recorded: Harness, recording_core: RecordingCore) -> None:
    response = await recorded.slack.press("U1", "pick:12.1", channel="D0000001", ts="1700000001.000100")
    assert response.status_code == 200
    await recorded.settle()
    [press] = recording_core.seen
    assert isinstance(press, ButtonPress)
    assert (press.action, press.value) == ("pick", "12.1")


async def test_modal_submission_becomes_the_one_line_command(recorded: Harness, recording_core: RecordingCore) -> None:
    values = {
        "name": {"type": "plain_text_input", "value": 'The "Best" \\ Meetup'},
        "date": {"type": "datepicker", "selected_date": "2026-12-10"},
        "time": {"type": "timepicker", "selected_time": "18:30"},
        "zone": {"type": "plain_text_input", "value": "Europe/London"},
    }
    response = await recorded.slack.submit("U1", "newevent", values)
    assert response.status_code == 200 and response.text == ""  # an empty ack closes the modal
    await recorded.settle()
    [command] = recording_core.seen
    assert isinstance(command, Command)
    assert command.name == "newevent"
    assert command.args == '"The \\"Best\\" \\\\ Meetup" 2026-12-10 18:30 Europe/London'


async def test_direct_messages_become_free_text_and_the_rest_is_ignored(
    recorded: Harness, recording_core: RecordingCore
) -> None:
    slack = recorded.slack
    await slack.event({"type": "message", "channel": "D0000001", "channel_type": "im", "user": "U1", "text": "Jazz"})
    await slack.event({"type": "message", "channel": "D0000001", "channel_type": "im", "bot_id": "B9", "text": "x"})
    await slack.event({"type": "message", "subtype": "message_changed", "channel": "D0000001", "channel_type": "im"})
    await slack.event({"type": "message", "channel": "C1", "channel_type": "channel", "user": "U1", "text": "hi"})
    await slack.event({"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hello there"})
    await recorded.settle()
    texts = [(i.text, i.chat.kind if i.chat else None) for i in recording_core.seen if isinstance(i, FreeText)]
    assert texts == [("Jazz", "private"), ("hello there", "group")]
    assert len(recording_core.seen) == 2


async def test_a_retried_event_is_acked_but_handled_once(recorded: Harness, recording_core: RecordingCore) -> None:
    event = {"type": "message", "channel": "D0000001", "channel_type": "im", "user": "U1", "text": "Jazz"}
    first = await recorded.slack.event(event, event_id="Ev0RETRY1")
    await recorded.settle()
    again = await recorded.slack.event(event, event_id="Ev0RETRY1", retry=1)
    await recorded.settle()
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(recording_core.seen) == 1


async def test_url_verification_is_answered(recorded: Harness) -> None:
    import json

    body = json.dumps({"token": "legacy", "challenge": "abc123", "type": "url_verification"}).encode()
    response = await recorded.slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "abc123"}


async def test_health_reports_whether_slack_accepts_the_token(recorded: Harness) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{recorded.http.port}") as client:
        healthy = await client.get("/healthz")
        recorded.api.fail_next("auth.test", "invalid_auth")
        unhealthy = await client.get("/healthz")
    assert healthy.status_code == 200 and healthy.json()["checks"]["slack"] is True
    assert unhealthy.status_code == 503 and unhealthy.json()["checks"]["slack"] is False
