"""Slack payloads as neutral events (pure functions, no server)."""

from __future__ import annotations

import shlex

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack import translate, views
from adapters.slack.importer import Row, parse_csv
from bot.messages import Sender

ADA = Sender("slack", "U1", "Ada")


def view(callback_id: str, **values: str) -> dict[str, object]:
    state = {key: {key: {"type": "plain_text_input", "value": value}} for key, value in values.items()}
    return {"callback_id": callback_id, "state": {"values": state}}


def test_sender_prefers_the_display_name_and_keeps_handle_and_locale() -> None:
    user = {"name": "ada.l", "real_name": "Ada Lovelace", "locale": "en-GB", "profile": {"display_name": ""}}
    assert translate.sender("U1", user) == Sender("slack", "U1", "Ada Lovelace", "ada.l", "en-GB")
    assert translate.sender("U1", None, "ada") == Sender("slack", "U1", "ada", "ada", None)


def test_the_profile_time_zone_travels_with_the_sender() -> None:
    """users.info's ``tz`` (the zone the member chose in Slack, or the workspace's) becomes their zone."""
    user = {"name": "lee", "real_name": "Lee", "tz": "America/Los_Angeles", "tz_offset": -28800}
    assert translate.sender("U2", user).time_zone == "America/Los_Angeles"
    assert translate.sender("U2", {"name": "lee"}).time_zone is None


def test_slash_command_text_is_command_and_args() -> None:
    payload = {"text": "  Join\tHR7K2Q  ", "channel_id": "D1", "channel_name": "directmessage"}
    command = translate.command(payload, ADA)
    assert (command.name, command.args, command.chat) == ("join", "HR7K2Q", translate.chat("D1"))
    assert translate.command({"text": "", "channel_id": "C1"}, ADA).name == "help"
    assert translate.command({"text": "/poll A, B", "channel_id": "C1"}, ADA).args == "A, B"
    group = translate.command({"text": "link", "channel_id": "G1", "channel_name": "mpdm-a--b-1"}, ADA).chat
    assert group is not None and group.kind == "group"


def test_button_press_parses_the_button_data() -> None:
    body = {
        "actions": [{"action_id": "ib.0.1", "value": "pick:12.0"}],
        "container": {"type": "message", "channel_id": "D1", "message_ts": "1.2"},
    }
    press = translate.button_press(body, ADA)
    assert (press.action, press.value) == ("pick", "12.0")
    assert translate.origin(body) == ("D1", "1.2")
    assert translate.origin({"container": {"type": "view", "view_id": "V1"}}) == (None, None)


