"""Rendering neutral messages as Block Kit: escaping, mentions, buttons and Slack's size limits."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.render import ZWSP, escape, render
from bot.messages import Button, Mention, Message, MessageBuilder, Run, Style, bold, code, italic


def unescape(mrkdwn: str) -> str:
    return mrkdwn.replace(ZWSP, "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_user_text_cannot_become_markup() -> None:
    message = MessageBuilder().line("Hi ", bold("<!channel> & <https://evil|ok>"), " from ", "<@U999>").build()
    rendered = render(message)
    [text] = sections(rendered.blocks)
    assert "<" not in text and ">" not in text
    assert text == "Hi *&lt;!channel&gt; &amp; &lt;https://evil|ok&gt;* from &lt;@U999&gt;"
    assert "<" not in rendered.text and "&lt;!channel&gt;" in rendered.text


@given(st.text())
def test_escaping_is_lossless_and_leaves_no_angle_brackets(value: str) -> None:
    escaped = escape(value)
    assert "<" not in escaped and ">" not in escaped
    assert re.search(r"&(?!amp;|lt;|gt;)", escaped) is None
    assert unescape(escaped) == value


def test_formatting_markers_in_user_text_are_fenced() -> None:
    message = MessageBuilder().line(bold("*not* _styled_ ~at~ `all`"), " ", italic("a_b")).build()
    [text] = sections(render(message).blocks)
    inner = text[1 : text.index("* ")]
    for marker in "*_~`":
        assert all(inner[i - 1] == ZWSP and inner[i + 1] == ZWSP for i, c in enumerate(inner) if c == marker)
    assert text.endswith(f" _a{ZWSP}_{ZWSP}b_")


def test_styles_wrap_the_text_but_not_its_surrounding_spaces() -> None:
    message = MessageBuilder().line("Join code: ", code("HR7K2Q"), bold(" Tweetup "), italic("")).build()
    assert sections(render(message).blocks) == ["Join code: `HR7K2Q` *Tweetup* "]


def test_multiline_code_is_a_preformatted_block_without_fences_inside() -> None:
    message = MessageBuilder().line(code('{\n  "display_name": "<b>"\n}')).build()
    [text] = sections(render(message).blocks)
    assert text == '```\n{\n  "display_name": "&lt;b&gt;"\n}\n```'


def test_mentions_only_for_slack_members() -> None:
    message = (
        MessageBuilder()
        .line(
            Mention("slack", "U123ABC", "Ada"),
            " meet ",
            Mention("telegram", "42", "Bob <!here>", "bob_b"),
            " and ",
            Mention("slack", "U1> <!channel", "Eve"),
        )
        .build()
    )
    [text] = sections(render(message).blocks)
    assert text.startswith("<@U123ABC> meet Bob &lt;!here&gt; (Telegram @bob")
    assert text.endswith(" and Eve (Slack)")


def test_buttons_become_actions_with_unique_ids_and_the_button_data() -> None:
    message = MessageBuilder().line("Pick").buttons(Button("A" * 100, "pick", "1.1"), Button("B", "pick", "2.1"))
    message.buttons(Button("Done", "picked", "7"))
    blocks = render(message.build()).blocks
    actions = [b for b in blocks if b["type"] == "actions"]
    elements = [e for b in actions for e in b["elements"]]
    assert len(actions) == 2
    assert [e["value"] for e in elements] == ["pick:1.1", "pick:2.1", "picked:7"]
    assert len({e["action_id"] for e in elements}) == 3
    assert len(elements[0]["text"]["text"]) == 75 and elements[0]["text"]["type"] == "plain_text"


def test_long_text_is_split_within_section_and_block_limits() -> None:
    body = "Fish & chips <3 " * 400  # 6400 characters, ~10000 once escaped
    message = MessageBuilder().line(bold("Broadcast")).line(body).line("end").build()
    rendered = render(message)
    texts = sections(rendered.blocks)
    assert len(texts) > 4 and all(0 < len(t) <= 3000 for t in texts)
    assert texts[0] == "*Broadcast*"
    assert unescape("".join(texts[1:])) == body + "\nend"  # nothing lost or doubled at the cuts


def test_a_huge_message_is_shortened_to_fifty_blocks_keeping_its_buttons() -> None:
    builder = MessageBuilder()
    for i in range(200):
        builder.line(f"{i} " + "x" * 2900)
    for i in range(30):
        builder.buttons(Button(str(i), "pick", str(i)))
    blocks = render(builder.build()).blocks
    assert len(blocks) == 50
    assert sum(len(b["elements"]) for b in blocks if b["type"] == "actions") == 30
    assert any("shortened" in b["elements"][0]["text"] for b in blocks if b["type"] == "context")


def test_an_invitation_says_how_to_join_on_slack() -> None:
    message = Message(((Run("Join code: "), Run("HR7K2Q", Style.CODE)),), invite_code="HR7K2Q")
    context = [b for b in render(message).blocks if b["type"] == "context"]
    assert context and "/icebreaker join HR7K2Q" in context[0]["elements"][0]["text"]


def test_an_empty_message_still_has_text() -> None:
    rendered = render(Message(((),)))
    assert rendered.text and rendered.blocks == []


def test_commands_are_written_the_slack_way() -> None:
    from adapters.slack.render import render
    from bot.messages import text

    rendered = render(text("Send /join CODE, then /interests. A path like a/join or //join stays."))
    section = rendered.blocks[0]["text"]["text"]
    assert "/icebreaker join CODE, then /icebreaker interests." in section
    assert "a/join" in section and "//join" in section and "/icebreaker icebreaker" not in section
    assert "/icebreaker join CODE" in rendered.text
