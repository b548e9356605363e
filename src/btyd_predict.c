/*-------------------------------------------------------------------------
 *
 * btyd_predict.c
 *	  Predictions of the BTYD models, overloaded by model type:
 *	  p_alive, expected_purchases (unconditional and conditional),
 *	  purchase_probability, expected_spend, customer_value and dert.
 *
 * Units: every time argument (recency, t, horizon, step) is in the unit
 * the model was fitted in (btyd_summary's unit, weeks by default); BG/BB
 * counts transaction opportunities (periods).  Results are computed in
 * log space with the hypergeometric series Euler-transformed so that
 * large frequencies cannot overflow; a prediction that cannot be
 * computed raises an error instead of returning NaN.
 *
 *-------------------------------------------------------------------------
 */
#include "btyd.h"

#include <math.h>

#include "fmgr.h"

/*
 * check_result - a computed prediction must be finite.
 */
static double
check_result(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s could not be computed for these inputs", what),
				 errhint("The series did not converge; use a shorter horizon or check the model's parameters.")));
	return v;
}

/*
 * check_horizon - a horizon must be finite and non-negative.
 */
static void
check_horizon(double t, const char *name)
{
	if (!(t >= 0) || !isfinite(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite and non-negative, got %g", name, t),
				 errhint("Give %s in the time unit the model was fitted in.", name)));
}

/*
 * nbd_log_odds - log of the odds of having dropped out: BG/NBD, MBG/NBD
 * and Pareto/NBD (-inf when the customer is surely alive).
 */
static double
nbd_log_odds(int kind, const double *p, double x, double tx, double T)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];

	switch (kind)
	{
		case BTYD_BGNBD:
			if (x == 0)
				return -INFINITY;
			return log(a) - log(b + x - 1) + (r + x) * (log(al + T) - log(al + tx));
		case BTYD_MBGNBD:
			return log(a) - log(b + x) + (r + x) * (log(al + T) - log(al + tx));
		default:
			{
				double		s = p[2],
							be = p[3];

				return log(s) - log(r + s + x) + (r + x) * log(al + T) + s * log(be + T) +
					btyd_pareto_log_a0(p, x, tx, T);
			}
	}
}

/*
 * bgbb_log_l - log-likelihood of one BG/BB customer (x, tx, n).
 */
static double
bgbb_log_l(const double *p, double x, double tx, double n)
{
	double		al = p[0],
				be = p[1],
				ga = p[2],
				de = p[3];
	double		base = -lc_lbeta(al, be) - lc_lbeta(ga, de);
	double		l = lc_lbeta(al + x, be + n - x) + lc_lbeta(ga, de + n) + base;
	int			j;

	for (j = 0; j < (int) (n - tx); j++)
		l = lc_logaddexp(l, lc_lbeta(al + x, be + tx - x + j) + lc_lbeta(ga + 1, de + tx + j) + base);
	return l;
}

/*
 * nbd_series_params - the hypergeometric parameters of the BG/NBD or
 * MBG/NBD conditional expectation for frequency x.
 */
static void
nbd_series_params(int kind, const double *p, double x, double *A, double *B, double *C)
{
	double		r = p[0],
				a = p[2],
				b = p[3];
	bool		mbg = kind == BTYD_MBGNBD;

	/* Euler-transformed: (1-z)^(a-1) 2F1(A, a-1; C; z) */
	*A = mbg ? a + b - r : a + b - 1 - r;
	*B = a - 1;
	*C = mbg ? a + b + x : a + b + x - 1;
}

/*
 * nbd_series - BG/NBD or MBG/NBD expected purchases in (T, T + t] of a
 * customer with frequency x and age T, given alive: the hypergeometric
 * part of the conditional expectation, which does not involve recency.
 */
