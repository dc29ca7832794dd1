/*
 * ledger.draw._entities — optional C accelerator for entity snapshot files (docs/draw-v1.md §2,
 * §8).
 *
 * It reads the common shape of a canonical entity line, and only that shape:
 *
 *   {"id":"<ID>","last_inspected":<null|"YYYY-MM-DD">,"name":"<S>","stratum":"<S>","tags":[<"S",...>]}\n
 *
 * <ID> is printable ASCII (0x20..0x7E) without '"' or '\'; every <S> is strict UTF-8 without
 * control bytes below 0x20, '"' or '\' (so it needs no escape and is written literally in
 * canonical JSON); a date is a real calendar date with a year of 0001..9999; tags are non-empty,
 * strictly increasing by UTF-8 bytes; ids strictly increase by bytes within the span. A line of
 * any other shape — escapes, extra keys, another key order, whitespace, a CR, an empty line, an
 * unsorted id — makes a function return None, never raise: the caller then reads the file with
 * the general parser, which accepts or rejects it and names the line. So the accelerator never
 * decides that a file is invalid, and whatever it accepts, the general parser accepts with the
 * same values (tests/draw/test_entities_c.py compares the two on generated and corrupted files).
 *
 * What the caller still checks: the identifier rules (NFC, no C1 control characters) for the
 * distinct non-ASCII strata and tags it returns.
 *
 * Tickets (docs/draw-v1.md §7): SHA-256(prefix || utf8(id)) with prefix = hex(H(S)), 64 ASCII bytes
 * — exactly one SHA-256 block, absorbed once and copied per id. The first five ticket digits are
 * the five least significant decimal digits of the digest read as a big-endian integer, in
 * reverse order; `candidates` reports them as the number they spell ("key5").
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_API_COMPAT 0x10100000L
#include <Python.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define MAX_GROUPS 256
#define CACHE_SIZE 32

typedef const unsigned char *cursor;

/* A small cache of distinct byte strings already seen (tags, strata). */
typedef struct {
    cursor ptr[CACHE_SIZE];
    Py_ssize_t len[CACHE_SIZE];
    PyObject *obj[CACHE_SIZE]; /* borrowed from the caller's container, or NULL */
    int n;
} seen_t;

static int seen_find(const seen_t *s, cursor p, Py_ssize_t n) {
    for (int i = 0; i < s->n; i++) {
        if (s->len[i] == n && memcmp(s->ptr[i], p, (size_t)n) == 0) return i;
    }
    return -1;
}

static int seen_add(seen_t *s, cursor p, Py_ssize_t n, PyObject *obj) {
    if (s->n >= CACHE_SIZE) return 0;
    s->ptr[s->n] = p;
    s->len[s->n] = n;
    s->obj[s->n] = obj;
    s->n++;
    return 1;
}

/* The tags of a span, collected without the GIL: the first CACHE_SIZE distinct ones in `seen`,
   later ones (repeated or not) in a growing array; tagset_to_set makes the Python set. */
typedef struct {
    seen_t seen;
    cursor *ptr;
    Py_ssize_t *len;
    Py_ssize_t n, cap;
} tagset_t;

static int tagset_add(tagset_t *t, cursor p, Py_ssize_t n) {
    if (seen_find(&t->seen, p, n) >= 0 || seen_add(&t->seen, p, n, NULL)) return 1;
    if (t->n == t->cap) {
        Py_ssize_t cap = t->cap ? t->cap * 2 : 1024;
        cursor *ptr = PyMem_RawRealloc(t->ptr, (size_t)cap * sizeof(cursor));
        if (!ptr) return -1;
        t->ptr = ptr;
        Py_ssize_t *len = PyMem_RawRealloc(t->len, (size_t)cap * sizeof(Py_ssize_t));
        if (!len) return -1;
        t->len = len;
        t->cap = cap;
    }
    t->ptr[t->n] = p;
    t->len[t->n] = n;
    t->n++;
    return 1;
}

static void tagset_free(tagset_t *t) {
    PyMem_RawFree(t->ptr);
    PyMem_RawFree(t->len);
}

/* A new set of the tags as bytes (needs the GIL). */
static PyObject *tagset_to_set(const tagset_t *t) {
    PyObject *set = PySet_New(NULL);
    for (Py_ssize_t i = 0; set && i < t->seen.n + t->n; i++) {
        cursor p = i < t->seen.n ? t->seen.ptr[i] : t->ptr[i - t->seen.n];
        Py_ssize_t n = i < t->seen.n ? t->seen.len[i] : t->len[i - t->seen.n];
        PyObject *b = PyBytes_FromStringAndSize((const char *)p, n);
        if (!b || PySet_Add(set, b) < 0) Py_CLEAR(set);
        Py_XDECREF(b);
    }
    return set;
}

