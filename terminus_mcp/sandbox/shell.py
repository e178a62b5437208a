"""The persistent-shell wire protocol, as pure functions and small state machines.

A session's shell reads one line per command from its stdin. The line ``eval``\\s the command
in the shell itself (so ``cd``, ``export`` and functions persist) with stdin from ``/dev/null``,
then prints an end marker::

    \\x1e NONCE : STATUS : PWD \\x1e NONCE \\x1e

``NONCE`` is 128 random bits, fresh per command. It exists only as a literal in the line the
shell parsed: never in a variable, the environment, argv or a file, so the command cannot
print a valid marker for itself. The marker is searched for anywhere in the byte stream (not
only at a line start); every byte before it is the command's output.

Nothing here touches Docker or the network, so all of it is unit-tested directly.
"""

from __future__ import annotations

import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from terminus_mcp.sandbox.api import cut_marker

RS = b"\x1e"
"""ASCII record separator: frames the end marker."""

STATUS_VAR = "__terminus_status"
"""Shell variable holding the last command's exit status between ``eval`` and the marker.
It is visible to the next command, which is harmless: it never contains the nonce."""


class ShellFlavor(StrEnum):
    """Which shell runs a session: bash when the image has it, else POSIX sh."""

    BASH = "bash"
    SH = "sh"


def new_nonce() -> str:
    """A fresh 128-bit nonce as 32 hex digits."""
    return secrets.token_hex(16)


# --- encoding a command as one line -------------------------------------------------------

_BASH_SAFE = frozenset(range(0x20, 0x7F)) - {ord("\\"), ord("'")}


def ansi_c_quote(data: bytes) -> str:
    """Quote ``data`` as a bash ``$'...'`` word on one line.

    Printable ASCII stays as is; backslash and single quote are escaped; every other byte
    (newline, tab, control characters, UTF-8 continuation bytes) becomes ``\\xHH``. The result
    is pure printable ASCII, so the command can never break out of the line.
    """
    out = ["$'"]
    for byte in data:
        # Always two hex digits, so a following literal hex digit is never read into the escape.
        out.append(chr(byte) if byte in _BASH_SAFE else f"\\x{byte:02x}")
    out.append("'")
    return "".join(out)


def printf_b_quote(data: bytes) -> str:
    """Quote ``data`` for POSIX ``printf '%b'`` inside single quotes, on one line.

    Used for shells without ``$'...'``: the line runs ``eval "$(printf '%b' '...')"``. Bytes
    outside printable ASCII and the backslash become ``\\0ooo`` octal escapes; a single quote
    closes, escapes and reopens the quoted word.
    """
    out = ["'"]
    for byte in data:
        if byte == ord("'"):
            out.append("'\\''")
        elif 0x20 <= byte < 0x7F and byte != ord("\\"):
            out.append(chr(byte))
        else:
            out.append(f"\\0{byte:03o}")
    out.append("'")
    return "".join(out)


_WRAPPER_WORDS = ("eval", "unset", "set", "trap", "builtin", "printf", "command")
"""Builtins the bash wrapper relies on; functions with these names are removed after each
command."""


def command_line(command: str, nonce: str, flavor: ShellFlavor) -> bytes:
    """The one line that runs ``command`` in the persistent shell and prints the end marker.

    After the command, ``set +x`` and ``trap - DEBUG`` run (with their own trace sent to
    ``/dev/null``) before the marker is printed, so an xtrace or DEBUG trap the command set up
    cannot echo the nonce. In bash, a command run in the shell itself (``source``) could also
    define functions or aliases named like the wrapper's own words (``builtin() { ...; }``
    receives the nonce and can print a marker with exit code 0 for every later command). So
    every wrapper word is backslash-quoted (no alias expansion), and before the marker the
    shell switches to POSIX mode for one ``unset -f`` (special builtins then win over
    functions) that removes functions with those names.

    Raises:
        ValueError: the command contains a NUL character, which no shell can run.
    """
    if "\x00" in command:
        raise ValueError("the command contains a NUL character, which no shell can run")
    raw = command.encode("utf-8", errors="surrogateescape")
    fmt = "'\\036%s:%d:%s\\036%s\\036'"
    if flavor is ShellFlavor.BASH:
        # `jobs` first swallows bash's notices about background jobs of earlier commands
        # ("Killed sleep 300"), which bash would otherwise print into this command's output.
        run = f"{{ \\jobs; }} >/dev/null 2>&1; \\eval {ansi_c_quote(raw)} </dev/null"
        finish = (
            f"POSIXLY_CORRECT=y; \\unset -f {' '.join(_WRAPPER_WORDS)}; \\unset POSIXLY_CORRECT; "
            f"\\set +x; \\trap - DEBUG; \\builtin printf {fmt}"
        )
    else:
        run = f"eval \"$(printf '%b' {printf_b_quote(raw)})\" </dev/null"
        finish = f"set +x; printf {fmt}"
    line = (
        f"{run}; {STATUS_VAR}=$?; "
        f'{{ {finish} {nonce} "${STATUS_VAR}" "$PWD" {nonce}; }} 2>/dev/null\n'
    )
    return line.encode("ascii")


