/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  RFM scoring (rfm_bins aggregate, rfm_score, rfm_segment) and the net
 *	  promoter score aggregate nps().
 *
 * rfm_bins(recency, frequency, monetary, bins) collects the histogram of
 * distinct values of each dimension (state type rfm_bins_state, an LcHist
 * with tag 0/1/2 = R/F/M; its size is bounded by the number of distinct
 * values, at most the number of customers per dimension, 32 bytes each)
 * and returns the exact quantile edges: for k = 1 .. bins-1 the quantile
 * k/bins with linear interpolation between order statistics (R type 7,
 * pandas qcut, PostgreSQL percentile_cont, computed the way percentile_cont
 * computes it).  A value's score is 1 + the number of edges strictly
 * below it (bins are right-closed, as in qcut and the R rfm package), so
 * equal values always share a score; recency is reversed (score = bins -
 * the number of edges below it), so the most recent customers score
 * highest.
 *
 * Degenerate populations: with every value of a dimension equal all edges
 * equal that value and everyone gets the lowest bin holding it: F = M = 1
 * and R = bins.  With fewer customers than bins the interpolated edges
 * still spread the distinct values over the score range (3 customers
 * 1, 2, 3 in 5 bins score 1, 3, 5).
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

#define RFM_VERSION		1
#define RFM_MIN_BINS	2
#define RFM_MAX_BINS	100

/* the rfm_bins result: quantile edges per dimension */
typedef struct RfmBins
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* RFM_VERSION */
	uint8		reserved[3];	/* always 0 */
	int32		bins;			/* number of scores per dimension */
	int64		customers;		/* customers counted */
	float8		edges[FLEXIBLE_ARRAY_MEMBER];	/* 3 x (bins - 1): R, F, M */
} RfmBins;

#define RFM_HDRSZ			offsetof(RfmBins, edges)
#define RFM_SIZE(bins)		(RFM_HDRSZ + sizeof(float8) * 3 * ((bins) - 1))
#define RFM_EDGES(b, dim)	((b)->edges + (dim) * ((b)->bins - 1))

static const char *const dim_names[3] = {"recency", "frequency", "monetary"};

/*
 * RfmAlloc - an rfm_bins value with room for the edges of "bins" bins.
 */
static RfmBins *
RfmAlloc(int bins)
{
	RfmBins    *b = palloc0(RFM_SIZE(bins));

	SET_VARSIZE(b, RFM_SIZE(bins));
	b->version = RFM_VERSION;
	b->bins = bins;
	return b;
}

/*
 * RfmValidate - invariants of an rfm_bins value read from input.
 */
static void
RfmValidate(const RfmBins *b, int errcode_)
{
	if (b->customers < 1)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid rfm_bins: customers must be at least 1")));
	for (int d = 0; d < 3; d++)
	{
		const float8 *e = RFM_EDGES(b, d);

		for (int k = 0; k < b->bins - 1; k++)
		{
			if (!isfinite(e[k]))
				ereport(ERROR,
						(errcode(errcode_),
						 errmsg("invalid rfm_bins: edges must be finite")));
			if (k > 0 && e[k] < e[k - 1])
				ereport(ERROR,
						(errcode(errcode_),
						 errmsg("invalid rfm_bins: %s edges must not decrease", dim_names[d])));
		}
	}
}

/*
 * GetRfm - argument argno as a validated-format rfm_bins.
 */
static RfmBins *
GetRfm(FunctionCallInfo fcinfo, int argno)
{
	RfmBins    *b = (RfmBins *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));

	if (VARSIZE(b) < RFM_HDRSZ || b->version != RFM_VERSION ||
		b->bins < RFM_MIN_BINS || b->bins > RFM_MAX_BINS ||
		VARSIZE(b) != RFM_SIZE(b->bins))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt rfm_bins value")));
	return b;
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_bins_in);

/*
 * lifecycle_rfm_bins_in - parse
 * {"v":1,"bins":5,"customers":N,"recency":[...],"frequency":[...],"monetary":[...]}.
 */
