/*-------------------------------------------------------------------------
 *
 * btyd.c
 *	  "Buy till you die" models fitted inside an aggregate: BG/NBD (Fader,
 *	  Hardie and Lee 2005) over (frequency, recency, T) and Gamma-Gamma
 *	  (Fader and Hardie 2013) over (frequency, mean repeat spend).
 *
 * The aggregate state (type btyd_cells) is a histogram of distinct input
 * cells with their counts: customers with the same summary collapse into
 * one cell, states of parallel workers or shards merge by adding counts,
 * and the final function fits the model on the cells.  The fit maximises
 * the mean log-likelihood (minus lifetimes' optional L2 penalty on the
 * parameters) over the logs of the parameters with L-BFGS and an analytic
 * gradient (NLopt), falling back to BOBYQA when L-BFGS stops early; every
 * likelihood term is computed in log space (lgamma, log-sum-exp).  The
 * result says whether the optimum was reached (a vanishing gradient at an
 * interior point); it never hides a failed fit behind numbers.
 *
 * Inside the state, cells are appended unsorted after a sorted prefix and
 * merged (sort, collapse duplicates) when the allocation fills up, so a
 * row costs O(log n) amortised and memory is proportional to the number
 * of distinct cells.
 *
 * Predictions (p_alive, expected purchases, CLV) live in btyd_predict.c.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>
#include <nlopt.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "btyd.h"

#define BTYD_VERSION	1

static const char *const kind_names[] = {"", "bgnbd", "gamma_gamma"};

typedef struct BtydCell
{
	float8		x;				/* frequency (repeat purchase periods) */
	float8		tx;				/* recency; Gamma-Gamma: mean repeat spend */
	float8		t;				/* T (age); Gamma-Gamma: 0 */
	float8		w;				/* customers in the cell */
} BtydCell;

typedef struct BtydCells
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* BTYD_VERSION */
	uint8		kind;			/* BTYD_BGNBD, BTYD_GAMMA_GAMMA */
	uint16		reserved;		/* always 0 */
	int32		n;				/* cells in use */
	int32		nsorted;		/* cells [0, nsorted) sorted and distinct */
	int32		reserved2;		/* always 0 */
	float8		penalizer;		/* L2 penalty coefficient */
	BtydCell	c[FLEXIBLE_ARRAY_MEMBER];
} BtydCells;

#define BTYD_HDRSZ		offsetof(BtydCells, c)
#define BTYD_SIZE(cap)	(BTYD_HDRSZ + (Size) (cap) * sizeof(BtydCell))
#define BTYD_CAPACITY(s) ((int) ((VARSIZE(s) - BTYD_HDRSZ) / sizeof(BtydCell)))
#define BTYD_MAX_CELLS	100000000

/* ----------------------------------------------------------------
 * The histogram
 * ----------------------------------------------------------------
 */

/*
 * CellsAlloc - an empty histogram with room for cap cells.
 */
static BtydCells *
CellsAlloc(int cap, int kind, float8 penalizer)
{
	BtydCells  *s = palloc0(BTYD_SIZE(cap));

	SET_VARSIZE(s, BTYD_SIZE(cap));
	s->version = BTYD_VERSION;
	s->kind = (uint8) kind;
	s->penalizer = penalizer;
	return s;
}

/*
 * CellCmp - order cells by (x, tx, t).
 */
static int
CellCmp(const void *a, const void *b)
{
	const BtydCell *p = a;
	const BtydCell *q = b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	if (p->tx != q->tx)
		return p->tx < q->tx ? -1 : 1;
	if (p->t != q->t)
		return p->t < q->t ? -1 : 1;
	return 0;
}

/*
 * CellsCompact - sort all cells and collapse equal ones (adding counts).
 */
static void
CellsCompact(BtydCells *s)
{
	int			k = 0,
				i = 0,
				j;
	int			nsorted = s->nsorted;
	BtydCell   *out;

	if (nsorted == s->n)
		return;

	/* sort the tail only, then merge it with the sorted prefix */
	qsort(s->c + nsorted, s->n - nsorted, sizeof(BtydCell), CellCmp);
	out = palloc(sizeof(BtydCell) * s->n);
	j = nsorted;
	while (i < nsorted || j < s->n)
	{
		const BtydCell *next;

		if (j >= s->n || (i < nsorted && CellCmp(&s->c[i], &s->c[j]) <= 0))
			next = &s->c[i++];
		else
			next = &s->c[j++];
		if (k > 0 && CellCmp(&out[k - 1], next) == 0)
			out[k - 1].w += next->w;
		else
			out[k++] = *next;
	}
	memcpy(s->c, out, sizeof(BtydCell) * k);
	pfree(out);
	s->n = s->nsorted = k;
}

