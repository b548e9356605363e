/*-------------------------------------------------------------------------
 *
 * cohort.c
 *	  cohort_matrix: the whole cohort retention matrix in one pass over an
 *	  orders table, without a per-customer GROUP BY.
 *
 * The two-step way (customer_profile per customer, then cohort_retention
 * per cohort) pays the executor's per-customer grouping: a hash table
 * entry, a transition state and a spill to disk per customer.  This
 * aggregate keeps instead one flat list of (customer, day, spend) cells:
 * every row appends a cell, and when the list is full its unsorted tail is
 * radix sorted and merged into the sorted prefix, equal cells adding their
 * spend.  So memory is bounded by the distinct (customer, day) pairs, or
 * (customer, period) pairs when the period is a calendar unit that is also
 * the cohort unit, since then a purchase only matters through its period:
 * its day is stored as the period's first day.  The final function walks
 * the sorted cells customer by customer and adds each customer to the
 * curve of their cohort exactly as cohort_retention adds a profile, so the
 * two ways give the same numbers.
 *
 * The state is a real type (cohort_matrix_state) with exact text and
 * binary forms.  Past COHORT_EXPAND_CELLS it becomes an expanded object
 * that owns a memory context, so the executor neither copies it as it
 * grows nor ships its spare capacity: flattening it for a parallel
 * worker's tuple queue sorts, merges and trims it, and the combine
 * function merges such sorted lists in linear time.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#define COHORT_VERSION		1

#define ACTIVITY_FORM "{\"v\":1,\"period\":\"month\",\"from\":\"YYYY-MM-DD\",\"to\":\"YYYY-MM-DD\",\"cells\":[[customer,\"YYYY-MM-DD\"],...]}"
#define COHORT_FORM "{\"v\":1,\"period\":\"month\",\"cohort\":\"month\",\"as_of\":\"YYYY-MM-DD\",\"cells\":[[customer,\"YYYY-MM-DD\",spend],...]}"

/* one customer's purchases on one day (or in one period) */
typedef struct CohortCell
{
	int64		customer;
	int32		day;			/* days since 2000-01-01 */
	int32		reserved;		/* always 0 */
	float8		spend;			/* sum of the known amounts */
} CohortCell;

typedef struct CohortHist
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* COHORT_VERSION */
	uint8		unit;			/* retention period unit, 0 = rolling */
	uint8		cohort_unit;	/* calendar unit of the cohorts */
	uint8		kind;			/* COHORT_KIND_* */
	int32		block_days;		/* rolling block length, else 0 */
	int32		asof;			/* last day observed ("to" of an activity state) */
	int32		n;				/* cells in use */
	int32		nsorted;		/* cells [0, nsorted) sorted and distinct */
	int32		from;			/* activity: first day reported, else 0 */
	int32		reserved;		/* always 0 */
	CohortCell	c[FLEXIBLE_ARRAY_MEMBER];
} CohortHist;

/*
 * Two SQL types share the layout: cohort_matrix_state (cohort_matrix) and
 * activity_lifecycle_state (activity_lifecycle over orders, whose cells
 * are (customer, period start) with unit == cohort_unit, as_of = "to").
 */
#define COHORT_KIND_RETENTION	0
#define COHORT_KIND_ACTIVITY	1

static const char *const kind_types[] = {"cohort_matrix_state", "activity_lifecycle_state"};

#define COHORT_HDRSZ		offsetof(CohortHist, c)
#define COHORT_SIZE(cap)	(COHORT_HDRSZ + (Size) (cap) * sizeof(CohortCell))
#define COHORT_CAPACITY(h)	((int) ((VARSIZE(h) - COHORT_HDRSZ) / sizeof(CohortCell)))
/* 40M cells (960 MB) at most: the state must stay a varlena */
#define COHORT_MAX_CELLS	40000000
/* a flat state becomes expanded past this many cells (1.5 MB) */
#define COHORT_EXPAND_CELLS 65536
#define COHORT_WIRE_CELL	20	/* binary form: int64, int32, float8 */

/* cells hold period starts, not days: see the file header */
#define COHORT_BUCKETED(h)	((h)->unit != 0 && (h)->unit == (h)->cohort_unit)

/*
 * cell_cmp - the cell order: customer, then day.
 */
