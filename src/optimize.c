/*-------------------------------------------------------------------------
 *
 * optimize.c
 *	  BTYD model fits: the log-likelihoods of BG/NBD, MBG/NBD, Pareto/NBD,
 *	  BG/BB and Gamma-Gamma over a histogram of distinct cells, and their
 *	  maximisation with NLopt in log-parameter space; the final functions
 *	  of the fitting aggregates.
 *
 * Every likelihood term is computed in log space (lgamma, log-sum-exp,
 * the hypergeometric series after an Euler transformation), so large
 * frequencies do not overflow.  BG/NBD, MBG/NBD, BG/BB and Gamma-Gamma
 * have analytic gradients and are fitted with L-BFGS; Pareto/NBD (whose
 * gradient would need derivatives of 2F1 in its parameters) and any fit
 * where L-BFGS stops short of a stationary point are fitted or polished
 * with the derivative-free BOBYQA.  A fit is "converged" when no
 * parameter sits on its bound, the gradient of the per-customer
 * objective (in log parameters) is below 1e-5 (1e-4 for the
 * finite-difference gradient of Pareto/NBD) and the Hessian is positive
 * definite (a strict local maximum: data that cannot identify the
 * parameters, such as no repeat purchases at all, say converged = false).  Standard errors come from
 * the inverse Hessian of the total log-likelihood in log-parameter space
 * (delta method), NULL when that Hessian is not positive definite.
 *
 *-------------------------------------------------------------------------
 */
#include "btyd.h"

#include <math.h>
#include <nlopt.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#define MAXPAR		4
#define LOGBOUND	25.0		/* parameters within e^-25 .. e^25 */

/* ----------------------------------------------------------------
 * Likelihoods
 * ----------------------------------------------------------------
 */

typedef struct FitData
{
	int			kind;
	int			np;
	const BtydCell *c;
	int			n;
	double		wsum;
	double		pen;
	/* groups of cells with equal x (cells sorted by x first) */
	int			ng;
	int		   *gstart;			/* ng + 1 entries */
	double	   *gw;				/* weight of each group */
	double	   *gaux;			/* GG: sum of w ln m per group */
	/* NBD models: distinct recency / T values, per-cell indexes */
	int			nv;
	double	   *v;
	int		   *iy;
	int		   *iz;
	double	   *lv;				/* scratch: ln(alpha + v) */
	double	   *iv;				/* scratch: 1 / (alpha + v) */
	/* GG: sums of w / u and w / u^2 per group from the last gradient */
	double	   *gsi;
	double	   *gsi2;
	double		hpar[MAXPAR];	/* the parameters of those sums */
	bool		hvalid;
	/* the last log-likelihood computed and its parameters */
	double		last_par[MAXPAR];
	double		last_ll;
	bool		have_last;
	double		best_f;
	int			nevals;
	bool		warm;			/* started near the optimum */
	double		best_x[MAXPAR];
} FitData;

/*
 * ll_bgnbd - BG/NBD (mbg = false) or MBG/NBD (mbg = true) log-likelihood
 * and its gradient in the natural parameters (r, alpha, a, b).
 */
static double
ll_bgnbd(FitData *fd, const double *p, double *g, bool mbg)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		ll = 0;
	double		gr = 0,
				gal = 0,
				ga = 0,
				gb = 0;
	double		lnal = log(al),
				lna = log(a);
	double		lgr = lgamma(r),
				lgb = lgamma(b),
				lgab = lgamma(a + b);
	double		pr = g ? lc_digamma(r) : 0,
				pb = g ? lc_digamma(b) : 0,
				pab = g ? lc_digamma(a + b) : 0;
	int			j,
				k;

	for (j = 0; j < fd->nv; j++)
	{
		fd->lv[j] = log(al + fd->v[j]);
		fd->iv[j] = 1.0 / (al + fd->v[j]);
	}
	for (k = 0; k < fd->ng; k++)
	{
		int			s = fd->gstart[k],
					e = fd->gstart[k + 1];
		double		x = fd->c[s].x;
		double		W = fd->gw[k];
		double		rx = r + x;
		double		bx = mbg ? b + x + 1 : b + x;	/* the Gamma(b + x [+1]) argument */
		double		den = mbg ? b + x : b + x - 1;	/* denominator of a/(b+x-1) */
		bool		mix = mbg || x > 0;
		double		cst = mix ? lna - log(den) : 0;
		double		SL = 0,
					SI = 0,
					Ss = 0,
					Sll = 0;
		int			i;

		ll += W * (lgamma(rx) - lgr + r * lnal + lgab + lgamma(bx) - lgb - lgamma(a + bx));
		for (i = s; i < e; i++)
		{
			double		w = fd->c[i].w;
			double		LT = fd->lv[fd->iz[i]];

			if (mix)
			{
				double		Ly = fd->lv[fd->iy[i]];
				double		d = cst + rx * (LT - Ly);
				/* softplus and logistic of d from one exponential */
				double		e = exp(-fabs(d));
				double		sg = d >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);

				Sll += w * (-rx * LT + (d > 0 ? d : 0) + log1p(e));
				if (g)
				{
					SL += w * ((1 - sg) * LT + sg * Ly);
					SI += w * ((1 - sg) * fd->iv[fd->iz[i]] + sg * fd->iv[fd->iy[i]]);
					Ss += w * sg;
				}
			}
			else
			{
				Sll -= w * rx * LT;
				if (g)
				{
					SL += w * LT;
					SI += w * fd->iv[fd->iz[i]];
				}
			}
		}
		ll += Sll;
		if (g)
		{
			double		pabx = lc_digamma(a + bx);

			gr += W * (lc_digamma(rx) - pr + lnal) - SL;
			gal += W * r / al - rx * SI;
			ga += W * (pab - pabx) + Ss / a;
			gb += W * (pab + lc_digamma(bx) - pb - pabx) - (mix ? Ss / den : 0);
		}
	}
	if (g)
	{
		g[0] = gr;
		g[1] = gal;
		g[2] = ga;
		g[3] = gb;
	}
	return ll;
}

