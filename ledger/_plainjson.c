/*
 * ledger._plainjson — optional C accelerator for ledger.canonical: tells whether a value is
 * certainly valid for canonical JSON, as ledger.canonical._plainly_valid does level by level
 * in Python.
 *
 * is_plain(value) is True only if every node is of an exact built-in type — str, None, bool,
 * int with |x| <= 2^53 - 1, list, tuple, dict with str keys — the nesting is at most 64 levels
 * deep and there are at most 4,000,000 nodes (a cyclic value repeats its nodes: this bounds the
 * work). False means "not decided here": the Python walk then decides and gives its message.
 * It never raises; the bounded depth keeps the C stack small.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_DEPTH 64
#define MAX_NODES 4000000
#define MAX_SAFE_INTEGER 9007199254740991LL

/* 1: plain, 0: not decided here, -1: a Python error (cleared by the caller). */
static int plain(PyObject *v, int depth, Py_ssize_t *nodes) {
    if (++*nodes > MAX_NODES || depth >= MAX_DEPTH) return 0;
    if (v == Py_None || v == Py_True || v == Py_False || PyUnicode_CheckExact(v)) return 1;
    if (PyLong_CheckExact(v)) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) return 0;
        if (x == -1 && PyErr_Occurred()) return -1;
        return x >= -MAX_SAFE_INTEGER && x <= MAX_SAFE_INTEGER;
    }
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
        /* A list may change while Python code runs; here none runs, so its size is stable. */
        Py_ssize_t n = PySequence_Fast_GET_SIZE(v);
        PyObject **items = PySequence_Fast_ITEMS(v);
        for (Py_ssize_t i = 0; i < n; i++) {
            int rc = plain(items[i], depth + 1, nodes);
            if (rc != 1) return rc;
        }
        return 1;
    }
    if (PyDict_CheckExact(v)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(v, &pos, &key, &value)) {
            if (!PyUnicode_CheckExact(key)) return 0;
            int rc = plain(value, depth + 1, nodes);
            if (rc != 1) return rc;
        }
        return 1;
    }
    return 0;
}

PyDoc_STRVAR(is_plain_doc,
"is_plain(value) -> bool\n\n"
"True only if value is certainly valid canonical JSON input: exact built-in types (str, None,\n"
"bool, int within +-(2^53 - 1), list, tuple, dict with str keys), at most 64 levels deep and\n"
"4,000,000 nodes. False leaves the decision to the Python walk. Never raises.");

static PyObject *is_plain(PyObject *self, PyObject *value) {
    Py_ssize_t nodes = 0;
    int rc = plain(value, 0, &nodes);
    if (rc < 0) {
        PyErr_Clear();
        rc = 0;
    }
    return PyBool_FromLong(rc);
}

static PyMethodDef methods[] = {
    {"is_plain", is_plain, METH_O, is_plain_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_plainjson",
    .m_doc = "Optional C accelerator for ledger.canonical (see ledger/_plainjson.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__plainjson(void) { return PyModule_Create(&module); }
