"""An in-memory sandbox engine: the test double of the sandbox seam.

Public API, for users' own tests as much as ours: run the loop, the service or the MCP server
without a container engine, in milliseconds. Nothing runs on the host. Commands are
*interpreted* by a tiny shell that knows a handful of builtins; anything else is answered from a
script, or with bash's ``command not found``::

    sandboxes = FakeSandboxes({"pytest -q": FakeReply(output="1 failed\\n", exit_code=1)})
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        ...

Results follow the same contract as a container session (the conformance suite,
:mod:`terminus_mcp.sandbox.conformance`, checks both): combined output capped to a head and a
tail, a flood killed past a threshold, a timeout that keeps the output so far and kills what the
command started, cancellation that kills and re-raises, ``cd`` and ``export`` that persist, and
``exit`` that ends the shell (the next command gets a fresh one in the same folder).

The tiny shell:

- lists ``a; b``, ``a && b``, ``a || b``, ``a &`` and subshells ``( ... )``;
- words in ``'single'`` or ``"double"`` quotes, backslash escapes, ``$NAME``, ``${NAME}``,
  ``$?``, ``NAME=value`` (alone: set it; before a command: for that command only);
- redirections ``>&2``, ``2>&1`` (output is combined anyway), ``>/dev/null``,
  ``2>/dev/null``, ``</dev/null`` (stdin is always closed);
- builtins ``:``, ``true``, ``false``, ``echo``, ``printf``, ``pwd``, ``cd``, ``mkdir``,
  ``export``, ``unset``, ``read``, ``cat``, ``sleep``, ``yes``, ``seq``, ``exit``.

There is no file system beyond a set of folder names (``/``, ``/tmp``, ``/workspace`` and what
``mkdir`` makes): the host workdir is never read or written. A background job is only
simulated for ``sleep`` (it stays in :meth:`FakeSession.processes` until it ends or is killed);
other commands run to completion in the foreground. Pipes, command substitution, globbing and
file redirections are refused with exit status 2 and a message that says so.
"""

from __future__ import annotations

import math
import posixpath
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import anyio
import anyio.lowlevel
from pydantic import BaseModel, ConfigDict

from terminus_mcp import __version__
from terminus_mcp.errors import SandboxError, SessionNotFound
from terminus_mcp.sandbox import shell as wire
from terminus_mcp.sandbox.api import (
    EngineCapabilities,
    EngineInfo,
    ExecResult,
    OutputCallback,
    SessionEvent,
    SessionInfo,
    SessionSpec,
)
from terminus_mcp.sandbox.hardening import CONTAINER_ENV, WORKSPACE
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.settings import Settings

__all__ = ["FakeReply", "FakeSandboxes", "FakeSession", "Responder"]

FAKE_CAPABILITIES = EngineCapabilities(isolation=False, resource_limits=False)
"""The fake isolates nothing and limits nothing: it never runs anything on the host."""

CHUNK = 64 * 1024
"""Bytes ``yes`` and ``seq`` write between two checkpoints (where timeouts and cancellation
take effect)."""


class FakeReply(BaseModel):
    """What a scripted command prints and returns."""

    model_config = ConfigDict(frozen=True)

    output: str | bytes = ""
    exit_code: int = 0
    delay_s: float = 0.0
    """Seconds the command takes (it counts as a running process meanwhile, and a timeout or a
    cancellation during it kills it)."""


Responder = Callable[[str], "FakeReply | str | None"]
"""Answers a command the script does not hold (``None``: not handled)."""


# --- errors inside the interpreter ----------------------------------------------------------


class _Unsupported(Exception):
    """The command uses shell syntax the fake does not interpret (exit status 2)."""


class _Exit(Exception):
    """``exit N``: ends the (sub)shell."""

    def __init__(self, code: int) -> None:
        self.code = code


class _Flood(Exception):
    """The command printed past the kill threshold."""


# --- words and the parser -------------------------------------------------------------------


@dataclass(frozen=True)
class _Var:
    name: str


Word = tuple["str | _Var", ...]


@dataclass(frozen=True)
class _Redirect:
    fd: int
    op: str
    target: Word


@dataclass
class _Simple:
    words: list[Word]
    redirects: list[_Redirect]


