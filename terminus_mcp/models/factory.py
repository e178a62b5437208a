"""Building the configured model backend from the settings."""

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
    """A new backend for ``settings``. Loads tokenizers (blocking, well under a second); the
    vLLM engine itself starts in its own backend, on first use or its own start-up.

    Raises:
        ConfigError: the backend's settings are incomplete (for example no base URL).
    """
    kind = backend_kind(settings)
    if kind == "openai":
        from terminus_mcp.models.openai_backend import OpenAIBackend

        return OpenAIBackend(settings)
    if kind == "vllm":
        module = importlib.import_module("terminus_mcp.models.vllm_backend")
        return cast(ModelBackend, module.VllmBackend(settings))
    from terminus_mcp.models.direct import DirectBackend

    return DirectBackend()
