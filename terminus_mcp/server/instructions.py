"""The short instruction block the server sends to clients at connection time.

Clients put it into the main agent's context, so every word costs tokens on every turn; it says
only when to delegate and how the start-then-collect flow works.
"""

from __future__ import annotations

INSTRUCTIONS = """\
terminus runs noisy terminal work in a sandbox (your project is mounted at /workspace) and \
returns a short summary instead of the raw output.
Use run_terminal_task for builds, test runs, installs and diagnosing failures; say in the \
query what to run and what to look for. Run a command directly only when you need the full \
output of that one command.
A task not done within wait_seconds answers status "running" with a task_id: collect it with \
get_task_result. Pass the same session_id to keep files, cwd and env between tasks. \
read_task_log pages through the raw output when the summary is not enough."""
