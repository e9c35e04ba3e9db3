"""bot/graph_runner.py: the graph run node by node gives what Rasa's dask run gives.

Pins the Rasa version and the sources the in-order `run` reproduces: an upgrade of Rasa must
fail here until `run` is checked against the new `DaskGraphRunner.run`. The same small graphs
are run by both runners and must give the same results, the same errors, and call each node
once (tests/integration/test_graph_runner_model.py does the same with the trained model).
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import pytest
import rasa
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphNode, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot import graph_runner

# sha256 of the Rasa 3.6.21 sources `graph_runner.run` reproduces
PINNED = {
    "DaskGraphRunner.run": "45f0f52f574f3aa9",
    "DaskGraphRunner._build_dask_graph": "5bb99f974d512a36",
    "DaskGraphRunner._add_inputs_to_graph": "d04a0ca2df6241c1",
    "GraphSchema.minimal_graph_schema": "58dfb30335499fff",
    "GraphNode.__call__": "66127a2bfb6fcf1e",
}

CALLS: List[Text] = []


def _source_digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(inspect.unwrap(function)).encode()).hexdigest()[:16]


def test_rasa_is_the_version_the_runner_was_written_for() -> None:
    assert rasa.__version__ == "3.6.21"
    originals = {
        "DaskGraphRunner.run": graph_runner.ORIGINAL_RUN,
        "DaskGraphRunner._build_dask_graph": DaskGraphRunner._build_dask_graph,
        "DaskGraphRunner._add_inputs_to_graph": DaskGraphRunner._add_inputs_to_graph,
        "GraphSchema.minimal_graph_schema": GraphSchema.minimal_graph_schema,
        "GraphNode.__call__": GraphNode.__call__,
    }
    assert {name: _source_digest(f) for name, f in originals.items()} == PINNED


class Join(GraphComponent):
    """Joins its inputs' texts with its own name; `fail` raises the named error."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: Any, resource: Any, execution_context: Any) -> "Join":
        return cls(config)

    def join(self, first: Any = None, second: Any = None) -> Text:
        CALLS.append(self._config["name"])
        if self._config.get("fail") == "runtime":
            raise RuntimeError("the node failed")
        if self._config.get("fail") == "value":
            raise ValueError("the node failed otherwise")
        parts = [str(p) for p in (first, second) if p is not None]
        return f"{self._config['name']}({','.join(parts)})"


def _node(name: Text, needs: Dict[Text, Text], fail: Optional[Text] = None, target: bool = False) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Join, constructor_name="create", fn="join",
                      config={"name": name, "fail": fail}, eager=True, is_target=target)


# A diamond with a shared input, a branch no target needs, and nodes listed out of order.
SCHEMA = GraphSchema({
    "d": _node("d", {"first": "b", "second": "c"}, target=True),
    "b": _node("b", {"first": "a", "second": "text"}),
    "c": _node("c", {"first": "a"}),
    "a": _node("a", {"first": "text"}),
    "unused": _node("unused", {"first": "a"}),
    "e": _node("e", {"first": "c"}, target=True),
})


def _runner(schema: GraphSchema, tmp_path: Path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(schema, storage, ExecutionContext(schema, "test-model"))


def _both(runner: DaskGraphRunner, **kwargs: Any) -> List[Any]:
    """What each runner gives (or raises), with the nodes each one called."""
    outcomes = []
    for run in (graph_runner.ORIGINAL_RUN, graph_runner.run):
        CALLS.clear()
        try:
            result: Any = run(runner, **kwargs)
        except Exception as e:  # compared by type and message below
            result = (type(e).__name__, str(e), type(e.__cause__).__name__ if e.__cause__ else None)
        outcomes.append((result, sorted(CALLS)))
    return outcomes


@pytest.mark.parametrize("targets", [None, ["d"], ["e"], ["d", "e"], ["a"], ["unused", "d"], ["text"]])
def test_same_results_as_dask_and_each_node_runs_once(targets: Optional[List[Text]], tmp_path: Path) -> None:
    runner = _runner(SCHEMA, tmp_path)
    dask_run, in_order = _both(runner, inputs={"text": "hello"}, targets=targets)
    assert in_order == dask_run
    result, calls = in_order
    assert len(calls) == len(set(calls))
    if targets == ["d"]:
        assert result == {"d": "d(b(a(hello),hello),c(a(hello)))"}
        assert "unused" not in calls and "e" not in calls


def test_the_order_is_kept_per_set_of_targets(tmp_path: Path) -> None:
    runner = _runner(SCHEMA, tmp_path)
    graph_runner.run(runner, inputs={"text": "x"}, targets=["d"])
    graph_runner.run(runner, inputs={"text": "y"}, targets=["e"])
    assert graph_runner.run(runner, inputs={"text": "z"}, targets=["d"]) == {"d": "d(b(a(z),z),c(a(z)))"}
    assert set(runner.__dict__[graph_runner._PLANS]) == {("d",), ("e",)}


def test_an_input_named_like_a_node_is_refused_by_both(tmp_path: Path) -> None:
    dask_run, in_order = _both(_runner(SCHEMA, tmp_path), inputs={"text": "b"}, targets=["d"])
    assert in_order == dask_run
    assert in_order[0][0] == "GraphRunError" and "clashes with a node name" in in_order[0][1]
    assert in_order[1] == []


@pytest.mark.parametrize("fail, cause", [("runtime", "RuntimeError"), ("value", "ValueError")])
def test_a_failing_node_fails_both_runs_the_same_way(fail: Text, cause: Text, tmp_path: Path) -> None:
    schema = GraphSchema({
        "a": _node("a", {"first": "text"}),
        "b": _node("b", {"first": "a"}, fail=fail, target=True),
    })
    dask_run, in_order = _both(_runner(schema, tmp_path), inputs={"text": "x"}, targets=["b"])
    assert in_order == dask_run
    (error, message, raised_by), calls = in_order
    assert (error, raised_by) == ("GraphComponentException", cause)  # GraphNode wraps a component's error
    assert message == "Error running graph component for node b." and calls == ["a", "b"]


def test_a_missing_input_is_reported_by_the_node_in_both(tmp_path: Path) -> None:
    dask_run, in_order = _both(_runner(SCHEMA, tmp_path), inputs={}, targets=["a"])
    assert in_order == dask_run
    assert in_order[0][0] == "GraphRunError" and "Missing input to run node 'a'" in in_order[0][1]


def test_install_is_idempotent_and_replaces_the_run() -> None:
    graph_runner.install()
    graph_runner.install()
    assert DaskGraphRunner.run is graph_runner.run
    assert graph_runner.ORIGINAL_RUN is not graph_runner.run