def boot_line(nonce: str, workdir: str) -> bytes:
    """The first line a fresh shell reads: merge stderr into stdout, job control, start dir.

    ``exec 2>&1`` puts the command's stderr on the same pipe as its stdout, so the two arrive
    in the order they were written and nothing written before the marker can arrive after it.
    ``set -m`` gives every job its own process group. The reply marker carries the shell's
    PID, whether it is bash, and the PID of the container's keep-alive process (the one child
    of PID 1 at this point), which the timeout killer must spare.
    """
    quoted = printf_b_quote(workdir.encode("utf-8", errors="surrogateescape"))
    return (
        "exec 2>&1; set -m 2>/dev/null; "
        f"cd \"$(printf '%b' {quoted})\" 2>/dev/null; "
        f'printf \'\\036%s:%s:%s:%s\\036%s\\036\' {nonce} "$$" "${{BASH_VERSION:-}}" '
        f'"$(cat /proc/1/task/1/children 2>/dev/null)" {nonce}\n'
    ).encode("ascii")


# --- the control shell: kill a command's processes without forking ------------------------

KILLER_FUNCTION = r"""__terminus_kill() {
  __n=0
  while [ "$__n" -lt 100 ]; do
    __found=
    for __d in /proc/[0-9]*; do
      __p=${__d#/proc/}
      case " 1 $$ $1 " in *" $__p "*) continue ;; esac
      read -r __st < "$__d/stat" 2>/dev/null || continue
      __r=${__st##*) }
      set -- "$1" $__r
      [ "$3" = 0 ] && continue
      [ "$2" = Z ] && continue
      kill -9 "$__p" 2>/dev/null && __found=1
    done
    [ -z "$__found" ] && break
    __n=$((__n + 1))
  done
}"""
"""Defined once in the control shell. ``__terminus_kill KEEPALIVE_PID`` SIGKILLs every process
in the container except PID 1 (init), the keep-alive, and processes whose parent is outside the
container's PID namespace (PPID 0: the persistent shell and the control shell themselves). It
repeats until a pass finds nothing, so a fork bomb is drained. Only builtins are used, so it
works when the pids limit leaves no room to fork."""


def control_boot_line() -> bytes:
    """First line of the control shell: merge stderr, define the killer, acknowledge."""
    return (KILLER_FUNCTION + "\nexec 2>&1; echo __terminus_ready\n").encode("ascii")


def control_kill_line(keepalive_pid: int, token: str) -> bytes:
    """Ask the control shell to kill the command's processes, then print ``token``."""
    return f"__terminus_kill {keepalive_pid}; echo {token}\n".encode("ascii")


def control_counters_line(token: str) -> bytes:
    """Ask the control shell for the cgroup OOM-kill and pids-limit counters.

    Prints ``token oom=N pids=M`` (a missing counter prints as ``-1``). Reads both cgroup v1
    (``memory.oom_control``, ``pids/pids.events``) and v2 (``memory.events``, ``pids.events``)
    layouts with builtins only.
    """
    script = (
        "__o=-1; __q=-1; "
        "for __f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do "
        '[ -r "$__f" ] || continue; '
        'while read -r __k __v; do [ "$__k" = oom_kill ] && __o=$__v; done < "$__f"; done; '
        "for __f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do "
        '[ -r "$__f" ] || continue; '
        'while read -r __k __v; do [ "$__k" = max ] && __q=$__v; done < "$__f"; done; '
        f'echo "{token} oom=$__o pids=$__q"\n'
    )
    return script.encode("ascii")


_COUNTERS = re.compile(rb"oom=(-?\d+) pids=(-?\d+)")


def parse_counters(reply: bytes) -> tuple[int, int]:
    """``(oom_kills, pids_limit_hits)`` from a :func:`control_counters_line` reply."""
    match = _COUNTERS.search(reply)
    if match is None:
        return (-1, -1)
    return (int(match.group(1)), int(match.group(2)))


# --- the multiplexed Docker stream ---------------------------------------------------------

_HEADER = struct.Struct(">BxxxL")


@dataclass
class FrameDecoder:
    """Incremental decoder of Docker's multiplexed attach stream (``tty=False``).

    Each frame is an 8-byte header (stream id, three zero bytes, big-endian payload length)
    followed by the payload. :meth:`feed` takes raw socket bytes in any chunking and yields
    ``(stream_id, payload)`` for every complete frame.
    """

    _pending: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._pending += data
        while len(self._pending) >= _HEADER.size:
            stream, size = _HEADER.unpack_from(self._pending)
            end = _HEADER.size + size
            if len(self._pending) < end:
                return
            payload = bytes(self._pending[_HEADER.size : end])
            del self._pending[:end]
            yield stream, payload


# --- finding the end marker -----------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """The parsed end marker of a command."""

    status: int
    cwd: str


