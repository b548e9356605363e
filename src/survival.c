/*-------------------------------------------------------------------------
 *
 * survival.c
 *	  Kaplan-Meier survival curves: the survival_curve type and aggregate,
 *	  its accessors (survival_at, median_survival, survival_table), and
 *	  profile_survival(), which turns a customer_profile into a (duration,
 *	  churned) pair.  Also home of the histogram state (LcHist) used by
 *	  survival_curve, the sBG aggregate (sbg.c), rfm_bins and nps (rfm.c):
 *	  its memory management, text and binary forms and combine function.
 *
 * Kaplan-Meier (REFERENCE.md section 7): at each distinct time t_i with
 * d_i events and c_i censorings, n_i subjects are at risk (all with a time
 * >= t_i: subjects censored at t_i still count, events come before
 * censorings at the same time), and S(t) = prod over t_i <= t of
 * (1 - d_i / n_i).  Greenwood: Var S(t) = S(t)^2 sum d_i / (n_i (n_i - d_i)).
 * Once S reaches 0 (d_i = n_i) it stays 0 with standard error 0.
 *
 * The state is the histogram of distinct durations with their event and
 * censored counts, so its size is bounded by the number of distinct
 * durations (a few thousand for durations in days), not by the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

static void HistCompact(LcHist *h);
static void HistValidate(const LcHist *h, int errcode_);


/* ----------------------------------------------------------------
 * LcHist: histogram of distinct (tag, key) cells
 * ----------------------------------------------------------------
 */

/*
 * lc_hist_alloc - a zeroed, empty histogram with room for "capacity"
 * entries, in the current memory context.
 */
LcHist *
lc_hist_alloc(int capacity, int kind)
{
	LcHist	   *h;

	if (capacity < 0 || capacity > LCHIST_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("histogram state would exceed %d distinct values",
						LCHIST_MAX_ENTRIES)));
	h = palloc0(LCHIST_SIZE(capacity));
	SET_VARSIZE(h, LCHIST_SIZE(capacity));
	h->version = LCHIST_VERSION;
	h->kind = (uint8) kind;
	h->capacity = capacity;
	return h;
}

/*
 * HistGrow - a copy of h with room for at least "need" entries (at least
 * double the old capacity, so appends stay O(1) amortised).  The old value
 * is left alone (nodeAgg frees it when the state pointer changes).
 */
static LcHist *
HistGrow(const LcHist *h, int64 need)
{
	int64		cap = Max(Max((int64) h->capacity * 2, need), 16);
	LcHist	   *n;

	if (need > LCHIST_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("histogram state would exceed %d distinct values",
						LCHIST_MAX_ENTRIES),
				 errhint("Round the values (for example to whole days or cents) to keep fewer distinct ones.")));
	if (cap > LCHIST_MAX_ENTRIES)
		cap = LCHIST_MAX_ENTRIES;
	n = lc_hist_alloc((int) cap, h->kind);
	memcpy(n, h, LCHIST_SIZE(h->n));
	SET_VARSIZE(n, LCHIST_SIZE(cap));
	n->capacity = (int32) cap;
	n->flags &= ~LCHIST_CANONICAL;
	return n;
}

/*
 * CellCmp - order of cell (tag, key) relative to entry e (keys never NaN).
 */
static inline int
CellCmp(int32 tag, float8 key, const LcHistEntry *e)
{
	if (tag != e->tag)
		return tag < e->tag ? -1 : 1;
	return (key > e->key) - (key < e->key);
}

/*
 * EntryCmp - qsort comparator: by tag, then key.
 */
static int
EntryCmp(const void *a, const void *b)
{
	const LcHistEntry *x = (const LcHistEntry *) a;

	return CellCmp(x->tag, x->key, (const LcHistEntry *) b);
}

/*
 * AddCounts - add src's counters into dst, refusing int64 overflow.
 */
static inline void
AddCounts(LcHistEntry *dst, int64 a, int64 b)
{
	if (pg_add_s64_overflow(dst->a, a, &dst->a) ||
		pg_add_s64_overflow(dst->b, b, &dst->b))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("histogram count out of range for bigint")));
}

/*
 * HistCompact - sort the unsorted tail and merge it into the sorted prefix
 * in place, collapsing equal cells.
 */