static double
nbd_series(int kind, const double *p, double t, double x, double T)
{
	double		A,
				B,
				C;
	double		z = t / (p[1] + T + t);
	double		H,
				u;

	nbd_series_params(kind, p, x, &A, &B, &C);
	H = lc_hyp2f1_h(A, B, C, z);
	u = log1p(-z) + lc_log1p_ratio(B, H);
	return C * lc_expm1_ratio(B, u);
}

/*
 * Series memo.  A scoring query evaluates one model for every customer, but
 * the costly part of the BG/NBD and MBG/NBD conditional expectation, a
 * hypergeometric series, depends on the customer only through (frequency,
 * T); recency enters only the probability of being alive.  Customers who
 * joined on the same day with the same number of repeat purchase days share
 * it: 819k demo customers have about 20 thousand distinct pairs.  SeriesMemo
 * keeps the series values of one call site in a simplehash table keyed
 * by (x, T), valid for one model and one set of horizons.  A remembered
 * value is the very double the computation gives, so results do not depend
 * on row order or on whether the memo was used.  The table stops growing at
 * MEMO_MAX_BYTES and switches itself off when it rarely hits (every customer
 * with a different T).
 */
#define MEMO_MAX_BYTES		(16 * 1024 * 1024)
#define MEMO_TRIAL			20000	/* lookups before judging the hit rate */

/* one remembered (x, T): its values are vals[vi * nval .. + nval) */
typedef struct MemoKey
{
	double		x;
	double		T;
} MemoKey;

typedef struct MemoEntry
{
	MemoKey		key;
	uint32		vi;
	char		status;			/* simplehash's */
} MemoEntry;

/*
 * memo_hash - hash of a (x, T) key's bits.
 */
static inline uint32
memo_hash(double x, double T)
{
	uint64		a,
				b;

	memcpy(&a, &x, sizeof(a));
	memcpy(&b, &T, sizeof(b));
	return lc_hash64(a ^ lc_hash64(b) * UINT64CONST(0x9E3779B97F4A7C15));
}

#define SH_PREFIX memotab
#define SH_ELEMENT_TYPE MemoEntry
#define SH_KEY_TYPE MemoKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) memo_hash((k).x, (k).T)
#define SH_EQUAL(tb, a, b) ((a).x == (b).x && (a).T == (b).T)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct SeriesMemo
{
	MemoryContext cxt;			/* the call site's fn_mcxt */
	int			kind;
	double		par[4];
	double		h1,
				h2;				/* horizon and step (step 0 when unused) */
	int			nval;			/* doubles per entry */
	bool		off;			/* not worth it for this input */
	uint64		lookups,
				hits;
	memotab_hash *table;
	double	   *vals;
	uint32		vcap;			/* entries vals has room for */
} SeriesMemo;

/*
 * memo_get - the call site's memo for this model and these horizons
 * (emptied when they change), or NULL when memoising does not pay.
 */
static SeriesMemo *
memo_get(FunctionCallInfo fcinfo, int kind, const double *p, double h1, double h2,
		 int nval)
{
	void	  **slot = btyd_memo_slot(fcinfo);
	SeriesMemo *m = (SeriesMemo *) *slot;

	if (m == NULL)
	{
		m = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SeriesMemo));
		m->cxt = fcinfo->flinfo->fn_mcxt;
		*slot = m;
	}
	else if (m->kind == kind && memcmp(m->par, p, sizeof(m->par)) == 0 &&
			 m->h1 == h1 && m->h2 == h2 && m->nval == nval)
		return m->off ? NULL : m;
	/* first use, or another model or horizon: start over */
	if (m->table)
	{
		memotab_destroy(m->table);
		pfree(m->vals);
	}
	m->kind = kind;
	memcpy(m->par, p, sizeof(m->par));
	m->h1 = h1;
	m->h2 = h2;
	m->nval = nval;
	m->off = false;
	m->lookups = m->hits = 0;
	m->table = memotab_create(m->cxt, 1024, NULL);
	m->vcap = 1024;
	m->vals = MemoryContextAlloc(m->cxt, sizeof(double) * nval * m->vcap);
	return m;
}

