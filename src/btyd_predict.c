/*-------------------------------------------------------------------------
 *
 * btyd_predict.c
 *	  Predictions of fitted BTYD models: probability alive, expected
 *	  purchases (unconditional and conditional on a customer's history),
 *	  the distribution of purchases, expected spend and discounted customer
 *	  value; plus per-customer log-likelihoods.
 *
 * Time is in the units of the summary the model was fitted on (weeks with
 * btyd_summary's default unit); horizons and discount steps are in those
 * units too.  Every expression is evaluated in log space and checked: a
 * prediction is a finite number or an error, never NaN.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "access/htup_details.h"
#include "executor/executor.h"
#include "utils/builtins.h"

#include "btyd.h"

/*
 * ModelParams - read the first n float8 parameters of a model composite
 * (bgnbd_model, gamma_gamma_model) and check they are positive and
 * finite.
 */
static void
ModelParams(FunctionCallInfo fcinfo, int argno, int n, double *th, const char *model)
{
	HeapTupleHeader t = PG_GETARG_HEAPTUPLEHEADER(argno);

	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		d = GetAttributeByNum(t, i + 1, &isnull);

		th[i] = isnull ? NAN : DatumGetFloat8(d);
		if (!(th[i] > 0) || !isfinite(th[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s has an impossible parameter %d: %g", model, i + 1, th[i]),
					 errhint("Every model parameter must be a positive finite number; use the result of the fit.")));
	}
}

/*
 * CheckHorizon - a horizon (or time span) must be finite and >= 0.
 */
static void
CheckHorizon(double t)
{
	if (!isfinite(t) || t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite number >= 0, got %g", t),
				 errhint("The horizon is in the time unit of the summary the model was fitted on (weeks by default).")));
}

/*
 * Finite - return v, or raise if it is not finite (a numerical failure).
 */
static double
Finite(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s could not be computed in floating point for these inputs", what),
				 errhint("Check the model parameters and the horizon.")));
	return v;
}

/*
 * BgnbdLogDiv - log of (a / (b + x - 1)) ((alpha + T) / (alpha + tx))^(r + x),
 * the odds of having dropped out (-inf for x = 0).
 */
static double
BgnbdLogDiv(const double *m, double x, double tx, double t)
{
	if (x == 0)
		return -INFINITY;
	return log(m[2]) - log(m[3] + x - 1) + (m[0] + x) * (log(m[1] + t) - log(m[1] + tx));
}

/*
 * BgnbdExpected - E[X(h)], purchases of a new customer in (0, h].
 */
static double
BgnbdExpected(const double *m, double h)
{
	double		r = m[0],
				alpha = m[1],
				a = m[2],
				b = m[3];
	double		l2f1,
				inner;

	if (h == 0)
		return 0;
	if (fabs(a - 1) < 1e-9 || a + b - 1 <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are undefined for a BG/NBD model with a = %g, b = %g", a, b),
				 errhint("The formula divides by a - 1 and needs a + b > 1.")));
	l2f1 = lc_log_hyp2f1(r, b, a + b - 1, h / (alpha + h));
	inner = exp(r * (log(alpha) - log(alpha + h)) + l2f1);
	return Finite((a + b - 1) / (a - 1) * (1 - inner), "expected purchases");
}

/*
 * BgnbdConditional - E[Y(h) | x, tx, T], purchases in (T, T + h] of a
 * customer with that history.
 */
static double
BgnbdConditional(const double *m, double h, double x, double tx, double t)
{
	double		r = m[0],
				alpha = m[1],
				a = m[2],
				b = m[3];
	double		l2f1,
				inner,
				num;

	if (h == 0)
		return 0;
	if (fabs(a - 1) < 1e-9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are undefined for a BG/NBD model with a = 1"),
				 errhint("The formula divides by a - 1.")));
	l2f1 = lc_log_hyp2f1(r + x, b + x, a + b + x - 1, h / (alpha + t + h));
	inner = exp((r + x) * (log(alpha + t) - log(alpha + t + h)) + l2f1);
	num = (a + b + x - 1) / (a - 1) * (1 - inner);
	/* divide by 1 + exp(logdiv), in log space */
	return Finite(num * exp(-lc_logaddexp(0, BgnbdLogDiv(m, x, tx, t))),
				  "conditional expected purchases");
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_p_alive);

