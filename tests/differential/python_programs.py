"""Small numeric Python programs for the differential suite: each runs as plain Python and compiled.

``PROGRAMS`` maps a name to ``(function, make_args)``; ``make_args(rng)`` returns fresh arguments
(called once per run with the same seed, so in-place updates are compared too and views stay views).
Helpers called from programs are ``@ircc.jit`` functions, as a user would write them.
"""

from __future__ import annotations

import math

import numpy as np

import ircc
from ircc import prange


# -- reductions -------------------------------------------------------------------------------
def total(a):
    s = 0
    for i in range(a.shape[0]):
        s += a[i]
    return s


def dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


def variance(a):
    n = len(a)
    mean = 0.0
    for i in range(n):
        mean += a[i]
    mean /= n
    acc = 0.0
    for i in range(n):
        d = a[i] - mean
        acc += d * d
    return acc / (n - 1)


def argmax(a):
    best = 0
    for i in range(1, len(a)):
        if a[i] > a[best]:
            best = i
    return best


def min_max(a):
    lo = a[0]
    hi = a[0]
    for i in range(1, len(a)):
        lo = min(lo, a[i])
        hi = max(hi, a[i])
    return lo, hi


def count_true(mask):
    n = 0
    for i in range(len(mask)):
        if mask[i]:
            n += 1
    return n


# -- scans, stencils, linear algebra ------------------------------------------------------------
def prefix_sum(a):
    out = np.empty(len(a))
    s = 0.0
    for i in range(len(a)):
        s += a[i]
        out[i] = s
    return out


def stencil_1d(a, out):
    for i in range(1, len(a) - 1):
        out[i] = 0.25 * a[i - 1] + 0.5 * a[i] + 0.25 * a[i + 1]


def stencil_2d(u):
    n, m = u.shape
    v = np.zeros((n, m))
    for i in range(1, n - 1):
        for j in range(1, m - 1):
            v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]) - u[i, j]
    return v


def matmul(a, b):
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m))
    for i in range(n):
        for p in range(k):
            aip = a[i, p]
            for j in range(m):
                c[i, j] += aip * b[p, j]
    return c


def matvec(a, x):
    y = np.empty(a.shape[0])
    for i in range(a.shape[0]):
        row = a[i]
        s = 0.0
        for j in range(len(row)):
            s += row[j] * x[j]
        y[i] = s
    return y


def transpose(a):
    t = np.empty((a.shape[1], a.shape[0]))
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            t[j][i] = a[i][j]
    return t


def pairwise_distances(x):
    n = x.shape[0]
    d = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = math.sqrt(s)
    return d


def histogram(values, nbins, lo, hi):
    counts = np.zeros(nbins, dtype=np.int64)
    width = (hi - lo) / nbins
    for i in range(len(values)):
        b = int((values[i] - lo) / width)
        if b >= 0 and b < nbins:
            counts[b] += 1
        elif values[i] == hi:
            counts[nbins - 1] += 1
    return counts


# -- control flow ------------------------------------------------------------------------------
def bisection(target, lo, hi):
    while True:
        mid = 0.5 * (lo + hi)
        if mid * mid * mid > target:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-12:
            break
    return mid


def newton_sqrt(x):
    guess = x if x > 1.0 else 1.0
    steps = 0
    while abs(guess * guess - x) > 1e-12 * x and steps < 100:
        guess = 0.5 * (guess + x / guess)
        steps += 1
    return guess, steps


def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@ircc.jit
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def count_primes(n):
    c = 0
    for k in range(n):
        if is_prime(k):
            c += 1
    return c


def find_first(a, x):
    for i in range(len(a)):
        if a[i] >= x:
            return i
    return -1


