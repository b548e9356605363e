/*-------------------------------------------------------------------------
 *
 * btyd.c
 *	  BTYD model fits, part 1: the btyd_histogram state type (text and
 *	  binary forms, transition, combine) and reading model values.  The
 *	  packed form of a worker's histogram is in btyd_pack.c, the
 *	  likelihoods and the optimiser are in optimize.c.
 *-------------------------------------------------------------------------
 */
#include "btyd.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "port/pg_bitutils.h"

#define BTYD_FORM "{\"kind\":\"bgnbd\",\"penalizer\":0,\"cells\":[[x,y,z,w],...]}"
#define MAXPAR		4
#define LOGBOUND	25.0		/* parameters within e^-25 .. e^25 */

static const char *const kind_names[] = {"", "bgnbd", "mbgnbd", "pareto_nbd", "bgbb", "gamma_gamma"};
static const char *const model_types[] = {"", "bgnbd_model", "mbgnbd_model", "pareto_nbd_model",
"bgbb_model", "gamma_gamma_model"};

/*
 * btyd_kind_name - the name of a histogram kind as written in text forms.
 */
const char *
btyd_kind_name(int kind)
{
	return kind_names[kind];
}

/*
 * btyd_nparams - number of model parameters of a kind.
 */
int
btyd_nparams(int kind)
{
	return kind == BTYD_GG ? 3 : 4;
}

/* ----------------------------------------------------------------
 * The histogram
 * ----------------------------------------------------------------
 */

/*
 * btyd_alloc - an empty histogram of the given capacity in the current
 * memory context.
 */
BtydHist *
btyd_alloc(int capacity, int kind)
{
	BtydHist   *h;

	if (capacity < 1)
		capacity = 1;
	h = (BtydHist *) palloc0(BTYD_SIZE(capacity));
	SET_VARSIZE(h, BTYD_SIZE(capacity));
	h->version = BTYD_VERSION;
	h->kind = kind;
	return h;
}

/*
 * cell_cmp - qsort order of cells: x, then z, then y.
 */
static inline int
cell_cmp(const void *pa, const void *pb)
{
	const BtydCell *a = (const BtydCell *) pa;
	const BtydCell *b = (const BtydCell *) pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->z != b->z)
		return a->z < b->z ? -1 : 1;
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	return 0;
}

#define ST_SORT sort_cells
#define ST_ELEMENT_TYPE BtydCell
#define ST_COMPARE(a, b) cell_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * cell_key - the order-preserving unsigned image of a cell coordinate: the
 * IEEE bits with the sign bit flipped for non-negative values and all bits
 * flipped for negative ones; -0 is folded into +0 first, so equal keys mean
 * equal values (cells are never NaN).
 */
static inline uint64
cell_key(float8 v)
{
	union
	{
		float8		d;
		uint64		u;
	}			b;

	b.d = v + 0.0;
	return (b.u & UINT64CONST(0x8000000000000000)) ? ~b.u :
		b.u | UINT64CONST(0x8000000000000000);
}

#define RADIX_MAXBITS	12		/* widest digit: 4096 counters */
#define RADIX_MIN	4096		/* below this, a comparison sort */
#define RADIX_PASSES	(3 * ((64 + RADIX_MAXBITS - 1) / RADIX_MAXBITS))

/*
 * field_key - the order-preserving unsigned key of field f of a cell (0 y,
 * 1 z, 2 x): x is always a non-negative integer below 2^53 (checked on the
 * way in), so its value is its key, and a small one has few bits.
 */
static inline uint64
field_key(const BtydCell *c, int f)
{
	switch (f)
	{
		case 0:
			return cell_key(c->y);
		case 1:
			return cell_key(c->z);
		default:
			return (uint64) c->x;
	}
}

/*
 * radix_sort_cells - sort n cells in (x, z, y) order, as cell_cmp does, by
 * a least-significant-digit radix sort on the keys of y, then z, then x; one
 * read of the cells finds the bits that differ between cells and counts
 * the digits of every pass.  Each field's differing bits, from the lowest
 * to the highest, are cut into as few digits of at most RADIX_MAXBITS bits
 * as they need (a monetary value's 58 or so differing bits take 5 passes,
 * a frequency 1); a constant field takes none.  scratch holds n cells;
 * returns the buffer that holds the sorted cells (a or scratch).  Cells
 * with equal keys keep their order, which does not matter: they are
 * merged.
 *
 * Monetary values and recency/T in fractional units make nearly all cells
 * distinct, and the comparison sort's unpredictable branches cost more
 * than these passes over the cells.
 */