/*
 * btyd_pareto_log_a0 - ln A0 of the Pareto/NBD likelihood (FH note 009),
 * with the hypergeometric functions Euler-transformed to 2F1(1, .; .; z)
 * whose terms are positive and decreasing; -inf when recency = T.
 */
double
btyd_pareto_log_a0(const double *par, double x, double tx, double T)
{
	double		r = par[0],
				al = par[1],
				s = par[2],
				be = par[3];
	double		rho = r + s + x;
	double		m,
				diff,
				expo,
				bb,
				z1,
				z2,
				t1,
				t2;

	if (tx >= T)
		return -INFINITY;
	if (al >= be)
	{
		m = al;
		diff = al - be;
		expo = -s;				/* (1 - z)^(c - a - b) */
		bb = r + x;
	}
	else
	{
		m = be;
		diff = be - al;
		expo = 1 - r - x;
		bb = s + 1;
	}
	z1 = diff / (m + tx);
	z2 = diff / (m + T);
	t1 = expo * log1p(-z1) + lc_hyp2f1_1b(bb, rho + 1, z1) - rho * log(m + tx);
	t2 = expo * log1p(-z2) + lc_hyp2f1_1b(bb, rho + 1, z2) - rho * log(m + T);
	return lc_logsubexp(t1, t2);
}

/*
 * ll_pareto - Pareto/NBD log-likelihood (no gradient).
 */
static double
ll_pareto(FitData *fd, const double *p)
{
	double		r = p[0],
				al = p[1],
				s = p[2],
				be = p[3];
	double		ll = 0;
	double		base = r * log(al) + s * log(be) - lgamma(r);
	int			k,
				i;

	for (k = 0; k < fd->ng; k++)
	{
		int			st = fd->gstart[k],
					e = fd->gstart[k + 1];
		double		x = fd->c[st].x;
		double		rho = r + s + x;

		ll += fd->gw[k] * (lgamma(r + x) + base);
		for (i = st; i < e; i++)
		{
			double		tx = fd->c[i].y,
						T = fd->c[i].z;
			double		t1 = -(r + x) * log(al + T) - s * log(be + T);
			double		la0 = btyd_pareto_log_a0(p, x, tx, T);

			ll += fd->c[i].w * lc_logaddexp(t1, log(s) + la0 - log(rho));
		}
	}
	return ll;
}

/*
 * ll_bgbb - BG/BB log-likelihood and gradient in (alpha, beta, gamma,
 * delta); each cell is a log-sum-exp over its n - t_x + 1 terms.
 */
static double
ll_bgbb(FitData *fd, const double *p, double *g)
{
	double		al = p[0],
				be = p[1],
				ga = p[2],
				de = p[3];
	double		lab = lc_lbeta(al, be),
				lgd = lc_lbeta(ga, de);
	double		pa = lc_digamma(al),
				pb = lc_digamma(be),
				pab = lc_digamma(al + be);
	double		pg = lc_digamma(ga),
				pd = lc_digamma(de),
				pgd = lc_digamma(ga + de),
				pg1 = lc_digamma(ga + 1);
	double		ll = 0;
	int			i;

	if (g)
		g[0] = g[1] = g[2] = g[3] = 0;
	for (i = 0; i < fd->n; i++)
	{
		double		x = fd->c[i].x,
					tx = fd->c[i].y,
					n = fd->c[i].z,
					w = fd->c[i].w;
		int			nt = (int) (n - tx);
		double		lmax,
					sum = 0,
					d[4] = {0, 0, 0, 0};
		double		t0;
		double		pax = g ? lc_digamma(al + x) : 0;
		int			j;

		/* term 0: alive through all n opportunities */
		t0 = lc_lbeta(al + x, be + n - x) - lab + lc_lbeta(ga, de + n) - lgd;
		lmax = t0;
		for (j = 0; j < nt; j++)
		{
			double		tj = lc_lbeta(al + x, be + tx - x + j) - lab +
				lc_lbeta(ga + 1, de + tx + j) - lgd;

			lmax = Max(lmax, tj);
		}
		/* second pass: weights and gradient */
		for (j = -1; j < nt; j++)
		{
			double		tj,
						e;

			if (j < 0)
				tj = t0;
			else
				tj = lc_lbeta(al + x, be + tx - x + j) - lab +
					lc_lbeta(ga + 1, de + tx + j) - lgd;
			e = exp(tj - lmax);
			sum += e;
			if (g)
			{
				if (j < 0)
				{
					double		pabn = lc_digamma(al + be + n);
					double		pgdn = lc_digamma(ga + de + n);

					d[0] += e * (pax - pabn - pa + pab);
					d[1] += e * (lc_digamma(be + n - x) - pabn - pb + pab);
					d[2] += e * (pg - pgdn - pg + pgd);
					d[3] += e * (lc_digamma(de + n) - pgdn - pd + pgd);
				}
				else
				{
					double		pabn = lc_digamma(al + be + tx + j);
					double		pgdn = lc_digamma(ga + de + tx + j + 1);

					d[0] += e * (pax - pabn - pa + pab);
					d[1] += e * (lc_digamma(be + tx - x + j) - pabn - pb + pab);
					d[2] += e * (pg1 - pgdn - pg + pgd);
					d[3] += e * (lc_digamma(de + tx + j) - pgdn - pd + pgd);
				}
			}
		}
		ll += w * (lmax + log(sum));
		if (g)
		{
			g[0] += w * d[0] / sum;
			g[1] += w * d[1] / sum;
			g[2] += w * d[2] / sum;
			g[3] += w * d[3] / sum;
		}
	}
	return ll;
}

