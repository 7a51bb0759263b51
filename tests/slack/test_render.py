"""Rendering neutral messages as Block Kit rich text: literal text, exact handles, mentions, buttons, limits."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.render import render, slack_commands
from bot.messages import Button, Mention, Message, MessageBuilder, Run, Style, bold, code, italic
from tests.slack.stand_in import SlackStandIn, visible_text

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def parts(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rich text part (text, user, link), in order."""
    return [
        part
        for block in blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
        for part in element["elements"]
    ]


def joined(blocks: list[dict[str, Any]]) -> str:
    return "".join(part.get("text", "") for part in parts(blocks))


def test_user_text_cannot_become_markup() -> None:
    message = MessageBuilder().line("Hi ", bold("<!channel> & <https://evil|ok>"), " from ", "<@U999>").build()
    rendered = render(message)
    found = parts(rendered.blocks)
    assert [p["type"] for p in found] == ["text"] * 4  # no user, link or broadcast element came out of the text
    assert found[1] == {"type": "text", "text": "<!channel> & <https://evil|ok>", "style": {"bold": True}}
    assert "<" not in rendered.text and "&lt;!channel&gt;" in rendered.text  # the mrkdwn notification, escaped


def test_handles_and_keys_copy_byte_for_byte() -> None:
    """The regression: mrkdwn made these `@amir\u200b_\u200bk` and `interest\u200b_\u200bprompt`."""
    message = (
        MessageBuilder()
        .line("Step ", bold("interest_prompt"), " and ", code("say_hi"), ": ", italic("*_~`"))
        .line(Mention("telegram", "42", "Amir", "amir_k"), " and ", Mention("console", "x", "Cy", "__cy__"))
        .build()
    )
    rendered = render(message)
    texts = [p.get("text") for p in parts(rendered.blocks)]
    assert "interest_prompt" in texts and "say_hi" in texts and "*_~`" in texts
    link = next(p for p in parts(rendered.blocks) if p["type"] == "link")
    assert link == {"type": "link", "url": "https://t.me/amir_k", "text": "@amir_k"}
    assert "Cy (Console @__cy__)" in texts
    for where in (joined(rendered.blocks), rendered.text):
        assert not any(mark in where for mark in ZERO_WIDTH)
    assert "interest_prompt" in rendered.text and "say_hi" in rendered.text


styles = st.sampled_from([Style.PLAIN, Style.BOLD, Style.ITALIC, Style.CODE])
one_line = st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40)
runs = st.builds(Run, one_line, styles)
handles = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=20)
mentions = st.builds(
    Mention,
    st.sampled_from(["slack", "telegram", "console"]),
    st.text(alphabet="UW0123456789ABC", min_size=1, max_size=10),
    st.text(min_size=1, max_size=20),
    st.one_of(st.none(), handles),
)