static BtydCell *
radix_sort_cells(BtydCell *a, BtydCell *scratch, int n)
{
	int			pass_field[RADIX_PASSES],
				pass_shift[RADIX_PASSES],
				pass_bits[RADIX_PASSES];
	Size		pass_off[RADIX_PASSES + 1];
	uint32	   *count;
	uint64		and[3],
				or[3];
	int			npass = 0,
				f,
				p,
				i;

	if (n < RADIX_MIN)
	{
		sort_cells(a, n);
		return a;
	}
	for (f = 0; f < 3; f++)
	{
		and[f] = ~UINT64CONST(0);
		or[f] = 0;
	}
	for (i = 0; i < n; i++)
		for (f = 0; f < 3; f++)
		{
			uint64		k = field_key(&a[i], f);

			and[f] &= k;
			or[f] |= k;
		}
	/* the digits of each field's differing bits, least significant first */
	pass_off[0] = 0;
	for (f = 0; f < 3; f++)
	{
		uint64		diff = and[f] ^ or[f];
		int			lo,
					hi,
					nb,
					np,
					width;

		if (diff == 0)
			continue;
		lo = pg_rightmost_one_pos64(diff);
		hi = pg_leftmost_one_pos64(diff);
		nb = hi - lo + 1;
		np = (nb + RADIX_MAXBITS - 1) / RADIX_MAXBITS;
		width = (nb + np - 1) / np;
		for (p = 0; p < np; p++)
		{
			pass_field[npass] = f;
			pass_shift[npass] = lo + p * width;
			pass_bits[npass] = Min(width, hi + 1 - (lo + p * width));
			pass_off[npass + 1] = pass_off[npass] + ((Size) 1 << pass_bits[npass]);
			npass++;
		}
	}
	if (npass == 0)
		return a;				/* all cells equal */
	/* the counts of every pass in one read of the cells */
	count = palloc0(sizeof(uint32) * pass_off[npass]);
	for (i = 0; i < n; i++)
		for (p = 0; p < npass; p++)
		{
			uint64		k = field_key(&a[i], pass_field[p]);

			count[pass_off[p] + ((k >> pass_shift[p]) & ((UINT64CONST(1) << pass_bits[p]) - 1))]++;
		}
	for (p = 0; p < npass; p++)
	{
		uint32	   *cnt = count + pass_off[p];
		int			fld = pass_field[p],
					shift = pass_shift[p];
		uint64		mask = (UINT64CONST(1) << pass_bits[p]) - 1;
		uint32		sum = 0;
		BtydCell   *t;

		for (i = 0; i < (1 << pass_bits[p]); i++)
		{
			uint32		c = cnt[i];

			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			scratch[cnt[(field_key(&a[i], fld) >> shift) & mask]++] = a[i];
		t = a;
		a = scratch;
		scratch = t;
	}
	pfree(count);
	return a;
}

/*
 * merge_sorted - merge n sorted cells from src (memory outside h) into h,
 * whose cells are sorted and distinct (nsorted == n) and whose capacity
 * holds them all: from the back, in place, equal cells merging (weights
 * add); the merged cells end at the top and move down if any merged.
 */
static void
merge_sorted(BtydHist *h, const BtydCell *src, int n)
{
	int			top = h->n + n,
				a = h->n - 1,
				b = n - 1,
				w = top;		/* cells [w, top) are merged */

	Assert(h->nsorted == h->n && top <= BTYD_CAPACITY(h));
	while (b >= 0)
	{
		const BtydCell *c;

		if (a >= 0 && cell_cmp(&h->c[a], &src[b]) > 0)
			c = &h->c[a--];
		else
			c = &src[b--];
		if (w < top && cell_cmp(&h->c[w], c) == 0)
			h->c[w].w += c->w;
		else
			h->c[--w] = *c;
	}
	/* the rest of h is in place below w unless cells merged */
	if (a >= 0 && w < top && cell_cmp(&h->c[w], &h->c[a]) == 0)
	{
		/* the largest remaining cell equals the lowest merged one */
		h->c[w].w += h->c[a].w;
		a--;
	}
	if (w != a + 1)
		memmove(h->c + a + 1, h->c + w, sizeof(BtydCell) * (top - w));
	h->n = h->nsorted = a + 1 + (top - w);
}

/*
 * btyd_compact - sort the cells and merge equal ones (weights add).
 */
static void
btyd_compact(BtydHist *h)
{
	int			i,
				k = 0;

	if (h->nsorted == h->n)
		return;
	if (h->nsorted > 0)
	{
		/*
		 * Sort the tail only (a tail that arrives sorted stays), copy it out
		 * and merge it into the sorted prefix.
		 */
		int			P = h->nsorted,
					T = h->n - h->nsorted;
		BtydCell   *tail = palloc(sizeof(BtydCell) * T);
		bool		sorted = true;

		for (i = P + 1; i < h->n && sorted; i++)
			sorted = cell_cmp(&h->c[i - 1], &h->c[i]) <= 0;
		if (sorted || radix_sort_cells(h->c + P, tail, T) != tail)
			memcpy(tail, h->c + P, sizeof(BtydCell) * T);
		h->n = P;
		merge_sorted(h, tail, T);
		pfree(tail);
		k = h->n;
	}
	else
	{
		BtydCell   *scratch = h->n >= RADIX_MIN ? palloc(sizeof(BtydCell) * h->n) : NULL;
		BtydCell   *s = radix_sort_cells(h->c, scratch, h->n);

		/* merge runs of equal cells into h->c (s may be the scratch) */
		for (i = 0; i < h->n; i++)
		{
			if (k > 0 && cell_cmp(&h->c[k - 1], &s[i]) == 0)
				h->c[k - 1].w += s[i].w;
			else
				h->c[k++] = s[i];
		}
		if (scratch)
			pfree(scratch);
	}
	h->n = k;
	h->nsorted = k;
}

/*
 * cell_error - report an invalid input cell.
 */
static void
cell_error(int code, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s", msg),
			 errhint("%s", hint)));
}

/*
 * btyd_check_cell - validate one cell of a histogram of the given kind;
 * code is the SQLSTATE to report (22023, or 22P03 for binary input).
 */
