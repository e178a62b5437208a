"""Building the configured model backend (openai or vllm) from the settings."""

from __future__ import annotations

import importlib
from typing import cast

from terminus_mcp.models.base import ModelBackend
from terminus_mcp.settings import Settings


def backend_kind(settings: Settings) -> str:
    """The backend ``settings`` select: ``auto`` is ``openai`` when a base URL is set, else
    ``direct``."""
    if settings.backend == "auto":
        return "openai" if settings.base_url else "direct"
    return settings.backend


def build_backend(settings: Settings) -> ModelBackend:
    """A new model backend for ``settings`` (``openai`` or ``vllm``; the direct mode is not a
    model and lives in :mod:`terminus_mcp.direct`). Loads tokenizers (blocking, well under a
    second); the vLLM engine itself starts in its own backend, on first use or its own start-up.

    Raises:
        ConfigError: the backend's settings are incomplete (for example no base URL).
        ValueError: ``settings`` select the direct mode.
    """
    kind = backend_kind(settings)
    if kind == "openai":
        from terminus_mcp.models.openai_backend import OpenAIBackend

        return OpenAIBackend(settings)
    if kind == "vllm":
        module = importlib.import_module("terminus_mcp.models.vllm_backend")
        return cast(ModelBackend, module.VllmBackend(settings))
    raise ValueError(f"backend {kind!r} is not a model backend")
