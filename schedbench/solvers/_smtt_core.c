/*
 * Compiled core of the exact SMTT solvers (built by setup.py into schedbench.solvers._smtt_core).
 *
 * solve(): exact 1||sum T_j by Lawler's decomposition with memoised subproblems (Branch & Memorize style).
 * Jobs are renumbered in EDD order (ties: shorter first, then input order); "rank" orders them by processing
 * time (ties: later EDD position ranks higher), so the longest job of a set is its highest-ranked member.
 * Every subproblem met by the decomposition is S(a, b, r) = {EDD positions e in [a, b] with rank[e] < r},
 * started at time t; its canonical key (first member, last member, 1 + top rank, t) is memoised. A child's
 * member list and SPT order are filtered from its parent's, so no call scans or sorts.
 *
 * solve(S, t, budget) returns the optimum if it is below budget, else a lower bound >= budget (memoised as a
 * bound entry that a later, larger budget resumes). The top budget is a known sequence's cost + 1.
 *   - |S| <= 1; EDD with zero tardiness; SPT with every job late (SPT then minimises sum C - sum d, a lower
 *     bound of any sequence); EDD cost equal to the lower bound LB = sum_j max(0, C_SPT[j] - d_EDD[j]):
 *     solved directly. LB >= budget: a bound.
 *   - latest-due jobs that are on time at the very end of S go there (a smaller subproblem, same key form).
 *   - otherwise the longest job k (EDD index ik) goes after members 0..j (j >= ik, Lawler 1977). Position j is
 *     skipped when the next member's due date is <= C_k(j) (k moves one place later at no cost, Potts & Van
 *     Wassenhove 1982) or, for j > ik, when mem[j] is still on time right after k (moving it there costs
 *     nothing); a position stops as soon as its parts' lower bounds reach the best value or the budget.
 *   - every admissible position is first scored by the cheap bounds of its two parts (memo entries, else the
 *     matching bounds) plus k's own tardiness; positions that cannot beat the cutoff are dropped at once and
 *     the rest are searched in increasing order of that score, so the best value falls early and cuts later
 *     positions (branching order).
 * A work limit (members scanned, summed over calls: no clock is read, so the same input always gets the same
 * answer whatever the load) or a full memo (MAX_SLOTS) aborts the search. Budgets rise in passes from the
 * proven bound towards the known cost, so an aborted search still returns the best bound a finished pass
 * proved.
 * Bounds: a subproblem that cannot beat its budget stores the smallest lower bound over its positions (not just
 * the budget), so a later call resumes from the strongest bound; the same job set met at another start time t'
 * bounds it too (f is nondecreasing in t, and falls by at most one unit per job that can be late per unit of
 * time): every start time met is kept per job set, sorted (a profile), and the samples nearest t are read, at
 * each call and for each position's parts when the memo has no entry at their own start time (the job sets of
 * the hard classes recur at ~100 start times each: keeping only a few recent ones left most of that unused),
 * and a child's memo entry is read before its lists are built.
 *
 * solve_weighted(): exact 1||sum w_j T_j for n <= 63 by dynamic programming over job sets (see below).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HOW_EDD (-1)
#define HOW_SPT (-2)
#define HOW_BOUND (-3)  /* the entry holds only a lower bound of the subproblem */
#define HOW_TAIL (-10)  /* HOW_TAIL - q: the q latest-due jobs end the sequence on time, EDD order */

typedef struct {
    uint64_t key;   /* 0 = empty slot (keys are built to be nonzero) */
    int64_t cost;
    int32_t how;    /* HOW_EDD, HOW_SPT, or the EDD index (within the member list) k goes after */
} Entry;

/* Values (or lower bounds) of one job set at the start times met so far, sorted by start time. */
typedef struct {
    int64_t t, cost;     /* cost: the optimum or a lower bound of the job set started at t */
    int32_t late, can;   /* jobs late in every sequence / in some sequence at that start */
} Sample;
typedef struct {
    uint64_t abr;        /* the subproblem's key without its start time (0 = empty) */
    Sample *items;
    int32_t count, cap;
} Profile;

#define PROFILE_MAX 4096   /* start times kept per job set */
#define PROFILE_SCAN 16    /* samples read on either side of a start time */

typedef struct {
    int j;
    int64_t low, left_low, right_low, left_known, right_known, left_memo, right_memo;
    int64_t left_value, right_value;   /* once searched: lower bounds (or optima) of its two parts */
} Position;          /* an admissible position of the longest job with its parts' bounds */

typedef struct {
    int n;
    int64_t *p, *d;      /* by EDD position */
    int *rank;           /* rank by processing time, by EDD position */
    int *order;          /* original index of each EDD position */
    int *scratch;        /* (n + 1) member lists, one per recursion depth */
    int *spt;            /* temporary SPT order */
    int64_t *sums;       /* (n + 1) prefix-sum arrays, one per recursion depth */
    int *sptd;           /* (n + 1) SPT orders, one per recursion depth */
    Entry *table;
    uint64_t capacity, used;
    uint64_t work, work_limit;   /* work done (members scanned by calls) and the limit: no clock is read */
    int aborted;         /* 1 = work limit, 2 = out of memory, 3 = wrong upper bound */
    int bits;            /* bits per index in keys */
    Profile *near;       /* per job set, its values at the start times met so far (open addressing) */
    uint64_t near_capacity, near_used;
    Position *pos;       /* stack of the positions of the calls in progress */
    size_t pos_top, pos_cap;
} Solver;

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

#define MAX_SLOTS (1ULL << 24)  /* 16M slots = 384 MB of memo: past it the search stops like at a time limit */

