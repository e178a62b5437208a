"""The tiny shell the fake engine interprets (see :mod:`terminus_mcp.sandbox.fake`).

Enough of a POSIX shell for tests and the conformance suite, with nothing run on the host:

- lists ``a; b``, ``a && b``, ``a || b``, ``a &`` and subshells ``( ... )``;
- words in ``'single'`` or ``"double"`` quotes, backslash escapes, ``$NAME``, ``${NAME}``,
  ``$?``, ``NAME=value`` (alone: set it; before a command: for that command only);
- redirections ``>&2``, ``2>&1`` (output is combined anyway), ``>/dev/null``,
  ``2>/dev/null``, ``</dev/null`` (stdin is always closed);
- builtins ``:``, ``true``, ``false``, ``echo``, ``printf``, ``pwd``, ``cd``, ``mkdir``,
  ``export``, ``unset``, ``read``, ``cat``, ``sleep``, ``yes``, ``seq``, ``exit``.

Pipes, command substitution, globbing and file redirections raise :class:`Unsupported`, which
the session reports with exit status 2. What a command cannot find here it asks its
:class:`Host` for (the script), and the host also keeps the folders and the processes.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import anyio
import anyio.lowlevel

from terminus_mcp.sandbox import shell as wire
from terminus_mcp.sandbox.api import OutputCallback
from terminus_mcp.sandbox.hardening import CONTAINER_ENV, WORKSPACE

CHUNK = 64 * 1024
"""Bytes ``yes`` and ``seq`` write between two checkpoints (where timeouts and cancellation
take effect)."""


class Scripted(NamedTuple):
    """A scripted command's output, exit status and duration."""

    output: bytes
    exit_code: int
    delay_s: float


class Host(Protocol):
    """What the interpreter needs from its session."""

    dirs: set[str]
    """Folders that exist (``cd`` checks, ``mkdir`` adds)."""

    def lookup(self, text: str) -> Scripted | None:
        """The scripted reply to a command, or ``None``."""
        ...

    async def sleep(self, argv: str, seconds: float) -> None:
        """Wait ``seconds`` as a running process named ``argv``."""
        ...

    def start_background(self, argv: str, seconds: float) -> None:
        """Start a background process named ``argv`` that ends after ``seconds``."""
        ...


# --- errors --------------------------------------------------------------------------------


class Unsupported(Exception):
    """The command uses shell syntax the fake does not interpret (exit status 2)."""


class ShellExit(Exception):
    """``exit N``: ends the (sub)shell."""

    def __init__(self, code: int) -> None:
        self.code = code


class Flood(Exception):
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
                raise Unsupported(f"syntax error: a redirection needs a target near {text[i:]!r}")
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
                raise Unsupported("syntax error: unterminated single quote")
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
                    raise Unsupported("command substitution is not supported")
                else:
                    buf.append(text[i])
                    i += 1
            if i >= n:
                raise Unsupported("syntax error: unterminated double quote")
            i += 1
        elif char == "\\":
            if i + 1 < n:
                buf.append(text[i + 1])
            i += 2
        elif char == "$":
            i = _read_dollar(text, i, buf, parts, flush)
        elif char in "*?[`~" and not (char == "~" and buf):
            raise Unsupported(f"{char!r} (globbing, substitution, ~) is not supported")
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
        raise Unsupported("command substitution and $((...)) are not supported")
    if rest.startswith("{"):
        end = rest.find("}")
        name = rest[1:end] if end > 0 else ""
        if not _NAME.fullmatch(name):
            raise Unsupported(f"${{{name}...}} is not supported")
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
            raise Unsupported(f"syntax error near {self._peek()!r}")
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
            raise Unsupported("pipes are not supported")
        return _AndOr(first, rest)

    def _command(self) -> _Simple | _Subshell:
        token = self._peek()
        if token == "(":
            self._pos += 1
            body = self._list(top=False)
            if self._peek() != ")":
                raise Unsupported("syntax error: '(' without ')'")
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
            raise Unsupported(f"syntax error near {token!r}")
        return _Simple(words, redirects)

    def _redirects(self) -> list[_Redirect]:
        found: list[_Redirect] = []
        while isinstance(token := self._peek(), _Redirect):
            self._pos += 1
            found.append(token)
        return found


def parse(command: str) -> _List:
    """The command's syntax tree.

    Raises:
        Unsupported: syntax the tiny shell does not interpret.
    """
    return _Parser(_tokenize(command)).parse()


# --- state and output -----------------------------------------------------------------------


@dataclass
class ShellState:
    """What a (sub)shell carries: folder, variables, the last status."""

    cwd: str
    env: dict[str, str]
    status: int = 0

    def copy(self) -> ShellState:
        return ShellState(cwd=self.cwd, env=dict(self.env), status=self.status)


@dataclass
class OutputSink:
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
            raise Flood


@dataclass
class Routes:
    """Where file descriptors 1 and 2 go: the combined output, or nowhere."""

    out: bool = True
    err: bool = True


# --- the interpreter -----------------------------------------------------------------------


