"""Resolving a project's environment from its files: order, forms, and errors that say where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from terminus_mcp.environments import ProjectConfigError, Source, resolve_environment
from terminus_mcp.environments.egress import setup_network
from terminus_mcp.environments.key import changed_inputs, environment_key, input_digests
from terminus_mcp.environments.spec import NetworkMode


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root.resolve()


DEVCONTAINER = """\
// A typical devcontainer.json: comments and trailing commas are allowed (JSONC).
{
  "name": "demo",
  "image": "mcr.microsoft.com/devcontainers/python:3.12",
  "features": {"ghcr.io/devcontainers/features/node:1": {}},
  "runArgs": ["--privileged"],
  "mounts": ["source=/,target=/host,type=bind"],
  "containerEnv": {"APP_MODE": "test"},
  "customizations": {"vscode": {"extensions": ["ms-python.python"]}},
  "onCreateCommand": "echo created > /tmp/on-create",
  "updateContentCommand": ["pip", "install", "-r", "requirements dev.txt"],
  "postCreateCommand": {
    "deps": "echo deps",
    "hooks": ["echo", "${containerWorkspaceFolder}"],
  },
}
"""


def test_devcontainer_forms_and_unsupported_keys(tmp_path: Path) -> None:
    project = write(tmp_path, {".devcontainer/devcontainer.json": DEVCONTAINER})
    spec = resolve_environment(project)
    assert spec.source is Source.DEVCONTAINER
    assert spec.image == "mcr.microsoft.com/devcontainers/python:3.12"
    assert spec.env == {"APP_MODE": "test"}
    assert [s.command for s in spec.setup] == [
        "echo created > /tmp/on-create",
        "pip install -r 'requirements dev.txt'",
        "echo deps",
        "echo /workspace",
    ]
    assert [s.name for s in spec.setup][2:] == ["deps: echo deps", "hooks: echo /workspace"]
    # Unsupported keys are reported once, in one note; editor-only keys are not.
    unsupported = [n for n in spec.notes if "not supported" in n]
    assert len(unsupported) == 1
    for key in ("`features`", "`mounts`", "`runArgs`"):
        assert key in unsupported[0]
    assert "customizations" not in unsupported[0]
    assert "name" not in unsupported[0]


def test_devcontainer_build_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            ".devcontainer/devcontainer.json": json.dumps(
                {"build": {"dockerfile": "Dockerfile", "context": "..", "args": {"V": 1}}}
            ),
            ".devcontainer/Dockerfile": "FROM scratch\n",
        },
    )
    spec = resolve_environment(project)
    assert spec.build is not None
    assert spec.build.dockerfile == project / ".devcontainer" / "Dockerfile"
    assert spec.build.context == project
    assert spec.build.args == {"V": "1"}
    assert ".devcontainer/Dockerfile" in spec.inputs


def test_malformed_devcontainer_names_file_line_and_fix(tmp_path: Path) -> None:
    text = '{\n  "image": "x"\n  "postCreateCommand": "true"\n}\n'
    project = write(tmp_path, {".devcontainer.json": text})
    with pytest.raises(ProjectConfigError) as caught:
        resolve_environment(project)
    message = str(caught.value)
    assert str(project / ".devcontainer.json") in message
    assert caught.value.line == 3
    assert "line 3" in message
    assert "Fix:" in message


def test_devcontainer_command_of_wrong_shape(tmp_path: Path) -> None:
    project = write(tmp_path, {".devcontainer.json": '{\n"postCreateCommand": 42\n}'})
    with pytest.raises(ProjectConfigError, match=r"line 2: `postCreateCommand` must be"):
        resolve_environment(project)


def test_terminus_toml_wins_over_devcontainer_and_manifests(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            ".terminus.toml": '[environment]\nimage = "alpine:3"\nsetup = ["make deps"]\n'
            'env = { MODE = "ci" }\nnetwork = "open"\nallow_hosts = ["example.org"]\n',
            ".devcontainer.json": '{"image": "other"}',
            "package-lock.json": "{}",
            "package.json": '{"devDependencies": {"left-pad": "1.3.0"}}',
        },
    )
    spec = resolve_environment(project)
    assert spec.source is Source.TERMINUS_TOML
    assert spec.image == "alpine:3"
    assert [s.command for s in spec.setup] == ["make deps"]
    assert spec.env == {"MODE": "ci"}
    assert spec.network == "open"
    assert spec.allow_hosts == ("example.org",)
    # Lockfiles still key the environment, so editing one sets the project up anew.
    assert {".terminus.toml", "package.json", "package-lock.json"} <= set(spec.inputs)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('[environment]\nimage = "a"\nsetup = [\n', 4, "not valid TOML"),
        ('[environment]\nimage = "a"\nsetpu = ["x"]\n', 3, "the keys of [environment] are"),
        ('[environment]\nnetwork = "wide"\n', 2, "network"),
        ('[environment]\nimage = "a"\ndockerfile = "Dockerfile"\n', 3, "keep one"),
        ('[environment]\ndockerfile = "missing/Dockerfile"\n', 2, "does not exist"),
        ('[environment]\ndockerfile = "../../etc/Dockerfile"\n', 2, "outside the project"),
    ],
)
def test_malformed_terminus_toml(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    project = write(tmp_path / "p", {".terminus.toml": text})
    with pytest.raises(ProjectConfigError) as caught:
        resolve_environment(project)
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert ".terminus.toml" in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_python_manifests_install_into_a_venv_with_test_extras(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {
            "requirements.txt": "requests\n",
            "requirements-dev.txt": "pytest\n",
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["six"]\n'
            '[project.optional-dependencies]\ntest = ["pytest"]\ndocs = ["sphinx"]\n'
            '[build-system]\nrequires = ["setuptools"]\n'
            'build-backend = "setuptools.build_meta"\n',
        },
    )
    spec = resolve_environment(project)
    assert spec.source is Source.DETECTED
    assert spec.ecosystems == ("python",)
    (step,) = spec.setup
    assert step.command.startswith("python3 -m venv --system-site-packages ")
    assert step.command.endswith(
        " && pip install -r requirements-dev.txt -r requirements.txt -e '.[test]'"
    )
    assert step.name == "pip install -r requirements-dev.txt -r requirements.txt -e .[test]"


@pytest.mark.parametrize(
    ("files", "command", "outputs"),
    [
        ({"package-lock.json": "{}"}, "npm ci --include=dev", ("node_modules",)),
        ({"yarn.lock": ""}, "yarn install --frozen-lockfile", ("node_modules",)),
        ({"pnpm-lock.yaml": ""}, "pnpm install --frozen-lockfile", ("node_modules",)),
        ({}, "npm install --include=dev", ("node_modules",)),
    ],
)
def test_node_install_by_lockfile(
    tmp_path: Path, files: dict[str, str], command: str, outputs: tuple[str, ...]
) -> None:
    manifest = {"package.json": '{"dependencies": {"left-pad": "1.3.0"}}'}
    spec = resolve_environment(write(tmp_path, {**manifest, **files}))
    (step,) = spec.setup
    assert command in step.command
    assert step.outputs == outputs


@pytest.mark.parametrize(
    ("files", "label"),
    [
        ({"pom.xml": "<project/>"}, "mvn dependency:go-offline"),
        ({"build.gradle": ""}, "gradle dependencies"),
        ({"build.gradle.kts": "", "gradlew": ""}, "./gradlew dependencies"),
        ({"Cargo.toml": '[dependencies]\nserde = "1"\n', "Cargo.lock": ""}, "cargo fetch --locked"),
        ({"go.mod": "module m\nrequire example.org/x v1.0.0\n"}, "go mod download"),
    ],
)
def test_other_ecosystems(tmp_path: Path, files: dict[str, str], label: str) -> None:
    (step,) = resolve_environment(write(tmp_path, files)).setup
    assert step.name == label


@pytest.mark.parametrize(
    "files",
    [
        {"package.json": '{"scripts": {"test": "node --test"}}'},
        {"pyproject.toml": '[project]\nname = "p"\nversion = "0"\n'},
        {"Cargo.toml": '[package]\nname = "p"\n'},
        {"go.mod": "module m\n\ngo 1.22\n"},
        {"README.md": "nothing to install"},
    ],
)
def test_nothing_to_install_means_no_setup(tmp_path: Path, files: dict[str, str]) -> None:
    spec = resolve_environment(write(tmp_path, files))
    assert not spec.needs_setup


def test_key_follows_lockfile_content(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        {"package.json": '{"dependencies": {"a": "1"}}', "package-lock.json": '{"v": 1}'},
    )
    spec = resolve_environment(project)

    def key() -> str:
        digests = input_digests(project, spec.inputs)
        return environment_key(spec, base_image_id="sha256:x", user="1000:1000", digests=digests)

    first = key()
    assert key() == first
    (project / "package-lock.json").write_text('{"v": 2}')
    assert key() != first
    before = input_digests(project, [*spec.inputs, "Cargo.lock"])
    (project / "package-lock.json").write_text('{"v": 3}')
    (project / "Cargo.lock").write_text("created by setup")
    after = input_digests(project, [*spec.inputs, "Cargo.lock"])
    assert changed_inputs(before, after) == ["package-lock.json"]


@pytest.mark.parametrize(
    ("project", "configured", "expected"),
    [
        (None, "allowlist", "allowlist"),
        ("none", "allowlist", "none"),
        ("open", "allowlist", "allowlist"),
        ("open", "open", "open"),
        ("allowlist", "none", "none"),
    ],
)
def test_a_project_narrows_setup_network_but_never_widens_it(
    project: NetworkMode | None, configured: NetworkMode, expected: NetworkMode
) -> None:
    assert setup_network(project, configured) == expected
