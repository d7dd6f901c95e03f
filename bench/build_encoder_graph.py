"""Write ``bot/search/encoder_graph.onnx``: all-MiniLM-L6-v2's forward pass as an ONNX
graph that holds no weights.

    pip install onnx==1.23.2   # the dev extra has it; run time does not need it
    python bench/build_encoder_graph.py [--out FILE]

The graph is the NumPy pass of :class:`bot.search.encoder.Encoder` node for node:
word-piece ids and attention mask in (int64, ``[batch, tokens]``), embeddings plus
position and token-type-0 embeddings, LayerNorm (eps 1e-12), six BERT layers (12 heads,
additive -1e9 mask, exact erf GELU), then mean pooling over the mask and L2
normalisation out (float32, ``[batch, 384]``).

Every weight is declared, with its name, dtype and shape, as an initializer whose data
is "external" and never read: :class:`~bot.search.encoder.Encoder` hands onnxruntime
the arrays it loaded from ``model.safetensors`` through
``SessionOptions.add_external_initializers``, so the committed file stays small and the
weights exist once, checked against upstream's SHA-256. Names are the safetensors names
without ``bert.``; the 2-D ``encoder.*`` weights are fed transposed (``[in, out]``, as
the NumPy pass keeps them), so both passes share one copy.

The shapes are read from the installed ``model.safetensors`` (its header only).
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

from bot.search.encoder import (  # noqa: E402
    GRAPH_INPUTS,
    GRAPH_OUTPUT,
    HEADS,
    _model_dir,
    graph_path,
    is_transposed,
)

OPSET = 18  # LayerNormalization (17); ReduceL2 axes as an input (18)
IR_VERSION = 8
PLACEHOLDER = "weights-fed-at-load-time"  # never read: every initializer is fed


def safetensors_shapes(path: Path) -> dict[str, tuple[str, list[int]]]:
    """Name -> (dtype, shape) of every tensor in a safetensors file, from its header."""
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    return {
        k.removeprefix("bert."): (v["dtype"], v["shape"])
        for k, v in header.items()
        if k != "__metadata__"
    }


class Graph:
    """Collects nodes and constants, with fresh value names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.constants: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def op(self, op_type: str, inputs: list[str], hint: str = "", **attrs: object) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, value: float | list[int], hint: str = "c") -> str:
        name = self.name(hint)
        if isinstance(value, list):
            t = helper.make_tensor(name, TensorProto.INT64, [len(value)], value)
        else:
            t = helper.make_tensor(name, TensorProto.FLOAT, [], [value])
        self.constants.append(t)
        return name


