# The plan advisor. `make run` and `make test` work on a fresh clone: they create .venv,
# install what is missing, load the knowledge base and train the model when it is stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
MODEL_DIR := models
# What the trained model is made of, and nothing else, so that editing an action, a channel or
# the CLI does not retrain: the training data, the domain and pipeline, the content the pipeline
# reads while training (terms.yml, through the knowledge base: TermEntityExtractor), and the
# source of the custom components and policies in bot/config.yml with the language/ code they
# run and the spaCy rules its tokenizer reads (language/spacy_data.json), and the answer and FAQ
# texts (bot.components.knowledge_vote indexes them).
TRAINING_INPUTS := $(shell find data bot/domain bot/components bot/policies language -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null) \
  language/spacy_data.json \
  bot/config.yml knowledge/content/terms.yml knowledge/content/faq.yml $(wildcard knowledge/content/answers/*.yml)
KB_INPUTS := $(shell find knowledge/content -type f -name '*.yml' 2>/dev/null)
KB_STAMP := var/.kb-loaded

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: help install kb train run actions chat test test-fast bench validate clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "Python 3.10 is needed (Rasa 3.6 supports 3.8-3.10) and '$(PYTHON)' was not found."; \
	  echo "With pyenv: 'pyenv install 3.10' (the .python-version file here selects it); or set PYTHON=/path/to/python3.10."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP) ## create .venv and install the project with its test tools

kb: $(STAMP) ## migrate the databases, then validate and load the knowledge base (KNOWLEDGE_DB_URL)
	$(BIN)/advisor db upgrade
	$(BIN)/advisor kb load

validate: $(STAMP) ## check the content files and the Rasa training data
	$(BIN)/advisor kb validate
	$(BIN)/advisor data validate

$(KB_STAMP): $(STAMP) $(KB_INPUTS) $(wildcard migrations/versions/*.py)
	$(BIN)/advisor db upgrade
	$(BIN)/advisor kb load
	@mkdir -p $(dir $@) && touch $@

# The knowledge base must be loaded before training (the term extractor reads it), but a
# reload alone (an edited answer) is no reason to retrain: an order-only prerequisite.
$(MODEL_DIR)/.trained: $(STAMP) $(TRAINING_INPUTS) | $(KB_STAMP)
	$(BIN)/rasa train --config bot/config.yml --domain bot/domain --data data --out $(MODEL_DIR) --fixed-model-name advisor
	@touch $@

train: $(MODEL_DIR)/.trained ## train the model if the data, domain or content changed

actions: $(STAMP) ## run the action server alone
	$(BIN)/rasa run actions --actions actions --port $(ACTIONS_PORT)

run: train $(KB_STAMP) ## install what is missing, then start the action server and Rasa (REST on RASA_PORT)
	@$(BIN)/advisor db upgrade && $(BIN)/advisor kb load --if-empty
	@ADVISOR_DEV_MODE=$${ADVISOR_DEV_MODE:-true} $(BIN)/python -m bot.serve --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT)

chat: train $(KB_STAMP) ## talk to the assistant in the terminal
	@$(BIN)/advisor db upgrade && $(BIN)/advisor kb load --if-empty
	@ADVISOR_DEV_MODE=$${ADVISOR_DEV_MODE:-true} $(BIN)/python -m bot.serve --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT) --shell

test: train ## run every test (PostgreSQL and Redis ones against TEST_POSTGRES_URL / TEST_REDIS_URL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## unit tests only
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

bench: train ## accuracy, latency, throughput, memory and training time against the Rasa default pipeline
	$(BIN)/python -m bench.run

.PHONY: report markers
report: $(STAMP) ## the content owners' report of the last 30 days (TRACKER_STORE_URL) into results/report.html
	@mkdir -p results
	$(BIN)/advisor report --since $${SINCE:-30d} --out results/report.html

markers: $(STAMP) ## Rasa's conversation markers (markers.yml) over the tracker store into results/markers/
	@mkdir -p results/markers
	ACTION_ENDPOINT_URL=$${ACTION_ENDPOINT_URL:-http://127.0.0.1:$(ACTIONS_PORT)/webhook} $(BIN)/rasa evaluate markers all \
	  --config markers.yml --domain bot/domain --endpoints bot/endpoints.yml \
	  --stats-file-prefix results/markers/stats results/markers/markers.csv

clean: ## remove the trained model and local databases (keeps .venv)
	rm -rf $(MODEL_DIR) var results .rasa
