"""The instruction block that tells a main agent when to delegate to ``run_terminal_task``.

One text serves every channel: the MCP server sends it as its ``instructions``, ``terminus-mcp
install --with-instructions`` writes it into CLAUDE.md, AGENTS.md and similar files, and the
Claude Code plugin and Gemini CLI extension ship it. Keep it short: it costs context in every
session of the main agent.
"""

from __future__ import annotations

from terminus_mcp.errors import ConfigError

BLOCK_BEGIN = "<!-- terminus-mcp:begin (managed by `terminus-mcp install`) -->"
BLOCK_END = "<!-- terminus-mcp:end -->"

_INSTRUCTIONS = """\
## Delegating terminal work (terminus-mcp)

Use the `run_terminal_task` tool for builds, test runs, dependency installs and diagnosing \
failures. Say in `query` what to run and what to look for, and pass the project folder as \
`workdir`. A small model runs the commands in a sandbox (the project is mounted at \
/workspace) and answers with the commands it ran and a short summary, so long logs stay out \
of this conversation.

Run a command directly only when you need the full output of that one command.

If the answer has status `running`, collect it with `get_task_result` and its `task_id`. Pass \
the same `session_id` to keep files, working directory and environment between tasks. Use \
`read_task_log` only when the summary leaves out something you need.
"""


def delegation_instructions() -> str:
    """The instruction block for the main agent, as Markdown (ends with a newline)."""
    return _INSTRUCTIONS


def marked_block() -> str:
    """The instruction block between the marker comments ``install`` uses to find it again."""
    return f"{BLOCK_BEGIN}\n{delegation_instructions()}{BLOCK_END}\n"


def upsert_block(text: str) -> str:
    """``text`` with the marked instruction block replaced, or appended when absent.

    Idempotent: applying it to its own result changes nothing. Text outside the markers is kept
    byte for byte.

    Raises:
        ConfigError: the text has a begin marker without an end marker, so where the old block
            ends is unknown and replacing it could delete the user's own text.
    """
    block = marked_block()
    start = text.find(BLOCK_BEGIN)
    if start != -1:
        end = text.find(BLOCK_END, start)
        if end == -1:
            raise ConfigError(
                "the terminus-mcp instruction block has a begin marker but no end marker",
                why=f"the line {BLOCK_END!r} is missing, so the end of the old block is unknown",
                fix="delete the old block (from the begin marker on) by hand, then run again",
            )
        after = end + len(BLOCK_END)
        if text.startswith("\n", after):
            after += 1
        return text[:start] + block + text[after:]
    if not text:
        return block
    separator = "\n" if text.endswith("\n") else "\n\n"
    if text.endswith("\n\n"):
        separator = ""
    return text + separator + block
