"""The two tokenizers load offline and count as their vocabularies say."""

from __future__ import annotations

from terminus_mcp.models.tokens import proxy_counter, subagent_counter


def test_proxy_counter_is_cl100k() -> None:
    counter = proxy_counter()
    assert counter.name == "cl100k_base"
    assert counter.count("hello world") == 2
    assert counter.count("<|endoftext|>") > 1  # special tokens in output are plain text
    assert counter.count("") == 0


def test_subagent_counter_is_the_qwen_vocabulary_without_a_model_folder() -> None:
    counter = subagent_counter("Qwen/Qwen3-4B-Instruct-2507")
    assert counter.name == "qwen"
    assert counter.encode("hello world") == [14990, 1879]
