"""Runtime helpers (``_ircc_*``) placed in the generated module when an op needs more than one expression.

A handler asks for one with ``FunctionRenderer.helper(name)``; ``render_module`` then writes the source of
every helper used, in the order of ``HELPERS``, before the functions, and the backend compiles each one
with ``numba.njit``.
"""

from __future__ import annotations

#: name -> Python source, in the order they appear in the generated module.
HELPERS: dict[str, str] = {
    "_ircc_divsi": '''
def _ircc_divsi(a, b):
    """arith.divsi: signed division rounding toward zero (Python's // floors)."""
    q = a // b
    if a % b != 0 and (a < 0) != (b < 0):
        q += 1
    return q
''',
    "_ircc_remsi": '''
def _ircc_remsi(a, b):
    """arith.remsi: the remainder takes the sign of the dividend (Python's % takes the divisor's)."""
    r = a % b
    if r != 0 and (r < 0) != (a < 0):
        r -= b
    return r
''',
    "_ircc_ceildivsi": '''
def _ircc_ceildivsi(a, b):
    """arith.ceildivsi: signed division rounding toward positive infinity."""
    q = a // b
    if a % b != 0:
        q += 1
    return q
''',
    "_ircc_ceildivui": '''
def _ircc_ceildivui(a, b):
    """arith.ceildivui on unsigned operands: division rounding up."""
    q = a // b
    if a % b != 0:
        q = q + np.uint64(1)
    return q
''',
    "_ircc_maximumf": '''
def _ircc_maximumf(a, b):
    """arith.maximumf: NaN if either operand is NaN; +0.0 is greater than -0.0."""
    if a != a:
        return a
    if b != b:
        return b
    if a == b:
        return b if np.signbit(a) else a
    return a if a > b else b
''',
    "_ircc_minimumf": '''
def _ircc_minimumf(a, b):
    """arith.minimumf: NaN if either operand is NaN; -0.0 is less than +0.0."""
    if a != a:
        return a
    if b != b:
        return b
    if a == b:
        return a if np.signbit(a) else b
    return a if a < b else b
''',
    "_ircc_maxnumf": '''
def _ircc_maxnumf(a, b):
    """arith.maxnumf: the larger operand, ignoring a NaN operand; +0.0 is greater than -0.0."""
    if a != a:
        return b
    if b != b:
        return a
    if a == b:
        return b if np.signbit(a) else a
    return a if a > b else b
''',
    "_ircc_minnumf": '''
def _ircc_minnumf(a, b):
    """arith.minnumf: the smaller operand, ignoring a NaN operand; -0.0 is less than +0.0."""
    if a != a:
        return b
    if b != b:
        return a
    if a == b:
        return a if np.signbit(a) else b
    return a if a < b else b
''',
    "_ircc_round": '''
def _ircc_round(a):
    """math.round: to the nearest integer, halfway cases away from zero (np.rint picks the even one)."""
    t = np.trunc(a)
    if abs(a - t) >= 0.5:
        return t + np.copysign(1.0, a)
    return t
''',
    "_ircc_cttz": '''
from numba.cpython.unsafe.numbers import trailing_zeros as _ircc_trailing_zeros


def _ircc_cttz(a):
    """math.cttz: the trailing zero bits of a (its width for 0), in a's own type."""
    return _ircc_trailing_zeros(a)
''',
    "_ircc_ctlz": '''
from numba.cpython.unsafe.numbers import leading_zeros as _ircc_leading_zeros


def _ircc_ctlz(a):
    """math.ctlz: the leading zero bits of a (its width for 0), in a's own type."""
    return _ircc_leading_zeros(a)
''',
    "_ircc_ipowi": '''
def _ircc_ipowi(a, n):
    """math.ipowi: integer power by squaring (wrapping); a negative exponent gives 0 unless |a| is 1."""
    if n < 0:
        if a == 1:
            return 1
        if a == -1:
            return 1 if n % 2 == 0 else -1
        return 0
    r = 1
    while n > 0:
        if n & 1:
            r = r * a
        a = a * a
        n = n >> 1
    return r
''',
}

for _name in ("sgemm", "dgemm"):
    HELPERS[f"_ircc_{_name}"] = f'''
_ircc_cblas_{_name} = __import__("ircc.backends.runtime", fromlist=["ctypes_gemm"]).ctypes_gemm("ircc_{_name}")


def _ircc_{_name}(a, b, c, ta, tb, beta):
    """func.call @ircc_{_name} (ircc's runtime): c = op(a) op(b) + beta c through the CBLAS numpy ships."""
    k = a.shape[0] if ta else a.shape[1]
    _ircc_cblas_{_name}(101, 112 if ta else 111, 112 if tb else 111, c.shape[0], c.shape[1], k, 1.0,
                        a.ctypes.data, max(a.shape[1], 1), b.ctypes.data, max(b.shape[1], 1), beta,
                        c.ctypes.data, max(c.shape[1], 1))
'''