static void
HistCompact(LcHist *h)
{
	int			nsorted = h->nsorted;
	int			ntail = h->n - nsorted;
	LcHistEntry *tail;
	LcHistEntry *out;
	int			i = 0,
				j = 0,
				n = 0;

	if (ntail == 0)
		return;
	tail = h->e + nsorted;
	qsort(tail, ntail, sizeof(LcHistEntry), EntryCmp);
	out = palloc(sizeof(LcHistEntry) * h->n);
	while (i < nsorted || j < ntail)
	{
		const LcHistEntry *next;

		if (j >= ntail ||
			(i < nsorted && CellCmp(h->e[i].tag, h->e[i].key, &tail[j]) <= 0))
			next = &h->e[i++];
		else
			next = &tail[j++];
		if (n > 0 && CellCmp(next->tag, next->key, &out[n - 1]) == 0)
			AddCounts(&out[n - 1], next->a, next->b);
		else
			out[n++] = *next;
	}
	memcpy(h->e, out, sizeof(LcHistEntry) * n);
	pfree(out);
	h->n = h->nsorted = n;
}

/*
 * CellHash - hash of a cell for the index (a 64-bit finaliser over the
 * key's bits, mixed with the tag).
 */
static inline uint32
CellHash(int32 tag, float8 key)
{
	uint64		x;

	memcpy(&x, &key, sizeof(x));
	x ^= (uint64) (uint32) tag * UINT64CONST(0x9E3779B97F4A7C15);
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return (uint32) x;
}

/*
 * HistIndexed - a copy of h (distinct cells, any order) with room for at
 * least "need" entries and a hash index: int32 slots (entry number + 1,
 * 0 = empty) after the entries, twice as many as the capacity, which is a
 * power of two.  The index makes an insert O(1); it lives inside the
 * varlena, so nodeAgg's copies of the state carry it along.
 */
static LcHist *
HistIndexed(const LcHist *h, int64 need)
{
	int64		cap = 16;
	LcHist	   *n;
	int32	   *slots;
	uint32		mask;

	if (need > LCHIST_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("histogram state would exceed %d distinct values",
						LCHIST_MAX_ENTRIES),
				 errhint("Round the values (for example to whole days or cents) to keep fewer distinct ones.")));
	while (cap < need || cap < (int64) h->n)
		cap *= 2;
	if (cap > LCHIST_MAX_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("histogram state would exceed %d distinct values",
						LCHIST_MAX_ENTRIES),
				 errhint("Round the values (for example to whole days or cents) to keep fewer distinct ones.")));
	n = palloc(LCHIST_SIZE(cap) + sizeof(int32) * 2 * cap);
	memcpy(n, h, LCHIST_SIZE(h->n));
	SET_VARSIZE(n, LCHIST_SIZE(cap) + sizeof(int32) * 2 * cap);
	n->capacity = (int32) cap;
	n->nsorted = 0;
	n->flags = LCHIST_INDEXED;
	slots = LCHIST_SLOTS(n);
	memset(slots, 0, sizeof(int32) * 2 * cap);
	mask = (uint32) (2 * cap - 1);
	for (int i = 0; i < n->n; i++)
	{
		uint32		pos = CellHash(n->e[i].tag, n->e[i].key) & mask;

		while (slots[pos] != 0)
			pos = (pos + 1) & mask;
		slots[pos] = i + 1;
	}
	return n;
}

/*
 * lc_hist_add - count (a, b) in cell (tag, key) of a writable histogram.
 *
 * Modifies h in place when it is indexed and has room, and returns it;
 * otherwise returns an indexed, grown copy (the old value is left alone:
 * nodeAgg frees it when the state pointer changes).  O(1) amortised.
 */
LcHist *
lc_hist_add(LcHist *h, int32 tag, float8 key, int64 a, int64 b)
{
	int32	   *slots;
	uint32		mask,
				pos;

	key = key + 0.0;			/* -0 becomes 0 */
	if (!(h->flags & LCHIST_INDEXED) || h->n == h->capacity)
		h = HistIndexed(h, (int64) h->n + 1);
	slots = LCHIST_SLOTS(h);
	mask = (uint32) (2 * h->capacity - 1);
	pos = CellHash(tag, key) & mask;
	while (slots[pos] != 0)
	{
		LcHistEntry *e = &h->e[slots[pos] - 1];

		if (e->key == key && e->tag == tag)
		{
			AddCounts(e, a, b);
			return h;
		}
		pos = (pos + 1) & mask;
	}
	h->e[h->n].key = key;
	h->e[h->n].tag = tag;
	h->e[h->n].reserved = 0;
	h->e[h->n].a = a;
	h->e[h->n].b = b;
	slots[pos] = ++h->n;
	return h;
}

/*
 * lc_hist_merge_into - add every cell of "other" into the writable "state";
 * returns state or a grown copy.
 */
LcHist *
lc_hist_merge_into(LcHist *state, const LcHist *other)
{
	if (!(state->flags & LCHIST_INDEXED) ||
		(int64) state->n + other->n > state->capacity)
		state = HistIndexed(state, (int64) state->n + other->n);
	for (int i = 0; i < other->n; i++)
		state = lc_hist_add(state, other->e[i].tag, other->e[i].key,
							other->e[i].a, other->e[i].b);
	return state;
}