static int expect(cursor *pp, cursor end, const char *lit, size_t n) {
    if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0) return 0;
    *pp += n;
    return 1;
}

/* An <ID>: printable ASCII without '"' or '\', non-empty, up to the closing quote.
   Returns the length, or -1. *pp ends on the closing quote. */
static Py_ssize_t ascii_id(cursor *pp, cursor end) {
    cursor p = *pp;
    while (p < end) {
        unsigned char c = *p;
        if (c == '"') break;
        if (c < 0x20 || c > 0x7E || c == '\\') return -1;
        p++;
    }
    if (p >= end || p == *pp || p - *pp > (Py_ssize_t)UINT32_MAX) return -1;
    Py_ssize_t n = p - *pp;
    *pp = p;
    return n;
}

/* An <S>: strict UTF-8 (RFC 3629: no overlong form, no surrogate, at most U+10FFFF) without
   bytes below 0x20, '"' or '\', up to the closing quote. Returns the length, or -1. */
static Py_ssize_t utf8_text(cursor *pp, cursor end) {
    cursor p = *pp;
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            if (c == '"') break;
            if (c < 0x20 || c == '\\') return -1;
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            if (end - p < 2 || (p[1] & 0xC0) != 0x80) return -1;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return -1;
            if (c == 0xE0 && p[1] < 0xA0) return -1; /* overlong */
            if (c == 0xED && p[1] > 0x9F) return -1; /* surrogate */
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
                (p[3] & 0xC0) != 0x80)
                return -1;
            if (c == 0xF0 && p[1] < 0x90) return -1; /* overlong */
            if (c == 0xF4 && p[1] > 0x8F) return -1; /* above U+10FFFF */
            p += 4;
        } else {
            return -1;
        }
    }
    if (p >= end) return -1;
    Py_ssize_t n = p - *pp;
    *pp = p;
    return n;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* "YYYY-MM-DD" with 1 <= year, a real month and day (as datetime.date.fromisoformat). */
static int valid_date(cursor d) {
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (d[i] != '-') return 0;
        } else if (!is_digit(d[i])) {
            return 0;
        }
    }
    int year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int month = (d[5] - '0') * 10 + (d[6] - '0');
    int day = (d[8] - '0') * 10 + (d[9] - '0');
    if (year < 1 || month < 1 || month > 12 || day < 1) return 0;
    static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = days_in_month[month - 1];
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) dim = 29;
    return day <= dim;
}

static int bytes_less(cursor a, Py_ssize_t an, cursor b, Py_ssize_t bn) {
    int c = memcmp(a, b, (size_t)(an < bn ? an : bn));
    return c < 0 || (c == 0 && an < bn);
}

/* One parsed line. */
typedef struct {
    cursor id;
    Py_ssize_t id_len;
    cursor last; /* NULL for null */
    cursor stratum;
    Py_ssize_t stratum_len;
} line_t;

/* Parse one line at *pp (ending before `end`); collect its tags in `tags`. Needs no GIL.
   Returns 1 on success, 0 when the line has another shape, -1 when out of memory. */
static int parse_line(cursor *pp, cursor end, line_t *out, tagset_t *tags) {
    cursor p = *pp;
    if (!expect(&p, end, "{\"id\":\"", 7)) return 0;
    out->id = p;
    if ((out->id_len = ascii_id(&p, end)) < 0) return 0;
    if (!expect(&p, end, "\",\"last_inspected\":", 19)) return 0;
    if (expect(&p, end, "null", 4)) {
        out->last = NULL;
    } else {
        if (end - p < 12 || p[0] != '"' || p[11] != '"' || !valid_date(p + 1)) return 0;
        out->last = p + 1;
        p += 12;
    }
    if (!expect(&p, end, ",\"name\":\"", 9)) return 0;
    if (utf8_text(&p, end) < 0) return 0;
    if (!expect(&p, end, "\",\"stratum\":\"", 13)) return 0;
    out->stratum = p;
    if ((out->stratum_len = utf8_text(&p, end)) <= 0) return 0;
    if (!expect(&p, end, "\",\"tags\":[", 10)) return 0;
    if (p < end && *p == ']') {
        p++;
    } else {
        cursor prev = NULL;
        Py_ssize_t prev_len = 0;
        for (;;) {
            if (!expect(&p, end, "\"", 1)) return 0;
            cursor tag = p;
            Py_ssize_t n = utf8_text(&p, end);
            if (n <= 0) return 0;
            p++; /* the closing quote */
            if (prev != NULL && !bytes_less(prev, prev_len, tag, n)) return 0;
            prev = tag;
            prev_len = n;
            if (tagset_add(tags, tag, n) < 0) return -1;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (!expect(&p, end, "]", 1)) return 0;
            break;
        }
    }
    if (!expect(&p, end, "}\n", 2)) return 0;
    *pp = p;
    return 1;
}