static inline int
cell_cmp(const CohortCell *a, const CohortCell *b)
{
	if (a->customer != b->customer)
		return a->customer < b->customer ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

#define ST_SORT sort_cohort_cells
#define ST_ELEMENT_TYPE CohortCell
#define ST_COMPARE(a, b) cell_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define RADIX_BITS	11
#define RADIX_SIZE	(1 << RADIX_BITS)
#define RADIX_MIN	4096		/* below this, a comparison sort */
#define RADIX_PASSES	6		/* 64-bit customer ids, 11 bits a pass */
#define RUN_INSERTION	16		/* customer runs up to this long: insertion sort */

/*
 * radix_key - the order-preserving unsigned image of a customer id.
 */
static inline uint64
radix_key(const CohortCell *c)
{
	return (uint64) c->customer ^ UINT64CONST(0x8000000000000000);
}

/*
 * sort_runs - sort each customer's run of cells by day.  Runs are short and
 * usually sorted already (cells arrive in time order and the radix sort
 * keeps arrival order), so check first, insertion sort short runs, and
 * leave long unsorted ones to the comparison sort.
 */
static void
sort_runs(CohortCell *a, int n)
{
	int			s = 0;

	while (s < n)
	{
		int			e = s + 1;
		bool		sorted = true;

		for (; e < n && a[e].customer == a[s].customer; e++)
			if (a[e].day < a[e - 1].day)
				sorted = false;
		if (!sorted)
		{
			if (e - s > RUN_INSERTION)
				sort_cohort_cells(a + s, e - s);
			else
				for (int i = s + 1; i < e; i++)
				{
					CohortCell	c = a[i];
					int			j = i;

					for (; j > s && a[j - 1].day > c.day; j--)
						a[j] = a[j - 1];
					a[j] = c;
				}
		}
		s = e;
	}
}

/*
 * radix_sort_cells - sort n cells by (customer, day): a least significant
 * digit radix sort on the customer id, 11 bits a pass, one read of the
 * cells counting the digits of every pass and digits equal in every cell
 * skipped (a million customers need 2 passes), then the day order inside
 * each customer's run, which the stable passes leave in arrival order.
 * scratch holds n cells; returns the buffer holding the result.
 */
static CohortCell *
radix_sort_cells(CohortCell *a, CohortCell *scratch, int n)
{
	int			pass_shift[RADIX_PASSES];
	uint64		and = ~UINT64CONST(0),
				or = 0;
	uint32	   *count;
	int			npass = 0,
				p,
				i;

	if (n < RADIX_MIN)
	{
		sort_cohort_cells(a, n);
		return a;
	}
	for (i = 0; i < n; i++)
	{
		uint64		k = radix_key(&a[i]);

		and &= k;
		or |= k;
	}
	for (int shift = 0; shift < 64; shift += RADIX_BITS)
		if (((and ^ or) >> shift) & (RADIX_SIZE - 1))
			pass_shift[npass++] = shift;
	if (npass > 0)
	{
		count = palloc0(sizeof(uint32) * RADIX_SIZE * npass);
		for (i = 0; i < n; i++)
		{
			uint64		k = radix_key(&a[i]);

			for (p = 0; p < npass; p++)
				count[p * RADIX_SIZE + ((k >> pass_shift[p]) & (RADIX_SIZE - 1))]++;
		}
		for (p = 0; p < npass; p++)
		{
			uint32	   *cnt = count + p * RADIX_SIZE;
			int			shift = pass_shift[p];
			uint32		sum = 0;
			CohortCell *t;

			for (i = 0; i < RADIX_SIZE; i++)
			{
				uint32		c = cnt[i];

				cnt[i] = sum;
				sum += c;
			}
			for (i = 0; i < n; i++)
				scratch[cnt[(radix_key(&a[i]) >> shift) & (RADIX_SIZE - 1)]++] = a[i];
			t = a;
			a = scratch;
			scratch = t;
		}
		pfree(count);
	}
	sort_runs(a, n);
	return a;
}

/*
 * merge_sorted - merge n sorted cells from src (outside h) into h, whose
 * cells are all sorted and distinct and whose capacity holds both: from
 * the back, in place, equal cells adding their spend; the merged run ends
 * at the top and moves down when cells merged.
 */
static void
merge_sorted(CohortHist *h, const CohortCell *src, int n)
{
	int			top = h->n + n,
				a = h->n - 1,
				b = n - 1,
				w = top;

	Assert(h->nsorted == h->n && top <= COHORT_CAPACITY(h));
	while (b >= 0)
	{
		const CohortCell *c;

		if (a >= 0 && cell_cmp(&h->c[a], &src[b]) > 0)
			c = &h->c[a--];
		else
			c = &src[b--];
		if (w < top && cell_cmp(&h->c[w], c) == 0)
			h->c[w].spend += c->spend;
		else
			h->c[--w] = *c;
	}
	if (a >= 0 && w < top && cell_cmp(&h->c[w], &h->c[a]) == 0)
	{
		h->c[w].spend += h->c[a].spend;
		a--;
	}
	if (w != a + 1)
		memmove(h->c + a + 1, h->c + w, sizeof(CohortCell) * (top - w));
	h->n = h->nsorted = a + 1 + (top - w);
}

/*
 * cohort_compact - sort the cells and merge equal ones.
 */
static void
cohort_compact(CohortHist *h)
{
	int			k = 0;

	if (h->nsorted == h->n)
		return;
	if (h->nsorted > 0)
	{
		/* sort the tail alone, then merge it into the sorted prefix */
		int			P = h->nsorted,
					T = h->n - h->nsorted;
		CohortCell *tail = palloc(sizeof(CohortCell) * T);

		if (radix_sort_cells(h->c + P, tail, T) != tail)
			memcpy(tail, h->c + P, sizeof(CohortCell) * T);
		h->n = P;
		/* the tail may hold equal cells: merge them while merging */
		for (int i = 0; i < T; i++)
		{
			if (k > 0 && cell_cmp(&tail[k - 1], &tail[i]) == 0)
				tail[k - 1].spend += tail[i].spend;
			else
				tail[k++] = tail[i];
		}
		merge_sorted(h, tail, k);
		pfree(tail);
		return;
	}
	else
	{
		CohortCell *scratch = h->n >= RADIX_MIN ? palloc(sizeof(CohortCell) * h->n) : NULL;
		CohortCell *s = radix_sort_cells(h->c, scratch, h->n);

		for (int i = 0; i < h->n; i++)
		{
			if (k > 0 && cell_cmp(&h->c[k - 1], &s[i]) == 0)
				h->c[k - 1].spend += s[i].spend;
			else
				h->c[k++] = s[i];
		}
		if (scratch)
			pfree(scratch);
	}
	h->n = h->nsorted = k;
}

/*
 * cohort_alloc - an empty state with room for capacity cells.
 */
static CohortHist *
cohort_alloc(int capacity, int kind, int unit, int32 block_days, int cohort_unit,
			 int32 asof, int32 from)
{
	CohortHist *h = palloc(COHORT_SIZE(capacity));

	memset(h, 0, COHORT_HDRSZ);
	SET_VARSIZE(h, COHORT_SIZE(capacity));
	h->version = COHORT_VERSION;
	h->kind = (uint8) kind;
	h->unit = (uint8) unit;
	h->cohort_unit = (uint8) cohort_unit;
	h->block_days = block_days;
	h->asof = asof;
	h->from = from;
	return h;
}

/*
 * cohort_check_params - validate the parameters of a state read from
 * outside (text, binary, a stored or shipped value).
 */
static void
cohort_check_params(int kind, int unit, int32 block_days, int cohort_unit, int32 asof,
					int32 from, int code)
{
	const int32 lo = 1721426 - POSTGRES_EPOCH_JDATE,
				hi = TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 1;

	if (kind == COHORT_KIND_ACTIVITY)
	{
		if (unit < LC_UNIT_DAY || unit > LC_UNIT_YEAR || cohort_unit != unit ||
			block_days != 0 || from < lo || asof > hi || from > asof)
			ereport(ERROR,
					(errcode(code),
					 errmsg("invalid activity_lifecycle_state: bad period or range")));
		return;
	}
	if (kind != COHORT_KIND_RETENTION || unit > LC_UNIT_YEAR ||
		(unit == 0 && (block_days < 1 || block_days > 36600)) ||
		(unit != 0 && block_days != 0) ||
		cohort_unit < LC_UNIT_DAY || cohort_unit > LC_UNIT_YEAR ||
		asof < lo || asof > hi || from != 0)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid cohort_matrix_state: bad period, cohort unit or as_of")));
}

/*
 * cohort_check_header - validate the fixed part of a state that enters a
 * function from outside our own transition (stored, toasted, shipped).
 */
static void
cohort_check_header(const CohortHist *h)
{
	if (h->version != COHORT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cohort_matrix_state has unknown format version %d", h->version)));
	if (VARSIZE(h) < COHORT_HDRSZ || h->n < 0 || h->n > COHORT_CAPACITY(h) ||
		h->nsorted < 0 || h->nsorted > h->n || h->kind > COHORT_KIND_ACTIVITY)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cohort_matrix_state value is corrupt")));
	cohort_check_params(h->kind, h->unit, h->block_days, h->cohort_unit, h->asof,
						h->from, ERRCODE_DATA_CORRUPTED);
}

/* ----------------------------------------------------------------
 * Flat and expanded states (see the file header)
 * ----------------------------------------------------------------
 */
#define COHORT_MAX_RUNS		8	/* sorted runs a state holds unmerged */

typedef struct CohortExpanded
{
	ExpandedObjectHeader hdr;
	CohortHist *h;				/* flat layout, capacity >= h->n */
	int			nruns;			/* sorted, distinct runs not merged into h */
	CohortCell *runs[COHORT_MAX_RUNS];
	int			runlen[COHORT_MAX_RUNS];
} CohortExpanded;

static Size cohort_flat_size(ExpandedObjectHeader *eohptr);
static void cohort_flatten(ExpandedObjectHeader *eohptr, void *result,
						   Size allocated_size);

static const ExpandedObjectMethods cohort_eo_methods = {
	cohort_flat_size,
	cohort_flatten
};

/*
 * cohort_consolidate - merge the runs of an expanded state into its cells
 * and compact them: the state's one-list form.
 */
static void
cohort_consolidate(CohortExpanded *eh)
{
	Size		need = eh->h->n;

	cohort_compact(eh->h);
	for (int r = 0; r < eh->nruns; r++)
		need += eh->runlen[r];
	if (need > (Size) COHORT_CAPACITY(eh->h))
	{
		if (need > COHORT_MAX_CELLS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cohort_matrix exceeds %d distinct customer periods", COHORT_MAX_CELLS),
					 errhint("Split the input (e.g. by customer_id %% 4) and rollup() the curves, or build customer_profile values and use cohort_retention, which has no such limit.")));
		eh->h = repalloc(eh->h, COHORT_SIZE(need));
		SET_VARSIZE(eh->h, COHORT_SIZE(need));
	}
	for (int r = 0; r < eh->nruns; r++)
	{
		merge_sorted(eh->h, eh->runs[r], eh->runlen[r]);
		pfree(eh->runs[r]);
	}
	eh->nruns = 0;
}

/*
 * cohort_flat_size - size of the flat form; consolidates first (the
 * layout changes, the value does not).
 */
static Size
cohort_flat_size(ExpandedObjectHeader *eohptr)
{
	CohortExpanded *eh = (CohortExpanded *) eohptr;

	cohort_consolidate(eh);
	return COHORT_SIZE(eh->h->n);
}

/*
 * cohort_flatten - write the compacted cells without spare capacity.
 */
static void
cohort_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	CohortExpanded *eh = (CohortExpanded *) eohptr;

	Assert(allocated_size == COHORT_SIZE(eh->h->n) && eh->nruns == 0);
	memcpy(result, eh->h, allocated_size);
	SET_VARSIZE(result, allocated_size);
}

