"""A tiny Qwen3 checkpoint, made and taught in seconds, for tests against the real vLLM engine.

No weights can be downloaded here, so the test builds its own model directory:

- a byte-level BPE tokenizer trained on the spot, with Qwen's special tokens (``<|im_start|>``,
  ``<|im_end|>`` and ``<|endoftext|>`` special; ``<tool_call>``, ``<tool_response>``, ``<think>``
  and their closing tags added but not special, as in the real Qwen3 tokenizer);
- a Qwen3-style chat template of our own that lists tools in the system turn and renders calls
  in the Hermes ``<tool_call>{json}</tool_call>`` format, with tool results in a user turn;
- a ``Qwen3ForCausalLM`` (hidden 128, 2 layers, 2 heads, 1 KV head, head_dim 64; head_dim 16 is
  rejected by vLLM's CPU attention) taught one scripted trajectory with a plain PyTorch loop:
  turn 1 calls ``run_in_terminal`` with :data:`COMMAND`; after any tool response, turn 2 answers
  with :data:`FINAL_ANSWER`. The system and user texts vary between training examples so the
  model keys on the conversation's shape, not on one exact prompt: the loop's own prompt can
  change without breaking these tests.

Greedy decoding then reproduces the trajectory exactly, through the in-process engine and through
vLLM's OpenAI server with the hermes tool parser alike.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMMAND = "echo hello-from-vllm"
TIMEOUT_MS = 30000
FINAL_ANSWER = (
    "<final_answer>\n"
    f"Command: {COMMAND}\n"
    "Summary: printed hello-from-vllm, exit code 0.\n"
    "</final_answer>"
)
TOOL_NAME = "run_in_terminal"
QUERY = f"Run `{COMMAND}` and tell me what it printed."

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MARKUP_TOKENS = [
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
]

CHAT_TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\n\\nYou may call the functions below. Their signatures are inside <tools></tools>:\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools>\\n\\nTo call a function, return a JSON object with its name and arguments inside <tool_call></tool_call> tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant\\n' + (message.content or '') }}
{%- for call in message.tool_calls or [] %}
{%- set fn = call.function if call.function is defined else call %}
{%- if message.content or not loop.first %}{{- '\\n' }}{%- endif %}
{{- '<tool_call>\\n{"name": "' + fn.name + '", "arguments": ' }}
{%- if fn.arguments is string %}{{- fn.arguments }}{%- else %}{{- fn.arguments | tojson }}{%- endif %}
{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
"""  # noqa: E501

DEFAULT_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": "Run a shell command in the workspace and return its output.",
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The command to run."},
                "timeout": {"type": "integer", "description": "Timeout in milliseconds."},
            },
            "required": ["command", "timeout"],
        },
    },
}

_WORD_TEXT = (
    "run build test the project workspace command output error failing pass check report "
    "summary exit code compile module python node make pytest install lines files folder "
    "please execute and tell me what happened with each step you are an execution agent "
)
_WORDS = _WORD_TEXT.split()


def _phrase(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def trajectory(system: str, user: str, observation: str) -> list[dict[str, Any]]:
    """The scripted two-turn conversation, in OpenAI chat shape."""
    arguments = {"command": COMMAND, "timeout": TIMEOUT_MS}
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"type": "function", "function": {"name": TOOL_NAME, "arguments": arguments}}
            ],
        },
        {"role": "tool", "content": observation},
        {"role": "assistant", "content": FINAL_ANSWER},
    ]


_OBSERVATIONS = (
    "hello-from-vllm",
    "exit code: 0\nhello-from-vllm",
    "Exit code: 0. Duration: 0.02 s.\nOutput:\nhello-from-vllm\n",
    "$ echo hello-from-vllm\nhello-from-vllm\n[exit 0 after 0.1 s]",
    "<output>\nhello-from-vllm\n</output>\nexit_code=0",
)


def _examples(
    conversations: Sequence[tuple[str, str]], observations: Sequence[str], seed: int
) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    pairs = list(conversations) or [
        (_phrase(rng, 8, 30), _phrase(rng, 3, 12) + f" Run `{COMMAND}`.") for _ in range(2)
    ]
    return [(system, user, obs) for system, user in pairs for obs in observations or _OBSERVATIONS]


def _train_tokenizer(corpus: list[str], vocab_size: int) -> Any:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP_TOKENS])
    return tokenizer


