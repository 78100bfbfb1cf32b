"""`veriscene generate` on a Ray cluster started apart, as on a real cluster (`ray start --head`):
reached through `--address` or RAY_ADDRESS, with Ray's token authentication, as many workers
as the cluster has CPUs. The runs are CLI processes, as a user starts them: each is a fresh Ray
client, and this process's Ray state does not leak into them."""

import importlib
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import veriscene.engine.backends as backends
import veriscene.engine.ray_cluster as ray_cluster
from veriscene import generate
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.scene import write_scenes

from ..ray_head import clean_env


@pytest.fixture(scope="module")
def scenes_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "scenes.jsonl"
    write_scenes(iter_scene_graphs(16, seed=4), path)
    return path


@pytest.fixture(scope="module")
def reference(scenes_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    generate(scenes_file, out, seed=3, shard_size=3)
    return (out / "samples.jsonl").read_bytes()


def _generate(scenes_file: Path, out: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veriscene", "generate", str(scenes_file), "--out", str(out), "--seed", "3",
         "--shard-size", "3", "--backend", "ray", *options],
        env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=300)


def test_generate_on_a_cluster_with_token_authentication(ray_cluster, scenes_file, reference, tmp_path_factory) -> None:
    # RAY_AUTH_MODE unset and the token at hand, as on a cluster's machine after `ray start`: Ray's
    # own client would not send it (and fail after 20 s of retries); veriscene does, as `ray start`
    out = tmp_path_factory.mktemp("address")  # same depth as the reference: image paths are relative
    done = _generate(scenes_file, out, clean_env(RAY_AUTH_TOKEN=ray_cluster.token), "--address", ray_cluster.address)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "samples.jsonl").read_bytes() == reference
    # no --workers: as many as the cluster's CPUs, said in the summary
    assert "(2 CPUs): 2 workers, at most 4 shards in flight" in done.stdout
    # the run's output is its own: not Ray's notes on connecting, nor on the token it was sent
    assert not _RAY_LOG_LINE.search(done.stdout + done.stderr), done.stderr


# a line of Ray's "ray" logger (its format: time, level, file:line -- message)
_RAY_LOG_LINE = re.compile(r"(INFO|WARNING|DEBUG)\s+\S+\.py:\d+ -- ")

# a driver whose code digest is not its workers': each worker refuses its shard (WorkerCodeMismatch)
_OTHER_CODE = ("import sys, veriscene.engine.backends as b; b.veriscene_digest = lambda: '0' * 16; "
               "from veriscene.cli import app; app(prog_name='veriscene')")


