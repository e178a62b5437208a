"""The server's guards on their own: bind/token rule, token check, workdir bounds, result caps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terminus_mcp.agent.result import CommandRecord, TaskResult, TaskStatus
from terminus_mcp.errors import ConfigError, WorkspaceError
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.server.auth import StaticTokenVerifier, http_auth, is_loopback
from terminus_mcp.server.outcome import outcome_of, render
from terminus_mcp.server.tasks import TaskPhase, TrackedTask
from terminus_mcp.server.workdirs import paths_of_roots, requested_workdir
from terminus_mcp.service import TaskRequest
from terminus_mcp.settings import Settings


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_bind_without_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"refusing to serve on 0\.0\.0\.0 without an auth token"):
        http_auth(Settings(host="0.0.0.0", auth_token=None, auth_token_file=None))


def test_loopback_without_token_has_no_auth_and_with_token_has_auth(tmp_path: Path) -> None:
    assert http_auth(Settings(host="127.0.0.1")) is None
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token\n")
    auth = http_auth(Settings(host="0.0.0.0", auth_token_file=token_file))
    assert auth is not None
    assert auth[1].resource_server_url is None  # no OAuth metadata advertised


@pytest.mark.anyio
async def test_token_verifier_accepts_only_the_token() -> None:
    verifier = StaticTokenVerifier("right-token")
    assert await verifier.verify_token("right-token") is not None
    assert await verifier.verify_token("right-tokeN") is None
    assert await verifier.verify_token("") is None


def test_workdir_must_exist_and_stay_inside_every_bound(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    other = tmp_path / "other"
    other.mkdir()
    (project / "escape").symlink_to(other)

    def check(requested: str | None, client_roots: list[Path] | None = None) -> Path:
        asked = requested_workdir(requested, project)
        return resolve_workdir(asked, [tmp_path], client_roots=client_roots)

    assert check(None) == project
    assert check("sub") == project / "sub"
    with pytest.raises(WorkspaceError, match="not an existing folder"):
        check("missing")
    with pytest.raises(WorkspaceError, match="is not allowed: it is outside the allowed roots"):
        check("/")
    # The client's roots narrow the allowed roots; a symlink is judged by where it points.
    with pytest.raises(WorkspaceError, match="outside the roots your MCP client offers"):
        check("escape", client_roots=[project])
    assert check("escape", client_roots=[other]) == other
    assert paths_of_roots([project.as_uri(), "https://example.org/x"]) == [project]


@pytest.mark.anyio
async def test_result_stays_under_the_cap_with_head_and_tail() -> None:
    answer = "HEAD " + "x" * 100_000 + " TAIL"
    task = TrackedTask(
        id="t-1",
        request=TaskRequest(query="q", workdir=Path.cwd()),
        submitted_at=0.0,
        phase=TaskPhase.DONE,
        result=TaskResult(
            status=TaskStatus.COMPLETED,
            answer=answer,
            commands=[
                CommandRecord(
                    command="c" * 500, exit_code=0, duration_s=1, output_chars=1, output_tokens=1
                )
            ]
            * 40,
        ),
    )
    result = render(outcome_of(task), max_chars=5000)
    text = result.content[0].text  # type: ignore[union-attr]
    total = len(text) + len(json.dumps(result.structured_content, separators=(",", ":")))
    assert total <= 5000
    assert text.startswith("HEAD ")
    assert "TAIL" in text
    assert "characters cut; read_task_log has the raw output" in text