/*
 * lc_hist_canonical - a sorted, distinct, trimmed copy of any histogram.
 */
LcHist *
lc_hist_canonical(const LcHist *h)
{
	LcHist	   *c = lc_hist_alloc(h->n, h->kind);

	memcpy(c->e, h->e, sizeof(LcHistEntry) * h->n);
	c->n = h->n;
	c->nsorted = (h->flags & LCHIST_INDEXED) ? 0 : h->nsorted;
	c->param = h->param;
	HistCompact(c);
	c->capacity = c->n;
	SET_VARSIZE(c, LCHIST_SIZE(c->n));
	c->flags = LCHIST_CANONICAL;
	return c;
}

/*
 * lc_hist_check_kind - a stored histogram must have our version and the
 * kind its SQL type says.
 */
void
lc_hist_check_kind(const LcHist *h, int kind)
{
	if (VARSIZE(h) < LCHIST_HDRSZ || h->version != LCHIST_VERSION || h->kind != kind ||
		h->n < 0 || h->n > h->capacity || h->nsorted > h->n ||
		VARSIZE(h) < LCHIST_SIZE(h->capacity) ||
		((h->flags & LCHIST_INDEXED) &&
		 ((h->capacity & (h->capacity - 1)) != 0 ||
		  VARSIZE(h) < LCHIST_SIZE(h->capacity) + sizeof(int32) * 2 * (Size) h->capacity)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt histogram value (format version %d, kind %d)",
						h->version, h->kind)));
}

/*
 * lc_hist_get - argument argno as a canonical histogram of the given kind.
 */
LcHist *
lc_hist_get(FunctionCallInfo fcinfo, int argno, int kind)
{
	LcHist	   *h = (LcHist *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	lc_hist_check_kind(h, kind);
	if (h->flags & LCHIST_CANONICAL)
		return h;
	return lc_hist_canonical(h);
}

/*
 * lc_hist_trans_state - the writable transition state (argument 0) of an
 * aggregate over a histogram of the given kind.
 */
LcHist *
lc_hist_trans_state(FunctionCallInfo fcinfo, int kind)
{
	LcHist	   *h;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "histogram transition function called in non-aggregate context");
	if (PG_ARGISNULL(0))
		return lc_hist_alloc(16, kind);
	h = (LcHist *) PG_GETARG_POINTER(0);
	/* an initial value or toasted input is not ours to modify */
	if (VARATT_IS_EXTENDED(h))
		h = (LcHist *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	lc_hist_check_kind(h, kind);
	return h;
}

/*
 * lc_hist_tag_start - index of the first entry of a canonical histogram
 * with tag >= "tag".
 */
int
lc_hist_tag_start(const LcHist *h, int32 tag)
{
	int			i = 0;

	while (i < h->n && h->e[i].tag < tag)
		i++;
	return i;
}

/*
 * HistValidate - invariants of a histogram read from text or binary input
 * (sorted distinct cells, finite keys, counts per kind); errors carry the
 * given SQLSTATE.
 */
static void
HistValidate(const LcHist *h, int errcode_)
{
	int64		totals[3] = {0, 0, 0};
	const char *typname = h->kind == LCHIST_SURVIVAL ? "survival_curve" :
		h->kind == LCHIST_RFM ? "rfm_bins_state" : "nps_state";

	for (int i = 0; i < h->n; i++)
	{
		const LcHistEntry *e = &h->e[i];

		if (!isfinite(e->key))
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid %s: values must be finite", typname)));
		if (i > 0 && CellCmp(e->tag, e->key, &h->e[i - 1]) <= 0)
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid %s: values must be strictly ascending", typname),
					 errhint("Each value appears once, in ascending order.")));
		if (e->a < 0 || e->b < 0)
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid %s: counts must not be negative", typname)));
		switch (h->kind)
		{
			case LCHIST_SURVIVAL:
				if (e->tag != 0 || e->key < 0 || (e->a == 0 && e->b == 0))
					ereport(ERROR,
							(errcode(errcode_),
							 errmsg("invalid survival_curve: each time needs a non-negative duration and at least one event or censoring")));
				break;
			case LCHIST_RFM:
				if (e->tag < 0 || e->tag > 2 || e->a < 1 || e->b != 0)
					ereport(ERROR,
							(errcode(errcode_),
							 errmsg("invalid rfm_bins_state: each value needs a count of at least 1")));
				if (pg_add_s64_overflow(totals[e->tag], e->a, &totals[e->tag]))
					ereport(ERROR,
							(errcode(errcode_),
							 errmsg("invalid rfm_bins_state: count out of range")));
				break;
			case LCHIST_NPS:
				if (e->tag != 0 || e->key != floor(e->key) || e->key < 0 || e->key > 10 ||
					e->a < 1 || e->b != 0)
					ereport(ERROR,
							(errcode(errcode_),
							 errmsg("invalid nps_state: scores are integers 0..10 with a count of at least 1")));
				break;
			default:
				elog(ERROR, "unknown histogram kind %d", h->kind);
		}
	}
	if (h->kind == LCHIST_RFM)
	{
		if (h->param < 1 || h->param > 100)
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid rfm_bins_state: bins must lie between 1 and 100")));
		if (totals[0] != totals[1] || totals[1] != totals[2])
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid rfm_bins_state: recency, frequency and monetary must count the same customers")));
	}
	else if (h->param != 0)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid %s: unexpected parameter", typname)));
}