static int grow(Solver *s) {
    uint64_t old_capacity = s->capacity;
    if (old_capacity * 2 > MAX_SLOTS) return 0;
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

/* Bounds on the optimum f(t) of a fixed job set from a value (or bound) c' = f(t') at another start time:
 * started later, every job late in every sequence at t' ends t - t' later, so f(t) >= c' + late (t - t');
 * started earlier, each job that can be late at t' gains at most t' - t, so f(t) >= c' - can (t' - t).
 * Every start time met is kept (up to PROFILE_MAX per job set); the samples nearest t are read. */
static Profile *near_find(const Solver *s, uint64_t abr) {
    uint64_t mask = s->near_capacity - 1, i = mix(abr) & mask;
    while (s->near[i].abr != 0) {
        if (s->near[i].abr == abr) return &s->near[i];
        i = (i + 1) & mask;
    }
    return &s->near[i];   /* the empty slot where abr would go */
}

/* First sample with start time >= t. */
static int near_index(const Profile *e, int64_t t) {
    int lo = 0, hi = e->count;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (e->items[mid].t < t) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static int64_t near_bound(const Solver *s, uint64_t abr, int64_t t) {
    const Profile *e = near_find(s, abr);
    if (e->abr != abr) return 0;
    int at = near_index(e, t);
    int64_t best = 0;
    int from = at - PROFILE_SCAN < 0 ? 0 : at - PROFILE_SCAN;
    int to = at + PROFILE_SCAN > e->count ? e->count : at + PROFILE_SCAN;
    for (int i = from; i < to; i++) {
        const Sample *x = &e->items[i];
        int64_t lb = x->t <= t ? x->cost + (int64_t)x->late * (t - x->t) : x->cost - (int64_t)x->can * (x->t - t);
        if (lb > best) best = lb;
    }
    return best;
}

static int near_grow(Solver *s) {
    uint64_t old_capacity = s->near_capacity;
    Profile *old = s->near, *table = calloc(old_capacity * 2, sizeof(Profile));
    if (!table) return 0;
    s->near = table;
    s->near_capacity = old_capacity * 2;
    for (uint64_t j = 0; j < old_capacity; j++)
        if (old[j].abr != 0) *near_find(s, old[j].abr) = old[j];
    free(old);
    return 1;
}

static void near_remember(Solver *s, uint64_t abr, int64_t t, int64_t cost, int late, int can) {
    Profile *e = near_find(s, abr);
    if (e->abr != abr) {
        if (2 * (s->near_used + 1) > s->near_capacity) {
            if (!near_grow(s)) { s->aborted = 2; return; }
            e = near_find(s, abr);
        }
        e->abr = abr;
        s->near_used++;
    }
    int at = near_index(e, t);
    if (at < e->count && e->items[at].t == t) {
        if (cost > e->items[at].cost) e->items[at].cost = cost;
        return;
    }
    if (e->count >= PROFILE_MAX) return;
    if (e->count == e->cap) {
        int cap = e->cap ? 2 * e->cap : 4;
        Sample *grown = realloc(e->items, (size_t)cap * sizeof(Sample));
        if (!grown) { s->aborted = 2; return; }
        e->items = grown;
        e->cap = cap;
    }
    memmove(e->items + at + 1, e->items + at, (size_t)(e->count - at) * sizeof(Sample));
    e->items[at] = (Sample){t, cost, late, can};
    e->count++;
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

/* Direct answers: EDD cost (into *edd), and whether EDD or SPT is provably optimal (returns HOW_*, or 0).
 * Also counts the jobs late in every sequence (late even when started first) and those that can be late (due
 * before the set ends), for the bounds at other start times. */
static int direct(Solver *s, const int *mem, const int *spt_order, int m, int64_t t, int64_t *edd_cost,
                  int64_t *spt_cost, int64_t *lower_bound, int *late_count, int *can_count) {
    int64_t c = t, cost = 0;
    int late_jobs = 0, can_jobs = 0;
    for (int i = 0; i < m; i++) {
        c += s->p[mem[i]];
        if (c > s->d[mem[i]]) cost += c - s->d[mem[i]];
        late_jobs += t + s->p[mem[i]] > s->d[mem[i]];
    }
    int64_t end = c;
    *edd_cost = cost;
    *spt_cost = cost;
    *lower_bound = 0;
    *late_count = late_jobs;
    if (cost == 0) {
        for (int i = 0; i < m; i++) can_jobs += s->d[mem[i]] < end;
        *can_count = can_jobs;
        return HOW_EDD;
    }
    int64_t lower = 0, spt = 0;
    int all_late = 1;
    c = t;
    for (int i = 0; i < m; i++) {
        c += s->p[spt_order[i]];
        int64_t late = c - s->d[spt_order[i]];
        if (late < 0) all_late = 0; else spt += late;
        int64_t gap = c - s->d[mem[i]];
        if (gap > 0) lower += gap;
        can_jobs += s->d[mem[i]] < end;
    }
    *can_count = can_jobs;
    *spt_cost = spt;
    *lower_bound = lower;
    if (all_late) return HOW_SPT;
    if (lower >= cost) return HOW_EDD;
    return 0;
}

/* Fill the member list (EDD order) and SPT order of a child at `depth` from its parent's lists: the parent's
 * members with EDD position in [lo, hi], except `skip`. Returns the child's size. */
static int child_lists(Solver *s, const int *mem, const int *spt, int m, int lo, int hi, int skip, int depth) {
    int *cm = s->scratch + (size_t)depth * (size_t)(s->n + 1);
    int *cs = s->sptd + (size_t)depth * (size_t)(s->n + 1);
    int count = 0, count_spt = 0;
    for (int i = 0; i < m; i++)
        if (mem[i] >= lo && mem[i] <= hi && mem[i] != skip) cm[count++] = mem[i];
    for (int i = 0; i < m; i++)
        if (spt[i] >= lo && spt[i] <= hi && spt[i] != skip) cs[count_spt++] = spt[i];
    return count;
}

/* The matching lower bound sum_i max(0, C_SPT[i] - d_EDD[i]) of the parent's members with EDD position in
 * [lo, hi] except `skip`, started at t: O(m), straight from the parent's two orders. */
static int64_t matching_bound(const Solver *s, const int *mem, const int *spt, int m, int lo, int hi, int skip,
                              int64_t t) {
    int64_t clock = t, bound = 0;
    int e = 0;
    for (int i = 0; i < m; i++) {
        int job = spt[i];
        if (job < lo || job > hi || job == skip) continue;
        clock += s->p[job];
        while (mem[e] < lo || mem[e] > hi || mem[e] == skip) e++;
        int64_t gap = clock - s->d[mem[e]];
        e++;
        if (gap > 0) bound += gap;
    }
    return bound;
}

/* The highest-ranked (longest) job among spt[0..count-1] with EDD position in [lo, hi], other than skip. */
static int top_member(const int *spt, int count, int lo, int hi, int skip) {
    for (int i = count - 1; i >= 0; i--)
        if (spt[i] >= lo && spt[i] <= hi && spt[i] != skip) return spt[i];
    return -1;
}

/* What the memo holds for S(a, b, rank[top] + 1) at t: -1 if nothing; else a lower bound (its entry at t, else
 * the bound from its other start times), and the optimum in *exact when the entry at t is exact (the memo need
 * not hold that child's lists). */
static int64_t memo_value(const Solver *s, int a, int b, int top, int64_t t, int64_t *exact) {
    const Entry *e = find((Solver *)s, make_key(s, a, b, s->rank[top] + 1, t));
    if (!e) {
        int64_t near = near_bound(s, make_key(s, a, b, s->rank[top] + 1, 0), t);
        return near > 0 ? near : -1;
    }
    if (e->how != HOW_BOUND) *exact = e->cost;
    return e->cost;
}

/* Bounds of position j's parts from positions already searched at the same node (memo reuse between
 * siblings). With L_j = mem[0..j] minus k (started at t) and R_j = mem[j+1..] (started when k ends, prefix[j+1]):
 *   j < j':  f(L_j') >= f(L_j) + min(p(B), max(0, end(L_j') - d_max(B)))      B = mem[j+1..j'] added, due later;
 *   j > j':  f(L_j') >= f(L_j) - tardiness of B appended in EDD order          B = mem[j'+1..j] removed;
 *   j < j':  f(R_j') >= f(R_j) - tardiness of B run first in EDD order         B = mem[j+1..j'] removed.
 * (Adding jobs never lowers the others' cost; removed jobs can always be put back at the end or the front.) */
#define SIBLINGS 8
static void sibling_bounds(const Solver *s, const int *mem, const int64_t *prefix, int k, size_t base, int q,
                           int j, int64_t *left_low, int64_t *right_low) {
    int64_t pk = s->p[k];
    for (int r = q - 1; r >= 0 && r >= q - SIBLINGS; r--) {
        const Position *o = &s->pos[base + (size_t)r];
        int i0 = o->j;
        if (i0 < j) {
            int64_t added = prefix[j + 1] - prefix[i0 + 1];       /* p(B) */
            int64_t over = prefix[j + 1] - pk - s->d[mem[j]];     /* end(L_j) - d_max(B) */
            int64_t gain = over < 0 ? 0 : over < added ? over : added;
            if (o->left_value + gain > *left_low) *left_low = o->left_value + gain;
            int64_t front = 0;
            for (int i = i0 + 1; i <= j; i++) {
                int64_t late = prefix[i + 1] - s->d[mem[i]];
                if (late > 0) front += late;
            }
            if (o->right_value - front > *right_low) *right_low = o->right_value - front;
        } else if (i0 > j) {
            int64_t back = 0;
            for (int i = j + 1; i <= i0; i++) {
                int64_t late = prefix[i + 1] - pk - s->d[mem[i]];
                if (late > 0) back += late;
            }
            if (o->left_value - back > *left_low) *left_low = o->left_value - back;
        }
    }
}

/*
 * The optimal cost of the subproblem whose members (EDD order) and SPT order sit at `depth`, started at t, if
 * it is below `budget` (exact, memoised with how to rebuild it); otherwise a lower bound >= budget (memoised
 * as a bound, so a later call with a larger budget resumes). The memo key is the canonical description
 * S(first member, last member, 1 + top rank) with t.
 */
#define STORE(c, h) do { int64_t c_ = (c); store(s, key, c_, (h)); near_remember(s, abr, t, c_, late_jobs, can_jobs); } while (0)
static int64_t solve_rec(Solver *s, int m, int64_t t, int64_t budget, int depth) {
    if (s->aborted) return 0;
    s->work += (uint64_t)m + 1;
    if (s->work > s->work_limit) {
        s->aborted = 1;
        return 0;
    }
    const int *mem = s->scratch + (size_t)depth * (size_t)(s->n + 1);
    const int *spt = s->sptd + (size_t)depth * (size_t)(s->n + 1);
    if (m == 0) return 0;
    if (m == 1) {
        int64_t late = t + s->p[mem[0]] - s->d[mem[0]];
        return late > 0 ? late : 0;
    }
    if (budget <= 0) return 0;
    int k = spt[m - 1];                 /* the longest job: top rank */
    int ik = 0;
    while (mem[ik] != k) ik++;
    uint64_t key = make_key(s, mem[0], mem[m - 1], s->rank[k] + 1, t);
    uint64_t abr = make_key(s, mem[0], mem[m - 1], s->rank[k] + 1, 0);
    Entry *hit = find(s, key);
    if (hit && (hit->how != HOW_BOUND || hit->cost >= budget)) { return hit->cost; }
    int64_t edd_cost, spt_cost, lower;
    int late_jobs, can_jobs;
    int how = direct(s, mem, spt, m, t, &edd_cost, &spt_cost, &lower, &late_jobs, &can_jobs);
    if (how != 0) { 
        int64_t cost = how == HOW_SPT ? spt_cost : edd_cost;
        STORE(cost, how);
        return cost;
    }
    if (hit && hit->cost > lower) lower = hit->cost;
    int64_t near = near_bound(s, abr, t);   /* the same job set at its other start times */
    if (near > lower) lower = near;
    if (lower >= budget) {
        STORE(lower, HOW_BOUND);
        return lower;
    }
    int64_t *prefix = s->sums + (size_t)depth * (size_t)(s->n + 2);   /* prefix[i] = t + p(mem[0..i-1]) */
    prefix[0] = t;
    for (int i = 0; i < m; i++) prefix[i + 1] = prefix[i] + s->p[mem[i]];
    int64_t end = prefix[m];
    /* reduction: latest-due jobs that are on time at the very end go there (EDD order) */
    int tail = 0;
    while (tail < m - 1 && s->d[mem[m - 1 - tail]] >= prefix[m - tail]) tail++;
    if (tail > 0) { 
        int size = child_lists(s, mem, spt, m, mem[0], mem[m - 1 - tail], -1, depth + 1);
        int64_t cost = solve_rec(s, size, t, budget, depth + 1);
        if (s->aborted) return 0;
        STORE(cost, cost < budget ? HOW_TAIL - tail : HOW_BOUND);
        return cost;
    }
    int64_t best = edd_cost < spt_cost ? edd_cost : spt_cost;
    int best_how = edd_cost < spt_cost ? HOW_EDD : HOW_SPT;
    int first = mem[0], last = mem[m - 1];
    int64_t failed = INT64_MAX;   /* the smallest lower bound of a position that could not beat the cutoff */
#define FAIL(v) do { int64_t v_ = (v); if (v_ < failed) failed = v_; } while (0)
    /* First the cheap bounds of every admissible position (memo entries of both parts, else matching bounds);
     * then the positions in increasing order of that bound, so the best value falls early and cuts the rest. */
    size_t base = s->pos_top;
    if (base + (size_t)m > s->pos_cap) {
        size_t cap = s->pos_cap * 2 > base + (size_t)m ? s->pos_cap * 2 : base + (size_t)m;
        Position *grown = realloc(s->pos, cap * sizeof(Position));
        if (!grown) { s->aborted = 2; return 0; }
        s->pos = grown;
        s->pos_cap = cap;
    }
    int count = 0;
    int64_t cutoff0 = best < budget ? best : budget;
    for (int j = ik; j < m; j++) {
        int64_t ck = prefix[j + 1];                          /* k completes after mem[0..j] */
        if (j + 1 < m && s->d[mem[j + 1]] <= ck) continue;   /* k moves one place later at no cost */
        if (j > ik && s->d[mem[j]] > ck) continue;           /* mem[j] moves behind k at no cost */
        int64_t late_k = ck > s->d[k] ? ck - s->d[k] : 0;
        /* the last job of each part ends with the part: cheap lower bounds of both sides */
        int left_last = j == ik ? (ik > 0 ? mem[ik - 1] : -1) : mem[j];
        int64_t left_low = left_last < 0 ? 0 : ck - s->p[k] - s->d[left_last];
        int64_t right_low = j + 1 < m ? end - s->d[last] : 0;
        if (left_low < 0) left_low = 0;
        if (right_low < 0) right_low = 0;
        /* what the memo already knows of either part (no lists built), else the matching bounds */
        int64_t left_known = -1, right_known = -1, left_memo = -1, right_memo = -1;
        if (j >= 2) {
            int top = top_member(spt, m - 1, first, mem[j], k);
            left_memo = memo_value(s, ik == 0 ? mem[1] : first, left_last, top, t, &left_known);
            if (left_memo > left_low) left_low = left_memo;
        }
        if (m - 1 - j >= 2) {
            int top = top_member(spt, m - 1, mem[j + 1], last, -1);
            right_memo = memo_value(s, mem[j + 1], last, top, ck, &right_known);
            if (right_memo > right_low) right_low = right_memo;
        }
        if (left_low + late_k + right_low >= cutoff0) { FAIL(left_low + late_k + right_low); continue; }
        if (j > 0 && left_known < 0) {
            int64_t low = matching_bound(s, mem, spt, m, first, mem[j], k, t);
            if (low > left_low) left_low = low;
        }
        if (j + 1 < m && right_known < 0) {
            int64_t low = matching_bound(s, mem, spt, m, mem[j + 1], last, -1, ck);
            if (low > right_low) right_low = low;
        }
        if (left_low + late_k + right_low >= cutoff0) { FAIL(left_low + late_k + right_low); continue; }
        Position *q = &s->pos[base + (size_t)count++];
        q->j = j;
        q->low = left_low + late_k + right_low;
        q->left_low = left_low;
        q->right_low = right_low;
        q->left_known = left_known;
        q->right_known = right_known;
        q->left_memo = left_memo;
        q->right_memo = right_memo;
    }
    for (int a = 1; a < count; a++) {   /* insertion sort by bound (ties: earlier position first) */
        Position x = s->pos[base + (size_t)a];
        int b = a;
        while (b > 0 && s->pos[base + (size_t)b - 1].low > x.low) { s->pos[base + (size_t)b] = s->pos[base + (size_t)b - 1]; b--; }
        s->pos[base + (size_t)b] = x;
    }
    s->pos_top = base + (size_t)count;
    for (int q = 0; q < count && best > lower; q++) {
        Position at = s->pos[base + (size_t)q];
        int j = at.j;
        int64_t ck = prefix[j + 1];
        int64_t cutoff = best < budget ? best : budget;
        int64_t late_k = ck > s->d[k] ? ck - s->d[k] : 0;
        int64_t left_low = at.left_low, right_low = at.right_low;
        sibling_bounds(s, mem, prefix, k, base, q, j, &left_low, &right_low);
        if (at.left_known >= 0) left_low = at.left_known;
        if (at.right_known >= 0) right_low = at.right_known;
        s->pos[base + (size_t)q].left_value = left_low;
        s->pos[base + (size_t)q].right_value = right_low;
        if (left_low + late_k + right_low >= cutoff) { FAIL(left_low + late_k + right_low); continue; }
        int64_t left = 0;
        if (j > 0) {
            int64_t child_budget = cutoff - late_k - right_low;
            if (at.left_known >= 0) left = at.left_known;
            else if (left_low >= child_budget) left = left_low;
            else {
                int size = child_lists(s, mem, spt, m, first, mem[j], k, depth + 1);
                left = solve_rec(s, size, t, child_budget, depth + 1);
                if (s->aborted) return 0;
            }
            s->pos[base + (size_t)q].left_value = left;
        }
        if (left + late_k + right_low >= cutoff) { FAIL(left + late_k + right_low); continue; }
        int64_t right = 0;
        if (j + 1 < m) {
            int64_t child_budget = cutoff - left - late_k;
            if (at.right_known >= 0) right = at.right_known;
            else if (right_low >= child_budget) right = right_low;
            else {
                int size = child_lists(s, mem, spt, m, mem[j + 1], last, -1, depth + 1);
                right = solve_rec(s, size, ck, child_budget, depth + 1);
                if (s->aborted) return 0;
            }
            s->pos[base + (size_t)q].right_value = right;
        }
        if (left + late_k + right < best && left + late_k + right < cutoff) {
            best = left + late_k + right;
            best_how = j;
        } else {
            FAIL(left + late_k + right);
        }
        (void)left_low;
    }
    s->pos_top = base;
#undef FAIL
    if (best < budget) {
        STORE(best, best_how);
        return best;
    }
    /* no position beat the budget: the optimum is at least the smallest position bound (and at most best) */
    int64_t bound = failed < best ? failed : best;
    if (bound < lower) bound = lower;
    if (bound < budget) bound = budget;
    STORE(bound, HOW_BOUND);
    return bound;
}

#undef STORE
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
    if (how == HOW_EDD || how == HOW_BOUND) {   /* a bound entry never lies on the optimal path */
        for (int i = 0; i < m; i++) out[(*len)++] = mem[i];
        return;
    }
    if (how <= HOW_TAIL) {
        int tail = HOW_TAIL - how;
        int keep = m - tail;
        int top = mem[0];
        for (int i = 1; i < keep; i++) if (s->rank[mem[i]] > s->rank[top]) top = mem[i];
        int last_kept = mem[keep - 1];
        int *saved = s->spt;
        for (int i = 0; i < tail; i++) saved[i] = mem[keep + i];
        int copy[64];
        int *tail_jobs = tail <= 64 ? copy : malloc((size_t)tail * sizeof(int));
        for (int i = 0; i < tail; i++) tail_jobs[i] = saved[i];
        rebuild(s, mem[0], last_kept, s->rank[top] + 1, t, depth + 1, out, len);
        for (int i = 0; i < tail; i++) out[(*len)++] = tail_jobs[i];
        if (tail_jobs != copy) free(tail_jobs);
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

/* Sorting without globals: each key carries what its comparison needs (ties broken by index). */
typedef struct { int64_t first, second; int index; } SortKey;
static int cmp_key(const void *x, const void *y) {
    const SortKey *u = x, *v = y;
    if (u->first != v->first) return u->first < v->first ? -1 : 1;
    if (u->second != v->second) return u->second < v->second ? -1 : 1;
    return (u->index > v->index) - (u->index < v->index);
}
/* out = indices 0..n-1 ordered by (first[i], second[i], i); second may be NULL. 0 when out of memory. */
static int sort_indices(int *out, int n, const int64_t *first, const int64_t *second) {
    SortKey *keys = malloc((size_t)(n > 0 ? n : 1) * sizeof(SortKey));
    if (!keys) return 0;
    for (int i = 0; i < n; i++) keys[i] = (SortKey){first[i], second ? second[i] : 0, i};
    qsort(keys, (size_t)n, sizeof(SortKey), cmp_key);
    for (int q = 0; q < n; q++) out[q] = keys[q].index;
    free(keys);
    return 1;
}
/* A new list of the ints values[order[i]] (order NULL: values[i]), or NULL with an exception set. */
static PyObject *int_list(const int *values, const int *order, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *item = PyLong_FromLong(values[order ? order[i] : i]);
        if (!item) { Py_CLEAR(list); break; }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
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
    free(s->sums); free(s->sptd); free(s->pos);
    for (uint64_t i = 0; s->near && i < s->near_capacity; i++) free(s->near[i].items);
    free(s->near);
}

static PyObject *py_solve(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj, *d_obj;
    long long work_limit, upper = -1;
    if (!PyArg_ParseTuple(args, "OOL|L", &p_obj, &d_obj, &work_limit, &upper)) return NULL;
    PyObject *pf = PySequence_Fast(p_obj, "p must be a sequence");
    if (!pf) return NULL;
    PyObject *df = PySequence_Fast(d_obj, "d must be a sequence");
    if (!df) { Py_DECREF(pf); return NULL; }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(pf);
    if (n != PySequence_Fast_GET_SIZE(df) || n < 1 || n > 2000) {
        Py_DECREF(pf); Py_DECREF(df);
        PyErr_SetString(PyExc_ValueError, "p and d need the same length, 1..2000");
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
    s.sums = malloc((size_t)(n + 2) * (size_t)(n + 2) * sizeof(int64_t));
    s.sptd = malloc((size_t)(n + 2) * (size_t)(n + 1) * sizeof(int));
    s.capacity = 1 << 16;
    s.table = calloc(s.capacity, sizeof(Entry));
    s.near_capacity = 1 << 12;
    s.near = calloc(s.near_capacity, sizeof(Profile));
    s.pos_cap = 4 * (size_t)n + 16;
    s.pos = malloc(s.pos_cap * sizeof(Position));
    int *by_len = malloc((size_t)n * sizeof(int));
    int *seq = malloc((size_t)n * sizeof(int));
    if (!s.p || !s.d || !s.rank || !s.order || !s.scratch || !s.spt || !s.sums || !s.sptd || !s.table || !s.near || !s.pos || !by_len || !seq) {
        free_solver(&s); free(by_len); free(seq); free(p); free(d);
        return PyErr_NoMemory();
    }
    if (!sort_indices(s.order, (int)n, d, p)) {  /* EDD order, ties by processing time */
        free_solver(&s); free(by_len); free(seq); free(p); free(d);
        return PyErr_NoMemory();
    }
    for (int e = 0; e < n; e++) { s.p[e] = p[s.order[e]]; s.d[e] = d[s.order[e]]; }
    free(p); free(d);
    if (!sort_indices(by_len, (int)n, s.p, NULL)) {
        free_solver(&s); free(by_len); free(seq);
        return PyErr_NoMemory();
    }
    for (int q = 0; q < n; q++) s.rank[by_len[q]] = q;

    int64_t cost = 0, proven_bound = 0;
    int len = 0;
    Py_BEGIN_ALLOW_THREADS
    s.work_limit = work_limit > 0 ? (uint64_t)work_limit : 0;
    int64_t top = upper >= 0 ? (int64_t)upper + 1 : INT64_MAX;
    /* Budgets rise from the proven bound towards the known cost: every pass that ends proves a bound (the
     * memo keeps it), so a run stopped by the work limit still reports the best bound it proved. */
    for (int pass = 0; !s.aborted; pass++) {
        int64_t budget = top;
        if (top != INT64_MAX && pass < 3) {
            int64_t gap = top - proven_bound;
            budget = proven_bound + (pass == 0 ? gap / 8 : pass == 1 ? gap / 3 : gap / 1);
            if (budget <= proven_bound) budget = proven_bound + 1;
        }
        for (int e = 0; e < n; e++) { s.scratch[e] = e; s.sptd[e] = by_len[e]; }
        cost = solve_rec(&s, (int)n, 0, budget, 0);
        if (s.aborted) break;
        if (cost < budget) break;                     /* the optimum */
        if (cost > proven_bound) proven_bound = cost;
        if (budget >= top) { s.aborted = 3; break; }  /* the given upper bound was wrong */
    }
    if (!s.aborted) rebuild(&s, 0, (int)n - 1, (int)n, 0, 0, seq, &len);
    Py_END_ALLOW_THREADS

    PyObject *result;
    if (s.aborted) {
        result = Py_BuildValue("(OLOKK)", Py_False, (long long)proven_bound, Py_None, (unsigned long long)s.used,
                               (unsigned long long)s.work);
    } else {
        PyObject *list = int_list(s.order, seq, len);
        result = list ? Py_BuildValue("(OLNKK)", Py_True, (long long)cost, list, (unsigned long long)s.used,
                                      (unsigned long long)s.work) : NULL;
    }
    free_solver(&s); free(by_len); free(seq);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------
 * Exact 1||sum w_j T_j for n <= 63: dynamic programming over the sets of jobs that END the sequence, level by
 * level (set size), restricted to sets closed under the given precedences (dominance rules), with the cost of
 * each set the minimum over its first job. A set S is dropped when cost(S) + LB(rest, from P(S)) >= UB, where UB is the
 * cost of a known sequence (first improved by swap/insertion descent) and LB is the largest of
 *   sum_j w_j max(0, t + p_j - d_j),  w_min * sum_k max(0, t + SPT_k - d_(k)),  sum_j w_j C_j^WSPT - sum_j w_j d_j.
 * If no full set beats UB, the known sequence is optimal.
 * ------------------------------------------------------------------------------------------------------- */

typedef struct {
    uint64_t mask;
    int64_t cost;
    int last;
} WState;

typedef struct {
    int n;
    const int64_t *p, *d, *w;
    const int *spt, *edd, *wspt;   /* global orders */
} WData;

static int64_t w_lower(const WData *g, uint64_t rest, int64_t t) {
    int64_t a = 0, wmin = INT64_MAX, b = 0, c = 0, sum_wd = 0, clock_spt = t, clock_wspt = t;
    int k_edd = 0;
    for (int i = 0; i < g->n; i++) {
        int j = g->spt[i];
        if (!((rest >> j) & 1)) continue;
        int64_t late = t + g->p[j] - g->d[j];
        if (late > 0) a += g->w[j] * late;
        if (g->w[j] < wmin) wmin = g->w[j];
        clock_spt += g->p[j];
        /* pair the k-th SPT completion with the k-th smallest due date of the rest */
        while (k_edd < g->n && !((rest >> g->edd[k_edd]) & 1)) k_edd++;
        int64_t gap = clock_spt - g->d[g->edd[k_edd]];
        k_edd++;
        if (gap > 0) b += gap;
    }
    for (int i = 0; i < g->n; i++) {
        int j = g->wspt[i];
        if (!((rest >> j) & 1)) continue;
        clock_wspt += g->p[j];
        c += g->w[j] * clock_wspt;
        sum_wd += g->w[j] * g->d[j];
    }
    c -= sum_wd;
    int64_t best = a;
    if (wmin != INT64_MAX && wmin * b > best) best = wmin * b;
    if (c > best) best = c;
    return best;
}

static int64_t w_cost(const WData *g, const int *seq) {
    int64_t t = 0, cost = 0;
    for (int i = 0; i < g->n; i++) {
        t += g->p[seq[i]];
        if (t > g->d[seq[i]]) cost += g->w[seq[i]] * (t - g->d[seq[i]]);
    }
    return cost;
}

/* Descent over pairwise swaps and single-job insertions until no move improves. */
static int64_t w_improve(const WData *g, int *seq) {
    int n = g->n;
    int64_t best = w_cost(g, seq);
    int *trial = malloc((size_t)n * sizeof(int));
    if (!trial) return best;
    int improved = 1;
    while (improved) {
        improved = 0;
        for (int i = 0; i < n && !improved; i++) {
            for (int j = 0; j < n && !improved; j++) {
                if (i == j) continue;
                memcpy(trial, seq, (size_t)n * sizeof(int));
                int x = trial[i];
                if (i < j) memmove(trial + i, trial + i + 1, (size_t)(j - i) * sizeof(int));
                else memmove(trial + j + 1, trial + j, (size_t)(i - j) * sizeof(int));
                trial[j] = x;
                int64_t c = w_cost(g, trial);
                if (c < best) { best = c; memcpy(seq, trial, (size_t)n * sizeof(int)); improved = 1; break; }
                if (i < j) {
                    memcpy(trial, seq, (size_t)n * sizeof(int));
                    int y = trial[i]; trial[i] = trial[j]; trial[j] = y;
                    c = w_cost(g, trial);
                    if (c < best) { best = c; memcpy(seq, trial, (size_t)n * sizeof(int)); improved = 1; break; }
                }
            }
        }
    }
    free(trial);
    return best;
}

static int cmp_wstate(const void *x, const void *y) {
    uint64_t a = ((const WState *)x)->mask, b = ((const WState *)y)->mask;
    return a < b ? -1 : (a > b ? 1 : 0);
}

static const WState *w_find(const WState *level, size_t count, uint64_t mask) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (level[mid].mask < mask) lo = mid + 1; else hi = mid;
    }
    return lo < count && level[lo].mask == mask ? &level[lo] : NULL;
}

/* Returns 1 proven (seq filled, *cost set), 0 aborted (time or state cap). */
/* Backward: sets are the jobs at the END of the sequence (prepend a job whose successors are all in the
 * set; it completes at P - p(set)); tardiness sits at the end, so costs and pruning grow from the start. */
static int w_search(const WData *g, const uint64_t *pred, const uint64_t *succ, int *seq, int64_t *cost,
                    uint64_t work_limit, size_t max_states, size_t *states_out, uint64_t *work_out) {
    int n = g->n;
    uint64_t full = n == 64 ? ~0ULL : ((1ULL << n) - 1);
    int64_t upper = w_improve(g, seq);
    uint64_t work = 0;
    int64_t total_p = 0;
    for (int j = 0; j < n; j++) total_p += g->p[j];
    (void)pred;
    WState **levels = calloc((size_t)n + 1, sizeof(WState *));
    size_t *counts = calloc((size_t)n + 1, sizeof(size_t));
    if (!levels || !counts) { free(levels); free(counts); return 0; }
    levels[0] = malloc(sizeof(WState));
    levels[0][0].mask = 0; levels[0][0].cost = 0; levels[0][0].last = -1;
    counts[0] = 1;
    size_t total = 1;
    int ok = 1;
    for (int level = 0; level < n && ok; level++) {
        size_t cap = 1024;
        while (cap < 4 * counts[level] * (size_t)(n - level) + 16) cap *= 2;
        /* open-addressing map mask -> index into next, plus the lower bound of each new set */
        int64_t *slot = malloc(cap * sizeof(int64_t));
        WState *next = malloc((cap / 2 + 1) * sizeof(WState));
        int64_t *low = malloc((cap / 2 + 1) * sizeof(int64_t));
        if (!slot || !next || !low) { free(slot); free(next); free(low); ok = 0; break; }
        for (size_t i = 0; i < cap; i++) slot[i] = -1;
        size_t used = 0;
        for (size_t s = 0; s < counts[level] && ok; s++) {
            work += (uint64_t)n;   /* transitions tried: the limit counts work, never the clock */
            if (work > work_limit) { ok = 0; break; }
            const WState *st = &levels[level][s];
            int64_t in_set = 0;
            for (int j = 0; j < n; j++) if ((st->mask >> j) & 1) in_set += g->p[j];
            int64_t end = total_p - in_set;   /* completion of the job prepended to the set */
            for (int j = 0; j < n; j++) {
                if ((st->mask >> j) & 1) continue;
                if ((succ[j] & st->mask) != succ[j]) continue;
                int64_t c = st->cost + (end > g->d[j] ? g->w[j] * (end - g->d[j]) : 0);
                if (c >= upper) continue;
                uint64_t m = st->mask | (1ULL << j);
                size_t h = (size_t)mix(m) & (cap - 1);
                while (slot[h] >= 0 && next[slot[h]].mask != m) h = (h + 1) & (cap - 1);
                if (slot[h] < 0) {
                    if (used >= cap / 2) { ok = 0; break; }
                    int64_t lb = w_lower(g, full & ~m, 0);
                    slot[h] = (int64_t)used;
                    next[used].mask = m; next[used].cost = INT64_MAX; next[used].last = j;
                    low[used] = lb;
                    used++;
                }
                WState *e = &next[slot[h]];
                if (c + low[slot[h]] < upper && c < e->cost) { e->cost = c; e->last = j; }
            }
        }
        free(slot);
        if (!ok) { free(next); free(low); break; }
        size_t kept = 0;
        for (size_t i = 0; i < used; i++)
            if (next[i].cost != INT64_MAX) next[kept++] = next[i];
        free(low);
        qsort(next, kept, sizeof(WState), cmp_wstate);
        levels[level + 1] = next;
        counts[level + 1] = kept;
        total += kept;
        if (total > max_states) ok = 0;
        if (kept == 0) break;   /* nothing beats the known sequence */
    }
    *states_out = total;
    *work_out = work;
    if (ok) {
        const WState *end = counts[n] ? w_find(levels[n], counts[n], full) : NULL;
        if (end && end->cost < upper) {
            uint64_t mask = full;
            for (int level = n; level > 0; level--) {
                const WState *st = w_find(levels[level], counts[level], mask);
                seq[n - level] = st->last;   /* the job prepended last is first in the sequence */
                mask &= ~(1ULL << st->last);
            }
            *cost = end->cost;
        } else {
            *cost = upper;
        }
    }
    for (int level = 0; level <= n; level++) free(levels[level]);
    free(levels); free(counts);
    return ok;
}

/* Strict WSPT order (smallest p/w first) that stays a total order with zero times or weights: p = 0 ranks as
 * ratio 0, w = 0 (with p > 0) as ratio infinity, so the order really minimises sum w_j C_j. */
static int wspt_class(const int64_t *p, const int64_t *w, int j) { return p[j] == 0 ? 0 : (w[j] == 0 ? 2 : 1); }

static int wspt_before(const int64_t *p, const int64_t *w, int a, int b) {
    int ca = wspt_class(p, w, a), cb = wspt_class(p, w, b);
    if (ca != cb) return ca < cb;
    return ca == 1 && p[a] * w[b] < p[b] * w[a];
}

static PyObject *py_solve_weighted(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj, *d_obj, *w_obj, *pred_obj, *seq_obj;
    long long work_limit, max_states = 20000000;
    if (!PyArg_ParseTuple(args, "OOOOOL|L", &p_obj, &d_obj, &w_obj, &pred_obj, &seq_obj, &work_limit,
                          &max_states))
        return NULL;
    PyObject *objs[5] = {p_obj, d_obj, w_obj, pred_obj, seq_obj};
    PyObject *fast[5] = {NULL, NULL, NULL, NULL, NULL};
    Py_ssize_t n = -1;
    int ok = 1;
    for (int k = 0; k < 5 && ok; k++) {
        fast[k] = PySequence_Fast(objs[k], "expected a sequence");
        if (!fast[k]) { ok = 0; break; }
        Py_ssize_t len = PySequence_Fast_GET_SIZE(fast[k]);
        if (n < 0) n = len;
        if (len != n) { PyErr_SetString(PyExc_ValueError, "all arguments need the same length"); ok = 0; }
    }
    if (ok && (n < 1 || n > 63)) { PyErr_SetString(PyExc_ValueError, "the weighted DP takes 1..63 jobs"); ok = 0; }
    int64_t *v = ok ? malloc((size_t)n * 5 * sizeof(int64_t)) : NULL;
    if (ok && !v) { PyErr_NoMemory(); ok = 0; }
    for (int k = 0; k < 5 && ok; k++) ok = read_ints(fast[k], v + (size_t)k * (size_t)n, n, "argument");
    for (int k = 0; k < 5; k++) Py_XDECREF(fast[k]);
    if (!ok) { free(v); return NULL; }
    int64_t *p = v, *d = v + n, *w = v + 2 * n;
    uint64_t *pred = malloc((size_t)n * sizeof(uint64_t)), *succ = calloc((size_t)n, sizeof(uint64_t));
    int *orders = malloc((size_t)n * 4 * sizeof(int));
    if (!pred || !succ || !orders) { free(v); free(pred); free(succ); free(orders); return PyErr_NoMemory(); }
    int *spt = orders, *edd = orders + n, *wspt = orders + 2 * n, *seq = orders + 3 * n;
    for (int j = 0; j < n; j++) {
        pred[j] = (uint64_t)v[3 * n + j];
        seq[j] = (int)v[4 * n + j];
        spt[j] = edd[j] = wspt[j] = j;
    }
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            if ((pred[j] >> i) & 1) succ[i] |= 1ULL << j;
    /* insertion sorts (n <= 64): SPT by p, EDD by d, WSPT by p/w (cross-multiplied) */
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && p[spt[k]] < p[spt[k - 1]]; k--) { int x = spt[k]; spt[k] = spt[k - 1]; spt[k - 1] = x; }
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && d[edd[k]] < d[edd[k - 1]]; k--) { int x = edd[k]; edd[k] = edd[k - 1]; edd[k - 1] = x; }
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && wspt_before(p, w, wspt[k], wspt[k - 1]); k--) {
            int x = wspt[k]; wspt[k] = wspt[k - 1]; wspt[k - 1] = x;
        }
    WData g = {(int)n, p, d, w, spt, edd, wspt};
    int64_t cost = -1;
    size_t states = 0;
    int proven;
    uint64_t work = 0;
    Py_BEGIN_ALLOW_THREADS
    proven = w_search(&g, pred, succ, seq, &cost, work_limit > 0 ? (uint64_t)work_limit : 0, (size_t)max_states,
                      &states, &work);
    Py_END_ALLOW_THREADS
    if (!proven) cost = w_cost(&g, seq);  /* the improved start sequence */
    PyObject *list = int_list(seq, NULL, n);
    PyObject *result = list ? Py_BuildValue("(OLNKK)", proven ? Py_True : Py_False, (long long)cost, list,
                                            (unsigned long long)states, (unsigned long long)work) : NULL;
    free(v); free(pred); free(succ); free(orders);
    return result;
}

/* ---------------------------------------------------------------------------------------------------------
 * Local search for 1||sum w_j T_j (w = 1: unweighted): descents from a given sequence, repeated until none
 * improves: adjacent interchanges (O(1) each), insertions of one job at every other place (all places of one
 * job in O(n), accumulating the shift of the jobs in between), and pairwise interchanges of jobs at most
 * `window` places apart (O(distance) each). Each accepted move strictly lowers the cost, and the work (places
 * evaluated) is capped, so it stops; the result is always a permutation of the start sequence.
 * ------------------------------------------------------------------------------------------------------- */

static inline int64_t tard(const int64_t *d, const int64_t *w, int j, int64_t c) {
    return c > d[j] ? w[j] * (c - d[j]) : 0;
}

static void completions(const int64_t *p, const int *seq, int n, int64_t *c) {
    int64_t t = 0;
    for (int i = 0; i < n; i++) { t += p[seq[i]]; c[i] = t; }
}

static int64_t ls_cost(const int64_t *p, const int64_t *d, const int64_t *w, const int *seq, int n) {
    int64_t t = 0, cost = 0;
    for (int i = 0; i < n; i++) { t += p[seq[i]]; cost += tard(d, w, seq[i], t); }
    return cost;
}

static int ls_adjacent(const int64_t *p, const int64_t *d, const int64_t *w, int *seq, int n, int64_t *c,
                       uint64_t *work) {
    int improved = 0;
    for (int i = 0; i + 1 < n; i++) {
        int a = seq[i], b = seq[i + 1];
        int64_t start = c[i] - p[a], end = c[i + 1];
        int64_t before = tard(d, w, a, c[i]) + tard(d, w, b, end);
        int64_t after = tard(d, w, b, start + p[b]) + tard(d, w, a, end);
        (*work)++;
        if (after < before) {
            seq[i] = b; seq[i + 1] = a; c[i] = start + p[b];
            improved = 1;
        }
    }
    return improved;
}

/* Move seq[from] to place `to`, shifting the jobs in between. */
static void ls_move(int *seq, int from, int to) {
    int x = seq[from];
    if (from < to) memmove(seq + from, seq + from + 1, (size_t)(to - from) * sizeof(int));
    else memmove(seq + to + 1, seq + to, (size_t)(from - to) * sizeof(int));
    seq[to] = x;
}

static int ls_insert(const int64_t *p, const int64_t *d, const int64_t *w, int *seq, int n, int64_t *c,
                     uint64_t *work, uint64_t limit) {
    int improved = 0;
    for (int i = 0; i < n && *work <= limit; i++) {
        int x = seq[i];
        int64_t own = tard(d, w, x, c[i]), shift = 0, best = 0;
        int to = -1;
        for (int j = i + 1; j < n; j++) {   /* later: the jobs in between end p_x earlier, x ends at c[j] */
            shift += tard(d, w, seq[j], c[j] - p[x]) - tard(d, w, seq[j], c[j]);
            int64_t delta = shift + tard(d, w, x, c[j]) - own;
            if (delta < best) { best = delta; to = j; }
        }
        shift = 0;
        for (int j = i - 1; j >= 0; j--) {  /* earlier: the jobs in between end p_x later */
            shift += tard(d, w, seq[j], c[j] + p[x]) - tard(d, w, seq[j], c[j]);
            int64_t delta = shift + tard(d, w, x, c[j] - p[seq[j]] + p[x]) - own;
            if (delta < best) { best = delta; to = j; }
        }
        *work += (uint64_t)n;
        if (to >= 0) {
            ls_move(seq, i, to);
            completions(p, seq, n, c);
            improved = 1;
        }
    }
    return improved;
}

static int ls_swap(const int64_t *p, const int64_t *d, const int64_t *w, int *seq, int n, int64_t *c, int window,
                   uint64_t *work, uint64_t limit) {
    int improved = 0;
    for (int i = 0; i < n && *work <= limit; i++) {
        for (int j = i + 2; j < n && j <= i + window; j++) {   /* i + 1: the adjacent pass */
            int a = seq[i], b = seq[j];
            int64_t diff = p[b] - p[a];
            int64_t delta = tard(d, w, b, c[i] - p[a] + p[b]) - tard(d, w, a, c[i]) + tard(d, w, a, c[j]) -
                            tard(d, w, b, c[j]);
            for (int l = i + 1; l < j; l++) delta += tard(d, w, seq[l], c[l] + diff) - tard(d, w, seq[l], c[l]);
            *work += (uint64_t)(j - i);
            if (delta < 0) {
                seq[i] = b; seq[j] = a;
                completions(p, seq, n, c);
                improved = 1;
                break;
            }
        }
    }
    return improved;
}

static int64_t local_search(const int64_t *p, const int64_t *d, const int64_t *w, int *seq, int n, int window,
                            uint64_t limit, uint64_t *work) {
    int64_t *c = malloc((size_t)(n + 1) * sizeof(int64_t));
    if (!c) return -1;
    completions(p, seq, n, c);
    int improved = 1;
    while (improved && *work <= limit) {
        improved = 0;
        while (ls_adjacent(p, d, w, seq, n, c, work) && *work <= limit) improved = 1;
        if (*work > limit) break;
        improved |= ls_insert(p, d, w, seq, n, c, work, limit);
        if (*work > limit) break;
        if (!improved) improved |= ls_swap(p, d, w, seq, n, c, window, work, limit);
    }
    free(c);
    return ls_cost(p, d, w, seq, n);
}

static PyObject *py_improve(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj, *d_obj, *w_obj, *seq_obj;
    int window = 50;
    long long work_limit = 100000000;
    if (!PyArg_ParseTuple(args, "OOOO|iL", &p_obj, &d_obj, &w_obj, &seq_obj, &window, &work_limit)) return NULL;
    PyObject *objs[4] = {p_obj, d_obj, w_obj, seq_obj};
    PyObject *fast[4] = {NULL, NULL, NULL, NULL};
    Py_ssize_t n = -1;
    int ok = 1;
    for (int k = 0; k < 4 && ok; k++) {
        fast[k] = PySequence_Fast(objs[k], "expected a sequence");
        if (!fast[k]) { ok = 0; break; }
        Py_ssize_t len = PySequence_Fast_GET_SIZE(fast[k]);
        if (n < 0) n = len;
        if (len != n) { PyErr_SetString(PyExc_ValueError, "all arguments need the same length"); ok = 0; }
    }
    int64_t *v = ok ? malloc((size_t)(n + 1) * 4 * sizeof(int64_t)) : NULL;
    int *seq = ok ? malloc((size_t)(n + 1) * sizeof(int)) : NULL;
    char *seen = ok ? calloc((size_t)n + 1, 1) : NULL;
    if (ok && (!v || !seq || !seen)) { PyErr_NoMemory(); ok = 0; }
    for (int k = 0; k < 4 && ok; k++) ok = read_ints(fast[k], v + (size_t)k * (size_t)n, n, "argument");
    for (int k = 0; k < 4; k++) Py_XDECREF(fast[k]);
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        int64_t j = v[3 * n + i];
        if (j < 0 || j >= n || seen[j]) { PyErr_SetString(PyExc_ValueError, "sequence is not a permutation"); ok = 0; }
        else { seen[j] = 1; seq[i] = (int)j; }
    }
    if (!ok) { free(v); free(seq); free(seen); return NULL; }
    uint64_t work = 0;
    int64_t cost;
    Py_BEGIN_ALLOW_THREADS
    cost = local_search(v, v + n, v + 2 * n, seq, (int)n, window < 1 ? 1 : window,
                        work_limit > 0 ? (uint64_t)work_limit : 0, &work);
    Py_END_ALLOW_THREADS
    PyObject *list = cost >= 0 ? PyList_New(n) : NULL;
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *item = PyLong_FromLong(seq[i]);
        if (!item) { Py_DECREF(list); list = NULL; break; }
        PyList_SET_ITEM(list, i, item);
    }
    free(v); free(seq); free(seen);
    if (!list) return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    return Py_BuildValue("(NLK)", list, (long long)cost, (unsigned long long)work);
}