/*
 * cohort_expand - an expanded copy of the flat state h, in a new child
 * context of parent, with room for capacity cells (at least h->n).
 */
static CohortExpanded *
cohort_expand(MemoryContext parent, const CohortHist *h, Size capacity)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "cohort_matrix_state",
											  ALLOCSET_DEFAULT_SIZES);
	CohortExpanded *eh = MemoryContextAllocZero(cxt, sizeof(CohortExpanded));

	EOH_init_header(&eh->hdr, &cohort_eo_methods, cxt);
	capacity = Max(capacity, (Size) h->n);
	eh->h = MemoryContextAlloc(cxt, COHORT_SIZE(capacity));
	memcpy(eh->h, h, COHORT_SIZE(h->n));
	SET_VARSIZE(eh->h, COHORT_SIZE(capacity));
	return eh;
}

/*
 * A transition or combine function's view of its state.
 */
typedef struct CohortState
{
	CohortHist *h;
	CohortExpanded *eh;			/* NULL while flat */
} CohortState;

/*
 * cohort_state_arg - the state in argument 0 (not NULL): our expanded
 * object, or a flat value (copied and checked if toasted, which only a
 * direct call can pass).
 */
static void
cohort_state_arg(FunctionCallInfo fcinfo, CohortState *st)
{
	Datum		d = PG_GETARG_DATUM(0);

	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &cohort_eo_methods)
	{
		st->eh = (CohortExpanded *) DatumGetEOHP(d);
		st->h = st->eh->h;
		return;
	}
	st->eh = NULL;
	st->h = (CohortHist *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(st->h))
	{
		st->h = (CohortHist *) PG_DETOAST_DATUM_COPY(d);
		cohort_check_header(st->h);
	}
}

/*
 * cohort_state_reserve - room for at least need cells: repalloc an
 * expanded state, expand a flat one that outgrows COHORT_EXPAND_CELLS,
 * else return a larger flat copy (the executor moves it into the
 * aggregate context).
 */
static void
cohort_state_reserve(CohortState *st, MemoryContext aggcontext, Size need)
{
	CohortHist *h = st->h;
	Size		cap = COHORT_CAPACITY(h);

	if (need <= cap)
		return;
	if (need > COHORT_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort_matrix exceeds %d distinct customer periods", COHORT_MAX_CELLS),
				 errhint("Split the input (e.g. by customer_id %% 4) and rollup() the curves, or build customer_profile values and use cohort_retention, which has no such limit.")));
	cap = Min(Max(cap * 2, need), COHORT_MAX_CELLS);
	if (st->eh)
	{
		st->eh->h = repalloc(h, COHORT_SIZE(cap));
		st->h = st->eh->h;
	}
	else if (cap > COHORT_EXPAND_CELLS)
	{
		st->eh = cohort_expand(aggcontext, h, cap);
		st->h = st->eh->h;
	}
	else
	{
		st->h = (CohortHist *) palloc(COHORT_SIZE(cap));
		memcpy(st->h, h, COHORT_SIZE(h->n));
	}
	SET_VARSIZE(st->h, COHORT_SIZE(cap));
}

/*
 * cohort_state_datum - the state to return.
 */
static Datum
cohort_state_datum(CohortState *st)
{
	return st->eh ? EOHPGetRWDatum(&st->eh->hdr) : PointerGetDatum(st->h);
}

/*
 * cohort_get - the cells of a datum, sorted and merged: an expanded state
 * is compacted in place (its value is unchanged), a flat one that is not
 * compact is copied first.
 */
static CohortHist *
cohort_get(Datum d)
{
	CohortHist *h;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		CohortExpanded *eh = (CohortExpanded *) DatumGetEOHP(d);

		if (eh->hdr.eoh_methods != &cohort_eo_methods)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("expanded value is not a cohort_matrix_state")));
		cohort_consolidate(eh);
		return eh->h;
	}
	h = (CohortHist *) PG_DETOAST_DATUM(d);
	cohort_check_header(h);
	if (h->nsorted != h->n)
	{
		CohortHist *c = palloc(COHORT_SIZE(h->n));

		memcpy(c, h, COHORT_SIZE(h->n));
		SET_VARSIZE(c, COHORT_SIZE(h->n));
		cohort_compact(c);
		h = c;
	}
	return h;
}