/*
 * CellsAdd - add w customers with summary (x, tx, t); returns the state or
 * a grown copy (made in the current context; nodeAgg moves it).
 */
static BtydCells *
CellsAdd(BtydCells *s, float8 x, float8 tx, float8 t, float8 w)
{
	int			cap = BTYD_CAPACITY(s);

	/* the common repeat of the last cell */
	if (s->n > 0)
	{
		BtydCell   *last = &s->c[s->n - 1];

		if (last->x == x && last->tx == tx && last->t == t)
		{
			last->w += w;
			return s;
		}
	}
	if (s->n == cap)
	{
		CellsCompact(s);
		if (s->n > cap / 2)
		{
			BtydCells  *g;
			int64		ncap = Max((int64) cap * 2, 16);

			if (ncap > BTYD_MAX_CELLS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("model fit would hold more than %d distinct customer summaries",
								BTYD_MAX_CELLS),
						 errhint("Round recency and T (e.g. to whole days) to collapse summaries.")));
			g = CellsAlloc((int) ncap, s->kind, s->penalizer);
			memcpy(g, s, BTYD_SIZE(s->n));
			SET_VARSIZE(g, BTYD_SIZE(ncap));
			s = g;
		}
	}
	s->c[s->n].x = x;
	s->c[s->n].tx = tx;
	s->c[s->n].t = t;
	s->c[s->n].w = w;
	if (s->nsorted == s->n && (s->n == 0 || CellCmp(&s->c[s->n - 1], &s->c[s->n]) < 0))
		s->nsorted++;
	s->n++;
	return s;
}

/*
 * CellsCheck - validate a histogram read from disk.
 */
static BtydCells *
CellsCheck(BtydCells *s)
{
	if (s->version != BTYD_VERSION || s->kind < BTYD_BGNBD || s->kind > BTYD_GAMMA_GAMMA ||
		s->n < 0 || s->nsorted < 0 || s->nsorted > s->n || s->n > BTYD_CAPACITY(s))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("btyd_cells value is corrupt or of an unknown version")));
	return s;
}

/*
 * StateArg - the transition state in argument 0 (NULL if none), writable.
 */
static BtydCells *
StateArg(FunctionCallInfo fcinfo)
{
	BtydCells  *s;

	if (PG_ARGISNULL(0))
		return NULL;
	s = (BtydCells *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(s))
		s = (BtydCells *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	return CellsCheck(s);
}

/*
 * ArgPenalizer - the optional penalizer argument (0 when absent), checked.
 */
static float8
ArgPenalizer(FunctionCallInfo fcinfo, int argno)
{
	float8		pen;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	pen = PG_GETARG_FLOAT8(argno);
	if (!(pen >= 0) || !isfinite(pen))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer must be a finite number >= 0, got %g", pen),
				 errhint("Typical values are 0 (none) to 0.1.")));
	return pen;
}

/*
 * CheckFrequency - frequency must be a whole number >= 0.
 */
static void
CheckFrequency(float8 x)
{
	if (!isfinite(x) || x < 0 || x != floor(x) || x > 1e9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number >= 0, got %g", x),
				 errhint("frequency counts repeat purchase periods, as btyd_summary() returns it.")));
}

/*
 * lc_btyd_check_summary - validate one (frequency, recency, T) summary
 * (shared with the predictions).
 */
void
lc_btyd_check_summary(float8 x, float8 tx, float8 t)
{
	CheckFrequency(x);
	if (!isfinite(tx) || !isfinite(t) || tx < 0 || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency and t must be finite and >= 0, got %g and %g", tx, t),
				 errhint("Use btyd_summary(p, as_of) to compute them.")));
	if (tx > t)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency (%g) must not exceed t (%g)", tx, t),
				 errhint("recency is the time from the first to the last purchase, t from the first purchase to as_of.")));
	if (x == 0 && tx != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0, got %g", tx),
				 errhint("A customer without repeat purchases has recency 0.")));
}

/*
 * lc_btyd_check_spend - validate one (frequency, monetary) pair of a
 * repeat buyer (shared with the predictions).
 */