def reverse_in_place(a):
    n = len(a)
    for i in range(n // 2):
        a[i], a[n - 1 - i] = a[n - 1 - i], a[i]


def stepped_sums(n):
    up = 0
    for i in range(0, n, 3):
        up += i
    down = 0
    for i in range(n, 0, -2):
        down += i
    back = 0
    for i in range(n - 1, -1, -1):
        back = back * 2 % 1000003 + i
    return up, down, back


def odd_positive_sum(a):
    s = 0.0
    for i in range(len(a)):
        if a[i] <= 0:
            continue
        if int(a[i] * 10) % 2 == 0:
            continue
        s += a[i]
    return s


def pair_with_sum(a, target):
    found_i = -1
    found_j = -1
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if a[i] + a[j] == target:
                found_i = i
                found_j = j
                break
        if found_i >= 0:
            break
    return found_i, found_j


def search_2d(grid, x):
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if grid[i, j] == x:
                return i * grid.shape[1] + j
    return -1


def classify(a):
    out = np.empty(len(a), dtype=np.int64)
    for i in range(len(a)):
        v = a[i]
        if v < -1.0:
            out[i] = -2
        elif v < 0.0:
            out[i] = -1
        elif v == 0.0:
            out[i] = 0
        else:
            out[i] = 1 if v < 1.0 else 2
    return out


def positive_run(a):
    i = 0
    n = len(a)
    while i < n and a[i] > 0:
        i += 1
    return i


def bubble_sort(a):
    n = len(a)
    for i in range(n):
        swapped = False
        for j in range(n - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
                swapped = True
        if not swapped:
            break


# -- math and types ------------------------------------------------------------------------------
def horner(coeffs, x):
    out = np.empty(len(x))
    for i in range(len(x)):
        acc = 0.0
        for k in range(len(coeffs)):
            acc = acc * x[i] + coeffs[k]
        out[i] = acc
    return out


def softmax(a):
    m = a[0]
    for i in range(len(a)):
        m = max(m, a[i])
    out = np.empty_like(a)
    s = 0.0
    for i in range(len(a)):
        out[i] = math.exp(a[i] - m)
        s += out[i]
    for i in range(len(a)):
        out[i] /= s
    return out


@ircc.jit
def wave(x):
    return math.sin(x) * math.exp(-0.1 * x) + np.sqrt(1.0 + x * x)


def trapezoid(a, b, n):
    h = (b - a) / n
    s = 0.5 * (wave(a) + wave(b))
    for i in range(1, n):
        s += wave(a + i * h)
    return s * h


def clip(a, lo, hi):
    out = np.empty(len(a))
    for i in range(len(a)):
        out[i] = min(max(a[i], lo), hi)
    return out


def python_division(a, b):
    out = np.empty(6)
    out[0] = a // b
    out[1] = a % b
    out[2] = -a // b
    out[3] = -a % b
    out[4] = a / b
    out[5] = a ** 2 - b ** 3
    return out


def integer_division(p, q):
    return p // q, p % q, -p // q, -p % q, p // -q, p % -q, (p << 2) >> 1, p & q, p | q, p ^ q


def float32_axpy(alpha, x, y):
    for i in range(len(x)):
        y[i] = alpha * x[i] + y[i]
    return y


def int32_sum(a):
    s = 0
    for i in range(len(a)):
        s += a[i] * a[i]
    return s


def last_elements(a):
    return a[-1] + a[-2] * 10.0 + a[len(a) - 3] * 100.0


def mandelbrot_point(cr, ci, max_iter):
    zr = 0.0
    zi = 0.0
    n = 0
    while n < max_iter:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            break
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        n += 1
    return n


def counts_grid(rows, cols):
    g = np.ones((rows, cols), dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            g[i, j] += i * cols + j
    return g


def math_mix(x):
    return (math.floor(x) + math.ceil(-x) + round(x * 3.0), math.atan2(x, 2.0), math.log1p(abs(x)),
            math.isnan(x), np.tanh(x), math.hypot(x, 3.0), math.copysign(2.0, -x))


# -- strided arrays (views: transposes, steps, reversals) ----------------------------------------
def column_sums(a):
    out = np.zeros(a.shape[1])
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[i, j]
    return out


def fill_index(a):
    for i in range(len(a)):
        a[i] = 2 * i + a[i]


# -- parallel loops ------------------------------------------------------------------------------
def parallel_sum(a):
    s = 0.0
    for i in prange(len(a)):
        s += a[i]
    return s


def parallel_min_max(a):
    lo = np.inf
    hi = -np.inf
    for i in prange(len(a)):
        lo = min(lo, a[i])
        hi = max(hi, a[i])
    return lo, hi


def parallel_scale_2d(a, factor):
    out = np.empty_like(a)
    for i in prange(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = a[i, j] * factor + i
    return out


def parallel_count(a, threshold):
    n = 0
    for i in prange(len(a)):
        if a[i] > threshold:
            n += 1
    return n


def _vec(rng, n=17):
    return rng.standard_normal(n)


PROGRAMS = {
    "total": (total, lambda r: (_vec(r),)),
    "total_int": (total, lambda r: (r.integers(-50, 50, 12),)),
    "dot": (dot, lambda r: (_vec(r), _vec(r))),
    "variance": (variance, lambda r: (_vec(r),)),
    "argmax": (argmax, lambda r: (_vec(r),)),
    "min_max": (min_max, lambda r: (_vec(r),)),
    "count_true": (count_true, lambda r: (_vec(r) > 0,)),
    "prefix_sum": (prefix_sum, lambda r: (_vec(r),)),
    "stencil_1d": (stencil_1d, lambda r: (_vec(r), np.zeros(17))),
    "stencil_2d": (stencil_2d, lambda r: (r.standard_normal((6, 5)),)),
    "matmul": (matmul, lambda r: (r.standard_normal((4, 3)), r.standard_normal((3, 5)))),
    "matvec": (matvec, lambda r: (r.standard_normal((4, 3)), _vec(r, 3))),
    "transpose": (transpose, lambda r: (r.standard_normal((3, 4)),)),
    "pairwise_distances": (pairwise_distances, lambda r: (r.standard_normal((5, 3)),)),
    "histogram": (histogram, lambda r: (np.append(r.uniform(0, 1, 40), 1.0), 7, 0.0, 1.0)),
    "bisection": (bisection, lambda r: (2.0, 0.0, 2.0)),
    "newton_sqrt": (newton_sqrt, lambda r: (float(r.uniform(0.5, 50)),)),
    "collatz_steps": (collatz_steps, lambda r: (27,)),
    "gcd": (gcd, lambda r: (1071, 462)),
    "fibonacci": (fibonacci, lambda r: (40,)),
    "count_primes": (count_primes, lambda r: (60,)),
    "find_first": (find_first, lambda r: (np.sort(_vec(r)), 0.3)),
    "find_first_missing": (find_first, lambda r: (np.sort(_vec(r)), 100.0)),
    "reverse_in_place": (reverse_in_place, lambda r: (_vec(r),)),
    "stepped_sums": (stepped_sums, lambda r: (23,)),
    "odd_positive_sum": (odd_positive_sum, lambda r: (_vec(r),)),
    "pair_with_sum": (pair_with_sum, lambda r: (np.array([3, 9, 4, 12, 5, 7]), 16)),
    "search_2d": (search_2d, lambda r: (np.arange(12).reshape(3, 4), 6)),
    "search_2d_missing": (search_2d, lambda r: (np.arange(12).reshape(3, 4), 60)),
    "classify": (classify, lambda r: (np.array([-3.0, -0.5, 0.0, 0.5, 4.0, -1.0, 1.0]),)),
    "positive_run": (positive_run, lambda r: (np.array([3.0, 1.0, 2.0]),)),
    "positive_run_stop": (positive_run, lambda r: (np.array([3.0, 1.0, -2.0, 5.0]),)),
    "bubble_sort": (bubble_sort, lambda r: (_vec(r, 9),)),
    "horner": (horner, lambda r: (_vec(r, 4), _vec(r, 6))),
    "softmax": (softmax, lambda r: (_vec(r),)),
    "trapezoid": (trapezoid, lambda r: (0.0, 3.0, 40)),
    "clip": (clip, lambda r: (_vec(r), -0.5, 0.7)),
    "python_division": (python_division, lambda r: (7.5, -2.0)),
    "integer_division": (integer_division, lambda r: (17, 5)),
    "float32_axpy": (float32_axpy, lambda r: (np.float32(1.5), _vec(r).astype(np.float32),
                                              _vec(r).astype(np.float32))),
    "int32_sum": (int32_sum, lambda r: (r.integers(-1000, 1000, 11).astype(np.int32),)),
    "last_elements": (last_elements, lambda r: (_vec(r),)),
    "mandelbrot_point": (mandelbrot_point, lambda r: (-0.75, 0.1, 60)),
    "counts_grid": (counts_grid, lambda r: (3, 4)),
    "math_mix": (math_mix, lambda r: (-2.75,)),
    "column_sums_transposed": (column_sums, lambda r: (r.standard_normal((4, 5)).T,)),
    "fill_every_third": (fill_index, lambda r: (r.standard_normal(20)[::3],)),
    "total_reversed": (total, lambda r: (_vec(r)[::-1],)),
    "parallel_sum": (parallel_sum, lambda r: (_vec(r, 33),)),
    "parallel_min_max": (parallel_min_max, lambda r: (_vec(r, 33),)),
    "parallel_scale_2d": (parallel_scale_2d, lambda r: (r.standard_normal((5, 4)), 2.5)),
    "parallel_count": (parallel_count, lambda r: (_vec(r, 33), 0.1)),
}