def reconstructed(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(
        "".join(p.get("text", "") for p in element["elements"]) for b in blocks for element in b["elements"]
    )


@given(st.lists(st.lists(runs, max_size=6), max_size=8))
def test_every_run_arrives_exactly_and_slack_would_accept_it(raw: list[list[Run]]) -> None:
    message = Message(tuple(tuple(line) for line in raw))
    blocks = render(message).blocks
    SlackStandIn._check_blocks(blocks, 50)  # the stand-in's rules, as Slack documents them
    expected = "\n".join("".join(slack_commands(run.text) for run in line) for line in raw)
    assert reconstructed(blocks) == expected.strip("\n")  # (Slack trims a message's leading and trailing lines)


@given(st.lists(st.lists(st.one_of(runs, mentions), max_size=6), max_size=8))
def test_every_handle_arrives_byte_for_byte(raw: list[list[Run | Mention]]) -> None:
    blocks = render(Message(tuple(tuple(line) for line in raw))).blocks
    SlackStandIn._check_blocks(blocks, 50)
    shown = reconstructed(blocks)
    for piece in (p for line in raw for p in line):
        if isinstance(piece, Mention) and piece.handle and not (piece.platform == "slack" and piece.user_id[0] in "UW"):
            assert f"@{piece.handle}" in shown


def test_styles_are_fields_and_whitespace_is_never_styled() -> None:
    message = MessageBuilder().line("Join code: ", code("HR7K2Q"), bold(" Tweetup "), bold("  "), italic("")).build()
    found = parts(render(message).blocks)
    assert found == [
        {"type": "text", "text": "Join code: "},
        {"type": "text", "text": "HR7K2Q", "style": {"code": True}},
        {"type": "text", "text": " Tweetup ", "style": {"bold": True}},
        {"type": "text", "text": "  "},
    ]


def test_lines_are_line_breaks_and_multiline_code_is_preformatted() -> None:
    message = MessageBuilder().line("one").line("two").blank().line(code('{\n  "display_name": "<b>"\n}')).build()
    [block] = render(message).blocks
    section, pre = block["elements"]
    assert section == {
        "type": "rich_text_section",
        "elements": [{"type": "text", "text": "one"}, {"type": "text", "text": "\n"}, {"type": "text", "text": "two"}],
    }
    assert pre == {
        "type": "rich_text_preformatted",
        "elements": [{"type": "text", "text": '{\n  "display_name": "<b>"\n}'}],
    }


def test_mentions_only_for_slack_members() -> None:
    message = (
        MessageBuilder()
        .line(
            Mention("slack", "U123ABC", "Ada"),
            " meet ",
            Mention("telegram", "42", "Bob <!here>"),
            " and ",
            Mention("slack", "U1> <!channel", "Eve"),
        )
        .build()
    )
    found = parts(render(message).blocks)
    assert found[0] == {"type": "user", "user_id": "U123ABC"}
    assert found[2] == {"type": "text", "text": "Bob <!here> (Telegram)"}
    assert found[4] == {"type": "text", "text": "Eve (Slack)"}


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


def test_long_text_is_split_within_block_limits_losing_nothing() -> None:
    body = "Fish & chips <3 " * 400  # 6400 characters
    message = MessageBuilder().line(bold("Broadcast")).line(body).line("end").build()
    rendered = render(message)
    blocks = [b for b in rendered.blocks if b["type"] == "rich_text"]
    sizes = [sum(len(p.get("text", "")) for e in b["elements"] for p in e["elements"]) for b in blocks]
    assert len(blocks) >= 3 and all(0 < size <= 3000 for size in sizes)
    assert parts(blocks[:1])[0] == {"type": "text", "text": "Broadcast", "style": {"bold": True}}
    assert joined(blocks).replace("\n", "") == "Broadcast" + body + "end"  # nothing lost or doubled at the cuts


def test_a_huge_message_is_shortened_to_fifty_blocks_keeping_its_buttons() -> None:
    builder = MessageBuilder()
    for i in range(200):
        builder.line(f"{i} " + "x" * 2900)
    for i in range(30):
        builder.buttons(Button(str(i), "pick", str(i)))
    blocks = render(builder.build()).blocks
    assert len(blocks) == 50
    assert sum(len(b["elements"]) for b in blocks if b["type"] == "actions") == 30
    assert "(message shortened)" in visible_text({"blocks": blocks})


def test_an_invitation_says_how_to_join_on_slack() -> None:
    message = Message(((Run("Join code: "), Run("HR7K2Q", Style.CODE)),), invite_code="HR7K2Q")
    found = parts(render(message).blocks)
    assert {"type": "text", "text": "/icebreaker join HR7K2Q", "style": {"code": True}} in found


def test_an_empty_message_still_has_text() -> None:
    rendered = render(Message(((),)))
    assert rendered.text and rendered.blocks == []


def test_commands_are_written_the_slack_way() -> None:
    from bot.messages import text

    rendered = render(text("Send /join CODE, then /interests. A path like a/join or //join stays."))
    written = joined(rendered.blocks)
    assert "/icebreaker join CODE, then /icebreaker interests." in written
    assert "a/join" in written and "//join" in written and "/icebreaker icebreaker" not in written
    assert "/icebreaker join CODE" in rendered.text
