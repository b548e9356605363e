/*-------------------------------------------------------------------------
 *
 * btyd.h
 *	  Private declarations of the BTYD model fits and predictions
 *	  (btyd.c, btyd_predict.c, special.c).
 *
 * btyd_histogram: the state of the fitting aggregates, a histogram of
 * distinct input cells (x, y, z) with a weight w:
 *	  bgnbd, mbgnbd, pareto_nbd: x = frequency, y = recency, z = T
 *	  bgbb:                      x = frequency, y = recency, z = periods
 *	  gamma_gamma:               x = frequency, y = mean spend, z = 0
 * Inside an aggregate a large state is an expanded object (btyd.c) whose
 * cells are appended and, when the allocation is full, sorted (radix sort)
 * and merged in place; the allocation doubles only when merging frees less
 * than half of it, so memory is bounded by the number of distinct cells.
 * Canonical values (output, stored) are sorted by (x, z, y), distinct and
 * trimmed.  A flattened partial state (a parallel worker's tuple) is the
 * same, packed into a byte stream (version BTYD_PACKED, about 9 bytes per
 * Gamma-Gamma cell); the combine function keeps those as runs and merges
 * them in one pass when the state is read.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BTYD_H
#define BTYD_H

#include "lifecycle.h"

#include "utils/expandeddatum.h"

#define BTYD_VERSION		1
#define BTYD_PACKED			2	/* in memory only: see btyd.c */

#define BTYD_BGNBD			1
#define BTYD_MBGNBD			2
#define BTYD_PARETO			3
#define BTYD_BGBB			4
#define BTYD_GG				5

#define BTYD_PEN_SET		0x01	/* penalizer taken from a row */

typedef struct BtydCell
{
	float8		x;
	float8		y;
	float8		z;
	float8		w;
} BtydCell;

typedef struct BtydHist
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* BTYD_VERSION */
	uint8		kind;			/* BTYD_BGNBD, ... */
	uint8		flags;			/* BTYD_PEN_SET */
	uint8		reserved;		/* always 0 */
	int32		n;				/* cells in use */
	int32		nsorted;		/* cells [0, nsorted) sorted and distinct */
	float8		penalizer;		/* L2 penalty on the parameters, >= 0 */
	BtydCell	c[FLEXIBLE_ARRAY_MEMBER];
} BtydHist;

#define BTYD_HDRSZ			offsetof(BtydHist, c)
#define BTYD_SIZE(cap)		(BTYD_HDRSZ + (Size) (cap) * sizeof(BtydCell))
#define BTYD_CAPACITY(h)	((int) ((VARSIZE(h) - BTYD_HDRSZ) / sizeof(BtydCell)))
/* 2^24 cells (512 MB) at most */
#define BTYD_MAX_CELLS		16777216

/* largest frequency / number of periods accepted */
#define BTYD_MAX_COUNT		1e8

/* btyd_pack.c: the packed form (BTYD_PACKED) of a canonical histogram */
#define PK_X		0x01
#define PK_XRAW		0x02
#define PK_Z		0x04
#define PK_WBYTE	0x08
#define PK_WRAW		0x10

typedef struct PkReader
{
	const unsigned char *p;		/* next byte */
	const unsigned char *end;
	int			left;			/* cells not read yet */
	BtydCell	c;				/* the cell read last */
} PkReader;

extern Size pk_size(const BtydHist *h);
extern void pk_write(const BtydHist *h, BtydHist *out, Size size);
extern void pk_open(PkReader *r, const BtydHist *h);
extern bool pk_next(PkReader *r);
extern BtydHist *pk_unpack(const BtydHist *h);

/* special.c */
extern double lc_digamma(double x);
extern double lc_trigamma(double x);
extern double lc_lbeta(double a, double b);
extern double lc_log1pexp(double d);
extern double lc_sigmoid(double d);
extern double lc_logaddexp(double a, double b);
extern double lc_logsubexp(double a, double b);
extern double lc_hyp2f1_1b(double b, double c, double z);
extern double lc_hyp2f1_m1(double a, double b, double c, double z);
extern double lc_expm1_ratio(double e, double lq);
extern double lc_hyp2f1_h(double a, double b, double c, double z);
extern double lc_log1p_ratio(double b, double h);

/* btyd.c */
extern BtydHist *btyd_alloc(int capacity, int kind);
extern BtydHist *btyd_get(Datum d);
extern BtydHist *btyd_canonical(const BtydHist *h);
extern void btyd_check_header(const BtydHist *h);

/* btyd.c: model parameters read from a model value (a composite) */
extern const char *btyd_kind_name(int kind);
extern int	btyd_nparams(int kind);
extern void btyd_read_model(FunctionCallInfo fcinfo, int argno, int kind,
							double *par);
extern void btyd_check_customer(int kind, double x, double y, double z);
extern void **btyd_memo_slot(FunctionCallInfo fcinfo);
extern int	btyd_model_kind(FunctionCallInfo fcinfo, int argno);
extern double btyd_pareto_log_a0(const double *par, double x, double tx,
								 double T);

#endif							/* BTYD_H */
