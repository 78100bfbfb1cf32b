"""Ray for the runs: connecting to a cluster (or starting a local Ray), getting results within a
timeout, and checking that the cluster's nodes can run this veriscene.

`ray_session` is the one way in: it connects to the cluster `cluster_address` names (after
`check_nodes`: the same veriscene on every node that runs tasks), or starts a local Ray of the
run's own. A cluster's nodes start their workers from their own environment (that of `ray start`
there), not the driver's: the settings a worker must share with the driver
(`VERISCENE_MAX_IMAGE_PIXELS`, the pixel limit images are opened under) go in the job's
runtime_env (`worker_env`); a local Ray's workers inherit them. The pixel limit also goes with
each task (`backends.take_pixel_limit`), so a Ray connected before it was set (a notebook's own
`ray.init()`) runs under it too. A run's output is its own: Ray's "ray" logger shows its errors
only (`RAY_LOGGING_LEVEL`: not its notes on starting, connecting or the token sent), the workers'
output stays in the cluster's log files (``log_to_driver=False``), and a task's error comes back
with its result, said by the run. `on_each_node` runs a function once on each such node (`nodes_without`: which of them
lack a path). The Ray backends themselves (`run_ray`, `ordered_map(backend="ray")`) are in
`engine.backends`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from veriscene.engine.worker_faults import WorkerHung, _hung
from veriscene.errors import MissingExtra

R = TypeVar("R")


def ray_getter(ray: Any, timeout: float | None, cancel: bool = True, resumable: bool = True) -> Callable[[Any], Any]:
    """`ray.get` of one reference, within `timeout` seconds (None: no limit); past it the task is
    cancelled (`cancel`: a task's; an actor's is stopped by killing the actor) and WorkerHung raised
    (advising `--resume` when the command has one: `resumable`)."""
    if timeout is None:
        return ray.get
    from ray.exceptions import GetTimeoutError

    def get(ref: Any) -> Any:
        try:
            return ray.get(ref, timeout=timeout)
        except GetTimeoutError:
            if cancel:
                ray.cancel(ref, force=True)
            raise WorkerHung(_hung(timeout, resumable)) from None

    return get


def cluster_address(address: str | None) -> str | None:
    """The Ray cluster to connect to: `address` (``"auto"``: the cluster ``ray start`` made on this
    machine), else the ``RAY_ADDRESS`` environment variable (``ray job submit`` sets it), else None:
    start a local Ray (``"local"`` says so too). A cluster that ``ray start`` left running on this
    machine is not joined unless asked for (``"auto"``), so a run without an address stays local."""
    chosen = address or os.environ.get("RAY_ADDRESS") or None
    if chosen is None or chosen == "local":
        return None
    if not isinstance(chosen, str):
        raise TypeError(f"address must be a str (HOST:PORT, ray://HOST:PORT or auto), got {chosen!r}")
    check_address(chosen, "address" if address else "RAY_ADDRESS")
    return chosen


def check_address(cluster: str, given_as: str = "address") -> None:
    """Refuse (ValueError, naming `given_as`: ``address``, the option, or ``RAY_ADDRESS``) a cluster
    address that is neither ``auto`` nor ``HOST:PORT`` with a port from 1 to 65535 (``[IPV6]:PORT``,
    or either after ``ray://``). Ray itself refuses such an address only once it is imported and
    started, as "Invalid address format: 127.0.0.1", "Unable to parse port number from ..." or a
    traceback of its own ("Malformed host" for ``:6379``), none naming the option. Addresses of
    another scheme (``http://``, an installed module's ``NAME://``) are left to Ray, which names
    them."""
    inner = cluster.removeprefix("ray://")
    if cluster == "auto" or ("://" in cluster and inner == cluster):
        return
    host, sep, port = inner.rpartition(":")
    if sep and host and "/" not in host and port.isdigit() and 1 <= int(port) <= 65535:
        return
    said = f"RAY_ADDRESS={cluster!r}" if given_as == "RAY_ADDRESS" else f"{given_as} {cluster!r}"
    raise ValueError(
        f"{said} is not a Ray cluster address: give HOST:PORT, the head node's address and port "
        "(what `ray start --head` prints; 6379 by default), ray://HOST:PORT for Ray Client (10001 by "
        "default), auto for the cluster `ray start` made on this machine, or local for a Ray of the "
        "run's own")


PROBE_SECONDS = 10.0  # a cluster's head answers a TCP connection at once; a firewall that drops it, by then


def probe_address(cluster: str, timeout: float = PROBE_SECONDS) -> None:
    """Raise RuntimeError naming `cluster` when nothing accepts a TCP connection at its host and
    port (``HOST:PORT``, ``[IPV6]:PORT``, or ``ray://HOST:PORT``; other forms, such as ``auto``, are
    left to Ray). Ray's own ``ray.init(address=...)`` retries a port nothing listens on for about
    14 minutes (20 tries of some 40 s) before it gives up, which looked like a hang."""
    host, sep, port = cluster.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host or "/" in host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__  # socket.timeout has no strerror
        raise RuntimeError(
            f"cannot connect to the Ray cluster at {cluster!r}: nothing answers at {host}:{port} ({reason}). "
            f"Is it up (ray status --address {cluster})? Check the address, the port (ray start --head "
            "--port) and that this machine may reach it") from None


def _token_auth() -> None:
    """Send Ray's authentication token when one is at hand (``RAY_AUTH_TOKEN``,
    ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``) and ``RAY_AUTH_MODE`` is unset, as ``ray start``
    does when it starts the cluster. Ray 2.5x's ``ray.init(address=...)`` does not: against a
    cluster with token authentication it retries for about 20 s and fails. A cluster without
    authentication accepts the token and ignores it."""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


# What `ray job submit` hands its driver: the job's config as JSON, its runtime_env among it (Ray's
# `ray._private.runtime_env.constants.RAY_JOB_CONFIG_JSON_ENV_VAR`, named here: a private module)
_JOB_CONFIG = "RAY_JOB_CONFIG_JSON_ENV_VAR"


def worker_env() -> dict[str, Any] | None:
    """The runtime_env a job on a cluster joined asks for: ``{"env_vars": {...}}`` of the variables
    set here that every worker must see as this process does (`VERISCENE_MAX_IMAGE_PIXELS`), or
    None when none is set. One the job's own runtime_env sets already (``ray job submit
    --runtime-env-json``; Ray refuses a driver's runtime_env that sets it again) is left to it;
    the job's other fields and variables are merged with these by Ray."""
    from veriscene.scene.image_files import MAX_PIXELS_ENV

    given: dict[str, Any] = {}
    try:
        job = json.loads(os.environ.get(_JOB_CONFIG) or "{}")
        given = (job.get("runtime_env") or {}).get("env_vars") or {}
    except (ValueError, AttributeError):  # not Ray's JSON: Ray itself says so in ray.init
        pass
    passed = {name: os.environ[name] for name in (MAX_PIXELS_ENV,)
              if os.environ.get(name, "").strip() and name not in given}
    return {"env_vars": passed} if passed else None


# the level of Ray's "ray" logger in a run (`ray.init(logging_level=...)`; Ray's default: INFO):
# its errors are shown, its notes and warnings on starting and connecting are not
RAY_LOGGING_LEVEL = logging.ERROR


@contextmanager
def ray_logs_quiet() -> Iterator[None]:
    """Ray's "ray" logger at `RAY_LOGGING_LEVEL` for the while (Ray's set-up calls made before
    `ray.init`, which sets it for the session), then at its level before."""
    logger = logging.getLogger("ray")
    before = logger.level
    logger.setLevel(max(before, RAY_LOGGING_LEVEL))
    try:
        yield
    finally:
        logger.setLevel(before)


@contextmanager
def ray_session(workers: int, address: str | None) -> Iterator[Any]:
    """The `ray` module, connected: to the cluster at `address` or ``RAY_ADDRESS``
    (`cluster_address`; its nodes checked to run this veriscene, `check_nodes`), or to a local Ray
    of `workers` CPUs started here (and shut down on leaving). On a cluster the job's runtime_env
    passes the settings workers share with this process (`worker_env`). An already connected Ray
    is used as it is (its workers see the environment it was started with; the pixel limit goes
    with each task: `backends.pixel_limit`)."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtra("the Ray backend", "ray", "ray") from exc
    if ray.is_initialized():
        yield ray
        return
    cluster = cluster_address(address)
    if cluster is None:
        # a Ray of this run's own: its start-up notes (token authentication on, instance started) are
        # not the user's business; its errors still show
        ray.init(address="local", num_cpus=workers, ignore_reinit_error=True, log_to_driver=False,
                 include_dashboard=False, logging_level=RAY_LOGGING_LEVEL)
    else:
        probe_address(cluster)  # before Ray's retries, which take minutes to fail
        with ray_logs_quiet():  # (Ray's note that the token is sent: veriscene sends it, as `ray start`)
            _token_auth()
        try:
            # (the workers of a cluster's nodes do not inherit this process's environment) Ray's
            # notes on connecting ("Connecting to existing Ray cluster at address", "Connected to
            # Ray cluster") are not the user's business either: only its errors are shown (its
            # "ray" logger at ERROR); the workers' output stays in the cluster's log files, and a
            # task's error comes back with its result (`ray.get`), said by the run
            ray.init(address=cluster, ignore_reinit_error=True, log_to_driver=False, runtime_env=worker_env(),
                     logging_level=RAY_LOGGING_LEVEL)
        except ConnectionError as exc:
            raise RuntimeError(
                f"cannot connect to the Ray cluster at {cluster!r} ({exc}): is it up (ray status --address "
                f"{cluster})? A cluster with token authentication needs its token here: RAY_AUTH_TOKEN, "
                "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token") from exc
    try:
        if cluster is not None:  # other machines: the same veriscene there, or no run
            for warning in check_nodes(ray):
                warnings.warn(warning, stacklevel=3)
        yield ray
    finally:
        ray.shutdown()


def cluster_workers(ray: Any) -> int:
    """How many tasks to keep busy on a connected Ray: its CPUs (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _sees(path: str) -> tuple[str, bool]:
    return socket.gethostname(), os.path.exists(path)


def _versions() -> tuple[str, dict[str, str]]:
    import numpy

    from veriscene import __version__

    return socket.gethostname(), {"veriscene": __version__, "python": sys.version.split()[0],
                                  "numpy": numpy.__version__}


def on_each_node(ray: Any, fn: Callable[..., R], *args: Any) -> list[tuple[str, R | Exception]]:
    """(``node-id``, `fn(*args)` there, or the exception it raised) for each live node of a
    connected Ray that runs tasks (has CPUs): a task pinned to each. A node without CPUs (a head
    started with ``--num-cpus 0``) runs no task of a run, and is not asked. The tasks ask for no
    CPU, so they do not wait behind busy ones."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(num_cpus=0, max_retries=0)(fn)
    nodes = [node["NodeID"] for node in ray.nodes() if node.get("Alive") and node.get("Resources", {}).get("CPU")]
    refs = [remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(*args)
            for node in nodes]
    found: list[tuple[str, R | Exception]] = []
    for node, ref in zip(nodes, refs):
        try:
            found.append((node, ray.get(ref)))
        except Exception as exc:  # e.g. veriscene not importable there
            found.append((node, exc))
    return found


def nodes_without(ray: Any, path: str) -> list[str]:
    """The nodes that run tasks on which `path` does not exist (``node-id (host)``; `on_each_node`)."""
    missing = []
    for node, seen in on_each_node(ray, _sees, path):
        if isinstance(seen, Exception):
            raise seen
        if not seen[1]:
            missing.append(f"{node} ({seen[0]})")
    return missing


def check_nodes(ray: Any) -> list[str]:
    """Refuse a Ray cluster on which a node that runs tasks does not have this veriscene (not
    installed, or another version: its samples could differ); return warnings for other Python or
    numpy versions than here."""
    _, mine = _versions()
    wrong, warned = [], []
    for node, got in on_each_node(ray, _versions):
        if isinstance(got, Exception):
            first = (str(got).strip().splitlines() or [""])[-1][:200]
            wrong.append(f"{node}: cannot run veriscene ({type(got).__name__}: {first})")
            continue
        host, theirs = got
        if theirs["veriscene"] != mine["veriscene"]:
            wrong.append(f"{node} ({host}): veriscene {theirs['veriscene']}")
        differ = [k for k in ("python", "numpy") if theirs[k] != mine[k]]
        if differ:
            warned.append(f"node {node} ({host}) has {', '.join(f'{k} {theirs[k]}' for k in differ)} "
                          f"(here: {', '.join(f'{k} {mine[k]}' for k in differ)})")
    if wrong:
        raise RuntimeError(f"veriscene {mine['veriscene']} runs here, but not on {len(wrong)} node(s) of the Ray cluster: "
                           f"{'; '.join(wrong)}. Install the same version on every machine")
    return warned
