"""Published Astromer v1 weights (``conf.json`` + TF2 object checkpoint ``weights.*``) from a
directory, a zip, or a URL with a sha256 (downloaded once into a cache; offline: a local path)."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from qzo.io import StrPath
from qzo.models.astromer.backend import read_tf_checkpoint
from qzo.models.astromer.encoder import AstromerEncoder

_PREFIX = "layer_with_weights-0/"
_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_weights(source: StrPath, cache_dir: StrPath, sha256: str | None = None) -> Path:
    """A directory holding ``conf.json`` and ``weights.index`` for a directory, zip or URL."""
    source = str(source)
    cache = Path(cache_dir)
    if source.startswith(("http://", "https://")):
        if not sha256:
            raise ValueError(f"weights URL {source} needs a sha256 to be checked against")
        archive = cache / f"{sha256}.zip"
        if not archive.exists():
            cache.mkdir(parents=True, exist_ok=True)
            tmp = archive.with_suffix(".part")
            with urllib.request.urlopen(source) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
            tmp.rename(archive)
        source = str(archive)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"Astromer weights not found: {path}")
    if sha256 and path.is_file() and _sha256(path) != sha256:
        raise ValueError(f"{path}: sha256 differs from the configured {sha256}")
    if path.is_file() and zipfile.is_zipfile(path):
        target = cache / f"unzipped-{_sha256(path)[:16]}"
        if not target.exists():
            with zipfile.ZipFile(path) as zf:
                zf.extractall(target.with_suffix(".tmp"))
            target.with_suffix(".tmp").rename(target)
        path = target
    found = sorted(path.rglob("weights.index"))
    if not found or not (found[0].parent / "conf.json").exists():
        raise FileNotFoundError(f"{source}: no conf.json + weights.index checkpoint inside")
    return found[0].parent


def _variable_map(model: AstromerEncoder) -> dict[str, Any]:
    """Checkpoint name (without prefix/suffix) → our variable."""
    out = {
        "inp_transform/kernel": model.inp_transform.kernel,
        "inp_transform/bias": model.inp_transform.bias,
    }
    for i, b in enumerate(model.blocks):
        base = f"enc_layers/{i}/"
        for name in ("wq", "wk", "wv", "dense"):
            layer = getattr(b, name)
            out[f"{base}mha/{name}/kernel"] = layer.kernel
            out[f"{base}mha/{name}/bias"] = layer.bias
        for j, layer in enumerate((b.ffn_hidden, b.ffn_out)):
            out[f"{base}ffn/layer_with_weights-{j}/kernel"] = layer.kernel
            out[f"{base}ffn/layer_with_weights-{j}/bias"] = layer.bias
        for ln in ("layernorm1", "layernorm2"):
            out[f"{base}{ln}/gamma"] = getattr(b, ln).gamma
            out[f"{base}{ln}/beta"] = getattr(b, ln).beta
    return out


def load_pretrained_encoder(
    weights_dir: StrPath, window: int | None = None, **options: Any
) -> AstromerEncoder:
    """Build the encoder that ``conf.json`` describes and assign every checkpoint variable.
    ``options`` are the encoder's :data:`~qzo.config.settings.ENCODER_OPTIONS`; none
    given is the published model. With any of them the published weights are only a starting
    point for training, and the extra input projections start at zero, so the encoder starts
    as the published one."""
    weights_dir = Path(weights_dir)
    conf = json.loads((weights_dir / "conf.json").read_text())
    model = AstromerEncoder(
        num_layers=conf["layers"],
        d_model=conf["head_dim"],
        num_heads=conf["heads"],
        dff=conf["dff"],
        dropout=conf["dropout"],
        window=window or conf["max_obs"],
        **options,
    ).build_for_window()
    reader = read_tf_checkpoint(str(weights_dir / "weights"))
    for name, var in _variable_map(model).items():
        key = f"{_PREFIX}{name}{_SUFFIX}"
        if not reader.has_tensor(key):
            raise KeyError(f"{weights_dir}: checkpoint has no variable {key}")
        value = reader.get_tensor(key)
        if tuple(value.shape) != tuple(var.shape):
            raise ValueError(f"{key}: shape {value.shape}, the encoder expects {tuple(var.shape)}")
        var.assign(np.asarray(value))
    for extra in ("err_transform", "diff_transform", "local_transform"):
        if hasattr(model, extra):
            kernel = getattr(model, extra).kernel
            kernel.assign(np.zeros(kernel.shape, np.float32))
    return model
