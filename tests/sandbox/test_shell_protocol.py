"""Unit tests of the persistent-shell wire protocol (no Docker; quoting checked by real shells)."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminus_mcp.sandbox import shell as wire

ALL_BYTES = bytes(range(1, 256))


def _bash_echo(word: str) -> bytes:
    return subprocess.run(
        ["bash", "--norc", "-c", f"printf %s {word}"], capture_output=True, check=True
    ).stdout


def test_ansi_c_quote_is_one_printable_line_and_round_trips_every_byte() -> None:
    word = wire.ansi_c_quote(ALL_BYTES + b"'\\\n$(x)`y`")
    assert word.isascii()
    assert word.isprintable()
    assert "\n" not in word
    assert _bash_echo(word) == ALL_BYTES + b"'\\\n$(x)`y`"


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=64).filter(lambda b: b"\x00" not in b))
def test_ansi_c_quote_round_trips_random_bytes(data: bytes) -> None:
    assert _bash_echo(wire.ansi_c_quote(data)) == data


@pytest.mark.parametrize("shell", ["sh", "dash", "bash"])
def test_printf_b_quote_round_trips_in_posix_shells(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed on this machine")
    data = ALL_BYTES + b"'\\c\\n%s"
    script = f"printf '%b' {wire.printf_b_quote(data)}"
    out = subprocess.run([shell, "-c", script], capture_output=True, check=True).stdout
    assert out == data


@pytest.mark.parametrize("flavor", list(wire.ShellFlavor))
def test_command_line_runs_in_a_real_shell_and_prints_marker(flavor: wire.ShellFlavor) -> None:
    nonce = wire.new_nonce()
    command = "cd /; echo 'héllo'\necho \"$HOME\" >/dev/null; (exit 3)"
    line = wire.command_line(command, nonce, flavor)
    assert line.count(b"\n") == 1
    assert line.endswith(b"\n")
    shell = "bash" if flavor is wire.ShellFlavor.BASH else "sh"
    out = subprocess.run([shell], input=line, capture_output=True, check=True).stdout
    scanner = wire.MarkerScanner(nonce)
    assert scanner.feed(out) == "héllo\n".encode()
    assert scanner.marker == wire.Marker(status=3, cwd="/")


def test_command_line_refuses_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        wire.command_line("echo a\x00b", wire.new_nonce(), wire.ShellFlavor.BASH)


def test_nonces_are_fresh_128_bit() -> None:
    nonces = {wire.new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(len(n) == 32 and int(n, 16) >= 0 for n in nonces)


def test_marker_scanner_handles_every_split_point() -> None:
    nonce = "ab" * 16
    stream = b"out\x1e" + b"\x1e" + nonce.encode() + b":17:/w s\x1e" + nonce.encode() + b"\x1etail"
    for cut in range(len(stream) + 1):
        scanner = wire.MarkerScanner(nonce)
        got = scanner.feed(stream[:cut]) + scanner.feed(stream[cut:])
        assert got == b"out\x1e", cut
        assert scanner.marker == wire.Marker(status=17, cwd="/w s")
        assert scanner.trailing == b"tail"


def test_marker_scanner_ignores_other_nonces_and_releases_held_bytes() -> None:
    scanner = wire.MarkerScanner("1" * 32)
    fake = b"\x1e" + b"2" * 32 + b":0:/\x1e" + b"2" * 32 + b"\x1e"
    assert scanner.feed(fake) + scanner.feed(b"x") == fake + b"x"
    assert scanner.feed(b"\x1e111") == b""
    assert not scanner.done
    assert scanner.flush() == b"\x1e111"


def test_frame_decoder_reassembles_split_frames() -> None:
    frames = struct.pack(">BxxxL", 1, 3) + b"abc" + struct.pack(">BxxxL", 2, 2) + b"de"
    decoder = wire.FrameDecoder()
    got = []
    for i in range(len(frames)):
        got.extend(decoder.feed(frames[i : i + 1]))
    assert got == [(1, b"abc"), (2, b"de")]


def test_capped_output_keeps_head_and_tail_and_counts_dropped() -> None:
    out = wire.CappedOutput(10)
    for chunk in (b"01234", b"56789", b"abcdefghij"):
        out.add(chunk)
    assert out.total == 20
    assert out.dropped == 10
    text = out.text()
    assert text.startswith("01234")
    assert text.endswith("fghij")
    assert "\n[... 10 bytes cut ...]\n" in text
    assert out.last(3) == b"hij"


def test_capped_output_replaces_invalid_utf8() -> None:
    out = wire.CappedOutput(100)
    out.add(b"ok \xff\xfe end")
    assert out.text() == "ok \ufffd\ufffd end"
    assert out.dropped == 0


@pytest.mark.parametrize(
    "tail",
    [b"Continue? [y/N] ", b"Password:", b"Enter passphrase for key: ", b"Proceed (y/n)?", b"> "],
)
def test_prompt_heuristic_spots_prompts(tail: bytes) -> None:
    assert wire.looks_like_prompt(b"some output\n" + tail)


@pytest.mark.parametrize("tail", [b"done\n", b"", b"100%", b"Password:\n", b"compiling foo"])
def test_prompt_heuristic_ignores_finished_lines(tail: bytes) -> None:
    assert not wire.looks_like_prompt(tail)


def test_counter_reply_parsing() -> None:
    assert wire.parse_counters(b"tok oom=3 pids=-1\n") == (3, -1)
    assert wire.parse_counters(b"garbage") == (-1, -1)