class MarkerScanner:
    """Splits a command's byte stream into output and the end marker.

    Feed raw chunks; each call returns the bytes that are certainly output (a possible partial
    marker start is held back until the next chunk decides it). Once the whole marker has
    arrived, :attr:`marker` is set; bytes after it are kept in :attr:`trailing`.
    """

    def __init__(self, nonce: str) -> None:
        self._start = RS + nonce.encode("ascii") + b":"
        self._end = RS + nonce.encode("ascii") + RS
        self._held = b""
        self._body: bytearray | None = None
        self.marker: Marker | None = None
        self.trailing = b""

    @property
    def done(self) -> bool:
        return self.marker is not None

    def feed(self, chunk: bytes) -> bytes:
        if self.marker is not None:
            self.trailing += chunk
            return b""
        if self._body is not None:
            self._body += chunk
            self._try_finish()
            return b""
        data = self._held + chunk
        index = data.find(self._start)
        if index >= 0:
            self._held = b""
            self._body = bytearray(data[index + len(self._start) :])
            self._try_finish()
            return data[:index]
        keep = _longest_prefix_suffix(data, self._start)
        self._held = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        """Bytes held back as a possible marker start (call when the stream ended early)."""
        held, self._held = self._held, b""
        if self._body is not None and self.marker is None:
            # A marker start with no end: the shell died mid-marker; treat as output.
            held = self._start + bytes(self._body)
            self._body = None
        return held

    def _try_finish(self) -> None:
        assert self._body is not None
        end = self._body.find(self._end)
        if end < 0:
            return
        status_text, _, cwd = bytes(self._body[:end]).partition(b":")
        try:
            status = int(status_text)
        except ValueError:
            status = -1
        self.marker = Marker(status=status, cwd=cwd.decode("utf-8", errors="replace"))
        self.trailing = bytes(self._body[end + len(self._end) :])
        self._body = None


def _longest_prefix_suffix(data: bytes, pattern: bytes) -> int:
    """Length of the longest suffix of ``data`` that is a proper prefix of ``pattern``."""
    for size in range(min(len(pattern) - 1, len(data)), 0, -1):
        if data.endswith(pattern[:size]):
            return size
    return 0


def parse_boot_reply(data: bytes, nonce: str) -> tuple[int, ShellFlavor, int] | None:
    """``(shell_pid, flavor, keepalive_pid)`` from the reply to :func:`boot_line`, once complete."""
    start = RS + nonce.encode("ascii") + b":"
    end = RS + nonce.encode("ascii") + RS
    i = data.find(start)
    if i < 0:
        return None
    j = data.find(end, i + len(start))
    if j < 0:
        return None
    pid, bash_version, children = [*data[i + len(start) : j].split(b":", 2), b"", b""][:3]
    kids = children.split()
    keepalive = int(kids[0]) if kids and kids[0].isdigit() else 0
    flavor = ShellFlavor.BASH if bash_version.strip() else ShellFlavor.SH
    return (int(pid), flavor, keepalive)


# --- capped output --------------------------------------------------------------------------


class CappedOutput:
    """Keeps the first and last bytes of a stream within ``limit`` and counts the rest.

    Half the budget goes to the head (the start of a build log says what ran), half to a
    rolling tail (the end says how it failed). ``total`` counts every byte seen.
    """

    def __init__(self, limit: int) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        self._tail += data
        excess = len(self._tail) - self._tail_limit
        if excess > 0:
            del self._tail[:excess]

    @property
    def dropped(self) -> int:
        return self.total - len(self._head) - len(self._tail)

    def last(self, size: int) -> bytes:
        """The last ``size`` bytes kept (for the waiting-for-input heuristic)."""
        if len(self._tail) >= size or not self._tail:
            source = self._tail if self._tail else self._head
            return bytes(source[-size:])
        return bytes((self._head + self._tail)[-size:])

    def text(self) -> str:
        """The kept output as text (invalid UTF-8 replaced), with a note where bytes were cut."""
        head = bytes(self._head).decode("utf-8", errors="replace")
        if not self.dropped:
            return head + bytes(self._tail).decode("utf-8", errors="replace")
        tail = bytes(self._tail).decode("utf-8", errors="replace")
        note = "\n" + cut_marker(self.dropped, "bytes") + "\n"
        return head + note + tail


# --- waiting for input ----------------------------------------------------------------------

_PROMPT = re.compile(
    rb"(?:\[[yY]/[nN]\]|\[[nN]/[yY]\]|\([yY]/[nN]\)|\(yes/no(?:/\[[^\]]*\])?\)|"
    rb"[Pp]assword[^\n]{0,40}:|[Pp]assphrase[^\n]{0,40}:|\?|:|>)[ \t]*\Z"
)


def looks_like_prompt(tail: bytes) -> bool:
    """Whether output ends like a program asking for input: ``[y/N]``, ``Password:``, ``? ``.

    Only the last line counts, and only when the output does not end with a newline: a
    program waiting for an answer leaves the cursor on the prompt line.
    """
    if not tail or tail.endswith((b"\n", b"\r")):
        return False
    last_line = tail.rsplit(b"\n", 1)[-1]
    return bool(_PROMPT.search(last_line[-200:]))