/*
 * cohort_add - append a cell; when the capacity is used up the cells are
 * compacted, and the allocation doubles only if that freed less than half.
 */
static inline void
cohort_add(CohortState *st, MemoryContext aggcontext, const CohortCell *c)
{
	CohortHist *h = st->h;

	if (h->n >= COHORT_CAPACITY(h))
	{
		int			cap = COHORT_CAPACITY(h);

		cohort_compact(h);
		if (h->n > cap / 2)
		{
			cohort_state_reserve(st, aggcontext,
								 Max((Size) h->n + 1, (Size) cap + 1));
			h = st->h;
		}
	}
	if (h->n == h->nsorted && (h->n == 0 || cell_cmp(&h->c[h->n - 1], c) < 0))
		h->nsorted++;
	h->c[h->n++] = *c;
}

/* ----------------------------------------------------------------
 * Transition, combine, final
 * ----------------------------------------------------------------
 */

/* argument positions of a transition function (-1: none) */
typedef struct CohortArgs
{
	int			kind;
	int			customer,
				ts,
				amount,
				period,
				asof,
				cohort,
				from;
} CohortArgs;

/* cohort_matrix(customer, ts, amount, period, as_of [, cohort period]) */
static const CohortArgs retention_args = {COHORT_KIND_RETENTION, 1, 2, 3, 4, 5, 6, -1};

/* activity_lifecycle(customer, ts, period, from, to) */
static const CohortArgs activity_args = {COHORT_KIND_ACTIVITY, 1, 2, -1, 3, 5, -1, 4};

/* the constant arguments of a call site, parsed once (fn_extra) */
typedef struct CohortCall
{
	Oid			ts_type;		/* DATEOID, TIMESTAMPOID or TIMESTAMPTZOID */
	Datum		asof_datum;		/* the as_of and from values parsed */
	Datum		from_datum;
	int32		asof;
	int32		from;
	int			unit;
	int32		block_days;
	int			cohort_unit;
	text	   *period;			/* the texts parsed, copied */
	text	   *cohort;			/* NULL when not given */
	int32		last_day;		/* the last day bucketed, and its period start */
	int32		last_start;
	int32		to_start;		/* activity: first day of the period holding "to" */
} CohortCall;

/*
 * same_text - are two texts equal (b may be NULL)?
 */
static inline bool
same_text(text *a, text *b)
{
	return b != NULL && VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * parse_call - parse the constant arguments into call (in fn_mcxt).
 */
static void
parse_call(FunctionCallInfo fcinfo, const CohortArgs *args, CohortCall *call,
		   text *period, text *cohort)
{
	char	   *pname = text_to_cstring(period);

	call->last_day = PG_INT32_MIN;	/* no day bucketed with this unit yet */
	if (args->kind == COHORT_KIND_ACTIVITY)
	{
		call->unit = lc_parse_period(pname, &call->block_days);
		if (call->unit <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown activity_lifecycle period \"%s\"", pname),
					 errhint("Use day, week (ISO weeks starting on Monday), month, quarter or year.")));
		call->cohort_unit = call->unit;
		call->asof = lc_arg_day(fcinfo, args->asof, "to");
		call->from = lc_arg_day(fcinfo, args->from, "from");
		/* the range checks and errors of activity_lifecycle */
		pfree(lc_activity_new(call->unit, call->from, call->asof));
		call->to_start = lc_calendar_start(lc_calendar_index(call->asof, call->unit), call->unit);
		call->from_datum = PG_GETARG_DATUM(args->from);
	}
	else
	{
		call->unit = lc_retention_period(pname, &call->block_days);
		if (cohort != NULL)
		{
			char	   *name = text_to_cstring(cohort);
			int32		block;

			call->cohort_unit = lc_parse_period(name, &block);
			if (call->cohort_unit <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cohort_matrix cohort period must be a calendar unit, got \"%s\"", name),
						 errhint("Group cohorts by day, week, month, quarter or year.")));
		}
		else
		{
			if (call->unit == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cohort_matrix with a rolling period needs a calendar cohort period"),
						 errhint("Pass one more argument, e.g. cohort_matrix(customer_id, ts, amount, '7 days', as_of, 'week').")));
			call->cohort_unit = call->unit;
		}
		call->asof = lc_arg_day(fcinfo, args->asof, "as_of");
		call->from = 0;
		call->from_datum = 0;
	}
	call->cohort = cohort ? (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(cohort)) : NULL;
	call->period = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(period));
	call->asof_datum = PG_GETARG_DATUM(args->asof);
}

/*
 * cohort_call - the parsed constant arguments of a transition, re-parsed
 * only when they change.
 */
static CohortCall *
cohort_call(FunctionCallInfo fcinfo, const CohortArgs *args)
{
	CohortCall *call = (CohortCall *) fcinfo->flinfo->fn_extra;
	bool		has_cohort = args->cohort > 0 && PG_NARGS() > args->cohort;
	text	   *period,
			   *cohort = NULL;
	MemoryContext old;

	if (PG_ARGISNULL(args->period) || PG_ARGISNULL(args->asof) ||
		(has_cohort && PG_ARGISNULL(args->cohort)) ||
		(args->from > 0 && PG_ARGISNULL(args->from)))
	{
		if (args->kind == COHORT_KIND_ACTIVITY)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("activity_lifecycle period, \"from\" and \"to\" must not be NULL"),
					 errhint("Example: activity_lifecycle(customer_id, ordered_at, 'month', date '2024-01-01', date '2025-12-31').")));
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort_matrix period, as_of and cohort period must not be NULL"),
				 errhint("Example: cohort_matrix(customer_id, ordered_at, amount, 'month', date '2025-12-31').")));
	}
	period = PG_GETARG_TEXT_PP(args->period);
	if (has_cohort)
		cohort = PG_GETARG_TEXT_PP(args->cohort);
	if (call != NULL && same_text(period, call->period) &&
		PG_GETARG_DATUM(args->asof) == call->asof_datum &&
		(args->from < 0 || PG_GETARG_DATUM(args->from) == call->from_datum) &&
		(has_cohort ? same_text(cohort, call->cohort) : call->cohort == NULL))
		return call;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (call == NULL)
	{
		call = palloc0(sizeof(CohortCall));
		call->ts_type = get_fn_expr_argtype(fcinfo->flinfo, args->ts);
		fcinfo->flinfo->fn_extra = call;
	}
	parse_call(fcinfo, args, call, period, cohort);
	MemoryContextSwitchTo(old);
	return call;
}

/*
 * row_day - the day of the purchase time in argument argno (not NULL).
 */
