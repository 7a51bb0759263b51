"""Neutral value objects: what comes in from a platform and what goes out to it.

Outgoing text is structure (runs with a style, mentions of members, buttons), never markup: each adapter
renders it with its own escaping, so user-supplied text can never become markup anywhere.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeAlias

MAX_BUTTON_DATA = 64  # Telegram's callback_data limit, the tightest of the platforms


@dataclass(frozen=True, slots=True)
class Sender:
    """A person on a platform, as the platform describes them. ``time_zone``: the IANA zone of their platform
    profile, where the platform tells it (Slack does; Telegram does not)."""

    platform: str
    user_id: str
    display_name: str
    handle: str | None = None
    language: str | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    """Where an incoming event was written: the member's private chat, or a group/channel."""

    id: str
    kind: Literal["private", "group"] = "private"
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    sender: Sender
    name: str
    args: str = ""
    chat: Chat | None = None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    sender: Sender
    action: str
    value: str = ""
    chat: Chat | None = None


@dataclass(frozen=True, slots=True)
class FreeText:
    sender: Sender
    text: str
    chat: Chat | None = None


Incoming: TypeAlias = Command | ButtonPress | FreeText


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text in one style. The text is data: it is escaped by every renderer."""

    text: str
    style: Style = Style.PLAIN


@dataclass(frozen=True, slots=True)
class Mention:
    """A member named in a message; adapters turn it into a platform mention where they can."""

    platform: str
    user_id: str
    display_name: str
    handle: str | None = None


Inline: TypeAlias = Run | Mention


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str
    value: str = ""

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_BUTTON_DATA:
            raise ValueError(f"button data too long: {self.data!r}")

    @property
    def data(self) -> str:
        return f"{self.action}:{self.value}"

    @staticmethod
    def parse(data: str) -> tuple[str, str]:
        action, _, value = data.partition(":")
        return action, value


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (a chart, a calendar entry, a CSV export). Each adapter uploads it its own
    way: an image as a photo where the platform has them, anything else as a document; the console prints a
    line naming it."""

    filename: str
    content_type: str
    data: bytes
    caption: str = ""

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg")

    def to_dict(self) -> dict[str, str]:
        encoded = base64.b64encode(self.data).decode()
        return {"name": self.filename, "type": self.content_type, "data": encoded, "caption": self.caption}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Attachment:
        return cls(data["name"], data["type"], base64.b64decode(data["data"]), data.get("caption", ""))


@dataclass(frozen=True, slots=True)
class Message:
    """Rich text (lines of inline pieces) plus rows of buttons, and files to send with it.

    ``invite_code`` marks an invitation to join an event with that code: a platform with deep links may add
    a join link or a QR code for it. ``attachments`` go out after the text, in order.
    """

    lines: tuple[tuple[Inline, ...], ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    invite_code: str | None = None
    attachments: tuple[Attachment, ...] = ()

    def plain_text(self) -> str:
        """The text without styling: what a screen reader or a log would show."""
        return "\n".join("".join(_plain(piece) for piece in line) for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [[_piece_to_dict(p) for p in line] for line in self.lines],
            "buttons": [[[b.label, b.action, b.value] for b in row] for row in self.buttons],
            "invite_code": self.invite_code,
            **({"attachments": [a.to_dict() for a in self.attachments]} if self.attachments else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        lines = tuple(tuple(_piece_from_dict(p) for p in line) for line in data["lines"])
        buttons = tuple(tuple(Button(*b) for b in row) for row in data["buttons"])
        attachments = tuple(Attachment.from_dict(a) for a in data.get("attachments", ()))
        return cls(lines, buttons, data.get("invite_code"), attachments)


def _plain(piece: Inline) -> str:
    return piece.text if isinstance(piece, Run) else piece.display_name


def _piece_to_dict(piece: Inline) -> dict[str, Any]:
    if isinstance(piece, Run):
        return {"t": piece.text, "s": piece.style.value}
    return {"m": [piece.platform, piece.user_id, piece.display_name, piece.handle]}


def _piece_from_dict(data: dict[str, Any]) -> Inline:
    if "m" in data:
        platform, user_id, name, handle = data["m"]
        return Mention(platform, user_id, name, handle)
    return Run(data["t"], Style(data["s"]))


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes: a member's private chat, a channel, or a group conversation of members.

    For ``group``, ``user_id`` holds the members' platform user ids joined by commas; only platforms whose
    ``supports_group_dm`` is true receive such addresses (Slack opens a group DM; Telegram cannot).
    """

    platform: str
    user_id: str
    kind: Literal["member", "channel", "group"] = "member"


@dataclass(frozen=True, slots=True)
class Reply:
    """Send a new message to the person who wrote (or pressed the button)."""

    message: Message


@dataclass(frozen=True, slots=True)
class EditOrigin:
    """Replace the message whose button was pressed (an interest poll updated in place)."""

    message: Message


@dataclass(frozen=True, slots=True)
class OpenForm:
    """Offer the person a form to change something in hand, prefilled with ``fields`` (Slack: a modal whose
    submission names ``reference``). A platform without forms shows ``message`` instead."""

    form: str
    reference: str
    fields: tuple[tuple[str, str], ...]
    message: Message


Action: TypeAlias = Reply | EditOrigin | OpenForm


@dataclass(slots=True)
class MessageBuilder:
    """Builds a :class:`Message` line by line; the only place that assembles rich text."""

    _lines: list[tuple[Inline, ...]] = field(default_factory=list)
    _buttons: list[tuple[Button, ...]] = field(default_factory=list)

    def line(self, *pieces: Inline | str) -> MessageBuilder:
        self._lines.append(tuple(Run(p) if isinstance(p, str) else p for p in pieces))
        return self

    def blank(self) -> MessageBuilder:
        return self.line()

    def buttons(self, *buttons: Button) -> MessageBuilder:
        if buttons:
            self._buttons.append(buttons)
        return self

    def build(self, *, invite_code: str | None = None, attachments: tuple[Attachment, ...] = ()) -> Message:
        return Message(tuple(self._lines), tuple(self._buttons), invite_code, attachments)


def bold(text: str) -> Run:
    return Run(text, Style.BOLD)


def italic(text: str) -> Run:
    return Run(text, Style.ITALIC)


def code(text: str) -> Run:
    return Run(text, Style.CODE)


def text(*lines: str) -> Message:
    """A message of plain lines."""
    builder = MessageBuilder()
    for line in lines:
        builder.line(line)
    return builder.build()