/* MDD (Baker & Bertrand 1982) in O(n^2): append the unscheduled job minimising max(t + p_j, d_j); ties go to
 * the earlier due date, then the shorter job, then the smaller index (the Python rule's EDD tie order). */
static PyObject *py_mdd(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj, *d_obj;
    if (!PyArg_ParseTuple(args, "OO", &p_obj, &d_obj)) return NULL;
    PyObject *pf = PySequence_Fast(p_obj, "p must be a sequence");
    if (!pf) return NULL;
    PyObject *df = PySequence_Fast(d_obj, "d must be a sequence");
    if (!df) { Py_DECREF(pf); return NULL; }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(pf);
    if (n != PySequence_Fast_GET_SIZE(df)) {
        Py_DECREF(pf); Py_DECREF(df);
        PyErr_SetString(PyExc_ValueError, "p and d need the same length");
        return NULL;
    }
    int64_t *p = malloc((size_t)(n + 1) * sizeof(int64_t)), *d = malloc((size_t)(n + 1) * sizeof(int64_t));
    char *done = calloc((size_t)n + 1, 1);
    int ok = p && d && done && read_ints(pf, p, n, "p") && read_ints(df, d, n, "d");
    Py_DECREF(pf); Py_DECREF(df);
    PyObject *list = ok ? PyList_New(n) : NULL;
    if (!list) { free(p); free(d); free(done); if (!PyErr_Occurred()) PyErr_NoMemory(); return NULL; }
    int64_t t = 0;
    for (Py_ssize_t step = 0; step < n; step++) {
        Py_ssize_t pick = -1;
        int64_t key = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            if (done[j]) continue;
            int64_t v = t + p[j] > d[j] ? t + p[j] : d[j];
            if (pick < 0 || v < key || (v == key && (d[j] < d[pick] || (d[j] == d[pick] && p[j] < p[pick])))) {
                pick = j;
                key = v;
            }
        }
        done[pick] = 1;
        t += p[pick];
        PyObject *item = PyLong_FromSsize_t(pick);
        if (!item) { Py_DECREF(list); free(p); free(d); free(done); return NULL; }
        PyList_SET_ITEM(list, step, item);
    }
    free(p); free(d); free(done);
    return list;
}