/*
 * lc_hist_send - binary form: uint8 version, uint8 kind, int32 param,
 * int32 entries, then per entry float8 key, int32 tag, int64 a, int64 b,
 * network byte order.
 */
static bytea *
lc_hist_send(const LcHist *h)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, LCHIST_VERSION);
	pq_sendbyte(&buf, h->kind);
	pq_sendint32(&buf, h->param);
	pq_sendint32(&buf, h->n);
	for (int i = 0; i < h->n; i++)
	{
		pq_sendfloat8(&buf, h->e[i].key);
		pq_sendint32(&buf, h->e[i].tag);
		pq_sendint64(&buf, h->e[i].a);
		pq_sendint64(&buf, h->e[i].b);
	}
	return pq_endtypsend(&buf);
}

/*
 * lc_hist_recv - read and validate the binary form of the given kind,
 * rejecting wrong lengths and trailing bytes.
 */
static LcHist *
lc_hist_recv(StringInfo buf, int kind, const char *typname)
{
	int			version;
	int			k;
	int32		param;
	int32		n;
	LcHist	   *h;

	/* check the fixed part's length first: a short read is a protocol error */
	if (buf->len - buf->cursor < 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s: binary value too short", typname)));
	version = pq_getmsgbyte(buf);
	if (version != LCHIST_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s binary version %d", typname, version)));
	k = pq_getmsgbyte(buf);
	if (k != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary value is not a %s", typname)));
	param = pq_getmsgint(buf, 4);
	n = pq_getmsgint(buf, 4);
	if (n < 0 || n > LCHIST_MAX_ENTRIES ||
		(int64) n * 28 != (int64) (buf->len - buf->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s: %d entries declared, %d bytes follow",
						typname, n, buf->len - buf->cursor),
				 errhint("Each entry takes 28 bytes.")));
	h = lc_hist_alloc(n, kind);
	h->param = param;
	for (int i = 0; i < n; i++)
	{
		h->e[i].key = pq_getmsgfloat8(buf);
		h->e[i].tag = pq_getmsgint(buf, 4);
		h->e[i].a = pq_getmsgint64(buf);
		h->e[i].b = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	h->n = h->nsorted = n;
	HistValidate(h, ERRCODE_INVALID_BINARY_REPRESENTATION);
	h->flags = LCHIST_CANONICAL;
	return h;
}


/* ----------------------------------------------------------------
 * Text forms (read with the strict reader of textio.c)
 * ----------------------------------------------------------------
 */

/*
 * ParseVersion - the "v":N member, which must be our version.
 */
static void
ParseVersion(LcReader *ps, int version)
{
	const char *vpos;

	lc_expect(ps, "{");
	lc_expect(ps, "\"v\"");
	lc_expect(ps, ":");
	lc_skip_space(ps);
	vpos = ps->p;
	if (lc_parse_int(ps, 0, 255, "a version") != version)
	{
		ps->p = vpos;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported %s version in \"%s\"", ps->typname, ps->str),
				 errhint("This release reads version %d.", version)));
	}
}

/*
 * ParseCells - parse "[[key,a(,b)],...]" for one tag into h
 * (appended; validation comes after the whole value is read).
 */
static LcHist *
ParseCells(LcReader *ps, LcHist *h, int32 tag, bool two_counts, bool int_keys)
{
	lc_expect(ps, "[");
	if (lc_accept(ps, "]"))
		return h;
	do
	{
		LcHistEntry e = {0};

		lc_expect(ps, "[");
		if (int_keys)
			e.key = (float8) lc_parse_int(ps, 0, 10, "a score");
		else
			e.key = lc_parse_float(ps, "a number") + 0.0;	/* -0 is 0 */
		e.tag = tag;
		lc_expect(ps, ",");
		e.a = lc_parse_int(ps, 0, PG_INT64_MAX, "a count");
		if (two_counts)
		{
			lc_expect(ps, ",");
			e.b = lc_parse_int(ps, 0, PG_INT64_MAX, "a count");
		}
		lc_expect(ps, "]");
		if (h->n == h->capacity)
			h = HistGrow(h, (int64) h->n + 1);
		h->e[h->n++] = e;
	} while (lc_accept(ps, ","));
	lc_expect(ps, "]");
	return h;
}