static void
btyd_check_cell(int kind, const BtydCell *c, int code)
{
	if (isnan(c->x) || isnan(c->y) || isnan(c->z) || isnan(c->w))
		cell_error(code, "BTYD input must not be NaN",
				   "Filter out rows with NaN values before fitting.");
	if (c->x < 0 || c->x != floor(c->x) || c->x > BTYD_MAX_COUNT)
		cell_error(code, psprintf("frequency must be a non-negative integer, got %g", c->x),
				   "frequency counts repeat purchases (periods with a purchase minus 1), as btyd_summary returns it.");
	if (!(c->w > 0) || !isfinite(c->w))
		cell_error(code, "weight must be positive and finite",
				   "Weights count identical customers; leave out rows with weight 0.");
	if (kind == BTYD_GG)
	{
		if (c->x < 1)
			cell_error(code, "Gamma-Gamma cells need frequency >= 1",
					   "Customers without repeat purchases carry no spend information.");
		if (!(c->y > 0) || !isfinite(c->y))
			cell_error(code, psprintf("monetary must be positive for repeat buyers, got %g", c->y),
					   "Gamma-Gamma models the mean spend of repeat purchases; exclude refunds or zero-value orders.");
		if (c->z != 0)
			cell_error(code, "Gamma-Gamma cells have z = 0", "The form is [frequency, monetary, 0, weight].");
		return;
	}
	if (!isfinite(c->y) || !isfinite(c->z) || c->y < 0 || c->z < 0)
		cell_error(code, "recency and t must be finite and non-negative",
				   "Measure recency and t from the customer's first purchase, in one time unit.");
	if (c->y > c->z)
		cell_error(code, psprintf("recency (%g) must not exceed t (%g)", c->y, c->z),
				   "recency is the time from the first to the last purchase, t the time from the first purchase to the end of the observation.");
	if (c->x == 0 && c->y != 0)
		cell_error(code, "recency must be 0 when frequency is 0",
				   "A customer without repeat purchases has recency 0.");
	if (kind == BTYD_BGBB)
	{
		if (c->y != floor(c->y) || c->z != floor(c->z) || c->z > BTYD_MAX_COUNT)
			cell_error(code, "BG/BB recency and periods must be integers",
					   "BG/BB counts discrete transaction opportunities.");
		if (c->x > c->y)
			cell_error(code, "BG/BB frequency must not exceed recency",
					   "recency is the period of the last transaction, frequency the number of transactions.");
	}
}

/*
 * btyd_check_customer - validate one customer's (x, y, z) for a
 * prediction of the given kind (the same rules as the fit's input).
 */
void
btyd_check_customer(int kind, double x, double y, double z)
{
	BtydCell	c = {x, y, z, 1};

	btyd_check_cell(kind, &c, ERRCODE_INVALID_PARAMETER_VALUE);
}

/*
 * What a prediction call site remembers of the model value in one argument:
 * the bytes of the value it last parsed, its kind and its parameters.  A
 * scoring query passes the same model on every row, so after the first row
 * a memcmp of the value's bytes replaces the detoast copy (models read from
 * a table arrive with a short header), the type lookup and the parse.
 */
typedef struct ModelSlot
{
	uint32		len;			/* bytes cached, 0 if none */
	Oid			typid;			/* type of the value last parsed */
	int			kind;
	double		par[4];
	char		bytes[256];		/* the value's data after its varlena header */
} ModelSlot;

typedef struct ModelCache
{
	ModelSlot	slot[2];		/* arguments 0 and 1 */
	void	   *memo;			/* btyd_predict.c's per-call-site memo */
} ModelCache;

/*
 * btyd_cache - the call site's ModelCache, kept in fn_extra.
 */
static ModelCache *
btyd_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
	return (ModelCache *) fcinfo->flinfo->fn_extra;
}

/*
 * btyd_kind_of_type - the model kind of a composite type, from its name.
 */
static int
btyd_kind_of_type(Oid typid)
{
	HeapTuple	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	char	   *name;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for type %u", typid);
	name = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tp))->typname));
	ReleaseSysCache(tp);
	for (int k = BTYD_BGNBD; k <= BTYD_GG; k++)
		if (strcmp(name, model_types[k]) == 0)
			return k;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s is not a BTYD model type", name)));
	return 0;
}

/*
 * btyd_model_slot - the parsed model value of argument argno (0 or 1):
 * kind and parameters, each parameter checked to be positive and finite.
 */
static ModelSlot *
btyd_model_slot(FunctionCallInfo fcinfo, int argno)
{
	ModelSlot  *s;
	struct varlena *v;
	uint32		plen;
	HeapTupleHeader td;
	HeapTupleData tup;
	TupleDesc	tupdesc;
	int			np;

	if (argno < 0 || argno > 1)
		elog(ERROR, "model argument %d out of range", argno);
	s = &btyd_cache(fcinfo)->slot[argno];

	/* uncompressed, possibly with a short header: no copy */
	v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno)));
	plen = VARSIZE_ANY_EXHDR(v);
	if (s->len != 0 && s->len == plen && memcmp(s->bytes, VARDATA_ANY(v), plen) == 0)
		return s;

	s->len = 0;
	td = (HeapTupleHeader) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	if (s->typid != HeapTupleHeaderGetTypeId(td) || s->typid == InvalidOid)
	{
		s->kind = btyd_kind_of_type(HeapTupleHeaderGetTypeId(td));
		s->typid = HeapTupleHeaderGetTypeId(td);
	}
	np = btyd_nparams(s->kind);
	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(td), HeapTupleHeaderGetTypMod(td));
	tup.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&(tup.t_self));
	tup.t_tableOid = InvalidOid;
	tup.t_data = td;
	for (int i = 0; i < np; i++)
	{
		bool		isnull;
		Datum		d = heap_getattr(&tup, i + 1, tupdesc, &isnull);

		s->par[i] = isnull ? NAN : DatumGetFloat8(d);
		if (!(s->par[i] > 0) || !isfinite(s->par[i]))
		{
			const char *name = NameStr(TupleDescAttr(tupdesc, i)->attname);

			ReleaseTupleDesc(tupdesc);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s: parameter %s must be positive and finite",
							model_types[s->kind], name),
					 errhint("Use a model returned by the fit (check converged), or positive finite parameters.")));
		}
	}
	ReleaseTupleDesc(tupdesc);
	if (plen <= sizeof(s->bytes))
	{
		memcpy(s->bytes, VARDATA_ANY(v), plen);
		s->len = plen;
	}
	return s;
}

