# The two set-up commands of the README: `make run` and `make test`. Both create .venv when needed.
PY := .venv/bin/python
export YOLO_OFFLINE := 1

.PHONY: setup run test bench package screenshot clean

setup:
	@bash tools/setup.sh

run: setup
	$(PY) -m app open --demo

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: setup
	$(PY) -m bench

package: setup
	bash packaging/build.sh

clean:
	rm -rf build dist .pytest_cache