static inline int32
row_day(FunctionCallInfo fcinfo, const CohortCall *call, int argno)
{
	if (call->ts_type == DATEOID)
	{
		DateADT		d = PG_GETARG_DATEADT(argno);

		if (DATE_NOT_FINITE(d) || d < (1721426 - POSTGRES_EPOCH_JDATE) ||
			d > (TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 1))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("purchase date must be a finite date between 0001-01-01 and 294276-12-31"),
					 errhint("Filter out infinite values, for example with WHERE isfinite(d).")));
		return (int32) d;
	}
	return lc_timestamp_day(PG_GETARG_TIMESTAMP(argno));
}

/*
 * cohort_trans - the transition of both aggregates: rows without a
 * customer or a time are skipped, as are purchases after as_of ("to"); a
 * NULL amount counts as a purchase of unknown value (active, no revenue).
 */
static Datum
cohort_trans(FunctionCallInfo fcinfo, const CohortArgs *args)
{
	MemoryContext aggcontext;
	CohortCall *call;
	CohortState st;
	CohortCell	cell;
	int32		day;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s transition function called in non-aggregate context",
			 kind_types[args->kind]);
	call = cohort_call(fcinfo, args);
	if (PG_ARGISNULL(0))
	{
		/* small: a GROUP BY may hold many states at once */
		st.h = cohort_alloc(64, args->kind, call->unit, call->block_days, call->cohort_unit,
							call->asof, call->from);
		st.eh = NULL;
	}
	else
	{
		cohort_state_arg(fcinfo, &st);
		if (st.h->kind != args->kind || st.h->unit != call->unit ||
			st.h->block_days != call->block_days ||
			st.h->cohort_unit != call->cohort_unit || st.h->asof != call->asof ||
			st.h->from != call->from)
		{
			if (args->kind == COHORT_KIND_ACTIVITY)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("activity_lifecycle period or range changed within a group"),
						 errhint("Pass the same period, from and to on every row.")));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cohort_matrix period, as_of and cohort period must be the same on every row"),
					 errhint("Pass them as constants.")));
		}
	}
	if (PG_ARGISNULL(args->ts))
		PG_RETURN_DATUM(cohort_state_datum(&st));

	/* every dated row is checked, as customer_profile checks it */
	day = row_day(fcinfo, call, args->ts);
	cell.spend = 0;
	if (args->amount > 0 && !PG_ARGISNULL(args->amount))
	{
		cell.spend = PG_GETARG_FLOAT8(args->amount) + 0.0;
		if (!isfinite(cell.spend))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("purchase amount must be finite, got %g", cell.spend),
					 errhint("Use NULL for an unknown amount; NaN and infinity are not amounts.")));
	}
	if (PG_ARGISNULL(args->customer) ||
		(args->kind == COHORT_KIND_RETENTION && day > call->asof))
		PG_RETURN_DATUM(cohort_state_datum(&st));
	if (COHORT_BUCKETED(st.h) && st.h->unit != LC_UNIT_DAY)
	{
		/* rows come in runs of one day when the table is in time order */
		if (day != call->last_day)
		{
			call->last_day = day;
			call->last_start = lc_calendar_start(lc_calendar_index(day, st.h->unit), st.h->unit);
		}
		day = call->last_start;
	}
	/* activity: the whole period holding "to" counts, later ones cannot matter */
	if (args->kind == COHORT_KIND_ACTIVITY && day > call->to_start)
		PG_RETURN_DATUM(cohort_state_datum(&st));
	cell.customer = PG_GETARG_INT64(args->customer);
	cell.day = day;
	cell.reserved = 0;
	cohort_add(&st, aggcontext, &cell);
	PG_RETURN_DATUM(cohort_state_datum(&st));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_trans);

/*
 * lifecycle_cohort_matrix_trans - cohort_matrix(customer, ts, amount,
 * period, as_of [, cohort period]) transition.
 */
Datum
lifecycle_cohort_matrix_trans(PG_FUNCTION_ARGS)
{
	return cohort_trans(fcinfo, &retention_args);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_trans);

/*
 * lifecycle_activity_orders_trans - activity_lifecycle(customer, ts,
 * period, from, to) transition: the same cells, one per customer and
 * period, purchases after "to" left out (they cannot change a count).
 */
Datum
lifecycle_activity_orders_trans(PG_FUNCTION_ARGS)
{
	return cohort_trans(fcinfo, &activity_args);
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_combine);

/*
 * lifecycle_cohort_matrix_combine - merge two partial states (strict).
 * The first becomes (or stays) writable; a worker's flattened state
 * arrives sorted and is merged in linear time.
 */
Datum
lifecycle_cohort_matrix_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	CohortState st;
	CohortHist *a;
	CohortHist *b;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cohort_matrix_state combine called outside an aggregate")));
	b = cohort_get(PG_GETARG_DATUM(1));
	cohort_state_arg(fcinfo, &st);
	a = st.h;
	if (st.eh == NULL)
		cohort_check_header(a);
	if (a->kind != b->kind || a->unit != b->unit || a->block_days != b->block_days ||
		a->cohort_unit != b->cohort_unit || a->asof != b->asof || a->from != b->from)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 a->kind == COHORT_KIND_RETENTION ?
				 errmsg("cannot combine cohort_matrix states of different periods or as_of dates") :
				 errmsg("cannot combine activity_lifecycle states of different periods or ranges")));
	if (b->n > 0)
	{
		cohort_compact(a);
		if (st.eh == NULL && (Size) a->n + b->n > COHORT_EXPAND_CELLS)
		{
			st.eh = cohort_expand(aggcontext, a, a->n);
			st.h = st.eh->h;
		}
		if (st.eh == NULL)
		{
			cohort_state_reserve(&st, aggcontext, (Size) a->n + b->n);
			merge_sorted(st.h, b->c, b->n);
		}
		else
		{
			/* keep b as a sorted run: the final function merges all at once */
			CohortExpanded *eh = st.eh;

			if (eh->nruns == COHORT_MAX_RUNS)
				cohort_consolidate(eh);
			eh->runs[eh->nruns] = MemoryContextAlloc(eh->hdr.eoh_context,
													 sizeof(CohortCell) * b->n);
			memcpy(eh->runs[eh->nruns], b->c, sizeof(CohortCell) * b->n);
			eh->runlen[eh->nruns++] = b->n;
			st.h = eh->h;
		}
	}
	PG_RETURN_DATUM(cohort_state_datum(&st));
}

/* one cohort's curve while the final function runs */
typedef struct CohortSlot
{
	int64		index;			/* calendar index of the cohort period */
	RetentionData *curve;
} CohortSlot;

#define SLOT_CACHE	1024		/* direct-mapped cache of cohort slots */

/* the cohorts met so far: slots sorted by index, and a cache in front */
typedef struct CohortSlots
{
	CohortSlot **sorted;
	int			n;
	int			cap;
	CohortSlot *cache[SLOT_CACHE];
} CohortSlots;

