/*-------------------------------------------------------------------------
 *
 * special.c
 *	  Special functions for the model code, all in log space where a value
 *	  can overflow: digamma, log-sum-exp and the Gauss hypergeometric
 *	  function 2F1 for the BTYD predictions.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

/*
 * lc_digamma - psi(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x
 * up to x >= 6, then the asymptotic series (absolute error below 1e-13).
 */
double
lc_digamma(double x)
{
	double		r = 0,
				f;

	while (x < 6)
	{
		r -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	return r + log(x) - 0.5 / x -
		f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

/*
 * lc_logaddexp - log(exp(a) + exp(b)) without overflow; -inf is the
 * log of zero.
 */
double
lc_logaddexp(double a, double b)
{
	double		m = Max(a, b);

	if (m == -INFINITY)
		return -INFINITY;
	return m + log(exp(a - m) + exp(b - m));
}

/*
 * lc_log_hyp2f1 - log of the Gauss hypergeometric function 2F1(a, b; c; z)
 * for a, b, c > 0 and 0 <= z < 1, where every term of the series is
 * positive.  The series is summed in log space with a running maximum, so
 * parameters in the thousands (a customer with thousands of repeat
 * purchases) do not overflow.  Converges like z^k; at most maxterms terms
 * (returns NaN when that is not enough, which the callers report).
 */
double
lc_log_hyp2f1(double a, double b, double c, double z)
{
	const int	maxterms = 200000;
	double		lterm = 0;		/* log of the current term */
	double		m = 0;			/* running maximum of lterm */
	double		s = 1;			/* sum of exp(lterm - m) */
	double		lz;

	if (z == 0)
		return 0;
	if (!(z > 0 && z < 1) || !(a > 0 && b > 0 && c > 0))
		return NAN;

	/*
	 * Fast path in linear space: terms are multiplied by their ratio, and the
	 * sum is rescaled (its scale kept as a log) whenever it grows past 1e250,
	 * so nothing overflows; no log or exp per term.
	 */
	{
		double		term = 1,
					sum = 1,
					lscale = 0;

		for (int k = 0; k < maxterms; k++)
		{
			double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;

			term *= ratio;
			sum += term;
			if (sum > 1e250)
			{
				term /= sum;
				lscale += log(sum);
				sum = 1;
			}
			if (ratio < 1 && term < 1e-17 * sum)
				return lscale + log(sum);
		}
	}

	/* not converged in linear space (cannot happen for z < 1): log space */
	lz = log(z);
	for (int k = 0; k < maxterms; k++)
	{
		lterm += log((a + k) * (b + k) / ((c + k) * (k + 1))) + lz;
		if (lterm > m)
		{
			s = s * exp(m - lterm) + 1;
			m = lterm;
		}
		else
		{
			double		t = exp(lterm - m);

			s += t;
			/* terms shrink geometrically once k is past the peak */
			if (t < 1e-17 * s && (a + k) * (b + k) * z < (c + k) * (k + 1))
				return m + log(s);
		}
	}
	return NAN;
}
