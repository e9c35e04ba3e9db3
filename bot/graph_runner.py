"""Run the model's graph node by node, in the order its dependencies give, without dask.

Rasa 3.6 runs every parse and every next-action prediction through `DaskGraphRunner.run`: it
computes the minimal schema for the targets, builds a dask graph from it, and hands it to
dask's synchronous scheduler, which orders the tasks, wraps each one, and keeps its own
bookkeeping. The nodes themselves are plain function calls in one thread. A profile of one
conversation at a time (bench/README.md, "Profiling") put dask's part at about 11 % of the
Rasa server's time per message, spent on three graph runs per turn (one parse, two
predictions).

`run` below does what `DaskGraphRunner.run` does, for the same inputs and targets, with the
same results and errors:
- the nodes needed for the targets are the same (`GraphSchema.minimal_graph_schema`); their
  order, found once per set of targets and kept on the runner, puts every node after the
  nodes it needs, as dask's does;
- each node is called with its dependencies' outputs, in the order of its `needs` (each a
  `(name, value)` pair; an input is `(input_name, value)`, as `_add_inputs_to_graph` puts it in
  the dask graph; a need that nothing provides is passed as its bare name, as dask passes an
  unknown key, and `GraphNode` reports it), and each node runs once per run;
- an input whose value is the name of a node raises the same `GraphRunError` first; a
  `RuntimeError` in a node becomes `GraphRunError("Error running runner.")`, any other error
  propagates unchanged;
- the result maps each target's node name to its output (`dict` of the targets' pairs).

Rasa has no setting for the runner the server uses (`MessageProcessor` names
`DaskGraphRunner`), so `install()` replaces `DaskGraphRunner.run` with this one, once per
process, when the model's policies are built (bot/policies/action_failure.py, as
bot/action_calls.py does). Nothing in Rasa's installed files is changed.
tests/unit/test_graph_runner.py pins the Rasa version and the source of the replaced method and
compares both runners on the same graphs, so an upgrade of Rasa fails until this is re-checked.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

_INSTALLED = "_advisor_sequential_run"
_PLANS = "_advisor_run_plans"

Step = Tuple[Text, Tuple[Text, ...]]
"""A node to call, and the names of the values it needs, in its `needs` order."""
Plan = Tuple[Tuple[Step, ...], FrozenSet[Text]]
"""The steps for a set of targets, and the names of their nodes (no input may take one)."""

ORIGINAL_RUN = DaskGraphRunner.run
"""Rasa's own `DaskGraphRunner.run`, before `install()` (for the tests and for reference)."""


def plan(schema: GraphSchema, targets: List[Text]) -> Tuple[Step, ...]:
    """The nodes the targets need, each after the nodes it needs (inputs are not nodes)."""
    minimal = schema.minimal_graph_schema(targets)
    ordered: List[Step] = []
    placed: set = set()

    def place(name: Text) -> None:  # Rasa's schema validation has ruled out cycles
        if name in placed or name not in minimal.nodes:
            return
        needs = tuple(minimal.nodes[name].needs.values())
        for needed in needs:
            place(needed)
        placed.add(name)
        ordered.append((name, needs))

    for name in minimal.nodes:
        place(name)
    return tuple(ordered)


def run(
    self: DaskGraphRunner,
    inputs: Optional[Dict[Text, Any]] = None,
    targets: Optional[List[Text]] = None,
) -> Dict[Text, Any]:
    """`DaskGraphRunner.run`, with the nodes called in order (see the module's docstring)."""
    run_targets = targets if targets else self._graph_schema.target_names
    plans: Dict[Tuple[Text, ...], Plan] = self.__dict__.setdefault(_PLANS, {})
    key = tuple(run_targets)
    if key not in plans:
        steps = plan(self._graph_schema, run_targets)
        plans[key] = (steps, frozenset(name for name, _ in steps))
    steps, node_names = plans[key]

    values: Dict[Text, Any] = {}
    for input_name, input_value in (inputs or {}).items():
        if isinstance(input_value, str) and (input_value in values or input_value in node_names):
            raise GraphRunError(
                f"Input value '{input_value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        values[input_name] = (input_name, input_value)

    nodes = self._instantiated_nodes
    try:
        for name, needs in steps:
            values[name] = nodes[name](*[values.get(needed, needed) for needed in needs])
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(values[target] for target in run_targets)


def install() -> None:
    """Replace `DaskGraphRunner.run` (once per process) with the in-order `run`."""
    if getattr(DaskGraphRunner, _INSTALLED, False):
        return
    DaskGraphRunner.run = run  # type: ignore[method-assign]
    setattr(DaskGraphRunner, _INSTALLED, True)
