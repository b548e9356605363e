/*-------------------------------------------------------------------------
 *
 * sbg.c
 *	  The shifted-beta-geometric (sBG) model of contractual retention
 *	  (Fader and Hardie 2007, 2010): fits from survivor counts or from
 *	  per-customer (periods_survived, churned) rows with censoring, and the
 *	  model's survival, retention rate, DEL and DERL.
 *
 * T (the period in which a customer churns, 1, 2, ...) is geometric with a
 * churn probability theta ~ Beta(alpha, beta):
 *	  P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
 *	  S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
 *	  r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)
 * A customer who churned after surviving s periods contributes
 * ln P(T = s + 1), one still active after s periods ln S(s).  Survivor
 * counts n_0 >= n_1 >= ... >= n_k mean n_{t-1} - n_t customers churned
 * after t - 1 periods and n_k are censored after k.
 *
 * The log-likelihood is a sum of lgamma differences over the distinct
 * (s, churned) cells; it is maximised over (ln alpha, ln beta) with NLopt's
 * L-BFGS and the analytic gradient (digamma).
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>
#include <nlopt.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* bounds of ln(alpha) and ln(beta) during a fit */
#define SBG_LOG_BOUND	15.0

/* smallest discount rate DEL/DERL accept (the series needs ~37/d terms) */
#define SBG_MIN_DISCOUNT	1e-6

/* the data of a fit: distinct cells s -> (churned, censored) */
typedef struct SbgData
{
	int			n;
	const double *s;
	const double *churned;
	const double *censored;
} SbgData;

/*
 * SbgLogLik - log-likelihood at (alpha, beta) and, when grad is not NULL,
 * its gradient with respect to (ln alpha, ln beta).
 */
static double
SbgLogLik(const SbgData *data, double alpha, double beta, double *grad)
{
	double		ll = 0,
				ga = 0,
				gb = 0;
	double		lab = lgamma(alpha + beta),
				lb = lgamma(beta),
				la = log(alpha);
	double		pab = 0,
				pb = 0;

	if (grad)
	{
		pab = lc_digamma(alpha + beta);
		pb = lc_digamma(beta);
	}
	for (int i = 0; i < data->n; i++)
	{
		double		s = data->s[i];
		double		d = data->churned[i];
		double		c = data->censored[i];
		double		lbs = lgamma(beta + s) - lb;

		if (d > 0)
		{
			/* ln P(T = s + 1) = ln a + lnG(b+s) - lnG(b) + lnG(a+b) - lnG(a+b+s+1) */
			ll += d * (la + lbs + lab - lgamma(alpha + beta + s + 1));
			if (grad)
			{
				double		p1 = lc_digamma(alpha + beta + s + 1);

				ga += d * (1 / alpha + pab - p1);
				gb += d * (lc_digamma(beta + s) - pb + pab - p1);
			}
		}
		if (c > 0 && s > 0)
		{
			/* ln S(s) = lnG(b+s) - lnG(b) + lnG(a+b) - lnG(a+b+s) */
			ll += c * (lbs + lab - lgamma(alpha + beta + s));
			if (grad)
			{
				double		p0 = lc_digamma(alpha + beta + s);

				ga += c * (pab - p0);
				gb += c * (lc_digamma(beta + s) - pb + pab - p0);
			}
		}
	}
	if (grad)
	{
		grad[0] = alpha * ga;
		grad[1] = beta * gb;
	}
	return ll;
}

/*
 * SbgObjective - NLopt objective over (ln alpha, ln beta).
 */
static double
SbgObjective(unsigned n, const double *x, double *grad, void *arg)
{
	double		ll = SbgLogLik((const SbgData *) arg, exp(x[0]), exp(x[1]), grad);

	if (!isfinite(ll))
	{
		if (grad)
			grad[0] = grad[1] = 0;
		return -1e300;
	}
	return ll;
}

/*
 * SbgFit - maximise the log-likelihood; returns (alpha, beta, ll) and
 * whether the fit converged: the gradient is negligible, the optimum is
 * inside the parameter bounds, and the likelihood is curved in both
 * directions there (a ridge, as with a single period of data, or a
 * maximum at infinity, as with a constant churn rate, is not a fit).
 */