/*
 * AppendCells - write the cells of one tag as "[[key,a(,b)],...]".
 */
static void
AppendCells(StringInfo buf, const LcHist *h, int32 tag, bool two_counts)
{
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (int i = lc_hist_tag_start(h, tag); i < h->n && h->e[i].tag == tag; i++)
	{
		appendStringInfoString(buf, first ? "[" : ",[");
		lc_append_float(buf, h->e[i].key);
		appendStringInfo(buf, "," INT64_FORMAT, h->e[i].a);
		if (two_counts)
			appendStringInfo(buf, "," INT64_FORMAT, h->e[i].b);
		appendStringInfoChar(buf, ']');
		first = false;
	}
	appendStringInfoChar(buf, ']');
}

/* names of the RFM dimensions in the text form, in tag order */
static const char *const rfm_dims[3] = {"recency", "frequency", "monetary"};

/*
 * lc_hist_in - parse the text form of a histogram of the given kind:
 *	 survival_curve  {"v":1,"points":[[time,events,censored],...]}
 *	 rfm_bins_state  {"v":1,"bins":5,"recency":[[value,n],...],"frequency":[...],"monetary":[...]}
 *	 nps_state		 {"v":1,"scores":[[score,n],...]}
 */
static LcHist *
lc_hist_in(char *str, int kind)
{
	LcReader	ps;
	LcHist	   *h = lc_hist_alloc(0, kind);

	ps.str = ps.p = str;
	switch (kind)
	{
		case LCHIST_SURVIVAL:
			ps.typname = "survival_curve";
			ps.form = "{\"v\":1,\"points\":[[time,events,censored],...]}";
			break;
		case LCHIST_RFM:
			ps.typname = "rfm_bins_state";
			ps.form = "{\"v\":1,\"bins\":5,\"recency\":[[value,count],...],\"frequency\":[...],\"monetary\":[...]}";
			break;
		default:
			ps.typname = "nps_state";
			ps.form = "{\"v\":1,\"scores\":[[score,count],...]}";
			break;
	}
	ParseVersion(&ps, LCHIST_VERSION);
	lc_expect(&ps, ",");
	if (kind == LCHIST_SURVIVAL)
	{
		lc_expect(&ps, "\"points\"");
		lc_expect(&ps, ":");
		h = ParseCells(&ps, h, 0, true, false);
	}
	else if (kind == LCHIST_RFM)
	{
		lc_expect(&ps, "\"bins\"");
		lc_expect(&ps, ":");
		h->param = (int32) lc_parse_int(&ps, 1, 100, "a bin count");
		for (int d = 0; d < 3; d++)
		{
			lc_expect(&ps, ",");
			lc_expect(&ps, psprintf("\"%s\"", rfm_dims[d]));
			lc_expect(&ps, ":");
			h = ParseCells(&ps, h, d, false, false);
		}
	}
	else
	{
		lc_expect(&ps, "\"scores\"");
		lc_expect(&ps, ":");
		h = ParseCells(&ps, h, 0, false, true);
	}
	lc_expect(&ps, "}");
	lc_expect_end(&ps);
	h->nsorted = h->n;
	HistValidate(h, ERRCODE_INVALID_PARAMETER_VALUE);
	h->flags = LCHIST_CANONICAL;
	return h;
}

/*
 * lc_hist_out - canonical text form (exact round trip).
 */
