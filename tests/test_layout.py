"""The package's layers: no module imports from a layer above its own (tools/import_graph.py)."""

from tools import import_graph


def test_no_import_points_up_the_layers():
    edges = import_graph.graph()
    assert len(edges) > 50 and all(import_graph.layer_of(m) for m in edges if m != "dcglr_tf")  # every module placed
    assert import_graph.upward_imports(edges) == []


def test_an_upward_import_is_found():
    edges = {"dcglr_tf.ops.points": {"dcglr_tf.training.pretrain"}, "dcglr_tf.training.pretrain": {"dcglr_tf.ops.points"}}
    assert import_graph.upward_imports(edges) == [("dcglr_tf.ops.points", "point ops", "dcglr_tf.training.pretrain",
                                                   "training")]