/*
 * memo_lookup - the remembered values of (x, T), or NULL.
 */
static const double *
memo_lookup(SeriesMemo *m, double x, double T)
{
	MemoKey		k = {x, T};
	MemoEntry  *e = memotab_lookup(m->table, k);

	m->lookups++;
	if (e == NULL)
		return NULL;
	m->hits++;
	return &m->vals[(Size) m->nval * e->vi];
}

/*
 * memo_insert - remember the values of (x, T) (not present) while the memo
 * holds less than MEMO_MAX_BYTES; judges the hit rate after MEMO_TRIAL
 * lookups.
 */
static void
memo_insert(SeriesMemo *m, double x, double T, const double *vals)
{
	MemoKey		k = {x, T};
	MemoEntry  *e;
	bool		found;
	uint32		n = m->table->members;

	if (m->lookups >= MEMO_TRIAL && m->hits < m->lookups / 8)
	{
		/* nearly every customer is different: stop paying for the table */
		m->off = true;
		memotab_destroy(m->table);
		pfree(m->vals);
		m->table = NULL;
		m->vals = NULL;
		return;
	}
	if ((Size) (n + 1) * (sizeof(MemoEntry) * 2 + sizeof(double) * m->nval) > MEMO_MAX_BYTES)
		return;					/* full: compute the rest */
	if (n == m->vcap)
	{
		m->vcap *= 2;
		m->vals = repalloc(m->vals, sizeof(double) * m->nval * m->vcap);
	}
	e = memotab_insert(m->table, k, &found);
	e->vi = n;
	memcpy(&m->vals[(Size) m->nval * n], vals, sizeof(double) * m->nval);
}

/*
 * cond_expected_alive - expected purchases in (T, T + t] of a customer
 * with (x, tx, T) whose probability of being alive (NBD models) is alive.
 */
static double
cond_expected_alive(int kind, const double *p, double t, double x, double tx, double T,
					double alive)
{
	if (t == 0)
		return 0;
	switch (kind)
	{
		case BTYD_BGNBD:
		case BTYD_MBGNBD:
			return nbd_series(kind, p, t, x, T) * alive;
		case BTYD_PARETO:
			{
				double		r = p[0],
							al = p[1],
							s = p[2],
							be = p[3];
				double		lq = -log1p(t / (be + T));

				return alive * (r + x) * (be + T) / (al + T) * lc_expm1_ratio(s - 1, lq);
			}
		default:
			{
				double		al = p[0],
							be = p[1],
							ga = p[2],
							de = p[3],
							n = T;
				double		u1 = lgamma(1 + de + n) - lgamma(ga + de + n);
				double		u2 = lgamma(1 + de + n + t) - lgamma(ga + de + n + t);
				double		ratio;

				if (fabs(ga - 1) < 1e-9)
					ratio = lc_digamma(1 + de + n + t) - lc_digamma(1 + de + n);
				else
					ratio = -expm1(u2 - u1) / (ga - 1);
				return exp(lc_lbeta(al + x + 1, be + n - x) - lc_lbeta(al, be) -
						   bgbb_log_l(p, x, tx, n) + log(de) + lgamma(ga + de) -
						   lgamma(1 + de) + u1) * ratio;
			}
	}
}

/*
 * cond_expected - expected purchases in (T, T + t] of a customer with
 * (x, tx, T); with (0, 0, 0) the unconditional E[X(t)].
 */
static double
cond_expected(int kind, const double *p, double t, double x, double tx, double T)
{
	if (t == 0)
		return 0;
	if (kind == BTYD_BGBB)
		return cond_expected_alive(kind, p, t, x, tx, T, 1);
	return cond_expected_alive(kind, p, t, x, tx, T, lc_sigmoid(-nbd_log_odds(kind, p, x, tx, T)));
}