/*
 * btyd_memo_slot - where a prediction function keeps its per-call-site
 * memo (NULL until it makes one in fn_mcxt); shares fn_extra with the
 * model cache.
 */
void	  **
btyd_memo_slot(FunctionCallInfo fcinfo)
{
	return &btyd_cache(fcinfo)->memo;
}

/*
 * btyd_model_kind - the kind of the model value in argument argno.
 */
int
btyd_model_kind(FunctionCallInfo fcinfo, int argno)
{
	return btyd_model_slot(fcinfo, argno)->kind;
}

/*
 * Inside an aggregate a state starts flat: a BtydHist with spare capacity
 * in the aggregate context, updated in place and grown by returning a
 * larger copy, which the executor copies again.  Past BTYD_EXPAND_CELLS it
 * becomes an expanded object: a header that owns a memory context (a child
 * of the aggregate context) and the histogram in the same layout, grown
 * with repalloc.  The executor keeps a read-write expanded state it finds
 * in its aggregate context without copying it, and the value flattened for
 * a parallel worker's tuple queue is sorted, merged and trimmed.  Small
 * states stay flat because a hash aggregate walks every child context of
 * its aggregate context each time it adds a group: one context per group
 * would make many small groups quadratic; large states are few.
 */
#define BTYD_EXPAND_CELLS	4096	/* 128 kB */
#define BTYD_MAX_RUNS		8

typedef struct BtydExpanded
{
	ExpandedObjectHeader hdr;
	BtydHist   *h;				/* flat layout, capacity >= h->n */
	/* packed partial states combined in, merged into h when read */
	int			nruns;
	int			runcells;		/* cells in the runs */
	BtydHist   *run[BTYD_MAX_RUNS];
	bool		flat_packed;	/* the flat form btyd_flat_size chose */
} BtydExpanded;

static void expanded_compact(BtydExpanded *eh);
static Size btyd_flat_size(ExpandedObjectHeader *eohptr);
static void btyd_flatten(ExpandedObjectHeader *eohptr, void *result,
						 Size allocated_size);

static const ExpandedObjectMethods btyd_eo_methods = {
	btyd_flat_size,
	btyd_flatten
};

/*
 * btyd_flat_size - size of the flat form: the cells are compacted first,
 * which changes the layout, not the value; the packed form when it is
 * smaller (it usually is: a third of the size for Gamma-Gamma).
 */
static Size
btyd_flat_size(ExpandedObjectHeader *eohptr)
{
	BtydExpanded *eh = (BtydExpanded *) eohptr;
	Size		packed;

	expanded_compact(eh);
	packed = pk_size(eh->h);
	eh->flat_packed = packed < BTYD_SIZE(eh->h->n);
	return eh->flat_packed ? packed : BTYD_SIZE(eh->h->n);
}

/*
 * btyd_flatten - write the compacted histogram without spare capacity, in
 * the form btyd_flat_size chose.
 */
static void
btyd_flatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BtydExpanded *eh = (BtydExpanded *) eohptr;

	if (eh->flat_packed)
	{
		pk_write(eh->h, (BtydHist *) result, allocated_size);
		return;
	}
	Assert(allocated_size == BTYD_SIZE(eh->h->n));
	memcpy(result, eh->h, allocated_size);
	SET_VARSIZE(result, allocated_size);
}

/*
 * cells_limit_error - report a histogram past BTYD_MAX_CELLS cells.
 */
static void
cells_limit_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("BTYD histogram exceeds %d distinct cells", BTYD_MAX_CELLS),
			 errhint("Round recency and t to a coarser grid (e.g. days) before fitting.")));
}

/*
 * expanded_compact - compact an expanded state: sort and merge its cells,
 * then merge the runs combined into it (k-way, one pass) into a new
 * histogram in its context.
 */
static void
expanded_compact(BtydExpanded *eh)
{
	BtydHist   *h = eh->h;
	BtydHist   *out;
	PkReader	rd[BTYD_MAX_RUNS];
	bool		live[BTYD_MAX_RUNS];
	int			i,
				k,
				hi = 0;

	btyd_compact(h);
	if (eh->nruns == 0)
		return;
	out = MemoryContextAllocHuge(eh->hdr.eoh_context, BTYD_SIZE(h->n + eh->runcells));
	memcpy(out, h, BTYD_HDRSZ);
	SET_VARSIZE(out, BTYD_SIZE(h->n + eh->runcells));
	out->n = 0;
	for (k = 0; k < eh->nruns; k++)
	{
		pk_open(&rd[k], eh->run[k]);
		live[k] = pk_next(&rd[k]);
	}
	for (;;)
	{
		const BtydCell *m = hi < h->n ? &h->c[hi] : NULL;
		int			src = -1;

		for (k = 0; k < eh->nruns; k++)
			if (live[k] && (m == NULL || cell_cmp(&rd[k].c, m) < 0))
			{
				m = &rd[k].c;
				src = k;
			}
		if (m == NULL)
			break;
		if (out->n > 0 && cell_cmp(&out->c[out->n - 1], m) == 0)
			out->c[out->n - 1].w += m->w;
		else
			out->c[out->n++] = *m;
		if (src < 0)
			hi++;
		else
			live[src] = pk_next(&rd[src]);
	}
	if (out->n > BTYD_MAX_CELLS)
		cells_limit_error();
	out->nsorted = out->n;
	for (i = 0; i < eh->nruns; i++)
		pfree(eh->run[i]);
	eh->nruns = 0;
	eh->runcells = 0;
	pfree(h);
	eh->h = out;
}