/*
 * cohort_slot - the slot of cohort index idx, created when new.  Customers
 * come in id order, so cohorts repeat in no order: a direct-mapped cache
 * answers nearly every lookup, and a binary search the rest.
 */
static CohortSlot *
cohort_slot(CohortSlots *cs, int64 idx, const CohortHist *h)
{
	CohortSlot **hit = &cs->cache[(uint64) idx % SLOT_CACHE];
	CohortSlot *slot;
	int			lo = 0,
				hi = cs->n;

	if (*hit != NULL && (*hit)->index == idx)
		return *hit;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cs->sorted[mid]->index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cs->n && cs->sorted[lo]->index == idx)
		return *hit = cs->sorted[lo];
	if (cs->n == cs->cap)
	{
		cs->cap *= 2;
		cs->sorted = repalloc(cs->sorted, sizeof(CohortSlot *) * cs->cap);
	}
	memmove(cs->sorted + lo + 1, cs->sorted + lo, sizeof(CohortSlot *) * (cs->n - lo));
	cs->n++;
	slot = palloc(sizeof(CohortSlot));
	slot->index = idx;
	slot->curve = lc_retention_new(h->unit, h->block_days);
	cs->sorted[lo] = slot;
	return *hit = slot;
}

/* a sorted list of cells the final function reads */
typedef struct CohortSource
{
	const CohortCell *c;
	int			n;
	int			pos;
} CohortSource;

/*
 * customer_days - gather the cells of the next customer (the smallest id
 * at the heads of the sources) into p as a canonical profile: days sorted
 * and distinct, spends of equal days added.  Returns false when every
 * source is used up.  *p may be reallocated (capacity *pcap).
 */
static bool
customer_days(CohortSource *src, int nsrc, ProfileData **pp, int *pcap)
{
	ProfileData *p = *pp;
	int64		customer = 0;
	bool		found = false;
	int			k = 0,
				from = 0;

	for (int s = 0; s < nsrc; s++)
		if (src[s].pos < src[s].n &&
			(!found || src[s].c[src[s].pos].customer < customer))
		{
			customer = src[s].c[src[s].pos].customer;
			found = true;
		}
	if (!found)
		return false;
	for (int s = 0; s < nsrc; s++)
	{
		CohortSource *so = &src[s];

		if (so->pos < so->n && so->c[so->pos].customer == customer)
			from++;
		for (; so->pos < so->n && so->c[so->pos].customer == customer; so->pos++, k++)
		{
			if (k == *pcap)
			{
				*pcap *= 2;
				p = *pp = repalloc(p, PROFILE_SIZE(*pcap));
			}
			p->days[k].day = so->c[so->pos].day;
			p->days[k].ntrans = 1;
			p->days[k].npriced = 1;
			p->days[k].reserved = 0;
			p->days[k].spend = so->c[so->pos].spend;
		}
	}
	if (from > 1)
	{
		/* days from several runs: sort, then merge equal days */
		int			m = 0;

		for (int i = 1; i < k; i++)
		{
			ProfileDay	d = p->days[i];
			int			j = i;

			for (; j > 0 && p->days[j - 1].day > d.day; j--)
				p->days[j] = p->days[j - 1];
			p->days[j] = d;
		}
		for (int i = 0; i < k; i++)
		{
			if (m > 0 && p->days[m - 1].day == p->days[i].day)
				p->days[m - 1].spend += p->days[i].spend;
			else
				p->days[m++] = p->days[i];
		}
		k = m;
	}
	SET_VARSIZE(p, PROFILE_SIZE(k));
	p->ndays = p->nsorted = k;
	return true;
}

/*
 * cohort_sources - the sorted lists of a state for customer_days: its
 * cells (compacted) and, for an expanded state, the runs the combine
 * function kept, read in place (the state's value stays as it is).
 * Checks the state is of the kind the caller reads.
 */
static CohortHist *
cohort_sources(Datum d, int kind, CohortSource *src, int *nsrc)
{
	CohortHist *h;

	*nsrc = 1;
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &cohort_eo_methods)
	{
		CohortExpanded *eh = (CohortExpanded *) DatumGetEOHP(d);

		h = eh->h;
		cohort_compact(h);
		for (int r = 0; r < eh->nruns; r++)
		{
			src[*nsrc].c = eh->runs[r];
			src[*nsrc].n = eh->runlen[r];
			src[(*nsrc)++].pos = 0;
		}
	}
	else
		h = cohort_get(d);
	if (h->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("expected a %s value, got a %s value", kind_types[kind], kind_types[h->kind])));
	src[0].c = h->c;
	src[0].n = h->n;
	src[0].pos = 0;
	return h;
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_final);

/*
 * lifecycle_cohort_matrix_final - one (cohort, curve) per cohort, in
 * cohort order: each customer joins the cohort of the calendar period of
 * their first purchase on or before as_of and is added to its curve as
 * cohort_retention adds a profile.  The cells and the runs the combine
 * function kept are merged on the fly.  No rows: an empty array.
 */
Datum
lifecycle_cohort_matrix_final(PG_FUNCTION_ARGS)
{
	Oid			arraytype = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			elemtype = OidIsValid(arraytype) ? get_element_type(arraytype) : InvalidOid;
	TupleDesc	tupdesc;
	CohortHist *h;
	CohortSource src[COHORT_MAX_RUNS + 1];
	int			nsrc;
	CohortSlots *cs;
	ProfileData *p;
	int			pcap = 64,
				i;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (!OidIsValid(elemtype))
		elog(ERROR, "cohort_matrix_final: cannot determine its result type");
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elemtype));
	h = cohort_sources(PG_GETARG_DATUM(0), COHORT_KIND_RETENTION, src, &nsrc);
	cs = palloc0(sizeof(CohortSlots));
	cs->cap = 64;
	cs->sorted = palloc(sizeof(CohortSlot *) * cs->cap);
	p = palloc0(PROFILE_SIZE(pcap));
	p->version = PROFILE_VERSION;
	p->flags = PROFILE_CANONICAL;
	while (customer_days(src, nsrc, &p, &pcap))
	{
		CohortSlot *slot = cohort_slot(cs, lc_calendar_index(p->days[0].day, h->cohort_unit), h);

		slot->curve = lc_retention_add(slot->curve, p, h->asof);
	}

	tupdesc = lookup_rowtype_tupdesc(elemtype, -1);
	if (tupdesc->natts != 2)
		elog(ERROR, "cohort_matrix_final: unexpected result row type");
	elems = palloc(sizeof(Datum) * Max(cs->n, 1));
	for (i = 0; i < cs->n; i++)
	{
		int32		start = lc_calendar_start(cs->sorted[i]->index, h->cohort_unit);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (!IS_VALID_DATE(start))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range: a cohort %s starts before the first valid date",
							lc_unit_names[h->cohort_unit])));
		values[0] = DateADTGetDatum(start);
		values[1] = PointerGetDatum(lc_retention_trimmed(cs->sorted[i]->curve));
		elems[i] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	ReleaseTupleDesc(tupdesc);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, cs->n, elemtype, typlen, typbyval, typalign));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_final);