void
lc_btyd_check_spend(float8 x, float8 m)
{
	CheckFrequency(x);
	if (!isfinite(m) || (x > 0 && m <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must be a positive finite amount for repeat buyers, got %g", m),
				 errhint("Gamma-Gamma models positive spend: filter out customers whose repeat purchases net to zero or less.")));
}

/*
 * TransCommon - shared transition body: add one customer to the state of
 * the given kind.  Rows with a NULL input are skipped.
 */
static Datum
TransCommon(FunctionCallInfo fcinfo, int kind, int nvals)
{
	BtydCells  *s;
	float8		v[3] = {0, 0, 0};
	float8		pen = ArgPenalizer(fcinfo, nvals + 1);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "%s_fit transition function called in non-aggregate context",
			 kind_names[kind]);
	s = StateArg(fcinfo);
	if (s == NULL)
		s = CellsAlloc(16, kind, pen);
	else if (s->penalizer != pen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalizer changed within one fit (%g, then %g)", s->penalizer, pen),
				 errhint("Pass the same penalizer on every row.")));

	for (int i = 0; i < nvals; i++)
	{
		if (PG_ARGISNULL(i + 1))
			PG_RETURN_POINTER(s);
		v[i] = PG_GETARG_FLOAT8(i + 1);
	}
	if (kind == BTYD_BGNBD)
		lc_btyd_check_summary(v[0], v[1], v[2]);
	else
	{
		lc_btyd_check_spend(v[0], v[1]);
		if (v[0] == 0)
			PG_RETURN_POINTER(s);	/* Gamma-Gamma fits repeat buyers only */
	}
	PG_RETURN_POINTER(CellsAdd(s, v[0], v[1], v[2], 1));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_trans);

/*
 * lifecycle_bgnbd_trans - bgnbd_fit(frequency, recency, t [, penalizer]).
 */
Datum
lifecycle_bgnbd_trans(PG_FUNCTION_ARGS)
{
	return TransCommon(fcinfo, BTYD_BGNBD, 3);
}

PG_FUNCTION_INFO_V1(lifecycle_gg_trans);

/*
 * lifecycle_gg_trans - gamma_gamma_fit(frequency, monetary [, penalizer]).
 */
Datum
lifecycle_gg_trans(PG_FUNCTION_ARGS)
{
	return TransCommon(fcinfo, BTYD_GAMMA_GAMMA, 2);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_merge);

/*
 * lifecycle_btyd_merge - combine function: the union of two histograms.
 * Strict: nodeAgg starts from a copy of the first non-NULL state.
 */
Datum
lifecycle_btyd_merge(PG_FUNCTION_ARGS)
{
	BtydCells  *a;
	BtydCells  *b = CellsCheck((BtydCells *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1)));

	if (AggCheckCallContext(fcinfo, NULL))
		a = StateArg(fcinfo);
	else
		a = CellsCheck((BtydCells *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	if (a->kind != b->kind || a->penalizer != b->penalizer)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine fit states of different models or penalizers"),
				 errhint("Combine states built by the same aggregate with the same penalizer.")));
	for (int i = 0; i < b->n; i++)
		a = CellsAdd(a, b->c[i].x, b->c[i].tx, b->c[i].t, b->c[i].w);
	PG_RETURN_POINTER(a);
}

/* ----------------------------------------------------------------
 * Text and binary forms of btyd_cells
 *
 * Text: {"v":1,"model":"bgnbd","penalizer":0,"cells":[[x,tx,t,count],...]}
 * Binary: uint8 version, uint8 kind, float8 penalizer, int32 n, then n x
 * 4 float8; network order.
 * ----------------------------------------------------------------
 */

/*
 * CellsValidate - invariants of a histogram from text or binary input.
 */
static void
CellsValidate(BtydCells *s, int errcode_)
{
	if (!(s->penalizer >= 0) || !isfinite(s->penalizer))
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid btyd_cells: penalizer must be finite and >= 0")));
	for (int i = 0; i < s->n; i++)
	{
		BtydCell   *c = &s->c[i];
		bool		ok = isfinite(c->x) && c->x >= 0 && c->x == floor(c->x) &&
			isfinite(c->tx) && isfinite(c->t) && isfinite(c->w) && c->w > 0;

		if (ok && s->kind == BTYD_BGNBD)
			ok = c->tx >= 0 && c->tx <= c->t && (c->x > 0 || c->tx == 0);
		if (ok && s->kind == BTYD_GAMMA_GAMMA)
			ok = c->x > 0 && c->tx > 0 && c->t == 0;
		if (!ok)
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid btyd_cells: cell %d is not a valid summary", i + 1)));
	}
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_cells_in);