/* parse_line, then the order of ids: 1 on success, 0 when the line has another shape or its id
   does not follow *prev, -1 when out of memory. Advances *prev to this line's id. */
static int next_line(cursor *pp, cursor end, line_t *line, tagset_t *tags, cursor *prev,
                     Py_ssize_t *prev_len) {
    int rc = parse_line(pp, end, line, tags);
    if (rc <= 0) return rc;
    if (*prev && !bytes_less(*prev, *prev_len, line->id, line->id_len)) return 0;
    *prev = line->id;
    *prev_len = line->id_len;
    return 1;
}

/* Check the span of (data: buffer, start, stop). Returns 0 with an exception set. */
static int check_span(Py_buffer *buf, Py_ssize_t start, Py_ssize_t stop) {
    if (start < 0 || stop > buf->len || start >= stop) {
        PyBuffer_Release(buf);
        PyErr_SetString(PyExc_ValueError, "span out of range");
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(columns_doc,
"columns(data, start, stop) -> (ids, strata, lasts, tags) | None\n\n"
"Read the entity lines of data[start:stop] (start and stop are line starts or the end).\n"
"Returns the ids, the strata and the last_inspected dates ('' for null) as lists of str, and\n"
"the set of distinct tags as UTF-8 bytes; or None when a line is not of the accelerated shape\n"
"(see the module comment). Raises only MemoryError, or ValueError for a bad span.");

static PyObject *columns(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "y*nn", &buf, &start, &stop)) return NULL;
    if (!check_span(&buf, start, stop)) return NULL;
    cursor base = (cursor)buf.buf, p = base + start, end = base + stop;
    PyObject *ids = PyList_New(0), *strata = PyList_New(0), *lasts = PyList_New(0);
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    PyObject *result = NULL;
    tagset_t tags = {.n = 0};
    seen_t seen_strata = {.n = 0};
    cursor prev = NULL;
    Py_ssize_t prev_len = 0;
    if (!ids || !strata || !lasts || !empty) goto done;
    while (p < end) {
        line_t line;
        int rc = next_line(&p, end, &line, &tags, &prev, &prev_len);
        if (rc < 0) {
            PyErr_NoMemory();
            goto done;
        }
        if (rc == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyObject *id = PyUnicode_DecodeASCII((const char *)line.id, line.id_len, NULL);
        if (!id) goto done;
        int bad = PyList_Append(ids, id);
        Py_DECREF(id);
        if (bad) goto done;
        int at = seen_find(&seen_strata, line.stratum, line.stratum_len);
        PyObject *stratum;
        if (at >= 0) {
            stratum = Py_NewRef(seen_strata.obj[at]);
        } else {
            stratum = PyUnicode_DecodeUTF8((const char *)line.stratum, line.stratum_len, NULL);
            if (!stratum) goto done;
            seen_add(&seen_strata, line.stratum, line.stratum_len, stratum);
        }
        /* The list keeps a reference to every cached stratum, so the borrowed cache stays valid. */
        bad = PyList_Append(strata, stratum);
        Py_DECREF(stratum);
        if (bad) goto done;
        PyObject *last = line.last ? PyUnicode_DecodeASCII((const char *)line.last, 10, NULL)
                                   : Py_NewRef(empty);
        if (!last) goto done;
        bad = PyList_Append(lasts, last);
        Py_DECREF(last);
        if (bad) goto done;
    }
    PyObject *tag_set = tagset_to_set(&tags);
    if (tag_set) {
        result = PyTuple_Pack(4, ids, strata, lasts, tag_set);
        Py_DECREF(tag_set);
    }
done:
    Py_XDECREF(ids);
    Py_XDECREF(strata);
    Py_XDECREF(lasts);
    Py_XDECREF(empty);
    tagset_free(&tags);
    PyBuffer_Release(&buf);
    return result;
}

/* One eligible entity in the packed buffer of `candidates`. */
typedef struct {
    Py_ssize_t id_offset;
    uint32_t id_len;
    uint16_t group;
    uint32_t key5;
} eligible_t;

/* The first five ticket digits as the number they spell: the five least significant decimal
   digits of the big-endian digest, in reverse order. */
static uint32_t key5_of(const unsigned char digest[32]) {
    uint64_t r = 0;
    for (int i = 0; i < 32; i += 4) {
        uint32_t word = (uint32_t)digest[i] << 24 | (uint32_t)digest[i + 1] << 16 |
                        (uint32_t)digest[i + 2] << 8 | digest[i + 3];
        r = ((r << 32) | word) % 100000u; /* r < 10^5, so r · 2^32 < 2^49 */
    }
    uint32_t key = 0;
    for (int i = 0; i < 5; i++) {
        key = key * 10u + (uint32_t)(r % 10u);
        r /= 10u;
    }
    return key;
}

/* The span scan of `candidates`, without the GIL. Returns 1, 0 (declined) or -1 (no memory). */
typedef struct {
    cursor base, p, end;
    PyObject *strata; /* tuple of bytes (read only: its items are immutable) */
    Py_ssize_t groups;
    const char *cutoff; /* 10 bytes, or NULL */
    SHA256_CTX prefix;
    Py_ssize_t counts[MAX_GROUPS];
    eligible_t *rows;
    Py_ssize_t n_rows, cap;
    tagset_t tags;
    cursor first, prev;
    Py_ssize_t first_len, prev_len;
} scan_t;

static int group_of(const scan_t *sc, cursor stratum, Py_ssize_t n) {
    for (Py_ssize_t g = 0; g < sc->groups; g++) {
        PyObject *name = PyTuple_GET_ITEM(sc->strata, g);
        if (PyBytes_GET_SIZE(name) == n && memcmp(PyBytes_AS_STRING(name), stratum, (size_t)n) == 0)
            return (int)g;
    }
    return -1;
}

static int scan_span(scan_t *sc) {
    cursor p = sc->p, end = sc->end;
    int last_group = -1;
    cursor last_stratum = NULL;
    Py_ssize_t last_stratum_len = 0;
    while (p < end) {
        line_t line;
        int rc = next_line(&p, end, &line, &sc->tags, &sc->prev, &sc->prev_len);
        if (rc <= 0) return rc;
        if (!sc->first) {
            sc->first = line.id;
            sc->first_len = line.id_len;
        }
        int group = last_group;
        if (group < 0 || line.stratum_len != last_stratum_len ||
            memcmp(line.stratum, last_stratum, (size_t)line.stratum_len) != 0) {
            group = group_of(sc, line.stratum, line.stratum_len);
            if (group < 0) return 0; /* not listed: the general path names the entity */
            last_group = group;
            last_stratum = line.stratum;
            last_stratum_len = line.stratum_len;
        }
        if (sc->cutoff && line.last && memcmp(line.last, sc->cutoff, 10) > 0) continue; /* recent */
        sc->counts[group]++;
        if (sc->n_rows == sc->cap) {
            Py_ssize_t cap = sc->cap ? sc->cap * 2 : 4096;
            eligible_t *grown = PyMem_RawRealloc(sc->rows, (size_t)cap * sizeof(eligible_t));
            if (!grown) return -1;
            sc->rows = grown;
            sc->cap = cap;
        }
        SHA256_CTX ctx = sc->prefix;
        unsigned char digest[32];
        SHA256_Update(&ctx, line.id, (size_t)line.id_len);
        SHA256_Final(digest, &ctx);
        eligible_t *row = &sc->rows[sc->n_rows++];
        memset(row, 0, sizeof *row); /* the padding too: `packed` holds no stale bytes */
        row->id_offset = line.id - sc->base;
        row->id_len = (uint32_t)line.id_len;
        row->group = (uint16_t)group;
        row->key5 = key5_of(digest);
    }
    return 1;
}

PyDoc_STRVAR(candidates_doc,
"candidates(data, start, stop, strata, cutoff, prefix)\n"
"    -> (first_id, last_id, counts, packed, tags) | None\n\n"
"Read the entity lines of data[start:stop] as `columns` does, apply the strata and the\n"
"recency rule, and hash each eligible entity once, without holding the GIL (two threads can\n"
"read two spans at once). strata: tuple of the listed strata as UTF-8 bytes (at most 256);\n"
"cutoff: b'YYYY-MM-DD' (recent <=> last_inspected > cutoff) or None for no exclusion; prefix:\n"
"hex(H(S)) as 64 ASCII bytes. Returns the span's first and last id, the eligible count per\n"
"stratum (tuple of int), an opaque buffer for `select`, and the distinct tags as bytes; or\n"
"None when a line is not of the accelerated shape or has a stratum that is not listed.\n"
"Raises only MemoryError, or ValueError/TypeError for bad arguments.");

static PyObject *candidates(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start, stop;
    PyObject *strata_arg, *cutoff_arg;
    const char *prefix;
    Py_ssize_t prefix_len;
    if (!PyArg_ParseTuple(args, "y*nnO!Oy#", &buf, &start, &stop, &PyTuple_Type, &strata_arg,
                          &cutoff_arg, &prefix, &prefix_len))
        return NULL;
    if (!check_span(&buf, start, stop)) return NULL;
    scan_t sc = {.groups = PyTuple_GET_SIZE(strata_arg), .strata = strata_arg};
    PyObject *result = NULL;
    if (sc.groups < 1 || sc.groups > MAX_GROUPS || prefix_len != 64) {
        PyErr_SetString(PyExc_ValueError, "1..256 strata and a 64-byte prefix are required");
        goto done;
    }
    if (cutoff_arg != Py_None) {
        if (!PyBytes_Check(cutoff_arg) || PyBytes_GET_SIZE(cutoff_arg) != 10) {
            PyErr_SetString(PyExc_ValueError, "cutoff must be 10 bytes or None");
            goto done;
        }
        sc.cutoff = PyBytes_AS_STRING(cutoff_arg);
    }
    for (Py_ssize_t g = 0; g < sc.groups; g++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(strata_arg, g))) {
            PyErr_SetString(PyExc_TypeError, "strata must be bytes");
            goto done;
        }
    }
    sc.base = (cursor)buf.buf;
    sc.p = sc.base + start;
    sc.end = sc.base + stop;
    SHA256_Init(&sc.prefix);
    SHA256_Update(&sc.prefix, prefix, 64);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = scan_span(&sc);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (rc == 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *counts = PyTuple_New(sc.groups);
    for (Py_ssize_t g = 0; counts && g < sc.groups; g++) {
        PyObject *v = PyLong_FromSsize_t(sc.counts[g]);
        if (!v) Py_CLEAR(counts);
        else PyTuple_SET_ITEM(counts, g, v);
    }
    PyObject *packed = PyBytes_FromStringAndSize((const char *)sc.rows,
                                                 sc.n_rows * (Py_ssize_t)sizeof(eligible_t));
    PyObject *first_id = PyUnicode_DecodeASCII((const char *)sc.first, sc.first_len, NULL);
    PyObject *last_id = PyUnicode_DecodeASCII((const char *)sc.prev, sc.prev_len, NULL);
    PyObject *tags = tagset_to_set(&sc.tags);
    if (counts && packed && first_id && last_id && tags)
        result = PyTuple_Pack(5, first_id, last_id, counts, packed, tags);
    Py_XDECREF(counts);
    Py_XDECREF(packed);
    Py_XDECREF(first_id);
    Py_XDECREF(last_id);
    Py_XDECREF(tags);
done:
    PyMem_RawFree(sc.rows);
    tagset_free(&sc.tags);
    PyBuffer_Release(&buf);
    return result;
}

