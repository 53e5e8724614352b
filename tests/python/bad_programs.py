"""Functions ircc must refuse, each with a clear error at a known place (see test_errors.py).

The line of each offending construct is marked with a comment naming the test that expects it.
"""

import math

import numpy as np

from ircc import prange


def list_comprehension(a):
    b = [x * 2 for x in a]  # list_comprehension
    return b[0]


def dict_literal(n):
    d = {"a": n}  # dict_literal
    return d


def unknown_function(a):
    return np.linalg.norm(a)  # unknown_function


def print_call(x):
    print(x)  # print_call
    return x


def unify_array_scalar(a):
    b = a
    b = 1.0  # unify_array_scalar
    return b


def slice_index(a):
    return a[1:3]  # slice_index


def method_call(a):
    return a.sum()  # method_call


def iterate_array(a):
    s = 0.0
    for x in a:  # iterate_array
        s += x
    return s


def raise_stmt(x):
    if x < 0:
        raise ValueError("negative")  # raise_stmt
    return x


def undefined_name(x):
    return x + y_not_defined  # noqa: F821  undefined_name


def maybe_undefined(a):
    for i in range(len(a)):
        last = a[i]
    return last  # maybe_undefined


def prange_break(a):
    for i in prange(len(a)):  # prange_break
        if a[i] < 0:
            break
    return 0


def prange_not_reduction(a):
    prev = 0.0
    for i in prange(len(a)):
        prev = a[i]  # prange_not_reduction
    return prev


def missing_return(x):
    if x > 0:
        return 1.0
    x = x + 1  # missing_return


def too_many_indices(a):
    return a[0, 1]  # too_many_indices


def unpack_mismatch(x):
    p, q = (x, x, x)  # unpack_mismatch
    return p + q


def array_escapes_loop(n):
    tmp = np.zeros(1)
    for _ in range(n):
        tmp = np.zeros(3)  # array_escapes_loop
    return tmp[0]


def string_constant(x):
    return x + "a"  # string_constant


def recursive(n):
    if n <= 1:
        return 1
    return n * recursive_jit(n - 1)  # recursive


def global_array(i):
    return TABLE[i]  # global_array


def math_wrong_arity(x):
    return math.sin(x, x)  # math_wrong_arity


TABLE = np.arange(3.0)
recursive_jit = None  # set by the test to ircc.jit(recursive)