static char *
lc_hist_out(const LcHist *h)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,", LCHIST_VERSION);
	if (h->kind == LCHIST_SURVIVAL)
	{
		appendStringInfoString(&buf, "\"points\":");
		AppendCells(&buf, h, 0, true);
	}
	else if (h->kind == LCHIST_RFM)
	{
		appendStringInfo(&buf, "\"bins\":%d", h->param);
		for (int d = 0; d < 3; d++)
		{
			appendStringInfo(&buf, ",\"%s\":", rfm_dims[d]);
			AppendCells(&buf, h, d, false);
		}
	}
	else
	{
		appendStringInfoString(&buf, "\"scores\":");
		AppendCells(&buf, h, 0, false);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * The I/O functions of the three histogram types and their shared
 * combine/final functions.  The kind is the C function's own constant.
 */
#define HIST_IO_FUNCS(prefix, KIND, TYPNAME) \
PG_FUNCTION_INFO_V1(prefix##_in); \
Datum prefix##_in(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(lc_hist_in(PG_GETARG_CSTRING(0), KIND)); \
} \
PG_FUNCTION_INFO_V1(prefix##_out); \
Datum prefix##_out(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_CSTRING(lc_hist_out(lc_hist_get(fcinfo, 0, KIND))); \
} \
PG_FUNCTION_INFO_V1(prefix##_recv); \
Datum prefix##_recv(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_POINTER(lc_hist_recv((StringInfo) PG_GETARG_POINTER(0), KIND, TYPNAME)); \
} \
PG_FUNCTION_INFO_V1(prefix##_send); \
Datum prefix##_send(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BYTEA_P(lc_hist_send(lc_hist_get(fcinfo, 0, KIND))); \
} \
PG_FUNCTION_INFO_V1(prefix##_merge); \
Datum prefix##_merge(PG_FUNCTION_ARGS) \
{ \
	return HistMerge(fcinfo, KIND); \
}

/*
 * HistMerge - combine function (and rollup transition): the cell-wise sum
 * of two histograms.  STRICT; updates the first argument in place inside
 * an aggregate, returns a new canonical value when called directly.
 */
static Datum
HistMerge(FunctionCallInfo fcinfo, int kind)
{
	LcHist	   *other = lc_hist_get(fcinfo, 1, kind);
	LcHist	   *state;

	if (AggCheckCallContext(fcinfo, NULL))
	{
		state = (LcHist *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state))
			state = (LcHist *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
		lc_hist_check_kind(state, kind);
	}
	else
		state = HistIndexed(lc_hist_get(fcinfo, 0, kind), 0);

	if (kind == LCHIST_RFM)
	{
		/* an empty state (the initial value) takes its bins from the other */
		if (state->n == 0)
			state->param = other->param;
		else if (other->n > 0 && other->param != state->param)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine RFM states with %d and %d bins",
							state->param, other->param),
					 errhint("Use the same bins argument on every row.")));
	}
	state = lc_hist_merge_into(state, other);
	if (!AggCheckCallContext(fcinfo, NULL))
		state = lc_hist_canonical(state);
	PG_RETURN_POINTER(state);
}

HIST_IO_FUNCS(lifecycle_survival_curve, LCHIST_SURVIVAL, "survival_curve")
HIST_IO_FUNCS(lifecycle_rfm_state, LCHIST_RFM, "rfm_bins_state")
HIST_IO_FUNCS(lifecycle_nps_state, LCHIST_NPS, "nps_state")


/* ----------------------------------------------------------------
 * survival_curve aggregate
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(lifecycle_survival_trans);

/*
 * lifecycle_survival_trans - count one (duration, event) row.  STRICT:
 * rows with a NULL duration or event are skipped.
 */
Datum
lifecycle_survival_trans(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_trans_state(fcinfo, LCHIST_SURVIVAL);
	float8		duration = PG_GETARG_FLOAT8(1);
	bool		event = PG_GETARG_BOOL(2);

	if (isnan(duration))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survival duration must not be NaN"),
				 errhint("Use NULL for an unknown duration; such rows are skipped.")));
	if (isinf(duration))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survival duration must be finite"),
				 errhint("A subject still alive is censored at its observed time: pass that time with event = false.")));
	if (duration < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survival duration must not be negative, got %g", duration),
				 errhint("Durations count from the start (first purchase, signup) to churn or to the end of observation.")));
	PG_RETURN_POINTER(lc_hist_add(h, 0, duration, event ? 1 : 0, event ? 0 : 1));
}

PG_FUNCTION_INFO_V1(lifecycle_hist_final);

/*
 * lifecycle_hist_final - final function of survival_curve() and the rollup
 * aggregates: a canonical copy of the state (left untouched, so the
 * aggregate also works as a window function); NULL when no row counted.
 */
Datum
lifecycle_hist_final(PG_FUNCTION_ARGS)
{
	LcHist	   *h;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = (LcHist *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (h->n == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(lc_hist_canonical(h));
}


/* ----------------------------------------------------------------
 * Kaplan-Meier accessors
 * ----------------------------------------------------------------
 */

/* one row of the Kaplan-Meier table */
typedef struct KmStep
{
	float8		time;
	int64		at_risk;
	int64		events;
	int64		censored;
	float8		survival;
	float8		greenwood;		/* sum of d / (n (n - d)); -1 once S = 0 */
} KmStep;

/*
 * KmTotal - the number of subjects (all at risk at the start).
 */
static int64
KmTotal(const LcHist *h)
{
	int64		total = 0;

	for (int i = 0; i < h->n; i++)
		if (pg_add_s64_overflow(total, h->e[i].a, &total) ||
			pg_add_s64_overflow(total, h->e[i].b, &total))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("survival_curve counts more than 2^63 subjects")));
	return total;
}

