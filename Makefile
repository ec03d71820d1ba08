# The two set-up commands of the README: `make run` and `make test`. Both create .venv when needed.
PY := .venv/bin/python
export YOLO_OFFLINE := 1

.PHONY: setup run test lint bench package screenshot clean

setup:
	@bash tools/setup.sh

run: setup
	$(PY) -m app open --demo

test: setup lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The house rules as checks: ruff (pyflakes, pycodestyle, import order, bugbear) and the import contracts
# (Qt-free core, layers) in pyproject.toml.
lint: setup
	.venv/bin/ruff check app tests bench tools
	.venv/bin/lint-imports

bench: setup
	$(PY) -m bench

# The scripted first hour under Xvfb (apt: xvfb xdotool imagemagick): screenshots and checks in build/first-hour.
screenshot: setup
	$(PY) tools/first_hour.py --out build/first-hour

package: setup
	bash packaging/build.sh

clean:
	rm -rf build dist .pytest_cache
