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
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import Any

__all__ = ["worker_pool"]

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
