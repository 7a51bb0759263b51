"""`icebreaker shell` serves the dashboard too, so an organiser can try /dashboard there; a busy port is said,
not fatal. A real subprocess, talked to line by line while its link is opened over HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys

import httpx

from storage.database import Database


async def start_shell(url: str, port: int) -> asyncio.subprocess.Process:
    env = {**os.environ, "ICEBREAKER_DATABASE_URL": url, "ICEBREAKER_HTTP_PORT": str(port)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "shell", "--as", "Olivia",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


async def read_until(process: asyncio.subprocess.Process, pattern: str) -> re.Match[str]:
    assert process.stdout is not None
    seen = ""
    async with asyncio.timeout(60):
        while (found := re.search(pattern, seen)) is None:
            chunk = await process.stdout.read(4096)
            assert chunk, f"the shell ended before {pattern!r}: {seen}"
            seen += chunk.decode()
    return found


async def say(process: asyncio.subprocess.Process, line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line.encode() + b"\n")
    await process.stdin.drain()


async def test_the_shell_gives_a_link_that_opens_its_dashboard(sqlite_database: Database) -> None:
    process = await start_shell(sqlite_database.url, 0)
    try:
        await read_until(process, r"Dashboard: http://127\.0\.0\.1:\d+/dashboard/")
        await say(process, '/newevent "Shell Mixer" 2026-12-10 18:30 Europe/London')
        await say(process, "/dashboard")
        link = (await read_until(process, r"(http://127\.0\.0\.1:\d+/dashboard/signin/\S+)")).group(1)
        async with httpx.AsyncClient() as client:
            page = await client.get(link)
        assert page.status_code == 200 and "Sign in to your dashboard" in page.text
    finally:
        await say(process, "/quit")
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0


async def test_a_busy_port_leaves_the_shell_working_and_dashboard_says_why(sqlite_database: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = await start_shell(sqlite_database.url, taken.getsockname()[1])
        try:
            await read_until(process, r"The dashboard is not served: 127\.0\.0\.1:\d+ is busy")
            await say(process, '/newevent "Shell Mixer" 2026-12-10 18:30 Europe/London')
            await say(process, "/dashboard")
            await read_until(process, r"The dashboard isn't served by this process")
        finally:
            await say(process, "/quit")
            await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
