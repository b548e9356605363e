/*-------------------------------------------------------------------------
 *
 * special.c
 *	  Special functions for the BTYD models, all in log space where a
 *	  value can overflow: digamma, log beta, softplus and logistic,
 *	  log-sum-exp with sign, and the Gauss hypergeometric series in the
 *	  transformed forms the models use (every argument in [0, 1)).
 *
 *-------------------------------------------------------------------------
 */
#include "btyd.h"

#include <math.h>

/* hypergeometric series stop after this many terms (then NaN) */
#define HYP_MAX_TERMS	100000000L

/*
 * lc_digamma - psi(x) for x > 0: recurrence up to x >= 6, then the
 * asymptotic series (error below 1e-15).
 */
double
lc_digamma(double x)
{
	double		r = 0.0;
	double		f;

	if (!(x > 0.0))
		return NAN;
	while (x < 6.0)
	{
		r -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return r + log(x) - 0.5 / x -
		f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

/*
 * lc_trigamma - psi'(x) for x > 0: recurrence up to x >= 10, then the
 * asymptotic series 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) through B_14
 * (the first omitted term is below 1e-16 there).
 */
double
lc_trigamma(double x)
{
	double		r = 0.0;
	double		f,
				ix,
				s;

	if (!(x > 0.0))
		return NAN;
	while (x < 10.0)
	{
		r += 1.0 / (x * x);
		x += 1.0;
	}
	ix = 1.0 / x;
	f = ix * ix;
	/* Horner form of B_2 f - ... + B_14 f^7, times 1/x */
	s = 7.0 / 6;
	s = 691.0 / 2730 - f * s;
	s = 5.0 / 66 - f * s;
	s = 1.0 / 30 - f * s;
	s = 1.0 / 42 - f * s;
	s = 1.0 / 30 - f * s;
	s = 1.0 / 6 - f * s;
	return r + ix + 0.5 * f + ix * f * s;
}

/*
 * lc_lbeta - log B(a, b) for a, b > 0.
 */
double
lc_lbeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * lc_log1pexp - log(1 + e^d) without overflow.
 */
double
lc_log1pexp(double d)
{
	if (d > 0)
		return d + log1p(exp(-d));
	return log1p(exp(d));
}

/*
 * lc_sigmoid - 1 / (1 + e^-d) without overflow.
 */
double
lc_sigmoid(double d)
{
	if (d >= 0)
		return 1.0 / (1.0 + exp(-d));
	else
	{
		double		e = exp(d);

		return e / (1.0 + e);
	}
}

/*
 * lc_logaddexp - log(e^a + e^b).
 */
double
lc_logaddexp(double a, double b)
{
	if (a == -INFINITY)
		return b;
	if (b == -INFINITY)
		return a;
	if (a > b)
		return a + log1p(exp(b - a));
	return b + log1p(exp(a - b));
}

/*
 * lc_logsubexp - log(e^a - e^b) for a >= b (-inf when equal).
 */
double
lc_logsubexp(double a, double b)
{
	if (b == -INFINITY)
		return a;
	if (b >= a)
		return -INFINITY;
	return a + log(-expm1(b - a));
}

/*
 * lc_hyp2f1_1b - log 2F1(1, b; c; z) for b, c > 0 and 0 <= z < 1.
 *
 * The terms prod_{j<k} (b + j) / (c + j) z^k are positive; once their
 * ratio falls below 1 the remainder is bounded by a geometric series,
 * which decides when to stop.  Terms are scaled so that large b or c do
 * not overflow.
 */
double
lc_hyp2f1_1b(double b, double c, double z)
{
	double		sum = 1.0;
	double		term = 1.0;
	long		k;

	if (z <= 0.0)
		return 0.0;
	for (k = 0; k < HYP_MAX_TERMS; k++)
	{
		double		ratio = (b + k) / (c + k) * z;

		term *= ratio;
		sum += term;
		if (ratio < 1.0 && term * ratio / (1.0 - ratio) < 1e-17 * sum)
			return log(sum);
		if (sum > 1e300)
			break;
	}
	return NAN;
}

/*
 * lc_hyp2f1_m1 - 2F1(a, b; c; z) - 1 for 0 <= z < 1 and c > 0, summed
 * directly (the models call it after an Euler transformation, where
 * c grows with the frequency and a, b stay small).  Stops when a term
 * is negligible past the point where the terms decrease.
 */
double
lc_hyp2f1_m1(double a, double b, double c, double z)
{
	double		sum = 0.0;
	double		comp = 0.0;
	double		term = 1.0;
	long		k;

	if (z <= 0.0)
		return 0.0;
	for (k = 0; k < HYP_MAX_TERMS; k++)
	{
		double		y,
					t;

		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		/* Kahan summation: the terms alternate for negative a or b */
		y = term - comp;
		t = sum + y;
		comp = (t - sum) - y;
		sum = t;
		if (term == 0.0)
			return sum;
		if (k > fabs(a) + fabs(b) + 2 &&
			fabs(term) * z / (1.0 - z) < 1e-17 * (1.0 + fabs(sum)))
			return sum;
		if (!isfinite(sum))
			break;
	}
	return NAN;
}

/*
 * lc_expm1_ratio - (1 - exp(e * lq)) / e, with its limit -lq at e = 0.
 */
double
lc_expm1_ratio(double e, double lq)
{
	if (fabs(e * lq) < 1e-12)
		return -lq * (1.0 + 0.5 * e * lq);
	return -expm1(e * lq) / e;
}

/*
 * lc_hyp2f1_h - H with 2F1(a, b; c; z) = 1 + b H, i.e.
 * sum_{k>=1} (a)_k (b+1)_{k-1} / ((c)_k k!) z^k, for 0 <= z < 1, c > 0:
 * the factor b taken out so that b = 0 (a = 1 in BG/NBD) is exact.
 */
double
lc_hyp2f1_h(double a, double b, double c, double z)
{
	double		term,
				sum,
				zr = z / (1.0 - z);
	double		kmin;
	long		k;

	if (z <= 0.0)
		return 0.0;
	term = a / c * z;
	sum = term;
	kmin = fabs(a) + fabs(b) + 2;
	for (k = 1; k < HYP_MAX_TERMS; k++)
	{
		if (term == 0.0)
			return sum;
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		/* past the largest term the remainder is below term z / (1 - z) */
		if (k > kmin && fabs(term) * zr < 1e-16 * fabs(sum))
			return sum;
		if (!isfinite(sum))
			break;
	}
	return NAN;
}

/*
 * lc_log1p_ratio - log(1 + b h) / b, with its limit h at b = 0.
 */
double
lc_log1p_ratio(double b, double h)
{
	double		y = b * h;

	if (fabs(y) < 1e-10)
		return h * (1.0 - 0.5 * y);
	return log1p(y) / b;
}