/*
 * lifecycle_activity_orders_final - the activity_lifecycle value (new,
 * returning, resurrecting, dormant per period) of the customers in the
 * state, each classified as activity_lifecycle classifies a profile.  No
 * rows: NULL, as over profiles.
 */
Datum
lifecycle_activity_orders_final(PG_FUNCTION_ARGS)
{
	CohortSource src[COHORT_MAX_RUNS + 1];
	int			nsrc,
				pcap = 64;
	CohortHist *h;
	ActivityData *a;
	ProfileData *p;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = cohort_sources(PG_GETARG_DATUM(0), COHORT_KIND_ACTIVITY, src, &nsrc);
	a = lc_activity_new(h->unit, h->from, h->asof);
	p = palloc0(PROFILE_SIZE(pcap));
	p->version = PROFILE_VERSION;
	p->flags = PROFILE_CANONICAL;
	while (customer_days(src, nsrc, &p, &pcap))
		lc_activity_add(a, p);
	PG_RETURN_POINTER(a);
}

/* ----------------------------------------------------------------
 * Text and binary forms
 *
 * Text (canonical JSON): {"v":1,"period":"month","cohort":"month",
 *	 "as_of":"2025-12-31","cells":[[customer,"day",spend],...]}, cells
 * sorted by (customer, day) and distinct.
 *
 * Binary: uint8 version, uint8 unit, uint8 cohort unit, int32 block days,
 * int32 as_of day, int32 n, then per cell int64 customer, int32 day,
 * float8 spend; network byte order.
 * ----------------------------------------------------------------
 */

/*
 * cohort_check_cell - invariants of cell i of a state read from outside:
 * after the previous cell, on or before as_of, on a period start when the
 * state stores periods, finite spend.
 */
static void
cohort_check_cell(const CohortHist *h, int i, int code)
{
	const CohortCell *c = &h->c[i];

	if ((i > 0 && cell_cmp(&h->c[i - 1], c) >= 0) || c->day > h->asof ||
		c->day < (1721426 - POSTGRES_EPOCH_JDATE) ||
		!isfinite(c->spend) ||
		(COHORT_BUCKETED(h) &&
		 c->day != lc_calendar_start(lc_calendar_index(c->day, h->unit), h->unit)))
		ereport(ERROR,
				(errcode(code),
				 h->kind == COHORT_KIND_ACTIVITY ?
				 errmsg("invalid activity_lifecycle_state: cell %d is out of order, not a period start or after the period holding \"to\"", i + 1) :
				 errmsg("invalid cohort_matrix_state: cell %d is out of order, after as_of, not a period start or has a non-finite spend", i + 1),
				 errhint("Cells are sorted by (customer, day), distinct, on or before as_of.")));
}

/*
 * state_in - parse the canonical text form of a state of the given kind,
 * strictly.
 */