/*
 * KmStepAt - advance the product-limit estimate over entry i; *at_risk
 * holds the subjects at risk before it and is decremented.
 */
static void
KmStepAt(const LcHist *h, int i, int64 *at_risk, float8 *surv, float8 *gw,
		 KmStep *out)
{
	const LcHistEntry *e = &h->e[i];
	int64		n = *at_risk;
	int64		d = e->a;

	if (d > 0 && n > 0)
	{
		if (d >= n)
		{
			*surv = 0;
			*gw = -1;
		}
		else
		{
			*surv *= 1.0 - (double) d / (double) n;
			if (*gw >= 0)
				*gw += (double) d / ((double) n * (double) (n - d));
		}
	}
	if (out)
	{
		out->time = e->key;
		out->at_risk = n;
		out->events = d;
		out->censored = e->b;
		out->survival = *surv;
		out->greenwood = *gw;
	}
	*at_risk = n - e->a - e->b;
}

/*
 * ArgTime - a time argument of an accessor, which must not be NaN.
 */
static float8
ArgTime(FunctionCallInfo fcinfo, int argno)
{
	float8		t = PG_GETARG_FLOAT8(argno);

	if (isnan(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time must not be NaN"),
				 errhint("Pass a duration in the unit the curve was built with.")));
	return t;
}

PG_FUNCTION_INFO_V1(lifecycle_survival_at);

/*
 * lifecycle_survival_at - the Kaplan-Meier estimate S(t): 1 before the
 * first time, the last value after the last time.
 */
Datum
lifecycle_survival_at(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_get(fcinfo, 0, LCHIST_SURVIVAL);
	float8		t = ArgTime(fcinfo, 1);
	int64		at_risk = KmTotal(h);
	float8		surv = 1.0,
				gw = 0;

	for (int i = 0; i < h->n && h->e[i].key <= t; i++)
		KmStepAt(h, i, &at_risk, &surv, &gw, NULL);
	PG_RETURN_FLOAT8(surv);
}

PG_FUNCTION_INFO_V1(lifecycle_median_survival);

/*
 * lifecycle_median_survival - the smallest time at which S(t) <= 0.5;
 * NULL when the curve never gets there (too few events).
 */
Datum
lifecycle_median_survival(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_get(fcinfo, 0, LCHIST_SURVIVAL);
	int64		at_risk = KmTotal(h);
	float8		surv = 1.0,
				gw = 0;

	for (int i = 0; i < h->n; i++)
	{
		KmStepAt(h, i, &at_risk, &surv, &gw, NULL);
		/* a hair of tolerance, so 1 - 1/2 computed as a product counts */
		if (surv <= 0.5 + 1e-12)
			PG_RETURN_FLOAT8(h->e[i].key);
	}
	PG_RETURN_NULL();
}

/*
 * NormalQuantile - the standard normal quantile of p in (0, 1): a rational
 * approximation (relative error about 1e-9) polished by one Halley step on
 * erfc, which brings it to full double precision.
 */