static bool
SbgFit(const SbgData *data, double *alpha, double *beta, double *ll)
{
	nlopt_opt	opt;
	double		x[2] = {0, 0};
	double		lb[2] = {-SBG_LOG_BOUND, -SBG_LOG_BOUND};
	double		ub[2] = {SBG_LOG_BOUND, SBG_LOG_BOUND};
	double		best = -HUGE_VAL;
	double		g[2];
	nlopt_result res;
	bool		ok;

	opt = nlopt_create(NLOPT_LD_LBFGS, 2);
	if (opt == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create an NLopt optimizer")));
	nlopt_set_lower_bounds(opt, lb);
	nlopt_set_upper_bounds(opt, ub);
	nlopt_set_max_objective(opt, SbgObjective, (void *) data);
	nlopt_set_ftol_rel(opt, 1e-15);
	nlopt_set_xtol_rel(opt, 1e-12);
	nlopt_set_maxeval(opt, 5000);
	res = nlopt_optimize(opt, x, &best);
	nlopt_destroy(opt);

	/*
	 * L-BFGS sometimes gives up (NLOPT_FAILURE) in flat, badly scaled
	 * regions (a very high or very low churn probability); polish from where
	 * it stopped with a derivative-free method.  Whether the result is a
	 * maximum is decided below from the gradient and the curvature, not from
	 * the optimiser's return code.
	 */
	if (res < 0 && res != NLOPT_ROUNDOFF_LIMITED && isfinite(best))
	{
		opt = nlopt_create(NLOPT_LN_BOBYQA, 2);
		if (opt == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create an NLopt optimizer")));
		nlopt_set_lower_bounds(opt, lb);
		nlopt_set_upper_bounds(opt, ub);
		nlopt_set_max_objective(opt, SbgObjective, (void *) data);
		nlopt_set_xtol_rel(opt, 1e-12);
		nlopt_set_maxeval(opt, 5000);
		res = nlopt_optimize(opt, x, &best);
		nlopt_destroy(opt);
	}

	*alpha = exp(x[0]);
	*beta = exp(x[1]);
	*ll = SbgLogLik(data, *alpha, *beta, g);

	ok = res != NLOPT_INVALID_ARGS && res != NLOPT_OUT_OF_MEMORY && isfinite(*ll) &&
		fabs(x[0]) < SBG_LOG_BOUND - 0.5 && fabs(x[1]) < SBG_LOG_BOUND - 0.5 &&
		fabs(g[0]) + fabs(g[1]) < 1e-4 * Max(1.0, fabs(*ll));
	if (ok)
	{
		/* Hessian in log space by central differences of the gradient */
		double		h = 1e-5,
					H[2][2],
					gp[2],
					gm[2],
					det,
					tr;

		for (int j = 0; j < 2; j++)
		{
			double		xp[2] = {x[0], x[1]},
						xm[2] = {x[0], x[1]};

			xp[j] += h;
			xm[j] -= h;
			SbgLogLik(data, exp(xp[0]), exp(xp[1]), gp);
			SbgLogLik(data, exp(xm[0]), exp(xm[1]), gm);
			H[0][j] = (gp[0] - gm[0]) / (2 * h);
			H[1][j] = (gp[1] - gm[1]) / (2 * h);
		}
		det = H[0][0] * H[1][1] - 0.25 * (H[0][1] + H[1][0]) * (H[0][1] + H[1][0]);
		tr = H[0][0] + H[1][1];
		/* negative definite, and not nearly singular */
		ok = tr < 0 && det > 1e-9 * tr * tr;
	}
	return ok;
}

/*
 * SbgResult - build the sbg_model row.
 */
static Datum
SbgResult(FunctionCallInfo fcinfo, const SbgData *data, int64 customers)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	double		alpha,
				beta,
				ll;
	bool		converged;

	converged = SbgFit(data, &alpha, &beta, &ll);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "sbg fit must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(alpha);
	values[1] = Float8GetDatum(beta);
	values[2] = Float8GetDatum(ll);
	values[3] = Int64GetDatum(customers);
	values[4] = BoolGetDatum(converged);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_fit_array);

/*
 * lifecycle_sbg_fit_array - sbg_fit(survivors bigint[]): fit from the
 * customers still active at the start (n_0) and after each period.
 */
Datum
lifecycle_sbg_fit_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int64	   *v;
	double	   *s,
			   *ch,
			   *ce;
	SbgData		data;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("survivor counts must be a one-dimensional array"),
				 errhint("Fit one cohort per call: ARRAY[n0, n1, ...].")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sbg_fit needs the cohort size and at least one period's survivors"),
				 errhint("Pass ARRAY[n0, n1, ...]: customers at the start, then still active after each period.")));
	v = palloc(sizeof(int64) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("survivor counts must not contain NULL"),
					 errhint("Cut the array at the last period observed.")));
		v[i] = DatumGetInt64(elems[i]);
		if (v[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("survivor counts must not be negative"),
					 errhint("Each entry counts the customers still active after that many periods.")));
		if (i > 0 && v[i] > v[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("survivor counts must not increase: %lld after %lld at period %d",
							(long long) v[i], (long long) v[i - 1], i),
					 errhint("Each entry counts the customers of the starting cohort still active; new customers form a new cohort.")));
	}
	if (v[0] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the cohort must start with at least one customer"),
				 errhint("The first element is the number of customers at the start (period 0).")));

	s = palloc(sizeof(double) * n);
	ch = palloc0(sizeof(double) * n);
	ce = palloc0(sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		s[i] = i;
		if (i + 1 < n)
			ch[i] = (double) (v[i] - v[i + 1]);
		else
			ce[i] = (double) v[i];
	}
	data.n = n;
	data.s = s;
	data.churned = ch;
	data.censored = ce;
	return SbgResult(fcinfo, &data, v[0]);
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_trans);

