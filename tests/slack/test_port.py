"""The platform port against the stand-in Web API: addresses, caching, and every error as an outcome."""

from __future__ import annotations

import pytest

from adapters.http import HttpServer
from adapters.slack import build
from adapters.slack.adapter import SlackAdapter
from adapters.slack.outbound import delivery_error
from bot.errors import (
    ChannelUnavailable,
    DeliveryError,
    PermanentDeliveryError,
    RateLimited,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.messages import Address, MessageBuilder, bold, text
from bot.port import Delivered
from bot.settings import SettingsError
from tests.slack.conftest import Harness, RecordingCore, slack_settings
from tests.slack.stand_in import SlackStandIn

HELLO = text("Hello")


def member(user_id: str) -> Address:
    return Address("slack", user_id)


async def test_member_messages_open_the_dm_once(recorded: Harness) -> None:
    api, port = recorded.api, recorded.adapter
    api.add_user("U1", "Ada")
    first = await port.send(member("U1"), HELLO)
    second = await port.send(member("U1"), MessageBuilder().line("Hi ", bold("Ada")).build())
    assert port.name == "slack" and port.supports_group_dm
    assert first.chat_id == second.chat_id == api.dm_of("U1") and first.chat_id.startswith("D")
    assert first.message_id != second.message_id
    assert api.calls_to("conversations.open") == [{"users": "U1"}]
    assert len(api.posts_to(first.chat_id)) == 2


async def test_a_group_address_opens_one_group_dm_with_everyone(recorded: Harness) -> None:
    api, port = recorded.api, recorded.adapter
    for user in ("U3", "U1", "U2"):
        api.add_user(user, user)
    delivered = await port.send(Address("slack", "U3,U1, U2", "group"), HELLO)
    again = await port.send(Address("slack", "U2,U3,U1", "group"), HELLO)
    assert delivered.chat_id.startswith("G") and again.chat_id == delivered.chat_id
    assert api.calls_to("conversations.open") == [{"users": "U1,U2,U3"}]
    assert len(api.posts_to(delivered.chat_id)) == 2


async def test_channel_messages_and_edits(recorded: Harness) -> None:
    api, port = recorded.api, recorded.adapter
    api.add_channel("C1")
    delivered = await port.send(Address("slack", "C1", "channel"), HELLO)
    await port.edit(delivered, text("Hello again"))
    assert api.calls_to("conversations.open") == []
    [update] = api.calls_to("chat.update")
    assert (update["channel"], update["ts"], update["text"]) == ("C1", delivered.message_id, "Hello again")


async def test_rate_limits_reach_the_caller_with_retry_after(recorded: Harness) -> None:
    api = recorded.api
    api.add_user("U1", "Ada")
    api.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=30)
    with pytest.raises(RateLimited) as caught:
        await recorded.adapter.send(member("U1"), HELLO)
    assert caught.value.retry_after == 30
    assert len(api.calls_to("chat.postMessage", ok=None)) == 1  # the SDK did not retry behind our back


@pytest.mark.parametrize(
    ("method", "error", "kind", "outcome"),
    [
        ("conversations.open", "user_not_found", "member", RecipientUnreachable),
        ("conversations.open", "account_inactive", "member", RecipientUnreachable),
        ("conversations.open", "cannot_dm_bot", "member", RecipientUnreachable),
        ("chat.postMessage", "is_archived", "member", RecipientUnreachable),
        ("chat.postMessage", "channel_not_found", "member", RecipientUnreachable),
        ("chat.postMessage", "not_in_channel", "channel", ChannelUnavailable),
        ("chat.postMessage", "channel_not_found", "channel", ChannelUnavailable),
        ("chat.postMessage", "internal_error", "member", TransientDeliveryError),
        ("chat.postMessage", "invalid_blocks", "member", PermanentDeliveryError),
        ("chat.postMessage", "msg_too_long", "channel", PermanentDeliveryError),
    ],
)
async def test_slack_errors_become_delivery_outcomes(
    recorded: Harness, method: str, error: str, kind: str, outcome: type[DeliveryError]
) -> None:
    recorded.api.add_user("U1", "Ada")
    recorded.api.add_channel("C1")
    recorded.api.fail_next(method, error)
    address = Address("slack", "C1", "channel") if kind == "channel" else member("U1")
    with pytest.raises(outcome):
        await recorded.adapter.send(address, HELLO)


async def test_server_errors_and_timeouts_are_transient(recorded: Harness) -> None:
    recorded.api.add_user("U1", "Ada")
    recorded.api.fail_next("chat.postMessage", "service_unavailable", status=503)
    with pytest.raises(TransientDeliveryError):
        await recorded.adapter.send(member("U1"), HELLO)
    assert isinstance(delivery_error(TimeoutError(), direct=True), TransientDeliveryError)


async def test_editing_a_vanished_message_is_permanent(recorded: Harness) -> None:
    recorded.api.add_user("U1", "Ada")
    delivered = await recorded.adapter.send(member("U1"), HELLO)
    with pytest.raises(PermanentDeliveryError, match="message_not_found"):
        await recorded.adapter.edit(Delivered("slack", delivered.chat_id, "1.1"), HELLO)


async def test_socket_mode_is_chosen_with_an_app_token(api: SlackStandIn) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    http = HttpServer("127.0.0.1", 0)
    adapter = build(slack_settings(api, slack_app_token="xapp-1-test"), RecordingCore(), http)  # type: ignore[arg-type]
    assert isinstance(adapter, SlackAdapter) and adapter.mode == "socket"
    assert not http.has_routes  # no HTTP endpoint: events arrive over the socket
    handler = adapter.socket_handler()
    assert isinstance(handler, AsyncSocketModeHandler) and handler.app is adapter.app
    await handler.close_async()


async def test_http_mode_needs_the_signing_secret(api: SlackStandIn) -> None:
    http = HttpServer("127.0.0.1", 0)
    with pytest.raises(SettingsError, match="SIGNING_SECRET"):
        build(slack_settings(api, slack_signing_secret=None), RecordingCore(), http)  # type: ignore[arg-type]
    adapter = build(slack_settings(api), RecordingCore(), http)  # type: ignore[arg-type]
    assert adapter.mode == "http" and http.has_routes


def test_the_manifest_asks_for_the_fewest_scopes_that_work() -> None:
    from pathlib import Path

    import adapters.slack

    manifest = (Path(adapters.slack.__file__).parent / "manifest.yml").read_text()
    lines = [line.strip() for line in manifest.splitlines() if not line.strip().startswith("#")]
    scopes = {line[2:] for line in lines[lines.index("bot:") + 1 : lines.index("settings:")] if line.startswith("- ")}
    assert scopes == {
        "commands",
        "chat:write",
        "im:write",
        "mpim:write",
        "im:history",
        "users:read",
        "users:read.email",
        "app_mentions:read",
        "files:write",
    }
    events = {line[2:] for line in lines[lines.index("bot_events:") + 1 :] if line.startswith("- ")}
    assert events == {"app_home_opened", "message.im", "app_mention"}
    assert "- command: /icebreaker" in lines and "socket_mode_enabled: true" in lines
    assert "messages_tab_enabled: true" in lines and "home_tab_enabled: true" in lines
