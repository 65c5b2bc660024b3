/*
 * Exact 1||sum T_j: Lawler's decomposition with memoised subproblems (Branch & Memorize style).
 *
 * Jobs are renumbered in EDD order (ties: shorter first, then input order); "rank" orders them by processing
 * time (ties: later EDD position ranks higher), so the longest job of a set is its highest-ranked member.
 * Every subproblem met by the decomposition is S(a, b, r) = {EDD positions e in [a, b] with rank[e] < r},
 * started at time t; its canonical key (first member, last member, 1 + top rank, t) is memoised.
 *
 * solve(S, t):
 *   - |S| <= 1, EDD schedule with zero tardiness, SPT schedule with every job late (then SPT minimises
 *     sum C - sum d, a lower bound of any sequence), or EDD cost equal to the lower bound
 *     sum_j max(0, C_SPT[j] - d_EDD[j]): solved directly.
 *   - otherwise the longest job k (EDD index ik) goes after members 0..j (j >= ik, Lawler 1977); position j
 *     is skipped when the next member's due date is <= C_k(j) (swapping k with it never costs more, the
 *     interchange argument behind Emmons' first rule), and a branch stops once its left part plus k's
 *     tardiness reaches the best value found (EDD's cost to start with).
 * A time limit (checked every 1024 calls) aborts the search; the caller then falls back to heuristics and
 * a lower bound.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOW_EDD (-1)
#define HOW_SPT (-2)
#define HOW_BOUND (-3)  /* the entry holds only a lower bound of the subproblem */

typedef struct {
    uint64_t key;   /* 0 = empty slot (keys are built to be nonzero) */
    int64_t cost;
    int32_t how;    /* HOW_EDD, HOW_SPT, or the EDD index (within the member list) k goes after */
} Entry;