/*
 * get_customer - read and validate (frequency, recency, t) arguments.
 */
static void
get_customer(FunctionCallInfo fcinfo, int argno, int kind, double *x, double *tx, double *T)
{
	*x = PG_GETARG_FLOAT8(argno);
	*tx = PG_GETARG_FLOAT8(argno + 1);
	*T = PG_GETARG_FLOAT8(argno + 2);
	btyd_check_customer(kind, *x, *tx, *T);
}

PG_FUNCTION_INFO_V1(lifecycle_p_alive);
/*
 * lifecycle_p_alive - probability the customer is still alive at T
 * (BG/BB: alive at the next opportunity n + 1).
 */
Datum
lifecycle_p_alive(PG_FUNCTION_ARGS)
{
	int			kind = btyd_model_kind(fcinfo, 0);
	double		p[4],
				x,
				tx,
				T;

	btyd_read_model(fcinfo, 0, kind, p);
	get_customer(fcinfo, 1, kind, &x, &tx, &T);
	if (kind == BTYD_BGBB)
	{
		double		l = lc_lbeta(p[0] + x, p[1] + T - x) - lc_lbeta(p[0], p[1]) +
			lc_lbeta(p[2], p[3] + T + 1) - lc_lbeta(p[2], p[3]) - bgbb_log_l(p, x, tx, T);

		PG_RETURN_FLOAT8(check_result(Min(exp(l), 1.0), "p_alive"));
	}
	PG_RETURN_FLOAT8(check_result(lc_sigmoid(-nbd_log_odds(kind, p, x, tx, T)), "p_alive"));
}

PG_FUNCTION_INFO_V1(lifecycle_expected_purchases);
/*
 * lifecycle_expected_purchases - E[X(t)] for a new customer, or with
 * (frequency, recency, t) the conditional expectation over the next
 * horizon (BG/BB: the next horizon opportunities).
 */
Datum
lifecycle_expected_purchases(PG_FUNCTION_ARGS)
{
	int			kind = btyd_model_kind(fcinfo, 0);
	double		p[4],
				t = PG_GETARG_FLOAT8(1),
				x = 0,
				tx = 0,
				T = 0;

	btyd_read_model(fcinfo, 0, kind, p);
	check_horizon(t, "horizon");
	if (kind == BTYD_BGBB && t != floor(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("BG/BB horizon must be a whole number of periods, got %g", t),
				 errhint("BG/BB counts discrete transaction opportunities.")));
	if (PG_NARGS() > 2)
		get_customer(fcinfo, 2, kind, &x, &tx, &T);
	if ((kind == BTYD_BGNBD || kind == BTYD_MBGNBD) && PG_NARGS() > 2 && t > 0)
	{
		/* as cond_expected, with the series remembered per (x, T) */
		SeriesMemo *m = memo_get(fcinfo, kind, p, t, 0, 1);
		const double *v = m ? memo_lookup(m, x, T) : NULL;
		double		series;

		if (v)
			series = *v;
		else
		{
			series = nbd_series(kind, p, t, x, T);
			if (m)
				memo_insert(m, x, T, &series);
		}
		PG_RETURN_FLOAT8(check_result(series * lc_sigmoid(-nbd_log_odds(kind, p, x, tx, T)),
									  "expected_purchases"));
	}
	PG_RETURN_FLOAT8(check_result(cond_expected(kind, p, t, x, tx, T), "expected_purchases"));
}

/*
 * bgnbd_pmf - P(X(t) = n) of BG/NBD for a new customer.
 */