/*
 * ll_gg - Gamma-Gamma log-likelihood (FH note 025) and gradient in
 * (p, q, gamma); terms that depend on x only are computed once per x.
 */
static double
ll_gg(FitData *fd, const double *par, double *g)
{
	double		p = par[0],
				q = par[1],
				gm = par[2];
	double		ll = 0,
				lgq = lgamma(q),
				lng = log(gm);
	double		pq = g ? lc_digamma(q) : 0;
	int			k,
				i;

	if (g)
		g[0] = g[1] = g[2] = 0;
	for (k = 0; k < fd->ng; k++)
	{
		int			s = fd->gstart[k],
					e = fd->gstart[k + 1];
		double		x = fd->c[s].x,
					W = fd->gw[k],
					px = p * x;
		double		SLg = 0,
					SIg = 0,
					SI2g = 0;

		for (i = s; i < e; i++)
		{
			double		u = gm + x * fd->c[i].y;

			SLg += fd->c[i].w * log(u);
			if (g)
			{
				double		r = fd->c[i].w / u;

				SIg += r;
				SI2g += r / u;
			}
		}
		if (g)
		{
			/* kept for hessian_gg at the same parameters */
			fd->gsi[k] = SIg;
			fd->gsi2[k] = SI2g;
		}
		ll += W * (lgamma(px + q) - lgamma(px) - lgq + q * lng + px * log(x)) +
			(px - 1) * fd->gaux[k] - (px + q) * SLg;
		if (g)
		{
			double		ppq = lc_digamma(px + q);

			g[0] += x * (W * (ppq - lc_digamma(px) + log(x)) + fd->gaux[k] - SLg);
			g[1] += W * (ppq - pq + lng) - SLg;
			g[2] += W * q / gm - (px + q) * SIg;
		}
	}
	if (g)
	{
		memcpy(fd->hpar, par, sizeof(double) * 3);
		fd->hvalid = true;
	}
	return ll;
}

/*
 * model_ll - the log-likelihood of the fit's model at natural parameters
 * p, with its gradient when g is not NULL (never for Pareto/NBD).
 */
static double
model_ll(FitData *fd, const double *p, double *g)
{
	double		ll;

	switch (fd->kind)
	{
		case BTYD_BGNBD:
			ll = ll_bgnbd(fd, p, g, false);
			break;
		case BTYD_MBGNBD:
			ll = ll_bgnbd(fd, p, g, true);
			break;
		case BTYD_PARETO:
			ll = ll_pareto(fd, p);
			break;
		case BTYD_BGBB:
			ll = ll_bgbb(fd, p, g);
			break;
		default:
			ll = ll_gg(fd, p, g);
			break;
	}
	memcpy(fd->last_par, p, sizeof(double) * fd->np);
	fd->last_ll = ll;
	fd->have_last = true;
	return ll;
}

static bool
has_gradient(int kind)
{
	return kind != BTYD_PARETO;
}

/*
 * objective - NLopt objective over log parameters: the mean negative
 * log-likelihood per customer plus penalizer * sum of squared
 * parameters (lifetimes' scaling, for every model).
 */
static double
objective(unsigned n, const double *lp, double *grad, void *data)
{
	FitData    *fd = (FitData *) data;
	double		p[MAXPAR] = {0},
				g[MAXPAR] = {0};
	double		ll,
				f;
	unsigned	i;

	fd->nevals++;
	for (i = 0; i < n; i++)
		p[i] = exp(lp[i]);
	ll = model_ll(fd, p, grad ? g : NULL);
	f = -ll / fd->wsum;
	for (i = 0; i < n; i++)
		f += fd->pen * p[i] * p[i];
	if (!isfinite(f))
	{
		if (grad)
			for (i = 0; i < n; i++)
				grad[i] = 0;
		return 1e300;
	}
	if (grad)
	{
		for (i = 0; i < n; i++)
		{
			grad[i] = p[i] * (-g[i] / fd->wsum + 2 * fd->pen * p[i]);
			if (!isfinite(grad[i]))
				grad[i] = 0;
		}
	}
	if (f < fd->best_f)
	{
		fd->best_f = f;
		memcpy(fd->best_x, lp, sizeof(double) * n);
	}
	return f;
}

