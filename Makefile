# The two quick-start commands, and the checks CI runs.
.PHONY: demo test lint typecheck bench docs bootstrap

# Run the product's main job end to end on a fixture repository (direct mode when no model is configured).
demo: bootstrap
	.venv/bin/terminus-mcp run "Run the test suite and report which tests fail and why" \
	    --workdir examples/python-failing-tests

# Everything CI runs: bootstrap, lint, type check, the whole test suite.
test: bootstrap lint typecheck
	.venv/bin/python -m pytest --adversarial-disruptive

bootstrap:
	scripts/bootstrap.sh

lint:
	.venv/bin/ruff check terminus_mcp tests benchmarks integrations
	.venv/bin/ruff format --check terminus_mcp tests benchmarks integrations

typecheck:
	.venv/bin/mypy

docs: bootstrap
	.venv/bin/mkdocs build --strict

bench: bootstrap
	for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done