/*
 * lifecycle_sbg_trans - transition of the sbg_fit(periods_survived,
 * churned) aggregate: counts the row in a survival_curve histogram keyed
 * by periods survived.  STRICT: rows with NULLs are skipped.
 */
Datum
lifecycle_sbg_trans(PG_FUNCTION_ARGS)
{
	LcHist	   *h = lc_hist_trans_state(fcinfo, LCHIST_SURVIVAL);
	int32		periods = PG_GETARG_INT32(1);
	bool		churned = PG_GETARG_BOOL(2);

	if (periods < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods survived must not be negative, got %d", periods),
				 errhint("Count the renewals a customer made: 0 for one who churned in the first period.")));
	PG_RETURN_POINTER(lc_hist_add(h, 0, (float8) periods, churned ? 1 : 0, churned ? 0 : 1));
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_final);

/*
 * lifecycle_sbg_final - final function of the sbg_fit aggregate: the fit,
 * or NULL for an empty group.
 */
Datum
lifecycle_sbg_final(PG_FUNCTION_ARGS)
{
	LcHist	   *h;
	SbgData		data;
	double	   *s,
			   *ch,
			   *ce;
	int64		customers = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = (LcHist *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	lc_hist_check_kind(h, LCHIST_SURVIVAL);
	h = lc_hist_canonical(h);
	if (h->n == 0)
		PG_RETURN_NULL();
	s = palloc(sizeof(double) * h->n);
	ch = palloc(sizeof(double) * h->n);
	ce = palloc(sizeof(double) * h->n);
	for (int i = 0; i < h->n; i++)
	{
		if (h->e[i].key != floor(h->e[i].key) || h->e[i].key > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sBG periods must be whole numbers")));
		s[i] = h->e[i].key;
		ch[i] = (double) h->e[i].a;
		ce[i] = (double) h->e[i].b;
		customers += h->e[i].a + h->e[i].b;
	}
	data.n = h->n;
	data.s = s;
	data.churned = ch;
	data.censored = ce;
	return SbgResult(fcinfo, &data, customers);
}


/* ----------------------------------------------------------------
 * Predictions
 * ----------------------------------------------------------------
 */

/*
 * SbgParams - alpha and beta of an sbg_model argument, validated.
 */
static void
SbgParams(FunctionCallInfo fcinfo, int argno, double *alpha, double *beta)
{
	HeapTupleHeader t = PG_GETARG_HEAPTUPLEHEADER(argno);
	bool		an,
				bn;

	*alpha = DatumGetFloat8(GetAttributeByNum(t, 1, &an));
	*beta = DatumGetFloat8(GetAttributeByNum(t, 2, &bn));
	if (an || bn || !isfinite(*alpha) || !isfinite(*beta) || *alpha <= 0 || *beta <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sbg_model needs finite positive alpha and beta"),
				 errhint("Use the result of sbg_fit, or ROW(alpha, beta, NULL, NULL, NULL)::sbg_model.")));
	{
		bool		cn;
		Datum		conv = GetAttributeByNum(t, 5, &cn);

		if (!cn && !DatumGetBool(conv))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sbg_model comes from a fit that did not converge"),
					 errhint("The data do not identify alpha and beta (no churn, everyone churned at once, or a single period); fit on more periods.")));
	}
}

/*
 * SbgDiscount - a per-period discount rate; returns 1 / (1 + d).
 */