/*
 * expanded_add_run - keep a copy of a packed partial state, merged into the
 * state when it is read (the combine function of a parallel aggregate gets
 * one per worker: merging them all at once writes every cell once).
 */
static void
expanded_add_run(BtydExpanded *eh, const BtydHist *b)
{
	if (eh->nruns == BTYD_MAX_RUNS)
		expanded_compact(eh);
	eh->run[eh->nruns] = MemoryContextAllocHuge(eh->hdr.eoh_context, VARSIZE(b));
	memcpy(eh->run[eh->nruns], b, VARSIZE(b));
	eh->runcells += b->n;
	eh->nruns++;
	if ((Size) eh->h->n + eh->runcells > BTYD_MAX_CELLS)
		expanded_compact(eh);
}

/*
 * btyd_expand - an expanded copy of h, in a new child context of parent,
 * with room for capacity cells (at least h->n).
 */
static BtydExpanded *
btyd_expand(MemoryContext parent, const BtydHist *h, int capacity)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "btyd_histogram",
											  ALLOCSET_DEFAULT_SIZES);
	BtydExpanded *eh = MemoryContextAlloc(cxt, sizeof(BtydExpanded));

	EOH_init_header(&eh->hdr, &btyd_eo_methods, cxt);
	eh->nruns = 0;
	eh->runcells = 0;
	eh->flat_packed = false;
	capacity = Max(capacity, h->n);
	eh->h = MemoryContextAlloc(cxt, BTYD_SIZE(capacity));
	memcpy(eh->h, h, BTYD_SIZE(h->n));
	SET_VARSIZE(eh->h, BTYD_SIZE(capacity));
	return eh;
}

/*
 * A transition or combine function's view of its state: the histogram,
 * and its expanded header once it has one.
 */
typedef struct BtydState
{
	BtydHist   *h;
	BtydExpanded *eh;			/* NULL while the state is flat */
} BtydState;

/*
 * btyd_state_arg - the state in argument 0 (not NULL) of a transition or
 * combine function: our expanded object, or a flat value in the aggregate
 * context, which a transition made itself (copied and checked first if
 * toasted, which only a direct call can pass).  The combine function
 * checks a flat first state: the executor copies it from a partial result;
 * a packed one becomes an expanded state.
 */
static void
btyd_state_arg(FunctionCallInfo fcinfo, MemoryContext aggcontext, BtydState *st)
{
	Datum		d = PG_GETARG_DATUM(0);

	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &btyd_eo_methods)
	{
		st->eh = (BtydExpanded *) DatumGetEOHP(d);
		st->h = st->eh->h;
		return;
	}
	st->eh = NULL;
	st->h = (BtydHist *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(st->h))
	{
		st->h = (BtydHist *) PG_DETOAST_DATUM_COPY(d);
		btyd_check_header(st->h);
	}
	if (st->h->version == BTYD_PACKED)
	{
		/*
		 * A worker's flattened state, copied by the executor: an empty
		 * expanded state with the packed cells as its first run.
		 */
		BtydHist   *e = btyd_alloc(0, st->h->kind);

		btyd_check_header(st->h);
		e->flags = st->h->flags;
		e->penalizer = st->h->penalizer;
		st->eh = btyd_expand(aggcontext, e, 0);
		expanded_add_run(st->eh, st->h);
		st->h = st->eh->h;
		pfree(e);
	}
}

/*
 * btyd_state_reserve - make room for at least need cells: repalloc an
 * expanded state; expand a flat one that outgrows BTYD_EXPAND_CELLS; else
 * a larger flat copy in the current context (the executor copies it into
 * the aggregate context and frees the old value).
 */
static void
btyd_state_reserve(BtydState *st, MemoryContext aggcontext, Size need)
{
	BtydHist   *h = st->h;
	int			cap = BTYD_CAPACITY(h);

	if (need <= (Size) cap)
		return;
	if (need > BTYD_MAX_CELLS)
		cells_limit_error();
	cap = Min(Max((Size) cap * 2, need), BTYD_MAX_CELLS);
	if (st->eh)
	{
		st->eh->h = repalloc(h, BTYD_SIZE(cap));
		st->h = st->eh->h;
	}
	else if (cap > BTYD_EXPAND_CELLS)
	{
		st->eh = btyd_expand(aggcontext, h, cap);
		st->h = st->eh->h;
	}
	else
	{
		st->h = (BtydHist *) palloc(BTYD_SIZE(cap));
		memcpy(st->h, h, BTYD_SIZE(h->n));
	}
	SET_VARSIZE(st->h, BTYD_SIZE(cap));
}

/*
 * btyd_state_datum - the state to return.
 */
static Datum
btyd_state_datum(BtydState *st)
{
	return st->eh ? EOHPGetRWDatum(&st->eh->hdr) : PointerGetDatum(st->h);
}

/*
 * btyd_get - the histogram in a datum, flat or expanded (compacted in
 * place then, which leaves its value alone), without a copy unless it is
 * packed.
 */
BtydHist *
btyd_get(Datum d)
{
	BtydHist   *h;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		BtydExpanded *eh = (BtydExpanded *) DatumGetEOHP(d);

		if (eh->hdr.eoh_methods != &btyd_eo_methods)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("expanded value is not a btyd_histogram")));
		expanded_compact(eh);
		return eh->h;
	}
	h = (BtydHist *) PG_DETOAST_DATUM(d);
	if (h->version == BTYD_PACKED)
		h = pk_unpack(h);
	return h;
}