def build_tiny_qwen(
    directory: Path,
    *,
    conversations: Sequence[tuple[str, str]] = (),
    observations: Sequence[str] = (),
    tools: Sequence[dict[str, Any]] = (DEFAULT_TOOL,),
    steps: int = 300,
    seed: int = 0,
) -> Path:
    """Write a taught tiny Qwen3 checkpoint (config, weights, tokenizer, template) to ``directory``.

    ``conversations`` lists the ``(system, user)`` openings the tests will really send; each is
    taught with each of ``observations`` as the tool response (default: a few varied ones), so
    turn 2 does not hinge on one exact observation. Without conversations, two random openings
    are used.
    """
    import torch
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    directory.mkdir(parents=True, exist_ok=True)
    tool_list = [dict(t) for t in tools]
    examples = _examples(conversations, observations, seed=seed)
    corpus = [json.dumps(tool_list)] + [" ".join(e) for e in examples] + [FINAL_ANSWER] * 4

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(corpus, vocab_size=2048),
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        model_max_length=4096,
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    def render(messages: list[dict[str, Any]], generation_prompt: bool) -> list[int]:
        text = tokenizer.apply_chat_template(
            messages, tools=tool_list, tokenize=False, add_generation_prompt=generation_prompt
        )
        ids: list[int] = tokenizer.encode(text, add_special_tokens=False)
        return ids

    sequences: list[tuple[list[int], list[int]]] = []
    for system, user, observation in examples:
        messages = trajectory(system, user, observation)
        full = render(messages, generation_prompt=False)
        labels = [-100] * len(full)
        for end in (2, 4):  # the two assistant turns start after messages[:2] and messages[:4]
            start = len(render(messages[:end], generation_prompt=True))
            stop = len(render(messages[: end + 1], generation_prompt=False))
            if full[:start] != render(messages[:end], generation_prompt=True):
                raise AssertionError("the chat template is not append-only; cannot mask turns")
            labels[start:stop] = full[start:stop]
        sequences.append((full, labels))

    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=64,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen3ForCausalLM(config)
    width = max(len(ids) for ids, _ in sequences)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in sequences])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in sequences])
    mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in sequences])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    taught = labels[:, 1:] != -100
    loss = torch.tensor(float("inf"))
    started = time.perf_counter()
    for step in range(steps):
        optimizer.zero_grad()
        output = model(input_ids=input_ids, attention_mask=mask, labels=labels)
        loss = output.loss
        loss.backward()
        optimizer.step()
        # Greedy decoding needs every taught token to be the argmax, not a near-zero loss.
        guesses = output.logits[:, :-1].argmax(-1)
        if loss.item() < 0.02 and bool((guesses == labels[:, 1:])[taught].all()):
            print(
                f"tiny Qwen3 taught in {step + 1} steps, {time.perf_counter() - started:.1f} s "
                f"({len(sequences)} sequences of up to {width} tokens)",
                file=sys.stderr,
            )
            break
    else:
        raise AssertionError(
            f"the tiny model did not learn its trajectory (loss {loss.item():.3f})"
        )

    model.eval()
    model.generation_config.eos_token_id = [
        tokenizer.convert_tokens_to_ids("<|im_end|>"),
        tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    ]
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def loop_tiny_qwen(cache_root: Path) -> Path:
    """The tiny checkpoint taught the real loop's opening (its system prompt, task message and
    tool), built once under ``cache_root`` and reused (pass pytest's session base temp)."""
    from terminus_mcp.agent.contract import (
        ANSWER_HINT,
        RUN_IN_TERMINAL,
        SYSTEM_PROMPT,
        task_message,
    )

    directory = cache_root / "tiny-qwen"
    if (directory / "config.json").is_file():
        return directory
    building = cache_root / "tiny-qwen.partial"
    build_tiny_qwen(
        building,
        conversations=[(SYSTEM_PROMPT, task_message(QUERY).content)],
        # The loop's observation format (terminus_mcp.agent.observation, then the answer hint
        # the loop adds for a model), durations varied.
        observations=[
            f"Exit code: 0\nDuration: {seconds:.1f} s\nOutput:\nhello-from-vllm\n\n{ANSWER_HINT}"
            for seconds in (0.0, 0.1, 0.2)
        ],
        tools=[RUN_IN_TERMINAL.openai_schema()],
    )
    building.rename(directory)
    return directory