Datum
lifecycle_rfm_bins_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	ps;
	RfmBins    *b;
	int			bins;
	int64		customers;

	ps.str = ps.p = str;
	ps.typname = "rfm_bins";
	ps.form = "{\"v\":1,\"bins\":5,\"customers\":N,\"recency\":[4 edges],\"frequency\":[...],\"monetary\":[...]}";
	lc_expect(&ps, "{");
	lc_expect(&ps, "\"v\"");
	lc_expect(&ps, ":");
	if (lc_parse_int(&ps, 0, 255, "a version") != RFM_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported rfm_bins version in \"%s\"", str),
				 errhint("This release reads version %d.", RFM_VERSION)));
	lc_expect(&ps, ",");
	lc_expect(&ps, "\"bins\"");
	lc_expect(&ps, ":");
	bins = (int) lc_parse_int(&ps, RFM_MIN_BINS, RFM_MAX_BINS, "a bin count");
	lc_expect(&ps, ",");
	lc_expect(&ps, "\"customers\"");
	lc_expect(&ps, ":");
	customers = lc_parse_int(&ps, 1, PG_INT64_MAX, "a customer count");
	b = RfmAlloc(bins);
	b->customers = customers;
	for (int d = 0; d < 3; d++)
	{
		float8	   *e = RFM_EDGES(b, d);

		lc_expect(&ps, ",");
		lc_expect(&ps, psprintf("\"%s\"", dim_names[d]));
		lc_expect(&ps, ":");
		lc_expect(&ps, "[");
		for (int k = 0; k < bins - 1; k++)
		{
			if (k > 0)
				lc_expect(&ps, ",");
			e[k] = lc_parse_float(&ps, "an edge") + 0.0;	/* -0 is 0 */
		}
		lc_expect(&ps, "]");
	}
	lc_expect(&ps, "}");
	lc_expect_end(&ps);
	RfmValidate(b, ERRCODE_INVALID_PARAMETER_VALUE);
	PG_RETURN_POINTER(b);
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_bins_out);

/*
 * lifecycle_rfm_bins_out - canonical text form (shortest exact floats).
 */
Datum
lifecycle_rfm_bins_out(PG_FUNCTION_ARGS)
{
	RfmBins    *b = GetRfm(fcinfo, 0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"bins\":%d,\"customers\":" INT64_FORMAT,
					 RFM_VERSION, b->bins, b->customers);
	for (int d = 0; d < 3; d++)
	{
		const float8 *e = RFM_EDGES(b, d);

		appendStringInfo(&buf, ",\"%s\":[", dim_names[d]);
		for (int k = 0; k < b->bins - 1; k++)
		{
			if (k > 0)
				appendStringInfoChar(&buf, ',');
			lc_append_float(&buf, e[k]);
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_bins_recv);

/*
 * lifecycle_rfm_bins_recv - binary input: uint8 version, int32 bins, int64
 * customers, then 3 x (bins - 1) float8 edges; nothing may trail.
 */
Datum
lifecycle_rfm_bins_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int32		bins;
	RfmBins    *b;

	/* check the fixed part's length first: a short read is a protocol error */
	if (buf->len - buf->cursor < 13)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm_bins: binary value too short")));
	version = pq_getmsgbyte(buf);
	if (version != RFM_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported rfm_bins binary version %d", version)));
	bins = pq_getmsgint(buf, 4);
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm_bins: %d bins", bins)));
	b = RfmAlloc(bins);
	b->customers = pq_getmsgint64(buf);
	if (buf->len - buf->cursor != 8 * 3 * (bins - 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid rfm_bins: %d bins need %d bytes of edges, %d follow",
						bins, 8 * 3 * (bins - 1), buf->len - buf->cursor)));
	for (int i = 0; i < 3 * (bins - 1); i++)
		b->edges[i] = pq_getmsgfloat8(buf);
	pq_getmsgend(buf);
	RfmValidate(b, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(b);
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_bins_send);

/*
 * lifecycle_rfm_bins_send - binary output.
 */
Datum
lifecycle_rfm_bins_send(PG_FUNCTION_ARGS)
{
	RfmBins    *b = GetRfm(fcinfo, 0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RFM_VERSION);
	pq_sendint32(&buf, b->bins);
	pq_sendint64(&buf, b->customers);
	for (int i = 0; i < 3 * (b->bins - 1); i++)
		pq_sendfloat8(&buf, b->edges[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}


/* ----------------------------------------------------------------
 * rfm_bins aggregate
 * ----------------------------------------------------------------
 */

/*
 * CheckValue - an RFM input must be a finite number.
 */
static inline float8
CheckValue(float8 v, int dim)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, got %g", dim_names[dim], v),
				 errhint("Use NULL for an unknown value: rows with a NULL are skipped.")));
	return v;
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_trans);

/*
 * lifecycle_rfm_trans - count one customer's (recency, frequency,
 * monetary) values.  STRICT: a row with a NULL is skipped.
 */
Datum
lifecycle_rfm_trans(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_trans_state(fcinfo, LCHIST_RFM);
	float8		r = CheckValue(PG_GETARG_FLOAT8(1), 0);
	float8		f = CheckValue(PG_GETARG_FLOAT8(2), 1);
	float8		m = CheckValue(PG_GETARG_FLOAT8(3), 2);
	int32		bins = PG_NARGS() > 4 ? PG_GETARG_INT32(4) : 5;

	if (bins != h->param || h->n == 0)
	{
		if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bins must lie between %d and %d, got %d",
							RFM_MIN_BINS, RFM_MAX_BINS, bins),
					 errhint("5 gives the usual 1-5 scores; 4 gives quartiles.")));
		if (h->n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bins must be the same on every row, got %d and %d",
							h->param, bins)));
		h->param = bins;
	}
	h = lc_hist_add(h, 0, r, 1, 0);
	h = lc_hist_add(h, 1, f, 1, 0);
	h = lc_hist_add(h, 2, m, 1, 0);
	PG_RETURN_POINTER(h);
}