/*
 * btyd_get_packed - btyd_get, except that a packed flat value is returned
 * packed (for the caller to check with btyd_check_header).
 */
static BtydHist *
btyd_get_packed(Datum d)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
		return btyd_get(d);
	return (BtydHist *) PG_DETOAST_DATUM(d);
}

/*
 * btyd_add - append a cell to a state.  When the capacity is used up the
 * cells are compacted, and the allocation doubles only if that frees less
 * than half of it.
 */
static void
btyd_add(BtydState *st, MemoryContext aggcontext, const BtydCell *c)
{
	BtydHist   *h = st->h;
	int			cap = BTYD_CAPACITY(h);

	if (h->n >= cap)
	{
		btyd_compact(h);
		if (h->n > cap / 2)
		{
			/* double (up to the limit; an error if no cell was merged) */
			btyd_state_reserve(st, aggcontext,
							   Max((Size) h->n + 1,
								   Min((Size) cap + 1, BTYD_MAX_CELLS)));
			h = st->h;
		}
	}
	if (h->n == h->nsorted && h->n > 0 && cell_cmp(&h->c[h->n - 1], c) < 0)
		h->nsorted++;
	h->c[h->n++] = *c;
}

/*
 * btyd_canonical - a sorted, merged, trimmed copy.
 */
BtydHist *
btyd_canonical(const BtydHist *h)
{
	BtydHist   *t = btyd_alloc(h->n, h->kind);
	BtydHist   *r;

	memcpy(t->c, h->c, sizeof(BtydCell) * h->n);
	t->n = h->n;
	t->nsorted = h->nsorted;
	t->flags = h->flags;
	t->penalizer = h->penalizer;
	btyd_compact(t);
	if (t->n == BTYD_CAPACITY(t))
		return t;
	r = btyd_alloc(t->n, h->kind);
	memcpy(r->c, t->c, sizeof(BtydCell) * t->n);
	r->n = r->nsorted = t->n;
	r->flags = t->flags;
	r->penalizer = t->penalizer;
	pfree(t);
	return r;
}

/*
 * btyd_check_header - validate the fixed part of a histogram.
 */
void
btyd_check_header(const BtydHist *h)
{
	if (h->version == BTYD_PACKED)
	{
		/* each packed cell takes 9 to 33 bytes */
		if (h->kind < BTYD_BGNBD || h->kind > BTYD_GG || h->n < 0 ||
			h->n > BTYD_MAX_CELLS || h->nsorted != h->n ||
			VARSIZE(h) < BTYD_HDRSZ + (Size) h->n * 9 ||
			VARSIZE(h) > BTYD_HDRSZ + (Size) h->n * 33 ||
			!(h->penalizer >= 0) || !isfinite(h->penalizer))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupt btyd_histogram value")));
		return;
	}
	if (h->version != BTYD_VERSION || h->kind < BTYD_BGNBD || h->kind > BTYD_GG ||
		h->n < 0 || h->n > BTYD_CAPACITY(h) || h->nsorted < 0 || h->nsorted > h->n ||
		!(h->penalizer >= 0) || !isfinite(h->penalizer))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt btyd_histogram value")));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_in);
/*
 * lifecycle_btyd_in - text input:
 * {"kind":K,"penalizer":P,"cells":[[x,y,z,w],...]}, cells strictly
 * ascending in (x, z, y).
 */
Datum
lifecycle_btyd_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "btyd_histogram", BTYD_FORM};
	char		kname[32];
	int			kind = 0;
	int			k;
	float8		pen;
	BtydHist   *h;
	int			cap = 16;
	const char *pos;

	lc_expect(&rd, "{");
	lc_expect(&rd, "\"kind\"");
	lc_expect(&rd, ":");
	pos = rd.p;
	lc_parse_string(&rd, kname, sizeof(kname), "a model kind");
	for (k = BTYD_BGNBD; k <= BTYD_GG; k++)
		if (strcmp(kname, kind_names[k]) == 0)
			kind = k;
	if (kind == 0)
		lc_value_error(&rd, pos, "unknown model kind");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"penalizer\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	pen = lc_parse_float(&rd, "a penalizer");
	if (pen < 0)
		lc_value_error(&rd, pos, "penalizer must not be negative");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"cells\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	h = btyd_alloc(cap, kind);
	h->penalizer = pen;
	if (!lc_accept(&rd, "]"))
	{
		do
		{
			BtydCell	c;

			lc_skip_space(&rd);
			pos = rd.p;
			lc_expect(&rd, "[");
			c.x = lc_parse_float(&rd, "a frequency");
			lc_expect(&rd, ",");
			c.y = lc_parse_float(&rd, "a number");
			lc_expect(&rd, ",");
			c.z = lc_parse_float(&rd, "a number");
			lc_expect(&rd, ",");
			c.w = lc_parse_float(&rd, "a weight");
			lc_expect(&rd, "]");
			btyd_check_cell(kind, &c, ERRCODE_INVALID_PARAMETER_VALUE);
			if (h->n > 0 && cell_cmp(&h->c[h->n - 1], &c) >= 0)
				lc_value_error(&rd, pos, "cells must be distinct and in ascending order");
			if (h->n == BTYD_MAX_CELLS)
				lc_value_error(&rd, pos, "too many cells");
			if (h->n == cap)
			{
				cap *= 2;
				h = (BtydHist *) repalloc(h, BTYD_SIZE(cap));
				SET_VARSIZE(h, BTYD_SIZE(cap));
			}
			h->c[h->n++] = c;
		} while (lc_accept(&rd, ","));
		lc_expect(&rd, "]");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	h->nsorted = h->n;
	if (h->n > 0)
		h->flags |= BTYD_PEN_SET;
	PG_RETURN_POINTER(btyd_canonical(h));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_out);
