"""Which threads an outlined ``scf.parallel`` runs on: libgomp's pool, or threads of its own.

``gomp``: the chunks run inside ``GOMP_parallel`` (GNU OpenMP's persistent pool). Where torch is loaded
this is torch's own libgomp, the pool its kernels and MKL use, so ircc's loops and torch's never fight for
the cores: after a torch op, OpenMP's workers spin waiting for more work, and a thread of ircc's own would
find the second core taken (measured: a small CNN at batch 64 ran 2.45x slower than eager on two threads
with pthreads). Without torch, the system's libgomp. ``pthreads``: ``pthread_create`` per loop, where no
libgomp can be loaded. ``IRCC_THREAD_RUNTIME=pthreads`` (or ``gomp``) overrides the choice.

The choice is part of the compile-cache key (``codegen.host_fingerprint``): machine code that calls
``GOMP_parallel`` is only loaded where a libgomp resolves it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

from ircc import env


def thread_runtime() -> str:
    """``"gomp"`` or ``"pthreads"`` for the modules lowered now."""
    if env.thread_runtime_choice() == "pthreads":  # (any other value: gomp where it loads)
        return "pthreads"
    return "gomp" if gomp_library() is not None else "pthreads"


def gomp_library() -> ctypes.CDLL | None:
    """torch's libgomp where torch is loaded (the pool torch uses), else the system's; None if neither."""
    if "torch" in sys.modules:
        path = os.path.join(os.path.dirname(sys.modules["torch"].__file__), "lib", "libgomp.so.1")
        if os.path.exists(path):
            return _load(path)
    found = _system_gomp()
    return _load(found) if found else None


@functools.cache
def _system_gomp() -> str | None:
    """The system's libgomp, looked up once (``find_library`` runs ``ldconfig``; the cache key asks per compile)."""
    return ctypes.util.find_library("gomp")


@functools.cache
def _load(path: str) -> ctypes.CDLL | None:
    try:
        lib = ctypes.CDLL(path)
        lib.GOMP_parallel, lib.omp_get_thread_num, lib.omp_get_num_threads  # noqa: B018 - all three exist
    except (OSError, AttributeError):
        return None
    return lib


def symbol_address(name: str) -> int | None:
    """Where the JIT finds a libgomp function (``GOMP_*``, ``omp_*``)."""
    if not name.startswith(("GOMP_", "omp_")):
        return None
    lib = gomp_library()
    if lib is None:
        return None
    return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