/*
 * DimEdges - the bins - 1 quantile edges of one dimension of a canonical
 * histogram holding n values, computed as percentile_cont does: with
 * h = p (n - 1), lo = value at rank floor(h), hi at ceil(h),
 * edge = lo + (h - floor(h)) (hi - lo).
 */
static void
DimEdges(const LcHist *h, int32 tag, int64 n, int bins, float8 *edges)
{
	int			i = lc_hist_tag_start(h, tag);
	int64		below = 0;		/* values in cells before i */

	for (int k = 1; k < bins; k++)
	{
		float8		p = (float8) k / bins;
		float8		pos = p * (float8) (n - 1);
		int64		first = (int64) floor(pos);
		int64		second = (int64) ceil(pos);
		float8		lo,
					hi;

		/* the cell holding rank "first" (0-based) */
		while (below + h->e[i].a <= first)
			below += h->e[i++].a;
		lo = h->e[i].key;
		if (second == first)
		{
			edges[k - 1] = lo;
			continue;
		}
		hi = (second < below + h->e[i].a) ? lo : h->e[i + 1].key;
		edges[k - 1] = lo + (pos - first) * (hi - lo);
	}
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_final);

/*
 * lifecycle_rfm_final - the quantile edges of the three dimensions; NULL
 * for an empty group.
 */