static double
bgnbd_pmf(const double *p, int n, double t)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		lp = log(al / (al + t)),
				lq = log(t / (al + t));
	double		l1 = lc_lbeta(a, b + n) - lc_lbeta(a, b) + lgamma(r + n) - lgamma(r) -
		lgamma(n + 1.0) + r * lp + n * lq;
	double		ltail,
				sum = 1,
				term = 1,
				q = t / (al + t);
	long		j;

	if (t == 0)
		return n == 0 ? 1 : 0;
	if (n == 0)
		return exp(l1);
	/* P(NB >= n): upper tail summed from pmf(n) on */
	for (j = n; j < 100000000L; j++)
	{
		double		ratio = (r + j) / (j + 1) * q;

		term *= ratio;
		sum += term;
		if (ratio < 1 && term * ratio / (1 - ratio) < 1e-17 * sum)
			break;
	}
	ltail = lgamma(r + n) - lgamma(r) - lgamma(n + 1.0) + r * lp + n * lq + log(sum);
	return exp(l1) + exp(lc_lbeta(a + 1, b + n - 1) - lc_lbeta(a, b) + Min(ltail, 0.0));
}

/*
 * bgbb_pmf - P(X(n) = x) of BG/BB for a new customer over n periods.
 */
static double
bgbb_pmf(const double *p, int x, int n)
{
	double		al = p[0],
				be = p[1],
				ga = p[2],
				de = p[3];
	double		base = -lc_lbeta(al, be) - lc_lbeta(ga, de);
	double		l;
	int			i;

	if (x > n)
		return 0;
	l = lgamma(n + 1.0) - lgamma(x + 1.0) - lgamma(n - x + 1.0) +
		lc_lbeta(al + x, be + n - x) + lc_lbeta(ga, de + n) + base;
	for (i = x; i < n; i++)
		l = lc_logaddexp(l, lgamma(i + 1.0) - lgamma(x + 1.0) - lgamma(i - x + 1.0) +
						 lc_lbeta(al + x, be + i - x) + lc_lbeta(ga + 1, de + i) + base);
	return exp(l);
}

PG_FUNCTION_INFO_V1(lifecycle_purchase_probability);
/*
 * lifecycle_purchase_probability - P(a new customer makes exactly n
 * purchases within horizon): BG/NBD and BG/BB.
 */
Datum
lifecycle_purchase_probability(PG_FUNCTION_ARGS)
{
	int			kind = btyd_model_kind(fcinfo, 0);
	double		p[4];
	int32		n = PG_GETARG_INT32(1);
	double		t = PG_GETARG_FLOAT8(2);

	btyd_read_model(fcinfo, 0, kind, p);
	check_horizon(t, "horizon");
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of purchases must not be negative, got %d", n),
				 errhint("Ask for P(X = n) with n = 0, 1, 2, ...")));
	if (kind == BTYD_BGBB)
	{
		if (t != floor(t) || t > 1e6)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("BG/BB horizon must be a whole number of periods up to 1e6, got %g", t),
					 errhint("BG/BB counts discrete transaction opportunities.")));
		PG_RETURN_FLOAT8(check_result(Min(bgbb_pmf(p, n, (int) t), 1.0), "purchase_probability"));
	}
	if (kind != BTYD_BGNBD)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("purchase_probability is implemented for bgnbd_model and bgbb_model only")));
	PG_RETURN_FLOAT8(check_result(Min(bgnbd_pmf(p, n, t), 1.0), "purchase_probability"));
}

/*
 * gg_expected_spend - E[M | x, m]: for x = 0 the population mean.
 */
static double
gg_expected_spend(const double *g, double x, double m)
{
	double		p = g[0],
				q = g[1],
				gm = g[2];

	if (!(q > 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Gamma-Gamma expected spend needs q > 1, got q = %g", q),
				 errhint("With q <= 1 the mean spend is infinite; refit with more data or a penalizer.")));
	if (x == 0)
		return gm * p / (q - 1);
	return (q - 1) / (p * x + q - 1) * (gm * p / (q - 1)) + p * x / (p * x + q - 1) * m;
}

/*
 * get_spend_args - validate (frequency, monetary).
 */
