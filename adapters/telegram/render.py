"""Neutral messages as Telegram sees them: plain text plus entities, an inline keyboard, and parts of ≤4096.

Nothing here uses a parse mode: user-supplied text is sent as it is and styling travels as entities, so a
name like ``<b>x</b>`` or ``*_[`` is shown exactly as typed. Telegram counts offsets, lengths and the text
limit in UTF-16 code units, so that is what we measure; internally spans are kept in code points.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from dataclasses import dataclass

import qrcode
from qrcode.image.pure import PyPNGImage
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, User

from bot.messages import Mention, Message, Run, Style

PLATFORM = "telegram"
TEXT_LIMIT = 4096
EMPTY = "…"  # Telegram refuses an empty text; a message of buttons only still needs one
USERNAME = re.compile(r"[A-Za-z0-9_]{4,32}")
DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
STYLES = {Style.BOLD: MessageEntity.BOLD, Style.ITALIC: MessageEntity.ITALIC, Style.CODE: MessageEntity.CODE}
JOIN_LABEL = "Join with one tap"


@dataclass(frozen=True, slots=True)
class Span:
    """An entity over ``text[start:end]`` in code points; ``user_id`` only for a text mention."""

    kind: str
    start: int
    end: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    spans: tuple[Span, ...] = ()
    keyboard: InlineKeyboardMarkup | None = None

    @property
    def entities(self) -> list[MessageEntity]:
        """The spans as Telegram entities, with offsets and lengths in UTF-16 code units."""
        units = _prefix_units(self.text)
        return [
            MessageEntity(
                span.kind,
                units[span.start],
                units[span.end] - units[span.start],
                user=User(span.user_id, self.text[span.start : span.end], is_bot=False)
                if span.user_id is not None
                else None,
            )
            for span in self.spans
        ]


def utf16_len(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def deep_link(bot_username: str, code: str) -> str | None:
    """``https://t.me/<bot>?start=<code>``: opening it sends ``/start <code>`` to the bot."""
    if not USERNAME.fullmatch(bot_username) or not DEEP_LINK_PAYLOAD.fullmatch(code):
        return None
    return f"https://t.me/{bot_username}?start={code}"


def render(message: Message, *, bot_username: str | None = None) -> Rendered:
    """The whole message as one text (not yet split), with its entities and keyboard."""
    text = _Text()
    for number, line in enumerate(message.lines):
        if number:
            text.add("\n")
        for piece in line:
            if isinstance(piece, Run):
                text.add(piece.text, STYLES.get(piece.style))
            else:
                _add_mention(text, piece)
    rows = [
        [InlineKeyboardButton(button.label, callback_data=button.data) for button in row] for row in message.buttons
    ]
    link = deep_link(bot_username, message.invite_code) if bot_username and message.invite_code else None
    if link is not None:
        text.add(f"\n\n{JOIN_LABEL}: {link}")
        rows.append([InlineKeyboardButton(JOIN_LABEL, url=link)])
    return Rendered("".join(text.pieces), tuple(text.spans), InlineKeyboardMarkup(rows) if rows else None)


class _Text:
    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.spans: list[Span] = []
        self.position = 0

    def add(self, value: str, kind: str | None = None, user_id: int | None = None) -> None:
        if kind is not None and value:
            self.spans.append(Span(kind, self.position, self.position + len(value), user_id))
        self.pieces.append(value)
        self.position += len(value)


def _add_mention(text: _Text, mention: Mention) -> None:
    """``@handle`` for a Telegram member with a username; otherwise their name, linked to them by id."""
    name = mention.display_name or "someone"
    if mention.platform != PLATFORM:
        text.add(name)
    elif mention.handle and USERNAME.fullmatch(mention.handle):
        text.add(f"@{mention.handle}")
    elif mention.user_id.isdigit():
        text.add(name, MessageEntity.TEXT_MENTION, int(mention.user_id))
    else:
        text.add(name)


def split(rendered: Rendered, limit: int = TEXT_LIMIT) -> list[Rendered]:
    """Parts of at most ``limit`` UTF-16 units, cut at a paragraph, else a line, else a space.

    Whitespace at the ends of each part is dropped (Telegram would trim it and shift the entities); an
    entity crossing a cut continues in the next part; the keyboard goes on the last part.
    """
    text = rendered.text
    units = _prefix_units(text)
    bounds: list[tuple[int, int]] = []
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            break
        if units[-1] - units[start] <= limit:
            bounds.append((start, len(text)))
            break
        end = bisect_right(units, units[start] + limit) - 1
        cut = _break_point(text, start, end)
        bounds.append((start, cut))
        start = cut
    parts = [_part(rendered, a, b) for a, b in bounds]
    if not parts:
        return [Rendered(EMPTY, (), rendered.keyboard)]
    last = parts[-1]
    parts[-1] = Rendered(last.text, last.spans, rendered.keyboard)
    return parts


def _break_point(text: str, start: int, end: int) -> int:
    """Where to cut ``text[start:end]``: the last paragraph, line or word break, preferring the second half."""
    middle = start + (end - start) // 2
    for floor in (middle, start + 1):
        for separator in ("\n\n", "\n", " "):
            found = text.rfind(separator, floor, end)
            if found > start:
                return found
    return end


def _part(rendered: Rendered, start: int, end: int) -> Rendered:
    text = rendered.text
    while end > start and text[end - 1].isspace():
        end -= 1
    spans = tuple(
        Span(span.kind, max(span.start, start) - start, min(span.end, end) - start, span.user_id)
        for span in rendered.spans
        if span.start < end and span.end > start
    )
    return Rendered(text[start:end], spans)


def _prefix_units(text: str) -> list[int]:
    """``units[i]`` is the UTF-16 length of ``text[:i]``."""
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return units


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A QR code of ``data`` as a PNG, made in memory (qrcode's pure-Python pypng writer)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=scale, image_factory=PyPNGImage
    )
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()
