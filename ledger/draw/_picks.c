/*
 * ledger.draw._picks — optional C accelerator for the pick hashes of inspector matching
 * (docs/draw-v1.md §9). ledger.draw.matching.run_indices is its pure-Python definition; the tests
 * compare the two.
 *
 * run_indices(prefix, framed, tails, n0) -> list[int]
 *
 * For entity j of a run (framed[j] = LP(utf8(e_j))) and pick p (tails[p] = LP(utf8(d)) ‖
 * LP(u32be(p))): size = n0 − len(tails)·j − p and
 *     r = int(SHA-256(prefix ‖ framed[j] ‖ tails[p]), big-endian) mod size   (0 when size ≤ 1),
 * in the order j = 0, 0, …, 1, 1, …  — the draws of a department's fast path, whose T shrinks by
 * one inspector per pick. prefix = LP("draw-v1/pick") ‖ LP(utf8(S_inspectors)).
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_API_COMPAT 0x10100000L
#include <Python.h>
#include <openssl/sha.h>
#include <stdint.h>

/* A 256-bit big-endian number modulo m (1 <= m < 2^32). */
static uint32_t mod_digest(const unsigned char digest[32], uint64_t m) {
    uint64_t r = 0;
    for (int i = 0; i < 32; i += 4) {
        uint64_t word = (uint64_t)digest[i] << 24 | (uint64_t)digest[i + 1] << 16 |
                        (uint64_t)digest[i + 2] << 8 | digest[i + 3];
        r = ((r << 32) | word) % m; /* r < m < 2^32: no overflow */
    }
    return (uint32_t)r;
}

PyDoc_STRVAR(run_indices_doc,
"run_indices(prefix, framed, tails, n0) -> list[int]\n\n"
"The pick draws r of a fast run (see the module comment): len(framed) * len(tails) ints.\n"
"Raises ValueError unless 1 <= len(tails) and 0 <= n0 - len(tails) * len(framed) and\n"
"n0 < 2^32 (preconditions of ledger.draw.matching.run_indices), TypeError when framed or tails\n"
"are not lists of bytes, RuntimeError if a list changes size during the call.");

static PyObject *run_indices(PyObject *self, PyObject *args) {
    const char *prefix;
    Py_ssize_t prefix_len, n0;
    PyObject *framed, *tails;
    if (!PyArg_ParseTuple(args, "y#O!O!n", &prefix, &prefix_len, &PyList_Type, &framed,
                          &PyList_Type, &tails, &n0))
        return NULL;
    Py_ssize_t entities = PyList_GET_SIZE(framed), per = PyList_GET_SIZE(tails);
    if (per < 1 || n0 >= ((Py_ssize_t)1 << 32) || n0 - per * entities < 0) {
        PyErr_SetString(PyExc_ValueError, "run_indices: n0 must cover every pick, below 2^32");
        return NULL;
    }
    /* Allocate first: PyList_New may run a GC pass whose finalizers mutate framed or tails.
       Nothing below runs Python code (ints are not GC-tracked), so the lists stay as checked. */
    PyObject *out = PyList_New(entities * per);
    if (!out) return NULL;
    if (PyList_GET_SIZE(framed) != entities || PyList_GET_SIZE(tails) != per) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_RuntimeError, "run_indices: an argument list changed size");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < entities; i++) {
        if (!PyBytes_Check(PyList_GET_ITEM(framed, i))) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "framed must hold bytes");
            return NULL;
        }
    }
    for (Py_ssize_t p = 0; p < per; p++) {
        if (!PyBytes_Check(PyList_GET_ITEM(tails, p))) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "tails must hold bytes");
            return NULL;
        }
    }
    SHA256_CTX base;
    SHA256_Init(&base);
    SHA256_Update(&base, prefix, (size_t)prefix_len);
    Py_ssize_t size = n0, k = 0;
    for (Py_ssize_t j = 0; j < entities; j++) {
        PyObject *e = PyList_GET_ITEM(framed, j);
        SHA256_CTX with_entity = base;
        SHA256_Update(&with_entity, PyBytes_AS_STRING(e), (size_t)PyBytes_GET_SIZE(e));
        for (Py_ssize_t p = 0; p < per; p++, size--, k++) {
            uint32_t r = 0;
            if (size > 1) {
                PyObject *tail = PyList_GET_ITEM(tails, p);
                SHA256_CTX ctx = with_entity;
                unsigned char digest[32];
                SHA256_Update(&ctx, PyBytes_AS_STRING(tail), (size_t)PyBytes_GET_SIZE(tail));
                SHA256_Final(digest, &ctx);
                r = mod_digest(digest, (uint64_t)size);
            }
            PyObject *v = PyLong_FromUnsignedLong(r);
            if (!v) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, k, v);
        }
    }
    return out;
}

static PyMethodDef methods[] = {
    {"run_indices", run_indices, METH_VARARGS, run_indices_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_picks",
    .m_doc = "Optional C accelerator for the pick hashes of matching (ledger/draw/_picks.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__picks(void) { return PyModule_Create(&module); }
