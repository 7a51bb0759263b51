"""Block Kit surfaces the adapter owns: the App Home and the organiser modals. Pure data, no I/O.

The ids here are shared with :mod:`adapters.slack.translate`, which reads the submitted values back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.slack.render import Block

# callback_id of each modal
NEWEVENT, POLL, BROADCAST, IMPORT, SLOTS = "newevent", "poll", "broadcast", "import", "slots"
MODALS = (NEWEVENT, POLL, BROADCAST, IMPORT, SLOTS)

# action_id of each App Home button
HOME_PAUSE, HOME_RESUME = "home.pause", "home.resume"
HOME_NEWEVENT, HOME_POLL, HOME_BROADCAST = "home.newevent", "home.poll", "home.broadcast"
HOME_COMMANDS = {HOME_PAUSE: "pause", HOME_RESUME: "resume"}
HOME_MODALS = {HOME_NEWEVENT: NEWEVENT, HOME_POLL: POLL, HOME_BROADCAST: BROADCAST}

# block_id (= action_id) of each input
NAME, DATE, TIME, ZONE = "name", "date", "time", "zone"
OPTIONS, TEXT, AUDIENCE, WHEN, CSV = "options", "text", "audience", "when", "csv"
INTEREST, SEND_DATE, SEND_TIME = "interest", "send_date", "send_time"
FROM, UNTIL, EVERY, PLACES = "from", "until", "every", "places"
SLOT_LENGTHS = [(str(m), f"{m} minutes") for m in (15, 10, 20, 30, 45, 60)]  # the first is preselected
AUDIENCES = [
    ("all", "Everyone in my current event"),
    ("answered", "Those who answered the poll"),
    ("unanswered", "Those who haven't answered the poll"),
    ("rsvp-yes", "Those coming (RSVP yes)"),
    ("rsvp-no", "Those not coming (RSVP no)"),
    ("rsvp-unknown", "Those who haven't RSVP'd"),
]

DEFAULT_ZONE = "Europe/London"
EVERYONE = "all"  # the broadcast audience the modal offers (the core's name for everyone)
CSV_LIMIT = 3000  # Slack's limit for a plain_text_input


def home(content: list[Block]) -> dict[str, Any]:
    """The App Home: what the core says about the member, then the buttons."""
    buttons = [
        _button("Pause introductions", HOME_PAUSE),
        _button("Resume introductions", HOME_RESUME),
    ]
    organiser = [
        _button("Create event", HOME_NEWEVENT, primary=True),
        _button("Set poll", HOME_POLL),
        _button("Broadcast", HOME_BROADCAST),
    ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Icebreaker"}},
        *content[:90],
        {"type": "actions", "block_id": "member", "elements": buttons},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "For organisers"}]},
        {"type": "actions", "block_id": "organiser", "elements": organiser},
    ]
    return {"type": "home", "blocks": blocks}


def modal(callback_id: str, *, zone: str | None = None) -> dict[str, Any]:
    builders = {
        NEWEVENT: lambda: _newevent(zone or DEFAULT_ZONE),
        POLL: _poll,
        BROADCAST: _broadcast,
        IMPORT: _import,
        SLOTS: _slots,
    }
    return builders[callback_id]()


def _newevent(zone: str) -> dict[str, Any]:
    return _modal(
        NEWEVENT,
        "Create event",
        "Create",
        [
            _input(NAME, "Event name", _text_input(NAME, max_length=100, placeholder="HR Tweetup London")),
            _input(DATE, "Date", {"type": "datepicker", "action_id": DATE}),
            _input(TIME, "Start time (local)", {"type": "timepicker", "action_id": TIME}),
            _input(ZONE, "Time zone", _text_input(ZONE, initial=zone, max_length=64, placeholder="Europe/London")),
        ],
    )


def _poll() -> dict[str, Any]:
    hint = "Python, Recruiting, Hiking  (commas, or one per line)"
    return _modal(POLL, "Set interest poll", "Save", [_input(OPTIONS, "Options", _text_input(OPTIONS, True, hint))])


def _broadcast(draft: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The broadcast modal; with ``draft`` (text, audience, date, time) prefilled to correct that draft."""
    draft = draft or {}
    audience = draft.get("audience") or EVERYONE
    interest = audience.removeprefix("interest:") if audience.startswith("interest:") else ""
    day, at = {"type": "datepicker", "action_id": SEND_DATE}, {"type": "timepicker", "action_id": SEND_TIME}
    if draft.get("date") and draft.get("time"):
        day["initial_date"], at["initial_time"] = draft["date"], draft["time"]
    text = _text_input(TEXT, True, "Doors open at 18:00, see you there!", initial=draft.get("text"), max_length=3000)
    return _modal(
        BROADCAST,
        "Edit broadcast" if draft else "Broadcast",
        "Preview" if draft else "Send",
        [
            _input(TEXT, "Message", text),
            _input(AUDIENCE, "To", _select(AUDIENCE, AUDIENCES, initial=audience)),
            _optional(
                _input(
                    INTEREST,
                    "Only those interested in (optional)",
                    _text_input(INTEREST, False, "Hiking", initial=interest or None),
                )
            ),
            _optional(_input(SEND_DATE, "Send later: date (optional)", day)),
            _optional(_input(SEND_TIME, "…at (event time)", at)),
        ],
    )


