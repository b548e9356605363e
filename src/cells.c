/*-------------------------------------------------------------------------
 *
 * cells.c
 *	  The state of the one-pass aggregates over orders (cohort_matrix and
 *	  activity_lifecycle(customer, ts, ...)): a flat list of distinct
 *	  (customer, day) cells, or (customer, period start) cells when only the
 *	  period of a purchase matters, with the spend of each.
 *
 * Every row appends a cell; when the list is full its unsorted tail is
 * radix sorted on the customer id and merged into the sorted prefix, equal
 * cells adding their spend, and the allocation doubles only when that
 * freed less than half of it.  So memory follows the distinct cells, not
 * the rows.  Past COHORT_EXPAND_CELLS the state becomes an expanded object
 * that owns a memory context: the executor neither copies it as it grows
 * nor ships its spare capacity (flattening sorts, merges and trims it),
 * and the combine function keeps partial states as sorted runs that the
 * final functions merge once, customer by customer (customer_days).
 *
 * Two SQL types share the layout and these functions: cohort_matrix_state
 * and activity_lifecycle_state, each with exact text and binary forms.
 *
 *-------------------------------------------------------------------------
 */
#include "cells.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#define ACTIVITY_FORM "{\"v\":1,\"period\":\"month\",\"from\":\"YYYY-MM-DD\",\"to\":\"YYYY-MM-DD\",\"cells\":[[customer,\"YYYY-MM-DD\"],...]}"
#define COHORT_FORM "{\"v\":1,\"period\":\"month\",\"cohort\":\"month\",\"as_of\":\"YYYY-MM-DD\",\"cells\":[[customer,\"YYYY-MM-DD\",spend],...]}"

const char *const cell_type_names[] = {"cohort_matrix_state", "activity_lifecycle_state"};

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
void
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
CohortHist *
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
 * cohort_state_arg - the state in argument 0 (not NULL): our expanded
 * object, or a flat value (copied and checked if toasted, which only a
 * direct call can pass).
 */
void
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
void
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
Datum
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

	b = cohort_get(PG_GETARG_DATUM(1));
	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s combine called outside an aggregate", cell_type_names[b->kind])));
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

/*
 * customer_days - gather the cells of the next customer (the smallest id
 * at the heads of the sources) into p as a canonical profile: days sorted
 * and distinct, spends of equal days added.  Returns false when every
 * source is used up.  *p may be reallocated (capacity *pcap).
 */
bool
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
CohortHist *
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
				 errmsg("expected a %s value, got a %s value", cell_type_names[kind], cell_type_names[h->kind])));
	src[0].c = h->c;
	src[0].n = h->n;
	src[0].pos = 0;
	return h;
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
	LcReader	rd = {str, str, cell_type_names[kind],
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

	lc_expect_version(&rd, COHORT_VERSION);
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
		elog(ERROR, "%s output called on a %s value", cell_type_names[kind], cell_type_names[h->kind]);
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
		elog(ERROR, "%s send called on a %s value", cell_type_names[kind], cell_type_names[h->kind]);
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

	lc_recv_need(msg, kind == COHORT_KIND_ACTIVITY ? 14 : 15, cell_type_names[kind]);
	version = pq_getmsgbyte(msg);
	if (version != COHORT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported %s binary version %d", cell_type_names[kind], version)));
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
				 errmsg("invalid %s length in binary input", cell_type_names[kind])));
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