Datum
lifecycle_rfm_final(PG_FUNCTION_ARGS)
{
	LcHist	   *h;
	RfmBins    *b;
	int64		n = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = (LcHist *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	lc_hist_check_kind(h, LCHIST_RFM);
	if (h->n == 0)
		PG_RETURN_NULL();
	h = lc_hist_canonical(h);
	for (int i = 0; i < h->n && h->e[i].tag == 0; i++)
		n += h->e[i].a;
	b = RfmAlloc(h->param);
	b->customers = n;
	for (int d = 0; d < 3; d++)
		DimEdges(h, d, n, h->param, RFM_EDGES(b, d));
	PG_RETURN_POINTER(b);
}


/* ----------------------------------------------------------------
 * Scoring and segments
 * ----------------------------------------------------------------
 */

/*
 * EdgesBelow - number of edges strictly below v.
 */
static inline int
EdgesBelow(const float8 *e, int nedges, float8 v)
{
	int			lo = 0,
				hi = nedges;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (e[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* the R x F segment map (REFERENCE.md section 6), indexed [r-1][f-1] */
static const char *const segment_map[5][5] = {
	{"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose"},
	{"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose"},
	{"About to Sleep", "About to Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"},
	{"Promising", "Potential Loyalists", "Potential Loyalists", "Loyal Customers", "Loyal Customers"},
	{"New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"}
};

PG_FUNCTION_INFO_V1(lifecycle_rfm_segment);

/*
 * lifecycle_rfm_segment - segment of an (R, F) pair of 1-5 scores.
 */
Datum
lifecycle_rfm_segment(PG_FUNCTION_ARGS)
{
	int32		r = PG_GETARG_INT32(0);
	int32		f = PG_GETARG_INT32(1);

	if (r < 1 || r > 5 || f < 1 || f > 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("RFM segment scores must lie between 1 and 5, got r = %d, f = %d", r, f),
				 errhint("The segment map is defined for 5 bins; use rfm_bins(..., 5).")));
	PG_RETURN_TEXT_P(cstring_to_text(segment_map[r - 1][f - 1]));
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_score);

/*
 * lifecycle_rfm_score - (r, f, m, score, segment) of one customer against
 * the edges: score is the three digits (joined with '-' when bins > 9),
 * segment the R x F map for 5 bins (NULL for other bin counts).
 */
Datum
lifecycle_rfm_score(PG_FUNCTION_ARGS)
{
	RfmBins    *b = GetRfm(fcinfo, 0);
	int			nedges = b->bins - 1;
	float8		r = CheckValue(PG_GETARG_FLOAT8(1), 0);
	float8		f = CheckValue(PG_GETARG_FLOAT8(2), 1);
	float8		m = CheckValue(PG_GETARG_FLOAT8(3), 2);
	int			rs,
				fs,
				ms;
	char		score[40];
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	rs = b->bins - EdgesBelow(RFM_EDGES(b, 0), nedges, r);
	fs = 1 + EdgesBelow(RFM_EDGES(b, 1), nedges, f);
	ms = 1 + EdgesBelow(RFM_EDGES(b, 2), nedges, m);
	if (b->bins <= 9)
		snprintf(score, sizeof(score), "%d%d%d", rs, fs, ms);
	else
		snprintf(score, sizeof(score), "%d-%d-%d", rs, fs, ms);

	/* the blessed row descriptor is built once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "rfm_score must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(oldcxt);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	values[0] = Int32GetDatum(rs);
	values[1] = Int32GetDatum(fs);
	values[2] = Int32GetDatum(ms);
	values[3] = PointerGetDatum(cstring_to_text(score));
	if (b->bins == 5)
		values[4] = PointerGetDatum(cstring_to_text(segment_map[rs - 1][fs - 1]));
	else
		nulls[4] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_segment_of);

/*
 * lifecycle_rfm_segment_of - rfm_segment(bins, recency, frequency): the
 * segment of one customer without building the whole rfm_score row (the
 * cheap form for segment counts over many customers); bins must be 5.
 */
Datum
lifecycle_rfm_segment_of(PG_FUNCTION_ARGS)
{
	RfmBins    *b = GetRfm(fcinfo, 0);
	float8		r = CheckValue(PG_GETARG_FLOAT8(1), 0);
	float8		f = CheckValue(PG_GETARG_FLOAT8(2), 1);
	int			rs,
				fs;

	if (b->bins != 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("RFM segments need 5 bins, got %d", b->bins),
				 errhint("The R x F segment map is defined on 1-5 scores; use rfm_bins(..., 5).")));
	rs = 5 - EdgesBelow(RFM_EDGES(b, 0), 4, r);
	fs = 1 + EdgesBelow(RFM_EDGES(b, 1), 4, f);
	PG_RETURN_TEXT_P(cstring_to_text(segment_map[rs - 1][fs - 1]));
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_edges);

/*
 * lifecycle_rfm_edges - the bins - 1 edges of one dimension ('recency',
 * 'frequency' or 'monetary') as a float8 array.
 */
Datum
lifecycle_rfm_edges(PG_FUNCTION_ARGS)
{
	RfmBins    *b = GetRfm(fcinfo, 0);
	char	   *dim = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Datum	   *d;
	int			which = -1;

	for (int i = 0; i < 3; i++)
		if (strcmp(dim, dim_names[i]) == 0)
			which = i;
	if (which < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown RFM dimension \"%s\"", dim),
				 errhint("Use 'recency', 'frequency' or 'monetary'.")));
	d = palloc(sizeof(Datum) * (b->bins - 1));
	for (int k = 0; k < b->bins - 1; k++)
		d[k] = Float8GetDatum(RFM_EDGES(b, which)[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, b->bins - 1, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(lifecycle_rfm_customers);

/*
 * lifecycle_rfm_customers - customers counted by rfm_bins.
 */
Datum
lifecycle_rfm_customers(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(GetRfm(fcinfo, 0)->customers);
}


/* ----------------------------------------------------------------
 * nps
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(lifecycle_nps_trans);

/*
 * lifecycle_nps_trans - count one 0-10 answer.  STRICT: NULLs skipped.
 */
Datum
lifecycle_nps_trans(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_trans_state(fcinfo, LCHIST_NPS);
	int32		score = PG_GETARG_INT32(1);

	if (score < 0 || score > 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("net promoter answers lie between 0 and 10, got %d", score),
				 errhint("Map other scales to 0-10 first, or filter invalid answers out.")));
	PG_RETURN_POINTER(lc_hist_add(h, 0, (float8) score, 1, 0));
}

PG_FUNCTION_INFO_V1(lifecycle_nps_final);

/*
 * lifecycle_nps_final - 100 x (promoters (9-10) - detractors (0-6)) /
 * answers, between -100 and 100; NULL without answers.
 */
Datum
lifecycle_nps_final(PG_FUNCTION_ARGS)
{
	LcHist	   *h;
	int64		total = 0,
				promoters = 0,
				detractors = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = (LcHist *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	lc_hist_check_kind(h, LCHIST_NPS);
	for (int i = 0; i < h->n; i++)
	{
		total += h->e[i].a;
		if (h->e[i].key >= 9)
			promoters += h->e[i].a;
		else if (h->e[i].key <= 6)
			detractors += h->e[i].a;
	}
	if (total == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(100.0 * (double) (promoters - detractors) / (double) total);
}