def build(shapes: dict[str, tuple[str, list[int]]]) -> onnx.ModelProto:
    """The forward pass over weights named and shaped as in ``shapes``."""
    g = Graph()
    ids, mask = GRAPH_INPUTS
    hidden = shapes["embeddings.word_embeddings.weight"][1][1]
    layers = sum(1 for k in shapes if k.endswith("attention.self.query.weight"))
    d = hidden // HEADS

    def ln(x: str, prefix: str) -> str:
        return g.op(
            "LayerNormalization",
            [x, prefix + ".weight", prefix + ".bias"],
            "ln",
            axis=-1,
            epsilon=1e-12,
        )

    def lin(x: str, prefix: str) -> str:
        return g.op("Add", [g.op("MatMul", [x, prefix + ".weight"]), prefix + ".bias"])

    # Embeddings: word pieces + positions [0, n) + token type 0.
    words = g.op("Gather", ["embeddings.word_embeddings.weight", ids])
    n = g.op("Slice", [g.op("Shape", [ids]), g.const([1]), g.const([2])], "n")
    positions = g.op(
        "Slice", ["embeddings.position_embeddings.weight", g.const([0]), n, g.const([0])]
    )
    token_type = g.op(
        "Gather",
        ["embeddings.token_type_embeddings.weight", g.const([0])],
    )  # [1, hidden]: broadcasts like the NumPy pass's row 0
    x = g.op("Add", [g.op("Add", [words, positions]), token_type])
    x = ln(x, "embeddings.LayerNorm")

    maskf = g.op("Cast", [mask], "maskf", to=TensorProto.FLOAT)
    neg = g.op("Mul", [g.op("Sub", [g.const(1.0), maskf]), g.const(-1e9)])
    neg = g.op("Unsqueeze", [neg, g.const([1, 2])], "neg")  # [b, 1, 1, n]
    split = g.const([0, 0, HEADS, d])
    merge = g.const([0, 0, hidden])
    scale = g.const(math.sqrt(d))
    half, one, root2 = g.const(0.5), g.const(1.0), g.const(math.sqrt(2.0))

    for i in range(layers):
        p = f"encoder.layer.{i}."
        q = g.op("Reshape", [lin(x, p + "attention.self.query"), split])
        k = g.op("Reshape", [lin(x, p + "attention.self.key"), split])
        v = g.op("Reshape", [lin(x, p + "attention.self.value"), split])
        q = g.op("Transpose", [q], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [k], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [v], perm=[0, 2, 1, 3])
        scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k]), scale]), neg])
        probs = g.op("Softmax", [scores], axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge])
        x = ln(
            g.op("Add", [x, lin(ctx, p + "attention.output.dense")]),
            p + "attention.output.LayerNorm",
        )
        h = lin(x, p + "intermediate.dense")
        erf = g.op("Erf", [g.op("Div", [h, root2])])
        inner = g.op("Mul", [g.op("Mul", [half, h]), g.op("Add", [one, erf])], "gelu")
        x = ln(g.op("Add", [x, lin(inner, p + "output.dense")]), p + "output.LayerNorm")

    m = g.op("Unsqueeze", [maskf, g.const([2])])  # [b, n, 1]
    summed = g.op("ReduceSum", [g.op("Mul", [x, m]), g.const([1])], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [m, g.const([1])], keepdims=0), g.const(1e-9)])
    pooled = g.op("Div", [summed, count])
    norm = g.op("ReduceL2", [pooled, g.const([1])], keepdims=1)
    g.nodes.append(
        helper.make_node("Div", [pooled, g.op("Max", [norm, g.const(1e-12)])], [GRAPH_OUTPUT])
    )

    weights = []
    used = {i for node in g.nodes for i in node.input}
    for name, (dtype, shape) in sorted(shapes.items()):
        if name not in used:  # embeddings.position_ids: positions are 0..n-1 here
            continue
        if dtype != "F32":
            raise SystemExit(f"{name}: {dtype}, expected F32")
        dims = list(reversed(shape)) if is_transposed(name, len(shape)) else list(shape)
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
        t.data_location = TensorProto.EXTERNAL
        for key, value in [("location", PLACEHOLDER), ("offset", "0")]:
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        weights.append(t)

    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2 (weights fed at load time)",
        [
            helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(GRAPH_OUTPUT, TensorProto.FLOAT, ["batch", hidden])],
        initializer=[*g.constants, *weights],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="briefbot bench/build_encoder_graph.py",
        ir_version=IR_VERSION,
    )
    check(model)
    return model


def check(model: onnx.ModelProto) -> None:
    """onnx's checker, full (shape inference too), beside an empty placeholder file: it
    insists that external data files exist, though this graph's are never read."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / PLACEHOLDER).write_bytes(b"")
        path = Path(tmp) / "graph.onnx"
        path.write_bytes(model.SerializeToString())
        onnx.checker.check_model(str(path), full_check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=graph_path(), help="default: %(default)s")
    args = parser.parse_args(argv)
    folder = _model_dir()
    if folder is None:
        print("the model files are not installed (make .venv/.installed)", file=sys.stderr)
        return 2
    model = build(safetensors_shapes(folder / "model.safetensors"))
    data = model.SerializeToString()
    args.out.write_bytes(data)
    print(f"{args.out}: {len(data):,} bytes, {len(model.graph.node)} nodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