def test_a_worker_s_error_on_a_cluster_reaches_the_user_without_ray_s_log_lines(ray_cluster, scenes_file,
                                                                                tmp_path_factory) -> None:
    out = tmp_path_factory.mktemp("refused")
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_CODE, "generate", str(scenes_file), "--out", str(out), "--shard-size", "3",
         "--backend", "ray", "--address", ray_cluster.address],
        env={**clean_env(RAY_AUTH_TOKEN=ray_cluster.token), "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=300)
    assert done.returncode != 0
    assert "was not made: its worker (host" in done.stderr and "runs other veriscene code" in done.stderr
    assert not _RAY_LOG_LINE.search(done.stdout + done.stderr), done.stderr


def test_generate_on_the_cluster_of_ray_address(ray_cluster, scenes_file, reference, tmp_path_factory) -> None:
    # as `ray job submit` runs a script on the cluster: RAY_ADDRESS set, no --address
    out = tmp_path_factory.mktemp("env")
    done = _generate(scenes_file, out, clean_env(RAY_ADDRESS=ray_cluster.address, RAY_AUTH_TOKEN=ray_cluster.token),
                     "--workers", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "samples.jsonl").read_bytes() == reference
    assert "(2 CPUs): 1 worker, at most 2 shards in flight" in done.stdout


def test_the_workers_write_or_send_back_as_asked(ray_cluster, scenes_file, reference, tmp_path_factory) -> None:
    for option, said in (("--shared-output", "Ray workers write their shards into the output folder, which every "
                                             "node sees"),
                         ("--no-shared-output", "Ray workers send their samples back to be written here")):
        out = tmp_path_factory.mktemp("shared")
        done = _generate(scenes_file, out, clean_env(RAY_AUTH_TOKEN=ray_cluster.token), "--address",
                         ray_cluster.address, option)
        assert done.returncode == 0, done.stderr[-3000:]
        assert (out / "samples.jsonl").read_bytes() == reference
        assert said in done.stdout
        assert not list(out.glob(".visible-*"))  # the file that every node was asked to see is gone


# a task on a node of the cluster: the pixel limit its worker opens images under
_LIMIT_SEEN = """
import os, sys
from veriscene.engine.ray_cluster import ray_session

def limit():
    from PIL import Image
    import veriscene.scene.image_files  # (sets Pillow's limit from the environment, as a run's workers do)
    return os.environ.get("VERISCENE_MAX_IMAGE_PIXELS"), Image.MAX_IMAGE_PIXELS

with ray_session(1, sys.argv[1]) as ray:
    print(ray.get(ray.remote(limit).remote()))
"""


def test_a_cluster_s_workers_open_images_under_the_pixel_limit_set_here(ray_cluster) -> None:
    # the head's workers start from its own environment (`ray start`'s, without the variable): the
    # job's runtime_env passes it, as a local Ray's workers inherit it
    done = subprocess.run([sys.executable, "-c", _LIMIT_SEEN, ray_cluster.address],
                          env=clean_env(RAY_AUTH_TOKEN=ray_cluster.token, VERISCENE_MAX_IMAGE_PIXELS="123456789"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "('123456789', 123456789)"


def test_the_job_s_runtime_env_passes_the_pixel_limit_unless_the_job_sets_it(monkeypatch) -> None:
    monkeypatch.delenv("RAY_JOB_CONFIG_JSON_ENV_VAR", raising=False)
    monkeypatch.delenv("VERISCENE_MAX_IMAGE_PIXELS", raising=False)
    assert ray_cluster.worker_env() is None  # nothing set: no runtime_env asked for
    monkeypatch.setenv("VERISCENE_MAX_IMAGE_PIXELS", "none")
    assert ray_cluster.worker_env() == {"env_vars": {"VERISCENE_MAX_IMAGE_PIXELS": "none"}}
    # `ray job submit --runtime-env-json`: the job's other variables and fields are Ray's to merge;
    # one it sets itself is not set again (Ray would refuse the two)
    job = {"runtime_env": {"env_vars": {"HF_HOME": "/data/hf"}, "pip": ["veriscene"]}, "metadata": {}}
    monkeypatch.setenv("RAY_JOB_CONFIG_JSON_ENV_VAR", json.dumps(job))
    assert ray_cluster.worker_env() == {"env_vars": {"VERISCENE_MAX_IMAGE_PIXELS": "none"}}
    job["runtime_env"]["env_vars"]["VERISCENE_MAX_IMAGE_PIXELS"] = "2000000000"
    monkeypatch.setenv("RAY_JOB_CONFIG_JSON_ENV_VAR", json.dumps(job))
    assert ray_cluster.worker_env() is None


@pytest.mark.usefixtures("local_ray")
class TestOnALocalRayAlreadyConnected:
    """Runs on a Ray this process started (`local_ray`, shared: tests/conftest.py), not on the cluster apart."""

    def test_shared_output_shards_are_written_by_the_workers(self, scenes_file, reference, tmp_path_factory,
                                                             monkeypatch) -> None:
        engine = importlib.import_module("veriscene.engine.generate")  # the module (the package names the function so)

        def not_here(*args, **kwargs):
            raise AssertionError("the driver wrote a shard")

        monkeypatch.setattr(engine, "write_shard", not_here)  # this process only: Ray's workers import their own
        out = tmp_path_factory.mktemp("zstd")
        # by default, as every node (this one) sees the output
        summary = generate(scenes_file, out, seed=3, shard_size=3, backend="ray", workers=2, shard_format="zstd")
        assert "Ray workers write their shards into the output folder, which every node sees" in summary.notes
        with pytest.raises(AssertionError, match="the driver wrote a shard"):  # when asked not to, the driver writes
            generate(scenes_file, tmp_path_factory.mktemp("back"), seed=3, shard_size=3, backend="ray", workers=2,
                     shard_format="zstd", shared_output=False)
        assert [line.rstrip(b"\n") for line in iter_sample_lines(out)] == reference.splitlines()

    @pytest.mark.parametrize("shard_format", ["zstd", "parquet"])
    def test_samples_sent_back_come_encoded_by_the_workers(self, scenes_file, tmp_path_factory, monkeypatch,
                                                           shard_format) -> None:
        """Without a shared output the driver writes the files, but the workers compress (or make the
        Parquet of) their shards: the driver's work stays a file write per shard."""
        shards = importlib.import_module("veriscene.engine.shards")
        local = tmp_path_factory.mktemp("local")
        generate(scenes_file, local, seed=3, shard_size=3, shard_format=shard_format)

        def not_here(*args, **kwargs):
            raise AssertionError("the driver encoded a shard")

        monkeypatch.setattr(shards, "encode", not_here)  # this process only: Ray's workers import their own
        out = tmp_path_factory.mktemp("back")
        summary = generate(scenes_file, out, seed=3, shard_size=3, backend="ray", workers=2, shard_format=shard_format,
                           shared_output=False)
        assert "Ray workers send their samples back to be written here (shared_output=False)" in summary.notes
        files = sorted(p.name for p in (out / "shards").iterdir())
        assert files == sorted(p.name for p in (local / "shards").iterdir())
        for name in files:
            if not name.endswith(".json"):  # the sidecars hold the run's path-free counts, the same too
                assert (out / "shards" / name).read_bytes() == (local / "shards" / name).read_bytes(), name

    def test_each_node_runs_this_veriscene(self, monkeypatch) -> None:
        with backends.ray_session(1, None) as ray:
            assert backends.check_nodes(ray) == []  # this machine: the same versions
            found = backends.on_each_node(ray, backends._versions)
            assert len(found) == 1 and found[0][1][1]["veriscene"] == backends._versions()[1]["veriscene"]

            def missing():
                raise ModuleNotFoundError("No module named 'veriscene'")  # as where it is not installed

            failed = backends.on_each_node(ray, missing)
            assert len(failed) == 1 and isinstance(failed[0][1], Exception) and "No module named" in str(failed[0][1])
        mine = backends._versions()[1]
        monkeypatch.setattr(ray_cluster, "on_each_node", lambda ray, fn: [
            ("n1", ("h1", {**mine, "veriscene": "0.0.1"})),
            ("n2", ModuleNotFoundError("No module named 'veriscene'")),
            ("n3", ("h3", {**mine, "python": "3.10.0"})),
        ])
        with pytest.raises(RuntimeError, match=r"not on 2 node\(s\) of the Ray cluster: n1 \(h1\): veriscene 0\.0\.1; n2: "
                                               r"cannot run veriscene \(ModuleNotFoundError: No module named 'veriscene'\)\. "
                                               r"Install the same version on every machine"):
            backends.check_nodes(None)
        monkeypatch.setattr(ray_cluster, "on_each_node", lambda ray, fn: [("n3", ("h3", {**mine, "python": "3.10.0"}))])
        assert backends.check_nodes(None) == [f"node n3 (h3) has python 3.10.0 (here: python {mine['python']})"]

    def test_nodes_without_a_path(self, tmp_path) -> None:
        with backends.ray_session(1, None) as ray:
            assert backends.nodes_without(ray, str(tmp_path)) == []
            missing = backends.nodes_without(ray, str(tmp_path / "absent"))
        assert len(missing) == 1 and missing[0].endswith(f"({socket.gethostname()})")

    def test_an_output_a_node_does_not_see_is_refused_or_written_here(self, scenes_file, reference, tmp_path,
                                                                      tmp_path_factory, monkeypatch) -> None:
        # patched where it is called: `_output_shared` (in `engine.shard_pass`) asks which nodes miss the folder
        monkeypatch.setattr(importlib.import_module("veriscene.engine.shard_pass"), "nodes_without",
                            lambda ray, path: ["f00d (node-7)"])
        with pytest.raises(RuntimeError, match=r"shared_output: .*run is not seen by 1 node\(s\) of the Ray cluster: "
                                               r"f00d \(node-7\)\. Put the output on a file system every node mounts"):
            generate(scenes_file, tmp_path / "run", backend="ray", workers=1, shared_output=True)
        assert not (tmp_path / "run" / "manifest.json").exists() and not list((tmp_path / "run").glob(".visible-*"))
        # by default, the samples come back to be written here, the same bytes
        out = tmp_path_factory.mktemp("back")  # the reference's depth: image paths are relative
        summary = generate(scenes_file, out, seed=3, shard_size=3, backend="ray", workers=1)
        assert any("send their samples back to be written here: 1 node(s) do not see" in n and "f00d (node-7)" in n
                   for n in summary.notes)
        assert (out / "samples.jsonl").read_bytes() == reference


def test_two_nodes_are_each_looked_at_and_share_the_shards(scenes_file, reference, tmp_path_factory) -> None:
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster  # Ray's own two-node set-up on one machine

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        nodes.add_node(num_cpus=1)
        ray.init(address=nodes.address, log_to_driver=False)
        out = tmp_path_factory.mktemp("nodes")
        assert backends.nodes_without(ray, str(out)) == []
        assert len(backends.nodes_without(ray, str(out / "absent"))) == 2
        summary = generate(scenes_file, out, seed=3, shard_size=3, backend="ray", shared_output=True)
        assert any("(2 CPUs): 2 workers" in note for note in summary.notes)
        assert (out / "samples.jsonl").read_bytes() == reference
    finally:
        ray.shutdown()
        nodes.shutdown()


def test_a_cluster_without_cpus_for_tasks_is_warned_of(scenes_file, tmp_path, monkeypatch) -> None:
    ray = pytest.importorskip("ray")
    engine = importlib.import_module("veriscene.engine.generate")

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop  # the shards would wait for a node with CPUs

    monkeypatch.setattr(engine, "run_tasks", stop)
    ray.init(address="local", num_cpus=0, include_dashboard=False, log_to_driver=False)  # a head with --num-cpus 0
    try:
        with pytest.warns(UserWarning, match="the Ray cluster has no CPU for tasks yet"), pytest.raises(Stop):
            generate(scenes_file, tmp_path / "run", backend="ray")
    finally:
        ray.shutdown()


def test_shared_output_is_for_ray(scenes_file, tmp_path) -> None:
    with pytest.raises(ValueError, match="shared_output is for the Ray backend"):
        generate(scenes_file, tmp_path / "run", shared_output=True, workers=2)
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_cluster_address() -> None:
    env = os.environ.get("RAY_ADDRESS")
    try:
        os.environ.pop("RAY_ADDRESS", None)
        assert backends.cluster_address(None) is None
        assert backends.cluster_address("local") is None
        assert backends.cluster_address("10.0.0.1:6379") == "10.0.0.1:6379"
        assert backends.cluster_address("auto") == "auto"
        os.environ["RAY_ADDRESS"] = "10.0.0.2:6379"
        assert backends.cluster_address(None) == "10.0.0.2:6379"
        assert backends.cluster_address("10.0.0.1:6379") == "10.0.0.1:6379"  # the argument wins
        os.environ["RAY_ADDRESS"] = "local"
        assert backends.cluster_address(None) is None
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        if env is not None:
            os.environ["RAY_ADDRESS"] = env


def test_an_unreachable_cluster_is_named_and_leaves_no_run(scenes_file, tmp_path, monkeypatch) -> None:
    ray = pytest.importorskip("ray")

    def refuse(*args, **kwargs):
        raise ConnectionError("Failed to connect to Ray cluster at 10.9.9.9:6379")

    monkeypatch.setattr(ray, "init", refuse)
    monkeypatch.setattr(ray_cluster, "_token_auth", lambda: None)
    monkeypatch.setattr(ray_cluster, "probe_address", lambda cluster: None)  # Ray's own refusal, said
    with pytest.raises(RuntimeError, match=r"cannot connect to the Ray cluster at '10.9.9.9:6379' .*RAY_AUTH_TOKEN"):
        generate(scenes_file, tmp_path / "run", backend="ray", address="10.9.9.9:6379")
    assert not (tmp_path / "run" / "manifest.json").exists()  # nothing to resume or overwrite after it


def test_a_port_nothing_listens_on_is_refused_at_once_not_after_rays_retries(scenes_file, tmp_path, monkeypatch) -> None:
    """Ray's `ray.init(address=...)` retries a closed port for about 14 minutes; the run says at once
    that nothing answers there, before Ray is asked."""
    ray = pytest.importorskip("ray")
    with socket.socket() as sock:  # a port of this machine that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def never(*args, **kwargs):
        raise AssertionError("ray.init was called for an address nothing listens on")

    monkeypatch.setattr(ray, "init", never)
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(RuntimeError, match=rf"cannot connect to the Ray cluster at '{address}': nothing answers "
                                               rf"at 127.0.0.1:{port} \(Connection refused\)"):
            generate(scenes_file, tmp_path / "run", backend="ray", address=address)
        assert not (tmp_path / "run" / "manifest.json").exists()
    assert ray_cluster.probe_address("auto") is None  # not a host and port: left to Ray


def test_workers_below_one_are_refused_before_anything_is_written(scenes_file, tmp_path) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        generate(scenes_file, tmp_path / "run", workers=0)
    assert not (tmp_path / "run" / "manifest.json").exists()


@pytest.mark.parametrize("address", ["127.0.0.1", ":6379", "localhost:notaport", "10.0.0.1:0", "10.0.0.1:65536",
                                     "ray://10.0.0.1", "ray://:10001", "10.0.0.1/x:6379"])
def test_a_malformed_address_is_refused_naming_it_before_ray_starts(scenes_file, tmp_path, monkeypatch,
                                                                    address) -> None:
    """Ray refused these only once started, without naming the option: "Invalid address format:
    127.0.0.1", "Unable to parse port number from notaport", or a traceback of its own for
    ":6379"."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(ValueError, match=rf"^address '{re.escape(address)}' is not a Ray cluster address: give "
                                         r"HOST:PORT"):
        generate(scenes_file, tmp_path / "run", backend="ray", address=address)
    assert not (tmp_path / "run").exists()
    monkeypatch.setenv("RAY_ADDRESS", address)
    with pytest.raises(ValueError, match=rf"^RAY_ADDRESS='{re.escape(address)}' is not a Ray cluster address"):
        generate(scenes_file, tmp_path / "run", backend="ray")
    with pytest.raises(ValueError, match="is not a Ray cluster address"):
        ray_cluster.cluster_address(None)  # what ray_session asks first, for verify, annotate and ordered_map


def test_well_formed_addresses_are_let_through_to_ray() -> None:
    for address in ("auto", "10.0.0.1:6379", "head.example.org:6379", "[::1]:6379", "ray://10.0.0.1:10001",
                    "http://127.0.0.1:8265", "anyscale://my-cluster"):  # other schemes: Ray names them
        ray_cluster.check_address(address)
    with pytest.raises(TypeError, match="address must be a str"):
        ray_cluster.cluster_address(6379)  # type: ignore[arg-type]


def test_the_cli_says_which_address_it_refuses(scenes_file, tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "veriscene", "generate", str(scenes_file), "--out",
                           str(tmp_path / "run"), "--backend", "ray", "--address", "127.0.0.1"],
                          env={**os.environ, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "error: address '127.0.0.1' is not a Ray cluster address" in done.stderr
    assert "Traceback" not in done.stderr
