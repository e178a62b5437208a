# The two quick-start commands, and the checks CI runs.
.PHONY: demo test test-realmodel test-vllm-real lint typecheck bench bench-short docs bootstrap

# Tools the bootstrap puts in .venv/bin (Node.js where the system's is missing or too old)
# come first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)

# Run the product's main job end to end on a fixture repository (direct mode when no model is configured).
demo: bootstrap
	.venv/bin/terminus-mcp run "Run the test suite and report which tests fail and why" \
	    --workdir examples/python-failing-tests

# Everything CI runs: bootstrap, lint, type check, the short benchmarks, the whole test suite
# (last, so its closing line ends the output).
# The in-process vLLM engine on the real model's converted weights (3.5 GB, about 3.5 tokens/s
# on two cores) is proven by its own target, `make test-vllm-real`, not on every run.
test: bootstrap lint typecheck bench-short
	.venv/bin/python -m pytest --adversarial-disruptive --durations=15 \
	    --deselect tests/realmodel/test_vllm_real_weights.py

# The real-model job alone: Qwen2.5-Coder-1.5B-Instruct through llama.cpp on the CPU, five
# held-out tasks through the real loop and sandbox (191 s measured on two quiet cores, plus
# about 2 minutes to fetch and verify the weights the first time; they are cached in
# ~/.cache/terminus-mcp/models). `make test` runs it too.
test-realmodel: bootstrap
	.venv/bin/python -m pytest tests/realmodel/test_real_model_tasks.py -s

# The in-process vLLM backend with the real model's weights, converted to safetensors once
# (cached beside the GGUF): one short task through the service, the loop and a sandbox.
test-vllm-real: bootstrap
	.venv/bin/python -m pytest tests/realmodel/test_vllm_real_weights.py -s

bootstrap:
	scripts/bootstrap.sh

lint:
	.venv/bin/ruff check terminus_mcp tests benchmarks integrations
	.venv/bin/ruff format --check terminus_mcp tests benchmarks integrations

typecheck:
	.venv/bin/mypy
	.venv/bin/mypy benchmarks scripts

docs: bootstrap
	.venv/bin/mkdocs build --strict

# Each benchmark exits non-zero when it misses its target.
bench: bootstrap
	for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done

# The quick form CI runs (under a minute in all); environment_setup.py installs packages from
# the registries and stays out of it.
bench-short: bootstrap
	.venv/bin/python benchmarks/loop_overhead.py --short
	.venv/bin/python benchmarks/mcp_overhead.py --short
	.venv/bin/python benchmarks/sandbox_roundtrip.py --short
	.venv/bin/python benchmarks/digest_sizes.py