/*
 * lifecycle_bgnbd_p_alive - p_alive(m, frequency, recency, t): probability
 * that the customer has not dropped out (1 without repeat purchases, a
 * known property of BG/NBD).
 */
Datum
lifecycle_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	double		m[4];
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				t = PG_GETARG_FLOAT8(3);

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	lc_btyd_check_summary(x, tx, t);
	PG_RETURN_FLOAT8(exp(-lc_logaddexp(0, BgnbdLogDiv(m, x, tx, t))));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_expected);

/*
 * lifecycle_bgnbd_expected - expected_purchases(m, horizon): a new
 * customer's expected purchases within horizon.
 */
Datum
lifecycle_bgnbd_expected(PG_FUNCTION_ARGS)
{
	double		m[4];
	double		h = PG_GETARG_FLOAT8(1);

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	CheckHorizon(h);
	PG_RETURN_FLOAT8(BgnbdExpected(m, h));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_conditional);

/*
 * lifecycle_bgnbd_conditional - expected_purchases(m, horizon, frequency,
 * recency, t): expected purchases in the next horizon given the history.
 */
Datum
lifecycle_bgnbd_conditional(PG_FUNCTION_ARGS)
{
	double		m[4];
	double		h = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				t = PG_GETARG_FLOAT8(4);

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	CheckHorizon(h);
	lc_btyd_check_summary(x, tx, t);
	PG_RETURN_FLOAT8(BgnbdConditional(m, h, x, tx, t));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_probability);

/*
 * lifecycle_bgnbd_probability - purchase_probability(m, n, horizon):
 * P(X(horizon) = n) for a new customer (FHL 2005, eq. 8), in log space.
 */
Datum
lifecycle_bgnbd_probability(PG_FUNCTION_ARGS)
{
	double		m[4];
	int32		n = PG_GETARG_INT32(1);
	double		h = PG_GETARG_FLOAT8(2);
	double		r,
				alpha,
				a,
				b,
				lp,
				lq,
				lbab,
				first,
				p;

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	CheckHorizon(h);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of purchases must be >= 0, got %d", n)));
	r = m[0];
	alpha = m[1];
	a = m[2];
	b = m[3];
	if (h == 0)
		PG_RETURN_FLOAT8(n == 0 ? 1.0 : 0.0);
	lp = log(alpha) - log(alpha + h);	/* ln(alpha / (alpha + h)) */
	lq = log(h) - log(alpha + h);	/* ln(h / (alpha + h)) */
	lbab = lgamma(a) + lgamma(b) - lgamma(a + b);
	first = lgamma(a) + lgamma(b + n) - lgamma(a + b + n) - lbab +
		lgamma(r + n) - lgamma(r) - lgamma(n + 1.0) + r * lp + n * lq;
	p = exp(first);
	if (n > 0)
	{
		double		lcoef = lgamma(a + 1) + lgamma(b + n - 1) - lgamma(a + b + n) - lbab;
		double		tail = 0;

		/* 1 - sum_{j<n} NB(j): the NB upper tail, summed term by term */
		for (int j = 0; j < n; j++)
			tail += exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1.0) + r * lp + j * lq);
		p += exp(lcoef) * Max(0.0, 1 - tail);
	}
	PG_RETURN_FLOAT8(Finite(Min(Max(p, 0.0), 1.0), "purchase probability"));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_loglik);

/*
 * lifecycle_bgnbd_loglik - log_likelihood(m, frequency, recency, t): one
 * customer's BG/NBD log-likelihood (sum it for a data set's).
 */
Datum
lifecycle_bgnbd_loglik(PG_FUNCTION_ARGS)
{
	double		m[4];
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				t = PG_GETARG_FLOAT8(3);

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	lc_btyd_check_summary(x, tx, t);
	PG_RETURN_FLOAT8(Finite(lc_bgnbd_ll(m[0], m[1], m[2], m[3], x, tx, t, 0, NULL),
							"log-likelihood"));
}