def test_which_messages_are_read() -> None:
    dm = {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": "hi"}
    assert translate.message_author(dm, "UBOT") == "U1"
    assert translate.message_author({**dm, "bot_id": "B1"}, "UBOT") is None
    assert translate.message_author({**dm, "subtype": "message_changed"}, "UBOT") is None
    assert translate.message_author({**dm, "user": "UBOT"}, "UBOT") is None
    channel = {**dm, "channel": "C1", "channel_type": "channel"}
    assert translate.message_author(channel, "UBOT") is None
    assert translate.message_author({**channel, "text": "<@UBOT> hi"}, "UBOT") == "U1"
    text = translate.free_text({**channel, "text": "<@UBOT>  A, B"}, ADA, "UBOT")
    assert text.text == "A, B" and text.chat is not None and text.chat.kind == "group"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_quoted_names_survive_the_one_line_form(name: str) -> None:
    assert shlex.split(f"{translate.quote(name)} 2026-12-10 18:30 Europe/London") == [
        name,
        "2026-12-10",
        "18:30",
        "Europe/London",
    ]


def test_create_event_modal_is_the_newevent_one_liner() -> None:
    submitted = {
        "callback_id": views.NEWEVENT,
        "state": {
            "values": {
                "name": {"name": {"type": "plain_text_input", "value": "HR  Tweetup 'London'"}},
                "date": {"date": {"type": "datepicker", "selected_date": "2026-12-10"}},
                "time": {"time": {"type": "timepicker", "selected_time": "18:30"}},
                "zone": {"zone": {"type": "plain_text_input", "value": " Europe/London "}},
            }
        },
    }
    command = translate.modal_command(submitted, ADA)
    assert command is not None
    assert (command.name, command.args) == ("newevent", "\"HR Tweetup 'London'\" 2026-12-10 18:30 Europe/London")
    assert shlex.split(command.args)[0] == "HR Tweetup 'London'"


def test_poll_and_broadcast_modals() -> None:
    poll = translate.modal_command(view(views.POLL, options="Python\n Hiking \n\nJazz"), ADA)
    assert poll is not None and (poll.name, poll.args) == ("poll", "Python, Hiking, Jazz")
    same = translate.modal_command(view(views.POLL, options="Python, Hiking, Jazz"), ADA)
    assert same is not None and same.args == "Python, Hiking, Jazz"
    broadcast = translate.modal_command(view(views.BROADCAST, text="Doors at 18:00\nSee you!"), ADA)
    assert broadcast is not None and (broadcast.name, broadcast.args) == (
        "broadcast",
        "to all Doors at 18:00\nSee you!",
    )
    assert translate.modal_command(view(views.IMPORT, csv="a,b@c"), ADA) is None
    to_everyone = translate.modal_command(view(views.BROADCAST, text="To everyone: doors at 18:00"), ADA)
    assert to_everyone is not None and to_everyone.args == "to all To everyone: doors at 18:00"


def test_broadcast_modal_audience_interest_and_send_time() -> None:
    submitted = view(views.BROADCAST, text="Trail at dawn", interest="  Career   change ")
    submitted["state"]["values"].update(  # type: ignore[index]
        {
            views.AUDIENCE: {views.AUDIENCE: {"type": "static_select", "selected_option": {"value": "rsvp-yes"}}},
            views.SEND_DATE: {views.SEND_DATE: {"type": "datepicker", "selected_date": "2026-12-09"}},
            views.SEND_TIME: {views.SEND_TIME: {"type": "timepicker", "selected_time": "18:00"}},
        }
    )
    command = translate.modal_command(submitted, ADA)
    assert command is not None
    assert command.args == 'to interest:"Career change" at 2026-12-09 18:00 Trail at dawn'
    del submitted["state"]["values"][views.INTEREST]  # type: ignore[index]
    command = translate.modal_command(submitted, ADA)
    assert command is not None and command.args == "to rsvp-yes at 2026-12-09 18:00 Trail at dawn"


def test_csv_rows() -> None:
    raw = (
        'name,email\nAda Lovelace,ada@example.com\n\n"Hopper, Grace",grace@example.com\n'
        "bob@example.com\nADA@example.com\nno email"
    )
    assert parse_csv(raw) == [
        Row("Ada Lovelace", "ada@example.com"),
        Row("Hopper, Grace", "grace@example.com"),
        Row("", "bob@example.com"),
    ]


def test_free_text_arrives_as_the_member_typed_it() -> None:
    """Slack sends message text in its markup; the core (and a partner on another platform) gets the typing."""
    sent = "Fish &amp; chips &lt;3 at <https://example.com/menu|the menu>, <https://x.org> or <mailto:a@b.c|a@b.c>"
    event = {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": sent}
    assert translate.free_text(event, ADA, "UBOT").text == (
        "Fish & chips <3 at the menu (https://example.com/menu), https://x.org or a@b.c"
    )
    tricky = {**event, "text": "&amp;lt;b&amp;gt; is how you write &lt;b&gt; in HTML, cc <!here> in <#C42|general>"}
    typed = "&lt;b&gt; is how you write <b> in HTML, cc @here in #general"
    assert translate.free_text(tricky, ADA, None).text == typed