/*
 * objective_gradient - gradient of the objective at lp: analytic where the
 * model has one, else central differences.  Returns the max abs entry.
 */
static double
objective_gradient(FitData *fd, const double *lp, double *grad)
{
	int			i;
	double		m = 0;

	if (has_gradient(fd->kind))
		objective(fd->np, lp, grad, fd);
	else
	{
		for (i = 0; i < fd->np; i++)
		{
			double		t[MAXPAR];
			double		h = 1e-5;

			memcpy(t, lp, sizeof(t));
			t[i] = lp[i] + h;
			grad[i] = objective(fd->np, t, NULL, fd);
			t[i] = lp[i] - h;
			grad[i] = (grad[i] - objective(fd->np, t, NULL, fd)) / (2 * h);
		}
	}
	for (i = 0; i < fd->np; i++)
		m = Max(m, fabs(grad[i]));
	return m;
}

/*
 * run_nlopt - minimise the objective from lp with the given algorithm;
 * returns the NLopt result code, lp holds the best point seen.
 */
static int
run_nlopt(FitData *fd, nlopt_algorithm alg, double *lp, int maxeval)
{
	nlopt_opt	opt = nlopt_create(alg, fd->np);
	double		lo[MAXPAR],
				hi[MAXPAR],
				f;
	int			i,
				res;

	if (opt == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("NLopt could not allocate an optimiser")));
	for (i = 0; i < fd->np; i++)
	{
		lo[i] = -LOGBOUND;
		hi[i] = LOGBOUND;
	}
	nlopt_set_lower_bounds(opt, lo);
	nlopt_set_upper_bounds(opt, hi);
	nlopt_set_min_objective(opt, objective, fd);
	nlopt_set_ftol_rel(opt, 1e-12);
	nlopt_set_xtol_rel(opt, 1e-8);
	nlopt_set_maxeval(opt, maxeval);
	if (alg == NLOPT_LN_BOBYQA)
	{
		double		step[MAXPAR];

		for (i = 0; i < fd->np; i++)
			step[i] = fd->warm ? 0.05 : 0.5;
		nlopt_set_initial_step(opt, step);
	}
	res = nlopt_optimize(opt, lp, &f);
	nlopt_destroy(opt);
	if (fd->best_f < 1e300)
		memcpy(lp, fd->best_x, sizeof(double) * fd->np);
	CHECK_FOR_INTERRUPTS();
	return res;
}

/*
 * invert - invert the symmetric positive definite n x n matrix a in place
 * (Gauss-Jordan without pivoting suffices for SPD); false if not SPD.
 */
static bool
invert(double *a, int n)
{
	int			i,
				j,
				k;

	for (k = 0; k < n; k++)
	{
		double		piv = a[k * n + k];

		if (!(piv > 0) || !isfinite(piv))
			return false;
		for (j = 0; j < n; j++)
			if (j != k)
				a[k * n + j] /= piv;
		for (i = 0; i < n; i++)
		{
			double		f;

			if (i == k)
				continue;
			f = a[i * n + k];
			for (j = 0; j < n; j++)
				if (j != k)
					a[i * n + j] -= f * a[k * n + j];
			a[i * n + k] = -f / piv;
		}
		a[k * n + k] = 1.0 / piv;
	}
	for (i = 0; i < n; i++)
		if (!(a[i * n + i] > 0))
			return false;
	return true;
}

/*
 * hessian_fd - Hessian of the objective (per customer, penalty included)
 * in log parameters at lp, by forward differences of the analytic
 * gradient; g0 is the gradient at lp.  Models with a gradient only.
 */
