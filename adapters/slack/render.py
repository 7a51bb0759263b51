"""Neutral messages as Slack Block Kit: rich text blocks, in which no character of the text is markup.

Slack's mrkdwn has an escape for ``&``, ``<`` and ``>`` only: its formatting markers (``* _ ~ ```) cannot be
escaped, so a handle such as ``amir_k`` or a key such as ``interest_prompt`` could open or close a style, and
fencing the markers with invisible characters changes what a person copies. So the text travels in
``rich_text`` blocks (Slack's documented format for user-supplied formatted text): each run is a ``text``
element whose style is a field, never a character, and whose text Slack shows exactly as given (``<!channel>``
notifies nobody there). Slack members are ``user`` elements; a Telegram username is a ``link`` to t.me.
The notification ``text`` is the plain text with ``&``, ``<`` and ``>`` escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from slack_sdk.models.blocks import (
    RichTextBlock,
    RichTextElement,
    RichTextElementParts,
    RichTextPreformattedElement,
    RichTextSectionElement,
)

from bot.commands.registry import build_router
from bot.messages import Button, Inline, Mention, Message, Style

BLOCK_TEXT_LIMIT = 3000  # characters of text in one rich text block (as much as a section holds)
MAX_BLOCKS = 50  # blocks in one message
LABEL_LIMIT = 75  # characters of a button's label
VALUE_LIMIT = 2000  # characters of a button's value
ACTIONS_LIMIT = 25  # elements in one actions block
FALLBACK_LIMIT = 3000  # the notification text; the blocks carry the full message
ACTION_PREFIX = "ib."  # action_id of a rendered core button: ib.<row>.<column>
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TELEGRAM_USERNAME = re.compile(r"^[A-Za-z0-9_]{4,32}$")
_STYLES = {
    Style.BOLD: RichTextElementParts.TextStyle(bold=True),
    Style.ITALIC: RichTextElementParts.TextStyle(italic=True),
    Style.CODE: RichTextElementParts.TextStyle(code=True),
}

Block = dict[str, Any]
Part = RichTextElementParts.Text | RichTextElementParts.User | RichTextElementParts.Link


@dataclass(frozen=True, slots=True)
class Rendered:
    """What chat.postMessage / chat.update take: fallback ``text`` and the ``blocks``."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """``text`` safe in a mrkdwn field (the notification text): only ``&``, ``<`` and ``>`` mean anything."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(message: Message) -> Rendered:
    """The whole message: rich text for the text, one actions block per row of buttons, within 50 blocks."""
    actions = _actions(message.buttons)
    extra = [_invite_hint(message.invite_code)] if message.invite_code else []
    texts = text_blocks(message)
    room = MAX_BLOCKS - len(actions) - len(extra)
    if len(texts) > room:
        texts = [*texts[: room - 1], _rich([[_text("(message shortened)", Style.ITALIC)]])]
    return Rendered(fallback(message), texts + extra + actions)


def text_blocks(message: Message, limit: int = BLOCK_TEXT_LIMIT) -> list[Block]:
    """The message's text as rich text blocks of at most ``limit`` characters each, cut between lines where a
    line fits, without buttons (the App Home uses this too)."""
    packer = _Packer(limit)
    for number, line in enumerate(message.lines):
        pieces = [piece for inline in line for piece in _pieces(inline, limit)]
        packer.line(pieces, first=number == 0)
    return packer.finish()


def fallback(message: Message) -> str:
    """The notification text: the plain text, escaped, never empty."""
    plain = slack_commands(message.plain_text().strip()) or "…"
    if len(plain) > FALLBACK_LIMIT:
        plain = plain[: FALLBACK_LIMIT - 1] + "…"
    return escape(plain)


@cache
def _command_pattern() -> re.Pattern[str]:
    names = "|".join(sorted(build_router().commands, key=len, reverse=True))
    return re.compile(rf"(?<![\w/])/({names})\b")


def slack_commands(text: str) -> str:
    """The core writes commands as "/join CODE"; on Slack they are typed "/icebreaker join CODE"."""
    return _command_pattern().sub(r"/icebreaker \1", text)


@dataclass(frozen=True, slots=True)
class _Piece:
    """One inline part (``part``), or a preformatted block of ``pre`` text; ``size`` counts its characters."""

    size: int
    part: Part | None = None
    pre: str | None = None


def _pieces(inline: Inline, limit: int) -> list[_Piece]:
    if isinstance(inline, Mention):
        return [_Piece(_size(part), part) for part in _mention(inline)]
    text = slack_commands(inline.text)
    if not text:
        return []
    if inline.style == Style.CODE and "\n" in text:
        return [_Piece(len(chunk), pre=chunk) for chunk in _chunks(text, limit)]
    return [_Piece(len(chunk), _text(chunk, inline.style)) for chunk in _chunks(text, limit)]