@dataclass
class _Subshell:
    body: _List
    redirects: list[_Redirect]


@dataclass
class _AndOr:
    first: _Simple | _Subshell
    rest: list[tuple[str, _Simple | _Subshell]]


@dataclass
class _List:
    items: list[tuple[_AndOr, bool]]
    """Each and-or list, and whether it runs in the background (``&``)."""


_OPERATORS = ("&&", "||", ";", "&", "|", "(", ")")
_REDIRECT = re.compile(r"(\d?)(>>|>&|>|<)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_END = " \t\n;&|()<>"


def _tokenize(text: str) -> list[str | Word | _Redirect]:
    """Operators as strings, words as :data:`Word` tuples, redirections with their target."""
    tokens: list[str | Word | _Redirect] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t":
            i += 1
        elif char == "\n":
            tokens.append(";")
            i += 1
        elif char == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif match := _REDIRECT.match(text, i):
            i = match.end()
            while i < n and text[i] in " \t":
                i += 1
            target, i = _read_word(text, i)
            if not target:
                raise _Unsupported(f"syntax error: a redirection needs a target near {text[i:]!r}")
            fd = int(match.group(1)) if match.group(1) else (0 if match.group(2) == "<" else 1)
            tokens.append(_Redirect(fd=fd, op=match.group(2), target=target))
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(op)
            i += len(op)
        else:
            word, i = _read_word(text, i)
            tokens.append(word)
    return tokens


def _read_word(text: str, i: int) -> tuple[Word, int]:
    parts: list[str | _Var] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            parts.append("".join(buf))
            buf.clear()

    n = len(text)
    while i < n and text[i] not in _WORD_END:
        char = text[i]
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _Unsupported("syntax error: unterminated single quote")
            buf.append(text[i + 1 : end])
            i = end + 1
        elif char == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    buf.append(text[i + 1])
                    i += 2
                elif text[i] == "$":
                    i = _read_dollar(text, i, buf, parts, flush)
                elif text[i] == "`":
                    raise _Unsupported("command substitution is not supported")
                else:
                    buf.append(text[i])
                    i += 1
            if i >= n:
                raise _Unsupported("syntax error: unterminated double quote")
            i += 1
        elif char == "\\":
            if i + 1 < n:
                buf.append(text[i + 1])
            i += 2
        elif char == "$":
            i = _read_dollar(text, i, buf, parts, flush)
        elif char in "*?[`~" and not (char == "~" and buf):
            raise _Unsupported(f"{char!r} (globbing, substitution, ~) is not supported")
        else:
            buf.append(char)
            i += 1
    flush()
    return tuple(parts), i


def _read_dollar(
    text: str, i: int, buf: list[str], parts: list[str | _Var], flush: Callable[[], None]
) -> int:
    rest = text[i + 1 :]
    if rest.startswith("(") or rest.startswith("(("):
        raise _Unsupported("command substitution and $((...)) are not supported")
    if rest.startswith("{"):
        end = rest.find("}")
        name = rest[1:end] if end > 0 else ""
        if not _NAME.fullmatch(name):
            raise _Unsupported(f"${{{name}...}} is not supported")
        flush()
        parts.append(_Var(name))
        return i + 1 + end + 1
    if rest.startswith("?"):
        flush()
        parts.append(_Var("?"))
        return i + 2
    match = _NAME.match(rest)
    if match is None:
        buf.append("$")
        return i + 1
    flush()
    parts.append(_Var(match.group(0)))
    return i + 1 + match.end()


class _Parser:
    def __init__(self, tokens: list[str | Word | _Redirect]) -> None:
        self._tokens = tokens
        self._pos = 0

    def parse(self) -> _List:
        body = self._list(top=True)
        if self._pos < len(self._tokens):
            raise _Unsupported(f"syntax error near {self._peek()!r}")
        return body

    def _peek(self) -> str | Word | _Redirect | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def _list(self, *, top: bool) -> _List:
        items: list[tuple[_AndOr, bool]] = []
        while (token := self._peek()) is not None:
            if token == ")" and not top:
                break
            if token == ";":
                self._pos += 1
                continue
            and_or = self._and_or()
            background = self._peek() == "&"
            if background:
                self._pos += 1
            items.append((and_or, background))
        return _List(items)

    def _and_or(self) -> _AndOr:
        first = self._command()
        rest: list[tuple[str, _Simple | _Subshell]] = []
        while (token := self._peek()) in ("&&", "||"):
            self._pos += 1
            rest.append((str(token), self._command()))
        if self._peek() == "|":
            raise _Unsupported("pipes are not supported")
        return _AndOr(first, rest)

    def _command(self) -> _Simple | _Subshell:
        token = self._peek()
        if token == "(":
            self._pos += 1
            body = self._list(top=False)
            if self._peek() != ")":
                raise _Unsupported("syntax error: '(' without ')'")
            self._pos += 1
            return _Subshell(body, self._redirects())
        words: list[Word] = []
        redirects: list[_Redirect] = []
        while (token := self._peek()) is not None and not isinstance(token, str):
            self._pos += 1
            if isinstance(token, _Redirect):
                redirects.append(token)
            else:
                words.append(token)
        if not words and not redirects:
            raise _Unsupported(f"syntax error near {token!r}")
        return _Simple(words, redirects)

    def _redirects(self) -> list[_Redirect]:
        found: list[_Redirect] = []
        while isinstance(token := self._peek(), _Redirect):
            self._pos += 1
            found.append(token)
        return found


# --- state and output -----------------------------------------------------------------------


@dataclass
class _Process:
    argv: str
    ends_at: float


@dataclass
class _State:
    """What a (sub)shell carries: folder, variables, the last status."""

    cwd: str
    env: dict[str, str]
    status: int = 0

    def copy(self) -> _State:
        return _State(cwd=self.cwd, env=dict(self.env), status=self.status)


@dataclass
class _Sink:
    """The command's combined output: capped, streamed, and killed past ``kill_bytes``."""

    output: wire.CappedOutput
    on_output: OutputCallback | None
    kill_bytes: int

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.output.add(data)
        if self.on_output is not None:
            self.on_output(data)
        if self.output.total > self.kill_bytes:
            raise _Flood


@dataclass
class _Routes:
    """Where file descriptors 1 and 2 go: the combined output, or nowhere."""

    out: bool = True
    err: bool = True


# --- the session ----------------------------------------------------------------------------


class FakeSession:
    """One fake session: a tiny persistent shell in memory (see the module doc)."""

    def __init__(
        self,
        session_id: str,
        *,
        spec: SessionSpec,
        script: Mapping[str, FakeReply | str],
        responder: Responder | None,
        capture_bytes: int,
        kill_bytes: int,
    ) -> None:
        self._id = session_id
        self._spec = spec
        self._script = dict(script)
        self._responder = responder
        self._capture_bytes = capture_bytes
        self._kill_bytes = kill_bytes
        self._lock = anyio.Lock()
        self._state = _fresh_state(WORKSPACE)
        self._dirs = {"/", "/tmp", WORKSPACE}
        self._processes: list[_Process] = []
        self._closed = False
        self.created_at = time.time()
        self.last_used_at = self.created_at
        self.history: list[str] = []
        """Every command run, in order (for assertions)."""

    @property
    def id(self) -> str:
        return self._id

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def processes(self) -> list[str]:
        """Command lines of the processes commands left running (background ``sleep``)."""
        now = time.monotonic()
        self._processes = [p for p in self._processes if p.ends_at > now]
        return [p.argv for p in self._processes]

    def info(self) -> SessionInfo:
        return SessionInfo(
            id=self._id,
            container_id="",
            workdir=self._spec.workdir,
            network=self._spec.network,
            created_at=self.created_at,
            last_used_at=self.last_used_at,
            commands_run=len(self.history),
        )

    async def run(
        self,
        command: str,
        *,
        timeout_s: float,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Interpret ``command``; see :class:`terminus_mcp.sandbox.api.Session`.

        Raises:
            SandboxError: the session is closed.
        """
        if self._closed:
            raise SandboxError(f"sandbox session {self._id} is closed", fix="start a new session")
        async with self._lock:
            self.last_used_at = time.time()
            self.history.append(command)
            started = time.monotonic()
            sink = _Sink(wire.CappedOutput(self._capture_bytes), on_output, self._kill_bytes)
            exit_code: int | None = None
            event = SessionEvent.NONE
            detail = ""
            try:
                with anyio.move_on_after(timeout_s) as timer:
                    exit_code = await self._interpret(command, sink)
            except _Flood:
                self._kill_all()
                event = SessionEvent.OUTPUT_FLOOD
                detail = f"the command printed more than {self._kill_bytes} bytes and was killed"
            except _Exit as exited:
                exit_code = exited.code
                self._kill_all()
                self._state = _fresh_state(self._state.cwd)
                event = SessionEvent.SHELL_EXITED
                detail = (
                    f"the shell exited; the next command starts a fresh shell in "
                    f"{self._state.cwd} (exported variables and functions are lost)"
                )
            except anyio.get_cancelled_exc_class():
                self._kill_all()
                raise
            timed_out = timer.cancelled_caught
            if timed_out:
                exit_code = None
                self._kill_all()
            elif exit_code is not None:
                self._state.status = exit_code
            self.last_used_at = time.time()
            return ExecResult(
                command=command,
                exit_code=exit_code,
                output=sink.output.text(),
                duration_s=round(time.monotonic() - started, 6),
                timed_out=timed_out,
                output_bytes=sink.output.total,
                dropped_bytes=sink.output.dropped,
                event=event,
                waiting_for_input=wire.looks_like_prompt(sink.output.last(256)),
                cwd=self._state.cwd,
                detail=detail,
            )

    async def close(self) -> None:
        """End the session and every process it left. Idempotent."""
        self._closed = True
        self._kill_all()

    # --- interpreting ----------------------------------------------------------------------

    def _kill_all(self) -> None:
        self._processes.clear()

    async def _interpret(self, command: str, sink: _Sink) -> int:
        reply = self._lookup(command.strip())
        if reply is not None:
            return await self._play(command.strip(), reply, sink, _Routes())
        if "\x00" in command:
            sink.write(b"the command contains a NUL character, which no shell can run")
            return 2
        try:
            tree = _Parser(_tokenize(command)).parse()
            return await self._run_list(tree, self._state, sink, _Routes())
        except _Unsupported as exc:
            sink.write(f"fake engine: {exc}\n".encode())
            return 2

    def _lookup(self, text: str) -> FakeReply | None:
        reply: FakeReply | str | None = self._script.get(text)
        if reply is None and self._responder is not None:
            reply = self._responder(text)
        if isinstance(reply, str):
            return FakeReply(output=reply)
        return reply

    async def _play(self, argv: str, reply: FakeReply, sink: _Sink, routes: _Routes) -> int:
        if reply.delay_s > 0:
            await self._sleep(argv, reply.delay_s)
        data = reply.output.encode() if isinstance(reply.output, str) else reply.output
        if routes.out:
            sink.write(data)
        return reply.exit_code

    async def _sleep(self, argv: str, seconds: float) -> None:
        process = _Process(argv, time.monotonic() + seconds)
        self._processes.append(process)
        try:
            await anyio.sleep(seconds)
        finally:
            if process in self._processes:
                self._processes.remove(process)

    async def _run_list(self, body: _List, state: _State, sink: _Sink, routes: _Routes) -> int:
        for and_or, background in body.items:
            if background and _is_sleep(and_or):
                seconds = _sleep_seconds(_expand(and_or.first.words[1], state))  # type: ignore[union-attr]
                self._processes.append(_Process(f"sleep {seconds:g}", time.monotonic() + seconds))
                state.status = 0
                continue
            state.status = await self._run_and_or(and_or, state, sink, routes)
        return state.status

    async def _run_and_or(self, and_or: _AndOr, state: _State, sink: _Sink, routes: _Routes) -> int:
        status = await self._run_command(and_or.first, state, sink, routes)
        for op, command in and_or.rest:
            state.status = status
            if (op == "&&") == (status == 0):
                status = await self._run_command(command, state, sink, routes)
        return status

    async def _run_command(
        self, command: _Simple | _Subshell, state: _State, sink: _Sink, routes: _Routes
    ) -> int:
        try:
            routes = _route(command.redirects, routes, state)
        except _Unsupported as exc:
            sink.write(f"fake engine: {exc}\n".encode())
            return 2
        if isinstance(command, _Subshell):
            inner = state.copy()
            try:
                return await self._run_list(command.body, inner, sink, routes)
            except _Exit as exited:
                return exited.code
        words = [_expand(word, state) for word in command.words]
        assignments: dict[str, str] = {}
        while words and _is_assignment(words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments[name] = value
        if not words:
            state.env.update(assignments)
            return 0
        saved = {name: state.env.get(name) for name in assignments}
        state.env.update(assignments)
        try:
            return await self._run_simple(words, state, sink, routes)
        finally:
            for name, old in saved.items():
                if old is None:
                    state.env.pop(name, None)
                else:
                    state.env[name] = old

    async def _run_simple(
        self, words: list[str], state: _State, sink: _Sink, routes: _Routes
    ) -> int:
        reply = self._lookup(" ".join(words))
        if reply is not None:
            return await self._play(" ".join(words), reply, sink, routes)
        name, args = words[0], words[1:]

        def out(text: str | bytes) -> None:
            if routes.out:
                sink.write(text.encode() if isinstance(text, str) else text)

        def err(text: str) -> None:
            if routes.err:
                sink.write(text.encode())

        if name in (":", "true"):
            return 0
        if name == "false":
            return 1
        if name == "echo":
            newline = not (args and args[0] == "-n")
            out(" ".join(args[0 if newline else 1 :]) + ("\n" if newline else ""))
            return 0
        if name == "printf":
            if not args:
                err("printf: usage: printf format [arguments]\n")
                return 2
            out(_printf(args[0], args[1:]))
            return 0
        if name == "pwd":
            out(state.cwd + "\n")
            return 0
        if name == "cd":
            target = _join(state.cwd, args[0] if args else WORKSPACE)
            if target not in self._dirs:
                err(f"cd: {args[0]}: No such file or directory\n")
                return 1
            state.cwd = target
            return 0
        if name == "mkdir":
            return self._mkdir(args, state, err)
        if name == "export":
            for arg in args:
                key, sep, value = arg.partition("=")
                if not _NAME.fullmatch(key):
                    err(f"export: `{arg}': not a valid identifier\n")
                    return 1
                if sep:
                    state.env[key] = value
                else:
                    state.env.setdefault(key, "")
            return 0
        if name == "unset":
            for arg in args:
                state.env.pop(arg, None)
            return 0
        if name == "read":
            return 1  # stdin is always closed: read gets EOF
        if name == "cat":
            files = [a for a in args if a != "-"]
            for path in files:
                err(f"cat: {path}: No such file or directory\n")
            return 1 if files else 0
        if name == "sleep":
            try:
                seconds = _sleep_seconds(args[0] if args else "")
            except _Unsupported as exc:
                err(f"sleep: {exc}\n")
                return 1
            await self._sleep(" ".join(words), seconds)
            return 0
        if name == "yes":
            line = ((" ".join(args) or "y") + "\n").encode()
            chunk = line * max(1, CHUNK // len(line))
            while True:
                out(chunk)
                await anyio.lowlevel.checkpoint()
        if name == "seq":
            return await self._seq(args, out, err)
        if name == "exit":
            code = state.status
            if args:
                try:
                    code = int(args[0]) & 0xFF
                except ValueError:
                    err(f"exit: {args[0]}: numeric argument required\n")
                    code = 2
            raise _Exit(code)
        err(f"{name}: command not found\n")
        return 127

    def _mkdir(self, args: list[str], state: _State, err: Callable[[str], None]) -> int:
        parents = "-p" in args
        status = 0
        for arg in (a for a in args if a != "-p"):
            path = _join(state.cwd, arg)
            if parents:
                while path not in self._dirs:
                    self._dirs.add(path)
                    path = posixpath.dirname(path)
            elif path in self._dirs or posixpath.dirname(path) not in self._dirs:
                reason = "File exists" if path in self._dirs else "No such file or directory"
                err(f"mkdir: cannot create directory '{arg}': {reason}\n")
                status = 1
            else:
                self._dirs.add(path)
        return status

    async def _seq(
        self, args: list[str], out: Callable[[str | bytes], None], err: Callable[[str], None]
    ) -> int:
        try:
            numbers = [int(a) for a in args]
        except ValueError:
            err(f"seq: invalid argument: {' '.join(args)}\n")
            return 1
        if len(numbers) not in (1, 2):
            err("seq: usage: seq [FIRST] LAST\n")
            return 1
        first, last = (1, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
        for block in _blocks(first, last):
            out(block)
            await anyio.lowlevel.checkpoint()
        return 0


def _blocks(first: int, last: int) -> Iterator[bytes]:
    lines: list[str] = []
    size = 0
    for number in range(first, last + 1):
        text = f"{number}\n"
        lines.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(lines).encode()
            lines, size = [], 0
    if lines:
        yield "".join(lines).encode()


def _fresh_state(cwd: str) -> _State:
    return _State(cwd=cwd, env=dict(CONTAINER_ENV))


def _expand(word: Word, state: _State) -> str:
    return "".join(part if isinstance(part, str) else _value(part.name, state) for part in word)


def _value(name: str, state: _State) -> str:
    if name == "?":
        return str(state.status)
    if name == "PWD":
        return state.cwd
    return state.env.get(name, "")


def _is_assignment(word: str) -> bool:
    name, sep, _ = word.partition("=")
    return bool(sep) and bool(_NAME.fullmatch(name))


def _is_sleep(and_or: _AndOr) -> bool:
    first = and_or.first
    return (
        not and_or.rest
        and isinstance(first, _Simple)
        and len(first.words) == 2
        and first.words[0] == ("sleep",)
    )


def _sleep_seconds(text: str) -> float:
    try:
        seconds = float(text.removesuffix("s"))
    except ValueError:
        raise _Unsupported(f"invalid time interval '{text}'") from None
    if math.isnan(seconds) or seconds < 0:
        raise _Unsupported(f"invalid time interval '{text}'")
    return seconds


def _join(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path)).replace("//", "/")


def _route(redirects: Sequence[_Redirect], routes: _Routes, state: _State) -> _Routes:
    result = _Routes(out=routes.out, err=routes.err)
    for redirect in redirects:
        target = _expand(redirect.target, state)
        if redirect.op == "<":
            if target != "/dev/null":
                raise _Unsupported(f"cannot read {target}: the fake engine has no files")
            continue
        if redirect.op == ">&" and target in ("1", "2"):
            value = result.out if target == "1" else result.err
        elif redirect.op in (">", ">>") and target == "/dev/null":
            value = False
        else:
            raise _Unsupported(f"cannot write to {target}: the fake engine has no files")
        if redirect.fd == 1:
            result.out = value
        elif redirect.fd == 2:
            result.err = value
        else:
            raise _Unsupported(f"file descriptor {redirect.fd} is not supported")
    return result


_ESCAPE = re.compile(r"\\(0[0-7]{0,3}|[0-7]{1,3}|x[0-9A-Fa-f]{1,2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27}


def _unescape(text: str) -> bytes:
    """``printf`` escapes: ``\\n``, ``\\t``, ``\\\\``, octal ``\\NNN``/``\\0NNN``, ``\\xHH``."""
    out = bytearray()
    pos = 0
    for match in _ESCAPE.finditer(text):
        out += text[pos : match.start()].encode("utf-8", errors="surrogateescape")
        code = match.group(1)
        if code[0] == "x":
            out.append(int(code[1:], 16))
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        elif code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
        else:
            out += ("\\" + code if code != "\\" else "\\").encode()
        pos = match.end()
    out += text[pos:].encode("utf-8", errors="surrogateescape")
    return bytes(out)


_CONVERSION = re.compile(r"%([sdb%])")


def _printf(fmt: str, args: list[str]) -> bytes:
    """``printf FORMAT ARGS``: ``%s``, ``%d``, ``%b``, ``%%``; the format repeats while
    arguments remain, as in bash."""
    out = bytearray()
    remaining = list(args)
    while True:
        consumed = False
        pos = 0
        for match in _CONVERSION.finditer(fmt):
            out += _unescape(fmt[pos : match.start()])
            pos = match.end()
            kind = match.group(1)
            if kind == "%":
                out += b"%"
                continue
            value = remaining.pop(0) if remaining else ""
            consumed = True
            if kind == "d":
                out += str(int(value) if value.strip("-").isdigit() else 0).encode()
            elif kind == "b":
                out += _unescape(value)
            else:
                out += value.encode("utf-8", errors="surrogateescape")
        out += _unescape(fmt[pos:])
        if not remaining or not consumed:
            return bytes(out)


# --- the engine -----------------------------------------------------------------------------


class FakeSandboxes:
    """Sessions of the fake engine: the in-memory implementation of
    :class:`terminus_mcp.sandbox.api.Sandboxes`.

    ``script`` maps a command (the whole command text, or one simple command's words joined by
    spaces) to its reply; ``responder`` answers commands the script does not hold. Every
    session shares them. ``allowed_roots``: refuse workdirs outside these folders, like a real
    engine (``None``: accept any). The output limits mean what the settings of the same names
    mean.
    """

    def __init__(
        self,
        script: Mapping[str, FakeReply | str] | None = None,
        *,
        responder: Responder | None = None,
        allowed_roots: Sequence[Path] | None = None,
        output_capture_bytes: int = 4 * 1024 * 1024,
        output_kill_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self._script = dict(script or {})
        self._responder = responder
        self._allowed_roots = list(allowed_roots) if allowed_roots is not None else None
        self._capture_bytes = output_capture_bytes
        self._kill_bytes = output_kill_bytes
        self._sessions: dict[str, FakeSession] = {}
        self.created: list[FakeSession] = []
        """Every session ever created, closed ones included (for assertions)."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        script: Mapping[str, FakeReply | str] | None = None,
        *,
        responder: Responder | None = None,
    ) -> FakeSandboxes:
        """A fake with the allowed roots and output limits of ``settings``."""
        return cls(
            script,
            responder=responder,
            allowed_roots=settings.allowed_roots,
            output_capture_bytes=settings.output_capture_bytes,
            output_kill_bytes=settings.output_kill_bytes,
        )

    @property
    def engine(self) -> EngineInfo:
        return EngineInfo(
            name="fake",
            version=__version__,
            runtime="none",
            rootless=True,
            capabilities=FAKE_CAPABILITIES,
        )

    async def __aenter__(self) -> FakeSandboxes:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close_all()

    async def create(self, spec: SessionSpec, *, session_id: str | None = None) -> FakeSession:
        """A new fake session; see :meth:`terminus_mcp.sandbox.api.Sandboxes.create`.

        Raises:
            WorkspaceError: the workdir is missing or outside ``allowed_roots``.
            SandboxError: the id is taken.
        """
        if self._allowed_roots is not None:
            spec = spec.model_copy(
                update={"workdir": resolve_workdir(spec.workdir, self._allowed_roots)}
            )
        session_id = session_id or secrets.token_hex(6)
        if session_id in self._sessions:
            raise SandboxError(
                f"a sandbox session with id {session_id} already exists",
                fix="reuse it with get(), or close it first",
            )
        session = FakeSession(
            session_id,
            spec=spec,
            script=self._script,
            responder=self._responder,
            capture_bytes=self._capture_bytes,
            kill_bytes=self._kill_bytes,
        )
        self._sessions[session_id] = session
        self.created.append(session)
        await anyio.lowlevel.checkpoint()
        return session

    def get(self, session_id: str) -> FakeSession:
        """The live session with this id.

        Raises:
            SessionNotFound: no such session (never created, or closed).
        """
        session = self._sessions.get(session_id)
        if session is None or session.closed:
            raise SessionNotFound(
                f"no sandbox session with id {session_id}",
                why="it was never created, or was closed",
                fix="start a new session",
            )
        return session

    async def get_or_create(self, session_id: str, spec: SessionSpec) -> FakeSession:
        try:
            return self.get(session_id)
        except SessionNotFound:
            return await self.create(spec, session_id=session_id)

    async def close(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await session.close()

    async def close_all(self) -> None:
        for session_id in list(self._sessions):
            await self.close(session_id)

    def sessions(self) -> list[SessionInfo]:
        """The live sessions."""
        return [s.info() for s in self._sessions.values() if not s.closed]
