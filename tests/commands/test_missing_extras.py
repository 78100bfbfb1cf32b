"""An optional package a command needs and that is not installed is a usage error, alike in every
command: exit 2, one line "... needs the `X` extra (packages): pip install 'veriscene[X]'", no
traceback, nothing written (`errors.MissingExtra`). A missing module is simulated by
``sys.modules[name] = None``, which makes ``import name`` raise ImportError."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.errors import MissingExtra

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo run (`run`), a CT series (`ct`) and a label map (`map.npy`)."""
    from tests.io.readers.dicom_builders import ct_series

    root = tmp_path_factory.mktemp("inputs")
    run_demo(root / "run", scenes=2, seed=1)
    ct_series(root / "ct", slices=2)
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[1:5, 1:5] = 1
    np.save(root / "map.npy", labels)
    return root


CASES = [  # (modules made missing, the command's arguments ({in}: the inputs, {out}: an output), extra)
    (("pyarrow",), "export {in}/run --to parquet --out {out}", "parquet"),
    (("datasets",), "export {in}/run --to hf --out {out}", "hf"),
    (("pyarrow",), "generate {in}/run/scenes.jsonl --out {out} --to parquet", "parquet"),
    (("zstandard",), "generate {in}/run/scenes.jsonl --out {out} --shard-format zstd", "zstd"),
    (("ray",), "generate {in}/run/scenes.jsonl --out {out} --backend ray", "ray"),
    (("ray",), "verify {in}/run --backend ray", "ray"),
    (("highdicom",), "convert {in}/ct --from dicom --out {out}/s.jsonl", "dicom"),
    (("highdicom",), "generate {in}/ct --from dicom --out {out}", "dicom"),
    (("scipy", "scipy.ndimage"), "convert {in}/map.npy --from label_map --out {out}/s.jsonl", "medical"),
    (("httpx",), "eval {in}/run --model openai:m --base-url http://127.0.0.1:9 --out {out} --freeform off", "eval"),
    (("torch",), "eval {in}/run --model hf:{in}/nomodel --out {out} --freeform off", "ml"),
    (("torch",), "annotate {in}/run/images --detector {in}/nomodel --out {out}/s.jsonl", "ml"),
    (("huggingface_hub",), "publish {in}/run user/name --dry-run", "hf"),
    (("fsspec",), "generate {in}/run/scenes.jsonl --out s3://bucket/run", "s3"),
    (("fsspec",), "generate s3://bucket/scenes.jsonl --out {out}", "s3"),
    (("fsspec",), "convert s3://bucket/instances.json --from coco --out {out}/s.jsonl", "s3"),
    (("fsspec",), "stats s3://bucket/run --no-chart", "s3"),
    (("fsspec",), "verify s3://bucket/run", "s3"),
    (("fsspec",), "export s3://bucket/run --to llava --out {out}", "s3"),
]


@pytest.mark.parametrize(("missing", "args", "extra"), CASES, ids=[c[1].split()[0] + "-" + c[2] for c in CASES])
def test_a_missing_extra_exits_2_naming_it(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           missing: tuple[str, ...], args: str, extra: str) -> None:
    for name in missing:
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "out"
    result = runner.invoke(app, args.replace("{in}", str(inputs)).replace("{out}", str(out)).split())
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"needs the `{extra}` extra (" in said and f"pip install 'veriscene[{extra}]'" in said, said
    assert "Traceback" not in said
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert not (out / "samples.jsonl").exists() and not (out / "s.jsonl").exists()


def test_a_missing_extra_is_an_import_error_that_crosses_processes() -> None:
    error = MissingExtra("the Ray backend", "ray", "ray")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ImportError) and str(again) == str(error)
    assert str(error) == "the Ray backend needs the `ray` extra (ray): pip install 'veriscene[ray]'"


def test_a_store_package_missing_is_a_remote_error_and_a_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without s3fs an s3:// URL names the `s3` extra; without gcsfs a gs:// URL says fsspec's own
    words (no extra of ours installs it); both are MissingExtra (exit 2) and RemoteError."""
    from veriscene.engine.url_paths import RemoteError, RemotePackageMissing, filesystem

    monkeypatch.setitem(sys.modules, "s3fs", None)
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    registry = sys.modules.get("fsspec.registry")  # fsspec keeps the classes it has imported, by protocol:
    for protocol in ("s3", "s3a", "gs", "gcs") if registry is not None else ():  # as if none had been used here
        monkeypatch.delitem(registry._registry, protocol, raising=False)
    with pytest.raises(RemotePackageMissing) as s3:
        filesystem("s3://bucket/run", None)
    assert "needs the `s3` extra (fsspec, s3fs): pip install 'veriscene[s3]'" in str(s3.value)
    with pytest.raises(RemotePackageMissing, match=r"^reading gs://bucket/run: .*gcsfs") as gs:
        filesystem("gs://bucket/run", None, doing="reading")
    for error in (s3.value, gs.value):
        again = pickle.loads(pickle.dumps(error))
        assert isinstance(again, MissingExtra) and isinstance(again, RemoteError) and str(again) == str(error)
