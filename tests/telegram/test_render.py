"""Rendering and splitting (pure): styling travels as entities counted in UTF-16 units, never as markup."""

from __future__ import annotations

import qrcode

from adapters.telegram.render import EMPTY, qr_png, render, split
from bot.messages import Button, Mention, Message, MessageBuilder, Run, bold, italic, text


def entities(message: Message) -> list[tuple[str, int, int]]:
    return [(e.type, e.offset, e.length) for e in render(message).entities]


def test_styles_become_entities_in_utf16_units() -> None:
    message = MessageBuilder().line("🎉 ", bold("Tech"), " ", italic("Mixer")).line(bold("ok")).build()
    rendered = render(message)
    assert rendered.text == "🎉 Tech Mixer\nok"
    assert entities(message) == [("bold", 3, 4), ("italic", 8, 5), ("bold", 14, 2)]  # 🎉 is two units


def test_markup_in_names_is_text() -> None:
    message = MessageBuilder().line("from ", italic("<b>x</b> *_[`"), " & <a href='x'>").build()
    rendered = render(message)
    assert rendered.text == "from <b>x</b> *_[` & <a href='x'>"
    assert entities(message) == [("italic", 5, 13)]


def test_mentions() -> None:
    ann = Mention("telegram", "201", "Ann Able", "ann_able")
    ben = Mention("telegram", "202", "Ben 🐝")
    sam = Mention("slack", "U123", "Sam", "sam")
    rendered = render(Message(((Run("Meet "), ann, Run(", "), ben, Run(" and "), sam),)))
    assert rendered.text == "Meet @ann_able, Ben 🐝 and Sam"
    [mention] = rendered.entities
    assert (mention.type, mention.offset, mention.length) == ("text_mention", 16, 6)
    assert mention.user is not None and mention.user.id == 202


def test_keyboard_rows_and_callback_data() -> None:
    message = MessageBuilder().line("Pick").buttons(Button("A", "pick", "1.1"), Button("B", "pick", "2.1")).build()
    keyboard = render(message).keyboard
    assert keyboard is not None
    assert [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard] == [
        [("A", "pick:1.1"), ("B", "pick:2.1")]
    ]


def test_invitation_gets_a_deep_link_line_and_button() -> None:
    message = MessageBuilder().line("Join code: HR7K2Q").build(invite_code="HR7K2Q")
    rendered = render(message, bot_username="icebreaker_test_bot")
    assert rendered.text.endswith("\n\nJoin with one tap: https://t.me/icebreaker_test_bot?start=HR7K2Q")
    assert rendered.keyboard is not None
    assert rendered.keyboard.inline_keyboard[-1][0].url == "https://t.me/icebreaker_test_bot?start=HR7K2Q"
    assert "t.me" not in render(message).text  # no username known: no link


def test_short_text_is_one_part_trimmed() -> None:
    [part] = split(render(MessageBuilder().blank().line(bold("Hi")).blank().build()))
    assert part.text == "Hi" and [(e.offset, e.length) for e in part.entities] == [(0, 2)]


def test_empty_message_still_has_text() -> None:
    keyboard_only = Message((), ((Button("Done", "picked", "1"),),))
    [part] = split(render(keyboard_only))
    assert part.text == EMPTY and part.keyboard is not None


def test_split_without_spaces_cuts_at_the_limit() -> None:
    parts = split(render(text("x" * 5000)))
    assert [len(p.text) for p in parts] == [4096, 904]


def test_split_counts_utf16_units() -> None:
    parts = split(render(text("🙂" * 3000)))  # 6000 units
    assert [len(p.text) for p in parts] == [2048, 952]
    assert "".join(p.text for p in parts) == "🙂" * 3000


def test_split_prefers_lines_and_keeps_entities_across_the_cut() -> None:
    long_line = "word " * 700  # 3500 characters
    message = MessageBuilder().line(long_line.strip()).line(bold("b" * 400 + " " + "b" * 400)).build()
    first, second = split(render(message), limit=3900)
    assert first.text == long_line.strip()  # cut at the line break, not inside the bold run
    assert [(e.type, e.offset, e.length) for e in second.entities] == [("bold", 0, 801)]
    first, second = split(render(MessageBuilder().line(bold("a" * 50 + " " + "b" * 50)).build()), limit=60)
    assert (first.text, second.text) == ("a" * 50, "b" * 50)
    assert [(e.offset, e.length) for e in first.entities] == [(0, 50)]
    assert [(e.offset, e.length) for e in second.entities] == [(0, 50)]


def test_qr_png_encodes_the_link() -> None:
    import png  # pypng, which qrcode writes with: an independent decoder of the bytes we send

    link = "https://t.me/icebreaker_test_bot?start=HR7K2Q"
    data = qr_png(link, scale=4)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, rows, _ = png.Reader(bytes=data).read()
    pixels = [list(row) for row in rows]
    assert width == height
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    expected.add_data(link)
    expected.make(fit=True)
    matrix = expected.get_matrix()
    seen = [[pixels[4 * y + 2][4 * x + 2] == 0 for x in range(width // 4)] for y in range(height // 4)]
    assert seen == matrix
