"""The judge against a scripted OpenAI-compatible server on 127.0.0.1 (the one test double:
no judge model can run here)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from terminus_mcp.errors import EndpointUnavailable, ModelNotFound
from terminus_mcp.eval.judge import Judge, JudgeReplyError, parse_scores, rubric
from terminus_mcp.eval.results import TaskRow
from terminus_mcp.eval.suite import Repository, TaskSpec

pytestmark = pytest.mark.anyio

GOOD = json.dumps(
    {
        "completion": 5,
        "accuracy": 4,
        "informativeness": 4,
        "relevance": 5,
        "actionability": 3,
        "rationale": "names both failures",
    }
)


class JudgeServer:
    """Serves ``/v1/models`` and plays ``replies`` to ``/v1/chat/completions`` in order."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "judge-1", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                server.requests.append(json.loads(self.rfile.read(length)))
                content = server.replies.pop(0)
                self._send(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "judge-1",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                )

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> JudgeServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def task(tmp_path: Path) -> TaskSpec:
    return TaskSpec(
        name="t",
        source=tmp_path / "t.toml",
        repository=Repository(fixture=Path("repo")),
        query="Run `make` and report errors.",
        baseline_commands=["make"],
        key_facts=["x"],
    )


def _row() -> TaskRow:
    return TaskRow(
        name="t",
        status="completed",
        done=True,
        facts_found=1,
        facts_total=1,
        answer="<final_answer>Command: make\nSummary: 1 error</final_answer>",
    )


def test_parse_scores_tolerates_fences_and_prose() -> None:
    scores = parse_scores(f"Here you go:\n```json\n{GOOD}\n```")
    assert (scores.completion, scores.actionability) == (5, 3)
    assert scores.mean == pytest.approx(4.2)


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("all good, 5/5", "no JSON object"),
        ('{"completion": 5,}', "malformed"),
        (GOOD.replace('"accuracy": 4', '"accuracy": 9'), "accuracy"),
        (GOOD.replace('"relevance": 5, ', ""), "relevance"),
    ],
)
def test_parse_scores_refuses_bad_replies(reply: str, problem: str) -> None:
    with pytest.raises(JudgeReplyError, match=problem):
        parse_scores(reply)


async def test_unreadable_reply_is_corrected_then_graded(task: TaskSpec) -> None:
    with JudgeServer(["I think it is fine.", GOOD]) as server:
        async with Judge(server.url) as judge:
            row = await judge.grade_row(task, _row(), ["src/a.c:3: error: x\n" * 3])
    assert row.judge is not None
    assert row.judge.accuracy == 4
    assert row.judge_error is None
    first, second = server.requests
    assert first["model"] == "judge-1"
    assert first["messages"][0]["content"] == rubric()
    prompt = first["messages"][1]["content"]
    assert "Run `make`" in prompt
    assert "$ make\nsrc/a.c:3: error: x" in prompt
    assert "Summary: 1 error" in prompt
    assert second["messages"][-1]["role"] == "user"
    assert "could not be read: the reply holds no JSON object" in second["messages"][-1]["content"]


async def test_replies_unreadable_every_time_are_reported(task: TaskSpec) -> None:
    with JudgeServer(["nope"] * 3) as server:
        async with Judge(server.url, attempts=3) as judge:
            row = await judge.grade_row(task, _row(), ["out"])
    assert row.judge is None
    assert row.judge_error is not None
    assert "no readable grades after 3 attempts" in row.judge_error
    assert "'nope'" in row.judge_error
    assert len(server.requests) == 3


async def test_unknown_model_is_refused() -> None:
    with JudgeServer([]) as server, pytest.raises(ModelNotFound, match="judge-1"):
        async with Judge(server.url, model="other"):
            pass


async def test_endpoint_down_is_a_clear_error() -> None:
    with JudgeServer([]) as server:
        url = server.url
    with pytest.raises(EndpointUnavailable, match="--judge-url"):
        async with Judge(url, timeout_s=2):
            pass


def test_rubric_names_the_five_axes() -> None:
    text = rubric()
    for axis in ("completion", "accuracy", "informativeness", "relevance", "actionability"):
        assert f"## {axis}" in text


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine's HTTP proxy must not see loopback traffic.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