/*
 * lifecycle_btyd_cells_in - parse the canonical text form.
 */
Datum
lifecycle_btyd_cells_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "btyd_cells",
	"{\"v\":1,\"model\":\"bgnbd\",\"penalizer\":0,\"cells\":[[x,tx,t,count],...]}"};
	BtydCells  *s;
	char		name[16];
	const char *pos;
	int			kind = 0;
	float8		pen;

	lc_expect(&rd, "{");
	lc_expect(&rd, "\"v\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	if (lc_parse_int(&rd, 0, 255, "a version") != BTYD_VERSION)
		lc_value_error(&rd, pos, "unsupported version");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"model\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, name, sizeof(name), "a model name");
	for (int k = BTYD_BGNBD; k <= BTYD_GAMMA_GAMMA; k++)
		if (strcmp(name, kind_names[k]) == 0)
			kind = k;
	if (kind == 0)
		lc_value_error(&rd, pos, "unknown model");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"penalizer\"");
	lc_expect(&rd, ":");
	pen = lc_parse_float(&rd, "a penalizer");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"cells\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	s = CellsAlloc(16, kind, pen);
	if (!lc_accept(&rd, "]"))
	{
		do
		{
			float8		v[4];

			lc_expect(&rd, "[");
			for (int i = 0; i < 4; i++)
			{
				if (i > 0)
					lc_expect(&rd, ",");
				v[i] = lc_parse_float(&rd, "a number");
			}
			lc_expect(&rd, "]");
			if (s->n == BTYD_CAPACITY(s))
			{
				BtydCells  *g = CellsAlloc(s->n * 2, kind, pen);

				memcpy(g, s, BTYD_SIZE(s->n));
				SET_VARSIZE(g, BTYD_SIZE(s->n * 2));
				s = g;
			}
			s->c[s->n].x = v[0];
			s->c[s->n].tx = v[1];
			s->c[s->n].t = v[2];
			s->c[s->n].w = v[3];
			s->n++;
		} while (lc_accept(&rd, ","));
		lc_expect(&rd, "]");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	CellsValidate(s, ERRCODE_INVALID_PARAMETER_VALUE);
	CellsCompact(s);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_cells_out);

/*
 * lifecycle_btyd_cells_out - canonical text form (sorted, collapsed cells,
 * shortest exact floats).
 */
Datum
lifecycle_btyd_cells_out(PG_FUNCTION_ARGS)
{
	BtydCells  *s = CellsCheck((BtydCells *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	StringInfoData buf;

	CellsCompact(s);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"model\":\"%s\",\"penalizer\":", BTYD_VERSION,
					 kind_names[s->kind]);
	lc_append_float(&buf, s->penalizer);
	appendStringInfoString(&buf, ",\"cells\":[");
	for (int i = 0; i < s->n; i++)
	{
		appendStringInfoString(&buf, i > 0 ? ",[" : "[");
		lc_append_float(&buf, s->c[i].x);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, s->c[i].tx);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, s->c[i].t);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, s->c[i].w);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_cells_send);

/*
 * lifecycle_btyd_cells_send - binary output.
 */