/* The reversed decimal digits of the 256-bit big-endian `digest`, zero-padded to at least 64
   digits (the ticket without "0.", docs/draw-v1.md §7) into out[0..95); returns their number. */
static int ticket_digits(const unsigned char digest[32], char out[95]) {
    uint64_t limbs[4];
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 0; j < 8; j++) v = v << 8 | digest[i * 8 + j];
        limbs[i] = v;
    }
    const uint64_t chunk = 10000000000000000000ull; /* 10^19 */
    int significant = 0;
    for (int c = 0; c < 5; c++) { /* 10^95 > 2^256: five chunks, least significant first */
        unsigned __int128 rem = 0;
        for (int i = 0; i < 4; i++) {
            unsigned __int128 cur = rem << 64 | limbs[i];
            limbs[i] = (uint64_t)(cur / chunk);
            rem = cur % chunk;
        }
        uint64_t part = (uint64_t)rem;
        for (int d = 0; d < 19; d++) {
            int digit_value = (int)(part % 10u);
            out[c * 19 + d] = (char)('0' + digit_value);
            if (digit_value) significant = c * 19 + d + 1;
            part /= 10u;
        }
    }
    return significant > 64 ? significant : 64;
}

PyDoc_STRVAR(select_doc,
"select(data, packed, bounds, prefix) -> list[list[str]]\n\n"
"From the `packed` buffer that `candidates` returned for `data` and `prefix`, per stratum and\n"
"in file order, the sort keys (reversed ticket digits, a space, the id; see\n"
"ledger.draw.tickets) of the ids whose key5 is below their stratum's bound (tuple of int, one\n"
"per stratum, in 0..100000). Raises ValueError for a buffer, bounds or prefix that do not\n"
"fit.");

