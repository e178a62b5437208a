"""The exception tree of terminus-mcp.

Every error a user or a main agent can see carries three parts: *what* failed, *why*, and *how
to fix it*. ``str(error)`` joins them into one actionable message (``"what: why. Fix: how."``),
which the CLI prints and the MCP server returns as a tool error. Nothing here ever reaches the
agent as a traceback.

Failures of a command (non-zero exit, timeout) are *data* in an ``ExecResult``, not exceptions.
Exceptions are for a broken sandbox, a broken model endpoint, refused input and similar.

    TerminusError
    ├── ConfigError            a setting is invalid or missing
    │   └── ProjectConfigError .terminus.toml / devcontainer.json is malformed (environments)
    ├── WorkspaceError         a workdir is missing or outside the allowed roots
    ├── SandboxError           the container engine or a session is broken
    │   ├── DockerUnavailable  no Docker engine answers
    │   ├── ImageMissing       the sandbox image is not built
    │   ├── SetupFailed        a project's environment could not be set up (environments)
    │   └── SessionNotFound    no live session has that id
    ├── ModelError             the model backend failed
    │   ├── EndpointUnavailable  the endpoint is down or unreachable
    │   ├── ModelNotFound        the endpoint does not serve that model
    │   └── ModelReplyError      the endpoint's reply cannot be read (not JSON, wrong shapes)
    └── TaskError              a task request was refused
        ├── TaskNotFound       no task has that id
        └── Busy               too many tasks are running; retry later
"""

from __future__ import annotations


class TerminusError(Exception):
    """Base class: an error with a cause and a fix, rendered as one message."""

    def __init__(self, what: str, *, why: str = "", fix: str = "") -> None:
        self.what = what
        self.why = why
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = self.what.rstrip(".")
        if self.why:
            text += ": " + self.why.rstrip(".")
        text += "."
        if self.fix:
            text += " Fix: " + self.fix.rstrip(".") + "."
        return text

    def __str__(self) -> str:
        return self.message


class ConfigError(TerminusError):
    """A setting is invalid, or a setting that the requested action needs is missing."""


class WorkspaceError(TerminusError):
    """A working directory does not exist or resolves outside the allowed roots."""


class SandboxError(TerminusError):
    """The container engine or a sandbox session is broken."""


class DockerUnavailable(SandboxError):
    """No Docker engine answers on the configured socket."""


class ImageMissing(SandboxError):
    """The sandbox image has not been built or pulled."""


class SessionNotFound(SandboxError):
    """No live sandbox session has the given id (it expired, was closed, or never existed)."""


class ModelError(TerminusError):
    """The model backend failed in a way the loop cannot recover from on this turn."""


class EndpointUnavailable(ModelError):
    """The model endpoint is down, unreachable, or keeps failing after retries."""


class ModelNotFound(ModelError):
    """The endpoint answers but does not serve the configured model name."""


class ModelReplyError(ModelError):
    """The endpoint answered, but its reply cannot be read: not JSON, not UTF-8, or not shaped
    like a chat completion. Raised by the backend that read the reply."""


class TaskError(TerminusError):
    """A task request was refused."""


class TaskNotFound(TaskError):
    """No task has the given id (it never existed or its result expired)."""


class Busy(TaskError):
    """The server is at its task limit; the caller should retry after ``retry_after_s``."""

    def __init__(self, what: str, *, retry_after_s: float, why: str = "", fix: str = "") -> None:
        self.retry_after_s = retry_after_s
        super().__init__(what, why=why, fix=fix)