static double
SbgDiscount(float8 d)
{
	if (isnan(d) || d < SBG_MIN_DISCOUNT || d > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount rate must lie between %g and 1, got %g", SBG_MIN_DISCOUNT, d),
				 errhint("The rate is per period and a fraction: 0.1 for 10%% a year with yearly periods.")));
	return 1 / (1 + d);
}

/*
 * DiscountedSurvival - sum over k >= 0 of z^k prod_{i=1..k} (beta + m +
 * i - 1) / (alpha + beta + m + i - 1), which is 2F1(1, beta + m; alpha +
 * beta + m; z).  Every ratio is below z, so the tail after a term t is at
 * most t z / (1 - z); summing stops when that is negligible.
 */
static double
DiscountedSurvival(double alpha, double beta, double m, double z)
{
	double		term = 1,
				sum = 1;

	for (double k = 1;; k++)
	{
		term *= z * (beta + m + k - 1) / (alpha + beta + m + k - 1);
		sum += term;
		if (term * z / (1 - z) < 1e-16 * sum)
			break;
		if (((int64) k & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return sum;
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_survival);

/*
 * lifecycle_sbg_survival - S(t) = B(alpha, beta + t) / B(alpha, beta),
 * the share of a starting cohort still active after t periods.
 */
Datum
lifecycle_sbg_survival(PG_FUNCTION_ARGS)
{
	double		alpha,
				beta;
	int32		t = PG_GETARG_INT32(1);

	SbgParams(fcinfo, 0, &alpha, &beta);
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must not be negative, got %d", t),
				 errhint("S(0) = 1 is the start of the cohort.")));
	PG_RETURN_FLOAT8(exp(lgamma(beta + t) - lgamma(beta) +
						 lgamma(alpha + beta) - lgamma(alpha + beta + t)));
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_retention_rate);

/*
 * lifecycle_sbg_retention_rate - r(t) = S(t) / S(t - 1) = (beta + t - 1)
 * / (alpha + beta + t - 1), the share of those active after t - 1 periods
 * who renew at t.
 */
Datum
lifecycle_sbg_retention_rate(PG_FUNCTION_ARGS)
{
	double		alpha,
				beta;
	int32		t = PG_GETARG_INT32(1);

	SbgParams(fcinfo, 0, &alpha, &beta);
	if (t < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention rate period must be at least 1, got %d", t),
				 errhint("r(1) is the share of new customers who renew the first time.")));
	PG_RETURN_FLOAT8((beta + t - 1) / (alpha + beta + t - 1));
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_del);

/*
 * lifecycle_sbg_del - expected discounted lifetime (in payments of 1 made
 * at the start of each period, the first undiscounted) of a new customer:
 * sum over t >= 0 of S(t) / (1 + d)^t = 2F1(1, beta; alpha + beta; 1/(1+d)).
 */
Datum
lifecycle_sbg_del(PG_FUNCTION_ARGS)
{
	double		alpha,
				beta;
	double		z;

	SbgParams(fcinfo, 0, &alpha, &beta);
	z = SbgDiscount(PG_GETARG_FLOAT8(1));
	PG_RETURN_FLOAT8(DiscountedSurvival(alpha, beta, 0, z));
}

PG_FUNCTION_INFO_V1(lifecycle_sbg_derl);

/*
 * lifecycle_sbg_derl - expected discounted residual lifetime of a customer
 * who has made "renewals" renewals (renewals + 1 payments) and is about to
 * decide on the next: sum over k >= 0 of S(n + k) / S(n - 1) / (1 + d)^k
 * with n = renewals + 1, that is (beta + n - 1) / (alpha + beta + n - 1)
 * 2F1(1, beta + n; alpha + beta + n; 1/(1+d)) (Fader and Hardie 2010).
 * The first of those payments is one period away and discounted once
 * less than in DEL: DEL = 1 + DERL(0) / (1 + d).
 */
Datum
lifecycle_sbg_derl(PG_FUNCTION_ARGS)
{
	double		alpha,
				beta;
	double		z;
	int32		renewals = PG_GETARG_INT32(2);
	double		n;

	SbgParams(fcinfo, 0, &alpha, &beta);
	z = SbgDiscount(PG_GETARG_FLOAT8(1));
	if (renewals < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("renewals must not be negative, got %d", renewals),
				 errhint("A customer who has paid once and not renewed yet has made 0 renewals.")));
	n = (double) renewals + 1;
	PG_RETURN_FLOAT8((beta + n - 1) / (alpha + beta + n - 1) *
					 DiscountedSurvival(alpha, beta, n, z));
}
