"""Slack payloads as the core's neutral events. Pure functions: no I/O, no Slack client.

* ``/icebreaker <command> <args>`` is a :class:`Command`; a bare ``/icebreaker`` is ``help``.
* A press on a rendered core button is a :class:`ButtonPress` (its value is ``Button.data``).
* A direct message, or a channel message that mentions the bot, is :class:`FreeText`; bot messages, edits,
  deletions and other subtypes are ignored.
* The organiser modals become the commands their one-line forms would be; a broadcast draft's Edit modal
  becomes the press that rewrites that draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from adapters.slack import views
from bot.commands.broadcast import REVISE
from bot.messages import Button, ButtonPress, Chat, Command, FreeText, Sender

PLATFORM = "slack"
_WORDS = re.compile(r"\s+")
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")  # <https://x|label>, <mailto:a@b|a@b>, <#C1|general>, <!here>

Payload = Mapping[str, Any]


def sender(user_id: str, user: Payload | None = None, fallback_name: str | None = None) -> Sender:
    """A Slack user as the core sees them; ``user`` is users.info's ``user`` object when we have it (its ``tz``
    is the zone the member chose in their Slack profile, or the workspace's)."""
    user = user or {}
    profile = user.get("profile") or {}
    candidates = (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
        fallback_name,
    )
    name = next((str(c).strip() for c in candidates if c and str(c).strip()), user_id)
    handle = user.get("name") or fallback_name or None
    locale = user.get("locale") or None
    zone = user.get("tz")
    return Sender(PLATFORM, user_id, name, handle, locale, str(zone) if zone else None)


def chat(channel_id: str | None, *, direct: bool | None = None) -> Chat | None:
    """Slack's DM channel ids start with D; anything else (channel, private channel, group DM) is a group."""
    if not channel_id:
        return None
    private = channel_id.startswith("D") if direct is None else direct
    return Chat(channel_id, "private" if private else "group")


def command(payload: Payload, who: Sender) -> Command:
    """A slash command payload (``command``, ``text``, ``channel_id``) as a core command."""
    text = str(payload.get("text") or "").strip()
    name, _, args = _WORDS.sub(" ", text, count=1).partition(" ") if text else ("help", "", "")
    direct = payload.get("channel_name") == "directmessage" or None
    where = chat(payload.get("channel_id"), direct=direct)
    return Command(who, name.lstrip("/").lower() or "help", args.strip(), where)


def button_press(body: Payload, who: Sender) -> ButtonPress:
    """A block_actions payload for a rendered core button (action_id ``ib.<row>.<col>``)."""
    action = body["actions"][0]
    name, value = Button.parse(str(action.get("value") or ""))
    return ButtonPress(who, name, value, chat(origin(body)[0]))


def origin(body: Payload) -> tuple[str | None, str | None]:
    """The (channel, ts) of the message whose button was pressed; (None, None) for a view's button."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


def message_author(event: Payload, bot_user_id: str | None) -> str | None:
    """The user whose message the bot should read, or None: DMs, and channel messages that mention the bot."""
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return None
    if bot_user_id and event["user"] == bot_user_id:
        return None
    in_channel = event.get("type") == "app_mention" or event.get("channel_type") != "im"
    if in_channel and (not bot_user_id or f"<@{bot_user_id}>" not in str(event.get("text") or "")):
        return None
    return str(event["user"])


def free_text(event: Payload, who: Sender, bot_user_id: str | None) -> FreeText:
    text = str(event.get("text") or "")
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")
    direct = event.get("channel_type") == "im" and event.get("type") == "message"
    return FreeText(who, as_typed(text).strip(), chat(event.get("channel"), direct=direct))


def as_typed(text: str) -> str:
    """A message event's text as the member typed it. Slack sends it in its markup: ``&``, ``<`` and ``>`` as
    entities, links as ``<url|label>``, channels as ``<#C…|name>``, ``@here`` as ``<!here>``. Entities are
    decoded last (``&amp;`` last of all), so ``&amp;lt;`` stays the ``&lt;`` that was typed."""

    def typed(found: re.Match[str]) -> str:
        target, label = found.group(1), found.group(2)
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target if not label or label == target or target.endswith("//" + label) else f"{label} ({target})"

    return _MARKUP.sub(typed, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def quote(value: str) -> str:
    """``value`` as one shlex word in double quotes: only ``\\`` and ``"`` need escaping there."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def modal_command(view: Payload, who: Sender) -> Command | None:
    """A submitted organiser modal as the command its one-line form would be (None for the CSV import)."""
    callback = view.get("callback_id")
    if callback == views.NEWEVENT:
        name = " ".join(field(view, views.NAME).split())
        day, at = field(view, views.DATE), field(view, views.TIME)
        zone = field(view, views.ZONE).strip()
        zone = zone if zone and not any(c.isspace() or c in "\"'\\" for c in zone) else quote(zone)
        return Command(who, "newevent", f"{quote(name)} {day or '-'} {at or '-'} {zone}")
    if callback == views.POLL:
        raw = field(view, views.OPTIONS)
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        return Command(who, "poll", ", ".join(lines) if len(lines) > 1 else raw.strip())
    if callback == views.BROADCAST:
        return Command(who, "broadcast", _broadcast_args(view))
    if callback == views.SLOTS:
        window = f"{field(view, views.FROM) or '-'}-{field(view, views.UNTIL) or '-'}"
        places = " ".join(field(view, views.PLACES).split())
        return Command(who, "slots", f"{window} every {field(view, views.EVERY) or '-'} at {places}")
    return None


def _broadcast_args(view: Payload) -> str:
    """The broadcast modal as ``/broadcast`` arguments, always spelled out, so the text itself ("To everyone…",
    "at 18:00…") is never read as an option."""
    interest = " ".join(field(view, views.INTEREST).split())
    audience = f"interest:{quote(interest)}" if interest else field(view, views.AUDIENCE) or views.EVERYONE
    day, at = field(view, views.SEND_DATE), field(view, views.SEND_TIME)
    when = f"at {day} {at} " if day and at else ""
    return f"to {audience} {when}{field(view, views.TEXT).strip()}"


def revision(view: Payload, who: Sender) -> tuple[ButtonPress, str | None, str | None] | None:
    """A submitted Edit modal (a broadcast draft's, named in its private_metadata) as the press that rewrites
    that draft, with the (channel, ts) of the preview to show it again in; None for any other submission."""
    origin = views.draft_origin(view)
    if view.get("callback_id") != views.BROADCAST or origin is None:
        return None
    draft, channel, ts = origin
    return ButtonPress(who, REVISE, f"{draft} {_broadcast_args(view)}", chat(channel)), channel, ts


def field(view: Payload, block_id: str) -> str:
    """The submitted value of an input block whose action_id equals its block_id; "" when empty."""
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element = state.get(block_id) or {}
    for key in ("value", "selected_date", "selected_time"):
        if element.get(key):
            return str(element[key])
    option = element.get("selected_option") or {}
    return str(option.get("value") or "")