static double
NormalQuantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02,
	-3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01,
	-1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00,
	4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
	2.445134137142996e+00, 3.754408661907416e+00};
	double		q,
				r,
				x,
				e,
				u;

	if (p < 0.02425)
	{
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else if (p > 1 - 0.02425)
	{
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	e = 0.5 * erfc(-x / sqrt(2)) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

PG_FUNCTION_INFO_V1(lifecycle_survival_table);

/*
 * lifecycle_survival_table - one row per distinct time: (time, at_risk,
 * events, censored, survival, std_err, lower, upper).  std_err is
 * Greenwood's; the confidence interval is the log-log one (as lifelines
 * and Kalbfleisch-Prentice), which stays inside [0, 1]: S^exp(+-z se /
 * |ln S|) with se^2 the Greenwood sum.  At S = 1 the interval is [1, 1]
 * and once S = 0 it is [0, 0] with std_err 0.
 */
Datum
lifecycle_survival_table(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_get(fcinfo, 0, LCHIST_SURVIVAL);
	float8		level = PG_GETARG_FLOAT8(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		at_risk;
	float8		surv = 1.0,
				gw = 0,
				z;

	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence level must lie strictly between 0 and 1, got %g", level),
				 errhint("Use 0.95 for a 95%% interval.")));
	z = NormalQuantile(1 - (1 - level) / 2);

	InitMaterializedSRF(fcinfo, 0);
	at_risk = KmTotal(h);
	for (int i = 0; i < h->n; i++)
	{
		KmStep		s;
		Datum		values[8];
		bool		nulls[8] = {0};

		KmStepAt(h, i, &at_risk, &surv, &gw, &s);
		values[0] = Float8GetDatum(s.time);
		values[1] = Int64GetDatum(s.at_risk);
		values[2] = Int64GetDatum(s.events);
		values[3] = Int64GetDatum(s.censored);
		values[4] = Float8GetDatum(s.survival);
		if (s.survival == 0 || s.greenwood < 0)
		{
			values[5] = Float8GetDatum(0.0);
			values[6] = Float8GetDatum(0.0);
			values[7] = Float8GetDatum(0.0);
		}
		else
		{
			double		se_ll;

			values[5] = Float8GetDatum(s.survival * sqrt(s.greenwood));
			if (s.survival >= 1 || s.greenwood == 0)
			{
				values[6] = Float8GetDatum(s.survival);
				values[7] = Float8GetDatum(s.survival);
			}
			else
			{
				se_ll = sqrt(s.greenwood) / fabs(log(s.survival));
				values[6] = Float8GetDatum(pow(s.survival, exp(z * se_ll)));
				values[7] = Float8GetDatum(pow(s.survival, exp(-z * se_ll)));
			}
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(lifecycle_survival_subjects);

/*
 * lifecycle_survival_subjects - number of subjects (events + censored).
 */
Datum
lifecycle_survival_subjects(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(KmTotal(lc_hist_get(fcinfo, 0, LCHIST_SURVIVAL)));
}


/* ----------------------------------------------------------------
 * profile_survival
 * ----------------------------------------------------------------
 */

/*
 * ProfileDuration - (duration in days, churned) of a canonical profile as
 * of a day, given an inactivity threshold (arguments asof_arg and
 * asof_arg + 1 of fcinfo); false when the customer has no purchase by then.
 *
 * With F the first and L the last purchase day on or before as_of and k the
 * threshold in days: the customer has churned when as_of - L > k, and then
 * churned at L + k (the moment the silence exceeded the threshold), so the
 * duration is L - F + k; otherwise the customer is censored at as_of,
 * duration as_of - F (never more than L - F + k, so censored and churned
 * durations are on one clock).
 */
static bool
ProfileDuration(FunctionCallInfo fcinfo, const ProfileData *p, int asof_arg,
				float8 *duration, bool *churned)
{
	int32		asof = lc_arg_day(fcinfo, asof_arg, "as_of");
	Interval   *span = PG_GETARG_INTERVAL_P(asof_arg + 1);
	double		k;
	int			n;
	int32		first,
				last;

	if (span->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("inactivity threshold must not contain months or years"),
				 errhint("Months differ in length; use days, such as '90 days' or '180 days'.")));
	k = lc_interval_days(span, "inactivity");
	if (!(k > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("inactivity threshold must be positive"),
				 errhint("A customer silent for longer than the threshold counts as churned, for example '90 days'.")));
	n = profile_days_upto(p, asof);
	if (n == 0)
		return false;
	first = p->days[0].day;
	last = p->days[n - 1].day;
	*churned = (double) (asof - last) > k;
	*duration = *churned ? (double) (last - first) + k : (double) (asof - first);
	return true;
}

PG_FUNCTION_INFO_V1(lifecycle_profile_survival);

/*
 * lifecycle_profile_survival - (duration in days, churned) of a customer as
 * of a day, given an inactivity threshold (see ProfileDuration); NULL
 * without a purchase by as_of.
 */
Datum
lifecycle_profile_survival(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	float8		duration;
	bool		churned;

	if (!ProfileDuration(fcinfo, p, 1, &duration, &churned))
		PG_RETURN_NULL();

	/* the blessed row descriptor is built once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "profile_survival must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(oldcxt);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	values[0] = Float8GetDatum(duration);
	values[1] = BoolGetDatum(churned);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(lifecycle_survival_trans_profile);

/*
 * lifecycle_survival_trans_profile - transition of survival_curve(p,
 * as_of, inactivity): counts profile_survival(p, as_of, inactivity)
 * without building the row.  STRICT: NULL profiles are skipped, as are
 * customers without a purchase by as_of.
 */
Datum
lifecycle_survival_trans_profile(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_trans_state(fcinfo, LCHIST_SURVIVAL);
	ProfileData *p = profile_get_canonical(fcinfo, 1);
	float8		duration;
	bool		churned;

	if (!ProfileDuration(fcinfo, p, 2, &duration, &churned))
		PG_RETURN_POINTER(h);
	PG_RETURN_POINTER(lc_hist_add(h, 0, duration, churned ? 1 : 0, churned ? 0 : 1));
}