typedef struct {
    int n;
    int64_t *p, *d;      /* by EDD position */
    int *rank;           /* rank by processing time, by EDD position */
    int *order;          /* original index of each EDD position */
    int *scratch;        /* (n + 1) member lists, one per recursion depth */
    int *spt;            /* temporary SPT order */
    Entry *table;
    uint64_t capacity, used;
    uint64_t calls;
    double deadline;
    int aborted;         /* 1 = time limit, 2 = out of memory */
    int bits;            /* bits per index in keys */
} Solver;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t make_key(const Solver *s, int a, int b, int r, int64_t t) {
    uint64_t key = (uint64_t)t;
    key = (key << s->bits) | (uint64_t)a;
    key = (key << s->bits) | (uint64_t)b;
    key = (key << s->bits) | (uint64_t)r;
    return key + 1;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static Entry *find(Solver *s, uint64_t key) {
    uint64_t mask = s->capacity - 1, i = mix(key) & mask;
    while (s->table[i].key != 0) {
        if (s->table[i].key == key) return &s->table[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

static int grow(Solver *s) {
    uint64_t old_capacity = s->capacity;
    Entry *old = s->table;
    Entry *table = calloc(old_capacity * 2, sizeof(Entry));
    if (!table) return 0;
    s->table = table;
    s->capacity = old_capacity * 2;
    uint64_t mask = s->capacity - 1;
    for (uint64_t j = 0; j < old_capacity; j++) {
        if (old[j].key == 0) continue;
        uint64_t i = mix(old[j].key) & mask;
        while (table[i].key != 0) i = (i + 1) & mask;
        table[i] = old[j];
    }
    free(old);
    return 1;
}

static void store(Solver *s, uint64_t key, int64_t cost, int how) {
    Entry *old = find(s, key);
    if (old) {
        old->cost = cost;
        old->how = how;
        return;
    }
    if (2 * (s->used + 1) > s->capacity && !grow(s)) {
        s->aborted = 2;
        return;
    }
    uint64_t mask = s->capacity - 1, i = mix(key) & mask;
    while (s->table[i].key != 0) i = (i + 1) & mask;
    s->table[i].key = key;
    s->table[i].cost = cost;
    s->table[i].how = how;
    s->used++;
}

/* Sort EDD positions by rank in place (shell sort: no globals, so solves may run in parallel threads). */
static void sort_by_rank(const int *rank, int *a, int m) {
    static const int gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (int g = 0; g < 8; g++) {
        int gap = gaps[g];
        for (int i = gap; i < m; i++) {
            int x = a[i], j = i;
            while (j >= gap && rank[a[j - gap]] > rank[x]) { a[j] = a[j - gap]; j -= gap; }
            a[j] = x;
        }
    }
}

/* Members of S(a, b, r) in EDD order into out; returns their count. */
static int members(const Solver *s, int a, int b, int r, int *out) {
    int m = 0;
    for (int e = a; e <= b; e++)
        if (s->rank[e] < r) out[m++] = e;
    return m;
}

/* Direct answers: EDD cost (into *edd), and whether EDD or SPT is provably optimal (returns HOW_*, or 0). */
static int direct(Solver *s, const int *mem, int m, int64_t t, int64_t *edd_cost, int64_t *spt_cost,
                  int64_t *lower_bound) {
    int64_t c = t, cost = 0;
    for (int i = 0; i < m; i++) {
        c += s->p[mem[i]];
        if (c > s->d[mem[i]]) cost += c - s->d[mem[i]];
    }
    *edd_cost = cost;
    *spt_cost = cost;
    *lower_bound = 0;
    if (cost == 0) return HOW_EDD;
    memcpy(s->spt, mem, (size_t)m * sizeof(int));
    sort_by_rank(s->rank, s->spt, m);
    int64_t lower = 0, spt = 0;
    int all_late = 1;
    c = t;
    for (int i = 0; i < m; i++) {
        c += s->p[s->spt[i]];
        int64_t late = c - s->d[s->spt[i]];
        if (late < 0) all_late = 0; else spt += late;
        int64_t gap = c - s->d[mem[i]];
        if (gap > 0) lower += gap;
    }
    *spt_cost = spt;
    *lower_bound = lower;
    if (all_late) return HOW_SPT;
    if (lower >= cost) return HOW_EDD;
    return 0;
}

/*
 * The optimal cost of S(a, b, r) started at t if it is below `budget` (exact, memoised with how to rebuild
 * it); otherwise a lower bound >= budget (memoised as a bound, so a later call with a larger budget resumes).
 */
static int64_t solve_rec(Solver *s, int a, int b, int r, int64_t t, int64_t budget, int depth) {
    if (s->aborted) return 0;
    if ((++s->calls & 1023) == 0 && now_seconds() > s->deadline) {
        s->aborted = 1;
        return 0;
    }
    int *mem = s->scratch + (size_t)depth * (size_t)(s->n + 1);
    int m = members(s, a, b, r, mem);
    if (m == 0) return 0;
    if (m == 1) {
        int64_t late = t + s->p[mem[0]] - s->d[mem[0]];
        return late > 0 ? late : 0;
    }
    if (budget <= 0) return 0;
    int ik = 0;
    for (int i = 1; i < m; i++)
        if (s->rank[mem[i]] > s->rank[mem[ik]]) ik = i;
    int k = mem[ik];
    uint64_t key = make_key(s, mem[0], mem[m - 1], s->rank[k] + 1, t);
    Entry *hit = find(s, key);
    if (hit && (hit->how != HOW_BOUND || hit->cost >= budget)) return hit->cost;
    int64_t edd_cost, spt_cost, lower;
    int how = direct(s, mem, m, t, &edd_cost, &spt_cost, &lower);
    if (how != 0) {
        int64_t cost = how == HOW_SPT ? spt_cost : edd_cost;
        store(s, key, cost, how);
        return cost;
    }
    if (hit && hit->cost > lower) lower = hit->cost;
    if (lower >= budget) {
        store(s, key, lower, HOW_BOUND);
        return lower;
    }
    int64_t best = edd_cost < spt_cost ? edd_cost : spt_cost;
    int best_how = edd_cost < spt_cost ? HOW_EDD : HOW_SPT;
    int64_t before = t, end = t;
    for (int i = 0; i < ik; i++) before += s->p[mem[i]];
    for (int i = 0; i < m; i++) end += s->p[mem[i]];
    int64_t ck = before + s->p[k];
    int first = mem[0], last = mem[m - 1], rk = s->rank[k];
    for (int j = ik; j < m && best > lower; j++) {
        if (j > ik) ck += s->p[mem[j]];
        if (j + 1 < m && s->d[mem[j + 1]] <= ck) continue;   /* k moves one place later at no cost */
        if (j > ik && s->d[mem[j]] > ck) continue;           /* mem[j] moves behind k at no cost */
        int64_t cutoff = best < budget ? best : budget;
        int64_t late_k = ck > s->d[k] ? ck - s->d[k] : 0;
        /* the last job of each part ends with the part: cheap lower bounds of both sides */
        int left_last = j == ik ? (ik > 0 ? mem[ik - 1] : -1) : mem[j];
        int64_t left_low = left_last < 0 ? 0 : ck - s->p[k] - s->d[left_last];
        int64_t right_low = j + 1 < m ? end - s->d[last] : 0;
        if (left_low < 0) left_low = 0;
        if (right_low < 0) right_low = 0;
        if (left_low + late_k + right_low >= cutoff) continue;
        int64_t left = j == 0 ? 0 : solve_rec(s, first, mem[j], rk, t, cutoff - late_k - right_low, depth + 1);
        if (s->aborted) return 0;
        if (left + late_k + right_low >= cutoff) continue;
        int64_t right = j + 1 < m ? solve_rec(s, mem[j + 1], last, rk, ck, cutoff - left - late_k, depth + 1) : 0;
        if (s->aborted) return 0;
        if (left + late_k + right < best) {
            best = left + late_k + right;
            best_how = j;
        }
    }
    if (best < budget) {
        store(s, key, best, best_how);
        return best;
    }
    store(s, key, budget, HOW_BOUND);
    return budget;
}

/* Append the optimal sequence of S(a, b, r) started at t (EDD positions) to out[*len]. */
static void rebuild(Solver *s, int a, int b, int r, int64_t t, int depth, int *out, int *len) {
    int *mem = s->scratch + (size_t)depth * (size_t)(s->n + 1);
    int m = members(s, a, b, r, mem);
    if (m == 0) return;
    if (m == 1) {
        out[(*len)++] = mem[0];
        return;
    }
    int ik = 0;
    for (int i = 1; i < m; i++)
        if (s->rank[mem[i]] > s->rank[mem[ik]]) ik = i;
    int k = mem[ik];
    Entry *hit = find(s, make_key(s, mem[0], mem[m - 1], s->rank[k] + 1, t));
    int how = hit ? hit->how : HOW_EDD;
    if (how == HOW_EDD) {
        for (int i = 0; i < m; i++) out[(*len)++] = mem[i];
        return;
    }
    if (how == HOW_SPT) {
        memcpy(s->spt, mem, (size_t)m * sizeof(int));
        sort_by_rank(s->rank, s->spt, m);
        for (int i = 0; i < m; i++) out[(*len)++] = s->spt[i];
        return;
    }
    int j = how, first = mem[0], last = mem[m - 1], rk = s->rank[k];
    int64_t ck = t + s->p[k];
    for (int i = 0; i <= j; i++)
        if (i != ik) ck += s->p[mem[i]];
    int after = j + 1 < m ? mem[j + 1] : -1;
    int upto = mem[j];
    if (j > 0 || ik != 0) rebuild(s, first, upto, rk, t, depth + 1, out, len);
    out[(*len)++] = k;
    if (after >= 0) rebuild(s, after, last, rk, ck, depth + 1, out, len);
}

static const int64_t *g_p, *g_d;
static int cmp_edd(const void *x, const void *y) {
    int i = *(const int *)x, j = *(const int *)y;
    if (g_d[i] != g_d[j]) return g_d[i] < g_d[j] ? -1 : 1;
    if (g_p[i] != g_p[j]) return g_p[i] < g_p[j] ? -1 : 1;
    return i - j;
}
static const int64_t *g_pe;
static int cmp_len(const void *x, const void *y) {
    int i = *(const int *)x, j = *(const int *)y;
    if (g_pe[i] != g_pe[j]) return g_pe[i] < g_pe[j] ? -1 : 1;
    return i - j;
}

static int read_ints(PyObject *seq, int64_t *out, Py_ssize_t n, const char *what) {
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Format(PyExc_ValueError, "%s[%zd] is not an integer", what, i);
            return 0;
        }
        out[i] = (int64_t)v;
    }
    return 1;
}

static void free_solver(Solver *s) {
    free(s->p); free(s->d); free(s->rank); free(s->order); free(s->scratch); free(s->spt); free(s->table);
}

static PyObject *py_solve(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj, *d_obj;
    double time_limit;
    long long upper = -1;
    if (!PyArg_ParseTuple(args, "OOd|L", &p_obj, &d_obj, &time_limit, &upper)) return NULL;
    PyObject *pf = PySequence_Fast(p_obj, "p must be a sequence");
    if (!pf) return NULL;
    PyObject *df = PySequence_Fast(d_obj, "d must be a sequence");
    if (!df) { Py_DECREF(pf); return NULL; }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(pf);
    if (n != PySequence_Fast_GET_SIZE(df) || n < 1 || n > 4000) {
        Py_DECREF(pf); Py_DECREF(df);
        PyErr_SetString(PyExc_ValueError, "p and d need the same length, 1..4000");
        return NULL;
    }
    int64_t *p = malloc((size_t)n * sizeof(int64_t)), *d = malloc((size_t)n * sizeof(int64_t));
    int ok = p && d && read_ints(pf, p, n, "p") && read_ints(df, d, n, "d");
    Py_DECREF(pf); Py_DECREF(df);
    int64_t total = 0;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        if (p[i] < 0) { PyErr_SetString(PyExc_ValueError, "processing times must be >= 0"); ok = 0; }
        else total += p[i];
    }
    int bits = 1;
    while ((1LL << bits) <= n + 1) bits++;
    if (ok && (total >= (1LL << (63 - 3 * bits)))) {
        PyErr_SetString(PyExc_ValueError, "total processing time too large for the key encoding");
        ok = 0;
    }
    if (!ok) { free(p); free(d); if (!PyErr_Occurred()) PyErr_NoMemory(); return NULL; }

    Solver s;
    memset(&s, 0, sizeof(s));
    s.n = (int)n;
    s.bits = bits;
    s.p = malloc((size_t)n * sizeof(int64_t));
    s.d = malloc((size_t)n * sizeof(int64_t));
    s.rank = malloc((size_t)n * sizeof(int));
    s.order = malloc((size_t)n * sizeof(int));
    s.scratch = malloc((size_t)(n + 2) * (size_t)(n + 1) * sizeof(int));
    s.spt = malloc((size_t)(n + 1) * sizeof(int));
    s.capacity = 1 << 16;
    s.table = calloc(s.capacity, sizeof(Entry));
    int *by_len = malloc((size_t)n * sizeof(int));
    int *seq = malloc((size_t)n * sizeof(int));
    if (!s.p || !s.d || !s.rank || !s.order || !s.scratch || !s.spt || !s.table || !by_len || !seq) {
        free_solver(&s); free(by_len); free(seq); free(p); free(d);
        return PyErr_NoMemory();
    }
    for (int i = 0; i < n; i++) s.order[i] = i;
    g_p = p; g_d = d;
    qsort(s.order, (size_t)n, sizeof(int), cmp_edd);
    for (int e = 0; e < n; e++) { s.p[e] = p[s.order[e]]; s.d[e] = d[s.order[e]]; by_len[e] = e; }
    g_pe = s.p;
    qsort(by_len, (size_t)n, sizeof(int), cmp_len);
    for (int q = 0; q < n; q++) s.rank[by_len[q]] = q;
    free(p); free(d);

    int64_t cost;
    int len = 0;
    Py_BEGIN_ALLOW_THREADS
    s.deadline = now_seconds() + time_limit;
    int64_t budget = upper >= 0 ? (int64_t)upper + 1 : INT64_MAX;
    cost = solve_rec(&s, 0, (int)n - 1, (int)n, 0, budget, 0);
    if (!s.aborted && cost >= budget) s.aborted = 3;  /* the given upper bound was wrong */
    if (!s.aborted) rebuild(&s, 0, (int)n - 1, (int)n, 0, 0, seq, &len);
    Py_END_ALLOW_THREADS

    PyObject *result;
    if (s.aborted) {
        result = Py_BuildValue("(OLOK)", Py_False, (long long)-1, Py_None, (unsigned long long)s.used);
    } else {
        PyObject *list = PyList_New(len);
        for (int i = 0; list && i < len; i++) PyList_SET_ITEM(list, i, PyLong_FromLong(s.order[seq[i]]));
        result = list ? Py_BuildValue("(OLNK)", Py_True, (long long)cost, list, (unsigned long long)s.used) : NULL;
    }
    free_solver(&s); free(by_len); free(seq);
    return result;
}

static PyMethodDef methods[] = {
    {"solve", py_solve, METH_VARARGS,
     "solve(p, d, time_limit, upper=-1) -> (proven, objective, sequence, states)\n\n"
     "Minimum total tardiness on one machine. proven is False when the time limit (or memory) ran out; then\n"
     "objective is -1 and sequence is None. sequence lists job indices; states counts memoised subproblems.\n"
     "upper, when >= 0, is the cost of a known sequence: it prunes the search from the start."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_smtt_core",
                                    "Compiled core of the exact SMTT solver (Lawler decomposition + memo).", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__smtt_core(void) { return PyModule_Create(&module); }