class Interpreter:
    """Runs parsed commands against a :class:`Host`, writing to an :class:`OutputSink`."""

    def __init__(self, host: Host, sink: OutputSink) -> None:
        self._host = host
        self._sink = sink

    async def run(self, command: str, state: ShellState) -> int:
        """Run ``command`` and return its exit status.

        Raises:
            ShellExit: the command ran ``exit`` in the shell itself.
            Flood: the output passed the sink's kill threshold.
        """
        sink = self._sink
        scripted = self._host.lookup(command.strip())
        if scripted is not None:
            return await self._play(command.strip(), scripted, Routes())
        if "\x00" in command:
            sink.write(b"the command contains a NUL character, which no shell can run")
            return 2
        try:
            return await self._run_list(parse(command), state, Routes())
        except Unsupported as exc:
            sink.write(f"fake engine: {exc}\n".encode())
            return 2

    async def _play(self, argv: str, scripted: Scripted, routes: Routes) -> int:
        if scripted.delay_s > 0:
            await self._host.sleep(argv, scripted.delay_s)
        if routes.out:
            self._sink.write(scripted.output)
        return scripted.exit_code

    async def _run_list(self, body: _List, state: ShellState, routes: Routes) -> int:
        for and_or, background in body.items:
            if background and _is_sleep(and_or):
                seconds = _sleep_seconds(_expand(and_or.first.words[1], state))  # type: ignore[union-attr]
                self._host.start_background(f"sleep {seconds:g}", seconds)
                state.status = 0
                continue
            state.status = await self._run_and_or(and_or, state, routes)
        return state.status

    async def _run_and_or(self, and_or: _AndOr, state: ShellState, routes: Routes) -> int:
        status = await self._run_command(and_or.first, state, routes)
        for op, command in and_or.rest:
            state.status = status
            if (op == "&&") == (status == 0):
                status = await self._run_command(command, state, routes)
        return status

    async def _run_command(
        self, command: _Simple | _Subshell, state: ShellState, routes: Routes
    ) -> int:
        try:
            routes = _route(command.redirects, routes, state)
        except Unsupported as exc:
            self._sink.write(f"fake engine: {exc}\n".encode())
            return 2
        if isinstance(command, _Subshell):
            inner = state.copy()
            try:
                return await self._run_list(command.body, inner, routes)
            except ShellExit as exited:
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
            return await self._run_simple(words, state, routes)
        finally:
            for name, old in saved.items():
                if old is None:
                    state.env.pop(name, None)
                else:
                    state.env[name] = old

    async def _run_simple(self, words: list[str], state: ShellState, routes: Routes) -> int:
        scripted = self._host.lookup(" ".join(words))
        if scripted is not None:
            return await self._play(" ".join(words), scripted, routes)
        name, args = words[0], words[1:]

        def out(text: str | bytes) -> None:
            if routes.out:
                self._sink.write(text.encode() if isinstance(text, str) else text)

        def err(text: str) -> None:
            if routes.err:
                self._sink.write(text.encode())

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
            if target not in self._host.dirs:
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
            except Unsupported as exc:
                err(f"sleep: {exc}\n")
                return 1
            await self._host.sleep(" ".join(words), seconds)
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
            raise ShellExit(code)
        err(f"{name}: command not found\n")
        return 127

    def _mkdir(self, args: list[str], state: ShellState, err: Callable[[str], None]) -> int:
        parents = "-p" in args
        status = 0
        for arg in (a for a in args if a != "-p"):
            path = _join(state.cwd, arg)
            if parents:
                while path not in self._host.dirs:
                    self._host.dirs.add(path)
                    path = posixpath.dirname(path)
            elif path in self._host.dirs or posixpath.dirname(path) not in self._host.dirs:
                reason = "File exists" if path in self._host.dirs else "No such file or directory"
                err(f"mkdir: cannot create directory '{arg}': {reason}\n")
                status = 1
            else:
                self._host.dirs.add(path)
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


def fresh_state(cwd: str) -> ShellState:
    """A new shell's state in ``cwd``: the sandbox's environment, status 0."""
    return ShellState(cwd=cwd, env=dict(CONTAINER_ENV))


def _expand(word: Word, state: ShellState) -> str:
    return "".join(part if isinstance(part, str) else _value(part.name, state) for part in word)


def _value(name: str, state: ShellState) -> str:
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
        raise Unsupported(f"invalid time interval '{text}'") from None
    if math.isnan(seconds) or seconds < 0:
        raise Unsupported(f"invalid time interval '{text}'")
    return seconds


def _join(cwd: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path)).replace("//", "/")


def _route(redirects: Sequence[_Redirect], routes: Routes, state: ShellState) -> Routes:
    result = Routes(out=routes.out, err=routes.err)
    for redirect in redirects:
        target = _expand(redirect.target, state)
        if redirect.op == "<":
            if target != "/dev/null":
                raise Unsupported(f"cannot read {target}: the fake engine has no files")
            continue
        if redirect.op == ">&" and target in ("1", "2"):
            value = result.out if target == "1" else result.err
        elif redirect.op in (">", ">>") and target == "/dev/null":
            value = False
        else:
            raise Unsupported(f"cannot write to {target}: the fake engine has no files")
        if redirect.fd == 1:
            result.out = value
        elif redirect.fd == 2:
            result.err = value
        else:
            raise Unsupported(f"file descriptor {redirect.fd} is not supported")
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
