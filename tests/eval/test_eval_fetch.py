"""Fetching real projects for the realworld suite: registry clients, the hash pin, the cache,
unpacking, patches and Node.js tools, and task files that name them.

The registry tests use the real registries through their own clients (PyPI with pip, npm with
npm pack), as the suite does; the rest works on archives built in the test.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.fetch import (
    FetchError,
    FetchSpec,
    apply_patch,
    fetch_archive,
    unpack,
)
from terminus_mcp.eval.suite import load_suite, load_task
from terminus_mcp.user_cache import file_sha256

MS_2_1_3 = "f6616e15e530ed552f9daa2d3ce71963947c6bc7c98c9b64fd3e673fd02622c6"
INFLECTION_0_5_1 = "1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417"


def _tarball(path: Path, files: dict[str, str], top: str = "proj-1.0") -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return file_sha256(path)


def _seed(cache: Path, spec_registry: str, archive: Path, digest: str) -> None:
    folder = cache / "archives" / spec_registry / digest
    folder.mkdir(parents=True)
    archive.rename(folder / archive.name)


def test_npm_archive_is_fetched_verified_and_then_reused(tmp_path: Path) -> None:
    spec = FetchSpec(registry="npm", name="ms", version="2.1.3", sha256=MS_2_1_3)
    archive = fetch_archive(spec, tmp_path)
    assert archive.name == "ms-2.1.3.tgz"
    assert archive.parent == tmp_path / "archives" / "npm" / MS_2_1_3
    assert file_sha256(archive) == MS_2_1_3
    stamp = archive.stat().st_mtime_ns
    assert fetch_archive(spec, tmp_path) == archive  # from the cache: the file is untouched
    assert archive.stat().st_mtime_ns == stamp
    unpack(archive, tmp_path / "ms")
    assert (tmp_path / "ms" / "index.js").is_file()  # without the tarball's package/ folder


def test_pypi_source_distribution_is_fetched(tmp_path: Path) -> None:
    spec = FetchSpec(registry="pypi", name="inflection", version="0.5.1", sha256=INFLECTION_0_5_1)
    archive = fetch_archive(spec, tmp_path)
    assert archive.name == "inflection-0.5.1.tar.gz"
    unpack(archive, tmp_path / "inflection")
    assert (tmp_path / "inflection" / "test_inflection.py").is_file()


def test_a_wrong_pin_is_refused_and_nothing_is_cached(tmp_path: Path) -> None:
    spec = FetchSpec(registry="npm", name="ms", version="2.1.3", sha256="0" * 64)
    with pytest.raises(FetchError) as caught:
        fetch_archive(spec, tmp_path)
    assert "does not have the pinned hash" in caught.value.what
    assert MS_2_1_3 in caught.value.why
    assert not (tmp_path / "archives" / "npm" / ("0" * 64)).exists()


def test_a_version_the_registry_lacks_fails_with_the_clients_reason(tmp_path: Path) -> None:
    spec = FetchSpec(registry="npm", name="ms", version="0.0.999", sha256="1" * 64)
    with pytest.raises(FetchError) as caught:
        fetch_archive(spec, tmp_path)
    message = str(caught.value)
    assert "npm pack" in message
    assert "ms@0.0.999" in message
    assert "registry is reachable" in message


def test_a_cached_archive_with_the_pinned_hash_needs_no_registry(tmp_path: Path) -> None:
    archive = tmp_path / "proj-1.0.tar.gz"
    digest = _tarball(archive, {"README": "hello\n"})
    _seed(tmp_path / "cache", "pypi", archive, digest)
    # A name no registry serves: the cache must answer before any client is asked.
    spec = FetchSpec(registry="pypi", name="no-such-project-terminus", version="1.0", sha256=digest)
    found = fetch_archive(spec, tmp_path / "cache")
    assert found.name == "proj-1.0.tar.gz"


def test_unpack_refuses_members_outside_the_target(tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(FetchError, match="cannot unpack"):
        unpack(evil, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_patches_apply_and_a_stale_one_says_so(tmp_path: Path) -> None:
    archive = tmp_path / "proj.tar.gz"
    _tarball(archive, {"lib.py": "def add(a, b):\n    return a + b\n"})
    unpack(archive, tmp_path / "proj")
    patch = tmp_path / "bug.patch"
    patch.write_text(
        "--- a/lib.py\n+++ b/lib.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a + b\n"
        "+    return a - b\n"
    )
    apply_patch(patch, tmp_path / "proj")
    assert "a - b" in (tmp_path / "proj" / "lib.py").read_text()
    with pytest.raises(FetchError) as caught:
        apply_patch(patch, tmp_path / "proj")
    assert "does not apply" in caught.value.what
    assert "pinned version" in caught.value.fix


def test_every_realworld_patch_applies_to_its_pinned_project(tmp_path: Path) -> None:
    """The suite's patches against the archives in the cache (fetched by the suite's first run,
    or here)."""
    suite = load_suite("realworld")
    fetched = [t for t in suite.tasks if t.repository.fetch is not None]
    assert len(fetched) >= 15
    for task in fetched:
        assert task.repository.fetch is not None
        archive = fetch_archive(task.repository.fetch)
        target = tmp_path / task.name
        unpack(archive, target)
        for patch in task.repository.patches:
            apply_patch(task.repository_path(patch), target)


def test_realworld_suite_shape() -> None:
    suite = load_suite("realworld")
    assert len(suite.tasks) >= 25
    plain = [t for t in suite.tasks if "`" not in t.query]
    assert len(plain) * 2 >= len(suite.tasks), "at least half the queries name no command"
    registries = {t.repository.fetch.registry for t in suite.tasks if t.repository.fetch}
    assert registries == {"pypi", "npm", "debian"}
    first_words = {c.split()[0] for t in suite.tasks for c in t.baseline_commands}
    assert len(first_words) >= 10, first_words
    for task in suite.tasks:
        assert "TODO" not in task.key_facts, task.name
        if task.repository.fetch is not None:
            assert len(task.repository.fetch.sha256) == 64


def test_task_file_with_a_fetch_block_is_validated(tmp_path: Path) -> None:
    text = (
        'query = "Run the tests."\nbaseline_commands = ["pytest"]\nkey_facts = ["x"]\n\n'
        '[repository]\npatches = ["bug.patch"]\nnode_tools = ["tape@5.9.0"]\n\n'
        '[repository.fetch]\nregistry = "pypi"\nname = "toolz"\nversion = "0.12.1"\n'
        f'sha256 = "{"a" * 64}"\n'
    )
    (tmp_path / "bug.patch").write_text("")
    (tmp_path / "t.toml").write_text(text)
    task = load_task(tmp_path / "t.toml")
    assert task.repository.fetch is not None
    assert task.repository.fetch.label == "pypi:toolz==0.12.1"
    for old, new, expected in [
        ('registry = "pypi"', 'registry = "cpan"', "fetch.registry"),
        (f'"{"a" * 64}"', '"abc"', "fetch.sha256"),
        ('"tape@5.9.0"', '"tape@latest"', "not an exact 'name@version'"),
        ('patches = ["bug.patch"]', 'patches = ["gone.patch"]', "patch file that does not exist"),
        ("[repository]\n", '[repository]\ngenerator = "g.py"\n', "exactly one"),
    ]:
        (tmp_path / "t.toml").write_text(text.replace(old, new))
        with pytest.raises(ConfigError) as caught:
            load_task(tmp_path / "t.toml")
        assert expected in str(caught.value), (old, str(caught.value))


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"\0" * (3 << 20))
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