static CohortHist *
state_in(char *str, int kind)
{
	LcReader	rd = {str, str, kind_types[kind],
	kind == COHORT_KIND_ACTIVITY ? ACTIVITY_FORM : COHORT_FORM};
	CohortHist *h;
	char		name[32];
	const char *pos;
	int			unit,
				cohort_unit,
				cap = 16;
	int32		block_days = 0,
				block = 0,
				asof,
				from = 0;

	lc_expect(&rd, "{");
	lc_expect(&rd, "\"v\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	if (lc_parse_int(&rd, 0, 255, "a version") != COHORT_VERSION)
		lc_value_error(&rd, pos, "unsupported version");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"period\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, name, sizeof(name), "a period name");
	unit = lc_parse_period(name, &block_days);
	if (unit < 0 || strcmp(name, lc_retention_period_name(unit, block_days)) != 0)
		lc_value_error(&rd, pos, "period not in canonical form");
	lc_expect(&rd, ",");
	if (kind == COHORT_KIND_ACTIVITY)
	{
		cohort_unit = unit;
		lc_expect(&rd, "\"from\"");
		lc_expect(&rd, ":");
		from = lc_parse_date(&rd);
		lc_expect(&rd, ",");
		lc_expect(&rd, "\"to\"");
		lc_expect(&rd, ":");
		asof = lc_parse_date(&rd);
	}
	else
	{
		lc_expect(&rd, "\"cohort\"");
		lc_expect(&rd, ":");
		lc_skip_space(&rd);
		pos = rd.p;
		lc_parse_string(&rd, name, sizeof(name), "a calendar unit");
		cohort_unit = lc_parse_period(name, &block);
		if (cohort_unit <= 0 || strcmp(name, lc_unit_names[cohort_unit]) != 0)
			lc_value_error(&rd, pos, "cohort period must be day, week, month, quarter or year");
		lc_expect(&rd, ",");
		lc_expect(&rd, "\"as_of\"");
		lc_expect(&rd, ":");
		asof = lc_parse_date(&rd);
	}
	cohort_check_params(kind, unit, block_days, cohort_unit, asof, from,
						ERRCODE_INVALID_TEXT_REPRESENTATION);
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"cells\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	h = cohort_alloc(cap, kind, unit, block_days, cohort_unit, asof, from);
	if (!lc_accept(&rd, "]"))
	{
		do
		{
			CohortCell *c;

			if (h->n == cap)
			{
				if (cap >= COHORT_MAX_CELLS)
					lc_value_error(&rd, rd.p, "too many cells");
				cap = Min(cap * 2, COHORT_MAX_CELLS);
				h = repalloc(h, COHORT_SIZE(cap));
			}
			c = &h->c[h->n];
			lc_expect(&rd, "[");
			c->customer = lc_parse_int(&rd, PG_INT64_MIN, PG_INT64_MAX, "a customer id");
			lc_expect(&rd, ",");
			c->day = lc_parse_date(&rd);
			c->reserved = 0;
			c->spend = 0;
			if (kind == COHORT_KIND_RETENTION)
			{
				lc_expect(&rd, ",");
				c->spend = lc_parse_float(&rd, "a spend") + 0.0;
			}
			lc_expect(&rd, "]");
			h->n++;
			cohort_check_cell(h, h->n - 1, ERRCODE_INVALID_TEXT_REPRESENTATION);
		} while (lc_accept(&rd, ","));
		lc_expect(&rd, "]");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	h->nsorted = h->n;
	SET_VARSIZE(h, COHORT_SIZE(h->n));
	return h;
}

/*
 * state_out - the canonical text form (exact round trip).
 */
static char *
state_out(Datum d, int kind)
{
	CohortHist *h = cohort_get(d);
	StringInfoData buf;
	char		daybuf[LC_DAYBUF],
				daybuf2[LC_DAYBUF];

	if (h->kind != kind)
		elog(ERROR, "%s output called on a %s value", kind_types[kind], kind_types[h->kind]);
	initStringInfo(&buf);
	lc_format_day(h->asof, daybuf);
	if (kind == COHORT_KIND_ACTIVITY)
	{
		lc_format_day(h->from, daybuf2);
		appendStringInfo(&buf, "{\"v\":%d,\"period\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"cells\":[",
						 COHORT_VERSION, lc_unit_names[h->unit], daybuf2, daybuf);
	}
	else
		appendStringInfo(&buf, "{\"v\":%d,\"period\":\"%s\",\"cohort\":\"%s\",\"as_of\":\"%s\",\"cells\":[",
						 COHORT_VERSION, lc_retention_period_name(h->unit, h->block_days),
						 lc_unit_names[h->cohort_unit], daybuf);
	for (int i = 0; i < h->n; i++)
	{
		lc_format_day(h->c[i].day, daybuf);
		appendStringInfo(&buf, "%s[" INT64_FORMAT ",\"%s\"", i > 0 ? "," : "",
						 h->c[i].customer, daybuf);
		if (kind == COHORT_KIND_RETENTION)
		{
			appendStringInfoChar(&buf, ',');
			lc_append_float(&buf, h->c[i].spend);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

/*
 * state_send - the binary form: uint8 version, uint8 unit, then for
 * cohort_matrix_state uint8 cohort unit, int32 block days, int32 as_of,
 * for activity_lifecycle_state int32 from, int32 to (days since
 * 2000-01-01); int32 n, then per cell int64 customer, int32 day and (not
 * for activity) float8 spend; network byte order.
 */
static bytea *
state_send(Datum d, int kind)
{
	CohortHist *h = cohort_get(d);
	StringInfoData buf;

	if (h->kind != kind)
		elog(ERROR, "%s send called on a %s value", kind_types[kind], kind_types[h->kind]);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, COHORT_VERSION);
	pq_sendbyte(&buf, h->unit);
	if (kind == COHORT_KIND_ACTIVITY)
		pq_sendint32(&buf, h->from);
	else
	{
		pq_sendbyte(&buf, h->cohort_unit);
		pq_sendint32(&buf, h->block_days);
	}
	pq_sendint32(&buf, h->asof);
	pq_sendint32(&buf, h->n);
	for (int i = 0; i < h->n; i++)
	{
		pq_sendint64(&buf, h->c[i].customer);
		pq_sendint32(&buf, h->c[i].day);
		if (kind == COHORT_KIND_RETENTION)
			pq_sendfloat8(&buf, h->c[i].spend);
	}
	return pq_endtypsend(&buf);
}

/*
 * state_recv - binary input; validates every field before allocating and
 * rejects trailing bytes.
 */
static CohortHist *
state_recv(StringInfo msg, int kind)
{
	CohortHist *h;
	int			version,
				unit,
				cohort_unit,
				n,
				cellsize = kind == COHORT_KIND_ACTIVITY ? 12 : COHORT_WIRE_CELL;
	int32		block_days = 0,
				asof,
				from = 0;

	lc_recv_need(msg, kind == COHORT_KIND_ACTIVITY ? 14 : 15, kind_types[kind]);
	version = pq_getmsgbyte(msg);
	if (version != COHORT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s binary version %d", kind_types[kind], version)));
	unit = pq_getmsgbyte(msg);
	if (kind == COHORT_KIND_ACTIVITY)
	{
		cohort_unit = unit;
		from = pq_getmsgint(msg, 4);
	}
	else
	{
		cohort_unit = pq_getmsgbyte(msg);
		block_days = pq_getmsgint(msg, 4);
	}
	asof = pq_getmsgint(msg, 4);
	cohort_check_params(kind, unit, block_days, cohort_unit, asof, from,
						ERRCODE_INVALID_BINARY_REPRESENTATION);
	n = pq_getmsgint(msg, 4);
	if (n < 0 || n > COHORT_MAX_CELLS ||
		(Size) n * cellsize != (Size) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s length in binary input", kind_types[kind])));
	h = cohort_alloc(n, kind, unit, block_days, cohort_unit, asof, from);
	for (int i = 0; i < n; i++)
	{
		CohortCell *c = &h->c[i];

		c->customer = pq_getmsgint64(msg);
		c->day = pq_getmsgint(msg, 4);
		c->reserved = 0;
		c->spend = kind == COHORT_KIND_RETENTION ? pq_getmsgfloat8(msg) + 0.0 : 0;
		h->n = i + 1;
		cohort_check_cell(h, i, ERRCODE_INVALID_BINARY_REPRESENTATION);
	}
	pq_getmsgend(msg);
	h->nsorted = h->n;
	return h;
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_in);
/* lifecycle_cohort_matrix_in - cohort_matrix_state text input */
Datum
lifecycle_cohort_matrix_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(state_in(PG_GETARG_CSTRING(0), COHORT_KIND_RETENTION));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_out);
/* lifecycle_cohort_matrix_out - cohort_matrix_state text output */
Datum
lifecycle_cohort_matrix_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(state_out(PG_GETARG_DATUM(0), COHORT_KIND_RETENTION));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_send);
/* lifecycle_cohort_matrix_send - cohort_matrix_state binary output */
Datum
lifecycle_cohort_matrix_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_send(PG_GETARG_DATUM(0), COHORT_KIND_RETENTION));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_recv);
/* lifecycle_cohort_matrix_recv - cohort_matrix_state binary input */
Datum
lifecycle_cohort_matrix_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(state_recv((StringInfo) PG_GETARG_POINTER(0), COHORT_KIND_RETENTION));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_in);
/* lifecycle_activity_orders_in - activity_lifecycle_state text input */
Datum
lifecycle_activity_orders_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(state_in(PG_GETARG_CSTRING(0), COHORT_KIND_ACTIVITY));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_out);
/* lifecycle_activity_orders_out - activity_lifecycle_state text output */
Datum
lifecycle_activity_orders_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(state_out(PG_GETARG_DATUM(0), COHORT_KIND_ACTIVITY));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_send);
/* lifecycle_activity_orders_send - activity_lifecycle_state binary output */
Datum
lifecycle_activity_orders_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_send(PG_GETARG_DATUM(0), COHORT_KIND_ACTIVITY));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_recv);
/* lifecycle_activity_orders_recv - activity_lifecycle_state binary input */
Datum
lifecycle_activity_orders_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(state_recv((StringInfo) PG_GETARG_POINTER(0), COHORT_KIND_ACTIVITY));
}
