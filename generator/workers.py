"""Worker pools that never outlive the run that started them.

Every parallel stage (render, ``check``, ``validate``) takes its pool from :func:`worker_pool`.
A ``ProcessPoolExecutor`` alone leaves its workers running when the parent is SIGKILLed (the
hostile trial found two survivors holding the caller's pipes for minutes: ``render | tee`` never
ended). So:

* each worker asks the kernel to SIGKILL it when its parent dies (Linux
  ``prctl(PR_SET_PDEATHSIG)``, through ``ctypes``), and exits at once if the parent is already
  gone by the time it starts (the race between ``fork`` and ``prctl``);
* while a pool is open in the main thread, SIGTERM first kills the workers, then ends the process
  as SIGTERM always did (default action, exit by signal), so nothing is left behind either way.

Elsewhere (no ``prctl``), pools work as before; SIGTERM still tears them down.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = ["BackgroundError", "in_background", "worker_pool"]

_PR_SET_PDEATHSIG = 1
"""``<linux/prctl.h>``."""


def _die_with_parent(parent: int) -> None:
    """In a worker: be SIGKILLed when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _init(parent: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    # A worker must not run the parent's SIGTERM teardown (a forked child inherits the handler).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if initializer is not None:
        initializer(*initargs)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        with contextlib.suppress(Exception):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def worker_pool(
    max_workers: int,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    mp_context: Any = None,
) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` whose workers die with this process (see the module docstring).

    Args:
        max_workers: processes to start at most.
        initializer: run in each worker after it is tied to its parent.
        initargs: arguments of ``initializer``.
        mp_context: a ``multiprocessing`` context (e.g. ``fork`` for workers that inherit state).
    """
    pool = ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=mp_context,
        initializer=_init,
        initargs=(os.getpid(), initializer, initargs),
    )
    previous: Any = None
    main = threading.current_thread() is threading.main_thread()
    main = main and signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
    if main:

        def on_term(signum: int, frame: FrameType | None) -> None:
            _kill_workers(pool)
            signal.signal(signal.SIGTERM, previous if callable(previous) else signal.SIG_DFL)
            if callable(previous):
                previous(signum, frame)
            else:
                os.kill(os.getpid(), signal.SIGTERM)

        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with pool:
            yield pool
    except BaseException:
        _kill_workers(pool)
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


class BackgroundError(Exception):
    """A background child did not deliver its result (it failed, or was killed)."""


@contextlib.contextmanager
def in_background(fn: Callable[..., _T], *args: Any) -> Iterator[Callable[[], _T]]:
    """Run ``fn(*args)`` in a forked child while this process goes on; yields the call that waits for it.

    For work that is mostly system calls (checking thousands of files' status), which a thread
    would do at the pace the GIL allows. The child is tied to this process as pool workers are
    (it dies with it) and returns its result pickled through a pipe. Leaving the context without
    collecting the result kills the child.

    Raises:
        BackgroundError: (from the yielded call) the child failed or was killed.
    """
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(reader)
            _die_with_parent(parent)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            data = pickle.dumps(fn(*args))
            with os.fdopen(writer, "wb") as out:
                out.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    done = False

    def result() -> _T:
        nonlocal done
        with os.fdopen(reader, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        done = True
        if status != 0 or not data:
            raise BackgroundError(f"background work {getattr(fn, '__name__', fn)!r} failed ({status})")
        return pickle.loads(data)  # type: ignore[no-any-return]

    try:
        yield result
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(reader)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