static void
check_spend(double x, double m)
{
	if (isnan(x) || isnan(m) || x < 0 || x != floor(x) || !isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a non-negative integer, got %g", x),
				 errhint("frequency counts repeat purchases, as btyd_summary returns it.")));
	if (x > 0 && (!(m > 0) || !isfinite(m)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must be positive for repeat buyers, got %g", m),
				 errhint("Gamma-Gamma models the mean spend of repeat purchases; exclude refunds or zero-value orders.")));
}

PG_FUNCTION_INFO_V1(lifecycle_expected_spend);
/*
 * lifecycle_expected_spend - Gamma-Gamma conditional mean spend per
 * purchase; for frequency 0 the population mean p gamma / (q - 1).
 */
Datum
lifecycle_expected_spend(PG_FUNCTION_ARGS)
{
	double		g[3];
	double		x = PG_GETARG_FLOAT8(1),
				m = PG_GETARG_FLOAT8(2);

	btyd_read_model(fcinfo, 0, BTYD_GG, g);
	check_spend(x, m);
	PG_RETURN_FLOAT8(check_result(gg_expected_spend(g, x, m), "expected_spend"));
}

/*
 * nbd_expected_steps - BG/NBD or MBG/NBD conditional expected purchases of
 * a customer who is alive (nbd_series) at the K horizons min(i step,
 * horizon), i = 1..K, in one pass: the series
 * coefficients do not depend on the horizon, so each is computed once and
 * multiplied into every horizon's power of z.
 */
static void
nbd_expected_steps(int kind, const double *p, double x, double T, double step,
				   double horizon, int K, double *out)
{
	double		al = p[1];
	double		A,
				B,
				C;
	double		z[64],
				pw[64],
				h[64];
	double		coef,
				zr,
				kmin;
	int			i;
	long		k;

	nbd_series_params(kind, p, x, &A, &B, &C);
	kmin = fabs(A) + fabs(B) + 2;
	for (i = 0; i < K; i++)
	{
		double		t = Min((i + 1) * step, horizon);

		z[i] = t / (al + T + t);
		pw[i] = z[i];
		h[i] = 0;
	}
	zr = z[K - 1] / (1 - z[K - 1]);
	coef = A / C;
	for (k = 1; k < 100000000L; k++)
	{
		for (i = 0; i < K; i++)
		{
			h[i] += coef * pw[i];
			pw[i] *= z[i];
		}
		if (coef == 0 || (k > kmin && fabs(coef * pw[K - 1]) * zr < 1e-16 * fabs(h[K - 1])))
			break;
		coef *= (A + k) * (B + k) / ((C + k) * (k + 1));
	}
	for (i = 0; i < K; i++)
		out[i] = C * lc_expm1_ratio(B, log1p(-z[i]) + lc_log1p_ratio(B, h[i]));
}

PG_FUNCTION_INFO_V1(lifecycle_customer_value);
/*
 * lifecycle_customer_value - discounted expected value of a customer's
 * purchases over the next horizon:
 *	  sum_{i=1..K} E[M] (E[Y(t_i)] - E[Y(t_{i-1})]) / (1 + d)^i,
 * t_i = min(i step, horizon), K = ceil(horizon / step), with E[Y] the
 * conditional expected purchases and E[M] the Gamma-Gamma expected spend.
 * horizon and step are in the model's time unit; d is the discount rate
 * per step.
 */