static void
hessian_fd(FitData *fd, const double *lp, const double *g0, double *H)
{
	int			n = fd->np,
				i,
				j;
	double		h = 1e-5;

	for (i = 0; i < n; i++)
	{
		double		t[MAXPAR],
					gp[MAXPAR];

		memcpy(t, lp, sizeof(double) * n);
		t[i] = lp[i] + h;
		objective(n, t, gp, fd);
		for (j = 0; j < n; j++)
			H[i * n + j] = (gp[j] - g0[j]) / h;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			H[i * n + j] = H[j * n + i] = 0.5 * (H[i * n + j] + H[j * n + i]);
}

/*
 * hessian_gg - the Hessian of the objective (per customer, penalty
 * included) in log parameters at lp for Gamma-Gamma, from the analytic
 * second derivatives of the log-likelihood (FH note 025 differentiated
 * twice: per group of equal x, sums of w / u and w / u^2 with
 * u = gamma + x m, and trigamma of p x + q, p x and q); g0 is the
 * objective's gradient at lp.  The sums come from the gradient's pass when
 * it was at lp (Newton steps evaluate the gradient, then the Hessian, at
 * the same point), else from one pass without logarithms; finite
 * differences of the gradient would take three full evaluations.
 */
static void
hessian_gg(FitData *fd, const double *lp, const double *g0, double *H)
{
	double		par[3],
				h[9] = {0};
	double		p,
				q,
				gm,
				t1q;
	int			i,
				j,
				k;
	bool		cached;

	for (i = 0; i < 3; i++)
		par[i] = exp(lp[i]);
	p = par[0];
	q = par[1];
	gm = par[2];
	t1q = lc_trigamma(q);
	/* the last gradient's pass left the sums when it was at these parameters */
	cached = fd->hvalid && memcmp(fd->hpar, par, sizeof(double) * 3) == 0;
	for (k = 0; k < fd->ng; k++)
	{
		int			s = fd->gstart[k],
					e = fd->gstart[k + 1];
		double		x = fd->c[s].x,
					W = fd->gw[k],
					px = p * x,
					t1 = lc_trigamma(px + q);
		double		SI = 0,
					SI2 = 0;

		if (cached)
		{
			SI = fd->gsi[k];
			SI2 = fd->gsi2[k];
		}
		else
			for (i = s; i < e; i++)
			{
				double		u = gm + x * fd->c[i].y,
							r = fd->c[i].w / u;

				SI += r;
				SI2 += r / u;
			}
		h[0] += x * x * W * (t1 - lc_trigamma(px));
		h[1] += x * W * t1;
		h[2] -= x * SI;
		h[4] += W * (t1 - t1q);
		h[5] += W / gm - SI;
		h[8] += (px + q) * SI2 - W * q / (gm * gm);
	}
	h[3] = h[1];
	h[6] = h[2];
	h[7] = h[5];
	/* f = -ll / wsum + pen * sum p^2, in log parameters */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			H[i * 3 + j] = par[i] * par[j] * (-h[i * 3 + j] / fd->wsum + (i == j ? 2 * fd->pen : 0)) +
				(i == j ? g0[i] : 0);
}

/*
 * exact_hessian - whether the model has an analytic Hessian (then cheap
 * enough to refresh at every Newton step).
 */
static bool
exact_hessian(int kind)
{
	return kind == BTYD_GG;
}

/*
 * objective_hessian - Hessian of the objective in log parameters at lp,
 * given its gradient g0 there: analytic where the model has one, else by
 * finite differences of the gradient.  Models with a gradient only.
 */
static void
objective_hessian(FitData *fd, const double *lp, const double *g0, double *H)
{
	if (exact_hessian(fd->kind))
		hessian_gg(fd, lp, g0, H);
	else
		hessian_fd(fd, lp, g0, H);
}

/*
 * standard_errors - delta-method standard errors: the Hessian of the total
 * negative log-likelihood in log parameters (analytic for Gamma-Gamma, by
 * finite differences otherwise), its inverse, se_i = theta_i *
 * sqrt(cov_ii).  g0 is the unpenalised gradient at lp when the caller has
 * it, else NULL.  False when not computable.
 */
static bool
standard_errors(FitData *fd, const double *lp, const double *g0, double *se)
{
	double		H[MAXPAR * MAXPAR];
	double		savepen = fd->pen;
	int			n = fd->np,
				i,
				j;
	double		h = 1e-5;
	double		gm[MAXPAR];

	fd->pen = 0;
	if (has_gradient(fd->kind))
	{
		if (g0 == NULL)
		{
			objective(n, lp, gm, fd);
			g0 = gm;
		}
		objective_hessian(fd, lp, g0, H);
		for (i = 0; i < n * n; i++)
			H[i] *= fd->wsum;
	}
	else
	{
		double		f0 = objective(n, lp, NULL, fd);

		h = 1e-3;
		for (i = 0; i < n; i++)
			for (j = 0; j <= i; j++)
			{
				double		t[MAXPAR],
							fpp,
							fpm,
							fmp,
							fmm;

				memcpy(t, lp, sizeof(double) * n);
				if (i == j)
				{
					t[i] = lp[i] + h;
					fpp = objective(n, t, NULL, fd);
					t[i] = lp[i] - h;
					fmm = objective(n, t, NULL, fd);
					H[i * n + i] = (fpp - 2 * f0 + fmm) / (h * h) * fd->wsum;
					continue;
				}
				t[i] = lp[i] + h;
				t[j] = lp[j] + h;
				fpp = objective(n, t, NULL, fd);
				t[j] = lp[j] - h;
				fpm = objective(n, t, NULL, fd);
				t[i] = lp[i] - h;
				fmm = objective(n, t, NULL, fd);
				t[j] = lp[j] + h;
				fmp = objective(n, t, NULL, fd);
				H[i * n + j] = H[j * n + i] = (fpp - fpm - fmp + fmm) / (4 * h * h) * fd->wsum;
			}
	}
	fd->pen = savepen;
	if (!invert(H, n))
		return false;
	for (i = 0; i < n; i++)
	{
		se[i] = exp(lp[i]) * sqrt(H[i * n + i]);
		if (!isfinite(se[i]))
			return false;
	}
	return true;
}

/*
 * Distinct recency and T values of a histogram, found in one pass with a
 * simplehash table from value to its index in fd->v (there are few: T and
 * recency take one value per day of the data).
 */
typedef struct ValueEntry
{
	double		key;
	int32		idx;
	char		status;			/* simplehash's */
} ValueEntry;

/*
 * value_hash - hash of a double's bits.
 */
static inline uint32
value_hash(double v)
{
	uint64		a;

	memcpy(&a, &v, sizeof(a));
	return lc_hash64(a);
}

#define SH_PREFIX valuemap
#define SH_ELEMENT_TYPE ValueEntry
#define SH_KEY_TYPE double
#define SH_KEY key
#define SH_HASH_KEY(tb, k) value_hash(k)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * value_index - the index of v in fd->v, appending it when new.
 */
static int32
value_index(FitData *fd, valuemap_hash *map, double v)
{
	bool		found;
	ValueEntry *e = valuemap_insert(map, v, &found);

	if (!found)
	{
		e->idx = fd->nv;
		fd->v[fd->nv++] = v;
	}
	return e->idx;
}

/*
 * prepare - sort out groups by x, distinct recency / T values (NBD
 * models) and ln m (Gamma-Gamma) for a canonical histogram.
 */
static void
prepare(FitData *fd, const BtydHist *h)
{
	int			i,
				k;

	fd->kind = h->kind;
	fd->np = btyd_nparams(h->kind);
	fd->c = h->c;
	fd->n = h->n;
	fd->pen = h->penalizer;
	fd->wsum = 0;
	/* the groups first: there are few (one per frequency), cells many */
	k = 0;
	for (i = 0; i < h->n; i++)
		if (i == 0 || h->c[i].x != h->c[i - 1].x)
			k++;
	fd->gstart = palloc(sizeof(int) * (k + 1));
	fd->gw = palloc0(sizeof(double) * (k + 1));
	fd->gaux = palloc0(sizeof(double) * (k + 1));
	if (h->kind == BTYD_GG)
	{
		fd->gsi = palloc0(sizeof(double) * (k + 1));
		fd->gsi2 = palloc0(sizeof(double) * (k + 1));
	}
	fd->ng = 0;
	for (i = 0; i < h->n; i++)
	{
		if (i == 0 || h->c[i].x != h->c[i - 1].x)
			fd->gstart[fd->ng++] = i;
		fd->gw[fd->ng - 1] += h->c[i].w;
		if (h->kind == BTYD_GG)
			fd->gaux[fd->ng - 1] += h->c[i].w * log(h->c[i].y);
		fd->wsum += h->c[i].w;
	}
	fd->gstart[fd->ng] = h->n;
	if (h->kind == BTYD_BGNBD || h->kind == BTYD_MBGNBD)
	{
		/* distinct recency and T values, in order of first appearance */
		valuemap_hash *map = valuemap_create(CurrentMemoryContext, 1024, NULL);

		fd->v = palloc(sizeof(double) * 2 * Max(h->n, 1));
		fd->iy = palloc(sizeof(int) * Max(h->n, 1));
		fd->iz = palloc(sizeof(int) * Max(h->n, 1));
		fd->nv = 0;
		for (i = 0; i < h->n; i++)
		{
			fd->iy[i] = value_index(fd, map, h->c[i].y);
			fd->iz[i] = value_index(fd, map, h->c[i].z);
		}
		valuemap_destroy(map);
		k = fd->nv;
		fd->lv = palloc(sizeof(double) * k);
		fd->iv = palloc(sizeof(double) * k);
	}
	fd->best_f = 1e300;
}

/*
 * start_point - log-parameter starting values from simple moments.
 */
static void
start_point(FitData *fd, double *lp)
{
	double		sx = 0,
				sz = 0,
				sy = 0;
	int			i;

	for (i = 0; i < fd->n; i++)
	{
		sx += fd->c[i].w * fd->c[i].x;
		sy += fd->c[i].w * fd->c[i].y;
		sz += fd->c[i].w * fd->c[i].z;
	}
	switch (fd->kind)
	{
		case BTYD_GG:
			lp[0] = 0;
			lp[1] = log(2.0);
			lp[2] = log(Max(sy / fd->wsum, 1e-6));
			break;
		case BTYD_BGBB:
			lp[0] = lp[1] = lp[2] = lp[3] = 0;
			break;
		default:
			{
				/* r = 1 and alpha so that r / alpha is the observed rate */
				double		alpha = sx > 0 ? sz / sx : sz / fd->wsum + 1;

				alpha = Min(Max(alpha, 1e-6), 1e6);
				lp[0] = 0;
				lp[1] = log(alpha);
				lp[2] = 0;
				lp[3] = fd->kind == BTYD_PARETO ? log(Max(sz / fd->wsum, 1e-6) + 1) : 0;
			}
	}
}

/*
 * finish_fit - the log-likelihood at lp (in ll) and whether lp is a
 * converged interior optimum, given the objective's gradient g at lp.
 */
static bool
finish_fit(FitData *fd, const double *lp, const double *g, double *ll)
{
	double		tol = has_gradient(fd->kind) ? 1e-5 : 1e-4;
	double		p[MAXPAR],
				gmax = 0;
	bool		atbound = false;
	int			i;

	for (i = 0; i < fd->np; i++)
	{
		p[i] = exp(lp[i]);
		gmax = Max(gmax, fabs(g[i]));
		if (fabs(lp[i]) > LOGBOUND - 1e-3)
			atbound = true;
	}
	/* the last evaluation was usually at lp */
	if (fd->have_last && memcmp(fd->last_par, p, sizeof(double) * fd->np) == 0)
		*ll = fd->last_ll;
	else
		*ll = model_ll(fd, p, NULL);
	if (!isfinite(*ll) || fd->best_f >= 1e300)
		return false;
	return gmax < tol && !atbound;
}

/*
 * fit_model - maximise the likelihood (from lp when warm, else from the
 * moment-based start); returns the log parameters in lp,
 * whether the fit converged, and the log-likelihood at lp.
 */
static bool
fit_model(FitData *fd, double *lp, double *ll, bool warm)
{
	double		g[MAXPAR];
	double		tol = has_gradient(fd->kind) ? 1e-5 : 1e-4;
	double		gmax = INFINITY;
	int			round;

	if (!warm)
		start_point(fd, lp);
	fd->warm = warm;
	for (round = 0; round < 3; round++)
	{
		if (has_gradient(fd->kind))
		{
			run_nlopt(fd, NLOPT_LD_LBFGS, lp, 2000);
			gmax = objective_gradient(fd, lp, g);
			if (gmax < tol)
				break;
		}
		/* derivative-free, from the best point so far */
		run_nlopt(fd, NLOPT_LN_BOBYQA, lp, 20000);
		gmax = objective_gradient(fd, lp, g);
		if (gmax < tol)
			break;
	}
	elog(DEBUG1, "fit: %d evals, gmax %g", fd->nevals, gmax);
	return finish_fit(fd, lp, g, ll);
}

/*
 * newton_polish - from lp near the optimum, Newton steps with a fixed
 * inverse Hessian Hinv (from the subsample fit: the per-customer objective
 * of a 1-in-k sample has nearly the same curvature; a model with an
 * exact Hessian uses it at every step instead), one gradient
 * evaluation each, halving a step that does not decrease the objective.
 * Converges linearly with a small rate when Hinv is close, where L-BFGS
 * starting without curvature needs a dozen evaluations.  On success
 * returns true with lp at a point where max |gradient| < POLISH_TOL and
 * that gradient in g (or POLISH_NOISE when the objective stops changing
 * beyond rounding); false (lp at the best point seen) when the steps stop
 * making progress, so that the caller falls back to L-BFGS.
 */
#define POLISH_TOL	1e-9
#define POLISH_NOISE	1e-6	/* a tenth of fit_model's tolerance */
#define POLISH_ITER	10

static bool
newton_polish(FitData *fd, double *lp, const double *Hinv, double *g)
{
	int			n = fd->np,
				it,
				i,
				j;
	double		f = objective(n, lp, g, fd);
	double		Hexact[MAXPAR * MAXPAR];

	for (it = 0; it < POLISH_ITER; it++)
	{
		double		gmax = 0,
					step[MAXPAR],
					t[MAXPAR],
					gt[MAXPAR],
					ft = INFINITY,
					lam = 1;
		int			ls;

		for (i = 0; i < n; i++)
			gmax = Max(gmax, fabs(g[i]));
		if (!isfinite(f) || !isfinite(gmax))
			return false;
		if (gmax < POLISH_TOL)
		{
			elog(DEBUG1, "polish: %d steps, %d evals, gmax %g", it, fd->nevals, gmax);
			return true;
		}
		if (exact_hessian(fd->kind))
		{
			/* the exact Hessian is one cheap pass away: Newton proper */
			objective_hessian(fd, lp, g, Hexact);
			if (invert(Hexact, n))
				Hinv = Hexact;
		}
		for (i = 0; i < n; i++)
		{
			step[i] = 0;
			for (j = 0; j < n; j++)
				step[i] -= Hinv[i * n + j] * g[j];
		}
		for (ls = 0; ls < 6; ls++, lam *= 0.5)
		{
			for (i = 0; i < n; i++)
				t[i] = Min(Max(lp[i] + lam * step[i], -LOGBOUND), LOGBOUND);
			ft = objective(n, t, gt, fd);
			/* near the optimum f changes by ~gmax^2: allow rounding noise */
			if (ft <= f + 1e-15 * fabs(f) || gmax < POLISH_NOISE)
				break;
		}
		if (!(ft <= f + 1e-15 * fabs(f)))
		{
			/*
			 * No decrease: with the gradient far inside the convergence
			 * tolerance the change is below the rounding noise of the sum
			 * over all cells, and lp is as good as it gets.
			 */
			if (gmax < POLISH_NOISE)
			{
				elog(DEBUG1, "polish: %d steps, %d evals, gmax %g at the noise floor", it, fd->nevals, gmax);
				return true;
			}
			return false;
		}
		memcpy(lp, t, sizeof(double) * n);
		memcpy(g, gt, sizeof(double) * n);
		f = ft;
	}
	return false;
}

/*
 * btyd_final - common final function: fit, then build the model row
 * (parameters, log_likelihood, customers, converged, standard errors).
 */
static Datum
btyd_final(FunctionCallInfo fcinfo, int kind)
{
	BtydHist   *h = btyd_get(PG_GETARG_DATUM(0));
	FitData		fd;
	TupleDesc	tupdesc;
	Datum		values[2 * MAXPAR + 3];
	bool		nulls[2 * MAXPAR + 3];
	double		lp[MAXPAR],
				se[MAXPAR],
				ll;
	bool		conv,
				have_se = false,
				polished = false;
	int			np = btyd_nparams(kind),
				i;
	double		g[MAXPAR],
				lp0[MAXPAR];

	btyd_check_header(h);
	if (h->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd_histogram of kind %s passed to the %s fit", btyd_kind_name(h->kind), btyd_kind_name(kind))));
	if (h->nsorted != h->n)
		h = btyd_canonical(h);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, 0, sizeof(nulls));
	memset(&fd, 0, sizeof(fd));
	prepare(&fd, h);
	if (h->n == 0)
	{
		for (i = 0; i < tupdesc->natts; i++)
			nulls[i] = true;
		values[np + 1] = Int64GetDatum(0);
		nulls[np + 1] = false;
		values[np + 2] = BoolGetDatum(false);
		nulls[np + 2] = false;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	if (h->n > 20000)
	{
		/*
		 * Many cells: start from the fit to every k-th cell (weights times k),
		 * so that the full-data L-BFGS needs only a few evaluations.
		 */
		int			k = h->n / 10000;
		BtydHist   *sub = palloc(BTYD_SIZE(h->n / k + 1));
		FitData		fs;
		double		subll;

		memcpy(sub, h, BTYD_HDRSZ);
		sub->n = 0;
		for (i = 0; i < h->n; i += k)
		{
			sub->c[sub->n] = h->c[i];
			sub->c[sub->n++].w *= k;
		}
		sub->nsorted = sub->n;
		memset(&fs, 0, sizeof(fs));
		prepare(&fs, sub);
		fit_model(&fs, lp, &subll, false);
		polished = false;
		if (isfinite(subll) && has_gradient(kind))
		{
			/* Newton steps on all cells with the subsample's curvature */
			double		Hs[MAXPAR * MAXPAR];

			objective(np, lp, g, &fs);
			objective_hessian(&fs, lp, g, Hs);
			if (invert(Hs, np))
			{
				memcpy(lp0, lp, sizeof(lp0));
				polished = newton_polish(&fd, lp, Hs, g);
				if (!polished)
					memcpy(lp, fd.best_f < 1e300 ? fd.best_x : lp0, sizeof(double) * np);
			}
		}
		if (polished)
			conv = finish_fit(&fd, lp, g, &ll);
		else
			conv = fit_model(&fd, lp, &ll, isfinite(subll));
	}
	else
		conv = fit_model(&fd, lp, &ll, false);
	if (isfinite(ll))
		have_se = standard_errors(&fd, lp, polished && fd.pen == 0 ? g : NULL, se);
	for (i = 0; i < np; i++)
	{
		double		v = exp(lp[i]);

		values[i] = Float8GetDatum(v);
		nulls[i] = !isfinite(ll);
		values[np + 3 + i] = Float8GetDatum(have_se ? se[i] : 0);
		nulls[np + 3 + i] = !have_se;
	}
	values[np] = Float8GetDatum(ll);
	nulls[np] = !isfinite(ll);
	values[np + 1] = Int64GetDatum((int64) llround(fd.wsum));
	/* a strict local maximum: stationary with a positive definite Hessian */
	values[np + 2] = BoolGetDatum(conv && isfinite(ll) && have_se);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(lifecycle_bgnbd_final);
/* lifecycle_bgnbd_final - bgnbd_fit final function */
Datum
lifecycle_bgnbd_final(PG_FUNCTION_ARGS)
{
	return btyd_final(fcinfo, BTYD_BGNBD);
}

PG_FUNCTION_INFO_V1(lifecycle_mbgnbd_final);
/* lifecycle_mbgnbd_final - mbgnbd_fit final function */
Datum
lifecycle_mbgnbd_final(PG_FUNCTION_ARGS)
{
	return btyd_final(fcinfo, BTYD_MBGNBD);
}

PG_FUNCTION_INFO_V1(lifecycle_pareto_final);
/* lifecycle_pareto_final - pareto_nbd_fit final function */
Datum
lifecycle_pareto_final(PG_FUNCTION_ARGS)
{
	return btyd_final(fcinfo, BTYD_PARETO);
}

PG_FUNCTION_INFO_V1(lifecycle_bgbb_final);
/* lifecycle_bgbb_final - bgbb_fit final function */
Datum
lifecycle_bgbb_final(PG_FUNCTION_ARGS)
{
	return btyd_final(fcinfo, BTYD_BGBB);
}

PG_FUNCTION_INFO_V1(lifecycle_gg_final);
/* lifecycle_gg_final - gamma_gamma_fit final function */
Datum
lifecycle_gg_final(PG_FUNCTION_ARGS)
{
	return btyd_final(fcinfo, BTYD_GG);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_loglik);
/*
 * lifecycle_btyd_loglik - log-likelihood of a histogram at given
 * parameters (float8[] in the model's field order): checks against
 * published likelihood values and profile likelihoods.
 */
Datum
lifecycle_btyd_loglik(PG_FUNCTION_ARGS)
{
	BtydHist   *h = btyd_get(PG_GETARG_DATUM(0));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	FitData		fd;
	Datum	   *elems;
	bool	   *enulls;
	int			nel,
				i;
	double		p[MAXPAR];

	btyd_check_header(h);
	h = btyd_canonical(h);
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &enulls, &nel);
	if (nel != btyd_nparams(h->kind))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs %d parameters, got %d", btyd_kind_name(h->kind), btyd_nparams(h->kind), nel),
				 errhint("Pass the parameters in the order of the model type's fields.")));
	for (i = 0; i < nel; i++)
	{
		p[i] = enulls[i] ? NAN : DatumGetFloat8(elems[i]);
		if (!(p[i] > 0) || !isfinite(p[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model parameters must be positive and finite"),
					 errhint("Every parameter of the BTYD models is a positive shape or scale.")));
	}
	memset(&fd, 0, sizeof(fd));
	prepare(&fd, h);
	PG_RETURN_FLOAT8(model_ll(&fd, p, NULL));
}

