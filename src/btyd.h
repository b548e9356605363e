/*-------------------------------------------------------------------------
 *
 * btyd.h
 *	  Declarations shared by the BTYD model fits (btyd.c) and their
 *	  predictions (btyd_predict.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFECYCLE_BTYD_H
#define LIFECYCLE_BTYD_H

/* model kinds of a fit state (stored: never renumber) */
#define BTYD_BGNBD			1
#define BTYD_GAMMA_GAMMA	2

extern void lc_btyd_check_summary(float8 x, float8 tx, float8 t);
extern void lc_btyd_check_spend(float8 x, float8 m);
extern double lc_bgnbd_ll(double r, double alpha, double a, double b,
						  double x, double tx, double t, double w, double *grad);
extern double lc_gg_ll(double p, double q, double v, double x, double m,
					   double w, double *grad);

#endif							/* LIFECYCLE_BTYD_H */
