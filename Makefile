# Edge-MoE co-design kit. `make demo` runs the main job on the built-in sample,
# `make test` runs the tests; both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# extra pytest arguments, e.g. `make test PYTEST_ARGS=-x`; the slowest items are always listed
PYTEST_ARGS ?=
# The golden model's matrices are small: one BLAS/OpenMP thread per process is as
# fast, and avoids threads spinning against each other when pytest runs -n 2.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: all demo test test-full bench gen gen-check synth hls-csim hls-synth hls-cosim report accuracy clean venv bitstream overlay mutate

all: test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,sim,hls,synth,report,regs,board]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/edgemoe run --out out/demo

test: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --durations=30 $(PYTEST_ARGS)

test-full: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --durations=30 --full $(PYTEST_ARGS)

# Mutation testing of the RTL (sim/mutants.toml): each mutant on a private copy of hw/rtl,
# its covering testbenches run; prints killed/survived/stale. Long; not part of `make test`.
mutate: $(STAMP)
	$(PY) -m edgemoe.sim.mutate --json build/mutate.json

bench: $(STAMP)
	$(VENV)/bin/edgemoe bench

accuracy: $(STAMP)
	$(VENV)/bin/edgemoe accuracy

gen: $(STAMP)
	$(VENV)/bin/edgemoe gen

gen-check: $(STAMP)
	$(VENV)/bin/edgemoe gen --check

report: $(STAMP)
	$(VENV)/bin/edgemoe report --out out/report

# HLS: C simulation with g++ and the ap_types headers of the hls4ml package; synthesis and
# co-simulation with Vitis HLS when vitis_hls is on PATH (otherwise they say so and exit 0).
hls-csim: $(STAMP)
	$(MAKE) -C hw/hls csim PYTHON=$(abspath $(PY))

hls-synth: $(STAMP)
	$(MAKE) -C hw/hls synth PYTHON=$(abspath $(PY))

hls-cosim: $(STAMP)
	$(MAKE) -C hw/hls cosim PYTHON=$(abspath $(PY))

synth: $(STAMP)
	$(VENV)/bin/edgemoe synth

# Board flow (docs/board.md): the ZCU102 bitstream with Vivado when vivado is on PATH
# (otherwise it says so and exits 0), then the installable PYNQ overlay package.
bitstream:
	$(MAKE) -C hw/board bitstream

overlay: $(STAMP)
	$(MAKE) -C hw/board overlay PYTHON=$(abspath $(PY))

clean:
	rm -rf out build sim_build hw/hls/build hw/synth/build .pytest_cache