static PyMethodDef methods[] = {
    {"solve", py_solve, METH_VARARGS,
     "solve(p, d, work_limit, upper=-1) -> (proven, value, sequence, states, work)\n\n"
     "Minimum total tardiness on one machine. work counts the members scanned by the search's calls; the\n"
     "search stops once it exceeds work_limit (no clock is read, so the answer never depends on load).\n"
     "proven: value is the optimum and sequence an optimal order (job indices); otherwise value is the best\n"
     "lower bound the search proved and sequence is None. states counts memoised subproblems.\n"
     "upper, when >= 0, is the cost of a known sequence: it prunes the search from the start."},
    {"improve", py_improve, METH_VARARGS,
     "improve(p, d, w, sequence, window=50, work_limit=100_000_000) -> (sequence, cost, work)\n\n"
     "Local search for total weighted tardiness (w all 1: unweighted) from a sequence of job indices:\n"
     "adjacent interchanges, insertions, and interchanges at most `window` places apart, repeated until none\n"
     "improves or `work_limit` places were evaluated. The result is a permutation of the input sequence."},
    {"mdd", py_mdd, METH_VARARGS,
     "mdd(p, d) -> sequence: the modified due date rule (job indices), compiled for the solver's upper bound."},
    {"solve_weighted", py_solve_weighted, METH_VARARGS,
     "solve_weighted(p, d, w, pred_masks, start_sequence, work_limit, max_states=20_000_000)\n"
     "    -> (proven, objective, sequence, states, work)\n\n"
     "Minimum total weighted tardiness for n <= 63 by dynamic programming over precedence-closed job sets.\n"
     "pred_masks[j] is the bit mask of jobs that must precede j; start_sequence is a known sequence (it is\n"
     "improved by local search and bounds the search). When not proven, objective and sequence are those of\n"
     "the improved start."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_smtt_core",
                                    "Compiled core of the exact SMTT solver (Lawler decomposition + memo).", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__smtt_core(void) { return PyModule_Create(&module); }
