"""Neutral messages as Slack Block Kit: mrkdwn sections in which every piece of text is escaped.

Only the renderer writes markup. Text from the core (names, event titles, broadcasts) goes through
:func:`escape`: ``&``, ``<`` and ``>`` become entities, so ``<!channel>`` or ``<https://evil|ok>`` is shown as
typed and notifies or links nobody; the formatting markers ``* _ ~ ``` are fenced with zero-width spaces, so
they can neither open nor close a style. Styles are added around the escaped text, never inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.commands.registry import build_router
from bot.messages import Button, Inline, Mention, Message, Run, Style

SECTION_LIMIT = 3000  # characters of text in one section block
MAX_BLOCKS = 50  # blocks in one message
LABEL_LIMIT = 75  # characters of a button's label
VALUE_LIMIT = 2000  # characters of a button's value
ACTIONS_LIMIT = 25  # elements in one actions block
FALLBACK_LIMIT = 3000  # the notification text; the blocks carry the full message
ACTION_PREFIX = "ib."  # action_id of a rendered core button: ib.<row>.<column>
ZWSP = "\u200b"
MARKERS = "*_~`"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_WRAP = {Style.BOLD: "*", Style.ITALIC: "_", Style.CODE: "`"}

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What chat.postMessage / chat.update take: fallback ``text`` and the ``blocks``."""

    text: str
    blocks: list[Block]


def escape(text: str, *, code: bool = False) -> str:
    """``text`` as literal mrkdwn. Inside code only the backtick can end the span, so only it is fenced."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for marker in "`" if code else MARKERS:
        text = text.replace(marker, f"{ZWSP}{marker}{ZWSP}")
    return text


def render(message: Message) -> Rendered:
    """The whole message: sections for the text, one actions block per row of buttons, within 50 blocks."""
    actions = _actions(message.buttons)
    extra = [_invite_hint(message.invite_code)] if message.invite_code else []
    sections = [_section(text) for text in pack(message)]
    room = MAX_BLOCKS - len(actions) - len(extra)
    if len(sections) > room:
        sections = [*sections[: room - 1], _context("_(message shortened)_")]
    blocks = sections + extra + actions
    return Rendered(fallback(message), blocks)


def text_blocks(message: Message) -> list[Block]:
    """The message's text as section blocks, without buttons (for the App Home)."""
    return [_section(text) for text in pack(message)]


def fallback(message: Message) -> str:
    """The notification text: the plain text, escaped, never empty."""
    plain = slack_commands(message.plain_text().strip()) or "…"
    if len(plain) > FALLBACK_LIMIT:
        plain = plain[: FALLBACK_LIMIT - 1] + "…"
    return escape(plain)


def pack(message: Message, limit: int = SECTION_LIMIT) -> list[str]:
    """The message's mrkdwn in pieces of at most ``limit`` characters, cut between lines where possible."""
    texts: list[str] = []
    current = ""
    for line in message.lines:
        segments = [segment for piece in line for segment in _inline(piece, limit)]
        rendered = "".join(segments)
        joined = f"{current}\n{rendered}" if current else rendered
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            texts.append(current)
            current = ""
        for segment in segments:  # a line longer than a section: cut it between its pieces
            if len(current) + len(segment) > limit:
                texts.append(current)
                current = ""
            current += segment
    if current:
        texts.append(current)
    return [text for text in texts if text.strip()]


@cache
def _command_pattern() -> re.Pattern[str]:
    names = "|".join(sorted(build_router().commands, key=len, reverse=True))
    return re.compile(rf"(?<![\w/])/({names})\b")


def slack_commands(text: str) -> str:
    """The core writes commands as "/join CODE"; on Slack they are typed "/icebreaker join CODE"."""
    return _command_pattern().sub(r"/icebreaker \1", text)


def _inline(piece: Inline, limit: int) -> list[str]:
    """One piece as mrkdwn segments, each at most ``limit`` characters and styled on its own."""
    if isinstance(piece, Mention):
        return [_mention(piece)]
    assert isinstance(piece, Run)
    piece = Run(slack_commands(piece.text), piece.style)
    block_code = piece.style == Style.CODE and "\n" in piece.text
    overhead = 8 if block_code else 2
    is_code = piece.style == Style.CODE
    return [_styled(chunk, piece.style, block_code) for chunk in _chunks(piece.text, limit - overhead, code=is_code)]


def _mention(mention: Mention) -> str:
    if mention.platform == "slack" and _SLACK_USER.match(mention.user_id):
        return f"<@{mention.user_id}>"
    where = mention.platform.capitalize()
    handle = f" @{mention.handle}" if mention.handle else ""
    return escape(f"{mention.display_name} ({where}{handle})")


def _styled(raw: str, style: Style, block_code: bool) -> str:
    if block_code:
        return f"```\n{escape(raw, code=True)}\n```"
    text = escape(raw, code=style == Style.CODE)
    mark = _WRAP.get(style)
    core = text.strip()
    if mark is None or not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{core}{mark}{trail}"


def _chunks(text: str, budget: int, *, code: bool) -> list[str]:
    """Cut raw ``text`` so that each escaped chunk fits ``budget``, preferring to cut after whitespace."""
    if len(escape(text, code=code)) <= budget:
        return [text]
    chunks: list[str] = []
    start, size, space = 0, 0, -1
    for index, char in enumerate(text):
        width = len(escape(char, code=code))
        if size + width > budget:
            cut = space + 1 if space > start + (index - start) // 2 else index
            chunks.append(text[start:cut])
            start, space = cut, -1
            size = len(escape(text[start:index], code=code))
        if char.isspace():
            space = index
        size += width
    chunks.append(text[start:])
    return [chunk for chunk in chunks if chunk]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _invite_hint(code: str) -> Block:
    return _context(f"On Slack, people join with `{escape(f'/icebreaker join {code}', code=True)}`")


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
