"""Reference embeddings from the PyPI ``ASTROMER`` package (tf-keras), for tests and benchmarks.

It needs legacy Keras, so it runs in its own process:
``TF_USE_LEGACY_KERAS=1 python -m qzo.testing.astromer_reference WEIGHTS_DIR INPUT.npz OUTPUT.npz
[--untimed]``. INPUT holds ``inputs`` (n, 3: time, mag, magerr) and ``offsets``; OUTPUT gets
``outputs``, ``offsets`` (same light-curve order), ``first_seconds`` (the wall time of a first
``encode``, graph tracing included) and ``seconds`` (a second, warm ``encode`` of the same
inputs; with ``--untimed`` no second ``encode`` is run and ``seconds`` is NaN).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from qzo.io import StrPath


def main(weights_dir: str, input_path: str, output_path: str, timed: bool = True) -> None:
    os.environ.setdefault("TERM", "dumb")  # the package runs `clear` on import
    from ASTROMER.models import SingleBandEncoder

    conf = json.load(open(os.path.join(weights_dir, "conf.json")))
    model = SingleBandEncoder(
        num_layers=conf["layers"],
        d_model=conf["head_dim"],
        num_heads=conf["heads"],
        dff=conf["dff"],
        base=conf["base"],
        dropout=conf["dropout"],
        maxlen=conf["max_obs"],
    )
    model.model.load_weights(os.path.join(weights_dir, "weights")).assert_existing_objects_matched()
    data = np.load(input_path)
    x, off = data["inputs"], data["offsets"]
    lcs = [x[off[i] : off[i + 1]] for i in range(len(off) - 1)]
    ids = [f"{i:06d}" for i in range(len(lcs))]  # encode returns ids in sorted order
    t0 = time.perf_counter()
    out = model.encode(lcs, oids_list=ids, batch_size=64)
    first_seconds = time.perf_counter() - t0
    seconds = float("nan")
    if timed:
        t0 = time.perf_counter()
        out = model.encode(lcs, oids_list=ids, batch_size=64)
        seconds = time.perf_counter() - t0
    lengths = [len(o) for o in out]
    np.savez(
        output_path,
        outputs=np.concatenate(out),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        seconds=seconds,
        first_seconds=first_seconds,
    )


def run_reference(
    weights_dir: StrPath,
    inputs: np.ndarray,
    offsets: np.ndarray,
    workdir: StrPath,
    timed: bool = True,
) -> dict:
    """Run :func:`main` in a subprocess with legacy Keras; return its output arrays (with
    ``timed`` false, one ``encode`` only: the embeddings without the warm timing)."""
    work = Path(workdir)
    np.savez(work / "reference_in.npz", inputs=inputs, offsets=offsets)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "qzo.testing.astromer_reference",
            str(weights_dir),
            str(work / "reference_in.npz"),
            str(work / "reference_out.npz"),
            *([] if timed else ["--untimed"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"reference ASTROMER run failed:\n{proc.stderr[-3000:]}")
    return dict(np.load(work / "reference_out.npz"))


if __name__ == "__main__":
    weights_arg, input_arg, output_arg = sys.argv[1:4]
    main(weights_arg, input_arg, output_arg, timed="--untimed" not in sys.argv[4:])