/*
 * lifecycle_btyd_out - canonical text form (shortest exact floats).
 */
Datum
lifecycle_btyd_out(PG_FUNCTION_ARGS)
{
	BtydHist   *h = btyd_get(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			i;

	btyd_check_header(h);
	h = btyd_canonical(h);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\":\"%s\",\"penalizer\":", kind_names[h->kind]);
	lc_append_float(&buf, h->penalizer);
	appendStringInfoString(&buf, ",\"cells\":[");
	for (i = 0; i < h->n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '[');
		lc_append_float(&buf, h->c[i].x);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, h->c[i].y);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, h->c[i].z);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, h->c[i].w);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_send);
/*
 * lifecycle_btyd_send - binary form: version byte, kind byte, flags byte,
 * penalizer, cell count, then the canonical cells (4 float8 each).
 */
Datum
lifecycle_btyd_send(PG_FUNCTION_ARGS)
{
	BtydHist   *h = btyd_get(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			i;

	btyd_check_header(h);
	h = btyd_canonical(h);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, BTYD_VERSION);
	pq_sendbyte(&buf, h->kind);
	pq_sendbyte(&buf, h->flags & BTYD_PEN_SET);
	pq_sendfloat8(&buf, h->penalizer);
	pq_sendint32(&buf, h->n);
	for (i = 0; i < h->n; i++)
	{
		pq_sendfloat8(&buf, h->c[i].x);
		pq_sendfloat8(&buf, h->c[i].y);
		pq_sendfloat8(&buf, h->c[i].z);
		pq_sendfloat8(&buf, h->c[i].w);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * recv_error - report a malformed binary value.
 */
static void
recv_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary btyd_histogram: %s", what)));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_recv);
/*
 * lifecycle_btyd_recv - binary input; validates everything before use.
 */
Datum
lifecycle_btyd_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				kind,
				flags,
				n,
				i;
	float8		pen;
	BtydHist   *h;

	if (msg->len - msg->cursor < 3 + 8 + 4)
		recv_error("too short");
	version = pq_getmsgbyte(msg);
	if (version != BTYD_VERSION)
		recv_error("unsupported version");
	kind = pq_getmsgbyte(msg);
	if (kind < BTYD_BGNBD || kind > BTYD_GG)
		recv_error("unknown kind");
	flags = pq_getmsgbyte(msg);
	if (flags & ~BTYD_PEN_SET)
		recv_error("unknown flags");
	pen = pq_getmsgfloat8(msg);
	if (!(pen >= 0) || !isfinite(pen))
		recv_error("invalid penalizer");
	n = pq_getmsgint(msg, 4);
	if (n < 0 || n > BTYD_MAX_CELLS || (Size) (msg->len - msg->cursor) != (Size) n * 32)
		recv_error("cell count does not match the length");
	h = btyd_alloc(n, kind);
	h->penalizer = pen;
	h->flags = flags;
	for (i = 0; i < n; i++)
	{
		BtydCell	c;

		c.x = pq_getmsgfloat8(msg);
		c.y = pq_getmsgfloat8(msg);
		c.z = pq_getmsgfloat8(msg);
		c.w = pq_getmsgfloat8(msg);
		if (isinf(c.y) || isinf(c.z) || isinf(c.w))
			recv_error("infinite value");
		btyd_check_cell(kind, &c, ERRCODE_INVALID_BINARY_REPRESENTATION);
		if (i > 0 && cell_cmp(&h->c[i - 1], &c) >= 0)
			recv_error("cells not distinct and ascending");
		h->c[i] = c;
	}
	h->n = h->nsorted = n;
	pq_getmsgend(msg);
	PG_RETURN_POINTER(h);
}

/*
 * get_float_arg - a float8 argument, or false when NULL.
 */
static inline bool
get_float_arg(FunctionCallInfo fcinfo, int argno, float8 *v)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return false;
	*v = PG_GETARG_FLOAT8(argno);
	return true;
}

/*
 * btyd_trans - common transition: add the row (x, y, z [, extra]) to the
 * state; extra is the penalizer (NBD models) or the weight (BG/BB).  Rows
 * with a NULL argument are skipped; Gamma-Gamma skips frequency 0.
 */
static Datum
btyd_trans(FunctionCallInfo fcinfo, int kind)
{
	MemoryContext aggcontext;
	BtydState	st;
	BtydHist   *h;
	BtydCell	c;
	float8		extra = 0;
	bool		has_extra = false;
	int			nin = kind == BTYD_GG ? 2 : 3;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s_fit transition called outside an aggregate", kind_names[kind])));
	if (!get_float_arg(fcinfo, 1, &c.x) || !get_float_arg(fcinfo, 2, &c.y) ||
		(nin == 3 && !get_float_arg(fcinfo, 3, &c.z)))
		goto skip;
	if (nin == 2)
		c.z = 0;
	if (PG_NARGS() > nin + 1)
	{
		if (!get_float_arg(fcinfo, nin + 1, &extra))
			goto skip;
		has_extra = true;
	}
	c.w = 1;
	if (kind == BTYD_BGBB && has_extra)
	{
		if (extra == 0)
			goto skip;
		c.w = extra;
		extra = 0;
		has_extra = false;
	}
	if (kind == BTYD_GG && c.x == 0)
		goto skip;
	btyd_check_cell(kind, &c, ERRCODE_INVALID_PARAMETER_VALUE);
	if (has_extra && (!(extra >= 0) || !isfinite(extra)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be a non-negative finite number, got %g", extra),
				 errhint("Typical penalizers are 0.001 to 0.1; 0 means no penalty.")));

	if (PG_ARGISNULL(0))
	{
		st.eh = NULL;
		st.h = btyd_alloc(64, kind);
	}
	else
		btyd_state_arg(fcinfo, aggcontext, &st);
	h = st.h;
	if (h->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot add %s cells to a %s histogram", kind_names[kind], kind_names[h->kind])));
	if (!(h->flags & BTYD_PEN_SET))
	{
		h->penalizer = extra;
		h->flags |= BTYD_PEN_SET;
	}
	if (h->penalizer != extra)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same on every row (%g and %g)", h->penalizer, extra),
				 errhint("Pass the penalizer as a constant.")));
	btyd_add(&st, aggcontext, &c);
	PG_RETURN_DATUM(btyd_state_datum(&st));