static PyObject *select_keys(PyObject *self, PyObject *args) {
    Py_buffer buf, packed;
    PyObject *bounds_arg;
    const char *prefix;
    Py_ssize_t prefix_len;
    if (!PyArg_ParseTuple(args, "y*y*O!y#", &buf, &packed, &PyTuple_Type, &bounds_arg, &prefix,
                          &prefix_len))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t groups = PyTuple_GET_SIZE(bounds_arg);
    long bounds[MAX_GROUPS];
    Py_ssize_t n_rows = packed.len / (Py_ssize_t)sizeof(eligible_t);
    SHA256_CTX base_ctx;
    if (packed.len % (Py_ssize_t)sizeof(eligible_t) != 0 || groups < 1 || groups > MAX_GROUPS ||
        prefix_len != 64) {
        PyErr_SetString(PyExc_ValueError, "bad packed buffer, bounds or prefix");
        goto release;
    }
    for (Py_ssize_t g = 0; g < groups; g++) {
        bounds[g] = PyLong_AsLong(PyTuple_GET_ITEM(bounds_arg, g));
        if (bounds[g] == -1 && PyErr_Occurred()) goto release;
    }
    SHA256_Init(&base_ctx);
    SHA256_Update(&base_ctx, prefix, 64);
    result = PyList_New(groups);
    if (!result) goto release;
    for (Py_ssize_t g = 0; g < groups; g++) {
        PyObject *members = PyList_New(0);
        if (!members) goto fail;
        PyList_SET_ITEM(result, g, members);
    }
    for (Py_ssize_t i = 0; i < n_rows; i++) {
        eligible_t row_copy; /* `packed` may be any buffer, also a misaligned one */
        memcpy(&row_copy, (const char *)packed.buf + i * (Py_ssize_t)sizeof(eligible_t),
               sizeof row_copy);
        const eligible_t *row = &row_copy;
        if (row->group >= groups || row->id_offset < 0 || row->id_offset > buf.len ||
            (Py_ssize_t)row->id_len > buf.len - row->id_offset) {
            PyErr_SetString(PyExc_ValueError, "packed buffer does not fit the data");
            goto fail;
        }
        if ((long)row->key5 >= bounds[row->group]) continue;
        const unsigned char *id = (const unsigned char *)buf.buf + row->id_offset;
        for (uint32_t c = 0; c < row->id_len; c++) {
            if (id[c] < 0x20 || id[c] > 0x7E) { /* only an id `candidates` checked fits here */
                PyErr_SetString(PyExc_ValueError, "packed buffer does not fit the data");
                goto fail;
            }
        }
        SHA256_CTX ctx = base_ctx;
        unsigned char digest[32];
        SHA256_Update(&ctx, id, row->id_len);
        SHA256_Final(digest, &ctx);
        char digits[95];
        int n = ticket_digits(digest, digits);
        PyObject *key = PyUnicode_New(n + 1 + (Py_ssize_t)row->id_len, 127);
        if (!key) goto fail;
        char *text = (char *)PyUnicode_DATA(key);
        memcpy(text, digits, (size_t)n);
        text[n] = ' ';
        memcpy(text + n + 1, id, row->id_len);
        int bad = PyList_Append(PyList_GET_ITEM(result, row->group), key);
        Py_DECREF(key);
        if (bad) goto fail;
    }
    goto release;
fail:
    Py_CLEAR(result);
release:
    PyBuffer_Release(&buf);
    PyBuffer_Release(&packed);
    return result;
}

static PyMethodDef methods[] = {
    {"columns", columns, METH_VARARGS, columns_doc},
    {"candidates", candidates, METH_VARARGS, candidates_doc},
    {"select", select_keys, METH_VARARGS, select_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_entities",
    .m_doc = "Optional C accelerator for DRAW-V1 entity snapshot files (ledger/draw/_entities.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__entities(void) { return PyModule_Create(&module); }
