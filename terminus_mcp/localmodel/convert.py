"""The GGUF's weights as a Hugging Face safetensors folder, for the in-process vLLM backend.

transformers (5.x, with the ``gguf`` and ``accelerate`` packages) dequantizes the GGUF to
bfloat16 but refuses ``save_pretrained`` on a GGUF-loaded model, so the folder is written by
hand: the state dict with ``safetensors`` (without ``lm_head.weight`` when the embeddings are
tied, as the checkpoint format expects), plus the config, generation config and tokenizer (with
the GGUF's own chat template). About 60 s and 3.5 GB; cached next to the GGUF, keyed by the
GGUF's sha256, and written to a temporary folder first so a half-written one is never used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from terminus_mcp.errors import ConfigError
from terminus_mcp.localmodel.weights import QWEN25_CODER_1_5B_Q4, PartedWeights

log = logging.getLogger(__name__)

STAMP = "terminus-source.json"
"""File in the folder that records which GGUF it was made from."""


def default_folder(spec: PartedWeights, gguf: Path) -> Path:
    return gguf.parent / (spec.filename.removesuffix(".gguf") + "-safetensors")


def ensure_safetensors(
    gguf: Path, *, spec: PartedWeights = QWEN25_CODER_1_5B_Q4, out: Path | None = None
) -> Path:
    """A safetensors folder of ``gguf`` (a verified file of ``spec``), converted on first use.

    Raises:
        ConfigError: transformers, gguf, accelerate or safetensors is missing.
    """
    folder = out or default_folder(spec, gguf)
    stamp = folder / STAMP
    if stamp.is_file():
        try:
            recorded = json.loads(stamp.read_text()).get("sha256")
        except (OSError, ValueError):
            recorded = None
        if recorded == spec.sha256:
            log.info("using cached safetensors folder %s", folder)
            return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        _convert(gguf, work)
        (work / STAMP).write_text(json.dumps({"gguf": gguf.name, "sha256": spec.sha256}))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("wrote safetensors folder %s", folder)
    return folder


def _convert(gguf: Path, out: Path) -> None:
    try:
        import torch
        from safetensors.torch import save_file
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils.quantization_config import GgufConfig
    except ImportError as exc:
        raise ConfigError(
            "converting a GGUF for vLLM needs torch, transformers and safetensors",
            why=str(exc),
            fix="pip install 'transformers>=5' gguf accelerate safetensors",
        ) from exc
    try:
        # Dense weights: transformers 5 would otherwise keep them in packed GGUF blocks.
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent),
            gguf_file=gguf.name,
            dtype=torch.bfloat16,
            quantization_config=GgufConfig(dequantize=True),
        )
        tokenizer: Any = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except ImportError as exc:
        raise ConfigError(
            "transformers cannot read GGUF files here",
            why=str(exc),
            fix="pip install gguf accelerate (and transformers>=5)",
        ) from exc
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    packed = [name for name, tensor in state.items() if not tensor.is_floating_point()]
    if packed:
        raise ConfigError(
            "transformers kept some GGUF weights packed",
            why=f"{len(packed)} tensors are not floating point, for example {packed[0]}",
            fix="use a transformers version whose GgufConfig(dequantize=True) unpacks them",
        )
    if getattr(model.config, "tie_word_embeddings", False):
        state.pop("lm_head.weight", None)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    model.config.torch_dtype = "bfloat16"
    model.config.save_pretrained(str(out))
    finish_config(out / "config.json", type(model).__name__)
    generation: Any = getattr(model, "generation_config", None)
    if generation is not None:
        generation.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    del model, state


def finish_config(path: Path, architecture: str) -> None:
    """Make a GGUF-derived ``config.json`` loadable as a dense checkpoint: name the architecture
    (vLLM picks its model class by it; a GGUF-loaded config has none) and drop the GGUF
    quantization entry (the weights are dense now)."""
    config = json.loads(path.read_text())
    config.pop("quantization_config", None)
    config.setdefault("architectures", [architecture])
    path.write_text(json.dumps(config, indent=2) + "\n")