skip:
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_trans);
/* lifecycle_bgnbd_trans - bgnbd_fit transition */
Datum
lifecycle_bgnbd_trans(PG_FUNCTION_ARGS)
{
	return btyd_trans(fcinfo, BTYD_BGNBD);
}

PG_FUNCTION_INFO_V1(lifecycle_mbgnbd_trans);
/* lifecycle_mbgnbd_trans - mbgnbd_fit transition */
Datum
lifecycle_mbgnbd_trans(PG_FUNCTION_ARGS)
{
	return btyd_trans(fcinfo, BTYD_MBGNBD);
}

PG_FUNCTION_INFO_V1(lifecycle_pareto_trans);
/* lifecycle_pareto_trans - pareto_nbd_fit transition */
Datum
lifecycle_pareto_trans(PG_FUNCTION_ARGS)
{
	return btyd_trans(fcinfo, BTYD_PARETO);
}

PG_FUNCTION_INFO_V1(lifecycle_bgbb_trans);
/* lifecycle_bgbb_trans - bgbb_fit transition */
Datum
lifecycle_bgbb_trans(PG_FUNCTION_ARGS)
{
	return btyd_trans(fcinfo, BTYD_BGBB);
}

PG_FUNCTION_INFO_V1(lifecycle_gg_trans);
/* lifecycle_gg_trans - gamma_gamma_fit transition */
Datum
lifecycle_gg_trans(PG_FUNCTION_ARGS)
{
	return btyd_trans(fcinfo, BTYD_GG);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_histogram_final);
/*
 * lifecycle_btyd_histogram_final - final function of the <model>_histogram
 * aggregates: the canonical (sorted, merged, trimmed) form, so that a stored
 * histogram carries no unused capacity.
 */
Datum
lifecycle_btyd_histogram_final(PG_FUNCTION_ARGS)
{
	BtydHist   *h = btyd_get(PG_GETARG_DATUM(0));

	btyd_check_header(h);
	PG_RETURN_POINTER(btyd_canonical(h));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_combine);
/*
 * lifecycle_btyd_combine - merge two partial states (strict: the executor
 * handles NULL states).  The first becomes (or stays) an expanded state in
 * the aggregate context; the second's cells are merged in.  Partial states
 * from workers arrive compacted: packed ones are kept as runs and merged
 * all at once when the state is read, others are merged now.
 */
Datum
lifecycle_btyd_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	BtydState	st;
	BtydHist   *a;
	BtydHist   *b;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("btyd_histogram combine called outside an aggregate")));
	b = btyd_get_packed(PG_GETARG_DATUM(1));
	btyd_check_header(b);
	btyd_state_arg(fcinfo, aggcontext, &st);
	a = st.h;
	if (st.eh == NULL)
		btyd_check_header(a);
	if (a->kind != b->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine %s and %s histograms", kind_names[a->kind], kind_names[b->kind])));
	if ((a->flags & BTYD_PEN_SET) && (b->flags & BTYD_PEN_SET) && a->penalizer != b->penalizer)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be the same on every row (%g and %g)", a->penalizer, b->penalizer),
				 errhint("Pass the penalizer as a constant.")));
	if (b->n > 0 && b->version == BTYD_PACKED)
	{
		/* a worker's flattened state: kept as a run, merged when read */
		if (st.eh == NULL)
			st.eh = btyd_expand(aggcontext, a, a->n);
		expanded_add_run(st.eh, b);
		a = st.h = st.eh->h;
	}
	else if (b->n > 0)
	{
		btyd_compact(a);
		btyd_state_reserve(&st, aggcontext, (Size) a->n + b->n);
		a = st.h;
		if (b->nsorted == b->n)
			merge_sorted(a, b->c, b->n);	/* a worker's flattened state */
		else
		{
			memcpy(a->c + a->n, b->c, sizeof(BtydCell) * b->n);
			a->n += b->n;
			btyd_compact(a);
		}
	}
	if (b->n > 0 && (b->flags & BTYD_PEN_SET))
	{
		a->penalizer = b->penalizer;
		a->flags |= BTYD_PEN_SET;
	}
	PG_RETURN_DATUM(btyd_state_datum(&st));
}

/*
 * btyd_read_model - the parameters of the model value in argument argno
 * (the first fields of its composite, checked positive and finite), which
 * must be of the given kind.
 */
void
btyd_read_model(FunctionCallInfo fcinfo, int argno, int kind, double *par)
{
	ModelSlot  *s = btyd_model_slot(fcinfo, argno);

	if (s->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("expected a %s, got a %s", model_types[kind], model_types[s->kind])));
	memcpy(par, s->par, sizeof(double) * btyd_nparams(kind));
}
