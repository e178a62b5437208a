"""Guards against a small model's usual failure modes: malformed calls, several calls in one
turn, and running in circles."""

from __future__ import annotations

from dataclasses import dataclass, field

from terminus_mcp.agent.contract import TOOL_NAME

IGNORED_CALL = (
    f"Not run: only one {TOOL_NAME} call is allowed per turn, and the first one of this turn "
    "ran. Make this call again on a later turn if you still need it."
)

NO_ACTION = (
    f"Your reply had neither a {TOOL_NAME} call nor a <final_answer> block. Either call "
    f"{TOOL_NAME} with the next command, or, if the task is done, reply with only the "
    "<final_answer> block."
)


@dataclass
class FormatBudget:
    """Counts consecutive malformed replies; a well-formed call resets the count."""

    retries: int
    used: int = 0

    def spend(self) -> bool:
        """Record one malformed reply; True while a correction may still be sent."""
        self.used += 1
        return self.used <= self.retries

    def reset(self) -> None:
        self.used = 0


def _normalize(command: str) -> str:
    return " ".join(command.split())


@dataclass
class LoopDetector:
    """Spots a model going in circles before it runs the command that closes the circle.

    Two patterns end the task: the same command a third time in a row (A, A, A), and two
    commands alternating (A, B, A, B). Both are checked on the command about to run.
    """

    repeats: int = 3
    history: list[str] = field(default_factory=list)

    def check(self, command: str) -> str | None:
        """A note saying why running ``command`` now would be a loop, or ``None``."""
        key = _normalize(command)
        recent = self.history[-(self.repeats - 1) :]
        if len(recent) == self.repeats - 1 and all(c == key for c in recent):
            return (
                f"Note: the task was stopped because the model asked to run `{command}` "
                f"{self.repeats} times in a row."
            )
        if len(self.history) >= 3:
            first, second, third = self.history[-3:]
            if first == third and second == key and first != key:
                return (
                    f"Note: the task was stopped because the model kept alternating between "
                    f"`{first}` and `{command}`."
                )
        return None

    def record(self, command: str) -> None:
        self.history.append(_normalize(command))