def _size(part: Part) -> int:
    return 1 if isinstance(part, RichTextElementParts.User) else len(part.text or "")


def _text(text: str, style: Style = Style.PLAIN) -> RichTextElementParts.Text:
    """A text element; whitespace alone is never styled (Slack would show an empty style)."""
    chosen = _STYLES.get(style) if text.strip() else None
    return RichTextElementParts.Text(text=text, style=chosen)


def _mention(mention: Mention) -> list[Part]:
    if mention.platform == "slack" and _SLACK_USER.match(mention.user_id):
        return [RichTextElementParts.User(user_id=mention.user_id)]
    where = mention.platform.capitalize()
    name = mention.display_name or "someone"
    handle = mention.handle
    if mention.platform == "telegram" and handle and _TELEGRAM_USERNAME.match(handle):
        link = RichTextElementParts.Link(url=f"https://t.me/{handle}", text=f"@{handle}")
        return [_text(f"{name} ({where} "), link, _text(")")]
    return [_text(f"{name} ({where}{f' @{handle}' if handle else ''})")]


def _chunks(text: str, budget: int) -> list[str]:
    """``text`` in pieces of at most ``budget`` characters, cut after whitespace where one is near."""
    chunks: list[str] = []
    while len(text) > budget:
        cut = text.rfind(" ", budget // 2, budget)
        cut = cut + 1 if cut >= 0 else budget
        chunks.append(text[:cut])
        text = text[cut:]
    if text:
        chunks.append(text)
    return chunks


class _Packer:
    """Lays pieces out as rich text blocks: sections of inline parts, preformatted blocks, line breaks between
    lines, at most ``limit`` characters a block."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.blocks: list[list[RichTextElement]] = []
        self.objects: list[RichTextElement] = []
        self.parts: list[Part] = []
        self.size = 0
        self.breaks = 0  # line breaks owed before the next inline part

    def line(self, pieces: list[_Piece], *, first: bool) -> None:
        if not first:
            self.breaks += 1
        total = sum(piece.size for piece in pieces) + self.breaks
        if self.size and self.size + total > self.limit:
            self._close_block()
        for piece in pieces:
            if self.size and self.size + piece.size + self.breaks > self.limit:
                self._close_block()
            if piece.pre is not None:
                self._close_section()
                self.objects.append(RichTextPreformattedElement(elements=[_text(piece.pre)]))
                self.breaks = 0
            else:
                assert piece.part is not None
                self._owed_breaks()
                self.parts.append(piece.part)
            self.size += piece.size

    def finish(self) -> list[Block]:
        self._close_block()
        return [_rich_block(objects) for objects in self.blocks]

    def _owed_breaks(self) -> None:
        """Line breaks before a part; a new section or block starts on a new line of its own already, and
        blank lines before anything at all are dropped."""
        if not (self.parts or self.objects or self.blocks):
            owed = 0
        else:
            owed = self.breaks if self.parts else max(0, self.breaks - 1)
        if owed:
            self.parts.append(_text("\n" * owed))
            self.size += owed
        self.breaks = 0

    def _close_section(self) -> None:
        if self.parts:
            self.objects.append(RichTextSectionElement(elements=self.parts))
            self.parts = []

    def _close_block(self) -> None:
        self._close_section()
        if self.objects:
            self.blocks.append(self.objects)
        self.objects, self.size = [], 0


def _rich_block(objects: list[RichTextElement]) -> Block:
    block: Block = RichTextBlock(elements=objects).to_dict()
    return block


def _rich(lines: list[list[Part]]) -> Block:
    return _rich_block([RichTextSectionElement(elements=parts) for parts in lines])


def _invite_hint(code: str) -> Block:
    return _rich([[_text("On Slack, people join with "), _text(f"/icebreaker join {code}", Style.CODE)]])


def _actions(rows: tuple[tuple[Button, ...], ...]) -> list[Block]:
    """One actions block per row; rows are merged (up to 25 buttons a block) when there are too many."""
    elements = [[_button(button, r, c) for c, button in enumerate(row)] for r, row in enumerate(rows) if row]
    if len(elements) > MAX_BLOCKS // 2:
        flat = [element for row in elements for element in row]
        elements = [flat[i : i + ACTIONS_LIMIT] for i in range(0, len(flat), ACTIONS_LIMIT)]
    blocks = []
    for row in elements:
        for i in range(0, len(row), ACTIONS_LIMIT):
            blocks.append({"type": "actions", "elements": row[i : i + ACTIONS_LIMIT]})
    return blocks


def _button(button: Button, row: int, column: int) -> Block:
    if len(button.data) > VALUE_LIMIT:
        raise ValueError("button data longer than Slack allows")
    label = button.label.strip() or "…"
    if len(label) > LABEL_LIMIT:
        label = label[: LABEL_LIMIT - 1] + "…"
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": f"{ACTION_PREFIX}{row}.{column}",
        "value": button.data,
    }