def broadcast_edit(draft: Mapping[str, str], draft_id: str, channel: str | None, ts: str | None) -> dict[str, Any]:
    """The Edit modal of a broadcast preview: prefilled with the draft; its private_metadata names the draft
    and the preview message, which the submission rewrites and shows again."""
    view = _broadcast(draft)
    view["private_metadata"] = json.dumps({"draft": draft_id, "channel": channel, "ts": ts})
    return view


def draft_origin(view: Mapping[str, Any]) -> tuple[str, str | None, str | None] | None:
    """(draft id, channel, ts) from an Edit modal's private_metadata; None for a modal that edits no draft."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "null"))
    except ValueError:
        return None
    if not isinstance(meta, dict) or not str(meta.get("draft") or "").isdigit():
        return None
    channel, ts = meta.get("channel"), meta.get("ts")
    return str(meta["draft"]), str(channel) if channel else None, str(ts) if ts else None


def _slots() -> dict[str, Any]:
    """Meeting slots and places: the one-line ``/slots`` form, field by field (times are the event's)."""
    hint = "Bar*10, Terrace, Table 1-8"
    note = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "Times are your current event's local time. A place holds one meeting at once; "
                "add *N for more (Bar*10). Table 1-8 is eight tables.",
            }
        ],
    }
    return _modal(
        SLOTS,
        "Meeting slots",
        "Save",
        [
            note,
            _input(FROM, "From", {"type": "timepicker", "action_id": FROM}),
            _input(UNTIL, "Until", {"type": "timepicker", "action_id": UNTIL}),
            _input(EVERY, "Each meeting lasts", _select(EVERY, SLOT_LENGTHS)),
            _input(PLACES, "Places", _text_input(PLACES, False, hint, max_length=2000)),
        ],
    )


def _import() -> dict[str, Any]:
    hint = "name,email\nAda Lovelace,ada@example.com"
    element = _text_input(CSV, True, hint, max_length=CSV_LIMIT)
    note = {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "Paste CSV rows of name,email. I look each person up by email "
                "and send them the invitation to your current event.",
            }
        ],
    }
    return _modal(IMPORT, "Import invitees", "Import", [note, _input(CSV, "CSV", element)])


def _modal(callback_id: str, title: str, submit: str, blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _optional(block: Block) -> Block:
    return {**block, "optional": True}


def _input(block_id: str, label: str, element: Block) -> Block:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label}, "element": element}


def _text_input(
    action_id: str,
    multiline: bool = False,
    placeholder: str = "",
    *,
    initial: str | None = None,
    max_length: int | None = None,
) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder[:150]}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    return element


def _select(action_id: str, options: list[tuple[str, str]], *, initial: str | None = None) -> Block:
    """A menu; ``initial`` (a value) is preselected when it is one of the options, else the first is."""
    choices = [{"text": {"type": "plain_text", "text": label}, "value": value} for value, label in options]
    chosen = next((c for c in choices if c["value"] == initial), choices[0])
    return {"type": "static_select", "action_id": action_id, "options": choices, "initial_option": chosen}


def _button(label: str, action_id: str, *, primary: bool = False) -> Block:
    button: Block = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id}
    if primary:
        button["style"] = "primary"
    return button