Datum
lifecycle_customer_value(PG_FUNCTION_ARGS)
{
	int			kind = btyd_model_kind(fcinfo, 0);
	double		p[4],
				g[3],
				x,
				tx,
				T;
	double		m = PG_GETARG_FLOAT8(5),
				H = PG_GETARG_FLOAT8(6),
				d = PG_GETARG_FLOAT8(7),
				step = PG_GETARG_FLOAT8(8);
	double		spend,
				alive,
				prev = 0,
				value = 0,
				disc = 1;
	double		K;
	long		i;

	btyd_read_model(fcinfo, 0, kind, p);
	btyd_read_model(fcinfo, 1, BTYD_GG, g);
	get_customer(fcinfo, 2, kind, &x, &tx, &T);
	check_spend(x, m);
	check_horizon(H, "horizon");
	if (!(step > 0) || !isfinite(step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be positive and finite, got %g", step),
				 errhint("step is the length of one discounting period in the model's time unit, e.g. 4.345 weeks for a month.")));
	if (!(d >= 0) || !isfinite(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be finite and non-negative, got %g", d),
				 errhint("discount_rate is the rate per step, e.g. 0.01 for 1 %% a month with a monthly step.")));
	K = ceil(H / step - 1e-9);
	if (K > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon / step must be at most 100000 steps, got %g", K),
				 errhint("Use a longer step.")));
	spend = gg_expected_spend(g, x, m);
	/* the survival factor is the same for every step: compute it once */
	alive = lc_sigmoid(-nbd_log_odds(kind, p, x, tx, T));
	if ((kind == BTYD_BGNBD || kind == BTYD_MBGNBD) && K <= 64 && alive > 0)
	{
		double		e[64];
		SeriesMemo *m = memo_get(fcinfo, kind, p, H, step, (int) K);
		const double *v = m ? memo_lookup(m, x, T) : NULL;

		if (v)
			memcpy(e, v, sizeof(double) * (int) K);
		else
		{
			nbd_expected_steps(kind, p, x, T, step, H, (int) K, e);
			if (m)
				memo_insert(m, x, T, e);
		}
		for (i = 1; i <= (long) K; i++)
		{
			double		ei = e[i - 1] * alive;

			disc /= (1 + d);
			value += (ei - prev) * disc;
			prev = ei;
		}
		PG_RETURN_FLOAT8(check_result(spend * value, "customer_value"));
	}
	for (i = 1; i <= (long) K; i++)
	{
		double		ti = Min(i * step, H);
		double		e = alive > 0 ? cond_expected_alive(kind, p, ti, x, tx, T, alive) : 0;

		disc /= (1 + d);
		value += (e - prev) * disc;
		prev = e;
	}
	PG_RETURN_FLOAT8(check_result(spend * value, "customer_value"));
}

PG_FUNCTION_INFO_V1(lifecycle_dert);
/*
 * lifecycle_dert - Pareto/NBD discounted expected residual transactions
 * (FHL 2005 "RFM and CLV"), continuous discount rate delta per time unit:
 * P(alive) (r + x) / (alpha + T) * int_0^inf e^(-delta t) ((beta + T) /
 * (beta + T + t))^s dt.  The integral is a trapezoid rule in log time,
 * whose error is far below double precision for this analytic integrand.
 */
Datum
lifecycle_dert(PG_FUNCTION_ARGS)
{
	double		p[4],
				x,
				tx,
				T;
	double		delta = PG_GETARG_FLOAT8(1);
	double		c,
				integral = 0,
				h = 0.05,
				y;

	btyd_read_model(fcinfo, 0, BTYD_PARETO, p);
	if (!(delta > 0) || !isfinite(delta))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("delta must be positive and finite, got %g", delta),
				 errhint("delta is the continuous discount rate per time unit, e.g. ln(1.15)/52 for 15 %% a year in weeks.")));
	get_customer(fcinfo, 2, BTYD_PARETO, &x, &tx, &T);
	/* (1/delta) int e^-tau (1 + tau/c)^-s dtau, tau = e^y */
	c = delta * (p[3] + T);
	for (y = -40; y <= 4.5; y += h)
	{
		double		tau = exp(y);

		integral += exp(y - tau - p[2] * log1p(tau / c));
	}
	integral *= h / delta;
	PG_RETURN_FLOAT8(check_result(lc_sigmoid(-nbd_log_odds(BTYD_PARETO, p, x, tx, T)) *
								  (p[0] + x) / (p[1] + T) * integral, "dert"));
}
