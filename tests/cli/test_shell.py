"""`icebreaker shell` used as a person would: a real subprocess, scripted stdin, assertions on output and storage."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select

from storage.database import Database, alembic_config
from storage.models import Member, MemberInterest, Participant


def shell(url: str, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ICEBREAKER_DATABASE_URL": url, "ICEBREAKER_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "shell", *args],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_a_whole_event_in_the_shell(database: Database) -> None:
    first = shell(
        database.url,
        '/newevent "HR Tweetup London" 2026-12-10 18:30 Europe/London\n/poll Python, Recruiting, Hiking\n',
        "--as",
        "Olivia",
    )
    assert first.returncode == 0, first.stderr
    code = re.search(r"Join code: (\w+)", first.stdout)
    assert code, first.stdout
    script = (
        "\n".join(
            [
                "/as Alice",
                f"/join {code[1]}",
                "1",
                "1",
                "3",
                "4",  # choose interests, Python, Hiking, Done
                "/as Bob",
                f"/join {code[1]}",
                "1",
                "2",
                "4",
                "4",  # Recruiting, Done, Done again (harmless)
                "/pause 2",
                "/as Alice",
                "/mydata",
                "/forget",
                "1",
                "/as Olivia",
                "/stats",
                "/broadcast <b>See you</b> <!channel>",
                "9",  # no such button (and the preview of nobody has no Send to press)
            ]
        )
        + "\n"
    )
    second = shell(database.url, script)
    out = second.stdout
    assert second.returncode == 0, second.stderr
    assert "Welcome to HR Tweetup London" in out
    assert "[1] ✅ Python   [2] Recruiting" in out
    assert "Saved: Python, Hiking." in out
    assert "Saved: Recruiting." in out
    assert "Paused for 2 weeks" in out
    exported = json.loads(out[out.index("{", out.index("Everything I store about you:")) : out.index("\n   }") + 5])
    assert exported["display_name"] == "Alice" and exported["events"][0]["interests"] == ["Python", "Hiking"]
    assert "everything about you is erased" in out
    assert "Joined: 1" in out and "Answered the poll: 1 of 1" in out  # Alice erased, Bob answered
    assert "To: all (0 people)" in out and "<b>See you</b> <!channel>" in out  # the preview, as typed
    assert "Nobody is in “all” of HR Tweetup London right now, so there is nothing to send" in out  # no Send
    assert "There is no button 9 on your last message with buttons." in out
    assert "Traceback" not in out + second.stderr

    async with database.transaction() as session:
        members = (await session.scalars(select(Member.platform_user_id).order_by(Member.id))).all()
        bob = (await session.scalars(select(Member).where(Member.platform_user_id == "bob"))).one()
        interests = (await session.scalars(select(MemberInterest).where(MemberInterest.member_id == bob.id))).all()
        answered = (await session.scalars(select(Participant.answered_at))).all()
    assert members == ["olivia", "bob"]
    assert bob.status == "paused" and len(interests) == 1 and all(answered)


def test_the_shell_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = shell(f"sqlite:///{tmp_path / 'new.db'}", "/help\n")
    assert result.returncode == 2
    assert "Run `icebreaker db upgrade` first." in result.stderr


def test_db_upgrade_then_shell(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    env = {**os.environ, "ICEBREAKER_DATABASE_URL": url}
    upgrade = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert upgrade.returncode == 0 and f"revision {head}" in upgrade.stdout
    assert "What I can do" in shell(url, "/help\n").stdout


def test_bad_settings_stop_start_up(tmp_path: Path) -> None:
    env = {**os.environ, "ICEBREAKER_HTTP_PORT": "-5"}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "shell"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        input="",
    )
    assert result.returncode == 2 and "ICEBREAKER_HTTP_PORT" in result.stderr


def test_run_without_tokens_explains_how_to_configure() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICEBREAKER_")}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "ICEBREAKER_TELEGRAM_TOKEN" in result.stderr and "icebreaker demo" in result.stderr


def test_the_shell_creates_the_default_database_itself(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ICEBREAKER_DATABASE_URL"} | {"ICEBREAKER_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "shell"],
        input="/help\n",
        capture_output=True,
        text=True,
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr  # was: "Run `icebreaker db upgrade` first."
    assert "What I can do" in result.stdout
    assert (tmp_path / "icebreaker.db").exists()
