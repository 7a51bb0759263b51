"""The stats chart: one PNG with the funnel and the poll, sent with the chat's `stats`, and attachments as values."""

from __future__ import annotations

import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from adapters.console import render
from bot.charts import stats_png
from bot.core import Core
from bot.messages import Attachment, Message, MessageBuilder
from bot.stats import EventStats
from tests.fakes import Talk, person

PNG = b"\x89PNG\r\n\x1a\n"


def figures(interests: tuple[tuple[str, int], ...] = ()) -> EventStats:
    return EventStats(30, 2, 25, 1, 1, 18, 4, 24, 20, 15, 4.2, 17, 3, interests)


@given(
    st.lists(st.tuples(st.binary(max_size=2000), st.text(max_size=40), st.text(max_size=80)), max_size=3),
    st.sampled_from(["image/png", "text/calendar", "application/octet-stream"]),
)
def test_attachments_survive_the_outbox_payload(files: list[tuple[bytes, str, str]], content_type: str) -> None:
    attachments = tuple(Attachment(name or "f", content_type, data, caption) for data, name, caption in files)
    message = MessageBuilder().line("Hello").build(attachments=attachments)
    assert Message.from_dict(message.to_dict()) == message


def test_a_payload_written_before_attachments_existed_still_reads() -> None:
    old = {"lines": [[{"t": "Hi", "s": "plain"}]], "buttons": [], "invite_code": None}
    assert Message.from_dict(old).attachments == ()


def test_the_chart_is_one_png_of_both_panels() -> None:
    png = stats_png("HR Tweetup", figures((("Python", 12), ("Hiking", 3))))
    assert png.startswith(PNG)
    assert Image.open(io.BytesIO(png)).size == (900, 450)
    empty = stats_png("HR Tweetup", figures())  # no poll yet: the right panel says so instead of failing
    assert Image.open(io.BytesIO(empty)).size == (900, 450) and empty != png


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=300),
    st.lists(
        st.tuples(
            st.one_of(st.text(min_size=1, max_size=200), st.sampled_from(["$\\frac{", "$x$", "<b>x</b>", "\\", "_^"])),
            st.integers(0, 10_000),
        ),
        max_size=20,
    ),
)
def test_any_names_draw_a_chart(title: str, interests: list[tuple[str, int]]) -> None:
    """Organisers' and members' words (TeX-looking, markup, 200 characters, 20 options) never break the chart."""
    png = stats_png(title, figures(tuple(interests)))
    assert Image.open(io.BytesIO(png)).size == (900, 450)


async def test_stats_in_chat_sends_the_chart_with_the_numbers(sqlite_core: Core) -> None:
    talk = Talk(sqlite_core)
    olivia, ann = person("Olivia"), person("Ann")
    created = await talk.say(olivia, '/newevent "Tech Mixer" 2026-12-10 18:30 Europe/London')
    code = re.search(r"Join code: (\w+)", created)
    assert code is not None
    await talk.say(olivia, "/poll Python, Hiking")
    await talk.say(ann, f"/join {code[1]}")
    await talk.say(olivia, "/stats")
    message = talk.last_message(olivia)
    assert "Joined: 1" in message.plain_text()
    [chart] = message.attachments
    assert chart.content_type == "image/png" and chart.filename == f"stats-{code[1]}.png"
    assert Image.open(io.BytesIO(chart.data)).size == (900, 450)


def test_the_console_names_the_file_and_its_size() -> None:
    message = (
        MessageBuilder()
        .line("Numbers")
        .build(attachments=(Attachment("stats-AB.png", "image/png", b"x" * 2500, "The funnel\x1b[2J"),))
    )
    assert render(message)[-1] == "📎 stats-AB.png (image/png, 2.5 kB): The funnel[2J"