/*
 * GgExpected - E[M | x, m]: the Gamma-Gamma conditional expected spend per
 * transaction (the population mean v p / (q - 1) for x = 0).
 */
static double
GgExpected(const double *g, double x, double mbar)
{
	double		p = g[0],
				q = g[1],
				v = g[2];

	if (p * x + q - 1 <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend is undefined for q = %g with frequency %g", q, x),
				 errhint("The mean spend of a Gamma-Gamma model exists only for q > 1.")));
	return Finite((v * p + p * x * mbar) / (p * x + q - 1), "expected spend");
}

PG_FUNCTION_INFO_V1(lifecycle_gg_expected_spend);

/*
 * lifecycle_gg_expected_spend - expected_spend(gg, frequency, monetary).
 */
Datum
lifecycle_gg_expected_spend(PG_FUNCTION_ARGS)
{
	double		g[3];
	double		x = PG_GETARG_FLOAT8(1),
				mbar = PG_GETARG_FLOAT8(2);

	ModelParams(fcinfo, 0, 3, g, "gamma_gamma_model");
	lc_btyd_check_spend(x, mbar);
	PG_RETURN_FLOAT8(GgExpected(g, x, x > 0 ? mbar : 0));
}

PG_FUNCTION_INFO_V1(lifecycle_gg_loglik);

/*
 * lifecycle_gg_loglik - log_likelihood(gg, frequency, monetary): one repeat
 * buyer's Gamma-Gamma log-likelihood (NULL for frequency 0, which the
 * model does not use).
 */
Datum
lifecycle_gg_loglik(PG_FUNCTION_ARGS)
{
	double		g[3];
	double		x = PG_GETARG_FLOAT8(1),
				mbar = PG_GETARG_FLOAT8(2);

	ModelParams(fcinfo, 0, 3, g, "gamma_gamma_model");
	lc_btyd_check_spend(x, mbar);
	if (x == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(Finite(lc_gg_ll(g[0], g[1], g[2], x, mbar, 0, NULL), "log-likelihood"));
}

PG_FUNCTION_INFO_V1(lifecycle_customer_value);

/*
 * lifecycle_customer_value - customer_value(m, gg, frequency, recency, t,
 * monetary, horizon, discount_rate, step): expected spend over the next
 * horizon, discounted per step:
 *
 *	 sum over i = 1..ceil(horizon / step) of
 *	   E[M] (E[Y(min(i step, horizon))] - E[Y((i - 1) step)]) / (1 + d)^i
 *
 * horizon and step are in the model's time unit (weeks with the default
 * summary: step 52/12 for monthly discounting), discount_rate is per step.
 */
Datum
lifecycle_customer_value(PG_FUNCTION_ARGS)
{
	double		m[4],
				g[3];
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				t = PG_GETARG_FLOAT8(4),
				mbar = PG_GETARG_FLOAT8(5),
				h = PG_GETARG_FLOAT8(6),
				d = PG_GETARG_FLOAT8(7),
				step = PG_GETARG_FLOAT8(8);
	double		spend,
				value = 0,
				prev = 0;
	int64		nsteps;

	ModelParams(fcinfo, 0, 4, m, "bgnbd_model");
	ModelParams(fcinfo, 1, 3, g, "gamma_gamma_model");
	lc_btyd_check_summary(x, tx, t);
	lc_btyd_check_spend(x, mbar);
	CheckHorizon(h);
	if (!isfinite(step) || step <= 0 || h / step > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be positive and divide the horizon into at most 100000 steps, got %g", step),
				 errhint("With weekly summaries, step 52.0/12 discounts monthly.")));
	if (!isfinite(d) || d < 0 || d > 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be between 0 and 10 per step, got %g", d),
				 errhint("The rate is a fraction per step: 0.01 for 1%% a month.")));
	spend = GgExpected(g, x, x > 0 ? mbar : 0);
	nsteps = (int64) ceil(h / step - 1e-9);
	for (int64 i = 1; i <= nsteps; i++)
	{
		double		cum = BgnbdConditional(m, Min(i * step, h), x, tx, t);

		value += spend * (cum - prev) / pow(1 + d, (double) i);
		prev = cum;
	}
	PG_RETURN_FLOAT8(Finite(value, "customer value"));
}