Datum
lifecycle_btyd_cells_send(PG_FUNCTION_ARGS)
{
	BtydCells  *s = CellsCheck((BtydCells *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	StringInfoData buf;

	CellsCompact(s);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, BTYD_VERSION);
	pq_sendbyte(&buf, s->kind);
	pq_sendfloat8(&buf, s->penalizer);
	pq_sendint32(&buf, s->n);
	for (int i = 0; i < s->n; i++)
	{
		pq_sendfloat8(&buf, s->c[i].x);
		pq_sendfloat8(&buf, s->c[i].tx);
		pq_sendfloat8(&buf, s->c[i].t);
		pq_sendfloat8(&buf, s->c[i].w);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_cells_recv);

/*
 * lifecycle_btyd_cells_recv - binary input; validates everything and
 * rejects trailing bytes.
 */
Datum
lifecycle_btyd_cells_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	BtydCells  *s;
	int			version,
				kind,
				n;
	float8		pen;

	if (msg->len - msg->cursor < 14)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid btyd_cells: binary value too short")));
	version = pq_getmsgbyte(msg);
	kind = pq_getmsgbyte(msg);
	pen = pq_getmsgfloat8(msg);
	n = pq_getmsgint(msg, 4);
	if (version != BTYD_VERSION || kind < BTYD_BGNBD || kind > BTYD_GAMMA_GAMMA ||
		n < 0 || n > BTYD_MAX_CELLS || (Size) n * 32 != (Size) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid btyd_cells binary value (version, model or length)")));
	s = CellsAlloc(Max(n, 1), kind, pen);
	for (int i = 0; i < n; i++)
	{
		s->c[i].x = pq_getmsgfloat8(msg);
		s->c[i].tx = pq_getmsgfloat8(msg);
		s->c[i].t = pq_getmsgfloat8(msg);
		s->c[i].w = pq_getmsgfloat8(msg);
	}
	s->n = n;
	pq_getmsgend(msg);
	CellsValidate(s, ERRCODE_INVALID_BINARY_REPRESENTATION);
	CellsCompact(s);
	PG_RETURN_POINTER(s);
}

/* ----------------------------------------------------------------
 * Log-likelihoods
 * ----------------------------------------------------------------
 */

/*
 * lc_bgnbd_ll - BG/NBD log-likelihood of one customer (x, tx, T) at
 * (r, alpha, a, b); when grad is not NULL, adds w times the gradient with
 * respect to (r, alpha, a, b) to grad[0..3].
 */
double
lc_bgnbd_ll(double r, double alpha, double a, double b,
			double x, double tx, double t, double w, double *grad)
{
	double		la = log(alpha + t);
	double		a3 = -(r + x) * la;
	double		ll;
	double		d,
				w3 = 1,
				w4 = 0,
				lt = 0;

	ll = lgamma(r + x) - lgamma(r) + r * log(alpha) +
		lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
	if (x > 0)
	{
		double		a4;

		lt = log(alpha + tx);
		a4 = log(a) - log(b + x - 1) - (r + x) * lt;
		d = lc_logaddexp(a3, a4);
		w3 = exp(a3 - d);
		w4 = exp(a4 - d);
	}
	else
		d = a3;
	ll += d;

	if (grad)
	{
		double		pab = lc_digamma(a + b),
					pabx = lc_digamma(a + b + x);

		grad[0] += w * (lc_digamma(r + x) - lc_digamma(r) + log(alpha) - w3 * la - w4 * lt);
		grad[1] += w * (r / alpha - w3 * (r + x) / (alpha + t) -
						(x > 0 ? w4 * (r + x) / (alpha + tx) : 0));
		grad[2] += w * (pab - pabx + (x > 0 ? w4 / a : 0));
		grad[3] += w * (pab + lc_digamma(b + x) - lc_digamma(b) - pabx -
						(x > 0 ? w4 / (b + x - 1) : 0));
	}
	return ll;
}

/*
 * lc_gg_ll - Gamma-Gamma log-likelihood of one repeat buyer (x, m) at
 * (p, q, v); when grad is not NULL, adds w times the gradient.
 */
double
lc_gg_ll(double p, double q, double v, double x, double m, double w, double *grad)
{
	double		px = p * x;
	double		lvxm = log(v + x * m);
	double		ll;

	ll = lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(v) +
		(px - 1) * log(m) + px * log(x) - (px + q) * lvxm;
	if (grad)
	{
		double		ppq = lc_digamma(px + q);

		grad[0] += w * x * (ppq - lc_digamma(px) + log(m) + log(x) - lvxm);
		grad[1] += w * (ppq - lc_digamma(q) + log(v) - lvxm);
		grad[2] += w * (q / v - (px + q) / (v + x * m));
	}
	return ll;
}

/* ----------------------------------------------------------------
 * Fitting
 * ----------------------------------------------------------------
 */

/*
 * The data of one fit, laid out for fast evaluation: cells sorted by
 * frequency (so per-frequency terms are computed once per run of equal x),
 * and for BG/NBD the distinct values of T and recency with each cell's
 * index into them (their logs are computed once per evaluation instead of
 * once per cell).  Gamma-Gamma keeps log(monetary) per cell.
 */
typedef struct FitData
{
	int			kind;
	int			n;				/* cells */
	double	   *x,
			   *tx,
			   *t,
			   *w;
	double	   *lm;				/* Gamma-Gamma: log of mean spend */
	int32	   *it,
			   *itx;			/* BG/NBD: indexes into tv, txv */
	double	   *tv,
			   *txv;			/* distinct T and recency (scaled) */
	int			nt,
				ntx;
	double	   *lt,
			   *invt,
			   *ltx,
			   *invtx;			/* per-evaluation caches */
	double		scale;			/* BG/NBD time scale (max T) */
	double		wsum;			/* customers */
	double		penalizer;
	int			nparams;
} FitData;

/*
 * DoubleCmp - qsort comparator for doubles.
 */
static int
DoubleCmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * DistinctIndex - sorted distinct values of v[0..n) into *out (count
 * returned) and each element's index into idx.
 */
static int
DistinctIndex(const double *v, int n, double **out, int32 *idx)
{
	double	   *sorted = palloc(sizeof(double) * Max(n, 1));
	int			m = 0;

	memcpy(sorted, v, sizeof(double) * n);
	qsort(sorted, n, sizeof(double), DoubleCmp);
	for (int i = 0; i < n; i++)
		if (m == 0 || sorted[m - 1] != sorted[i])
			sorted[m++] = sorted[i];
	for (int i = 0; i < n; i++)
	{
		int			lo = 0,
					hi = m - 1;

		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (sorted[mid] < v[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		idx[i] = lo;
	}
	*out = sorted;
	return m;
}

/*
 * FitDataBuild - the fit data of every stride-th cell of s (weights
 * multiplied by stride, so a subsample stands for the whole), times divided
 * by scale.
 */
static FitData *
FitDataBuild(const BtydCells *s, int stride, double scale)
{
	FitData    *fd = palloc0(sizeof(FitData));
	int			n = (s->n + stride - 1) / stride;

	fd->kind = s->kind;
	fd->n = n;
	fd->scale = scale;
	fd->penalizer = s->penalizer;
	fd->nparams = s->kind == BTYD_BGNBD ? 4 : 3;
	fd->x = palloc(sizeof(double) * Max(n, 1));
	fd->tx = palloc(sizeof(double) * Max(n, 1));
	fd->t = palloc(sizeof(double) * Max(n, 1));
	fd->w = palloc(sizeof(double) * Max(n, 1));
	for (int i = 0, j = 0; i < s->n; i += stride, j++)
	{
		fd->x[j] = s->c[i].x;
		fd->w[j] = s->c[i].w * stride;
		fd->wsum += fd->w[j];
		if (s->kind == BTYD_BGNBD)
		{
			fd->tx[j] = s->c[i].tx / scale;
			fd->t[j] = s->c[i].t / scale;
		}
		else
			fd->tx[j] = s->c[i].tx;
	}
	if (s->kind == BTYD_BGNBD)
	{
		fd->it = palloc(sizeof(int32) * Max(n, 1));
		fd->itx = palloc(sizeof(int32) * Max(n, 1));
		fd->nt = DistinctIndex(fd->t, n, &fd->tv, fd->it);
		fd->ntx = DistinctIndex(fd->tx, n, &fd->txv, fd->itx);
		fd->lt = palloc(sizeof(double) * Max(fd->nt, 1));
		fd->invt = palloc(sizeof(double) * Max(fd->nt, 1));
		fd->ltx = palloc(sizeof(double) * Max(fd->ntx, 1));
		fd->invtx = palloc(sizeof(double) * Max(fd->ntx, 1));
	}
	else
	{
		fd->lm = palloc(sizeof(double) * Max(n, 1));
		for (int j = 0; j < n; j++)
			fd->lm[j] = log(fd->tx[j]);
	}
	return fd;
}

/*
 * BgnbdSum - the weighted BG/NBD log-likelihood of the fit data at th and,
 * when g is not NULL, its gradient with respect to th.  Same terms as
 * lc_bgnbd_ll, with per-frequency and per-time values computed once.
 */
static double
BgnbdSum(FitData *fd, const double *th, double *g)
{
	double		r = th[0],
				alpha = th[1],
				a = th[2],
				b = th[3];
	double		ll = 0;
	double		prevx = -1,
				base = 0,
				la4 = 0,
				dr = 0,
				dab = 0,
				db = 0,
				invb = 0;
	double		lalpha = log(alpha),
				labase = lgamma(a + b) - lgamma(b) - lgamma(r) + r * lalpha,
				pab = lc_digamma(a + b),
				pr = lc_digamma(r),
				pb = lc_digamma(b);

	for (int k = 0; k < fd->nt; k++)
	{
		fd->lt[k] = log(alpha + fd->tv[k]);
		fd->invt[k] = 1 / (alpha + fd->tv[k]);
	}
	for (int k = 0; k < fd->ntx; k++)
	{
		fd->ltx[k] = log(alpha + fd->txv[k]);
		fd->invtx[k] = 1 / (alpha + fd->txv[k]);
	}
	for (int i = 0; i < fd->n; i++)
	{
		double		x = fd->x[i],
					w = fd->w[i],
					rx = r + x,
					a3 = -rx * fd->lt[fd->it[i]],
					d,
					w3 = 1,
					w4 = 0;

		if (x != prevx)
		{
			prevx = x;
			base = labase + lgamma(rx) + lgamma(b + x) - lgamma(a + b + x);
			if (x > 0)
			{
				la4 = log(a) - log(b + x - 1);
				invb = 1 / (b + x - 1);
			}
			if (g)
			{
				dr = lc_digamma(rx) - pr + lalpha;
				dab = pab - lc_digamma(a + b + x);
				db = lc_digamma(b + x) - pb;
			}
		}
		if (x > 0)
		{
			double		a4 = la4 - rx * fd->ltx[fd->itx[i]];
			double		m = Max(a3, a4);
			double		e3 = exp(a3 - m),
						e4 = exp(a4 - m),
						sum = e3 + e4;

			d = m + log(sum);
			w3 = e3 / sum;
			w4 = e4 / sum;
		}
		else
			d = a3;
		ll += w * (base + d);
		if (g)
		{
			g[0] += w * (dr - w3 * fd->lt[fd->it[i]] - w4 * (x > 0 ? fd->ltx[fd->itx[i]] : 0));
			g[1] += w * (r / alpha - w3 * rx * fd->invt[fd->it[i]] -
						 (x > 0 ? w4 * rx * fd->invtx[fd->itx[i]] : 0));
			g[2] += w * (dab + (x > 0 ? w4 / a : 0));
			g[3] += w * (dab + db - (x > 0 ? w4 * invb : 0));
		}
	}
	return ll;
}

/*
 * GgSum - the weighted Gamma-Gamma log-likelihood of the fit data at th
 * and, when g is not NULL, its gradient.
 */
static double
GgSum(FitData *fd, const double *th, double *g)
{
	double		p = th[0],
				q = th[1],
				v = th[2];
	double		ll = 0,
				prevx = -1,
				base = 0,
				dpq = 0,
				dp = 0,
				lx = 0;
	double		lv = log(v),
				lgq = lgamma(q),
				pq = lc_digamma(q);

	for (int i = 0; i < fd->n; i++)
	{
		double		x = fd->x[i],
					w = fd->w[i],
					px = p * x,
					lm = fd->lm[i],
					vxm = v + x * fd->tx[i],
					lvxm = log(vxm);

		if (x != prevx)
		{
			prevx = x;
			lx = log(x);
			base = lgamma(px + q) - lgamma(px) - lgq + q * lv + px * lx;
			if (g)
			{
				dpq = lc_digamma(px + q);
				dp = lc_digamma(px);
			}
		}
		ll += w * (base + (px - 1) * lm - (px + q) * lvxm);
		if (g)
		{
			g[0] += w * x * (dpq - dp + lm + lx - lvxm);
			g[1] += w * (dpq - pq + lv - lvxm);
			g[2] += w * (q / v - (px + q) / vxm);
		}
	}
	return ll;
}

/*
 * Objective - NLopt objective: the mean log-likelihood minus the penalty,
 * as a function of the logs of the parameters, with its gradient.
 */
static double
Objective(unsigned n, const double *u, double *grad, void *arg)
{
	FitData    *fd = arg;
	double		th[4],
				g[4] = {0, 0, 0, 0},
				ll;

	for (unsigned i = 0; i < n; i++)
		th[i] = exp(u[i]);
	if (fd->kind == BTYD_BGNBD)
		ll = BgnbdSum(fd, th, grad ? g : NULL);
	else
		ll = GgSum(fd, th, grad ? g : NULL);
	ll /= fd->wsum;
	for (unsigned i = 0; i < n; i++)
	{
		ll -= fd->penalizer * th[i] * th[i];
		if (grad)
			grad[i] = th[i] * (g[i] / fd->wsum - 2 * fd->penalizer * th[i]);
	}
	if (!isfinite(ll))
		return -HUGE_VAL;
	return ll;
}

/*
 * RunOpt - one NLopt run of the given algorithm from u (updated in place).
 */
static nlopt_result
RunOpt(FitData *fd, nlopt_algorithm alg, double *u, double ftol)
{
	int			n = fd->nparams;
	double		lb[4],
				ub[4],
				f = 0;
	nlopt_opt	opt = nlopt_create(alg, n);
	nlopt_result res;

	for (int i = 0; i < n; i++)
	{
		lb[i] = -30;
		ub[i] = 30;
	}
	nlopt_set_lower_bounds(opt, lb);
	nlopt_set_upper_bounds(opt, ub);
	nlopt_set_max_objective(opt, Objective, fd);
	nlopt_set_ftol_rel(opt, ftol);
	nlopt_set_xtol_rel(opt, 1e-10);
	nlopt_set_maxeval(opt, 3000);
	res = nlopt_optimize(opt, u, &f);
	nlopt_destroy(opt);
	return res;
}

/*
 * Fit - maximise the objective from u (every parameter 1 if not warm
 * started); returns whether the optimum was reached (a vanishing gradient
 * at a point inside the bounds), u updated.
 */
static bool
Fit(FitData *fd, double *u)
{
	int			n = fd->nparams;
	nlopt_result res;
	double		g[4],
				f,
				gmax = 0;
	bool		interior = true;

	res = RunOpt(fd, NLOPT_LD_LBFGS, u, 1e-13);
	if (res < 0 || res == NLOPT_MAXEVAL_REACHED)
	{
		/* polish without derivatives from where L-BFGS stopped, then again */
		RunOpt(fd, NLOPT_LN_BOBYQA, u, 1e-13);
		res = RunOpt(fd, NLOPT_LD_LBFGS, u, 1e-13);
	}
	f = Objective(n, u, g, fd);
	for (int i = 0; i < n; i++)
	{
		gmax = Max(gmax, fabs(g[i]));
		if (u[i] < -29 || u[i] > 29)
			interior = false;
	}
	return isfinite(f) && interior && gmax < 1e-5 && res != NLOPT_FAILURE;
}

/*
 * ModelTuple - the composite result: parameters, log-likelihood,
 * customers, converged.
 */
static Datum
ModelTuple(FunctionCallInfo fcinfo, const double *th, int n, double ll,
		   double customers, bool converged)
{
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "model fit must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	for (int i = 0; i < n; i++)
		values[i] = Float8GetDatum(th[i]);
	values[n] = Float8GetDatum(ll);
	values[n + 1] = Int64GetDatum((int64) customers);
	values[n + 2] = BoolGetDatum(converged);
	if (!isfinite(ll))
		nulls[n] = true;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_final);

/*
 * lifecycle_btyd_final - fit the model of the state's kind and return it.
 * No customers (or only ones the model cannot use): NULL.
 */
Datum
lifecycle_btyd_final(PG_FUNCTION_ARGS)
{
	BtydCells  *s;
	FitData    *fd;
	double		u[4] = {0, 0, 0, 0};
	double		th[4];
	double		ll;
	double		scale = 1;
	bool		conv;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = CellsCheck((BtydCells *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	CellsCompact(s);
	if (s->n == 0)
		PG_RETURN_NULL();
	for (int i = 0; i < s->n && s->kind == BTYD_BGNBD; i++)
		scale = Max(scale, s->c[i].t);

	/*
	 * Many distinct cells: start from the optimum of an evenly spread
	 * subsample (about 20,000 cells standing for all), so the full data
	 * needs only a few evaluations.
	 */
	if (s->n > 40000)
	{
		FitData    *sub = FitDataBuild(s, s->n / 20000, scale);

		RunOpt(sub, NLOPT_LD_LBFGS, u, 1e-8);
	}
	fd = FitDataBuild(s, 1, scale);
	conv = Fit(fd, u);
	for (int i = 0; i < fd->nparams; i++)
		th[i] = exp(u[i]);

	/* back to the data's time units, and the log-likelihood there */
	if (s->kind == BTYD_BGNBD)
	{
		th[1] *= scale;
		ll = 0;
		for (int i = 0; i < s->n; i++)
			ll += s->c[i].w * lc_bgnbd_ll(th[0], th[1], th[2], th[3], s->c[i].x,
										  s->c[i].tx, s->c[i].t, 0, NULL);
	}
	else
		ll = GgSum(fd, th, NULL);
	return ModelTuple(fcinfo, th, fd->nparams, ll, fd->wsum, conv);
}
